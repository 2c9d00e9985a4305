"""The task suite's families: valid scenes, instructions the planner reads as intended, goals judged on truth."""
import numpy as np
import pytest
import torch

from griptalk.bench.planner import scene_graph
from griptalk.bench.task_families import FAMILIES, Goal, make_task, suite
from griptalk.bench.tasks import judge, summarize
from griptalk.cli.report import Report
from griptalk.planner.model_parser import ModelParser
from griptalk.planner.planner import Planner
from griptalk_sim.scene import OBJECT_TYPES, validate_layout
from griptalk_sim.truth import ObjectState

SEEDS = range(12)


@pytest.fixture(scope="module")
def planner():
    torch.set_num_threads(1)
    return Planner(ModelParser())


def perfect_scene(task):
    spec = {"objects": [{"id": o.id, "type": o.type, "color": o.color, "position": list(o.position)}
                        for o in task.scene.objects]}
    return scene_graph(spec)


def test_the_same_seed_gives_the_same_task_and_ten_episodes_cover_every_family():
    assert make_task("spatial", 5) == make_task("spatial", 5)
    assert {t.family for t in suite(10, 40)} == set(FAMILIES)
    assert [t.scene.seed for t in suite(3, 7)] == [7, 8, 9]


@pytest.mark.parametrize("family", FAMILIES)
def test_every_task_is_a_valid_scene_with_goals_on_its_objects(family):
    for seed in SEEDS:
        task = make_task(family, seed)
        validate_layout(task.scene)
        ids = {o.id for o in task.scene.objects}
        assert (task.group == "refusal") == (not task.goals), task
        for goal in task.goals:
            assert goal.subject in ids and (goal.target in ids or goal.relation in ("open", "closed")), (task, goal)


@pytest.mark.parametrize("family", FAMILIES)
def test_the_planner_reads_each_instruction_as_the_family_intends(planner, family):
    """On a perfect scene graph: goal families plan a placement per goal, refusal families answer as expected."""
    for seed in SEEDS:
        task = make_task(family, seed)
        outcome = planner.plan(task.instruction, perfect_scene(task))
        if task.group == "refusal":
            assert outcome.status == task.expect and not outcome.steps, (task.instruction, outcome.message)
            continue
        assert outcome.status == "planned", (task.instruction, outcome.message)
        placed = {(s.object.id, s.target.id) for s in outcome.steps if s.skill == "place"}
        assert placed == {(g.subject, g.target) for g in task.goals if g.target}, (task.instruction, outcome.steps)
        assert (len(outcome.steps) >= 3) == (task.group == "multi_step"), (task.instruction, outcome.steps)


def state(object_id, kind, xyz, opening=0.0):
    return ObjectState(object_id, kind, "red", np.array(xyz, float), np.array([0.0, 0.0, 0.0, 1.0]), 0.0, opening)


def test_goals_are_judged_on_ground_truth_states():
    cube_z = OBJECT_TYPES["cube"].size[2] / 2
    bowl = state("green_bowl", "bowl", [0.5, 0.0, 0.025])
    in_bowl = [state("red_cube", "cube", [0.5, 0.0, 0.008 + cube_z]), bowl]
    on_table = [state("red_cube", "cube", [0.3, 0.2, cube_z]), bowl]
    goal = Goal("red_cube", "in", "green_bowl")
    assert goal.holds(in_bowl) and not goal.holds(on_table)
    drawer = [state("drawer", "drawer", [0.6, 0.3, 0.06], opening=0.15)]
    assert Goal("drawer", "open").holds(drawer) and not Goal("drawer", "closed").holds(drawer)


def test_a_refusal_counts_only_with_the_expected_answer_no_step_and_nothing_moved():
    task = make_task("unsafe", 3)
    states = [state("red_cube", "cube", [0.3, 0.2, 0.02])]
    right = Report(task.instruction, executed=True, status="refused", states=states)
    assert judge(task, right) == 1.0
    assert judge(task, Report(task.instruction, True, status="refused", states=states, moved=["red_cube"])) == 0.0
    assert judge(task, Report(task.instruction, True, status="succeeded", states=states)) == 0.0
    assert judge(task, Report(task.instruction, True, status="failed")) == 0.0  # the graph broke: no truth read


def test_summary_rates_per_family_and_group():
    def episode(family, group, credit, stops=()):
        return {"family": family, "group": group, "seed": 0, "instruction": "", "credit": credit,
                "success": credit == 1.0, "status": "done", "expect": "done", "message": "", "unmet": [], "moved": [],
                "task_seconds": 10.0, "safety_stops": list(stops), "force_over_limit_events": 0,
                "force_peak_n": 3.0, "claim_contradicted": False}
    metrics = summarize([episode("stack", "single_step", 1.0), episode("drawer", "multi_step", 0.5, ["force"]),
                         episode("unsafe", "refusal", 1.0)])
    assert metrics["success_rate"] == round(2 / 3, 4) and metrics["partial_credit"] == round(2.5 / 3, 4)
    assert metrics["single_step"] == 1.0 and metrics["multi_step"] == 0.0 and metrics["refusal_correct"] == 1.0
    assert metrics["success_rate_by_family"] == {"stack": 1.0, "drawer": 0.0, "unsafe": 1.0}
    assert metrics["safety_stops"] == 1 and [f["family"] for f in metrics["failures"]] == ["drawer"]
