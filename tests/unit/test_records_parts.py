"""Run records' pure parts: the event log, the annotated video and the limits plot."""
import json
import math
import subprocess
import sys

import cv2
import numpy as np
import pytest
import yaml

from griptalk.paths import share_dir
from griptalk.records.event_log import EventLog, read_events
from griptalk.records.plot import PlotLimits, plot_run
from griptalk.records.video import AnnotatedVideo, draw_caption
from griptalk.robot import PANDA_LIMITS

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def frame_count(path) -> int:
    capture = cv2.VideoCapture(str(path))
    count = 0
    while capture.read()[0]:
        count += 1
    capture.release()
    return count


# --- event log -------------------------------------------------------------------------------

def test_event_log_lines_are_readable_while_the_log_is_open(tmp_path):
    clock = FakeClock()
    log = EventLog(tmp_path / "events.jsonl", clock)
    clock.now += 1.5
    log.write("step", index=0, state="started")
    events = read_events(tmp_path / "events.jsonl")  # not closed: flushed line by line
    assert [e["event"] for e in events] == ["opened", "step"]
    assert events[1] == {"t": 1.5, "event": "step", "index": 0, "state": "started"}
    assert "wall_time" in events[0]
    log.close()


def test_event_log_never_overwrites_an_earlier_log(tmp_path):
    (tmp_path / "events.jsonl").write_text("earlier\n")
    with pytest.raises(FileExistsError):
        EventLog(tmp_path / "events.jsonl")
    assert (tmp_path / "events.jsonl").read_text() == "earlier\n"


@pytest.mark.parametrize("fields, error", [({"force_n": math.nan}, ValueError), ({"array": np.zeros(2)}, TypeError)])
def test_event_log_rejects_what_json_cannot_hold_and_writes_nothing(tmp_path, fields, error):
    log = EventLog(tmp_path / "events.jsonl")
    with pytest.raises(error):
        log.write("safety", **fields)
    with pytest.raises(ValueError):
        log.write("")
    log.close()
    assert [e["event"] for e in read_events(tmp_path / "events.jsonl")] == ["opened"]


def test_read_events_drops_a_last_line_cut_short_but_not_a_bad_line_before_it(tmp_path):
    path = tmp_path / "events.jsonl"
    good = json.dumps({"t": 0.0, "event": "opened"})
    path.write_text(good + "\n" + '{"t": 1.0, "ev')
    assert read_events(path) == [{"t": 0.0, "event": "opened"}]
    path.write_text('{"t": 1.0, "ev\n' + good + "\n")
    with pytest.raises(ValueError, match=":1:"):
        read_events(path)


# --- video -----------------------------------------------------------------------------------

def test_video_frames_can_be_read_back(tmp_path):
    video = AnnotatedVideo(tmp_path / "video.avi", fps=4.0)
    for i in range(5):
        video.add(np.full((120, 160, 3), 40 * i, np.uint8), f"step {i}")
    video.close()
    assert video.frames == 5
    assert frame_count(tmp_path / "video.avi") == 5


def test_caption_is_drawn_on_a_dark_band_at_the_bottom():
    frame = np.full((120, 160, 3), 200, np.uint8)
    draw_caption(frame, "step 1: grasp the red cube: started and a long tail that cannot fit the frame")
    assert np.all(frame[:90] == 200)  # the picture above the band is untouched
    band = frame[92:]
    assert band.min() < 100 and band.max() == 255  # darkened, with white text


@pytest.mark.parametrize("kwargs", [{"fps": 0.0}, {"fps": math.nan}])
def test_video_rejects_a_bad_rate(tmp_path, kwargs):
    with pytest.raises(ValueError, match="fps"):
        AnnotatedVideo(tmp_path / "video.avi", **kwargs)


def test_video_rejects_another_container_and_bad_frames(tmp_path):
    with pytest.raises(ValueError, match="avi"):
        AnnotatedVideo(tmp_path / "video.mp4", fps=4.0)
    video = AnnotatedVideo(tmp_path / "video.avi", fps=4.0)
    with pytest.raises(ValueError, match="uint8"):
        video.add(np.zeros((120, 160), np.uint8), "gray")
    video.add(np.zeros((120, 160, 3), np.uint8), "first")
    with pytest.raises(ValueError, match="differs"):
        video.add(np.zeros((240, 320, 3), np.uint8), "bigger")
    video.close()
    assert frame_count(tmp_path / "video.avi") == 1


def test_video_written_before_a_hard_kill_still_plays(tmp_path):
    """No close(), no release: the process dies as under SIGKILL; the frames it wrote are kept."""
    path = tmp_path / "video.avi"
    script = ("import os, numpy as np\n"
              "from griptalk.records.video import AnnotatedVideo\n"
              f"v = AnnotatedVideo({str(path)!r}, fps=4.0)\n"
              "for i in range(40):\n"
              "    v.add(np.random.default_rng(i).integers(0, 255, (240, 320, 3), dtype=np.uint8), str(i))\n"
              "os._exit(0)\n")
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    assert frame_count(path) >= 20


# --- plot ------------------------------------------------------------------------------------

def test_plot_limits_come_from_the_supervisor_parameter_file():
    path = share_dir() / "config" / "safety_supervisor.yaml"
    params = yaml.safe_load(path.read_text())["safety_supervisor"]["ros__parameters"]
    limits = PlotLimits.from_supervisor_yaml(path)
    assert (limits.force_limit_n, limits.force_peak_limit_n) == (params["force_limit_n"], params["force_peak_limit_n"])
    assert limits.joint_names == PANDA_LIMITS.joint_names
    assert limits.max_velocity == tuple(PANDA_LIMITS.max_velocity)


def test_plot_limits_default_to_the_supervisor_defaults(tmp_path):
    path = tmp_path / "supervisor.yaml"
    path.write_text("safety_supervisor:\n  ros__parameters:\n    force_limit_n: 20.0\n")
    limits = PlotLimits.from_supervisor_yaml(path)
    assert (limits.force_limit_n, limits.force_peak_limit_n) == (20.0, 60.0)


@pytest.mark.parametrize("kwargs", [{"force_limit_n": 0.0}, {"force_limit_n": 70.0}, {"max_velocity": (1.0,) * 6},
                                    {"max_velocity": (1.0,) * 6 + (-1.0,)}])
def test_plot_limits_validate(kwargs):
    args = dict(force_limit_n=25.0, force_peak_limit_n=60.0, joint_names=PANDA_LIMITS.joint_names,
                max_velocity=(2.0,) * 7)
    with pytest.raises(ValueError):
        PlotLimits(**{**args, **kwargs})


def test_plot_is_a_png(tmp_path):
    limits = PlotLimits(25.0, 60.0, PANDA_LIMITS.joint_names, tuple(PANDA_LIMITS.max_velocity))
    t = np.linspace(0.0, 10.0, 200)
    plot_run(tmp_path / "plot.png", '"put the red cube in the green bowl": succeeded', t, 5 + 10 * np.sin(t) ** 2,
             t, np.outer(np.sin(t), np.ones(7)), limits, [(2.0, "1. grasp the red cube", False), (7.0, "stop", True)])
    assert (tmp_path / "plot.png").read_bytes()[:8] == PNG_MAGIC


def test_plot_of_a_run_without_samples_is_still_written(tmp_path):
    limits = PlotLimits(25.0, 60.0, PANDA_LIMITS.joint_names, tuple(PANDA_LIMITS.max_velocity))
    plot_run(tmp_path / "plot.png", "nothing measured", [], [], [], np.zeros((0, 7)), limits)
    assert (tmp_path / "plot.png").read_bytes()[:8] == PNG_MAGIC


def test_plot_rejects_mismatched_samples(tmp_path):
    limits = PlotLimits(25.0, 60.0, PANDA_LIMITS.joint_names, tuple(PANDA_LIMITS.max_velocity))
    with pytest.raises(ValueError, match="force"):
        plot_run(tmp_path / "plot.png", "x", [0.0, 1.0], [1.0], [], np.zeros((0, 7)), limits)
    with pytest.raises(ValueError, match="joint velocities"):
        plot_run(tmp_path / "plot.png", "x", [], [], [0.0], np.zeros((1, 6)), limits)
    assert not (tmp_path / "plot.png").exists()
