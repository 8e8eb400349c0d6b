"""ComfyUI custom nodes: the two inpaint encoders, same inputs and outputs as the originals.

They take whatever the originals take (`strict=False` in prepare.py): an IMAGE of 3 or more
channels (RGBA from JoinImageWithAlpha: the first three neutralised, all handed to the VAE, which
drops the rest as ComfyUI 0.8's `comfy/sd.py` VAE.encode does) and a MASK of any finite values
(a bicubic resize overshoots [0, 1]; rounded as the originals round it).

`vae` is any object with an integer `downscale_ratio` and `encode(pixels)` taking (B, H, W, C) in
[0, 1]: ComfyUI's VAE, or one from `inpaint_core.load_vae`.
"""

from .prepare import GROW_MASK_BY, MASK_OFFSET, Amount, Prepared, prepare_comfy, prepare_was


def _input_types(amount: Amount) -> dict:
    """The nodes' inputs: the originals', with the amount's range declared once in prepare.py."""
    required = {"pixels": ("IMAGE",), "vae": ("VAE",), "mask": ("MASK",), amount.name: ("INT", amount.input_options())}
    return {"required": required}


def _latent(vae, prepared: Prepared) -> tuple[dict]:
    return ({"samples": vae.encode(prepared.pixels), "noise_mask": prepared.noise_mask},)


def _ratio(vae) -> int:
    if not hasattr(vae, "encode") or not hasattr(vae, "downscale_ratio"):
        raise ValueError(f"vae must have encode() and downscale_ratio, got {type(vae).__name__}")
    return vae.downscale_ratio


class VAEEncodeForInpaint:
    """ComfyUI's VAEEncodeForInpaint, exact, with a grow whose cost ignores grow_mask_by."""

    @classmethod
    def INPUT_TYPES(cls):
        return _input_types(GROW_MASK_BY)

    RETURN_TYPES, FUNCTION, CATEGORY = ("LATENT",), "encode", "latent/inpaint"

    def encode(self, vae, pixels, mask, grow_mask_by=GROW_MASK_BY.default):
        return _latent(vae, prepare_comfy(pixels, mask, grow_mask_by, _ratio(vae), strict=False))


class WAS_VAEEncodeForInpaint:
    """WAS_Extras' WAS_VAEEncodeForInpaint, exact, with an offset whose cost ignores mask_offset."""

    @classmethod
    def INPUT_TYPES(cls):
        return _input_types(MASK_OFFSET)

    RETURN_TYPES, FUNCTION, CATEGORY = ("LATENT",), "encode", "latent/inpaint"

    def encode(self, vae, pixels, mask, mask_offset=MASK_OFFSET.default):
        return _latent(vae, prepare_was(pixels, mask, mask_offset, _ratio(vae), strict=False))


# Keys of their own, so that neither ComfyUI's built-in node nor WAS_Extras' one is replaced.
NODE_CLASS_MAPPINGS = {
    "InpaintCore_VAEEncodeForInpaint": VAEEncodeForInpaint,
    "InpaintCore_WAS_VAEEncodeForInpaint": WAS_VAEEncodeForInpaint,
}
NODE_DISPLAY_NAME_MAPPINGS = {
    "InpaintCore_VAEEncodeForInpaint": "VAE Encode for Inpaint (grow_mask_by, fast)",
    "InpaintCore_WAS_VAEEncodeForInpaint": "WAS VAE Encode for Inpaint (mask_offset, fast)",
}
