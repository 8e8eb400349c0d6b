"""Run an image-to-image network in overlapping tiles, for inputs too large to run whole, and choose
the tile side from a byte budget."""

import itertools
import math
from collections.abc import Callable

import torch

from ..cancel import checkpoint


def _starts(size: int, tile: int, step: int) -> list[int]:
    if size <= tile:
        return [0]
    starts = list(range(0, size - tile, step))
    return starts + [size - tile]


def run_tiled(net: Callable, x: torch.Tensor, scale: float, tile: int, overlap: int | None = None) -> torch.Tensor:
    """net(x) for x (B, C, H, W) whose output is (B, C', H*scale, W*scale), tile by tile.

    Tiles overlap by `overlap` input pixels (a quarter tile by default); each output pixel comes
    from the tile in which it lies farthest from an edge, so seams fall mid-overlap.
    """
    overlap = tile // 4 if overlap is None else overlap
    height, width = x.shape[-2:]
    rows, cols = _starts(height, tile, tile - overlap), _starts(width, tile, tile - overlap)
    out = None
    for i, top in enumerate(rows):
        for j, left in enumerate(cols):
            checkpoint()  # a caller who has gone stops the work here, between tiles
            piece = net(x[..., top : top + tile, left : left + tile])
            if out is None:
                shape = (x.shape[0], piece.shape[1], round(height * scale), round(width * scale))
                out = torch.empty(shape, dtype=piece.dtype, device=piece.device)
            y0 = 0 if i == 0 else (top + overlap // 2)
            x0 = 0 if j == 0 else (left + overlap // 2)
            y1 = height if i == len(rows) - 1 else rows[i + 1] + overlap // 2
            x1 = width if j == len(cols) - 1 else cols[j + 1] + overlap // 2
            oy0, oy1, ox0, ox1 = (round(v * scale) for v in (y0, y1, x0, x1))
            py, px = round(top * scale), round(left * scale)
            out[..., oy0:oy1, ox0:ox1] = piece[..., oy0 - py : oy1 - py, ox0 - px : ox1 - px]
    return out


def tile_for_budget(height: int, width: int, bytes_per_unit: float, budget: int, unit: int) -> int | None:
    """The tile side for run_tiled (default overlap) whose tiles each hold at most `budget` bytes, when an
    input unit costs `bytes_per_unit`; None where the whole input fits.

    Of the sides that fit, the largest multiple of `unit` is not always best: it takes the fewest tiles
    per side, n, and then the smallest multiple of `unit` that covers the side with n tiles (2048 px in
    tiles of at most 1024: three of 832, not three of 1024). Never smaller than `unit`.
    """
    if height * width * bytes_per_unit <= budget:
        return None
    largest = max(unit, math.isqrt(int(budget / bytes_per_unit)) // unit * unit)
    side = max(height, width)
    for n in itertools.count(1):
        covering = -(-4 * side // (3 * n + 1))  # n tiles of side t, overlapping by t/4, span t(3n+1)/4
        tile = -(-covering // unit) * unit
        if tile <= largest:
            return tile
