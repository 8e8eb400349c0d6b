"""What the page reports for a comparison: one table per method, plain-word warnings, and cell maps."""

import torch

from .analysis import edge_cells, grow_extent, halo_risk_cells, psnr_outside, sampler_mask
from .compare import Comparison, MethodResult
from .prepare import GROW_MASK_BY, MASK_OFFSET, WAS_CROP_MULTIPLE

AMOUNT_NAMES = {"comfy": GROW_MASK_BY.name, "was": MASK_OFFSET.name}
TITLES = {"comfy": "ComfyUI", "was": "WAS"}


def cropped_input(comparison: Comparison, method: MethodResult) -> torch.Tensor:
    """(H', W', 3): the input under this method's crop."""
    top, left = method.crop_offset
    height, width = method.noise_mask.shape
    return comparison.image[top : top + height, left : left + width]


def latent_size(comparison: Comparison, method: MethodResult) -> tuple[int, int]:
    if method.latent is not None:
        return tuple(method.latent.latents.shape[-2:])
    height, width = method.noise_mask.shape
    return height // comparison.downscale_ratio, width // comparison.downscale_ratio


def method_table(comparison: Comparison, method: MethodResult) -> dict:
    """mask_area, noise_mask_area, edge_cells, halo_risk_cells, drift_psnr_db (None until decoded), and more."""
    latent = method.latent
    # Outside the noise mask the encoded pixels are the input's (both nodes grey only inside it),
    # so the encode-time error there is the drift the VAE round trip brings to what the mask keeps.
    drift = None if latent is None else psnr_outside(latent.squared_error, method.noise_mask)
    timings = {"prepare": method.prepare_ms}
    if latent is not None:
        timings |= dict.fromkeys(latent.timings_ms, "cached") if method.latent_cached else latent.timings_ms
    table = {
        AMOUNT_NAMES[method.method]: method.amount,
        "mask_area": int(method.mask.sum()),
        "noise_mask_area": int(method.noise_mask.sum()),
        "grey_area": int(method.neutralise_mask.sum()),
        "edge_cells": int(_cells(comparison, method)["edge"].sum()),
        "halo_risk_cells": int(_cells(comparison, method)["halo"].sum()),
        "drift_psnr_db": None if drift is None else round(drift, 2),
        "latent_shape": list(latent.latents.shape) if latent is not None else "pending",
        "time_ms": timings,
    }
    if method.method == "comfy":
        table["grow_px"] = grow_extent(method.amount)
    return table


def summary(comparison: Comparison) -> dict:
    """{'vae', 'comfy': table, 'was': table, 'warnings': [...]} for the page and the API."""
    tables = {m.method: method_table(comparison, m) for m in comparison.methods}
    return {"vae": comparison.vae_name, **tables, "warnings": warnings(comparison)}


def warnings(comparison: Comparison) -> list[str]:
    """Plain-word warnings where they apply."""
    notes = []
    ratio = comparison.downscale_ratio
    if int(comparison.comfy.mask.sum()) == 0:
        notes.append("The mask is empty: nothing will be inpainted. Paint over the area to change.")
    was_h, was_w = comparison.was.noise_mask.shape
    if ratio != WAS_CROP_MULTIPLE and (was_h % ratio or was_w % ratio):
        notes.append(
            f"WAS crops to a multiple of 8 ({was_w}×{was_h}) but this VAE's latent cells are {ratio} px: "
            "its noise mask and its latent do not line up, and the sampler stretches one onto the other."
        )
    for method in comparison.methods:
        if bool(method.noise_mask.all()):
            notes.append(
                f"{TITLES[method.method]}'s noise mask covers the whole image: the sampler repaints all of it."
            )
    grow = comparison.comfy.amount
    if grow and grow % 2 == 0:
        reach = grow_extent(grow)
        notes.append(
            f"grow_mask_by={grow} is even: ComfyUI grows {reach['up']} px up and left but {reach['down']} px "
            "down and right."
        )
    return notes


def _cells(comparison: Comparison, method: MethodResult) -> dict[str, torch.Tensor]:
    """bool (h, w) edge and halo-risk cells, computed once per method result."""
    if "cells" not in method.memo:
        ratio = comparison.downscale_ratio
        method.memo["cells"] = {
            "edge": edge_cells(method.noise_mask, ratio),
            "halo": halo_risk_cells(method.neutralise_mask, method.noise_mask, ratio),
        }
    return method.memo["cells"]


def _to_pixels(cells: torch.Tensor, method: MethodResult, ratio: int) -> torch.Tensor:
    """bool (H', W'): each cell's value over its ratio × ratio pixels."""
    full = torch.zeros(method.noise_mask.shape, dtype=torch.bool)
    grown = cells.repeat_interleave(ratio, 0).repeat_interleave(ratio, 1)
    full[: grown.shape[0], : grown.shape[1]] = grown
    return full


def grid_lines(comparison: Comparison, method: MethodResult) -> torch.Tensor:
    """bool (H', W'): the latent cells' borders."""
    height, width = method.noise_mask.shape
    ratio = comparison.downscale_ratio
    return (torch.arange(height) % ratio == 0)[:, None] | (torch.arange(width) % ratio == 0)[None, :]


def edge_cell_map(comparison: Comparison, method: MethodResult) -> torch.Tensor:
    """bool (H', W'): the cells the noise mask's edge cuts through."""
    return _to_pixels(_cells(comparison, method)["edge"], method, comparison.downscale_ratio)


def halo_cell_map(comparison: Comparison, method: MethodResult) -> torch.Tensor:
    """bool (H', W'): the cells holding grey that the sampler does not fully repaint."""
    return _to_pixels(_cells(comparison, method)["halo"], method, comparison.downscale_ratio)


def sampler_view(comparison: Comparison, method: MethodResult, display_side: int = 512) -> torch.Tensor:
    """(h·s, w·s) in [0, 1]: the sampler's latent-size mask, enlarged by whole pixels to about display_side."""
    view = sampler_mask(method.noise_mask, latent_size(comparison, method))
    scale = max(1, display_side // max(view.shape))
    return view.repeat_interleave(scale, 0).repeat_interleave(scale, 1)
