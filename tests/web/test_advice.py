"""The advice line: a button for an amount the slider does not hold, and no "Set …" once it holds it."""

import torch

from inpaint_core import approximate_vae
from inpaint_core.analysis.report import summary
from inpaint_core.compare import compare_methods
from web.advice import advice_html


def test_the_advice_speaks_of_the_amount_the_slider_holds():
    mask = torch.zeros(1, 48, 48)
    mask[:, 9:25, 9:25] = 1  # off the latent grid: ComfyUI needs a grow
    pixels, vae = torch.rand(1, 48, 48, 3), approximate_vae()
    before = summary(compare_methods(pixels, mask, vae, 0, 6))
    grow = before["recommendation"]["comfy"]["amount"]
    assert grow and f"Set grow_mask_by to {grow}: the smallest grow" in advice_html(before)
    assert f"data-slider='left-amount' data-amount='{grow}'" in advice_html(before)
    held = advice_html(summary(compare_methods(pixels, mask, vae, grow, 6)))
    assert f"grow_mask_by = {grow}, as recommended: the smallest grow" in held
    assert "Set grow_mask_by" not in held and "data-slider='left-amount'" not in held
