"""`griptalk bench safety`: the safety supervisor under injected faults, over ROS topics between processes.

The simulator, the safety supervisor and the controller run as separate processes on the current
ROS_DOMAIN_ID (loopback only unless widened); this process hosts the probe that injects faults and
times what reaches the robot's command topic, on the wall clock (see griptalk.ros.fault_cases).
Each episode is an e-stop in the middle of a trajectory and a watchdog stop (the controller frozen,
or the simulator frozen so that joint states go stale, in turn); then every fault case runs once.

- estop_to_hold_ms_median, estop_to_hold_ms_p99: e-stop published to the supervisor's hold command
  received [ms]
- commands_after_latch: commands forwarded after a latch (or against a refusal), over every case
- force_peak_n: the largest wrist force in the press-into-the-table case [N]
- watchdog_to_hold_ms_median: a watchdog's deadline (last joint state or controller command
  received + its timeout) to the hold command received [ms]
- fault_cases_run, fault_cases_passed: every case and episode, and those that met every check
"""
from __future__ import annotations

import tempfile

import numpy as np

from griptalk.cli.episode import local_ros_environment
from griptalk.ros.fault_cases import CASES, controller_frozen, estop_mid_trajectory, stale_joint_states
from griptalk.ros.fault_rig import FaultRig

DEFAULT_EPISODES = 10


def _percentile(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 2) if values else None


def run(episodes: int, seed: int) -> dict:
    local_ros_environment()
    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory(prefix="griptalk-bench-safety-") as logs, FaultRig(logs) as rig:
        outcomes = []
        for k in range(episodes):
            outcomes.append(estop_mid_trajectory(rig, rng))
            outcomes.append((controller_frozen if k % 2 == 0 else stale_joint_states)(rig, rng))
        outcomes += [case(rig, rng) for case in CASES.values()]
    latencies = {kind: [o.latency_ms for o in outcomes if o.latency_kind == kind and o.latency_ms is not None]
                 for kind in ("estop", "watchdog")}
    press = [o.force_peak_n for o in outcomes if o.case == "press_into_table"]
    failed = [{"case": o.case, "failures": o.failures} for o in outcomes if not o.passed]
    return {
        "estop_to_hold_ms_median": _percentile(latencies["estop"], 50),
        "estop_to_hold_ms_p99": _percentile(latencies["estop"], 99),
        "commands_after_latch": sum(o.commands_after_latch + o.forwarded_after_latch for o in outcomes),
        "force_peak_n": round(max(press), 1),
        "watchdog_to_hold_ms_median": _percentile(latencies["watchdog"], 50),
        "fault_cases_run": len(outcomes),
        "fault_cases_passed": len(outcomes) - len(failed),
        "failed_cases": failed,
    }
