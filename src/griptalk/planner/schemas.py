"""Typed skill schemas: which objects each skill accepts, its preconditions and its effects.

Preconditions are checked against a symbolic `WorldState` built from the scene graph and
advanced by each step's effects, so a whole plan is verified before anything moves.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from griptalk.planner.grounding import name
from griptalk.planner.vocabulary import join_or, plural
from griptalk.robot import GRIPPER_MAX_WIDTH_M
from griptalk.types import SKILLS, PlanStep, Relation, SceneGraph, SceneObject


@dataclass(frozen=True)
class SkillSchema:
    skill: str
    object_types: frozenset[str]  # what the skill acts on ("" = nothing, e.g. home)
    target_types: dict[str, frozenset[str]] = field(default_factory=dict)  # relation -> target types
    summary: str = ""

    def __post_init__(self) -> None:
        if self.skill not in SKILLS:
            raise ValueError(f"unknown skill {self.skill!r}; known: {', '.join(SKILLS)}")


GRASPABLE = frozenset({"cube", "duck", "mug", "lego"})
CONTAINERS = frozenset({"bowl", "box", "drawer"})
SUPPORTS = frozenset({"cube", "box", "bowl"})
OPENABLE = frozenset({"drawer"})

SCHEMAS: dict[str, SkillSchema] = {
    "grasp": SkillSchema("grasp", GRASPABLE, summary="pick an object up from where it rests"),
    "place": SkillSchema("place", GRASPABLE, {"in": CONTAINERS, "on": SUPPORTS},
                         summary="put the held object in or on a target"),
    "open": SkillSchema("open", OPENABLE, summary="pull a drawer open by its handle"),
    "close": SkillSchema("close", OPENABLE, summary="push a drawer shut"),
    "home": SkillSchema("home", frozenset(), summary="move the arm to its home pose"),
}


DRAWER_OPEN_MIN_M = 0.08  # opening needed to put something in the drawer
DRAWER_CLOSED_MAX_M = 0.01  # at most this open counts as closed


@dataclass(frozen=True)
class SchemaConfig:
    drawer_open_min_m: float = DRAWER_OPEN_MIN_M
    drawer_closed_max_m: float = DRAWER_CLOSED_MAX_M
    room_fill_fraction: float = 0.7  # share of a container's floor its contents may cover

    def __post_init__(self) -> None:
        if not 0.0 <= self.drawer_closed_max_m < self.drawer_open_min_m:
            raise ValueError(f"need 0 <= drawer_closed_max_m ({self.drawer_closed_max_m}) < drawer_open_min_m "
                             f"({self.drawer_open_min_m})")
        if not 0.0 < self.room_fill_fraction <= 1.0:
            raise ValueError(f"room_fill_fraction must be in (0, 1], got {self.room_fill_fraction}")


@dataclass(frozen=True)
class WorldState:
    """What the planner needs to know about the world between steps."""

    objects: dict[str, SceneObject]
    relations: frozenset[Relation]
    drawer_opening_m: float
    held: str = ""

    @classmethod
    def from_scene(cls, scene: SceneGraph, held: SceneObject | None = None) -> "WorldState":
        """`held`: the object in the gripper (as last seen), which the scene camera may no longer see."""
        objects = {o.id: o for o in scene.objects}
        relations = frozenset(scene.relations)
        if held is None:
            return cls(objects, relations, scene.drawer_opening_m)
        objects[held.id] = held
        relations = frozenset(r for r in relations if r.subject != held.id)
        return cls(objects, relations, scene.drawer_opening_m, held.id)

    def label(self, object_id: str) -> str:
        """'red cube' for a known id; the bare id for one a relation names but the scene lacks."""
        obj = self.objects.get(object_id)
        return name(obj) if obj is not None else object_id

    def resting_on(self, object_id: str) -> list[str]:
        return sorted(r.subject for r in self.relations if r.relation == "on" and r.object == object_id)

    def contents(self, object_id: str) -> list[str]:
        return sorted(r.subject for r in self.relations
                      if r.relation in ("in", "inside_drawer") and r.object == object_id)

    def container_of(self, object_id: str) -> str:
        return next((r.object for r in self.relations
                     if r.subject == object_id and r.relation in ("in", "inside_drawer")), "")


class PreconditionError(ValueError):
    """A step cannot be carried out in the state the world will be in; the message says why."""


def check_preconditions(step: PlanStep, state: WorldState, config: SchemaConfig) -> None:
    """Raise PreconditionError if `step` is not possible in `state`."""
    schema = SCHEMAS[step.skill]
    for ref in (step.object, step.target):
        seen = state.objects.get(ref.id) if ref else None
        # The held object is hidden by the hand, and the arm carrying it may hide the place target from
        # the scene camera: a remembered target stands in (supports do not move by themselves).
        # Anything else must be in view.
        hidden_by_arm = ref is step.target and bool(state.held) and seen is not None
        if ref and (seen is None or seen.stale) and ref.id != state.held and not hidden_by_arm:
            raise PreconditionError(f"I can't see {ref.describe()}, so I can't {step.describe()}.")
    obj = state.objects.get(step.object.id) if step.object else None
    if obj is not None and obj.object_class not in schema.object_types:
        raise PreconditionError(f"I can't {step.skill} the {name(obj)}: I can only {step.skill} "
                                f"{_kinds(schema.object_types)}.")
    check = _SKILL_CHECKS.get(step.skill)  # home has no precondition: it carries whatever is held
    if check is not None:
        check(step, state, config)


def check_not_already_there(obj: SceneObject, relation: str, target: SceneObject, state: WorldState) -> None:
    """Raise PreconditionError if obj already is `relation` target: there is nothing to do."""
    holders = state.contents(target.id) if relation == "in" else state.resting_on(target.id)
    if obj.id in holders:
        raise PreconditionError(f"I can't put the {name(obj)} {relation} the {name(target)}: it is already there.")


def apply_effects(step: PlanStep, state: WorldState, config: SchemaConfig) -> WorldState:
    """The state after `step` succeeds."""
    if step.skill == "grasp":
        lifted = frozenset(r for r in state.relations
                           if r.subject == step.object.id and r.relation in ("on", "in", "inside_drawer"))
        return replace(state, relations=state.relations - lifted, held=step.object.id)
    if step.skill == "place":
        added = Relation(step.object.id, step.relation, step.target.id)
        return replace(state, relations=state.relations | {added}, held="")
    if step.skill == "open":
        return replace(state, drawer_opening_m=max(state.drawer_opening_m, config.drawer_open_min_m))
    if step.skill == "close":
        return replace(state, drawer_opening_m=0.0)
    return state


def _kinds(types: frozenset[str]) -> str:
    return join_or([plural(t) for t in sorted(types)])


def _check_grasp(step: PlanStep, state: WorldState, config: SchemaConfig) -> None:
    obj = state.objects[step.object.id]
    if state.held:
        raise PreconditionError(f"I can't grasp the {name(obj)}: I am already holding the "
                                f"{state.label(state.held)}.")
    above = state.resting_on(obj.id)
    if above:
        raise PreconditionError(f"I can't grasp the {name(obj)}: the {state.label(above[0])} is on top "
                                f"of it; move that first.")
    holder = state.objects.get(state.container_of(obj.id))
    if holder and holder.object_class == "drawer" and state.drawer_opening_m < config.drawer_open_min_m:
        raise PreconditionError(f"I can't grasp the {name(obj)}: it is in the closed drawer; open the drawer first.")
    width = _narrow_side(obj)
    if width > GRIPPER_MAX_WIDTH_M:
        raise PreconditionError(f"I can't grasp the {name(obj)}: it is {width * 100:.1f} cm wide and my gripper "
                                f"opens to {GRIPPER_MAX_WIDTH_M * 100:.1f} cm.")


def _check_place(step: PlanStep, state: WorldState, config: SchemaConfig) -> None:
    obj, target = state.objects[step.object.id], state.objects[step.target.id]
    what = f"put the {name(obj)} {step.relation} the {name(target)}"
    if obj.id == target.id:
        raise PreconditionError(f"I can't put the {name(obj)} {step.relation} itself.")
    if state.held != obj.id:
        raise PreconditionError(f"I can't {what}: I am not holding it.")
    accepted = SCHEMAS["place"].target_types.get(step.relation, frozenset())
    if target.object_class not in accepted:
        raise PreconditionError(f"I can't {what}: I can only put things {step.relation} "
                                f"{_kinds(accepted)}.")
    if target.object_class == "drawer" and state.drawer_opening_m < config.drawer_open_min_m:
        raise PreconditionError(f"I can't {what}: the drawer is closed. Say 'open the drawer and put the "
                                f"{name(obj)} inside'.")
    if step.relation == "on":
        _check_free_top(what, target, state)
    else:
        _check_room(what, obj, target, state, config)


def _check_free_top(what: str, target: SceneObject, state: WorldState) -> None:
    above = state.resting_on(target.id)
    if above:
        raise PreconditionError(f"I can't {what}: the {state.label(above[0])} is already on it.")


def _check_room(what: str, obj: SceneObject, target: SceneObject, state: WorldState, config: SchemaConfig) -> None:
    if not (_known_size(obj) and _known_size(target)) or target.object_class == "drawer":
        return  # sizes unknown (or the drawer's box is its cabinet): nothing to compare
    if np.any(np.sort(obj.size[:2]) > np.sort(target.size[:2])):
        raise PreconditionError(f"I can't {what}: the {name(obj)} is bigger than the {name(target)}.")
    inside = [state.objects[i] for i in state.contents(target.id) if i in state.objects]
    used = sum(_footprint(o) for o in inside if _known_size(o))
    if used + _footprint(obj) > config.room_fill_fraction * _footprint(target):
        raise PreconditionError(f"I can't {what}: there is no room left in the {name(target)}.")


def _check_open(step: PlanStep, state: WorldState, config: SchemaConfig) -> None:
    if state.held:
        raise PreconditionError(f"I can't open the drawer while I am holding the {state.label(state.held)}.")
    if state.drawer_opening_m >= config.drawer_open_min_m:
        raise PreconditionError("The drawer is already open.")


def _check_close(step: PlanStep, state: WorldState, config: SchemaConfig) -> None:
    if state.held:
        raise PreconditionError(f"I can't close the drawer while I am holding the "
                                f"{state.label(state.held)}.")
    if state.drawer_opening_m <= config.drawer_closed_max_m:
        raise PreconditionError("The drawer is already closed.")


def _known_size(obj: SceneObject) -> bool:
    return bool(np.all(obj.size > 0.0))


def _narrow_side(obj: SceneObject) -> float:
    return float(np.min(obj.size[:2])) if _known_size(obj) else 0.0


def _footprint(obj: SceneObject) -> float:
    return float(obj.size[0] * obj.size[1])


_SKILL_CHECKS = {"grasp": _check_grasp, "place": _check_place, "open": _check_open, "close": _check_close}
