"""Controller node: tracks joint reference trajectories at a fixed rate under the arm's limits.

Serves     controller/follow_trajectory (griptalk_interfaces/FollowTrajectory)
Subscribes joint_states
Publishes  controller/command (sensor_msgs/JointState: position targets), every cycle: the
           safety supervisor forwards it to the arm and treats its absence as a dead controller.
"""
from __future__ import annotations

import sys
import threading

import numpy as np
from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup, ReentrantCallbackGroup
from rclpy.node import Node
from sensor_msgs.msg import JointState

from griptalk.control.reference import JointReference
from griptalk.control.tracker import TrackerConfig, TrajectoryTracker
from griptalk.robot import PANDA_JOINTS, PANDA_LIMITS
from griptalk.ros import qos
from griptalk.ros.params import Param, declare_all
from griptalk.ros.runner import run_node
from griptalk_interfaces.action import FollowTrajectory
from griptalk_interfaces.msg import SafetyStatus

PARAMS = [
    Param("rate_hz", 100.0, "control rate [Hz]", 50.0, 1000.0),
    Param("goal_tolerance_rad", 0.01, "joint error at which a trajectory counts as reached [rad]", 0.001, 0.2),
    Param("settle_timeout_s", 2.0, "time allowed after a trajectory's end to reach it [s]", 0.1, 30.0),
]


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
        self.tracker = TrajectoryTracker(TrackerConfig(rate_hz=self.p["rate_hz"], limits=PANDA_LIMITS,
                                                       goal_tolerance_rad=self.p["goal_tolerance_rad"],
                                                       settle_timeout_s=self.p["settle_timeout_s"]))
        self.lock = threading.Lock()
        self.q_measured: np.ndarray | None = None
        self.active = None  # (goal id, threading.Event, outcome dict) of the trajectory being tracked
        self.stop_reason = ""  # the supervisor's reason while it holds the arm
        self.command_pub = self.create_publisher(JointState, "controller/command", qos.COMMAND)
        self.create_subscription(JointState, "joint_states", self.on_joint_state, qos.STATE)
        self.create_subscription(SafetyStatus, "safety/status", self.on_safety, qos.LATCHED)
        self.create_timer(1.0 / self.p["rate_hz"], self.on_cycle, MutuallyExclusiveCallbackGroup())
        self.server = ActionServer(self, FollowTrajectory, "controller/follow_trajectory", self.execute,
                                   goal_callback=self.on_goal, cancel_callback=lambda _: CancelResponse.ACCEPT,
                                   callback_group=ReentrantCallbackGroup())

    def now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def on_joint_state(self, msg: JointState) -> None:
        try:
            q = np.array([msg.position[list(msg.name).index(j)] for j in PANDA_JOINTS])
        except (ValueError, IndexError):
            self.get_logger().warn("joint_states lacks arm joints", throttle_duration_sec=5.0)
            return
        with self.lock:
            first = self.q_measured is None
            self.q_measured = q
            if first:
                self.tracker.hold(q)

    def on_safety(self, msg: SafetyStatus) -> None:
        with self.lock:
            self.stop_reason = f"safety stop: {msg.reason}" if msg.state == SafetyStatus.STATE_STOPPED else ""

    def on_goal(self, goal) -> GoalResponse:
        try:
            reference_from_msg(goal.trajectory)
        except ValueError as e:
            self.get_logger().warn(f"rejected trajectory: {e}")
            return GoalResponse.REJECT
        return GoalResponse.ACCEPT

    def on_cycle(self) -> None:
        with self.lock:
            if self.q_measured is None:
                return
            if self.stop_reason:
                # The supervisor holds the arm: follow the measured position so that, after a
                # reset, commands start from where the arm is instead of an old target.
                self.tracker.reset(self.q_measured)
                if self.active is not None:
                    self.active[2].update(success=False, message=self.stop_reason)
                    self.active[1].set()
            out = self.tracker.step(self.now(), self.q_measured)
            if self.active is not None and not self.active[1].is_set():
                _, finished, outcome = self.active
                outcome.update(progress=out.progress, error=out.error_rad,
                               max_error=max(outcome.get("max_error", 0.0), out.error_rad))
                if out.done or out.failed:
                    outcome.update(success=out.done, message=out.failed or "reached")
                    finished.set()
        cmd = JointState(name=list(PANDA_JOINTS), position=[float(v) for v in out.command_q])
        cmd.header.stamp = self.get_clock().now().to_msg()
        self.command_pub.publish(cmd)

    def execute(self, goal_handle):
        result = FollowTrajectory.Result()
        finished, outcome = threading.Event(), {}
        with self.lock:
            if self.q_measured is None or self.stop_reason:
                goal_handle.abort()
                result.message = self.stop_reason or "no joint_states received yet"
                return result
            try:
                self.tracker.start(reference_from_msg(goal_handle.request.trajectory), self.q_measured, self.now())
            except ValueError as e:
                goal_handle.abort()
                result.message = str(e)
                return result
            if self.active is not None:  # a newer goal preempts the running one
                self.active[2].update(success=False, message="preempted by a newer trajectory")
                self.active[1].set()
            self.active = (goal_handle.goal_id, finished, outcome)
        feedback = FollowTrajectory.Feedback()
        while not finished.wait(0.05):
            if goal_handle.is_cancel_requested:
                with self.lock:
                    self.tracker.hold(self.q_measured)
                    self.active = None
                goal_handle.canceled()
                result.message = "canceled"
                return result
            feedback.progress, feedback.tracking_error_rad = outcome.get("progress", 0.0), outcome.get("error", 0.0)
            goal_handle.publish_feedback(feedback)
        with self.lock:
            if self.active is not None and self.active[0] == goal_handle.goal_id:
                self.active = None
        result.success = bool(outcome.get("success"))
        result.message = outcome.get("message", "")
        result.max_tracking_error_rad = float(outcome.get("max_error", 0.0))
        if result.success:
            goal_handle.succeed()
        else:
            goal_handle.abort()
        return result


def main(args=None) -> int:
    return run_node(ControllerNode, threads=2, args=args)


if __name__ == "__main__":
    sys.exit(main())
