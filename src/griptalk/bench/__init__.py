"""Benchmark suites: `griptalk bench SUITE`.

Each suite is a module with `DEFAULT_EPISODES: int` and `run(episodes: int, seed: int) -> dict`
returning the metrics its issue names. Register a suite by adding it to SUITES.
"""
from __future__ import annotations

import importlib
from types import ModuleType

SUITES: dict[str, str] = {
    "perception": "griptalk.bench.perception",
    "control": "griptalk.bench.control",
    "grasp": "griptalk.bench.grasp",
    "planner": "griptalk.bench.planner",
    "safety": "griptalk.bench.safety",
    "tasks": "griptalk.bench.tasks",
}


def load_suite(name: str) -> ModuleType:
    """The suite's module. Raises KeyError naming the known suites."""
    if name not in SUITES:
        known = ", ".join(sorted(SUITES)) or "none yet"
        raise KeyError(f"unknown benchmark suite '{name}'; known suites: {known}")
    return importlib.import_module(SUITES[name])
