"""The PyBullet world: geometry, camera agreement, wrist wrench, a scripted pick-and-place, the drawer."""
from __future__ import annotations

import math

import numpy as np
import pybullet as pb
import pytest

from griptalk.camera import CameraModel
from griptalk.robot import GRIPPER_MAX_WIDTH_M, PANDA_FINGER_JOINTS, PANDA_HOME, PANDA_JOINTS, PANDA_LIMITS
from griptalk_sim import truth
from griptalk_sim.scene import OBJECT_TYPES, load_scene, parse_scene
from griptalk_sim.world import TOOL_LINK, World

CAMERA = CameraModel.looking_at(640, 480, 50.0, (1.05, 0.0, 0.80), (0.45, 0.0, 0.0))
TOP_DOWN = (math.pi, 0.0)  # roll, pitch of a tool pointing straight down


def one_object(kind: str, **fields) -> object:
    item = {"type": kind, "position": [0.5, 0.0], **fields}
    if OBJECT_TYPES[kind].needs_color:
        item.setdefault("color", "red")
    return parse_scene({"objects": [item]}, kind)


def states_by_id(world: World) -> dict[str, truth.ObjectState]:
    return {s.id: s for s in world.object_states()}


class Arm:
    """Scripted Cartesian moves for tests: IK on the world's own client, straight lines, top-down tool."""

    def __init__(self, world: World) -> None:
        self.world = world

    def ik(self, position, yaw: float) -> np.ndarray:
        lower = list(PANDA_LIMITS.lower) + [0.0, 0.0]
        upper = list(PANDA_LIMITS.upper) + [0.04, 0.04]
        q = pb.calculateInverseKinematics(
            self.world.robot_id, TOOL_LINK, list(position), pb.getQuaternionFromEuler([*TOP_DOWN, yaw]),
            lowerLimits=lower, upperLimits=upper, jointRanges=[h - lo for lo, h in zip(lower, upper)],
            restPoses=list(PANDA_HOME) + [0.04, 0.04], maxNumIterations=200, residualThreshold=1e-5,
            physicsClientId=self.world.client_id)
        return np.array(q[:7])

    def move(self, goal, yaw: float, speed_m_s: float = 0.25) -> float:
        """Go to `goal` in a straight line; returns the final position error [m]."""
        start, _ = self.world.tool_pose()
        goal = np.asarray(goal, dtype=float)
        steps_per_waypoint = 4
        n = max(2, int(np.linalg.norm(goal - start) / (speed_m_s * self.world.time_step * steps_per_waypoint)))
        for k in range(1, n + 1):
            self.world.set_arm_targets(self.ik(start + (goal - start) * k / n, yaw))
            self.world.step(steps_per_waypoint)
        self.world.step(60)
        return float(np.linalg.norm(self.world.tool_pose()[0] - goal))


@pytest.fixture(scope="module")
def tabletop():
    world = World(load_scene("tabletop"), CAMERA)
    yield world
    world.close()


def test_world_starts_at_home_with_the_gripper_open(tabletop):
    names, position, velocity, effort = tabletop.joint_state()
    assert names == PANDA_JOINTS + PANDA_FINGER_JOINTS
    assert np.allclose(position[:7], PANDA_HOME, atol=0.01)
    assert tabletop.gripper_width() == pytest.approx(GRIPPER_MAX_WIDTH_M, abs=0.002)
    assert len(velocity) == len(effort) == 9
    assert tabletop.sim_time == 0.0
    tabletop.step(24)
    assert tabletop.sim_time == pytest.approx(0.1)


@pytest.mark.parametrize("kind", sorted(OBJECT_TYPES))
def test_objects_stand_where_the_scene_puts_them_with_their_declared_size(kind):
    with World(one_object(kind, yaw_deg=30.0), CAMERA, renderer="tiny") as world:
        world.step(120)
        state = world.object_states()[0]
        assert state.position[:2] == pytest.approx((0.5, 0.0), abs=0.004)
        assert state.position[2] == pytest.approx(OBJECT_TYPES[kind].size[2] / 2, abs=0.004)
        assert state.yaw_deg == pytest.approx(30.0, abs=1.0)
        assert truth.is_on_table(state)
        # PyBullet's boxes carry a few millimetres of collision margin around the true shape.
        body = world.object_body(state.id)
        low, high = pb.getAABB(body, -1, physicsClientId=world.client_id)
        world_extent = np.subtract(high, low)[2]
        assert world_extent == pytest.approx(OBJECT_TYPES[kind].size[2], abs=0.012)


def test_bad_commands_are_refused(tabletop):
    with pytest.raises(ValueError, match="7 finite joint positions"):
        tabletop.set_arm_targets([0.0] * 6)
    with pytest.raises(ValueError, match="gripper width"):
        tabletop.set_gripper(0.2, 10.0)
    with pytest.raises(ValueError, match="grip force"):
        tabletop.set_gripper(0.04, -1.0)
    with pytest.raises(KeyError):
        tabletop.object_body("unicorn")


def test_rendered_pixels_agree_with_the_camera_model(tabletop):
    rgb, depth = tabletop.render()
    segmentation = tabletop.render_segmentation()
    assert rgb.shape == (480, 640, 3) and rgb.dtype == np.uint8
    assert depth.shape == (480, 640) and depth.dtype == np.float32
    ids = [o.id for o in tabletop.scene.objects]
    for state in tabletop.object_states():
        if state.type != "cube":
            continue
        top = np.array(state.position) + [0.0, 0.0, state.size[2] / 2]
        for dx, dy in [(0.0, 0.0), (0.012, 0.008), (-0.01, 0.012)]:
            point = top + [dx, dy, 0.0]
            u, v = np.round(CAMERA.project(point[None])[0]).astype(int)
            assert segmentation[v, u] == ids.index(state.id)
            seen = CAMERA.backproject(depth, np.array([[u, v]]))[0]
            assert np.linalg.norm(seen - point) < 0.003
        # The whole top face, back-projected, sits at the cube's true top height.
        points = CAMERA.backproject(depth)[segmentation == ids.index(state.id)]
        top_face = points[points[:, 2] > top[2] - 0.004]
        assert float(np.median(top_face[:, 2])) == pytest.approx(top[2], abs=0.002)
    red = np.array(rgb[segmentation == ids.index("red_cube")], dtype=float).mean(axis=0)
    assert red[0] > 2 * max(red[1], red[2])
    assert (segmentation == -1).mean() > 0.5  # the table, robot and floor are not scene objects


def test_tiny_renderer_agrees_with_egl(tabletop):
    with World(tabletop.scene, CAMERA, renderer="tiny") as tiny:
        assert tiny.renderer == "tiny"
        _, depth_tiny = tiny.render()
        segmentation_tiny = tiny.render_segmentation()
    _, depth = tabletop.render()
    both = (segmentation_tiny >= 0) & (tabletop.render_segmentation() >= 0)
    assert both.sum() > 10000
    assert float(np.median(np.abs(depth[both] - depth_tiny[both]))) < 0.003


def test_wrist_wrench_reads_zero_at_rest_and_the_push_into_the_table():
    scene = parse_scene({"objects": [{"type": "cube", "color": "red", "position": [0.35, 0.30]}]}, "push")
    with World(scene, CAMERA) as world:
        world.step(120)
        force, torque = world.wrist_wrench()
        assert np.linalg.norm(force) < 0.5 and np.linalg.norm(torque) < 0.1
        arm = Arm(world)
        world.set_gripper(0.0, 20.0)
        arm.move([0.55, -0.1, 0.05], 0.0)
        force, _ = world.wrist_wrench()
        assert np.linalg.norm(force) < 1.0  # hanging in the air, moved to a new pose
        for waypoint_z in np.linspace(0.05, -0.01, 30):
            world.set_arm_targets(arm.ik([0.55, -0.1, waypoint_z], 0.0))
            world.step(4)
        world.step(60)
        force, _ = world.wrist_wrench()
        assert force[2] > 20.0  # the table pushes the hand up


def test_wrist_wrench_leaves_out_the_hands_own_inertia():
    scene = parse_scene({"objects": [{"type": "cube", "color": "red", "position": [0.35, 0.30]}]}, "jerk")
    with World(scene, CAMERA) as world:
        world.step(60)
        start = world.joint_state()[1][:7]
        peak = 0.0
        for k in range(1, 61):  # a 0.3 rad swing of joint 1 in jerky 10 ms steps, touching nothing
            world.set_arm_targets(start + [0.3 * k / 60, 0, 0, 0, 0, 0, 0])
            for _ in range(2):
                world.step()
                peak = max(peak, float(np.linalg.norm(world.wrist_wrench()[0])))
        assert peak < 5.0


def test_scripted_pick_puts_the_red_cube_in_the_green_bowl():
    with World(load_scene("tabletop"), CAMERA) as world:
        before = states_by_id(world)
        cube, bowl = before["red_cube"], before["green_bowl"]
        arm = Arm(world)
        above_cube = np.array(cube.position) + [0.0, 0.0, 0.15]
        assert arm.move(above_cube, cube.yaw) < 0.005
        arm.move(cube.position, cube.yaw, speed_m_s=0.1)
        world.set_gripper(0.0, 15.0)
        world.step(120)
        assert world.gripper_width() == pytest.approx(0.045, abs=0.004)
        arm.move(np.array(cube.position) + [0.0, 0.0, 0.2], cube.yaw)
        assert states_by_id(world)["red_cube"].position[2] > 0.15  # lifted with the hand
        arm.move(np.array(bowl.position) + [0.0, 0.0, 0.2], cube.yaw)
        arm.move(np.array(bowl.position) + [0.0, 0.0, 0.08], cube.yaw, speed_m_s=0.1)
        world.set_gripper(GRIPPER_MAX_WIDTH_M, 15.0)
        world.step(120)
        arm.move(np.array(bowl.position) + [0.0, 0.0, 0.2], cube.yaw)
        after = states_by_id(world)
        assert truth.is_in(after["red_cube"], after["green_bowl"])
        assert truth.relation_holds(list(after.values()), "red_cube", "in", "green_bowl")
        assert not truth.is_in(after["blue_cube"], after["green_bowl"])
        assert truth.moved(list(before.values()), list(after.values())) == ["red_cube"]


def test_the_gripper_pulls_the_drawer_open_and_it_stays_open():
    with World(load_scene("drawer"), CAMERA) as world:
        arm = Arm(world)
        handle = world.drawer_handle_position()
        assert world.drawer_opening_m() == 0.0
        across = math.pi / 2  # the fingers close along x, across the bar (which runs along y)
        world.set_gripper(0.04, 20.0)
        arm.move(handle + [0.0, 0.0, 0.12], across)
        arm.move(handle + [0.0, 0.0, -0.005], across, speed_m_s=0.1)
        world.set_gripper(0.0, 20.0)
        world.step(120)
        assert world.gripper_width() == pytest.approx(0.012, abs=0.003)  # holding the 12 mm bar
        arm.move(handle + [-0.15, 0.0, -0.005], across, speed_m_s=0.05)  # the cabinet faces -x
        assert world.drawer_opening_m() == pytest.approx(0.15, abs=0.01)
        world.set_gripper(0.04, 20.0)
        arm.move(world.tool_pose()[0] + [0.0, 0.0, 0.12], across)
        opening = world.drawer_opening_m()
        world.step(240)
        assert world.drawer_opening_m() == pytest.approx(opening, abs=0.001)
        drawer = states_by_id(world)["drawer"]
        assert drawer.opening_m == pytest.approx(opening)


def test_the_drawer_slides_under_30_n_but_not_under_5_n():
    with World(load_scene("drawer"), CAMERA) as world:
        pull = np.array([-1.0, 0.0, 0.0])  # the cabinet faces -x

        def push(newtons: float, steps: int) -> None:
            for _ in range(steps):
                pb.applyExternalForce(world.drawer_id, 1, (pull * newtons).tolist(), world.drawer_handle_position().tolist(),
                                      pb.WORLD_FRAME, physicsClientId=world.client_id)
                world.step()

        push(5.0, 120)
        assert world.drawer_opening_m() < 0.001
        push(30.0, 60)
        assert world.drawer_opening_m() > 0.02
        opening = world.drawer_opening_m()
        world.step(240)
        assert world.drawer_opening_m() == pytest.approx(opening, abs=0.01)


def test_objects_put_in_the_open_drawer_are_in_it():
    with World(load_scene("drawer"), CAMERA) as world:
        pb.resetJointState(world.drawer_id, 0, 0.15, physicsClientId=world.client_id)
        drawer = states_by_id(world)["drawer"]
        # The exposed part of the open drawer: 10 cm in front of the cabinet, in the middle.
        spot = np.array(drawer.position) + [-(0.10 + 0.075), 0.0, 0.0]
        cube = world.object_body("red_cube")
        pb.resetBasePositionAndOrientation(cube, [spot[0], spot[1], 0.05], [0, 0, 0, 1],
                                           physicsClientId=world.client_id)
        world.step(240)
        states = world.object_states()
        assert truth.relation_holds(states, "red_cube", "inside_drawer", "drawer")
        assert not truth.relation_holds(states, "duck", "inside_drawer", "drawer")
        assert truth.relation_holds(states, "duck", "on", truth.TABLE_ID)


def run_episode() -> tuple:
    with World(load_scene("clutter"), CAMERA) as world:
        arm = Arm(world)
        cube = states_by_id(world)["green_cube"]
        arm.move(np.array(cube.position) + [0.0, 0.0, 0.1], 0.3)
        arm.move(cube.position, 0.3, speed_m_s=0.1)
        world.set_gripper(0.0, 15.0)
        world.step(60)
        arm.move(np.array(cube.position) + [0.0, 0.0, 0.1], 0.3)
        return world.object_states(), world.joint_state()[1].tolist(), world.wrist_wrench()[0].tolist()


def test_same_scene_and_commands_give_bit_identical_results():
    assert run_episode() == run_episode()
