"""The simulator node: a PyBullet world that speaks a real arm driver's topics.

Publishes  /clock, joint_states, wrist/wrench, camera/color/image_raw, camera/depth/image_raw,
           camera/camera_info
Subscribes arm_controller/commands      (std_msgs/Float64MultiArray: 7 joint positions [rad],
                                          as ros2_control's forward position controller)
           gripper_controller/commands  (std_msgs/Float64MultiArray: [width_m, max_force_n])
Serves     sim/get_world_state          ground truth, for benchmarks and tests only.

The world is stepped in this node's own loop and /clock is published every step: every other
node runs on simulated time, so a slow frame render slows the whole graph instead of breaking it.
"""
from __future__ import annotations

import sys
import time

import numpy as np
import rclpy
from geometry_msgs.msg import WrenchStamped
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import CameraInfo, Image, JointState
from std_msgs.msg import Float64MultiArray

from griptalk.robot import GRIPPER_MAX_WIDTH_M, PANDA_JOINTS
from griptalk.ros import qos
from griptalk.ros.calibration import CAMERA_PARAMS, camera_from_params
from griptalk.ros.conversions import (camera_info_to_msg, depth_to_msg, make_pose, rgb_to_msg,
                                      seconds_to_time)
from griptalk.ros.params import Param, ParameterError, declare_all
from griptalk.ros.runner import run_node
from griptalk_interfaces.msg import WorldObject
from griptalk_interfaces.srv import GetWorldState
from griptalk_sim.interpolation import CommandInterpolator
from griptalk_sim.scene import SceneError, load_scene
from griptalk_sim.world import World

PARAMS = [
    Param("scene", "tabletop", "scene name shipped with griptalk_sim, or a scene YAML file path"),
    Param("real_time_factor", 1.0, "simulated seconds per wall second; 0 runs as fast as possible", 0.0, 100.0),
    Param("joint_state_rate_hz", 100.0, "joint_states and wrist/wrench publish rate [Hz, sim time]", 10.0, 1000.0),
    Param("camera_rate_hz", 4.0, "camera frame rate [Hz, sim time]", 0.5, 30.0),
    Param("command_period_s", 0.01, "the arm controller's command period; each command is ramped over it [s]",
          0.001, 0.1),
    Param("default_grip_force_n", 15.0, "grip force when a command gives none [N]", 1.0, 70.0),
    Param("camera_frame", "camera_color_optical_frame", "frame_id of the camera images"),
    Param("base_frame", "base_link", "frame_id of the wrench and ground truth"),
] + CAMERA_PARAMS

MAX_LAG_S = 0.05  # how far simulated time may fall behind the wall clock before it slows down


class SimNode(Node):
    def __init__(self) -> None:
        super().__init__("sim")
        self.p = declare_all(self, PARAMS)
        try:
            scene = load_scene(self.p["scene"])
        except SceneError as e:
            raise ParameterError(f"parameter 'scene': {e}") from None
        self.camera = camera_from_params(self.p)
        self.world = World(scene, self.camera)
        self.arm = CommandInterpolator(self.world.joint_state()[1][:len(PANDA_JOINTS)], self.p["command_period_s"])
        self.get_logger().info(f"scene '{scene.name}' loaded: {', '.join(o.id for o in scene.objects)}")

        self.clock_pub = self.create_publisher(Clock, "/clock", 10)
        self.joint_pub = self.create_publisher(JointState, "joint_states", qos.STATE)
        self.wrench_pub = self.create_publisher(WrenchStamped, "wrist/wrench", qos.STATE)
        self.rgb_pub = self.create_publisher(Image, "camera/color/image_raw", qos.SENSOR)
        self.depth_pub = self.create_publisher(Image, "camera/depth/image_raw", qos.SENSOR)
        self.info_pub = self.create_publisher(CameraInfo, "camera/camera_info", qos.SENSOR)
        self.create_subscription(Float64MultiArray, "arm_controller/commands", self.on_arm_command, qos.COMMAND)
        self.create_subscription(Float64MultiArray, "gripper_controller/commands", self.on_gripper_command,
                                 qos.COMMAND)
        self.create_service(GetWorldState, "sim/get_world_state", self.on_get_world_state)

    # --- commands ----------------------------------------------------------------------------

    def on_arm_command(self, msg: Float64MultiArray) -> None:
        q = np.asarray(msg.data, dtype=float)
        if q.shape != (len(PANDA_JOINTS),) or not np.all(np.isfinite(q)):
            self.get_logger().warn(f"ignoring arm command: need {len(PANDA_JOINTS)} finite positions, got {list(q)}")
            return
        self.arm.command(self.world.sim_time, q)

    def on_gripper_command(self, msg: Float64MultiArray) -> None:
        data = list(msg.data)
        if len(data) not in (1, 2) or not np.all(np.isfinite(data)) or not 0.0 <= data[0] <= GRIPPER_MAX_WIDTH_M:
            self.get_logger().warn(f"ignoring gripper command {data}: need [width_m in 0..0.08, max_force_n]")
            return
        force = data[1] if len(data) == 2 else self.p["default_grip_force_n"]
        self.world.set_gripper(data[0], force)

    def on_get_world_state(self, _request, response):
        for s in self.world.object_states():
            response.objects.append(WorldObject(id=s.id, object_type=s.type, color=s.color,
                                                pose=self._pose(s.position, s.quaternion)))
        response.drawer_opening_m = float(self.world.drawer_opening_m())
        return response

    @staticmethod
    def _pose(position, quaternion):
        pose = make_pose(position)
        pose.orientation.x, pose.orientation.y, pose.orientation.z, pose.orientation.w = (float(v) for v in quaternion)
        return pose

    # --- publishing --------------------------------------------------------------------------

    def publish_clock(self) -> None:
        self.clock_pub.publish(Clock(clock=seconds_to_time(self.world.sim_time)))

    def publish_state(self) -> None:
        stamp = seconds_to_time(self.world.sim_time)
        names, pos, vel, eff = self.world.joint_state()
        js = JointState(name=list(names), position=[float(v) for v in pos], velocity=[float(v) for v in vel],
                        effort=[float(v) for v in eff])
        js.header.stamp = stamp
        self.joint_pub.publish(js)
        force, torque = self.world.wrist_wrench()
        w = WrenchStamped()
        w.header.stamp, w.header.frame_id = stamp, self.p["base_frame"]
        w.wrench.force.x, w.wrench.force.y, w.wrench.force.z = (float(v) for v in force)
        w.wrench.torque.x, w.wrench.torque.y, w.wrench.torque.z = (float(v) for v in torque)
        self.wrench_pub.publish(w)

    def publish_camera(self) -> None:
        stamp = seconds_to_time(self.world.sim_time)
        rgb, depth = self.world.render()
        frame = self.p["camera_frame"]
        self.info_pub.publish(camera_info_to_msg(self.camera, stamp, frame))
        self.depth_pub.publish(depth_to_msg(depth, stamp, frame))
        self.rgb_pub.publish(rgb_to_msg(rgb, stamp, frame))

    def close(self) -> None:
        self.world.close()


def run(node: SimNode, executor: SingleThreadedExecutor) -> None:
    """Step physics, serve callbacks between steps, keep pace with the wall clock."""
    dt = node.world.time_step
    state_every = max(1, round(1.0 / (node.p["joint_state_rate_hz"] * dt)))
    camera_every = max(1, round(1.0 / (node.p["camera_rate_hz"] * dt)))
    rtf = node.p["real_time_factor"]
    node.publish_state()
    node.publish_camera()
    wall_start, sim_start = time.monotonic(), node.world.sim_time
    step = 0
    while rclpy.ok():
        executor.spin_once(timeout_sec=0.0)
        node.world.set_arm_targets(node.arm.target(node.world.sim_time))
        node.world.step()
        step += 1
        node.publish_clock()
        if step % state_every == 0:
            node.publish_state()
        if step % camera_every == 0:
            node.publish_camera()
        if rtf > 0.0:
            ahead = (node.world.sim_time - sim_start) / rtf - (time.monotonic() - wall_start)
            if ahead < -MAX_LAG_S:
                # Behind (a slow render): slow simulated time down rather than burst to catch up.
                wall_start, sim_start = time.monotonic(), node.world.sim_time
            while ahead > 0.0 and rclpy.ok():
                executor.spin_once(timeout_sec=ahead)
                ahead = (node.world.sim_time - sim_start) / rtf - (time.monotonic() - wall_start)


def main(args=None) -> int:
    return run_node(SimNode, args, spin=run)


if __name__ == "__main__":
    sys.exit(main())
