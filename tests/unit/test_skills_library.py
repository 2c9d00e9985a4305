"""The skill library run on the simulated world (no ROS), judged by the world's ground truth."""
import numpy as np
import pytest

from griptalk.camera import CameraModel
from griptalk.grasping.heuristic import score
from griptalk.skills.grasps import hand_tilt
from griptalk.skills.library import SkillConfig, SkillFailed, SkillLibrary
from griptalk.skills.world_port import WorldPort
from griptalk.types import ObjectRef, PlanStep
from griptalk_sim.scene import load_scene
from griptalk_sim.truth import relation_holds
from griptalk_sim.world import World

CAMERA = CameraModel.looking_at(160, 120, 50.0, [1.05, 0.0, 0.8], [0.45, 0.0, 0.0])  # never rendered
DRAWER = ObjectRef("drawer", "drawer")
RED_CUBE = ObjectRef("red_cube", "cube", "red")


@pytest.fixture
def drawer_world():
    with World(load_scene("drawer"), CAMERA, renderer="tiny") as w:
        yield w


def test_open_then_close_the_drawer(drawer_world):
    port = WorldPort(drawer_world, score)
    library = SkillLibrary(port)
    assert "opened" in library.execute(PlanStep("open", DRAWER))
    assert drawer_world.drawer_opening_m() > 0.14
    assert port.phases[:7] == ["approach", "approach", "descend", "close", "pull", "release", "retreat"]
    assert "shut" in library.execute(PlanStep("close", DRAWER))
    assert drawer_world.drawer_opening_m() < 0.01


def test_put_the_cube_in_the_opened_drawer(drawer_world):
    library = SkillLibrary(WorldPort(drawer_world, score))
    library.execute(PlanStep("open", DRAWER))
    library.execute(PlanStep("grasp", RED_CUBE))
    assert "in the drawer" in library.execute(PlanStep("place", RED_CUBE, DRAWER, "in"))
    drawer_world.step(120)
    assert relation_holds(drawer_world.object_states(), "red_cube", "in", "drawer")


def test_cancel_at_every_phase_of_open_stops_there(drawer_world):
    port = WorldPort(drawer_world, score)
    library = SkillLibrary(port)
    for phases in (0, 3, 5):
        port.phases, port.cancel_after = [], phases
        with pytest.raises(SkillFailed) as failure:
            library.execute(PlanStep("open", DRAWER))
        assert failure.value.reason == "canceled"
        assert len(port.phases) == phases


def test_grasp_and_place_in_the_bowl_then_home():
    with World(load_scene("tabletop"), CAMERA, renderer="tiny") as world:
        library = SkillLibrary(WorldPort(world, score))
        assert "holding the red_cube" in library.execute(PlanStep("grasp", RED_CUBE))
        library.execute(PlanStep("place", RED_CUBE, ObjectRef("green_bowl", "bowl", "green"), "in"))
        world.step(120)
        assert relation_holds(world.object_states(), "red_cube", "in", "green_bowl")


def test_failures_say_why_without_moving(drawer_world):
    port = WorldPort(drawer_world, score)
    library = SkillLibrary(port)
    cases = [(PlanStep("grasp", ObjectRef("ghost", "cube", "red")), "not_visible"),
             (PlanStep("open", RED_CUBE), "unsupported"),
             (PlanStep("place", RED_CUBE, DRAWER, "in"), "not_holding")]
    for step, reason in cases:
        with pytest.raises(SkillFailed) as failure:
            library.execute(step)
        assert failure.value.reason == reason
    assert port.phases == []


class MisplacedCubePort(WorldPort):
    """Perception that sees the red cube `offset` (x, y) metres from where it is."""

    offset = (0.0, 0.0)

    def scene(self, newer_than_s=None):
        graph = super().scene(newer_than_s)
        graph.get("red_cube").position[:2] += self.offset
        return graph


def test_missed_grasp_is_sensed_and_the_next_candidate_tried():
    with World(load_scene("tabletop"), CAMERA, renderer="tiny") as world:
        port = MisplacedCubePort(world, score)
        port.offset = (-0.10, 0.0)  # open table in front of the cube
        library = SkillLibrary(port, config=SkillConfig(grasp_attempts=2))
        with pytest.raises(SkillFailed, match="closed on nothing") as failure:
            library.execute(PlanStep("grasp", RED_CUBE))
        assert failure.value.reason == "missed"
        assert port.phases.count("close") == 2
        assert library.held is None


def test_hand_landing_on_the_object_is_a_collision():
    with World(load_scene("tabletop"), CAMERA, renderer="tiny") as world:
        port = MisplacedCubePort(world, score)
        port.offset = (0.0, -0.06)  # a finger comes down on the cube's top (on the other side, the palm on the duck)
        with pytest.raises(SkillFailed, match="descend") as failure:
            SkillLibrary(port).execute(PlanStep("grasp", RED_CUBE))
        assert failure.value.reason == "collision"


def test_config_validates():
    with pytest.raises(ValueError, match="grasp_attempts"):
        SkillConfig(grasp_attempts=0)
    with pytest.raises(ValueError, match="unknown failure reason"):
        SkillFailed("oops", "x")


def test_a_safety_stop_during_a_move_names_the_phase(drawer_world):
    class StoppingPort(WorldPort):
        def move(self, segment, force_limit_n):
            if segment.name == "descend":
                raise SkillFailed("safety_stop", "safety stop: wrist force 30.5 N over the 25 N limit")
            return super().move(segment, force_limit_n)

    with pytest.raises(SkillFailed) as failure:
        SkillLibrary(StoppingPort(drawer_world, score)).execute(PlanStep("grasp", RED_CUBE))
    assert failure.value.reason == "safety_stop"
    assert str(failure.value) == "descend: safety stop: wrist force 30.5 N over the 25 N limit"


@pytest.mark.parametrize("margin, tilted_first", [(0.1, False), (0.0, True)])
def test_a_tilted_grasp_must_score_clearly_higher_to_go_first(margin, tilted_first):
    def slightly_prefers_tilted(_obj, candidates):
        return np.array([0.95 if abs(c.tilt) > 1e-6 else 0.9 for c in candidates])

    with World(load_scene("tabletop"), CAMERA, renderer="tiny") as world:
        library = SkillLibrary(WorldPort(world, slightly_prefers_tilted),
                               config=SkillConfig(tilted_score_margin=margin))
        library.execute(PlanStep("grasp", RED_CUBE))
        tilt = hand_tilt(library.kin.fk(world.joint_state()[1][:7])[1])
    assert (abs(tilt) > np.radians(10)) == tilted_first
