"""Grey-level dilation and erosion of soft masks by a square or a diamond, exact, at a cost that stops
growing with the radius.

A dilated pixel is the largest value within `radius` of it: a square (Chebyshev distance) or a diamond
(L1 distance). Only pixels inside the image count, so the border neither grows nor shrinks anything.
That is what iterating a 3×3 max (or min) filter `radius` times with scipy's default border gives
(`grey_dilation`, mode 'reflect': the reflected pixel beside the edge is the edge pixel itself, already
in the window).

Window maxima along a line by doubling: runs of 2, 4, 8... pixels, one elementwise max each, and a
window is the max of two overlapping runs; ceil(log2(2r + 1)) passes, and r never exceeds the side
less one (a wider window holds no more pixels), so at most 12 passes per axis for a 2048-px square,
13 in a diamond's turned grid, whatever the amount. A diamond is a square in coordinates turned by
45° (u = y + x, v = x - y): the mask is written into that grid (cells between pixels stay empty),
filtered as a square and read back; small diamonds (radius <= CROSS_STEPS_MAX) are cheaper as
repeated cross steps. Max and min pick values, so the results are exact. Tensors `[..., H, W]`, any
float dtype, any device.
"""

import torch

CROSS_STEPS_MAX = 8  # up to this radius, repeated cross steps cost less than the turned grid


def _pairs_padded(x: torch.Tensor, dim: int, radius: int) -> torch.Tensor:
    """max(padded[i], padded[i + 1]) along `dim`, where padded is x with `radius` empty cells each side."""
    n = x.shape[dim]
    shape = list(x.shape)
    shape[dim] = n + 2 * radius - 1
    pairs = x.new_empty(shape)
    pairs.narrow(dim, 0, radius - 1).fill_(-torch.inf)  # outside the image: never a maximum
    pairs.narrow(dim, radius + n, radius - 1).fill_(-torch.inf)
    pairs.narrow(dim, radius - 1, 1).copy_(x.narrow(dim, 0, 1))
    pairs.narrow(dim, radius + n - 1, 1).copy_(x.narrow(dim, n - 1, 1))
    torch.maximum(x.narrow(dim, 0, n - 1), x.narrow(dim, 1, n - 1), out=pairs.narrow(dim, radius, n - 1))
    return pairs


def _window_max(x: torch.Tensor, dim: int, radius: int) -> torch.Tensor:
    """Max of x over [i - radius, i + radius] along `dim`, the image's own pixels only."""
    n = x.shape[dim]
    radius = min(radius, n - 1)  # a wider window holds no more pixels
    if radius == 0:
        return x
    width = 2 * radius + 1
    runs, span = _pairs_padded(x, dim, radius), 2  # runs[i]: the max of padded[i : i + span]
    while 2 * span <= width:
        length = runs.shape[dim] - span
        runs = torch.maximum(runs.narrow(dim, 0, length), runs.narrow(dim, span, length))
        span *= 2
    # the window padded[i : i + width] is two runs of `span`, as span <= width < 2 * span
    return torch.maximum(runs.narrow(dim, 0, n), runs.narrow(dim, width - span, n))


def dilate_square(x: torch.Tensor, radius: int) -> torch.Tensor:
    """Max over the (2r+1)² square around each pixel, inside the image."""
    if radius >= max(x.shape[-2:]) - 1:  # the whole image from anywhere
        return x.amax((-2, -1), keepdim=True).expand_as(x).clone()
    return _window_max(_window_max(x, -1, radius), -2, radius)


def _cross_step(x: torch.Tensor) -> torch.Tensor:
    """One 3×3 cross max: each pixel and its four neighbours inside the image."""
    out = x.clone()
    for dim in (-1, -2):
        n = x.shape[dim]
        if n > 1:
            head, tail = out.narrow(dim, 0, n - 1), out.narrow(dim, 1, n - 1)
            torch.maximum(head, x.narrow(dim, 1, n - 1), out=head)
            torch.maximum(tail, x.narrow(dim, 0, n - 1), out=tail)
    return out


def _turned_view(grid: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """(..., H, W) view of a (..., S, S) grid, S = H + W - 1: pixel (y, x) at (y + x, x - y + H - 1)."""
    side = grid.shape[-1]
    lead = grid.shape[:-2]
    strides = tuple(grid.stride()[: len(lead)]) + (side - 1, side + 1)
    return grid.as_strided((*lead, height, width), strides, grid.storage_offset() + height - 1)


def dilate_diamond(x: torch.Tensor, radius: int) -> torch.Tensor:
    """Max over the pixels within L1 distance `radius` (a diamond), inside the image."""
    height, width = x.shape[-2:]
    radius = min(radius, height + width - 2)  # the image's L1 diameter
    if radius == 0:
        return x.clone()
    if radius == height + width - 2:  # the whole image from anywhere
        return x.amax((-2, -1), keepdim=True).expand_as(x).clone()
    if radius <= CROSS_STEPS_MAX:
        for _ in range(radius):
            x = _cross_step(x)
        return x
    side = height + width - 1
    grid = x.new_full((*x.shape[:-2], side, side), -torch.inf)
    _turned_view(grid, height, width).copy_(x)
    turned = dilate_square(grid, radius).contiguous()  # |du|, |dv| <= r  <=>  |dy| + |dx| <= r
    return _turned_view(turned, height, width).clone()


def grey_dilate(x: torch.Tensor, radius: int, diamond: bool) -> torch.Tensor:
    """`radius` iterations of a 3×3 max filter: a cross (diamond=True) or a full square."""
    out = dilate_diamond(x, radius) if diamond else dilate_square(x, radius)
    return out.clone() if out is x else out


def grey_erode(x: torch.Tensor, radius: int, diamond: bool) -> torch.Tensor:
    """`radius` iterations of a 3×3 min filter: the dilation of -x, negated (exact)."""
    return grey_dilate(-x, radius, diamond).neg_()
