"""Plain data shared by the pure cores: scene graph, object references, plan steps.

No rclpy here: nodes convert these to and from griptalk_interfaces messages
(see griptalk.ros.conversions).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SKILLS = ("grasp", "place", "open", "close", "home")
RELATIONS = ("on", "in", "inside_drawer", "left_of", "right_of", "behind", "in_front_of", "near")


@dataclass
class SceneObject:
    """One object as perception believes it to be, in the robot's base frame."""

    id: str
    object_class: str
    color: str  # "" for colourless objects
    position: np.ndarray  # bounding-box centre [m], shape (3,)
    yaw: float = 0.0  # [rad] about z
    size: np.ndarray = field(default_factory=lambda: np.zeros(3))  # extents [m]
    confidence: float = 1.0
    stale: bool = False

    def __post_init__(self) -> None:
        self.position = np.asarray(self.position, dtype=float).reshape(3)
        self.size = np.asarray(self.size, dtype=float).reshape(3)

    @property
    def top_z(self) -> float:
        return float(self.position[2] + self.size[2] / 2.0)

    def over_footprint(self, xy, margin_m: float = 0.0, forward_m: float = 0.0) -> bool:
        """Whether the base-frame point `xy` lies over this object's footprint (its box turned by its yaw),
        grown by `margin_m` and stretched `forward_m` along its +x."""
        c, s = np.cos(self.yaw), np.sin(self.yaw)
        dx, dy = np.asarray(xy, dtype=float)[:2] - self.position[:2]
        along, across = c * dx + s * dy, -s * dx + c * dy
        half = self.size[:2] / 2.0 + margin_m
        return bool(-half[0] <= along <= half[0] + forward_m and abs(across) <= half[1])

    def ref(self) -> "ObjectRef":
        return ObjectRef(self.id, self.object_class, self.color)


@dataclass(frozen=True)
class Relation:
    subject: str
    relation: str
    object: str


@dataclass
class SceneGraph:
    objects: list[SceneObject] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    drawer_opening_m: float = 0.0
    stamp_s: float = 0.0

    def get(self, object_id: str) -> SceneObject | None:
        return next((o for o in self.objects if o.id == object_id), None)

    def has_relation(self, subject: str, relation: str, obj: str) -> bool:
        return Relation(subject, relation, obj) in self.relations


@dataclass(frozen=True)
class ObjectRef:
    id: str
    object_class: str
    color: str = ""

    def describe(self) -> str:
        return f"the {self.color} {self.object_class}" if self.color else f"the {self.object_class}"

    def to_dict(self) -> dict:
        return {"id": self.id, "type": self.object_class, "color": self.color}


@dataclass(frozen=True)
class PlanStep:
    skill: str
    object: ObjectRef | None = None
    target: ObjectRef | None = None
    relation: str = ""  # "in" / "on" for place

    def __post_init__(self) -> None:
        if self.skill not in SKILLS:
            raise ValueError(f"unknown skill {self.skill!r}; known: {', '.join(SKILLS)}")

    def describe(self) -> str:
        text = self.skill
        if self.object:
            text += " " + self.object.describe()
        if self.target:
            text += f" {self.relation} {self.target.describe()}"
        return text

    def to_dict(self) -> dict:
        d: dict = {"skill": self.skill}
        if self.object:
            d["object"] = self.object.to_dict()
        if self.target:
            d["target"] = self.target.to_dict()
            d["relation"] = self.relation
        return d
