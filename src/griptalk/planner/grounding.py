"""Resolve a Description ("the red cube", "the bowl", "the red one") to one object of the scene graph."""
from __future__ import annotations

from griptalk.planner.language import Description
from griptalk.planner.vocabulary import join_and, join_or, plural
from griptalk.types import SceneGraph, SceneObject


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
    visible = visible_objects(scene)
    found = [o for o in visible if matches(desc, o)]
    if not found:
        seen = join_and([name(o) for o in sorted(visible, key=name)]) if visible else "nothing"
        raise ObjectNotFound(f"I can't see {desc.indefinite()}; I see: {seen}.")
    if desc.side:
        # +y is the robot's left.
        sign = 1.0 if desc.side == "left" else -1.0
        return max(found, key=lambda o: sign * o.position[1])
    if len(found) > 1:
        raise AmbiguousReference(_question(desc, found), found)
    return found[0]


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
    return f"I see {len(found)} {kind}. Which {single} do you mean: {join_or(labels)}?"
