"""The learned grasp-success predictor: a small CNN on the grasp-aligned height patch.

`GraspNet` maps a patch (heightmap.CHANNELS x PATCH_CELLS x PATCH_CELLS) and the gripper's
parameters to the logit of "the object is still held after lift and shake". `GraspPredictor`
loads the shipped weights and scores candidates from a depth image: it builds the height map
of the object's neighbourhood once, then one patch per candidate, and runs them as one batch.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from griptalk.camera import CameraModel
from griptalk.grasping.heightmap import (CELL_M, CHANNELS, FEATURES, PATCH_CELLS, TILT_FEATURE, HeightMap,
                                         grasp_patches, object_window, window_camera)
from griptalk.skills.grasps import GraspCandidate
from griptalk.types import SceneObject

DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "weights" / "grasp_net.pt"


class GraspNet(nn.Module):
    """Three strided convolutions and a small head: scoring 100 candidates must take about a millisecond.

    (Strided convolutions rather than pooling: on one CPU thread max-pooling costs more than the convolutions.)
    """

    def __init__(self, width: int = 8) -> None:
        super().__init__()
        if width < 1:
            raise ValueError(f"GraspNet: width must be >= 1, got {width}")
        self.width = width
        self.conv = nn.Sequential(
            nn.Conv2d(CHANNELS, width, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(width, 2 * width, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(2 * width, 2 * width, 3, stride=2, padding=1), nn.ReLU(),
            nn.Flatten())
        side = PATCH_CELLS
        for _ in range(3):
            side = (side + 1) // 2  # a stride-2, padding-1, 3x3 convolution's output side
        self.head = nn.Sequential(nn.Linear(2 * width * side * side + len(FEATURES), 32), nn.ReLU(), nn.Dropout(0.2),
                                  nn.Linear(32, 1))

    def forward(self, patches: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        """Logits (N,) of grasp success."""
        return self.head(torch.cat([self.conv(patches), features], dim=1)).squeeze(1)


def mirrored(patches: torch.Tensor, features: torch.Tensor, along_x: bool,
             across: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """The same grasps seen mirrored: the gripper is symmetric both ways, so a patch flipped along the
    hand's x axis (rows; the approach then leans the other way: tilt negated) or across the closing
    direction (columns) shows the same grasp."""
    dims = [d for d, flip in ((2, along_x), (3, across)) if flip]
    if along_x:
        features = features.clone()
        features[:, TILT_FEATURE] *= -1.0
    return (torch.flip(patches, dims) if dims else patches), features


def save_weights(net: GraspNet, path: Path, meta: dict) -> None:
    """The net in half precision with what it was trained on (patch geometry, data, figures)."""
    state = {k: v.half() for k, v in net.state_dict().items()}
    torch.save({"state_dict": state, "width": net.width, "channels": CHANNELS, "patch_cells": PATCH_CELLS,
                "cell_m": CELL_M, "features": list(FEATURES), "meta": meta}, path)


class GraspPredictor:
    """Scores grasp candidates on an object from the scene camera's depth image."""

    def __init__(self, weights: Path | str = DEFAULT_WEIGHTS, torch_threads: int = 1) -> None:
        path = Path(weights)
        if not path.is_file():
            raise FileNotFoundError(f"no grasp predictor weights at {path}; train them with "
                                    f"`python -m griptalk.grasping.train` (see its docstring)")
        if torch_threads < 1:
            raise ValueError(f"torch_threads must be >= 1, got {torch_threads}")
        torch.set_num_threads(torch_threads)
        saved = torch.load(path, map_location="cpu", weights_only=True)
        layout = (saved.get("channels"), saved["patch_cells"], saved["cell_m"], tuple(saved["features"]))
        if layout != (CHANNELS, PATCH_CELLS, CELL_M, FEATURES):
            raise ValueError(f"{path} was trained on another patch layout: retrain it")
        self.net = GraspNet(saved["width"])
        try:
            self.net.load_state_dict({k: v.float() for k, v in saved["state_dict"].items()})
        except RuntimeError as e:
            raise ValueError(f"{path} holds another GraspNet architecture: retrain it ({e})") from e
        self.net.eval()
        self.meta = saved["meta"]

    def predict(self, patches: np.ndarray, features: np.ndarray) -> np.ndarray:
        """Success probabilities (N,) for prepared patches and features: the mean over each grasp's four
        mirror views (`mirrored`; training sees them all), as one batch."""
        n = len(patches)
        if n == 0:
            return np.zeros(0)
        patches = torch.from_numpy(np.asarray(patches, np.float32))
        features = torch.from_numpy(np.asarray(features, np.float32))
        views = [mirrored(patches, features, along_x, across) for along_x in (False, True) for across in (False, True)]
        with torch.inference_mode():
            logits = self.net(torch.cat([p for p, _ in views]), torch.cat([f for _, f in views]))
        return torch.sigmoid(logits).reshape(len(views), n).mean(dim=0).numpy().astype(float)

    def score(self, obj: SceneObject, candidates: Sequence[GraspCandidate], depth: np.ndarray,
              camera: CameraModel) -> np.ndarray:
        """Success probabilities (N,) of `candidates` on `obj`, seen in `depth` (the whole image of `camera`)."""
        depth = np.asarray(depth)
        if depth.shape != (camera.height, camera.width):
            raise ValueError(f"depth image is {depth.shape}, the camera sees ({camera.height}, {camera.width})")
        u0, v0, w, h = window = object_window(camera, obj)
        height_map = HeightMap.from_depth(depth[v0:v0 + h, u0:u0 + w], window_camera(camera, window),
                                          obj.position[:2])
        return self.predict(*grasp_patches(height_map, candidates))
