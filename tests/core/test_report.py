"""The per-method tables and the plain-word warnings, on cases whose answers are known."""

import json
import math

import pytest
import torch

from inpaint_core import VAE, approximate_vae
from inpaint_core.analysis.report import edge_cell_map, grid_lines, halo_cell_map, sampler_view, summary
from inpaint_core.compare import compare_methods, prepare_methods

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
    # Rows 9..24 touch 3×3 cells and fill only (2, 2); the sampler keeps part of 5 grey cells per method.
    assert report["warnings"] == [
        "The mask misses the latent grid: 8 of the 9 latent cells (8 px) it touches are only partly inside it, "
        "so samplers see a faint, blurred mask there.",
        "ComfyUI: grey will survive in 5 latent cells, where ComfyUI's sampler keeps part of the encoded latent "
        "because its mask stays below 1 there.",
        "WAS: grey will survive in 5 latent cells, where ComfyUI's sampler keeps part of the encoded latent "
        "because its mask stays below 1 there.",
    ]


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
        "WAS crops to a multiple of 8 (56×56) but this VAE's latent cells are 16 px (ComfyUI crops to 48×48)" in w
        for w in empty["warnings"]
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


def test_an_erosion_wider_than_the_mask_leaves_area_0_and_warns():
    stroke = torch.zeros(1, 48, 48)
    stroke[:, 20:26, 4:44] = 1  # 6 px thick
    report = summary(compare_methods(torch.rand(1, 48, 48, 3), stroke, pooling_vae(8), 6, -3))
    assert report["was"]["noise_mask_area"] == 0 and report["was"]["mask_area"] == 6 * 40
    assert (
        "mask_offset=-3 erodes the mask to nothing: every painted pixel lies within 3 px of an unpainted one, so "
        "WAS's erosion removes them all; its noise mask is empty, it greys no pixel and nothing will be "
        "inpainted." in report["warnings"]
    )
    kept = summary(compare_methods(torch.rand(1, 48, 48, 3), stroke, pooling_vae(8), 6, -2))
    assert kept["was"]["noise_mask_area"] == 2 * 36 and not any("erodes" in w for w in kept["warnings"])


def test_an_offset_that_grows_over_the_whole_image_warns():
    report = summary(compare_methods(torch.rand(1, 48, 48, 3), square_mask(), pooling_vae(8), 6, 24))
    assert report["was"]["noise_mask_area"] == 48 * 48
    assert any(w.startswith("mask_offset=24 grows the mask over the whole image") for w in report["warnings"])
    assert not any("ComfyUI's noise mask covers" in w for w in report["warnings"])


def test_a_mask_that_misses_the_grid_warns_and_an_aligned_one_does_not():
    line = torch.zeros(1, 48, 48)
    line[:, 10:12, 8:40] = 1  # 2 px thick: every cell it touches is partial
    report = summary(compare_methods(torch.rand(1, 48, 48, 3), line, pooling_vae(8), 6, 0))
    assert any(w.startswith("The mask misses the latent grid: 4 of the 4 latent cells") for w in report["warnings"])
    aligned = summary(compare_methods(torch.rand(1, 48, 48, 3), square_mask(top=8), pooling_vae(8), 0, 0))
    assert aligned["warnings"] == []


def test_summary_keeps_its_keys_and_adds_the_backend_and_the_recommendation():
    """Rows 10..23: ComfyUI's sampler reads 11, 12 and 19, 20 (all in); diffusers reads 8 (out) and 16."""
    comparison = compare_methods(torch.rand(1, 48, 48, 3), square_mask(top=10, side=14), pooling_vae(8), 0, 0)
    report = summary(comparison)
    assert {"vae", "comfy", "was", "warnings", "backend", "recommendation"} <= set(report)
    assert report["backend"] == "comfyui" and report["comfy"]["halo_risk_cells"] == 0
    assert report["recommendation"]["comfy"]["amount"] == 0
    assert set(report["recommendation"]["was"]) == {"amount", "sentence"}
    diffusers = summary(comparison, backend="diffusers")
    assert diffusers["backend"] == "diffusers" and diffusers["comfy"]["halo_risk_cells"] == 3
    assert diffusers["recommendation"]["comfy"]["amount"] == 5  # the grow reaching 2 px up: 10 -> 8
    assert any("diffusers' inpaint pipeline keeps part" in w for w in diffusers["warnings"])
    json.dumps(diffusers)  # what /compare sends
    with pytest.raises(ValueError, match="backend must be one of"):
        summary(comparison, backend="a1111")


def test_cell_maps_and_sampler_view_follow_the_backend():
    comparison = prepare_methods(torch.rand(1, 48, 48, 3), square_mask(top=10, side=14), 8, 0, 0)
    comfy = comparison.comfy
    assert halo_cell_map(comparison, comfy).sum() == 0
    assert halo_cell_map(comparison, comfy, backend="diffusers").sum() == 3 * 64
    view = sampler_view(comparison, comfy, display_side=60, backend="diffusers")
    assert view[10, 10] == 0 and view[20, 20] == 1  # cell (1, 1) reads pixel (8, 8), cell (2, 2) pixel (16, 16)


def test_the_recommended_amounts_agree_with_the_tables():
    """Prepared at the recommended amount, the table counts no halo; one step short of it, some."""
    ys, xs = torch.meshgrid(torch.arange(96), torch.arange(120), indexing="ij")
    blob = (((ys - 45) / 23.5) ** 2 + ((xs - 61) / 30.2) ** 2 < 1).float()[None]
    pixels = torch.rand(1, 96, 120, 3)
    for backend in ("comfyui", "diffusers"):
        advice = summary(compare_methods(pixels, blob, pooling_vae(8), 6, 6), backend)["recommendation"]
        grow = advice["comfy"]["amount"]
        assert grow is not None and grow > 0
        at = summary(compare_methods(pixels, blob, pooling_vae(8), grow, 6), backend)
        short = summary(compare_methods(pixels, blob, pooling_vae(8), grow - 1, 6), backend)
        assert at["comfy"]["halo_risk_cells"] == 0 < short["comfy"]["halo_risk_cells"]
        offset = advice["was"]["amount"]
        if offset is None:
            assert "keep part of the grey" in advice["was"]["sentence"]
        else:
            assert (
                summary(compare_methods(pixels, blob, pooling_vae(8), 6, offset), backend)["was"]["halo_risk_cells"]
                == 0
            )
