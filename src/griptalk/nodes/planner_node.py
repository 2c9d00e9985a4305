"""Planner node: natural-language instruction in, verified plan carried out step by step.

Serves      planner/execute (griptalk_interfaces/ExecuteInstruction): plan, then for each step check its
            preconditions on fresh perception, run it through the skill server, confirm its
            postcondition on fresh perception; retry or replan the rest from the new scene
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

from griptalk.planner.execution import replan, verify_step
from griptalk.planner.language import GrammarParser
from griptalk.planner.planner import Planner
from griptalk.planner.postconditions import check_postcondition
from griptalk.planner.schemas import PreconditionError
from griptalk.ros import qos
from griptalk.ros.conversions import scene_from_msg, step_from_msg, step_to_msg
from griptalk.ros.params import Param, ParameterError, declare_all
from griptalk.ros.runner import run_node
from griptalk.ros.waiting import wait_for
from griptalk.types import SceneGraph, SceneObject
from griptalk_interfaces.action import ExecuteInstruction, ExecuteSkill
from griptalk_interfaces.msg import Plan, SceneGraph as SceneGraphMsg, StepResult
from griptalk_interfaces.srv import PlanInstruction

PARAMS = [
    Param("scene_timeout_s", 15.0, "how long to wait for a scene graph from perception [s]", 0.1, 120.0),
    Param("skill_timeout_s", 120.0, "longest a single skill may take [s]", 1.0, 600.0),
    Param("max_attempts", 3, "attempts per step before the task fails", 1, 10),
    Param("max_replans", 4, "times a task may be replanned from fresh perception before it fails", 0, 20),
    Param("parser", "model", "how instructions are read: 'model' (the trained language model) or 'grammar'"),
    Param("settle_frames", 2, "fresh scene graphs to wait for after a step before checking it", 1, 20),
]


class PlannerNode(Node):
    def __init__(self) -> None:
        super().__init__("planner")
        self.p = declare_all(self, PARAMS)
        self.planner = Planner(self.make_parser(self.p["parser"]))
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

    @staticmethod
    def make_parser(kind: str):
        if kind == "grammar":
            return GrammarParser()
        if kind == "model":
            import torch

            from griptalk.planner.model_parser import ModelParser  # loads the language model once, here

            torch.set_num_threads(1)  # one thread per node: the cores are shared
            return ModelParser()
        raise ParameterError(f"parameter 'parser' = {kind!r}: use 'model' or 'grammar'")

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
        """Run the steps in order. Before each, its preconditions are checked on fresh perception; after
        each, its postcondition. A failed check replans what is left from the scene as it is now,
        within `max_replans`; a step is tried at most `max_attempts` times."""
        steps = list(outcome.steps)
        done: list[StepResult] = []
        attempts: dict[str, int] = {}
        held: SceneObject | None = None
        replans = 0
        i = 0
        while i < len(steps):
            step = steps[i]
            scene = self.fresh_scene(0)
            problem = "no scene graph from perception" if scene is None else \
                verify_step(step, scene, held, self.planner.config)
            if not problem:
                key = step.describe()
                attempts[key] = attempts.get(key, 0) + 1
                self.feedback(goal_handle, i, step, "started" if attempts[key] == 1 else "retrying", key)
                start = time.monotonic()
                ok, message = self.run_skill(goal_handle, step)
                if self.halted(goal_handle):
                    return self.finish_halted(goal_handle, result, step, done, steps[i:])
                if ok:
                    ok, message = self.confirm(step, scene)
                done.append(StepResult(step=step_to_msg(step), ok=ok, attempts=attempts[key],
                                       seconds=time.monotonic() - start, message=message))
                self.feedback(goal_handle, i, step, "succeeded" if ok else "failed", message)
                if ok:
                    held = self.held_after(step, scene, held)
                    i += 1
                    continue
                held = None if step.skill in ("grasp", "place") else held  # not sure what the hand has now
                if attempts[key] >= self.p["max_attempts"]:
                    problem = f"'{key}' failed after {attempts[key]} attempts: {message}"
                    return self.finish_failed(goal_handle, result, problem, done, steps[i:])
                problem = message
            # Something is not as planned: replan the rest from what perception sees now.
            replans += 1
            fresh = self.fresh_scene(self.p["settle_frames"])
            if replans > self.p["max_replans"] or fresh is None:
                return self.finish_failed(goal_handle, result, problem, done, steps[i:])
            try:
                rest = replan(steps[i:], fresh, held, self.planner.config)
            except PreconditionError as err:
                return self.finish_failed(goal_handle, result, f"{problem}; I can't replan: {err}", done, steps[i:])
            steps = steps[:i] + rest
            result.plan = Plan(steps=[step_to_msg(s) for s in steps])
            if i < len(steps):
                self.feedback(goal_handle, i, steps[i], "replanned",
                              f"{problem}; new plan: " + "; ".join(s.describe() for s in rest))
        result.status = result.STATUS_SUCCEEDED
        result.message = f"done: {instruction}" + (f" (replanned {replans} time(s))" if replans else "")
        result.steps = done
        self.get_logger().info(f"'{instruction}': {result.status}: {result.message}")
        goal_handle.succeed()
        return result

    @staticmethod
    def held_after(step, before: SceneGraph, held: SceneObject | None) -> SceneObject | None:
        """What the gripper holds after `step` succeeded: the grasped object as last seen, nothing after a place."""
        if step.skill == "grasp":
            return before.get(step.object.id)
        return None if step.skill == "place" else held

    def finish_failed(self, goal_handle, result, problem: str, done: list, left: list):
        result.status = result.STATUS_FAILED
        result.message = f"{problem}. {self.summary(done, left)}"
        result.steps = done
        self.get_logger().info(f"'{goal_handle.request.instruction}': failed: {result.message}")
        goal_handle.succeed()
        return result

    def finish_halted(self, goal_handle, result, step, done: list, left: list):
        result.status = result.STATUS_CANCELED
        result.message = f"stopped during '{step.describe()}'. {self.summary(done, left)}"
        result.steps = done
        if goal_handle.is_cancel_requested:
            goal_handle.canceled()
        else:
            goal_handle.succeed()
        return result

    @staticmethod
    def summary(done: list, left: list) -> str:
        """What was done and what was not, for the result's message."""
        finished = [step_from_msg(r.step).describe() for r in done if r.ok]
        return (f"Done: {'; '.join(finished) or 'nothing'}. "
                f"Not done: {'; '.join(s.describe() for s in left) or 'nothing'}.")

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
