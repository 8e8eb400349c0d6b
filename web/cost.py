"""What a large image costs on this CPU, said before its work starts.

A 4096² image is accepted (`--max-side`), but on a 2-core CPU its encode and decode take over a minute a
method, and a few kB of PNG ask for it. So each large image's caller is told first, in one sentence, how
long it will take and whether another large image goes first. The time comes from this server's latest
encode of that VAE (seconds per megapixel of one encode and decode; any image from 256² is timed), or,
before it has timed one, from TAEF2's figure on a 2-core CPU (docs/reliability.md).
"""

import threading
import time
from collections.abc import Callable

SECONDS_PER_MEGAPIXEL = 9.0  # TAEF2, one encode and decode, 2-core CPU: a 4096² /compare (two) took 309 s
MIN_TIMED_PIXELS = 256 * 256  # smaller encodes are mostly overhead: not timed


def megapixels(size: tuple[int, int]) -> float:
    return size[0] * size[1] / 1e6


class Throughput:
    """Seconds per megapixel of one encode and decode, by VAE label, as this server last timed them."""

    def __init__(self, default: float = SECONDS_PER_MEGAPIXEL):
        self.default = default
        self.rates: dict[str, float] = {}
        self._lock = threading.Lock()

    def record(self, label: str, size: tuple[int, int], seconds: float) -> None:
        if size[0] * size[1] >= MIN_TIMED_PIXELS:
            with self._lock:
                self.rates[label] = seconds / megapixels(size)

    def seconds(self, label: str, size: tuple[int, int], encodes: int = 1) -> float:
        """The time `encodes` encodes and decodes of an image of `size` (H, W) should take."""
        with self._lock:
            rate = self.rates.get(label, self.default)
        return rate * megapixels(size) * encodes

    def timed(self, label: str, encode: Callable) -> Callable:
        """`encode(vae, pixels)` that records its time, where it encoded the whole image (a latent updated from
        an earlier pass, Latent.reuse, says nothing of a new image's time); pixels are (B, H, W, C)."""

        def timed_encode(vae, pixels):
            start = time.monotonic()
            latent = encode(vae, pixels)
            if str(getattr(latent, "reuse", {}).get("encode", "whole")).startswith("whole"):
                self.record(label, tuple(pixels.shape[1:3]), time.monotonic() - start)
            return latent

        return timed_encode


def cost_sentence(size: tuple[int, int], vae_name: str, seconds: float, ahead_s: float | None = None) -> str:
    """One sentence: the image, what it takes on this CPU, and how long the large image ahead has left."""
    height, width = size
    said = f"{width}×{height} with {vae_name} on this CPU takes about {max(1, round(seconds))} s"
    if ahead_s is None:
        return said + "."
    return said + f"; another large image goes first (about {max(1, round(ahead_s))} s left), then yours."
