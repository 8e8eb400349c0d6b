"""Every preparation by name, with its settings declared once: one call from image and mask to what a sampler gets.

`run_method(name, pixels, mask, settings, vae)` -> Preparation. Each method is a chain of the nodes
users put before a sampler, exact to their sources (see each module):

- comfy, was: the two seed encoders (inpaint_core.prepare).
- set_latent_noise_mask: GrowMask -> FeatherMask -> VAEEncode + SetLatentNoiseMask (no grey: denoise < 1 works).
- inpaint_model_conditioning: GrowMask -> FeatherMask -> InpaintModelConditioning.
- acly_fill / acly_blur: Acly's Expand Mask -> Fill (or Blur) Masked Area -> VAE Encode & Inpaint Conditioning,
  whose `latent_samples` goes to the sampler (its `latent_inpaint` is in `extra`).
A mask node at its neutral amount (0) is skipped, as leaving it out of the graph would.
Pixels (B, H, W, 3), mask (H, W) or (B, H, W) of the image's size, in [0, 1]. With `vae` None the
latents are left out (None), so a page can show the preparation first and encode after.
"""

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import torch

from ..checks import check_mask, check_pixels
from ..prepare import GROW_MASK_BY, MASK_OFFSET, WAS_CROP_MULTIPLE, crop_box, prepare_comfy, prepare_was
from ..quoting import quote
from ..settings import Setting, check_settings
from . import acly
from .comfy_mask_nodes import EXPAND, FEATHER_SIDES, TAPERED_CORNERS, feather_mask, grow_mask
from .conditioning import (
    NOISE_MASK,
    InpaintConditioning,
    crop_as_vae,
    inpaint_model_conditioning,
    vae_encode_with_noise_mask,
)


@dataclass(frozen=True)
class Preparation:
    """One method's result: what to show, and the LATENT (and conditioning) a sampler would get."""

    method: str
    settings: dict
    neutralised: torch.Tensor  # (B, H', W', 3) the pixels as the method greys, fills or blurs them
    encoded: torch.Tensor  # (B, h·r, w·r, 3) the pixels whose latent is latent["samples"], cropped as the VAE does
    crop_offset: tuple[int, int]  # (top, left) of `encoded` in the input image
    latent: dict  # "samples": (B, C, h, w) or None without a VAE; "noise_mask": (Bm, 1, H', W') where one is set
    conditioning: InpaintConditioning | None = None  # concat pixels, mask and latent, where the method conditions
    extra: dict = field(default_factory=dict)  # what else the last node returns (Acly's latent_inpaint)

    @property
    def noise_mask(self) -> torch.Tensor | None:
        """(Bm, 1, H', W'), soft where the method makes it soft; None where the method sets none."""
        return self.latent.get("noise_mask")


@dataclass(frozen=True)
class Method:
    """One preparation, described once: everything else (sliders, titles, advice, report, exports, the
    browser's tables through the page's payload) reads it."""

    name: str
    label: str  # as ComfyUI users know the chain
    settings: tuple[Setting, ...]
    run: Callable  # (pixels, mask, settings: dict, vae, downscale_ratio) -> Preparation
    title: str = ""  # short, for a column's heading; the label where empty
    amount: str | None = None  # the setting a page's slider drives, where one does
    amount_help: str = ""  # what the amount does, in a few words (the slider's label)
    amount_of: str = ""  # the node whose setting the amount is, where not the method's own (GrowMask)
    crop_multiple: int | None = None  # the seed encoders' crop: 8 for WAS, None for the VAE's ratio
    greys: str = "none"  # the pixels set to grey: under the input "mask", under the "noise" mask, or "none"
    node: tuple[str, str] | None = None  # (class_type, title) of the one ComfyUI node that does it all
    live_rule: str | None = None  # the browser's rule for its mask at any amount: "comfy", "was", "growmask"

    def __post_init__(self):
        object.__setattr__(self, "title", self.title or self.label)

    def setting(self, name: str) -> Setting:
        return next(s for s in self.settings if s.name == name)

    @property
    def amount_setting(self) -> Setting | None:
        return None if self.amount is None else self.setting(self.amount)

    @property
    def slider_label(self) -> str:
        return f"{self.amount} · {self.amount_of or self.title} ({self.amount_help})"


FEATHER = replace(FEATHER_SIDES[0], name="feather")  # FeatherMask with left = top = right = bottom
MASK_NODES = (EXPAND, TAPERED_CORNERS, FEATHER)
ACLY_MASK = (acly.GROW, replace(acly.MASK_BLUR, name="mask_blur"), acly.BLUR_TYPE)


def _comfy_mask_nodes(mask: torch.Tensor, s: dict) -> torch.Tensor:
    if s["expand"]:
        mask = grow_mask(mask, s["expand"], s["tapered_corners"])
    if s["feather"]:
        mask = feather_mask(mask, *(4 * [s["feather"]]))
    return mask


def _seed(prepared, s, vae, multiple, pixels) -> Preparation:
    top, left, _, _ = crop_box(pixels.shape[1], pixels.shape[2], multiple)
    latent = {"samples": None if vae is None else vae.encode(prepared.pixels), "noise_mask": prepared.noise_mask}
    return Preparation("", s, prepared.pixels, prepared.pixels, (top, left), latent, extra={"prepared": prepared})


def _comfy(pixels, mask, s, vae, ratio):
    return _seed(prepare_comfy(pixels, mask, s["grow_mask_by"], ratio), s, vae, ratio, pixels)


def _was(pixels, mask, s, vae, ratio):
    return _seed(prepare_was(pixels, mask, s["mask_offset"], ratio), s, vae, WAS_CROP_MULTIPLE, pixels)


def _set_latent_noise_mask(pixels, mask, s, vae, ratio):
    latent = vae_encode_with_noise_mask(pixels, _comfy_mask_nodes(mask, s), vae)
    encoded, offset = crop_as_vae(pixels, ratio)
    return Preparation("", s, pixels, encoded, offset, latent)


def _inpaint_model_conditioning(pixels, mask, s, vae, ratio):
    conditioning = inpaint_model_conditioning(pixels, _comfy_mask_nodes(mask, s), vae, s["noise_mask"])
    encoded, offset = crop_as_vae(pixels, ratio)
    return Preparation("", s, conditioning.concat_pixels, encoded, offset, conditioning.latent, conditioning)


def _acly(preprocess):
    def run(pixels, mask, s, vae, ratio):
        mask = acly.expand_mask(mask, s["grow"], s["mask_blur"], s["blur_type"])
        prepared = preprocess(pixels, mask, s)
        out = acly.vae_encode_inpaint_conditioning(prepared, mask, vae)
        encoded, offset = crop_as_vae(prepared, ratio)
        extra = {"latent_inpaint": out["latent_inpaint"]}
        return Preparation("", s, prepared, encoded, offset, out["latent_samples"], out["conditioning"], extra)

    return run


GROWMASK = dict(
    live_rule="growmask",
    amount="expand",
    amount_help="> 0 grows, < 0 erodes; drawn live while feather is 0",
    amount_of="GrowMask",
)
METHODS = {
    m.name: m
    for m in (
        Method(
            "comfy", "VAE Encode (for Inpainting), ComfyUI", (GROW_MASK_BY,), _comfy, title="ComfyUI",
            amount="grow_mask_by", amount_help="k×k window, noise mask only", greys="mask",
            node=("VAEEncodeForInpaint", "VAE Encode (for Inpainting)"), live_rule="comfy",
        ),
        Method(
            "was", "WAS VAE Encode for Inpaint", (MASK_OFFSET,), _was, title="WAS", amount="mask_offset",
            amount_help="> 0 grows, < 0 erodes, grey follows", crop_multiple=WAS_CROP_MULTIPLE, greys="noise",
            node=("VAEEncodeForInpaint (WAS)", "Inpainting VAE Encode (WAS)"), live_rule="was",
        ),
        Method(
            "set_latent_noise_mask", "VAE Encode + Set Latent Noise Mask", MASK_NODES, _set_latent_noise_mask,
            **GROWMASK,
        ),
        Method(
            "inpaint_model_conditioning", "InpaintModelConditioning", (*MASK_NODES, NOISE_MASK),
            _inpaint_model_conditioning, greys="noise", **GROWMASK,
        ),
        Method(
            "acly_fill", "Acly: Expand Mask, Fill Masked Area", (*ACLY_MASK, acly.FILL, acly.FALLOFF),
            _acly(lambda p, m, s: acly.fill_masked_area(p, m, s["fill"], s["falloff"])),
        ),
        Method(
            "acly_blur", "Acly: Expand Mask, Blur Masked Area", (*ACLY_MASK, acly.BLUR, acly.FALLOFF),
            _acly(lambda p, m, s: acly.blur_masked_area(p, m, s["blur"], s["falloff"])),
        ),
    )
}  # fmt: skip
SEEDS = ("comfy", "was")  # the two encoders the page is built around: a column each by default


def run_method(
    name: str,
    pixels: torch.Tensor,
    mask: torch.Tensor,
    settings: dict | None = None,
    vae=None,
    downscale_ratio: int = 8,
) -> Preparation:
    """The method `name` with `settings` (missing ones at their defaults); latents when `vae` is given.

    `downscale_ratio` is the VAE's (read from `vae` when there is one): it sets the crops.
    """
    if name not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {quote(name)}")
    method = METHODS[name]
    checked = check_settings(method.settings, settings or {})
    pixels = check_pixels(pixels, min_size=8)
    check_mask(mask, batch=pixels.shape[0])
    if mask.shape[-2:] != pixels.shape[1:3]:
        raise ValueError(f"mask must be the image's size {tuple(pixels.shape[1:3])}, got {tuple(mask.shape[-2:])}")
    ratio = downscale_ratio if vae is None else vae.downscale_ratio
    return replace(method.run(pixels, mask.to(pixels.device), checked, vae, ratio), method=name)


def noise_mask_over_encoded(preparation: Preparation) -> torch.Tensor | None:
    """(h·r, w·r) the noise mask over the pixels the VAE encodes, on the CPU; None where the method sets none.

    Every crop is centred, so whether the mask has the image's size (SetLatentNoiseMask) or is a crop to
    another multiple (InpaintModelConditioning's 8 under a VAE of ratio 16), the encoded crop starts half
    the difference of their sizes into it."""
    if preparation.noise_mask is None:
        return None
    mask, (height, width) = preparation.noise_mask[0, 0].float().cpu(), preparation.encoded.shape[1:3]
    top, left = (mask.shape[0] - height) // 2, (mask.shape[1] - width) // 2
    return mask[top : top + height, left : left + width]


def seed_preparation(name: str, pixels: torch.Tensor, mask: torch.Tensor, amount: int, ratio: int) -> Preparation:
    """A seed node on the first image, as the node takes them (a mask of any size, resized by the node), with
    no latent: a page encodes it after, through its caches."""
    method = METHODS[name]
    return replace(method.run(pixels[:1], mask[:1], {method.amount: amount}, None, ratio), method=name)
