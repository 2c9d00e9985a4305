"""`griptalk bench tasks`: whole tasks through the whole ROS 2 graph, judged on the simulator's ground truth.

Each episode is what `griptalk run` does: bring the launch file's graph up on a random valid scene,
send the instruction to the planner's action, wait for the result, read the ground truth, bring the
graph down. Families and their goals: griptalk.bench.task_families (episode k is family k mod 10).

- success_rate: episodes whose goals all hold in the ground truth (refusal families: the expected
  status, no skill started, nothing moved); success_rate_by_family; single_step (tasks of one or two
  skills), multi_step (three or more) and refusal_correct: the same per group
- partial_credit: the mean share of each episode's goals that hold
- seconds_per_task_median: instruction sent to result received, graph start-up excluded [s]
- safety_stops: the supervisor's transitions into a stop; force_over_limit_events: excursions of the
  measured wrist force above the supervisor's force limit; force_peak_n [N]
- claims_contradicted: episodes where the stack said "succeeded" and the ground truth disagrees
- failures: each episode that failed or answered otherwise than expected (even where the goals hold):
  what it was asked, answered and left undone
"""
from __future__ import annotations

import io
import shutil
import statistics
import sys
from collections import defaultdict
from pathlib import Path

from griptalk.bench.task_families import FAMILIES, Task, suite
from griptalk.cli.episode import run_episode
from griptalk.cli.report import Report
from griptalk.cli.safety_watch import SafetyWatch

DEFAULT_EPISODES = 100
EPISODE_TIMEOUT_S = 400.0


def judge(task: Task, report: Report) -> float:
    """The share of the task's goals that hold in the ground truth (1 or 0 for a refusal)."""
    if task.group == "refusal":
        return float(report.status == task.expect and not report.steps and not report.moved and bool(report.states))
    if not report.states:  # the graph broke before the ground truth could be read
        return 0.0
    return sum(goal.holds(report.states) for goal in task.goals) / len(task.goals)


def run_task(task: Task, log_dir: Path | None = None) -> dict:
    watch = SafetyWatch.from_supervisor_config()
    report = run_episode(task.scene, task.instruction, execute=True, timeout_s=EPISODE_TIMEOUT_S, verbose=False,
                         progress=io.StringIO(), watch=watch, log_dir=log_dir)
    credit = judge(task, report)
    return {"family": task.family, "group": task.group, "seed": task.scene.seed, "instruction": task.instruction,
            "expect": task.expect, "credit": credit, "success": credit == 1.0, "status": report.status, "message": report.message,
            "unmet": [str(g) for g in task.goals if report.states and not g.holds(report.states)],
            "moved": report.moved, "task_seconds": report.task_seconds, "safety_stops": watch.stops,
            "force_over_limit_events": watch.force_over_limit_events, "force_peak_n": watch.force_peak_n,
            "claim_contradicted": report.status == "succeeded" and credit < 1.0}


def _rate(episodes: list[dict]) -> float | None:
    return round(sum(e["success"] for e in episodes) / len(episodes), 4) if episodes else None


def summarize(episodes: list[dict]) -> dict:
    family, group = defaultdict(list), defaultdict(list)
    for e in episodes:
        family[e["family"]].append(e)
        group[e["group"]].append(e)
    seconds = [e["task_seconds"] for e in episodes if e["task_seconds"] is not None]
    failures = [{k: e[k] for k in ("family", "seed", "instruction", "status", "message", "unmet", "moved",
                                   "safety_stops")} for e in episodes if not e["success"] or e["status"] != e["expect"]]
    return {
        "success_rate": _rate(episodes),
        "success_rate_by_family": {name: _rate(family[name]) for name in FAMILIES if family[name]},
        "single_step": _rate(group["single_step"]),
        "multi_step": _rate(group["multi_step"]),
        "refusal_correct": _rate(group["refusal"]),
        "partial_credit": round(statistics.mean(e["credit"] for e in episodes), 4),
        "seconds_per_task_median": round(statistics.median(seconds), 2) if seconds else None,
        "safety_stops": sum(len(e["safety_stops"]) for e in episodes),
        "force_over_limit_events": sum(e["force_over_limit_events"] for e in episodes),
        "force_peak_n": round(max(e["force_peak_n"] for e in episodes), 1),
        "claims_contradicted": sum(e["claim_contradicted"] for e in episodes),
        "episodes_by_group": {name: len(group[name]) for name in ("single_step", "multi_step", "refusal")},
        "failures": failures,
    }


def run(episodes: int, seed: int, log_dir: Path | None = None) -> dict:
    """`log_dir`: keep the node logs of each episode that went wrong in a folder of its own there."""
    results = []
    for k, task in enumerate(suite(episodes, seed), start=1):
        episode_logs = None if log_dir is None else log_dir / f"{k:03d}_{task.family}_seed{task.scene.seed}"
        results.append(run_task(task, episode_logs))
        e = results[-1]
        if episode_logs is not None and e["success"] and e["status"] == task.expect:
            shutil.rmtree(episode_logs, ignore_errors=True)
        unmet = f"; unmet: {', '.join(e['unmet'])}" if e["unmet"] else ""
        why = "" if e["success"] and e["status"] == task.expect else f": {e['message']}{unmet}"
        force = (f", {e['force_over_limit_events']} wrist force excursions over the limit (peak "
                 f"{e['force_peak_n']:.1f} N)" if e["force_over_limit_events"] else "")
        print(f"[{k}/{episodes}] {task.family}: {task.instruction!r} -> {e['status']}, credit {e['credit']:.2f}"
              f" ({e['task_seconds'] or 0.0:.1f} s){force}{why}", file=sys.stderr, flush=True)
    return summarize(results)
