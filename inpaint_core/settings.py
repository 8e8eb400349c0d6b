"""A method's settings, declared once with their range and default: read by the nodes, the UI and validation.
Imports nothing of the project but `quoting` (the node maths use it).

`Int`, `Float`, `Flag` and `Choice` each give `check(value)` (the value, or ValueError naming the setting
and what is allowed) and `input_type()` (the ComfyUI INPUT_TYPES entry). An `Int`'s `slider` is the
narrower range a page offers where the node's own range is too wide for a slider.
"""

import math
from dataclasses import dataclass
from numbers import Integral, Real

from .quoting import quote


def _finite(value: Real) -> bool:
    """Whether a real number is finite; an integer too large for a float is not taken as one."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


@dataclass(frozen=True)
class Int:
    name: str
    default: int
    min: int
    max: int
    slider: tuple[int, int] | None = None  # (low, high) for a page; None: the whole range

    def check(self, value) -> int:
        if isinstance(value, bool) or not isinstance(value, Integral):
            raise ValueError(f"{self.name} must be an integer in [{self.min}, {self.max}], got {quote(value)}")
        if not self.min <= value <= self.max:
            raise ValueError(f"{self.name} must be in [{self.min}, {self.max}], got {value}")
        return int(value)

    def input_type(self) -> tuple:
        return ("INT", {"default": self.default, "min": self.min, "max": self.max, "step": 1})

    @property
    def slider_range(self) -> tuple[int, int]:
        return self.slider or (self.min, self.max)


@dataclass(frozen=True)
class Float:
    name: str
    default: float
    min: float
    max: float
    step: float = 0.01

    def check(self, value) -> float:
        if isinstance(value, bool) or not isinstance(value, Real) or not _finite(value):
            raise ValueError(f"{self.name} must be a number in [{self.min}, {self.max}], got {quote(value)}")
        if not self.min <= value <= self.max:
            raise ValueError(f"{self.name} must be in [{self.min}, {self.max}], got {quote(value)}")
        return float(value)

    def input_type(self) -> tuple:
        return ("FLOAT", {"default": self.default, "min": self.min, "max": self.max, "step": self.step})


@dataclass(frozen=True)
class Flag:
    name: str
    default: bool

    def check(self, value) -> bool:
        if not isinstance(value, bool):
            raise ValueError(f"{self.name} must be True or False, got {quote(value)}")
        return value

    def input_type(self) -> tuple:
        return ("BOOLEAN", {"default": self.default})


@dataclass(frozen=True)
class Choice:
    name: str
    default: str
    options: tuple[str, ...]

    def check(self, value) -> str:
        if value not in self.options:
            raise ValueError(f"{self.name} must be one of {list(self.options)}, got {quote(value)}")
        return value

    def input_type(self) -> tuple:
        return (list(self.options), {"default": self.default})


Setting = Int | Float | Flag | Choice


def check_settings(declared: tuple[Setting, ...], given: dict) -> dict:
    """`given` checked against `declared`, missing ones at their default; an unknown name raises."""
    names = {s.name for s in declared}
    unknown = sorted(set(given) - names)
    if unknown:
        shown = ", ".join(quote(name, 40) for name in unknown[:3]) + (
            f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
        )
        raise ValueError(f"unknown settings {shown}; this method takes {sorted(names)}")
    return {s.name: s.check(given[s.name]) if s.name in given else s.default for s in declared}
