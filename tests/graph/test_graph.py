"""The whole graph as separate processes on a private domain: data flows and the safety path works."""
from __future__ import annotations

import threading
import time

import pytest
import rclpy
from rclpy.executors import SingleThreadedExecutor
from sensor_msgs.msg import Image, JointState
from std_msgs.msg import Float64MultiArray, String
from std_srvs.srv import Trigger

from griptalk.launcher import LaunchDescription, Launcher
from griptalk.paths import share_dir
from griptalk.ros import qos
from griptalk_interfaces.msg import SafetyStatus, SceneGraph

pytestmark = pytest.mark.graph

TOPICS = {
    "joint_states": (JointState, qos.STATE),
    "camera/color/image_raw": (Image, qos.SENSOR),
    "camera/depth/image_raw": (Image, qos.SENSOR),
    "perception/scene_graph": (SceneGraph, qos.LATCHED),
    "safety/status": (SafetyStatus, qos.LATCHED),
    "controller/command": (JointState, qos.COMMAND),
    "arm_controller/commands": (Float64MultiArray, qos.COMMAND),
}


class Probe:
    """A test node that keeps the latest message of each topic."""

    def __init__(self) -> None:
        self.context = rclpy.Context()
        rclpy.init(context=self.context)
        self.node = rclpy.create_node("graph_probe", context=self.context)
        self.latest: dict[str, object] = {}
        self.counts = {topic: 0 for topic in TOPICS}
        for topic, (kind, profile) in TOPICS.items():
            self.node.create_subscription(kind, topic, lambda msg, t=topic: self.record(t, msg), profile)
        self.estop = self.node.create_publisher(String, "safety/estop", 10)
        self.reset = self.node.create_client(Trigger, "safety/reset")
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        threading.Thread(target=self.executor.spin, daemon=True).start()

    def record(self, topic: str, msg) -> None:
        self.latest[topic] = msg
        self.counts[topic] += 1

    def wait(self, predicate, timeout: float, what: str, launcher: Launcher) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            dead = {n: c for n, c in launcher.poll().items() if c is not None}
            assert not dead, f"nodes exited while waiting for {what}: {dead}"
            assert time.monotonic() < deadline, f"timed out waiting for {what}; counts: {self.counts}"
            time.sleep(0.05)

    def close(self) -> None:
        self.executor.shutdown(timeout_sec=2.0)
        self.node.destroy_node()
        rclpy.try_shutdown(context=self.context)


@pytest.fixture
def graph(ros_env, tmp_path):
    description = LaunchDescription.load(share_dir() / "launch" / "sim.launch.yaml", {"scene": "tabletop"})
    with Launcher(description, log_dir=tmp_path / "logs") as launcher:
        probe = Probe()
        try:
            yield launcher, probe
        finally:
            probe.close()


def test_topics_flow_and_estop_latches_until_reset(graph):
    launcher, probe = graph
    probe.wait(lambda: all(probe.counts[t] >= 2 for t in TOPICS), 90.0, "every topic", launcher)

    rgb = probe.latest["camera/color/image_raw"]
    assert (rgb.width, rgb.height, rgb.encoding) == (640, 480, "rgb8")
    scene = probe.latest["perception/scene_graph"]
    seen = {(o.color, o.object_class) for o in scene.objects}
    assert {("red", "cube"), ("green", "bowl")} <= seen, seen
    assert probe.latest["safety/status"].state == SafetyStatus.STATE_OK

    # An e-stop latches: the status says so and keeps saying so.
    probe.estop.publish(String(data="test operator"))
    probe.wait(lambda: probe.latest["safety/status"].estop_latched, 10.0, "the e-stop to latch", launcher)
    status = probe.latest["safety/status"]
    assert status.state == SafetyStatus.STATE_STOPPED and "test operator" in status.reason
    time.sleep(1.0)
    assert probe.latest["safety/status"].estop_latched

    # Only an explicit reset clears it (the cause, a one-off message, is gone).
    assert probe.reset.wait_for_service(timeout_sec=10.0)
    future = probe.reset.call_async(Trigger.Request())
    probe.wait(future.done, 10.0, "the reset", launcher)
    assert future.result().success, future.result().message
    probe.wait(lambda: not probe.latest["safety/status"].estop_latched, 10.0, "the latch to clear", launcher)
