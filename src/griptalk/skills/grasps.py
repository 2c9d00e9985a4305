"""Top-down grasp candidates for an object, and the gripper orientation of a grasp.

A grasp's yaw is the direction of the hand's x axis in the base frame; the fingers close
along the hand's y axis, across that direction. The gripper is symmetric under a half turn,
so yaw and yaw + pi are the same grasp: `normalize_yaw` picks the one nearer the wrist.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from griptalk.camera import matrix_to_quat, quat_to_matrix
from griptalk.robot import GRIPPER_MAX_WIDTH_M
from griptalk.types import SceneObject

APPROACHES = ("top",)
# Classes without flat faces to align with: any closing direction sees their largest extent.
ROUND_CLASSES = frozenset({"bowl", "duck"})

NOMINAL_DEPTH_M = 0.015  # TCP below the object's top: the pads cover its upper part
DEPTH_RANGE_M = (0.010, 0.020)
# Fingertips reach 11 mm below the TCP: keep them off the table (table top z = 0).
MIN_TCP_Z_M = 0.015
WIDTH_MARGIN_M = 0.015  # opening beyond the object's extent, both sides together
MAX_POSITION_OFFSET_M = 0.005
ROUND_YAW_COUNT = 4  # closing directions tried on round objects, spread over a half turn


@dataclass
class GraspCandidate:
    """A top-down grasp: TCP position (3,) [m], yaw [rad], opening width [m]."""

    position: np.ndarray
    yaw: float
    width_m: float
    approach: str = "top"

    def __post_init__(self) -> None:
        self.position = np.asarray(self.position, dtype=float).reshape(3)
        self.yaw = float(self.yaw)
        self.width_m = float(self.width_m)
        if not (np.all(np.isfinite(self.position)) and np.isfinite(self.yaw)):
            raise ValueError("GraspCandidate: position and yaw must be finite")
        if not 0.0 < self.width_m <= GRIPPER_MAX_WIDTH_M:
            raise ValueError(f"GraspCandidate: width_m must be in (0, {GRIPPER_MAX_WIDTH_M}], got {self.width_m}")
        if self.approach not in APPROACHES:
            raise ValueError(f"GraspCandidate: approach must be one of {APPROACHES}, got {self.approach!r}")

    @property
    def closing_direction(self) -> np.ndarray:
        """Unit vector (2,) in the table plane along which the fingers close."""
        return np.array([np.sin(self.yaw), -np.cos(self.yaw)])

    @property
    def orientation(self) -> np.ndarray:
        return grasp_orientation(self.yaw)


def grasp_orientation(yaw: float) -> np.ndarray:
    """Quaternion (x, y, z, w) of the TCP pointing straight down with its x axis at `yaw`."""
    c, s = np.cos(yaw), np.sin(yaw)
    # Columns: hand x along yaw, hand y across it (the closing axis), hand z down.
    rotation = np.array([[c, s, 0.0], [s, -c, 0.0], [0.0, 0.0, -1.0]])
    return matrix_to_quat(rotation)


def wrist_yaw(quaternion) -> float:
    """Yaw [rad] of the TCP's x axis projected on the table plane."""
    x_axis = quat_to_matrix(quaternion)[:, 0]
    return float(np.arctan2(x_axis[1], x_axis[0]))


def wrap_angle(angle: float) -> float:
    """Angle wrapped to [-pi, pi)."""
    return float((angle + np.pi) % (2.0 * np.pi) - np.pi)


def normalize_yaw(yaw: float, reference_yaw: float) -> float:
    """The grasp yaw equivalent to `yaw` (modulo pi) within +-90 degrees of `reference_yaw`."""
    return float(reference_yaw + (wrap_angle(2.0 * (yaw - reference_yaw)) / 2.0))


def closing_extent(obj: SceneObject, closing_angle: float) -> float:
    """Object's width [m] along a closing direction at `closing_angle` [rad] in the table plane."""
    if obj.object_class in ROUND_CLASSES:
        return float(max(obj.size[0], obj.size[1]))
    relative = closing_angle - obj.yaw
    return float(abs(np.cos(relative)) * obj.size[0] + abs(np.sin(relative)) * obj.size[1])


def grasp_candidates(obj: SceneObject, n: int = 16, rng: np.random.Generator | None = None,
                     reference_yaw: float = 0.0) -> list[GraspCandidate]:
    """Up to n top-down grasps of `obj`, the nominal ones (centred, nominal depth) first.

    Box-like objects are grasped across a pair of faces (yaw = object yaw + k * 90 degrees),
    the narrower pair first; round ones from evenly spread directions. The rest add random
    offsets of up to 5 mm in position and a depth of 1-2 cm below the top. Yaws lie within
    +-90 degrees of `reference_yaw` (the wrist's yaw). Empty when the object is wider than the
    gripper opens in every direction. `rng` defaults to a fixed seed, so results repeat.
    """
    if n < 1:
        raise ValueError(f"grasp_candidates: n must be >= 1, got {n}")
    if np.any(obj.size <= 0.0):
        raise ValueError(f"grasp_candidates: {obj.id} has no size ({obj.size.tolist()})")
    rng = np.random.default_rng(0) if rng is None else rng
    if obj.object_class in ROUND_CLASSES:
        yaws = [obj.yaw + k * np.pi / ROUND_YAW_COUNT for k in range(ROUND_YAW_COUNT)]
    else:
        yaws = sorted((obj.yaw + k * np.pi / 2.0 for k in range(2)),
                      key=lambda yaw: closing_extent(obj, yaw - np.pi / 2.0))
    fitting = []
    for yaw in yaws:
        extent = closing_extent(obj, yaw - np.pi / 2.0)
        if extent + 0.5 * WIDTH_MARGIN_M <= GRIPPER_MAX_WIDTH_M:
            fitting.append((normalize_yaw(yaw, reference_yaw), min(extent + WIDTH_MARGIN_M, GRIPPER_MAX_WIDTH_M)))
    if not fitting:
        return []
    candidates = []
    for i in range(n):
        yaw, width = fitting[i % len(fitting)]
        if i < len(fitting):
            offset, depth = np.zeros(2), NOMINAL_DEPTH_M
        else:
            offset = rng.uniform(-MAX_POSITION_OFFSET_M, MAX_POSITION_OFFSET_M, size=2)
            depth = rng.uniform(*DEPTH_RANGE_M)
        z = max(obj.top_z - depth, MIN_TCP_Z_M)
        candidates.append(GraspCandidate(np.array([*(obj.position[:2] + offset), z]), yaw, width))
    return candidates
