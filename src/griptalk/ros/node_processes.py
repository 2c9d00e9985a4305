"""Some of a launch file's nodes as separate processes that can be paused, killed and restarted one by one.

The Launcher runs a whole graph and ends it as one; fault injection needs a handle on each process
(SIGSTOP the simulator, SIGKILL the controller, start it again). Command lines and environments come
from the same launch file and the same rules as the Launcher's, so the nodes run as they do in
`griptalk run`.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import replace
from pathlib import Path
from typing import Mapping

from griptalk.launcher import LaunchDescription, Launcher, ProcessSpec

_POLL_S = 0.02


class NodeProcesses:
    """Start `names` (node names in `launch_file`) each in its own process group; end them all on close().

    Output of each goes to `<log_dir>/<name>.log`. `parameters` overrides parameters of the
    launch file's nodes: {node name: {parameter: value as YAML text}}.
    """

    def __init__(self, launch_file: str | Path, names: list[str], log_dir: str | Path,
                 arguments: Mapping[str, str] | None = None,
                 parameters: Mapping[str, Mapping[str, str]] | None = None) -> None:
        description = LaunchDescription.load(launch_file, arguments)
        known = {spec.name: spec for spec in description.processes}
        missing = [name for name in names if name not in known]
        if missing:
            raise ValueError(f"{launch_file} starts no node named {', '.join(missing)}; it has {', '.join(known)}")
        # The Launcher's environment rules (loopback discovery, unbuffered output), for these processes only.
        self._environment = Launcher(replace(description, processes=[])).environment
        overrides = dict(parameters or {})
        unknown = sorted(set(overrides) - set(names))
        if unknown:
            raise ValueError(f"parameters given for nodes not started: {', '.join(unknown)}")
        self.specs: dict[str, ProcessSpec] = {
            name: replace(known[name], argv=known[name].argv + [
                word for key, value in overrides.get(name, {}).items() for word in ("-p", f"{key}:={value}")])
            for name in names}
        self.log_dir = Path(log_dir)
        self._processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str | None = None) -> None:
        """Start one process (again, after it ended), or every one not running."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for spec in [self.specs[name]] if name is not None else self.specs.values():
            process = self._processes.get(spec.name)
            if process is not None and process.poll() is None:
                raise RuntimeError(f"process {spec.name!r} is already running")
            with open(self.log_dir / f"{spec.name}.log", "ab") as log:
                self._processes[spec.name] = subprocess.Popen(
                    spec.argv, env=self._environment(spec), stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, start_new_session=True)

    def signal(self, name: str, signal_number: int) -> None:
        """Send a signal to the process's group (the node and anything it started)."""
        os.killpg(self._processes[name].pid, signal_number)

    def pause(self, name: str) -> None:
        self.signal(name, signal.SIGSTOP)

    def resume(self, name: str) -> None:
        self.signal(name, signal.SIGCONT)

    def kill(self, name: str, timeout_s: float = 5.0) -> int:
        """SIGKILL the process and reap it; its return code."""
        self.signal(name, signal.SIGKILL)
        return self._processes[name].wait(timeout=timeout_s)

    def poll(self) -> dict[str, int | None]:
        """Each started process's return code, or None while it runs."""
        return {name: process.poll() for name, process in self._processes.items()}

    def exited(self) -> dict[str, int]:
        return {name: code for name, code in self.poll().items() if code is not None}

    def log_tail(self, name: str, lines: int = 20) -> str:
        path = self.log_dir / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.is_file() else ""

    def close(self, timeout_s: float = 5.0) -> dict[str, int | None]:
        """SIGCONT (a paused process cannot exit), SIGINT, wait, then SIGKILL what is left."""
        running = {name: p for name, p in self._processes.items() if p.poll() is None}
        for signal_number in (signal.SIGCONT, signal.SIGINT):
            for process in running.values():
                _signal_group(process.pid, signal_number)
        deadline = time.monotonic() + timeout_s
        while any(p.poll() is None for p in running.values()) and time.monotonic() < deadline:
            time.sleep(_POLL_S)
        for process in running.values():
            if process.poll() is None:
                _signal_group(process.pid, signal.SIGKILL)
                process.wait(timeout=timeout_s)
        return self.poll()

    def __enter__(self) -> NodeProcesses:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _signal_group(group: int, signal_number: int) -> None:
    try:
        os.killpg(group, signal_number)
    except ProcessLookupError:
        pass  # the group has ended: nothing left to signal
