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


def detail_tab(method: str, title: str) -> dict:
    """One column's server-drawn panels: what the VAE encodes, its masks, its latent cells, the sampler's view."""
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
    return {"pixels": pixels, "mask": mask, "decoded": decoded, "cells": cells, "sampler": sampler, "files": files,
            "tab": tab}  # fmt: skip


def build_page(inspector: Inspector, note: str) -> gr.Blocks:
    with gr.Blocks(title="Inpaint Encode Inspector", delete_cache=(3600, 3600)) as page:
        gr.Markdown(
            "**Inpaint Encode Inspector** · paint the area to inpaint, then drag the sliders: the masks follow at "
            "once, the decoded latents when you let go."
        )
        with gr.Row(equal_height=False):
            with gr.Column(scale=2, min_width=320):
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
                        pickers = {slot: Picker(slot) for slot in SIDES}
                gr.Markdown(note, elem_classes="vae-note")
            with gr.Column(scale=3, min_width=320):
                with gr.Row():
                    with gr.Column(min_width=200):
                        grow = node_slider("comfy")
                        pickers["comfy"].settings_box()
                    with gr.Column(min_width=200):
                        offset = node_slider("was")
                        pickers["was"].settings_box()
                advice = advice_panel()
                live = live_panels(inspector.max_side)
        with gr.Row(equal_height=False):
            wipe = gr.ImageSlider(
                label="Decoded: left column ◀ ▶ right column",
                type="filepath",
                elem_id="wipe",
                max_height=420,
                min_width=320,
            )
            numbers = gr.HTML(elem_id="numbers-table", css_template=NUMBERS_CSS, min_width=320)
        with gr.Accordion(
            "Details: each method's panels as the server draws them, the numbers as JSON, downloads", open=False
        ):
            cells_denoise = gr.Slider(
                *DENOISE_SLIDER, value=1.0, step=0.01, elem_id="cells-denoise",
                label="denoise for the cells DifferentialDiffusion repaints, in a column holding another method",
            )  # fmt: skip
            with gr.Tabs():
                comfy, was = detail_tab("comfy", "ComfyUI"), detail_tab("was", "WAS")
                with gr.Tab("Difference and numbers"):
                    diff = gr.AnnotatedImage(
                        label="Where the noise masks differ",
                        format="jpeg",
                        color_map=DIFF_COLOURS | SIDE_COLOURS,
                        elem_id="difference",
                    )
                    table = gr.JSON(label="Numbers (as /compare returns them)", elem_id="numbers", open=True)
                with gr.Tab("Python"):
                    snippets = [
                        gr.Code(
                            label=f"{title}: the same preparation in Python", language="python", elem_id=f"{m}-python"
                        )
                        for m, title in (("comfy", "ComfyUI"), ("was", "WAS"))
                    ]
            downloads_button = gr.Button("Make each column's downloads", variant="primary")
            compare_button = gr.Button(visible=False, elem_id="compare-api")  # /compare, for API callers
            prepare_button = gr.Button(visible=False, elem_id="third-prepare")  # /prepare
        third = third_column(inspector)
        # /compare's other methods by name (API only; on the page the third column shows them)
        methods, methods_numbers, methods_files = (
            gr.Textbox("", visible=False), gr.JSON(visible=False), gr.File(file_count="multiple", visible=False)
        )  # fmt: skip

        # the editor's image and mask, read once per edit: 4 bytes a pixel
        state = gr.State(time_to_live=STATE_SECONDS)
        shown = gr.State(
            {}, time_to_live=STATE_SECONDS
        )  # which detail images the page shows, so unchanged ones are not sent again
        # Edits are light and must not wait behind encoding: each kind of work has its own places in the queue.
        quiet = dict(
            trigger_mode="always_last",
            show_progress="hidden",
            api_visibility="private",
            concurrency_id="edit",
            concurrency_limit=4,
        )
        examples.click(load_example, examples, editor, **(quiet | {"trigger_mode": "once"}))
        editor.change(inspector.read_editor, editor, state, **quiet)
        third.wire(state, vae)
        gr.on([state.change, vae.change], inspector.edit, [state, vae], live, postprocess=False, **quiet)
        for slider, method in ((grow, "comfy"), (offset, "was")):  # values set by the server redraw the masks too
            slider.change(None, slider, None, js=f"(v) => {{ window.inpaintLive?.setAmount('{method}', v); }}")
        analysis = ["pixels", "mask", "cells", "sampler"]
        details = [*(comfy[k] for k in analysis), *(was[k] for k in analysis), diff, comfy["decoded"], was["decoded"]]
        picked = [pickers["comfy"].method, pickers["comfy"].settings, pickers["was"].method, pickers["was"].settings]
        settle = dict(
            fn=inspector.settle, inputs=[state, vae, grow, offset, backend, shown, *picked, cells_denoise],
            outputs=[live, wipe, numbers, advice, *details, *snippets, shown],
            trigger_mode="always_last", show_progress="minimal", show_progress_on=[wipe],
            api_visibility="private", postprocess=False, concurrency_id="encode",
        )  # fmt: skip
        gr.on([state.change, vae.change, backend.change, grow.release, offset.release, cells_denoise.release], **settle)
        for (slot, picker), slider, tab, snippet in zip(
            pickers.items(), (grow, offset), (comfy["tab"], was["tab"]), snippets, strict=True
        ):
            picker.method.change(
                picker.switch, picker.method, [slider, picker.settings, tab, snippet], api_visibility="private",
                queue=False,
                js=f"(m) => {{ window.inpaintLive?.choose('{slot}', m); return m; }}",
            ).then(**settle)  # fmt: skip
            gr.on([picker.settings.submit, picker.settings.blur], **settle)
        downloads_button.click(
            inspector.column_files, [state, vae, grow, offset, backend, *picked], [table, comfy["files"], was["files"]],
            api_visibility="private", postprocess=False, concurrency_id="encode",
        )  # fmt: skip
        api = Api(inspector)
        six = [comfy["pixels"], comfy["mask"], comfy["decoded"], was["pixels"], was["mask"], was["decoded"]]
        compare_button.click(
            api.compare, [editor, vae, grow, offset, backend, methods],
            [*six, diff, table, comfy["files"], was["files"], methods_numbers, methods_files],
            api_name="compare", postprocess=False, concurrency_id="encode",
        )  # fmt: skip
        prepare_button.click(
            api.prepare, [editor, vae, third.method, third.settings, third.denoise], third.outputs,
            api_name="prepare", concurrency_id="encode", postprocess=False,
        )  # fmt: skip
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
