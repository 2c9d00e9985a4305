"""Opening and closing the cabinet's drawer: where its handle is, and the motions that pull and push it.

The drawer is seen as an object of class "drawer" whose box is the cabinet's closed shell
(urdf/drawer_cabinet.urdf: 20 x 30 x 12 cm) with its +x axis through the front, where the
handle is and the drawer slides out. The handle is a bar across the front: `open` grasps it
from above with the fingers closing along the pull direction, pulls, lets go and rises; `close`
pushes it back with closed fingers, starting in front of where the handle is at full travel,
so it needs no estimate of how far the drawer is open. Putting something "in" the drawer means
into the part of its tray pulled out of the cabinet (`open_tray`): the cabinet's box is closed on top.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from griptalk.skills.grasps import grasp_orientation
from griptalk.skills.kinematics import ArmKinematics
from griptalk.skills.motions import (GripperSegment, MotionConfig, MoveSegment, Segment, Unreachable, cartesian_line,
                                     check_joints, fixed_orientation, fmt_position, transit, travel_height,
                                     wrist_turns)
from griptalk.types import SceneObject

DRAWER_CLASS = "drawer"
# The handle bar in the cabinet's box frame at opening 0 (urdf/drawer_cabinet.urdf).
HANDLE_AHEAD_OF_FRONT_M = 0.059  # bar centre in front of the shell's front face
HANDLE_BELOW_TOP_M = 0.020  # bar centre below the shell's top
HANDLE_THICKNESS_M = 0.012  # along the pull direction
DRAWER_TRAVEL_M = 0.18
GRASP_BELOW_HANDLE_M = 0.005  # TCP below the bar's centre: the pads cover its lower half
HANDLE_OPEN_WIDTH_M = 0.036  # finger opening around the bar: clear of it and of the drawer's face
PULL_M = 0.15
# Closed fingers push with their flat sides (hand x along the push): they stand this far out from the
# TCP (measured in PyBullet with the Panda's finger meshes).
FINGER_HALF_DEPTH_M = 0.0115
PUSH_START_CLEARANCE_M = 0.02  # fingers in front of the handle at full travel before pushing
PUSH_SHORT_M = 0.002  # the push ends this short of the closed handle: no pressing on the stop
# The rear finger pulls the bar with its normal force, so the grip need only keep the fingers shut. With the
# handle seen a few mm off, the finger that touches first presses the bar against the drawer's stop with the
# grip force: over 30 opens with the drawer seen up to 5 mm and 2.5 degrees off, 15 N gave wrist peaks up to
# 26 N (the supervisor's limit is 25 N), 8 N up to 18 N; at 5 N the pads slip as it pulls.
DRAWER_GRIP_FORCE_N = 8.0
# The tray inside the drawer, above the cabinet's base and across the pull direction.
TRAY_FLOOR_ABOVE_BASE_M = 0.020
TRAY_RIM_ABOVE_BASE_M = 0.070
TRAY_INNER_WIDTH_M = 0.262


def pull_direction(drawer: SceneObject) -> np.ndarray:
    """Unit vector (3,) along which the drawer slides out: the cabinet's +x."""
    return np.array([np.cos(drawer.yaw), np.sin(drawer.yaw), 0.0])


def handle_position(drawer: SceneObject, opening_m: float = 0.0) -> np.ndarray:
    """Base-frame centre (3,) of the handle bar with the drawer `opening_m` open."""
    if drawer.object_class != DRAWER_CLASS:
        raise ValueError(f"{drawer.id} is a {drawer.object_class}, not a drawer")
    if np.any(drawer.size <= 0.0):
        raise ValueError(f"{drawer.id} has no size ({drawer.size.tolist()})")
    ahead = drawer.size[0] / 2.0 + HANDLE_AHEAD_OF_FRONT_M + opening_m
    position = drawer.position + ahead * pull_direction(drawer)
    position[2] = drawer.top_z - HANDLE_BELOW_TOP_M
    return position


def open_tray(drawer: SceneObject, opening_m: float) -> SceneObject:
    """The part of the drawer's tray out in front of the cabinet with the drawer `opening_m` open, as a
    box-shaped container from the tray's floor to its rim: where things put "in" the drawer go."""
    handle_position(drawer)  # validates the drawer
    opening_m = max(opening_m, 0.0)  # a closed drawer may be sensed a little negative
    base = drawer.position[2] - drawer.size[2] / 2.0
    centre = drawer.position + (drawer.size[0] + opening_m) / 2.0 * pull_direction(drawer)
    centre[2] = base + (TRAY_FLOOR_ABOVE_BASE_M + TRAY_RIM_ABOVE_BASE_M) / 2.0
    return SceneObject(f"{drawer.id}_tray", "tray", drawer.color, centre, drawer.yaw,
                       [opening_m, TRAY_INNER_WIDTH_M, TRAY_RIM_ABOVE_BASE_M - TRAY_FLOOR_ABOVE_BASE_M])


def grasp_yaw(drawer: SceneObject) -> float:
    """Hand yaw whose closing axis (the hand's y) lies along the pull direction."""
    return float(drawer.yaw + np.pi / 2.0)


def push_yaw(drawer: SceneObject) -> float:
    """Hand yaw whose x axis lies along the pull direction: the closed fingers' flat sides face the bar."""
    return float(drawer.yaw)


def plan_open(kin: ArmKinematics, q_start, drawer: SceneObject, obstacles: Sequence[SceneObject] = (),
              config: MotionConfig = MotionConfig(), pull_m: float = PULL_M) -> list[Segment] | str:
    """Open the fingers around the handle, descend onto it, close, pull `pull_m`, release, rise.

    Returns a reason starting "no reachable grasp:" when the handle or the pull is out of reach.
    """
    q_start = check_joints(q_start)
    if not 0.0 < pull_m <= DRAWER_TRAVEL_M:
        raise ValueError(f"pull_m must be in (0, {DRAWER_TRAVEL_M}] m, got {pull_m}")
    grasp = handle_position(drawer) - np.array([0.0, 0.0, GRASP_BELOW_HANDLE_M])
    pulled = grasp + pull_m * pull_direction(drawer)

    def motions(yaw: float) -> list[Segment]:
        down = fixed_orientation(grasp_orientation(yaw))
        approach, descend = _approach_and_descend(kin, q_start, grasp, yaw, drawer, obstacles, config)
        pull = cartesian_line(kin, descend[-1], pulled, down, 0.0, config)
        retreat = cartesian_line(kin, pull[-1], pulled + [0.0, 0.0, config.approach_height_m], down, 0.0, config)
        return [GripperSegment("approach", HANDLE_OPEN_WIDTH_M, DRAWER_GRIP_FORCE_N),
                MoveSegment("approach", approach), MoveSegment("descend", descend),
                GripperSegment("close", 0.0, DRAWER_GRIP_FORCE_N), MoveSegment("pull", pull),
                GripperSegment("release", HANDLE_OPEN_WIDTH_M, config.release_force_n),
                MoveSegment("retreat", retreat)]

    return _first_reachable(kin, q_start, grasp, grasp_yaw(drawer), motions, f"the {drawer.id}'s handle")


def plan_close(kin: ArmKinematics, q_start, drawer: SceneObject, obstacles: Sequence[SceneObject] = (),
               config: MotionConfig = MotionConfig()) -> list[Segment] | str:
    """Close the fingers, come down in front of the handle at full travel, push it home, rise.

    Returns a reason starting "no reachable grasp:" when the push is out of reach.
    """
    q_start = check_joints(q_start)
    back = -pull_direction(drawer)
    standoff = HANDLE_THICKNESS_M / 2.0 + FINGER_HALF_DEPTH_M
    below = np.array([0.0, 0.0, GRASP_BELOW_HANDLE_M])
    start = handle_position(drawer, DRAWER_TRAVEL_M) - below - (standoff + PUSH_START_CLEARANCE_M) * back
    end = handle_position(drawer, 0.0) - below - (standoff + PUSH_SHORT_M) * back

    def motions(yaw: float) -> list[Segment]:
        down = fixed_orientation(grasp_orientation(yaw))
        approach, descend = _approach_and_descend(kin, q_start, start, yaw, drawer, obstacles, config)
        push = cartesian_line(kin, descend[-1], end, down, 0.0, config)
        retreat = cartesian_line(kin, push[-1], end + [0.0, 0.0, config.approach_height_m], down, 0.0, config)
        return [GripperSegment("approach", 0.0, config.grip_force_n),
                MoveSegment("approach", approach), MoveSegment("descend", descend),
                MoveSegment("push", push), MoveSegment("retreat", retreat)]

    return _first_reachable(kin, q_start, start, push_yaw(drawer), motions, f"the front of the {drawer.id}")


def _approach_and_descend(kin, q_start, goal, yaw, drawer, obstacles, config) -> tuple[np.ndarray, np.ndarray]:
    """Across the table above everything (the cabinet included), then straight down onto `goal`."""
    above = goal + np.array([0.0, 0.0, config.approach_height_m])
    travel_z = max(travel_height([*obstacles, drawer], 0.0, config), above[2])
    approach = transit(kin, q_start, above, yaw, travel_z, config)
    descend = cartesian_line(kin, approach[-1], goal, fixed_orientation(grasp_orientation(yaw)), 0.0, config,
                             steps=config.descend_steps)
    return approach, descend


def _first_reachable(kin, q_start, position, yaw, motions, what: str) -> list[Segment] | str:
    turns = wrist_turns(kin, q_start, position, yaw)
    if not turns:
        return f"no reachable grasp: {what} at {fmt_position(position)} is out of the arm's reach"
    reasons = []
    for turn, _top_down in turns:
        try:
            return motions(turn)
        except Unreachable as error:
            reasons.append(str(error))
    return f"no reachable grasp: {reasons[0]}"
