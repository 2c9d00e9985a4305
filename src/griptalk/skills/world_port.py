"""The skill library's robot port on a simulated World, without ROS: for benchmarks and tests.

Perception here is perfect (the World's ground truth as scene objects) and time is the World's
simulated time; moves follow the same time-parameterised references the controller would, and
stop early when the wrist force passes the move's limit.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from griptalk.control.trajectory import time_parameterize
from griptalk.robot import PANDA_LIMITS
from griptalk.skills.library import MoveReport, SkillFailed
from griptalk.skills.motions import GripperSegment, MoveSegment
from griptalk.types import SceneGraph, SceneObject

ARRIVAL_TOLERANCE_RAD = 2e-3
SETTLE_LIMIT_S = 1.0  # after a reference ends, time allowed for the arm to arrive
GRIPPER_TIMEOUT_S = 1.5
GRIPPER_STILL_S = 0.15
FORCE_CHECK_EVERY = 4  # physics steps between wrist force readings


def perfect_scene(world) -> SceneGraph:
    """The World's objects as a perfect perception would report them."""
    objects = [SceneObject(s.id, s.type, s.color, s.position, s.yaw, np.array(s.size)) for s in world.object_states()]
    return SceneGraph(objects, [], world.drawer_opening_m(), world.sim_time)


class WorldPort:
    """RobotPort over a griptalk_sim World. `scorer(obj, candidates) -> scores` ranks grasps."""

    def __init__(self, world, scorer: Callable, velocity_scale: float = 0.4) -> None:
        if not 0.0 < velocity_scale <= 1.0:
            raise ValueError(f"velocity_scale must be in (0, 1], got {velocity_scale}")
        self.world, self.scorer, self.velocity_scale = world, scorer, velocity_scale
        self.phases: list[str] = []  # feedback so far
        self.cancel_after: int | None = None  # cancel once this many phases have started

    def joint_positions(self) -> np.ndarray:
        return self.world.joint_state()[1][:7].copy()

    def gripper_width(self) -> float:
        return self.world.gripper_width()

    def scene(self, newer_than_s: float | None = None) -> SceneGraph:
        return perfect_scene(self.world)  # rendered on demand: always fresh

    def now_s(self) -> float:
        return self.world.sim_time

    def score(self, obj: SceneObject, candidates) -> np.ndarray:
        return np.asarray(self.scorer(obj, candidates), dtype=float)

    def move(self, segment: MoveSegment, force_limit_n: float) -> MoveReport:
        w = self.world
        waypoints = np.vstack([self.joint_positions(), segment.waypoints[1:]])
        reference = time_parameterize(waypoints, PANDA_LIMITS, self.velocity_scale)
        peak = 0.0
        steps = int(np.ceil(reference.duration / w.time_step)) + 1
        for k in range(steps + int(SETTLE_LIMIT_S / w.time_step)):
            if k < steps:
                w.set_arm_targets(reference.sample(k * w.time_step)[0])
            elif np.max(np.abs(self.joint_positions() - segment.waypoints[-1])) < ARRIVAL_TOLERANCE_RAD:
                break
            w.step()
            if k % FORCE_CHECK_EVERY == 0:
                peak = max(peak, float(np.linalg.norm(w.wrist_wrench()[0])))
                if peak > force_limit_n:
                    w.set_arm_targets(self.joint_positions())  # hold where it is
                    return MoveReport(peak, True)
        return MoveReport(peak, False)

    def set_gripper(self, segment: GripperSegment) -> None:
        w = self.world
        w.set_gripper(segment.width_m, segment.force_n)
        last, still = w.gripper_width(), 0.0
        for _ in range(int(GRIPPER_TIMEOUT_S / w.time_step)):
            w.step()
            width = w.gripper_width()
            still = still + w.time_step if abs(width - last) < 1e-5 else 0.0
            last = width
            if still >= GRIPPER_STILL_S:
                return

    def check(self) -> None:
        if self.cancel_after is not None and len(self.phases) >= self.cancel_after:
            raise SkillFailed("canceled", f"canceled after {len(self.phases)} phases")

    def feedback(self, phase: str) -> None:
        self.phases.append(phase)
