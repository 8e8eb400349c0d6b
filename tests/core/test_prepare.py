"""Parity with the seeds' formulation over random sizes, amounts, batches and soft masks."""

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from inpaint_core import GROW_MASK_BY, MASK_OFFSET, prepare_comfy, prepare_was
from tests.reference import comfy_reference, was_reference


@st.composite
def image_and_mask(draw, min_size=8):
    """Pixels (B, H, W, 3) and a soft or hard mask, possibly of another size or a batch of 1."""
    seed = draw(st.integers(0, 2**31 - 1))
    gen = torch.Generator().manual_seed(seed)
    batch = draw(st.integers(1, 3))
    height, width = draw(st.integers(min_size, 70)), draw(st.integers(min_size, 70))
    mask_batch = draw(st.sampled_from([1, batch]))
    same_size = draw(st.booleans())
    mask_h = height if same_size else draw(st.integers(1, 80))
    mask_w = width if same_size else draw(st.integers(1, 80))
    pixels = torch.rand(batch, height, width, 3, generator=gen)
    mask = torch.rand(mask_batch, mask_h, mask_w, generator=gen)
    if draw(st.booleans()):  # hard mask of blobs
        mask = (mask > draw(st.floats(0.5, 0.99))).float()
    if mask_batch == 1 and draw(st.booleans()):
        mask = mask[0]  # (H, W)
    return pixels, mask


def assert_same(ours, reference, pixels_in, mask_in, pixels_before, mask_before):
    ref_pixels, ref_noise = reference
    assert ours.pixels.shape == ref_pixels.shape
    assert ours.noise_mask.shape == ref_noise.shape
    assert torch.equal(ours.noise_mask, ref_noise)
    torch.testing.assert_close(ours.pixels, ref_pixels, atol=1e-6, rtol=0)
    assert torch.equal(pixels_in, pixels_before) and torch.equal(mask_in, mask_before)


@settings(max_examples=150, deadline=None)
@given(
    data=image_and_mask(), grow=st.integers(GROW_MASK_BY.min, GROW_MASK_BY.max), ratio=st.sampled_from([8, 16, 1, 5])
)
def test_comfy_matches_seed(data, grow, ratio):
    pixels, mask = data
    if min(pixels.shape[1:3]) < ratio:
        return
    before = pixels.clone(), mask.clone()
    ours = prepare_comfy(pixels, mask, grow, ratio)
    assert_same(ours, comfy_reference(pixels, mask, grow, ratio), pixels, mask, *before)


@settings(max_examples=150, deadline=None)
@given(data=image_and_mask(), offset=st.integers(MASK_OFFSET.min, MASK_OFFSET.max))
def test_was_matches_seed(data, offset):
    pixels, mask = data
    before = pixels.clone(), mask.clone()
    ours = prepare_was(pixels, mask, offset)
    assert_same(ours, was_reference(pixels, mask, offset), pixels, mask, *before)


@settings(max_examples=40, deadline=None)
@given(data=image_and_mask(), offset=st.integers(-12, 12))
def test_was_small_offsets_match_seed(data, offset):
    """Small offsets leave some of a small mask standing: the cases where erosion has work to do."""
    pixels, mask = data
    assert_same(prepare_was(pixels, mask, offset), was_reference(pixels, mask, offset), pixels, mask, pixels, mask)


def test_even_grow_is_asymmetric():
    """grow_mask_by=4 grows a single pixel 1 px up/left and 2 px down/right, as the seed's padding does."""
    mask = torch.zeros(1, 16, 16)
    mask[0, 8, 8] = 1
    noise = prepare_comfy(torch.rand(1, 16, 16, 3), mask, 4).noise_mask[0, 0]
    rows, cols = noise.nonzero(as_tuple=True)
    assert (rows.min().item(), rows.max().item()) == (7, 10)
    assert (cols.min().item(), cols.max().item()) == (7, 10)


def test_comfy_neutralises_with_original_mask_was_with_offset():
    mask = torch.zeros(1, 16, 16)
    mask[0, 4:12, 4:12] = 1
    pixels = torch.rand(1, 16, 16, 3)
    comfy = prepare_comfy(pixels, mask, 8)
    was = prepare_was(pixels, mask, 2)
    assert comfy.neutralise_mask.sum() == 64 and comfy.noise_mask.sum() > 64
    assert torch.equal(was.neutralise_mask, was.noise_mask) and was.noise_mask.sum() == 12 * 12
    assert torch.all(was.pixels[0, 2:14, 2:14] == 0.5)


def test_was_crops_to_8_even_for_ratio_16():
    pixels, mask = torch.rand(1, 40, 56, 3), torch.zeros(1, 40, 56)
    assert prepare_comfy(pixels, mask, 6, downscale_ratio=16).pixels.shape[1:3] == (32, 48)
    assert prepare_was(pixels, mask, 6).pixels.shape[1:3] == (40, 56)
