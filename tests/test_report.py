"""The per-method tables and the plain-word warnings, on cases whose answers are known."""

import math

import pytest
import torch

from inpaint_core import VAE, approximate_vae
from inpaint_core.compare import compare_methods, prepare_methods
from inpaint_core.report import edge_cell_map, grid_lines, halo_cell_map, sampler_view, summary

KEYS = {"mask_area", "noise_mask_area", "edge_cells", "halo_risk_cells", "drift_psnr_db"}


def pooling_vae(ratio: int) -> VAE:
    """A stand-in VAE with latent cells of `ratio` px."""

    def encode(x):
        return torch.nn.functional.avg_pool2d(x, ratio)

    def decode(z):
        return torch.nn.functional.interpolate(z, scale_factor=ratio)

    return VAE(f"pool{ratio}", encode, decode, 3, torch.device("cpu"), torch.float32, downscale_ratio=ratio)


def square_mask(size=48, top=9, side=16):
    mask = torch.zeros(1, size, size)
    mask[:, top : top + side, top : top + side] = 1
    return mask


def test_tables_have_the_keys_and_known_counts():
    pixels = torch.rand(1, 48, 48, 3)
    report = summary(compare_methods(pixels, square_mask(), approximate_vae(), 0, 0))
    for method in ("comfy", "was"):
        assert KEYS <= set(report[method])
        assert report[method]["mask_area"] == 256 and report[method]["edge_cells"] == 8
        assert report[method]["halo_risk_cells"] == 5
        assert report[method]["drift_psnr_db"] > 0
    assert report["warnings"] == []


def test_pooling_round_trip_keeps_flat_areas_exactly():
    """A flat image survives 8x8 pooling unchanged outside the mask: drift is infinite."""
    pixels = torch.full((1, 48, 48, 3), 0.25)
    report = summary(compare_methods(pixels, square_mask(), pooling_vae(8), 16, 0))
    assert report["comfy"]["drift_psnr_db"] == float("inf")


def test_warnings():
    pixels = torch.rand(1, 56, 56, 3)
    empty = summary(compare_methods(pixels, torch.zeros(1, 56, 56), pooling_vae(16), 6, 6))
    assert any("mask is empty" in w for w in empty["warnings"])
    assert any(
        "WAS crops to a multiple of 8 (56×56) but this VAE's latent cells are 16 px" in w for w in empty["warnings"]
    )
    assert any("grow_mask_by=6 is even: ComfyUI grows 2 px up and left but 3 px down" in w for w in empty["warnings"])
    full = summary(compare_methods(pixels, torch.ones(1, 56, 56), pooling_vae(8), 7, 6))
    assert sum("covers the whole image" in w for w in full["warnings"]) == 2
    assert not any("WAS crops" in w or "is even" in w for w in full["warnings"])


def test_cell_maps_and_sampler_view():
    comparison = prepare_methods(torch.rand(1, 48, 48, 3), square_mask(), 8, 0, 0)
    comfy = comparison.comfy
    assert edge_cell_map(comparison, comfy).sum() == 8 * 64 and halo_cell_map(comparison, comfy).sum() == 5 * 64
    grid = grid_lines(comparison, comfy)
    assert grid[0].all() and grid[:, 8].all() and not grid[1, 1]
    view = sampler_view(comparison, comparison.comfy, display_side=60)
    assert view.shape == (60, 60) and view[10, 10] == 1 and view[0, 0] == 0  # cell (1, 1) at 10x


def test_drift_is_the_psnr_between_input_and_decode_outside_the_noise_mask():
    pixels, vae = torch.rand(1, 48, 48, 3), approximate_vae()
    comparison = compare_methods(pixels, square_mask(), vae, 6, -2)
    report = summary(comparison)
    for method in comparison.methods:
        keep = (1 - method.noise_mask).bool()
        top, left = method.crop_offset
        size = method.noise_mask.shape
        crop = pixels[0, top : top + size[0], left : left + size[1]]
        decoded = vae.decode(method.latent.latents)[0]
        mse = ((crop - decoded)[keep] ** 2).mean().item()
        assert report[method.method]["drift_psnr_db"] == pytest.approx(10 * math.log10(1 / mse), abs=0.01)
