"""Scene files: which objects stand where on the table, validated before anything is simulated.

A scene is plain data (no PyBullet): the object types with their sizes, the colour palette, the
YAML format of /work/shared/CONTRACTS.md, the named scenes shipped in `scenes/`, and random valid
scenes. Every problem raises SceneError with one line that names the offending object.
"""
from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import yaml

SCENES_DIR = Path(__file__).resolve().parent / "scenes"

# Table top (z = 0) in the base frame, and the arm's comfortable horizontal reach from its base.
TABLE_X_M = (-0.30, 1.20)
TABLE_Y_M = (-0.50, 0.50)
TABLE_MARGIN_M = 0.02
REACH_M = (0.25, 0.80)
MIN_GAP_M = 0.01  # footprints closer than this count as overlapping
RANDOM_GAP_M = 0.06  # random scenes leave room for the fingers between objects

COLORS: dict[str, tuple[float, float, float, float]] = {
    "red": (0.85, 0.10, 0.10, 1.0),
    "green": (0.10, 0.65, 0.15, 1.0),
    "blue": (0.10, 0.25, 0.85, 1.0),
    "yellow": (0.95, 0.85, 0.10, 1.0),
    "orange": (1.00, 0.50, 0.00, 1.0),
    "purple": (0.50, 0.15, 0.65, 1.0),
    "pink": (1.00, 0.45, 0.70, 1.0),
    "white": (0.95, 0.95, 0.95, 1.0),
    "brown": (0.45, 0.27, 0.10, 1.0),
    "gray": (0.50, 0.50, 0.50, 1.0),
    "cyan": (0.00, 0.80, 0.85, 1.0),
}


class SceneError(ValueError):
    """A scene that cannot be simulated; the message is one line naming the offending object."""


@dataclass(frozen=True)
class Cavity:
    """A container's inner volume in its object frame (origin at the bounding-box centre) [m]."""

    x: tuple[float, float]
    y: tuple[float, float]
    z: tuple[float, float]  # floor, rim
    round: bool = False  # the ellipse inscribed in the x/y rectangle
    slides_x: bool = False  # a drawer: the cavity moves along +x by the drawer's opening


@dataclass(frozen=True)
class ObjectType:
    name: str
    size: tuple[float, float, float]  # bounding-box extents in the object frame [m] (drawer: the closed shell)
    footprint: tuple[float, float, float, float]  # xmin, xmax, ymin, ymax around the position, incl. swept parts
    needs_color: bool
    cavity: Cavity | None = None
    distractor: bool = False
    sweep_x_m: float = 0.0  # how far a part slides out along +x (the drawer): room to keep clear of it


def _centred(size_xy: tuple[float, float]) -> tuple[float, float, float, float]:
    return (-size_xy[0] / 2, size_xy[0] / 2, -size_xy[1] / 2, size_xy[1] / 2)


# Sizes match the URDFs in urdf/ and the scaled pybullet_data meshes (tests/unit/test_world.py checks).
OBJECT_TYPES: dict[str, ObjectType] = {t.name: t for t in (
    ObjectType("cube", (0.045, 0.045, 0.045), _centred((0.045, 0.045)), needs_color=True),
    ObjectType("bowl", (0.16, 0.16, 0.05), _centred((0.16, 0.16)), needs_color=True,
               cavity=Cavity((-0.072, 0.072), (-0.072, 0.072), (-0.017, 0.025), round=True)),
    ObjectType("box", (0.22, 0.16, 0.08), _centred((0.22, 0.16)), needs_color=True,
               cavity=Cavity((-0.104, 0.104), (-0.074, 0.074), (-0.034, 0.04))),
    # The drawer pulls out along the cabinet's +x (its front, with the handle) by up to DRAWER_TRAVEL_M.
    ObjectType("drawer", (0.20, 0.30, 0.12), (-0.10, 0.165, -0.15, 0.15), needs_color=False,
               cavity=Cavity((-0.079, 0.10), (-0.131, 0.131), (-0.04, 0.01), slides_x=True), sweep_x_m=0.18),
    ObjectType("duck", (0.070, 0.049, 0.066), _centred((0.070, 0.049)), needs_color=False, distractor=True),
    ObjectType("mug", (0.062, 0.091, 0.075), _centred((0.062, 0.091)), needs_color=False, distractor=True),
    ObjectType("lego", (0.056, 0.056, 0.040), _centred((0.056, 0.056)), needs_color=False, distractor=True),
)}
DRAWER_TRAVEL_M = OBJECT_TYPES["drawer"].sweep_x_m

_FIELDS = ("id", "type", "color", "position", "yaw_deg")
_REQUIRED = ("type", "position")
_ID_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class ObjectSpec:
    id: str
    type: str
    color: str  # "" for a colourless object (it keeps its own texture)
    position: tuple[float, float]  # [m] on the table, base frame
    yaw_deg: float = 0.0


@dataclass(frozen=True)
class Scene:
    objects: tuple[ObjectSpec, ...]
    seed: int | None
    name: str

    def get(self, object_id: str) -> ObjectSpec | None:
        return next((o for o in self.objects if o.id == object_id), None)


def scene_names() -> list[str]:
    return sorted(p.stem for p in SCENES_DIR.glob("*.yaml"))


def load_scene(name_or_path: str) -> Scene:
    """A shipped scene by name, or a scene YAML file by path."""
    text = str(name_or_path)
    if text in scene_names():
        path, name = SCENES_DIR / f"{text}.yaml", text
    else:
        path, name = Path(text), Path(text).stem
        if not path.is_file():
            if "/" in text or text.endswith((".yaml", ".yml")):
                raise SceneError(f"scene file not found: {text}")
            raise SceneError(f"unknown scene {text!r}; known scenes: {', '.join(scene_names())}")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        where = getattr(e, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        raise SceneError(f"{path}: invalid YAML{line}: {getattr(e, 'problem', None) or e}") from None
    except OSError as e:
        raise SceneError(f"{path}: cannot read: {e.strerror}") from None
    return parse_scene(data, name)


def parse_scene(data, name: str) -> Scene:
    """Validate a scene mapping (as read from YAML) and return it with defaults filled in."""
    if not isinstance(data, dict):
        raise SceneError(f"scene {name!r}: expected a mapping with 'objects' (and optionally 'seed')")
    extra = sorted(set(map(str, data)) - {"seed", "objects"})
    if extra:
        raise SceneError(f"scene {name!r}: unknown field {extra[0]!r} (allowed: seed, objects)")
    seed = data.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise SceneError(f"scene {name!r}: seed must be an integer, got {seed!r}")
    raw = data.get("objects")
    if not isinstance(raw, list) or not raw:
        raise SceneError(f"scene {name!r}: 'objects' must be a non-empty list")
    specs: list[ObjectSpec] = []
    for index, item in enumerate(raw, start=1):
        specs.append(_parse_object(index, item, specs))
    scene = Scene(tuple(specs), seed, name)
    validate_layout(scene)
    return scene


def _parse_object(index: int, item, earlier: list[ObjectSpec]) -> ObjectSpec:
    if not isinstance(item, dict):
        raise SceneError(f"object {index}: expected a mapping like {{type: cube, color: red, position: [0.5, 0.1]}}")
    label = f"object {index}" + (f" {item['id']!r}" if isinstance(item.get("id"), str) else "")
    extra = sorted(set(map(str, item)) - set(_FIELDS))
    if extra:
        raise SceneError(f"{label}: unknown field {extra[0]!r} (allowed: {', '.join(_FIELDS)})")
    missing = [f for f in _REQUIRED if f not in item]
    if missing:
        raise SceneError(f"{label}: missing field {missing[0]!r}")
    kind = item["type"]
    if kind not in OBJECT_TYPES:
        raise SceneError(f"{label}: unknown type {kind!r}; known types: {', '.join(OBJECT_TYPES)}")
    color = item.get("color") or ""
    if color and color not in COLORS:
        raise SceneError(f"{label}: unknown colour {color!r}; known colours: {', '.join(COLORS)}")
    if not color and OBJECT_TYPES[kind].needs_color:
        raise SceneError(f"{label}: a {kind} needs a colour (one of {', '.join(COLORS)})")
    object_id = item.get("id")
    if object_id is None:
        object_id = _default_id(kind, color, earlier)
    elif not isinstance(object_id, str) or not _ID_PATTERN.match(object_id):
        raise SceneError(f"{label}: id must be a word of letters, digits and '_', got {object_id!r}")
    label = f"object {index} {object_id!r}"
    if any(o.id == object_id for o in earlier):
        raise SceneError(f"{label}: duplicate id")
    position = item["position"]
    if (not isinstance(position, (list, tuple)) or len(position) != 2
            or not all(_is_number(v) for v in position)):
        raise SceneError(f"{label}: position must be [x, y] in metres, got {position!r}")
    yaw = item.get("yaw_deg", 0.0)
    if not _is_number(yaw):
        raise SceneError(f"{label}: yaw_deg must be a number, got {yaw!r}")
    return ObjectSpec(object_id, kind, color, (float(position[0]), float(position[1])), float(yaw))


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _default_id(kind: str, color: str, earlier: list[ObjectSpec]) -> str:
    base = f"{color}_{kind}" if color else kind
    taken = {o.id for o in earlier}
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}_{n}"
    return candidate


def footprint_corners(spec: ObjectSpec, inflate_m: float = 0.0, swept: bool = False) -> np.ndarray:
    """The object's footprint on the table: 4 x 2 corners in the base frame [m].

    `swept` adds the room its sliding part (an open drawer) needs.
    """
    kind = OBJECT_TYPES[spec.type]
    xmin, xmax, ymin, ymax = kind.footprint
    if swept:
        xmax += kind.sweep_x_m
    local = np.array([[xmin - inflate_m, ymin - inflate_m], [xmax + inflate_m, ymin - inflate_m],
                      [xmax + inflate_m, ymax + inflate_m], [xmin - inflate_m, ymax + inflate_m]])
    c, s = math.cos(math.radians(spec.yaw_deg)), math.sin(math.radians(spec.yaw_deg))
    return local @ np.array([[c, s], [-s, c]]) + np.asarray(spec.position)


def _overlap(a: ObjectSpec, b: ObjectSpec, gap_m: float, swept: bool) -> bool:
    area, _ = cv2.intersectConvexConvex(footprint_corners(a, gap_m / 2, swept).astype(np.float32),
                                        footprint_corners(b, gap_m / 2, swept).astype(np.float32))
    return area > 0.0


def layout_problem(scene: Scene, gap_m: float = MIN_GAP_M, swept: bool = False) -> str | None:
    """The first layout problem (off the table, out of reach, overlap, two drawers), or None.

    `swept` also keeps the open drawer's path clear (shipped and random scenes do).
    """
    for index, spec in enumerate(scene.objects, start=1):
        label = f"object {index} {spec.id!r}"
        x, y = spec.position
        distance = math.hypot(x, y)
        if not REACH_M[0] <= distance <= REACH_M[1]:
            return (f"{label}: position [{x:.2f}, {y:.2f}] is out of reach "
                    f"({REACH_M[0]:.2f}–{REACH_M[1]:.2f} m from the base)")
        corners = footprint_corners(spec, swept=swept)
        if (corners[:, 0].min() < TABLE_X_M[0] + TABLE_MARGIN_M or corners[:, 0].max() > TABLE_X_M[1] - TABLE_MARGIN_M
                or corners[:, 1].min() < TABLE_Y_M[0] + TABLE_MARGIN_M
                or corners[:, 1].max() > TABLE_Y_M[1] - TABLE_MARGIN_M):
            return (f"{label}: at [{x:.2f}, {y:.2f}] it does not fit on the table "
                    f"(x {TABLE_X_M[0]:.2f}..{TABLE_X_M[1]:.2f}, y {TABLE_Y_M[0]:.2f}..{TABLE_Y_M[1]:.2f} m)")
        if spec.type == "drawer" and any(o.type == "drawer" for o in scene.objects[:index - 1]):
            return f"{label}: a scene holds at most one drawer"
        for other_index, other in enumerate(scene.objects[:index - 1], start=1):
            if _overlap(spec, other, gap_m, swept):
                what = "overlaps or blocks" if swept else "overlaps"
                return (f"{label}: {what} object {other_index} {other.id!r} "
                        f"(keep at least {gap_m * 100:.0f} cm between footprints)")
    return None


def validate_layout(scene: Scene) -> None:
    problem = layout_problem(scene)
    if problem:
        raise SceneError(problem)


def random_scene(seed: int, n_objects: int | None = None, required=()) -> Scene:
    """A valid random scene, the same for the same arguments.

    `required` lists (type, colour) pairs that must be present ("" for a colourless type).
    Each (type, colour) pair appears at most once, so every object can be named unambiguously.
    """
    rng = random.Random(seed)
    required = [(str(t), str(c or "")) for t, c in required]
    for kind, color in required:
        if kind not in OBJECT_TYPES or (color and color not in COLORS) or (not color and OBJECT_TYPES[kind].needs_color):
            raise SceneError(f"random scene: cannot make a required object ({kind!r}, {color!r}); "
                             f"types: {', '.join(OBJECT_TYPES)}; colours: {', '.join(COLORS)}")
    if sum(kind == "drawer" for kind, _ in required) > 1 or len(set(required)) != len(required):
        raise SceneError(f"random scene: required objects repeat: {required}")
    if n_objects is None:
        n_objects = max(len(required), rng.randint(3, 6))
    if not len(required) <= n_objects <= 8:
        raise SceneError(f"random scene: n_objects must be in {len(required)}..8, got {n_objects}")
    for _attempt in range(200):
        kinds = list(required)
        while len(kinds) < n_objects:
            kind = rng.choice([t for t in OBJECT_TYPES if t != "drawer" or not any(k == "drawer" for k, _ in kinds)])
            color = rng.choice(list(COLORS)) if OBJECT_TYPES[kind].needs_color else ""
            if (kind, color) not in kinds:
                kinds.append((kind, color))
        scene = _place(rng, kinds, seed)
        if scene is not None:
            return scene
    raise SceneError(f"random scene: could not place {n_objects} objects (seed {seed})")


def _place(rng: random.Random, kinds: list[tuple[str, str]], seed: int) -> Scene | None:
    # Big footprints first: they are the hardest to fit.
    order = sorted(kinds, key=lambda k: -_area(OBJECT_TYPES[k[0]]))
    specs: list[ObjectSpec] = []
    for kind, color in order:
        for _try in range(100):
            if kind == "drawer":  # at one side, its front facing the robot's side of the table
                side = rng.choice((-1.0, 1.0))
                position = (rng.uniform(0.58, 0.68), side * rng.uniform(0.27, 0.30))
                yaw = 180.0 + rng.uniform(-3.0, 3.0)
            else:
                position = (rng.uniform(0.32, 0.72), rng.uniform(-0.32, 0.32))
                yaw = rng.uniform(-180.0, 180.0)
            spec = ObjectSpec(_default_id(kind, color, specs), kind, color,
                              (round(position[0], 3), round(position[1], 3)), round(yaw, 1))
            if layout_problem(Scene(tuple(specs) + (spec,), seed, ""), RANDOM_GAP_M, swept=True) is None:
                specs.append(spec)
                break
        else:
            return None
    order_in = {k: i for i, k in enumerate(kinds)}
    specs.sort(key=lambda s: order_in[(s.type, s.color)])
    return Scene(tuple(specs), seed, f"random_{seed}")


def _area(t: ObjectType) -> float:
    xmin, xmax, ymin, ymax = t.footprint
    return (xmax + t.sweep_x_m - xmin) * (ymax - ymin)


def scene_to_yaml(scene: Scene) -> str:
    """The scene as a YAML file that load_scene reads back to the same Scene."""
    lines = [f"# scene {scene.name}"] if scene.name else []
    if scene.seed is not None:
        lines.append(f"seed: {scene.seed}")
    lines.append("objects:")
    for o in scene.objects:
        color = f", color: {o.color}" if o.color else ""
        lines.append(f"  - {{id: {o.id}, type: {o.type}{color}, position: [{o.position[0]!r}, {o.position[1]!r}], "
                     f"yaw_deg: {o.yaw_deg!r}}}")
    return "\n".join(lines) + "\n"
