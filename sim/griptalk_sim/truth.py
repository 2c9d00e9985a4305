"""Ground-truth predicates on the simulator's object states: did the task really succeed?

Pure functions for tests, the CLI and benchmarks; never used by the stack to decide what to do.
Object positions are bounding-box centres; container geometry comes from scene.OBJECT_TYPES.
Directions are the robot's: x forward (behind = farther from the base), y left.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from griptalk.camera import quat_to_matrix
from griptalk_sim.scene import OBJECT_TYPES

TABLE_ID = "table"  # a support for relation "on" that is not an object
NEAR_M = 0.15  # centres closer than this are "near"
ON_TOLERANCE_M = 0.015  # gap allowed between a supported object's bottom and its support's top


@dataclass(frozen=True)
class ObjectState:
    id: str
    type: str
    color: str
    position: tuple[float, float, float]  # bounding-box centre in the base frame [m]
    quaternion: tuple[float, float, float, float]  # x, y, z, w
    yaw: float  # [rad] about z
    opening_m: float = 0.0  # a drawer's opening

    @property
    def size(self) -> tuple[float, float, float]:
        """Bounding-box extents in the object frame [m] (a drawer: its closed cabinet)."""
        return OBJECT_TYPES[self.type].size

    @property
    def yaw_deg(self) -> float:
        return math.degrees(self.yaw)

    def to_dict(self) -> dict:
        """The contract's `world.objects[]` entry."""
        return {"id": self.id, "type": self.type, "color": self.color,
                "position": [round(v, 4) for v in self.position], "yaw_deg": round(self.yaw_deg, 1)}


def _local(point, frame: ObjectState) -> np.ndarray:
    """A base-frame point in `frame`'s object frame."""
    return (np.asarray(point, dtype=float) - np.asarray(frame.position)) @ quat_to_matrix(frame.quaternion)


def _half_height(obj: ObjectState) -> float:
    """Half of the object's vertical extent in the base frame, whatever way it lies."""
    r = quat_to_matrix(obj.quaternion)
    return 0.5 * float(np.abs(r[2, :]) @ np.asarray(obj.size))


def is_in(obj: ObjectState, container: ObjectState) -> bool:
    """`obj`'s centre is within the container's walls and its bottom is between the floor and the rim."""
    cavity = OBJECT_TYPES[container.type].cavity
    if cavity is None or obj.id == container.id:
        return False
    x, y, _ = _local(obj.position, container)
    if cavity.slides_x:
        x -= container.opening_m
    bottom = float(obj.position[2]) - _half_height(obj)
    floor_z, rim_z = (float(container.position[2]) + z for z in cavity.z)
    if not floor_z - 0.01 <= bottom <= rim_z:
        return False
    cx, cy = (cavity.x[0] + cavity.x[1]) / 2, (cavity.y[0] + cavity.y[1]) / 2
    hx, hy = (cavity.x[1] - cavity.x[0]) / 2, (cavity.y[1] - cavity.y[0]) / 2
    if cavity.round:
        return ((x - cx) / hx) ** 2 + ((y - cy) / hy) ** 2 <= 1.0
    return abs(x - cx) <= hx and abs(y - cy) <= hy


def is_on(obj: ObjectState, support: ObjectState) -> bool:
    """`obj` rests on top of `support`: centre above its footprint, bottom at its top."""
    if obj.id == support.id:
        return False
    x, y, _ = _local(obj.position, support)
    sx, sy, _ = support.size
    top = float(support.position[2]) + _half_height(support)
    bottom = float(obj.position[2]) - _half_height(obj)
    return abs(x) <= sx / 2 and abs(y) <= sy / 2 and abs(bottom - top) <= ON_TOLERANCE_M


def is_on_table(obj: ObjectState) -> bool:
    return abs(float(obj.position[2]) - _half_height(obj)) <= ON_TOLERANCE_M


def relation_holds(states: list[ObjectState], subject_id: str, relation: str, target_id: str) -> bool:
    """Whether `subject relation target` is true (relations of griptalk.types.RELATIONS)."""
    by_id = {s.id: s for s in states}
    if subject_id not in by_id:
        raise ValueError(f"unknown object {subject_id!r}; known: {', '.join(by_id)}")
    subject = by_id[subject_id]
    if relation == "on" and target_id == TABLE_ID:
        return is_on_table(subject)
    if target_id not in by_id:
        raise ValueError(f"unknown object {target_id!r}; known: {', '.join(by_id)}")
    target = by_id[target_id]
    sx, sy, _ = subject.position
    tx, ty, _ = target.position
    checks = {
        "in": lambda: is_in(subject, target),
        "inside_drawer": lambda: target.type == "drawer" and is_in(subject, target),
        "on": lambda: is_on(subject, target),
        "left_of": lambda: sy > ty,
        "right_of": lambda: sy < ty,
        "behind": lambda: sx > tx,
        "in_front_of": lambda: sx < tx,
        "near": lambda: math.dist(subject.position, target.position) < NEAR_M,
    }
    if relation not in checks:
        raise ValueError(f"unknown relation {relation!r}; known: {', '.join(checks)}")
    return bool(checks[relation]())


def moved(before: list[ObjectState], after: list[ObjectState], tol_m: float = 0.005, tol_deg: float = 2.0) -> list[str]:
    """Ids of objects whose pose (or drawer opening) changed by more than the tolerances."""
    after_by_id = {s.id: s for s in after}
    changed = []
    for b in before:
        a = after_by_id.get(b.id)
        if a is None:
            raise ValueError(f"object {b.id!r} is missing from the later states")
        dot = abs(float(np.dot(b.quaternion, a.quaternion)))
        angle_deg = math.degrees(2.0 * math.acos(min(1.0, dot)))
        if (math.dist(b.position, a.position) > tol_m or angle_deg > tol_deg
                or abs(b.opening_m - a.opening_m) > tol_m):
            changed.append(b.id)
    return changed
