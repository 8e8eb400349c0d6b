"""Run an image-to-image network in overlapping tiles, for inputs too large to run whole."""

from collections.abc import Callable

import torch


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
