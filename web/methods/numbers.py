"""Numbers for any preparation on the page or through the API: its noise mask, the drift the VAE makes where
the mask is 0, the latent cells DifferentialDiffusion lets the sampler repaint at the start, middle and end
of a run, and the cells each sampler (ComfyUI, diffusers, Fooocus) repaints wholly or in part."""

import torch

from inpaint_core.analysis.cells import psnr_outside
from inpaint_core.analysis.samplers import BACKEND_TITLES, BACKENDS, latent_view
from inpaint_core.compare import MethodResult
from inpaint_core.preparations import DifferentialView
from inpaint_core.preparations.differential import STAGES
from inpaint_core.preparations.methods import noise_mask_over_encoded as mask_over_encoded


def stage_label(view: DifferentialView, stage: str) -> str:
    """'end (step 20, mask >= 0.000)': the step and DifferentialDiffusion's threshold there (the last model
    call's is 0 where the run's last sigma is the model's smallest, so every cell is repainted a little)."""
    step = view.steps[stage]
    return f"{stage} (step {step + 1}, mask >= {float(view.thresholds[step]):.3f})"


def encoded_ratio(result: MethodResult) -> int:
    """Pixels per latent cell: the encoded crop's height over the latent's."""
    return result.preparation.encoded.shape[1] // result.latent.latents.shape[-2]


def drift(result: MethodResult) -> float | None:
    """PSNR (dB) of the decoded latent against the encoded pixels where the noise mask is 0: what the
    VAE alone changes in the part the sampler keeps; None without a noise mask or where it covers all."""
    mask = mask_over_encoded(result.preparation)
    if mask is None:
        return None
    return psnr_outside(result.latent.squared_error.cpu(), (mask > 0).to(torch.uint8))


def sampler_views(result: MethodResult) -> dict[str, dict[str, int]]:
    """Per backend (inpaint_core.analysis.samplers.BACKENDS): the latent cells its sampler repaints wholly (its view
    is 1) and in part (between 0 and 1), from the noise mask over the encoded pixels."""
    mask, ratio = mask_over_encoded(result.preparation), encoded_ratio(result)
    views = {backend: latent_view(mask, ratio, backend) for backend in BACKENDS}
    return {b: {"whole": int((v >= 1).sum()), "in_part": int(((v > 0) & (v < 1)).sum())} for b, v in views.items()}


def method_numbers(result: MethodResult) -> dict:
    """The numbers as /compare returns them for a method given by name."""
    preparation, view = result.preparation, result.view
    numbers = {
        "method": preparation.method,
        "settings": preparation.settings,
        "latent_shape": list(result.latent.latents.shape),
        "noise_mask": preparation.noise_mask is not None,
    }
    if preparation.noise_mask is None or view is None:
        return numbers
    sampler = view.mask[0, 0]
    return numbers | {
        "noise_mask_mean": float(preparation.noise_mask[0].float().mean()),
        "drift_psnr_db": drift(result),
        "soft_cells": int(((sampler > 0) & (sampler < 1)).sum()),
        "sampler_views": sampler_views(result),
        "denoise": result.denoise,
        "steps": len(view.thresholds),
        "cells_repainted": {
            stage: {
                "step": view.steps[stage] + 1,
                "threshold": float(view.thresholds[view.steps[stage]]),
                "cells": int(view.reached(stage)[0, 0].sum()),
            }
            for stage in STAGES
        },  # fmt: skip
    }


def numbers_line(result: MethodResult) -> str:
    """Noise-mask mean, drift outside it, soft cells, and the cells the sampler reaches at each stage."""
    numbers = method_numbers(result)
    if not numbers["noise_mask"]:
        return "No noise mask: the sampler repaints every latent cell."
    psnr = numbers["drift_psnr_db"]
    drift_text = "n/a (the mask covers every pixel)" if psnr is None else f"{psnr:.1f} dB"
    height, width = result.view.mask.shape[-2:]
    views = ", ".join(f"{BACKEND_TITLES[b]} {v['whole']} / {v['in_part']}" for b, v in numbers["sampler_views"].items())
    reached = " · ".join(
        f"{stage_label(result.view, stage)}: {numbers['cells_repainted'][stage]['cells']}" for stage in STAGES
    )
    return (
        f"noise mask mean {numbers['noise_mask_mean']:.4f} · drift outside the mask (PSNR, decoded against "
        f"encoded) {drift_text} · soft cells (0 < mask < 1 in the sampler's {height}×{width}) "
        f"{numbers['soft_cells']} · cells repainted with DifferentialDiffusion at denoise {result.denoise:g}, "
        f"{numbers['steps']} steps: {reached} · cells each sampler repaints, wholly / in part: {views}"
    )
