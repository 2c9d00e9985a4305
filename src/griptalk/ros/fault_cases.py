"""Fault-injection cases against the real simulator, safety supervisor and controller processes.

Shared by the graph tests (tests/graph/test_faults.py) and `griptalk bench safety`. Each case takes
a FaultRig (griptalk.ros.fault_rig), brings the arm to a known pose with the latch cleared, injects
one fault while watching the topics, and returns what it measured as a FaultOutcome. Every case
must end with the arm stopped, nothing forwarded after the latch (holds are told apart as the rig
describes), and a clear reason in safety/status.

Refusals do not latch, by the supervisor's design (a refused command never reached the robot).
For the refusal cases "forwarded after the latch" reads "forwarded against the refusal": commands
beyond the fence; anything on the robot's command topics while only garbage was sent; commands
deeper into the table once the fingertips touch it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from griptalk.robot import PANDA_HOME, PANDA_JOINTS
from griptalk.ros.fault_rig import HOLD_REPEATS_S, FaultRig
from griptalk.ros.waiting import on_executor, wait_for

PRESS_S = 4.0  # the press trajectory's duration [s]
PRESSING_S = 0.5  # how long the case watches the hand pressing before judging [s]
SPIKE_N = 80.0  # an injected wrist-force reading over the supervisor's peak limit


@dataclass(frozen=True)
class FaultOutcome:
    case: str
    expect_latch: bool  # the fault must latch a stop; refusal cases must not need one
    expect_reason: str  # text the status reason must contain
    state: str  # the supervisor's state at the end: "ok" | "limited" | "stopped"
    reason: str  # its reason
    arm_stopped: bool
    commands_after_latch: int  # forwarded after the latch (or against the refusal): see the module doc
    forwarded_after_latch: int  # the supervisor's own forwarded counter, first latched status to last (0 if none)
    hold_seen: bool  # a hold command reached the robot's command topic
    latency_kind: str  # what latency_ms measures: "estop" | "watchdog" | "force" | "" (none)
    latency_ms: float | None  # fault (e-stop sent, or a watchdog's deadline) to the first hold's arrival [ms]
    force_peak_n: float  # largest wrist force reading during the case [N]
    reset_during_cause: tuple[bool, str] | None  # the answer to a reset while the cause persists
    reset_after: tuple[bool, str] | None  # the answer to a reset once the cause has gone
    notes: str = ""

    @property
    def failures(self) -> list[str]:
        """What this case got wrong; empty when it passed."""
        wrong = []
        expected_state = "stopped" if self.expect_latch else "limited"
        if self.state != expected_state:
            wrong.append(f"state {self.state}, expected {expected_state}")
        if self.expect_reason not in self.reason:
            wrong.append(f"reason {self.reason!r} does not say {self.expect_reason!r}")
        if not self.arm_stopped:
            wrong.append("the arm did not stop")
        if self.commands_after_latch or self.forwarded_after_latch:
            wrong.append(f"{self.commands_after_latch} commands seen and {self.forwarded_after_latch} counted "
                         "forwarded after the stop")
        if self.expect_latch and not self.hold_seen:
            wrong.append("no hold command seen")
        if self.reset_during_cause is not None and self.reset_during_cause[0]:
            wrong.append("reset accepted while the cause persisted")
        if self.reset_after is not None and not self.reset_after[0]:
            wrong.append(f"reset refused once the cause had gone: {self.reset_after[1]}")
        if self.notes:
            wrong.append(self.notes)
        return wrong

    @property
    def passed(self) -> bool:
        return not self.failures


def _outcome(case: str, figures: dict, expect_reason: str, *, expect_latch: bool = True, latency_kind: str = "",
             latency_ms: float | None = None, reset_during_cause=None, reset_after=None,
             notes: str = "") -> FaultOutcome:
    return FaultOutcome(case=case, expect_latch=expect_latch, expect_reason=expect_reason, state=figures["state"],
                        reason=figures["reason"], arm_stopped=figures["arm_stopped"],
                        commands_after_latch=figures["commands_after_latch"],
                        forwarded_after_latch=figures["forwarded_after_latch"],
                        hold_seen=figures["hold"] is not None, latency_kind=latency_kind,
                        latency_ms=latency_ms, force_peak_n=figures["force_peak_n"],
                        reset_during_cause=reset_during_cause, reset_after=reset_after, notes=notes)


def _ms_since(t: float | None, t0: float) -> float | None:
    return None if t is None else 1000.0 * (t - t0)


def _start_moving(rig: FaultRig, rng: np.random.Generator) -> None:
    """Start the start -> goal move and wait until the arm is moving, plus a random moment."""
    rig.move(rig.poses["goal"])
    rig.wait(rig.moving, 5.0, "the arm to move")
    time.sleep(float(rng.uniform(0.0, 0.2)))


# ---- the cases -------------------------------------------------------------------------------

def estop_mid_trajectory(rig: FaultRig, rng: np.random.Generator) -> FaultOutcome:
    rig.prepare()
    _start_moving(rig, rng)
    t0 = rig.probe.estop("fault test: e-stop mid trajectory")
    figures = rig.observe_stop(t0)
    return _outcome("estop_mid_trajectory", figures, "e-stop from fault test", latency_kind="estop",
                    latency_ms=_ms_since(figures["hold_t"], t0), reset_after=rig.probe.reset(5.0))


def force_spike(rig: FaultRig, rng: np.random.Generator) -> FaultOutcome:
    rig.prepare()
    _start_moving(rig, rng)
    t0 = rig.probe.wrench((0.0, 0.0, SPIKE_N))  # one reading, as a collision or a sensor glitch gives
    figures = rig.observe_stop(t0)
    return _outcome("force_spike", figures, "wrist force", latency_kind="force",
                    latency_ms=_ms_since(figures["hold_t"], t0), reset_after=rig.probe.reset(5.0))


def press_into_table(rig: FaultRig, rng: np.random.Generator) -> FaultOutcome:
    """A trajectory into the table (a planner's mistake): speed scaling slows the fingertips' approach, and once
    the table pushes back the supervisor lets the hand go no deeper. No latch: the force stays under the limit."""
    rig.prepare()
    rig.move_and_wait(rig.poses["press_above"])
    p = rig.probe
    t0 = time.monotonic()
    handle, _ = rig.move(rig.press_path[1:], duration_s=PRESS_S)
    contact_n = float(rig.params["contact_force_n"])

    def touching() -> list:
        return [s for s in p.since(p.forces, t0) if s.value[0] > contact_n]

    rig.wait(lambda: bool(touching()), PRESS_S + 10.0, "the fingertips to touch the table")
    time.sleep(PRESSING_S)
    figures = rig.stop_figures(t0)
    # Deeper after the touch (and the commands already on their way) is what must not happen.
    settled = touching()[0].t + 0.05
    depth = [(c.t, rig.kin.fk(np.array(c.value))[0][2]) for c in p.since(p.arm_commands, t0)]
    lowest = min((z for t, z in depth if t <= settled), default=np.inf)
    figures["commands_after_latch"] = sum(int(z < lowest - 1e-4) for t, z in depth if t > settled)
    wait_for(on_executor(rig.probe.executor, handle.cancel_goal_async), 5.0)
    bound = float(rig.params["force_limit_n"]) + 10.0
    notes = f"force peak {figures['force_peak_n']:.1f} N over {bound:g} N" if figures["force_peak_n"] > bound else ""
    return _outcome("press_into_table", figures, "pushed up", expect_latch=False, notes=notes)


def reference_outside_fence(rig: FaultRig, rng: np.random.Generator) -> FaultOutcome:
    """A trajectory whose end leaves the fence: the arm stops at the fence, every command beyond it refused."""
    rig.prepare()
    t0 = time.monotonic()
    handle, duration = rig.move(rig.poses["outside_fence"])
    p = rig.probe
    rig.wait(lambda: "fence" in (p.status.reason or ""), duration + 5.0, "a refusal at the fence")
    rig.wait_quietly(rig.still, 3.0)
    time.sleep(HOLD_REPEATS_S)
    figures = rig.stop_figures(t0)
    figures["commands_after_latch"] = sum(rig.outside_fence(c.value) for c in p.since(p.arm_commands, t0))
    wait_for(on_executor(rig.probe.executor, handle.cancel_goal_async), 5.0)
    return _outcome("reference_outside_fence", figures, "leaves the fence", expect_latch=False)


# Stray commands on the supervisor's inputs, each with what its refusal must say.
_GARBAGE_ARM = [
    ("not finite", list(PANDA_JOINTS), [float("nan")] + list(PANDA_HOME[1:])),
    ("not finite", list(PANDA_JOINTS), list(PANDA_HOME[:6]) + [float("inf")]),
    ("shape (6,)", [], list(PANDA_HOME[:6])),
    ("shape (0,)", [], []),
    ("not the arm's", [f"joint_{i}" for i in range(1, 8)], list(PANDA_HOME)),
    ("outside its limits", list(PANDA_JOINTS), list(PANDA_HOME[:3]) + [0.5] + list(PANDA_HOME[4:])),
]
_GARBAGE_GRIPPER = [
    ("gripper width", 0.5, 10.0),
    ("gripper width", float("nan"), 10.0),
    ("gripper force", 0.04, 500.0),
]


def garbage_commands(rig: FaultRig, rng: np.random.Generator) -> FaultOutcome:
    """The controller disabled and garbage in its place: nothing reaches the robot, every refusal says why.

    (Disabled, not frozen: a process stopped while Fast DDS's shared-memory port lock is held makes every
    process writing to that port wait 1 s for it, which stalled the simulator's joint_states and latched
    the supervisor's watchdog in one run of ten on a loaded machine.)
    """
    rig.prepare()
    p = rig.probe
    rig.disable_controller()
    # Commands the supervisor forwarded just before it was disabled may still be on their way.
    rig.wait(lambda: time.monotonic() - p.latest(p.arm_commands).t > 0.1, 5.0, "the last forwarded command")
    t0 = time.monotonic()
    rig.wait(lambda: bool(p.since(p.statuses, t0)), 5.0, "a status")
    before = p.since(p.statuses, t0)[0].value
    unseen = []
    garbage = ([(text, lambda n=names, q=q: p.controller_command(n, q)) for text, names, q in _GARBAGE_ARM]
               + [(text, lambda w=w, f=f: p.gripper_command(w, f)) for text, w, f in _GARBAGE_GRIPPER])
    for text, send in garbage:
        t_kind = time.monotonic()
        # Repeat every 20 ms until the status says so: it is published at a fixed rate.
        while not any(text in s.value.reason for s in p.since(p.statuses, t_kind)):
            if time.monotonic() - t_kind > 1.0:
                unseen.append(text)
                break
            send()
            time.sleep(0.02)
    time.sleep(0.1)
    figures = rig.stop_figures(t0)
    figures["commands_after_latch"] = len(p.since(p.arm_commands, t0)) + len(p.since(p.gripper_commands, t0))
    # The supervisor reads its inputs newest-first (depth 1): under load it may skip some, never forward them.
    figures["forwarded_after_latch"] = int(p.status.commands_forwarded - before.commands_forwarded)
    notes = f"refusals not reported in the status: {', '.join(unseen)}" if unseen else ""
    return _outcome("garbage_commands", figures, _GARBAGE_GRIPPER[-1][0], expect_latch=False, notes=notes)


def _controller_silenced(rig: FaultRig, rng: np.random.Generator, case: str,
                         silence: Callable[[], None], recover: Callable[[], None]) -> FaultOutcome:
    """Silence the controller mid trajectory: its heartbeat watchdog latches; reset waits until it speaks."""
    rig.prepare()
    _start_moving(rig, rng)
    t0 = time.monotonic()
    silence()
    figures = rig.observe_stop(t0)
    deadline = rig.probe.latest(rig.probe.controller_commands).t + float(rig.params["command_timeout_s"])
    during = rig.probe.reset(5.0)
    recover()
    rig.wait_controller_heard()
    return _outcome(case, figures, "no controller command", latency_kind="watchdog",
                    latency_ms=_ms_since(figures["hold_t"], deadline), reset_during_cause=during,
                    reset_after=rig.probe.reset(5.0))


def controller_killed(rig: FaultRig, rng: np.random.Generator) -> FaultOutcome:
    """SIGKILL the controller mid trajectory; a new controller process is started to recover."""
    def restart() -> None:
        rig.processes.start("controller")
        rig.wait_ready(60.0)
    return _controller_silenced(rig, rng, "controller_killed", lambda: rig.processes.kill("controller"), restart)


def controller_frozen(rig: FaultRig, rng: np.random.Generator) -> FaultOutcome:
    """SIGSTOP the controller mid trajectory (a hung process); SIGCONT recovers it."""
    return _controller_silenced(rig, rng, "controller_frozen", lambda: rig.pause("controller"),
                                lambda: rig.resume("controller"))


def stale_joint_states(rig: FaultRig, rng: np.random.Generator) -> FaultOutcome:
    """SIGSTOP the simulator mid trajectory: joint states go stale and the watchdog latches."""
    rig.prepare()
    _start_moving(rig, rng)
    p = rig.probe
    rig.pause("sim")
    t0 = time.monotonic()
    deadline = p.latest(p.joints).t + float(rig.params["state_timeout_s"])
    rig.wait_quietly(rig.latched, 5.0)
    time.sleep(HOLD_REPEATS_S)
    during = p.reset(5.0)
    rig.resume("sim")
    figures = rig.observe_stop(t0)  # the simulator runs again: the arm must settle at the hold
    if figures["hold"] is not None and p.q is not None:
        off = float(np.max(np.abs(p.q - np.array(figures["hold"]))))
        figures["arm_stopped"] = figures["arm_stopped"] and off < 0.05
    return _outcome("stale_joint_states", figures, "no joint state", latency_kind="watchdog",
                    latency_ms=_ms_since(figures["hold_t"], deadline), reset_during_cause=during,
                    reset_after=p.reset(5.0))


# In the order they run.
CASES: dict[str, Callable[[FaultRig, np.random.Generator], FaultOutcome]] = {
    "estop_mid_trajectory": estop_mid_trajectory,
    "force_spike": force_spike,
    "reference_outside_fence": reference_outside_fence,
    "garbage_commands": garbage_commands,
    "controller_killed": controller_killed,
    "controller_frozen": controller_frozen,
    "stale_joint_states": stale_joint_states,
    "press_into_table": press_into_table,
}
