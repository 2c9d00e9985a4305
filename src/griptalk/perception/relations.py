"""Spatial relations between scene objects, from their boxes (centre, yaw, size).

Seen from the robot, which faces +x in its base frame:
- `left_of` / `right_of`: larger / smaller y (y points to the robot's left);
- `behind` / `in_front_of`: larger / smaller x (farther from / closer to the robot);
- `on`: the subject's centre is over the object's footprint and its bottom rests on the object's top;
- `in`: as `on`, but the object is a container and the subject's bottom is below its rim;
- `inside_drawer`: the subject's centre is over the drawer's tray (the cabinet's footprint stretched
  forward by the opening) and its bottom is below the cabinet's top;
- `near`: the footprints (approximated by discs) are less than `near_gap_m` apart.
Directional relations need a separation of at least `direction_margin_m` along their axis and are
not stated between objects that are on / in one another. Every directional relation is listed in
both senses (A left_of B and B right_of A).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from griptalk.types import Relation, SceneObject


@dataclass(frozen=True)
class RelationConfig:
    container_classes: tuple[str, ...] = ("bowl", "box", "mug")
    drawer_class: str = "drawer"
    direction_margin_m: float = 0.03
    near_gap_m: float = 0.08
    support_tolerance_m: float = 0.015  # |subject bottom - object top| for `on`
    footprint_margin_m: float = 0.01  # how far outside the object's footprint the subject's centre may be

    def __post_init__(self) -> None:
        for name in ("direction_margin_m", "near_gap_m", "support_tolerance_m", "footprint_margin_m"):
            if getattr(self, name) < 0.0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")


def _bottom_z(o: SceneObject) -> float:
    return float(o.position[2] - o.size[2] / 2.0)


def support_relation(subject: SceneObject, obj: SceneObject, config: RelationConfig,
                     drawer_opening_m: float = 0.0) -> str:
    """"in", "on", "inside_drawer" or "" for the subject resting in / on the object."""
    if subject.id == obj.id:
        return ""
    bottom, top = _bottom_z(subject), obj.top_z
    if obj.object_class == config.drawer_class and bottom < top - config.support_tolerance_m:
        inside = obj.over_footprint(subject.position, config.footprint_margin_m, drawer_opening_m)
        return "inside_drawer" if inside else ""
    if not obj.over_footprint(subject.position, config.footprint_margin_m):
        return ""
    if obj.object_class in config.container_classes:
        return "in" if bottom <= top + config.support_tolerance_m else ""
    if abs(bottom - top) <= config.support_tolerance_m:
        return "on"
    return ""


def compute_relations(objects: list[SceneObject], config: RelationConfig,
                      drawer_opening_m: float = 0.0) -> list[Relation]:
    relations: list[Relation] = []
    stacked: set[frozenset] = set()
    for a in objects:
        for b in objects:
            kind = support_relation(a, b, config, drawer_opening_m) if a is not b else ""
            if kind:
                relations.append(Relation(a.id, kind, b.id))
                stacked.add(frozenset((a.id, b.id)))
    for i, a in enumerate(objects):
        for b in objects[i + 1:]:
            if frozenset((a.id, b.id)) in stacked:
                continue
            relations.extend(_directional(a, b, config))
            if _gap_m(a, b) < config.near_gap_m:
                relations += [Relation(a.id, "near", b.id), Relation(b.id, "near", a.id)]
    return relations


def _directional(a: SceneObject, b: SceneObject, config: RelationConfig) -> list[Relation]:
    dx, dy = (a.position[:2] - b.position[:2])
    out = []
    if dy > config.direction_margin_m:
        out += [Relation(a.id, "left_of", b.id), Relation(b.id, "right_of", a.id)]
    elif dy < -config.direction_margin_m:
        out += [Relation(a.id, "right_of", b.id), Relation(b.id, "left_of", a.id)]
    if dx > config.direction_margin_m:
        out += [Relation(a.id, "behind", b.id), Relation(b.id, "in_front_of", a.id)]
    elif dx < -config.direction_margin_m:
        out += [Relation(a.id, "in_front_of", b.id), Relation(b.id, "behind", a.id)]
    return out


def _gap_m(a: SceneObject, b: SceneObject) -> float:
    """Distance between the footprints, each taken as a disc of its mean half side."""
    radius = (float(np.mean(a.size[:2])) + float(np.mean(b.size[:2]))) / 2.0
    return float(np.linalg.norm(a.position[:2] - b.position[:2])) - radius
