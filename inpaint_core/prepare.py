"""The two inpaint preparations as pure functions: resize the mask, centre-crop, grow or
offset it, neutralise the masked pixels to 0.5 grey.

Tensors follow ComfyUI: pixels `[B, H, W, 3]` float in [0, 1]; masks `[B, H, W]` or `[H, W]` in
[0, 1] on input, `[B, 1, H, W]` holding 0 and 1 on output. Everything runs on the pixels' device.

`strict=False` takes whatever the original nodes take (the nodes use it): pixels of 3 or more
channels (the first three neutralised, the rest handed on) and masks of any finite values and any
rank from 2; the masks then hold whatever integers the rounded input holds (integer_masks.py).
"""

from dataclasses import dataclass
from numbers import Integral

import torch

from .checks import check_crop_fits_ratio, check_mask, check_pixels, check_ratio
from .integer_masks import grow_any, is_binary, neutralise_any, offset_any
from .masks import grow_mask, offset_mask
from .settings import Int

WAS_CROP_MULTIPLE = 8  # WAS_Extras crops to 8 whatever the VAE's downscale ratio


GROW_MASK_BY = Int("grow_mask_by", default=6, min=0, max=64)
MASK_OFFSET = Int("mask_offset", default=6, min=-128, max=128)


@dataclass(frozen=True)
class Prepared:
    """What an inpaint encoder hands its VAE, and the masks it made on the way."""

    pixels: torch.Tensor  # (B, H', W', 3) cropped, masked pixels set to 0.5 (strict=False: C >= 3 channels)
    mask: torch.Tensor  # (Bm, 1, H', W') 0/1: the input mask, resized, cropped and rounded
    neutralise_mask: torch.Tensor  # (Bm, 1, H', W') 0/1: the pixels that went grey
    noise_mask: torch.Tensor  # (Bm, 1, H', W') 0/1: the LATENT's noise_mask


def resize_mask(mask: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """(Bm, 1, h, w) -> (Bm, 1, height, width), bilinear as both nodes resize it."""
    if mask.shape[-2:] == (height, width):
        return mask  # bilinear to the same size is the identity
    return torch.nn.functional.interpolate(mask, size=(height, width), mode="bilinear")


def crop_box(height: int, width: int, multiple: int) -> tuple[int, int, int, int]:
    """(top, left, height, width) of the centred crop to a multiple, as every node here crops."""
    return height % multiple // 2, width % multiple // 2, height // multiple * multiple, width // multiple * multiple


def centre_crop(pixels: torch.Tensor, mask: torch.Tensor, multiple: int):
    """Crop pixels (B, H, W, 3) and mask (Bm, 1, H, W) to the largest multiple, centred as the nodes do."""
    top, left, cropped_h, cropped_w = crop_box(pixels.shape[1], pixels.shape[2], multiple)
    rows, cols = slice(top, top + cropped_h), slice(left, left + cropped_w)
    return pixels[:, rows, cols, :], mask[:, :, rows, cols]


def neutralise(pixels: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Set pixels (B, H, W, C) to 0.5 where the 0/1 mask (Bm, 1, H, W) is 1; a new tensor.

    The nodes compute (p - 0.5) * m + 0.5 on the first three channels, which returns kept pixels up
    to a float rounding (< 1e-7); here they come back untouched. Channels past the third are kept.
    """
    grey = mask.squeeze(1).unsqueeze(-1) != 0  # (Bm, H, W, 1)
    half = torch.tensor(0.5, dtype=pixels.dtype, device=pixels.device)
    if pixels.shape[-1] == 3:
        return torch.where(grey, half, pixels)
    return torch.cat([torch.where(grey, half, pixels[..., :3]), pixels[..., 3:]], -1)


def _resized_and_cropped(pixels, mask, multiple, vae_ratio=None, strict=True):
    pixels = check_pixels(pixels, min_size=multiple, rgb_only=strict)
    if vae_ratio is not None:
        check_crop_fits_ratio(pixels.shape[1], pixels.shape[2], multiple, vae_ratio)
    mask = check_mask(mask, batch=pixels.shape[0], any_values=not strict).to(pixels.device)
    mask = resize_mask(mask, pixels.shape[1], pixels.shape[2])
    return centre_crop(pixels, mask, multiple)


def prepare_comfy(
    pixels: torch.Tensor,
    mask: torch.Tensor,
    grow_mask_by: int = GROW_MASK_BY.default,
    downscale_ratio: int = 8,
    *,
    strict: bool = True,
) -> Prepared:
    """ComfyUI's VAEEncodeForInpaint: neutralise with the original mask, grow only the noise mask.

    strict (default): RGB pixels and a mask in [0, 1]; False: whatever the node takes (module docstring).
    """
    GROW_MASK_BY.check(grow_mask_by)
    pixels, mask = _resized_and_cropped(pixels, mask, check_ratio(downscale_ratio), strict=strict)
    original = mask.round()
    if strict or is_binary(original):
        return Prepared(neutralise(pixels, original), original, original, grow_mask(mask, grow_mask_by))
    return Prepared(neutralise_any(pixels, original), original, original, grow_any(original, grow_mask_by))


def prepare_was(
    pixels: torch.Tensor,
    mask: torch.Tensor,
    mask_offset: int = MASK_OFFSET.default,
    downscale_ratio: int | None = None,
    *,
    strict: bool = True,
) -> Prepared:
    """WAS_Extras' WAS_VAEEncodeForInpaint: offset the mask, neutralise with the offset mask, crop to 8.

    WAS crops to 8 whatever the VAE. Given the VAE's `downscale_ratio`, a crop smaller than one latent
    cell (20x12 -> 16x8 for a ratio of 16) raises ValueError here rather than inside the VAE.
    strict (default): RGB pixels and a mask in [0, 1]; False: whatever the node takes (module docstring).
    """
    MASK_OFFSET.check(mask_offset)
    ratio = None if downscale_ratio is None else check_ratio(downscale_ratio)
    pixels, mask = _resized_and_cropped(pixels, mask, WAS_CROP_MULTIPLE, ratio, strict)
    rounded = mask.round()
    if strict or is_binary(rounded):
        offset = offset_mask(mask, mask_offset)
        return Prepared(neutralise(pixels, offset), rounded, offset, offset)
    offset = offset_any(rounded, mask_offset)
    return Prepared(neutralise_any(pixels, offset), rounded, offset, offset)


NODES = {"comfy": prepare_comfy, "was": prepare_was}  # the two seed encoders; their descriptions: preparations.methods


def prepare(
    method: str, pixels: torch.Tensor, mask: torch.Tensor, amount: Integral, downscale_ratio: int = 8
) -> Prepared:
    """Either method by name: 'comfy' (amount = grow_mask_by) or 'was' (amount = mask_offset)."""
    if method not in NODES:
        raise ValueError(f"method must be one of {sorted(NODES)}, got {method!r}")
    return NODES[method](pixels, mask, amount, downscale_ratio)
