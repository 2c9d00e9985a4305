"""Typed, documented, bounded ROS parameters.

Each node lists its parameters once as `Param`s; `declare_all` declares them with descriptors
(type, description with units, range) and returns their validated values. A value out of range or
of the wrong type stops the node with a one-line message naming the parameter.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor
from rclpy.exceptions import InvalidParameterTypeException, InvalidParameterValueException
from rclpy.node import Node


class ParameterError(ValueError):
    """A parameter's value is unusable; the message says which and why."""


@dataclass(frozen=True)
class Param:
    name: str
    default: Any
    description: str  # say the unit
    low: float | None = None
    high: float | None = None
    read_only: bool = True

    def descriptor(self) -> ParameterDescriptor:
        d = ParameterDescriptor(description=self.description, read_only=self.read_only)
        if self.low is not None and self.high is not None:
            if isinstance(self.default, bool):
                pass  # bools have no range
            elif isinstance(self.default, int):
                d.integer_range = [IntegerRange(from_value=int(self.low), to_value=int(self.high), step=1)]
            elif isinstance(self.default, float):
                d.floating_point_range = [FloatingPointRange(from_value=float(self.low), to_value=float(self.high), step=0.0)]
        return d

    def check(self, value: Any) -> Any:
        numbers = value if isinstance(value, (list, tuple)) else [value]
        for v in numbers:
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                if (self.low is not None and v < self.low) or (self.high is not None and v > self.high):
                    raise ParameterError(f"parameter '{self.name}' = {value} is out of range "
                                         f"[{self.low}, {self.high}] ({self.description})")
        return value


def declare_all(node: Node, params: list[Param]) -> dict[str, Any]:
    """Declare every parameter and return {name: value}, validated."""
    values = {}
    for p in params:
        try:
            node.declare_parameter(p.name, p.default, p.descriptor())
        except (InvalidParameterTypeException, InvalidParameterValueException) as e:
            raise ParameterError(f"parameter '{p.name}': {e} ({p.description})") from None
        value = node.get_parameter(p.name).value
        if isinstance(p.default, float) and isinstance(value, int):
            value = float(value)
        if isinstance(p.default, list) and p.default and isinstance(p.default[0], float):
            value = [float(v) for v in value]
        values[p.name] = p.check(value)
    return values
