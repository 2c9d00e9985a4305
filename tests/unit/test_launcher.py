"""The project's launcher: YAML launch parsing into `--ros-args`, and process lifetime (no ROS needed)."""
from __future__ import annotations

import io
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from griptalk.launcher import (LaunchDescription, LaunchError, Launcher, ProcessSpec, main,
                               parse_launch_arguments)
from griptalk.paths import share_dir
from tests.support import default_sigint

PYTHON = sys.executable


def _script(bin_dir: Path, name: str, body: str) -> Path:
    """A fake console script: a Python program named like a node executable."""
    path = bin_dir / name
    path.write_text(f"#!{PYTHON}\n" + textwrap.dedent(body))
    path.chmod(0o755)
    return path


def _alive(pid: int) -> bool:
    """Running and not a zombie (this container's init does not always reap orphans)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def _wait_for_file(path: Path, timeout_s: float = 10.0) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().endswith("\n"):
            return path.read_text()
        time.sleep(0.02)
    raise AssertionError(f"{path} was not written within {timeout_s} s")


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "bin"
    directory.mkdir()
    for name in ("perception_node", "planner_node"):
        _script(directory, name, "import time\ntime.sleep(60)\n")
    return directory


@pytest.fixture
def write_launch(tmp_path: Path):
    def write(text: str, name: str = "test.launch.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return path
    return write


def _load(path: Path, bin_dir: Path, **arguments: str) -> LaunchDescription:
    return LaunchDescription.load(path, arguments, bin_dir=bin_dir)


# --- parsing -------------------------------------------------------------------------------------

def test_node_becomes_ros_args_in_declaration_order(write_launch, bin_dir, tmp_path):
    params = tmp_path / "camera.yaml"
    params.write_text("/**:\n  ros__parameters: {width: 640}\n")
    path = write_launch(f"""
        launch:
        - arg: {{name: scene, default: tabletop, description: "scene name"}}
        - node:
            pkg: griptalk
            exec: perception_node
            name: perception
            namespace: robot1
            output: screen
            param:
            - {{from: {params}}}
            - {{name: scene, value: $(var scene)}}
            - {{name: rate_hz, value: 30}}
            - {{name: gain, value: 0.5}}
            - {{name: enabled, value: true}}
            - {{name: ids, value: [1, 2]}}
            - {{name: count_text, value: "7"}}
            remap:
            - {{from: camera/color/image_raw, to: /my_camera/color}}
        """)
    [process] = _load(path, bin_dir).processes
    assert process == ProcessSpec(
        name="perception",
        argv=[str(bin_dir / "perception_node"), "--ros-args",
              "-r", "__node:=perception", "-r", "__ns:=/robot1",
              "--params-file", str(params),
              "-p", "scene:=tabletop", "-p", "rate_hz:=30", "-p", "gain:=0.5",
              "-p", "enabled:=true", "-p", "ids:=[1, 2]", "-p", "count_text:=7",
              "-r", "camera/color/image_raw:=/my_camera/color"],
        env={})


def test_minimal_node_has_no_name_or_namespace_rules(write_launch, bin_dir):
    path = write_launch("""
        launch:
        - node: {pkg: griptalk, exec: planner_node, namespace: ""}
        """)
    [process] = _load(path, bin_dir).processes
    assert process.name == "planner_node"
    assert process.argv == [str(bin_dir / "planner_node"), "--ros-args"]


def test_substitutions_var_env_and_package_share(write_launch, bin_dir, monkeypatch):
    monkeypatch.setenv("GT_LAUNCH_TEST_HOME", "/opt/robot")
    monkeypatch.delenv("GT_LAUNCH_TEST_UNSET", raising=False)
    path = write_launch("""
        launch:
        - arg: {name: scene, default: tabletop}
        - arg: {name: label, default: "$(var scene)-$(env GT_LAUNCH_TEST_UNSET fallback)"}
        - node:
            pkg: griptalk
            exec: perception_node
            param:
            - {from: $(find-pkg-share griptalk)/config/camera.yaml}
            - {name: home, value: $(env GT_LAUNCH_TEST_HOME)}
            - {name: label, value: $(var label)}
            - {name: empty_default, value: "x$(env GT_LAUNCH_TEST_UNSET '')y"}
        """)
    [process] = _load(path, bin_dir).processes
    assert process.argv[2:] == [
        "--params-file", str(share_dir() / "config" / "camera.yaml"),
        "-p", "home:=/opt/robot", "-p", "label:=tabletop-fallback", "-p", "empty_default:=xy"]


def test_arguments_default_override_and_resolved_values(write_launch, bin_dir):
    path = write_launch("""
        launch:
        - arg: {name: scene, default: tabletop, description: "which scene"}
        - arg: {name: seed, default: "0"}
        - node:
            pkg: griptalk
            exec: perception_node
            param: [{name: scene, value: $(var scene)}, {name: seed, value: $(var seed)}]
        """)
    assert _load(path, bin_dir).arguments == {"scene": "tabletop", "seed": "0"}
    description = _load(path, bin_dir, scene="drawer", seed="4")
    assert description.arguments == {"scene": "drawer", "seed": "4"}
    assert description.processes[0].argv[-4:] == ["-p", "scene:=drawer", "-p", "seed:=4"]
    assert [a.name for a in description.declared] == ["scene", "seed"]
    assert description.declared[0].description == "which scene"


def test_unknown_argument_lists_the_declared_ones(write_launch, bin_dir):
    path = write_launch("""
        launch:
        - arg: {name: scene, default: tabletop}
        - arg: {name: use_sim, default: "true"}
        """)
    with pytest.raises(LaunchError, match=r"unknown launch argument\(s\) scen\b.*scene.*use_sim"):
        _load(path, bin_dir, scen="drawer")


def test_required_argument_must_be_given(write_launch, bin_dir):
    path = write_launch("""
        launch:
        - arg: {name: robot_ip, description: "address of the arm"}
        """)
    with pytest.raises(LaunchError, match=r"'robot_ip' is required \(address of the arm\)"):
        _load(path, bin_dir)
    assert _load(path, bin_dir, robot_ip="10.0.0.2").arguments == {"robot_ip": "10.0.0.2"}


@pytest.mark.parametrize("use_sim, expected", [("true", ["sim", "perception_node"]),
                                               ("True", ["sim", "perception_node"]),
                                               ("1", ["sim", "perception_node"]),
                                               ("false", ["driver", "perception_node"]),
                                               ("0", ["driver", "perception_node"])])
def test_if_and_unless_conditions(write_launch, bin_dir, use_sim, expected):
    path = write_launch("""
        launch:
        - arg: {name: use_sim, default: "true"}
        - node: {pkg: griptalk, exec: planner_node, name: sim, if: $(var use_sim)}
        - node: {pkg: griptalk, exec: planner_node, name: driver, unless: $(var use_sim)}
        - node: {pkg: griptalk, exec: perception_node}
        """)
    assert [p.name for p in _load(path, bin_dir, use_sim=use_sim).processes] == expected


def test_condition_that_is_not_a_boolean_is_an_error(write_launch, bin_dir):
    path = write_launch("""
        launch:
        - arg: {name: use_sim, default: "yes"}
        - node: {pkg: griptalk, exec: planner_node, if: $(var use_sim)}
        """)
    with pytest.raises(LaunchError, match="evaluated to 'yes'; expected true, false, 1 or 0"):
        _load(path, bin_dir)


def test_set_env_applies_to_later_nodes_and_node_env_adds_to_it(write_launch, bin_dir):
    path = write_launch("""
        launch:
        - node: {pkg: griptalk, exec: planner_node, name: early}
        - set_env: {name: GT_LEVEL, value: debug}
        - set_env: {name: GT_SKIPPED, value: x, if: "false"}
        - node:
            pkg: griptalk
            exec: perception_node
            name: late
            env: [{name: GT_EXTRA, value: $(env GT_LEVEL)}]
        """)
    early, late = _load(path, bin_dir).processes
    assert early.env == {}
    assert late.env == {"GT_LEVEL": "debug", "GT_EXTRA": "debug"}


@pytest.mark.parametrize("entity, message", [
    ("- include: {file: other.launch.yaml}", r"entry 1 \(include\): unsupported entity 'include'"),
    ("- node: {pkg: griptalk, exec: planner_node, respawn: 'true'}",
     r"entry 1 \(node\) 'planner_node': unsupported attribute\(s\) respawn"),
    ("- node: {pkg: griptalk, exec: planner_node, args: '--x'}", r"unsupported attribute\(s\) args"),
    ("- node: {pkg: griptalk, name: planner}", r"missing attribute\(s\) exec"),
    ("- node: {pkg: nav2_bringup, exec: planner_node}", r"package 'nav2_bringup' is not runnable"),
    ("- node: {pkg: griptalk, exec: no_such_node}", r"executable 'no_such_node' not found in .*bin"),
    ("- node: {pkg: griptalk, exec: planner_node, param: [{from: /no/such.yaml}]}",
     r"parameter file /no/such.yaml does not exist"),
    ("- node: {pkg: griptalk, exec: planner_node, param: [{name: a, value: {b: 1}}]}",
     r"param 'a': a parameter value is a scalar"),
    ("- node: {pkg: griptalk, exec: planner_node, param: [{name: a, value: 1, type: str}]}",
     r"unsupported attribute\(s\) type"),
    ("- node: {pkg: griptalk, exec: planner_node, name: 'bad-name'}", r"not a valid ROS name"),
    ("- node: {pkg: griptalk, exec: planner_node, output: loud}", r"output must be one of"),
    ("- node: {pkg: griptalk, exec: planner_node, if: 'true', unless: 'true'}",
     r"mutually exclusive"),
    ("- node: {pkg: griptalk, exec: '$(command which ls)'}", r"unsupported substitution"),
    ("- node: {pkg: griptalk, exec: '$(find-pkg-share nav2)/x'}", r"only the 'griptalk' package"),
    ("- node: {pkg: griptalk, exec: '$(var missing)'}", r"names no argument declared before it"),
    ("- node: {pkg: griptalk, exec: '$(env GT_LAUNCH_TEST_UNSET)'}",
     r"environment variable 'GT_LAUNCH_TEST_UNSET' is not set"),
    ("- node: {pkg: griptalk, exec: '$(env $(var x))'}", r"unterminated or nested substitution"),
    ("- arg: {name: seed, default: 3}", r"attribute 'default' must be a string \(quote it\)"),
    ("- arg: {name: seed, default: '1'}\n- arg: {name: seed, default: '2'}",
     r"argument declared twice"),
    ("- node: {pkg: griptalk, exec: planner_node}\n- node: {pkg: griptalk, exec: planner_node}",
     r"two processes named 'planner_node'"),
])
def test_anything_outside_the_subset_is_a_clear_error(write_launch, bin_dir, monkeypatch, entity,
                                                      message):
    monkeypatch.delenv("GT_LAUNCH_TEST_UNSET", raising=False)
    path = write_launch("launch:\n" + entity + "\n")
    with pytest.raises(LaunchError, match=message) as error:
        _load(path, bin_dir)
    assert str(path) in str(error.value)


@pytest.mark.parametrize("text", ["nodes: []", "launch: {node: {}}", "launch:\n- {arg: {}, node: {}}",
                                  "launch: [", ""])
def test_malformed_file_is_an_error(write_launch, bin_dir, text):
    with pytest.raises(LaunchError, match="test.launch.yaml"):
        _load(write_launch(text), bin_dir)


def test_parse_launch_arguments():
    assert parse_launch_arguments(["scene:=drawer", "note:=a:=b", "empty:="]) == \
        {"scene": "drawer", "note": "a:=b", "empty": ""}
    with pytest.raises(LaunchError, match="name:=value"):
        parse_launch_arguments(["scene=drawer"])


# --- running -------------------------------------------------------------------------------------

def _one_node_launch(write_launch, exec_name: str, name: str | None = None) -> Path:
    label = f", name: {name}" if name else ""
    return write_launch(f"launch:\n- node: {{pkg: griptalk, exec: {exec_name}{label}}}\n")


def test_environment_defaults_to_localhost_discovery(write_launch, bin_dir, tmp_path, monkeypatch):
    _script(bin_dir, "env_node", """
        import os
        for key in ("ROS_AUTOMATIC_DISCOVERY_RANGE", "PYTHONUNBUFFERED", "GT_OVERRIDE", "GT_LEVEL"):
            print(key, os.environ.get(key))
        """)
    path = write_launch("""
        launch:
        - set_env: {name: GT_LEVEL, value: from_launch}
        - node: {pkg: griptalk, exec: env_node}
        """)
    monkeypatch.delenv("ROS_AUTOMATIC_DISCOVERY_RANGE", raising=False)
    description = _load(path, bin_dir)
    with Launcher(description, env_overrides={"GT_OVERRIDE": "yes"}, log_dir=tmp_path / "a") as launcher:
        assert launcher.wait_any(timeout=20) == "env_node"
    assert (tmp_path / "a" / "env_node.log").read_text().splitlines() == [
        "ROS_AUTOMATIC_DISCOVERY_RANGE LOCALHOST", "PYTHONUNBUFFERED 1", "GT_OVERRIDE yes",
        "GT_LEVEL from_launch"]

    monkeypatch.setenv("ROS_AUTOMATIC_DISCOVERY_RANGE", "SUBNET")
    with Launcher(description, log_dir=tmp_path / "b") as launcher:
        assert launcher.wait_any(timeout=20) == "env_node"
    assert "ROS_AUTOMATIC_DISCOVERY_RANGE SUBNET" in (tmp_path / "b" / "env_node.log").read_text()

    monkeypatch.delenv("ROS_AUTOMATIC_DISCOVERY_RANGE")
    widened = Launcher(description, env_overrides={"ROS_AUTOMATIC_DISCOVERY_RANGE": "SUBNET"})
    assert widened.environment(description.processes[0])["ROS_AUTOMATIC_DISCOVERY_RANGE"] == "SUBNET"


def test_output_lines_are_prefixed_with_the_process_name(write_launch, bin_dir):
    _script(bin_dir, "talker", """
        import sys
        print("hello")
        print("oops", file=sys.stderr)
        """)
    stream = io.StringIO()
    with Launcher(_load(_one_node_launch(write_launch, "talker", "chatter"), bin_dir),
                  stream=stream) as launcher:
        assert launcher.wait_any(timeout=20) == "chatter"
    assert sorted(stream.getvalue().splitlines()) == ["[chatter] hello", "[chatter] oops"]


def test_process_that_dies_is_reported_and_the_rest_keep_running(write_launch, bin_dir):
    _script(bin_dir, "crasher", "raise SystemExit(3)\n")
    path = write_launch("""
        launch:
        - node: {pkg: griptalk, exec: perception_node}
        - node: {pkg: griptalk, exec: crasher}
        """)
    with Launcher(_load(path, bin_dir), stream=io.StringIO()) as launcher:
        assert launcher.wait_any(timeout=20) == "crasher"
        assert launcher.poll() == {"perception_node": None, "crasher": 3}
        codes = launcher.shutdown(timeout_s=5)
    assert codes["perception_node"] is not None and codes["crasher"] == 3


def test_shutdown_ends_the_whole_group_even_a_child_that_ignores_signals(write_launch, bin_dir,
                                                                         tmp_path):
    child_pid_file = tmp_path / "child.pid"
    _script(bin_dir, "stubborn", f"""
        import signal, subprocess, sys, time
        ignore = "import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); " \\
                 "signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); " \\
                 "time.sleep(60)"
        child = subprocess.Popen([sys.executable, "-c", ignore], stdout=subprocess.PIPE)
        child.stdout.readline()  # its handlers are installed
        open({str(child_pid_file)!r}, "w").write(f"{{child.pid}}\\n")
        time.sleep(60)
        """)
    launcher = Launcher(_load(_one_node_launch(write_launch, "stubborn"), bin_dir),
                        stream=io.StringIO())
    launcher.start()
    child_pid = int(_wait_for_file(child_pid_file))
    leader_pid = launcher._processes["stubborn"].pid
    codes = launcher.shutdown(timeout_s=0.5)
    assert codes["stubborn"] is not None
    assert not _alive(leader_pid) and not _alive(child_pid)
    assert launcher.shutdown() == codes  # idempotent


def test_start_failure_leaves_nothing_running(write_launch, bin_dir):
    path = write_launch("""
        launch:
        - node: {pkg: griptalk, exec: perception_node}
        - node: {pkg: griptalk, exec: planner_node}
        """)
    description = _load(path, bin_dir)
    (bin_dir / "planner_node").unlink()  # vanishes between loading and starting
    launcher = Launcher(description, stream=io.StringIO())
    with pytest.raises(FileNotFoundError):
        launcher.start()
    assert launcher.poll()["perception_node"] is not None
    with pytest.raises(RuntimeError, match="starts once"):
        launcher.start()


def test_caller_that_exits_or_raises_leaves_no_process_behind(write_launch, bin_dir, tmp_path):
    pid_file = tmp_path / "node.pid"
    _script(bin_dir, "pid_node", f"""
        import os, time
        open({str(pid_file)!r}, "w").write(f"{{os.getpid()}}\\n")
        time.sleep(60)
        """)
    path = _one_node_launch(write_launch, "pid_node")
    caller = textwrap.dedent(f"""
        import pathlib, time
        from griptalk.launcher import LaunchDescription, Launcher
        launcher = Launcher(LaunchDescription.load({str(path)!r}, {{}}, bin_dir={str(bin_dir)!r}))
        launcher.start()
        pid_file = pathlib.Path({str(pid_file)!r})
        while not pid_file.exists():
            time.sleep(0.02)
        raise RuntimeError("the caller fails without shutting down")
        """)
    result = subprocess.run([PYTHON, "-c", caller], capture_output=True, text=True, timeout=60)
    assert "the caller fails" in result.stderr
    assert not _alive(int(_wait_for_file(pid_file)))


def test_main_stops_everything_when_a_process_dies(write_launch, bin_dir, capsys):
    _script(bin_dir, "crasher", "print('giving up')\nraise SystemExit(2)\n")
    path = write_launch("""
        launch:
        - node: {pkg: griptalk, exec: perception_node}
        - node: {pkg: griptalk, exec: crasher}
        """)
    assert main(["--bin-dir", str(bin_dir), str(path)]) == 1
    captured = capsys.readouterr()
    assert "[crasher] giving up" in captured.out
    assert "process 'crasher' exited with code 2" in captured.err


def test_main_rejects_bad_input_with_one_line(write_launch, bin_dir, capsys):
    path = write_launch("launch:\n- arg: {name: scene, default: tabletop}\n")
    assert main(["--bin-dir", str(bin_dir), str(path), "scenery:=drawer"]) == 3
    assert main(["--bin-dir", str(bin_dir), str(path), "scene"]) == 3
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 2 and all(line.startswith("error: ") for line in errors)


def test_main_shuts_down_cleanly_on_ctrl_c(write_launch, bin_dir, tmp_path):
    pid_file = tmp_path / "node.pid"
    _script(bin_dir, "pid_node", f"""
        import os, time
        open({str(pid_file)!r}, "w").write(f"{{os.getpid()}}\\n")
        time.sleep(60)
        """)
    path = _one_node_launch(write_launch, "pid_node")
    launcher = subprocess.Popen([PYTHON, "-m", "griptalk.launcher", "--bin-dir", str(bin_dir), str(path)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint)
    try:
        node_pid = int(_wait_for_file(pid_file))
        launcher.send_signal(signal.SIGINT)
        _out, err = launcher.communicate(timeout=30)
    finally:
        launcher.kill()
    assert launcher.returncode == 0, err
    assert not _alive(node_pid)
