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
import time

from rclpy.action import ActionClient, ActionServer, CancelResponse
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.node import Node
from rclpy.task import Future

from griptalk.planner.execution import replan, verify_step
from griptalk.planner.language import GrammarParser
from griptalk.planner.planner import Planner
from griptalk.planner.postconditions import check_postcondition
from griptalk.planner.schemas import PreconditionError
from griptalk.ros import qos
from griptalk.ros.conversions import scene_from_msg, step_from_msg, step_to_msg
from griptalk.ros.params import Param, ParameterError, declare_all
from griptalk.ros.runner import run_node
from griptalk.ros.waiting import server_ready, within
from griptalk.types import PlanStep, SceneGraph, SceneObject
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
        self.scene: SceneGraph | None = None
        self.scene_count = 0
        self.scene_arrived = Future()  # completed (and replaced) by every scene graph
        self.running: dict[bytes, bool] = {}  # goal id -> halted by a "stop" instruction
        self.skill_goals = {}  # goal id -> the skill goal it is running
        # One thread: the callbacks below are coroutines that await futures instead of blocking. They share
        # a reentrant group: in the default (mutually exclusive) one, a plan request awaiting a scene graph
        # would keep the scene callback, which completes that wait, from ever running.
        group = ReentrantCallbackGroup()
        self.create_subscription(SceneGraphMsg, "perception/scene_graph", self.on_scene, qos.LATCHED,
                                 callback_group=group)
        self.create_service(PlanInstruction, "planner/plan", self.on_plan, callback_group=group)
        self.skills = ActionClient(self, ExecuteSkill, "skills/execute", callback_group=group)
        self.server = ActionServer(self, ExecuteInstruction, "planner/execute", self.execute, callback_group=group,
                                   cancel_callback=self.on_cancel)

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
        self.scene = scene_from_msg(msg)
        self.scene_count += 1
        arrived, self.scene_arrived = self.scene_arrived, Future()
        arrived.set_result(None)

    async def fresh_scene(self, frames: int) -> SceneGraph | None:
        """Wait until `frames` new scene graphs have arrived (0: the latest is fine)."""
        target = self.scene_count + frames if self.scene is not None else max(frames, 1)
        deadline = time.monotonic() + self.p["scene_timeout_s"]
        while self.scene_count < target:
            left = deadline - time.monotonic()
            if left <= 0.0:
                return None
            await within(self, self.scene_arrived, left)
        return self.scene

    # --- planning ------------------------------------------------------------------------------

    async def on_plan(self, request, response):
        scene = await self.fresh_scene(0)
        if scene is None:
            response.status, response.message = PlanInstruction.Response.STATUS_REFUSED, "no scene from perception"
            return response
        outcome = self.planner.plan(request.instruction, scene)
        response.status, response.message = outcome.status, outcome.message
        response.plan = Plan(steps=[step_to_msg(s) for s in outcome.steps])
        return response

    async def execute(self, goal_handle):
        instruction = goal_handle.request.instruction
        result = ExecuteInstruction.Result()
        scene = await self.fresh_scene(0)
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
                self.cancel_skill(gid)
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
            return await self.run_plan(goal_handle, instruction, outcome, result)
        finally:
            del self.running[key]

    def on_cancel(self, goal_handle) -> CancelResponse:
        self.cancel_skill(bytes(goal_handle.goal_id.uuid))
        return CancelResponse.ACCEPT

    def cancel_skill(self, key: bytes) -> None:
        """Cancel the task's running skill, if any: run_skill then returns and the task ends halted."""
        skill = self.skill_goals.get(key)
        if skill is not None:
            skill.cancel_goal_async()

    def halted(self, goal_handle) -> bool:
        """Canceled through the action, or stopped by a "stop" instruction."""
        return goal_handle.is_cancel_requested or self.running.get(bytes(goal_handle.goal_id.uuid), False)

    async def run_plan(self, goal_handle, instruction: str, outcome, result):
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
            scene = await self.fresh_scene(0)
            problem = "no scene graph from perception" if scene is None else \
                verify_step(step, scene, held, self.planner.config)
            if not problem:
                key = step.describe()
                attempts[key] = attempts.get(key, 0) + 1
                self.feedback(goal_handle, i, step, "started" if attempts[key] == 1 else "retrying", key)
                start = time.monotonic()
                ok, message = await self.run_skill(goal_handle, step)
                if ok and not self.halted(goal_handle):
                    ok, message = await self.confirm(goal_handle, step, scene)  # may move home to look
                if self.halted(goal_handle):
                    return self.finish_halted(goal_handle, result, step, done, steps[i:])
                done.append(StepResult(step=step_to_msg(step), ok=ok, attempts=attempts[key],
                                       seconds=time.monotonic() - start, message=message))
                self.feedback(goal_handle, i, step, "succeeded" if ok else "failed", message)
                if ok:
                    held = self.held_after(step, scene, held)
                    i += 1
                    continue
                if step.skill == "grasp" or (step.skill == "place" and not self.unseen(self.scene, step.object.id)):
                    held = None  # the hand may have let go: trust what perception shows
                # else a failed place whose object perception does not see: most likely still in the hand, which
                # hides it; the place skill checks the fingers before it moves, so a wrong guess fails safely.
                if attempts[key] >= self.p["max_attempts"]:
                    problem = f"'{key}' failed after {attempts[key]} attempts: {message}"
                    return self.finish_failed(goal_handle, result, problem, done, steps[i:])
                problem = message
            # Something is not as planned: replan the rest from what perception sees now.
            replans += 1
            fresh = await self.fresh_scene(self.p["settle_frames"])
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

    async def confirm(self, goal_handle, step, before: SceneGraph) -> tuple[bool, str]:
        """Check the step's postcondition on fresh perception. The arm above a place target can hide
        what it just put down from the scene camera: then it looks again from home, out of the view."""
        ok, message = await self.check(step, before)
        if not ok and step.skill == "place" and self.scene is not None and self.unseen(self.scene, step.object.id):
            moved, why = await self.run_skill(goal_handle, PlanStep("home"))
            if not moved:
                return False, f"{message}; going home to look again failed: {why}"
            ok, message = await self.check(step, before, arm_clear=True)
        return ok, message

    async def check(self, step, before: SceneGraph, arm_clear: bool = False) -> tuple[bool, str]:
        after = await self.fresh_scene(self.p["settle_frames"])
        if after is None:
            return False, "no fresh scene graph after the step"
        try:
            return check_postcondition(step, before, after, arm_clear=arm_clear)
        except ValueError as e:
            return False, str(e)

    @staticmethod
    def unseen(scene: SceneGraph, object_id: str) -> bool:
        obj = scene.get(object_id)
        return obj is None or obj.stale

    async def run_skill(self, goal_handle, step) -> tuple[bool, str]:
        """Run the step on the skill server; a halt (on_cancel, a "stop") cancels it there."""
        if not await server_ready(self, self.skills, self.p["scene_timeout_s"]):
            return False, "skill server not available"
        sent = await within(self, self.skills.send_goal_async(ExecuteSkill.Goal(step=step_to_msg(step))), 10.0)
        if sent is None or not sent.accepted:
            return False, "skill server rejected the step"
        key = bytes(goal_handle.goal_id.uuid)
        self.skill_goals[key] = sent
        try:
            if self.halted(goal_handle):  # halted while the goal was on its way
                sent.cancel_goal_async()
            answer = await within(self, sent.get_result_async(), self.p["skill_timeout_s"])
        finally:
            del self.skill_goals[key]
        if answer is None:
            sent.cancel_goal_async()
            return False, f"timed out after {self.p['skill_timeout_s']:.0f} s"
        if self.halted(goal_handle):
            return False, "canceled"
        return answer.result.success, answer.result.message

    @staticmethod
    def feedback(goal_handle, index: int, step, state: str, message: str) -> None:
        goal_handle.publish_feedback(ExecuteInstruction.Feedback(step_index=index, step=step_to_msg(step),
                                                                 state=state, message=message))


def main(args=None) -> int:
    return run_node(PlannerNode, args=args)


if __name__ == "__main__":
    sys.exit(main())
