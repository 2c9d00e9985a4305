"""Action requests from a plain thread while another thread spins (ros.waiting.on_executor)."""
from __future__ import annotations

import threading

import pytest
import rclpy
from rclpy.action import ActionClient, ActionServer
from rclpy.executors import SingleThreadedExecutor

from griptalk.ros.waiting import on_executor, wait_for
from griptalk_interfaces.action import ExecuteInstruction

GOALS = 60


@pytest.fixture
def spinning_pair(ros_env):
    """An action server answering at once and a client, each node spun by its own thread."""
    context = rclpy.Context()
    rclpy.init(context=context)
    server_node = rclpy.create_node("echo_server", context=context)
    client_node = rclpy.create_node("echo_client", context=context)

    def echo(handle):
        handle.succeed()
        return ExecuteInstruction.Result(status="succeeded", message=handle.request.instruction)

    ActionServer(server_node, ExecuteInstruction, "echo", echo)
    client = ActionClient(client_node, ExecuteInstruction, "echo")
    executors = []
    for node in (server_node, client_node):
        executor = SingleThreadedExecutor(context=context)
        executor.add_node(node)
        threading.Thread(target=executor.spin, daemon=True).start()
        executors.append(executor)
    assert client.wait_for_server(timeout_sec=20.0)
    yield client, executors[1]
    for executor in executors:
        executor.shutdown(timeout_sec=2.0)
    rclpy.shutdown(context=context)


def test_every_goal_sent_from_a_plain_thread_is_answered(spinning_pair):
    client, executor = spinning_pair
    for k in range(GOALS):
        goal = ExecuteInstruction.Goal(instruction=f"goal {k}")
        handle = wait_for(on_executor(executor, lambda: client.send_goal_async(goal)), 10.0)
        assert handle is not None and handle.accepted, f"goal {k} got no answer"
        answer = wait_for(on_executor(executor, handle.get_result_async), 10.0)
        assert answer is not None and answer.result.message == f"goal {k}"


def test_a_request_that_raises_reaches_the_waiting_thread(spinning_pair):
    _, executor = spinning_pair

    def broken():
        raise RuntimeError("no such goal")

    outcome = on_executor(executor, broken)
    assert wait_for_done(outcome)
    with pytest.raises(RuntimeError, match="no such goal"):
        outcome.result()


def wait_for_done(future, timeout_s: float = 10.0) -> bool:
    done = threading.Event()
    future.add_done_callback(lambda _: done.set())
    return done.wait(timeout_s)
