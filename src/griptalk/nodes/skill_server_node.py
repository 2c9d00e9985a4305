"""Skill server node: turns one plan step into motion, phase by phase, through the skill library.

Serves     skills/execute (griptalk_interfaces/ExecuteSkill): grasp, place, open, close, home
Subscribes perception/scene_graph, joint_states, wrist/wrench, safety/status
Uses       grasp_predictor/score (ScoreGrasps), controller/follow_trajectory (FollowTrajectory)
Publishes  gripper/command (GripperCommand; the safety supervisor forwards it)

The skills themselves live in griptalk.skills.library; this node is their robot port: it moves the
arm through the controller, the fingers through the supervisor, and reads the sensors. The library
blocks while a skill runs, so it runs on one worker thread (its port methods wait on events that
future callbacks set), while the executor stays on the main thread: one thread spins every callback.
"""
from __future__ import annotations

import sys
import threading
import time

import numpy as np
from builtin_interfaces.msg import Duration
from geometry_msgs.msg import WrenchStamped
from rclpy.action import ActionClient, ActionServer, CancelResponse, GoalResponse
from rclpy.node import Node
from rclpy.task import Future
from sensor_msgs.msg import JointState
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

from griptalk.control.trajectory import time_parameterize
from griptalk.robot import PANDA_FINGER_JOINTS, PANDA_JOINTS, PANDA_LIMITS
from griptalk.ros import qos
from griptalk.ros.conversions import object_to_msg, scene_from_msg, step_from_msg
from griptalk.ros.grasps import candidate_to_msg
from griptalk.ros.params import Param, declare_all
from griptalk.ros.runner import run_node
from griptalk.ros.waiting import on_executor, wait_for
from griptalk.skills.kinematics import ArmKinematics
from griptalk.skills.library import MoveReport, SkillConfig, SkillFailed, SkillLibrary
from griptalk.skills.motions import GripperSegment, MotionConfig, MoveSegment
from griptalk.types import SceneGraph, SceneObject
from griptalk_interfaces.action import ExecuteSkill, FollowTrajectory
from griptalk_interfaces.msg import GripperCommand, SafetyStatus, SceneGraph as SceneGraphMsg
from griptalk_interfaces.srv import ScoreGrasps

PARAMS = [
    Param("grasp_candidates", 16, "grasp candidates sampled per object", 1, 256),
    Param("grasp_plans_tried", 4, "best-scored candidates planned before reporting no reachable grasp", 1, 64),
    Param("grasp_attempts", 2, "grasps tried on an object (the next-best after a miss) before failing", 1, 16),
    Param("velocity_scale", 0.4, "fraction of the joint velocity limits used by motions", 0.05, 1.0),
    Param("grip_force_n", 15.0, "grip force [N]", 1.0, 70.0),
    Param("min_held_width_m", 0.004, "finger opening below which the gripper holds nothing [m]", 0.0, 0.05),
    Param("collision_force_n", 20.0, "wrist force that stops a move as a collision [N]", 1.0, 140.0),
    Param("forceful_limit_n", 40.0, "the same while pulling or pushing a drawer [N]", 1.0, 140.0),
    Param("gripper_timeout_s", 3.0, "time for the fingers to settle [s, on the node clock]", 0.2, 20.0),
    Param("fresh_scene_timeout_s", 1.5, "time to wait for a scene graph newer than a grasp [s]", 0.0, 10.0),
    Param("service_timeout_s", 5.0, "time to wait for the grasp predictor and controller [s]", 0.1, 60.0),
]


class SkillServerNode(Node):
    def __init__(self) -> None:
        super().__init__("skill_server")
        self.p = declare_all(self, PARAMS)
        config = SkillConfig(grasp_candidates=self.p["grasp_candidates"], grasp_plans_tried=self.p["grasp_plans_tried"],
                             grasp_attempts=self.p["grasp_attempts"], min_held_width_m=self.p["min_held_width_m"],
                             collision_force_n=self.p["collision_force_n"], forceful_limit_n=self.p["forceful_limit_n"],
                             motion=MotionConfig(grip_force_n=self.p["grip_force_n"]))
        self.lock = threading.Condition()  # the sensor state below, shared with the worker; notified on a scene
        self.scene_graph: SceneGraph | None = None
        self.q: np.ndarray | None = None
        self.width = 0.0
        self.force_n = 0.0
        self.safety: SafetyStatus | None = None
        self.goal_handle = None  # the goal being executed
        self.library = SkillLibrary(self, ArmKinematics(), config)
        self.gripper_pub = self.create_publisher(GripperCommand, "gripper/command", qos.COMMAND)
        self.create_subscription(SceneGraphMsg, "perception/scene_graph", self.on_scene, qos.LATCHED)
        self.create_subscription(JointState, "joint_states", self.on_joint_state, qos.STATE)
        self.create_subscription(WrenchStamped, "wrist/wrench", self.on_wrench, qos.STATE)
        self.create_subscription(SafetyStatus, "safety/status", self.on_safety, qos.LATCHED)
        self.scorer = self.create_client(ScoreGrasps, "grasp_predictor/score")
        self.controller = ActionClient(self, FollowTrajectory, "controller/follow_trajectory")
        self.server = ActionServer(self, ExecuteSkill, "skills/execute", self.execute, goal_callback=self.on_goal,
                                   cancel_callback=lambda _: CancelResponse.ACCEPT)

    # --- inputs --------------------------------------------------------------------------------

    def on_scene(self, msg: SceneGraphMsg) -> None:
        with self.lock:
            self.scene_graph = scene_from_msg(msg)
            self.lock.notify_all()

    def on_joint_state(self, msg: JointState) -> None:
        names = list(msg.name)
        try:
            q = np.array([msg.position[names.index(j)] for j in PANDA_JOINTS])
            width = sum(msg.position[names.index(j)] for j in PANDA_FINGER_JOINTS)
        except (ValueError, IndexError):
            return
        with self.lock:
            self.q, self.width = q, width

    def on_wrench(self, msg: WrenchStamped) -> None:
        f = msg.wrench.force
        self.force_n = float(np.linalg.norm([f.x, f.y, f.z]))

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

    async def execute(self, goal_handle):
        step = step_from_msg(goal_handle.request.step)
        result = ExecuteSkill.Result()
        if self.goal_handle is not None:
            result.message = "another skill is running"
            goal_handle.abort()
            return result
        self.goal_handle = goal_handle
        finished = Future()
        threading.Thread(target=self.run_skill, args=(step, finished), name="skill", daemon=True).start()
        try:
            result.message = await finished
            result.success = True
        except SkillFailed as e:
            result.message = str(e)
        finally:
            self.goal_handle = None
        self.get_logger().info(f"{step.describe()}: {'ok' if result.success else 'failed'}: {result.message}")
        if goal_handle.is_cancel_requested:
            goal_handle.canceled()
        elif result.success:
            goal_handle.succeed()
        else:
            goal_handle.abort()
        return result

    def run_skill(self, step, finished: Future) -> None:
        """The worker thread: the skill library's outcome (or error) goes to execute() on the executor."""
        try:
            finished.set_result(self.library.execute(step))
        except BaseException as e:  # SkillFailed, or a bug: raised again in execute()
            finished.set_exception(e)
        executor = self.executor  # None once the node is shutting down
        if executor is not None:
            executor.wake()  # resume execute() now, not at the next message

    # --- the skill library's robot port (called on the worker thread) -----------------------------

    def joint_positions(self) -> np.ndarray:
        with self.lock:
            q = self.q
        if q is None:
            raise SkillFailed("unavailable", "no joint_states from the arm")
        return q.copy()

    def gripper_width(self) -> float:
        return self.width

    def now_s(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def scene(self, newer_than_s: float | None = None) -> SceneGraph | None:
        # Also wait when no scene has arrived yet: at start-up the subscription may still be matching.
        def fresh() -> bool:
            return self.scene_graph is not None and (newer_than_s is None or self.scene_graph.stamp_s > newer_than_s)

        with self.lock:
            return self.scene_graph if self.lock.wait_for(fresh, self.p["fresh_scene_timeout_s"]) else None

    def score(self, obj: SceneObject, candidates) -> np.ndarray:
        if not self.scorer.wait_for_service(timeout_sec=self.p["service_timeout_s"]):
            raise SkillFailed("unavailable", "the grasp predictor is not available")
        request = ScoreGrasps.Request(object=object_to_msg(obj), candidates=[candidate_to_msg(c) for c in candidates])
        response = wait_for(self.scorer.call_async(request), self.p["service_timeout_s"])
        if response is None or len(response.scores) != len(candidates):
            raise SkillFailed("unavailable",
                              f"the grasp predictor failed: {response.message if response else 'no answer'}")
        return np.asarray(response.scores)

    def check(self) -> None:
        if self.goal_handle is not None and self.goal_handle.is_cancel_requested:
            raise SkillFailed("canceled", "canceled")
        if self.safety is not None and self.safety.state == SafetyStatus.STATE_STOPPED:
            raise SkillFailed("safety_stop", f"safety stop: {self.safety.reason}")

    def feedback(self, phase: str) -> None:
        if self.goal_handle is not None:
            self.goal_handle.publish_feedback(ExecuteSkill.Feedback(phase=phase))

    def move(self, segment: MoveSegment, force_limit_n: float) -> MoveReport:
        waypoints = np.vstack([self.joint_positions(), segment.waypoints[1:]])  # start from where the arm is
        try:
            reference = time_parameterize(waypoints, PANDA_LIMITS, self.p["velocity_scale"])
        except ValueError as e:
            raise SkillFailed("no_reachable_grasp", f"{segment.name}: {e}") from None
        trajectory = JointTrajectory(joint_names=list(PANDA_JOINTS))
        velocities = reference.velocities if reference.velocities is not None else np.zeros_like(reference.positions)
        for t, point, velocity in zip(reference.times_s, reference.positions, velocities):
            sec = int(t)
            trajectory.points.append(JointTrajectoryPoint(
                positions=[float(v) for v in point], velocities=[float(v) for v in velocity],
                time_from_start=Duration(sec=sec, nanosec=int((t - sec) * 1e9))))
        executor = self.executor  # None once the node is shutting down
        if executor is None or not self.controller.wait_for_server(timeout_sec=self.p["service_timeout_s"]):
            raise SkillFailed("unavailable", "the controller is not available")
        goal = FollowTrajectory.Goal(trajectory=trajectory)
        sent = wait_for(on_executor(executor, lambda: self.controller.send_goal_async(goal)),
                        self.p["service_timeout_s"])
        if sent is None or not sent.accepted:
            raise SkillFailed("unavailable", f"{segment.name}: the controller refused the trajectory")
        result = on_executor(executor, sent.get_result_async)
        finished = threading.Event()
        result.add_done_callback(lambda _: finished.set())
        peak = 0.0
        while not finished.wait(0.01):  # watch the force and the stop conditions every 10 ms meanwhile
            peak = max(peak, self.force_n)
            if peak > force_limit_n:
                wait_for(on_executor(executor, sent.cancel_goal_async), self.p["service_timeout_s"])
                return MoveReport(peak, True)
            try:
                self.check()
            except SkillFailed:
                wait_for(on_executor(executor, sent.cancel_goal_async), self.p["service_timeout_s"])
                raise
        outcome = result.result().result
        if not outcome.success:
            self.check()  # a safety stop aborts the controller's goal: say so
            raise SkillFailed("collision", f"{segment.name}: {outcome.message}")
        return MoveReport(peak, False)

    def set_gripper(self, segment: GripperSegment) -> None:
        self.gripper_pub.publish(GripperCommand(width_m=float(segment.width_m), max_force_n=float(segment.force_n)))
        # Wait until the fingers stop moving: on an object or at the commanded width. Timed on the node's
        # clock, the one the fingers move by: a busy machine slows simulated time, and a wall-clock timeout
        # could end while the fingers were still on their way. Should the clock stop for good, the
        # supervisor's stale-state watchdog latches a stop and check() raises.
        start = self.now_s()
        last, still_since = self.width, start
        while True:
            time.sleep(0.05)
            self.check()
            now, width = self.now_s(), self.width
            if abs(width - last) > 0.0005:
                last, still_since = width, now
            elif now - still_since > 0.3 and (abs(width - segment.width_m) < 0.002 or segment.width_m < width):
                return
            if now - start > self.p["gripper_timeout_s"]:
                break
        if segment.width_m > self.width + 0.005:
            raise SkillFailed("unavailable", f"{segment.name}: the gripper did not open (at {self.width * 1000:.0f} mm)")


def main(args=None) -> int:
    return run_node(SkillServerNode, args=args)


if __name__ == "__main__":
    sys.exit(main())
