"""Simulated grasp trials: placements, perception with noise, and outcomes judged from ground truth."""
import numpy as np
import pybullet as pb
import pytest

from griptalk.grasping import dataset
from griptalk.grasping import generate as generate_module
from griptalk.grasping.generate import generate, pick_kind
from griptalk.grasping.heightmap import CHANNELS, PATCH_CELLS
from griptalk.grasping.trials import GraspTrials, PlacementFailed, kind_names
from griptalk.skills.grasps import GraspCandidate, grasp_candidates


@pytest.fixture(scope="module")
def trials():
    with GraspTrials(renderer="tiny") as t:
        yield t


def test_cube_is_perceived_near_its_box_and_seen_in_depth(trials):
    p = trials.place("cube", np.random.default_rng(1))
    np.testing.assert_allclose(np.sort(p.truth.size[:2]), [0.045, 0.045], atol=0.004)
    assert p.truth.size[2] == pytest.approx(0.045, abs=0.002)
    assert np.linalg.norm(p.perceived.position - p.truth.position) < 0.02
    top = p.height_map.sample(np.array([p.truth.position[:2]]))[0][0]
    assert top == pytest.approx(0.045, abs=0.004)


def test_nominal_grasp_holds_the_cube_and_a_grasp_beside_it_does_not(trials):
    p = trials.place("cube", np.random.default_rng(2))
    assert trials.attempt(grasp_candidates(p.truth, 1)[0]) is True
    beside = GraspCandidate(p.truth.position + [0.0, 0.0, 0.005] + [0.08, 0.0, 0.0], 0.0, 0.06)
    assert trials.attempt(beside) is False
    # Each attempt starts from the placement's state: the cube is back where it stood.
    assert trials.attempt(grasp_candidates(p.truth, 1)[0]) is True


def test_out_of_reach_is_not_a_trial(trials):
    trials.place("lego", np.random.default_rng(3))
    assert trials.attempt(GraspCandidate([1.5, 0.0, 0.03], 0.0, 0.07)) is None


def test_unknown_kind_is_an_error(trials):
    with pytest.raises(ValueError, match="unknown object kind"):
        trials.place("random_5000", np.random.default_rng(0))


def test_a_shape_that_falls_through_the_table_is_no_placement(trials, monkeypatch):
    # random_168 is about a centimetre across at our scales: it falls through the table.
    trials.place("cube", np.random.default_rng(0))
    bodies = pb.getNumBodies(physicsClientId=trials.world.client_id)  # the arm, the table, the cube
    with pytest.raises(PlacementFailed, match="random_168 is not on the table"):
        trials.place("random_168", np.random.default_rng(0))
    assert pb.getNumBodies(physicsClientId=trials.world.client_id) == bodies - 1  # neither object is left
    kinds = iter(["random_168", "cube"])
    monkeypatch.setattr(generate_module, "pick_kind", lambda *_: next(kinds))
    data = generate(2, seed=0, trials=trials)
    assert set(data["kind"]) == {"cube"} and len(data["map_origin"]) == 1


def test_held_out_shapes_are_not_trained_on():
    assert not set(kind_names(held_out=True)) & set(kind_names(held_out=False))


@pytest.mark.parametrize("share, fewest, most", [(0.0, 0, 0), (0.5, 70, 130), (1.0, 200, 200)])
def test_the_scene_type_share_sets_how_many_placements_stand_a_scene_type(share, fewest, most):
    rng = np.random.default_rng(3)
    kinds = [pick_kind(rng, False, share) for _ in range(200)]
    assert fewest <= sum(not k.startswith("random_") for k in kinds) <= most
    assert all(k in kind_names(held_out=False) for k in kinds)


def test_a_scene_type_share_outside_0_to_1_is_an_error():
    with pytest.raises(ValueError, match="scene_type_share"):
        generate(1, seed=0, scene_type_share=1.5)


def test_generation_is_reproducible(trials):
    a = generate(1, seed=7, held_out=True, trials=trials)
    b = generate(1, seed=7, held_out=True, trials=trials)
    patches, features = dataset.inputs(a)
    assert patches.shape[1:] == (CHANNELS, PATCH_CELLS, PATCH_CELLS)
    assert len(a["label"]) == len(features) == len(a["kind"]) == len(a["position"]) > 0
    assert len(a["map_heights"]) == 1 and np.all(a["placement"] == 0)
    np.testing.assert_array_equal(a["label"], b["label"])
    np.testing.assert_array_equal(a["map_heights"], b["map_heights"])
    np.testing.assert_array_equal(patches, dataset.inputs(b)[0])
