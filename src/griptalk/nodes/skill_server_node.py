"""Skill server node: turns one plan step into motion, phase by phase.

Serves     skills/execute (griptalk_interfaces/ExecuteSkill): grasp, place, home
Subscribes perception/scene_graph, joint_states, safety/status
Uses       grasp_predictor/score (ScoreGrasps), controller/follow_trajectory (FollowTrajectory)
Publishes  gripper/command (GripperCommand; the safety supervisor forwards it)

Every motion is planned whole (IK within limits, clear of the table) before the arm moves, and
every grasp is checked from sensing (finger width) rather than assumed.
"""
from __future__ import annotations

import sys
import threading
import time

import numpy as np
from builtin_interfaces.msg import Duration
from rclpy.action import ActionClient, ActionServer, CancelResponse, GoalResponse
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.node import Node
from sensor_msgs.msg import JointState
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

from griptalk.control.trajectory import time_parameterize
from griptalk.robot import PANDA_FINGER_JOINTS, PANDA_JOINTS, PANDA_LIMITS
from griptalk.ros import qos
from griptalk.ros.conversions import object_to_msg, scene_from_msg, step_from_msg
from griptalk.ros.grasps import candidate_to_msg
from griptalk.ros.params import Param, declare_all
from griptalk.ros.runner import run_node
from griptalk.ros.waiting import wait_for
from griptalk.skills.grasps import NOMINAL_DEPTH_M, grasp_candidates, wrist_yaw
from griptalk.skills.kinematics import ArmKinematics
from griptalk.skills.motions import GripperSegment, MotionConfig, MoveSegment, plan_grasp, plan_home, plan_place
from griptalk.types import SceneGraph, SceneObject
from griptalk_interfaces.action import ExecuteSkill, FollowTrajectory
from griptalk_interfaces.msg import GripperCommand, SafetyStatus, SceneGraph as SceneGraphMsg
from griptalk_interfaces.srv import ScoreGrasps

PARAMS = [
    Param("grasp_candidates", 16, "grasp candidates sampled per object", 1, 256),
    Param("grasp_plans_tried", 4, "best-scored candidates tried before reporting no reachable grasp", 1, 64),
    Param("velocity_scale", 0.4, "fraction of the joint velocity limits used by motions", 0.05, 1.0),
    Param("grip_force_n", 15.0, "grip force [N]", 1.0, 70.0),
    Param("min_held_width_m", 0.004, "finger opening below which the gripper holds nothing [m]", 0.0, 0.05),
    Param("gripper_timeout_s", 3.0, "time for the fingers to settle [s]", 0.2, 20.0),
    Param("service_timeout_s", 5.0, "time to wait for the grasp predictor and controller [s]", 0.1, 60.0),
]


class SkillFailed(Exception):
    """The skill cannot go on; the message says why."""


class SkillServerNode(Node):
    def __init__(self) -> None:
        super().__init__("skill_server")
        self.p = declare_all(self, PARAMS)
        self.kinematics = ArmKinematics()
        self.motion = MotionConfig(grip_force_n=self.p["grip_force_n"])
        self.lock = threading.Lock()
        self.scene: SceneGraph | None = None
        self.q: np.ndarray | None = None
        self.gripper_width = 0.0
        self.safety: SafetyStatus | None = None
        self.held: tuple[SceneObject, float] | None = None  # (object as seen before the grasp, grasp depth)
        group = ReentrantCallbackGroup()
        self.gripper_pub = self.create_publisher(GripperCommand, "gripper/command", qos.COMMAND)
        self.create_subscription(SceneGraphMsg, "perception/scene_graph", self.on_scene, qos.LATCHED,
                                 callback_group=group)
        self.create_subscription(JointState, "joint_states", self.on_joint_state, qos.STATE, callback_group=group)
        self.create_subscription(SafetyStatus, "safety/status", self.on_safety, qos.LATCHED, callback_group=group)
        self.scorer = self.create_client(ScoreGrasps, "grasp_predictor/score", callback_group=group)
        self.controller = ActionClient(self, FollowTrajectory, "controller/follow_trajectory", callback_group=group)
        self.server = ActionServer(self, ExecuteSkill, "skills/execute", self.execute, goal_callback=self.on_goal,
                                   cancel_callback=lambda _: CancelResponse.ACCEPT, callback_group=group)
        self.busy = threading.Lock()

    # --- inputs --------------------------------------------------------------------------------

    def on_scene(self, msg: SceneGraphMsg) -> None:
        with self.lock:
            self.scene = scene_from_msg(msg)

    def on_joint_state(self, msg: JointState) -> None:
        names = list(msg.name)
        try:
            q = np.array([msg.position[names.index(j)] for j in PANDA_JOINTS])
            width = sum(msg.position[names.index(j)] for j in PANDA_FINGER_JOINTS)
        except (ValueError, IndexError):
            return
        with self.lock:
            self.q, self.gripper_width = q, width

    def on_safety(self, msg: SafetyStatus) -> None:
        self.safety = msg

    def on_goal(self, goal) -> GoalResponse:
        try:
            step_from_msg(goal.step)
        except ValueError as e:
            self.get_logger().warn(f"rejected step: {e}")
            return GoalResponse.REJECT
        return GoalResponse.ACCEPT

    # --- the action ----------------------------------------------------------------------------

    def execute(self, goal_handle):
        step = step_from_msg(goal_handle.request.step)
        result = ExecuteSkill.Result()
        if not self.busy.acquire(blocking=False):
            result.message = "another skill is running"
            goal_handle.abort()
            return result
        try:
            self.ensure_safe()
            handler = {"grasp": self.grasp, "place": self.place, "home": self.home}.get(step.skill)
            if handler is None:
                raise SkillFailed(f"the skill '{step.skill}' is not in this robot's library yet")
            result.message = handler(goal_handle, step)
            result.success = True
        except SkillFailed as e:
            result.message = str(e)
        finally:
            self.busy.release()
        self.get_logger().info(f"{step.describe()}: {'ok' if result.success else 'failed'}: {result.message}")
        if goal_handle.is_cancel_requested:
            goal_handle.canceled()
        elif result.success:
            goal_handle.succeed()
        else:
            goal_handle.abort()
        return result

    def grasp(self, goal_handle, step) -> str:
        if self.held is not None:
            if self.held[0].id == step.object.id and self.gripper_width >= self.p["min_held_width_m"]:
                return f"already holding the {step.object.id}"
            raise SkillFailed(f"the gripper already holds the {self.held[0].id}")
        obj, scene, q = self.visible(step.object.id)
        candidates = grasp_candidates(obj, self.p["grasp_candidates"],
                                      reference_yaw=wrist_yaw(self.kinematics.fk(q)[1]))
        if not candidates:
            raise SkillFailed(f"no grasp fits the {obj.id}: it is wider than the gripper opens")
        scores = self.score(obj, candidates)
        obstacles = [o for o in scene.objects if o.id != obj.id]
        reasons = []
        for i in np.argsort(-scores)[:self.p["grasp_plans_tried"]]:
            segments = plan_grasp(self.kinematics, q, candidates[i], obstacles, self.motion)
            if isinstance(segments, str):
                reasons.append(segments)
                continue
            self.run_segments(goal_handle, segments)
            if self.gripper_width < self.p["min_held_width_m"]:
                self.run_segments(goal_handle, [GripperSegment("release", 0.08, self.motion.grip_force_n)])
                raise SkillFailed(f"missed the {obj.id}: the fingers closed on nothing")
            self.held = (obj, float(obj.top_z - candidates[i].position[2]))
            return f"holding the {obj.id} (score {scores[i]:.2f}, fingers {self.gripper_width * 1000:.0f} mm apart)"
        raise SkillFailed(reasons[0] if reasons else f"no reachable grasp for the {obj.id}")

    def place(self, goal_handle, step) -> str:
        if self.held is None or self.held[0].id != step.object.id:
            raise SkillFailed(f"cannot place the {step.object.id}: the gripper does not hold it")
        if self.gripper_width < self.p["min_held_width_m"]:
            self.held = None
            raise SkillFailed(f"the {step.object.id} slipped out of the gripper")
        # The arm holding the object may hide the target from the camera: its last pose will do.
        target, scene, q = self.visible(step.target.id, allow_stale=True)
        held, depth = self.held
        obstacles = [o for o in scene.objects if o.id not in (held.id, target.id)]
        segments = plan_place(self.kinematics, q, target, step.relation, held, depth or NOMINAL_DEPTH_M,
                              obstacles, self.motion)
        if isinstance(segments, str):
            raise SkillFailed(segments)
        self.run_segments(goal_handle, segments)
        self.held = None
        self.home(goal_handle, step)
        return f"released the {held.id} {step.relation} the {target.id}"

    def home(self, goal_handle, _step) -> str:
        with self.lock:
            q = self.q
        if q is None:
            raise SkillFailed("no joint_states from the arm")
        segments = plan_home(self.kinematics, q, self.motion)
        if isinstance(segments, str):
            raise SkillFailed(segments)
        self.run_segments(goal_handle, segments)
        return "at home"

    # --- helpers -------------------------------------------------------------------------------

    def visible(self, object_id: str, allow_stale: bool = False) -> tuple[SceneObject, SceneGraph, np.ndarray]:
        with self.lock:
            scene, q = self.scene, self.q
        if q is None:
            raise SkillFailed("no joint_states from the arm")
        if scene is None:
            raise SkillFailed("no scene graph from perception")
        obj = scene.get(object_id)
        if obj is None or (obj.stale and not allow_stale):
            raise SkillFailed(f"cannot see the {object_id}")
        return obj, scene, q

    def ensure_safe(self) -> None:
        if self.safety is not None and self.safety.state == SafetyStatus.STATE_STOPPED:
            raise SkillFailed(f"safety stop: {self.safety.reason}")

    def score(self, obj: SceneObject, candidates) -> np.ndarray:
        if not self.scorer.wait_for_service(timeout_sec=self.p["service_timeout_s"]):
            raise SkillFailed("the grasp predictor is not available")
        request = ScoreGrasps.Request(object=object_to_msg(obj), candidates=[candidate_to_msg(c) for c in candidates])
        response = wait_for(self.scorer.call_async(request), self.p["service_timeout_s"])
        if response is None or len(response.scores) != len(candidates):
            raise SkillFailed(f"the grasp predictor failed: {response.message if response else 'no answer'}")
        return np.asarray(response.scores)

    def run_segments(self, goal_handle, segments) -> None:
        for segment in segments:
            if goal_handle.is_cancel_requested:
                raise SkillFailed(f"canceled before {segment.name}")
            self.ensure_safe()
            goal_handle.publish_feedback(ExecuteSkill.Feedback(phase=segment.name))
            if isinstance(segment, MoveSegment):
                self.move(goal_handle, segment)
            else:
                self.set_gripper(segment)

    def move(self, goal_handle, segment: MoveSegment) -> None:
        with self.lock:
            q = self.q
        waypoints = np.vstack([q, segment.waypoints[1:]])  # start from where the arm is
        try:
            reference = time_parameterize(waypoints, PANDA_LIMITS, self.p["velocity_scale"])
        except ValueError as e:
            raise SkillFailed(f"{segment.name}: {e}") from None
        trajectory = JointTrajectory(joint_names=list(PANDA_JOINTS))
        velocities = reference.velocities if reference.velocities is not None else np.zeros_like(reference.positions)
        for t, point, velocity in zip(reference.times_s, reference.positions, velocities):
            sec = int(t)
            trajectory.points.append(JointTrajectoryPoint(
                positions=[float(v) for v in point], velocities=[float(v) for v in velocity],
                time_from_start=Duration(sec=sec, nanosec=int((t - sec) * 1e9))))
        if not self.controller.wait_for_server(timeout_sec=self.p["service_timeout_s"]):
            raise SkillFailed("the controller is not available")
        sent = wait_for(self.controller.send_goal_async(FollowTrajectory.Goal(trajectory=trajectory)),
                        self.p["service_timeout_s"])
        if sent is None or not sent.accepted:
            raise SkillFailed(f"{segment.name}: the controller refused the trajectory")
        result = sent.get_result_async()
        while not result.done():
            if goal_handle.is_cancel_requested:
                wait_for(sent.cancel_goal_async(), self.p["service_timeout_s"])
                raise SkillFailed(f"canceled during {segment.name}")
            self.ensure_safe()
            time.sleep(0.02)
        outcome = result.result().result
        if not outcome.success:
            raise SkillFailed(f"{segment.name}: {outcome.message}")

    def set_gripper(self, segment: GripperSegment) -> None:
        self.gripper_pub.publish(GripperCommand(width_m=float(segment.width_m), max_force_n=float(segment.force_n)))
        # Wait (wall clock) until the fingers stop moving: on an object or at the commanded width.
        deadline = time.monotonic() + self.p["gripper_timeout_s"]
        last, still_since = self.gripper_width, time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.05)
            width = self.gripper_width
            if abs(width - last) > 0.0005:
                last, still_since = width, time.monotonic()
            elif time.monotonic() - still_since > 0.3 and (abs(width - segment.width_m) < 0.002 or
                                                           segment.width_m < width):
                return
        if segment.width_m > self.gripper_width + 0.005:
            raise SkillFailed(f"{segment.name}: the gripper did not open (at {self.gripper_width * 1000:.0f} mm)")


def main(args=None) -> int:
    return run_node(SkillServerNode, threads=4, args=args)


if __name__ == "__main__":
    sys.exit(main())
