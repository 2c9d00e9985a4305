"""The grasp-trial data file: merging, loading, and the patches rebuilt from its height maps."""
import numpy as np
import pytest

from griptalk.grasping import dataset
from griptalk.grasping.heightmap import CELL_M, PATCH_CELLS, HeightMap, grasp_patches
from griptalk.skills.grasps import FINGER_HALF_LENGTH_M, FINGER_THICKNESS_M, GraspCandidate


def ramp_map(n: int = 60) -> HeightMap:
    """Heights rising 1 mm per cell along x and 2 mm per cell along y; all seen."""
    i, j = np.mgrid[0:n, 0:n]
    return HeightMap(0.001 * i + 0.002 * j, np.ones((n, n), bool), np.array([0.4, -0.1]))


def part(placements: int, trials_each: int) -> dict:
    maps = [ramp_map() for _ in range(placements)]
    n = placements * trials_each
    return {"cell_m": np.float64(CELL_M),
            "map_heights": np.stack([m.heights for m in maps]).astype(np.float16),
            "map_seen": np.stack([m.seen for m in maps]),
            "map_origin": np.stack([m.origin for m in maps]),
            "position": np.tile([0.5, 0.0, 0.03], (n, 1)), "yaw": np.zeros(n), "width": np.full(n, 0.05),
            "tilt": np.linspace(-0.5, 0.5, n),
            "label": np.arange(n) % 2, "placement": np.repeat(np.arange(placements), trials_each).astype(np.int32),
            "kind": np.array(["cube"] * n), "nominal": np.ones(n, bool), "heuristic": np.zeros(n, np.float32)}


def test_sampling_interpolates_inside_and_reads_table_outside():
    hm = ramp_map()
    cells = np.random.default_rng(0).uniform(0.0, 59.0, (200, 2))
    heights, seen = hm.sample(hm.origin + cells * CELL_M)
    np.testing.assert_allclose(heights, 0.001 * cells[:, 0] + 0.002 * cells[:, 1], atol=1e-4)
    np.testing.assert_allclose(seen, 1.0, atol=1e-6)
    heights, seen = hm.sample(np.array([[0.0, 0.0], [2.0, 2.0]]))
    np.testing.assert_array_equal(heights, 0.0)
    np.testing.assert_array_equal(seen, 0.0)


def test_fingers_channel_marks_the_open_fingers():
    candidate = GraspCandidate([0.52, 0.0, 0.03], 0.0, 0.04)
    fingers = grasp_patches(ramp_map(), [candidate])[0][0, 2].astype(bool)
    offsets = (np.arange(PATCH_CELLS) - (PATCH_CELLS - 1) / 2.0) * CELL_M
    along, across = np.meshgrid(np.abs(offsets), np.abs(offsets), indexing="ij")
    expected = (along <= FINGER_HALF_LENGTH_M) & (across >= 0.02) & (across <= 0.02 + FINGER_THICKNESS_M)
    np.testing.assert_array_equal(fingers, expected)
    assert fingers.any() and not fingers[:, PATCH_CELLS // 2].any()  # nothing between the fingers


def test_merge_renumbers_placements_and_inputs_follow_the_maps():
    merged = dataset.merge([part(2, 3), part(1, 4)])
    np.testing.assert_array_equal(merged["placement"], [0, 0, 0, 1, 1, 1, 2, 2, 2, 2])
    assert len(merged["map_heights"]) == 3 and len(merged["label"]) == 10
    patches, features = dataset.inputs(merged)
    assert patches.shape == (10, 3, PATCH_CELLS, PATCH_CELLS) and features.shape == (10, 3)
    direct = grasp_patches(dataset.height_map(merged, 2), dataset.candidates(merged, [9]))[0]
    np.testing.assert_array_equal(patches[9], direct[0])


def test_load_merges_files_and_rejects_other_data(tmp_path):
    np.savez(tmp_path / "a.npz", **part(2, 3))
    np.savez(tmp_path / "b.npz", **part(1, 2))
    data = dataset.load([tmp_path / "a.npz", tmp_path / "b.npz"])
    assert len(data["label"]) == 8 and data["placement"].max() == 2
    top_down_only = part(1, 2)
    del top_down_only["tilt"]  # written before grasps could tilt
    np.savez(tmp_path / "top_down.npz", **top_down_only)
    data = dataset.load([tmp_path / "a.npz", tmp_path / "top_down.npz"])
    np.testing.assert_array_equal(data["tilt"], np.concatenate([part(2, 3)["tilt"], [0.0, 0.0]]))
    np.savez(tmp_path / "old.npz", patches=np.zeros((2, 2, 28, 28)), label=np.zeros(2))
    with pytest.raises(ValueError, match="not grasp-trial data"):
        dataset.load([tmp_path / "old.npz"])
    coarse = part(1, 1)
    coarse["cell_m"] = np.float64(2 * CELL_M)
    np.savez(tmp_path / "coarse.npz", **coarse)
    with pytest.raises(ValueError, match="cells"):
        dataset.load([tmp_path / "coarse.npz"])
    with pytest.raises(ValueError, match="no data"):
        dataset.merge([])


def test_height_map_rejects_mismatched_arrays():
    with pytest.raises(ValueError, match="one 2-D shape"):
        HeightMap(np.zeros((4, 4)), np.ones((4, 5), bool), [0.0, 0.0])
    with pytest.raises(ValueError, match="cell_m"):
        HeightMap(np.zeros((4, 4)), np.ones((4, 4), bool), [0.0, 0.0], cell_m=0.0)
