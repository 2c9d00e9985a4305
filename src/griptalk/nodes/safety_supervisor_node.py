"""Safety supervisor node: the only publisher of the robot's command topics.

Subscribes controller/command (JointState), gripper/command (GripperCommand), joint_states,
           wrist/wrench, safety/estop (std_msgs/String: who or why; any message latches a stop),
           camera/camera_info (the camera's heartbeat), perception/scene_graph (obstacles for
           speed scaling)
Publishes  arm_controller/commands, gripper_controller/commands (std_msgs/Float64MultiArray),
           safety/status (SafetyStatus, latched QoS, fixed rate)
Serves     safety/reset (std_srvs/Trigger): clears a latched stop, refused while its cause persists

Watchdogs run on the steady clock, not simulated time: a dead simulator or driver stops sim time too.
Every stop is logged (error level) with its cause, every reset with what it cleared.
NOT a certified safety function: a real cell still needs its hardware e-stop chain.
"""
from __future__ import annotations

import sys
import time

import numpy as np
from geometry_msgs.msg import WrenchStamped
from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from sensor_msgs.msg import CameraInfo, JointState
from std_msgs.msg import Float64MultiArray, String
from std_srvs.srv import Trigger

from griptalk.robot import PANDA_JOINTS, PANDA_LIMITS
from griptalk.ros import qos
from griptalk.ros.params import Param, ParameterError, declare_all
from griptalk.ros.runner import run_node
from griptalk.safety.supervisor import SafetyConfig, SafetySupervisor
from griptalk.skills.kinematics import ArmKinematics
from griptalk_interfaces.msg import GripperCommand, SafetyStatus, SceneGraph

PARAMS = [
    Param("force_limit_n", 25.0, "sustained external wrist force that latches a stop [N]", 1.0, 140.0),
    Param("force_sustain_s", 0.05, "the force must stay over force_limit_n this long to latch [s]", 0.0, 1.0),
    Param("force_peak_limit_n", 60.0, "external wrist force that latches at once [N]", 1.0, 140.0),
    Param("state_timeout_s", 0.5, "joint_states older than this latch a stop [s, steady clock]", 0.05, 5.0),
    Param("command_timeout_s", 0.5, "controller silent this long after its first command latches a stop "
          "[s, steady clock]", 0.05, 5.0),
    Param("camera_timeout_s", 2.0, "camera silent this long after its first frame latches a stop "
          "[s, steady clock]", 0.1, 30.0),
    Param("table_z_m", 0.0, "table top height in the base frame [m]", -1.0, 1.0),
    Param("slow_zone_m", 0.10, "downward hand speed is capped within this height above the surface below [m]",
          0.01, 0.5),
    Param("slow_speed_m_s", 0.005, "downward hand speed allowed at the surface [m/s]", 0.001, 1.0),
    Param("max_speed_m_s", 1.0, "downward hand speed allowed at the top of the slow zone [m/s]", 0.005, 5.0),
    Param("hand_below_tcp_m", 0.011, "the fingertips' depth below the tool centre point: heights above surfaces "
          "are theirs [m]", 0.0, 0.3),
    Param("contact_force_n", 10.0, "upward wrist force at which commands may no longer descend [N]", 1.0, 140.0),
    Param("status_rate_hz", 20.0, "safety/status publish rate [Hz]", 1.0, 200.0),
    Param("command_rate_hz", 100.0, "the controller's command rate, which bounds each command's step [Hz]",
          10.0, 1000.0),
    Param("joint_margin_rad", 0.02, "commands closer than this to a joint limit are refused [rad]", 0.0, 0.3),
    Param("fence_min_m", [0.15, -0.5, -0.01], "workspace fence lower corner for the tool centre, base frame [m]",
          -2.0, 2.0),
    Param("fence_max_m", [0.85, 0.5, 0.9], "workspace fence upper corner for the tool centre, base frame [m]",
          -2.0, 2.0),
]

STATES = {"ok": SafetyStatus.STATE_OK, "limited": SafetyStatus.STATE_LIMITED, "stopped": SafetyStatus.STATE_STOPPED}


class SafetySupervisorNode(Node):
    def __init__(self) -> None:
        super().__init__("safety_supervisor")
        self.p = declare_all(self, PARAMS)
        kinematics = ArmKinematics()
        p = self.p
        try:
            config = SafetyConfig(
                force_limit_n=p["force_limit_n"], force_sustain_s=p["force_sustain_s"],
                force_peak_limit_n=p["force_peak_limit_n"], limits=PANDA_LIMITS,
                joint_margin_rad=p["joint_margin_rad"], fence_min_m=tuple(p["fence_min_m"]),
                fence_max_m=tuple(p["fence_max_m"]), state_timeout_s=p["state_timeout_s"],
                command_timeout_s=p["command_timeout_s"], camera_timeout_s=p["camera_timeout_s"],
                command_rate_hz=p["command_rate_hz"], table_z_m=p["table_z_m"], slow_zone_m=p["slow_zone_m"],
                slow_speed_m_s=p["slow_speed_m_s"], max_speed_m_s=p["max_speed_m_s"],
                hand_below_tcp_m=p["hand_below_tcp_m"], contact_force_n=p["contact_force_n"])
        except ValueError as e:
            raise ParameterError(f"safety_supervisor parameters: {e}") from None
        self.core = SafetySupervisor(config, fk=lambda q: kinematics.fk(q)[0])
        self.logged_events = 0
        self.arm_pub = self.create_publisher(Float64MultiArray, "arm_controller/commands", qos.COMMAND)
        self.gripper_pub = self.create_publisher(Float64MultiArray, "gripper_controller/commands", qos.COMMAND)
        self.status_pub = self.create_publisher(SafetyStatus, "safety/status", qos.LATCHED)
        # Created first: when several inputs are ready at once the executor takes them in creation order.
        self.create_subscription(String, "safety/estop", self.on_estop, 10)
        self.create_subscription(JointState, "joint_states", self.on_joint_state, qos.STATE)
        self.create_subscription(WrenchStamped, "wrist/wrench", self.on_wrench, qos.STATE)
        self.create_subscription(JointState, "controller/command", self.on_arm_command, qos.COMMAND)
        self.create_subscription(GripperCommand, "gripper/command", self.on_gripper_command, qos.COMMAND)
        self.create_subscription(CameraInfo, "camera/camera_info", self.on_camera, qos.SENSOR)
        self.create_subscription(SceneGraph, "perception/scene_graph", self.on_scene_graph, qos.LATCHED)
        self.create_service(Trigger, "safety/reset", self.on_reset)
        # On the steady clock: a frozen simulator stops sim time, and the watchdogs must run regardless.
        self.create_timer(1.0 / self.p["status_rate_hz"], self.on_status_timer,
                          clock=Clock(clock_type=ClockType.STEADY_TIME))

    def on_joint_state(self, msg: JointState) -> None:
        names = list(msg.name)
        try:
            idx = [names.index(j) for j in PANDA_JOINTS]
            q = np.array([msg.position[i] for i in idx])
            dq = np.array([msg.velocity[i] for i in idx]) if len(msg.velocity) == len(names) else np.zeros(7)
        except (ValueError, IndexError):
            self.get_logger().warn("joint_states lacks arm joints", throttle_duration_sec=5.0)
            return
        self.core.on_joint_state(time.monotonic(), q, dq)
        self.after_input()

    def on_wrench(self, msg: WrenchStamped) -> None:
        f = msg.wrench.force
        self.core.on_wrench(time.monotonic(), np.array([f.x, f.y, f.z]))
        self.after_input()

    def on_estop(self, msg: String) -> None:
        self.core.on_estop(time.monotonic(), msg.data or "e-stop topic")
        self.after_input()

    def on_camera(self, _msg: CameraInfo) -> None:
        self.core.on_camera(time.monotonic())

    def on_scene_graph(self, msg: SceneGraph) -> None:
        """Objects as axis-aligned boxes: the yawed footprint's bounding box, the full height."""
        boxes = []
        for o in msg.objects:
            c, s, q = o.pose.position, o.size, o.pose.orientation
            yaw = 2.0 * np.arctan2(q.z, q.w)
            half_x = 0.5 * (abs(np.cos(yaw)) * s.x + abs(np.sin(yaw)) * s.y)
            half_y = 0.5 * (abs(np.sin(yaw)) * s.x + abs(np.cos(yaw)) * s.y)
            boxes.append([[c.x - half_x, c.y - half_y, c.z - 0.5 * s.z], [c.x + half_x, c.y + half_y, c.z + 0.5 * s.z]])
        if not self.core.on_obstacles(boxes):
            self.get_logger().warn("scene graph with non-finite or inverted boxes: obstacles not updated",
                                   throttle_duration_sec=5.0)

    def on_arm_command(self, msg: JointState) -> None:
        decision = self.core.check_arm_command(time.monotonic(), np.asarray(msg.position, dtype=float),
                                               list(msg.name))
        if decision.forward:
            self.arm_pub.publish(Float64MultiArray(data=[float(v) for v in decision.command]))
        else:
            self.get_logger().warn(f"arm command refused: {decision.reason}", throttle_duration_sec=2.0)
        self.after_input()

    def on_gripper_command(self, msg: GripperCommand) -> None:
        decision = self.core.check_gripper_command(time.monotonic(), msg.width_m, msg.max_force_n)
        if decision.forward:
            self.gripper_pub.publish(Float64MultiArray(data=[float(v) for v in decision.command]))
        else:
            self.get_logger().warn(f"gripper command refused: {decision.reason}")

    def on_reset(self, _request, response):
        response.success, response.message = self.core.reset(time.monotonic())
        if not response.success:
            self.get_logger().warn(response.message)
        self.after_input()  # logs the reset
        self.publish_status()
        return response

    def after_input(self) -> None:
        """Hold the arm where it was when a stop latched, then log the new stops."""
        events = self.core.events
        if len(events) > self.logged_events:
            self.publish_hold()  # before logging, which takes milliseconds
            self.publish_status()
            for event in events[self.logged_events:]:
                if event.kind == "reset":
                    self.get_logger().info(f"RESET: {event.reason}")
                else:
                    self.get_logger().error(f"STOP ({event.kind}): {event.reason}")
            self.logged_events = len(events)

    def publish_hold(self) -> None:
        hold = self.core.hold_command()
        if hold is not None:
            self.arm_pub.publish(Float64MultiArray(data=[float(v) for v in hold]))

    def on_status_timer(self) -> None:
        self.core.check_watchdogs(time.monotonic())
        self.after_input()
        if self.core.status(time.monotonic()).latched:
            self.publish_hold()
        self.publish_status()

    def publish_status(self) -> None:
        s = self.core.status(time.monotonic())
        msg = SafetyStatus(state=STATES[s.state], estop_latched=s.latched, reason="" if s.state == "ok" else s.reason,
                           force_n=float(s.force_n),
                           peak_force_n=float(s.peak_force_n), commands_forwarded=s.forwarded,
                           commands_rejected=s.rejected)
        msg.header.stamp = self.get_clock().now().to_msg()
        self.status_pub.publish(msg)


def main(args=None) -> int:
    return run_node(SafetySupervisorNode, args=args)


if __name__ == "__main__":
    sys.exit(main())
