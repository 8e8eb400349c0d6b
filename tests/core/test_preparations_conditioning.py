"""InpaintModelConditioning and VAEEncode + SetLatentNoiseMask: bit-for-bit parity with the nodes' code."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from inpaint_core import approximate_vae
from inpaint_core.preparations.conditioning import inpaint_model_conditioning, vae_encode_with_noise_mask
from tests.reference_preparations import inpaint_model_conditioning_reference, vae_encode_set_noise_mask_reference


@st.composite
def image_and_mask(draw):
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    batch = draw(st.integers(1, 3))
    height, width = draw(st.integers(16, 60)), draw(st.integers(16, 60))
    same_size = draw(st.booleans())
    mask_h, mask_w = (height, width) if same_size else (draw(st.integers(1, 70)), draw(st.integers(1, 70)))
    mask = torch.rand(draw(st.sampled_from([1, batch])), mask_h, mask_w, generator=gen)
    if draw(st.booleans()):
        mask = (mask > 0.6).float()
    if mask.shape[0] == 1 and draw(st.booleans()):
        mask = mask[0]
    return torch.rand(batch, height, width, 3, generator=gen), mask


def assert_equal_dicts(ours: dict, reference: dict):
    assert ours.keys() == reference.keys()
    for key in ours:
        assert torch.equal(ours[key], reference[key]), key


@settings(max_examples=120, deadline=None)
@given(data=image_and_mask(), ratio=st.sampled_from([8, 16, 1, 5]), noise_mask=st.booleans())
def test_inpaint_model_conditioning_matches_the_node(stand_in_vae, data, ratio, noise_mask):
    pixels, mask = data
    vae = stand_in_vae(ratio)
    before = pixels.clone(), mask.clone()
    ours = inpaint_model_conditioning(pixels, mask, vae, noise_mask)
    values, latent, concat_pixels = inpaint_model_conditioning_reference(pixels, mask, vae.encode, ratio, noise_mask)
    assert torch.equal(ours.concat_pixels, concat_pixels)
    assert_equal_dicts(ours.conditioning_values, values)
    assert_equal_dicts(ours.latent, latent)
    assert ("noise_mask" in ours.latent) == noise_mask
    assert torch.equal(pixels, before[0]) and torch.equal(mask, before[1])


@settings(max_examples=60, deadline=None)
@given(data=image_and_mask(), ratio=st.sampled_from([8, 16, 3]))
def test_vae_encode_with_noise_mask_matches_the_nodes(stand_in_vae, data, ratio):
    pixels, mask = data
    vae = stand_in_vae(ratio)
    assert_equal_dicts(
        vae_encode_with_noise_mask(pixels, mask, vae),
        vae_encode_set_noise_mask_reference(pixels, mask, vae.encode, ratio),
    )


def test_without_a_vae_the_pixels_and_masks_come_alone():
    pixels, mask = torch.rand(1, 20, 28, 3), torch.rand(20, 28)
    ours = inpaint_model_conditioning(pixels, mask)
    assert ours.concat_latent is None and ours.latent["samples"] is None
    assert ours.concat_pixels.shape == (1, 16, 24, 3) and ours.latent["noise_mask"].shape == (1, 1, 16, 24)
    grey = ours.concat_pixels[0][ours.concat_mask[0, 0].round() == 1]
    assert torch.all(grey == 0.5)
    assert vae_encode_with_noise_mask(pixels, mask)["samples"] is None


def test_a_real_vae_gives_the_nodes_latents():
    vae = approximate_vae()
    pixels, mask = torch.rand(2, 37, 45, 3), (torch.rand(1, 37, 45) > 0.5).float()
    ours = inpaint_model_conditioning(pixels, mask, vae)
    values, latent, _ = inpaint_model_conditioning_reference(pixels, mask, vae.encode, vae.downscale_ratio)
    assert_equal_dicts(ours.conditioning_values, values)
    assert_equal_dicts(ours.latent, latent)


def test_bad_input(stand_in_vae):
    pixels = torch.rand(1, 16, 16, 3)
    with pytest.raises(ValueError, match="noise_mask"):
        inpaint_model_conditioning(pixels, torch.rand(16, 16), noise_mask="yes")
    with pytest.raises(ValueError, match="mask batch"):
        inpaint_model_conditioning(pixels, torch.rand(2, 16, 16))
    with pytest.raises(ValueError, match="vae"):
        vae_encode_with_noise_mask(pixels, torch.rand(16, 16), vae=object())
    with pytest.raises(ValueError, match="at least 32x32"):
        vae_encode_with_noise_mask(pixels, torch.rand(16, 16), vae=stand_in_vae(32))
