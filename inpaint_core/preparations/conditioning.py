"""ComfyUI's InpaintModelConditioning, and VAEEncode followed by SetLatentNoiseMask, exact.

Source: nodes.py of ComfyUI 0.8.0 (pollockjj/ComfyUI @ 618b803d314a525faca8f8163d85eaa9ebc1d774),
classes InpaintModelConditioning, VAEEncode and SetLatentNoiseMask; ComfyUI's VAE.encode (comfy/sd.py)
first crops its input, centred, to a multiple of the VAE's downscale ratio: `encode_as_comfy` does that.

InpaintModelConditioning resizes the mask (bilinear) to the image, crops both, centred, to a multiple
of 8, sets the pixels under the rounded mask to grey as (p - 0.5) * (1 - round(m)) + 0.5 (kept here as
written, so kept pixels may move by a float rounding, as in the node), and encodes those for the
conditioning's `concat_latent_image`; the LATENT holds the latent of the original, uncropped pixels
and, with `noise_mask` on, the resized, cropped mask, not rounded. VAEEncode + SetLatentNoiseMask
encode the pixels and attach the mask exactly as given, reshaped to (B, 1, H, W).

`vae` is anything with `encode(pixels)` and an integer `downscale_ratio` (inpaint_core.VAE, ComfyUI's
VAE), or None: then the pixels are prepared and the latents left out (None), for a caller that shows
the preparation first and encodes after.
"""

from dataclasses import dataclass

import torch

from ..checks import check_mask, check_pixels
from ..prepare import centre_crop, crop_box, resize_mask
from ..settings import Flag

NOISE_MASK = Flag("noise_mask", default=True)
CONCAT_MULTIPLE = 8  # InpaintModelConditioning crops to 8 whatever the VAE


@dataclass(frozen=True)
class InpaintConditioning:
    """InpaintModelConditioning's outputs: the values it sets on both conditionings, and its LATENT."""

    concat_pixels: torch.Tensor  # (B, H8, W8, 3) cropped to 8, grey under the rounded mask: encoded for the concat
    concat_mask: torch.Tensor  # (Bm, 1, H8, W8) the mask resized and cropped, soft: conditioning's concat_mask
    concat_latent: torch.Tensor | None  # (B, C, h, w) conditioning's concat_latent_image
    pixels: torch.Tensor  # (B, H, W, 3) the original pixels, as the LATENT's samples encode them
    latent: dict  # {"samples": latent of `pixels` or None, "noise_mask": concat_mask (only when noise_mask)}

    @property
    def conditioning_values(self) -> dict:
        """What the node sets on the positive and the negative conditioning."""
        return {"concat_latent_image": self.concat_latent, "concat_mask": self.concat_mask}


def crop_as_vae(pixels: torch.Tensor, ratio: int) -> tuple[torch.Tensor, tuple[int, int]]:
    """(B, H, W, 3) cropped, centred, to a multiple of `ratio` as ComfyUI's VAE.encode does; and (top, left)."""
    height, width = pixels.shape[1], pixels.shape[2]
    if min(height, width) < ratio:
        raise ValueError(f"pixels must be at least {ratio}x{ratio} for this VAE, got {width}x{height}")
    top, left, cropped_h, cropped_w = crop_box(height, width, ratio)
    return pixels[:, top : top + cropped_h, left : left + cropped_w], (top, left)


def encode_as_comfy(vae, pixels: torch.Tensor) -> torch.Tensor | None:
    """ComfyUI's VAE.encode: crop (B, H, W, 3), centred, to the VAE's downscale ratio, then encode."""
    if vae is None:
        return None
    cropped, _ = crop_as_vae(pixels, _ratio(vae))
    return vae.encode(cropped)


def _ratio(vae) -> int:
    ratio = getattr(vae, "downscale_ratio", None)
    if not hasattr(vae, "encode") or isinstance(ratio, bool) or not isinstance(ratio, int) or ratio < 1:
        raise ValueError(f"vae must have encode() and a positive integer downscale_ratio, got {type(vae).__name__}")
    return ratio


def grey_under(pixels: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """(p - 0.5) * (1 - alpha) + 0.5 per channel, as the nodes compute it; alpha (Bm, 1, H, W) may be soft."""
    keep = (1.0 - alpha).squeeze(1).unsqueeze(-1)  # (Bm, H, W, 1)
    return (pixels - 0.5).mul_(keep).add_(0.5)


def inpaint_model_conditioning(
    pixels: torch.Tensor, mask: torch.Tensor, vae=None, noise_mask: bool = NOISE_MASK.default
) -> InpaintConditioning:
    """InpaintModelConditioning.encode: concat latent of the greyed crop, latent of the original, noise mask."""
    noise_mask = NOISE_MASK.check(noise_mask)
    pixels = check_pixels(pixels, min_size=CONCAT_MULTIPLE)
    soft = resize_mask(check_mask(mask, batch=pixels.shape[0]).to(pixels.device), pixels.shape[1], pixels.shape[2])
    cropped, soft = centre_crop(pixels, soft, CONCAT_MULTIPLE)
    concat_pixels = grey_under(cropped, soft.round())
    latent = {"samples": encode_as_comfy(vae, pixels)}
    if noise_mask:
        latent["noise_mask"] = soft
    return InpaintConditioning(concat_pixels, soft, encode_as_comfy(vae, concat_pixels), pixels, latent)


def vae_encode_with_noise_mask(pixels: torch.Tensor, mask: torch.Tensor, vae=None) -> dict:
    """VAEEncode then SetLatentNoiseMask: {"samples": latent of the pixels, "noise_mask": the mask as given}."""
    pixels = check_pixels(pixels, min_size=1)
    mask = check_mask(mask, batch=pixels.shape[0])  # the node takes any MASK; this one checks it is one
    return {"samples": encode_as_comfy(vae, pixels), "noise_mask": mask}
