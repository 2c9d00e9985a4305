"""A test rig for fault injection: the simulator, the safety supervisor and the controller as separate
processes on the current ROS_DOMAIN_ID, a SafetyProbe beside them, and the moves and observations the
fault cases (griptalk.ros.fault_cases) need. Times are arrival times at the probe on the steady
clock (wall clock, over DDS between processes).

Telling the supervisor's hold apart from a forwarded command: while latched, the supervisor
commands the joint position it measured when the stop latched, re-sent verbatim at its status rate.
The probe receives the same joint_states, so a hold is a command equal, bit for bit, to a joint
position the probe measured; the first one after the fault is the hold, and every later command
on arm_controller/commands that differs from it counts as forwarded after the latch. (A
controller's command never equals a measured position to the last bit: it is a QP solution.)
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import numpy as np
import yaml
from builtin_interfaces.msg import Duration
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

from griptalk.control.trajectory import time_parameterize
from griptalk.paths import share_dir
from griptalk.robot import PANDA_HOME, PANDA_JOINTS, PANDA_LIMITS
from griptalk.ros.node_processes import NodeProcesses
from griptalk.ros.safety_probe import SafetyProbe
from griptalk.ros.waiting import on_executor, wait_for
from griptalk.skills.kinematics import ArmKinematics
from griptalk_interfaces.action import FollowTrajectory
from griptalk_interfaces.msg import SafetyStatus

NODES = ["sim", "safety_supervisor", "controller"]
# Only the camera's heartbeat matters here: small frames keep the simulator's loop, which stalls
# while it renders, from starving joint_states on a loaded machine.
NODE_PARAMETERS = {"sim": {"camera.width_px": "160", "camera.height_px": "120"}}
STATE_NAMES = {SafetyStatus.STATE_OK: "ok", SafetyStatus.STATE_LIMITED: "limited",
               SafetyStatus.STATE_STOPPED: "stopped"}
# Hand positions (TCP, base frame [m]) over free parts of the tabletop scene, hand pointing down.
START_M = (0.45, -0.20, 0.30)
GOAL_M = (0.45, 0.20, 0.30)
OUTSIDE_FENCE_M = (0.45, 0.58, 0.30)  # y beyond the fence's 0.5 m
PRESS_ABOVE_M = (0.30, -0.30, 0.06)
# The fingertips reach 8-11 mm below the TCP: this is 2 cm into the table, just inside the fence. The
# reference goes on down well after the touch, so the controller still pushes while the case judges.
PRESS_INTO_M = (0.30, -0.30, -0.009)
PRESS_STEPS = 10  # IK waypoints on the way down
VELOCITY_SCALE = 0.5  # share of the joint limits the test trajectories use
STILL_RAD_S = 0.05  # the arm is stopped when every joint is slower than this...
STILL_SAMPLES = 5  # ... in this many joint states in a row (50 ms at 100 Hz)
FRESH_S = 0.5  # ... the latest no older than this (the supervisor's state timeout)
HOLD_REPEATS_S = 0.3  # watch this long after the arm stops, so that holds repeat and strays would show

class FaultRigError(RuntimeError):
    """The rig could not set a case up (a node died, a deadline passed); the message says what."""



def _supervisor_params() -> dict:
    text = (share_dir() / "config" / "safety_supervisor.yaml").read_text()
    return yaml.safe_load(text)["safety_supervisor"]["ros__parameters"]


def trajectory_msg(waypoints, velocity_scale: float = VELOCITY_SCALE) -> tuple[JointTrajectory, float]:
    """A time-parameterized trajectory through joint waypoints, as the skill server sends it; and its duration [s]."""
    reference = time_parameterize(waypoints, PANDA_LIMITS, velocity_scale)
    msg = JointTrajectory(joint_names=list(PANDA_JOINTS))
    velocities = reference.velocities if reference.velocities is not None else np.zeros_like(reference.positions)
    for t, q, dq in zip(reference.times_s, reference.positions, velocities):
        ns = int(round(t * 1e9))
        msg.points.append(JointTrajectoryPoint(positions=[float(v) for v in q], velocities=[float(v) for v in dq],
                                               time_from_start=Duration(sec=ns // 10**9, nanosec=ns % 10**9)))
    return msg, reference.duration


class FaultRig:
    """sim, safety_supervisor and controller as separate processes, a probe, and the moves the cases need."""

    def __init__(self, log_dir: str | Path, scene: str = "tabletop") -> None:
        self.processes = NodeProcesses(share_dir() / "launch" / "sim.launch.yaml", NODES, log_dir, {"scene": scene},
                                       NODE_PARAMETERS)
        self.params = _supervisor_params()
        self.fence = (np.array(self.params["fence_min_m"]), np.array(self.params["fence_max_m"]))
        self.kin = ArmKinematics()
        down = self.kin.fk(PANDA_HOME)[1]
        self.poses = {name: self._ik(xyz, down) for name, xyz in
                      (("start", START_M), ("goal", GOAL_M), ("outside_fence", OUTSIDE_FENCE_M),
                       ("press_above", PRESS_ABOVE_M))}
        self.press_path = [self.poses["press_above"]]
        for z in np.linspace(PRESS_ABOVE_M[2], PRESS_INTO_M[2], PRESS_STEPS + 1)[1:]:
            self.press_path.append(self._ik((*PRESS_INTO_M[:2], z), down, seed=self.press_path[-1]))
        self.paused: set[str] = set()
        self.controller_disabled = False
        self.probe: SafetyProbe | None = None

    def _ik(self, xyz, orientation, seed=PANDA_HOME) -> np.ndarray:
        q = self.kin.ik(xyz, orientation, seed_q=seed)
        if q is None:
            raise FaultRigError(f"no IK solution for the test pose {xyz}")
        return q

    # ---- lifecycle ------------------------------------------------------------------------

    def __enter__(self) -> FaultRig:
        self.processes.start()
        try:
            self.probe = SafetyProbe()
            self.wait_ready(90.0)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self.probe is not None:
            self.probe.close()
            self.probe = None
        self.processes.close()

    def wait_ready(self, timeout_s: float) -> None:
        """Until joint states, the supervisor's status and the controller's commands flow, and its action is up."""
        p = self.probe
        self.wait(lambda: self.flowing(p.joints) and self.flowing(p.controller_commands) and p.status is not None,
                  timeout_s, "joint states, the controller's commands and the supervisor's status")
        if not p.follow_client.wait_for_server(timeout_sec=timeout_s):
            raise FaultRigError("the controller's follow_trajectory action did not come up")

    def flowing(self, store, within_s: float = 0.2) -> bool:
        latest = self.probe.latest(store)
        return latest is not None and time.monotonic() - latest.t < within_s

    def wait(self, done: Callable[[], bool], timeout_s: float, what: str) -> None:
        """Until done(); FaultRigError on timeout, or at once if a process that should run has exited."""
        deadline = time.monotonic() + timeout_s
        while not done():
            if self.processes.exited():
                raise FaultRigError(f"{', '.join(self.processes.exited())} exited while waiting for {what}: "
                                    + "\n".join(self.processes.log_tail(n) for n in self.processes.exited()))
            if time.monotonic() > deadline:
                raise FaultRigError(f"timed out after {timeout_s:g} s waiting for {what}")
            time.sleep(0.01)

    def wait_quietly(self, done: Callable[[], bool], timeout_s: float) -> bool:
        """Like wait, but says whether done() came true instead of raising (processes may be down on purpose)."""
        deadline = time.monotonic() + timeout_s
        while not done():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    # ---- the arm --------------------------------------------------------------------------

    def fresh_q(self, timeout_s: float = 5.0) -> np.ndarray:
        """The arm's position from a joint state sent after this call: never one that waited in a queue."""
        t = time.monotonic()
        self.wait(lambda: (latest := self.probe.latest(self.probe.joints)) is not None and latest.sent > t,
                  timeout_s, "a fresh joint state")
        return self.probe.q

    def move(self, waypoints, duration_s: float | None = None) -> tuple[object, float]:
        """Send the controller a trajectory from where the arm is through `waypoints`, at VELOCITY_SCALE or
        slowed to last about `duration_s`; (goal handle, duration [s])."""
        path = np.vstack([self.fresh_q(), np.atleast_2d(waypoints)])
        msg, duration = trajectory_msg(path)
        if duration_s is not None and duration_s > duration:
            msg, duration = trajectory_msg(path, VELOCITY_SCALE * duration / duration_s)
        goal = FollowTrajectory.Goal(trajectory=msg)
        for _ in range(3):  # a restarted controller's action server may not have matched this client yet
            handle = wait_for(on_executor(self.probe.executor, lambda: self.probe.follow_client.send_goal_async(goal)),
                              5.0)
            if handle is not None:
                break
        if handle is None or not handle.accepted:
            raise FaultRigError(f"the controller did not accept a trajectory (status: {self.describe_status()})")
        return handle, duration

    def move_and_wait(self, waypoints, attempts: int = 3) -> None:
        """A set-up move, from where the arm has come to rest. Just after a reset the controller may not have
        heard the new status yet and abort with the old stop: then try again."""
        for _ in range(attempts):
            settling = time.monotonic()  # after a hold or a reset the arm may still be on its way
            self.wait(lambda: self.still(settling), 5.0, "the arm to come to rest before a set-up move")
            handle, duration = self.move(waypoints)
            answer = wait_for(on_executor(self.probe.executor, handle.get_result_async), duration + 15.0)
            if answer is not None and answer.result.success:
                return
            message = answer.result.message if answer else "no result"
            if not (message.startswith("safety stop") and not self.latched()):
                break
            time.sleep(0.2)  # for the controller to hear the reset
        raise FaultRigError(f"a set-up move failed: {message}")

    def moving(self, min_speed_rad_s: float = 0.2) -> bool:
        sample = self.probe.latest(self.probe.joints)
        return sample is not None and float(np.max(np.abs(sample.value[len(PANDA_JOINTS):]))) > min_speed_rad_s

    def still(self, sent_after: float | None = None) -> bool:
        """Every joint slower than STILL_RAD_S in the latest STILL_SAMPLES joint states, and those fresh (and
        sent after `sent_after`, a steady-clock time, if given)."""
        samples = self.probe.last(self.probe.joints, STILL_SAMPLES)
        return (len(samples) == STILL_SAMPLES and time.monotonic() - samples[-1].t < FRESH_S and
                (sent_after is None or samples[0].sent > sent_after) and
                all(np.max(np.abs(s.value[len(PANDA_JOINTS):])) < STILL_RAD_S for s in samples))

    def describe_status(self) -> str:
        s = self.probe.status
        return "none" if s is None else f"{STATE_NAMES[s.state]}: {s.reason or 'ok'}"

    def latched(self) -> bool:
        s = self.probe.status
        return s is not None and s.estop_latched

    # ---- set-up -----------------------------------------------------------------------------

    def pause(self, name: str) -> None:
        """SIGSTOP a node (a hung process); prepare() resumes it if a case does not."""
        self.processes.pause(name)
        self.paused.add(name)

    def resume(self, name: str) -> None:
        self.processes.resume(name)
        self.paused.discard(name)

    def disable_controller(self) -> None:
        """Stop the controller's output through its controller/enable service; prepare() enables it again."""
        self._enable_controller(False, 5.0)

    def _enable_controller(self, enable: bool, timeout_s: float) -> None:
        answer = self.probe.enable_controller(enable, timeout_s)
        if answer is None or not answer[0]:
            raise FaultRigError(f"controller/enable({enable}) failed: {answer}")
        self.controller_disabled = not enable

    def prepare(self) -> None:
        """Every node up, unpaused and enabled, the latch cleared, the arm still at the start pose."""
        for name in sorted(self.paused):
            self.resume(name)
        for name in self.processes.exited():
            self.processes.start(name)
        if self.controller_disabled:
            self._enable_controller(True, 60.0)
        self.wait_ready(60.0)
        if self.latched() and not self._reset_within(5.0):
            raise FaultRigError(f"the latch would not clear: {self.describe_status()}")
        self.wait(lambda: not self.latched(), 5.0, "the latch to clear")
        self.move_and_wait(self.poses["start"])
        self.wait(self.still, 5.0, "the arm to stop at the start pose")

    def wait_controller_heard(self, timeout_s: float = 20.0) -> None:
        """While latched: until the supervisor receives the controller's commands (it counts them refused)."""
        rejected = self.probe.status.commands_rejected
        self.wait(lambda: self.probe.status.commands_rejected > rejected, timeout_s,
                  "the supervisor to hear the controller again")

    def _reset_within(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            answer = self.probe.reset(2.0)
            if answer is not None and answer[0]:
                return True
            time.sleep(0.2)
        return False

    # ---- observing a stop -------------------------------------------------------------------

    def observe_stop(self, t0: float, timeout_s: float = 5.0) -> dict:
        """After a fault at t0: wait for the latch and the arm to stop, then find the hold and any strays."""
        self.wait_quietly(self.latched, timeout_s)
        self.wait_quietly(self.still, 5.0)
        time.sleep(HOLD_REPEATS_S)
        return self.stop_figures(t0)

    def stop_figures(self, t0: float) -> dict:
        p = self.probe
        commands = p.since(p.arm_commands, t0)
        measured = {s.value[:len(PANDA_JOINTS)] for s in p.since(p.joints, t0 - 2.0)}
        first = next((i for i, c in enumerate(commands) if c.value in measured), None)
        latched = [s for s in p.since(p.statuses, t0) if s.value.estop_latched]
        status = p.status
        if first is None:  # no hold: everything after the latch was seen counts
            after = len(p.since(p.arm_commands, latched[0].t)) if latched else 0
            hold_t = hold = None
        else:
            hold_t, hold = commands[first].t, commands[first].value
            after = sum(c.value != hold for c in commands[first + 1:])
        forwarded = status.commands_forwarded - latched[0].value.commands_forwarded if latched else 0
        return {"state": STATE_NAMES[status.state], "reason": status.reason,
                "arm_stopped": self.wait_quietly(self.still, 2.0),
                "commands_after_latch": after, "forwarded_after_latch": int(forwarded), "hold_t": hold_t,
                "hold": hold, "force_peak_n": self.force_peak(t0)}

    def force_peak(self, t0: float) -> float:
        return max((s.value[0] for s in self.probe.since(self.probe.forces, t0)), default=0.0)

    def outside_fence(self, q) -> bool:
        xyz = self.kin.fk(np.asarray(q))[0]
        return bool(np.any(xyz < self.fence[0]) or np.any(xyz > self.fence[1]))
