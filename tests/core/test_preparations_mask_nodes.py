"""ComfyUI's GrowMask, FeatherMask and ThresholdMask: bit-for-bit parity with the nodes' own loops."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from inpaint_core.preparations.comfy_mask_nodes import (
    EXPAND,
    FEATHER_SIDES,
    feather_mask,
    grow_mask,
    threshold_mask,
)
from inpaint_core.preparations.grey_morphology import CROSS_STEPS_MAX
from tests.reference_preparations import feather_mask_reference, grow_mask_reference, threshold_mask_reference


@st.composite
def masks(draw, max_side=40):
    """A soft, hard or nearly constant mask: (H, W) or (B, H, W), odd and even sizes down to 1 px."""
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    batch = draw(st.sampled_from([None, 1, 3]))
    height, width = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    mask = torch.rand(batch or 1, height, width, generator=gen)
    kind = draw(st.sampled_from(["soft", "hard", "levels", "ones"]))
    if kind == "hard":
        mask = (mask > draw(st.floats(0.3, 0.99))).float()
    elif kind == "levels":  # few distinct values: ties everywhere
        mask = (mask * 4).floor() / 4
    elif kind == "ones":
        mask = torch.ones_like(mask)
    return mask[0] if batch is None else mask


# near 0, around the switch to the turned grid, past the image, and the node's extremes
expands = st.one_of(
    st.integers(-12, 12),
    st.integers(CROSS_STEPS_MAX - 1, CROSS_STEPS_MAX + 2).map(lambda n: n * (1 if n % 2 else -1)),
    st.integers(-90, 90),
    st.sampled_from([EXPAND.min, EXPAND.max]),
)


@settings(max_examples=200, deadline=None)
@given(mask=masks(), expand=expands, tapered=st.booleans())
def test_grow_mask_matches_the_node(mask, expand, tapered):
    before = mask.clone()
    steps = max(-80, min(expand, 80))  # the loop beyond 80 px: the same as 80 on images of <= 40 px
    assert torch.equal(grow_mask(mask, expand, tapered), grow_mask_reference(mask, steps, tapered))
    assert torch.equal(mask, before)


def test_grow_mask_large_image_both_shapes():
    gen = torch.Generator().manual_seed(3)
    mask = (torch.rand(1, 70, 53, generator=gen) > 0.97).float() * torch.rand(1, 70, 53, generator=gen)
    for expand in (CROSS_STEPS_MAX + 1, 23, -17):
        for tapered in (True, False):
            assert torch.equal(grow_mask(mask, expand, tapered), grow_mask_reference(mask, expand, tapered))


def test_grow_mask_shapes_and_errors():
    assert grow_mask(torch.zeros(5, 6), 2).shape == (1, 5, 6)
    assert grow_mask(torch.zeros(2, 5, 6), 0).shape == (2, 5, 6)
    with pytest.raises(ValueError, match="expand"):
        grow_mask(torch.zeros(5, 6), EXPAND.max + 1)
    with pytest.raises(ValueError, match="tapered_corners"):
        grow_mask(torch.zeros(5, 6), 1, tapered_corners=1)
    with pytest.raises(ValueError, match="mask"):
        grow_mask(torch.zeros(5), 1)


sides = st.one_of(st.integers(0, 45), st.sampled_from([FEATHER_SIDES[0].max]))


@settings(max_examples=200, deadline=None)
@given(mask=masks(), left=sides, top=sides, right=sides, bottom=sides)
def test_feather_mask_matches_the_node(mask, left, top, right, bottom):
    before = mask.clone()
    ours = feather_mask(mask, left, top, right, bottom)
    assert torch.equal(ours, feather_mask_reference(mask, left, top, right, bottom))
    assert torch.equal(mask, before)


def test_feather_mask_keeps_the_nodes_column_zero():
    """The node's right loop scales column 0 by 1/right (its -0 index): kept, as the node does it."""
    out = feather_mask(torch.ones(4, 10), 0, 0, 4, 0)[0, 0]
    assert out[0].item() == pytest.approx(0.25) and out[-1].item() == pytest.approx(0.5)
    assert out[5].item() == 1.0


def test_feather_mask_float64():
    mask = torch.rand(2, 9, 13, dtype=torch.float64)
    assert torch.equal(feather_mask(mask, 3, 5, 7, 11), feather_mask_reference(mask, 3, 5, 7, 11))


@settings(max_examples=100, deadline=None)
@given(mask=masks(), value=st.one_of(st.floats(0, 1), st.sampled_from([0.0, 0.1, 0.5, 1.0])))
def test_threshold_mask_matches_the_node(mask, value):
    assert torch.equal(threshold_mask(mask, value), threshold_mask_reference(mask, value))


def test_threshold_mask_range():
    with pytest.raises(ValueError, match="value"):
        threshold_mask(torch.zeros(3, 3), 1.5)
