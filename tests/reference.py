"""The seeds' formulation, written plainly: conv2d with a ones kernel, in-place channel loops.

This is the specification the core is tested against; it is slow (O(k²) per pixel) on purpose.
"""

import math

import torch
import torch.nn.functional as F


def _resize_and_crop(pixels, mask, multiple):
    x = pixels.shape[1] // multiple * multiple
    y = pixels.shape[2] // multiple * multiple
    mask = F.interpolate(
        mask.reshape((-1, 1, mask.shape[-2], mask.shape[-1])), size=(pixels.shape[1], pixels.shape[2]), mode="bilinear"
    )
    pixels = pixels.clone()
    if pixels.shape[1] != x or pixels.shape[2] != y:
        x_offset = pixels.shape[1] % multiple // 2
        y_offset = pixels.shape[2] % multiple // 2
        pixels = pixels[:, x_offset : x + x_offset, y_offset : y + y_offset, :]
        mask = mask[:, :, x_offset : x + x_offset, y_offset : y + y_offset]
    return pixels, mask, x, y


def _neutralise_in_place(pixels, m):
    for i in range(3):
        pixels[:, :, :, i] -= 0.5
        pixels[:, :, :, i] *= m
        pixels[:, :, :, i] += 0.5


def comfy_reference(pixels, mask, grow_mask_by, downscale_ratio=8):
    """-> (pixels handed to vae.encode, noise_mask), as ComfyUI's VAEEncodeForInpaint makes them."""
    pixels, mask, x, y = _resize_and_crop(pixels, mask, downscale_ratio)
    if grow_mask_by == 0:
        grown = mask
    else:
        kernel = torch.ones((1, 1, grow_mask_by, grow_mask_by), dtype=mask.dtype, device=mask.device)
        padding = math.ceil((grow_mask_by - 1) / 2)
        grown = torch.clamp(F.conv2d(mask.round(), kernel, padding=padding), 0, 1)
    _neutralise_in_place(pixels, (1.0 - mask.round()).squeeze(1))
    return pixels, grown[:, :, :x, :y].round()


def was_modify_mask(mask, offset):
    if offset == 0:
        return mask
    n = abs(offset)
    kernel = torch.ones((1, 1, 2 * n + 1, 2 * n + 1), dtype=mask.dtype, device=mask.device)
    if offset > 0:
        return torch.clamp(F.conv2d(mask.round(), kernel, padding=n), 0, 1)
    return torch.clamp(1 - F.conv2d(1 - mask.round(), kernel, padding=n), 0, 1)


def was_reference(pixels, mask, mask_offset):
    """-> (pixels handed to vae.encode, noise_mask), as WAS_Extras' WAS_VAEEncodeForInpaint makes them."""
    pixels, mask, x, y = _resize_and_crop(pixels, mask, 8)
    modified = was_modify_mask(mask, mask_offset)
    _neutralise_in_place(pixels, (1.0 - modified.round()).squeeze(1))
    return pixels, modified[:, :, :x, :y].round()
