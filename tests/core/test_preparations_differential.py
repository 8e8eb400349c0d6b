"""DifferentialDiffusion's view of a soft mask: sigmas, thresholds and masks beside ComfyUI's own steps."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from inpaint_core.preparations.differential import (
    DENOISE,
    SAMPLING,
    SCHEDULER,
    STEPS,
    differential_view,
    sampler_sigmas,
)
from tests.reference_preparations import (
    DiscreteSampling,
    FlowSampling,
    FluxSampling,
    differential_diffusion_reference,
    set_steps_reference,
)

REFERENCE_SAMPLING = {
    "sd": DiscreteSampling(),
    "sd3": FlowSampling(3.0),
    "flux": FluxSampling(1.15),
    "flux2": FluxSampling(2.02),
}
denoises = st.one_of(st.floats(DENOISE.min, DENOISE.max), st.sampled_from([DENOISE.min, 0.5, 0.9999, DENOISE.max]))
steps_counts = st.one_of(st.integers(STEPS.min, 60), st.sampled_from([STEPS.min, 2, 3]))


@settings(max_examples=150, deadline=None)
@given(
    sampling=st.sampled_from(SAMPLING.options),
    scheduler=st.sampled_from(SCHEDULER.options),
    steps=steps_counts,
    denoise=denoises,
)
def test_sigmas_match_ksampler(sampling, scheduler, steps, denoise):
    ours = sampler_sigmas(sampling, scheduler, steps, denoise)
    reference = set_steps_reference(REFERENCE_SAMPLING[sampling], scheduler, steps, denoise)
    assert torch.equal(ours, reference)


def test_sigmas_at_the_ends_of_the_ranges():
    for sampling in SAMPLING.options:
        for steps in (STEPS.min, STEPS.max):
            ours = sampler_sigmas(sampling, "normal", steps, DENOISE.max)
            assert torch.equal(ours, set_steps_reference(REFERENCE_SAMPLING[sampling], "normal", steps, DENOISE.max))
        ours = sampler_sigmas(sampling, "simple", 30, DENOISE.min)  # 3000 steps, the last 31 kept
        assert torch.equal(ours, set_steps_reference(REFERENCE_SAMPLING[sampling], "simple", 30, DENOISE.min))


@st.composite
def soft_masks(draw):
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    batch, height, width = draw(st.integers(1, 2)), draw(st.integers(1, 50)), draw(st.integers(1, 50))
    mask = torch.rand(batch, height, width, generator=gen)
    if draw(st.booleans()):  # steps of 1/8: values equal to thresholds happen
        mask = (mask * 8).round() / 8
    return mask, (draw(st.integers(1, 12)), draw(st.integers(1, 12)))


@settings(max_examples=100, deadline=None)
@given(
    data=soft_masks(),
    sampling=st.sampled_from(SAMPLING.options),
    scheduler=st.sampled_from(SCHEDULER.options),
    steps=steps_counts,
    denoise=denoises,
    strength=st.one_of(st.floats(0, 1), st.sampled_from([0.0, 0.5, 1.0])),
)
def test_masks_match_differential_diffusion(data, sampling, scheduler, steps, denoise, strength):
    noise_mask, latent_size = data
    view = differential_view(noise_mask, latent_size, denoise, steps, scheduler, sampling, strength)
    reference = REFERENCE_SAMPLING[sampling]
    sigmas = set_steps_reference(reference, scheduler, steps, denoise)
    sampler_mask = torch.nn.functional.interpolate(noise_mask[:, None], size=latent_size, mode="bilinear")
    assert torch.equal(view.mask, sampler_mask)
    assert view.steps == {"start": 0, "middle": steps // 2, "end": steps - 1}
    for stage, step in view.steps.items():
        sigma = sigmas[step : step + 1]  # the model's sigma for the batch, (1,)
        expected = differential_diffusion_reference(reference, sigma, sampler_mask, sigmas, strength)
        assert torch.equal(view.masks[stage], expected), stage


def test_thresholds_fall_from_one():
    view = differential_view(torch.linspace(0, 1, 64).reshape(1, 8, 8), (8, 8), steps=20)
    assert view.thresholds[0] == 1 and torch.all(view.thresholds.diff() <= 0)
    reached = [view.reached(stage).sum().item() for stage in ("start", "middle", "end")]
    assert reached[0] < reached[1] < reached[2]


def test_bad_settings():
    with pytest.raises(ValueError, match="sampling"):
        sampler_sigmas("sdxl-turbo", "normal", 20, 1.0)
    with pytest.raises(ValueError, match="denoise"):
        sampler_sigmas("sd", "normal", 20, 0.0)
    with pytest.raises(ValueError, match="scheduler"):
        sampler_sigmas("sd", "beta", 20, 1.0)
