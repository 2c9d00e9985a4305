import numpy as np
import pytest

from griptalk.robot import PANDA_HOME, PANDA_LIMITS
from griptalk.skills.grasps import grasp_orientation
from griptalk.skills.kinematics import ArmKinematics, rotation_angle_between


@pytest.fixture(scope="module")
def kin():
    return ArmKinematics()


def test_home_tcp_points_down_in_front_of_the_base(kin):
    position, quaternion = kin.fk(PANDA_HOME)
    assert 0.25 < position[0] < 0.35 and abs(position[1]) < 1e-3 and 0.4 < position[2] < 0.6
    assert rotation_angle_between(quaternion, grasp_orientation(0.0)) < np.radians(1.0)


def test_fk_ik_round_trip_over_random_reachable_poses(kin):
    rng = np.random.default_rng(7)
    solved = 0
    for _ in range(30):
        q = PANDA_HOME + rng.uniform(-0.4, 0.4, size=7)
        q = PANDA_LIMITS.clip(q)
        position, quaternion = kin.fk(q)
        answer = kin.ik(position, quaternion)
        if answer is None:
            continue
        solved += 1
        p2, q2 = kin.fk(answer)
        assert np.linalg.norm(p2 - position) < 0.002
        assert rotation_angle_between(q2, quaternion) < np.radians(2.0)
        assert PANDA_LIMITS.within(answer)
    assert solved >= 27


def test_ik_reaches_top_down_poses_over_the_table(kin):
    rng = np.random.default_rng(3)
    for _ in range(20):
        target = np.array([rng.uniform(0.35, 0.65), rng.uniform(-0.3, 0.3), rng.uniform(0.02, 0.3)])
        orientation = grasp_orientation(np.arctan2(target[1], target[0]) + rng.uniform(-0.8, 0.8))
        q = kin.ik(target, orientation)
        assert q is not None, target
        position, quaternion = kin.fk(q)
        assert np.linalg.norm(position - target) < 0.002


def test_ik_returns_none_out_of_reach(kin):
    assert kin.ik([1.5, 0.0, 0.2], grasp_orientation(0.0)) is None


def test_ik_follows_its_seed(kin):
    seed = kin.ik([0.5, 0.1, 0.1], grasp_orientation(0.0))
    nearby = kin.ik([0.5, 0.1, 0.08], grasp_orientation(0.0), seed_q=seed)
    assert np.max(np.abs(nearby - seed)) < 0.2


def test_bad_input_raises(kin):
    with pytest.raises(ValueError):
        kin.fk(np.zeros(6))
    with pytest.raises(ValueError):
        kin.ik([np.nan, 0.0, 0.2], grasp_orientation(0.0))
    with pytest.raises(ValueError):
        kin.ik([0.5, 0.0, 0.2], [0.0, 0.0, 0.0, 0.0])
