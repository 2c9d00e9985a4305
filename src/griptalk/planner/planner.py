"""Instruction + scene graph -> a verified plan of skills, a clarification question or a refusal.

Steps come only from the skill schemas: the parser says what was asked, grounding says which
objects, and every step's preconditions are checked, in order, before the plan is returned.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from griptalk.planner.grounding import AmbiguousReference, GroundingError, ground
from griptalk.planner.language import Action, CommandParser, GrammarParser, ParseError
from griptalk.planner.schemas import (
    CONTAINERS,
    PreconditionError,
    SchemaConfig,
    WorldState,
    apply_effects,
    check_not_already_there,
    check_preconditions,
)
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
        return PlanOutcome(text, "planned", f"I will {summary}.", steps=steps)

    def _steps(self, actions: tuple[Action, ...], scene: SceneGraph) -> list[PlanStep]:
        grounded = [self._ground(a, scene) for a in actions]  # ask about every name before checking any step
        state = WorldState.from_scene(scene)
        steps: list[PlanStep] = []
        for action, (obj, target) in zip(actions, grounded):
            for step in self._expand(action, obj, target, state):
                check_preconditions(step, state, self.config)
                state = apply_effects(step, state, self.config)
                steps.append(step)
        return steps

    @staticmethod
    def _ground(action: Action, scene: SceneGraph) -> tuple[SceneObject | None, SceneObject | None]:
        obj = ground(action.object, scene) if action.object else None
        target = ground(action.target, scene) if action.target else None
        return obj, target

    @staticmethod
    def _expand(action: Action, obj: SceneObject | None, target: SceneObject | None,
                state: WorldState) -> list[PlanStep]:
        if action.intent == "home":
            return [PlanStep("home")]
        if action.intent == "pick":
            return [PlanStep("grasp", obj.ref())]
        if action.intent in ("open", "close"):
            return [PlanStep(action.intent, obj.ref())]
        # "move the cube to the bowl" names no relation: containers take things in, the rest on top.
        relation = action.relation or ("in" if target.object_class in CONTAINERS else "on")
        check_not_already_there(obj, relation, target, state)
        place = PlanStep("place", obj.ref(), target.ref(), relation)
        return [place] if state.held == obj.id else [PlanStep("grasp", obj.ref()), place]
