"""Shared fixtures: every test that touches ROS gets its own DDS domain on loopback only."""
from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
_domains = itertools.count(1 + os.getpid() % 50)


@pytest.fixture
def ros_env(monkeypatch) -> dict[str, str]:
    """A private ROS_DOMAIN_ID (1..100) and loopback-only discovery, for this process and its children."""
    return _private_ros_env(monkeypatch)


@pytest.fixture(scope="module")
def module_ros_env():
    """ros_env for a module whose tests share one graph."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield _private_ros_env(monkeypatch)


def _private_ros_env(monkeypatch) -> dict[str, str]:
    domain = str(1 + next(_domains) % 100)
    monkeypatch.setenv("ROS_DOMAIN_ID", domain)
    monkeypatch.setenv("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    monkeypatch.setenv("FASTRTPS_DEFAULT_PROFILES_FILE", str(REPO / "config" / "fastdds.xml"))
    monkeypatch.setenv("PYTHONUNBUFFERED", "1")
    return dict(os.environ)
