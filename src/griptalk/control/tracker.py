"""Follows a joint reference at a fixed rate with commands that never leave the arm's limits.

The law is feed-forward plus proportional correction: the command aims at the reference one
period ahead, plus `correction_gain` times the current tracking error. Every command is then
limited, per joint, relative to the previous command: position inside the joint limits, speed
under the velocity limit, change of speed under the acceleration limit, and never faster than
it can still brake to a stop before a joint limit. A jumpy reference is therefore followed as
fast as the limits allow, never with a jump.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from griptalk.control.reference import JointReference
from griptalk.robot import PANDA_LIMITS, ArmLimits

# Approaching a target brakes at this fraction of the acceleration limit, so the hard limit
# keeps room to absorb the target's own motion without overshooting.
_APPROACH_BRAKING_FRACTION = 0.5


@dataclass(frozen=True)
class TrackerConfig:
    rate_hz: float = 100.0  # command rate [Hz]; the limits are applied per period 1/rate_hz
    limits: ArmLimits = field(default=PANDA_LIMITS)
    goal_tolerance_rad: float = 0.01  # done when every joint is this close to the goal
    settle_timeout_s: float = 2.0  # failed when not within tolerance this long after the end
    start_tolerance_rad: float = 0.05  # a reference must start this close to the measured joints
    correction_gain: float = 0.3  # share of the measured tracking error added to the command [0, 1]

    def __post_init__(self):
        if not (np.isfinite(self.rate_hz) and self.rate_hz >= 50.0):
            raise ValueError(f"rate_hz must be at least 50 Hz, got {self.rate_hz}")
        for name in ("goal_tolerance_rad", "settle_timeout_s", "start_tolerance_rad"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0.0):
                raise ValueError(f"{name} must be positive, got {value}")
        if not 0.0 <= self.correction_gain <= 1.0:
            raise ValueError(f"correction_gain must be in [0, 1], got {self.correction_gain}")

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
        self._reference: JointReference | None = None
        self._start_time = 0.0
        self._hold_q: np.ndarray | None = None
        self._command: np.ndarray | None = None
        self._velocity = np.zeros(len(config.limits.joint_names))
        self._done = False
        self._failed: str | None = None

    @property
    def active(self) -> bool:
        """Whether a reference is being followed."""
        return self._reference is not None

    def start(self, reference: JointReference, q_measured, t: float) -> None:
        """Follow `reference` from time t (s). Raises ValueError if it is unsafe or does not fit."""
        q = self._joint_vector(q_measured, "q_measured")
        names = self._limits.joint_names
        if reference.num_joints != len(names):
            raise ValueError(
                f"reference has {reference.num_joints} joints, the arm has {len(names)}")
        for index, point in enumerate(reference.positions):
            outside = np.flatnonzero((point < self._limits.lower) | (point > self._limits.upper))
            if outside.size:
                j = outside[0]
                raise ValueError(
                    f"reference point {index} at {reference.times_s[index]:.3f} s: {names[j]} = "
                    f"{point[j]:.4f} rad is outside [{self._limits.lower[j]:.4f}, "
                    f"{self._limits.upper[j]:.4f}]")
        gap = np.abs(reference.start - q)
        j = int(np.argmax(gap))
        if gap[j] > self.config.start_tolerance_rad:
            raise ValueError(
                f"reference starts {gap[j]:.3f} rad from the measured position on {names[j]} "
                f"(tolerance {self.config.start_tolerance_rad:.3f} rad)")
        if self._command is None:
            self._command = self._limits.clip(q)
        self._reference = reference
        self._start_time = float(t)
        self._done = False
        self._failed = None

    def hold(self, q) -> None:
        """Stop following any reference and move to (and stay at) q, clipped to the joint limits."""
        self._reference = None
        self._hold_q = self._limits.clip(self._joint_vector(q, "q"))
        self._done = False
        self._failed = None

    def reset(self, q_measured) -> None:
        """Forget the command history: hold q_measured at rest from the next step.

        For when the arm was stopped or moved by something else (a safety latch, a driver
        restart), so the last command no longer describes where it is.
        """
        q = self._limits.clip(self._joint_vector(q_measured, "q_measured"))
        self._command, self._velocity = q.copy(), np.zeros_like(q)
        self.hold(q)

    def step(self, t: float, q_measured) -> TrackerOutput:
        """The command for this period, given the time (s) and the measured joint positions."""
        q = self._joint_vector(q_measured, "q_measured")
        if self._command is None:  # the first command starts where the arm is
            self._command = self._limits.clip(q)
        if self._reference is None and self._hold_q is None:
            self.hold(q)
        if self._reference is None:
            command = self._limited_step(self._hold_q, np.zeros_like(q))
            progress = 1.0 if (self._done or self._failed) else 0.0
            return TrackerOutput(command, self._done, float(np.max(np.abs(self._hold_q - q))),
                                 progress, self._failed)

        reference = self._reference
        elapsed = float(t) - self._start_time
        q_now, _ = reference.sample(elapsed)
        q_next, dq_next = reference.sample(elapsed + self.config.period_s)
        target = q_next + self.config.correction_gain * (q_now - q)
        feed_forward = np.clip(dq_next, -self._limits.max_velocity, self._limits.max_velocity)
        command = self._limited_step(target, feed_forward)
        if reference.duration == 0.0:
            progress = 1.0
        else:
            progress = float(np.clip(elapsed / reference.duration, 0.0, 1.0))
        error = float(np.max(np.abs(q_now - q)))
        if elapsed >= reference.duration:
            late = elapsed - reference.duration
            if error <= self.config.goal_tolerance_rad:
                self._reference, self._hold_q, self._done = None, reference.goal, True
            elif late > self.config.settle_timeout_s:
                j = int(np.argmax(np.abs(q_now - q)))
                self._failed = (
                    f"not settled {self.config.settle_timeout_s:.2f} s after the end: "
                    f"{self._limits.joint_names[j]} is {error:.4f} rad from the goal "
                    f"(tolerance {self.config.goal_tolerance_rad:.4f} rad)")
                self._reference, self._hold_q = None, self._limits.clip(q)
        return TrackerOutput(command, self._done, error, progress, self._failed)

    def _limited_step(self, target: np.ndarray, target_velocity: np.ndarray) -> np.ndarray:
        dt = self.config.period_s
        v_max, a_max = self._limits.max_velocity, self._limits.max_acceleration
        previous, v_previous = self._command, self._velocity

        # Close the gap to the (moving) target, braking early enough not to overshoot it.
        gap = target - previous - target_velocity * dt
        approach = np.minimum(np.abs(gap) / dt,
                              _braking_speed(np.abs(gap), _APPROACH_BRAKING_FRACTION * a_max, dt))
        velocity = target_velocity + np.sign(gap) * approach

        # Hard limits, relative to the previous command.
        upper = np.minimum.reduce([v_previous + a_max * dt, v_max,
                                   _braking_speed(self._limits.upper - previous, a_max, dt)])
        lower = np.maximum.reduce([v_previous - a_max * dt, -v_max,
                                   -_braking_speed(previous - self._limits.lower, a_max, dt)])
        velocity = np.minimum(np.maximum(velocity, lower), upper)

        command = self._limits.clip(previous + velocity * dt)
        self._velocity = (command - previous) / dt
        self._command = command
        return command.copy()

    def _joint_vector(self, q, name: str) -> np.ndarray:
        q = np.asarray(q, dtype=float)
        joints = len(self._limits.joint_names)
        if q.shape != (joints,):
            raise ValueError(f"{name} must have shape ({joints},), got {q.shape}")
        if not np.all(np.isfinite(q)):
            raise ValueError(f"{name} must be finite (no NaN or inf)")
        return q


def _braking_speed(distance, acceleration, dt: float) -> np.ndarray:
    """Largest speed v such that stepping v*dt and then braking at `acceleration` stops within `distance`.

    Solves v*dt + v**2 / (2*acceleration) = distance; braking at the same rate stays feasible
    on every later step.
    """
    distance = np.maximum(distance, 0.0)
    return acceleration * (np.sqrt(dt * dt + 2.0 * distance / acceleration) - dt)
