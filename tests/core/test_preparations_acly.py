"""Acly's Fill Masked Area, Blur Masked Area and Expand Mask beside the nodes' code (tests/reference_preparations.py).

Exact where the node is (masks, grey fill, OpenCV fills); to float32 rounding where it blurs.
"""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from inpaint_core.preparations.acly import (
    BLUR,
    FALLOFF,
    GROW,
    blur_masked_area,
    expand_mask,
    fill_masked_area,
    vae_encode_inpaint_conditioning,
)
from tests.reference_preparations import (
    blur_masked_area_reference,
    expand_mask_reference,
    fill_masked_area_reference,
    inpaint_model_conditioning_reference,
)

BLUR_TOLERANCE = {"atol": 2e-6, "rtol": 0}  # float32 sums in another order than kornia's


@st.composite
def image_and_mask(draw, min_side=1, max_side=48, same_batch=True):
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    batch = draw(st.integers(1, 2))
    height, width = draw(st.integers(min_side, max_side)), draw(st.integers(min_side, max_side))
    mask = torch.rand(batch if same_batch else draw(st.sampled_from([1, batch])), height, width, generator=gen)
    kind = draw(st.sampled_from(["soft", "hard", "near one"]))
    if kind == "hard":
        mask = (mask > 0.6).float()
    elif kind == "near one":  # values about the node's 0.99 floor
        mask = 0.98 + 0.02 * mask
    if mask.shape[0] == 1 and draw(st.booleans()):
        mask = mask[0]
    return torch.rand(batch, height, width, 3, generator=gen), mask


@settings(max_examples=60, deadline=None)
@given(
    data=image_and_mask(min_side=2),
    falloff=st.integers(0, 9),
    fill=st.sampled_from(["neutral", "telea", "navier-stokes"]),
)
def test_fill_matches_the_node(data, falloff, fill):
    image, mask = data
    falloff = min(falloff, 2 * min(image.shape[1:3]) - 1)  # kornia's reflected border needs the radius inside
    before = image.clone()
    ours, reference = (
        fill_masked_area(image, mask, fill, falloff),
        fill_masked_area_reference(image, mask, fill, falloff),
    )
    if falloff == 0:
        assert torch.equal(ours, reference)
    elif fill == "neutral":
        torch.testing.assert_close(ours, reference, **BLUR_TOLERANCE)
    else:  # OpenCV sees 8-bit alpha: a blur rounding may move a value across a level, changing its fill
        assert (ours - reference).abs().gt(1e-5).float().mean() < 0.05
    assert torch.equal(image, before)


@settings(max_examples=40, deadline=None)
@given(data=image_and_mask(min_side=20, same_batch=False), blur=st.integers(3, 39), falloff=st.integers(0, 15))
def test_blur_matches_the_node(data, blur, falloff):
    image, mask = data
    ours, reference = (
        blur_masked_area(image, mask, blur, falloff),
        blur_masked_area_reference(image, mask, blur, falloff),
    )
    torch.testing.assert_close(ours, reference, **BLUR_TOLERANCE)


@settings(max_examples=60, deadline=None)
@given(
    data=image_and_mask(min_side=16),
    grow=st.one_of(st.integers(0, 20), st.just(60)),
    blur=st.integers(0, 31),
    blur_type=st.sampled_from(["gaussian", "box", "linear"]),
)
def test_expand_matches_the_node(data, grow, blur, blur_type):
    _, mask = data
    ours, reference = expand_mask(mask, grow, blur, blur_type), expand_mask_reference(mask, grow, blur, blur_type)
    if blur <= 1:  # made odd, 2 becomes 3: a blur
        assert torch.equal(ours, reference)
    else:
        torch.testing.assert_close(ours, reference, **BLUR_TOLERANCE)


def test_expand_grow_is_exact_at_any_amount():
    mask = torch.zeros(1, 30, 41)
    mask[0, 3, 5] = 0.25
    grown = expand_mask(mask, GROW.max, 0)
    assert torch.equal(grown, torch.ones(1, 30, 41))
    assert torch.equal(expand_mask(mask, 4, 0), expand_mask_reference(mask, 4, 0, "gaussian"))


def test_inpaint_conditioning_latents():
    class Pool:
        downscale_ratio = 8

        def encode(self, pixels):
            return torch.nn.functional.avg_pool2d(pixels.movedim(-1, 1), 8)

    pixels, mask = torch.rand(1, 35, 42, 3), torch.rand(35, 42)
    out = vae_encode_inpaint_conditioning(pixels, mask, Pool())
    values, latent, _ = inpaint_model_conditioning_reference(pixels, mask, Pool().encode, 8)
    assert torch.equal(out["latent_inpaint"]["samples"], values["concat_latent_image"])
    assert torch.equal(out["latent_inpaint"]["noise_mask"], latent["noise_mask"].round())
    assert torch.equal(out["latent_samples"]["samples"], latent["samples"])


def test_bad_input():
    image = torch.rand(1, 20, 20, 3)
    with pytest.raises(ValueError, match="fill"):
        fill_masked_area(image, torch.rand(20, 20), "lama")
    with pytest.raises(ValueError, match="same size"):
        fill_masked_area(image, torch.rand(20, 21))
    with pytest.raises(ValueError, match="batch"):
        fill_masked_area(torch.rand(2, 20, 20, 3), torch.rand(1, 20, 20))
    with pytest.raises(ValueError, match="blur"):
        blur_masked_area(image, torch.rand(20, 20), BLUR.min - 1)
    with pytest.raises(ValueError, match="needs an image"):
        blur_masked_area(image, torch.rand(20, 20), 255)
    with pytest.raises(ValueError, match="falloff"):
        fill_masked_area(image, torch.rand(20, 20), falloff=FALLOFF.max + 1)


def test_reference_blurs_match_kornia():
    """The reference's kornia formulas beside kornia itself, where it is installed (it is not a dependency)."""
    kornia = pytest.importorskip("kornia")
    from tests.reference_preparations import binary_dilation_reference, gaussian_blur_reference, mask_blur_reference

    x = torch.rand(2, 3, 40, 33)
    for size in (3, 7, 31):
        sigma = 0.3 * (size - 1) + 0.8
        expected = kornia.filters.gaussian_blur2d(x, (size, size), (sigma, sigma))
        torch.testing.assert_close(gaussian_blur_reference(x, size), expected, **BLUR_TOLERANCE)
        for kernel in (torch.ones(1, size) / size,):
            expected = kornia.filters.filter2d_separable(x[:, :1], kernel, kernel, border_type="reflect")
            torch.testing.assert_close(mask_blur_reference(x[:, :1], size, "box"), expected, **BLUR_TOLERANCE)
    mask = (x[:, :1] > 0.9).float()
    ones = torch.ones(1, 9)
    expected = (kornia.filters.filter2d_separable(mask, ones, ones, border_type="constant") > 0).float()
    assert torch.equal(binary_dilation_reference(mask, 4), expected)
