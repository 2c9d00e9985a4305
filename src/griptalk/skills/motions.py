"""The motions of each skill as segments the skill server executes in order.

A skill is a list of segments: `MoveSegment` (joint waypoints, which the server
time-parameterises; waypoints[0] is where the previous segment ends) and `GripperSegment`.
Segment names are the feedback phases in `PHASES`. Planning either returns the whole list
or a reason string, before anything moves: an unreachable pose never starts a motion.

Straight Cartesian lines are followed through IK waypoints a few centimetres apart, each
seeded from the previous one; moves across the table run at a transport height that keeps
the hand (and what it holds) above the other objects.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from griptalk.robot import GRIPPER_MAX_WIDTH_M, PANDA_HOME, PANDA_JOINTS, PANDA_LIMITS
from griptalk.skills.grasps import (MIN_TCP_Z_M, NOMINAL_DEPTH_M, WIDTH_MARGIN_M, GraspCandidate,
                                    grasp_orientation, normalize_yaw, wrist_yaw)
from griptalk.skills.kinematics import ArmKinematics
from griptalk.types import SceneObject

PHASES = ("approach", "descend", "close", "lift", "transport", "lower", "release", "retreat", "home")
PLACE_RELATIONS = ("on", "in")


@dataclass(frozen=True)
class MoveSegment:
    name: str
    waypoints: np.ndarray  # (M >= 2, 7) joint positions [rad]

    def __post_init__(self) -> None:
        if self.name not in PHASES:
            raise ValueError(f"MoveSegment: unknown phase {self.name!r}; known: {', '.join(PHASES)}")
        waypoints = np.asarray(self.waypoints, dtype=float)
        if waypoints.ndim != 2 or waypoints.shape[0] < 2 or waypoints.shape[1] != len(PANDA_JOINTS):
            raise ValueError(f"MoveSegment {self.name}: waypoints must have shape (M >= 2, 7), got {waypoints.shape}")
        object.__setattr__(self, "waypoints", waypoints)


@dataclass(frozen=True)
class GripperSegment:
    name: str
    width_m: float
    force_n: float

    def __post_init__(self) -> None:
        if self.name not in PHASES:
            raise ValueError(f"GripperSegment: unknown phase {self.name!r}; known: {', '.join(PHASES)}")
        if not 0.0 <= self.width_m <= GRIPPER_MAX_WIDTH_M:
            raise ValueError(f"GripperSegment {self.name}: width_m must be in [0, {GRIPPER_MAX_WIDTH_M}], got {self.width_m}")
        if not self.force_n > 0.0:
            raise ValueError(f"GripperSegment {self.name}: force_n must be > 0, got {self.force_n}")


Segment = MoveSegment | GripperSegment


@dataclass(frozen=True)
class MotionConfig:
    approach_height_m: float = 0.10  # pre-grasp TCP height above the grasp
    lift_height_m: float = 0.15
    transport_height_m: float = 0.20  # lowest TCP height for moves across the table
    obstacle_clearance_m: float = 0.05  # held object's bottom above other objects' tops
    place_clearance_m: float = 0.015  # held object's bottom above the target when released
    descend_steps: int = 5  # IK waypoints on the descent to the grasp
    cartesian_step_m: float = 0.03  # spacing of IK waypoints on other straight lines
    max_joint_step_rad: float = 0.5  # larger jumps between waypoints mean IK changed branch
    grip_force_n: float = 15.0
    min_tcp_z_m: float = MIN_TCP_Z_M

    def __post_init__(self) -> None:
        for name in ("approach_height_m", "lift_height_m", "transport_height_m", "obstacle_clearance_m",
                     "place_clearance_m", "cartesian_step_m", "max_joint_step_rad", "grip_force_n"):
            if not getattr(self, name) > 0.0:
                raise ValueError(f"MotionConfig.{name} must be > 0, got {getattr(self, name)}")
        if self.descend_steps < 1:
            raise ValueError(f"MotionConfig.descend_steps must be >= 1, got {self.descend_steps}")
        if not 0.0 < self.min_tcp_z_m < self.transport_height_m:
            raise ValueError(f"MotionConfig.min_tcp_z_m must be in (0, transport_height_m), got {self.min_tcp_z_m}")


_SAME_POSITION_M = 1e-3
_SAME_ANGLE_RAD = 1e-3
_WRIST_COMFORT_RAD = 1.0


class _Unreachable(Exception):
    """A pose on the planned path has no IK solution; the message says which."""


def plan_grasp(kin: ArmKinematics, q_start, candidate: GraspCandidate,
               obstacles: Sequence[SceneObject] = (), config: MotionConfig = MotionConfig()
               ) -> list[Segment] | str:
    """Open, approach 10 cm above the grasp, descend straight onto it, close, lift 15 cm.

    Of the candidate's yaw and its half-turn twin, tries first the one that leaves the wrist
    (joint 7) well inside its range, turning it least (see `_wrist_friendly_yaws`).
    Returns a reason starting "no reachable grasp:" when neither can be reached.
    """
    q_start = _joints(q_start)
    yaws = _wrist_friendly_yaws(kin, q_start, candidate.position, candidate.yaw)
    if not yaws:
        return f"no reachable grasp: the grasp pose {_fmt(candidate.position)} is out of the arm's reach"
    reasons = []
    for yaw in yaws:
        try:
            return _grasp_segments(kin, q_start, candidate, yaw, obstacles, config)
        except _Unreachable as error:
            reasons.append(str(error))
    return f"no reachable grasp: {reasons[0]}"


def plan_place(kin: ArmKinematics, q_start, target: SceneObject, relation: str, held_object: SceneObject,
               grasp_depth_m: float = NOMINAL_DEPTH_M, obstacles: Sequence[SceneObject] = (),
               config: MotionConfig = MotionConfig()) -> list[Segment] | str:
    """Carry the held object above the target, lower it onto ("on") or into ("in") it, open, retreat.

    `grasp_depth_m` is how far below the held object's top the TCP grasped it: with its height it
    says where the object's bottom hangs. For "on" its bottom is released `place_clearance_m`
    above the target's top; for "in" half-way down the target (at least that clearance above
    its base). Returns a reason string when the object does not fit or a pose is unreachable.
    """
    q_start = _joints(q_start)
    if relation not in PLACE_RELATIONS:
        return f"cannot place {relation!r}: only {' and '.join(PLACE_RELATIONS)} are supported"
    held_footprint = float(np.max(held_object.size[:2]))
    if relation == "in" and held_footprint >= float(np.min(target.size[:2])):
        return f"cannot place in {target.id}: {held_object.id} ({held_footprint:.3f} m) does not fit"
    hang = float(held_object.size[2]) - grasp_depth_m  # held object's bottom below the TCP
    target_base = float(target.position[2] - target.size[2] / 2.0)
    if relation == "on":
        bottom_z = target.top_z + config.place_clearance_m
    else:
        bottom_z = target_base + max(0.5 * float(target.size[2]), config.place_clearance_m)
    release = np.array([target.position[0], target.position[1], bottom_z + hang])
    others = [o for o in obstacles if o.id not in (target.id, held_object.id)]
    travel_z = max(_travel_height(others, hang, config), target.top_z + hang + config.obstacle_clearance_m)
    above = np.array([release[0], release[1], max(travel_z, release[2])])
    yaws = _wrist_friendly_yaws(kin, q_start, release, wrist_yaw(kin.fk(q_start)[1]))
    if not yaws:
        return f"cannot place {relation} {target.id}: the release pose {_fmt(release)} is out of the arm's reach"
    reasons = []
    for yaw in yaws:
        try:
            orientation = grasp_orientation(yaw)
            transport = _transit(kin, q_start, above, orientation, travel_z, config)
            lower = _line(kin, transport[-1], release, orientation, config)
            retreat = _line(kin, lower[-1], above, orientation, config)
        except _Unreachable as error:
            reasons.append(str(error))
            continue
        return [MoveSegment("transport", transport), MoveSegment("lower", lower),
                GripperSegment("release", min(GRIPPER_MAX_WIDTH_M, held_footprint + 2 * WIDTH_MARGIN_M),
                               config.grip_force_n),
                MoveSegment("retreat", retreat)]
    return f"cannot place {relation} {target.id}: {reasons[0]}"


def plan_home(kin: ArmKinematics, q_start, config: MotionConfig = MotionConfig()) -> list[Segment] | str:
    """Rise straight up to the transport height when below it, then move to the home pose."""
    q_start = _joints(q_start)
    position, orientation = kin.fk(q_start)
    waypoints = [q_start]
    if position[2] < config.transport_height_m - _SAME_POSITION_M:
        try:
            waypoints.extend(_line(kin, q_start, [position[0], position[1], config.transport_height_m],
                                   orientation, config)[1:])
        except _Unreachable as error:
            return f"cannot go home: {error}"
    waypoints.append(PANDA_HOME.copy())
    return [MoveSegment("home", np.array(waypoints))]


def _grasp_segments(kin, q_start, candidate, yaw, obstacles, config) -> list[Segment]:
    orientation = grasp_orientation(yaw)
    grasp = candidate.position
    pre_grasp = grasp + np.array([0.0, 0.0, config.approach_height_m])
    lifted = grasp + np.array([0.0, 0.0, config.lift_height_m])
    travel_z = max(_travel_height(obstacles, 0.0, config), pre_grasp[2])
    approach = _transit(kin, q_start, pre_grasp, orientation, travel_z, config)
    descend = _line(kin, approach[-1], grasp, orientation, config, steps=config.descend_steps)
    lift = _line(kin, descend[-1], lifted, orientation, config)
    return [GripperSegment("approach", candidate.width_m, config.grip_force_n),
            MoveSegment("approach", approach), MoveSegment("descend", descend),
            GripperSegment("close", 0.0, config.grip_force_n), MoveSegment("lift", lift)]


def _wrist_friendly_yaws(kin, q_seed, position, yaw: float) -> list[float]:
    """The reachable ones of a grasp yaw and its half-turn twin at `position`, best first.

    Best leaves joint 7 at least `_WRIST_COMFORT_RAD` inside its limits (a wrist near its
    stop cannot follow the next motion); among those, the one nearer the current wrist yaw
    comes first, so the wrist does not wind up.
    """
    current = wrist_yaw(kin.fk(q_seed)[1])
    options = [normalize_yaw(yaw, current)]
    options.append(options[0] + np.pi)
    lower, upper = PANDA_LIMITS.lower[-1], PANDA_LIMITS.upper[-1]
    comfort = {}
    for option in options:
        q = kin.ik(position, grasp_orientation(option), seed_q=q_seed)
        if q is not None:
            comfort[option] = min(q[-1] - lower, upper - q[-1], _WRIST_COMFORT_RAD)
    return sorted(comfort, key=lambda option: -comfort[option])


def _travel_height(obstacles: Sequence[SceneObject], hang: float, config: MotionConfig) -> float:
    """TCP height at which something hanging `hang` below it clears every obstacle."""
    tops = [o.top_z for o in obstacles]
    return max([config.transport_height_m] + [top + hang + config.obstacle_clearance_m for top in tops])


def _transit(kin, q_start, goal, orientation, travel_z, config) -> np.ndarray:
    """Straight up or down to travel_z, across at that height while turning the wrist, then down to goal."""
    start, start_orientation = kin.fk(q_start)
    legs = [(np.array([start[0], start[1], travel_z]), start_orientation),
            (np.array([goal[0], goal[1], travel_z]), orientation),
            (np.asarray(goal, dtype=float), orientation)]
    waypoints = [q_start]
    position, current_orientation = start, start_orientation
    for end, end_orientation in legs:
        if (np.linalg.norm(end - position) > _SAME_POSITION_M
                or _angle(current_orientation, end_orientation) > _SAME_ANGLE_RAD):
            leg = _line(kin, waypoints[-1], end, end_orientation, config)
            waypoints.extend(leg[1:])
        position, current_orientation = end, end_orientation
    return np.array(waypoints)


def _line(kin, q_from, end, end_orientation, config, steps: int | None = None) -> np.ndarray:
    """Joint waypoints (first = q_from) moving the TCP on a straight line to `end`, slerping orientation."""
    start, start_orientation = kin.fk(q_from)
    end = np.asarray(end, dtype=float)
    if steps is None:
        distance = max(float(np.linalg.norm(end - start)), 0.1 * _angle(start_orientation, end_orientation))
        steps = max(1, int(np.ceil(distance / config.cartesian_step_m)))
    waypoints = [np.asarray(q_from, dtype=float)]
    for k in range(1, steps + 1):
        t = k / steps
        position = start + t * (end - start)
        if position[2] < config.min_tcp_z_m - 1e-9:
            raise _Unreachable(f"the path goes below {config.min_tcp_z_m:.3f} m at {_fmt(position)}")
        q = kin.ik(position, _slerp(start_orientation, end_orientation, t), seed_q=waypoints[-1])
        if q is None:
            raise _Unreachable(f"no IK solution at {_fmt(position)}")
        if np.max(np.abs(q - waypoints[-1])) > config.max_joint_step_rad:
            raise _Unreachable(f"the arm would swing to a different configuration near {_fmt(position)}")
        waypoints.append(q)
    return np.array(waypoints)


def _slerp(q0, q1, t: float) -> np.ndarray:
    q0 = np.asarray(q0, dtype=float) / np.linalg.norm(q0)
    q1 = np.asarray(q1, dtype=float) / np.linalg.norm(q1)
    dot = float(np.dot(q0, q1))
    if dot < 0.0:  # take the short way round
        q1, dot = -q1, -dot
    if dot > 0.9995:
        q = q0 + t * (q1 - q0)
        return q / np.linalg.norm(q)
    theta = np.arccos(dot)
    return (np.sin((1.0 - t) * theta) * q0 + np.sin(t * theta) * q1) / np.sin(theta)


def _angle(q0, q1) -> float:
    return 2.0 * float(np.arccos(min(1.0, abs(float(np.dot(q0, q1))))))


def _joints(q) -> np.ndarray:
    q = np.asarray(q, dtype=float)
    if q.shape != (len(PANDA_JOINTS),) or not np.all(np.isfinite(q)):
        raise ValueError(f"q_start must be {len(PANDA_JOINTS)} finite joint positions [rad], got {q!r}")
    return q


def _fmt(position) -> str:
    return "(" + ", ".join(f"{v:.3f}" for v in position) + ")"
