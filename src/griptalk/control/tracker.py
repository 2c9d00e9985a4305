"""Follows a joint reference at a fixed rate with commands that never leave the arm's limits.

Each period the model-predictive controller (griptalk.control.mpc) plans the next `horizon`
commands against the reference, previewed over the horizon, plus `correction_gain` times the
measured tracking error; the first planned step is sent, projected onto the exact limits (the
solver meets them only to its tolerance). Holding a pose follows a time-parameterized path to it,
so the QP always sees a reference it can follow. A failed solve never yields an unsafe command:
that period brakes every joint towards rest as fast as the limits allow and the status says why;
`max_failed_solves` in a row fail the motion, and the tracker holds where the braking ends.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from griptalk.control.mpc import JointMpc, MpcConfig
from griptalk.control.reference import JointReference
from griptalk.control.trajectory import time_parameterize
from griptalk.robot import PANDA_LIMITS, ArmLimits

# A held pose counts as reached this close: a new path to it would be shorter than the solver's accuracy.
_AT_POSE_RAD = 1e-4


@dataclass(frozen=True)
class TrackerConfig:
    rate_hz: float = 100.0  # command rate [Hz]; the limits are applied per period 1/rate_hz
    limits: ArmLimits = field(default=PANDA_LIMITS)
    goal_tolerance_rad: float = 0.01  # done when every joint is this close to the goal
    settle_timeout_s: float = 2.0  # failed when not within tolerance this long after the end
    start_tolerance_rad: float = 0.05  # a reference must start this close to the measured joints
    correction_gain: float = 0.3  # share of the measured tracking error added to the reference [0, 1]
    # The arm lags its commands (a driver ramps each over a period, then its servo follows): the
    # reference is previewed this much earlier so that the arm, not the command, is on time [s].
    lead_s: float = 0.0
    hold_speed_scale: float = 0.5  # share of the velocity and acceleration limits used to reach a held pose
    max_failed_solves: int = 5  # this many failed solves in a row fail the motion
    mpc: MpcConfig = field(default_factory=MpcConfig)

    def __post_init__(self):
        if not (np.isfinite(self.rate_hz) and 50.0 <= self.rate_hz <= 1000.0):
            raise ValueError(f"rate_hz must be in [50, 1000] Hz, got {self.rate_hz}")
        for name in ("goal_tolerance_rad", "settle_timeout_s", "start_tolerance_rad"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0.0):
                raise ValueError(f"{name} must be positive, got {value}")
        if not 0.0 <= self.correction_gain <= 1.0:
            raise ValueError(f"correction_gain must be in [0, 1], got {self.correction_gain}")
        if not (np.isfinite(self.lead_s) and 0.0 <= self.lead_s <= 0.2):
            raise ValueError(f"lead_s must be in [0, 0.2] s, got {self.lead_s}")
        if not 0.0 < self.hold_speed_scale <= 1.0:
            raise ValueError(f"hold_speed_scale must be in (0, 1], got {self.hold_speed_scale}")
        if not (isinstance(self.max_failed_solves, int) and self.max_failed_solves >= 1):
            raise ValueError(f"max_failed_solves must be an integer >= 1, got {self.max_failed_solves}")

    @property
    def period_s(self) -> float:
        return 1.0 / self.rate_hz


@dataclass(frozen=True)
class TrackerOutput:
    command_q: np.ndarray  # (J,) joint position command [rad]
    done: bool  # the reference has ended and the arm is within goal tolerance
    error_rad: float  # largest joint error to the reference (to the goal after its end, to the held pose)
    progress: float  # share of the reference's duration elapsed, 0..1
    failed: str | None  # why the motion failed, or None
    predicted_q: np.ndarray  # (N, J) the commands planned for the next N periods [rad]
    solved: bool  # the QP was solved; False: this command brakes to a stop
    solver_status: str  # the solver's status, e.g. "solved", "primal infeasible"
    solve_ms: float  # wall time of the QP solve [ms]


class TrajectoryTracker:
    """One reference at a time; between references it holds a pose.

    Before any start() or hold(), the first step() holds the measured position. After a motion
    ends it holds the goal and keeps reporting done; after a failure it holds the position
    measured when it failed (rather than pushing on towards an unreachable goal) and keeps
    reporting the failure, until the next start() or hold().
    """

    def __init__(self, config: TrackerConfig):
        self.config = config
        self._limits = config.limits
        self._mpc = JointMpc(config.mpc, config.period_s, config.limits)
        self._steps = np.arange(1, config.mpc.horizon + 1) * config.period_s
        self._reference: JointReference | None = None
        self._start_time = 0.0
        self._hold_q: np.ndarray | None = None
        self._hold_path: tuple[JointReference, float] | None = None  # (path to _hold_q, its start time)
        self._failed_solves = 0
        self._command: np.ndarray | None = None
        self._velocity = np.zeros(len(config.limits.joint_names))
        self._done = False
        self._failed: str | None = None

    @property
    def active(self) -> bool:
        """Whether a reference is being followed."""
        return self._reference is not None

    @property
    def lower(self) -> np.ndarray:
        """The lowest joint positions it commands: the limits less the MPC's margin [rad]."""
        return self._mpc.lower.copy()

    @property
    def upper(self) -> np.ndarray:
        return self._mpc.upper.copy()

    def start(self, reference: JointReference, q_measured, t: float) -> None:
        """Follow `reference` from time t (s). Raises ValueError if it is unsafe or does not fit."""
        q = self._joint_vector(q_measured, "q_measured")
        names = self._limits.joint_names
        if reference.num_joints != len(names):
            raise ValueError(
                f"reference has {reference.num_joints} joints, the arm has {len(names)}")
        lower, upper = self._mpc.lower, self._mpc.upper
        for index, point in enumerate(reference.positions):
            outside = np.flatnonzero((point < lower) | (point > upper))
            if outside.size:
                j = outside[0]
                raise ValueError(
                    f"reference point {index} at {reference.times_s[index]:.3f} s: {names[j]} = "
                    f"{point[j]:.4f} rad is outside [{lower[j]:.4f}, {upper[j]:.4f}] (the joint "
                    f"limits less a {self.config.mpc.joint_margin_rad:g} rad margin)")
        gap = np.abs(reference.start - q)
        j = int(np.argmax(gap))
        if gap[j] > self.config.start_tolerance_rad:
            raise ValueError(
                f"reference starts {gap[j]:.3f} rad from the measured position on {names[j]} "
                f"(tolerance {self.config.start_tolerance_rad:.3f} rad)")
        if self._command is None:
            self._command = self._clip(q)
        self._reference = reference
        self._start_time = float(t)
        self._done = False
        self._failed = None

    def hold(self, q) -> None:
        """Stop following any reference and move to (and stay at) q, clipped to the commanded range."""
        self._reference = None
        self._hold_q = self._clip(self._joint_vector(q, "q"))
        self._hold_path = None  # planned on the next step, from where the command is then
        self._done = False
        self._failed = None

    def reset(self, q_measured) -> None:
        """Forget the command history: hold q_measured at rest from the next step.

        For when the arm was stopped or moved by something else (a safety latch, a driver
        restart), so the last command no longer describes where it is.
        """
        q = self._clip(self._joint_vector(q_measured, "q_measured"))
        self._command, self._velocity = q.copy(), np.zeros_like(q)
        self.hold(q)

    def step(self, t: float, q_measured) -> TrackerOutput:
        """The command for this period, given the time (s) and the measured joint positions."""
        q = self._joint_vector(q_measured, "q_measured")
        if self._command is None:  # the first command starts where the arm is
            self._command = self._clip(q)
        if self._reference is None and self._hold_q is None:
            self.hold(q)

        reference = self._reference
        if reference is None:
            if self._hold_path is None or self._stopped_short(float(t)):
                self._hold_path = (self._path_to_hold(), float(t))
            path, began = self._hold_path
            ref_q, ref_v = self._preview(path, float(t) - began)
            error = float(np.max(np.abs(self._hold_q - q)))
            progress = 1.0 if (self._done or self._failed) else 0.0
        else:
            elapsed = float(t) - self._start_time
            q_now, _ = reference.sample(elapsed)
            ref_q, ref_v = self._preview(reference, elapsed + self.config.lead_s)
            ref_q = ref_q + self.config.correction_gain * (q_now - q)
            error = float(np.max(np.abs(q_now - q)))
            progress = 1.0 if reference.duration == 0.0 else float(np.clip(elapsed / reference.duration, 0.0, 1.0))

        solution = self._mpc.solve(self._command, self._velocity, ref_q, ref_v)
        velocity = solution.velocities[0] if solution.ok else self._mpc.braking_velocity(self._velocity)
        low, high = self._mpc.admissible_velocity(self._command, self._velocity)
        velocity = np.minimum(np.maximum(velocity, low), high)
        self._command = self._command + velocity * self.config.period_s
        self._velocity = velocity
        self._failed_solves = 0 if solution.ok else self._failed_solves + 1
        predicted = solution.positions if solution.ok else self._braking_path()[:len(self._steps)]
        if reference is not None and self._failed_solves >= self.config.max_failed_solves:
            self._failed = (f"MPC solve failed {self._failed_solves} times in a row ({solution.status}): "
                            "braked to a stop")
            self._reference, self._hold_q = None, self._braking_path()[-1]
            self._hold_path = (JointReference([0.0], [self._hold_q]), float(t))
            progress = 1.0
        elif reference is not None and elapsed >= reference.duration:
            late = elapsed - reference.duration
            if error <= self.config.goal_tolerance_rad:
                self._reference, self._done = None, True
                self._hold_q = self._clip(reference.goal)
                self._hold_path = (JointReference([0.0], [self._hold_q]), float(t))
            elif late > self.config.settle_timeout_s:
                j = int(np.argmax(np.abs(q_now - q)))
                self.hold(q)  # stop pushing towards a goal the arm does not reach
                self._failed = (
                    f"not settled {self.config.settle_timeout_s:.2f} s after the end: "
                    f"{self._limits.joint_names[j]} is {error:.4f} rad from the goal "
                    f"(tolerance {self.config.goal_tolerance_rad:.4f} rad)")
        return TrackerOutput(self._command.copy(), self._done, error, progress, self._failed, predicted,
                             solution.ok, solution.status, solution.solve_s * 1e3)

    def _preview(self, reference: JointReference, elapsed: float) -> tuple[np.ndarray, np.ndarray]:
        """The reference over the horizon after `elapsed`: positions and model velocities, (N, J) each."""
        ahead = np.array([reference.sample(elapsed + s)[0] for s in np.concatenate([[0.0], self._steps])])
        # Velocities as the model defines them, by differences: a reference that keeps the limits
        # is then exactly one the model can follow.
        return ahead[1:], np.diff(ahead, axis=0) / self.config.period_s

    def _stopped_short(self, t: float) -> bool:
        """At rest after the hold path ended, yet away from the held pose (it was held while moving)."""
        path, began = self._hold_path
        return (t - began > path.duration and self._at_rest()
                and not np.allclose(self._command, self._hold_q, rtol=0.0, atol=_AT_POSE_RAD))

    def _at_rest(self) -> bool:
        return bool(np.all(np.abs(self._velocity) <= self._limits.max_acceleration * self.config.period_s))

    def _path_to_hold(self) -> JointReference:
        """From the command to the held pose: time-parameterized when at rest, else the pose itself.

        A constant far-away target is a hard QP (every step saturated); a path is an easy one. When
        moving, the MPC first has to brake anyway, and the target is usually close.
        """
        if not self._at_rest():
            return JointReference([0.0], [self._hold_q])
        scale = self.config.hold_speed_scale
        return time_parameterize([self._command, self._hold_q], self._limits, scale, scale)

    def _braking_path(self) -> np.ndarray:
        """The commands that brake from the current command state to rest (at least N of them)."""
        q, v = self._command.copy(), self._velocity.copy()
        path = []
        while len(path) < len(self._steps) or np.any(v != 0.0):
            v = self._mpc.braking_velocity(v)
            q = q + v * self.config.period_s
            path.append(q.copy())
        return np.array(path)

    def _clip(self, q) -> np.ndarray:
        return np.clip(q, self._mpc.lower, self._mpc.upper)

    def _joint_vector(self, q, name: str) -> np.ndarray:
        q = np.asarray(q, dtype=float)
        joints = len(self._limits.joint_names)
        if q.shape != (joints,):
            raise ValueError(f"{name} must have shape ({joints},), got {q.shape}")
        if not np.all(np.isfinite(q)):
            raise ValueError(f"{name} must be finite (no NaN or inf)")
        return q
