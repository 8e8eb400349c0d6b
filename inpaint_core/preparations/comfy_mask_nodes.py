"""ComfyUI's mask nodes GrowMask, FeatherMask and ThresholdMask, exact, each O(H·W) whatever its amount.

Source: comfy_extras/nodes_mask.py of ComfyUI 0.8.0 (pollockjj/ComfyUI @ 618b803d314a525faca8f8163d85eaa9ebc1d774).
Masks in and out as the nodes take and return them: MASK `[H, W]` or `[B, H, W]` in, `[B, H, W]` out
(ThresholdMask keeps the input's shape), on the mask's device.

- GrowMask loops scipy's `grey_dilation` (expand > 0) or `grey_erosion` (< 0) with a 3×3 footprint
  |expand| times: a cross when `tapered_corners`, a full square otherwise. `expand` steps of a cross
  reach a diamond (L1 distance), of a square a square (Chebyshev); scipy's 'reflect' border lets only
  image pixels count. Here one grey dilation or erosion by that diamond or square (grey_morphology.py),
  bit for bit, soft masks included, on any device (the node itself runs on the CPU only).
- FeatherMask multiplies the first `left` columns by (x + 1) / left, and so on for each side, one row or
  column per loop step. Its right and bottom loops index `-x` from x = 0, so they scale column 0 (row 0)
  by 1 / right (1 / bottom) and the last right - 1 columns by 2 / right ... 1: kept here as the node
  does it. The same factors in the same order (left, right, top, bottom), as four broadcast products:
  bit for bit in float32 and float64.
- ThresholdMask: mask > value, as float32.
"""

import torch

from ..settings import Flag, Float, Int

MAX_RESOLUTION = 16384  # ComfyUI's nodes.MAX_RESOLUTION, the range of these nodes' amounts

EXPAND = Int("expand", default=0, min=-MAX_RESOLUTION, max=MAX_RESOLUTION, slider=(-128, 128))
TAPERED_CORNERS = Flag("tapered_corners", default=True)
FEATHER_SIDES = tuple(
    Int(side, default=0, min=0, max=MAX_RESOLUTION, slider=(0, 256)) for side in ("left", "top", "right", "bottom")
)
THRESHOLD = Float("value", default=0.5, min=0.0, max=1.0, step=0.01)


def _as_batch(mask: torch.Tensor) -> torch.Tensor:
    if not isinstance(mask, torch.Tensor) or not mask.is_floating_point() or mask.ndim < 2 or mask.numel() == 0:
        raise ValueError(f"mask must be a non-empty float tensor [H, W] or [B, H, W], got {_describe(mask)}")
    return mask.reshape(-1, mask.shape[-2], mask.shape[-1])


def _describe(value) -> str:
    if isinstance(value, torch.Tensor):
        return f"{value.dtype} of shape {tuple(value.shape)}"
    return type(value).__name__


def grow_mask(mask: torch.Tensor, expand: int, tapered_corners: bool = TAPERED_CORNERS.default) -> torch.Tensor:
    """GrowMask: grey dilation (expand > 0) or erosion (< 0) by |expand| px, a diamond when tapered."""
    from .grey_morphology import grey_dilate, grey_erode

    expand, tapered_corners = EXPAND.check(expand), TAPERED_CORNERS.check(tapered_corners)
    masks = _as_batch(mask)
    if expand == 0:
        return masks.clone()
    morph = grey_dilate if expand > 0 else grey_erode
    return morph(masks, abs(expand), diamond=tapered_corners)


def _ramp(size: int, amount: int, from_end: bool, dtype: torch.dtype, device) -> torch.Tensor:
    """The factor FeatherMask's loop leaves on each of `size` rows or columns for one side."""
    amount = min(amount, size)
    factors = torch.ones(size, dtype=torch.float64)
    steps = torch.arange(amount, dtype=torch.float64)
    rates = (steps + 1) / amount  # the node's (x + 1) / amount, in Python floats (double)
    index = (-steps.long()) % size if from_end else steps.long()  # the node's output[..., -x]: x = 0 is index 0
    factors[index] = rates
    return factors.to(dtype).to(device)


def feather_mask(mask: torch.Tensor, left: int, top: int, right: int, bottom: int) -> torch.Tensor:
    """FeatherMask: linear ramps on each side, factors as the node's loops leave them (see the module notes)."""
    left, top, right, bottom = (s.check(v) for s, v in zip(FEATHER_SIDES, (left, top, right, bottom), strict=True))
    masks = _as_batch(mask)
    height, width = masks.shape[-2:]
    out = masks.clone()
    for amount, size, from_end, rows in ((left, width, False, False), (right, width, True, False),
                                         (top, height, False, True), (bottom, height, True, True)):  # fmt: skip
        if amount:
            factors = _ramp(size, amount, from_end, masks.dtype, masks.device)
            out.mul_(factors[:, None] if rows else factors)
    return out


def threshold_mask(mask: torch.Tensor, value: float = THRESHOLD.default) -> torch.Tensor:
    """ThresholdMask: 1.0 where mask > value, else 0.0 (float32, the input's shape)."""
    value = THRESHOLD.check(value)
    if not isinstance(mask, torch.Tensor):
        raise ValueError(f"mask must be a torch.Tensor, got {_describe(mask)}")
    return (mask > value).float()
