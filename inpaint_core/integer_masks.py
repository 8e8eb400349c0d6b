"""The nodes' arithmetic for masks that round to integers other than 0 and 1.

A MASK is meant to hold values in [0, 1], but ComfyUI passes on whatever a node makes: a mask
scaled bicubically overshoots (-0.2 … 1.16 is common), and one scaled or added further can round
to -1 or 2. The originals then compute, on the rounded mask R (ComfyUI 0.8 `nodes.py`
VAEEncodeForInpaint; WAS_Extras `nodes/latent/VAEEncodeForInpaint.py`):

- pixels (first three channels): (p - 0.5) * (1 - R) + 0.5, so R = 2 inverts a pixel about 0.5;
- a dilation: clamp(window sum of R, 0, 1), with zero padding, so a -1 can cancel a 1;
- WAS's erosion: clamp(1 - window sum of (1 - R), 0, 1).

Window sums come from cumulative sums in float64: exact for integer masks (their conv2d in
float32 is exact while a window's partial sums stay below 2**24 in magnitude). O(H·W) whatever
the window, as masks.py is for 0/1 masks, which are the common case and go there instead.
"""

import torch


def is_binary(rounded: torch.Tensor) -> bool:
    """Whether a rounded mask holds only 0 and 1 (masks.py's fast path applies)."""
    return bool(((rounded == 0) | (rounded == 1)).all())


def _window_sums(values: torch.Tensor, dim: int, before: int, after: int) -> torch.Tensor:
    """Sums of values[j - before .. j + after] along `dim`, zero outside; float64."""
    size = values.shape[dim]
    padded = torch.nn.functional.pad(values.movedim(dim, -1).double(), (before + 1, after))
    totals = padded.cumsum(-1)  # totals[i] = sum of padded[0..i]
    window = before + after + 1
    return (totals[..., window:] - totals[..., :size]).movedim(-1, dim)


def window_sums(values: torch.Tensor, up: int, down: int, left: int, right: int) -> torch.Tensor:
    """Each pixel's sum over rows i-down..i+up and columns j-right..j+left: conv2d of a ones kernel."""
    rows = _window_sums(values, -2, before=down, after=up)
    return _window_sums(rows, -1, before=right, after=left)


def dilate_any(rounded: torch.Tensor, up: int, down: int, left: int, right: int) -> torch.Tensor:
    """clamp(window sum, 0, 1), in the mask's dtype: the originals' conv2d dilation of any integer mask."""
    return window_sums(rounded, up, down, left, right).clamp(0, 1).to(rounded.dtype)


def erode_any(rounded: torch.Tensor, n: int) -> torch.Tensor:
    """WAS's erosion by n of any integer mask: clamp(1 - window sum of (1 - R), 0, 1)."""
    return (1 - window_sums(1 - rounded.double(), n, n, n, n)).clamp(0, 1).to(rounded.dtype)


def neutralise_any(pixels: torch.Tensor, rounded: torch.Tensor) -> torch.Tensor:
    """(p - 0.5) * (1 - R) + 0.5 on the first three channels, in the originals' order of operations.

    Where R is 0 the pixel comes back untouched (the formula returns it up to a float rounding).
    """
    keep = (1 - rounded).squeeze(1).unsqueeze(-1)  # (Bm, H, W, 1)
    rgb = pixels[..., :3]
    changed = torch.where(keep == 1, rgb, (rgb - 0.5) * keep.to(rgb.dtype) + 0.5)
    return torch.cat([changed, pixels[..., 3:]], -1) if pixels.shape[-1] > 3 else changed


def grow_any(rounded: torch.Tensor, grow_mask_by: int) -> torch.Tensor:
    """ComfyUI's grow of any integer mask: a k×k window padded ceil((k-1)/2) = k//2, as the seed's conv2d."""
    if grow_mask_by == 0:
        return rounded
    padding = grow_mask_by // 2
    reach = grow_mask_by - 1 - padding
    return dilate_any(rounded, up=reach, down=padding, left=reach, right=padding)


def offset_any(rounded: torch.Tensor, mask_offset: int) -> torch.Tensor:
    """WAS's signed offset of any integer mask: dilate (> 0) or erode (< 0) by |offset| on every side."""
    n = abs(mask_offset)
    if n == 0:
        return rounded
    return dilate_any(rounded, n, n, n, n) if mask_offset > 0 else erode_any(rounded, n)
