"""The skill motions carried out in the PyBullet world, judged by its ground truth."""
import numpy as np
import pytest

from griptalk.camera import CameraModel
from griptalk.control.trajectory import time_parameterize
from griptalk.grasping.heuristic import score
from griptalk.robot import PANDA_LIMITS
from griptalk.skills.grasps import grasp_candidates, hand_tilt
from griptalk.skills.kinematics import ArmKinematics
from griptalk.skills.motions import GripperSegment, plan_grasp, plan_place
from griptalk.types import SceneObject
from griptalk_sim.scene import load_scene
from griptalk_sim.truth import is_in, is_on, moved
from griptalk_sim.world import World

GRIPPER_SETTLE_S = 0.6
ARRIVAL_TOLERANCE_RAD = 2e-3


@pytest.fixture
def world():
    camera = CameraModel.looking_at(160, 120, 50.0, [1.05, 0.0, 0.8], [0.45, 0.0, 0.0])  # never rendered
    with World(load_scene("tabletop"), camera, renderer="tiny") as w:
        yield w


def believed(world) -> dict[str, SceneObject]:
    """Perfect perception: the world's objects as the skills would see them."""
    return {s.id: SceneObject(s.id, s.type, s.color, s.position, s.yaw, s.size) for s in world.object_states()}


def arm_q(world) -> np.ndarray:
    return world.joint_state()[1][:7]


def execute(world, segments) -> None:
    for segment in segments:
        if isinstance(segment, GripperSegment):
            world.set_gripper(segment.width_m, segment.force_n)
            world.step(int(GRIPPER_SETTLE_S / world.time_step))
            continue
        reference = time_parameterize(segment.waypoints, PANDA_LIMITS)
        for k in range(int(np.ceil(reference.duration / world.time_step)) + 1):
            world.set_arm_targets(reference.sample(k * world.time_step)[0])
            world.step()
        for _ in range(int(1.0 / world.time_step)):  # let the arm arrive
            if np.max(np.abs(arm_q(world) - segment.waypoints[-1])) < ARRIVAL_TOLERANCE_RAD:
                break
            world.step()


def pick(world, kin, object_id, tilted=False):
    objects = believed(world)
    obj = objects[object_id]
    candidates = [c for c in grasp_candidates(obj) if (c.tilt != 0.0) == tilted]
    for i in np.argsort(-score(obj, candidates), kind="stable"):  # the best reachable one, as the skill does
        best = candidates[i]
        segments = plan_grasp(kin, arm_q(world), best, obstacles=list(objects.values()))
        if not isinstance(segments, str):
            break
    assert not isinstance(segments, str), segments
    execute(world, segments)
    return obj, obj.top_z - best.position[2]


@pytest.mark.parametrize("tilted", [False, True], ids=["top_down", "tilted"])
def test_red_cube_ends_in_the_green_bowl(world, tilted):
    """Tilted: the hand comes in at an angle, and the cube still ends upright in the bowl."""
    kin = ArmKinematics()
    before = world.object_states()
    cube, depth = pick(world, kin, "red_cube", tilted=tilted)
    assert (abs(hand_tilt(kin.fk(arm_q(world))[1])) > np.radians(20)) == tilted
    assert believed(world)["red_cube"].position[2] > 0.12  # lifted with the hand
    objects = believed(world)
    segments = plan_place(kin, arm_q(world), objects["green_bowl"], "in", cube, grasp_depth_m=depth,
                          obstacles=list(objects.values()))
    assert not isinstance(segments, str), segments
    execute(world, segments)
    world.step(240)
    after = {s.id: s for s in world.object_states()}
    assert is_in(after["red_cube"], after["green_bowl"])
    assert moved(before, world.object_states()) == ["red_cube"]


def test_blue_cube_ends_on_the_red_cube(world):
    kin = ArmKinematics()
    cube, depth = pick(world, kin, "blue_cube")
    objects = believed(world)
    segments = plan_place(kin, arm_q(world), objects["red_cube"], "on", cube, grasp_depth_m=depth,
                          obstacles=list(objects.values()))
    assert not isinstance(segments, str), segments
    execute(world, segments)
    world.step(240)
    after = {s.id: s for s in world.object_states()}
    assert is_on(after["blue_cube"], after["red_cube"])
