"""Which pixels each backend's view of the noise mask reads: the rule by which a latent cell reaches 1.

ComfyUI's bilinear resize reaches 1 in a cell when every pixel it weighs is 1 (and a full mask gives
exactly 1 there); diffusers' nearest resize reads one pixel per cell; Fooocus' max-pool any pixel of
the cell, where the image is whole cells. The pixels are read from torch's own resizes (samplers.py
calls the same ones), not worked out anew.
"""

from dataclasses import dataclass
from functools import lru_cache

import torch
import torch.nn.functional as F

from .samplers import latent_size


@dataclass(frozen=True)
class Support:
    """The pixels a backend's view reads. 'all': cell (i, j) reaches 1 when every pixel of
    rows[:, i] × cols[:, j] is in the mask and `reachable[i, j]`; 'any': when any pixel of the cell is."""

    kind: str
    rows: torch.Tensor | None = None  # (2, h) int64; a row read once is there twice
    cols: torch.Tensor | None = None  # (2, w) int64
    reachable: torch.Tensor | None = None  # (h, w) bool


def _linear_taps(size_in: int, size_out: int) -> tuple[torch.Tensor, float] | None:
    """(2, n) int64: the source indices torch's linear resize (align_corners=False) weighs for each
    output, read from its response to four combs; and the smallest such weight. None if unexpected."""
    combs = (torch.arange(size_in)[None] % 4 == torch.arange(4)[:, None]).float()[None]  # (1, 4, N)
    response = F.interpolate(combs, size=size_out, mode="linear")[0]  # (4, n): weight per residue
    centre = ((torch.arange(size_out, dtype=torch.float64) + 0.5) * size_in / size_out - 0.5).clamp(min=0)
    candidates = centre.floor().long()[None] + torch.arange(-1, 3)[:, None]  # (4, n), distinct residues
    valid = (candidates >= 0) & (candidates < size_in)
    weights = response.gather(0, candidates % 4) * valid
    used = weights > 0
    if not torch.equal(weights.sum(0), response.sum(0)) or (used.sum(0) > 2).any() or not used.any(0).all():
        return None
    first = used.int().argmax(0)
    last = 3 - used.flip(0).int().argmax(0)
    rows = torch.stack([candidates.gather(0, first[None])[0], candidates.gather(0, last[None])[0]])
    return rows, weights[used].min().item()


def _nearest_index(size_in: int, size_out: int) -> torch.Tensor:
    """(n,) int64: the source index torch's nearest resize reads for each output."""
    ramp = torch.arange(size_in, dtype=torch.float32)[None, None, :, None]
    return F.interpolate(ramp, size=(size_out, 1))[0, 0, :, 0].long()


@lru_cache(maxsize=32)
def support(backend: str, height: int, width: int, ratio: int) -> Support | None:
    """The rule by which `backend`'s view of a (height, width) noise mask reaches 1; None where none is exact.

    Kept per size: the tensors it holds are read, never written."""
    h, w = latent_size(height, width, ratio)
    if backend == "fooocus":
        return Support("any") if (height, width) == (h * ratio, w * ratio) else None
    if backend == "diffusers":  # nearest to the size rounded down to the ratio, then nearest to the latent
        rows = _nearest_index(height, height - height % ratio)[_nearest_index(height - height % ratio, h)]
        cols = _nearest_index(width, width - width % ratio)[_nearest_index(width - width % ratio, w)]
        return Support("all", rows.expand(2, -1), cols.expand(2, -1), torch.ones(h, w, dtype=torch.bool))
    taps_y, taps_x = _linear_taps(height, h), _linear_taps(width, w)
    if taps_y is None or taps_x is None or taps_y[1] * taps_x[1] < 2**-22:
        return None  # a weight this small could vanish in float32 sums: count from the masks
    ones = torch.ones(1, 1, height, width)
    reachable = F.interpolate(ones, size=(h, w), mode="bilinear")[0, 0] == 1
    return Support("all", taps_y[0], taps_x[0], reachable)
