"""`griptalk plan` through the whole graph for the language planner's newer families (nothing moves)."""
from __future__ import annotations

import json

import pytest

from tests.support import griptalk

pytestmark = pytest.mark.e2e


def plan(scene: str, instruction: str, env) -> tuple[int, dict]:
    result = griptalk("plan", "--scene", scene, instruction, "--json", env=env)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    return result.returncode, json.loads(result.stdout)


def steps(report: dict) -> list[str]:
    return [" ".join(filter(None, (s["skill"], s.get("object", {}).get("id"), s.get("relation"),
                                   s.get("target", {}).get("id")))) for s in report["plan"]]


def test_drawer_is_opened_before_putting_something_in_it(ros_env):
    code, report = plan("drawer", "could you stash the duck in the drawer", ros_env)
    assert code == 0 and report["status"] == "planned", report
    assert steps(report) == ["open drawer", "grasp duck", "place duck in drawer"]


def test_a_set_and_a_clarification(ros_env):
    code, report = plan("tabletop", "put all the cubes into the green bowl", ros_env)
    assert code == 0, report
    assert steps(report) == ["grasp red_cube", "place red_cube in green_bowl", "grasp blue_cube",
                             "place blue_cube in green_bowl"]
    code, report = plan("tabletop", "put the cube in the box", ros_env)
    assert code == 2 and report["status"] == "clarification_needed"
    assert "red cube" in report["message"] and "blue cube" in report["message"]
