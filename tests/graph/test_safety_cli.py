"""`griptalk estop` and `griptalk reset` against a safety supervisor process on a private domain."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from sensor_msgs.msg import JointState

from griptalk.paths import share_dir
from griptalk.robot import PANDA_HOME, PANDA_JOINTS
from griptalk.ros import qos
from griptalk.ros.node_processes import NodeProcesses
from griptalk.ros.safety_probe import SafetyProbe

pytestmark = pytest.mark.graph
GRIPTALK = str(Path(sys.executable).parent / "griptalk")


def griptalk(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([GRIPTALK, *args], capture_output=True, text=True, timeout=60)


def wait(done, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@pytest.fixture
def supervisor(ros_env, tmp_path):
    launch = share_dir() / "launch" / "sim.launch.yaml"
    with NodeProcesses(launch, ["safety_supervisor"], tmp_path / "logs") as processes, SafetyProbe() as probe:
        wait(lambda: probe.status is not None, 30.0, "the supervisor's status")
        yield processes, probe
        assert not processes.exited(), processes.log_tail("safety_supervisor")


def test_estop_latches_and_says_so(supervisor):
    _, probe = supervisor
    done = griptalk("estop", "--reason", "cli test")
    assert done.returncode == 0, done.stderr
    assert "e-stop from cli test" in done.stdout
    wait(lambda: probe.status.estop_latched, 5.0, "the latched status")
    assert "e-stop from cli test" in probe.status.reason


def test_reset_is_refused_while_the_cause_persists_then_clears(supervisor):
    _, probe = supervisor
    assert griptalk("estop").returncode == 0
    refused = griptalk("reset")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "reset refused: joint states are not fresh" in refused.stdout

    # Joint states from a driver: now nothing blocks the reset.
    joint_states = probe.node.create_publisher(JointState, "joint_states", qos.STATE)
    probe.node.create_timer(0.02, lambda: joint_states.publish(JointState(
        name=list(PANDA_JOINTS), position=[float(v) for v in PANDA_HOME], velocity=[0.0] * len(PANDA_JOINTS))))
    wait(lambda: len(probe.joints) >= 5, 10.0, "joint states")
    accepted = griptalk("reset")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "reset: cleared e-stop from operator (griptalk estop)" in accepted.stdout
    wait(lambda: not probe.status.estop_latched, 5.0, "the latch to clear")


def test_without_a_supervisor_both_fail_and_bad_usage_exits_3(ros_env):
    assert griptalk("reset", "--timeout", "0.5").returncode == 1
    assert griptalk("estop", "--timeout", "0.5").returncode == 1
    assert griptalk("reset", "--timeout", "-1").returncode == 3
    assert griptalk("estop", "--reason", "").returncode == 3
