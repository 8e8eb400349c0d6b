"""Milliseconds per step, GPU work included, without stalling the GPU between steps.

On CUDA each step is bracketed by events, read once the caller has waited for the results anyway;
elsewhere it is the wall clock.
"""

import time
from collections.abc import Callable
from typing import Any

import torch


class StepClock:
    def __init__(self, device: torch.device):
        self._device = device
        self._cuda = device.type == "cuda"
        self._marks: list[tuple[str, Any, Any]] = []

    def step(self, name: str, fn: Callable[[], Any]) -> Any:
        """fn(), timed as `name`."""
        start = self._now()
        value = fn()
        self._marks.append((name, start, self._now()))
        return value

    def milliseconds(self) -> dict[str, float]:
        """Each step's milliseconds, rounded to 0.01 (on CUDA: waits for the last step to finish)."""
        if self._cuda and self._marks:
            self._marks[-1][2].synchronize()
        return {name: round(self._elapsed(start, end), 2) for name, start, end in self._marks}

    def _now(self):
        if not self._cuda:
            return time.perf_counter()
        event = torch.cuda.Event(enable_timing=True)
        event.record(torch.cuda.current_stream(self._device))
        return event

    def _elapsed(self, start, end) -> float:
        return start.elapsed_time(end) if self._cuda else (end - start) * 1e3
