"""Franka gripper bridge: the supervisor's gripper commands as franka_gripper actions.

Subscribes gripper_controller/commands (std_msgs/Float64MultiArray: [width_m, max_force_n], published
           only by the safety supervisor), joint_states (the finger joints give the current width)
Calls      <gripper_namespace>/move and <gripper_namespace>/grasp (franka_msgs/action/Move, Grasp)

A new command cancels the goal still running, as a new position on a ros2_control topic would.
Needs franka_msgs (franka_ros2): run it only where the Franka driver is installed.
"""
from __future__ import annotations

import sys

from rclpy.action import ActionClient
from rclpy.node import Node
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64MultiArray

from griptalk.drivers.franka_gripper import FrankaGripperConfig, GripperGoal, finger_width, goal_for
from griptalk.ros import qos
from griptalk.ros.params import Param, ParameterError, declare_all
from griptalk.ros.runner import run_node

PARAMS = [
    Param("gripper_namespace", "franka_gripper", "namespace of franka_gripper's actions, relative to this node's"),
    Param("finger_joints", ["fr3_finger_joint1", "fr3_finger_joint2"],
          "the two finger joints in joint_states; each is half the finger-to-finger width [m]"),
    Param("speed_m_s", 0.05, "finger speed for moves and grasps [m/s]", 0.001, 0.1),
    Param("epsilon_inner_m", 0.005, "a grasp holds if the fingers stop at most this far inside the target [m]",
          0.0, 0.08),
    Param("epsilon_outer_m", 0.08, "... or at most this far outside it [m]", 0.0, 0.08),
]


class FrankaGripperBridgeNode(Node):
    def __init__(self, move_action: type, grasp_action: type) -> None:
        super().__init__("franka_gripper_bridge")
        self.p = declare_all(self, PARAMS)
        try:
            self.config = FrankaGripperConfig(self.p["speed_m_s"], self.p["epsilon_inner_m"],
                                              self.p["epsilon_outer_m"])
        except ValueError as e:
            raise ParameterError(f"franka_gripper_bridge parameters: {e}") from None
        if len(self.p["finger_joints"]) != 2:
            raise ParameterError(f"finger_joints must name 2 joints, got {self.p['finger_joints']}")
        self.move_action, self.grasp_action = move_action, grasp_action
        namespace = self.p["gripper_namespace"].rstrip("/")
        self.gripper_actions = {kind: (ActionClient(self, action, f"{namespace}/{kind}"), f"{namespace}/{kind}")
                        for kind, action in (("move", move_action), ("grasp", grasp_action))}
        self.width_m: float | None = None
        self.active = None  # the goal handle of the goal running now
        self.create_subscription(JointState, "joint_states", self.on_joint_state, qos.STATE)
        self.create_subscription(Float64MultiArray, "gripper_controller/commands", self.on_command, qos.COMMAND)

    def on_joint_state(self, msg: JointState) -> None:
        width = finger_width(list(msg.name), list(msg.position), self.p["finger_joints"])
        if width is not None:
            self.width_m = width

    def on_command(self, msg: Float64MultiArray) -> None:
        if self.width_m is None:
            self.get_logger().error(f"gripper command {list(msg.data)} dropped: no finger joints "
                                    f"{self.p['finger_joints']} on joint_states yet")
            return
        try:
            goal = goal_for(list(msg.data), self.width_m, self.config)
        except ValueError as e:
            self.get_logger().error(f"gripper command dropped: {e}")
            return
        client, name = self.gripper_actions[goal.kind]
        if not client.server_is_ready():
            self.get_logger().error(f"gripper command dropped: action {name} is not available "
                                    "(is franka_gripper running?)")
            return
        if self.active is not None:
            self.active.cancel_goal_async()
            self.active = None
        client.send_goal_async(self.to_goal(goal)).add_done_callback(self.on_accepted)

    def to_goal(self, goal: GripperGoal):
        if goal.kind == "move":
            return self.move_action.Goal(width=goal.width_m, speed=goal.speed_m_s)
        action_goal = self.grasp_action.Goal(width=goal.width_m, speed=goal.speed_m_s, force=goal.force_n)
        action_goal.epsilon.inner, action_goal.epsilon.outer = goal.epsilon_inner_m, goal.epsilon_outer_m
        return action_goal

    def on_accepted(self, future) -> None:
        handle = future.result()
        if not handle.accepted:
            self.get_logger().error("franka_gripper rejected the goal")
            return
        self.active = handle
        handle.get_result_async().add_done_callback(lambda f: self.on_result(handle, f))

    def on_result(self, handle, future) -> None:
        if self.active is handle:
            self.active = None
        result = future.result().result
        if not result.success and result.error:
            self.get_logger().warn(f"franka_gripper: {result.error}")


def main(args=None) -> int:
    try:
        from franka_msgs.action import Grasp, Move
    except ImportError:
        print("error: franka_msgs is not installed; this bridge runs next to franka_ros2's franka_gripper",
              file=sys.stderr)
        return 2
    return run_node(lambda: FrankaGripperBridgeNode(Move, Grasp), args=args)


if __name__ == "__main__":
    sys.exit(main())
