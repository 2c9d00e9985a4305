"""Resolve a Description ("the red cube", "all the cubes except the blue one", "the cube closest to the
bowl") to the objects of the scene graph it names."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from griptalk.planner.language import Description
from griptalk.planner.vocabulary import join_and, join_or, plural
from griptalk.types import SceneGraph, SceneObject

DIRECTION_MARGIN_M = 0.03  # as perception's relations: "left of" needs this much separation


class GroundingError(ValueError):
    """The description does not pick out exactly one visible object; the message says why."""


class ObjectNotFound(GroundingError):
    pass


class AmbiguousReference(GroundingError):
    def __init__(self, message: str, candidates: list[SceneObject]):
        super().__init__(message)
        self.candidates = candidates


def visible_objects(scene: SceneGraph) -> list[SceneObject]:
    """Objects perception sees now; stale ones (remembered, not seen) cannot be grounded."""
    return [o for o in scene.objects if not o.stale]


def name(obj: SceneObject) -> str:
    """'red cube', or 'drawer' for a colourless object."""
    return f"{obj.color} {obj.object_class}" if obj.color else obj.object_class


def matches(desc: Description, obj: SceneObject) -> bool:
    return (not desc.color or obj.color == desc.color) and (
        not desc.object_class or obj.object_class == desc.object_class)


def ground(desc: Description, scene: SceneGraph) -> SceneObject:
    """The one visible object the description names; raises ObjectNotFound or AmbiguousReference."""
    return select(replace(desc, count=1, choose=False), scene)[0]


def select(desc: Description, scene: SceneGraph) -> list[SceneObject]:
    """The visible objects the description names, left to right (a set), or the one it names.

    Raises ObjectNotFound when nothing (or too few) match, AmbiguousReference when one object is
    meant and several match.
    """
    visible = visible_objects(scene)
    found = [o for o in visible if matches(desc, o)]
    if desc.landmark is not None and found:
        landmark = ground(desc.landmark, scene)
        found = _related(desc, [o for o in found if o.id != landmark.id], landmark, scene)
    for excluded in desc.excluding:
        found = _without(found, excluded)
    if not found:
        seen = join_and([name(o) for o in sorted(visible, key=name)]) if visible else "nothing"
        raise ObjectNotFound(f"I can't see {_wanted(desc)}; I see: {seen}.")
    found = sorted(found, key=lambda o: -o.position[1])  # left to right, seen from the robot
    if desc.side:
        return [_extreme(found, desc.side)]
    if desc.count == 0:
        return found
    if desc.choose:
        if len(found) < desc.count:
            raise ObjectNotFound(f"You asked for {desc.count} but I see only {len(found)}: "
                                 f"{join_and(['the ' + name(o) for o in found])}.")
        nearest = sorted(found, key=_reach)[: desc.count]
        return [o for o in found if o in nearest]
    if len(found) > desc.count:
        raise AmbiguousReference(_question(desc, found), found)
    return found


def _wanted(desc: Description) -> str:
    base = Description(color=desc.color, object_class=desc.object_class) if (
        desc.color or desc.object_class) else None
    if desc.count == 0 or desc.choose:
        kind = plural(desc.object_class) if desc.object_class else "objects"
        what = " ".join(w for w in (desc.color, kind) if w)
    else:
        what = base.indefinite() if base else "anything like that"
    if desc.landmark is not None:
        what += f" {desc.spatial.replace('_', ' ')} {desc.landmark.describe()}"
    if desc.count == 0 or desc.choose:
        what = f"any {what}"
    return what


def _reach(obj: SceneObject) -> float:
    """Distance from the robot's base in the table plane."""
    return float(np.hypot(obj.position[0], obj.position[1]))


def _extreme(found: list[SceneObject], side: str) -> SceneObject:
    keys = {"left": lambda o: -o.position[1], "right": lambda o: o.position[1], "front": _reach,
            "back": lambda o: -_reach(o)}
    return min(found, key=keys[side])


def _distance(a: SceneObject, b: SceneObject) -> float:
    return float(np.hypot(*(a.position[:2] - b.position[:2])))


def _related(desc: Description, found: list[SceneObject], landmark: SceneObject,
             scene: SceneGraph) -> list[SceneObject]:
    """The matches that stand in `desc.spatial` to the landmark (the nearest / farthest one for those)."""
    if not found:
        return found
    spatial, m = desc.spatial, DIRECTION_MARGIN_M
    if spatial in ("closest_to", "farthest_from"):
        pick = min if spatial == "closest_to" else max
        return [pick(found, key=lambda o: _distance(o, landmark))]
    if spatial == "inside":
        return [o for o in found if any(scene.has_relation(o.id, r, landmark.id) for r in ("in", "inside_drawer"))]
    if spatial == "on_top_of":
        return [o for o in found if scene.has_relation(o.id, "on", landmark.id)]
    if spatial == "under":
        return [o for o in found if scene.has_relation(landmark.id, "on", o.id)]
    axis, sign = {"left_of": (1, 1.0), "right_of": (1, -1.0), "behind": (0, 1.0), "in_front_of": (0, -1.0)}[spatial]
    beside = [o for o in found if sign * (o.position[axis] - landmark.position[axis]) > m]
    # "the cube left of the duck": of those on that side, the one next to it.
    return [min(beside, key=lambda o: _distance(o, landmark))] if beside and desc.count == 1 else beside


def _without(found: list[SceneObject], excluded: Description) -> list[SceneObject]:
    out = [o for o in found if matches(excluded, o)]
    if excluded.side and out:
        out = [_extreme(out, excluded.side)]
    return [o for o in found if o not in out]


def _question(desc: Description, found: list[SceneObject]) -> str:
    found = sorted(found, key=lambda o: -o.position[1])  # left to right
    kind = plural(desc.object_class) if desc.object_class else f"{desc.color} objects"
    labels = [f"the {name(o)}" for o in found]
    if len(set(labels)) < len(labels):
        # Look-alikes are told apart by where they are, which the user can say back ("the left red cube").
        if len(found) == 2:
            labels = [f"the left {name(found[0])}", f"the right {name(found[1])}"]
        else:
            labels = [f"the {name(o)} at x={o.position[0]:.2f} m, y={o.position[1]:.2f} m" for o in found]
    single = desc.object_class or "one"
    if desc.landmark is not None:
        single += f" {desc.spatial.replace('_', ' ')} {desc.landmark.describe()}"
    return f"I see {len(found)} {kind}. Which {single} do you mean: {join_or(labels)}?"
