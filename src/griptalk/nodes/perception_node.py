"""Perception node: camera frames in, scene graph out.

Subscribes camera/color/image_raw, camera/depth/image_raw, camera/camera_info, joint_states (the arm is
           filtered out of each frame where it stood when the frame was taken)
Publishes  perception/scene_graph (latched), perception/markers, perception/annotated_image
"""
from __future__ import annotations

import sys
from collections import deque

import numpy as np
from rclpy.node import Node
from sensor_msgs.msg import CameraInfo, Image, JointState
from visualization_msgs.msg import MarkerArray

from griptalk.perception.annotate import annotate
from griptalk.perception.detector import DEFAULT_WEIGHTS, Detector, DetectorConfig
from griptalk.perception.pipeline import PerceptionConfig, PerceptionPipeline
from griptalk.perception.robot_filter import RobotFilterConfig, arm_capsules
from griptalk.robot import PANDA_JOINTS
from griptalk.ros import qos
from griptalk.ros.calibration import CAMERA_PARAMS, camera_from_params
from griptalk.ros.markers import scene_markers
from griptalk.ros.conversions import (camera_from_info, image_from_msg, rgb_to_msg, scene_to_msg,
                                      time_to_seconds)
from griptalk.ros.params import Param, ParameterError, declare_all
from griptalk.ros.runner import run_node
from griptalk.skills.kinematics import ArmKinematics
from griptalk_interfaces.msg import SceneGraph

PARAMS = [
    Param("base_frame", "base_link", "frame of the published scene graph"),
    Param("publish_annotated_image", True, "publish perception/annotated_image (costs ~5 ms a frame)"),
    Param("use_detector", True, "classify objects with the trained YOLO detector (false: by their geometry only)"),
    Param("detector_weights", "", "detector checkpoint file; empty: the weights shipped with the package"),
    Param("detector_min_confidence", 0.3, "detections below this confidence [0-1] are ignored", 0.01, 0.99),
    Param("detector_precision", "auto", "the detector's arithmetic: auto (bfloat16 where the CPU has it natively, "
          "else float32), float32 or bfloat16"),
    Param("filter_robot", True, "drop the points on the arm (placed from joint_states) before finding objects"),
    Param("robot_link_radius_m", 0.10, "radius of the capsules around the arm's links [m]", 0.02, 0.3),
    Param("robot_hand_radius_m", 0.06, "radius of the capsules around the palm, fingers and what they hold [m]",
          0.02, 0.3),
] + CAMERA_PARAMS
JOINT_HISTORY = 500  # joint states kept to find the one taken with a frame: 1-2 s of them


class PerceptionNode(Node):
    def __init__(self) -> None:
        super().__init__("perception")
        self.p = declare_all(self, PARAMS)
        self.calibration = camera_from_params(self.p)  # extrinsics; intrinsics come from camera_info
        detector = None
        if self.p["use_detector"]:
            # One torch thread: more collapse under load on a small machine.
            try:
                detector = Detector(DetectorConfig(weights=self.p["detector_weights"] or str(DEFAULT_WEIGHTS),
                                                   min_confidence=self.p["detector_min_confidence"],
                                                   precision=self.p["detector_precision"], torch_threads=1))
            except ValueError as e:
                raise ParameterError(f"detector: {e}") from None
        self.pipeline = PerceptionPipeline(PerceptionConfig(), detector)
        self.info: CameraInfo | None = None
        self.kin = ArmKinematics() if self.p["filter_robot"] else None
        self.robot_filter = RobotFilterConfig(self.p["robot_link_radius_m"], self.p["robot_hand_radius_m"])
        self.joints: deque[tuple[float, np.ndarray]] = deque(maxlen=JOINT_HISTORY)
        self.pending: dict[tuple[int, int], dict[str, Image]] = {}
        self.scene_pub = self.create_publisher(SceneGraph, "perception/scene_graph", qos.LATCHED)
        self.marker_pub = self.create_publisher(MarkerArray, "perception/markers", 1)
        self.image_pub = self.create_publisher(Image, "perception/annotated_image", qos.SENSOR)
        self.create_subscription(CameraInfo, "camera/camera_info", self.on_info, qos.SENSOR)
        if self.kin is not None:
            self.create_subscription(JointState, "joint_states", self.on_joint_state, qos.STATE)
        self.create_subscription(Image, "camera/color/image_raw", lambda m: self.on_image("rgb", m), qos.SENSOR)
        self.create_subscription(Image, "camera/depth/image_raw", lambda m: self.on_image("depth", m), qos.SENSOR)

    def on_info(self, msg: CameraInfo) -> None:
        self.info = msg

    def on_joint_state(self, msg: JointState) -> None:
        try:
            q = np.array([msg.position[list(msg.name).index(j)] for j in PANDA_JOINTS], dtype=float)
        except (ValueError, IndexError):
            return
        if np.all(np.isfinite(q)):
            self.joints.append((time_to_seconds(msg.header.stamp), q))

    def robot_at(self, stamp_s: float) -> list:
        """Capsules around the arm as it stood at stamp_s (its nearest joint state), or none to filter."""
        if self.kin is None:
            return []
        if not self.joints:
            self.get_logger().warn("no joint_states yet: the arm is not filtered out of the frames",
                                   throttle_duration_sec=10.0)
            return []
        _, q = min(self.joints, key=lambda state: abs(state[0] - stamp_s))
        return arm_capsules(self.kin, q, self.robot_filter)

    def on_image(self, kind: str, msg: Image) -> None:
        key = (msg.header.stamp.sec, msg.header.stamp.nanosec)
        frame = self.pending.setdefault(key, {})
        frame[kind] = msg
        if len(frame) == 2 and self.info is not None:
            # Older unmatched halves can never pair up now.
            for k in [k for k in self.pending if k <= key]:
                del self.pending[k]
            self.process(frame["rgb"], frame["depth"])
        elif len(self.pending) > 8:
            del self.pending[min(self.pending)]

    def process(self, rgb_msg: Image, depth_msg: Image) -> None:
        try:
            rgb, depth = image_from_msg(rgb_msg), image_from_msg(depth_msg)
        except ValueError as e:
            self.get_logger().warn(f"dropping frame: {e}", throttle_duration_sec=5.0)
            return
        if rgb.shape[:2] != depth.shape or depth.shape != (self.info.height, self.info.width):
            self.get_logger().warn("dropping frame: colour, depth and camera_info sizes differ",
                                   throttle_duration_sec=5.0)
            return
        camera = camera_from_info(self.info, self.calibration.position, self.calibration.orientation)
        stamp_s = time_to_seconds(rgb_msg.header.stamp)
        scene = self.pipeline.process(rgb, depth, camera, stamp_s, self.robot_at(stamp_s))
        self.scene_pub.publish(scene_to_msg(scene, self.p["base_frame"]))
        self.marker_pub.publish(scene_markers(scene, self.p["base_frame"], rgb_msg.header.stamp))
        if self.p["publish_annotated_image"]:
            self.image_pub.publish(rgb_to_msg(annotate(rgb, scene, camera), rgb_msg.header.stamp,
                                              rgb_msg.header.frame_id))


def main(args=None) -> int:
    return run_node(PerceptionNode, args=args)


if __name__ == "__main__":
    sys.exit(main())
