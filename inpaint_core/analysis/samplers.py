"""The sampler's view: a noise mask turned into a latent-size mask, as each backend does it.

A backend's view is what its sampler multiplies the latent by: 1 repaints a latent cell, 0 keeps the
encoded one, and a value between keeps part of it. Each function takes a noise mask `(H, W)` or
`(B, 1, H, W)` in [0, 1] (0/1 or soft) and the VAE's downscale ratio, and returns `(H // ratio,
W // ratio)` or `(B, 1, H // ratio, W // ratio)` float32: the latent's size, as a VAE that crops its
input to a multiple of its ratio makes it.
"""

import torch
import torch.nn.functional as F

from ..checks import check_ratio


def _as_batch(noise_mask: torch.Tensor, ratio) -> tuple[torch.Tensor, int]:
    """(B, 1, H, W) float32 and the ratio, checked; ValueError names what is wrong."""
    if not isinstance(noise_mask, torch.Tensor) or noise_mask.ndim not in (2, 4):
        shape = tuple(noise_mask.shape) if isinstance(noise_mask, torch.Tensor) else type(noise_mask).__name__
        raise ValueError(f"noise_mask must be a (H, W) or (B, 1, H, W) tensor, got {shape}")
    if noise_mask.ndim == 4 and noise_mask.shape[1] != 1:
        raise ValueError(f"noise_mask must have one channel, got shape {tuple(noise_mask.shape)}")
    ratio = check_ratio(ratio)
    if min(noise_mask.shape[-2:]) < ratio:
        raise ValueError(
            f"noise_mask must be at least {ratio}x{ratio} (one latent cell), got {tuple(noise_mask.shape)}"
        )
    return noise_mask.reshape(-1, 1, *noise_mask.shape[-2:]).float(), ratio


def _like(view: torch.Tensor, noise_mask: torch.Tensor) -> torch.Tensor:
    return view[0, 0] if noise_mask.ndim == 2 else view


def latent_size(height: int, width: int, ratio: int) -> tuple[int, int]:
    """(h, w): the latent of a (height, width) image, cropped to a multiple of `ratio`."""
    return height // ratio, width // ratio


def comfyui_view(noise_mask: torch.Tensor, ratio: int) -> torch.Tensor:
    """ComfyUI 0.8.0: bilinear to the latent size, not rounded.

    Source: `comfy/samplers.py` `CFGGuider.sample` hands the LATENT's noise_mask to
    `comfy/sampler_helpers.py` `prepare_mask`, which calls `comfy/utils.py` `reshape_mask`:
    `interpolate(mask.reshape(-1, 1, H, W), size=latent_hw, mode="bilinear")`; `KSamplerX0Inpaint`
    then mixes `x * mask + latent * (1 - mask)`.
    """
    mask, ratio = _as_batch(noise_mask, ratio)
    view = F.interpolate(mask, size=latent_size(*mask.shape[-2:], ratio), mode="bilinear")
    return _like(view, noise_mask)


def diffusers_view(noise_mask: torch.Tensor, ratio: int) -> torch.Tensor:
    """diffusers 0.42 (`StableDiffusionInpaintPipeline`, `StableDiffusionXLInpaintPipeline`), mask as a tensor.

    Source: `src/diffusers/image_processor.py` `VaeImageProcessor.preprocess` with the pipelines'
    `do_normalize=False, do_binarize=True, do_convert_grayscale=True`: resized (`interpolate`, nearest)
    to the pipeline's height and width (multiples of `vae_scale_factor`; here the mask's size rounded
    down to one, an identity where it already is one), then `binarize` (< 0.5 -> 0, else 1); then the
    pipeline's `prepare_mask_latents`: `interpolate(mask, size=(height // s, width // s))`, nearest,
    which reads the top-left pixel of each cell.
    """
    mask, ratio = _as_batch(noise_mask, ratio)
    height, width = mask.shape[-2:]
    resized = F.interpolate(mask, size=(height - height % ratio, width - width % ratio))
    binary = torch.where(resized < 0.5, 0.0, 1.0)
    view = F.interpolate(binary, size=latent_size(height, width, ratio))
    return _like(view, noise_mask)


def fooocus_view(noise_mask: torch.Tensor, ratio: int) -> torch.Tensor:
    """Fooocus 2.5.5: bilinear to latent size × 8, rounded, max-pooled over each 8×8 cell, rounded.

    Source: `modules/core.py` `encode_vae_inpaint`, `latent_mask`; `modules/patch.py` mixes
    `x * mask + latent * (1 - mask)` with it. Fooocus runs 8× VAEs only (SD 1.x, SDXL) and writes 8;
    here the cell is `ratio`, so other VAEs get the same rule.
    """
    mask, ratio = _as_batch(noise_mask, ratio)
    height, width = latent_size(*mask.shape[-2:], ratio)
    full = F.interpolate(mask, size=(height * ratio, width * ratio), mode="bilinear").round()
    view = F.max_pool2d(full, (ratio, ratio)).round()
    return _like(view, noise_mask)


BACKENDS = {"comfyui": comfyui_view, "diffusers": diffusers_view, "fooocus": fooocus_view}
BACKEND_TITLES = {"comfyui": "ComfyUI", "diffusers": "diffusers", "fooocus": "Fooocus"}


def check_backend(backend) -> str:
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {sorted(BACKENDS)}, got {backend!r}")
    return backend


def latent_view(noise_mask: torch.Tensor, ratio: int, backend: str = "comfyui") -> torch.Tensor:
    """The view of the backend named (a key of BACKENDS)."""
    return BACKENDS[check_backend(backend)](noise_mask, ratio)
