"""What the page reports for a comparison: one table per method, plain-word warnings, and cell maps.

The numbers are computed where the masks are (the GPU, for a GPU VAE) and kept with each method's result.
"""

import torch

from ..compare import Comparison, MethodResult
from ..preparations.methods import METHODS, SEEDS
from ..prepare import MASK_OFFSET, WAS_CROP_MULTIPLE
from .cells import cell_fractions, edge_cells, grow_extent, halo_risk_cells, psnr_outside
from .recommend import WHO, Recommendation, recommend
from .samplers import check_backend, latent_view


def cropped_input(comparison: Comparison, method: MethodResult) -> torch.Tensor:
    """(H', W', 3): the input under this method's crop."""
    top, left = method.crop_offset
    height, width = method.size
    return comparison.image[top : top + height, left : left + width]


def latent_size(comparison: Comparison, method: MethodResult) -> tuple[int, int]:
    if method.latent is not None:
        return tuple(method.latent.latents.shape[-2:])
    height, width = method.size
    return height // comparison.downscale_ratio, width // comparison.downscale_ratio


def method_table(comparison: Comparison, method: MethodResult, backend: str = "comfyui") -> dict:
    """mask_area, noise_mask_area, edge_cells, halo_risk_cells (for `backend`'s sampler), drift_psnr_db
    (None until decoded), and more."""
    latent = method.latent
    drift = None if latent is None else _drift(method)
    timings = {"prepare": method.prepare_ms}
    if latent is not None:
        timings |= dict.fromkeys(latent.timings_ms, "cached") if method.latent_cached else latent.timings_ms
    table = {
        METHODS[method.method].amount: method.amount,
        **_counts(comparison, method, backend),
        "drift_psnr_db": None if drift is None else round(drift, 2),
        "latent_shape": list(latent.latents.shape) if latent is not None else "pending",
        "time_ms": timings,
    }
    if method.method == "comfy":
        table["grow_px"] = grow_extent(method.amount)
    return table


def summary(comparison: Comparison, backend: str = "comfyui", shown: tuple[str, ...] = SEEDS) -> dict:
    """{'vae', 'backend', 'comfy': table, 'was': table, 'warnings': [...], 'recommendation': {'comfy': {'amount',
    'sentence'}, 'was': {...}}} for the page and the API; halo counts and advice for `backend`'s sampler."""
    check_backend(backend)
    tables = {m.method: method_table(comparison, m, backend) for m in comparison.methods}
    advice = {name: r.as_dict() for name, r in recommendations(comparison, backend).items()}
    return {
        "vae": comparison.vae_name,
        "backend": backend,
        **tables,
        "warnings": warnings(comparison, backend, shown),
        "recommendation": advice,
    }


def recommendations(comparison: Comparison, backend: str = "comfyui") -> dict[str, Recommendation]:
    """Per method, the amount that leaves no grey halo for `backend`'s sampler (recommend.py), kept by mask content."""
    comfy, was = comparison.comfy, comparison.was
    return recommend(comfy.mask, was.mask, comparison.downscale_ratio, backend, mask_offset=was.amount)


def warnings(comparison: Comparison, backend: str = "comfyui", shown: tuple[str, ...] = SEEDS) -> list[str]:
    """Plain-word warnings where they apply, one sentence each (the empty mask's has two); those about one
    method only where it is `shown` (a page may put another method in its place)."""
    notes = []
    ratio = comparison.downscale_ratio
    comfy, was = comparison.comfy, comparison.was
    if _mask_area(comfy) == 0:
        notes.append("The mask is empty: nothing will be inpainted. Paint over the area to change.")
    was_h, was_w = was.size
    if "was" in shown and ratio != WAS_CROP_MULTIPLE and (was_h % ratio or was_w % ratio):
        notes.append(
            f"WAS crops to a multiple of 8 ({was_w}×{was_h}) but this VAE's latent cells are {ratio} px "
            f"(ComfyUI crops to {comfy.size[1]}×{comfy.size[0]}): its noise mask and its latent do not line up, "
            "and the sampler stretches one onto the other."
        )
    was_counts = _counts(comparison, was, backend) if "was" in shown else {}
    if was_counts and was_counts["mask_area"] > 0 and was_counts["noise_mask_area"] == 0:
        notes.append(
            f"{MASK_OFFSET.name}={was.amount} erodes the mask to nothing: every painted pixel lies within "
            f"{-was.amount} px of an unpainted one, so WAS's erosion removes them all; its noise mask is empty, it "
            "greys no pixel and nothing will be inpainted."
        )
    for method in (m for m in comparison.methods if m.method in shown):  # counted only where shown
        counts = _counts(comparison, method, backend)
        if counts["noise_mask_area"] < method.size[0] * method.size[1]:
            continue
        if method.method == "was" and counts["mask_area"] < counts["noise_mask_area"]:
            notes.append(
                f"{MASK_OFFSET.name}={was.amount} grows the mask over the whole image: WAS's noise mask covers the "
                "whole image and the sampler repaints all of it."
            )
        else:
            notes.append(
                f"{METHODS[method.method].title}'s noise mask covers the whole image: the sampler repaints all of it."
            )
    grid = _grid(comparison, comfy)
    if grid["partial"] > grid["touched"] / 2:
        notes.append(
            f"The mask misses the latent grid: {grid['partial']} of the {grid['touched']} latent cells "
            f"({ratio} px) it touches are only partly inside it, so samplers see a faint, blurred mask there."
        )
    for method in (m for m in comparison.methods if m.method in shown):
        halo = _counts(comparison, method, backend)["halo_risk_cells"]
        if halo:
            notes.append(
                f"{METHODS[method.method].title}: grey will survive in {halo} latent cells, where {WHO[backend]} keeps "
                "part of the encoded latent because its mask stays below 1 there."
            )
    grow = comfy.amount
    if "comfy" in shown and grow and grow % 2 == 0:
        reach = grow_extent(grow)
        notes.append(
            f"grow_mask_by={grow} is even: ComfyUI grows {reach['up']} px up and left but {reach['down']} px "
            "down and right."
        )
    return notes


def _grid(comparison: Comparison, method: MethodResult) -> dict[str, int]:
    """The latent cells the input mask touches and those it covers only in part, once per method result."""

    def count() -> dict[str, int]:
        share = cell_fractions(method.prepared.mask[0, 0], comparison.downscale_ratio)
        touched, partial = torch.stack([(share > 0).sum(), ((share > 0) & (share < 1)).sum()]).tolist()
        return {"touched": touched, "partial": partial}

    return method.once("grid", count)


def _mask_area(method: MethodResult) -> int:
    """The input mask's area in the method's crop (method_table's mask_area), once per method result."""
    return method.once("mask_area", lambda: int((method.prepared.mask[0, 0] > 0).sum()))


def _counts(comparison: Comparison, method: MethodResult, backend: str = "comfyui") -> dict[str, int]:
    """The areas and cell counts of method_table, counted in integers (exact at any size), once per method
    result and backend (one device sync)."""

    def count() -> dict[str, int]:
        prepared, cells = method.prepared, _cells(comparison, method, backend)
        values, areas = [prepared.mask, prepared.noise_mask, prepared.neutralise_mask], {}
        for v in values:  # a seed's grey is its input mask (ComfyUI) or its noise mask (WAS): one tensor, counted once
            areas.setdefault(id(v), (v[0, 0] > 0).sum())
        counts = torch.stack([areas[id(v)] for v in values] + [cells["edge"].sum(), cells["halo"].sum()])
        names = ["mask_area", "noise_mask_area", "grey_area", "edge_cells", "halo_risk_cells"]
        return dict(zip(names, map(int, counts.tolist()), strict=True))

    return method.once(f"counts:{backend}", count)


def _drift(method: MethodResult) -> float | None:
    """PSNR of the decode against the input outside the noise mask, once per method result.

    Outside the noise mask the encoded pixels are the input's (both nodes grey only inside it), so
    the encode-time error there is the drift the VAE round trip brings to what the mask keeps.
    """
    error = method.latent.squared_error
    return method.once("drift", lambda: psnr_outside(error, method.prepared.noise_mask[0, 0].to(error.device)))


def _cells(comparison: Comparison, method: MethodResult, backend: str = "comfyui") -> dict[str, torch.Tensor]:
    """bool (h, w) edge and halo-risk cells, on the masks' device, computed once per method result and backend."""
    ratio = comparison.downscale_ratio
    noise_mask, grey_mask = method.prepared.noise_mask[0, 0], method.prepared.neutralise_mask[0, 0]

    def find() -> dict[str, torch.Tensor]:
        halo = halo_risk_cells(grey_mask, noise_mask, ratio, backend)
        return {"edge": edge_cells(noise_mask, ratio), "halo": halo}

    return method.once(f"cells:{backend}", find)


def _to_pixels(cells: torch.Tensor, method: MethodResult, ratio: int) -> torch.Tensor:
    """bool (H', W') on the CPU: each cell's value over its ratio × ratio pixels."""
    full = torch.zeros(method.size, dtype=torch.bool)
    grown = cells.cpu().repeat_interleave(ratio, 0).repeat_interleave(ratio, 1)
    full[: grown.shape[0], : grown.shape[1]] = grown
    return full


def grid_lines(comparison: Comparison, method: MethodResult) -> torch.Tensor:
    """bool (H', W'): the latent cells' borders."""
    height, width = method.size
    ratio = comparison.downscale_ratio
    return (torch.arange(height) % ratio == 0)[:, None] | (torch.arange(width) % ratio == 0)[None, :]


def edge_cell_map(comparison: Comparison, method: MethodResult) -> torch.Tensor:
    """bool (H', W'): the cells the noise mask's edge cuts through."""
    return _to_pixels(_cells(comparison, method)["edge"], method, comparison.downscale_ratio)


def halo_cell_map(comparison: Comparison, method: MethodResult, backend: str = "comfyui") -> torch.Tensor:
    """bool (H', W'): the cells holding grey that `backend`'s sampler does not fully repaint."""
    return _to_pixels(_cells(comparison, method, backend)["halo"], method, comparison.downscale_ratio)


def sampler_view(
    comparison: Comparison, method: MethodResult, display_side: int = 512, backend: str = "comfyui"
) -> torch.Tensor:
    """(h·s, w·s) in [0, 1]: `backend`'s latent-size mask, enlarged by whole pixels to about display_side."""
    view = latent_view(method.prepared.noise_mask[0, 0], comparison.downscale_ratio, backend).cpu()
    scale = max(1, display_side // max(view.shape))
    return view.repeat_interleave(scale, 0).repeat_interleave(scale, 1)


def cell_text(value) -> str:
    """A number as the page's table and the Inspector node write it: "—" for none, shapes as 1×16×64×64,
    floats to one decimal."""
    if value is None:
        return "—"
    if isinstance(value, list):
        return "×".join(map(str, value))
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)
