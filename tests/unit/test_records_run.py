"""Run records: RunRecord keeps the log, bag, video and plot of one run, and closes them whatever happens."""
import cv2
import numpy as np
import pytest
from rosbags.rosbag2 import Reader

from griptalk.records import run_record
from griptalk.records.bag import BagTopic
from griptalk.records.event_log import read_events
from griptalk.records.plot import PlotLimits
from griptalk.records.run_record import RunRecord, check_directory
from griptalk.records.typestore import griptalk_typestore
from griptalk.robot import PANDA_LIMITS

LIMITS = PlotLimits(25.0, 60.0, PANDA_LIMITS.joint_names, tuple(PANDA_LIMITS.max_velocity))
NAMES = list(PANDA_LIMITS.joint_names) + ["panda_finger_joint1", "panda_finger_joint2"]
GRASP = {"skill": "grasp", "object": {"id": "red_cube", "type": "cube", "color": "red"}}


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture(scope="module")
def store():
    return griptalk_typestore()


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def record(tmp_path, store, clock):
    topics = [BagTopic("/safety/status", "griptalk_interfaces/msg/SafetyStatus", latched=True)]
    return RunRecord(tmp_path / "rec", "put the red cube in the green bowl", store, topics, LIMITS, 4.0, clock)


def status_bytes(store, state: int) -> bytes:
    t = store.types
    msg = t["griptalk_interfaces/msg/SafetyStatus"](
        header=t["std_msgs/msg/Header"](stamp=t["builtin_interfaces/msg/Time"](sec=1, nanosec=0), frame_id=""),
        state=state, estop_latched=state == 2, reason="", force_n=1.0, peak_force_n=1.0, commands_forwarded=0,
        commands_rejected=0)
    return bytes(store.serialize_cdr(msg, msg.__msgtype__))


def events_of(record):
    return read_events(record.directory / run_record.EVENTS)


def test_a_whole_run_is_kept(record, store, clock):
    record.message("/safety/status", 10, status_bytes(store, 0))
    record.safety_status("ok", False, "", 0.1)
    for i in range(20):
        clock.now = 0.1 * i
        record.joint_state(NAMES, [0.5] * 9)
        record.wrist_force((0.0, 3.0, 4.0))
        if i % 5 == 0:
            record.frame(np.zeros((48, 64, 3), np.uint8))
        if i == 2:
            record.feedback(0, GRASP, "grasp the red cube", "planned", "I will grasp the red cube.")
            record.feedback(0, GRASP, "grasp the red cube", "started", "grasp the red cube")
        if i == 9:
            record.feedback(0, GRASP, "grasp the red cube", "succeeded", "")
    record.result("succeeded", "done", [GRASP], [{**GRASP, "ok": True, "attempts": 1, "seconds": 0.7, "message": ""}])
    record.finish({"status": "succeeded", "world": {"objects": []}})
    record.close()

    events = events_of(record)
    kinds = [e["event"] for e in events]
    assert kinds == ["opened", "instruction", "safety", "plan", "step", "step", "step", "result", "final", "closed"]
    assert events[1]["instruction"] == "put the red cube in the green bowl"
    assert events[3]["summary"] == "I will grasp the red cube."
    assert [e["state"] for e in events if e["event"] == "step"] == ["planned", "started", "succeeded"]
    assert events[5]["t"] == pytest.approx(0.2) and events[6]["t"] == pytest.approx(0.9)
    assert events[7]["steps"][0]["seconds"] == 0.7
    assert events[-1]["bag_messages"] == {"/safety/status": 1} and events[-1]["video_frames"] == 4
    assert sorted(events[-1]["files"]) == ["bag", "events.jsonl", "plot.png", "video.avi"]
    assert np.allclose(record.force, [(0.1 * i, 5.0) for i in range(20)])
    assert np.array(record.velocities).shape == (20, 7)
    assert record.marks == [(pytest.approx(0.2), "1. grasp the red cube", False)]
    with Reader(record.directory / run_record.BAG) as reader:
        assert reader.message_count == 1
    assert cv2.VideoCapture(str(record.directory / run_record.VIDEO)).read()[0]
    assert (record.directory / run_record.PLOT).read_bytes()[:4] == b"\x89PNG"


def test_safety_is_logged_on_changes_and_stops_are_marked(record, clock):
    for state, latched, reason in [("ok", False, ""), ("ok", False, ""), ("limited", False, "slow zone"),
                                   ("limited", False, "slow zone"), ("stopped", True, "force 31 N over 25 N"),
                                   ("stopped", True, "force 31 N over 25 N"), ("ok", False, "")]:
        clock.now += 0.05
        record.safety_status(state, latched, reason, 31.0 if latched else 1.0)
    record.close()
    safety = [(e["state"], e["latched"]) for e in events_of(record) if e["event"] == "safety"]
    assert safety == [("ok", False), ("limited", False), ("stopped", True), ("ok", False)]
    assert [label for _, label, stop in record.marks if stop] == ["stop: force 31 N over 25 N"]


def test_joint_states_without_the_arm_or_velocities_are_skipped(record):
    record.joint_state(["panda_finger_joint1"], [0.1])
    record.joint_state(NAMES, [])
    record.joint_state(NAMES, [0.0] * 9)
    assert len(record.velocities) == 1
    record.close()


def test_an_interrupted_run_still_leaves_every_file(record, store):
    record.message("/safety/status", 10, status_bytes(store, 0))
    record.feedback(0, GRASP, "grasp the red cube", "started", "")
    record.close(interrupted="stopped by the user (Ctrl-C)")
    events = events_of(record)
    assert [e["event"] for e in events][-2:] == ["interrupted", "closed"]
    assert events[-2]["reason"] == "stopped by the user (Ctrl-C)"
    assert sorted(p.name for p in record.directory.iterdir()) == ["bag", "events.jsonl", "plot.png"]  # no frame came
    with Reader(record.directory / run_record.BAG) as reader:
        assert reader.message_count == 1


def test_nothing_is_taken_after_close_and_close_is_idempotent(record, store):
    record.close()
    lines = (record.directory / run_record.EVENTS).read_text()
    record.message("/safety/status", 11, status_bytes(store, 0))
    record.frame(np.zeros((48, 64, 3), np.uint8))
    record.feedback(0, GRASP, "grasp the red cube", "started", "")
    record.safety_status("stopped", True, "e-stop", 0.0)
    record.finish({"status": "failed"})
    record.close(interrupted="again")
    assert (record.directory / run_record.EVENTS).read_text() == lines


def test_a_part_that_fails_to_close_does_not_stop_the_others(record, monkeypatch):
    def broken_plot(*args, **kwargs):
        raise RuntimeError("plot broke")
    monkeypatch.setattr(run_record, "plot_run", broken_plot)
    with pytest.raises(RuntimeError, match="plot broke"):
        record.close()
    assert events_of(record)[-1]["event"] == "closed"
    assert (record.directory / run_record.BAG / "metadata.yaml").is_file()
    assert record.log.file.closed


def test_the_record_directory_must_be_new_or_empty(tmp_path, store):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "events.jsonl").write_text("an earlier run\n")
    (tmp_path / "file").write_text("")
    for path, message in [(tmp_path / "old", "not empty"), (tmp_path / "file", "a file")]:
        with pytest.raises(ValueError, match=message):
            check_directory(path)
        with pytest.raises(ValueError, match=message):
            RunRecord(path, "x", store, [], LIMITS, 4.0)
    assert (tmp_path / "old" / "events.jsonl").read_text() == "an earlier run\n"
    (tmp_path / "empty").mkdir()
    assert check_directory(tmp_path / "empty") == tmp_path / "empty"
    assert check_directory(tmp_path / "new" / "rec") == tmp_path / "new" / "rec"


def test_a_bag_that_cannot_open_closes_the_log(tmp_path, store):
    with pytest.raises(ValueError, match="does not define"):
        RunRecord(tmp_path / "rec", "x", store, [BagTopic("/x", "nope/msg/Nope")], LIMITS, 4.0)
    assert [e["event"] for e in read_events(tmp_path / "rec" / run_record.EVENTS)] == ["opened", "instruction"]
