"""The preparations on a GPU give the CPU's results: exact where the CPU is exact, float rounding for blurs."""

import pytest
import torch

from inpaint_core.preparations.acly import blur_masked_area, expand_mask, fill_masked_area
from inpaint_core.preparations.comfy_mask_nodes import feather_mask, grow_mask
from inpaint_core.preparations.differential import differential_view
from inpaint_core.preparations.methods import METHODS, run_method

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
CUDA = torch.device("cuda")
BLURRED = {"atol": 5e-4, "rtol": 0}  # cuDNN may convolve in TF32 (torch's default), as kornia's blur would there


def soft_mask(height=301, width=257, seed=0):
    gen = torch.Generator().manual_seed(seed)
    blobs = (torch.rand(2, height, width, generator=gen) > 0.995).float()
    return torch.maximum(blobs, torch.rand(2, height, width, generator=gen) * 0.3)


@pytest.mark.parametrize("expand", [1, 5, 9, 40, -33, 700])
@pytest.mark.parametrize("tapered", [True, False])
def test_grow_mask(expand, tapered):
    mask = soft_mask()
    assert torch.equal(grow_mask(mask.to(CUDA), expand, tapered).cpu(), grow_mask(mask, expand, tapered))


def test_feather_and_expand():
    mask = soft_mask()
    assert torch.equal(feather_mask(mask.to(CUDA), 7, 300, 64, 1).cpu(), feather_mask(mask, 7, 300, 64, 1))
    assert torch.equal(expand_mask(mask.to(CUDA), 23, 0).cpu(), expand_mask(mask, 23, 0))
    for blur_type in ("gaussian", "box", "linear"):
        torch.testing.assert_close(
            expand_mask(mask.to(CUDA), 5, 31, blur_type).cpu(), expand_mask(mask, 5, 31, blur_type), **BLURRED
        )


def test_fill_and_blur():
    image, mask = torch.rand(2, 301, 257, 3), soft_mask()
    for fill in ("neutral",):
        torch.testing.assert_close(
            fill_masked_area(image.to(CUDA), mask.to(CUDA), fill, 11).cpu(),
            fill_masked_area(image, mask, fill, 11),
            **BLURRED,
        )
    torch.testing.assert_close(
        blur_masked_area(image.to(CUDA), mask.to(CUDA), 65, 9).cpu(),
        blur_masked_area(image, mask, 65, 9),
        **BLURRED,
    )


@pytest.mark.parametrize("name", sorted(METHODS))
def test_methods(stand_in_vae, name):
    image, mask = torch.rand(1, 301, 257, 3), soft_mask()[:1]
    gpu = run_method(name, image.to(CUDA), mask.to(CUDA), vae=stand_in_vae())
    cpu = run_method(name, image, mask, vae=stand_in_vae())
    torch.testing.assert_close(gpu.latent["samples"].cpu(), cpu.latent["samples"], **BLURRED)
    torch.testing.assert_close(gpu.neutralised.cpu(), cpu.neutralised, **BLURRED)


def test_differential_view():
    mask = soft_mask()
    gpu, cpu = differential_view(mask.to(CUDA), (37, 32)), differential_view(mask, (37, 32))
    for stage in cpu.masks:
        assert torch.equal(gpu.masks[stage].cpu(), cpu.masks[stage])


def test_opencv_fill():
    pytest.importorskip("cv2")
    image, mask = torch.rand(2, 301, 257, 3), soft_mask()
    gpu, cpu = (
        fill_masked_area(image.to(CUDA), mask.to(CUDA), "telea", 11).cpu(),
        fill_masked_area(image, mask, "telea", 11),
    )
    assert (gpu - cpu).abs().gt(1e-5).float().mean() < 0.01  # OpenCV's 8-bit alpha: a level may flip
