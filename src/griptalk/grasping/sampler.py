"""A broad sampler of grasp candidates: the good, the bad and the marginal.

`skills.grasps.grasp_candidates` proposes the few grasps a box-shaped reading of the object
suggests. This sampler spreads candidates over everything a grasp can vary (where over the
object, the closing direction, how deep, how wide open, how far the approach tilts from
vertical), so that the data show the predictor failures as well as successes, and so that
picking among its candidates is a real choice.
"""
from __future__ import annotations

import numpy as np

from griptalk.robot import GRIPPER_MAX_WIDTH_M
from griptalk.skills.grasps import MAX_TILT_RAD, GraspCandidate, closing_extent, min_tcp_z
from griptalk.types import SceneObject

OFFSET_FRACTION = 0.6  # of each half extent, in the object's frame
EXTRA_OFFSET_M = 0.01  # beyond it, whatever the object's size
DEPTH_RANGE_M = (0.0, 0.045)  # TCP below the object's top
MIN_WIDTH_M = 0.02
EXTRA_WIDTH_RANGE_M = (0.0, 0.03)  # opening beyond the object's extent along the closing direction


def sample_candidates(obj: SceneObject, n: int, rng: np.random.Generator) -> list[GraspCandidate]:
    """n random grasps around `obj` (see the module's description)."""
    if n < 1:
        raise ValueError(f"sample_candidates: n must be >= 1, got {n}")
    if np.any(obj.size <= 0.0):
        raise ValueError(f"sample_candidates: {obj.id} has no size ({obj.size.tolist()})")
    c, s = np.cos(obj.yaw), np.sin(obj.yaw)
    half = OFFSET_FRACTION * obj.size[:2] / 2.0 + EXTRA_OFFSET_M
    candidates = []
    for _ in range(n):
        local = rng.uniform(-half, half)
        xy = obj.position[:2] + np.array([c * local[0] - s * local[1], s * local[0] + c * local[1]])
        yaw = float(rng.uniform(-np.pi / 2.0, np.pi / 2.0))
        tilt = float(rng.uniform(-MAX_TILT_RAD, MAX_TILT_RAD))
        z = max(obj.top_z - rng.uniform(*DEPTH_RANGE_M), min_tcp_z(tilt))
        extent = closing_extent(obj, yaw - np.pi / 2.0)
        width = float(np.clip(extent + rng.uniform(*EXTRA_WIDTH_RANGE_M), MIN_WIDTH_M, GRIPPER_MAX_WIDTH_M))
        candidates.append(GraspCandidate(np.array([xy[0], xy[1], z]), yaw, width, tilt))
    return candidates
