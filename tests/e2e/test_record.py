"""`griptalk run --record DIR`: the record of a whole run, and of a run stopped with Ctrl-C."""
from __future__ import annotations

import json
import signal
import subprocess
import time

import cv2
import pytest
from rclpy.serialization import deserialize_message
from rosbags.rosbag2 import Reader
from sensor_msgs.msg import JointState

from griptalk.records.event_log import read_events
from griptalk.records.typestore import griptalk_typestore
from griptalk_interfaces.msg import SafetyStatus, SceneGraph
from tests.support import BIN, default_sigint, griptalk

pytestmark = pytest.mark.e2e

INSTRUCTION = "put the red cube in the green bowl"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def bag_messages(bag_dir) -> dict[str, list[tuple[str, bytes]]]:
    """Each topic's (type, CDR bytes), read with rosbags."""
    messages: dict[str, list[tuple[str, bytes]]] = {}
    with Reader(bag_dir) as reader:
        for connection, _, raw in reader.messages():
            messages.setdefault(connection.topic, []).append((connection.msgtype, bytes(raw)))
    return messages


def video_frames(path) -> int:
    capture = cv2.VideoCapture(str(path))
    count = 0
    while capture.read()[0]:
        count += 1
    return count


def test_a_recorded_run_keeps_log_bag_video_and_plot(ros_env, tmp_path):
    record = tmp_path / "record"
    result = griptalk("run", "--scene", "tabletop", "--json", "--record", str(record), INSTRUCTION, env=ros_env)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert sorted(p.name for p in record.iterdir()) == ["bag", "events.jsonl", "plot.png", "video.avi"]

    events = read_events(record / "events.jsonl")
    kinds = [e["event"] for e in events]
    assert events[1] == {"t": events[1]["t"], "event": "instruction", "instruction": INSTRUCTION}
    assert "plan" in kinds and "result" in kinds and kinds[-2:] == ["final", "closed"]
    steps = [e for e in events if e["event"] == "step"]
    assert steps[0]["state"] == "planned" and any(e["state"] == "started" for e in steps)
    assert all(a["t"] <= b["t"] for a, b in zip(events, events[1:]))
    result_event = next(e for e in events if e["event"] == "result")
    assert [s["skill"] for s in result_event["plan"]] == ["grasp", "place"]
    assert all("seconds" in s and "ok" in s for s in result_event["steps"])
    assert events[-2]["status"] == report["status"] and events[-2]["world"] == report["world"]

    messages = bag_messages(record / "bag")
    for topic in ("/joint_states", "/camera/color/image_raw", "/perception/scene_graph", "/safety/status"):
        assert messages.get(topic), f"no {topic} in the bag: {sorted(messages)}"
    assert len(messages["/joint_states"]) > 10 * len(messages["/camera/color/image_raw"]) > 0
    # The bytes are what the graph sent: rclpy reads them back, and so does rosbags' typestore.
    store = griptalk_typestore()
    for topic, msg_class in (("/joint_states", JointState), ("/perception/scene_graph", SceneGraph),
                             ("/safety/status", SafetyStatus)):
        msgtype, raw = messages[topic][-1]
        ours, theirs = deserialize_message(raw, msg_class), store.deserialize_cdr(raw, msgtype)
        assert msgtype.split("/")[-1] == msg_class.__name__
        assert ours.header.stamp.sec == theirs.header.stamp.sec
    graph = store.deserialize_cdr(messages["/perception/scene_graph"][-1][1], "griptalk_interfaces/msg/SceneGraph")
    assert {"red_cube", "green_bowl"} <= {o.id for o in graph.objects}

    assert video_frames(record / "video.avi") >= 4
    assert (record / "plot.png").read_bytes()[:8] == PNG_MAGIC


def test_ctrl_c_still_leaves_a_readable_record(ros_env, tmp_path):
    record = tmp_path / "record"
    process = subprocess.Popen([str(BIN / "griptalk"), "run", "--scene", "tabletop", "--record", str(record),
                                INSTRUCTION], env=ros_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                preexec_fn=default_sigint)
    try:
        deadline = time.monotonic() + 120
        while not any(e["event"] == "step" and e["state"] == "started" for e in
                      (read_events(record / "events.jsonl") if (record / "events.jsonl").exists() else [])):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the run never started a step"
            time.sleep(0.2)
        time.sleep(2.0)  # mid-grasp
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    events = read_events(record / "events.jsonl")
    assert [e["event"] for e in events][-2:] == ["interrupted", "closed"]
    assert "Ctrl-C" in events[-2]["reason"]
    messages = bag_messages(record / "bag")
    assert messages["/joint_states"] and messages["/safety/status"]
    assert video_frames(record / "video.avi") >= 1
    assert (record / "plot.png").read_bytes()[:8] == PNG_MAGIC


def test_record_needs_a_new_or_empty_directory_and_starts_nothing(ros_env, tmp_path):
    (tmp_path / "events.jsonl").write_text("an earlier run\n")
    result = griptalk("run", "--record", str(tmp_path), INSTRUCTION, env=ros_env, timeout=60)
    assert result.returncode == 3
    assert result.stderr.strip().count("\n") == 0 and "not empty" in result.stderr, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.jsonl"]
    result = griptalk("plan", "--record", str(tmp_path / "new"), INSTRUCTION, env=ros_env, timeout=60)
    assert result.returncode == 3 and not (tmp_path / "new").exists()
