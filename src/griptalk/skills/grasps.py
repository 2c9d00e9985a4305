"""Grasp candidates for an object, top-down and tilted, and the gripper orientation of a grasp.

A grasp's yaw is the direction of the hand's x axis in the base frame; the fingers close
along the hand's y axis, across that direction. Its tilt turns the hand about that closing
axis, so the fingers still close level: at tilt t the approach axis (the hand's z, from the
wrist to the fingertips) leans sin(t) towards the yaw direction. The gripper is symmetric under
a half turn about its approach axis, so (yaw, tilt) and (yaw + pi, -tilt) are the same grasp:
`normalize_yaw` picks the yaw nearer the wrist, `twin_tilt` the tilt that goes with it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from griptalk.camera import matrix_to_quat, quat_to_matrix
from griptalk.robot import GRIPPER_MAX_WIDTH_M
from griptalk.types import SceneObject

# Classes without flat faces to align with: any closing direction sees their largest extent.
ROUND_CLASSES = frozenset({"bowl", "duck"})

NOMINAL_DEPTH_M = 0.015  # TCP below the object's top: the pads cover its upper part
DEPTH_RANGE_M = (0.010, 0.020)
# The finger pads reach 11 mm beyond the TCP along the approach axis and 11 mm either side of it
# along the hand's x axis: keep their lowest corner this far above the table (table top z = 0).
FINGERTIP_BEYOND_TCP_M = 0.011
FINGER_HALF_LENGTH_M = 0.011
FINGER_THICKNESS_M = 0.010  # beyond the opening's edge, along the closing axis
TABLE_CLEARANCE_M = 0.004
MIN_TCP_Z_M = TABLE_CLEARANCE_M + FINGERTIP_BEYOND_TCP_M  # top-down
MAX_TILT_RAD = np.radians(40.0)
NOMINAL_TILT_RAD = np.radians(25.0)  # the tilted ones among the library's candidates
WIDTH_MARGIN_M = 0.015  # opening beyond the object's extent, both sides together
MAX_POSITION_OFFSET_M = 0.005
# Tilted grasps hold lower on the object: a finger closing on a cube off centre pushes it sideways, and
# with the pads tilted a shallow hold tips it against the table, which the wrist feels (PyBullet, 5 mm off
# centre at 25 degrees: 14 N held over 0.05 s at 10 mm deep, 9 N at 18 mm).
TILTED_MIN_DEPTH_M = 0.018
ROUND_YAW_COUNT = 4  # closing directions tried on round objects, spread over a half turn


@dataclass
class GraspCandidate:
    """A grasp: TCP position (3,) [m], yaw [rad], opening width [m], tilt [rad] (0: top-down)."""

    position: np.ndarray
    yaw: float
    width_m: float
    tilt: float = 0.0

    def __post_init__(self) -> None:
        self.position = np.asarray(self.position, dtype=float).reshape(3)
        self.yaw = float(self.yaw)
        self.width_m = float(self.width_m)
        self.tilt = float(self.tilt)
        if not (np.all(np.isfinite(self.position)) and np.isfinite(self.yaw)):
            raise ValueError("GraspCandidate: position and yaw must be finite")
        if not abs(self.tilt) <= MAX_TILT_RAD + 1e-9:
            raise ValueError(f"GraspCandidate: tilt must be within +-{np.degrees(MAX_TILT_RAD):.0f} degrees, "
                             f"got {np.degrees(self.tilt):.1f}")
        if not 0.0 < self.width_m <= GRIPPER_MAX_WIDTH_M:
            raise ValueError(f"GraspCandidate: width_m must be in (0, {GRIPPER_MAX_WIDTH_M}], got {self.width_m}")

    @property
    def closing_direction(self) -> np.ndarray:
        """Unit vector (2,) in the table plane along which the fingers close."""
        return np.array([np.sin(self.yaw), -np.cos(self.yaw)])

    @property
    def orientation(self) -> np.ndarray:
        return grasp_orientation(self.yaw, self.tilt)

    @property
    def approach_direction(self) -> np.ndarray:
        """Unit vector (3,) along which the TCP moves onto the grasp: the hand's z axis."""
        return approach_direction(self.yaw, self.tilt)

    def pre_grasp(self, distance_m: float) -> np.ndarray:
        """The TCP position `distance_m` back along the approach axis from the grasp."""
        return self.position - distance_m * self.approach_direction


def grasp_rotation(yaw: float, tilt: float = 0.0) -> np.ndarray:
    """Rotation matrix of the TCP with its x axis at `yaw`, pointing down, turned by `tilt` about its y axis.

    Columns: hand x along yaw (raised by the tilt), hand y across it (the closing axis, level),
    hand z down (leaning towards the yaw by the tilt).
    """
    c, s = np.cos(yaw), np.sin(yaw)
    ct, st = np.cos(tilt), np.sin(tilt)
    return np.array([[c * ct, s, c * st], [s * ct, -c, s * st], [st, 0.0, -ct]])


def grasp_orientation(yaw: float, tilt: float = 0.0) -> np.ndarray:
    """grasp_rotation as a quaternion (x, y, z, w)."""
    return matrix_to_quat(grasp_rotation(yaw, tilt))


def approach_direction(yaw: float, tilt: float = 0.0) -> np.ndarray:
    return np.array([np.cos(yaw) * np.sin(tilt), np.sin(yaw) * np.sin(tilt), -np.cos(tilt)])


def wrist_yaw(quaternion) -> float:
    """Yaw [rad] of the TCP's x axis projected on the table plane."""
    x_axis = quat_to_matrix(quaternion)[:, 0]
    return float(np.arctan2(x_axis[1], x_axis[0]))


def hand_tilt(quaternion) -> float:
    """Tilt [rad] of the TCP (see grasp_orientation): how far its x axis rises above the table plane."""
    return float(np.arcsin(np.clip(quat_to_matrix(quaternion)[2, 0], -1.0, 1.0)))


def twin_tilt(tilt: float, yaw: float, new_yaw: float) -> float:
    """The tilt that makes `new_yaw` (yaw or its half-turn twin) the same grasp as (yaw, tilt)."""
    return float(tilt if np.cos(new_yaw - yaw) >= 0.0 else -tilt)


def min_tcp_z(tilt: float) -> float:
    """Lowest TCP height [m] at `tilt` that keeps the finger pads TABLE_CLEARANCE_M above the table."""
    return float(TABLE_CLEARANCE_M + FINGERTIP_BEYOND_TCP_M * np.cos(tilt)
                 + FINGER_HALF_LENGTH_M * abs(np.sin(tilt)))


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
    """Up to n grasps of `obj`, the nominal ones (centred, nominal depth) first: top-down, then tilted.

    Box-like objects are grasped across a pair of faces (yaw = object yaw + k * 90 degrees),
    the narrower pair first; round ones from evenly spread directions. Each direction is tried
    top-down and tilted by +-NOMINAL_TILT_RAD. The rest add random offsets of up to 5 mm in
    position and a depth of 1-2 cm below the top. Yaws lie within +-90 degrees of
    `reference_yaw` (the wrist's yaw). Empty when the object is wider than the gripper opens in
    every direction. `rng` defaults to a fixed seed, so results repeat.
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
    nominal = [(yaw, width, tilt) for tilt in (0.0, NOMINAL_TILT_RAD, -NOMINAL_TILT_RAD) for yaw, width in fitting]
    candidates = []
    for i in range(n if nominal else 0):
        yaw, width, tilt = nominal[i % len(nominal)]
        if i < len(nominal):
            offset, depth = np.zeros(2), NOMINAL_DEPTH_M
        else:
            offset = rng.uniform(-MAX_POSITION_OFFSET_M, MAX_POSITION_OFFSET_M, size=2)
            depth = rng.uniform(*DEPTH_RANGE_M)
        if tilt != 0.0:
            depth = max(depth, TILTED_MIN_DEPTH_M)
        z = max(obj.top_z - depth, min_tcp_z(tilt))
        candidates.append(GraspCandidate(np.array([*(obj.position[:2] + offset), z]), yaw, width, tilt))
    return candidates
