"""Each backend's view of the noise mask against a plain formulation of its published source."""

import math

import pytest
import torch
import torch.nn.functional as F

from inpaint_core.analysis.samplers import BACKENDS, comfyui_view, diffusers_view, fooocus_view, latent_view

SIZES = [(48, 64, 8), (56, 40, 8), (64, 48, 16), (72, 56, 16), (37, 29, 4)]


def random_mask(height: int, width: int, soft: bool, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    mask = torch.rand(height, width, generator=generator)
    return mask if soft else (mask > 0.6).float()


def bilinear_loop(mask: torch.Tensor, out_h: int, out_w: int) -> torch.Tensor:
    """torch's bilinear resize (align_corners=False) written out: half-pixel centres, clamped at 0."""

    def taps(size_in: int, size_out: int, index: int) -> list[tuple[int, float]]:
        source = max((index + 0.5) * size_in / size_out - 0.5, 0.0)
        low = int(math.floor(source))
        high = min(low + 1, size_in - 1)
        weight = source - low
        return [(low, 1 - weight), (high, weight)]

    out = torch.zeros(out_h, out_w, dtype=torch.float64)
    for i in range(out_h):
        for j in range(out_w):
            out[i, j] = sum(
                wy * wx * mask[y, x].item()
                for y, wy in taps(mask.shape[0], out_h, i)
                for x, wx in taps(mask.shape[1], out_w, j)
            )
    return out


@pytest.mark.parametrize(("height", "width", "ratio"), SIZES)
@pytest.mark.parametrize("soft", [False, True])
def test_comfyui_is_reshape_mask_bilinear(height, width, ratio, soft):
    """comfy/utils.py reshape_mask: interpolate(mask.reshape(-1, 1, H, W), latent size, bilinear)."""
    mask = random_mask(height, width, soft, seed=height + width)
    view = comfyui_view(mask, ratio)
    assert view.shape == (height // ratio, width // ratio)
    expected = bilinear_loop(mask, height // ratio, width // ratio)
    torch.testing.assert_close(view.double(), expected, atol=1e-5, rtol=0)  # torch computes the scale in float32


@pytest.mark.parametrize(("height", "width", "ratio"), SIZES)
@pytest.mark.parametrize("soft", [False, True])
def test_diffusers_is_the_pipelines_mask_processing(height, width, ratio, soft):
    """VaeImageProcessor as the inpaint pipelines build it, then prepare_mask_latents' interpolate."""
    from diffusers.image_processor import VaeImageProcessor

    processor = VaeImageProcessor(
        vae_scale_factor=ratio, do_normalize=False, do_binarize=True, do_convert_grayscale=True
    )
    mask = random_mask(height, width, soft, seed=height * width)
    condition = processor.preprocess(mask[None, None])  # height, width: the mask's, rounded down
    expected = F.interpolate(condition, size=(condition.shape[2] // ratio, condition.shape[3] // ratio))
    assert torch.equal(diffusers_view(mask[None, None], ratio), expected)


def test_diffusers_reads_the_top_left_pixel_of_each_cell():
    mask = random_mask(64, 48, soft=True, seed=3)
    view = diffusers_view(mask, 8)
    for i in range(8):
        for j in range(6):
            assert view[i, j] == (1.0 if mask[8 * i, 8 * j] >= 0.5 else 0.0)


@pytest.mark.parametrize(("height", "width", "ratio"), SIZES)
@pytest.mark.parametrize("soft", [False, True])
def test_fooocus_is_encode_vae_inpaint_latent_mask(height, width, ratio, soft):
    """modules/core.py encode_vae_inpaint, with the latent's (H, W) and its 8 as the ratio."""
    mask = random_mask(height, width, soft, seed=height - width)
    latent_h, latent_w = height // ratio, width // ratio
    latent_mask = mask[None, None, :, :]
    latent_mask = F.interpolate(latent_mask, size=(latent_h * ratio, latent_w * ratio), mode="bilinear").round()
    latent_mask = F.max_pool2d(latent_mask, (ratio, ratio)).round()
    assert torch.equal(fooocus_view(mask, ratio), latent_mask[0, 0])


def test_fooocus_repaints_a_cell_any_of_whose_pixels_round_to_one():
    mask = random_mask(48, 64, soft=True, seed=5)
    view = fooocus_view(mask, 8)
    for i in range(6):
        for j in range(8):
            cell = mask[8 * i : 8 * i + 8, 8 * j : 8 * j + 8].flatten().tolist()
            assert view[i, j] == max(round(v) for v in cell)  # round half to even, as torch.round


def test_batches_keep_their_shape_and_each_image_its_own_view():
    masks = torch.stack([random_mask(48, 64, False, seed=s) for s in range(3)])[:, None]
    for backend, view in BACKENDS.items():
        batch = view(masks, 8)
        assert batch.shape == (3, 1, 6, 8)
        for b in range(3):
            assert torch.equal(batch[b, 0], latent_view(masks[b, 0], 8, backend))


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="noise_mask must be a"):
        comfyui_view(torch.ones(1, 8, 8), 8)
    with pytest.raises(ValueError, match="one channel"):
        comfyui_view(torch.ones(1, 2, 8, 8), 8)
    with pytest.raises(ValueError, match="downscale_ratio"):
        diffusers_view(torch.ones(8, 8), 0)
    with pytest.raises(ValueError, match="at least 16x16"):
        fooocus_view(torch.ones(8, 32), 16)
    with pytest.raises(ValueError, match="backend must be one of"):
        latent_view(torch.ones(8, 8), 8, "a1111")
