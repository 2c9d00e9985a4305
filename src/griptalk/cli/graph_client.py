"""The CLI's own ROS node: talks to the planner and reads the simulator's ground truth."""
from __future__ import annotations

import threading
import time
from typing import Callable, TextIO

import rclpy
from rclpy.action import ActionClient
from rclpy.executors import SingleThreadedExecutor
from rclpy.signals import SignalHandlerOptions

from griptalk.cli.report import Report
from griptalk.launcher import Launcher
from griptalk.ros import qos
from griptalk.ros.waiting import on_executor
from griptalk_interfaces.action import ExecuteInstruction
from griptalk_interfaces.msg import SceneGraph
from griptalk_interfaces.srv import GetWorldState, PlanInstruction


class GraphError(RuntimeError):
    """The graph did not answer: a node died or a deadline passed."""


class GraphClient:
    def __init__(self, launcher: Launcher, recorder=None, watch=None) -> None:
        self.launcher = launcher
        self.recorder = recorder  # a griptalk.records.recorder.RunRecorder when the run is recorded
        self.watch = watch  # a griptalk.cli.safety_watch.SafetyWatch when safety events are counted

    def __enter__(self) -> "GraphClient":
        self.context = rclpy.Context()
        rclpy.init(context=self.context, signal_handler_options=SignalHandlerOptions.NO)  # Ctrl-C raises
        self.node = rclpy.create_node("griptalk_cli", context=self.context)
        for observer in (self.recorder, self.watch):
            if observer is not None:
                observer.attach(self.node)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        self.spinner = threading.Thread(target=self.executor.spin, daemon=True)
        self.spinner.start()
        self.scenes = 0
        self.node.create_subscription(SceneGraph, "perception/scene_graph", self.on_scene, qos.LATCHED)
        self.execute_client = ActionClient(self.node, ExecuteInstruction, "planner/execute")
        self.plan_client = self.node.create_client(PlanInstruction, "planner/plan")
        self.world_client = self.node.create_client(GetWorldState, "sim/get_world_state")
        return self

    def __exit__(self, *exc) -> None:
        self.executor.shutdown(timeout_sec=2.0)
        self.node.destroy_node()
        rclpy.try_shutdown(context=self.context)

    def on_scene(self, _msg) -> None:
        self.scenes += 1

    def wait_ready(self, deadline: float) -> None:
        """Until perception has published a scene graph and the planner serves its action."""
        self.wait(lambda: self.scenes > 0, deadline, "perception's first scene graph")
        self.wait(self.execute_client.server_is_ready, deadline, "the planner's action server")

    def wait(self, done: Callable[[], bool], deadline: float, what: str) -> None:
        """Wait until done(); fail at once if a node of the graph exits."""
        while not done():
            for name, code in self.launcher.poll().items():
                if code is not None:
                    raise GraphError(f"node '{name}' exited with code {code} while waiting for {what}")
            if time.monotonic() > deadline:
                raise GraphError(f"timed out waiting for {what}")
            time.sleep(0.05)

    def call(self, client, request, deadline: float, what: str):
        self.wait(client.service_is_ready, deadline, what)
        future = client.call_async(request)
        self.wait(future.done, deadline, what)
        return future.result()

    def plan(self, instruction: str, report: Report, deadline: float) -> None:
        response = self.call(self.plan_client, PlanInstruction.Request(instruction=instruction), deadline,
                             "the planner's plan service")
        report.set_plan_response(response)

    def execute(self, instruction: str, report: Report, deadline: float, progress: TextIO) -> None:
        self.wait(self.execute_client.server_is_ready, deadline, "the planner's action server")

        def on_feedback(msg) -> None:
            line = report.on_feedback(msg.feedback)
            if self.recorder is not None:
                self.recorder.on_feedback(msg.feedback)
            print(line, file=progress, flush=True)

        goal = ExecuteInstruction.Goal(instruction=instruction)
        sent = on_executor(self.executor,
                           lambda: self.execute_client.send_goal_async(goal, feedback_callback=on_feedback))
        self.wait(sent.done, deadline, "the planner to accept the instruction")
        handle = sent.result()
        if not handle.accepted:
            raise GraphError("the planner rejected the instruction")
        result = on_executor(self.executor, handle.get_result_async)
        try:
            self.wait(result.done, deadline, "the task to finish")
        except GraphError:
            on_executor(self.executor, handle.cancel_goal_async)
            raise
        report.set_result(result.result().result)
        if self.recorder is not None:
            self.recorder.on_result(result.result().result)

    def world_state(self, deadline: float):
        return self.call(self.world_client, GetWorldState.Request(), deadline, "the simulator's ground truth")
