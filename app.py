"""Inpaint Encode Inspector: paint a mask, compare ComfyUI's grow_mask_by with WAS's mask_offset live.

The page only: settings, layout, event wiring. Handlers are in web/, the work in inpaint_core.
"""

import argparse
import os
from functools import partial
from pathlib import Path

import gradio as gr
import torch
from gradio.utils import get_upload_folder
from PIL import Image

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
from web import layout as parts
from web.api import Api
from web.events import Files, FilesInputs, Settled, SettleInputs
from web.examples import ASSETS, load_example
from web.gpu import ZERO_GPU
from web.guards import install_guards
from web.inspector import Inspector
from web.methods.pickers import PLACES
from web.painter import AFTER_STROKE, MAX_FILE_MB

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


def layout(inspector: Inspector, note: str) -> dict:
    """Every component of the page, by name (web.events names the handlers' inputs and outputs alike)."""
    gr.Markdown(
        "**Inpaint Encode Inspector** · paint the area to inpaint, then drag the sliders: the masks follow at "
        "once, the decoded latents when you let go."
    )
    with gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=320):
            ui = parts.editor_column(inspector, note)
        with gr.Column(scale=3, min_width=320):
            ui |= parts.method_columns(inspector, ui["pickers"])
    ui |= parts.details(inspector) | parts.api_parts()
    ui["state"] = gr.State(time_to_live=STATE_SECONDS)  # the editor's image and mask, read once per edit
    ui["shown"] = gr.State({}, time_to_live=STATE_SECONDS)  # the detail images shown, not sent again
    return ui


def wire_edits(ui: dict, inspector: Inspector) -> None:
    """An example or a stroke: the edit read once, the live panels' payload; a value the server sets on a
    slider redraws its masks too. Edits are light and must not wait behind encoding: a queue of their own."""
    quiet = dict(trigger_mode="always_last", show_progress="hidden", api_visibility="private",
                 concurrency_id="edit", concurrency_limit=4, js=AFTER_STROKE)  # fmt: skip
    example = partial(load_example, folder=inspector.files.folder / "examples")
    ui["examples"].click(example, ui["examples"], ui["painter"], **(quiet | {"trigger_mode": "once", "js": None}))
    ui["painter"].change(inspector.read_editor, ui["painter"], ui["state"], **quiet)
    ui["third"].wire(ui["state"], ui["vae"])
    gr.on([ui["state"].change, ui["vae"].change], inspector.edit, [ui["state"], ui["vae"]], ui["live"],
          postprocess=False, **quiet)  # fmt: skip
    for place in PLACES:
        ui[f"{place}_amount"].change(
            None, ui[f"{place}_amount"], None, js=f"(v) => {{ window.inpaintLive?.setAmount('{place}', v); }}"
        )


def wire_settle(ui: dict, inspector: Inspector) -> None:
    """A slider let go, a new edit, VAE, sampler, denoise or column method: Inspector.settle; and the
    downloads button."""
    settle = dict(
        fn=inspector.settle, inputs=[ui[name] for name in SettleInputs._fields],
        outputs=[ui[name] for name in Settled._fields], trigger_mode="always_last", show_progress="minimal",
        show_progress_on=[ui["wipe"]], api_visibility="private", postprocess=False, concurrency_id="encode",
        js=AFTER_STROKE,
    )  # fmt: skip
    triggers = ["state", "vae", "backend"]
    gr.on([ui[name].change for name in triggers] + [ui[name].release for name in
          ("left_amount", "right_amount", "cells_denoise")], **settle)  # fmt: skip
    for place in PLACES:
        picker = ui["pickers"][place]
        picker.method.change(
            picker.switch, picker.method, [ui[f"{place}_{n}"] for n in ("amount", "settings", "tab", "python", "cells")],
            api_visibility="private", queue=False, js=f"(m) => {{ window.inpaintLive?.choose('{place}', m); return m; }}",
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
        server_name=args.host, server_port=args.port, max_file_size=f"{MAX_FILE_MB}mb", allowed_paths=[str(ASSETS)],
        show_error=True, app_kwargs=guards.app_kwargs, theme=parts.theme(),
    )  # fmt: skip


if __name__ == "__main__":
    main()
