"""Exact, fast re-implementations of ComfyUI's and WAS_Extras' inpaint encoders.

Also a ComfyUI custom node pack: put this folder (or a link to it) in `ComfyUI/custom_nodes/`.
"""

from .masks import dilate, grow_mask, offset_mask
from .nodes import NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS
from .prepare import GROW_MASK_BY, MASK_OFFSET, Prepared, centre_crop, neutralise, prepare, prepare_comfy, prepare_was
from .vaes.approx import approximate_vae
from .vaes.loaders import load_vae
from .vaes.vae import VAE

__all__ = [
    "GROW_MASK_BY",
    "MASK_OFFSET",
    "NODE_CLASS_MAPPINGS",
    "NODE_DISPLAY_NAME_MAPPINGS",
    "Prepared",
    "VAE",
    "approximate_vae",
    "load_vae",
    "centre_crop",
    "dilate",
    "grow_mask",
    "neutralise",
    "offset_mask",
    "prepare",
    "prepare_comfy",
    "prepare_was",
]
