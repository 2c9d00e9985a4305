"""The robot's own body in the camera's points: capsules around the arm's links, placed by its measured joints.

Without this filter the hand carrying an object across the table is one more object to perception: merged
with the bowl below it, a 21 cm tall phantom "box" or "drawer" that the skills then steer around.
The capsules are generous (the Panda's links are about 6 cm in radius, and a frame's joints may be a few
milliseconds older than its image); the fingers' capsule reaches below the fingertips, over what they hold.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from griptalk.skills.kinematics import ArmKinematics

# The arm's chain of link frames, base to hand, and the point between the fingertips.
CHAIN = ("panda_link1", "panda_link2", "panda_link3", "panda_link4", "panda_link5", "panda_link6",
         "panda_link7", "panda_hand")
TCP = "panda_grasptarget"
PALM_HALF_LENGTH_M = 0.105  # the hand's body along its closing axis, from its centre
PALM_BELOW_FLANGE_M = 0.03  # the palm's centre line below the hand's frame
HELD_BELOW_TCP_M = 0.04  # what the fingers hold hangs about this far below the point between them


@dataclass(frozen=True)
class RobotFilterConfig:
    link_radius_m: float = 0.10  # capsules around the arm's links
    hand_radius_m: float = 0.06  # around the palm, the fingers and what they hold

    def __post_init__(self) -> None:
        for name in ("link_radius_m", "hand_radius_m"):
            if not 0.0 < getattr(self, name) <= 0.3:
                raise ValueError(f"{name} must be in (0, 0.3] m, got {getattr(self, name)}")


@dataclass(frozen=True)
class Capsule:
    start: np.ndarray  # (3,) [m]
    end: np.ndarray  # (3,) [m]
    radius_m: float


def arm_capsules(kin: ArmKinematics, q, config: RobotFilterConfig = RobotFilterConfig()) -> list[Capsule]:
    """Capsules covering the arm in joint positions q (7,): one per link, the palm across the hand, and the
    fingers down to below the fingertips."""
    chain = kin.link_origins(q, CHAIN + (TCP,))
    hand, tcp = chain[-2], chain[-1]
    down = (tcp - hand) / max(float(np.linalg.norm(tcp - hand)), 1e-9)  # the hand's approach axis
    _, orientation = kin.fk(q)
    x, y, z, w = orientation
    across = np.array([2 * (x * y - w * z), 1 - 2 * (x * x + z * z), 2 * (y * z + w * x)])  # the hand's y axis
    palm = hand + PALM_BELOW_FLANGE_M * down
    capsules = [Capsule(a, b, config.link_radius_m) for a, b in zip(chain[:-2], chain[1:-1])]
    capsules.append(Capsule(palm - PALM_HALF_LENGTH_M * across, palm + PALM_HALF_LENGTH_M * across,
                            config.hand_radius_m))
    capsules.append(Capsule(palm, tcp + HELD_BELOW_TCP_M * down, config.hand_radius_m))
    return capsules


def inside_capsules(points: np.ndarray, capsules: list[Capsule]) -> np.ndarray:
    """Which of `points` (..., 3) lie inside any capsule (NaN points never do)."""
    flat = np.asarray(points, dtype=float).reshape(-1, 3)
    inside = np.zeros(len(flat), dtype=bool)
    finite = np.all(np.isfinite(flat), axis=1)
    for c in capsules:
        low = np.minimum(c.start, c.end) - c.radius_m
        high = np.maximum(c.start, c.end) + c.radius_m
        near = np.flatnonzero(finite & np.all((flat >= low) & (flat <= high), axis=1))
        if len(near) == 0:
            continue
        axis = c.end - c.start
        length_sq = float(axis @ axis)
        offset = flat[near] - c.start
        t = np.clip(offset @ axis / length_sq, 0.0, 1.0) if length_sq > 1e-12 else np.zeros(len(near))
        distance_sq = np.sum((offset - t[:, None] * axis) ** 2, axis=1)
        inside[near[distance_sq <= c.radius_m ** 2]] = True
    return inside.reshape(np.shape(points)[:-1])
