"""Acly's comfyui-inpaint-nodes: Fill Masked Area, Blur Masked Area, Expand Mask, VAE Encode & Inpaint Conditioning.

Source: nodes.py (MaskedFill, MaskedBlur, ExpandMask, VAEEncodeInpaintConditioning) and util.py of
Acly/comfyui-inpaint-nodes 1.4.2 (@ b32f293d3f3ed9f2bc11099b30c8695ff984a593).

- Fill: alpha = mask >= 0.99; with a falloff f (made odd), alpha *= gaussian_blur(erosion of alpha by
  f px, size f). 'neutral' greys as (p - 0.5) * (1 - alpha) + 0.5; 'telea' and 'navier-stokes' run
  OpenCV's `inpaint` (radius 3) on the 8-bit image and mask, then blend by alpha, in numpy as the node does.
- Blur: the image blurred (gaussian, size `blur` made odd) where alpha is, falloff as above but at most
  blur - 2; the mask may be a batch of 1 for a batch of images, as the node's broadcasting allows.
- Expand: dilation of the mask's non-zero pixels by `grow` px (a square), then a blur of size `blur`
  made odd: gaussian, box or linear (a triangle), all with a reflected border.
Gaussians use kornia's `gaussian_blur2d` kernel, exp(-x² / 2σ²) normalised, σ = 0.3 (size - 1) + 0.8.

Exactness: dilation and erosion are exact (counts by cumulative sums, inpaint_core.masks: O(H·W)
whatever the amount, where the node convolves with a (2r+1)² window); with falloff 0, fill is bit for
bit the node's (OpenCV included). Blurs are separable convolutions as kornia's: equal to float32
rounding (sums taken in another order), about 1e-6. A reflected border needs the blur's radius below
the image's side (kornia's padding fails otherwise): larger ones raise ValueError.
Images (B, H, W, 3), masks (H, W) or (B, H, W), as the nodes take them, on any device (OpenCV on the CPU).
"""

import torch
import torch.nn.functional as F

from ..checks import check_pixels
from ..masks import dilate
from ..settings import Choice, Int
from .conditioning import InpaintConditioning, inpaint_model_conditioning

FILL = Choice("fill", "neutral", ("neutral", "telea", "navier-stokes"))
FALLOFF = Int("falloff", default=0, min=0, max=8191, slider=(0, 63))
BLUR = Int("blur", default=255, min=3, max=8191, slider=(3, 511))
GROW = Int("grow", default=16, min=0, max=8096, slider=(0, 256))
MASK_BLUR = Int("blur", default=7, min=0, max=8096, slider=(0, 255))
BLUR_TYPE = Choice("blur_type", "gaussian", ("box", "linear", "gaussian"))


def make_odd(x: int) -> int:
    return x + 1 if x > 0 and x % 2 == 0 else x


def _mask_b1hw(mask, height: int | None = None, width: int | None = None) -> torch.Tensor:
    if not isinstance(mask, torch.Tensor) or not mask.is_floating_point() or mask.ndim not in (2, 3):
        raise ValueError(f"mask must be a float tensor (H, W) or (B, H, W), got {getattr(mask, 'shape', mask)!r}")
    mask = mask.reshape(-1, 1, mask.shape[-2], mask.shape[-1])
    if height is not None and mask.shape[-2:] != (height, width):
        raise ValueError(f"image and mask must be the same size: {(height, width)} != {tuple(mask.shape[-2:])}")
    return mask


def _convolve(x: torch.Tensor, kernel: torch.Tensor, dim: int, border: str) -> torch.Tensor:
    """x (N, 1, H, W) correlated with a 1-D kernel along `dim` (-1: x, -2: y), padded by `border`."""
    radius = kernel.numel() // 2
    if border == "reflect" and radius >= x.shape[dim]:
        raise ValueError(
            f"a blur of size {kernel.numel()} needs an image over {radius} px each way, got {tuple(x.shape[-2:])}"
        )
    pad = (radius, radius, 0, 0) if dim == -1 else (0, 0, radius, radius)
    weight = kernel.to(x.dtype).view(1, 1, 1, -1) if dim == -1 else kernel.to(x.dtype).view(1, 1, -1, 1)
    return F.conv2d(F.pad(x, pad, mode=border), weight)


def separable_filter(x: torch.Tensor, kernel: torch.Tensor, border: str = "reflect") -> torch.Tensor:
    """kornia's filter2d_separable with one kernel both ways: along x, then y; each channel alone."""
    flat = x.reshape(-1, 1, *x.shape[-2:])
    out = _convolve(_convolve(flat, kernel, -1, border), kernel, -2, border)
    return out.reshape(x.shape)


def gaussian_kernel(size: int, sigma: float = 0, device=None) -> torch.Tensor:
    """util.gaussian_blur's kernel: σ = 0.3 (size - 1) + 0.8 unless given; kornia's formula, in float32."""
    if sigma <= 0:
        sigma = 0.3 * (size - 1) + 0.8
    offsets = torch.arange(size, dtype=torch.float32, device=device) - size // 2
    weights = torch.exp(-offsets.square() / (2 * torch.tensor(sigma, dtype=torch.float32, device=device) ** 2))
    return weights / weights.sum()


def mask_blur_kernel(size: int, blur_type: str, device=None) -> torch.Tensor:
    """util.mask_blur's kernel for an odd size > 2."""
    if blur_type == "gaussian":
        return gaussian_kernel(size, device=device)
    if blur_type == "box" or size == 3:
        return torch.ones(size, device=device) / size
    half = size // 2
    ramp = torch.linspace(1 / half, (half - 1) / half, half, device=device)
    triangle = torch.cat([ramp, torch.ones(1, device=device), ramp.flip(0)])
    return triangle / triangle.sum()


def _falloff_alpha(alpha: torch.Tensor, falloff: int) -> torch.Tensor:
    """alpha (0/1) times the gaussian-blurred erosion of itself by `falloff` px (outside counts as masked)."""
    if falloff <= 0:
        return alpha
    eroded = 1 - dilate(1 - alpha, falloff, falloff, falloff, falloff)
    return alpha * separable_filter(eroded, gaussian_kernel(falloff, device=alpha.device))


def fill_alpha(mask: torch.Tensor, falloff: int, image: torch.Tensor) -> torch.Tensor:
    """(Bm, 1, H, W) the soft alpha that fill and blur apply to `image` (B, H, W, 3)."""
    mask = _mask_b1hw(mask, image.shape[1], image.shape[2]).to(image.device)
    return _falloff_alpha((mask >= 0.99).to(mask.dtype), falloff)


def fill_masked_area(
    image: torch.Tensor, mask: torch.Tensor, fill: str = FILL.default, falloff: int = FALLOFF.default
) -> torch.Tensor:
    """MaskedFill: grey ('neutral') or OpenCV's inpaint ('telea', 'navier-stokes') under the mask."""
    fill, falloff = FILL.check(fill), make_odd(FALLOFF.check(falloff))
    image = check_pixels(image, min_size=1)
    alpha = fill_alpha(mask, falloff, image)
    if alpha.shape[0] != image.shape[0]:
        raise ValueError(f"image and mask batch sizes must match, got {image.shape[0]} and {alpha.shape[0]}")
    if fill == "neutral":
        keep = (1.0 - alpha).squeeze(1).unsqueeze(-1)
        return (image - 0.5).mul_(keep).add_(0.5)
    return _opencv_fill(image, alpha, fill)


def _opencv_fill(image: torch.Tensor, alpha: torch.Tensor, fill: str) -> torch.Tensor:
    import cv2  # OpenCV and numpy: the page's extra, not the library's one requirement (torch)
    import numpy as np

    method = cv2.INPAINT_TELEA if fill == "telea" else cv2.INPAINT_NS
    out = []
    for pixels, weight in zip(image.cpu().numpy(), alpha[:, 0].cpu().numpy(), strict=True):
        filled = cv2.inpaint((255.0 * pixels).astype(np.uint8), (255.0 * weight).astype(np.uint8), 3, method)
        weight = weight[..., None]
        out.append(pixels * (1.0 - weight) + (filled.astype(np.float32) / 255.0) * weight)
    return torch.from_numpy(np.stack(out)).to(image.device)


def blur_masked_area(
    image: torch.Tensor, mask: torch.Tensor, blur: int = BLUR.default, falloff: int = FALLOFF.default
) -> torch.Tensor:
    """MaskedBlur: the image blurred (gaussian, size `blur`) where the mask is, fading over `falloff` px."""
    blur = make_odd(BLUR.check(blur))
    falloff = min(make_odd(FALLOFF.check(falloff)), blur - 2)
    image = check_pixels(image, min_size=1)
    alpha = fill_alpha(mask, falloff, image)
    original = image.movedim(-1, 1)  # (B, 3, H, W)
    blurred = separable_filter(original, gaussian_kernel(blur, device=image.device))
    return (original + (blurred - original) * alpha).movedim(1, -1)


def expand_mask(
    mask: torch.Tensor, grow: int = GROW.default, blur: int = MASK_BLUR.default, blur_type: str = BLUR_TYPE.default
) -> torch.Tensor:
    """ExpandMask: the non-zero pixels grown by `grow` px (a square), then blurred; (B, H, W)."""
    grow, blur, blur_type = GROW.check(grow), make_odd(MASK_BLUR.check(blur)), BLUR_TYPE.check(blur_type)
    mask = _mask_b1hw(mask)
    if grow > 0:
        mask = dilate(mask, grow, grow, grow, grow)  # the node's separable box sum > 0
    if blur > 2:
        mask = separable_filter(mask, mask_blur_kernel(blur, blur_type, device=mask.device))
    return mask.squeeze(1)


def vae_encode_inpaint_conditioning(pixels: torch.Tensor, mask: torch.Tensor, vae=None) -> dict:
    """VAEEncodeInpaintConditioning: InpaintModelConditioning, and a latent_inpaint of its concat latent.

    -> {"conditioning": InpaintConditioning, "latent_inpaint": {"samples": concat latent, "noise_mask":
    its mask rounded}, "latent_samples": InpaintModelConditioning's LATENT (noise mask on)}.
    """
    conditioning: InpaintConditioning = inpaint_model_conditioning(pixels, mask, vae, noise_mask=True)
    latent_inpaint = {"samples": conditioning.concat_latent, "noise_mask": conditioning.latent["noise_mask"].round()}
    return {"conditioning": conditioning, "latent_inpaint": latent_inpaint, "latent_samples": conditioning.latent}
