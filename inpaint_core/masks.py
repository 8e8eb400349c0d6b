"""Binary mask dilation and erosion by box windows, exact and O(H·W) whatever the amount.

Masks here are `[..., H, W]` float tensors holding 0 and 1. A pixel of a dilated mask is 1
when any pixel of its window is 1; counting the ones in each window with cumulative sums
costs the same for a window of 3 or of 257 pixels. Pixels outside the image count as 0, as
the zero padding of ComfyUI's and WAS's `conv2d` does.
"""

import torch


def _any_in_window(mask: torch.Tensor, dim: int, before: int, after: int) -> torch.Tensor:
    """1 where any pixel from `before` pixels back to `after` ahead along `dim` is 1."""
    size = mask.shape[dim]
    counts = torch.nn.functional.pad(mask.movedim(dim, -1).cumsum(-1), (1, 0))  # (..., size+1)
    position = torch.arange(size, device=mask.device)
    last = (position + after + 1).clamp(max=size)
    first = (position - before).clamp(min=0)
    window = counts.index_select(-1, last) - counts.index_select(-1, first)
    return (window > 0).to(mask.dtype).movedim(-1, dim)


def dilate(mask: torch.Tensor, up: int, down: int, left: int, right: int) -> torch.Tensor:
    """Grow a 0/1 mask by `up` rows upwards, `down` downwards, `left` and `right` columns."""
    rows_grown = _any_in_window(mask, -2, before=down, after=up)
    return _any_in_window(rows_grown, -1, before=right, after=left)


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
    if mask_offset >= 0:
        return dilate(binary, n, n, n, n) if n else binary
    return 1 - dilate(1 - binary, n, n, n, n)
