"""Grey-halo cells for every amount at once: per grow_mask_by (0..64) and per mask_offset (-128..128).

A cell is at risk when it holds grey that the sampler's view does not fully repaint
(analysis.halo_risk_cells). Both grow families are nested (a larger amount covers a superset), and
each backend's view is monotone in the mask, so every cell has two thresholds: the first amount at
which it holds grey (G) and the first at which its view reaches 1 (T); it is at risk for the amounts
in [G, T). Distances give both for every cell in about one pass (distance.py):

- WAS: a pixel is in the mask offset by n exactly when its signed distance D <= n, with D = the
  chessboard distance to the mask outside it and 1 - the distance to the unmasked pixels inside it.
- ComfyUI: a k×k window (seed: padding ceil((k-1)/2)) covers pixel p for odd k = 2m+1 when the
  distance d(p) <= m, and for even k = 2m when the 2×2 block {p, p-up, p-left, p-up-left} is within
  m-1: so the first k is min(2 d(p) + 1, 2 block(p) + 2), 0 on the mask. Its grey, the original
  mask, does not depend on k.

Each backend's view reaches 1 by a rule on a few pixels (view_support.py); where no rule is exact,
the counts come from the masks of every amount instead (`direct_*`), which the tests also compare
against.
"""

from functools import cached_property

import torch
import torch.nn.functional as F

from ..checks import check_ratio
from ..masks import grow_mask, offset_mask
from ..prepare import GROW_MASK_BY, MASK_OFFSET
from .distance import VerticalScan, distance_map, spread
from .samplers import check_backend, latent_size, latent_view
from .view_support import Support, support

GROW_CAP = 33  # distances past 31 need a grow past 64
OFFSET_CAP = MASK_OFFSET.max + 1  # distances past 128 need an offset past 128
NEVER = 255


def _cells(hit: torch.Tensor, ratio: int) -> torch.Tensor:
    """bool (h, w): the cells holding a hit."""
    h, w = latent_size(*hit.shape, ratio)
    return hit[: h * ratio, : w * ratio].view(torch.uint8).reshape(h, ratio, w, ratio).amax((1, 3)).bool()


def _cell_distance(scan: VerticalScan, ratio: int, cap: int, grow_up_left: int = 0) -> torch.Tensor:
    """uint8 (h, w): each cell's chessboard distance to the hits, capped; with `grow_up_left` = 1, of
    the cell with one more row above and one more column to its left."""
    h, w = latent_size(scan.height, scan.width, ratio)
    tops = torch.arange(h) * ratio
    vertical = scan.bands((tops - grow_up_left).clamp(min=0), tops + ratio - 1, cap)
    return spread(vertical, cap, -grow_up_left, ratio + grow_up_left, ratio, w)


def _distance_at(vertical: torch.Tensor, cols: torch.Tensor, cap: int, block: int = 0) -> torch.Tensor:
    """uint8 (2, R, w): the distance to the hits from pixel (row r, cols[b, j]) or, with `block` = 1, from
    the pixel and the one to its left, capped; `vertical` (R, W) holds the rows' (or row pairs') vertical
    distances (VerticalScan.bands)."""
    vertical = vertical.clamp(max=cap)
    useful = vertical.amin(1) < cap  # rows with no hit within the cap stay at the cap
    out = torch.full((2, len(vertical), cols.shape[1]), cap, dtype=torch.uint8)
    if not useful.any():
        return out
    vertical = vertical[useful]
    for b in range(2):
        if b == 1 and torch.equal(cols[1], cols[0]):
            out[1] = out[0]
            continue
        stride = int(cols[b, 1] - cols[b, 0]) if cols.shape[1] > 1 else 1
        evenly = stride > 0 and torch.equal(cols[b], cols[b, 0] + stride * torch.arange(cols.shape[1]))
        if evenly:
            out[b, useful] = spread(vertical, cap, int(cols[b, 0]) - block, 1 + block, stride, cols.shape[1])
        else:
            out[b, useful] = spread(vertical, cap, -block, 1 + block, 1, vertical.shape[1])[:, cols[b]]
    return out


def _read(values: torch.Tensor, rows: torch.Tensor, sup: Support) -> torch.Tensor:
    """(h, w): the largest of `values` (2, R, w), per column set and listed row, over the pixels each cell reads."""
    where = torch.full((int(rows.max()) + 1,), -1, dtype=torch.long)
    where[rows] = torch.arange(len(rows))
    picked = [values[b][where[sup.rows[a]]] for a in range(2) for b in range(2)]
    return torch.stack(picked).amax(0)


class HaloCounts:
    """Halo-risk cells of one 0/1 mask (H, W), for every grow_mask_by and every mask_offset, with the
    distances both share worked out once. A mask is the method's own crop (Prepared.mask)."""

    def __init__(self, mask: torch.Tensor, ratio: int, backend: str = "comfyui"):
        self.hit = _hits(mask, check_ratio(ratio))
        self.ratio, self.backend = ratio, check_backend(backend)
        self.support = support(backend, *self.hit.shape, ratio)

    @cached_property
    def scan(self) -> VerticalScan:
        return VerticalScan(self.hit)

    @cached_property
    def holds_grey(self) -> torch.Tensor:  # bool (h, w): the cells the (unchanged) mask touches
        return _cells(self.hit, self.ratio)

    @cached_property
    def inside(self) -> torch.Tensor:  # uint8 (H, W): distance to the nearest unmasked pixel, 0 outside
        return _inside_distance(self.hit)

    @cached_property
    def read(self) -> torch.Tensor:  # int64 (R,): the rows the view reads, ascending
        return torch.unique(self.support.rows)

    @cached_property
    def read_vertical(self) -> tuple[torch.Tensor, torch.Tensor]:
        """uint8 (R, W) twice: vertical distances to the hits from each read row, and from it with the row
        above (capped for every amount: OFFSET_CAP)."""
        read = self.read
        rows = torch.unique(torch.cat([read, (read - 1).clamp(min=0)]))
        vertical = self.scan.bands(rows, rows, OFFSET_CAP)
        where = torch.full((self.hit.shape[0],), -1, dtype=torch.long)
        where[rows] = torch.arange(len(rows))
        here = vertical[where[read]]
        return here, torch.minimum(here, vertical[where[(read - 1).clamp(min=0)]])

    @cached_property
    def grow(self) -> torch.Tensor:
        """int64 (65,): halo-risk cells of ComfyUI's VAEEncodeForInpaint at grow_mask_by = 0..64."""
        if self.support is None:
            return direct_grow_counts(self.hit, self.ratio, self.backend)
        first = self._first_grow()[self.holds_grey]  # the cells holding grey
        amounts = GROW_MASK_BY.max + 1
        covered = torch.bincount(first.long().clamp(max=amounts), minlength=amounts + 1).cumsum(0)
        return len(first) - covered[:amounts]

    @cached_property
    def offset(self) -> torch.Tensor:
        """int64 (257,): halo-risk cells of WAS_VAEEncodeForInpaint at mask_offset = -128..128."""
        if self.support is None:
            return direct_offset_counts(self.hit, self.ratio, self.backend)
        return counts_between(*self.offset_thresholds())

    def _first_grow(self) -> torch.Tensor:
        """int16 (h, w): the smallest grow_mask_by whose noise mask the view sees as 1 in each cell (> 64: none)."""
        sup, ratio = self.support, self.ratio
        if sup.kind == "any":
            near = _cell_distance(self.scan, ratio, GROW_CAP).short()
            block = _cell_distance(self.scan, ratio, GROW_CAP, grow_up_left=1).short()
            return torch.minimum(2 * near + 1, 2 * block + 2).masked_fill_(self.holds_grey, 0)
        read, (here, with_above) = self.read, self.read_vertical
        near = _distance_at(here, sup.cols, GROW_CAP).short()
        block = _distance_at(with_above, sup.cols, GROW_CAP, block=1).short()
        first = torch.minimum(2 * near + 1, 2 * block + 2)
        first.masked_fill_(torch.stack([self.hit[read][:, sup.cols[b]] for b in range(2)]), 0)
        return _read(first, read, sup).masked_fill_(~sup.reachable, NEVER)

    def offset_thresholds(self) -> tuple[torch.Tensor, torch.Tensor]:
        """int16 (h, w) twice: per cell, the first mask_offset at which it holds grey and the first at which
        the view reaches 1 (clipped to -128..129)."""
        sup, ratio, inside = self.support, self.ratio, self.inside
        h, w = self.holds_grey.shape
        cell_depth = inside[: h * ratio, : w * ratio].reshape(h, ratio, w, ratio).amax((1, 3)).short()
        reach = _cell_distance(self.scan, ratio, OFFSET_CAP).short()
        grey = torch.where(cell_depth > 0, 1 - cell_depth, reach)
        if sup.kind == "any":
            return grey, grey
        read = self.read
        outside = _distance_at(self.read_vertical[0], sup.cols, OFFSET_CAP).short()  # (2, R, w)
        depth = torch.stack([inside[read][:, sup.cols[b]] for b in range(2)]).short()
        signed = torch.where(depth > 0, 1 - depth, outside)
        return grey, _read(signed, read, sup).masked_fill_(~sup.reachable, OFFSET_CAP)


def _inside_distance(hit: torch.Tensor) -> torch.Tensor:
    """uint8 (H, W): distance to the nearest unmasked pixel (the image's outside counts as masked), capped."""
    out = torch.zeros(hit.shape, dtype=torch.uint8)
    as_bytes = hit.view(torch.uint8)
    rows, cols = as_bytes.amax(1).nonzero(), as_bytes.amax(0).nonzero()
    if len(rows) == 0:
        return out
    top, bottom = max(int(rows[0]) - 1, 0), min(int(rows[-1]) + 2, hit.shape[0])
    left, right = max(int(cols[0]) - 1, 0), min(int(cols[-1]) + 2, hit.shape[1])
    window = hit[top:bottom, left:right]  # the mask and a ring of unmasked pixels where the image goes on
    out[top:bottom, left:right] = distance_map(~window, OFFSET_CAP).masked_fill_(~window, 0)
    return out


def grow_halo_counts(mask: torch.Tensor, ratio: int, backend: str = "comfyui") -> torch.Tensor:
    """int64 (65,): halo-risk cells of ComfyUI's VAEEncodeForInpaint at grow_mask_by = 0..64."""
    return HaloCounts(mask, ratio, backend).grow


def offset_halo_counts(mask: torch.Tensor, ratio: int = 8, backend: str = "comfyui") -> torch.Tensor:
    """int64 (257,): halo-risk cells of WAS_VAEEncodeForInpaint at mask_offset = -128..128."""
    return HaloCounts(mask, ratio, backend).offset


def counts_between(grey: torch.Tensor, repainted: torch.Tensor) -> torch.Tensor:
    """int64 (257,): per mask_offset n, the cells with grey <= n < repainted."""
    low, high = MASK_OFFSET.min, MASK_OFFSET.max
    at_risk = (grey < repainted) & (grey <= high)
    starts = grey[at_risk].long().clamp(min=low) - low
    ends = repainted[at_risk].long().clamp(max=high + 1) - low
    size = high - low + 2
    changes = torch.bincount(starts, minlength=size) - torch.bincount(ends, minlength=size)
    return changes.cumsum(0)[:-1]


def _hits(mask: torch.Tensor, ratio: int) -> torch.Tensor:
    """bool (H, W) on the CPU: the pixels of a 0/1 mask that are set."""
    if not isinstance(mask, torch.Tensor) or mask.ndim != 2:
        raise ValueError(f"mask must be a (H, W) tensor, got {getattr(mask, 'shape', type(mask).__name__)}")
    if min(mask.shape) < ratio:
        raise ValueError(f"mask must be at least {ratio}x{ratio} (one latent cell), got {tuple(mask.shape)}")
    return (mask.detach().cpu() > 0.5) if mask.dtype != torch.bool else mask.cpu()


def direct_grow_counts(mask: torch.Tensor, ratio: int, backend: str = "comfyui") -> torch.Tensor:
    """grow_halo_counts from the grown mask of every amount: halo_risk_cells, amount by amount (slow, plain)."""
    binary = mask.float()
    pairs = ((binary, grow_mask(binary, k)) for k in range(GROW_MASK_BY.min, GROW_MASK_BY.max + 1))
    return _direct_counts(pairs, binary.numel(), ratio, backend)


def direct_offset_counts(mask: torch.Tensor, ratio: int = 8, backend: str = "comfyui") -> torch.Tensor:
    """offset_halo_counts from the offset mask of every amount: halo_risk_cells, amount by amount (slow, plain)."""
    binary = mask.float()
    offsets = (offset_mask(binary, n) for n in range(MASK_OFFSET.min, MASK_OFFSET.max + 1))
    return _direct_counts(((offset, offset) for offset in offsets), binary.numel(), ratio, backend)


DIRECT_BATCH = 1 << 24  # pixels per batch of masks: 64 MB of float32 for each of grey and noise


def _direct_counts(pairs, pixels: int, ratio: int, backend: str) -> torch.Tensor:
    """int64 (A,): halo_risk_cells(grey, noise).sum() per (grey, noise) pair, a batch of amounts at a time."""
    counts, batch, chunk = [], max(1, DIRECT_BATCH // pixels), []
    for pair in pairs:
        chunk.append(pair)
        if len(chunk) == batch:
            counts.append(_count_batch(chunk, ratio, backend))
            chunk = []
    if chunk:
        counts.append(_count_batch(chunk, ratio, backend))
    return torch.cat(counts)


def _count_batch(chunk: list, ratio: int, backend: str) -> torch.Tensor:
    grey = torch.stack([g for g, _ in chunk])[:, None]  # (A, 1, H, W)
    noise = torch.stack([n for _, n in chunk])[:, None]
    holds_grey = F.avg_pool2d(grey, ratio) > 0  # analysis.cell_fractions(...) > 0, batched
    return (holds_grey & (latent_view(noise, ratio, backend) < 1)).sum((1, 2, 3))
