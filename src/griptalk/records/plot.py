"""The run's limits plot: wrist force and joint speeds against the safety limits, as a PNG."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from griptalk.robot import PANDA_LIMITS
from griptalk.safety.supervisor import SafetyConfig


@dataclass(frozen=True)
class PlotLimits:
    force_limit_n: float  # sustained wrist force that latches a stop [N]
    force_peak_limit_n: float  # wrist force that latches at once [N]
    joint_names: tuple[str, ...]
    max_velocity: tuple[float, ...]  # per joint [rad/s]

    def __post_init__(self) -> None:
        if not 0.0 < self.force_limit_n <= self.force_peak_limit_n:
            raise ValueError(f"need 0 < force_limit_n <= force_peak_limit_n, got "
                             f"{self.force_limit_n} and {self.force_peak_limit_n} N")
        if not self.joint_names or len(self.joint_names) != len(self.max_velocity):
            raise ValueError(f"one velocity limit per joint: {len(self.joint_names)} joints, "
                             f"{len(self.max_velocity)} limits")
        if not all(np.isfinite(v) and v > 0 for v in self.max_velocity):
            raise ValueError(f"velocity limits must be positive, got {self.max_velocity}")

    @classmethod
    def from_supervisor_yaml(cls, path: Path) -> "PlotLimits":
        """The force limits the safety supervisor runs with (its parameter file, defaults where it
        says nothing) and the arm's joint velocity limits."""
        data = yaml.safe_load(Path(path).read_text()) or {}
        params = data.get("safety_supervisor", {}).get("ros__parameters", {})
        defaults = SafetyConfig()
        return cls(force_limit_n=float(params.get("force_limit_n", defaults.force_limit_n)),
                   force_peak_limit_n=float(params.get("force_peak_limit_n", defaults.force_peak_limit_n)),
                   joint_names=PANDA_LIMITS.joint_names,
                   max_velocity=tuple(float(v) for v in PANDA_LIMITS.max_velocity))


def plot_run(path: Path, title: str, force_t, force_n, velocity_t, velocities, limits: PlotLimits,
             marks: list[tuple[float, str, bool]] = ()) -> None:
    """Write the PNG. `velocities` is samples × joints [rad/s], shown as |v| / limit; `marks` are
    (t, label, is_stop) drawn as vertical lines (steps in grey, safety stops in red). Times in s."""
    force_t, force_n = np.asarray(force_t, float), np.asarray(force_n, float)
    velocity_t = np.asarray(velocity_t, float)
    velocities = np.asarray(velocities, float)
    if force_t.shape != force_n.shape:
        raise ValueError(f"{len(force_t)} force times for {len(force_n)} forces")
    if velocities.shape != (len(velocity_t), len(limits.joint_names)):
        raise ValueError(f"joint velocities of shape {velocities.shape} for {len(velocity_t)} times "
                         f"and {len(limits.joint_names)} joints")

    figure = Figure(figsize=(10, 6.5), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    ax_force, ax_speed = figure.subplots(2, 1, sharex=True)
    figure.suptitle(title)

    ax_force.plot(force_t, force_n, color="tab:blue", lw=1, label="wrist force")
    ax_force.axhline(limits.force_limit_n, color="tab:orange", ls="--", lw=1,
                     label=f"sustained limit {limits.force_limit_n:g} N")
    ax_force.axhline(limits.force_peak_limit_n, color="tab:red", ls="--", lw=1,
                     label=f"peak limit {limits.force_peak_limit_n:g} N")
    ax_force.set_ylabel("force [N]")
    ax_force.set_ylim(0, 1.1 * max(limits.force_peak_limit_n, float(force_n.max(initial=0.0))))

    ratio = np.abs(velocities) / np.asarray(limits.max_velocity)
    for j, name in enumerate(limits.joint_names):
        ax_speed.plot(velocity_t, ratio[:, j], lw=1, label=name.replace("panda_", ""))
    ax_speed.axhline(1.0, color="tab:red", ls="--", lw=1, label="velocity limit")
    ax_speed.set_ylabel("|joint velocity| / limit")
    ax_speed.set_xlabel("time since the run started [s]")
    ax_speed.set_ylim(0, 1.1 * max(1.0, float(ratio.max(initial=0.0))))

    times = np.concatenate([force_t, velocity_t, [t for t, _, _ in marks]])
    span = max(float(np.ptp(times)), 1.0) if len(times) else 1.0
    last_label = -np.inf
    for t, label, is_stop in sorted(marks):
        for ax in (ax_force, ax_speed):
            ax.axvline(t, color="tab:red" if is_stop else "0.6", lw=1.5 if is_stop else 0.8)
        if t - last_label > 0.02 * span:  # retries come in bursts: label the first of a burst only
            ax_force.annotate(label, (t, 0.98), xycoords=("data", "axes fraction"), rotation=90, fontsize=7,
                              va="top", ha="right", color="tab:red" if is_stop else "0.3")
            last_label = t
    for ax in (ax_force, ax_speed):
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7)
    figure.savefig(path, format="png")
