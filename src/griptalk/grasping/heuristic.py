"""Hand-written grasp quality: a score in [0, 1] for a grasp candidate on an object.

The score is the product of four factors, each in [0, 1], so any one that rules the grasp
out (fingers landing on the object, palm hitting it, fingertips in the table) zeroes it:

- alignment: the closing direction against the object's face normals, modulo the box's
  90-degree symmetry: cos(2 * error), 1 when square to a face pair, 0 on the diagonal where
  the fingers meet edges. Round objects (grasps.ROUND_CLASSES) always score 1.
- centring: 1 - (d / r)^2 for a horizontal offset d from the object's centre, r half the
  object's smaller footprint extent: off-centre grasps twist the object as the fingers close.
- width: per-side clearance between the open fingers and the object's extent along the
  closing direction, rising linearly to 1 at 5 mm; 0 when the object is wider than the
  opening or the gripper's maximum width.
- depth: TCP depth below the object's top, piecewise linear through 2 mm (0), 10-25 mm (1)
  and 35 mm (0, the palm meets the top); 0 when the fingertips would go into the table.

The approach's tilt only counts through the table: the factors above judge the fingers where they
close, which the tilt (about the closing axis) leaves level.

`score` has the signature the learned predictor keeps: (object, candidates) -> scores.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from griptalk.robot import GRIPPER_MAX_WIDTH_M
from griptalk.skills.grasps import ROUND_CLASSES, GraspCandidate, closing_extent, min_tcp_z
from griptalk.types import SceneObject

FULL_CLEARANCE_PER_SIDE_M = 0.005
DEPTH_POINTS_M = (0.002, 0.010, 0.025, 0.035)
DEPTH_VALUES = (0.0, 1.0, 1.0, 0.0)


def alignment_factor(obj: SceneObject, candidate: GraspCandidate) -> float:
    if obj.object_class in ROUND_CLASSES:
        return 1.0
    closing_angle = candidate.yaw - np.pi / 2.0
    quarter = np.pi / 2.0
    error = abs((closing_angle - obj.yaw + quarter / 2.0) % quarter - quarter / 2.0)
    return float(max(0.0, np.cos(2.0 * error)))


def centring_factor(obj: SceneObject, candidate: GraspCandidate) -> float:
    offset = float(np.linalg.norm(candidate.position[:2] - obj.position[:2]))
    radius = 0.5 * float(min(obj.size[0], obj.size[1]))
    return float(max(0.0, 1.0 - (offset / radius) ** 2))


def width_factor(obj: SceneObject, candidate: GraspCandidate) -> float:
    extent = closing_extent(obj, candidate.yaw - np.pi / 2.0)
    if extent >= GRIPPER_MAX_WIDTH_M or candidate.width_m > GRIPPER_MAX_WIDTH_M:
        return 0.0
    clearance_per_side = 0.5 * (candidate.width_m - extent)
    return float(np.clip(clearance_per_side / FULL_CLEARANCE_PER_SIDE_M, 0.0, 1.0))


def depth_factor(obj: SceneObject, candidate: GraspCandidate) -> float:
    if candidate.position[2] < min_tcp_z(candidate.tilt) - 1e-9:
        return 0.0
    depth = obj.top_z - float(candidate.position[2])
    return float(np.interp(depth, DEPTH_POINTS_M, DEPTH_VALUES, left=0.0, right=0.0))


def score_grasp(obj: SceneObject, candidate: GraspCandidate) -> float:
    """Heuristic quality in [0, 1] of `candidate` on `obj` (see the module's description)."""
    if np.any(obj.size[:2] <= 0.0):
        raise ValueError(f"score_grasp: {obj.id} has no footprint ({obj.size.tolist()})")
    return (alignment_factor(obj, candidate) * centring_factor(obj, candidate)
            * width_factor(obj, candidate) * depth_factor(obj, candidate))


def score(obj: SceneObject, candidates: Sequence[GraspCandidate]) -> np.ndarray:
    """Scores (N,) in [0, 1] for each candidate on `obj`."""
    return np.array([score_grasp(obj, c) for c in candidates], dtype=float)
