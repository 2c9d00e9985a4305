"""The grasp-trial data file, and the predictor's input rebuilt from it.

The file keeps what was sensed and tried, not finished patches, so that the patch layout can
change without running the trials again:

- per placement: `map_heights` (P, n, n) float16 [m], `map_seen` (P, n, n) bool, `map_origin` (P, 2) [m],
  and `cell_m` (the height maps' cell size);
- per trial: the candidate (`position` (N, 3), `yaw` (N,), `width` (N,), `tilt` (N,)), `label` (N,) 0/1,
  `placement` (N,) its placement's row, `kind` (N,) the object kind, `nominal` (N,) whether the
  skill library proposed it, `heuristic` (N,) the hand-written score.

Files written before grasps could tilt have no `tilt`: their grasps were top-down (tilt 0).
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from griptalk.grasping.heightmap import CELL_M, HeightMap, grasp_patches
from griptalk.skills.grasps import GraspCandidate

MAP_KEYS = ("map_heights", "map_seen", "map_origin")
TRIAL_KEYS = ("position", "yaw", "width", "tilt", "label", "placement", "kind", "nominal", "heuristic")


def height_map(data: dict, placement: int) -> HeightMap:
    return HeightMap(data["map_heights"][placement].astype(np.float32), data["map_seen"][placement],
                     data["map_origin"][placement], float(data["cell_m"]))


def candidates(data: dict, rows) -> list[GraspCandidate]:
    return [GraspCandidate(data["position"][i], data["yaw"][i], data["width"][i], data["tilt"][i]) for i in rows]


def inputs(data: dict) -> tuple[np.ndarray, np.ndarray]:
    """Patches and features of every trial, in the data's order, as the predictor sees them."""
    n = len(data["label"])
    patches, features = None, None
    for placement in np.unique(data["placement"]):
        rows = np.flatnonzero(data["placement"] == placement)
        p, f = grasp_patches(height_map(data, placement), candidates(data, rows))
        if patches is None:
            patches = np.zeros((n, *p.shape[1:]), np.float32)
            features = np.zeros((n, f.shape[1]), np.float32)
        patches[rows], features[rows] = p, f
    return patches, features


def merge(parts: Sequence[dict]) -> dict:
    """One data set of several; placement rows are renumbered."""
    if not parts:
        raise ValueError("merge: no data")
    if len({float(p["cell_m"]) for p in parts}) != 1:
        raise ValueError("merge: the height maps have different cell sizes")
    merged = {"cell_m": parts[0]["cell_m"]}
    offsets = np.cumsum([0] + [len(p["map_origin"]) for p in parts[:-1]])
    for key in MAP_KEYS + TRIAL_KEYS:
        merged[key] = np.concatenate([p[key] + offset if key == "placement" else p[key]
                                      for p, offset in zip(parts, offsets)])
    return merged


def load(paths: Sequence[Path]) -> dict:
    """The trials of one or more files written by griptalk.grasping.generate, merged."""
    parts = []
    for path in paths:
        with np.load(path) as f:
            missing = set(MAP_KEYS + TRIAL_KEYS + ("cell_m",)) - set(f.files) - {"tilt"}
            if missing:
                raise ValueError(f"{path} is not grasp-trial data (missing {', '.join(sorted(missing))}): "
                                 f"generate it with griptalk.grasping.generate")
            part = {k: f[k] for k in f.files}
        part.setdefault("tilt", np.zeros(len(part["label"])))  # written before grasps could tilt
        parts.append(part)
    data = merge(parts)
    if float(data["cell_m"]) != CELL_M:
        raise ValueError(f"the data's height maps have {float(data['cell_m'])} m cells, the predictor {CELL_M} m")
    return data
