"""The learned grasp predictor's input (height map, grasp patches), sampler, metrics and model."""
import numpy as np
import pytest
import torch

from griptalk.camera import CameraModel
from griptalk.grasping.heightmap import (CELL_M, CHANNELS, FEATURES, PATCH_CELLS, RELATIVE_SCALE_M, HeightMap,
                                         grasp_patches, object_window, window_camera)
from griptalk.grasping.metrics import bootstrap_interval, roc_auc, top1_precision
from griptalk.grasping.model import DEFAULT_WEIGHTS, GraspNet, GraspPredictor, save_weights
from griptalk.grasping.sampler import sample_candidates
from griptalk.robot import GRIPPER_MAX_WIDTH_M
from griptalk.skills.grasps import MAX_TILT_RAD, GraspCandidate, grasp_candidates, min_tcp_z
from griptalk.types import SceneObject

CAMERA = CameraModel.looking_at(640, 480, 50.0, [1.05, 0.0, 0.8], [0.45, 0.0, 0.0])
# A bar 2 cm wide (x) and 8 cm long (y), 4 cm tall.
BAR = SceneObject("bar", "object", "", [0.5, 0.05, 0.02], yaw=0.0, size=[0.02, 0.08, 0.04])


def box_depth(camera: CameraModel, obj: SceneObject) -> np.ndarray:
    """Depth of the table plane with an axis-aligned box's top on it (the box's sides are left out)."""
    v, u = np.mgrid[0:camera.height, 0:camera.width]
    rays = np.stack([(u - camera.cx) / camera.fx, (v - camera.cy) / camera.fy, np.ones(u.shape)], axis=-1)
    rays_base = rays @ camera.rotation.T
    eye = np.asarray(camera.position)
    depth = np.full(u.shape, np.inf)
    for z, bounded in ((0.0, False), (obj.top_z, True)):
        t = (z - eye[2]) / rays_base[..., 2]  # ray parameter = depth along the optical axis
        hit = eye + t[..., None] * rays_base
        ok = t > 0
        if bounded:
            ok &= np.all(np.abs(hit[..., :2] - obj.position[:2]) <= obj.size[:2] / 2, axis=-1)
        depth = np.where(ok, np.minimum(depth, t), depth)
    return depth.astype(np.float32)


@pytest.fixture(scope="module")
def height_map():
    depth = box_depth(CAMERA, BAR)
    u0, v0, w, h = window = object_window(CAMERA, BAR)
    return HeightMap.from_depth(depth[v0:v0 + h, u0:u0 + w], window_camera(CAMERA, window), BAR.position[:2])


def test_window_holds_the_object_and_stays_in_the_image():
    u0, v0, w, h = object_window(CAMERA, BAR)
    centre = CAMERA.project(BAR.position[None])[0]
    assert u0 <= centre[0] < u0 + w and v0 <= centre[1] < v0 + h
    assert u0 >= 0 and v0 >= 0 and u0 + w <= CAMERA.width and v0 + h <= CAMERA.height
    far = SceneObject("far", "object", "", [0.5, 5.0, 0.02], size=[0.02, 0.02, 0.04])
    with pytest.raises(ValueError, match="outside the camera image"):
        object_window(CAMERA, far)


def test_window_camera_sees_the_same_pixels():
    window = (100, 50, 64, 48)
    sub = window_camera(CAMERA, window)
    point = np.array([[0.5, 0.05, 0.02]])
    np.testing.assert_allclose(sub.project(point)[0] + [100, 50], CAMERA.project(point)[0], atol=1e-9)


def test_height_map_sees_the_top_and_the_table(height_map):
    top = height_map.sample(np.array([BAR.position[:2]]))[0][0]
    assert top == pytest.approx(BAR.top_z, abs=0.003)
    table = height_map.sample(np.array([BAR.position[:2] + [0.0, 0.09]]))[0][0]
    assert table == pytest.approx(0.0, abs=0.002)
    assert height_map.seen.mean() > 0.8


def test_bad_depth_size_is_an_error():
    with pytest.raises(ValueError, match="camera sees"):
        HeightMap.from_depth(np.zeros((10, 10)), CAMERA, [0.5, 0.0])


def test_patches_turn_with_the_grasp(height_map):
    across = GraspCandidate([0.5, 0.05, 0.025], np.pi / 2, 0.04)  # hand x along the bar: fingers close across it
    along = GraspCandidate([0.5, 0.05, 0.025], 0.0, 0.04)
    patches, features = grasp_patches(height_map, [across, along])
    assert patches.shape == (2, CHANNELS, PATCH_CELLS, PATCH_CELLS) and features.shape == (2, len(FEATURES))
    raised = patches[:, 0] > (BAR.top_z - 0.025 - 0.005) / RELATIVE_SCALE_M
    middle = PATCH_CELLS // 2
    # Rows run along the hand's x axis, columns along the closing direction.
    assert raised[0, :, middle].sum() > raised[0, middle, :].sum()
    assert raised[1, middle, :].sum() > raised[1, :, middle].sum()
    np.testing.assert_allclose(features[0], [0.04 / GRIPPER_MAX_WIDTH_M, 0.25, 0.0], rtol=1e-6)
    tilted = GraspCandidate([0.5, 0.05, 0.025], np.pi / 2, 0.04, tilt=-MAX_TILT_RAD / 2)
    tilted_patches, tilted_features = grasp_patches(height_map, [tilted])
    assert tilted_features[0, FEATURES.index("tilt")] == pytest.approx(-0.5)
    np.testing.assert_array_equal(tilted_patches[0, 1:], patches[0, 1:])
    # Heights are taken from the hand's plane, which falls along the hand's x axis at this tilt.
    along = (np.arange(PATCH_CELLS) - (PATCH_CELLS - 1) / 2.0) * CELL_M
    rise = np.broadcast_to(-along[:, None] * np.tan(tilted.tilt) / RELATIVE_SCALE_M, (PATCH_CELLS, PATCH_CELLS))
    unclipped = (np.abs(patches[0, 0]) < 0.99) & (np.abs(tilted_patches[0, 0]) < 0.99)
    assert unclipped.mean() > 0.5
    np.testing.assert_allclose((tilted_patches[0, 0] - patches[0, 0])[unclipped], rise[unclipped], atol=1e-4)
    assert grasp_patches(height_map, [])[0].shape == (0, CHANNELS, PATCH_CELLS, PATCH_CELLS)


def test_half_turn_twin_sees_the_patch_turned_and_the_tilt_reversed(height_map):
    # Why training may flip a patch along the hand's x axis once it reverses the tilt: the twin grasp
    # (yaw + pi, -tilt) is the same grasp, and it sees the patch turned half a turn.
    grasp = GraspCandidate([0.5, 0.05, 0.025], 0.3, 0.04, tilt=0.4)
    twin = GraspCandidate(grasp.position, grasp.yaw + np.pi, 0.04, tilt=-0.4)
    (patch, twin_patch), (features, twin_features) = grasp_patches(height_map, [grasp, twin])
    np.testing.assert_allclose(twin_patch, patch[:, ::-1, ::-1], atol=1e-3)
    tilt = FEATURES.index("tilt")
    assert twin_features[tilt] == pytest.approx(-features[tilt])


@pytest.mark.skipif(not DEFAULT_WEIGHTS.is_file(), reason="no trained weights shipped")
def test_a_grasp_and_its_half_turn_twin_score_the_same(height_map):
    # The predictor averages each grasp's mirror views, so the twin (the same grasp) gets the same score;
    # the network alone scores the two views differently.
    grasp = GraspCandidate([0.5, 0.05, 0.025], 0.3, 0.04, tilt=0.4)
    twin = GraspCandidate(grasp.position, grasp.yaw + np.pi, 0.04, tilt=-0.4)
    predictor = GraspPredictor()
    patches, features = grasp_patches(height_map, [grasp, twin])
    both = predictor.predict(patches, features)
    assert both[0] == pytest.approx(both[1], abs=1e-3)
    with torch.inference_mode():
        plain = predictor.net(torch.from_numpy(patches), torch.from_numpy(features)).numpy()
    assert abs(plain[0] - plain[1]) > 1e-3


def test_sampler_spreads_valid_candidates_reproducibly():
    a = sample_candidates(BAR, 64, np.random.default_rng(3))
    b = sample_candidates(BAR, 64, np.random.default_rng(3))
    assert len(a) == 64
    assert all(np.array_equal(x.position, y.position) and x.yaw == y.yaw for x, y in zip(a, b))
    offsets = np.array([c.position[:2] - BAR.position[:2] for c in a])
    assert np.all(np.abs(offsets) <= 0.6 * BAR.size[:2] / 2 + 0.01 + 1e-9)
    assert np.ptp([c.yaw for c in a]) > 2.0  # closing directions all round
    assert all(min_tcp_z(c.tilt) <= c.position[2] <= BAR.top_z and 0.0 < c.width_m <= GRIPPER_MAX_WIDTH_M for c in a)
    tilts = np.array([c.tilt for c in a])
    assert np.all(np.abs(tilts) <= MAX_TILT_RAD)
    assert tilts.min() < -0.5 * MAX_TILT_RAD and tilts.max() > 0.5 * MAX_TILT_RAD  # leaning both ways
    with pytest.raises(ValueError):
        sample_candidates(BAR, 0, np.random.default_rng(0))


def test_roc_auc_and_top1():
    assert roc_auc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert roc_auc([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1]) == 0.0
    assert roc_auc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]) == 0.5
    assert roc_auc([0, 1, 1], [0.1, 0.1, 0.3]) == pytest.approx(0.75)
    with pytest.raises(ValueError, match="both"):
        roc_auc([1, 1], [0.2, 0.3])
    assert top1_precision([0, 1, 1, 0], [0.1, 0.9, 0.2, 0.8], [0, 0, 1, 1]) == 0.5
    # Placement 0: two candidates tie for the best, one held; placement 1: a clear best that held.
    assert top1_precision([1, 0, 0, 1, 0], [0.9, 0.9, 0.1, 0.8, 0.2], [0, 0, 0, 1, 1]) == pytest.approx(0.75)


def _noisy_trials(placements: int, rng: np.random.Generator):
    """12 trials per placement whose scores tell successes from failures only roughly."""
    groups = np.repeat(np.arange(placements), 12)
    labels = rng.uniform(size=groups.size) < 0.5
    return labels, labels + rng.normal(0.0, 0.8, groups.size), groups


def test_bootstrap_interval_brackets_the_figure_and_narrows_with_more_placements():
    def auc(y, s, _):
        return roc_auc(y, s)

    rng = np.random.default_rng(0)
    few, many = _noisy_trials(30, rng), _noisy_trials(300, rng)
    low, high = bootstrap_interval(auc, *few)
    assert low < roc_auc(*few[:2]) < high
    low_many, high_many = bootstrap_interval(auc, *many)
    assert high_many - low_many < 0.6 * (high - low)  # ten times the placements: about a third as wide
    seeded = bootstrap_interval(auc, *few, seed=1)
    assert seeded == bootstrap_interval(auc, *few, seed=1) != (low, high)  # the seed decides the draws
    separable = ([0, 1] * 10, [0.1, 0.9] * 10, np.repeat(np.arange(10), 2))
    assert bootstrap_interval(auc, *separable) == (1.0, 1.0)
    assert bootstrap_interval(top1_precision, *separable) == (1.0, 1.0)


def test_bootstrap_interval_redraws_undefined_draws_and_rejects_bad_input():
    def auc(y, s, _):
        return roc_auc(y, s)

    # Half the placements hold only successes: many draws hold no failure, where an AUC is undefined.
    labels, scores, groups = [1, 1, 0, 1], [0.9, 0.8, 0.2, 0.7], [0, 0, 1, 1]
    low, high = bootstrap_interval(auc, labels, scores, groups)
    assert 0.0 <= low <= high <= 1.0
    with pytest.raises(ValueError, match="undefined"):
        bootstrap_interval(auc, [1, 1], [0.2, 0.3], [0, 1])
    with pytest.raises(ValueError, match="level"):
        bootstrap_interval(auc, labels, scores, groups, level=1.0)
    with pytest.raises(ValueError, match="resamples"):
        bootstrap_interval(auc, labels, scores, groups, resamples=0)
    with pytest.raises(ValueError, match="same shape"):
        bootstrap_interval(auc, labels, scores[:3], groups)


@pytest.mark.skipif(not DEFAULT_WEIGHTS.is_file(), reason="no trained weights shipped")
def test_shipped_predictor_scores_candidates_from_depth():
    predictor = GraspPredictor()
    cube = SceneObject("red_cube", "cube", "red", [0.5, 0.05, 0.0225], size=[0.045] * 3)
    depth = box_depth(CAMERA, cube)
    good = grasp_candidates(cube, 2)
    beside = GraspCandidate([0.5, 0.11, 0.03], 0.0, 0.04)  # 6 cm to the side: closes on nothing
    scores = predictor.score(cube, good + [beside], depth, CAMERA)
    assert scores.shape == (3,) and np.all((scores >= 0) & (scores <= 1))
    assert scores[:2].min() > 0.5 > scores[2]
    with pytest.raises(ValueError, match="camera sees"):
        predictor.score(cube, good, depth[:10], CAMERA)


def test_missing_weights_say_how_to_train(tmp_path):
    with pytest.raises(FileNotFoundError, match="griptalk.grasping.train"):
        GraspPredictor(tmp_path / "none.pt")


def test_weights_of_another_layout_or_architecture_are_refused(tmp_path):
    save_weights(GraspNet(), tmp_path / "net.pt", {})
    assert GraspPredictor(tmp_path / "net.pt").predict(np.zeros((0, CHANNELS, PATCH_CELLS, PATCH_CELLS)),
                                                       np.zeros((0, len(FEATURES)))).shape == (0,)
    saved = torch.load(tmp_path / "net.pt", weights_only=True)
    torch.save({**saved, "channels": CHANNELS - 1}, tmp_path / "layout.pt")
    with pytest.raises(ValueError, match="patch layout"):
        GraspPredictor(tmp_path / "layout.pt")
    saved["state_dict"].pop("head.0.bias")
    torch.save(saved, tmp_path / "architecture.pt")
    with pytest.raises(ValueError, match="architecture"):
        GraspPredictor(tmp_path / "architecture.pt")
