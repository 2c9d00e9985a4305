"""What franka_gripper goal carries out a griptalk gripper command.

The safety supervisor forwards gripper commands as [width_m, max_force_n] (the ros2_control-style
topic the simulator reads). The Franka Hand has no such topic: franka_ros2's franka_gripper node
takes `move` (width, speed) and `grasp` (width, speed, force, epsilon) actions. Like franka_gripper's
own `gripper_action`, opening is a move and closing is a grasp, so the fingers squeeze what they meet
with the commanded force instead of stopping at the first contact.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from griptalk.robot import GRIPPER_MAX_SPEED_M_S, GRIPPER_MAX_WIDTH_M

# Franka Hand datasheet: 70 N continuous grasp force.
HAND_MAX_FORCE_N = 70.0
# franka_gripper treats targets this close to the current width as already reached.
SAME_WIDTH_M = 1e-4


@dataclass(frozen=True)
class FrankaGripperConfig:
    speed_m_s: float = 0.05  # finger speed for moves and grasps [m/s]
    epsilon_inner_m: float = 0.005  # a grasp succeeds if the fingers stop at most this much inside the target [m]
    epsilon_outer_m: float = GRIPPER_MAX_WIDTH_M  # ... or this much outside it: any object counts as held [m]

    def __post_init__(self) -> None:
        if not (math.isfinite(self.speed_m_s) and 0.0 < self.speed_m_s <= GRIPPER_MAX_SPEED_M_S):
            raise ValueError(f"speed_m_s must be in (0, {GRIPPER_MAX_SPEED_M_S}] m/s, got {self.speed_m_s}")
        for name in ("epsilon_inner_m", "epsilon_outer_m"):
            value = getattr(self, name)
            if not (math.isfinite(value) and 0.0 <= value <= GRIPPER_MAX_WIDTH_M):
                raise ValueError(f"{name} must be in [0, {GRIPPER_MAX_WIDTH_M}] m, got {value}")


@dataclass(frozen=True)
class GripperGoal:
    """One franka_gripper action goal: `kind` is "move" (width, speed) or "grasp" (all fields)."""
    kind: str
    width_m: float
    speed_m_s: float
    force_n: float = 0.0
    epsilon_inner_m: float = 0.0
    epsilon_outer_m: float = 0.0


def finger_width(names: Sequence[str], positions: Sequence[float], finger_joints: Sequence[str]) -> float | None:
    """Finger-to-finger distance [m] from a joint state (each finger joint is half of it), or None
    when the state does not carry every finger joint."""
    if len(names) != len(positions):
        return None
    index = {name: i for i, name in enumerate(names)}
    if not finger_joints or any(joint not in index for joint in finger_joints):
        return None
    return float(sum(positions[index[joint]] for joint in finger_joints))


def goal_for(command: Sequence[float], current_width_m: float, config: FrankaGripperConfig) -> GripperGoal:
    """The goal for a supervisor command [width_m, max_force_n], given the fingers' current width.

    Raises ValueError for a malformed command (the supervisor has already refused out-of-range ones;
    this guards the driver against anything else on the topic)."""
    if len(command) != 2 or not all(math.isfinite(v) for v in command):
        raise ValueError(f"gripper command must be [width_m, max_force_n], got {list(command)}")
    width_m, force_n = float(command[0]), float(command[1])
    if not 0.0 <= width_m <= GRIPPER_MAX_WIDTH_M:
        raise ValueError(f"gripper width {width_m} m outside [0, {GRIPPER_MAX_WIDTH_M}] m")
    if not 0.0 < force_n <= HAND_MAX_FORCE_N:
        raise ValueError(f"gripper force {force_n} N outside (0, {HAND_MAX_FORCE_N}] N")
    if not math.isfinite(current_width_m):
        raise ValueError(f"current finger width must be finite, got {current_width_m}")
    if width_m >= current_width_m - SAME_WIDTH_M:
        return GripperGoal("move", width_m, config.speed_m_s)
    return GripperGoal("grasp", width_m, config.speed_m_s, force_n, config.epsilon_inner_m, config.epsilon_outer_m)
