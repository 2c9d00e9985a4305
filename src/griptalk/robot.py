"""The arm's description shared by sim, skills, controller and supervisor: Franka Panda."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ArmLimits:
    joint_names: tuple[str, ...]
    lower: np.ndarray  # [rad]
    upper: np.ndarray  # [rad]
    max_velocity: np.ndarray  # [rad/s]
    max_acceleration: np.ndarray  # [rad/s^2]

    def clip(self, q) -> np.ndarray:
        return np.clip(np.asarray(q, dtype=float), self.lower, self.upper)

    def within(self, q, margin: float = 0.0) -> bool:
        q = np.asarray(q, dtype=float)
        return bool(np.all(q >= self.lower + margin) and np.all(q <= self.upper - margin))


PANDA_JOINTS = tuple(f"panda_joint{i}" for i in range(1, 8))
PANDA_FINGER_JOINTS = ("panda_finger_joint1", "panda_finger_joint2")

# Franka's datasheet limits.
PANDA_LIMITS = ArmLimits(
    joint_names=PANDA_JOINTS,
    lower=np.array([-2.8973, -1.7628, -2.8973, -3.0718, -2.8973, -0.0175, -2.8973]),
    upper=np.array([2.8973, 1.7628, 2.8973, -0.0698, 2.8973, 3.7525, 2.8973]),
    max_velocity=np.array([2.175, 2.175, 2.175, 2.175, 2.61, 2.61, 2.61]),
    max_acceleration=np.array([15.0, 7.5, 10.0, 12.5, 15.0, 20.0, 20.0]),
)

# Arm raised above the base, clear of the camera's view of the table.
PANDA_HOME = np.array([0.0, -0.785, 0.0, -2.356, 0.0, 1.571, 0.785])

GRIPPER_MAX_WIDTH_M = 0.08
GRIPPER_MAX_SPEED_M_S = 0.1  # Franka Hand datasheet: the fastest the opening changes [m/s]
