"""The other inpaint preparations users choose, each exact to its published source (named in each module).

- comfy_mask_nodes: ComfyUI's GrowMask, FeatherMask, ThresholdMask, each O(H·W) whatever its amount
  (grey_morphology: exact soft dilation and erosion by a diamond or a square).
- conditioning: InpaintModelConditioning; VAEEncode + SetLatentNoiseMask.
- acly: Acly's Fill Masked Area (neutral, telea, navier-stokes), Blur Masked Area, Expand Mask,
  VAE Encode & Inpaint Conditioning.
- differential: which latent cells DifferentialDiffusion lets the sampler repaint at each step.
- methods: every preparation by name, settings declared once (settings.py): `run_method`.
"""

from ..settings import Choice, Flag, Float, Int, check_settings
from .acly import blur_masked_area, expand_mask, fill_masked_area, vae_encode_inpaint_conditioning
from .comfy_mask_nodes import feather_mask, grow_mask, threshold_mask
from .conditioning import InpaintConditioning, inpaint_model_conditioning, vae_encode_with_noise_mask
from .differential import DifferentialView, differential_view, sampler_sigmas, step_thresholds
from .methods import METHODS, SEEDS, Method, Preparation, run_method

__all__ = [
    "METHODS",
    "SEEDS",
    "Choice",
    "DifferentialView",
    "Flag",
    "Float",
    "InpaintConditioning",
    "Int",
    "Method",
    "Preparation",
    "blur_masked_area",
    "check_settings",
    "differential_view",
    "expand_mask",
    "feather_mask",
    "fill_masked_area",
    "grow_mask",
    "inpaint_model_conditioning",
    "run_method",
    "sampler_sigmas",
    "step_thresholds",
    "threshold_mask",
    "vae_encode_inpaint_conditioning",
    "vae_encode_with_noise_mask",
]
