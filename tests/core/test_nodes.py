"""The ComfyUI node classes: the seeds' interface, and the LATENT they return."""

import functools

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

import inpaint_core
from inpaint_core.nodes import NODE_CLASS_MAPPINGS, VAEEncodeForInpaint, WAS_VAEEncodeForInpaint
from tests.reference import comfy_reference, was_reference


@pytest.fixture(scope="session")
def node_vae(stand_in_vae):
    """Makes the stand-in VAE (conftest) as ComfyUI 0.8's VAE.encode behaves: r×r average pooling of the first
    three channels only, recording what it was handed."""
    return functools.partial(stand_in_vae, channels=3)


def without_tooltips(input_types: dict) -> dict:
    return {
        name: (kind, {k: v for k, v in opts.items() if k != "tooltip"}) for name, (kind, opts) in input_types.items()
    }


def test_interface_matches_seeds():
    comfy = without_tooltips(VAEEncodeForInpaint.INPUT_TYPES()["required"])
    was = without_tooltips(WAS_VAEEncodeForInpaint.INPUT_TYPES()["required"])
    assert comfy["grow_mask_by"] == ("INT", {"default": 6, "min": 0, "max": 64, "step": 1})
    assert was["mask_offset"] == ("INT", {"default": 6, "min": -128, "max": 128, "step": 1})
    for node, required in ((VAEEncodeForInpaint, comfy), (WAS_VAEEncodeForInpaint, was)):
        assert list(required)[:3] == ["pixels", "vae", "mask"]
        assert [kind for kind, _ in required.values()] == ["IMAGE", "VAE", "MASK", "INT"]
        assert (node.RETURN_TYPES, node.FUNCTION, node.CATEGORY) == (("LATENT",), "encode", "latent/inpaint")


def test_every_input_has_a_tooltip_and_the_amounts_say_which_way_the_mask_moves():
    for node in (VAEEncodeForInpaint, WAS_VAEEncodeForInpaint):
        for name, (_, options) in node.INPUT_TYPES()["required"].items():
            assert len(options.get("tooltip", "")) > 30, f"{node.__name__}.{name} has no tooltip"
        assert len(node.OUTPUT_TOOLTIPS) == len(node.RETURN_TYPES) and node.DESCRIPTION
    grow = VAEEncodeForInpaint.INPUT_TYPES()["required"]["grow_mask_by"][1]["tooltip"]
    offset = WAS_VAEEncodeForInpaint.INPUT_TYPES()["required"]["mask_offset"][1]["tooltip"]
    assert "noise mask only" in grow and "never shrinks" in grow and "k//2" in grow
    assert "positive grows" in offset and "negative shrinks" in offset


def test_registered_under_keys_of_their_own():
    assert set(NODE_CLASS_MAPPINGS).isdisjoint({"VAEEncodeForInpaint", "WAS_VAEEncodeForInpaint"})
    assert set(inpaint_core.NODE_DISPLAY_NAME_MAPPINGS) == set(NODE_CLASS_MAPPINGS)


def test_nodes_return_the_seeds_latent(node_vae):
    pixels = torch.rand(2, 45, 67, 3)
    mask = (torch.rand(2, 30, 30) > 0.8).float()
    for node, reference, amount, ratio in [
        (VAEEncodeForInpaint(), comfy_reference, 7, 16),
        (WAS_VAEEncodeForInpaint(), was_reference, -3, 16),
    ]:
        vae = node_vae(ratio)
        (latent,) = node.encode(vae, pixels, mask, amount)
        ref_pixels, ref_noise = (
            reference(pixels, mask, amount, ratio) if reference is comfy_reference else reference(pixels, mask, amount)
        )
        torch.testing.assert_close(vae.seen, ref_pixels, atol=1e-6, rtol=0)
        assert torch.equal(latent["noise_mask"], ref_noise)
        assert latent["samples"].shape == (2, 3, ref_pixels.shape[1] // ratio, ref_pixels.shape[2] // ratio)


def test_was_node_refuses_a_crop_smaller_than_the_vae_ratio(node_vae):
    vae = node_vae(16)
    with pytest.raises(ValueError, match=r"20x12 crop to 16x8 .*downscale ratio 16"):
        WAS_VAEEncodeForInpaint().encode(vae, torch.rand(1, 12, 20, 3), torch.zeros(1, 12, 20), 6)
    assert vae.seen is None  # refused before the VAE


def node_and_seed(node_vae, method: str, pixels, mask, amount, ratio=8):
    """(LATENT of our node, pixels its VAE was handed, the seed's pixels and noise mask)."""
    vae = node_vae(ratio)
    if method == "comfy":
        (latent,) = VAEEncodeForInpaint().encode(vae, pixels, mask, amount)
        return latent, vae.seen, *comfy_reference(pixels, mask, amount, ratio)
    (latent,) = WAS_VAEEncodeForInpaint().encode(vae, pixels, mask, amount)
    return latent, vae.seen, *was_reference(pixels, mask, amount)


def assert_node_matches_seed(node_vae, method, pixels, mask, amount, ratio=8):
    latent, seen, ref_pixels, ref_noise = node_and_seed(node_vae, method, pixels, mask, amount, ratio)
    assert torch.equal(latent["noise_mask"], ref_noise)
    torch.testing.assert_close(seen, ref_pixels, atol=1e-6, rtol=0)
    torch.testing.assert_close(latent["samples"], F.avg_pool2d(ref_pixels[..., :3].movedim(-1, 1), ratio))


def bicubic_mask(height=40, width=56) -> torch.Tensor:
    """A hard mask of rectangles resized bicubically, as ImageScale does to a mask image: it overshoots [0, 1]."""
    small = torch.zeros(1, 1, 10, 14)
    small[..., 2:6, 3:9] = 1
    small[..., 7:9, 10:13] = 1
    return F.interpolate(small, size=(height, width), mode="bicubic")[:, 0]


@pytest.mark.parametrize(
    ("method", "amount"), [("comfy", 0), ("comfy", 6), ("comfy", 9), ("was", 0), ("was", 5), ("was", -3)]
)
def test_nodes_take_a_bicubic_mask_as_the_seeds_do(node_vae, method, amount):
    mask = bicubic_mask()
    assert mask.min() < -0.1 and mask.max() > 1.1  # the case: values outside [0, 1]
    assert_node_matches_seed(node_vae, method, torch.rand(1, 43, 61, 3), mask, amount)


@pytest.mark.parametrize(("method", "amount"), [("comfy", 0), ("comfy", 6), ("was", 0), ("was", 4), ("was", -2)])
def test_nodes_take_rgba_as_the_seeds_do(node_vae, method, amount):
    """JoinImageWithAlpha's 4 channels: the first three neutralised, the fourth handed on untouched."""
    pixels, mask = torch.rand(2, 40, 48, 4), (torch.rand(2, 40, 48) > 0.7).float()
    latent, seen, ref_pixels, _ = node_and_seed(node_vae, method, pixels, mask, amount)
    assert seen.shape[-1] == 4 and torch.equal(seen[..., 3], pixels[..., 3])
    assert_node_matches_seed(node_vae, method, pixels, mask, amount)
    rgb_latent, *_ = node_and_seed(node_vae, method, pixels[..., :3].contiguous(), mask, amount)
    assert torch.equal(latent["samples"], rgb_latent["samples"])


@st.composite
def any_mask(draw):
    """Pixels, and a mask of any finite values and rank 2 to 4, possibly of another size: rounded, its
    values may be -2 … 3, so dilation sums can cancel and pixels can be inverted about 0.5."""
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    batch, height, width = draw(st.integers(1, 2)), draw(st.integers(8, 40)), draw(st.integers(8, 40))
    mask_h, mask_w = draw(st.sampled_from([(height, width), (draw(st.integers(1, 30)), draw(st.integers(1, 30)))]))
    low, high = draw(st.floats(-2.5, 0.4)), draw(st.floats(0.6, 3.5))
    mask = low + (high - low) * torch.rand(draw(st.sampled_from([1, batch])), mask_h, mask_w, generator=gen)
    shape = draw(st.sampled_from(["bhw", "b1hw", "hw"]))
    if shape == "b1hw":
        mask = mask[:, None]
    elif shape == "hw":
        mask = mask[0]
    channels = draw(st.sampled_from([3, 4]))
    return torch.rand(batch, height, width, channels, generator=gen), mask


@settings(max_examples=60, deadline=None)
@given(data=any_mask(), grow=st.integers(0, 64), offset=st.integers(-128, 128), ratio=st.sampled_from([8, 16]))
def test_nodes_match_the_seeds_on_any_finite_mask(node_vae, data, grow, offset, ratio):
    pixels, mask = data
    before = pixels.clone(), mask.clone()
    if min(pixels.shape[1:3]) >= ratio:
        assert_node_matches_seed(node_vae, "comfy", pixels, mask, grow, ratio)
    assert_node_matches_seed(node_vae, "was", pixels, mask, offset)
    assert torch.equal(pixels, before[0]) and torch.equal(mask, before[1])


@pytest.mark.parametrize(
    ("pixels", "mask", "message"),
    [
        (torch.rand(1, 16, 16, 2), torch.zeros(16, 16), "at least 3 channels"),
        (torch.rand(1, 16, 16, 3), torch.zeros(16), "mask must have at least 2 dimensions"),
        (torch.rand(1, 16, 16, 3), torch.zeros(3, 16, 16), "mask batch must be 1 or the image batch 1"),
        (torch.rand(1, 16, 16, 3), torch.full((16, 16), float("nan")), "mask holds NaN"),
        (torch.rand(1, 4, 16, 3), torch.zeros(16, 16), "at least 8x8"),
    ],
)
def test_nodes_refuse_what_the_seeds_cannot_do(node_vae, pixels, mask, message):
    for node in (VAEEncodeForInpaint(), WAS_VAEEncodeForInpaint()):
        with pytest.raises(ValueError, match=message):
            node.encode(node_vae(), pixels, mask, 6)
