"""Both methods on one image and mask: prepared pixels, masks, latents and decoded previews.

Latents and previews are cached by content (image, mask, VAE, and the WAS offset; ComfyUI's
latent does not depend on grow_mask_by), so a slider change re-encodes only what it changes.
Results are CPU tensors: pixels (H, W, 3), masks (H, W), latents (1, C, h, w).
"""

import time
from dataclasses import dataclass, field

import torch

from .cache import LRUCache
from .prepare import WAS_CROP_MULTIPLE, Prepared, prepare_comfy, prepare_was
from .vae import VAE


@dataclass
class MethodResult:
    """One method's output for the first image of the batch."""

    method: str  # 'comfy' or 'was'
    amount: int  # grow_mask_by or mask_offset
    crop_offset: tuple[int, int]  # (top, left) of the crop in the input image
    neutralised: torch.Tensor  # (H', W', 3) what the VAE encodes
    mask: torch.Tensor  # (H', W') 0/1: the input mask, resized, cropped and rounded
    neutralise_mask: torch.Tensor  # (H', W') 0/1: the pixels set to grey
    noise_mask: torch.Tensor  # (H', W') 0/1
    latents: torch.Tensor  # (1, C, H'/r, W'/r) raw
    decoded: torch.Tensor  # (H', W', 3) the VAE's decode of the latents
    timings_ms: dict[str, float | str] = field(default_factory=dict)


@dataclass
class Comparison:
    image: torch.Tensor  # (H, W, 3) the input
    vae_name: str
    downscale_ratio: int
    comfy: MethodResult
    was: MethodResult


def _crop_offset(height: int, width: int, multiple: int) -> tuple[int, int]:
    return height % multiple // 2, width % multiple // 2


def _encode_and_decode(vae: VAE, prepared: Prepared) -> tuple[torch.Tensor, torch.Tensor, dict]:
    timings = {}
    start = time.perf_counter()
    latents = vae.encode(prepared.pixels[:1])
    timings["encode"] = time.perf_counter() - start
    decoded = vae.decode(latents)[0]
    timings["decode"] = time.perf_counter() - timings["encode"] - start
    return latents.cpu(), decoded.cpu(), {k: round(v * 1e3, 2) for k, v in timings.items()}


def _method_result(method, amount, prepare_fn, vae, cache, cache_key, image_size, multiple) -> MethodResult:
    start = time.perf_counter()
    prepared = prepare_fn()
    prepare_ms = round((time.perf_counter() - start) * 1e3, 2)

    def make():
        return _encode_and_decode(vae, prepared)

    if cache is None or cache_key is None:
        (latents, decoded, timings), cached = make(), False
    else:
        (latents, decoded, timings), cached = cache.get_or_make(cache_key, make)
    return MethodResult(
        method,
        amount,
        _crop_offset(*image_size, multiple),
        prepared.pixels[0].cpu(),
        prepared.mask[0, 0].cpu(),
        prepared.neutralise_mask[0, 0].cpu(),
        prepared.noise_mask[0, 0].cpu(),
        latents,
        decoded,
        {"prepare": prepare_ms, **({k: "cached" for k in timings} if cached else timings)},
    )


def compare_methods(
    pixels: torch.Tensor,
    mask: torch.Tensor,
    vae: VAE,
    grow_mask_by: int,
    mask_offset: int,
    cache: LRUCache | None = None,
    content_key: str | None = None,
) -> Comparison:
    """Run ComfyUI's and WAS's preparation, encode and decode; `content_key` names the image+mask for the cache."""
    size = (pixels.shape[1], pixels.shape[2])
    ratio = vae.downscale_ratio
    pixels, mask = pixels.to(vae.device), mask.to(vae.device)
    key = None if content_key is None else (content_key, vae.display_name)
    comfy = _method_result(
        "comfy", grow_mask_by, lambda: prepare_comfy(pixels, mask, grow_mask_by, ratio),
        vae, cache, key and (*key, "comfy"), size, ratio,
    )  # fmt: skip
    was = _method_result(
        "was", mask_offset, lambda: prepare_was(pixels, mask, mask_offset),
        vae, cache, key and (*key, "was", mask_offset), size, WAS_CROP_MULTIPLE,
    )  # fmt: skip
    return Comparison(pixels[0].cpu(), vae.display_name, ratio, comfy, was)
