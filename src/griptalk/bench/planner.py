"""`griptalk bench planner`: the language planner on hand-written commands with scenes and expected plans.

The cases (bench/data/planner_cases.yaml) were written apart from the training generator: other
verbs, word orders, fillers, typos and colours. Each names a scene and what must come out: a plan
(skills and object ids, in order), `clarify`, `refuse` or `stop`. The model loads once
(`load_seconds`); `latency_ms_median` is the wall time to plan one command after that, `cpu_ms_median`
its CPU time (what it costs on a core of its own).
"""
from __future__ import annotations

import statistics
import time
from pathlib import Path

import torch
import yaml

from griptalk.perception.relations import RelationConfig, compute_relations
from griptalk.planner.planner import Planner
from griptalk.types import PlanStep, Relation, SceneGraph, SceneObject
from griptalk_sim.scene import OBJECT_TYPES

CASES_FILE = Path(__file__).resolve().parent / "data" / "planner_cases.yaml"
STATUS_OF = {"clarify": "clarification_needed", "refuse": "refused"}


def load_cases(path: Path = CASES_FILE) -> tuple[dict[str, SceneGraph], list[dict]]:
    """The scenes (as scene graphs, relations computed as perception would) and the cases."""
    data = yaml.safe_load(path.read_text())
    scenes = {name: scene_graph(spec) for name, spec in data["scenes"].items()}
    cases = []
    for i, (scene, text, expect) in enumerate(data["cases"]):
        if scene not in scenes:
            raise ValueError(f"case {i} ('{text}') names an unknown scene '{scene}'")
        cases.append({"scene": scene, "text": text, "expect": expect})
    return scenes, cases


def scene_graph(spec: dict) -> SceneGraph:
    objects: dict[str, SceneObject] = {}
    stated: list[Relation] = []
    for item in spec["objects"]:
        kind = OBJECT_TYPES[item["type"]]
        size = kind.size
        z = size[2] / 2.0
        holder = item.get("rests_on") or item.get("inside")
        if holder:
            below = objects[holder]
            on_top = "rests_on" in item
            z = (below.top_z if on_top else below.position[2] - below.size[2] / 2.0 + 0.01) + size[2] / 2.0
            relation = "on" if on_top else ("inside_drawer" if below.object_class == "drawer" else "in")
            stated.append(Relation(item["id"], relation, holder))
        x, y = item["position"] if "position" in item else objects[holder].position[:2]
        objects[item["id"]] = SceneObject(item["id"], item["type"], item.get("color", ""), [x, y, z], size=size)
    computed = compute_relations(list(objects.values()), RelationConfig())
    relations = list(dict.fromkeys(stated + [r for r in computed if r.relation not in ("on", "in")]))
    return SceneGraph(list(objects.values()), relations, float(spec.get("drawer_opening_m", 0.0)))


def step_text(step: PlanStep) -> str:
    """'grasp red_cube', 'place red_cube in green_bowl', 'open drawer', 'home'."""
    words = [step.skill] + ([step.object.id] if step.object else [])
    if step.target:
        words += [step.relation, step.target.id]
    return " ".join(words)


def judge(outcome, expect) -> bool:
    if isinstance(expect, list):
        return outcome.status == "planned" and not outcome.stop and [step_text(s) for s in outcome.steps] == expect
    if expect == "stop":
        return outcome.stop and not outcome.steps
    return outcome.status == STATUS_OF[expect] and not outcome.steps


DEFAULT_EPISODES = len(yaml.safe_load(CASES_FILE.read_text())["cases"])  # all of them


def run(episodes: int, seed: int) -> dict:
    """Plan the first `episodes` cases (all by default); `seed` is unused: the cases are fixed."""
    scenes, cases = load_cases()
    cases = cases[:episodes]
    torch.set_num_threads(1)  # as in the planner node: one thread, shared cores
    start = time.monotonic()
    from griptalk.planner.model_parser import ModelParser

    planner = Planner(ModelParser())
    load_seconds = time.monotonic() - start
    planner.plan("put the red cube in the green bowl", scenes[cases[0]["scene"]])  # first call warms caches
    latencies, cpu, plans_right, plans, guards_right, guards, failures = [], [], 0, 0, 0, 0, []
    for case in cases:
        t0, c0 = time.perf_counter(), time.process_time()
        outcome = planner.plan(case["text"], scenes[case["scene"]])
        latencies.append((time.perf_counter() - t0) * 1000.0)
        cpu.append((time.process_time() - c0) * 1000.0)
        ok = judge(outcome, case["expect"])
        if isinstance(case["expect"], list) or case["expect"] == "stop":
            plans, plans_right = plans + 1, plans_right + ok
        else:
            guards, guards_right = guards + 1, guards_right + ok
        if not ok:
            got = [step_text(s) for s in outcome.steps] if outcome.steps else outcome.status
            failures.append({"scene": case["scene"], "text": case["text"], "expected": case["expect"],
                             "got": got, "message": outcome.message})
    return {
        "cases": len(cases),
        "plan_exact_match": round(plans_right / plans, 4) if plans else None,
        "clarify_refuse_accuracy": round(guards_right / guards, 4) if guards else None,
        "latency_ms_median": round(statistics.median(latencies), 2),
        "cpu_ms_median": round(statistics.median(cpu), 2),  # the same without waiting for a shared core
        "load_seconds": round(load_seconds, 2),
        "plan_cases": plans,
        "clarify_refuse_cases": guards,
        "failures": failures,
    }
