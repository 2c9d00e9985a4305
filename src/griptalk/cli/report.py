"""The outcome of one `griptalk run` or `griptalk plan`, judged against ground truth (CONTRACTS.md)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from griptalk.ros.conversions import quaternion_to_yaw, step_from_msg, step_result_to_dict
from griptalk_sim import truth
from griptalk_sim.truth import ObjectState

EXIT_CODES = {"succeeded": 0, "planned": 0, "failed": 1, "canceled": 1, "refused": 2, "clarification_needed": 2}


def states_from_response(response) -> list[ObjectState]:
    states = []
    for o in response.objects:
        p, q = o.pose.position, o.pose.orientation
        opening = float(response.drawer_opening_m) if o.object_type == "drawer" else 0.0
        states.append(ObjectState(id=o.id, type=o.object_type, color=o.color, position=np.array([p.x, p.y, p.z]),
                                  quaternion=np.array([q.x, q.y, q.z, q.w]), yaw=quaternion_to_yaw(q), opening_m=opening))
    return states


@dataclass
class Report:
    instruction: str
    executed: bool
    status: str = "failed"
    message: str = ""
    plan: list = field(default_factory=list)
    steps: list = field(default_factory=list)
    world: dict | None = None
    seconds: float = 0.0
    task_seconds: float | None = None  # from sending the instruction to its result (no start-up)
    logs: str = ""
    checked: list = field(default_factory=list)  # (goal, holds in ground truth)
    states: list = field(default_factory=list)  # ObjectState of every object after the run (ground truth)
    moved: list = field(default_factory=list)  # ids of the objects the run moved (ground truth)

    def on_feedback(self, fb) -> str:
        """Record one feedback message; return the line to show the user."""
        step = step_from_msg(fb.step)
        text = f"[step {fb.step_index + 1}] {step.describe()}: {fb.state}"
        return text + (f" ({fb.message})" if fb.message and fb.state in ("failed", "retrying") else "")

    def set_plan_response(self, response) -> None:
        self.status, self.message = response.status, response.message
        self.plan = [step_from_msg(s).to_dict() for s in response.plan.steps]

    def set_result(self, result) -> None:
        self.status, self.message = result.status, result.message
        self.plan = [step_from_msg(s).to_dict() for s in result.plan.steps]
        self.steps = [step_result_to_dict(r) for r in result.steps]

    def set_world(self, response, before=None) -> None:
        """The simulator's ground truth after the run (and, given `before`, what the run moved)."""
        states = self.states = states_from_response(response)
        if before is not None:
            self.moved = truth.moved(states_from_response(before), states)
        self.world = {"objects": [{"id": s.id, "type": s.type, "color": s.color,
                                   "position": [round(float(v), 4) for v in s.position],
                                   "yaw_deg": round(math.degrees(s.yaw), 1)} for s in states],
                      "drawer_opening_m": round(float(response.drawer_opening_m), 4)}
        if self.status == "succeeded":
            self.checked = self.placement_goals(states)
            unmet = [f"{goal} does not hold" for goal, holds in self.checked if not holds]
            if unmet:
                self.status = "failed"
                self.message = "the stack reported success but the simulator disagrees: " + "; ".join(unmet)

    def placement_goals(self, states: list[ObjectState]) -> list[tuple[str, bool]]:
        """Each placement goal of the plan, and whether it holds in the simulator's ground truth."""
        goals = []
        for step in self.plan:
            if step["skill"] == "place":
                subject, target, relation = step["object"]["id"], step["target"]["id"], step["relation"]
                goals.append((f"{subject} {relation} {target}", truth.relation_holds(states, subject, relation, target)))
        return goals

    def fail(self, message: str, logs: str = "") -> None:
        self.status, self.message, self.logs = "failed", message, logs

    def exit_code(self) -> int:
        return EXIT_CODES.get(self.status, 1)

    def to_dict(self) -> dict:
        d = {"instruction": self.instruction, "status": self.status, "message": self.message, "plan": self.plan}
        if self.executed:
            d["steps"] = self.steps
            d["world"] = self.world
            d["moved"] = self.moved
        d["seconds"] = round(self.seconds, 2)
        return d

    def summary(self) -> str:
        lines = [f"{self.status}: {self.message}"]
        if self.plan and not self.executed:
            lines += [f"  {i + 1}. {step_from_msg_dict(s)}" for i, s in enumerate(self.plan)]
        lines += [f"  ground truth: {goal}: {'yes' if holds else 'NO'}" for goal, holds in self.checked]
        if self.logs:
            lines.append(self.logs)
        lines.append(f"({self.seconds:.1f} s)")
        return "\n".join(lines)


def step_from_msg_dict(step: dict) -> str:
    text = f"{step['skill']} {step['object']['id']}" if "object" in step else step["skill"]
    return text + (f" {step['relation']} {step['target']['id']}" if "target" in step else "")
