"""Run the project's ROS 2 YAML launch files where the ROS 2 CLI is not installed (DESIGN.md rule 5).

Reads exactly the subset of the ROS 2 YAML launch frontend the project uses, with the same syntax
as `ros2 launch` (launch_yaml / launch_ros `node`), so one file serves both:

    launch:
    - arg: {name: scene, default: tabletop, description: "..."}
    - set_env: {name: X, value: Y}                      # also `if` / `unless`
    - node: {pkg: griptalk, exec: perception_node, name: perception, namespace: "", output: screen,
             if: "$(var use_sim)", param: [{from: FILE}, {name: N, value: V}],
             remap: [{from: A, to: B}], env: [{name: X, value: Y}]}

Substitutions: $(var NAME), $(env NAME [DEFAULT]), $(find-pkg-share griptalk). Anything else is
rejected with a message naming the file and the entity.
"""
from __future__ import annotations

import argparse
import atexit
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Mapping

import yaml

from griptalk.paths import share_dir

PACKAGE = "griptalk"
DISCOVERY_RANGE_VAR = "ROS_AUTOMATIC_DISCOVERY_RANGE"
OUTPUT_MODES = ("screen", "log", "both")

_SUBSTITUTION = re.compile(r"\$\(([^()]*)\)")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_POLL_S = 0.02


class LaunchError(ValueError):
    """A launch file, or the arguments given to it, cannot be run; the message says where and why."""


@dataclass(frozen=True)
class ArgSpec:
    """A declared launch argument."""
    name: str
    default: str | None
    description: str


@dataclass(frozen=True)
class ProcessSpec:
    """One process to start: a unique name (output prefix), its command line, its extra environment."""
    name: str
    argv: list[str]
    env: dict[str, str]


def parse_launch_arguments(words: list[str]) -> dict[str, str]:
    """`["scene:=tabletop", ...]` -> `{"scene": "tabletop", ...}`, as `ros2 launch` takes them."""
    arguments: dict[str, str] = {}
    for word in words:
        name, separator, value = word.partition(":=")
        if not separator or not _NAME.fullmatch(name):
            raise LaunchError(f"launch arguments are written name:=value, got {word!r}")
        arguments[name] = value
    return arguments


@dataclass(frozen=True)
class LaunchDescription:
    """A parsed launch file with its arguments resolved: the processes to start, in order."""
    path: Path
    declared: list[ArgSpec]
    arguments: dict[str, str]
    processes: list[ProcessSpec]

    @classmethod
    def load(cls, path: str | Path, arguments: Mapping[str, str] | None = None, *,
             bin_dir: str | Path | None = None) -> LaunchDescription:
        """Parse `path` with `arguments` (name -> value). Executables are looked up in `bin_dir`,
        by default the directory of the running interpreter (where the venv's console scripts are)."""
        parser = _Parser(Path(path), dict(arguments or {}),
                         Path(bin_dir) if bin_dir is not None else Path(sys.executable).parent)
        return parser.parse()


class _Parser:
    """Walks the launch entities in order, as `ros2 launch` does: an arg is usable once declared,
    a set_env applies to the processes after it."""

    def __init__(self, path: Path, given: dict[str, str], bin_dir: Path) -> None:
        self.path = path
        self.given = given
        self.bin_dir = bin_dir
        self.declared: list[ArgSpec] = []
        self.values: dict[str, str] = {}
        self.env: dict[str, str] = {}
        self.processes: list[ProcessSpec] = []

    def parse(self) -> LaunchDescription:
        for index, (kind, body) in enumerate(self._entities(), start=1):
            where = f"{self.path}: entry {index} ({kind})"
            if kind == "arg":
                self._arg(body, where)
            elif kind == "set_env":
                self._set_env(body, where)
            elif kind == "node":
                self._node(body, where)
            else:
                raise LaunchError(f"{where}: unsupported entity {kind!r}; this launcher supports "
                                  "arg, set_env and node (run other files with `ros2 launch`)")
        unknown = sorted(set(self.given) - set(self.values))
        if unknown:
            raise LaunchError(f"{self.path}: unknown launch argument(s) {', '.join(unknown)}; "
                              f"declared: {self._declared_text()}")
        return LaunchDescription(self.path, self.declared, dict(self.values), self.processes)

    def _entities(self) -> list[tuple[str, Any]]:
        try:
            document = yaml.safe_load(self.path.read_text())
        except OSError as err:
            raise LaunchError(f"cannot read launch file {self.path}: {err.strerror}") from err
        except yaml.YAMLError as err:
            raise LaunchError(f"{self.path}: not valid YAML: {err}") from err
        if not isinstance(document, dict) or set(document) != {"launch"} \
                or not isinstance(document["launch"], list):
            raise LaunchError(f"{self.path}: a YAML launch file is a mapping with one key, "
                              "'launch', holding a list of entities")
        entities = []
        for index, item in enumerate(document["launch"], start=1):
            if not isinstance(item, dict) or len(item) != 1:
                raise LaunchError(f"{self.path}: entry {index}: each entity is a mapping with one "
                                  "key, its type (arg, set_env, node)")
            entities.append(next(iter(item.items())))
        return entities

    # --- entities ---

    def _arg(self, body: Any, where: str) -> None:
        self._check_keys(body, where, required={"name"}, optional={"default", "description"})
        name = self._string(body, "name", where)
        where = f"{where} {name!r}"
        if not _NAME.fullmatch(name):
            raise LaunchError(f"{where}: an argument name is letters, digits and underscores")
        if name in self.values:
            raise LaunchError(f"{where}: argument declared twice")
        default = self._string(body, "default", where) if "default" in body else None
        description = self._string(body, "description", where) if "description" in body else ""
        self.declared.append(ArgSpec(name, default, description))
        if name in self.given:
            self.values[name] = self.given[name]
        elif default is not None:
            self.values[name] = self._substitute(default, where)
        else:
            raise LaunchError(f"{self.path}: launch argument {name!r} is required "
                              f"({description or 'no description'}): pass {name}:=VALUE")

    def _set_env(self, body: Any, where: str) -> None:
        self._check_keys(body, where, required={"name", "value"}, optional={"if", "unless"})
        if self._condition_holds(body, where):
            name = self._substitute(self._string(body, "name", where), where)
            self.env[name] = self._substitute(self._string(body, "value", where), where)

    def _node(self, body: Any, where: str) -> None:
        if isinstance(body, dict) and ("name" in body or "exec" in body):
            where = f"{where} {body.get('name', body.get('exec'))!r}"
        self._check_keys(body, where, required={"pkg", "exec"},
                         optional={"name", "namespace", "output", "if", "unless", "param", "remap",
                                   "env"})
        if not self._condition_holds(body, where):
            return
        package = self._substitute(self._string(body, "pkg", where), where)
        if package != PACKAGE:
            raise LaunchError(f"{where}: package {package!r} is not runnable here, only {PACKAGE!r} "
                              "(run launch files with other packages through `ros2 launch`)")
        executable = self._substitute(self._string(body, "exec", where), where)
        argv = [self._executable_path(executable, where), "--ros-args"]
        name = executable
        if "name" in body:
            name = self._substitute(self._string(body, "name", where), where)
            if not _NAME.fullmatch(name):
                raise LaunchError(f"{where}: node name {name!r} is not a valid ROS name")
            argv += ["-r", f"__node:={name}"]
        if "namespace" in body:
            namespace = self._namespace(self._substitute(self._string(body, "namespace", where),
                                                         where), where)
            if namespace:
                argv += ["-r", f"__ns:={namespace}"]
        if "output" in body and self._string(body, "output", where) not in OUTPUT_MODES:
            # Accepted for `ros2 launch`; this launcher routes output itself (Launcher's log_dir).
            raise LaunchError(f"{where}: output must be one of {', '.join(OUTPUT_MODES)}")
        for param in self._entity_list(body, "param", where):
            argv += self._param(param, where)
        for remap in self._entity_list(body, "remap", where):
            self._check_keys(remap, f"{where} remap", required={"from", "to"}, optional=set())
            source = self._substitute(self._string(remap, "from", where), where)
            target = self._substitute(self._string(remap, "to", where), where)
            argv += ["-r", f"{source}:={target}"]
        env = dict(self.env)
        for variable in self._entity_list(body, "env", where):
            self._check_keys(variable, f"{where} env", required={"name", "value"}, optional=set())
            env[self._substitute(self._string(variable, "name", where), where)] = \
                self._substitute(self._string(variable, "value", where), where)
        if any(process.name == name for process in self.processes):
            raise LaunchError(f"{where}: two processes named {name!r}; give each node a unique name")
        self.processes.append(ProcessSpec(name, argv, env))

    def _param(self, param: Any, where: str) -> list[str]:
        if isinstance(param, dict) and "from" in param:
            self._check_keys(param, f"{where} param", required={"from"}, optional=set())
            params_file = Path(self._substitute(self._string(param, "from", where), where))
            if not params_file.is_file():
                raise LaunchError(f"{where}: parameter file {params_file} does not exist")
            return ["--params-file", str(params_file)]
        self._check_keys(param, f"{where} param", required={"name", "value"}, optional=set())
        name = self._substitute(self._string(param, "name", where), where)
        return ["-p", f"{name}:={self._param_value(param['value'], f'{where} param {name!r}')}"]

    def _param_value(self, value: Any, where: str) -> str:
        """The text of a `-p name:=value` rule. rcl reads it as YAML, the way launch_ros types a
        substituted string, so "3" stays an int and YAML scalars keep their type."""
        if isinstance(value, str):
            return self._substitute(value, where)
        scalars = (bool, int, float, str)
        if isinstance(value, scalars) or (
                isinstance(value, list) and value and all(isinstance(v, scalars) for v in value)):
            if isinstance(value, list):
                value = [self._substitute(v, where) if isinstance(v, str) else v for v in value]
            text = yaml.safe_dump(value, default_flow_style=True)
            return text.removesuffix("...\n").strip()
        raise LaunchError(f"{where}: a parameter value is a scalar or a non-empty list of scalars; "
                          "put structured parameters in a parameter file (param: [{from: FILE}])")

    # --- helpers ---

    def _check_keys(self, body: Any, where: str, required: set[str], optional: set[str]) -> None:
        if not isinstance(body, dict):
            raise LaunchError(f"{where}: expected a mapping of attributes, got {body!r}")
        unknown = sorted(set(body) - required - optional)
        if unknown:
            raise LaunchError(f"{where}: unsupported attribute(s) {', '.join(unknown)}; "
                              f"supported: {', '.join(sorted(required | optional))}")
        missing = sorted(required - set(body))
        if missing:
            raise LaunchError(f"{where}: missing attribute(s) {', '.join(missing)}")

    def _string(self, body: dict, key: str, where: str) -> str:
        value = body[key]
        if not isinstance(value, str):
            # launch_yaml does not coerce types either: `ros2 launch` would reject this file.
            raise LaunchError(f"{where}: attribute {key!r} must be a string (quote it), "
                              f"got {value!r}")
        return value

    def _entity_list(self, body: dict, key: str, where: str) -> list:
        entities = body.get(key, [])
        if not isinstance(entities, list):
            raise LaunchError(f"{where}: attribute {key!r} must be a list of mappings")
        return entities

    def _condition_holds(self, body: dict, where: str) -> bool:
        if "if" in body and "unless" in body:
            raise LaunchError(f"{where}: 'if' and 'unless' are mutually exclusive")
        for key, wanted in (("if", True), ("unless", False)):
            if key in body:
                value = self._substitute(self._string(body, key, where), where).strip().lower()
                if value not in ("true", "1", "false", "0"):
                    raise LaunchError(f"{where}: condition {key!r} evaluated to {value!r}; "
                                      "expected true, false, 1 or 0")
                return (value in ("true", "1")) == wanted
        return True

    def _namespace(self, namespace: str, where: str) -> str:
        if not namespace:
            return ""
        absolute = namespace if namespace.startswith("/") else "/" + namespace
        parts = absolute.strip("/").split("/") if absolute != "/" else []
        if absolute.endswith("/") and absolute != "/" or not all(_NAME.fullmatch(p) for p in parts):
            raise LaunchError(f"{where}: namespace {namespace!r} is not a valid ROS namespace")
        return absolute

    def _executable_path(self, executable: str, where: str) -> str:
        path = self.bin_dir / executable
        if "/" in executable or not path.is_file() or not os.access(path, os.X_OK):
            raise LaunchError(f"{where}: executable {executable!r} not found in {self.bin_dir}; "
                              f"it is a console script of the installed {PACKAGE} package "
                              "(pip install -e . in the virtual environment)")
        return str(path)

    def _substitute(self, text: str, where: str) -> str:
        if "$(" in _SUBSTITUTION.sub("", text):
            raise LaunchError(f"{where}: unterminated or nested substitution in {text!r}")
        return _SUBSTITUTION.sub(lambda match: self._evaluate(match.group(0), match.group(1), where),
                                 text)

    def _evaluate(self, whole: str, inner: str, where: str) -> str:
        try:
            words = shlex.split(inner)
        except ValueError as err:
            raise LaunchError(f"{where}: malformed substitution {whole!r}: {err}") from err
        kind, args = (words[0], words[1:]) if words else ("", [])
        if kind == "var" and len(args) == 1:
            if args[0] not in self.values:
                raise LaunchError(f"{where}: {whole} names no argument declared before it; "
                                  f"declared: {self._declared_text()}")
            return self.values[args[0]]
        if kind == "env" and len(args) in (1, 2):
            value = self.env.get(args[0], os.environ.get(args[0]))
            if value is None and len(args) == 1:
                raise LaunchError(f"{where}: environment variable {args[0]!r} is not set "
                                  f"(give a default: $(env {args[0]} DEFAULT))")
            return value if value is not None else args[1]
        if kind == "find-pkg-share" and len(args) == 1:
            if args[0] != PACKAGE:
                raise LaunchError(f"{where}: {whole}: only the {PACKAGE!r} package's share "
                                  "directory is known to this launcher")
            return str(share_dir())
        raise LaunchError(f"{where}: unsupported substitution {whole!r}; supported: $(var NAME), "
                          f"$(env NAME [DEFAULT]), $(find-pkg-share {PACKAGE})")

    def _declared_text(self) -> str:
        return ", ".join(f"{a.name} (default {a.default!r})" if a.default is not None else
                         f"{a.name} (required)" for a in self.declared) or "none"


class Launcher:
    """Starts a LaunchDescription's processes, each in its own process group, and always ends them.

    Environment of each process: os.environ + launch set_env + node env + env_overrides, with
    PYTHONUNBUFFERED=1 and ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST unless the caller (os.environ
    or env_overrides) chose a discovery range. Output goes line by line, prefixed `[name] `, to
    `stream` (default sys.stdout), or to `<log_dir>/<name>.log` when log_dir is given.
    """

    def __init__(self, description: LaunchDescription, env_overrides: Mapping[str, str] | None = None,
                 log_dir: str | Path | None = None, stream: IO[str] | None = None) -> None:
        self.description = description
        self.env_overrides = dict(env_overrides or {})
        self.log_dir = Path(log_dir) if log_dir is not None else None
        self.stream = stream
        self._processes: dict[str, subprocess.Popen] = {}
        self._live_groups: set[int] = set()
        self._pumps: list[threading.Thread] = []
        self._write_lock = threading.Lock()
        self._started = False
        self._finished = False

    def environment(self, spec: ProcessSpec) -> dict[str, str]:
        """The full environment `spec` is started with."""
        env = {**os.environ, **spec.env, **self.env_overrides, "PYTHONUNBUFFERED": "1"}
        if DISCOVERY_RANGE_VAR not in os.environ and DISCOVERY_RANGE_VAR not in self.env_overrides:
            # DDS discovery must stay on this machine unless the user widened it on purpose.
            env[DISCOVERY_RANGE_VAR] = "LOCALHOST"
        return env

    def start(self) -> None:
        """Spawn every process; if one cannot be spawned, end those already started and raise."""
        if self._started or self._finished:
            raise RuntimeError("a Launcher starts once; create a new one to launch again")
        self._started = True
        atexit.register(self.shutdown)
        stream = self.stream if self.stream is not None else sys.stdout
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
        try:
            for spec in self.description.processes:
                self._spawn(spec, stream)
        except BaseException:
            self.shutdown()
            raise

    def _spawn(self, spec: ProcessSpec, stream: IO[str]) -> None:
        if self.log_dir is not None:
            with open(self.log_dir / f"{spec.name}.log", "wb") as log:
                process = subprocess.Popen(spec.argv, env=self.environment(spec), stdin=subprocess.DEVNULL,
                                           stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        else:
            process = subprocess.Popen(spec.argv, env=self.environment(spec), stdin=subprocess.DEVNULL,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       start_new_session=True)
            pump = threading.Thread(target=self._pump, args=(spec.name, process.stdout, stream),
                                    name=f"launcher-output-{spec.name}", daemon=True)
            pump.start()
            self._pumps.append(pump)
        self._processes[spec.name] = process
        self._live_groups.add(process.pid)  # start_new_session: the group id is the leader's pid

    def _pump(self, name: str, pipe: IO[bytes], stream: IO[str]) -> None:
        with pipe:
            for raw in iter(pipe.readline, b""):
                line = raw.decode(errors="replace").rstrip("\r\n")
                with self._write_lock:
                    stream.write(f"[{name}] {line}\n")
                    stream.flush()

    def poll(self) -> dict[str, int | None]:
        """Each process's return code, or None while it runs."""
        return {name: process.poll() for name, process in self._processes.items()}

    def wait_any(self, timeout: float | None = None) -> str | None:
        """Wait until some process has exited and return its name; None if `timeout` s pass first."""
        if not self._started:
            raise RuntimeError("start() the Launcher before waiting on it")
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            exited = [name for name, code in self.poll().items() if code is not None]
            if exited or not self._processes:
                return exited[0] if exited else None
            if deadline is not None and time.monotonic() >= deadline:
                return None
            time.sleep(_POLL_S)

    def shutdown(self, timeout_s: float = 5.0) -> dict[str, int | None]:
        """SIGINT every process group, wait up to timeout_s, then SIGTERM, then SIGKILL.
        Idempotent; returns the return codes."""
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s}")
        if self._finished:
            return self.poll()
        for signal_number in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
            if not self._refresh_live_groups():
                break
            for group in self._live_groups:
                try:
                    os.killpg(group, signal_number)
                except ProcessLookupError:
                    pass  # the group ended between the check and the signal
            self._wait_for_groups(timeout_s)
        for pump in self._pumps:
            pump.join(timeout=timeout_s)
        self._finished = True
        atexit.unregister(self.shutdown)
        return self.poll()

    def _wait_for_groups(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while self._refresh_live_groups() and time.monotonic() < deadline:
            time.sleep(_POLL_S)

    def _refresh_live_groups(self) -> set[int]:
        self.poll()  # reap exited leaders so they no longer count as members
        self._live_groups = {group for group in self._live_groups if _group_has_live_member(group)}
        return self._live_groups

    def __enter__(self) -> Launcher:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()


def _group_has_live_member(group: int) -> bool:
    """Whether a process group still has a member that is not a zombie (orphans are not always
    reaped at once, e.g. in containers whose init does not reap)."""
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    proc = Path("/proc")
    if not proc.is_dir():
        return True
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # exited while we looked
        # Fields after the parenthesised command name: state, ppid, pgrp, ...
        state, _ppid, pgrp = stat.rpartition(")")[2].split()[:3]
        if int(pgrp) == group and state not in ("Z", "X"):
            return True
    return False


def _find_launch_file(text: str) -> Path:
    """A path, or the name of a file in the project's launch/ directory."""
    path = Path(text)
    if path.exists() or path.parent != Path("."):
        return path
    return share_dir() / "launch" / text


def interrupt_on_sigterm(signal_number: int, frame: object) -> None:
    """A SIGTERM handler: stop like Ctrl-C, so that every started process is shut down."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """`python -m griptalk.launcher FILE [name:=value ...]`: run until Ctrl-C or a process exits."""
    parser = argparse.ArgumentParser(
        prog="python -m griptalk.launcher",
        description="Run a griptalk ROS 2 YAML launch file without the ROS 2 CLI, like `ros2 launch`.")
    parser.add_argument("launch_file", help="a launch file path, or a file name in launch/")
    parser.add_argument("arguments", nargs="*", metavar="name:=value", help="launch arguments")
    parser.add_argument("--bin-dir", help="where the node executables are "
                                          "(default: the directory of this Python interpreter)")
    options = parser.parse_args(argv)
    try:
        description = LaunchDescription.load(_find_launch_file(options.launch_file),
                                             parse_launch_arguments(options.arguments),
                                             bin_dir=options.bin_dir)
    except LaunchError as err:
        print(f"error: {err}", file=sys.stderr)
        return 3
    if not description.processes:
        print(f"{description.path}: no process to start with these arguments", file=sys.stderr)
        return 0
    previous_handler = signal.signal(signal.SIGTERM, interrupt_on_sigterm)
    launcher = Launcher(description)
    exited = None
    try:
        launcher.start()
        exited = launcher.wait_any()
    except KeyboardInterrupt:
        print("[launcher] interrupted: shutting down", file=sys.stderr)
    finally:
        codes = launcher.shutdown()
        signal.signal(signal.SIGTERM, previous_handler)
    if exited is None:
        return 0
    print(f"[launcher] process {exited!r} exited with code {codes[exited]}; stopped the launch",
          file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
