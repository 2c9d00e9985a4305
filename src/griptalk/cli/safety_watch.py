"""What the safety side saw during a run: the supervisor's stops and wrist forces over its limit.

Attached to the CLI's node like the recorder. Forces come from the wrist sensor (the simulator's
measured wrench), not from the supervisor's status, so a supervisor that missed one would not hide it.
"""
from __future__ import annotations

import math

from geometry_msgs.msg import WrenchStamped
from rclpy.node import Node

from griptalk.paths import share_dir
from griptalk.records.plot import PlotLimits
from griptalk.ros import qos
from griptalk_interfaces.msg import SafetyStatus


class SafetyWatch:
    def __init__(self, force_limit_n: float) -> None:
        if not force_limit_n > 0.0:
            raise ValueError(f"force_limit_n must be positive, got {force_limit_n}")
        self.force_limit_n = force_limit_n
        self.stops: list[str] = []  # the reason of each transition into a stop
        self.force_over_limit_events = 0  # excursions of the wrist force above the limit
        self.force_peak_n = 0.0
        self._stopped = False
        self._over = False

    @classmethod
    def from_supervisor_config(cls) -> "SafetyWatch":
        """With the force limit the shipped supervisor runs with."""
        limits = PlotLimits.from_supervisor_yaml(share_dir() / "config" / "safety_supervisor.yaml")
        return cls(limits.force_limit_n)

    def attach(self, node: Node) -> None:
        node.create_subscription(SafetyStatus, "safety/status", self.on_status, qos.LATCHED)
        node.create_subscription(WrenchStamped, "wrist/wrench", self.on_wrench, qos.STATE)

    def on_status(self, msg: SafetyStatus) -> None:
        stopped = msg.state == SafetyStatus.STATE_STOPPED
        if stopped and not self._stopped:
            self.stops.append(msg.reason)
        self._stopped = stopped

    def on_wrench(self, msg: WrenchStamped) -> None:
        f = msg.wrench.force
        force = math.sqrt(f.x * f.x + f.y * f.y + f.z * f.z)
        self.force_peak_n = max(self.force_peak_n, force)
        over = force > self.force_limit_n
        if over and not self._over:
            self.force_over_limit_events += 1
        self._over = over
