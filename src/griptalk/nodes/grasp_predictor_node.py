"""Grasp predictor node: scores grasp candidates before the arm moves.

Subscribes camera/depth/image_raw, camera/camera_info
Serves     grasp_predictor/score (griptalk_interfaces/ScoreGrasps)

Candidates are scored by the learned predictor (griptalk.grasping.model) from the latest depth
image around the object. Without weights, without a depth image newer than depth_max_age_s, or
with use_learned false, the hand-written heuristic scores them, and the response's message says so.
"""
from __future__ import annotations

import sys

from rclpy.node import Node
from sensor_msgs.msg import CameraInfo, Image

from griptalk.grasping.heuristic import score as heuristic_score
from griptalk.grasping.model import DEFAULT_WEIGHTS, GraspPredictor
from griptalk.ros import qos
from griptalk.ros.calibration import CAMERA_PARAMS, camera_from_params
from griptalk.ros.conversions import camera_from_info, image_from_msg, object_from_msg, time_to_seconds
from griptalk.ros.grasps import candidate_from_msg
from griptalk.ros.params import Param, declare_all
from griptalk.ros.runner import run_node
from griptalk_interfaces.srv import ScoreGrasps

PARAMS = [
    Param("use_learned", True, "score with the learned predictor (false: the hand-written heuristic only)"),
    Param("weights", "", "grasp predictor weights file; empty: the weights shipped with the package"),
    Param("depth_max_age_s", 2.0, "older depth images are not used: the heuristic scores instead [s]", 0.1, 60.0),
] + CAMERA_PARAMS


class GraspPredictorNode(Node):
    def __init__(self) -> None:
        super().__init__("grasp_predictor")
        self.p = declare_all(self, PARAMS)
        self.calibration = camera_from_params(self.p)  # extrinsics; intrinsics come from camera_info
        self.predictor = None
        if self.p["use_learned"]:
            try:
                self.predictor = GraspPredictor(self.p["weights"] or DEFAULT_WEIGHTS, torch_threads=1)
            except FileNotFoundError as e:
                self.get_logger().warn(f"{e}: scoring with the heuristic")
        self.info: CameraInfo | None = None
        self.depth: Image | None = None
        self.create_subscription(CameraInfo, "camera/camera_info", self.on_info, qos.SENSOR)
        self.create_subscription(Image, "camera/depth/image_raw", self.on_depth, qos.SENSOR)
        self.create_service(ScoreGrasps, "grasp_predictor/score", self.on_score)

    def on_info(self, msg: CameraInfo) -> None:
        self.info = msg

    def on_depth(self, msg: Image) -> None:
        self.depth = msg

    def on_score(self, request, response):
        try:
            obj = object_from_msg(request.object)
            candidates = [candidate_from_msg(c) for c in request.candidates]
            why_not = self._why_not_learned()
            if why_not is None:
                camera = camera_from_info(self.info, self.calibration.position, self.calibration.orientation)
                scores = self.predictor.score(obj, candidates, image_from_msg(self.depth), camera)
            else:
                scores = heuristic_score(obj, candidates)
                response.message = f"heuristic scores: {why_not}"
            response.scores = [float(s) for s in scores]
        except ValueError as e:
            response.scores = []
            response.message = f"cannot score: {e}"
            self.get_logger().warn(response.message)
        return response

    def _why_not_learned(self) -> str | None:
        if self.predictor is None:
            return "no learned predictor"
        if self.depth is None or self.info is None:
            return "no depth image yet"
        age = time_to_seconds(self.get_clock().now().to_msg()) - time_to_seconds(self.depth.header.stamp)
        if age > self.p["depth_max_age_s"]:
            return f"the latest depth image is {age:.1f} s old"
        return None


def main(args=None) -> int:
    return run_node(GraspPredictorNode, args=args)


if __name__ == "__main__":
    sys.exit(main())
