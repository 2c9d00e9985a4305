"""Instruction + scene graph -> a verified plan of skills, a clarification question or a refusal.

Steps come only from the skill schemas: the parser says what was asked, grounding says which
objects, and every step's preconditions are checked, in order, before the plan is returned.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from griptalk.planner.grounding import (
    AmbiguousReference,
    GroundingError,
    ObjectNotFound,
    ground,
    matches,
    name,
    select,
    visible_objects,
)
from griptalk.planner.language import Action, CommandParser, GrammarParser, ParseError
from griptalk.planner.schemas import (
    CONTAINERS,
    GRASPABLE,
    PreconditionError,
    SchemaConfig,
    WorldState,
    apply_effects,
    check_not_already_there,
    check_preconditions,
)
from griptalk.planner.vocabulary import join_and
from griptalk.types import ObjectRef, PlanStep, SceneGraph, SceneObject

OUTCOME_STATUSES = ("planned", "refused", "clarification_needed")


@dataclass
class PlanOutcome:
    instruction: str
    status: str
    message: str
    steps: list[PlanStep] = field(default_factory=list)
    candidates: list[ObjectRef] = field(default_factory=list)  # what a clarification chooses between
    stop: bool = False  # the user asked to stop: cancel what runs, start nothing

    def __post_init__(self) -> None:
        if self.status not in OUTCOME_STATUSES:
            raise ValueError(f"unknown status {self.status!r}; known: {', '.join(OUTCOME_STATUSES)}")
        if self.status != "planned" and self.steps:
            raise ValueError(f"a {self.status!r} outcome carries no steps")

    def to_dict(self) -> dict:
        return {
            "instruction": self.instruction,
            "status": self.status,
            "message": self.message,
            "plan": [s.to_dict() for s in self.steps],
            "candidates": [c.to_dict() for c in self.candidates],
            "stop": self.stop,
        }


class Planner:
    def __init__(self, parser: CommandParser | None = None, config: SchemaConfig | None = None):
        self.parser = parser if parser is not None else GrammarParser()
        self.config = config if config is not None else SchemaConfig()

    def plan(self, instruction: str, scene: SceneGraph) -> PlanOutcome:
        try:
            command = self.parser.parse(instruction)
        except ParseError as err:
            return PlanOutcome(str(instruction), "refused", str(err))
        text = command.text
        if command.intent == "refuse":
            return PlanOutcome(text, "refused", command.reason)
        if command.intent == "stop":
            return PlanOutcome(text, "planned", "Stopping: cancelling the current task; nothing new will move.",
                               stop=True)
        try:
            steps = self._steps(command.actions, scene)
        except AmbiguousReference as err:
            return PlanOutcome(text, "clarification_needed", str(err), candidates=[o.ref() for o in err.candidates])
        except (GroundingError, PreconditionError) as err:
            return PlanOutcome(text, "refused", str(err))
        summary = ", then ".join("move the arm home" if s.skill == "home" else s.describe() for s in steps)
        left = _left_behind(command.actions, scene)
        note = f" I will leave {join_and(left)}: there is no container of its colour." if left else ""
        return PlanOutcome(text, "planned", f"I will {summary}.{note}", steps=steps)

    def _steps(self, actions: tuple[Action, ...], scene: SceneGraph) -> list[PlanStep]:
        grounded = [self._ground(a, scene) for a in actions]  # ask about every name before checking any step
        state = WorldState.from_scene(scene)
        steps: list[PlanStep] = []
        for action, (objects, targets) in zip(actions, grounded):
            for step in self._expand(action, objects, targets, state, steps):
                if step.skill == "open" and steps and steps[-1].skill == "grasp" and state.held == steps[-1].object.id:
                    # "pick up the duck and put it in the drawer": open the drawer before the grasp, not while holding
                    grasp = steps.pop()
                    state = replace(state, held="", relations=WorldState.from_scene(scene).relations)
                    for redo in (step, grasp):
                        check_preconditions(redo, state, self.config)
                        state = apply_effects(redo, state, self.config)
                        steps.append(redo)
                    continue
                check_preconditions(step, state, self.config)
                state = apply_effects(step, state, self.config)
                steps.append(step)
        if not steps:
            raise PreconditionError("There is nothing to do: everything is already where you asked.")
        return steps

    @staticmethod
    def _ground(action: Action, scene: SceneGraph) -> tuple[list[SceneObject], list[SceneObject]]:
        objects = select(action.object, scene) if action.object else []
        if action.intent in ("pick", "take_out") and len(objects) > 1:
            raise PreconditionError(f"I can only hold one object at a time, and {action.object.describe()} are "
                                    f"{len(objects)}: say which one, or where to put them.")
        if action.intent == "stack" and len(objects) < 2:
            raise PreconditionError(f"I need at least two objects to stack; {action.object.describe()} "
                                    f"{'is' if len(objects) == 1 else 'are'} {len(objects)}.")
        if action.object is not None and action.object.count == 0 and not action.object.object_class:
            objects = [o for o in objects if o.object_class in GRASPABLE]  # "everything": what can be carried
        if action.target is None:
            return objects, []
        if action.target.same_color:
            # "each cube into the bowl of its own colour": one target per object, of the object's colour.
            targets = []
            for obj in objects:
                own = replace(action.target, color=obj.color, same_color=False)
                if len(objects) == 1:
                    targets.append(ground(own, scene))  # a single object: say what is missing
                    continue
                try:
                    targets.append(ground(own, scene) if obj.color else None)
                except ObjectNotFound:
                    targets.append(None)  # no container of its colour: this one stays
            return objects, targets
        target = ground(action.target, scene)
        if action.intent == "take_out":
            inside = {r.subject for r in scene.relations
                      if r.object == target.id and r.relation in ("in", "inside_drawer")}
            if objects and objects[0].id not in inside:
                raise PreconditionError(f"The {name(objects[0])} is not in the {name(target)}.")
        if action.object is not None and (action.object.count != 1 or action.object.choose):
            objects = [o for o in objects if o.id != target.id]  # "put all cubes on the blue cube"
        return objects, [target] * len(objects)

    def _expand(self, action: Action, objects: list[SceneObject], targets: list[SceneObject | None],
                state: WorldState, steps: list[PlanStep]) -> list[PlanStep]:
        if action.intent == "home":
            return [PlanStep("home")]
        if action.intent in ("open", "close"):
            return [PlanStep(action.intent, o.ref()) for o in objects]
        if action.intent in ("pick", "take_out"):
            obj = objects[0]
            return self._reach(obj, state) + ([] if state.held == obj.id else [PlanStep("grasp", obj.ref())])
        if action.intent == "stack":
            out = []
            for below, above in zip(objects, objects[1:]):
                out += self._place(above, below, "on", state, out)
            return out
        out: list[PlanStep] = []
        for obj, target in zip(objects, targets):
            if target is None:
                continue  # no container of its colour: left where it is (the summary says so)
            relation = action.relation or ("in" if target.object_class in CONTAINERS else "on")
            if len(objects) > 1 and _already(obj, relation, target, state):
                continue  # part of a set that is already there
            check_not_already_there(obj, relation, target, state)
            out += self._place(obj, target, relation, state, out)
        return out

    def _place(self, obj: SceneObject, target: SceneObject, relation: str, state: WorldState,
               planned: list[PlanStep]) -> list[PlanStep]:
        """Steps that put obj relation target, with the drawer opened first where needed."""
        out = self._reach(obj, state, planned)
        if target.object_class == "drawer" and not self._drawer_open(state, planned):
            out.append(PlanStep("open", target.ref()))
        if state.held != obj.id or any(s.skill == "place" and s.object.id == obj.id for s in planned):
            out.append(PlanStep("grasp", obj.ref()))
        out.append(PlanStep("place", obj.ref(), target.ref(), relation))
        return out

    def _reach(self, obj: SceneObject, state: WorldState, planned: list[PlanStep] = ()) -> list[PlanStep]:
        """Open the drawer first if the object lies in it and it is closed."""
        holder = state.objects.get(state.container_of(obj.id))
        if holder is not None and holder.object_class == "drawer" and state.held != obj.id \
                and not self._drawer_open(state, planned):
            return [PlanStep("open", holder.ref())]
        return []

    def _drawer_open(self, state: WorldState, planned: list[PlanStep]) -> bool:
        opened = [s.skill for s in planned if s.skill in ("open", "close")]
        if opened:
            return opened[-1] == "open"
        return state.drawer_opening_m >= self.config.drawer_open_min_m


def _left_behind(actions: tuple[Action, ...], scene: SceneGraph) -> list[str]:
    """'the yellow cube' for each object of an "each into its own colour" set that has no such container."""
    left = []
    for action in actions:
        if action.target is not None and action.target.same_color and action.object.count != 1:
            for obj in select(action.object, scene):
                own = replace(action.target, color=obj.color, same_color=False)
                if not obj.color or not any(matches(own, o) for o in visible_objects(scene)):
                    left.append(f"the {name(obj)}")
    return left


def _already(obj: SceneObject, relation: str, target: SceneObject, state: WorldState) -> bool:
    holders = state.contents(target.id) if relation == "in" else state.resting_on(target.id)
    return obj.id in holders
