"""Shared fixtures: every test that touches ROS gets its own DDS domain on loopback only."""
from __future__ import annotations

import contextlib
import fcntl
import itertools
import os
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
_domains = itertools.count(os.getpid())
_LOCKS = Path(tempfile.gettempdir()) / "griptalk-ros-domains"


@pytest.fixture
def ros_env(monkeypatch) -> dict[str, str]:
    """A private ROS_DOMAIN_ID (1..100) and loopback-only discovery, for this process and its children."""
    with _claim_domain() as domain:
        yield _private_ros_env(monkeypatch, domain)


@pytest.fixture(scope="module")
def module_ros_env():
    """ros_env for a module whose tests share one graph."""
    with pytest.MonkeyPatch.context() as monkeypatch, _claim_domain() as domain:
        yield _private_ros_env(monkeypatch, domain)


def _private_ros_env(monkeypatch, domain: int) -> dict[str, str]:
    monkeypatch.setenv("ROS_DOMAIN_ID", str(domain))
    monkeypatch.setenv("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    monkeypatch.setenv("FASTRTPS_DEFAULT_PROFILES_FILE", str(REPO / "config" / "fastdds.xml"))
    monkeypatch.setenv("PYTHONUNBUFFERED", "1")
    return dict(os.environ)


@contextlib.contextmanager
def _claim_domain():
    """A domain in 1..100 that no other test on this machine holds, by a lock file, so that test runs
    in parallel never share a graph (manual runs keep to 0 or 101). The next test takes the next one:
    a graph that is still shutting down never meets a new test."""
    _LOCKS.mkdir(exist_ok=True)
    for _ in range(100):
        domain = 1 + next(_domains) % 100
        with open(_LOCKS / f"{domain}.lock", "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            yield domain
            return
    raise RuntimeError(f"every ROS domain 1..100 is held by another test (locks in {_LOCKS})")
