"""The analysis on hand-made cases whose answers are known."""

import math

import pytest
import torch

from inpaint_core import prepare_comfy, prepare_was
from inpaint_core.analysis.cells import edge_cells, grow_extent, halo_risk_cells, psnr_outside, sampler_mask


def square(top: int, size: int = 16, image: int = 48) -> torch.Tensor:
    mask = torch.zeros(image, image)
    mask[top : top + size, top : top + size] = 1
    return mask


def test_aligned_square_has_no_edge_cells():
    assert edge_cells(square(8), 8).sum() == 0


def test_square_shifted_by_one_pixel():
    """Rows 9..24 touch cells 1 (7 px), 2 (8 px) and 3 (1 px): 3×3 cells touched, only (2, 2) full."""
    assert edge_cells(square(9), 8).sum() == 8


def test_sampler_samples_cell_centres():
    """Bilinear resizing by 8 reads pixels 8i+3 and 8i+4: cell 3 (pixel 24 only) reads 0."""
    view = sampler_mask(square(9), (6, 6))
    assert view[1, 1] == 1 and view[2, 2] == 1 and view[3, 3] == 0 and view[1, 3] == 0


def test_halo_risk_of_a_shifted_square_and_a_grow_that_covers_it():
    mask = square(9)[None]
    pixels = torch.rand(1, 48, 48, 3)
    bare = prepare_comfy(pixels, mask, 0)
    # Grey cells: 3×3; the sampler's mask is 1 at cells 1 and 2 each way (their centres are masked): 5 at risk.
    assert halo_risk_cells(bare.neutralise_mask[0, 0], bare.noise_mask[0, 0], 8).sum() == 5
    grown = prepare_comfy(pixels, mask, 16)
    assert halo_risk_cells(grown.neutralise_mask[0, 0], grown.noise_mask[0, 0], 8).sum() == 0


def test_was_erosion_moves_the_grey_with_the_mask():
    """WAS greys what it masks. Rows 13..28 eroded by 1 are 14..27: cells 1 (14-15), 2, 3 (24-27); the
    sampler reads 0 at cell 1 (pixels 11, 12) and 0.5 at cell 3 (27 in, 28 out): of 3×3 grey cells
    only (2, 2) is fully covered. ComfyUI, greying the original and growing the noise mask, covers all."""
    mask = square(13)[None]
    was = prepare_was(torch.rand(1, 48, 48, 3), mask, -1)
    assert halo_risk_cells(was.neutralise_mask[0, 0], was.noise_mask[0, 0], 8).sum() == 8
    comfy = prepare_comfy(torch.rand(1, 48, 48, 3), mask, 16)
    assert halo_risk_cells(comfy.neutralise_mask[0, 0], comfy.noise_mask[0, 0], 8).sum() == 0


def test_even_grow_reaches_one_pixel_less_up_and_left():
    assert grow_extent(6) == {"up": 2, "left": 2, "down": 3, "right": 3}
    assert grow_extent(7) == {"up": 3, "left": 3, "down": 3, "right": 3}
    assert grow_extent(0) == {"up": 0, "left": 0, "down": 0, "right": 0}


def test_psnr_outside_the_mask():
    image = torch.rand(8, 8, 3)
    changed = image.clone()
    changed[:4] = 0
    error = (image - changed).square().sum(-1)
    mask = torch.zeros(8, 8)
    mask[:4] = 1
    assert psnr_outside(error, mask) == math.inf
    mse = ((image - changed) ** 2).mean().item()
    assert psnr_outside(error, torch.zeros(8, 8)) == pytest.approx(10 * math.log10(1 / mse))
    assert psnr_outside(error, torch.ones(8, 8)) is None


@pytest.mark.parametrize(
    ("top", "size", "expected"),
    [
        # Grid-aligned: every grey cell is wholly in the noise mask, whichever pixels a sampler reads.
        (8, 16, {"comfyui": 0, "diffusers": 0, "fooocus": 0}),
        # Rows 9..24 touch cells 1, 2, 3. ComfyUI reads pixels 8i+3, 8i+4: 1 at cells 1, 2 (see above);
        # diffusers reads pixel 8i: 1 at cells 2, 3; Fooocus repaints any cell the mask touches.
        (9, 16, {"comfyui": 5, "diffusers": 5, "fooocus": 0}),
        # Rows 10..23 touch cells 1, 2: ComfyUI reads 11, 12 and 19, 20 (all in); diffusers reads 8 (out), 16.
        (10, 14, {"comfyui": 0, "diffusers": 3, "fooocus": 0}),
    ],
)
def test_halo_risk_per_backend(top, size, expected):
    mask = square(top, size)
    for backend, count in expected.items():
        assert halo_risk_cells(mask, mask, 8, backend=backend).sum() == count, backend


def test_halo_risk_default_backend_is_comfyui():
    mask = square(9)
    assert torch.equal(halo_risk_cells(mask, mask, 8), halo_risk_cells(mask, mask, 8, backend="comfyui"))
    with pytest.raises(ValueError, match="backend must be one of"):
        halo_risk_cells(mask, mask, 8, backend="a1111")
