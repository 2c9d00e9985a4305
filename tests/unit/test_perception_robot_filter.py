"""The arm's own body is no object: capsules from its joints take its points out of the frame."""
import numpy as np
import pybullet as pb
import pytest

from griptalk.bench.grasp import DepthScorer
from griptalk.grasping.model import GraspPredictor
from griptalk.perception import PerceptionConfig, PerceptionPipeline
from griptalk.perception.detector import Detector
from griptalk.perception.pose import fit_box
from griptalk.perception.robot_filter import Capsule, RobotFilterConfig, arm_capsules, inside_capsules
from griptalk.perception.segmentation import segment
from griptalk.robot import PANDA_HOME
from griptalk.skills.grasps import grasp_orientation
from griptalk.skills.kinematics import ArmKinematics
from griptalk.skills.library import SkillLibrary
from griptalk.skills.motions import MoveSegment, plan_place
from griptalk.skills.world_port import WorldPort, perfect_scene
from griptalk.types import ObjectRef, PlanStep
from griptalk_sim.scene import parse_scene
from griptalk_sim.world import ARM_JOINT_INDICES, World
from tests.unit.test_perception_world import CAMERA


@pytest.fixture(scope="module")
def kin():
    return ArmKinematics()


def test_points_inside_a_capsule():
    capsule = Capsule(np.array([0.0, 0.0, 0.0]), np.array([1.0, 0.0, 0.0]), 0.1)
    points = np.array([[0.5, 0.05, 0.0], [0.5, 0.2, 0.0], [1.08, 0.0, 0.0], [1.2, 0.0, 0.0], [np.nan, 0.0, 0.0]])
    assert inside_capsules(points, [capsule]).tolist() == [True, False, True, False, False]
    assert inside_capsules(points.reshape(5, 1, 3), [capsule]).shape == (5, 1)


def test_the_capsules_cover_the_hand_and_what_it_holds_but_not_the_table(kin):
    q = kin.ik([0.45, 0.0, 0.15], grasp_orientation(0.3))
    capsules = arm_capsules(kin, q)
    tcp = kin.fk(q)[0]
    hand_y = kin.link_origins(q, ("panda_leftfinger", "panda_rightfinger"))
    held_cube_bottom = tcp - [0.0, 0.0, 0.03]
    table = np.array([[0.45, 0.0, 0.01], [0.60, 0.2, 0.02], [0.45, 0.0, 0.15 - 0.12]])
    assert inside_capsules(np.vstack([tcp, hand_y, held_cube_bottom]), capsules).all()
    assert not inside_capsules(table, capsules).any()
    home = arm_capsules(kin, PANDA_HOME)
    assert not inside_capsules(np.array([[0.45, 0.0, 0.05]]), home).any()  # at home the arm is above it all
    with pytest.raises(ValueError):
        RobotFilterConfig(link_radius_m=0.0)
    with pytest.raises(ValueError):
        kin.link_origins(PANDA_HOME, ("no_such_link",))


def test_a_cube_carried_over_a_bowl_of_its_colour_is_no_tall_object():
    # Unfiltered, the hand with its green cube and the green bowl below are one blob over 10 cm tall.
    scene = parse_scene({"objects": [{"type": "cube", "color": "green", "position": [0.55, 0.04], "yaw_deg": 65},
                                     {"type": "bowl", "color": "green", "position": [0.36, 0.05]},
                                     {"type": "cube", "color": "red", "position": [0.60, -0.20]}]}, "carry")
    cube = ObjectRef("green_cube", "cube", "green")
    with World(scene, CAMERA) as world:
        port = WorldPort(world, DepthScorer(world, GraspPredictor()))
        library = SkillLibrary(port)
        library.execute(PlanStep("grasp", cube))
        known = perfect_scene(world)
        segments = plan_place(library.kin, world.joint_state()[1][:7], known.get("green_bowl"), "in",
                              known.get("green_cube"), obstacles=known.objects)
        transport = segments[0].waypoints
        port.move(MoveSegment("transport", transport[:int(0.8 * len(transport))]), 100.0)
        rgb, depth = world.render()
        capsules = arm_capsules(library.kin, world.joint_state()[1][:7])
    blind = [fit_box(blob.points).size[2] for blob in segment(rgb, depth, CAMERA, PerceptionConfig().segmentation)]
    assert max(blind) > 0.1, blind
    graph = PerceptionPipeline(PerceptionConfig(), Detector()).process(rgb, depth, CAMERA, 0.0, capsules)
    assert all(o.size[2] < 0.07 for o in graph.objects), [(o.id, o.size) for o in graph.objects]
    assert {o.id for o in graph.objects} == {"green_bowl", "red_cube"}


def test_an_object_the_arm_partly_hides_keeps_its_full_view(kin):
    scene = parse_scene({"objects": [{"type": "bowl", "color": "green", "position": [0.45, 0.10]},
                                     {"type": "cube", "color": "red", "position": [0.60, -0.20]}]}, "beside")
    with World(scene, CAMERA) as world:
        def seen_with_arm_at(q):
            for joint, angle in zip(ARM_JOINT_INDICES, q):
                pb.resetJointState(world.robot_id, joint, float(angle), physicsClientId=world.client_id)
            rgb, depth = world.render()
            return rgb, depth, CAMERA, 0.0, arm_capsules(kin, q)

        at_home = seen_with_arm_at(PANDA_HOME)
        beside_bowl = seen_with_arm_at(kin.ik([0.45, 0.02, 0.10], grasp_orientation(0.0)))  # the fingers over its rim
    detector = Detector()
    tracked = PerceptionPipeline(PerceptionConfig(), detector)
    full = tracked.process(*at_home).get("green_bowl")
    kept = tracked.process(*beside_bowl).get("green_bowl")
    partial = PerceptionPipeline(PerceptionConfig(), detector).process(*beside_bowl).get("green_bowl")
    assert np.abs(partial.size - full.size).max() > 0.005  # what a partial view would make of it
    np.testing.assert_allclose(kept.position, full.position)
    np.testing.assert_allclose(kept.size, full.size)
    assert not kept.stale
