"""Input validation: bad input raises ValueError naming the argument and what is allowed."""

import math
from numbers import Integral

import torch


def _check_tensor(name: str, value, ranks: tuple[int, ...] | None) -> torch.Tensor:
    """A non-empty floating-point tensor whose rank is one of `ranks` (None: 2 or more)."""
    if not isinstance(value, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if not value.is_floating_point():
        raise ValueError(f"{name} must be a floating-point tensor, got dtype {value.dtype}")
    if ranks is None and value.ndim < 2:
        raise ValueError(f"{name} must have at least 2 dimensions, got shape {tuple(value.shape)}")
    if ranks is not None and value.ndim not in ranks:
        raise ValueError(f"{name} must have {' or '.join(map(str, ranks))} dimensions, got shape {tuple(value.shape)}")
    if value.numel() == 0:
        raise ValueError(f"{name} is empty: shape {tuple(value.shape)}")
    return value


def _value_range(name: str, value: torch.Tensor) -> tuple[float, float]:
    """(min, max) in one pass; NaN or infinity anywhere shows in them."""
    low, high = (v.item() for v in torch.aminmax(value))
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"{name} holds NaN or infinite values")
    return low, high


def check_pixels(pixels, min_size: int, rgb_only: bool = True) -> torch.Tensor:
    """An IMAGE (B, H, W, 3) of finite floats, at least `min_size` pixels each way.

    `rgb_only=False` takes what the original nodes take: 3 channels or more (they grey the first
    three and hand the rest to the VAE, which ComfyUI's drops), never fewer.
    """
    _check_tensor("pixels", pixels, (4,))
    _value_range("pixels", pixels)
    channels = pixels.shape[-1]
    if rgb_only and channels != 3:
        raise ValueError(f"pixels must be (B, H, W, 3) RGB, got {channels} channels in shape {tuple(pixels.shape)}")
    if channels < 3:
        raise ValueError(f"pixels must have at least 3 channels (RGB), got {channels} in shape {tuple(pixels.shape)}")
    if min(pixels.shape[1], pixels.shape[2]) < min_size:
        raise ValueError(
            f"pixels must be at least {min_size}x{min_size} (the crop multiple), got {pixels.shape[2]}x{pixels.shape[1]}"
        )
    return pixels


def check_mask(mask, batch: int, any_values: bool = False) -> torch.Tensor:
    """A MASK (H, W) or (Bm, H, W) in [0, 1] with Bm 1 or `batch`, returned as float32 (Bm, 1, H, W).

    `any_values=True` takes what the original nodes take: any finite values (they round them, see
    integer_masks.py) and any rank from 2, the leading dimensions making the batch.
    """
    _check_tensor("mask", mask, None if any_values else (2, 3))
    low, high = _value_range("mask", mask)
    if not any_values and (low < 0 or high > 1):
        raise ValueError(f"mask values must lie in [0, 1], got [{low:g}, {high:g}]")
    mask = mask.reshape(-1, 1, mask.shape[-2], mask.shape[-1]).float()  # resized in float32, as ComfyUI's MASK is
    if mask.shape[0] not in (1, batch):
        raise ValueError(f"mask batch must be 1 or the image batch {batch}, got {mask.shape[0]}")
    return mask


def check_crop_fits_ratio(height: int, width: int, multiple: int, downscale_ratio: int) -> None:
    """An image whose crop to `multiple` a VAE of `downscale_ratio` can still encode (one latent cell each way)."""
    cropped_h, cropped_w = height // multiple * multiple, width // multiple * multiple
    if min(cropped_h, cropped_w) < downscale_ratio:
        raise ValueError(
            f"pixels {width}x{height} crop to {cropped_w}x{cropped_h} (a multiple of {multiple}), smaller than "
            f"the VAE's downscale ratio {downscale_ratio}: the image must be at least "
            f"{downscale_ratio}x{downscale_ratio} after the crop"
        )


def check_ratio(downscale_ratio) -> int:
    """The VAE's downscale ratio: a positive integer."""
    if isinstance(downscale_ratio, bool) or not isinstance(downscale_ratio, Integral) or downscale_ratio < 1:
        raise ValueError(f"downscale_ratio must be a positive integer, got {downscale_ratio!r}")
    return int(downscale_ratio)
