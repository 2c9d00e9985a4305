"""The skill library: one plan step carried out through a robot port, and checked from sensing.

Each skill is planned whole before anything moves (IK within limits, paths clear of the table and
above the other objects), then run segment by segment through a `RobotPort` (the ROS skill server,
or a simulated world in benchmarks), with feedback and a cancel/safety check before every phase.
Success is judged from what the robot senses: the finger width, the wrist force, a fresh scene
graph. A failure raises `SkillFailed`, whose `reason` is one of FAILURE_REASONS.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from griptalk.robot import GRIPPER_MAX_WIDTH_M
from griptalk.skills.drawer import DRAWER_CLASS, open_tray, plan_close, plan_open
from griptalk.skills.grasps import NOMINAL_DEPTH_M, grasp_candidates, wrist_yaw
from griptalk.skills.kinematics import ArmKinematics
from griptalk.skills.motions import (GripperSegment, MotionConfig, MoveSegment, Segment, grasp_blocked, plan_grasp,
                                     plan_home, plan_place)
from griptalk.types import PlanStep, SceneGraph, SceneObject

FAILURE_REASONS = ("no_reachable_grasp", "not_visible", "missed", "slipped", "collision", "safety_stop", "canceled",
                   "unavailable", "not_holding", "unsupported")
# Phases that push or pull on purpose: the wrist force there is the task, not a collision.
FORCEFUL_PHASES = frozenset({"pull", "push"})


class SkillFailed(Exception):
    """The skill cannot go on. `reason` (FAILURE_REASONS) classifies it; the message says why."""

    def __init__(self, reason: str, message: str) -> None:
        if reason not in FAILURE_REASONS:
            raise ValueError(f"unknown failure reason {reason!r}; known: {', '.join(FAILURE_REASONS)}")
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class MoveReport:
    peak_force_n: float  # largest wrist force magnitude during the move [N]
    stopped_on_force: bool  # the port stopped the arm because the force passed the move's limit


class RobotPort(Protocol):
    """What the library needs from a robot. Every method may raise SkillFailed."""

    def joint_positions(self) -> np.ndarray: ...

    def gripper_width(self) -> float: ...

    def scene(self, newer_than_s: float | None = None) -> SceneGraph | None:
        """The latest scene graph; with `newer_than_s`, one stamped after it (None if none comes in time)."""

    def now_s(self) -> float: ...

    def score(self, obj: SceneObject, candidates) -> np.ndarray: ...

    def move(self, segment: MoveSegment, force_limit_n: float) -> MoveReport:
        """Follow the waypoints from where the arm is; stop early once the wrist force passes the limit."""

    def set_gripper(self, segment: GripperSegment) -> None:
        """Command the fingers and wait until they stop (on an object or at the width)."""

    def check(self) -> None:
        """Raise SkillFailed ("canceled" or "safety_stop") when the skill must stop."""

    def feedback(self, phase: str) -> None: ...


@dataclass(frozen=True)
class SkillConfig:
    grasp_candidates: int = 16  # sampled per object
    grasp_plans_tried: int = 4  # best-scored candidates planned before reporting no reachable grasp
    grasp_attempts: int = 2  # grasps tried on the object before giving up
    min_held_width_m: float = 0.004  # finger opening below which the fingers hold nothing
    collision_force_n: float = 20.0  # wrist force that stops an ordinary move as a collision
    forceful_limit_n: float = 40.0  # the same while pulling or pushing on purpose
    push_contact_force_n: float = 3.0  # wrist force showing that a push met the drawer
    moved_on_table_m: float = 0.01  # a grasped object seen this close to where it stood was not lifted
    # A tilted grasp goes before a top-down one only when its predicted success is this much higher: the place
    # keeps the grasp's tilt (the object stays upright), and tilted release poses are often out of reach.
    tilted_score_margin: float = 0.1
    motion: MotionConfig = field(default_factory=MotionConfig)

    def __post_init__(self) -> None:
        for name in ("grasp_candidates", "grasp_plans_tried", "grasp_attempts"):
            if getattr(self, name) < 1:
                raise ValueError(f"SkillConfig.{name} must be >= 1, got {getattr(self, name)}")
        if not 0.0 <= self.tilted_score_margin <= 1.0:
            raise ValueError(f"SkillConfig.tilted_score_margin must be in [0, 1], got {self.tilted_score_margin}")
        if not 0.0 <= self.min_held_width_m < GRIPPER_MAX_WIDTH_M:
            raise ValueError(f"SkillConfig.min_held_width_m must be in [0, {GRIPPER_MAX_WIDTH_M}), "
                             f"got {self.min_held_width_m}")
        for name in ("collision_force_n", "forceful_limit_n", "push_contact_force_n", "moved_on_table_m"):
            if not getattr(self, name) > 0.0:
                raise ValueError(f"SkillConfig.{name} must be > 0, got {getattr(self, name)}")


@dataclass
class Held:
    obj: SceneObject  # as seen before the grasp
    depth_m: float  # TCP below the object's top when grasped


class SkillLibrary:
    """Runs plan steps on one robot; remembers what the gripper holds between steps."""

    def __init__(self, port: RobotPort, kinematics: ArmKinematics | None = None,
                 config: SkillConfig = SkillConfig()) -> None:
        self.port = port
        self.kin = kinematics or ArmKinematics()
        self.config = config
        self.held: Held | None = None

    def execute(self, step: PlanStep) -> str:
        """Carry out `step`; returns what was done, raises SkillFailed."""
        handlers = {"grasp": self.grasp, "place": self.place, "open": self.open, "close": self.close,
                    "home": lambda _step: self.home()}
        self.port.check()
        return handlers[step.skill](step)

    # --- skills --------------------------------------------------------------------------------

    def grasp(self, step: PlanStep) -> str:
        object_id = self._object_id(step)
        if self.held is not None:
            if self.held.obj.id == object_id and self.port.gripper_width() >= self.config.min_held_width_m:
                return f"already holding the {object_id}"
            raise SkillFailed("unsupported", f"the gripper already holds the {self.held.obj.id}")
        obj, scene = self._visible(object_id)
        q = self.port.joint_positions()
        candidates = grasp_candidates(obj, self.config.grasp_candidates, reference_yaw=wrist_yaw(self.kin.fk(q)[1]))
        if not candidates:
            raise SkillFailed("no_reachable_grasp", f"no grasp fits the {obj.id}: it is wider than the gripper opens")
        scores = np.asarray(self.port.score(obj, candidates), dtype=float)
        obstacles = [o for o in scene.objects if o.id != obj.id]
        reasons, clear, attempts = [], [], 0
        tilted = np.array([abs(c.tilt) > 1e-6 for c in candidates])
        preference = scores - self.config.tilted_score_margin * tilted
        for i in np.argsort(-preference, kind="stable"):  # what the geometry rules out costs no plan
            blocked = grasp_blocked(candidates[i], obstacles, self.config.motion)
            if blocked is None:
                clear.append(i)
            else:
                reasons.append(blocked)
        for i in clear[:self.config.grasp_plans_tried]:
            segments = plan_grasp(self.kin, self.port.joint_positions(), candidates[i], obstacles, self.config.motion)
            if isinstance(segments, str):
                reasons.append(segments)
                continue
            attempts += 1
            self._run(segments)
            missed = self._grasp_missed(obj)
            if missed is None:
                self.held = Held(obj, float(obj.top_z - candidates[i].position[2]))
                return (f"holding the {obj.id} (score {scores[i]:.2f}, attempt {attempts}, "
                        f"fingers {self.port.gripper_width() * 1000:.0f} mm apart)")
            self._run([GripperSegment("release", candidates[i].width_m, self.config.motion.release_force_n)])
            reasons.append(missed)
            if attempts >= self.config.grasp_attempts:
                raise SkillFailed("missed", f"{missed} ({attempts} attempts)")
        if attempts:
            raise SkillFailed("missed", reasons[-1])
        raise SkillFailed("no_reachable_grasp", reasons[0] if reasons else f"no reachable grasp for the {obj.id}")

    def place(self, step: PlanStep) -> str:
        object_id = self._object_id(step)
        if step.target is None:
            raise SkillFailed("unsupported", "place needs a target")
        if self.held is None or self.held.obj.id != object_id:
            raise SkillFailed("not_holding", f"cannot place the {object_id}: the gripper does not hold it")
        if self.port.gripper_width() < self.config.min_held_width_m:
            self.held = None
            raise SkillFailed("slipped", f"the {object_id} slipped out of the gripper")
        # The arm holding the object may hide the target from the camera: its last pose will do.
        target, scene = self._visible(step.target.id, allow_stale=True)
        held = self.held
        obstacles = [o for o in scene.objects if o.id not in (held.obj.id, target.id)]
        if target.object_class == DRAWER_CLASS:
            if step.relation != "in":
                raise SkillFailed("unsupported", f"things go in the {target.id}, not {step.relation} it")
            # Into the tray pulled out of the cabinet, whose closed box stays an obstacle.
            obstacles.append(target)
            target = open_tray(target, scene.drawer_opening_m)
        segments = plan_place(self.kin, self.port.joint_positions(), target, step.relation, held.obj,
                              held.depth_m or NOMINAL_DEPTH_M, obstacles, self.config.motion)
        if isinstance(segments, str):
            raise SkillFailed("no_reachable_grasp", segments)
        transport = [s for s in segments if s.name in ("transport", "lower")]
        self._run(transport)
        if self.port.gripper_width() < self.config.min_held_width_m:
            self.held = None
            raise SkillFailed("slipped", f"the {held.obj.id} slipped out of the gripper on the way")
        self._run(segments[len(transport):])
        self.held = None
        self.home()
        return f"released the {held.obj.id} {step.relation} the {step.target.id}"

    def open(self, step: PlanStep) -> str:
        drawer, scene = self._drawer(step)
        segments = plan_open(self.kin, self.port.joint_positions(), drawer,
                             [o for o in scene.objects if o.id != drawer.id], self.config.motion)
        if isinstance(segments, str):
            raise SkillFailed("no_reachable_grasp", segments)
        for segment in segments:
            self._run([segment])
            if segment.name == "close" and self.port.gripper_width() < self.config.min_held_width_m:
                self._let_go_and_rise()
                raise SkillFailed("missed", f"missed the {drawer.id}'s handle: the fingers closed on nothing")
            if segment.name == "pull":
                if self.port.gripper_width() < self.config.min_held_width_m:
                    self._let_go_and_rise()
                    raise SkillFailed("slipped", f"the {drawer.id}'s handle slipped out of the fingers")
                reached = self.kin.fk(self.port.joint_positions())[0]
                if np.linalg.norm(reached - self.kin.fk(segment.waypoints[-1])[0]) > 0.02:
                    self._let_go_and_rise()
                    raise SkillFailed("collision", f"the {drawer.id} did not follow the pull: it is stuck")
        self.home()
        return f"opened the {drawer.id}"

    def close(self, step: PlanStep) -> str:
        drawer, scene = self._drawer(step)
        segments = plan_close(self.kin, self.port.joint_positions(), drawer,
                              [o for o in scene.objects if o.id != drawer.id], self.config.motion)
        if isinstance(segments, str):
            raise SkillFailed("no_reachable_grasp", segments)
        peak = 0.0
        for segment in segments:
            report = self._run([segment])
            if segment.name == "push":
                peak = report.peak_force_n
        self.home()
        if peak < self.config.push_contact_force_n:
            return f"the {drawer.id} was already closed: the push met no resistance"
        return f"pushed the {drawer.id} shut (wrist force up to {peak:.0f} N)"

    def home(self) -> str:
        segments = plan_home(self.kin, self.port.joint_positions(), self.config.motion)
        if isinstance(segments, str):
            raise SkillFailed("no_reachable_grasp", segments)
        self._run(segments)
        return "at home"

    # --- helpers -------------------------------------------------------------------------------

    def _run(self, segments: Sequence[Segment]) -> MoveReport:
        """Run segments in order, each after a cancel/safety check and a feedback message."""
        peak = 0.0
        for segment in segments:
            self.port.check()
            self.port.feedback(segment.name)
            if isinstance(segment, GripperSegment):
                self.port.set_gripper(segment)
                continue
            forceful = segment.name in FORCEFUL_PHASES
            limit = self.config.forceful_limit_n if forceful else self.config.collision_force_n
            try:
                report = self.port.move(segment, limit)
            except SkillFailed as e:  # a safety stop or a cancel mid-move: say in which phase
                raise SkillFailed(e.reason, f"{segment.name}: {e}") from None
            peak = max(peak, report.peak_force_n)
            if report.stopped_on_force:
                raise SkillFailed("collision", f"{segment.name}: stopped at a wrist force of "
                                               f"{report.peak_force_n:.0f} N: the hand hit something")
        return MoveReport(peak, False)

    def _grasp_missed(self, obj: SceneObject) -> str | None:
        """Why the grasp just made holds nothing, or None when the fingers and a fresh view agree it holds."""
        if self.port.gripper_width() < self.config.min_held_width_m:
            return f"missed the {obj.id}: the fingers closed on nothing"
        fresh = self.port.scene(newer_than_s=self.port.now_s())
        seen = fresh.get(obj.id) if fresh is not None else None
        if (seen is not None and not seen.stale
                and np.linalg.norm(seen.position[:2] - obj.position[:2]) < self.config.moved_on_table_m
                and abs(seen.position[2] - obj.position[2]) < self.config.moved_on_table_m):
            return f"missed the {obj.id}: it is still where it stood"
        return None

    def _let_go_and_rise(self) -> None:
        """Open the fingers and go home (straight up first, clear of the drawer)."""
        self._run([GripperSegment("release", GRIPPER_MAX_WIDTH_M / 2.0, self.config.motion.release_force_n)])
        self.home()

    def _object_id(self, step: PlanStep) -> str:
        if step.object is None:
            raise SkillFailed("unsupported", f"{step.skill} needs an object")
        return step.object.id

    def _visible(self, object_id: str, allow_stale: bool = False) -> tuple[SceneObject, SceneGraph]:
        scene = self.port.scene()
        if scene is None:
            raise SkillFailed("unavailable", "no scene graph from perception")
        obj = scene.get(object_id)
        if obj is None or (obj.stale and not allow_stale):
            raise SkillFailed("not_visible", f"cannot see the {object_id}")
        return obj, scene

    def _drawer(self, step: PlanStep) -> tuple[SceneObject, SceneGraph]:
        if self.held is not None:
            raise SkillFailed("unsupported", f"cannot {step.skill} the drawer while holding the {self.held.obj.id}")
        drawer, scene = self._visible(self._object_id(step), allow_stale=True)
        if drawer.object_class != DRAWER_CLASS:
            raise SkillFailed("unsupported", f"the {drawer.id} is a {drawer.object_class}: only drawers open and close")
        return drawer, scene
