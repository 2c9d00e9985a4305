"""The motions of each skill as segments the skill server executes in order.

A skill is a list of segments: `MoveSegment` (joint waypoints, which the server
time-parameterises; waypoints[0] is where the previous segment ends) and `GripperSegment`.
Segment names are the feedback phases in `PHASES`. Planning either returns the whole list
or a reason string, before anything moves: an unreachable pose never starts a motion.

Straight Cartesian lines are followed through IK waypoints a few centimetres apart, each
seeded from the previous one; moves across the table run at a transport height that keeps
the hand (and what it holds) above the other objects. No line takes the finger pads' lowest
corner below the table clearance, whatever the hand's tilt.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from griptalk.robot import GRIPPER_MAX_WIDTH_M, PANDA_HOME, PANDA_JOINTS, PANDA_LIMITS
from griptalk.skills.grasps import (FINGER_HALF_LENGTH_M, FINGER_THICKNESS_M, FINGERTIP_BEYOND_TCP_M, MIN_TCP_Z_M,
                                    NOMINAL_DEPTH_M, WIDTH_MARGIN_M, GraspCandidate, grasp_orientation, grasp_rotation,
                                    hand_tilt, min_tcp_z, normalize_yaw, twin_tilt, wrist_yaw)
from griptalk.skills.kinematics import ArmKinematics, rotation_angle_between
from griptalk.types import SceneObject

PHASES = ("approach", "descend", "close", "lift", "transport", "lower", "release", "retreat", "home", "pull", "push")
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
            raise ValueError(
                f"GripperSegment {self.name}: width_m must be in [0, {GRIPPER_MAX_WIDTH_M}], got {self.width_m}")
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
    # Palm kept this far (sideways, or above their tops) from the boxes of other objects when lowering "in"
    # (a drawer's cabinet beside its tray): room for a perception error of a centimetre or so.
    hand_clearance_m: float = 0.02
    # At a grasp the palm keeps this far from neighbours' boxes (perception's position error: 0.4 mm median,
    # 7 mm p95): 1 cm left no grasp of a cube between a box and a mug that the hand fits between.
    grasp_palm_clearance_m: float = 0.005
    descend_steps: int = 5  # IK waypoints on the descent to the grasp
    cartesian_step_m: float = 0.03  # spacing of IK waypoints on other straight lines
    transit_step_m: float = 0.06  # coarser spacing on moves at transport height, far from surfaces
    max_joint_step_rad: float = 0.5  # larger jumps between waypoints mean IK changed branch
    grip_force_n: float = 15.0
    # Opening pulls the finger pads off the object against their friction: in PyBullet 15 N
    # sometimes leaves them stuck to a held cube.
    release_force_n: float = 40.0
    min_tcp_z_m: float = MIN_TCP_Z_M  # top-down; a tilted hand keeps its pads' lowest corner as high

    def __post_init__(self) -> None:
        for name in ("approach_height_m", "lift_height_m", "transport_height_m", "obstacle_clearance_m",
                     "place_clearance_m", "hand_clearance_m", "grasp_palm_clearance_m", "cartesian_step_m",
                     "transit_step_m", "max_joint_step_rad", "grip_force_n", "release_force_n"):
            if not getattr(self, name) > 0.0:
                raise ValueError(f"MotionConfig.{name} must be > 0, got {getattr(self, name)}")
        if self.descend_steps < 1:
            raise ValueError(f"MotionConfig.descend_steps must be >= 1, got {self.descend_steps}")
        if not 0.0 < self.min_tcp_z_m < self.transport_height_m:
            raise ValueError(f"MotionConfig.min_tcp_z_m must be in (0, transport_height_m), got {self.min_tcp_z_m}")


_SAME_POSITION_M = 1e-3
_SAME_ANGLE_RAD = 1e-3
_WRIST_COMFORT_RAD = 1.0
_CARRY_TURNS_RAD = (0.0, 0.5, -0.5, 1.0, -1.0, 1.5, -1.5)
_APPROACH_CHECKS = 11  # points on the approach line checked against obstacles
# The Panda hand's palm (its body above the fingers) around the TCP, hand frame (measured in PyBullet):
# it spans +-PALM_HALF_DEPTH_M along the hand's x, +-PALM_HALF_LENGTH_M along its y (the closing axis)
# and starts PALM_ABOVE_TCP_M above the TCP.
PALM_HALF_DEPTH_M = 0.036
PALM_HALF_LENGTH_M = 0.106
PALM_ABOVE_TCP_M = 0.035
_ELONGATED = 1.2  # a container this much longer than wide takes the hand's length along its length


def grasp_blocked(candidate: GraspCandidate, obstacles: Sequence[SceneObject] = (),
                  config: MotionConfig = MotionConfig()) -> str | None:
    """Why the candidate cannot be approached, found without inverse kinematics (a reason starting "no reachable
    grasp:"), or None: the fingers would go into the table, the approach line passes through an obstacle,
    or the palm would come down on one."""
    floor = _tcp_floor(candidate.tilt, config)
    if candidate.position[2] < floor - 1e-9:
        return (f"no reachable grasp: tilted {np.degrees(candidate.tilt):.0f} degrees, the fingers would go into "
                f"the table at {fmt_position(candidate.position)} (TCP below {floor:.3f} m)")
    blocking = _approach_blocked_by(candidate, obstacles, config)
    if blocking is not None:
        return f"no reachable grasp: the approach to {fmt_position(candidate.position)} passes through the {blocking}"
    # The fingers may pass a neighbour that the 21 cm palm above them comes down on (a box's rim: 182 N).
    blocking = _palm_lands_on(candidate, obstacles, config)
    if blocking is not None:
        return f"no reachable grasp: at {fmt_position(candidate.position)} the hand would come down on the {blocking}"
    return None


class Unreachable(Exception):
    """A pose on the planned path has no IK solution; the message says which."""


def plan_grasp(kin: ArmKinematics, q_start, candidate: GraspCandidate,
               obstacles: Sequence[SceneObject] = (), config: MotionConfig = MotionConfig()
               ) -> list[Segment] | str:
    """Open, approach 10 cm back along the approach axis, descend along it onto the grasp, close,
    lift 15 cm straight up (the held object rises clear of the table at once, whatever the tilt).

    Of the candidate's yaw and its half-turn twin (the same grasp), the one that keeps the
    wrist inside its range is tried first (see `wrist_turns`). `obstacles` (the scene's
    objects) raise the height at which the hand crosses the table; an approach line that passes
    through one of them (the grasped object, whose footprint holds the grasp, aside) is refused.
    Returns a reason starting "no reachable grasp:" when no motion reaches the candidate or its
    path would take the fingers into the table or another object, or the palm onto one.
    """
    q_start = check_joints(q_start)
    blocked = grasp_blocked(candidate, obstacles, config)
    if blocked is not None:
        return blocked
    turns = wrist_turns(kin, q_start, candidate.position, candidate.yaw, candidate.tilt)
    if not turns:
        return f"no reachable grasp: the grasp pose {fmt_position(candidate.position)} is out of the arm's reach"
    reasons = []
    for yaw, tilt in turns:
        try:
            return _grasp_segments(kin, q_start, candidate, yaw, tilt, obstacles, config)
        except Unreachable as error:
            reasons.append(str(error))
    return f"no reachable grasp: {reasons[0]}"


def plan_place(kin: ArmKinematics, q_start, target: SceneObject, relation: str, held_object: SceneObject,
               grasp_depth_m: float = NOMINAL_DEPTH_M, obstacles: Sequence[SceneObject] = (),
               config: MotionConfig = MotionConfig()) -> list[Segment] | str:
    """Carry the held object above the target, lower it onto ("on") or into ("in") it, open, retreat.

    `grasp_depth_m` is how far below the held object's top the TCP grasped it: with its height it
    says where the object's bottom hangs. For "on" its bottom is released `place_clearance_m`
    above the target's top; for "in" half-way down the target (at least that clearance above
    its base). The held object crosses the table `obstacle_clearance_m` above the other
    `obstacles`. The hand keeps the tilt it grasped with and turns only about the vertical, so the
    object stays upright. Into an elongated container (a drawer's pulled-out tray, see drawer.open_tray)
    the hand turns its length (the closing axis) along the container's, the fingers open no wider than it
    allows, and the palm keeps `hand_clearance_m` from the other obstacles (the drawer's cabinet), released
    higher where needed: lowered along the pull direction, the 21 cm palm met the cabinet's front edge.
    Returns a reason string when the object does not fit or a pose is unreachable.
    """
    q_start = check_joints(q_start)
    tilt = hand_tilt(kin.fk(q_start)[1])
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
    passed = along_path(others, kin.fk(q_start)[0], release, PALM_HALF_LENGTH_M + 0.5 * held_footprint)
    travel_z = max(travel_height(passed, hang, config), target.top_z + hang + config.obstacle_clearance_m)
    width = min(GRIPPER_MAX_WIDTH_M, held_footprint + 2 * WIDTH_MARGIN_M)
    fitting = relation == "in" and _elongated(target)
    if fitting:
        # Into a long narrow container (a drawer's pulled-out tray): the hand's length (its closing axis)
        # along the container's, the narrow palm across it, the fingers opening no wider than it.
        turns = _fitting_turns(kin, q_start, release, _long_side_yaw(target), tilt)
        room = float(np.max(target.size[:2])) - 2.0 * (FINGER_THICKNESS_M + config.hand_clearance_m)
        width = max(min(width, room), held_footprint + WIDTH_MARGIN_M)
    else:
        turns = _carrying_turns(kin, q_start, release, tilt)
    if not turns:
        return f"cannot place {relation} {target.id}: the release pose {fmt_position(release)} is out of the arm's reach"
    reasons = []
    for yaw in turns:
        palm_z = _palm_clear_height(release, yaw, tilt, others, config) if fitting else release[2]
        if palm_z > release[2] + 1e-9:
            # The palm would come down onto a neighbour (the drawer's cabinet, should the tray be pulled out
            # too little): release higher, if the held object's bottom still goes below the container's rim.
            if palm_z - hang > target.top_z - config.place_clearance_m:
                blocking = _palm_blocked_by(release, yaw, tilt, others, config)
                reasons.append(f"the hand would hit the {blocking} lowering into the {target.id}")
                continue
            release_at = np.array([release[0], release[1], palm_z])
        else:
            release_at = release
        above = np.array([release_at[0], release_at[1], max(travel_z, release_at[2])])
        held = fixed_orientation(grasp_orientation(yaw, tilt))
        try:
            transport = transit(kin, q_start, above, yaw, travel_z, config, tilt)
            lower = cartesian_line(kin, transport[-1], release_at, held, 0.0, config)
            retreat = cartesian_line(kin, lower[-1], above, held, 0.0, config)
        except Unreachable as error:
            reasons.append(str(error))
            continue
        return [MoveSegment("transport", transport), MoveSegment("lower", lower),
                GripperSegment("release", width, config.release_force_n),
                MoveSegment("retreat", retreat)]
    return f"cannot place {relation} {target.id}: {reasons[0]}"


def _elongated(container: SceneObject) -> bool:
    sides = np.asarray(container.size[:2], dtype=float)
    return bool(np.min(sides) > 0.0 and np.max(sides) >= _ELONGATED * np.min(sides))


def _long_side_yaw(container: SceneObject) -> float:
    """A hand yaw whose closing axis (the hand's y) lies along the container's longer side."""
    return float(container.yaw + (0.0 if container.size[1] >= container.size[0] else np.pi / 2.0))


def _fitting_turns(kin, q_start, release, yaw: float, tilt: float) -> list[float]:
    """Of the hand yaw `yaw` and its half-turn twin (the same fit), those reached at `release` with the
    hand at `tilt` (kept as it is: the held object stays upright), unwrapped from the current wrist yaw,
    the smaller turn first when both leave the wrist comfortable (see `_by_comfort`)."""
    current = wrist_yaw(kin.fk(q_start)[1])
    near = normalize_yaw(yaw, current)
    twin = near + (np.pi if near <= current else -np.pi)
    return [option for option, _ in _by_comfort(kin, q_start, release, [(near, tilt), (twin, tilt)])]


def _palm_corners(position, yaw: float, tilt: float, margin: float) -> np.ndarray:
    """(4, 2) table-plane corners of the palm's footprint around the TCP at `position`, grown by `margin`
    (and by how far a tilt leans the palm along the hand's x)."""
    c, s = np.cos(yaw), np.sin(yaw)
    x_axis, y_axis = np.array([c, s]), np.array([s, -c])  # grasp_orientation's hand x and y on the table
    lean = abs(np.sin(tilt)) * (PALM_ABOVE_TCP_M + 0.1)  # the palm's top leans out by up to this
    half_x = PALM_HALF_DEPTH_M * abs(np.cos(tilt)) + lean + margin
    half_y = PALM_HALF_LENGTH_M + margin
    return np.array([position[:2] + sx * half_x * x_axis + sy * half_y * y_axis
                     for sx, sy in ((1, 1), (1, -1), (-1, -1), (-1, 1))])


def _footprints_overlap(corners: np.ndarray, obstacle: SceneObject) -> bool:
    """Whether a convex quadrilateral (table plane) overlaps the obstacle's box footprint (separating axes)."""
    c, s = np.cos(obstacle.yaw), np.sin(obstacle.yaw)
    half = np.asarray(obstacle.size[:2], dtype=float) / 2.0
    box = np.array([obstacle.position[:2] + sx * half[0] * np.array([c, s]) + sy * half[1] * np.array([-s, c])
                    for sx, sy in ((1, 1), (1, -1), (-1, -1), (-1, 1))])
    for shape in (corners, box):
        for k in range(4):
            edge = shape[(k + 1) % 4] - shape[k]
            axis = np.array([-edge[1], edge[0]])
            a, b = corners @ axis, box @ axis
            if a.max() < b.min() or b.max() < a.min():
                return False
    return True


def _palm_blocked_by(release, yaw, tilt, obstacles, config) -> str | None:
    corners = _palm_corners(release, yaw, tilt, config.hand_clearance_m)
    return next((o.id for o in obstacles if _footprints_overlap(corners, o)
                 and release[2] + PALM_ABOVE_TCP_M < o.top_z + config.hand_clearance_m), None)


def _palm_lands_on(candidate: GraspCandidate, obstacles: Sequence[SceneObject], config) -> str | None:
    """The id of an obstacle (not the one grasped) that the palm's bottom face, with the TCP at the grasp,
    comes within `grasp_palm_clearance_m` of (sideways, or above its top), or None. Tilted, the face leans."""
    x, y, z = grasp_rotation(candidate.yaw, candidate.tilt).T
    centre = candidate.position - PALM_ABOVE_TCP_M * z
    # Samples no farther apart than the clearance: nothing reaches under the face unseen by more than that.
    margin = config.grasp_palm_clearance_m
    across, along = (np.linspace(-half, half, int(np.ceil(2.0 * half / margin)) + 1)
                     for half in (PALM_HALF_DEPTH_M, PALM_HALF_LENGTH_M))
    face = (centre + across[:, None, None] * x + along[None, :, None] * y).reshape(-1, 3)
    for o in obstacles:
        if _holds(o, candidate.position):
            continue
        c, s = np.cos(o.yaw), np.sin(o.yaw)
        local = (face[:, :2] - o.position[:2]) @ np.array([[c, s], [-s, c]]).T
        over = np.all(np.abs(local) <= np.asarray(o.size[:2]) / 2.0 + margin, axis=1)
        if np.any(over & (face[:, 2] < o.top_z + margin)):
            return o.id
    return None


def _palm_clear_height(release, yaw, tilt, obstacles, config) -> float:
    """Lowest TCP height, at least release's, at which the palm (with `hand_clearance_m` around it) is
    above every obstacle whose footprint it overlaps."""
    corners = _palm_corners(release, yaw, tilt, config.hand_clearance_m)
    tops = [o.top_z + config.hand_clearance_m - PALM_ABOVE_TCP_M for o in obstacles
            if _footprints_overlap(corners, o)]
    return float(max([release[2]] + tops))


def plan_home(kin: ArmKinematics, q_start, config: MotionConfig = MotionConfig()) -> list[Segment] | str:
    """Rise straight up to the transport height when below it, then move to the home pose."""
    q_start = check_joints(q_start)
    position, orientation = kin.fk(q_start)
    waypoints = [q_start]
    if position[2] < config.transport_height_m - _SAME_POSITION_M:
        try:
            waypoints.extend(cartesian_line(kin, q_start, [position[0], position[1], config.transport_height_m],
                                   fixed_orientation(orientation), 0.0, config)[1:])
        except Unreachable as error:
            return f"cannot go home: {error}"
    waypoints.append(PANDA_HOME.copy())
    return [MoveSegment("home", np.array(waypoints))]


def _grasp_segments(kin, q_start, candidate, yaw, tilt, obstacles, config) -> list[Segment]:
    hand = fixed_orientation(grasp_orientation(yaw, tilt))
    grasp = candidate.position
    pre_grasp = candidate.pre_grasp(config.approach_height_m)
    lifted = grasp + np.array([0.0, 0.0, config.lift_height_m])
    passed = along_path(obstacles, kin.fk(q_start)[0], pre_grasp, PALM_HALF_LENGTH_M)
    travel_z = max(travel_height(passed, 0.0, config), pre_grasp[2])
    approach = transit(kin, q_start, pre_grasp, yaw, travel_z, config, tilt)
    descend = cartesian_line(kin, approach[-1], grasp, hand, 0.0, config, steps=config.descend_steps)
    lift = cartesian_line(kin, descend[-1], lifted, hand, 0.0, config)
    return [GripperSegment("approach", candidate.width_m, config.grip_force_n),
            MoveSegment("approach", approach), MoveSegment("descend", descend),
            GripperSegment("close", 0.0, config.grip_force_n), MoveSegment("lift", lift)]


def _tcp_floor(tilt: float, config: MotionConfig) -> float:
    """Lowest TCP height for a hand at `tilt`: the top-down floor, raised as tilting lowers the pads' corner."""
    return config.min_tcp_z_m + min_tcp_z(tilt) - MIN_TCP_Z_M


def _approach_blocked_by(candidate: GraspCandidate, obstacles: Sequence[SceneObject], config) -> str | None:
    """The id of an obstacle the open fingers would meet on the approach line, or None.

    The fingers' pads (either side of the TCP along the closing direction, and the TCP between them)
    follow the line from the pre-grasp to the grasp; they meet an obstacle when they come within the
    pads' half length of its box, less than their reach below the TCP above its top.
    """
    back = np.linspace(config.approach_height_m, 0.0, _APPROACH_CHECKS)[:, None]
    line = candidate.position - back * candidate.approach_direction
    pad = (0.5 * candidate.width_m + 0.5 * FINGER_THICKNESS_M) * candidate.closing_direction
    points = np.concatenate([line[:, :2] + side * pad for side in (-1.0, 0.0, 1.0)])
    heights = np.tile(line[:, 2], 3)
    for obstacle in obstacles:
        if _holds(obstacle, candidate.position):
            continue  # the object being grasped
        c, s = np.cos(obstacle.yaw), np.sin(obstacle.yaw)
        to_local = np.array([[c, s], [-s, c]])
        half = np.asarray(obstacle.size[:2]) / 2.0
        local = (points - obstacle.position[:2]) @ to_local.T
        near = np.all(np.abs(local) <= half + FINGER_HALF_LENGTH_M, axis=1)
        if np.any(near & (heights < obstacle.top_z + FINGERTIP_BEYOND_TCP_M)):
            return obstacle.id
    return None


def _holds(obstacle: SceneObject, position) -> bool:
    """Whether the point (x, y) of `position` lies in the obstacle's footprint: it is the object being grasped."""
    c, s = np.cos(obstacle.yaw), np.sin(obstacle.yaw)
    local = np.array([[c, s], [-s, c]]) @ (np.asarray(position[:2], dtype=float) - obstacle.position[:2])
    return bool(np.all(np.abs(local) <= np.asarray(obstacle.size[:2]) / 2.0))


def wrist_turns(kin, q_seed, position, yaw: float, tilt: float = 0.0) -> list[tuple[float, float]]:
    """(yaw, tilt) options reaching the grasp (yaw, tilt) at `position`, best first, each yaw unwrapped
    from the current wrist yaw so that the difference is the turn to make (the transit interpolates
    it as it stands).

    The grasp is the same at yaw +- pi with the tilt reversed: the first option is the twin within a
    quarter turn of the current wrist; the second turns half a turn more, the way that brings joint 7
    towards the middle of its range (see `_by_comfort`).
    """
    current = wrist_yaw(kin.fk(q_seed)[1])
    near = normalize_yaw(yaw, current) - current
    options = [current + turn for turn in (near, _half_turn_more(q_seed, near))]
    return _by_comfort(kin, q_seed, position, [(option, twin_tilt(tilt, yaw, option)) for option in options])


def _half_turn_more(q_seed, turn: float) -> float:
    """`turn` plus or minus pi, whichever brings joint 7 nearer the middle of its range."""
    return min((turn + np.pi, turn - np.pi), key=lambda t: abs(float(q_seed[-1]) - t))


def _by_comfort(kin, q_seed, position, options) -> list[tuple[float, float]]:
    """The (yaw, tilt) options (yaws unwrapped from the current wrist yaw) that IK reaches at `position`,
    those leaving joint 7 at least `_WRIST_COMFORT_RAD` inside its limits first.

    The TCP lies on joint 7's axis, so turning the TCP's yaw by a turns joint 7 by -a: each option's IK
    starts from the seed with joint 7 turned so.
    """
    current = wrist_yaw(kin.fk(q_seed)[1])
    lower, upper = PANDA_LIMITS.lower[-1], PANDA_LIMITS.upper[-1]
    comfort = {}
    for yaw, tilt in options:
        seed = np.array(q_seed, dtype=float)
        seed[-1] = np.clip(seed[-1] - (yaw - current), lower, upper)
        q = kin.ik(position, grasp_orientation(yaw, tilt), seed_q=seed)
        if q is not None:
            comfort[(yaw, tilt)] = min(q[-1] - lower, upper - q[-1], _WRIST_COMFORT_RAD)
    return sorted(comfort, key=lambda option: -comfort[option])


def _carrying_turns(kin, q_start, release, tilt: float) -> list[float]:
    """Wrist yaws (unwrapped, see `wrist_turns`) for releasing at `release` with the hand at `tilt`, best first.

    A held object may face any way when it is let go, but a fast turn of the wrist spins it in
    the fingers: the first option is the smallest turn (in `_CARRY_TURNS_RAD`) that leaves joint 7
    `_WRIST_COMFORT_RAD` inside its limits; no turn and a half turn follow for when none does. The
    tilt stays as it is (no half-turn twin): turning only about the vertical keeps the object upright.
    """
    current = wrist_yaw(kin.fk(q_start)[1])
    lower, upper = PANDA_LIMITS.lower[-1], PANDA_LIMITS.upper[-1]
    options = []
    for turn in _CARRY_TURNS_RAD:
        seed = np.array(q_start, dtype=float)
        seed[-1] = np.clip(seed[-1] - turn, lower, upper)  # joint 7 turns by -turn
        q = kin.ik(release, grasp_orientation(current + turn, tilt), seed_q=seed)
        if q is not None and lower + _WRIST_COMFORT_RAD <= q[-1] <= upper - _WRIST_COMFORT_RAD:
            options.append(current + turn)
            break
    fallbacks = [(current + turn, tilt) for turn in (0.0, _half_turn_more(q_start, 0.0))]
    return options + [yaw for yaw, _ in _by_comfort(kin, q_start, release, fallbacks)]


def travel_height(obstacles: Sequence[SceneObject], hang: float, config: MotionConfig) -> float:
    """TCP height at which something hanging `hang` below it clears every obstacle."""
    tops = [o.top_z for o in obstacles]
    return max([config.transport_height_m] + [top + hang + config.obstacle_clearance_m for top in tops])


def along_path(obstacles: Sequence[SceneObject], start_xy, goal_xy, reach_m: float) -> list[SceneObject]:
    """The obstacles whose footprint comes within `reach_m` of the straight line from start_xy to goal_xy.

    Only they bound the height of a move across the table: clearing the tallest object anywhere (a
    cabinet at one side) put the hand out of the arm's reach above targets far from the base.
    """
    a, b = np.asarray(start_xy, dtype=float)[:2], np.asarray(goal_xy, dtype=float)[:2]
    span = b - a
    length_sq = float(span @ span)
    near = []
    for o in obstacles:
        centre = np.asarray(o.position[:2], dtype=float)
        t = 0.0 if length_sq < 1e-12 else float(np.clip((centre - a) @ span / length_sq, 0.0, 1.0))
        if np.linalg.norm(centre - (a + t * span)) <= reach_m + 0.5 * float(np.linalg.norm(o.size[:2])):
            near.append(o)
    return near


def transit(kin, q_start, goal, yaw, travel_z, config, tilt: float = 0.0) -> np.ndarray:
    """Straight up or down to travel_z (turning the hand to point down, tilted as it is), across at
    that height while turning the wrist to `yaw` (unwrapped: the turn is yaw minus the current wrist
    yaw) and the tilt to `tilt`, down to goal."""
    start, start_orientation = kin.fk(q_start)
    start_yaw, start_tilt = wrist_yaw(start_orientation), hand_tilt(start_orientation)
    level = np.array([start[0], start[1], travel_z])
    across = np.array([goal[0], goal[1], travel_z])
    down = grasp_orientation(start_yaw, start_tilt)
    legs = [(level, lambda t: _slerp(start_orientation, down, t), rotation_angle_between(start_orientation, down),
             config.transit_step_m),
            (across,
             lambda t: grasp_orientation(start_yaw + t * (yaw - start_yaw), start_tilt + t * (tilt - start_tilt)),
             abs(yaw - start_yaw) + abs(tilt - start_tilt), config.transit_step_m),
            (np.asarray(goal, dtype=float), fixed_orientation(grasp_orientation(yaw, tilt)), 0.0,
             config.cartesian_step_m)]
    waypoints = [q_start]
    position = start
    for end, orientation_at, turn, step in legs:
        if np.linalg.norm(end - position) > _SAME_POSITION_M or turn > _SAME_ANGLE_RAD:
            waypoints.extend(cartesian_line(kin, waypoints[-1], end, orientation_at, turn, config, step_m=step)[1:])
        position = end
    return np.array(waypoints)


def cartesian_line(kin, q_from, end, orientation_at, turn_rad: float, config, steps: int | None = None,
          step_m: float | None = None) -> np.ndarray:
    """Joint waypoints (first = q_from) moving the TCP on a straight line to `end`.

    `orientation_at(t)` is the TCP's orientation at t in [0, 1] along the line; it turns by
    `turn_rad` in all. `steps` waypoints, or as many as keep them `step_m` (default:
    config.cartesian_step_m) apart, counting 10 cm per radian of turn. Where IK fails or the
    joints would jump by more than config.max_joint_step_rad, the step is halved (up to three
    times) before giving up; a waypoint whose finger pads would come nearer the table than the
    top-down floor (config.min_tcp_z_m) allows is Unreachable.
    """
    start = kin.fk(q_from)[0]
    end = np.asarray(end, dtype=float)
    if steps is None:
        distance = max(float(np.linalg.norm(end - start)), 0.1 * turn_rad)
        steps = max(1, int(np.ceil(distance / (step_m or config.cartesian_step_m))))
    waypoints = [np.asarray(q_from, dtype=float)]
    reached = 0.0
    pending = [k / steps for k in range(steps, 0, -1)]  # a stack: the next target on top
    while pending:
        t = pending[-1]
        position = start + t * (end - start)
        orientation = orientation_at(t)
        floor = _tcp_floor(hand_tilt(orientation), config)
        if position[2] < floor - 1e-9:
            raise Unreachable(f"the path takes the fingers into the table: the TCP goes below {floor:.3f} m "
                              f"at {fmt_position(position)}")
        q = kin.ik(position, orientation, seed_q=waypoints[-1])
        if q is None or np.max(np.abs(q - waypoints[-1])) > config.max_joint_step_rad:
            if (t - reached) * steps > 1.0 / 8.0:
                pending.append(0.5 * (reached + t))  # a shorter step from the last waypoint
                continue
            if q is None:
                raise Unreachable(f"no IK solution at {fmt_position(position)}")
            raise Unreachable(f"the arm would swing to a different configuration near {fmt_position(position)}")
        waypoints.append(q)
        reached = pending.pop()
    return np.array(waypoints)


def fixed_orientation(orientation):
    """An orientation that stays the same along a line."""
    return lambda _t: orientation


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


def check_joints(q) -> np.ndarray:
    q = np.asarray(q, dtype=float)
    if q.shape != (len(PANDA_JOINTS),) or not np.all(np.isfinite(q)):
        raise ValueError(f"q_start must be {len(PANDA_JOINTS)} finite joint positions [rad], got {q!r}")
    return q


def fmt_position(position) -> str:
    return "(" + ", ".join(f"{v:.3f}" for v in position) + ")"
