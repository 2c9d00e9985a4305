"""The gate every arm and gripper command passes through before it reaches the robot.

NOT A CERTIFIED SAFETY FUNCTION. This is software on a general-purpose computer, fed by
topics; it lowers risk in simulation and in supervised lab use, and does not replace a
robot's own safety controller, a hardware emergency stop, or a risk assessment.

Policy:
- Default deny: a command is forwarded only when every check passes; otherwise it is
  rejected with a reason and nothing reaches the robot.
- A rejected command does not latch: it never reached the robot, and the controller may
  recover (e.g. re-plan from the measured pose).
- Latched stops come from what is measured or declared about the robot: an e-stop, the wrist
  force over its limit, joint states going stale, a joint moving faster than allowed, and the
  heartbeats of the controller (its commands) and the camera going silent once they have
  started. While latched nothing is forwarded (gripper included); `hold_command()` gives the
  joint position measured when the stop latched, for the node to command (a category-2 style
  hold). Only `reset()` clears a latch, and only once its cause has gone.
- Speed scaling: near the surface beneath the hand (the table, or the top of an obstacle under
  it) a command's downward end-effector speed is capped, from `slow_speed_m_s` at contact up to
  `max_speed_m_s` at `slow_zone_m` and above; a faster command is scaled down along its own
  direction and forwarded ("limited"). Heights are those of the hand's lowest point (the
  fingertips, `hand_below_tcp_m` under the fk point). Once something pushes the hand up harder than
  `contact_force_n`, no command may go further down. Contact forces rise within a physics step, so
  the approach speed is what bounds the force peak before the force latch can act.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from griptalk.robot import GRIPPER_MAX_WIDTH_M, PANDA_LIMITS, ArmLimits

# ISO/TS 15066 quasi-static contact force for the hand; the working limit must stay well below.
_ISO_TS_15066_HAND_N = 140.0
_ROUNDING = 1e-9  # relative slack for floating-point rounding


@dataclass(frozen=True)
class SafetyConfig:
    force_limit_n: float = 25.0  # sustained wrist force that latches a stop [N]
    force_sustain_s: float = 0.05  # the force must stay over the limit this long to latch [s]
    force_peak_limit_n: float = 60.0  # wrist force that latches at once [N]
    limits: ArmLimits = field(default=PANDA_LIMITS)
    joint_margin_rad: float = 0.02  # commands must stay this far inside the joint limits [rad]
    command_rate_hz: float = 100.0  # the controller's command rate [Hz]
    # A command may lead the measured joints by this many command periods at full joint speed.
    step_allowance_periods: float = 5.0
    speed_limit_factor: float = 1.5  # measured joint speed over factor * velocity limit latches
    fence_min_m: tuple[float, float, float] = (0.15, -0.5, -0.01)  # end-effector box, base frame [m]
    fence_max_m: tuple[float, float, float] = (0.85, 0.5, 0.9)
    state_timeout_s: float = 0.25  # joint states older than this are stale (and latch) [s]
    command_timeout_s: float = 0.5  # the controller silent this long after its first command latches [s]
    camera_timeout_s: float = 2.0  # the camera silent this long after its first frame latches [s]
    gripper_max_force_n: float = 40.0  # grasp force allowed to the gripper [N]
    table_z_m: float = 0.0  # height of the table top in the base frame [m]
    slow_zone_m: float = 0.10  # downward speed is capped within this height above the surface below [m]
    slow_speed_m_s: float = 0.05  # downward end-effector speed allowed at the surface [m/s]
    max_speed_m_s: float = 1.0  # downward end-effector speed allowed at the top of the zone [m/s]
    hand_below_tcp_m: float = 0.0  # the hand's lowest point (fingertips) below the fk point [m]
    contact_force_n: float = 10.0  # upward wrist force at which commands may no longer descend [N]

    def __post_init__(self):
        positive = ("force_limit_n", "force_peak_limit_n", "command_rate_hz",
                    "step_allowance_periods", "state_timeout_s", "command_timeout_s",
                    "camera_timeout_s", "gripper_max_force_n", "slow_zone_m", "slow_speed_m_s",
                    "max_speed_m_s", "contact_force_n")
        for name in positive:
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0.0):
                raise ValueError(f"{name} must be positive, got {value}")
        if self.force_limit_n > _ISO_TS_15066_HAND_N:
            raise ValueError(f"force_limit_n = {self.force_limit_n} N exceeds the ISO/TS 15066 "
                             f"hand value of {_ISO_TS_15066_HAND_N} N")
        if not self.force_limit_n <= self.force_peak_limit_n <= _ISO_TS_15066_HAND_N:
            raise ValueError(f"force_peak_limit_n must be in [force_limit_n, "
                             f"{_ISO_TS_15066_HAND_N}] N, got {self.force_peak_limit_n}")
        if not (np.isfinite(self.force_sustain_s) and self.force_sustain_s >= 0.0):
            raise ValueError(f"force_sustain_s must be >= 0, got {self.force_sustain_s}")
        half_range = float(np.min(self.limits.upper - self.limits.lower)) / 2.0
        if not 0.0 <= self.joint_margin_rad < half_range:
            raise ValueError(f"joint_margin_rad must be in [0, {half_range:.3f}), "
                             f"got {self.joint_margin_rad}")
        if not self.speed_limit_factor >= 1.0:
            raise ValueError(f"speed_limit_factor must be >= 1, got {self.speed_limit_factor}")
        low, high = np.asarray(self.fence_min_m, float), np.asarray(self.fence_max_m, float)
        if low.shape != (3,) or high.shape != (3,) or not np.all(np.isfinite([low, high])):
            raise ValueError("fence_min_m and fence_max_m must be three finite numbers each")
        if not np.all(low < high):
            raise ValueError(f"fence_min_m {tuple(low)} must be below fence_max_m {tuple(high)} "
                             "on every axis")
        if not self.slow_speed_m_s <= self.max_speed_m_s:
            raise ValueError(f"slow_speed_m_s ({self.slow_speed_m_s}) must not exceed max_speed_m_s "
                             f"({self.max_speed_m_s})")
        if not self.contact_force_n <= self.force_limit_n:
            raise ValueError(f"contact_force_n ({self.contact_force_n}) must not exceed force_limit_n "
                             f"({self.force_limit_n})")
        if not (np.isfinite(self.hand_below_tcp_m) and self.hand_below_tcp_m >= 0.0):
            raise ValueError(f"hand_below_tcp_m must be >= 0, got {self.hand_below_tcp_m}")
        if not np.isfinite(self.table_z_m):
            raise ValueError(f"table_z_m must be finite, got {self.table_z_m}")

    @property
    def max_joint_step(self) -> np.ndarray:
        """Largest allowed distance between a command and the measured joints, per joint [rad]."""
        return self.limits.max_velocity * self.step_allowance_periods / self.command_rate_hz


@dataclass(frozen=True)
class Decision:
    forward: bool
    command: np.ndarray | None  # what to send when forwarded: joint positions, or (width_m, force_n)
    reason: str  # "ok" when forwarded


@dataclass(frozen=True)
class SafetyEvent:
    t: float  # [s]
    kind: str  # "estop" | "force" | "stale_state" | "overspeed" | "controller_silent" | "camera_silent" | "reset"
    reason: str


@dataclass(frozen=True)
class Status:
    state: str  # "ok" | "limited" (not latched, but commands are refused or missing) | "stopped" (latched)
    latched: bool
    reason: str
    force_n: float  # latest wrist force magnitude [N]
    peak_force_n: float  # largest since start (a reset does not clear it) [N]
    forwarded: int  # commands forwarded, arm and gripper
    rejected: int  # commands rejected, arm and gripper


class SafetySupervisor:
    """Default-deny command gate with latched stops. Times are seconds on one clock (sim or wall)."""

    def __init__(self, config: SafetyConfig, fk: Callable[[np.ndarray], np.ndarray]):
        """`fk(q)` returns the end-effector position (x, y, z) in the base frame [m]."""
        self.config = config
        self._fk = fk
        self._joints = len(config.limits.joint_names)
        self._fence_min = np.asarray(config.fence_min_m, dtype=float)
        self._fence_max = np.asarray(config.fence_max_m, dtype=float)
        self._q: np.ndarray | None = None
        self._dq: np.ndarray | None = None
        self._state_t: float | None = None
        self._force_n = 0.0
        self._force_up_n = 0.0  # the latest wrist force's upward component [N]
        self._peak_force_n = 0.0
        self._force_over_since: float | None = None
        self._last_command_t: float | None = None  # the controller's heartbeat
        self._camera_t: float | None = None  # the camera's heartbeat
        self._obstacles = np.zeros((0, 2, 3))  # axis-aligned boxes (min, max corner) [m]
        self._last_forwarded: np.ndarray | None = None  # the arm's latest target, None after a stop
        self._last_arm_rejection: str | None = None
        self._last_gripper_rejection: str | None = None
        self._latch: SafetyEvent | None = None
        self._hold_q: np.ndarray | None = None
        self._events: list[SafetyEvent] = []
        self._forwarded = 0
        self._rejected = 0

    # ---- inputs -------------------------------------------------------------------------

    def on_joint_state(self, t: float, q, dq) -> bool:
        """Record a measurement; False (and nothing recorded) if malformed, so the state can go stale."""
        q, dq = np.asarray(q, dtype=float), np.asarray(dq, dtype=float)
        if q.shape != (self._joints,) or dq.shape != (self._joints,):
            return False
        if not (np.all(np.isfinite(q)) and np.all(np.isfinite(dq))):
            return False
        self._q, self._dq, self._state_t = q.copy(), dq.copy(), float(t)
        speed_ratio = np.abs(dq) / self.config.limits.max_velocity
        j = int(np.argmax(speed_ratio))
        if speed_ratio[j] > self.config.speed_limit_factor:
            limits = self.config.limits
            self._latch_stop(t, "overspeed",
                             f"{limits.joint_names[j]} moving at {abs(dq[j]):.2f} rad/s, over "
                             f"{self.config.speed_limit_factor:g} x its "
                             f"{limits.max_velocity[j]:.2f} rad/s limit")
        return True

    def on_wrench(self, t: float, force_xyz) -> bool:
        """Record the wrist force; False (and nothing recorded) if malformed."""
        force = np.asarray(force_xyz, dtype=float)
        if force.shape != (3,) or not np.all(np.isfinite(force)):
            return False
        self._force_n = float(np.linalg.norm(force))
        self._force_up_n = float(force[2])
        self._peak_force_n = max(self._peak_force_n, self._force_n)
        limit = self.config.force_limit_n
        if self._force_n <= limit:
            self._force_over_since = None
            return True
        if self._force_over_since is None:
            self._force_over_since = float(t)
        if self._force_n > self.config.force_peak_limit_n:
            self._latch_stop(t, "force", f"wrist force {self._force_n:.1f} N over the peak "
                                         f"limit {self.config.force_peak_limit_n:g} N")
        elif t - self._force_over_since >= self.config.force_sustain_s:
            self._latch_stop(t, "force", f"wrist force {self._force_n:.1f} N over the {limit:g} N "
                                         f"limit for {t - self._force_over_since:.3f} s")
        return True

    def on_estop(self, t: float, source: str) -> None:
        self._latch_stop(t, "estop", f"e-stop from {source}")

    def on_camera(self, t: float) -> None:
        """A camera frame arrived: the camera's heartbeat."""
        self._camera_t = float(t)

    def on_obstacles(self, boxes) -> bool:
        """Replace the obstacles: (K, 2, 3) min and max corners [m]; False (and nothing changed) if malformed."""
        boxes = np.asarray(boxes, dtype=float).reshape(-1, 2, 3) if np.size(boxes) else np.zeros((0, 2, 3))
        if not np.all(np.isfinite(boxes)) or np.any(boxes[:, 0] > boxes[:, 1]):
            return False
        self._obstacles = boxes.copy()
        return True

    # ---- watchdog -----------------------------------------------------------------------

    def check_watchdogs(self, t: float) -> None:
        """Latch if joint states went stale or a heartbeat stopped. Every check, status and reset runs it first."""
        cfg = self.config
        # The controller's silence counts up to the latest joint state: a frozen simulator or driver
        # stops sim time, and with it the controller; the stale-state watchdog names that cause.
        state_t = t if self._state_t is None else self._state_t
        for kind, now, since, timeout, what in (
                ("stale_state", t, self._state_t, cfg.state_timeout_s, "no joint state"),
                ("controller_silent", state_t, self._last_command_t, cfg.command_timeout_s, "no controller command"),
                ("camera_silent", t, self._camera_t, cfg.camera_timeout_s, "no camera frame")):
            if since is not None and now - since > timeout:
                self._latch_stop(t, kind, f"{what} for {now - since:.3f} s (timeout {timeout:g} s)")

    # ---- gates --------------------------------------------------------------------------

    def check_arm_command(self, t: float, q_cmd, joint_names=()) -> Decision:
        """`q_cmd` in the order of `joint_names`, or in the arm's order when none are given."""
        self.check_watchdogs(t)
        self._last_command_t = float(t)
        q, reason = self._vet_arm_command(q_cmd, list(joint_names))
        self._last_arm_rejection = None if reason == "ok" else reason
        if q is None:
            return self._reject(reason)
        self._forwarded += 1
        self._last_forwarded = q.copy()
        return Decision(True, q, reason)

    def check_gripper_command(self, t: float, width_m: float, force_n: float) -> Decision:
        self.check_watchdogs(t)
        reason = self._gate_closed_reason()
        if reason is None and not (np.isfinite(width_m) and 0.0 <= width_m <= GRIPPER_MAX_WIDTH_M):
            reason = f"gripper width {width_m} m outside [0, {GRIPPER_MAX_WIDTH_M}] m"
        max_force = self.config.gripper_max_force_n
        if reason is None and not (np.isfinite(force_n) and 0.0 <= force_n <= max_force):
            reason = f"gripper force {force_n} N outside [0, {max_force:g}] N"
        self._last_gripper_rejection = reason
        if reason is not None:
            return self._reject(reason)
        self._forwarded += 1
        return Decision(True, np.array([width_m, force_n], dtype=float), "ok")

    # ---- latch ----------------------------------------------------------------------------

    @property
    def latched(self) -> bool:
        return self._latch is not None

    @property
    def events(self) -> tuple[SafetyEvent, ...]:
        """Every latch and reset, oldest first."""
        return tuple(self._events)

    def hold_command(self) -> np.ndarray | None:
        """While latched: the joint position measured when the stop latched.

        None when not latched, or when no joint state had been measured before the latch.
        """
        if self._latch is None or self._hold_q is None:
            return None
        return self._hold_q.copy()

    def reset(self, t: float) -> tuple[bool, str]:
        """Clear the latch if its causes are gone; otherwise refuse and say why."""
        self.check_watchdogs(t)
        if self._latch is None:
            return True, "not latched"
        blockers = []
        age = self._state_age(t)
        if age is None or age > self.config.state_timeout_s:
            blockers.append("joint states are not fresh")
        if self._force_n > self.config.force_limit_n:
            blockers.append(f"wrist force {self._force_n:.1f} N is over the "
                            f"{self.config.force_limit_n:g} N limit")
        speed_limit = self.config.speed_limit_factor * self.config.limits.max_velocity
        if self._dq is not None and np.any(np.abs(self._dq) > speed_limit):
            blockers.append("a joint is still over its speed limit")
        for since, timeout, what in ((self._last_command_t, self.config.command_timeout_s, "controller"),
                                     (self._camera_t, self.config.camera_timeout_s, "camera")):
            if since is not None and t - since > timeout:
                blockers.append(f"the {what} is silent ({t - since:.1f} s)")
        if blockers:
            return False, "reset refused: " + "; ".join(blockers)
        cleared = self._latch.reason
        self._latch, self._hold_q = None, None
        self._last_forwarded = None  # the hold moved the arm: steps count from where it is
        self._force_over_since = None
        self._last_arm_rejection = self._last_gripper_rejection = None
        self._events.append(SafetyEvent(float(t), "reset", f"cleared: {cleared}"))
        return True, f"reset: cleared {cleared}"

    def status(self, t: float) -> Status:
        self.check_watchdogs(t)
        if self._latch is not None:
            state, reason = "stopped", self._latch.reason
        else:
            # The latest arm and gripper commands' refusals or limits, until one of the same kind passes.
            reason = self._gate_closed_reason() or "; ".join(
                r for r in (self._last_arm_rejection, self._last_gripper_rejection) if r)
            state = "limited" if reason else "ok"
        return Status(state, self._latch is not None, reason or "ok", self._force_n,
                      self._peak_force_n, self._forwarded, self._rejected)

    # ---- internals ------------------------------------------------------------------------

    def _latch_stop(self, t: float, kind: str, reason: str) -> None:
        if self._latch is not None:
            return
        self._latch = SafetyEvent(float(t), kind, reason)
        self._hold_q = None if self._q is None else self._q.copy()
        self._events.append(self._latch)

    def _state_age(self, t: float) -> float | None:
        return None if self._state_t is None else float(t) - self._state_t

    def _gate_closed_reason(self) -> str | None:
        if self._latch is not None:
            return f"latched: {self._latch.reason}"
        if self._q is None:
            return "no joint state yet"
        return None

    def _vet_arm_command(self, q_cmd, joint_names: list[str]) -> tuple[np.ndarray | None, str]:
        """(command to forward, "ok" or how it was limited), or (None, why it is refused).

        A command too far ahead of the measured position is clipped to the largest allowed step,
        and one descending too fast near a surface is slowed, not refused: refusing would leave a
        lagging arm stuck while the controller runs ahead.
        """
        closed = self._gate_closed_reason()
        if closed is not None:
            return None, closed
        limits, margin = self.config.limits, self.config.joint_margin_rad
        q = np.asarray(q_cmd, dtype=float)
        if joint_names and sorted(joint_names) != sorted(limits.joint_names):
            return None, f"arm command names joints {joint_names}, not the arm's {list(limits.joint_names)}"
        if q.shape != (self._joints,):
            return None, f"arm command has shape {q.shape}, expected ({self._joints},)"
        if joint_names:
            q = q[[joint_names.index(j) for j in limits.joint_names]]
        if not np.all(np.isfinite(q)):
            return None, "arm command is not finite"
        outside = np.flatnonzero((q < limits.lower + margin) | (q > limits.upper - margin))
        if outside.size:
            j = outside[0]
            return None, (f"{limits.joint_names[j]} = {q[j]:.4f} rad outside its limits "
                          f"[{limits.lower[j]:.4f}, {limits.upper[j]:.4f}] less a {margin:g} rad margin")
        notes = []
        step = q - self._q
        j = int(np.argmax(np.abs(step) / self.config.max_joint_step))
        if abs(step[j]) > self.config.max_joint_step[j]:
            notes.append(f"{limits.joint_names[j]} command {abs(step[j]):.4f} rad ahead of the measured "
                         f"position, clipped to {self.config.max_joint_step[j]:.4f} rad")
            q = self._q + np.clip(step, -self.config.max_joint_step, self.config.max_joint_step)
        xyz = np.asarray(self._fk(q), dtype=float)
        if xyz.shape != (3,) or not np.all(np.isfinite(xyz)):
            return None, "forward kinematics gave no finite end-effector position"
        q, xyz, note = self._slow_near_surface(q, xyz)
        if note:
            notes.append(note)
        if np.any(xyz < self._fence_min) or np.any(xyz > self._fence_max):
            return None, (f"end effector at ({xyz[0]:.3f}, {xyz[1]:.3f}, {xyz[2]:.3f}) m leaves the fence "
                          f"{self._fence_min.tolist()}..{self._fence_max.tolist()} m")
        return q, "; ".join(notes) or "ok"

    def _slow_near_surface(self, q: np.ndarray, xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray, str | None]:
        """Scale the step from the arm's latest target down so that it descends no faster than allowed here."""
        cfg = self.config
        base = self._q if self._last_forwarded is None else self._last_forwarded
        xyz_base = np.asarray(self._fk(base), dtype=float)
        descent_m_s = (xyz_base[2] - xyz[2]) * cfg.command_rate_hz
        surface, what = self._surface_below(xyz)
        height = max(0.0, min(xyz_base[2], xyz[2]) - cfg.hand_below_tcp_m - surface)
        allowed = cfg.slow_speed_m_s + (cfg.max_speed_m_s - cfg.slow_speed_m_s) * min(1.0, height / cfg.slow_zone_m)
        pressed = self._force_up_n > cfg.contact_force_n
        if pressed:
            allowed = 0.0  # pressing on something: going further down only pushes harder
        if descent_m_s <= allowed * (1.0 + _ROUNDING):
            return q, xyz, None
        q = base + (allowed / descent_m_s) * (q - base)
        if pressed:
            note = (f"descending while the hand is pushed up with {self._force_up_n:.1f} N "
                    f"(over {cfg.contact_force_n:g} N): held")
        else:
            note = f"descending at {descent_m_s:.2f} m/s {height:.3f} m above {what}: slowed to {allowed:.2f} m/s"
        return q, np.asarray(self._fk(q), dtype=float), note

    def _surface_below(self, xyz: np.ndarray) -> tuple[float, str]:
        """Height of the highest surface under the hand's lowest point [m], and what it is.

        An obstacle that point is inside (reaching into a bowl, holding an object) is not under
        it: the hand is meant to be there.
        """
        surface, what = self.config.table_z_m, "the table"
        boxes = self._obstacles
        if boxes.size:
            over = (np.all(boxes[:, 0, :2] <= xyz[:2], axis=1) & np.all(xyz[:2] <= boxes[:, 1, :2], axis=1)
                    & (boxes[:, 1, 2] <= xyz[2] - self.config.hand_below_tcp_m))
            if np.any(over) and np.max(boxes[over, 1, 2]) > surface:
                surface, what = float(np.max(boxes[over, 1, 2])), "an obstacle"
        return surface, what

    def _reject(self, reason: str) -> Decision:
        self._rejected += 1
        return Decision(False, None, reason)
