"""Labelled detector images rendered from the PyBullet world, reproducible from a seed.

    python -m griptalk.perception.dataset --out DIR --images N --seed S

Each scene is a random valid scene (`random_scene(seed)`) that is then dressed: small objects
dropped into bowls, boxes and the drawer or onto cubes, the drawer pulled out, the arm moved,
the camera jittered around its calibration, the light varied. Boxes come from the simulator's
segmentation: every object's visible pixels, and the drawer's handle as its own class. Orange,
purple, pink and white objects are repainted with the other colours, so the detector never sees
them (the benchmark shows it still finds them and that colour naming still works on them). In the
detector's input most objects get their own brightness and saturation (`vary_object_appearance`):
every mug is near-white and every duck yellow, and a class that can be told by its brightness is
learnt that way (a white cube was read as a mug, a pink one as a lego). The input has no hue, and
the held-out colours are still never rendered.

Writes the ultralytics layout: DIR/images/{train,val}/*.png (detector input, see
`detector_input.py`), DIR/labels/{train,val}/*.txt (class cx cy w h, normalised) and
DIR/data.yaml. Image k uses seed S + k // VIEWS_PER_SCENE; the last `val_fraction` are validation.
"""
from __future__ import annotations

import argparse
import math
import random
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
import yaml

from griptalk.camera import CameraModel
from griptalk.paths import share_dir
from griptalk.perception.detector_input import detector_input
from griptalk.robot import PANDA_HOME
from griptalk_sim.scene import COLORS, OBJECT_TYPES, Scene, random_scene
from griptalk_sim.world import ARM_JOINT_INDICES, ASSETS, World

import pybullet as pb  # noqa: E402  (after griptalk_sim.world, which silences its banner)

CLASSES = ("cube", "bowl", "box", "drawer", "handle", "duck", "mug", "lego")
HELD_OUT_COLORS = ("orange", "purple", "pink", "white")
TRAINING_COLORS = tuple(c for c in COLORS if c not in HELD_OUT_COLORS)
MIN_LABEL_PX = 60  # visible pixels (640 x 480) below which an object is too hidden to label
VIEWS_PER_SCENE = 2  # renders of one dressed scene (camera, light and arm differ): building a world is slow
_DROPPABLE = ("cube", "lego", "duck")
_SETTLE_STEPS = 360


@dataclass(frozen=True)
class Label:
    object_class: str
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in image pixels (x1, y1 exclusive)
    object_id: str  # the scene object it belongs to (the drawer's, for its handle)


def calibrated_camera() -> CameraModel:
    """The scene camera of config/camera.yaml."""
    params = yaml.safe_load((share_dir() / "config" / "camera.yaml").read_text())["/**"]["ros__parameters"]["camera"]
    return CameraModel.looking_at(params["width_px"], params["height_px"], params["vertical_fov_deg"],
                                  params["eye_m"], params["target_m"])


def jittered_camera(camera: CameraModel, rng: random.Random, shift_m: float = 0.03, fov_deg: float = 2.0) -> CameraModel:
    """The camera moved and re-aimed by a few centimetres, its field of view changed by a little."""
    eye = np.asarray(camera.position) + [rng.uniform(-shift_m, shift_m) for _ in range(3)]
    target = eye + camera.rotation[:, 2]  # a point on the optical axis
    target = target + [rng.uniform(-shift_m, shift_m) for _ in range(3)]
    return CameraModel.looking_at(camera.width, camera.height, camera.vertical_fov_deg + rng.uniform(-fov_deg, fov_deg),
                                  eye, target)


def scene_for_seed(seed: int, colors: tuple[str, ...] = tuple(COLORS)) -> Scene:
    """`random_scene(seed)` with 3 to 8 objects, every colour outside `colors` repainted with one inside."""
    rng = random.Random(seed)
    scene = random_scene(seed, n_objects=rng.randint(3, 8))
    objects = tuple(replace(o, color=rng.choice(colors)) if o.color and o.color not in colors else o
                    for o in scene.objects)
    return replace(scene, objects=objects)


def dress(world: World, rng: random.Random) -> None:
    """Drop small objects into the open drawer, bowls and boxes or onto cubes; let them settle."""
    specs = list(world.scene.objects)
    states = {s.id: s for s in world.object_states()}
    small = [s.id for s in specs if s.type in _DROPPABLE]
    rng.shuffle(small)
    moved = False
    drawer = next((s for s in states.values() if s.type == "drawer"), None)
    if drawer is not None and rng.random() < 0.7:
        opening = rng.uniform(0.03, OBJECT_TYPES["drawer"].sweep_x_m)
        pb.resetJointState(world.drawer_id, 0, opening, physicsClientId=world.client_id)
        moved = True
        if small and opening > 0.08 and rng.random() < 0.6:
            cavity = OBJECT_TYPES["drawer"].cavity
            local = (opening + (cavity.x[0] + cavity.x[1]) / 2 + rng.uniform(-0.02, 0.02), rng.uniform(-0.08, 0.08))
            _drop(world, small.pop(), _to_base(drawer, local), drawer.position[2] + 0.10, rng)
    for container in (s for s in specs if s.type in ("bowl", "box")):
        if small and rng.random() < 0.5:
            half = (0.03, 0.02) if container.type == "box" else (0.015, 0.015)
            _drop(world, small.pop(), _to_base(states[container.id], [rng.uniform(-h, h) for h in half]), 0.12, rng)
            moved = True
    cubes = [i for i in small if world.scene.get(i).type == "cube"]
    if len(cubes) >= 2 and rng.random() < 0.4:
        _drop(world, cubes[0], states[cubes[1]].position[:2], 0.11, rng)
        moved = True
    if moved:
        world.step(_SETTLE_STEPS)


def _to_base(frame, local_xy) -> tuple[float, float]:
    c, s = math.cos(frame.yaw), math.sin(frame.yaw)
    x, y = local_xy
    return (frame.position[0] + c * x - s * y, frame.position[1] + s * x + c * y)


def _drop(world: World, object_id: str, xy, z: float, rng: random.Random) -> None:
    """Put an object, upright at a random yaw, at `z` above (x, y): the next steps let it fall."""
    spec = world.scene.get(object_id)
    half = math.radians(rng.uniform(-180.0, 180.0)) / 2.0
    _, quat = pb.multiplyTransforms((0, 0, 0), (0.0, 0.0, math.sin(half), math.cos(half)), (0, 0, 0),
                                    ASSETS[spec.type].upright)
    pb.resetBasePositionAndOrientation(world.object_body(object_id), (float(xy[0]), float(xy[1]), float(z)), quat,
                                       physicsClientId=world.client_id)


def move_arm(world: World, rng: random.Random) -> None:
    """Put the arm in a random pose around home (no physics step: only what the camera sees changes)."""
    spread = (0.9, 0.35, 0.5, 0.4, 0.8, 0.4, 1.0)  # [rad] per joint, base first
    for joint, home, s in zip(ARM_JOINT_INDICES, PANDA_HOME, spread):
        pb.resetJointState(world.robot_id, joint, float(home) + rng.uniform(-s, s), physicsClientId=world.client_id)


def labels(world: World, index: np.ndarray | None = None) -> list[Label]:
    """A box around every object's visible pixels, and one around the drawer's handle.

    `index`: the world's `render_segmentation()`, when the caller has it already.
    """
    index = world.render_segmentation() if index is None else index
    found = [(spec.type, spec.id, np.nonzero(index == i)) for i, spec in enumerate(world.scene.objects)]
    drawer = next((spec.id for spec in world.scene.objects if spec.type == "drawer"), "")
    found.append(("handle", drawer, np.nonzero(world.drawer_handle_mask())))
    return [Label(kind, (float(cols.min()), float(rows.min()), float(cols.max() + 1), float(rows.max() + 1)), object_id)
            for kind, object_id, (rows, cols) in found if len(rows) >= MIN_LABEL_PX]


def relight(rgb: np.ndarray, rng: random.Random) -> np.ndarray:
    """The image under another light: brightness, gamma, colour cast, a gradient across it, sensor noise."""
    h, w, _ = rgb.shape
    image = rgb.astype(np.float32) / 255.0
    v, u = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0.0, 2.0 * math.pi)
    ramp = (math.cos(angle) * (u / w - 0.5) + math.sin(angle) * (v / h - 0.5)) * rng.uniform(0.0, 0.6)
    cast = np.array([rng.uniform(0.9, 1.1) for _ in range(3)], dtype=np.float32)
    image = image ** rng.uniform(0.8, 1.25) * (rng.uniform(0.65, 1.25) * (1.0 + ramp))[..., None] * cast
    noise = np.random.default_rng(rng.getrandbits(32)).normal(0.0, rng.uniform(0.0, 0.02), image.shape)
    return np.clip((image + noise) * 255.0 + 0.5, 0, 255).astype(np.uint8)


def vary_object_appearance(image: np.ndarray, index: np.ndarray, rng: random.Random,
                           share: float = 0.7) -> np.ndarray:
    """The detector input with a `share` of the objects given a random brightness and saturation each.

    `image`: `detector_input()` (luminance, height, saturation); `index`: the frame's segmentation
    (`World.render_segmentation`, any size). Each chosen object's two channels are moved to a random
    mean with their contrast scaled a little, so its shading and edges stay; height is left alone.
    """
    h, w, _ = image.shape
    small = cv2.resize(index.astype(np.int32), (w, h), interpolation=cv2.INTER_NEAREST)
    out = image.astype(np.float32)
    for i in np.unique(small[small >= 0]):
        if rng.random() >= share:
            continue
        mask = small == i
        for channel in (0, 2):  # luminance, saturation
            values = out[..., channel][mask]
            mean = rng.uniform(20.0, 235.0)
            out[..., channel][mask] = mean + (values - values.mean()) * rng.uniform(0.7, 1.3)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def write_dataset(out: Path, images: int, seed: int, val_fraction: float = 0.1, log=None) -> dict:
    """Render `images` labelled detector images into `out`; returns the counts per split and class."""
    if images < 1:
        raise ValueError(f"images must be >= 1, got {images}")
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    n_val = int(round(images * val_fraction))
    for split in ("train", "val"):
        (out / "images" / split).mkdir(parents=True, exist_ok=True)
        (out / "labels" / split).mkdir(parents=True, exist_ok=True)
    counts = {"train": 0, "val": 0, "boxes": dict.fromkeys(CLASSES, 0)}
    base_camera = calibrated_camera()
    k = 0
    while k < images:
        scene_seed = seed + k // VIEWS_PER_SCENE
        rng = random.Random(scene_seed)
        with World(scene_for_seed(scene_seed, TRAINING_COLORS), base_camera) as world:
            dress(world, rng)
            for _view in range(VIEWS_PER_SCENE):
                if k >= images:
                    break
                world.camera = jittered_camera(base_camera, rng)
                if rng.random() < 0.5:
                    move_arm(world, rng)
                rgb, depth = world.render()
                depth = depth + np.random.default_rng(rng.getrandbits(32)).normal(0.0, 5e-4, depth.shape)
                index = world.render_segmentation()
                image = detector_input(relight(rgb, rng), depth.astype(np.float32), world.camera)
                image = vary_object_appearance(image, index, rng)
                split = "val" if k >= images - n_val else "train"
                name = f"{k:06d}"
                cv2.imwrite(str(out / "images" / split / f"{name}.png"), image)
                rows = []
                for label in labels(world, index):
                    x0, y0, x1, y1 = label.box
                    w, h = world.camera.width, world.camera.height
                    rows.append(f"{CLASSES.index(label.object_class)} {(x0 + x1) / 2 / w:.6f} {(y0 + y1) / 2 / h:.6f} "
                                f"{(x1 - x0) / w:.6f} {(y1 - y0) / h:.6f}")
                    counts["boxes"][label.object_class] += 1
                (out / "labels" / split / f"{name}.txt").write_text("".join(r + "\n" for r in rows))
                counts[split] += 1
                k += 1
                if log is not None and k % 50 == 0:
                    log(f"{k}/{images} images")
    data = {"path": str(out.resolve()), "train": "images/train", "val": "images/val",
            "names": dict(enumerate(CLASSES))}
    (out / "data.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return counts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m griptalk.perception.dataset", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="output folder (created)")
    parser.add_argument("--images", type=int, default=1500, help="number of images")
    parser.add_argument("--seed", type=int, default=0, help="first scene seed")
    parser.add_argument("--val-fraction", type=float, default=0.1, help="share of images kept for validation")
    args = parser.parse_args(argv)
    try:
        counts = write_dataset(args.out, args.images, args.seed, args.val_fraction,
                               log=lambda m: print(m, file=sys.stderr, flush=True))
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 3
    print(yaml.safe_dump(counts, sort_keys=False), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
