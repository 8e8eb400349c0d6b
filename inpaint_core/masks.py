"""Binary mask dilation and erosion by box windows, exact and O(H·W) whatever the amount.

Masks here are `[..., H, W]` float tensors holding 0 and 1. A pixel of a dilated mask is 1
when any pixel of its window is 1; counting the ones in each window with cumulative sums
costs the same for a window of 3 or of 257 pixels. Pixels outside the image count as 0, as
the zero padding of ComfyUI's and WAS's `conv2d` does. Inside, masks are bool and counts
int16 (int32 past 32767 px): a quarter of the memory traffic of float32.
"""

import torch


def _any_in_window(hit: torch.Tensor, dim: int, before: int, after: int) -> torch.Tensor:
    """bool: True where any of `hit` from `before` back to `after` ahead along `dim` is True."""
    size = hit.shape[dim]
    counts = hit.cumsum(dim, dtype=torch.int16 if size < 2**15 else torch.int32)  # ones in [0, j]
    window = torch.empty_like(counts)
    inside = max(size - after, 0)  # positions whose window ends inside the image
    window.narrow(dim, 0, inside).copy_(counts.narrow(dim, min(after, size), inside))
    window.narrow(dim, inside, size - inside).copy_(counts.narrow(dim, size - 1, 1))  # broadcast: the total
    first = min(before + 1, size)  # positions whose window starts after the image's start
    window.narrow(dim, first, size - first).sub_(counts.narrow(dim, 0, size - first))
    return window > 0


def _dilate_bool(hit: torch.Tensor, up: int, down: int, left: int, right: int) -> torch.Tensor:
    rows = _any_in_window(hit, -2, before=down, after=up)
    return _any_in_window(rows, -1, before=right, after=left)


def dilate(mask: torch.Tensor, up: int, down: int, left: int, right: int) -> torch.Tensor:
    """Grow a 0/1 mask by `up` rows upwards, `down` downwards, `left` and `right` columns."""
    return _dilate_bool(mask != 0, up, down, left, right).to(mask.dtype)


def grow_mask(mask: torch.Tensor, grow_mask_by: int) -> torch.Tensor:
    """ComfyUI's `grow_mask_by`: a k×k window, so an even k grows k/2-1 up/left and k/2 down/right."""
    if grow_mask_by == 0:
        return mask.round()
    padding = grow_mask_by // 2  # = ceil((k - 1) / 2), the seed's conv2d padding
    reach = grow_mask_by - 1 - padding  # how far a masked pixel grows up and left
    return dilate(mask.round(), up=reach, down=padding, left=reach, right=padding)


def offset_mask(mask: torch.Tensor, mask_offset: int) -> torch.Tensor:
    """WAS's signed `mask_offset`: dilate (> 0) or erode (< 0) by |offset| pixels on every side.

    Erosion treats the outside of the image as masked, as WAS's zero-padded inverse does.
    """
    binary = mask.round()
    n = abs(mask_offset)
    if n == 0:
        return binary
    if mask_offset > 0:
        return dilate(binary, n, n, n, n)
    return (~_dilate_bool(binary == 0, n, n, n, n)).to(mask.dtype)
