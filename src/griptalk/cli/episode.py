"""One episode: bring the graph up on a scene, send the instruction, judge the result, bring it down."""
from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TextIO

from griptalk.cli.graph_client import GraphClient, GraphError
from griptalk.cli.report import Report
from griptalk.launcher import LaunchDescription, Launcher
from griptalk.paths import share_dir
from griptalk_sim.scene import Scene, scene_to_yaml


def local_ros_environment() -> None:
    """DDS stays on this machine unless the user widened it on purpose."""
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    os.environ.setdefault("FASTRTPS_DEFAULT_PROFILES_FILE", str(share_dir() / "config" / "fastdds.xml"))


def open_recorder(record_dir: Path | None, instruction: str):
    """A RunRecorder for `--record DIR`, or nothing to record."""
    if record_dir is None:
        return contextlib.nullcontext()
    from griptalk.records.recorder import RunRecorder  # rosbags and matplotlib load only when recording
    return RunRecorder(record_dir, instruction)


def run_episode(scene: Scene, instruction: str, execute: bool, timeout_s: float, verbose: bool,
                progress: TextIO, record_dir: Path | None = None, watch=None, log_dir: Path | None = None) -> Report:
    """`watch` (a SafetyWatch) counts safety stops and force excursions while the graph runs; the nodes'
    logs go to `log_dir` (kept) or, unless `verbose`, to a temporary folder."""
    local_ros_environment()
    start = time.monotonic()
    report = Report(instruction=instruction, executed=execute)
    with tempfile.TemporaryDirectory(prefix="griptalk-") as tmp, open_recorder(record_dir, instruction) as recorder:
        scene_file = Path(tmp) / "scene.yaml"
        scene_file.write_text(scene_to_yaml(scene))
        description = LaunchDescription.load(share_dir() / "launch" / "sim.launch.yaml", {"scene": str(scene_file)})
        if log_dir is None and not verbose:
            log_dir = Path(tmp) / "logs"
        with Launcher(description, log_dir=log_dir, stream=sys.stderr) as launcher, \
                GraphClient(launcher, recorder, watch) as graph:
            try:
                deadline = start + timeout_s
                graph.wait_ready(deadline)
                if execute:
                    before = graph.world_state(deadline)
                    started = time.monotonic()
                    graph.execute(instruction, report, deadline, progress)
                    report.task_seconds = time.monotonic() - started
                    report.set_world(graph.world_state(deadline), before)
                else:
                    graph.plan(instruction, report, deadline)
            except GraphError as e:
                report.fail(str(e), logs=launcher_logs(log_dir))
        report.seconds = time.monotonic() - start
        if recorder is not None:
            recorder.finish(report.to_dict())
    return report


def launcher_logs(log_dir: Path | None, lines: int = 15) -> str:
    """The last lines of each node's log: what a user needs when the graph breaks."""
    if log_dir is None or not log_dir.is_dir():
        return ""
    parts = []
    for log in sorted(log_dir.glob("*.log")):
        tail = log.read_text(errors="replace").splitlines()[-lines:]
        if tail:
            parts.append(f"--- {log.stem} ---\n" + "\n".join(tail))
    return "\n".join(parts)
