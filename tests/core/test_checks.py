"""Bad input raises ValueError naming the argument and what is allowed; nothing else escapes."""

import pytest
import torch

from inpaint_core import prepare, prepare_comfy, prepare_was

PIXELS = torch.rand(2, 32, 32, 3)
MASK = torch.zeros(2, 32, 32)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"grow_mask_by": 65}, r"grow_mask_by must be in \[0, 64\]"),
        ({"grow_mask_by": -1}, r"grow_mask_by must be in \[0, 64\]"),
        ({"grow_mask_by": 6.0}, "grow_mask_by must be an integer"),
        ({"grow_mask_by": True}, "grow_mask_by must be an integer"),
        ({"pixels": PIXELS[..., :2]}, "pixels must be .* RGB, got 2 channels"),
        ({"pixels": torch.rand(2, 32, 32, 4)}, "pixels must be .* RGB, got 4 channels"),  # the nodes take it
        ({"pixels": PIXELS[0]}, "pixels must have 4 dimensions"),
        ({"pixels": PIXELS.numpy()}, "pixels must be a torch.Tensor"),
        ({"pixels": (PIXELS * 255).to(torch.uint8)}, "pixels must be a floating-point tensor"),
        ({"pixels": torch.full((1, 32, 32, 3), float("nan"))}, "pixels holds NaN"),
        ({"pixels": torch.rand(1, 7, 32, 3)}, "pixels must be at least 8x8"),
        ({"mask": torch.zeros(3, 32, 32)}, "mask batch must be 1 or the image batch 2"),
        ({"mask": torch.full((32, 32), float("inf"))}, "mask holds NaN or infinite"),
        ({"mask": torch.full((32, 32), 1.5)}, r"mask values must lie in \[0, 1\]"),
        ({"mask": torch.zeros(1, 1, 32, 32)}, "mask must have 2 or 3 dimensions"),
        ({"mask": torch.zeros(0, 32)}, "mask is empty"),
        ({"downscale_ratio": 0}, "downscale_ratio must be a positive integer"),
    ],
)
def test_comfy_rejects(kwargs, message):
    args = {"pixels": PIXELS, "mask": MASK, "grow_mask_by": 6, "downscale_ratio": 8} | kwargs
    with pytest.raises(ValueError, match=message):
        prepare_comfy(**args)


@pytest.mark.parametrize("offset", [129, -129, 1.5, "6", None])
def test_was_rejects_offsets(offset):
    with pytest.raises(ValueError, match=r"mask_offset must be"):
        prepare_was(PIXELS, MASK, offset)


def test_unknown_method():
    with pytest.raises(ValueError, match="method must be one of"):
        prepare("lama", PIXELS, MASK, 6)


def test_image_smaller_than_ratio_16():
    with pytest.raises(ValueError, match="at least 16x16"):
        prepare_comfy(torch.rand(1, 12, 40, 3), torch.zeros(12, 40), 6, 16)


def test_mask_batch_of_one_broadcasts():
    mask = torch.zeros(1, 32, 32)
    mask[0, 10:20, 10:20] = 1
    result = prepare_comfy(PIXELS, mask, 6)
    assert result.pixels.shape == (2, 32, 32, 3)
    assert torch.all(result.pixels[:, 10:20, 10:20] == 0.5)


def test_was_crop_smaller_than_the_vae_ratio_names_both():
    """WAS crops 20x12 to 16x8, which a VAE of ratio 16 cannot encode: the error says so, not the VAE."""
    pixels, mask = torch.rand(1, 12, 20, 3), torch.zeros(1, 12, 20)
    for call in (lambda: prepare_was(pixels, mask, 6, 16), lambda: prepare("was", pixels, mask, 6, 16)):
        with pytest.raises(ValueError, match=r"crop to 16x8 .*downscale ratio 16"):
            call()
    assert prepare_was(pixels, mask, 6).pixels.shape[1:3] == (8, 16)  # no ratio given: as before
    assert prepare_was(pixels, mask, 6, 8).pixels.shape[1:3] == (8, 16)
    assert prepare_was(torch.rand(1, 24, 40, 3), torch.zeros(24, 40), 6, 16).pixels.shape[1:3] == (24, 40)
