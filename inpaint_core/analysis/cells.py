"""Why the settings matter, in numbers: the latent grid, the sampler's view of the mask, grey-halo risk, drift.

Masks here are (H, W) 0/1 tensors of one method's crop; `ratio` is the VAE's downscale ratio, so
latent cell (i, j) covers pixels [ratio*i, ratio*(i+1)) × [ratio*j, ratio*(j+1)).
"""

import math

import torch
import torch.nn.functional as F

from .samplers import latent_view


def sampler_mask(noise_mask: torch.Tensor, latent_size: tuple[int, int]) -> torch.Tensor:
    """(h, w) in [0, 1]: the noise mask resized bilinearly to the latent, as ComfyUI's sampler does."""
    return F.interpolate(noise_mask[None, None].float(), size=latent_size, mode="bilinear")[0, 0]


def cell_fractions(mask: torch.Tensor, ratio: int) -> torch.Tensor:
    """(H // ratio, W // ratio): the share of each latent cell's pixels that the mask covers."""
    return F.avg_pool2d(mask[None, None].float(), ratio)[0, 0]


def edge_cells(noise_mask: torch.Tensor, ratio: int) -> torch.Tensor:
    """bool (h, w): cells the mask's edge cuts through (partly masked, partly not)."""
    share = cell_fractions(noise_mask, ratio)
    return (share > 0) & (share < 1)


def halo_risk_cells(
    grey_mask: torch.Tensor, noise_mask: torch.Tensor, ratio: int, backend: str = "comfyui"
) -> torch.Tensor:
    """bool (h, w): cells holding grey (neutralised) pixels that the sampler's mask does not fully cover.

    There the sampler keeps part of the encoded grey: the halo a too small grow leaves. `backend`
    names the sampler whose view counts (a key of samplers.BACKENDS).
    """
    holds_grey = cell_fractions(grey_mask, ratio) > 0
    return holds_grey & (latent_view(noise_mask, ratio, backend) < 1)


def grow_extent(grow_mask_by: int) -> dict[str, int]:
    """How far ComfyUI's k×k grow reaches each way: an even k reaches one pixel less up and left."""
    padding = math.ceil((grow_mask_by - 1) / 2) if grow_mask_by else 0
    reach = grow_mask_by - 1 - padding if grow_mask_by else 0
    return {"up": reach, "left": reach, "down": padding, "right": padding}


def psnr_outside(squared_error: torch.Tensor, mask: torch.Tensor) -> float | None:
    """PSNR in dB, for [0, 1] images, over the pixels where the 0/1 mask is 0; None if there are none.

    `squared_error` (h, w) is the per-pixel squared difference summed over the three channels; the
    mask is cropped to it.
    """
    keep = 1 - mask[: squared_error.shape[0], : squared_error.shape[1]].float()
    count = keep.sum().item()
    if count == 0:
        return None
    mse = (squared_error * keep).sum().item() / (3 * count)
    return math.inf if mse == 0 else 10 * math.log10(1 / mse)
