"""The skill motions carried out in the PyBullet world, judged by its ground truth."""
import numpy as np
import pytest

from griptalk.camera import CameraModel
from griptalk.control.trajectory import time_parameterize
from griptalk.grasping.heuristic import score
from griptalk.robot import PANDA_LIMITS
from griptalk.safety.supervisor import SafetyConfig
from griptalk.skills.grasps import GraspCandidate, grasp_candidates, hand_tilt
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


def execute(world, segments, forces=None, lag_s=0.0, velocity_scale=1.0) -> None:
    """Run the segments; `forces` collects the wrist force [N] after every physics step, `lag_s` makes
    the arm follow its reference that late (as the MPC controller does)."""
    def step():
        world.step()
        if forces is not None:
            forces.append(float(np.linalg.norm(world.wrist_wrench()[0])))

    lag = int(round(lag_s / world.time_step))
    for segment in segments:
        if isinstance(segment, GripperSegment):
            world.set_gripper(segment.width_m, segment.force_n)
            for _ in range(int(GRIPPER_SETTLE_S / world.time_step)):
                step()
            continue
        reference = time_parameterize(segment.waypoints, PANDA_LIMITS, velocity_scale)
        for k in range(int(np.ceil(reference.duration / world.time_step)) + 1 + lag):
            world.set_arm_targets(reference.sample(min(max(0, k - lag) * world.time_step, reference.duration))[0])
            step()
        for _ in range(int(1.0 / world.time_step)):  # let the arm arrive
            if np.max(np.abs(arm_q(world) - segment.waypoints[-1])) < ARRIVAL_TOLERANCE_RAD:
                break
            step()


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


@pytest.mark.parametrize("turn_rad", [0.05, np.pi / 2 + 0.05])
def test_closing_on_a_cube_seen_off_centre_keeps_every_wrist_reading_under_the_force_limit(world, turn_rad):
    # Seen 5.5 mm off centre and 3 degrees turned: the first finger to touch shoves the cube. At the URDF's
    # finger speed (four times the Franka Hand's) the impact read 29-30 N at the wrist; the task bench
    # counts every reading over the limit.
    kin, limits = ArmKinematics(), SafetyConfig()
    objects = believed(world)
    nominal = grasp_candidates(objects["red_cube"])[0]
    off = GraspCandidate(nominal.position, nominal.yaw + turn_rad, nominal.width_m, 0.0)
    off.position[:2] += 0.0055 * off.closing_direction
    segments = plan_grasp(kin, arm_q(world), off, obstacles=list(objects.values()))
    assert not isinstance(segments, str), segments
    forces = []
    execute(world, segments, forces, lag_s=0.03, velocity_scale=0.4)
    assert max(forces) < limits.force_limit_n
    assert believed(world)["red_cube"].position[2] > 0.12  # lifted with the hand


@pytest.mark.parametrize("tilt_deg", [25.0, -25.0, 40.0, -40.0])
def test_tilted_grasp_of_an_off_centre_cube_keeps_the_wrist_force_under_the_safety_limits(world, tilt_deg):
    # The fingers close 5 mm off the cube's centre (a perception error): the first finger pushes it
    # across the table. Shallow tilted holds tipped it against the table: 26 N over 0.05 s at the wrist.
    kin, limits = ArmKinematics(), SafetyConfig()
    objects = believed(world)
    cube = objects["red_cube"]
    for nominal in [c for c in grasp_candidates(cube)[:6] if c.tilt != 0.0]:  # either face pair, either wrist
        for yaw, tilt in ((nominal.yaw, np.radians(tilt_deg)), (nominal.yaw + np.pi, -np.radians(tilt_deg))):
            off = GraspCandidate(nominal.position, yaw, nominal.width_m, tilt)
            off.position[:2] += 0.005 * off.closing_direction
            segments = plan_grasp(kin, arm_q(world), off, obstacles=list(objects.values()))
            if not isinstance(segments, str):
                break
        if not isinstance(segments, str):
            break
    assert not isinstance(segments, str), segments
    forces = []
    execute(world, segments, forces, lag_s=0.03, velocity_scale=0.4)
    forces = np.array(forces)
    window = int(round(limits.force_sustain_s / world.time_step))
    sustained = np.lib.stride_tricks.sliding_window_view(forces, window).min(axis=1).max()
    assert forces.max() < limits.force_peak_limit_n
    assert sustained < limits.force_limit_n
    assert believed(world)["red_cube"].position[2] > 0.12  # lifted with the hand
