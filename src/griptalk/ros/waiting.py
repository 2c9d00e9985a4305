"""Waiting on rclpy futures: from a plain thread, or in a coroutine callback on a single-threaded executor."""
from __future__ import annotations

import threading
import time

from rclpy.action import ActionClient
from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from rclpy.task import Future


def wait_for(future: Future, timeout_s: float | None):
    """Block a plain thread (never the executor's) until the future completes; its result, or None on timeout."""
    done = threading.Event()
    future.add_done_callback(lambda _: done.set())
    if not done.wait(timeout_s):
        return None
    return future.result()


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
