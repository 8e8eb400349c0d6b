"""Run an image-to-image network in tiles, for inputs too large to run whole, and choose the tile side from a
byte budget.

A staged tiny autoencoder (stages.py) runs in exact tiles (`run_staged`): each local segment box by box, each
box from a crop grown by what its convolutions see, the group-norm segments whole; any other network runs in
overlapping tiles (`run_tiled`), whose seams differ from the whole pass.
"""

import itertools
import math
from collections.abc import Callable
from fractions import Fraction

import torch

from ..cancel import checkpoint
from .stages import Segment, StagedNet


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


def spans_of(size: int, core: int, unit: int) -> list[tuple[int, int]]:
    """[0, size) in the fewest pieces of at most `core` (whole `unit`s but the last), of about equal length."""
    count = -(-size // max(core, unit))
    length = -(-size // count // unit) * unit if unit > 1 else -(-size // count)
    return [(start, min(size, start + length)) for start in range(0, size, length)]


def largest_core(segment: Segment, side: float, unit: int, most: int) -> int:
    """The largest multiple of `unit` (at most `most`) whose boxes of outputs fit crops of side² input units."""
    low, high = 1, max(1, most // unit)
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if segment.peak(middle * unit) <= side * side else (low, middle - 1)
    return low * unit


def run_segment_tiled(segment: Segment, x: torch.Tensor, side: float) -> torch.Tensor:
    """segment(x) for x (B, C, H, W), box by box: each box's crop holds at most side² input units where it can
    (a box is never smaller than one output unit), and each gives the whole pass's values (Segment.region)."""
    height, width = x.shape[-2:]
    if height * width <= side * side:
        return segment(x)
    unit = max(1, int(segment.scale))
    out_height, out_width = segment.sizes(height)[-1], segment.sizes(width)[-1]
    core = largest_core(segment, side, unit, max(out_height, out_width))
    out = None
    for rows in spans_of(out_height, core, unit):
        for cols in spans_of(out_width, core, unit):
            checkpoint()  # a caller who has gone stops the work here, between tiles
            piece = segment.region(x, rows, cols)
            if out is None:
                out = _empty_like(x, piece, (x.shape[0], piece.shape[1], out_height, out_width))
            out[..., rows[0] : rows[1], cols[0] : cols[1]] = piece
    return out


def _empty_like(x: torch.Tensor, piece: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    """An output for the pieces, in x's memory layout (channels_last stays so)."""
    last = x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()
    layout = torch.channels_last if last else torch.contiguous_format
    return torch.empty(shape, dtype=piece.dtype, device=piece.device, memory_format=layout)


def run_staged(net: StagedNet, x: torch.Tensor, tile: int, most: int) -> torch.Tensor:
    """net(x) with each local segment in exact tiles of crops of at most tile² of x's units, the group-norm
    segments whole; stages are joined where the activation between them would pass `most` bytes.
    Equal to the whole pass within float rounding (the tiles' convolutions round alike, not bit for bit)."""
    segments = net.plan(x.shape[-2], x.shape[-1], x.shape[0], x.element_size(), most)
    scale = Fraction(1)  # units of a segment's input per unit of x
    for segment in segments:
        x = run_segment_tiled(segment, x, tile * scale) if segment.local else segment(x)
        scale *= segment.scale
    return x
