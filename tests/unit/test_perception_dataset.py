"""The detector's dataset: labels from the simulator's segmentation, held-out colours, determinism;
the detector's input image; and the average-precision scorer the benchmark uses."""
import random

import numpy as np
import pytest
import yaml

from griptalk.perception.dataset import (CLASSES, HELD_OUT_COLORS, calibrated_camera, labels, relight, scene_for_seed,
                                         vary_object_appearance, write_dataset, TRAINING_COLORS)
from griptalk.perception.detector_input import HEIGHT_RANGE_M, detector_input
from griptalk.perception.evaluation import DetectionScorer
from griptalk.perception.pipeline import box_iou, match_blobs
from griptalk.perception.segmentation import Blob
from griptalk_sim.scene import load_scene
from griptalk_sim.world import World

CAMERA = calibrated_camera()


@pytest.fixture(scope="module")
def drawer_world():
    with World(load_scene("drawer"), CAMERA) as world:
        yield world


def test_the_handle_mask_lies_on_the_drawer(drawer_world):
    handle = drawer_world.drawer_handle_mask()
    index = drawer_world.render_segmentation()
    drawer = [i for i, o in enumerate(drawer_world.scene.objects) if o.type == "drawer"][0]
    assert handle.sum() > 50
    assert np.all(index[handle] == drawer)


def test_labels_box_every_visible_object_and_the_handle(drawer_world):
    found = labels(drawer_world)
    assert sorted(label.object_class for label in found) == sorted(
        [o.type for o in drawer_world.scene.objects] + ["handle"])
    for label in found:
        x0, y0, x1, y1 = label.box
        assert 0 <= x0 < x1 <= CAMERA.width and 0 <= y0 < y1 <= CAMERA.height
    handle = next(label for label in found if label.object_class == "handle")
    drawer = next(label for label in found if label.object_class == "drawer")
    assert handle.object_id == drawer.object_id == "drawer"


def test_no_handle_without_a_drawer():
    with World(load_scene("tabletop"), CAMERA) as world:
        assert not world.drawer_handle_mask().any()


def test_training_scenes_never_show_the_held_out_colours():
    for seed in range(40):
        scene = scene_for_seed(seed, TRAINING_COLORS)
        assert not {o.color for o in scene.objects} & set(HELD_OUT_COLORS)
        assert scene == scene_for_seed(seed, TRAINING_COLORS)
    all_colours = {o.color for seed in range(40) for o in scene_for_seed(seed).objects}
    assert set(HELD_OUT_COLORS) <= all_colours  # the benchmark's scenes do show them


def test_the_detector_input_has_luminance_height_and_saturation():
    with World(load_scene("tabletop"), CAMERA) as world:
        rgb, depth = world.render()
        cube = next(s for s in world.object_states() if s.type == "cube")
    image = detector_input(rgb, depth, CAMERA)
    assert image.shape == (240, 320, 3) and image.dtype == np.uint8
    u, v = CAMERA.project(np.array([cube.position[:2] + (0.045,)]))[0] / 2.0  # the cube's top, half scale
    top = image[int(round(v)), int(round(u)), 1]
    assert top == pytest.approx(0.045 / HEIGHT_RANGE_M * 255, abs=8)
    assert np.median(image[..., 1]) < 5  # mostly table
    with pytest.raises(ValueError):
        detector_input(rgb[:100], depth, CAMERA)


def test_relight_is_seeded_and_changes_the_image():
    rgb = np.full((48, 64, 3), 120, np.uint8)
    a, b = relight(rgb, random.Random(1)), relight(rgb, random.Random(1))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, rgb)


def test_objects_get_their_own_brightness_and_saturation_and_keep_their_height_and_shading():
    image = np.full((24, 32, 3), 90, np.uint8)
    image[4:12, 4:12] = (230, 40, 10)  # a white mug: bright, unsaturated
    image[4:8, 4:12, 0] = 210  # its shading
    image[14:20, 20:28] = (60, 40, 200)  # a red cube
    index = np.full((48, 64), -1, np.int32)  # the segmentation, at twice the size
    index[8:24, 8:24], index[28:40, 40:56] = 0, 1
    out = vary_object_appearance(image, index, random.Random(3), share=1.0)
    assert np.array_equal(out, vary_object_appearance(image, index, random.Random(3), share=1.0))
    assert np.array_equal(out[..., 1], image[..., 1])  # height is geometry, left alone
    background = index[::2, ::2] < 0
    assert np.array_equal(out[background], image[background])
    mug, cube = out[4:12, 4:12].astype(int), out[14:20, 20:28].astype(int)
    assert abs(mug[..., 0].mean() - 225) > 5 and abs(cube[..., 2].mean() - 200) > 5
    assert 10 <= mug[7, 0, 0] - mug[0, 0, 0] <= 30  # the shading's step (20) kept, its contrast scaled a little
    assert np.array_equal(vary_object_appearance(image, index, random.Random(3), share=0.0), image)


def test_the_written_dataset_is_reproducible(tmp_path):
    counts = write_dataset(tmp_path / "a", images=3, seed=5, val_fraction=0.34)
    write_dataset(tmp_path / "b", images=3, seed=5, val_fraction=0.34)
    assert (counts["train"], counts["val"]) == (2, 1)
    data = yaml.safe_load((tmp_path / "a" / "data.yaml").read_text())
    assert data["names"] == dict(enumerate(CLASSES))
    for split, name in (("train", "000000"), ("train", "000001"), ("val", "000002")):
        text = (tmp_path / "a" / "labels" / split / f"{name}.txt").read_text()
        assert text == (tmp_path / "b" / "labels" / split / f"{name}.txt").read_text()
        rows = [line.split() for line in text.splitlines()]
        assert rows and all(0 <= int(r[0]) < len(CLASSES) and all(0.0 < float(v) <= 1.0 for v in r[1:]) for r in rows)
        assert (tmp_path / "a" / "images" / split / f"{name}.png").is_file()
    with pytest.raises(ValueError):
        write_dataset(tmp_path / "c", images=0, seed=0)


def box(x0, y0, x1, y1):
    return np.array([x0, y0, x1, y1], float)


def test_average_precision():
    scorer = DetectionScorer(("cube", "bowl"))
    truth = [("cube", box(0, 0, 10, 10)), ("cube", box(20, 0, 30, 10))]
    # One exact hit, one hit at IoU 0.6 (counts at 0.5, not at 0.75), no bowl at all.
    scorer.add_image(truth, [("cube", 0.9, box(0, 0, 10, 10)), ("cube", 0.8, box(20, 0, 30, 6))])
    ap = scorer.average_precision()
    assert set(ap) == {"cube"}
    assert ap["cube"][0] == pytest.approx(1.0)
    assert 0.4 < ap["cube"].mean() < 0.8
    # A confident false positive lowers the precision of everything ranked after it.
    worse = DetectionScorer(("cube",))
    worse.add_image(truth, [("cube", 0.95, box(50, 50, 60, 60)), ("cube", 0.9, box(0, 0, 10, 10)),
                            ("cube", 0.8, box(20, 0, 30, 10))])
    assert worse.average_precision()["cube"][0] < 0.9
    missed = DetectionScorer(("cube",))
    missed.add_image(truth, [])
    assert missed.average_precision()["cube"][0] == 0.0


def test_blobs_take_the_best_overlapping_detection_one_to_one():
    from griptalk.perception.detector import Detection

    def blob(x0, y0, x1, y1):
        rows, cols = np.mgrid[y0:y1, x0:x1]
        n = rows.size
        return Blob(rows.ravel(), cols.ravel(), np.zeros((n, 3)), np.zeros((n, 3), np.uint8))

    blobs = [blob(0, 0, 10, 10), blob(40, 40, 60, 60), blob(100, 100, 104, 104)]
    detections = [Detection("bowl", 0.9, box(38, 40, 60, 61)), Detection("cube", 0.8, box(0, 0, 11, 10)),
                  Detection("cube", 0.7, box(1, 0, 10, 10))]
    matched = match_blobs(blobs, detections, 0.4)
    assert [m.object_class if m else None for m in matched] == ["cube", "bowl", None]
    assert matched[0].confidence == 0.8  # the better overlap wins, the other cube box is left over
    assert box_iou(box(0, 0, 10, 10)[None], box(5, 0, 15, 10)[None])[0, 0] == pytest.approx(1 / 3)
