"""ComfyUI custom nodes: the two inpaint encoders, same inputs and outputs as the originals.

They take whatever the originals take (`strict=False` in prepare.py): an IMAGE of 3 or more
channels (RGBA from JoinImageWithAlpha: the first three neutralised, all handed to the VAE, which
drops the rest as ComfyUI 0.8's `comfy/sd.py` VAE.encode does) and a MASK of any finite values
(a bicubic resize overshoots [0, 1]; rounded as the originals round it).

`vae` is any object with an integer `downscale_ratio` and `encode(pixels)` taking (B, H, W, C) in
[0, 1]: ComfyUI's VAE, or one from `inpaint_core.load_vae`.
"""

from .prepare import GROW_MASK_BY, MASK_OFFSET, Prepared, prepare_comfy, prepare_was
from .settings import Int

COMFY_TOOLTIPS = {
    "pixels": "The image to inpaint. Cropped, centred, to a multiple of the VAE's downscale ratio; "
    "the pixels under the mask are set to 0.5 grey before encoding.",
    "vae": "The VAE that encodes the greyed image; its downscale ratio (8 for most) sets the crop.",
    "mask": "Where to inpaint (1 = repaint, 0 = keep). Resized bilinearly to the image and rounded at 0.5. "
    "Its pixels are greyed; grow_mask_by does not change which.",
    "grow_mask_by": "Grows the noise mask only (where the sampler may change the latent), never the grey "
    "pixels: a k-pixel square window, so the mask reaches k//2 px further down and right and (k-1)//2 px "
    "up and left (6: 3 and 2). 0 keeps the mask as it is; it never shrinks.",
}
WAS_TOOLTIPS = {
    "pixels": "The image to inpaint. Cropped, centred, to a multiple of 8 whatever the VAE; the pixels "
    "under the offset mask are set to 0.5 grey before encoding.",
    "vae": "The VAE that encodes the greyed image. One of downscale ratio 16 needs at least 16 px each "
    "way after the crop to 8.",
    "mask": "Where to inpaint (1 = repaint, 0 = keep). Resized bilinearly to the image, rounded at 0.5, "
    "then moved by mask_offset.",
    "mask_offset": "Moves the mask's edge by this many pixels on every side, for the grey pixels and the "
    "noise mask alike: positive grows it (dilation), negative shrinks it (erosion; an edge on the "
    "image's border stays there), 0 keeps it.",
}

LATENT_TOOLTIP = "The encoded image with its noise_mask: the sampler changes only the latent cells under it."


def _input_types(amount: Int, tooltips: dict[str, str]) -> dict:
    """The nodes' inputs: the originals', the amount's range declared once in prepare.py, with tooltips."""
    return {
        "required": {
            "pixels": ("IMAGE", {"tooltip": tooltips["pixels"]}),
            "vae": ("VAE", {"tooltip": tooltips["vae"]}),
            "mask": ("MASK", {"tooltip": tooltips["mask"]}),
            amount.name: ("INT", {**amount.input_type()[1], "tooltip": tooltips[amount.name]}),
        }
    }


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
        return _input_types(GROW_MASK_BY, COMFY_TOOLTIPS)

    RETURN_TYPES, FUNCTION, CATEGORY = ("LATENT",), "encode", "latent/inpaint"
    DESCRIPTION = "ComfyUI's VAE Encode (for Inpainting), same result: greys the masked pixels, grows the noise mask."
    OUTPUT_TOOLTIPS = (LATENT_TOOLTIP,)

    def encode(self, vae, pixels, mask, grow_mask_by=GROW_MASK_BY.default):
        return _latent(vae, prepare_comfy(pixels, mask, grow_mask_by, _ratio(vae), strict=False))


class WAS_VAEEncodeForInpaint:
    """WAS_Extras' WAS_VAEEncodeForInpaint, exact, with an offset whose cost ignores mask_offset."""

    @classmethod
    def INPUT_TYPES(cls):
        return _input_types(MASK_OFFSET, WAS_TOOLTIPS)

    RETURN_TYPES, FUNCTION, CATEGORY = ("LATENT",), "encode", "latent/inpaint"
    DESCRIPTION = "WAS_Extras' VAE Encode for Inpaint, same result: grows or shrinks the mask, then greys it."
    OUTPUT_TOOLTIPS = (LATENT_TOOLTIP,)

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

# The fast mask nodes (GrowMask, FeatherMask, Acly's Expand Mask), also under keys of their own.
from .extra_nodes import EXTRA_NODE_CLASS_MAPPINGS, EXTRA_NODE_DISPLAY_NAME_MAPPINGS  # noqa: E402

NODE_CLASS_MAPPINGS.update(EXTRA_NODE_CLASS_MAPPINGS)
NODE_DISPLAY_NAME_MAPPINGS.update(EXTRA_NODE_DISPLAY_NAME_MAPPINGS)

# The page's insight as a node: the Inpaint Encode Inspector.
from .inspector_node import NODE_CLASS_MAPPINGS as INSPECTOR_CLASS_MAPPINGS  # noqa: E402
from .inspector_node import NODE_DISPLAY_NAME_MAPPINGS as INSPECTOR_DISPLAY_NAME_MAPPINGS  # noqa: E402

NODE_CLASS_MAPPINGS.update(INSPECTOR_CLASS_MAPPINGS)
NODE_DISPLAY_NAME_MAPPINGS.update(INSPECTOR_DISPLAY_NAME_MAPPINGS)
