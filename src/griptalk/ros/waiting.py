"""Block a worker thread on an rclpy future (the executor completes it on another thread)."""
from __future__ import annotations

import threading

from rclpy.task import Future


def wait_for(future: Future, timeout_s: float | None):
    """The future's result, or None if it did not complete within timeout_s."""
    done = threading.Event()
    future.add_done_callback(lambda _: done.set())
    if not done.wait(timeout_s):
        return None
    return future.result()
