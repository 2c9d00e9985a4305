"""Grasp predictor node: scores grasp candidates before the arm moves.

Serves grasp_predictor/score (griptalk_interfaces/ScoreGrasps)
"""
from __future__ import annotations

import sys

from rclpy.node import Node

from griptalk.grasping.heuristic import score
from griptalk.ros.conversions import object_from_msg
from griptalk.ros.grasps import candidate_from_msg
from griptalk.ros.runner import run_node
from griptalk_interfaces.srv import ScoreGrasps


class GraspPredictorNode(Node):
    def __init__(self) -> None:
        super().__init__("grasp_predictor")
        self.create_service(ScoreGrasps, "grasp_predictor/score", self.on_score)

    def on_score(self, request, response):
        try:
            obj = object_from_msg(request.object)
            candidates = [candidate_from_msg(c) for c in request.candidates]
            response.scores = [float(s) for s in score(obj, candidates)]
        except ValueError as e:
            response.scores = []
            response.message = f"cannot score: {e}"
            self.get_logger().warn(response.message)
        return response


def main(args=None) -> int:
    return run_node(GraspPredictorNode, args=args)


if __name__ == "__main__":
    sys.exit(main())
