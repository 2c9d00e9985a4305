"""`griptalk estop` and `griptalk reset`: a person's stop button and reset key for the safety supervisor.

Both speak to the supervisor on the current ROS_DOMAIN_ID, with loopback-only discovery unless the
user widened it. `estop` publishes on safety/estop (again every 0.2 s until the status confirms the
latch: a message sent before discovery completes would be lost) and prints the latched status.
`reset` calls safety/reset and prints the supervisor's answer.
Exit codes: 0 latched or reset; 1 refused, or no supervisor answered in time; 3 bad usage.
"""
from __future__ import annotations

import os
import sys
import time
from typing import Callable

import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.signals import SignalHandlerOptions
from std_msgs.msg import String
from std_srvs.srv import Trigger

from griptalk.cli.episode import local_ros_environment
from griptalk.ros import qos
from griptalk_interfaces.msg import SafetyStatus

REPUBLISH_S = 0.2


class _Session:
    """A short-lived node in its own context."""

    def __init__(self, name: str) -> None:
        local_ros_environment()
        self.context = rclpy.Context()
        rclpy.init(context=self.context, signal_handler_options=SignalHandlerOptions.NO)  # Ctrl-C raises
        self.node = rclpy.create_node(name, context=self.context)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)

    def spin_until(self, done: Callable[[], bool], deadline: float, every: Callable[[], None] | None = None) -> bool:
        """Spin until done() or the deadline; call every() each REPUBLISH_S meanwhile."""
        next_call = time.monotonic()
        while not done():
            now = time.monotonic()
            if now >= deadline:
                return False
            if every is not None and now >= next_call:
                every()
                next_call = now + REPUBLISH_S
            self.executor.spin_once(timeout_sec=min(0.05, deadline - now))
        return True

    def close(self) -> None:
        self.executor.shutdown(timeout_sec=1.0)
        self.node.destroy_node()
        rclpy.try_shutdown(context=self.context)


def _domain() -> str:
    return os.environ.get("ROS_DOMAIN_ID", "0")


def estop(reason: str, timeout_s: float) -> int:
    session = _Session("griptalk_estop")
    try:
        publisher = session.node.create_publisher(String, "safety/estop", 10)
        latched: list[SafetyStatus] = []
        sent = [False]

        def on_status(msg: SafetyStatus) -> None:
            if sent[0] and msg.estop_latched:
                latched.append(msg)

        def press() -> None:
            if publisher.get_subscription_count() > 0:
                publisher.publish(String(data=reason))
                sent[0] = True

        session.node.create_subscription(SafetyStatus, "safety/status", on_status, qos.LATCHED)
        deadline = time.monotonic() + timeout_s
        if not session.spin_until(lambda: bool(latched), deadline, every=press):
            what = ("no latched status came back" if sent[0]
                    else "no safety supervisor is listening on safety/estop")
            print(f"error: e-stop not confirmed within {timeout_s:g} s: {what} (ROS_DOMAIN_ID={_domain()})",
                  file=sys.stderr)
            return 1
        print(f"stopped: {latched[-1].reason}")
        return 0
    finally:
        session.close()


def reset(timeout_s: float) -> int:
    session = _Session("griptalk_reset")
    try:
        client = session.node.create_client(Trigger, "safety/reset")
        deadline = time.monotonic() + timeout_s
        if not session.spin_until(client.service_is_ready, deadline):
            print(f"error: no safety supervisor answered on safety/reset within {timeout_s:g} s "
                  f"(ROS_DOMAIN_ID={_domain()})", file=sys.stderr)
            return 1
        future = client.call_async(Trigger.Request())
        if not session.spin_until(future.done, deadline):
            print(f"error: the safety supervisor did not answer the reset within {timeout_s:g} s", file=sys.stderr)
            return 1
        answer = future.result()
        print(answer.message)
        return 0 if answer.success else 1
    finally:
        session.close()
