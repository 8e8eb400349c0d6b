"""One large image at a time on a CPU: a second waits for the first instead of doubling the memory.

Two 4096² requests at once on the CPU each hold about 2 GB while they prepare, encode and write their files;
they share the same cores, so running them one after the other costs no time overall, and only one working
set is held at a time (`python -m bench.memory --vae assets/taef2 --cases together`). A request holds the gate
around all its work (the gate is reentrant in its thread), and writes a large image's files one at a time
(`OneAtATime`): at 4096² each preview holds a few hundred MB while it is made. Small images and GPUs never wait.
"""

import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

from inpaint_core.files.image_files import Batch

LARGE_PIXELS = 2048 * 2048  # above this, an image on the CPU is large


class LargeWork:
    """A gate that large images on a CPU pass one at a time."""

    def __init__(self, large_pixels: int = LARGE_PIXELS):
        self.large_pixels = large_pixels
        self._one = threading.RLock()  # a request may take it again around each of its steps
        self._busy_until = 0.0  # when the large image inside expects to finish (time.monotonic)

    def is_large(self, size: tuple[int, int], device: torch.device) -> bool:
        return device.type == "cpu" and size[0] * size[1] > self.large_pixels

    def left_s(self) -> float:
        """Seconds the large image inside expects to have left (0 when none is, or it runs late)."""
        return max(0.0, self._busy_until - time.monotonic())

    @contextmanager
    def hold(
        self, size: tuple[int, int], device: torch.device, waiting: Callable[[], None] = lambda: None,
        seconds: float = 0.0,
    ) -> Iterator:  # fmt: skip
        """Runs the block at once for small images and GPUs; for a large image on a CPU, once no other
        large image is being worked on (calling `waiting()` first if it must wait; a thread inside already
        goes on). `seconds`: how long the block should take, for those who wait behind it (left_s)."""
        if not self.is_large(size, device):
            yield
            return
        if not self._one.acquire(blocking=False):
            waiting()
            self._one.acquire()
        self._busy_until = time.monotonic() + seconds
        try:
            yield
        finally:
            self._one.release()


class OneAtATime(Batch):
    """A Batch that writes each file before the next is named, for a large image's files."""

    def jpeg(self, key: Hashable, make: Callable[[], np.ndarray]) -> Path:
        return self._written(super().jpeg(key, make))

    def png(self, key: Hashable, make: Callable[[], np.ndarray]) -> Path:
        return self._written(super().png(key, make))

    def mask(self, key: Hashable, make: Callable[[], np.ndarray], colour: str) -> Path:
        return self._written(super().mask(key, make, colour))

    def _written(self, path: Path) -> Path:
        self.wait()
        return path
