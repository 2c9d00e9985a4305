"""Drawer geometry and the open/close motions, planned without moving anything."""
import numpy as np
import pytest

from griptalk.bench.task_families import make_task
from griptalk.camera import CameraModel
from griptalk.grasping.heuristic import score
from griptalk.robot import PANDA_HOME, PANDA_LIMITS
from griptalk.safety.supervisor import SafetyConfig
from griptalk.skills.drawer import (GRASP_BELOW_HANDLE_M, PULL_M, grasp_yaw, handle_position, open_tray, plan_close,
                                    plan_open, pull_direction)
from griptalk.skills.grasps import grasp_orientation
from griptalk.skills.kinematics import ArmKinematics, rotation_angle_between
from griptalk.skills.motions import GripperSegment, MoveSegment
from griptalk.skills.library import SkillLibrary
from griptalk.skills.world_port import WorldPort, perfect_scene
from griptalk.types import ObjectRef, PlanStep, SceneGraph, SceneObject
from griptalk_sim.truth import relation_holds
from griptalk_sim.world import World

# The drawer scene's cabinet: front (and handle) facing the robot.
DRAWER = SceneObject("drawer", "drawer", "", [0.62, 0.30, 0.06], yaw=np.pi, size=[0.20, 0.30, 0.12])
CAMERA = CameraModel.looking_at(160, 120, 50.0, [1.05, 0.0, 0.8], [0.45, 0.0, 0.0])  # never rendered


@pytest.fixture(scope="module")
def kin():
    return ArmKinematics()


def test_handle_lies_in_front_of_the_cabinet_and_slides_with_the_drawer():
    np.testing.assert_allclose(handle_position(DRAWER), [0.461, 0.30, 0.10], atol=1e-9)
    np.testing.assert_allclose(pull_direction(DRAWER), [-1.0, 0.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(handle_position(DRAWER, 0.1), [0.361, 0.30, 0.10], atol=1e-9)


def test_handle_of_something_else_is_an_error():
    cube = SceneObject("red_cube", "cube", "red", [0.5, 0.0, 0.02], size=[0.045] * 3)
    with pytest.raises(ValueError, match="not a drawer"):
        handle_position(cube)


def test_open_grasps_the_handle_and_pulls_along_the_drawer(kin):
    segments = plan_open(kin, PANDA_HOME, DRAWER)
    assert not isinstance(segments, str), segments
    assert [s.name for s in segments] == ["approach", "approach", "descend", "close", "pull", "release", "retreat"]
    moves = {s.name: s for s in segments if isinstance(s, MoveSegment)}
    grasp, orientation = kin.fk(moves["descend"].waypoints[-1])
    np.testing.assert_allclose(grasp, handle_position(DRAWER) - [0, 0, GRASP_BELOW_HANDLE_M], atol=0.002)
    # The fingers close along the pull direction: the hand's y axis.
    assert rotation_angle_between(orientation, grasp_orientation(grasp_yaw(DRAWER))) < np.radians(2) or \
        rotation_angle_between(orientation, grasp_orientation(grasp_yaw(DRAWER) + np.pi)) < np.radians(2)
    pulled = kin.fk(moves["pull"].waypoints[-1])[0]
    np.testing.assert_allclose(pulled - grasp, PULL_M * pull_direction(DRAWER), atol=0.002)
    assert all(PANDA_LIMITS.within(w) for s in moves.values() for w in s.waypoints)


def test_close_pushes_from_beyond_full_travel_to_the_closed_handle(kin):
    segments = plan_close(kin, PANDA_HOME, DRAWER)
    assert not isinstance(segments, str), segments
    assert [s.name for s in segments] == ["approach", "approach", "descend", "push", "retreat"]
    assert isinstance(segments[0], GripperSegment) and segments[0].width_m == 0.0
    push = segments[3].waypoints
    start, end = kin.fk(push[0])[0], kin.fk(push[-1])[0]
    handle = handle_position(DRAWER)
    assert start[0] < handle[0] - 0.18  # in front of the handle even when fully open
    assert 0.01 < handle[0] - end[0] < 0.03  # fingers stop at the closed handle's face
    assert abs(end[2] - start[2]) < 0.002


def test_out_of_reach_drawer_fails_before_moving(kin):
    far = SceneObject("drawer", "drawer", "", [1.1, 0.0, 0.06], yaw=np.pi, size=[0.20, 0.30, 0.12])
    reason = plan_open(kin, PANDA_HOME, far)
    assert isinstance(reason, str) and reason.startswith("no reachable grasp")


def test_open_tray_is_the_part_pulled_out_of_the_cabinet():
    tray = open_tray(DRAWER, 0.15)
    ahead = (tray.position - DRAWER.position)[:2] @ pull_direction(DRAWER)[:2]
    assert ahead == pytest.approx(DRAWER.size[0] / 2 + 0.075)  # in front of the cabinet's closed top
    assert tray.size[0] == pytest.approx(0.15) and tray.yaw == DRAWER.yaw
    assert tray.top_z < DRAWER.top_z
    assert open_tray(DRAWER, -0.002).size[0] == 0.0


class MisjudgedDrawerPort(WorldPort):
    """Perfect perception but for the drawer, seen `error` = (dx, dy, dyaw, dopening) off, as a camera may;
    records the wrist force at every physics step (what the sim publishes to the safety supervisor)."""

    def __init__(self, world, error) -> None:
        super().__init__(world, score)
        self.error, self.forces, self.recording = error, [], False
        step = world.step

        def recording_step(n: int = 1) -> None:
            for _ in range(n):
                step()
                if self.recording:
                    self.forces.append(float(np.linalg.norm(world.wrist_wrench()[0])))

        world.step = recording_step

    def scene(self, newer_than_s=None):
        scene = perfect_scene(self.world)
        dx, dy, dyaw, dopening = self.error
        objects = [SceneObject(o.id, o.object_class, o.color, o.position + [dx, dy, 0.0], o.yaw + dyaw, o.size)
                   if o.object_class == "drawer" else o for o in scene.objects]
        return SceneGraph(objects, [], scene.drawer_opening_m + dopening, scene.stamp_s)


@pytest.mark.parametrize("error", [(0.0, 0.0, 0.0, 0.0), (0.01, 0.01, np.radians(2.0), -0.01),
                                   (-0.01, -0.01, np.radians(-2.0), 0.01)])
def test_placing_in_the_drawer_keeps_the_hand_off_the_cabinet(error):
    # Scene seed 4: the cube is grasped with the hand's length along the pull direction, so lowering it
    # into the 15 cm of tray pulled out pressed the palm onto the cabinet's front edge (~350 N).
    task = make_task("drawer", 4)
    limits = SafetyConfig()
    with World(task.scene, CAMERA, renderer="tiny") as world:
        port = MisjudgedDrawerPort(world, (0.0, 0.0, 0.0, 0.0))
        library = SkillLibrary(port)
        library.execute(PlanStep("open", ObjectRef("drawer", "drawer")))
        library.execute(PlanStep("grasp", ObjectRef("gray_cube", "cube", "gray")))
        port.error, port.recording = error, True
        assert "in the drawer" in library.execute(
            PlanStep("place", ObjectRef("gray_cube", "cube", "gray"), ObjectRef("drawer", "drawer"), "in"))
        world.step(120)
        assert relation_holds(world.object_states(), "gray_cube", "in", "drawer")
    forces = np.array(port.forces)
    assert len(forces) > 0 and forces.max() < limits.force_peak_limit_n, f"peak {forces.max():.0f} N"
    over = forces > limits.force_limit_n
    sustain_steps = int(np.ceil(limits.force_sustain_s / world.time_step))
    longest = max((len(run) for run in "".join("1" if o else "0" for o in over).split("0")), default=0)
    assert longest < sustain_steps, f"over {limits.force_limit_n:g} N for {longest} steps"


@pytest.mark.parametrize("seed, error", [(54, (-0.004, 0.003, np.radians(1.4), 0.0)),
                                         (74, (-0.004, 0.001, np.radians(2.1), 0.0))])
def test_opening_a_drawer_seen_a_little_off_stays_under_the_force_limit(seed, error):
    # A firm grip on a handle seen a few mm off pressed the bar against the drawer's stop: 26 N at the wrist.
    limits = SafetyConfig()
    with World(make_task("drawer", seed).scene, CAMERA, renderer="tiny") as world:
        port = MisjudgedDrawerPort(world, error)
        port.recording = True
        SkillLibrary(port).execute(PlanStep("open", ObjectRef("drawer", "drawer")))
        assert world.drawer_opening_m() > 0.1
    assert max(port.forces) < limits.force_limit_n, f"peak {max(port.forces):.1f} N"
