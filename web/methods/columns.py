"""A main column's result, whatever method it holds, and what the page shows of it: its panels, live-panel
entry, column of the numbers table, advice phrase, Python, downloads and export.

Every column holds a MethodResult. A seed node in its own place (`native`) is drawn as the node's panels (grey
and noise mask over the crop, the latent grid, edge and grey-halo cells) with its mask live in the browser; any
other method by its soft noise mask and the cells DifferentialDiffusion repaints.
"""

import base64
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from inpaint_core.compare import Comparison, MethodResult
from inpaint_core.editor import EditorInput, image_mask
from inpaint_core.files.export import method_snippet, python_snippet, write_export
from inpaint_core.files.image_files import Batch
from inpaint_core.preparations import METHODS

from .. import panels as node_panels
from ..live import file_url
from ..numbers import preview_note, step_times
from ..panels import Overlay
from . import panels as method_panels
from .numbers import drift, numbers_line, sampler_views
from .pickers import LIVE, PLACES, slider_range


@dataclass
class Column:
    """One main column: its place, its result, and the files drawn for it."""

    place: str  # "left" or "right"
    result: MethodResult
    key: tuple  # names its files
    decoded: Path
    details: list  # pixels, noise mask, cells, sampler's view

    @property
    def native(self) -> bool:
        """Whether the column holds the seed node of its place (its slider is the node's, drawn live)."""
        return self.result.method == PLACES[self.place]

    @property
    def title(self) -> str:
        return METHODS[self.result.method].title if self.native else METHODS[self.result.method].label


def draw(batch: Batch, editor: EditorInput, vae_label: str, comparison: Comparison, place: str,
         result: MethodResult, backend: str) -> Column:  # fmt: skip
    """The column's files: a native seed's panels from the comparison of both nodes, another method's from
    its preparation; call batch.wait() before sending them."""
    if result.method == PLACES[place]:
        decoded = node_panels.decoded(batch, result)
        details = [node_panels.neutralised(batch, result), node_panels.overlay(batch, comparison, result),
                   node_panels.cells(batch, comparison, result, backend),
                   node_panels.sampler(batch, comparison, result, backend)]  # fmt: skip
        return Column(place, result, (result.cache_key, result.amount), decoded, details)
    key = method_panels.files_key(editor, vae_label, result.preparation)
    drawn = method_panels.draw(batch, editor, vae_label, result)
    mask = Overlay(drawn.noise_mask or drawn.pixels, [])
    cells = drawn.cells or Overlay(drawn.pixels, [])
    sampler = method_panels.sampler_image(batch, key, result, backend)
    return Column(place, result, key, drawn.decoded, [drawn.pixels, mask, cells, sampler])


def drawn_live(result: MethodResult, editor: EditorInput) -> bool:
    """Whether the browser can draw the column's mask exactly at any amount of its slider: a node (its rule on
    the rounded mask), or GrowMask of the painted 0/1 mask (at the image's size) with no feather."""
    rule, settings = METHODS[result.method].live_rule, result.preparation.settings
    if rule in PLACES.values():
        return True
    return rule == "growmask" and not settings.get("feather") and editor.mask.shape[-2:] == editor.size


def live_spec(result: MethodResult, editor: EditorInput, box: list[int]) -> dict | None:
    """What the browser needs to draw another method's mask at any amount of its slider, where it can
    (drawn_live); None otherwise."""
    if not drawn_live(result, editor):
        return None
    described, settings = METHODS[result.method], result.preparation.settings
    amount = described.amount
    if described.live_rule in PLACES.values():  # the other node: its own rule on the rounded mask, its crop
        return {"node": described.live_rule, "name": amount, "amount": settings[amount], "box": box}
    return {"name": amount, "amount": settings[amount], "range": list(slider_range(result.method)),
            "tapered": bool(settings["tapered_corners"]), "grey": described.greys, "box": box,
            "follows": True}  # fmt: skip


def frame(column: Column, size: tuple[int, int]) -> torch.Tensor:
    """bool (H, W): where the column's noise mask is above 0 in the input's frame (all of it without one)."""
    mask = method_panels.noise_in_frame(column.result.preparation, size)
    return torch.ones(size, dtype=torch.bool) if mask is None else mask


def how_drawn(column: Column, editor: EditorInput) -> str:
    """One phrase for the advice: live on the slider, or by the server from the settings box."""
    method = column.result.method
    if drawn_live(column.result, editor):
        if METHODS[method].live_rule in PLACES.values():
            return f"drawn live: the slider is its {LIVE[method].name}"
        return f"drawn live: the slider is GrowMask's {LIVE[method].name}, the rest in the box"
    return "drawn by the server from the settings under the sliders"


def live_entry(column: Column, key: str, editor: EditorInput) -> dict:
    """The column's entry in the live panels' decoded payload: the decoded latent and what it was made for;
    for another method, what the browser draws in place of the node's live mask (the server's soft-mask
    image, the mask above 0 as bits for the difference)."""
    result = column.result
    entry = {"url": file_url(column.decoded), "amount": result.amount, "timing": preview_note(result), "key": key}
    if column.native:
        return entry
    image = column.details[1].base
    shown = {"method": result.method, "title": column.title, "image": file_url(image)}
    if result.preparation.noise_mask is not None:
        box, mask = method_panels.noise_box(result.preparation, editor.size)
        bits = base64.b64encode(np.packbits(mask.numpy().reshape(-1)).tobytes()).decode("ascii")
        shown |= {"box": box, "bits": bits, "live": live_spec(result, editor, box)}
    return entry | {"override": shown}


def numbers_column(column: Column, report: dict, backend: str) -> tuple[str, dict, dict]:
    """The column in the numbers table: its heading, its values by report.method_table's keys and its encode
    and decode times. A native seed's come from the report; another method's are its noise mask above 0,
    the cells `backend`'s sampler repaints in part where the soft edge lies, the drift (no grey, no halo)."""
    result = column.result
    if column.native:
        amount = METHODS[result.method].amount
        return f"{column.title} · {amount} {result.amount}", report[result.method], step_times(result)
    preparation = result.preparation
    has_mask = preparation.noise_mask is not None
    settings = ", ".join(f"{name} {value}" for name, value in preparation.settings.items())
    return (
        f"{column.title} · {settings}",
        {
            "noise_mask_area": int((preparation.noise_mask[0] > 0).sum()) if has_mask else "none: all repainted",
            "grey_area": None,
            "edge_cells": sampler_views(result)[backend]["in_part"] if has_mask else 0,
            "halo_risk_cells": None,
            "drift_psnr_db": drift(result),
            "latent_shape": list(result.latent.latents.shape),
        },
        step_times(result),
    )


def snippet(column: Column, vae_source: str, ratio: int) -> str:
    """Python that prepares the exported image as the column's method does (a native seed's written out)."""
    result = column.result
    if column.native:
        return python_snippet(result.method, result.amount, vae_source, "image.png", ratio)
    return method_snippet(result.method, result.preparation.settings, vae_source)


def export(folder: Path, editor: EditorInput, vae_label: str, vae_source: str, result: MethodResult) -> list[Path]:
    """The image with the mask in its alpha (the 8-bit mask every method ran on: image_mask), the ComfyUI
    workflow (canvas and API) where the method's graph needs no model but the VAE (the two nodes',
    SetLatentNoiseMask's), and the Python snippet."""
    method, settings = result.method, result.preparation.settings
    amount = result.amount if METHODS[method].node else settings  # a seed takes its amount
    return write_export(
        folder / "downloads" / "export", editor.rgb[0].numpy(), image_mask(editor)[0].numpy(), method, amount,
        vae_label, vae_source,
    )  # fmt: skip


def files(folder: Path, editor: EditorInput, vae_label: str, vae_source: str, result: MethodResult,
          native: bool) -> list[Path]:  # fmt: skip
    """The column's downloads (.latent, noise mask, pixels), then its export."""
    if native:
        downloads = node_panels.downloads(folder, result)
    else:
        key = method_panels.files_key(editor, vae_label, result.preparation)
        downloads = method_panels.downloads(folder, key, result)
    return downloads + export(folder, editor, vae_label, vae_source, result)


def tiled_latents_note(vae, editor: EditorInput) -> str | None:
    """Where the .latent files are encoded in tiles that change them (not a tiny autoencoder's exact tiles):
    a sentence saying ComfyUI's whole encode will differ, and the budget that would match it; else None."""
    height, width = (side // vae.downscale_ratio * vae.downscale_ratio for side in editor.size)
    if vae.encodes_as_whole(height, width):
        return None
    return (
        f"The .latent files were encoded in tiles: this {width}×{height} image is over {vae.display_name}'s memory "
        "budget, and ComfyUI encodes it whole, so its latents will differ slightly. For files equal to ComfyUI's, "
        f"start the page with --vae-memory-mb {-(-vae.whole_encode_mib(height, width) // 256) * 256}."
    )


def method_files(inspector, editor: EditorInput, vae_label: str, result: MethodResult) -> list[Path]:
    """files() of another method, with the inspector's folder and the VAE's source."""
    return files(inspector.files.folder, editor, vae_label, inspector.registry.sources[vae_label], result, False)


def method_outputs(inspector, editor: EditorInput, vae_label: str, result: MethodResult) -> tuple:
    """A method's panels as the third column and /prepare show them: its pixels, noise mask, decoded latent,
    cells by stage, a line of numbers and its downloads (files named by content; written before it returns)."""
    batch = inspector.batch(editor, vae_label)
    drawn = method_panels.draw(batch, editor, vae_label, result)
    downloads = method_files(inspector, editor, vae_label, result)
    numbers = numbers_line(result)
    if note := tiled_latents_note(inspector.registry.get(vae_label), editor):
        numbers += f"\n\n{note}"  # beside the files it speaks of: a toast on every run would be noise
    batch.wait()
    return drawn.pixels, drawn.noise_mask, drawn.decoded, drawn.cells, numbers, downloads
