"""Chessboard (Chebyshev) distances to a set of pixels, exact and capped: every amount in one pass.

A pixel is inside a mask grown by n px on every side (WAS's `mask_offset = n`) exactly when its
chessboard distance to the mask is at most n, so one distance map answers every amount at once.
Distances are separable: first down each column (`VerticalScan.bands`, from cumulative maxima),
then along each row (`spread`: the nearest column whose vertical distance is small enough).
Distances come back capped at `cap` (uint8, so `cap` <= 254): a value of `cap` means "`cap` or
more". Masks are bool `(H, W)` on the CPU.
"""

import math

import torch

FAR = 1 << 20  # a row index no image reaches


class VerticalScan:
    """The last and the next hit of every pixel's column, from one scan of the columns holding hits."""

    def __init__(self, hit: torch.Tensor):
        self.height, self.width = hit.shape
        columns = hit.view(torch.uint8).amax(0).nonzero()  # amax: much faster than any on bool
        self.left, self.right = (int(columns[0]), int(columns[-1]) + 1) if len(columns) else (0, 0)
        scanned = hit[:, self.left : self.right].t().contiguous()  # (W', H): scans run along the last dimension
        rows = torch.arange(self.height, dtype=torch.int32)
        self.last = torch.where(scanned, rows, -FAR).cummax(1).values  # the last hit row <= y, or -FAR
        self.next = torch.where(scanned, rows, FAR).flip(1).cummin(1).values.flip(1)  # the next >= y, or FAR

    def bands(self, tops: torch.Tensor, bottoms: torch.Tensor, cap: int, left: int = 0, right=None) -> torch.Tensor:
        """uint8 (R, right - left): the vertical distance from rows [tops[r], bottoms[r]] to the nearest hit
        in each column of [left, right) (0 where the band holds one), capped."""
        right = self.width if right is None else right
        out = torch.full((len(tops), right - left), cap, dtype=torch.uint8)
        first, last = max(left, self.left), min(right, self.right)
        if first >= last:
            return out
        scanned = slice(first - self.left, last - self.left)
        following, preceding = self.next[scanned], self.last[scanned]
        every_row = (
            len(tops) == self.height and torch.equal(tops, bottoms) and torch.equal(tops, torch.arange(self.height))
        )
        if every_row:  # the scans as they are, no copies by index
            after_top = before_bottom = following
            above = tops.int() - preceding
        else:
            after_top, before_bottom = following[:, tops], following[:, bottoms]
            above = tops - preceding[:, tops]
        distance = torch.minimum(above, before_bottom - bottoms).masked_fill_(after_top <= bottoms, 0)
        out[:, first - left : last - left] = distance.clamp_(max=cap).t()
        return out


def _queries_in(width: int, base: int, stride: int, count: int) -> range:
    """The q in [0, count) whose column base + q * stride lies in [0, width)."""
    first = max(0, -(base // stride))  # ceil(-base / stride)
    last = min(count - 1, (width - 1 - base) // stride)
    return range(first, last + 1)


def _take_min(out: torch.Tensor, vertical: torch.Tensor, base: int, stride: int, floor: int) -> None:
    """out[:, q] = min(out[:, q], max(floor, vertical[:, base + q * stride])) where that column exists."""
    queries = _queries_in(vertical.shape[1], base, stride, out.shape[1])
    if not queries:
        return
    start = base + queries.start * stride
    columns = vertical[:, start : start + (len(queries) - 1) * stride + 1 : stride]
    target = out[:, queries.start : queries.stop]
    torch.minimum(target, columns.clamp(min=floor) if floor else columns, out=target)


def spread(vertical: torch.Tensor, cap: int, start: int = 0, width: int = 1, stride: int = 1, count=None):
    """uint8 (R, Q): for each row and each column interval q = [start + q*stride, + width - 1], the
    chessboard distance to the nearest hit: min over columns x of max(|x - interval|, vertical[:, x]).

    `vertical` (R, W) uint8 holds VerticalScan.bands' capped vertical distances; columns farther
    than cap - 1 cannot beat the cap. Small problems take every candidate column at once; large ones
    try the columns at horizontal distance d = 1, 2, ... in turn (see _spread_by_distance).
    """
    count = math.ceil((vertical.shape[1] - start) / stride) if count is None else count
    if vertical.shape[0] * count * (width + 2 * cap) <= AT_ONCE:
        return _spread_at_once(vertical, cap, start, width, stride, count)
    return _spread_by_distance(vertical, cap, start, width, stride, count)


AT_ONCE = 1 << 23  # candidates (bytes) that _spread_at_once may hold


def _spread_at_once(vertical, cap, start, width, stride, count):
    """spread, with each query's window of candidate columns as one view (unfold) of a padded copy."""
    rows, columns = vertical.shape
    reach = cap - 1
    pad_left = reach + max(0, -start)
    length = width + 2 * reach
    first = start - reach + pad_left  # the padded column where query 0's window starts
    pad_right = max(0, first + (count - 1) * stride + length - (pad_left + columns))
    padded = torch.cat(
        [vertical.new_full((rows, pad_left), cap), vertical, vertical.new_full((rows, pad_right), cap)], 1
    )
    windows = padded[:, first:].unfold(1, length, stride)[:, :count]  # (R, Q, length), a view
    offsets = torch.arange(length)
    apart = torch.maximum(reach - offsets, offsets - (reach + width - 1)).clamp(min=0).to(torch.uint8)
    return torch.maximum(windows, apart).amin(2)


def _spread_by_distance(vertical, cap, start, width, stride, count):
    """spread, trying the columns at horizontal distance d = 1, 2, ... in turn, each on the smallest
    rectangle holding every value still above d (a farther column can only improve those)."""
    rows = vertical.shape[0]
    out = torch.full((rows, count), cap, dtype=torch.uint8)
    for offset in range(width):
        _take_min(out, vertical, start + offset, stride, 0)
    top, bottom, first, last = 0, rows, 0, count
    for d in range(1, cap):
        if d % 4 == 1:  # narrow to the values that can still improve
            part = out[top:bottom, first:last]
            alive_rows, alive_queries = (part.amax(1) > d).nonzero(), (part.amax(0) > d).nonzero()
            if len(alive_rows) == 0:
                break
            top, bottom = top + int(alive_rows[0]), top + int(alive_rows[-1]) + 1
            first, last = first + int(alive_queries[0]), first + int(alive_queries[-1]) + 1
        part, source, base = out[top:bottom, first:last], vertical[top:bottom], start + first * stride
        _take_min(part, source, base - d, stride, d)
        _take_min(part, source, base + width - 1 + d, stride, d)
    return out


def distance_map(hit: torch.Tensor, cap: int) -> torch.Tensor:
    """uint8 (H, W): every pixel's chessboard distance to the nearest hit, capped (cap where none)."""
    rows = torch.arange(hit.shape[0])
    return spread(VerticalScan(hit).bands(rows, rows, cap), cap)
