"""Generate grasp-trial data: the predictor's input for each tried grasp, labelled by its outcome.

    python -m griptalk.grasping.generate --placements 100 --seed 10 --out runs/grasp_data/train_s10.npz
    python -m griptalk.grasping.generate --placements 40 --seed 1 --held-out --out runs/grasp_data/test.npz

Each placement stands one object on the table (training: scene types, in half of the placements
unless --scene-type-share says otherwise, and random shapes 000-799; --held-out: random shapes
900-999 only) and tries `NOMINAL_PER_PLACEMENT` of the skill library's candidates (top-down and
tilted) and `BROAD_PER_PLACEMENT` of the broad sampler's (tilts spread over +-40 degrees; see
trials.py for how a trial runs). Candidates out of the arm's reach are dropped, and so is a
placement whose object falls through the table. The same seed gives the same data.

The file holds each placement's height map and each trial's candidate and outcome (see
dataset.py); the training command builds the patches from them.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from griptalk.grasping import heuristic
from griptalk.grasping.dataset import MAP_KEYS, TRIAL_KEYS
from griptalk.grasping.heightmap import CELL_M
from griptalk.grasping.sampler import sample_candidates
from griptalk.grasping.trials import SCENE_TYPES, GraspTrials, PlacementFailed, kind_names
from griptalk.skills.grasps import grasp_candidates

NOMINAL_PER_PLACEMENT = 4
BROAD_PER_PLACEMENT = 8
SCENE_TYPE_SHARE = 0.5  # of training placements; the rest are random shapes


def pick_kind(rng: np.random.Generator, held_out: bool, scene_type_share: float = SCENE_TYPE_SHARE) -> str:
    kinds = kind_names(held_out)
    if held_out:
        return str(rng.choice(kinds))
    if rng.uniform() < scene_type_share:
        return str(rng.choice(SCENE_TYPES))
    return str(rng.choice([k for k in kinds if k not in SCENE_TYPES]))


def generate(placements: int, seed: int, held_out: bool = False, trials: GraspTrials | None = None,
             progress=None, scene_type_share: float = SCENE_TYPE_SHARE) -> dict[str, np.ndarray]:
    """Run the trials of `placements` placements; arrays as dataset.py describes them."""
    if placements < 1:
        raise ValueError(f"placements must be >= 1, got {placements}")
    if not 0.0 <= scene_type_share <= 1.0:
        raise ValueError(f"scene_type_share must be in [0, 1], got {scene_type_share}")
    rng = np.random.default_rng(seed)
    own = trials is None
    trials = trials or GraspTrials()
    rows: dict[str, list] = {k: [] for k in MAP_KEYS + TRIAL_KEYS}
    try:
        for index in range(placements):
            try:
                p = trials.place(pick_kind(rng, held_out, scene_type_share), rng)
            except PlacementFailed:
                continue
            nominal = grasp_candidates(p.perceived, NOMINAL_PER_PLACEMENT, rng=rng)
            candidates = nominal + sample_candidates(p.perceived, BROAD_PER_PLACEMENT, rng)
            outcomes = [trials.attempt(c) for c in candidates]
            kept = [i for i, ok in enumerate(outcomes) if ok is not None]
            if not kept:
                continue
            chosen = [candidates[i] for i in kept]
            rows["placement"].append(np.full(len(kept), len(rows["map_origin"]), dtype=np.int32))
            rows["map_heights"].append(p.height_map.heights[None].astype(np.float16))
            rows["map_seen"].append(p.height_map.seen[None])
            rows["map_origin"].append(p.height_map.origin[None])
            rows["position"].append(np.array([c.position for c in chosen]))
            rows["yaw"].append(np.array([c.yaw for c in chosen]))
            rows["width"].append(np.array([c.width_m for c in chosen]))
            rows["tilt"].append(np.array([c.tilt for c in chosen]))
            rows["label"].append(np.array([outcomes[i] for i in kept], dtype=np.uint8))
            rows["kind"].append(np.array([p.kind] * len(kept)))
            rows["nominal"].append(np.array([i < len(nominal) for i in kept]))
            rows["heuristic"].append(heuristic.score(p.perceived, chosen).astype(np.float32))
            if progress is not None:
                progress(index + 1, sum(len(r) for r in rows["label"]))
    finally:
        if own:
            trials.close()
    if not rows["label"]:
        raise RuntimeError("no reachable grasp in any placement")
    return {"cell_m": np.float64(CELL_M), **{k: np.concatenate(v) for k, v in rows.items()}}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m griptalk.grasping.generate", description=__doc__.split("\n")[0])
    parser.add_argument("--placements", type=int, default=100, help="objects stood on the table, one at a time")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--held-out", action="store_true", help="only the shapes held out of training")
    parser.add_argument("--scene-type-share", type=float, default=SCENE_TYPE_SHARE,
                        help="share of training placements that stand a scene type (cube, duck, mug, lego)")
    parser.add_argument("--out", type=Path, required=True, help=".npz file to write")
    args = parser.parse_args(argv)
    if args.placements < 1:
        parser.error("--placements must be >= 1")
    if not 0.0 <= args.scene_type_share <= 1.0:
        parser.error("--scene-type-share must be in [0, 1]")
    started = time.monotonic()

    def progress(done: int, rows: int) -> None:
        if done % 10 == 0:
            elapsed = time.monotonic() - started
            print(f"{done}/{args.placements} placements, {rows} trials, {rows / elapsed:.1f} trials/s", flush=True)

    data = generate(args.placements, args.seed, args.held_out, progress=progress,
                    scene_type_share=args.scene_type_share)
    elapsed = time.monotonic() - started
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **data)
    n = len(data["label"])
    print(f"wrote {args.out}: {n} trials ({data['label'].mean():.2f} succeeded) in {elapsed:.0f} s, "
          f"{n / elapsed:.1f} trials/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
