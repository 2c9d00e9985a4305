"""Everything `griptalk run --record DIR` keeps about one run, written as the run goes.

DIR/events.jsonl  the event log: instruction, plan, each step with timing and result, safety events
DIR/bag/          a rosbag2 (MCAP) of the run's topics
DIR/video.avi     perception's annotated camera frames with the current step
DIR/plot.png      wrist force and joint speeds against the safety limits (written on close)
"""
from __future__ import annotations

import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Callable

import numpy as np
from rosbags.typesys.store import Typestore

from griptalk.records.bag import BagTopic, BagWriter
from griptalk.records.event_log import EventLog
from griptalk.records.plot import PlotLimits, plot_run
from griptalk.records.video import AnnotatedVideo

EVENTS, BAG, VIDEO, PLOT = "events.jsonl", "bag", "video.avi", "plot.png"


def check_directory(directory: Path) -> Path:
    """Raises ValueError unless `directory` is new or empty: a record never mixes with an earlier one."""
    if directory.exists() and not directory.is_dir():
        raise ValueError(f"--record {directory}: a file is there, give a directory")
    if directory.is_dir() and any(directory.iterdir()):
        raise ValueError(f"--record {directory}: the directory is not empty, give a new one")
    return directory


class RunRecord:
    """Thread-safe: ROS callbacks feed it from the executor thread while the CLI closes it from the
    main thread; whatever arrives after close() is dropped."""

    def __init__(self, directory: Path, instruction: str, typestore: Typestore, topics: list[BagTopic],
                 limits: PlotLimits, video_fps: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.directory = check_directory(Path(directory))
        self.directory.mkdir(parents=True, exist_ok=True)
        self.instruction = instruction
        self.limits = limits
        self.lock = threading.Lock()
        self.closed = False
        self.status = "running"
        self.caption = f'"{instruction}": planning'
        self.force: list[tuple[float, float]] = []  # (t, |F| [N])
        self.velocity_t: list[float] = []
        self.velocities: list[np.ndarray] = []  # per sample, in limits.joint_names' order [rad/s]
        self.marks: list[tuple[float, str, bool]] = []  # (t, label, is a safety stop)
        self.safety: tuple[str, bool] | None = None
        with ExitStack() as opened:  # a part that fails to open closes those opened before it
            self.log = EventLog(self.directory / EVENTS, clock)
            opened.callback(self.log.close)
            self.log.write("instruction", instruction=instruction)
            self.bag = BagWriter(self.directory / BAG, typestore, topics)
            opened.callback(self.bag.close)
            self.video = AnnotatedVideo(self.directory / VIDEO, video_fps)
            opened.pop_all()

    # --- what the graph publishes -----------------------------------------------------------

    def message(self, topic: str, stamp_ns: int, data: bytes) -> None:
        with self.lock:
            if not self.closed:
                self.bag.write(topic, stamp_ns, data)

    def joint_state(self, names, velocities) -> None:
        """Joint velocities by name; a message without the arm's joints or velocities is skipped."""
        index = {n: i for i, n in enumerate(names)}
        if len(velocities) != len(names) or any(n not in index for n in self.limits.joint_names):
            return
        v = np.array([velocities[index[n]] for n in self.limits.joint_names], dtype=float)
        with self.lock:
            if not self.closed:
                self.velocity_t.append(self.log.elapsed())
                self.velocities.append(v)

    def wrist_force(self, force_xyz) -> None:
        with self.lock:
            if not self.closed:
                self.force.append((self.log.elapsed(), float(np.linalg.norm(np.asarray(force_xyz, float)))))

    def safety_status(self, state: str, latched: bool, reason: str, force_n: float) -> None:
        """Logged when the state or the latch changes (the supervisor repeats its status at 20 Hz)."""
        with self.lock:
            if self.closed or (state, latched) == self.safety:
                return
            self.safety = (state, latched)
            entry = self.log.write("safety", state=state, latched=latched, reason=reason,
                                   force_n=round(float(force_n), 2))
            if latched:
                self.marks.append((entry["t"], f"stop: {reason}", True))

    def frame(self, rgb: np.ndarray) -> None:
        with self.lock:
            if not self.closed:
                self.video.add(rgb, self.caption)

    # --- what the planner reports -----------------------------------------------------------

    def feedback(self, index: int, step: dict, description: str, state: str, message: str) -> None:
        with self.lock:
            if self.closed:
                return
            if state == "planned":
                self.log.write("plan", summary=message, first_step=step)
            entry = self.log.write("step", index=index, step=step, state=state, message=message)
            self.caption = f"step {index + 1}: {description}: {state}"
            if state in ("started", "retrying"):
                self.marks.append((entry["t"], f"{index + 1}. {description}", False))

    def result(self, status: str, message: str, plan: list[dict], steps: list[dict]) -> None:
        """The planner's result: the final plan and each step's outcome, attempts and seconds."""
        with self.lock:
            if self.closed:
                return
            self.log.write("result", status=status, message=message, plan=plan, steps=steps)
            self.status, self.caption = status, f"{status}: {message}"

    def finish(self, report: dict) -> None:
        """The run's outcome as the CLI judged it against the simulator's ground truth."""
        with self.lock:
            if self.closed:
                return
            self.log.write("final", **report)
            self.status = report.get("status", self.status)

    # --- the end ------------------------------------------------------------------------------

    def close(self, interrupted: str = "") -> None:
        """Close every part even if one fails; `interrupted` says why the run stopped early."""
        with self.lock:
            if self.closed:
                return
            self.closed = True
            if interrupted:
                self.log.write("interrupted", reason=interrupted)
                self.status = "interrupted"
            with ExitStack() as stack:  # callbacks run last-in first-out
                stack.callback(self.log.close)
                stack.callback(self._write_closed)
                stack.callback(self._write_plot)
                stack.callback(self.video.close)
                stack.callback(self.bag.close)

    def _write_plot(self) -> None:
        force = np.array(self.force, dtype=float).reshape(-1, 2)
        velocities = np.array(self.velocities, dtype=float).reshape(-1, len(self.limits.joint_names))
        plot_run(self.directory / PLOT, f'"{self.instruction}": {self.status}', force[:, 0], force[:, 1],
                 self.velocity_t, velocities, self.limits, self.marks)

    def _write_closed(self) -> None:
        self.log.write("closed", bag_messages=self.bag.counts, video_frames=self.video.frames,
                       files=sorted(p.name for p in self.directory.iterdir()))
