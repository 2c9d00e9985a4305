"""Grounding, plan construction from skill schemas, precondition and postcondition checks."""
import json

import pytest

from griptalk.planner import (
    AmbiguousReference,
    Description,
    ObjectNotFound,
    Planner,
    PlanOutcome,
    PostconditionConfig,
    PreconditionError,
    SchemaConfig,
    WorldState,
    check_postcondition,
    check_preconditions,
    ground,
)
from griptalk.types import ObjectRef, PlanStep, Relation, SceneGraph, SceneObject

CUBE = (0.045, 0.045, 0.045)
BOWL = (0.16, 0.16, 0.06)


def thing(object_id, object_class, color, x, y, size, z=None, **kw):
    z = size[2] / 2.0 if z is None else z
    return SceneObject(object_id, object_class, color, [x, y, z], size=list(size), **kw)


def table(*extra, relations=(), drawer_opening_m=0.0):
    objects = [
        thing("red_cube", "cube", "red", 0.50, 0.10, CUBE),
        thing("blue_cube", "cube", "blue", 0.55, -0.05, CUBE),
        thing("green_bowl", "bowl", "green", 0.45, -0.20, BOWL),
        thing("drawer", "drawer", "", 0.62, 0.30, (0.30, 0.35, 0.20)),
        thing("yellow_duck", "duck", "yellow", 0.40, 0.25, (0.06, 0.05, 0.05)),
        *extra,
    ]
    return SceneGraph(objects, list(relations), drawer_opening_m)


def skills(outcome: PlanOutcome):
    return [s.describe() for s in outcome.steps]


# --- grounding ---------------------------------------------------------------------------------------------------

def test_ground_exactly_one_match():
    assert ground(Description("red", "cube"), table()).id == "red_cube"
    assert ground(Description(object_class="bowl"), table()).id == "green_bowl"
    assert ground(Description(color="yellow"), table()).id == "yellow_duck"


def test_ground_missing_names_what_is_there():
    with pytest.raises(ObjectNotFound) as err:
        ground(Description("purple", "cube"), table())
    assert str(err.value) == ("I can't see a purple cube; I see: blue cube, drawer, green bowl, red cube and "
                              "yellow duck.")


def test_ground_ignores_stale_objects():
    scene = table(thing("purple_cube", "cube", "purple", 0.6, 0.0, CUBE, stale=True))
    with pytest.raises(ObjectNotFound, match="purple cube"):
        ground(Description("purple", "cube"), scene)
    with pytest.raises(ObjectNotFound, match="I see: nothing"):
        ground(Description("red", "cube"), SceneGraph([thing("red_cube", "cube", "red", 0.5, 0, CUBE, stale=True)]))


def test_ground_ambiguous_asks_which():
    with pytest.raises(AmbiguousReference) as err:
        ground(Description(object_class="cube"), table())
    assert "Which cube do you mean: the red cube or the blue cube?" in str(err.value)
    assert {o.id for o in err.value.candidates} == {"red_cube", "blue_cube"}


def test_look_alikes_are_told_apart_by_side_and_can_be_chosen_by_side():
    scene = table(thing("red_cube_2", "cube", "red", 0.60, -0.25, CUBE))
    with pytest.raises(AmbiguousReference, match="the left red cube or the right red cube"):
        ground(Description("red", "cube"), scene)
    assert ground(Description("red", "cube", side="left"), scene).id == "red_cube"
    assert ground(Description("red", "cube", side="right"), scene).id == "red_cube_2"


# --- planning ----------------------------------------------------------------------------------------------------

def test_put_in_plans_grasp_then_place():
    outcome = Planner().plan("put the red cube in the green bowl", table())
    assert outcome.status == "planned"
    assert outcome.steps == [
        PlanStep("grasp", ObjectRef("red_cube", "cube", "red")),
        PlanStep("place", ObjectRef("red_cube", "cube", "red"), ObjectRef("green_bowl", "bowl", "green"), "in"),
    ]
    assert outcome.message == "I will grasp the red cube, then place the red cube in the green bowl."


def test_plan_json_matches_the_contract():
    data = json.loads(json.dumps(Planner().plan("Please place the red block into the green dish.", table()).to_dict()))
    assert data["status"] == "planned"
    assert data["plan"] == [
        {"skill": "grasp", "object": {"id": "red_cube", "type": "cube", "color": "red"}},
        {"skill": "place", "object": {"id": "red_cube", "type": "cube", "color": "red"},
         "target": {"id": "green_bowl", "type": "bowl", "color": "green"}, "relation": "in"},
    ]


def test_pick_up_plans_one_grasp():
    outcome = Planner().plan("pick up the yellow duck", table())
    assert (outcome.status, skills(outcome)) == ("planned", ["grasp the yellow duck"])


def test_pick_then_put_does_not_grasp_twice():
    outcome = Planner().plan("pick up the red cube and put it on the blue cube", table())
    assert skills(outcome) == ["grasp the red cube", "place the red cube on the blue cube"]


def test_move_to_chooses_in_for_containers_and_on_otherwise():
    to_bowl = Planner().plan("move the red cube to the bowl", table())
    to_cube = Planner().plan("move the red cube to the blue cube", table())
    assert skills(to_bowl)[-1] == "place the red cube in the green bowl"
    assert skills(to_cube)[-1] == "place the red cube on the blue cube"


def test_open_drawer_and_put_inside():
    outcome = Planner().plan("open the drawer and put the duck inside", table())
    assert skills(outcome) == ["open the drawer", "grasp the yellow duck", "place the yellow duck in the drawer"]


def test_home_and_stop():
    assert [s.skill for s in Planner().plan("go home", table()).steps] == ["home"]
    stop = Planner().plan("stop!", table())
    assert (stop.status, stop.stop, stop.steps) == ("planned", True, [])


@pytest.mark.parametrize("text,reason", [
    ("put the purple cube in the green bowl", "I can't see a purple cube; I see: blue cube, drawer"),
    ("throw the red cube", "won't throw"),
    ("put the red cube on the floor", "floor"),
    ("sing a song", "I don't understand 'sing a song'"),
    ("", "empty"),
    ("   ", "empty"),
    ("put the red cube in the blue cube", "I can only put things in bowls, boxes or drawers"),
    ("put the red cube in the red cube", "in itself"),
    ("pick up the green bowl", "I can't grasp the green bowl: I can only grasp cubes, ducks, legos or mugs"),
    ("close the drawer", "already closed"),
    ("open the drawer", None),
])
def test_refusals_carry_a_reason_and_no_steps(text, reason):
    outcome = Planner().plan(text, table())
    if reason is None:
        assert outcome.status == "planned"
        return
    assert outcome.status == "refused"
    assert outcome.steps == []
    assert reason in outcome.message


@pytest.mark.parametrize("text", ["pick up the cube", "put the cube in the bowl", "put the red cube on the cube"])
def test_ambiguous_descriptions_need_clarification(text):
    outcome = Planner().plan(text, table())
    assert outcome.status == "clarification_needed"
    assert outcome.steps == []
    assert "Which cube do you mean" in outcome.message
    assert {c.id for c in outcome.candidates} == {"red_cube", "blue_cube"}
    assert outcome.to_dict()["plan"] == []


def test_cube_already_in_the_bowl_is_refused():
    scene = table(relations=[Relation("red_cube", "in", "green_bowl")])
    outcome = Planner().plan("put the red cube in the green bowl", scene)
    assert (outcome.status, outcome.message) == (
        "refused", "I can't put the red cube in the green bowl: it is already there.")


def test_target_smaller_than_object_is_refused():
    scene = table(thing("pink_box", "box", "pink", 0.35, -0.05, (0.04, 0.04, 0.03)))
    outcome = Planner().plan("put the duck in the pink box", scene)
    assert outcome.status == "refused"
    assert "bigger than the pink box" in outcome.message


def test_full_container_is_refused():
    scene = table(thing("pink_box", "box", "pink", 0.35, -0.05, (0.07, 0.07, 0.05)),
                  relations=[Relation("blue_cube", "in", "pink_box")])
    outcome = Planner().plan("put the red cube in the pink box", scene)
    assert outcome.status == "refused"
    assert "no room left in the pink box" in outcome.message


def test_object_under_another_cannot_be_grasped_and_covered_support_is_refused():
    scene = table(relations=[Relation("blue_cube", "on", "red_cube")])
    assert "the blue cube is on top of it" in Planner().plan("pick up the red cube", scene).message
    assert "already on it" in Planner().plan("put the duck on the red cube", scene).message


def test_too_wide_object_is_refused():
    scene = table(thing("white_mug", "mug", "white", 0.35, -0.05, (0.10, 0.10, 0.10)))
    assert "my gripper opens to 8.0 cm" in Planner().plan("grab the white mug", scene).message


def test_open_drawer_allows_put_in_drawer_directly():
    outcome = Planner().plan("put the duck in the drawer", table(drawer_opening_m=0.15))
    assert skills(outcome) == ["grasp the yellow duck", "place the yellow duck in the drawer"]
    assert Planner().plan("open the drawer", table(drawer_opening_m=0.15)).status == "refused"


def test_outcome_and_config_validate():
    with pytest.raises(ValueError, match="status"):
        PlanOutcome("x", "maybe", "")
    with pytest.raises(ValueError, match="carries no steps"):
        PlanOutcome("x", "refused", "no", steps=[PlanStep("home")])
    with pytest.raises(ValueError, match="drawer_closed_max_m"):
        SchemaConfig(drawer_open_min_m=0.01, drawer_closed_max_m=0.02)
    with pytest.raises(ValueError, match="min_lift_m"):
        PostconditionConfig(min_lift_m=0.0)


# --- postconditions ----------------------------------------------------------------------------------------------

RED = ObjectRef("red_cube", "cube", "red")
BOWL_REF = ObjectRef("green_bowl", "bowl", "green")
GRASP = PlanStep("grasp", RED)
PLACE_IN = PlanStep("place", RED, BOWL_REF, "in")


def moved(scene, object_id, x, y, z, stale=False):
    objects = [thing(o.id, o.object_class, o.color, x, y, o.size, z=z, stale=stale) if o.id == object_id else o
               for o in scene.objects]
    return SceneGraph(objects, [], scene.drawer_opening_m)


def test_grasp_postcondition():
    before = table()
    assert check_postcondition(GRASP, before, moved(before, "red_cube", 0.5, 0.1, 0.20))[0]
    assert check_postcondition(GRASP, before, moved(before, "red_cube", 0.5, 0.1, 0.0225, stale=True))[0]
    ok, message = check_postcondition(GRASP, before, before)
    assert not ok and "still where it was" in message


def test_place_in_postcondition_by_relation_or_geometry():
    before = table()
    by_relation = SceneGraph(before.objects, [Relation("red_cube", "in", "green_bowl")])
    assert check_postcondition(PLACE_IN, before, by_relation)[0]
    in_bowl = moved(before, "red_cube", 0.46, -0.19, 0.0325)
    assert check_postcondition(PLACE_IN, before, in_bowl) == (
        True, "the red cube in the green bowl: its bottom is +1.0 cm above the floor of the green bowl")
    ok, message = check_postcondition(PLACE_IN, before, moved(before, "red_cube", 0.60, -0.19, 0.0225))
    assert not ok and "not over the green bowl" in message
    ok, message = check_postcondition(PLACE_IN, before, moved(before, "red_cube", 0.45, -0.20, 0.30))
    assert not ok and "is not in the green bowl" in message
    ok, message = check_postcondition(PLACE_IN, before, moved(before, "red_cube", 0.45, -0.20, 0.03, stale=True))
    assert not ok and "can't see the red cube" in message
    bowl_hidden = moved(in_bowl, "green_bowl", 0.45, -0.20, 0.025, stale=True)  # judged where it was last seen
    assert check_postcondition(PLACE_IN, before, bowl_hidden)[0]
    # Seen with the arm out of the view, a released cube that is nowhere in sight went into the bowl...
    cube_gone = SceneGraph([o for o in before.objects if o.id != "red_cube"])
    ok, message = check_postcondition(PLACE_IN, before, cube_gone, arm_clear=True)
    assert ok and "nowhere in view" in message
    # ... but not while the arm may hide it, nor when the bowl is not in view either.
    assert not check_postcondition(PLACE_IN, before, cube_gone)[0]
    both_gone = moved(cube_gone, "green_bowl", 0.45, -0.20, 0.025, stale=True)
    assert not check_postcondition(PLACE_IN, before, both_gone, arm_clear=True)[0]


def test_place_on_postcondition():
    before = table()
    step = PlanStep("place", RED, ObjectRef("blue_cube", "cube", "blue"), "on")
    assert check_postcondition(step, before, moved(before, "red_cube", 0.55, -0.05, 0.0675))[0]
    assert not check_postcondition(step, before, moved(before, "red_cube", 0.55, -0.05, 0.0225))[0]
    # Seen from above, the red cube on the blue one looks like a column down to the table, the blue one hidden.
    red_column = thing("red_cube", "cube", "red", 0.55, -0.05, (0.045, 0.045, 0.09))
    blue_hidden = thing("blue_cube", "cube", "blue", 0.55, -0.05, CUBE, stale=True)
    others = [o for o in before.objects if o.id not in ("red_cube", "blue_cube")]
    column = SceneGraph(others + [red_column, blue_hidden])
    ok, message = check_postcondition(step, before, column)
    assert ok and "4.5 cm above the top of the blue cube" in message
    beside = moved(before, "red_cube", 0.60, -0.05, 0.045)
    assert not check_postcondition(step, before, beside)[0]


def test_drawer_postconditions():
    drawer = ObjectRef("drawer", "drawer", "")
    assert check_postcondition(PlanStep("open", drawer), table(), table(drawer_opening_m=0.15))[0]
    assert not check_postcondition(PlanStep("open", drawer), table(), table(drawer_opening_m=0.03))[0]
    assert check_postcondition(PlanStep("close", drawer), table(drawer_opening_m=0.15), table())[0]
    into_drawer = PlanStep("place", ObjectRef("yellow_duck", "duck", "yellow"), drawer, "in")
    after = SceneGraph(table().objects, [Relation("yellow_duck", "inside_drawer", "drawer")], 0.15)
    assert check_postcondition(into_drawer, table(), after)[0]


# --- re-checking a step against fresh perception, as the planner node does before acting --------------------------

def test_step_is_rechecked_against_fresh_perception():
    config = SchemaConfig()
    before = table()
    red = before.get("red_cube")
    hand_hides_cube = SceneGraph([o for o in before.objects if o.id != "red_cube"])
    check_preconditions(PLACE_IN, WorldState.from_scene(hand_hides_cube, held=red), config)
    with pytest.raises(PreconditionError, match="I am not holding it"):
        check_preconditions(PLACE_IN, WorldState.from_scene(before), config)
    bowl_gone = SceneGraph([o for o in hand_hides_cube.objects if o.id != "green_bowl"])
    with pytest.raises(PreconditionError, match="can't see the green bowl"):
        check_preconditions(PLACE_IN, WorldState.from_scene(bowl_gone, held=red), config)
    # The arm carrying the cube hides the bowl from the camera: its remembered pose is used, only while holding.
    arm_hides_bowl = moved(hand_hides_cube, "green_bowl", 0.45, -0.20, 0.025, stale=True)
    check_preconditions(PLACE_IN, WorldState.from_scene(arm_hides_bowl, held=red), config)
    with pytest.raises(PreconditionError, match="can't see the green bowl"):
        check_preconditions(PlanStep("place", ObjectRef("blue_cube", "cube", "blue"), BOWL_REF, "in"),
                            WorldState.from_scene(moved(before, "green_bowl", 0.45, -0.20, 0.025, stale=True)),
                            config)
    with pytest.raises(PreconditionError, match="can't see the red cube"):
        check_preconditions(GRASP, WorldState.from_scene(moved(before, "red_cube", 0.5, 0.1, 0.02, stale=True)),
                            config)
