"""Either main column may hold any preparation in place of its node: a method picker per column, a settings
box that stands in for the column's slider, and what the page shows for a method drawn by the server (its
live-panel entry, its column of the numbers table, its detail panels, its Python and downloads).

A column is named by the seed it holds by default (its slot): "comfy" on the left, "was" on the right. The seed
in its own slot keeps the live slider (masks drawn in the browser); any other method there is drawn by the
server from its settings, soft masks as soft.
"""

import base64
import json
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import numpy as np
import torch

from inpaint_core.editor import EditorInput
from inpaint_core.files.export import method_snippet, write_export
from inpaint_core.preparations import METHODS, Preparation

from ..live import file_url, rounded_mask
from ..panels import Overlay
from . import panels as method_panels
from .numbers import Shown, drift, numbers_line, sampler_views
from .panels import MethodPanels
from .settings import OTHERS, default_settings, integer, method_of, parse_settings, settings_line

SIDES = {"comfy": "left", "was": "right"}
LIVE = {name: method.amount_setting for name, method in METHODS.items() if method.amount}  # what the slider drives


def slider_range(method: str) -> tuple[int, int]:
    """The range of the column's slider for a method it drives: a node's whole range, GrowMask's usual one."""
    return LIVE[method].slider_range


def node_slider(slot: str) -> gr.Slider:
    """The column's slider as it starts: its node's amount."""
    amount = LIVE[slot]
    return gr.Slider(
        amount.min, amount.max, value=amount.default, step=1, label=METHODS[slot].slider_label, elem_id=amount.name
    )


def settings_of(method: str, text, slider_value) -> dict | str:
    """The column's settings: the box's JSON, with the amount its slider drives (the other node's, GrowMask's
    expand) where it drives one."""
    if method not in LIVE:
        return text
    amount = LIVE[method]
    try:
        value = integer(slider_value, amount.name)
    except ValueError as error:
        raise gr.Error(str(error)) from error
    return parse_settings(method, text) | {amount.name: value}


@dataclass
class Picked:
    """What the two columns hold: the nodes' amounts, and by slot any other method with its settings."""

    grow_mask_by: int
    mask_offset: int
    others: dict[str, tuple[str, dict | str]]

    @property
    def native(self) -> tuple[str, ...]:
        return tuple(slot for slot in SIDES if slot not in self.others)


def picked(grow_mask_by, mask_offset, left_method, left_settings, right_method, right_settings) -> Picked:
    """Each column's method and settings from the page. A node not in its column is prepared at its default
    amount (the column's slider then belongs to the other method: the other node's amount, GrowMask's expand,
    or nothing)."""
    chosen = {"comfy": (left_method or "comfy", left_settings), "was": (right_method or "was", right_settings)}
    sliders = {"comfy": grow_mask_by, "was": mask_offset}
    others = {
        slot: (method, settings_of(method, text, sliders[slot]))
        for slot, (method, text) in chosen.items()
        if method != slot
    }
    amounts = [LIVE[slot].default if slot in others else sliders[slot] for slot in SIDES]
    return Picked(*amounts, others)


def choices(slot: str) -> list[tuple[str, str]]:
    """The column's own node first (its live slider), then every other method; the other node last."""
    other = next(s for s in SIDES if s != slot)
    return [
        (f"{METHODS[slot].label} (live slider)", slot),
        *OTHERS,
        (f"{METHODS[other].label} (a second setting)", other),
    ]


@dataclass
class Override:
    """Another method in a column: what the server computed and drew for it (the browser may draw its mask
    live too, see live_spec)."""

    slot: str
    shown: Shown
    key: tuple  # names its files (panels.files_key)
    panels: MethodPanels

    @property
    def preparation(self) -> Preparation:
        return self.shown.preparation

    @property
    def title(self) -> str:
        return METHODS[self.preparation.method].label


class Picker:
    """A column's method dropdown and the settings box shown in place of its slider while another method
    holds the column."""

    def __init__(self, slot: str):
        self.slot = slot
        self.method = gr.Dropdown(
            choices(slot), value=slot, label=f"{SIDES[slot].capitalize()} column", elem_id=f"{SIDES[slot]}-method"
        )

    def settings_box(self) -> gr.Textbox:
        """Call where the slider is: hidden until another method is picked."""
        self.settings = gr.Textbox(
            "", label="Settings (JSON)", visible=False, max_lines=3, elem_id=f"{SIDES[self.slot]}-settings"
        )
        return self.settings

    def switch(self, method: str):
        """On a pick: the column's slider drives the method's amount where it has one (its node's, the other
        node's, GrowMask's expand) and hides otherwise; the settings box holds the rest (at their defaults, their
        usual ranges as its label); the column's detail tab and Python take the method's name."""
        own = method == self.slot
        title = METHODS[self.slot].title if own else method_of(method).label
        tab = gr.Tab(label=title if own else f"{SIDES[self.slot].capitalize()}: {title}")
        code = gr.Code(label=f"{title}: the same preparation in Python")
        slider = gr.Slider(visible=False)
        if method in LIVE:  # its own node, the other node, or GrowMask's expand
            (low, high), label = slider_range(method), METHODS[method].slider_label
            slider = gr.Slider(minimum=low, maximum=high, value=LIVE[method].default, label=label, visible=True)
        return slider, self._box(method, own), tab, code

    def _box(self, method: str, own: bool) -> gr.Textbox:
        """The settings box: the method's settings but the one its slider holds; hidden where none is left."""
        settings = json.loads(default_settings(method))
        settings.pop(LIVE[method].name if method in LIVE else None, None)  # the slider holds it
        if own or not settings:
            return gr.Textbox(visible=False, value="", label="")
        label = settings_line(method, LIVE[method].name if method in LIVE else None)
        return gr.Textbox(visible=True, value=json.dumps(settings), label=label)


def override(
    inspector, batch, editor: EditorInput, vae_label: str, slot: str, method: str, settings, denoise=1.0
) -> Override:
    """`method` with `settings` in column `slot`: computed (or read from the caches) and drawn."""
    shown = inspector.prepare_any(editor, vae_label, method, settings, denoise)
    key = method_panels.files_key(editor, vae_label, shown.preparation)
    return Override(slot, shown, key, method_panels.draw(batch, editor, vae_label, shown))


def drawn_live(found: Override, editor: EditorInput) -> bool:
    """Whether the browser can draw the column's mask exactly at any amount of its slider: the other node (its
    rule on the rounded mask), or GrowMask of the painted 0/1 mask (at the image's size) with no feather."""
    method, settings = found.preparation.method, found.preparation.settings
    rule = METHODS[method].live_rule
    if rule in SIDES:
        return True
    return rule == "growmask" and not settings.get("feather") and editor.mask.shape[-2:] == editor.size


def live_spec(found: Override, editor: EditorInput, box: list[int]) -> dict | None:
    """What the browser needs to draw the column's mask at any amount of its slider, where it can (drawn_live);
    None otherwise."""
    method, settings = found.preparation.method, found.preparation.settings
    if not drawn_live(found, editor):
        return None
    described = METHODS[method]
    amount = described.amount
    if described.live_rule in SIDES:  # the other node: its own rule on the rounded mask, in its own crop
        return {"node": described.live_rule, "name": amount, "amount": settings[amount], "box": box}
    return {"name": amount, "amount": settings[amount], "range": list(slider_range(method)),
            "tapered": bool(settings["tapered_corners"]), "grey": described.greys, "box": box,
            "follows": True}  # fmt: skip


def timing(shown: Shown) -> dict[str, str]:
    """The encode and decode times the latent took when it was made."""
    return {step: f"{ms:.0f} ms" for step, ms in shown.latent.timings_ms.items() if step in ("encode", "decode")}


def frame(found: Override, size: tuple[int, int]) -> torch.Tensor:
    """bool (H, W): where the column's noise mask is above 0 in the input's frame (all of it without one)."""
    mask = method_panels.noise_in_frame(found.preparation, size)
    return torch.ones(size, dtype=torch.bool) if mask is None else mask


def how_drawn(found: Override, editor: EditorInput) -> str:
    """One phrase for the advice: live on the slider, or by the server from the settings box."""
    if drawn_live(found, editor):
        method = found.preparation.method
        if METHODS[method].live_rule in SIDES:
            return f"drawn live: the slider is its {LIVE[method].name}"
        return f"drawn live: the slider is GrowMask's {LIVE[method].name}, the rest in the box"
    return "drawn by the server from the settings under the sliders"


def live_entry(found: Override, key: str, editor: EditorInput) -> dict:
    """The column's entry in the live panels' decoded payload: the decoded latent, and what the browser draws
    in place of its live mask (the server's soft-mask image, the mask above 0 as bits for the difference)."""
    panels, preparation = found.panels, found.preparation
    times = timing(found.shown)
    note = f"encode {times['encode']} · decode {times['decode']}"
    amount = preparation.settings.get(LIVE[preparation.method].name) if preparation.method in LIVE else None
    entry = {"url": file_url(panels.decoded), "amount": amount, "timing": note, "key": key}
    shown = {"method": preparation.method, "title": found.title, "image": file_url(panels.noise_mask or panels.pixels)}
    if preparation.noise_mask is not None:
        box, mask = method_panels.noise_box(preparation, editor.size)
        bits = base64.b64encode(np.packbits(mask.numpy().reshape(-1)).tobytes()).decode("ascii")
        shown |= {"box": box, "bits": bits, "live": live_spec(found, editor, box)}
    return entry | {"override": shown}


def numbers_column(found: Override, backend: str) -> tuple[str, dict, dict]:
    """The column in the numbers table: its heading, its values by report.method_table's keys (the noise mask
    above 0, the cells `backend`'s sampler repaints in part where the soft edge lies, the drift; no grey and
    no halo count) and its encode and decode times."""
    shown, preparation = found.shown, found.preparation
    has_mask = preparation.noise_mask is not None
    settings = ", ".join(f"{name} {value}" for name, value in preparation.settings.items())
    return (
        f"{found.title} · {settings}",
        {
            "noise_mask_area": int((preparation.noise_mask[0] > 0).sum()) if has_mask else "none: all repainted",
            "grey_area": None,
            "edge_cells": sampler_views(shown)[backend]["in_part"] if has_mask else 0,
            "halo_risk_cells": None,
            "drift_psnr_db": drift(shown),
            "latent_shape": list(shown.latent.latents.shape),
        },
        timing(shown),
    )


def details(batch, found: Override, backend: str) -> list:
    """The detail tab's four panels: pixels, noise mask (soft drawn soft), cells by stage, the sampler's view."""
    panels = found.panels
    mask = Overlay(panels.noise_mask or panels.pixels, [])
    cells = panels.cells or Overlay(panels.pixels, [])
    return [panels.pixels, mask, cells, method_panels.sampler_image(batch, found.key, found.shown, backend)]


def snippet(found: Override, vae_source: str) -> str:
    return method_snippet(found.preparation.method, found.preparation.settings, vae_source)


def export(folder: Path, editor: EditorInput, vae_label: str, vae_source: str, preparation: Preparation) -> list[Path]:
    """The image with the mask in its alpha, the ComfyUI workflow (canvas and API) where the method's graph
    needs no model but the VAE (the two nodes', SetLatentNoiseMask's), and the Python snippet."""
    method, settings = preparation.method, preparation.settings
    amount = settings[METHODS[method].amount] if METHODS[method].node else settings  # a seed takes its amount
    return write_export(
        folder / "downloads" / "export", editor.rgb[0].numpy(), rounded_mask(editor).numpy(), method, amount,
        vae_label, vae_source,
    )  # fmt: skip


def files(folder: Path, editor: EditorInput, vae_label: str, vae_source: str, shown: Shown) -> list[Path]:
    """The column's downloads, then its export."""
    key = method_panels.files_key(editor, vae_label, shown.preparation)
    downloads = method_panels.downloads(folder, key, shown)
    return downloads + export(folder, editor, vae_label, vae_source, shown.preparation)


def method_files(inspector, editor: EditorInput, vae_label: str, shown: Shown) -> list[Path]:
    """files() with the inspector's folder and the VAE's source."""
    return files(inspector.files.folder, editor, vae_label, inspector.registry.sources[vae_label], shown)


def method_outputs(inspector, editor: EditorInput, vae_label: str, shown: Shown) -> tuple:
    """A method's panels as the third column and /prepare show them: its pixels, noise mask, decoded latent,
    cells by stage, a line of numbers and its downloads (files named by content; written before it returns)."""
    batch = inspector.files.batch()
    drawn = method_panels.draw(batch, editor, vae_label, shown)
    downloads = method_files(inspector, editor, vae_label, shown)
    batch.wait()
    return drawn.pixels, drawn.noise_mask, drawn.decoded, drawn.cells, numbers_line(shown), downloads
