"""The ROS side of `griptalk run --record DIR`: subscriptions on the CLI's node feeding a RunRecord.

Bag topics are taken raw (CDR bytes as they arrived, no re-serializing); only the few messages the
plot, the video and the safety log need are deserialized.
"""
from __future__ import annotations

import time
from pathlib import Path

from action_msgs.msg import GoalStatusArray
from geometry_msgs.msg import WrenchStamped
from rclpy.node import Node
from rclpy.qos import QoSProfile, qos_profile_action_status_default
from rclpy.serialization import deserialize_message
from sensor_msgs.msg import CameraInfo, Image, JointState
from std_msgs.msg import Float64MultiArray
from visualization_msgs.msg import MarkerArray

from griptalk.paths import share_dir
from griptalk.records.bag import BagTopic
from griptalk.records.plot import PlotLimits
from griptalk.records.run_record import RunRecord, check_directory
from griptalk.records.typestore import griptalk_typestore
from griptalk.ros import qos
from griptalk.ros.conversions import image_from_msg, step_from_msg, step_result_to_dict
from griptalk_interfaces.msg import GripperCommand, SafetyStatus, SceneGraph

CAMERA_RATE_HZ = 4.0  # the simulator's camera rate (config/sim.yaml): the video plays in real time
SAFETY_STATES = {SafetyStatus.STATE_OK: "ok", SafetyStatus.STATE_LIMITED: "limited",
                 SafetyStatus.STATE_STOPPED: "stopped"}
# Deep queues so a slow video frame on the CLI's one executor thread drops no 100 Hz state.
_DEEP = QoSProfile(depth=50, reliability=qos.STATE.reliability, history=qos.STATE.history)
_LATCHED = QoSProfile(depth=10, reliability=qos.LATCHED.reliability, history=qos.LATCHED.history,
                      durability=qos.LATCHED.durability)

# (topic, type, QoS to subscribe with, latched): what the bag keeps.
BAG_TOPICS = [
    ("joint_states", JointState, _DEEP, False),
    ("wrist/wrench", WrenchStamped, _DEEP, False),
    ("camera/color/image_raw", Image, qos.SENSOR, False),
    ("camera/depth/image_raw", Image, qos.SENSOR, False),
    ("camera/camera_info", CameraInfo, qos.SENSOR, False),
    ("perception/scene_graph", SceneGraph, _LATCHED, True),
    ("perception/markers", MarkerArray, _DEEP, False),
    ("safety/status", SafetyStatus, _LATCHED, True),
    ("controller/command", JointState, _DEEP, False),
    ("gripper/command", GripperCommand, _DEEP, False),
    ("arm_controller/commands", Float64MultiArray, _DEEP, False),
    ("gripper_controller/commands", Float64MultiArray, _DEEP, False),
    ("planner/execute/_action/status", GoalStatusArray, qos_profile_action_status_default, True),
]


def type_name(msg_class) -> str:
    """`sensor_msgs/msg/JointState` for the class sensor_msgs.msg.JointState."""
    package, kind = msg_class.__module__.split(".")[:2]
    return f"{package}/{kind}/{msg_class.__name__}"


class RunRecorder:
    """Owns the record of one run: open it, attach it to the CLI's node, feed it the planner's
    feedback and result, finish it with the judged report; leaving the `with` block closes it, also
    when the run fails or is interrupted."""

    def __init__(self, directory: Path, instruction: str) -> None:
        """Raises ValueError if the directory is not new or empty; creates nothing until attach()."""
        self.directory = check_directory(Path(directory))
        self.instruction = instruction
        self.record: RunRecord | None = None
        self.parsers = {"joint_states": (JointState, self.on_joint_state),
                        "wrist/wrench": (WrenchStamped, self.on_wrench),
                        "safety/status": (SafetyStatus, self.on_safety)}

    def __enter__(self) -> "RunRecorder":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.record is None:
            return
        if exc_type is KeyboardInterrupt:
            self.record.close(interrupted="stopped by the user (Ctrl-C)")
        elif exc_type is not None:
            self.record.close(interrupted=f"{exc_type.__name__}: {exc}")
        else:
            self.record.close()

    def attach(self, node: Node) -> None:
        """Open the record and subscribe on `node`; the bag names topics as the node resolves them."""
        self.names = {topic: node.resolve_topic_name(topic) for topic, *_ in BAG_TOPICS}
        topics = [BagTopic(self.names[topic], type_name(cls), latched) for topic, cls, _, latched in BAG_TOPICS]
        limits = PlotLimits.from_supervisor_yaml(share_dir() / "config" / "safety_supervisor.yaml")
        self.record = RunRecord(self.directory, self.instruction, griptalk_typestore(), topics, limits,
                                CAMERA_RATE_HZ)
        for topic, msg_class, profile, _ in BAG_TOPICS:
            node.create_subscription(msg_class, topic, lambda data, t=topic: self.on_raw(t, data), profile, raw=True)
        node.create_subscription(Image, "perception/annotated_image", self.on_annotated, qos.SENSOR)

    def on_raw(self, topic: str, data: bytes) -> None:
        self.record.message(self.names[topic], time.time_ns(), data)
        parser = self.parsers.get(topic)
        if parser is not None:
            msg_class, handle = parser
            handle(deserialize_message(data, msg_class))

    def on_joint_state(self, msg: JointState) -> None:
        self.record.joint_state(list(msg.name), list(msg.velocity))

    def on_wrench(self, msg: WrenchStamped) -> None:
        f = msg.wrench.force
        self.record.wrist_force((f.x, f.y, f.z))

    def on_safety(self, msg: SafetyStatus) -> None:
        self.record.safety_status(SAFETY_STATES.get(msg.state, f"state {msg.state}"), msg.estop_latched,
                                  msg.reason, msg.force_n)

    def on_annotated(self, msg: Image) -> None:
        self.record.frame(image_from_msg(msg))

    def on_feedback(self, feedback) -> None:
        """An ExecuteInstruction feedback message."""
        step = step_from_msg(feedback.step)
        self.record.feedback(int(feedback.step_index), step.to_dict(), step.describe(), feedback.state,
                             feedback.message)

    def on_result(self, result) -> None:
        """The ExecuteInstruction result."""
        self.record.result(result.status, result.message, [step_from_msg(s).to_dict() for s in result.plan.steps],
                           [step_result_to_dict(r) for r in result.steps])

    def finish(self, report: dict) -> None:
        if self.record is not None:
            self.record.finish(report)
