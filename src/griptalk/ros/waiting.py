"""Waiting on rclpy futures: from a plain thread, or in a coroutine callback on a single-threaded executor."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

from rclpy.action import ActionClient
from rclpy.clock import Clock, ClockType
from rclpy.executors import Executor
from rclpy.node import Node
from rclpy.task import Future


def wait_for(future: Future, timeout_s: float | None):
    """Block a plain thread (never the executor's) until the future completes; its result, or None on timeout."""
    done = threading.Event()
    future.add_done_callback(lambda _: done.set())
    if not done.wait(timeout_s):
        return None
    return future.result()


def on_executor(executor: Executor, request: Callable[[], Future]) -> Future:
    """The outcome of `request()` (an ActionClient's send_goal_async, get_result_async or cancel_goal_async),
    made on the executor's thread, for a plain thread to wait on.

    rclpy's ActionClient files a request's future only after sending it: a response that the spinning thread
    takes in between is dropped as "unexpected" and the future never completes (ros2/rclpy#1123, fixed after
    the rclpy these wheels ship). Sent from the executor's own thread, nothing can come between.
    """
    outcome = Future()

    def send() -> None:
        try:
            request().add_done_callback(lambda f: outcome.set_result(f.result()))
        except Exception as e:  # noqa: BLE001 - handed to the waiting thread
            outcome.set_exception(e)

    executor.create_task(send)
    return outcome


async def within(node: Node, future: Future, timeout_s: float):
    """Await the future for at most timeout_s (steady clock); its result, or None on timeout.

    For coroutine callbacks on the node's executor: the executor keeps spinning meanwhile.
    """
    outcome = Future()

    def settle(value) -> None:
        if not outcome.done():
            outcome.set_result(value)

    future.add_done_callback(lambda f: settle(f.result()))
    # Steady clock: a timeout must pass even while simulated time stands still.
    timer = node.create_timer(timeout_s, lambda: settle(None), clock=Clock(clock_type=ClockType.STEADY_TIME))
    try:
        return await outcome
    finally:
        node.destroy_timer(timer)


async def server_ready(node: Node, client: ActionClient, timeout_s: float, poll_s: float = 0.1) -> bool:
    """Await an action server's discovery for at most timeout_s, without blocking the executor."""
    deadline = time.monotonic() + timeout_s
    while not client.server_is_ready():
        if time.monotonic() >= deadline:
            return False
        await within(node, Future(), poll_s)  # a future nobody completes: a sleep
    return True
