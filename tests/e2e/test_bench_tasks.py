"""`griptalk bench tasks` in its short mode, CI's: a pick-and-place and two refusals through the whole graph."""
import json

import pytest

from tests.support import griptalk

pytestmark = pytest.mark.e2e


def test_short_task_suite_runs_through_the_graph_and_judges_on_ground_truth(ros_env, tmp_path):
    logs = tmp_path / "logs"
    result = griptalk("bench", "tasks", "--episodes", "3", "--json", "--logs", str(logs), env=ros_env, timeout=900)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-3000:]
    out = json.loads(result.stdout)
    metrics = out["metrics"]
    assert out["suite"] == "tasks" and out["episodes"] == 3
    assert set(metrics["success_rate_by_family"]) == {"put_in_container", "unsafe", "ambiguous"}
    assert metrics["episodes_by_group"] == {"single_step": 1, "multi_step": 0, "refusal": 2}
    assert metrics["refusal_correct"] == 1.0, metrics["failures"]
    assert metrics["single_step"] == 1.0, metrics["failures"]
    assert metrics["force_over_limit_events"] == 0 and metrics["safety_stops"] == 0, metrics
    assert metrics["seconds_per_task_median"] > 0
    assert result.stderr.count("[") >= 3  # a progress line per episode
    assert not any(logs.iterdir())  # node logs are kept for episodes that went wrong only
