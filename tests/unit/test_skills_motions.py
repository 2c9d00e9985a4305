import numpy as np
import pytest

from griptalk.robot import PANDA_HOME, PANDA_LIMITS
from griptalk.skills.grasps import GraspCandidate, grasp_candidates, hand_tilt, normalize_yaw, wrist_yaw
from griptalk.skills.kinematics import ArmKinematics, rotation_angle_between
from griptalk.skills.motions import (PHASES, GripperSegment, MotionConfig, MoveSegment, plan_grasp, plan_home,
                                     plan_place)
from griptalk.types import SceneObject

CUBE = SceneObject("red_cube", "cube", "red", [0.5, 0.1, 0.0225], yaw=np.radians(30), size=[0.045] * 3)
BOWL = SceneObject("green_bowl", "bowl", "green", [0.45, -0.15, 0.025], size=[0.14, 0.14, 0.05])
TALL = SceneObject("mug", "mug", "white", [0.47, -0.02, 0.05], size=[0.08, 0.08, 0.10])


@pytest.fixture(scope="module")
def kin():
    return ArmKinematics()


def dense_tcp_heights(kin, segments):
    """TCP heights along every move, sampling each joint-space straight piece between waypoints."""
    heights = []
    for segment in segments:
        if isinstance(segment, MoveSegment):
            for a, b in zip(segment.waypoints[:-1], segment.waypoints[1:]):
                heights += [kin.fk(a + t * (b - a))[0][2] for t in np.linspace(0, 1, 5)]
    return np.array(heights)


def check_chained(segments, q_start):
    q = q_start
    for segment in segments:
        assert segment.name in PHASES
        if isinstance(segment, MoveSegment):
            np.testing.assert_allclose(segment.waypoints[0], q)
            assert all(PANDA_LIMITS.within(w) for w in segment.waypoints)
            q = segment.waypoints[-1]
    return q


@pytest.fixture(scope="module")
def grasp_plan(kin):
    candidate = grasp_candidates(CUBE)[0]
    return candidate, plan_grasp(kin, PANDA_HOME, candidate)


def test_plan_grasp_phases_and_end_pose(kin, grasp_plan):
    candidate, segments = grasp_plan
    assert not isinstance(segments, str), segments
    assert [s.name for s in segments] == ["approach", "approach", "descend", "close", "lift"]
    assert isinstance(segments[0], GripperSegment) and segments[0].width_m == pytest.approx(candidate.width_m)
    assert segments[3].width_m == 0.0
    check_chained(segments, PANDA_HOME)
    descend = segments[2].waypoints
    assert len(descend) == 6  # start + 5 IK waypoints
    position, orientation = kin.fk(descend[-1])
    assert np.linalg.norm(position - candidate.position) < 0.002
    assert rotation_angle_between(orientation, candidate.orientation) < np.radians(2.0)
    # The descent is a straight vertical line from 10 cm above.
    points = np.array([kin.fk(q)[0] for q in descend])
    assert np.max(np.linalg.norm(points[:, :2] - candidate.position[:2], axis=1)) < 0.002
    assert points[0, 2] == pytest.approx(candidate.position[2] + 0.10, abs=0.002)
    lifted = kin.fk(segments[4].waypoints[-1])[0]
    assert lifted[2] == pytest.approx(candidate.position[2] + 0.15, abs=0.002)


def test_plan_grasp_stays_above_the_table(kin, grasp_plan):
    _, segments = grasp_plan
    assert dense_tcp_heights(kin, segments).min() >= 0.005


def test_plan_grasp_turns_the_wrist_the_short_way(kin, grasp_plan):
    candidate, segments = grasp_plan
    yaw = wrist_yaw(kin.fk(segments[2].waypoints[-1])[1])
    start_yaw = wrist_yaw(kin.fk(PANDA_HOME)[1])
    assert abs(yaw - normalize_yaw(candidate.yaw, start_yaw)) < np.radians(2.0)
    assert abs(yaw - start_yaw) <= np.pi / 2 + np.radians(2.0)


def test_unreachable_object_gives_a_reason_without_motion(kin):
    far = SceneObject("far_cube", "cube", "red", [1.3, 0.2, 0.0225], size=[0.045] * 3)
    result = plan_grasp(kin, PANDA_HOME, grasp_candidates(far)[0])
    assert isinstance(result, str) and result.startswith("no reachable grasp:")


def test_plan_place_in_bowl(kin, grasp_plan):
    _, grasp_segments = grasp_plan
    q_held = grasp_segments[-1].waypoints[-1]
    segments = plan_place(kin, q_held, BOWL, "in", CUBE, obstacles=[CUBE, BOWL, TALL])
    assert not isinstance(segments, str), segments
    assert [s.name for s in segments] == ["transport", "lower", "release", "retreat"]
    check_chained(segments, q_held)
    release = kin.fk(segments[1].waypoints[-1])[0]
    np.testing.assert_allclose(release[:2], BOWL.position[:2], atol=0.002)
    cube_bottom = release[2] - (CUBE.size[2] - 0.015)
    assert BOWL.position[2] - 0.025 < cube_bottom < BOWL.top_z
    assert segments[2].width_m > CUBE.size[0]
    # Transport: once at height, the held cube's bottom clears the mug (the tallest other object).
    transport = np.array([kin.fk(q)[0] for q in segments[0].waypoints])
    at_height = transport[np.argmax(transport[:, 2] > transport[0, 2] + 0.001):]
    assert np.all(at_height[:, 2] - (CUBE.size[2] - 0.015) > TALL.top_z)
    assert dense_tcp_heights(kin, segments).min() >= 0.005


def test_plan_place_on_releases_above_the_target_top(kin, grasp_plan):
    _, grasp_segments = grasp_plan
    other = SceneObject("blue_cube", "cube", "blue", [0.4, 0.2, 0.0225], size=[0.045] * 3)
    segments = plan_place(kin, grasp_segments[-1].waypoints[-1], other, "on", CUBE)
    release = kin.fk(segments[1].waypoints[-1])[0]
    assert release[2] - (CUBE.size[2] - 0.015) == pytest.approx(other.top_z + 0.015, abs=0.002)


def test_plan_place_refuses_what_cannot_be_done(kin, grasp_plan):
    q_held = grasp_plan[1][-1].waypoints[-1]
    assert "only on and in" in plan_place(kin, q_held, BOWL, "under", CUBE)
    small = SceneObject("cup", "cup", "red", [0.45, -0.15, 0.02], size=[0.04, 0.04, 0.04])
    assert "does not fit" in plan_place(kin, q_held, small, "in", CUBE)
    far = SceneObject("far_bowl", "bowl", "green", [1.4, 0.0, 0.025], size=[0.14, 0.14, 0.05])
    assert isinstance(plan_place(kin, q_held, far, "in", CUBE), str)


def test_only_objects_along_the_path_raise_the_transport(kin, grasp_plan):
    # Something tall at the table's other side must not lift the hand out of reach over a target near the edge.
    q_held = grasp_plan[1][-1].waypoints[-1]
    cabinet = SceneObject("drawer", "drawer", "brown", [0.35, 0.45, 0.175], size=[0.25, 0.30, 0.35])
    far_cube = SceneObject("blue_cube", "cube", "blue", [0.698, -0.252, 0.0225], size=[0.045] * 3)
    segments = plan_place(kin, q_held, far_cube, "on", CUBE, obstacles=[cabinet, far_cube, CUBE])
    assert not isinstance(segments, str), segments
    check_chained(segments, q_held)
    # The same cabinet on the way is cleared.
    across = SceneObject("drawer", "drawer", "brown", [0.45, -0.10, 0.08], size=[0.10, 0.10, 0.16])
    segments = plan_place(kin, q_held, far_cube, "on", CUBE, obstacles=[across, far_cube, CUBE])
    transport = np.array([kin.fk(q)[0] for q in segments[0].waypoints])
    assert transport[:, 2].max() - (CUBE.size[2] - 0.015) > across.top_z + 0.04


def test_plan_home_rises_before_going_home(kin, grasp_plan):
    q_low = grasp_plan[1][2].waypoints[-1]  # at the grasp, 3 cm above the table
    segments = plan_home(kin, q_low)
    assert [s.name for s in segments] == ["home"]
    waypoints = segments[0].waypoints
    np.testing.assert_allclose(waypoints[-1], PANDA_HOME)
    assert kin.fk(waypoints[-2])[0][2] == pytest.approx(MotionConfig().transport_height_m, abs=0.002)
    assert dense_tcp_heights(kin, segments).min() >= 0.005


def test_segments_and_config_validate():
    with pytest.raises(ValueError):
        MoveSegment("fly", np.zeros((2, 7)))
    with pytest.raises(ValueError):
        MoveSegment("lift", np.zeros((1, 7)))
    with pytest.raises(ValueError):
        GripperSegment("close", 0.2, 10.0)
    with pytest.raises(ValueError):
        MotionConfig(descend_steps=0)
    with pytest.raises(ValueError):
        MotionConfig(grip_force_n=-1.0)
    with pytest.raises(ValueError):
        plan_home(ArmKinematics(), np.zeros(3))
    with pytest.raises(ValueError):
        GraspCandidate([0.5, 0.0, np.inf], 0.0, 0.05)


def test_plan_grasp_unwinds_a_wound_wrist(kin):
    q_start = PANDA_HOME.copy()
    q_start[6] = 2.6  # same TCP position, wrist turned near its stop
    current = wrist_yaw(kin.fk(q_start)[1])
    candidate = GraspCandidate([0.5, 0.0, 0.03], current - 1.2, 0.06)  # the near twin would need q7 = 3.8
    segments = plan_grasp(kin, q_start, candidate)
    assert not isinstance(segments, str), segments
    q_grasp = segments[2].waypoints[-1]
    assert abs(q_grasp[6]) < 1.9
    assert abs(normalize_yaw(wrist_yaw(kin.fk(q_grasp)[1]), candidate.yaw) - candidate.yaw) < np.radians(2.0)


def test_tilted_grasp_descends_along_its_approach_axis_and_lifts_straight_up(kin):
    candidate = GraspCandidate([0.5, 0.1, 0.03], CUBE.yaw, 0.06, tilt=np.radians(30))
    segments = plan_grasp(kin, PANDA_HOME, candidate)
    assert not isinstance(segments, str), segments
    check_chained(segments, PANDA_HOME)
    descend = np.array([kin.fk(q)[0] for q in segments[2].waypoints])
    np.testing.assert_allclose(descend[0], candidate.pre_grasp(0.10), atol=0.002)
    np.testing.assert_allclose(descend[-1], candidate.position, atol=0.002)
    off_axis = np.cross(descend - candidate.position, candidate.approach_direction)
    assert np.max(np.linalg.norm(off_axis, axis=1)) < 0.002  # a straight line along the approach axis
    for q in segments[2].waypoints[1:]:  # the hand keeps the grasp's orientation (or its half-turn twin)
        hand = kin.fk(q)[1]
        assert min(rotation_angle_between(hand, candidate.orientation),
                   rotation_angle_between(hand, GraspCandidate(candidate.position, candidate.yaw + np.pi, 0.06,
                                                               -candidate.tilt).orientation)) < np.radians(2.0)
    lifted = np.array([kin.fk(q)[0] for q in segments[4].waypoints])
    np.testing.assert_allclose(lifted[:, :2], np.tile(candidate.position[:2], (len(lifted), 1)), atol=0.002)
    assert dense_tcp_heights(kin, segments).min() >= 0.005


def test_unreachable_tilts_are_refused_before_moving(kin):
    top_down = GraspCandidate([0.7, 0.0, 0.03], 0.0, 0.06)
    assert not isinstance(plan_grasp(kin, PANDA_HOME, top_down), str)
    # Leaning back towards the robot from beyond the object: the wrist cannot get there.
    from_beyond = GraspCandidate([0.7, 0.0, 0.03], 0.0, 0.06, tilt=-np.radians(40))
    assert plan_grasp(kin, PANDA_HOME, from_beyond).startswith("no reachable grasp:")
    # Low enough for a top-down grasp, but tilted the pads' lower corner would hit the table.
    low = GraspCandidate([0.5, 0.0, 0.016], 0.0, 0.06, tilt=np.radians(40))
    assert "into the table" in plan_grasp(kin, PANDA_HOME, low)
    assert not isinstance(plan_grasp(kin, PANDA_HOME, GraspCandidate([0.5, 0.0, 0.016], 0.0, 0.06)), str)


def test_approach_through_another_object_is_refused(kin):
    mug = SceneObject("mug", "mug", "white", [0.425, 0.1, 0.05], size=[0.08, 0.08, 0.10])  # 12 mm beside the cube
    top_down = GraspCandidate([0.5, 0.1, 0.03], 0.0, 0.06)  # the fingers pass; the 7 cm deep palm does not
    assert "the hand would come down on the mug" in plan_grasp(kin, PANDA_HOME, top_down, obstacles=[CUBE, mug])
    farther = SceneObject("mug", "mug", "white", [0.39, 0.1, 0.05], size=[0.08, 0.08, 0.10])
    assert not isinstance(plan_grasp(kin, PANDA_HOME, top_down, obstacles=[CUBE, farther]), str)
    # Tilted, the hand comes down from the -x side, through the mug.
    from_mug_side = GraspCandidate([0.5, 0.1, 0.03], 0.0, 0.06, tilt=np.radians(30))
    result = plan_grasp(kin, PANDA_HOME, from_mug_side, obstacles=[CUBE, mug])
    assert isinstance(result, str) and "passes through the mug" in result
    from_far_side = GraspCandidate([0.5, 0.1, 0.03], np.pi, 0.06, tilt=np.radians(30))
    assert not isinstance(plan_grasp(kin, PANDA_HOME, from_far_side, obstacles=[CUBE, mug]), str)


def test_place_keeps_the_grasp_tilt_so_the_object_stays_upright(kin):
    candidate = GraspCandidate([0.5, 0.1, 0.03], CUBE.yaw, 0.06, tilt=np.radians(25))
    q_held = plan_grasp(kin, PANDA_HOME, candidate)[-1].waypoints[-1]
    tilt = hand_tilt(kin.fk(q_held)[1])
    assert abs(tilt) == pytest.approx(np.radians(25), abs=np.radians(1))
    segments = plan_place(kin, q_held, BOWL, "in", CUBE, obstacles=[BOWL, TALL])
    assert not isinstance(segments, str), segments
    for segment in segments[:2]:  # transport and lower: the wrist turns only about the vertical
        for q in segment.waypoints[1:]:
            assert hand_tilt(kin.fk(q)[1]) == pytest.approx(tilt, abs=np.radians(2))


def test_a_grasp_whose_palm_comes_down_on_a_neighbour_is_refused(kin):
    # The fingers clear the box beside the cube, but across them the palm would land on its rim (182 N).
    cube = SceneObject("green_cube", "cube", "green", [0.532, -0.267, 0.0225], yaw=np.radians(86), size=[0.045] * 3)
    box = SceneObject("yellow_box", "box", "yellow", [0.608, -0.058, 0.04], yaw=np.radians(-163.1),
                      size=[0.22, 0.16, 0.08])
    along_the_box = GraspCandidate([0.528, -0.265, 0.029], np.radians(-4.0), 0.06)
    result = plan_grasp(kin, PANDA_HOME, along_the_box, obstacles=[box])
    assert isinstance(result, str) and "would come down on the yellow_box" in result
    across = GraspCandidate([0.528, -0.265, 0.029], np.radians(86.0), 0.06)
    assert not isinstance(plan_grasp(kin, PANDA_HOME, across, obstacles=[box]), str)
