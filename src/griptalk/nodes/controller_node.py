"""Controller node: model-predictive tracking of joint reference trajectories at a fixed rate.

Serves     controller/follow_trajectory (griptalk_interfaces/FollowTrajectory)
           controller/enable (std_srvs/SetBool): false stops the controller's output (the goal it tracks
           is aborted, new goals are refused) for another to command the arm; true resumes it, holding
           the arm where it is. Disabled with nothing else commanding, the safety supervisor stops the
           arm once its command timeout passes.
Subscribes joint_states, safety/status
Publishes  controller/command (sensor_msgs/JointState: position targets), every cycle: the
           safety supervisor forwards it to the arm and treats its absence as a dead controller.
           controller/predicted_path (trajectory_msgs/JointTrajectory: the MPC's planned commands)
           controller/diagnostics (diagnostic_msgs/DiagnosticArray: solve time, solver status,
           tracking error, achieved rate), both at diagnostics_rate_hz.
"""
from __future__ import annotations

import sys

import numpy as np
from builtin_interfaces.msg import Duration
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.node import Node
from rclpy.task import Future
from sensor_msgs.msg import JointState
from std_srvs.srv import SetBool
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

from griptalk.control.mpc import MpcConfig
from griptalk.control.reference import JointReference
from griptalk.control.tracker import TrackerConfig, TrackerOutput, TrajectoryTracker
from griptalk.robot import PANDA_JOINTS, PANDA_LIMITS
from griptalk.ros import qos
from griptalk.ros.params import Param, ParameterError, declare_all
from griptalk.ros.runner import run_node
from griptalk_interfaces.action import FollowTrajectory
from griptalk_interfaces.msg import SafetyStatus

PARAMS = [
    Param("rate_hz", 100.0, "control rate [Hz]", 50.0, 1000.0),
    Param("goal_tolerance_rad", 0.01, "joint error at which a trajectory counts as reached [rad]", 0.001, 0.2),
    Param("settle_timeout_s", 2.0, "time allowed after a trajectory's end to reach it [s]", 0.1, 30.0),
    Param("lead_s", 0.03, "the arm's lag behind its commands: the reference is previewed this much earlier [s]",
          0.0, 0.2),
    Param("horizon", 15, "MPC horizon [control periods]", 10, 100),
    Param("joint_margin_rad", 0.025, "commands stay this far inside the joint limits [rad]", 0.0, 0.2),
    Param("diagnostics_rate_hz", 10.0, "controller/diagnostics and controller/predicted_path rate [Hz]", 0.5, 100.0),
]


FEEDBACK_EVERY = 5  # control cycles between action feedback messages

def reference_from_msg(msg) -> JointReference:
    """JointTrajectory -> JointReference in PANDA_JOINTS order. Raises ValueError."""
    if sorted(msg.joint_names) != sorted(PANDA_JOINTS):
        raise ValueError(f"trajectory joints {list(msg.joint_names)} are not the arm's {list(PANDA_JOINTS)}")
    if not msg.points:
        raise ValueError("trajectory has no points")
    order = [list(msg.joint_names).index(j) for j in PANDA_JOINTS]
    times = np.array([p.time_from_start.sec + p.time_from_start.nanosec * 1e-9 for p in msg.points])
    positions = np.array([[p.positions[i] for i in order] for p in msg.points])
    if all(len(p.velocities) == len(order) for p in msg.points):
        return JointReference(times, positions, np.array([[p.velocities[i] for i in order] for p in msg.points]))
    return JointReference(times, positions)


class ControllerNode(Node):
    def __init__(self) -> None:
        super().__init__("controller")
        self.p = declare_all(self, PARAMS)
        try:
            config = TrackerConfig(rate_hz=self.p["rate_hz"], limits=PANDA_LIMITS,
                                   goal_tolerance_rad=self.p["goal_tolerance_rad"],
                                   settle_timeout_s=self.p["settle_timeout_s"], lead_s=self.p["lead_s"],
                                   mpc=MpcConfig(horizon=self.p["horizon"],
                                                 joint_margin_rad=self.p["joint_margin_rad"]))
        except ValueError as e:
            raise ParameterError(f"controller parameters: {e}") from None
        self.tracker = TrajectoryTracker(config)
        self.diagnostics_every = max(1, round(self.p["rate_hz"] / self.p["diagnostics_rate_hz"]))
        self.cycles = 0
        self.window: list[tuple[float, TrackerOutput]] = []  # (node clock, output) since the last diagnostics
        self.q_measured: np.ndarray | None = None
        self.active = None  # (goal handle, Future settled by on_cycle, outcome dict) of the tracked trajectory
        self.stop_reason = ""  # the supervisor's reason while it holds the arm
        self.enabled = True  # publishing commands (controller/enable)
        self.command_pub = self.create_publisher(JointState, "controller/command", qos.COMMAND)
        self.path_pub = self.create_publisher(JointTrajectory, "controller/predicted_path", 1)
        self.diagnostics_pub = self.create_publisher(DiagnosticArray, "controller/diagnostics", 1)
        self.create_subscription(JointState, "joint_states", self.on_joint_state, qos.STATE)
        self.create_subscription(SafetyStatus, "safety/status", self.on_safety, qos.LATCHED)
        self.create_timer(1.0 / self.p["rate_hz"], self.on_cycle)
        self.server = ActionServer(self, FollowTrajectory, "controller/follow_trajectory", self.execute,
                                   goal_callback=self.on_goal, cancel_callback=lambda _: CancelResponse.ACCEPT)
        self.create_service(SetBool, "controller/enable", self.on_enable)

    def now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def on_joint_state(self, msg: JointState) -> None:
        try:
            q = np.array([msg.position[list(msg.name).index(j)] for j in PANDA_JOINTS])
        except (ValueError, IndexError):
            self.get_logger().warn("joint_states lacks arm joints", throttle_duration_sec=5.0)
            return
        if not np.all(np.isfinite(q)):
            self.get_logger().warn("joint_states has non-finite arm positions: ignored", throttle_duration_sec=5.0)
            return
        first = self.q_measured is None
        self.q_measured = q
        if first:
            self.tracker.hold(q)

    def on_safety(self, msg: SafetyStatus) -> None:
        self.stop_reason = f"safety stop: {msg.reason}" if msg.state == SafetyStatus.STATE_STOPPED else ""

    def on_enable(self, request, response):
        enable = bool(request.data)
        if enable and not self.enabled and self.q_measured is not None:
            self.tracker.reset(self.q_measured)  # resume from where the arm is, not an old target
        if not enable and self.active is not None:
            self.settle(success=False, message="controller disabled")
        changed = enable != self.enabled
        self.enabled = enable
        response.success = True
        response.message = ("enabled" if enable else "disabled: no commands are published") + \
            ("" if changed else " (already)")
        if changed:
            self.get_logger().info(f"controller {response.message}")
        return response

    def on_goal(self, goal) -> GoalResponse:
        if not self.enabled:
            self.get_logger().warn("rejected trajectory: the controller is disabled")
            return GoalResponse.REJECT
        try:
            reference_from_msg(goal.trajectory)
        except ValueError as e:
            self.get_logger().warn(f"rejected trajectory: {e}")
            return GoalResponse.REJECT
        return GoalResponse.ACCEPT

    def on_cycle(self) -> None:
        if self.q_measured is None or not self.enabled:
            return
        if self.stop_reason:
            # The supervisor holds the arm: follow the measured position so that, after a
            # reset, commands start from where the arm is instead of an old target.
            self.tracker.reset(self.q_measured)
            if self.active is not None:
                self.settle(success=False, message=self.stop_reason)
        if self.active is not None and self.active[0].is_cancel_requested:
            self.tracker.hold(self.q_measured)
            self.settle("canceled")
        out = self.tracker.step(self.now(), self.q_measured)
        if self.active is not None:
            goal_handle, _, outcome = self.active
            outcome.update(progress=out.progress, error=out.error_rad,
                           max_error=max(outcome.get("max_error", 0.0), out.error_rad))
            if out.done or out.failed:
                self.settle(success=out.done, message=out.failed or "reached")
            elif self.cycles % FEEDBACK_EVERY == 0:
                goal_handle.publish_feedback(FollowTrajectory.Feedback(progress=out.progress,
                                                                       tracking_error_rad=out.error_rad))
        stamp = self.get_clock().now().to_msg()
        cmd = JointState(name=list(PANDA_JOINTS), position=[float(v) for v in out.command_q])
        cmd.header.stamp = stamp
        self.command_pub.publish(cmd)
        self.window.append((self.now(), out))
        self.cycles += 1
        if self.cycles % self.diagnostics_every == 0:
            self.publish_diagnostics(stamp, out)

    def publish_diagnostics(self, stamp, out: TrackerOutput) -> None:
        """The latest predicted path, and solve-time and rate figures over the cycles since the last call.

        The rate is on the node's clock (simulated time in simulation), the clock the controller keeps.
        """
        path = JointTrajectory(joint_names=list(PANDA_JOINTS))
        path.header.stamp = stamp
        period_ns = round(1e9 / self.p["rate_hz"])
        for k, q in enumerate(out.predicted_q, start=1):
            path.points.append(JointTrajectoryPoint(
                positions=[float(v) for v in q],
                time_from_start=Duration(sec=k * period_ns // 10**9, nanosec=k * period_ns % 10**9)))
        self.path_pub.publish(path)

        times = [t for t, _ in self.window]
        solve_ms = [o.solve_ms for _, o in self.window]
        failed = sum(not o.solved for _, o in self.window)
        rate = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else 0.0
        self.window = []
        level = DiagnosticStatus.OK if failed == 0 else DiagnosticStatus.WARN
        message = "tracking" if self.tracker.active else "holding"
        if failed:
            message = f"{failed} failed solves ({out.solver_status}): braking"
        values = {"solver_status": out.solver_status, "solve_ms_last": f"{out.solve_ms:.3f}",
                  "solve_ms_max": f"{max(solve_ms):.3f}", "solve_ms_mean": f"{float(np.mean(solve_ms)):.3f}",
                  "failed_solves": str(failed), "tracking_error_rad": f"{out.error_rad:.5f}",
                  "rate_hz": f"{rate:.1f}", "horizon": str(len(out.predicted_q))}
        msg = DiagnosticArray(status=[DiagnosticStatus(
            level=level, name="griptalk controller: MPC", hardware_id="arm", message=message,
            values=[KeyValue(key=k, value=v) for k, v in values.items()])])
        msg.header.stamp = stamp
        self.diagnostics_pub.publish(msg)

    async def execute(self, goal_handle):
        """Start tracking, then wait (without blocking the executor) until on_cycle settles the goal."""
        result = FollowTrajectory.Result()
        settled, outcome = Future(), {}
        if self.q_measured is None or self.stop_reason or not self.enabled:
            goal_handle.abort()
            result.message = self.stop_reason or ("the controller is disabled" if not self.enabled
                                                  else "no joint_states received yet")
            return result
        try:
            self.tracker.start(reference_from_msg(goal_handle.request.trajectory), self.q_measured, self.now())
        except ValueError as e:
            goal_handle.abort()
            result.message = str(e)
            return result
        if self.active is not None:  # a newer goal preempts the running one
            self.settle(success=False, message="preempted by a newer trajectory")
        self.active = (goal_handle, settled, outcome)
        if await settled == "canceled":
            goal_handle.canceled()
            result.message = "canceled"
            return result
        result.success = bool(outcome.get("success"))
        result.message = outcome.get("message", "")
        result.max_tracking_error_rad = float(outcome.get("max_error", 0.0))
        if result.success:
            goal_handle.succeed()
        else:
            goal_handle.abort()
        return result

    def settle(self, how: str = "finished", **outcome) -> None:
        """End the active goal."""
        _, settled, record = self.active
        record.update(outcome)
        settled.set_result(how)
        self.active = None


def main(args=None) -> int:
    # One thread: rclpy's multi-threaded executor stalled this node's timer for seconds at a time.
    return run_node(ControllerNode, args=args)


if __name__ == "__main__":
    sys.exit(main())
