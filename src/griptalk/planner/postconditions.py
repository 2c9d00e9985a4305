"""Did a step do what it should? Compare the scene graph before and after it, from fresh perception."""
from __future__ import annotations

from dataclasses import dataclass

from griptalk.planner.grounding import name
from griptalk.planner.schemas import DRAWER_CLOSED_MAX_M, DRAWER_OPEN_MIN_M
from griptalk.types import PlanStep, SceneGraph


@dataclass(frozen=True)
class PostconditionConfig:
    min_lift_m: float = 0.02  # a grasped object must rise at least this much, if still seen
    height_tolerance_m: float = 0.02  # slack on "resting on"/"above the bottom" heights
    drawer_open_min_m: float = DRAWER_OPEN_MIN_M
    drawer_closed_max_m: float = DRAWER_CLOSED_MAX_M

    def __post_init__(self) -> None:
        for field_name in ("min_lift_m", "height_tolerance_m"):
            if getattr(self, field_name) <= 0.0:
                raise ValueError(f"{field_name} must be > 0, got {getattr(self, field_name)}")
        if not 0.0 <= self.drawer_closed_max_m < self.drawer_open_min_m:
            raise ValueError(f"need 0 <= drawer_closed_max_m ({self.drawer_closed_max_m}) < drawer_open_min_m "
                             f"({self.drawer_open_min_m})")


def check_postcondition(step: PlanStep, before: SceneGraph, after: SceneGraph,
                        config: PostconditionConfig = PostconditionConfig(),
                        arm_clear: bool = False) -> tuple[bool, str]:
    """(ok, message) for `step`, given the scene perceived before it and after it.

    `arm_clear`: `after` was seen with the arm out of the camera's view (at home), so an object the arm
    released that perception no longer sees anywhere went into its target, which hides it or shares its
    colour (a green cube in a green bowl is one region to the camera).
    """
    if step.skill == "grasp":
        return _check_grasped(step, before, after, config)
    if step.skill == "place":
        return _check_placed(step, after, config, arm_clear)
    if step.skill == "open":
        ok = bool(after.drawer_opening_m >= config.drawer_open_min_m)
        return ok, f"the drawer is open {after.drawer_opening_m * 100:.1f} cm" + (
            "" if ok else f", less than the {config.drawer_open_min_m * 100:.1f} cm needed")
    if step.skill == "close":
        ok = bool(after.drawer_opening_m <= config.drawer_closed_max_m)
        return ok, f"the drawer is open {after.drawer_opening_m * 100:.1f} cm" + (
            "" if ok else f", more than the {config.drawer_closed_max_m * 100:.1f} cm allowed for closed")
    return True, "going home moves no object: there is nothing to check in the scene"


def _check_grasped(step: PlanStep, before: SceneGraph, after: SceneGraph,
                   config: PostconditionConfig) -> tuple[bool, str]:
    was = before.get(step.object.id)
    if was is None:
        raise ValueError(f"the scene before the grasp has no object {step.object.id!r}")
    now = after.get(step.object.id)
    if now is None or now.stale:
        # The hand hides what it holds from the scene camera.
        return True, f"the {name(was)} is no longer seen where it was (in the gripper)"
    lift = float(now.position[2] - was.position[2])
    if lift >= config.min_lift_m:
        return True, f"the {name(was)} was lifted {lift * 100:.1f} cm"
    return False, f"the {name(was)} is still where it was (lifted {lift * 100:.1f} cm)"


def _check_placed(step: PlanStep, after: SceneGraph, config: PostconditionConfig,
                  arm_clear: bool) -> tuple[bool, str]:
    obj, target = after.get(step.object.id), after.get(step.target.id)
    label = step.object.describe()
    goal = f"{label} {step.relation} {step.target.describe()}"
    relations = ("in", "inside_drawer") if step.relation == "in" else (step.relation,)
    if any(after.has_relation(step.object.id, r, step.target.id) for r in relations):
        return True, f"{goal}: perception reports it"
    if obj is None or obj.stale:
        if arm_clear and target is not None and not target.stale:
            return True, (f"{label} is nowhere in view with the arm out of the way: it went {step.relation} "
                          f"{step.target.describe()}, which hides it or shares its colour")
        return False, f"I can't see {label} after placing it"
    if target is None:  # stale is fine: the arm may still hide it, and it is judged where it was last seen
        return False, f"I can't see {step.target.describe()} after placing {label}"
    if not target.over_footprint(obj.position):
        return False, f"{label} is not over {step.target.describe()}"
    bottom = obj.position[2] - obj.size[2] / 2.0
    target_bottom = target.position[2] - target.size[2] / 2.0
    if step.relation == "on":
        # Seen from above, an object on another hides that one's top: perception then extends it down to the
        # table (or the lower one is not seen at all and judged where it was). Over the target's footprint
        # with its top clearly above the target's, it rests on it: nothing floats.
        hidden_bottom = bottom < target.top_z and obj.top_z - target.top_z >= config.height_tolerance_m
        ok = abs(bottom - target.top_z) <= config.height_tolerance_m or hidden_bottom
        where = (f"its top is {(obj.top_z - target.top_z) * 100:.1f} cm above the top of {step.target.describe()}"
                 if hidden_bottom else
                 f"its bottom is {(bottom - target.top_z) * 100:+.1f} cm from the top of {step.target.describe()}")
    else:
        ok = target_bottom - config.height_tolerance_m <= bottom <= target.top_z + config.height_tolerance_m
        where = f"its bottom is {(bottom - target_bottom) * 100:+.1f} cm above the floor of {step.target.describe()}"
    return bool(ok), f"{goal}: {where}" if ok else f"{label} is not {step.relation} {step.target.describe()}: {where}"
