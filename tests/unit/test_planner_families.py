"""Plans for sets, spatial references, stacking, the drawer's planned preconditions, and replanning.

The parser is replaced by a fixed Command, so these test grounding and plan construction alone.
"""
import pytest

from griptalk.planner import Planner, SchemaConfig
from griptalk.planner.execution import replan, verify_step
from griptalk.planner.language import Action, Command, Description
from griptalk.planner.schemas import PreconditionError
from griptalk.types import ObjectRef, PlanStep, Relation, SceneGraph, SceneObject

CUBE = (0.045, 0.045, 0.045)
BOWL = (0.16, 0.16, 0.05)
DRAWER_SIZE = (0.20, 0.30, 0.12)


def thing(object_id, object_class, color, x, y, size=CUBE, z=None):
    return SceneObject(object_id, object_class, color, [x, y, size[2] / 2.0 if z is None else z], size=list(size))


def cubes_scene(drawer_opening_m=0.0):
    objects = [
        thing("red_cube", "cube", "red", 0.40, 0.18),
        thing("red_cube_2", "cube", "red", 0.56, 0.08),
        thing("yellow_cube", "cube", "yellow", 0.34, 0.02),
        thing("blue_cube", "cube", "blue", 0.46, -0.02),
        thing("red_bowl", "bowl", "red", 0.38, -0.24, BOWL),
        thing("blue_bowl", "bowl", "blue", 0.58, -0.28, BOWL),
        thing("drawer", "drawer", "", 0.62, 0.30, DRAWER_SIZE),
        thing("duck", "duck", "", 0.62, 0.30, (0.07, 0.049, 0.066), z=0.05),
    ]
    return SceneGraph(objects, [Relation("duck", "inside_drawer", "drawer")], drawer_opening_m)


class Fixed:
    """A parser that always reads the same actions."""

    def __init__(self, *actions):
        self.actions = actions

    def parse(self, text):
        return Command(text=text, intent="act", actions=self.actions)


def plan(*actions, scene=None):
    outcome = Planner(Fixed(*actions)).plan("test", scene or cubes_scene())
    return outcome, [" ".join(filter(None, (s.skill, s.object and s.object.id, s.relation,
                                            s.target and s.target.id))) for s in outcome.steps]


def put(obj, target, relation="in"):
    return Action("put", obj, target, relation)


BLUE_BOWL = Description("blue", "bowl")


def test_all_of_a_colour_go_left_to_right():
    _, steps = plan(put(Description("red", "cube", count=0), BLUE_BOWL))
    assert steps == ["grasp red_cube", "place red_cube in blue_bowl", "grasp red_cube_2",
                     "place red_cube_2 in blue_bowl"]


def test_exceptions_and_counts():
    _, steps = plan(put(Description(object_class="cube", count=0, excluding=(Description(color="red"),)), BLUE_BOWL))
    assert steps == ["grasp yellow_cube", "place yellow_cube in blue_bowl", "grasp blue_cube",
                     "place blue_cube in blue_bowl"]
    _, steps = plan(put(Description(object_class="cube", count=2, choose=True), BLUE_BOWL))
    assert steps[::2] == ["grasp red_cube", "grasp yellow_cube"]  # the two nearest the robot
    outcome, _ = plan(put(Description(object_class="cube", count=6, choose=True), BLUE_BOWL))
    assert outcome.status == "refused" and "only 4" in outcome.message


def test_each_into_the_bowl_of_its_own_colour_leaves_the_rest():
    outcome, steps = plan(put(Description(object_class="cube", count=0),
                              Description(object_class="bowl", same_color=True)))
    assert "I will leave the yellow cube: there is no container of its colour." in outcome.message
    assert steps == ["grasp red_cube", "place red_cube in red_bowl", "grasp red_cube_2", "place red_cube_2 in red_bowl",
                     "grasp blue_cube", "place blue_cube in blue_bowl"]
    outcome, _ = plan(put(Description("yellow", "cube"), Description(object_class="bowl", same_color=True)))
    assert outcome.status == "refused" and "yellow bowl" in outcome.message


def test_spatial_references():
    closest = Description(object_class="cube", spatial="closest_to", landmark=Description("red", "bowl"))
    assert plan(Action("pick", closest))[1] == ["grasp blue_cube"]
    left_of = Description(object_class="cube", spatial="left_of", landmark=Description("yellow", "cube"))
    outcome, _ = plan(Action("pick", left_of))
    assert outcome.status == "planned"  # two cubes left of it: the one next to it
    assert plan(Action("pick", Description(object_class="cube", side="front")))[1] == ["grasp yellow_cube"]
    inside = Description(spatial="inside", landmark=Description(object_class="drawer"))
    assert plan(Action("pick", inside))[1] == ["open drawer", "grasp duck"]


def test_stack_all_builds_a_tower_on_the_leftmost():
    _, steps = plan(Action("stack", Description("red", "cube", count=0)))
    assert steps == ["grasp red_cube_2", "place red_cube_2 on red_cube"]
    outcome, _ = plan(Action("stack", Description("blue", "cube", count=0)))
    assert outcome.status == "refused" and "at least two" in outcome.message


def test_drawer_is_opened_first_and_before_the_grasp():
    into = put(Description(color="yellow"), Description(object_class="drawer"))
    assert plan(into)[1] == ["open drawer", "grasp yellow_cube", "place yellow_cube in drawer"]
    pick_then_put = (Action("pick", Description(color="yellow")), into)
    assert plan(*pick_then_put)[1] == ["open drawer", "grasp yellow_cube", "place yellow_cube in drawer"]
    take_out = Action("take_out", Description(object_class="duck"), Description(object_class="drawer"))
    assert plan(take_out)[1] == ["open drawer", "grasp duck"]
    assert plan(take_out, scene=cubes_scene(drawer_opening_m=0.15))[1] == ["grasp duck"]
    outcome, _ = plan(Action("take_out", Description(color="yellow"), Description(object_class="drawer")))
    assert outcome.status == "refused"


def test_holding_one_object_at_a_time():
    outcome, _ = plan(Action("pick", Description("red", "cube", count=0)))
    assert outcome.status == "refused" and "one object at a time" in outcome.message


# --- closed loop: re-check and replan from fresh perception ----------------------------------------------------

RED = ObjectRef("red_cube", "cube", "red")
BLUE_BOWL_REF = ObjectRef("blue_bowl", "bowl", "blue")


def test_step_is_verified_against_the_scene_and_the_held_object():
    scene, config = cubes_scene(), SchemaConfig()
    place = PlanStep("place", RED, BLUE_BOWL_REF, "in")
    assert "not holding" in verify_step(place, scene, None, config)
    assert verify_step(place, scene, scene.get("red_cube"), config) == ""


def test_replan_regrasps_a_dropped_object_and_skips_what_is_done():
    scene, config = cubes_scene(), SchemaConfig()
    place = PlanStep("place", RED, BLUE_BOWL_REF, "in")
    assert replan([place], scene, None, config) == [PlanStep("grasp", RED), place]  # it fell: pick it up again
    done = SceneGraph(scene.objects, scene.relations + [Relation("red_cube", "in", "blue_bowl")], 0.0)
    assert replan([place, PlanStep("home")], done, None, config) == [PlanStep("home")]
    gone = SceneGraph([o for o in scene.objects if o.id != "blue_bowl"], scene.relations, 0.0)
    with pytest.raises(PreconditionError, match="can't see the blue bowl"):
        replan([PlanStep("grasp", RED), place], gone, None, config)
