"""Bad usage and bad input: exit code 3, one clear line, no stack trace, nothing started."""
from __future__ import annotations

import pytest

from tests.support import griptalk


def assert_usage_error(result, *words: str) -> None:
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0]


def test_unknown_scene(ros_env):
    assert_usage_error(griptalk("run", "--scene", "no_such_scene", "put the red cube in the green bowl",
                                env=ros_env), "no_such_scene", "tabletop")


def test_malformed_scene_file(ros_env, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("objects:\n  - {type: cube, color: red, position: [0.5, 0.1]\n")
    assert_usage_error(griptalk("plan", "--scene", str(bad), "pick up the red cube", env=ros_env), "bad.yaml")


def test_scene_with_unreachable_object_names_it(ros_env, tmp_path):
    far = tmp_path / "far.yaml"
    far.write_text("objects:\n  - {id: far_cube, type: cube, color: red, position: [1.5, 0.0]}\n")
    assert_usage_error(griptalk("run", "--scene", str(far), "pick up the red cube", env=ros_env), "far_cube")


@pytest.mark.parametrize("instruction", ["", "   "])
def test_empty_instruction(ros_env, instruction):
    assert_usage_error(griptalk("run", instruction, env=ros_env), "empty")


def test_unknown_option(ros_env):
    assert_usage_error(griptalk("run", "--speed", "9", "pick up the red cube", env=ros_env), "--speed")


def test_scene_and_seed_together(ros_env):
    assert_usage_error(griptalk("run", "--scene", "tabletop", "--seed", "3", "pick up the red cube", env=ros_env),
                       "--seed")


def test_unknown_benchmark_suite(ros_env):
    assert_usage_error(griptalk("bench", "no_such_suite", env=ros_env), "no_such_suite")


def test_logs_for_a_suite_without_a_graph(ros_env, tmp_path):
    assert_usage_error(griptalk("bench", "control", "--logs", str(tmp_path), env=ros_env), "--logs", "control")
