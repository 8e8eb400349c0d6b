"""The ComfyUI node classes: the seeds' interface, and the LATENT they return."""

import pytest
import torch

import inpaint_core
from inpaint_core.nodes import NODE_CLASS_MAPPINGS, VAEEncodeForInpaint, WAS_VAEEncodeForInpaint
from tests.reference import comfy_reference, was_reference


class AveragePoolVAE:
    """A stand-in VAE: r×r average pooling, recording what it was handed."""

    def __init__(self, downscale_ratio=8):
        self.downscale_ratio = downscale_ratio
        self.seen = None

    def encode(self, pixels):
        self.seen = pixels
        return torch.nn.functional.avg_pool2d(pixels.movedim(-1, 1), self.downscale_ratio)


def test_interface_matches_seeds():
    comfy, was = VAEEncodeForInpaint, WAS_VAEEncodeForInpaint
    assert comfy.INPUT_TYPES()["required"]["grow_mask_by"] == ("INT", {"default": 6, "min": 0, "max": 64, "step": 1})
    assert was.INPUT_TYPES()["required"]["mask_offset"] == ("INT", {"default": 6, "min": -128, "max": 128, "step": 1})
    for node in (comfy, was):
        assert list(node.INPUT_TYPES()["required"])[:3] == ["pixels", "vae", "mask"]
        assert (node.RETURN_TYPES, node.FUNCTION, node.CATEGORY) == (("LATENT",), "encode", "latent/inpaint")


def test_registered_under_keys_of_their_own():
    assert set(NODE_CLASS_MAPPINGS).isdisjoint({"VAEEncodeForInpaint", "WAS_VAEEncodeForInpaint"})
    assert set(inpaint_core.NODE_DISPLAY_NAME_MAPPINGS) == set(NODE_CLASS_MAPPINGS)


def test_nodes_return_the_seeds_latent():
    pixels = torch.rand(2, 45, 67, 3)
    mask = (torch.rand(2, 30, 30) > 0.8).float()
    for node, reference, amount, ratio in [
        (VAEEncodeForInpaint(), comfy_reference, 7, 16),
        (WAS_VAEEncodeForInpaint(), was_reference, -3, 16),
    ]:
        vae = AveragePoolVAE(ratio)
        (latent,) = node.encode(vae, pixels, mask, amount)
        ref_pixels, ref_noise = (
            reference(pixels, mask, amount, ratio) if reference is comfy_reference else reference(pixels, mask, amount)
        )
        torch.testing.assert_close(vae.seen, ref_pixels, atol=1e-6, rtol=0)
        assert torch.equal(latent["noise_mask"], ref_noise)
        assert latent["samples"].shape == (2, 3, ref_pixels.shape[1] // ratio, ref_pixels.shape[2] // ratio)


def test_was_node_refuses_a_crop_smaller_than_the_vae_ratio():
    vae = AveragePoolVAE(16)
    with pytest.raises(ValueError, match=r"20x12 crop to 16x8 .*downscale ratio 16"):
        WAS_VAEEncodeForInpaint().encode(vae, torch.rand(1, 12, 20, 3), torch.zeros(1, 12, 20), 6)
    assert vae.seen is None  # refused before the VAE
