"""A node that watches what reaches the robot and injects faults: for fault tests and the safety benchmark.

It records, with their arrival and send times on the steady clock, every message on the robot's command
topics, the supervisor's status, the joint states, the wrist force and the controller's heartbeat;
and it publishes what a fault or a person would: an e-stop, a wrench reading, stray controller and
gripper commands, and trajectories for the controller. It runs in its own rclpy context and
thread, so it can live in a pytest or benchmark process beside other ROS code.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass

import numpy as np
import rclpy
from geometry_msgs.msg import WrenchStamped
from rclpy.action import ActionClient
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64MultiArray, String
from std_srvs.srv import SetBool, Trigger

from griptalk.robot import PANDA_JOINTS
from griptalk.ros import qos
from griptalk.ros.waiting import wait_for
from griptalk_interfaces.action import FollowTrajectory
from griptalk_interfaces.msg import GripperCommand, SafetyStatus

# Keep every message: a reader that drops one could miss a command forwarded after a stop.
_RECORD = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE, history=HistoryPolicy.KEEP_LAST)
_HISTORY = 20000  # samples kept per recorded topic (minutes at 100 Hz)


@dataclass(frozen=True)
class Sample:
    t: float  # arrival time [s, time.monotonic]
    value: object  # the message's numbers as a tuple, or the message itself (safety/status)
    sent: float  # when its publisher sent it [s, time.monotonic]: a sample queued in the probe is old though new here


class SafetyProbe:
    def __init__(self, name: str = "safety_probe") -> None:
        self.context = rclpy.Context()
        rclpy.init(context=self.context)
        self.node = rclpy.create_node(name, context=self.context)
        self.lock = threading.Lock()
        self.arm_commands: deque[Sample] = deque(maxlen=_HISTORY)  # 7 joint positions
        self.gripper_commands: deque[Sample] = deque(maxlen=_HISTORY)  # width, force
        self.joints: deque[Sample] = deque(maxlen=_HISTORY)  # 7 positions then 7 velocities
        self.forces: deque[Sample] = deque(maxlen=_HISTORY)  # (|force|,)
        self.controller_commands: deque[Sample] = deque(maxlen=_HISTORY)  # () : only the arrival counts
        self.statuses: deque[Sample] = deque(maxlen=_HISTORY)  # SafetyStatus messages
        n = self.node
        self._record(Float64MultiArray, "arm_controller/commands", self.arm_commands, lambda m: tuple(m.data))
        self._record(Float64MultiArray, "gripper_controller/commands", self.gripper_commands, lambda m: tuple(m.data))
        self._record(JointState, "joint_states", self.joints, self._joint_values)
        self._record(WrenchStamped, "wrist/wrench", self.forces, self._force)
        self._record(JointState, "controller/command", self.controller_commands, lambda _m: ())
        self._record(SafetyStatus, "safety/status", self.statuses, lambda m: m, qos.LATCHED)
        self.estop_pub = n.create_publisher(String, "safety/estop", 10)
        self.wrench_pub = n.create_publisher(WrenchStamped, "wrist/wrench", qos.STATE)
        self.command_pub = n.create_publisher(JointState, "controller/command", qos.COMMAND)
        self.gripper_pub = n.create_publisher(GripperCommand, "gripper/command", qos.COMMAND)
        self.reset_client = n.create_client(Trigger, "safety/reset")
        self.enable_client = n.create_client(SetBool, "controller/enable")
        self.follow_client = ActionClient(n, FollowTrajectory, "controller/follow_trajectory")
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(n)
        self._spinner = threading.Thread(target=self.executor.spin, name=f"{name}-spin", daemon=True)
        self._spinner.start()

    # ---- recording ----------------------------------------------------------------------

    def _record(self, kind, topic: str, store: deque, values, profile=_RECORD) -> None:
        """Keep `values(msg)` of every message on `topic` in `store` (None: not one to keep)."""
        def on_message(msg, info) -> None:
            t = time.monotonic()
            value = values(msg)
            if value is None:
                return
            sent = t - (time.time_ns() - info["source_timestamp"]) * 1e-9  # the system clock's stamp, made steady
            with self.lock:
                store.append(Sample(t, value, sent))

        self.node.create_subscription(kind, topic, on_message, profile)

    @staticmethod
    def _joint_values(msg: JointState) -> tuple | None:
        names = list(msg.name)
        try:
            idx = [names.index(j) for j in PANDA_JOINTS]
            return tuple([msg.position[i] for i in idx] + [msg.velocity[i] for i in idx])
        except (ValueError, IndexError):
            return None  # not the arm's state: nothing the supervisor would use either

    @staticmethod
    def _force(msg: WrenchStamped) -> tuple:
        f = msg.wrench.force
        return (float(np.linalg.norm([f.x, f.y, f.z])),)

    def since(self, store: deque, t: float) -> list[Sample]:
        """The samples of `store` that arrived at or after t, oldest first."""
        newer = []
        with self.lock:
            for sample in reversed(store):  # from the newest: the stores hold minutes of samples
                if sample.t < t:
                    break
                newer.append(sample)
        return newer[::-1]

    def last(self, store: deque, n: int) -> list[Sample]:
        """The newest n samples of `store` (fewer if it has fewer), oldest first."""
        with self.lock:
            return [store[-i] for i in range(min(n, len(store)), 0, -1)]

    def latest(self, store: deque) -> Sample | None:
        with self.lock:
            return store[-1] if store else None

    @property
    def status(self) -> SafetyStatus | None:
        latest = self.latest(self.statuses)
        return None if latest is None else latest.value

    @property
    def q(self) -> np.ndarray | None:
        """The latest measured arm joint positions [rad]."""
        sample = self.latest(self.joints)
        return None if sample is None else np.array(sample.value[:len(PANDA_JOINTS)])

    # ---- injecting ------------------------------------------------------------------------

    def estop(self, reason: str) -> float:
        """Press the e-stop; the steady-clock time just before it went out."""
        t = time.monotonic()
        self.estop_pub.publish(String(data=reason))
        return t

    def wrench(self, force_xyz) -> float:
        msg = WrenchStamped()
        msg.header.stamp = self.node.get_clock().now().to_msg()
        msg.wrench.force.x, msg.wrench.force.y, msg.wrench.force.z = (float(v) for v in force_xyz)
        t = time.monotonic()
        self.wrench_pub.publish(msg)
        return t

    def controller_command(self, names, positions) -> None:
        self.command_pub.publish(JointState(name=list(names), position=[float(v) for v in positions]))

    def gripper_command(self, width_m: float, force_n: float) -> None:
        self.gripper_pub.publish(GripperCommand(width_m=float(width_m), max_force_n=float(force_n)))

    def reset(self, timeout_s: float) -> tuple[bool, str] | None:
        """Call safety/reset: (success, message), or None if nothing answered in time."""
        if not self.reset_client.wait_for_service(timeout_sec=timeout_s):
            return None
        response = wait_for(self.reset_client.call_async(Trigger.Request()), timeout_s)
        return None if response is None else (response.success, response.message)

    def enable_controller(self, enable: bool, timeout_s: float) -> tuple[bool, str] | None:
        """Call controller/enable: (success, message), or None if nothing answered in time."""
        if not self.enable_client.wait_for_service(timeout_sec=timeout_s):
            return None
        response = wait_for(self.enable_client.call_async(SetBool.Request(data=enable)), timeout_s)
        return None if response is None else (response.success, response.message)

    def close(self) -> None:
        self.executor.shutdown(timeout_sec=2.0)
        self.node.destroy_node()
        rclpy.try_shutdown(context=self.context)

    def __enter__(self) -> SafetyProbe:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
