"""Planner node: natural-language instruction in, verified plan carried out step by step.

Serves      planner/execute (griptalk_interfaces/ExecuteInstruction): plan, run each step through
            the skill server, confirm its postcondition on fresh perception, retry or stop
            planner/plan (griptalk_interfaces/PlanInstruction): plan only, nothing moves
Subscribes  perception/scene_graph
Uses        skills/execute (griptalk_interfaces/ExecuteSkill)
"""
from __future__ import annotations

import sys
import threading
import time

from rclpy.action import ActionClient, ActionServer, CancelResponse
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.node import Node

from griptalk.planner.planner import Planner
from griptalk.planner.postconditions import check_postcondition
from griptalk.ros import qos
from griptalk.ros.conversions import scene_from_msg, step_to_msg
from griptalk.ros.params import Param, declare_all
from griptalk.ros.runner import run_node
from griptalk.ros.waiting import wait_for
from griptalk.types import SceneGraph
from griptalk_interfaces.action import ExecuteInstruction, ExecuteSkill
from griptalk_interfaces.msg import Plan, SceneGraph as SceneGraphMsg, StepResult
from griptalk_interfaces.srv import PlanInstruction

PARAMS = [
    Param("scene_timeout_s", 15.0, "how long to wait for a scene graph from perception [s]", 0.1, 120.0),
    Param("skill_timeout_s", 120.0, "longest a single skill may take [s]", 1.0, 600.0),
    Param("max_attempts", 3, "attempts per step before the task fails", 1, 10),
    Param("settle_frames", 2, "fresh scene graphs to wait for after a step before checking it", 1, 20),
]


class PlannerNode(Node):
    def __init__(self) -> None:
        super().__init__("planner")
        self.p = declare_all(self, PARAMS)
        self.planner = Planner()
        self.scene_lock = threading.Condition()
        self.scene: SceneGraph | None = None
        self.scene_count = 0
        self.running: dict[bytes, bool] = {}  # goal id -> halted by a "stop" instruction
        group = ReentrantCallbackGroup()
        self.create_subscription(SceneGraphMsg, "perception/scene_graph", self.on_scene, qos.LATCHED,
                                 callback_group=group)
        self.create_service(PlanInstruction, "planner/plan", self.on_plan, callback_group=group)
        self.skills = ActionClient(self, ExecuteSkill, "skills/execute", callback_group=group)
        self.server = ActionServer(self, ExecuteInstruction, "planner/execute", self.execute,
                                   cancel_callback=lambda _: CancelResponse.ACCEPT, callback_group=group)

    # --- perception ----------------------------------------------------------------------------

    def on_scene(self, msg: SceneGraphMsg) -> None:
        with self.scene_lock:
            self.scene = scene_from_msg(msg)
            self.scene_count += 1
            self.scene_lock.notify_all()

    def fresh_scene(self, frames: int) -> SceneGraph | None:
        """Wait until `frames` new scene graphs have arrived (0: the latest is fine)."""
        with self.scene_lock:
            target = self.scene_count + frames if self.scene is not None else max(frames, 1)
            self.scene_lock.wait_for(lambda: self.scene_count >= target, self.p["scene_timeout_s"])
            return self.scene if self.scene_count >= target else None

    # --- planning ------------------------------------------------------------------------------

    def on_plan(self, request, response):
        scene = self.fresh_scene(0)
        if scene is None:
            response.status, response.message = PlanInstruction.Response.STATUS_REFUSED, "no scene from perception"
            return response
        outcome = self.planner.plan(request.instruction, scene)
        response.status, response.message = outcome.status, outcome.message
        response.plan = Plan(steps=[step_to_msg(s) for s in outcome.steps])
        return response

    def execute(self, goal_handle):
        instruction = goal_handle.request.instruction
        result = ExecuteInstruction.Result()
        scene = self.fresh_scene(0)
        if scene is None:
            result.status, result.message = result.STATUS_FAILED, "no scene graph from perception"
            goal_handle.abort()
            return result
        outcome = self.planner.plan(instruction, scene)
        result.plan = Plan(steps=[step_to_msg(s) for s in outcome.steps])
        if outcome.stop:
            halted = [gid for gid in self.running if not self.running[gid]]
            for gid in halted:
                self.running[gid] = True
            result.status = result.STATUS_SUCCEEDED
            result.message = f"stopped {len(halted)} running task(s)" if halted else "nothing was running"
            goal_handle.succeed()
            return result
        if outcome.status != "planned":
            result.status, result.message = outcome.status, outcome.message
            self.get_logger().info(f"'{instruction}': {outcome.status}: {outcome.message}")
            goal_handle.succeed()
            return result
        self.get_logger().info(f"'{instruction}': plan: " + "; ".join(s.describe() for s in outcome.steps))
        self.feedback(goal_handle, 0, outcome.steps[0], "planned", outcome.message)

        key = bytes(goal_handle.goal_id.uuid)
        self.running[key] = False
        try:
            return self.run_plan(goal_handle, instruction, outcome, result)
        finally:
            del self.running[key]

    def halted(self, goal_handle) -> bool:
        """Canceled through the action, or stopped by a "stop" instruction."""
        return goal_handle.is_cancel_requested or self.running.get(bytes(goal_handle.goal_id.uuid), False)

    def run_plan(self, goal_handle, instruction: str, outcome, result):
        i = 0
        attempts = [0] * len(outcome.steps)
        results: list[StepResult | None] = [None] * len(outcome.steps)
        while i < len(outcome.steps):
            step = outcome.steps[i]
            attempts[i] += 1
            self.feedback(goal_handle, i, step, "started" if attempts[i] == 1 else "retrying", step.describe())
            start = time.monotonic()
            before = self.fresh_scene(0)
            ok, message = self.run_skill(goal_handle, step)
            if self.halted(goal_handle):
                result.status, result.message = result.STATUS_CANCELED, f"stopped during '{step.describe()}'"
                result.steps = [r for r in results if r is not None]
                if goal_handle.is_cancel_requested:
                    goal_handle.canceled()
                else:
                    goal_handle.succeed()
                return result
            if ok:
                ok, message = self.confirm(step, before)
            results[i] = StepResult(step=step_to_msg(step), ok=ok, attempts=attempts[i],
                                    seconds=time.monotonic() - start, message=message)
            self.feedback(goal_handle, i, step, "succeeded" if ok else "failed", message)
            if ok:
                i += 1
            elif attempts[i] >= self.p["max_attempts"]:
                result.status = result.STATUS_FAILED
                result.message = f"'{step.describe()}' failed after {attempts[i]} attempts: {message}"
                break
            elif step.skill == "place" and i > 0 and outcome.steps[i - 1].skill == "grasp":
                i -= 1  # the object left the hand: grasp it again, then place it
        else:
            result.status, result.message = result.STATUS_SUCCEEDED, f"done: {instruction}"
        result.steps = [r for r in results if r is not None]
        self.get_logger().info(f"'{instruction}': {result.status}: {result.message}")
        goal_handle.succeed()
        return result

    def confirm(self, step, before: SceneGraph) -> tuple[bool, str]:
        """Check the step's postcondition on fresh perception."""
        after = self.fresh_scene(self.p["settle_frames"])
        if after is None:
            return False, "no fresh scene graph after the step"
        try:
            return check_postcondition(step, before, after)
        except ValueError as e:
            return False, str(e)

    def run_skill(self, goal_handle, step) -> tuple[bool, str]:
        if not self.skills.wait_for_server(timeout_sec=self.p["scene_timeout_s"]):
            return False, "skill server not available"
        sent = wait_for(self.skills.send_goal_async(ExecuteSkill.Goal(step=step_to_msg(step))), 10.0)
        if sent is None or not sent.accepted:
            return False, "skill server rejected the step"
        result_future = sent.get_result_async()
        deadline = time.monotonic() + self.p["skill_timeout_s"]
        while not result_future.done():
            if self.halted(goal_handle):
                wait_for(sent.cancel_goal_async(), 5.0)
                wait_for(result_future, 10.0)
                return False, "canceled"
            if time.monotonic() > deadline:
                wait_for(sent.cancel_goal_async(), 5.0)
                return False, f"timed out after {self.p['skill_timeout_s']:.0f} s"
            time.sleep(0.05)
        res = result_future.result().result
        return res.success, res.message

    @staticmethod
    def feedback(goal_handle, index: int, step, state: str, message: str) -> None:
        goal_handle.publish_feedback(ExecuteInstruction.Feedback(step_index=index, step=step_to_msg(step),
                                                                 state=state, message=message))


def main(args=None) -> int:
    return run_node(PlannerNode, threads=4, args=args)


if __name__ == "__main__":
    sys.exit(main())
