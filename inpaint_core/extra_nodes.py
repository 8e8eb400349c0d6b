"""ComfyUI nodes where the core adds speed: mask nodes whose cost here does not grow with the amount.

Same inputs, outputs and results as the originals (tested against their code), registered under keys
of their own so that ComfyUI's GrowMask and FeatherMask and Acly's Expand Mask stay as they are:
- GrowMask loops a 3×3 filter `expand` times on the CPU; here one exact dilation or erosion, any device.
- FeatherMask loops over every feathered row and column; here four broadcast products.
- Acly's Expand Mask grows with a (2·grow+1)-tap box filter; here counts by cumulative sums (the blur
  after it is the node's).
"""

from .preparations.acly import BLUR_TYPE, GROW, MASK_BLUR, expand_mask
from .preparations.comfy_mask_nodes import EXPAND, FEATHER_SIDES, TAPERED_CORNERS, feather_mask, grow_mask

MASK_TOOLTIP = "The mask (H, W) or (B, H, W), values in [0, 1]; soft masks are kept soft."


def _inputs(**tooltips: tuple) -> dict:
    """{"required": {name: (type, options + tooltip)}}, the mask first."""
    required = {"mask": ("MASK", {"tooltip": MASK_TOOLTIP})}
    for name, ((kind, options), tooltip) in tooltips.items():
        required[name] = (kind, {**options, "tooltip": tooltip})
    return {"required": required}


class GrowMask:
    """ComfyUI's GrowMask (comfy_extras/nodes_mask.py), exact, O(H·W) whatever `expand`."""

    @classmethod
    def INPUT_TYPES(cls):
        return _inputs(
            expand=(EXPAND.input_type(), "Pixels to grow (> 0) or shrink (< 0) by, as that many 3×3 steps."),
            tapered_corners=(TAPERED_CORNERS.input_type(), "On: a diamond (each step a cross). Off: a square."),
        )

    RETURN_TYPES, FUNCTION, CATEGORY = ("MASK",), "expand_mask", "mask"
    DESCRIPTION = "ComfyUI's Grow Mask, same result; its time does not grow with expand."
    OUTPUT_TOOLTIPS = ("The grown or shrunk mask (B, H, W).",)

    def expand_mask(self, mask, expand, tapered_corners):
        return (grow_mask(mask, expand, tapered_corners),)


class FeatherMask:
    """ComfyUI's FeatherMask (comfy_extras/nodes_mask.py), bit for bit, without a loop per row or column."""

    @classmethod
    def INPUT_TYPES(cls):
        ramp = "Pixels over which the mask ramps up from this edge of the image."
        return _inputs(**{side.name: (side.input_type(), ramp) for side in FEATHER_SIDES})

    RETURN_TYPES, FUNCTION, CATEGORY = ("MASK",), "feather", "mask"
    DESCRIPTION = "ComfyUI's Feather Mask, same result (bit for bit), without a loop per row or column."
    OUTPUT_TOOLTIPS = ("The feathered mask (B, H, W).",)

    def feather(self, mask, left, top, right, bottom):
        return (feather_mask(mask, left, top, right, bottom),)


class ExpandMask:
    """Acly's Expand Mask (comfyui-inpaint-nodes), its grow O(H·W) whatever `grow`."""

    @classmethod
    def INPUT_TYPES(cls):
        return _inputs(
            grow=(GROW.input_type(), "Pixels to grow every non-zero pixel by (a square)."),
            blur=(MASK_BLUR.input_type(), "Blur size after growing (made odd; 0-2: none)."),
            blur_type=(BLUR_TYPE.input_type(), "The blur's kernel, as in Acly's node."),
        )

    RETURN_TYPES, FUNCTION, CATEGORY = ("MASK",), "expand", "inpaint"
    DESCRIPTION = "Acly's Expand Mask, same result; its time does not grow with grow."
    OUTPUT_TOOLTIPS = ("The expanded, blurred mask (B, H, W).",)

    def expand(self, mask, grow, blur, blur_type):
        return (expand_mask(mask, grow, blur, blur_type),)


EXTRA_NODE_CLASS_MAPPINGS = {
    "InpaintCore_GrowMask": GrowMask,
    "InpaintCore_FeatherMask": FeatherMask,
    "InpaintCore_ExpandMask": ExpandMask,
}
EXTRA_NODE_DISPLAY_NAME_MAPPINGS = {
    "InpaintCore_GrowMask": "Grow Mask (fast)",
    "InpaintCore_FeatherMask": "Feather Mask (fast)",
    "InpaintCore_ExpandMask": "Expand Mask (Acly, fast)",
}
