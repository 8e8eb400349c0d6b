"""Inpaint Encode Inspector: paint a mask, compare ComfyUI's grow_mask_by with WAS's mask_offset live.

The page only: settings, layout, event wiring. Handlers are in web/, the work in inpaint_core.
"""

import argparse
import os
from pathlib import Path

import gradio as gr
import torch
from gradio.utils import get_upload_folder
from PIL import Image

from inpaint_core.analysis.samplers import BACKEND_TITLES, BACKENDS
from inpaint_core.editor import MAX_SIDE
from inpaint_core.vaes.device import default_device
from inpaint_core.vaes.registry import (
    DEFAULT_HUB_VAE,
    VAERegistry,
    default_sources,
    hub_reachable,
    label_of,
    scan_models_dir,
)
from web.advice import advice_panel
from web.api import Api
from web.editor_input import ImageEditorInput
from web.events import Files, FilesInputs, Settled, SettleInputs
from web.examples import ASSETS, load_example, thumbnails
from web.gpu import ZERO_GPU
from web.guards import install_guards
from web.inspector import Inspector
from web.live import live_panels
from web.methods.columns import SIDES, Picker, node_slider
from web.methods.panels import STAGE_COLOURS
from web.methods.third_column import DENOISE_SLIDER, third_column
from web.numbers import NUMBERS_CSS
from web.panels import CELL_COLOURS, DIFF_COLOURS, MASK_COLOURS, SIDE_COLOURS

STATE_SECONDS = 3600  # a session's edit is dropped an hour after its last change, or when its tab closes


def parse_settings(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line flags, each defaulting to an environment variable."""
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--vae",
        action="append",
        help="a VAE source (repeatable): file, folder, hub id or 'approx'. Env INPAINT_VAE, ';'-separated",
    )
    parser.add_argument(
        "--models-dir",
        default=env("INPAINT_MODELS_DIR"),
        help="a ComfyUI models folder; its vae/ and vae_approx/ are offered. Env INPAINT_MODELS_DIR",
    )
    parser.add_argument(
        "--device",
        default=env("INPAINT_DEVICE"),
        help="cuda, cpu, ... (default: CUDA when available). Env INPAINT_DEVICE",
    )
    parser.add_argument("--host", default=env("GRADIO_SERVER_NAME", "127.0.0.1"), help="Env GRADIO_SERVER_NAME")
    parser.add_argument(
        "--port", type=int, default=int(env("GRADIO_SERVER_PORT", "7860")), help="Env GRADIO_SERVER_PORT"
    )
    parser.add_argument(
        "--max-side",
        type=int,
        default=int(env("INPAINT_MAX_SIDE", str(MAX_SIDE))),
        help="longest image side accepted. Env INPAINT_MAX_SIDE",
    )
    parser.add_argument(
        "--vae-memory-mb",
        type=int,
        default=int(env("INPAINT_VAE_MEMORY_MB", "0")) or None,
        help="activations one encode or decode may hold before it runs in tiles (default: 1024 on a CPU, half "
        "the free GPU memory); tiled latents differ slightly from whole ones. Env INPAINT_VAE_MEMORY_MB",
    )
    args = parser.parse_args(argv)
    args.vae = args.vae or [s for s in env("INPAINT_VAE", "").split(";") if s]
    return args


def limit_decoding(max_side: int) -> None:
    """Let Pillow refuse, before decoding, a decompression bomb: a backstop far above what the editor accepts
    (ImageEditorInput refuses more than max_side a side, with the image's size, before Pillow decodes it)."""
    Image.MAX_IMAGE_PIXELS = 8 * max_side * max_side  # Pillow raises above twice this, warns above it


def image_folder() -> Path:
    """Where the page's images go: inside Gradio's cache, so they are served without a copy and
    delete_cache removes old ones."""
    return Path(get_upload_folder()) / "inpaint-inspector"


def choose_sources(args: argparse.Namespace) -> tuple[list[str], str]:
    """The VAE sources to offer and a note saying which is in use and how to choose others."""
    sources = list(args.vae) + (scan_models_dir(args.models_dir) if args.models_dir else [])
    how = "Offer others with `--vae SOURCE` (a file, folder, hub id or `approx`) or `--models-dir DIR`."
    if sources:
        return sources, f"VAEs offered: {', '.join(label_of(s) for s in sources)}. {how}"
    sources = default_sources(hub_reachable())
    where = "TAESD (SD1.x) from the Hub, " if sources[0] == DEFAULT_HUB_VAE else "No network: "
    return sources, f"{where}the bundled TAEF2 (FLUX.2) and a built-in approximate VAE. {how}"


def detail_tab(place: str, method: str, title: str) -> dict:
    """One column's server-drawn panels: what the VAE encodes, its masks, its latent cells, the sampler's view;
    keyed `<place>_<panel>` as web.events names them."""
    with gr.Tab(title) as tab:
        with gr.Row():
            pixels = gr.Image(
                label="Neutralised pixels (what the VAE encodes)", type="filepath", elem_id=f"{method}-pixels"
            )
            mask = gr.AnnotatedImage(
                label="Noise mask and grey area", format="jpeg", color_map=MASK_COLOURS, elem_id=f"{method}-mask"
            )
            decoded = gr.Image(label="Decoded latent", type="filepath", elem_id=f"{method}-decoded")
        with gr.Row():
            cells = gr.AnnotatedImage(
                label="Latent cells: cut by the mask's edge, or holding grey the sampler does not fully repaint",
                format="jpeg", color_map=CELL_COLOURS | STAGE_COLOURS, elem_id=f"{method}-cells",
            )  # fmt: skip
            sampler = gr.Image(
                label="The sampler's view: the noise mask resized to the latent",
                type="filepath",
                elem_id=f"{method}-sampler",
            )
            files = gr.File(label="Downloads", file_count="multiple", elem_id=f"{method}-files")
    panels = {"pixels": pixels, "mask": mask, "decoded": decoded, "cells": cells, "sampler": sampler,
              "files": files, "tab": tab}  # fmt: skip
    return {f"{place}_{name}": component for name, component in panels.items()}


def editor_column(inspector: Inspector, note: str) -> dict:
    """The editor, the examples, the VAE, sampler and column pickers."""
    editor = ImageEditorInput(
        label="Image and mask (paint with the brush)", type="pil",
        image_mode=None,  # as uploaded: inpaint_core.editor converts 16-bit, CMYK, EXIF rotation...
        format="png", sources=("upload", "clipboard", "webcam"),
        brush=gr.Brush(colors=["#ff3c78"], color_mode="fixed"), height="56vh",
        canvas_size=(16, 16),  # layers from examples are placed within max(canvas, image): keep it small
        elem_id="editor",
    )  # fmt: skip
    editor.max_side = inspector.max_side
    examples = gr.Dataset(
        components=[gr.Image(visible=False)], samples=thumbnails(inspector.files.folder / "examples"),
        type="index", label="Examples (with masks)", elem_id="examples",
    )  # fmt: skip
    with gr.Group():
        with gr.Row():
            vae = gr.Dropdown(inspector.registry.labels, value=inspector.registry.labels[0], label="VAE")
            backend = gr.Dropdown(
                [(BACKEND_TITLES[key], key) for key in BACKENDS], value="comfyui",
                label="Sampler that reads the noise mask", elem_id="backend",
            )  # fmt: skip
        with gr.Row():
            pickers = {SIDES[slot]: Picker(slot) for slot in SIDES}
    gr.Markdown(note, elem_classes="vae-note")
    return {"editor": editor, "examples": examples, "vae": vae, "backend": backend, "pickers": pickers}


def method_columns(inspector: Inspector, pickers: dict) -> dict:
    """Each column's slider (or settings box), the advice, and the live panels."""
    ui = {}
    with gr.Row():
        for slot, place in SIDES.items():
            with gr.Column(min_width=200):
                ui[f"{place}_amount"] = node_slider(slot)
                ui[f"{place}_settings"] = pickers[place].settings_box()
                ui[f"{place}_method"] = pickers[place].method
    ui["advice"] = advice_panel()
    ui["live"] = live_panels(inspector.max_side)
    return ui


def details(inspector: Inspector) -> dict:
    """The wipe, the numbers table, and the accordion of each column's server-drawn panels and files."""
    ui = {}
    with gr.Row(equal_height=False):
        ui["wipe"] = gr.ImageSlider(
            label="Decoded: left column ◀ ▶ right column", type="filepath", elem_id="wipe", max_height=420,
            min_width=320,
        )  # fmt: skip
        ui["numbers"] = gr.HTML(elem_id="numbers-table", css_template=NUMBERS_CSS, min_width=320)
    with gr.Accordion(
        "Details: each method's panels as the server draws them, the numbers as JSON, downloads", open=False
    ):
        ui["cells_denoise"] = gr.Slider(
            *DENOISE_SLIDER, value=1.0, step=0.01, elem_id="cells-denoise",
            label="denoise for the cells DifferentialDiffusion repaints, in a column holding another method",
        )  # fmt: skip
        with gr.Tabs():
            ui |= detail_tab("left", "comfy", "ComfyUI") | detail_tab("right", "was", "WAS")
            with gr.Tab("Difference and numbers"):
                ui["difference"] = gr.AnnotatedImage(
                    label="Where the noise masks differ", format="jpeg", color_map=DIFF_COLOURS | SIDE_COLOURS,
                    elem_id="difference",
                )  # fmt: skip
                ui["table"] = gr.JSON(label="Numbers (as /compare returns them)", elem_id="numbers", open=True)
            with gr.Tab("Python"):
                for place, method, title in (("left", "comfy", "ComfyUI"), ("right", "was", "WAS")):
                    ui[f"{place}_python"] = gr.Code(
                        label=f"{title}: the same preparation in Python", language="python",
                        elem_id=f"{method}-python",
                    )  # fmt: skip
        ui["downloads"] = gr.Button("Make each column's downloads", variant="primary")
    ui["third"] = third_column(inspector)
    return ui


def api_parts() -> dict:
    """Hidden components for the API (web.api): its buttons and /compare's outputs for other methods."""
    return {
        "compare": gr.Button(visible=False, elem_id="compare-api"),
        "prepare": gr.Button(visible=False, elem_id="third-prepare"),
        "methods": gr.Textbox("", visible=False),
        "methods_numbers": gr.JSON(visible=False),
        "methods_files": gr.File(file_count="multiple", visible=False),
    }


def layout(inspector: Inspector, note: str) -> dict:
    """Every component of the page, by name (web.events names the handlers' inputs and outputs alike)."""
    gr.Markdown(
        "**Inpaint Encode Inspector** · paint the area to inpaint, then drag the sliders: the masks follow at "
        "once, the decoded latents when you let go."
    )
    with gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=320):
            ui = editor_column(inspector, note)
        with gr.Column(scale=3, min_width=320):
            ui |= method_columns(inspector, ui["pickers"])
    ui |= details(inspector) | api_parts()
    ui["state"] = gr.State(time_to_live=STATE_SECONDS)  # the editor's image and mask, read once per edit
    ui["shown"] = gr.State({}, time_to_live=STATE_SECONDS)  # the detail images shown, not sent again
    return ui


def wire_edits(ui: dict, inspector: Inspector) -> None:
    """An example or a stroke: the edit read once, the live panels' payload; a value the server sets on a
    slider redraws its masks too. Edits are light and must not wait behind encoding: a queue of their own."""
    quiet = dict(trigger_mode="always_last", show_progress="hidden", api_visibility="private",
                 concurrency_id="edit", concurrency_limit=4)  # fmt: skip
    ui["examples"].click(load_example, ui["examples"], ui["editor"], **(quiet | {"trigger_mode": "once"}))
    ui["editor"].change(inspector.read_editor, ui["editor"], ui["state"], **quiet)
    ui["third"].wire(ui["state"], ui["vae"])
    gr.on([ui["state"].change, ui["vae"].change], inspector.edit, [ui["state"], ui["vae"]], ui["live"],
          postprocess=False, **quiet)  # fmt: skip
    for slot, place in SIDES.items():
        ui[f"{place}_amount"].change(
            None, ui[f"{place}_amount"], None, js=f"(v) => {{ window.inpaintLive?.setAmount('{slot}', v); }}"
        )


def wire_settle(ui: dict, inspector: Inspector) -> None:
    """A slider let go, a new edit, VAE, sampler, denoise or column method: Inspector.settle; and the
    downloads button."""
    settle = dict(
        fn=inspector.settle, inputs=[ui[name] for name in SettleInputs._fields],
        outputs=[ui[name] for name in Settled._fields], trigger_mode="always_last", show_progress="minimal",
        show_progress_on=[ui["wipe"]], api_visibility="private", postprocess=False, concurrency_id="encode",
    )  # fmt: skip
    triggers = ["state", "vae", "backend"]
    gr.on([ui[name].change for name in triggers] + [ui[name].release for name in
          ("left_amount", "right_amount", "cells_denoise")], **settle)  # fmt: skip
    for slot, place in SIDES.items():
        picker = ui["pickers"][place]
        picker.method.change(
            picker.switch, picker.method, [ui[f"{place}_{n}"] for n in ("amount", "settings", "tab", "python")],
            api_visibility="private", queue=False, js=f"(m) => {{ window.inpaintLive?.choose('{slot}', m); return m; }}",
        ).then(**settle)  # fmt: skip
        gr.on([picker.settings.submit, picker.settings.blur], **settle)
    ui["downloads"].click(
        inspector.column_files, [ui[name] for name in FilesInputs._fields], [ui[name] for name in Files._fields],
        api_visibility="private", postprocess=False, concurrency_id="encode",
    )  # fmt: skip


def wire_api(ui: dict, inspector: Inspector) -> None:
    """/compare and /prepare (web.api), for gradio_client and HTTP callers."""
    api, third = Api(inspector), ui["third"]
    panels = [f"{place}_{name}" for place in ("left", "right") for name in ("pixels", "mask", "decoded")]
    outputs = [*panels, "difference", "table", "left_files", "right_files", "methods_numbers", "methods_files"]
    ui["compare"].click(
        api.compare, [ui[name] for name in ("editor", "vae", "left_amount", "right_amount", "backend", "methods")],
        [ui[name] for name in outputs], api_name="compare", postprocess=False, concurrency_id="encode",
    )  # fmt: skip
    ui["prepare"].click(
        api.prepare, [ui["editor"], ui["vae"], third.method, third.settings, third.denoise], third.outputs,
        api_name="prepare", concurrency_id="encode", postprocess=False,
    )  # fmt: skip


def build_page(inspector: Inspector, note: str) -> gr.Blocks:
    """The page: its layout, then its events."""
    with gr.Blocks(title="Inpaint Encode Inspector", delete_cache=(3600, 3600)) as page:
        ui = layout(inspector, note)
        wire_edits(ui, inspector)
        wire_settle(ui, inspector)
        wire_api(ui, inspector)
    return page


def main(argv: list[str] | None = None) -> None:
    args = parse_settings(argv)
    device = torch.device(args.device) if args.device else default_device()
    sources, note = choose_sources(args)
    budget = args.vae_memory_mb and args.vae_memory_mb * 2**20
    inspector = Inspector(VAERegistry(sources, device, budget), args.max_side, image_folder())
    if ZERO_GPU:  # load every VAE at start, as ZeroGPU expects, not inside a request
        for label in inspector.registry.labels:
            inspector.registry.get(label)
    limit_decoding(args.max_side)
    page = build_page(inspector, note)
    page.queue(max_size=int(os.environ.get("INPAINT_QUEUE_SIZE", "32")), default_concurrency_limit=2)
    guards = install_guards(page)  # bounded blobs and queue places per session; work of callers gone is dropped
    page.launch(
        server_name=args.host, server_port=args.port, max_file_size="25mb", allowed_paths=[str(ASSETS)],
        show_error=True, app_kwargs=guards.app_kwargs,
    )  # fmt: skip


if __name__ == "__main__":
    main()
