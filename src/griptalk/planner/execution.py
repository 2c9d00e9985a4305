"""The closed loop's pure half: check a step against fresh perception before it runs, and replan what
is left from the scene as it is when something did not go as planned.

The planner node calls these between skills; nothing here talks to ROS.
"""
from __future__ import annotations

from griptalk.planner.schemas import (
    PreconditionError,
    SchemaConfig,
    WorldState,
    apply_effects,
    check_preconditions,
)
from griptalk.types import PlanStep, SceneGraph, SceneObject


def verify_step(step: PlanStep, scene: SceneGraph, held: SceneObject | None, config: SchemaConfig) -> str:
    """Why `step` cannot run in the perceived scene with `held` in the gripper, or "" if it can."""
    try:
        check_preconditions(step, WorldState.from_scene(scene, held), config)
    except PreconditionError as err:
        return str(err)
    return ""


def replan(remaining: list[PlanStep], scene: SceneGraph, held: SceneObject | None,
           config: SchemaConfig) -> list[PlanStep]:
    """Steps that reach what `remaining` was for, from the scene as perceived now.

    Goals already met are dropped (the cube is already in the bowl, the drawer already open), a
    grasp is added where an object has to be picked up again, and the result is verified step by
    step. Raises PreconditionError when the goals cannot be reached from here.
    """
    state = WorldState.from_scene(scene, held)
    steps: list[PlanStep] = []

    def add(step: PlanStep) -> None:
        nonlocal state
        check_preconditions(step, state, config)
        state = apply_effects(step, state, config)
        steps.append(step)

    for i, step in enumerate(remaining):
        if step.skill == "grasp":
            placed_later = any(s.skill == "place" and s.object.id == step.object.id for s in remaining[i + 1:])
            if state.held == step.object.id or placed_later:
                continue  # held already, or grasped again right before its place
            add(step)
        elif step.skill == "place":
            if _is_there(step, state):
                continue
            if state.held != step.object.id:
                add(PlanStep("grasp", step.object))
            add(step)
        elif step.skill == "open" and state.drawer_opening_m >= config.drawer_open_min_m:
            continue
        elif step.skill == "close" and state.drawer_opening_m <= config.drawer_closed_max_m:
            continue
        else:
            add(step)
    return steps


def _is_there(step: PlanStep, state: WorldState) -> bool:
    holders = state.contents(step.target.id) if step.relation == "in" else state.resting_on(step.target.id)
    return step.object.id in holders and state.held != step.object.id
