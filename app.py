"""Inpaint Encode Inspector: paint a mask, compare ComfyUI's grow_mask_by with WAS's mask_offset live.

The page only: settings, the UI, editor values to tensors and back, events. The work is in inpaint_core.
"""

import argparse
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import torch
from gradio.components.annotated_image import AnnotatedImageData, Annotation
from gradio.data_classes import FileData, ListFiles
from gradio.utils import get_upload_folder
from PIL import Image

from inpaint_core import GROW_MASK_BY, MASK_OFFSET
from inpaint_core.cache import LRUCache
from inpaint_core.compare import (
    Comparison,
    Latent,
    MethodResult,
    add_latents,
    encode_and_decode,
    peek_latents,
    prepare_methods,
)
from inpaint_core.device import default_device
from inpaint_core.editor import MAX_SIDE, EditorInput, from_editor, to_uint8
from inpaint_core.image_files import Batch, ImageFiles
from inpaint_core.latent_file import save_latent
from inpaint_core.registry import APPROX, DEFAULT_HUB_VAE, VAERegistry, hub_reachable, label_of, scan_models_dir
from inpaint_core.report import cropped_input, edge_cell_map, grid_lines, halo_cell_map, sampler_view, summary

try:  # ZeroGPU Spaces: GPU work runs under spaces.GPU (a no-op elsewhere)
    import spaces

    gpu = spaces.GPU
except ImportError:

    def gpu(fn):
        return fn


ZERO_GPU = bool(os.environ.get("SPACES_ZERO_GPU"))
CACHE_BYTES = 1 << 30  # per cache (preparations, latents); the newest entry is kept whatever its size
GPU_WORKER_VAES: VAERegistry | None = None  # on ZeroGPU, where its GPU worker (a fork) finds the VAEs
ASSETS = Path(__file__).parent / "assets"
EXAMPLES = ["chelsea.png", "astronaut.png", "coffee.png", "rocket.jpg"]
METHOD_TITLES = {
    "comfy": "ComfyUI · VAEEncodeForInpaint (grow_mask_by)",
    "was": "WAS · WAS_VAEEncodeForInpaint (mask_offset)",
}
DIFF_COLOURS = {"only ComfyUI": "#ff8c00", "only WAS": "#1e90ff", "both": "#c040c0"}
MASK_COLOURS = {"noise mask": "#ff3c78", "grey (neutralised)": "#808080", "noise mask = grey": "#ff3c78"}
CELL_COLOURS = {"latent grid": "#ffffff", "edge cells": "#ffd000", "grey-halo risk": "#ff2020"}
ALL_COLOURS = DIFF_COLOURS | MASK_COLOURS | CELL_COLOURS


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
    args = parser.parse_args(argv)
    args.vae = args.vae or [s for s in env("INPAINT_VAE", "").split(";") if s]
    return args


def limit_decoding(max_side: int) -> None:
    """Let Pillow refuse, before decoding, an image of more than max_side² pixels (a decompression bomb)."""
    Image.MAX_IMAGE_PIXELS = max_side * max_side // 2  # Pillow raises above twice this, warns above it


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
    if hub_reachable():
        return [DEFAULT_HUB_VAE, APPROX], f"Using TAESD (SD1.x) from the Hub ({DEFAULT_HUB_VAE}). {how}"
    return (
        [APPROX],
        f"**No network and no VAE given: using the built-in approximate VAE** (8×8 averages and a linear map; not a real VAE). {how}",
    )


@gpu
def encode_in_gpu_worker(vae_label: str, pixels: torch.Tensor) -> Latent:
    """On ZeroGPU: one encode and decode in its GPU worker. Arguments and result cross as pickles, so
    the VAE goes by its label, the pixels and the result on the CPU."""
    return encode_and_decode(GPU_WORKER_VAES.get(vae_label), pixels).to_cpu()


@dataclass
class Overlay:
    """An image file with 0/1 mask files over it, each with its legend label."""

    base: Path
    masks: list[tuple[str, Path]]  # (label, mask PNG)


def as_sent(value):
    """A handler's value as the browser receives it (the events use postprocess=False): a Path as
    FileData, a list of Paths as ListFiles, an Overlay as AnnotatedImageData; text and dicts as they are."""
    if isinstance(value, Path):
        return FileData(path=str(value))
    if isinstance(value, list):
        return ListFiles(root=[FileData(path=str(p), orig_name=p.name, size=p.stat().st_size) for p in value])
    if isinstance(value, Overlay):
        annotations = [Annotation(image=FileData(path=str(path)), label=label) for label, path in value.masks]
        return AnnotatedImageData(image=FileData(path=str(value.base)), annotations=annotations)
    return value


class Inspector:
    """The page's handlers, around one VAE registry, bounded caches (preparations, latents, inputs on the
    GPU) and a folder of content-named images."""

    def __init__(self, registry: VAERegistry, max_side: int, files: Path, zero_gpu: bool = ZERO_GPU):
        """On ZeroGPU (`zero_gpu`) masks are made on the CPU and only encoding runs under spaces.GPU,
        so the caches stay in this process and a masks-only change costs no GPU time."""
        global GPU_WORKER_VAES
        self.registry = registry
        self.zero_gpu = zero_gpu
        if zero_gpu:
            GPU_WORKER_VAES = registry
        self.max_side = max_side
        # each method's preparation by content and amount; latents by content: bounded in bytes too, for big images
        self.prepared = LRUCache(8, max_bytes=CACHE_BYTES, size_of=lambda method: method.nbytes)
        self.latents = LRUCache(16, max_bytes=CACHE_BYTES, size_of=lambda latent: latent.nbytes)
        self.on_device = LRUCache(max_entries=4)  # the latest edits' tensors on the compute device
        self.files = ImageFiles(files)

    def read_editor(self, image) -> EditorInput | None:
        """The editor's image and painted mask as tensors, once per change (kept in the session's State)."""
        if not _has_image(image):
            return None
        try:
            return from_editor(image, self.max_side)
        except ValueError as error:
            raise gr.Error(str(error)) from error

    @torch.inference_mode()
    def _run(self, editor: EditorInput, vae_label, grow_mask_by, mask_offset, latents: str, progress) -> Comparison:
        """Both methods; latents: 'compute' (encode what the cache lacks) or 'peek' (only what it holds)."""
        try:
            grow, offset = _integer(grow_mask_by, "grow_mask_by"), _integer(mask_offset, "mask_offset")
            if latents == "compute":
                progress(0.1, desc=f"Loading {vae_label}…")
            vae = self.registry.get(vae_label)
            device = torch.device("cpu") if self.zero_gpu else vae.device
            pixels, mask = self.on_device.get_or_make(  # each edit crosses to the GPU once, not once a change
                (editor.content_key, str(device)), lambda: (editor.pixels.to(device), editor.mask.to(device))
            )[0]
            content_key = (editor.content_key, vae_label)  # labels are unique; display names need not be
            result = prepare_methods(
                pixels, mask, vae.downscale_ratio, grow, offset, content_key, vae.display_name, editor.pixels[0],
                self.prepared,
            )  # fmt: skip
            if latents == "compute":
                progress(0.4, desc="Encoding and decoding…")
                encode = (lambda _, p: encode_in_gpu_worker(vae_label, p)) if self.zero_gpu else encode_and_decode
                result = add_latents(result, vae, self.latents, encode)
            else:
                result = peek_latents(result, self.latents)
            return result
        except (ValueError, MemoryError) as error:
            raise gr.Error(str(error)) from error

    def show_masks(self, editor, vae, grow_mask_by, mask_offset, shown=None, progress=gr.Progress()):
        """Both methods' neutralised pixels, noise masks, latent cells and sampler's view; the difference,
        the numbers and the warnings: no encoding. `shown` names the images the page already shows
        (a session State): those are skipped, so a grow_mask_by change sends ComfyUI's panels alone."""
        if editor is None:
            return (None,) * 11 + ({},)
        result = self._run(editor, vae, grow_mask_by, mask_offset, "peek", progress)
        batch = self.files.batch()
        panels = [
            (self.neutralised(batch, r), self.overlay(batch, result, r), self.cells(batch, result, r),
             self.sampler(batch, result, r))
            for r in result.methods
        ]  # fmt: skip
        images = [*panels[0], *panels[1], self.difference(batch, result)]
        names = [_name(image) for image in images]
        shown = shown or {}
        report = summary(result)  # while the files are written
        batch.wait()
        sent = [
            gr.skip() if shown.get(i) == name else as_sent(image)
            for i, (image, name) in enumerate(zip(images, names, strict=True))
        ]
        notes = "\n".join(f"⚠️ {note}  " for note in report["warnings"])
        return (*sent, report, notes, dict(enumerate(names)))

    def show_latents(self, editor, vae, grow_mask_by, mask_offset, progress=gr.Progress()):
        """Both decoded latents (encodes what the cache lacks)."""
        if editor is None:
            return None, None
        result = self._run(editor, vae, grow_mask_by, mask_offset, "compute", progress)
        batch = self.files.batch()
        decoded = [self.decoded(batch, r) for r in result.methods]
        batch.wait()
        return tuple(as_sent(path) for path in decoded)

    def show_numbers(self, editor, vae, grow_mask_by, mask_offset, progress=gr.Progress()):
        """The numbers for the values now (latents as far as they are known)."""
        if editor is None:
            return None
        return summary(self._run(editor, vae, grow_mask_by, mask_offset, "peek", progress))

    def compare(self, image, vae, grow_mask_by, mask_offset, progress=gr.Progress()):
        """Six panels (ComfyUI, then WAS: neutralised pixels, noise mask, decoded latent), the difference,
        the numbers as JSON, then each method's downloads (.latent, noise mask PNG, neutralised PNG)."""
        try:
            editor = from_editor(image, self.max_side)
        except ValueError as error:
            raise gr.Error(str(error)) from error
        result = self._run(editor, vae, grow_mask_by, mask_offset, "compute", progress)
        batch = self.files.batch()
        panels = [
            (self.neutralised(batch, r), self.overlay(batch, result, r), self.decoded(batch, r)) for r in result.methods
        ]
        difference = self.difference(batch, result)
        files = [self.downloads(r) for r in result.methods]
        batch.wait()
        values = (*panels[0], *panels[1], difference, summary(result), *files)
        return tuple(as_sent(value) for value in values)

    def neutralised(self, batch: Batch, method: MethodResult) -> Path:
        """What the VAE encodes (ComfyUI's does not depend on grow_mask_by: its cache key leaves it out)."""
        return batch.jpeg((method.cache_key, "neutralised"), lambda: to_uint8(method.prepared.pixels[0]))

    def decoded(self, batch: Batch, method: MethodResult) -> Path:
        return batch.jpeg((method.cache_key, "decoded"), lambda: method.latent.decoded.numpy())

    def overlay(self, batch: Batch, result: Comparison, method: MethodResult) -> Overlay:
        """The noise mask and the grey (neutralised) area over the input; one mask where they are the same
        (WAS always, ComfyUI at grow_mask_by 0)."""
        base = batch.jpeg(
            (method.cache_key[0], method.crop_offset, method.size), lambda: to_uint8(cropped_input(result, method))
        )
        noise_key = (method.cache_key, method.amount, "noise")
        if grey_is_noise_mask(method):
            label = "noise mask = grey"
            return Overlay(
                base, [(label, batch.mask(noise_key, lambda: method.noise_mask.numpy(), ALL_COLOURS[label]))]
            )
        grey, noise = "grey (neutralised)", "noise mask"
        return Overlay(
            base,
            [
                (
                    grey,
                    batch.mask((method.cache_key, "grey"), lambda: method.neutralise_mask.numpy(), ALL_COLOURS[grey]),
                ),
                (noise, batch.mask(noise_key, lambda: method.noise_mask.numpy(), ALL_COLOURS[noise])),
            ],
        )

    def cells(self, batch: Batch, result: Comparison, method: MethodResult) -> Overlay:
        """The latent grid over the neutralised pixels, with edge cells and grey-halo risk cells."""
        key = (method.cache_key, method.amount)
        maps = {
            "latent grid": (("grid", *method.size, result.downscale_ratio), grid_lines),
            "edge cells": ((*key, "edge"), edge_cell_map),
            "grey-halo risk": ((*key, "halo"), halo_cell_map),
        }
        return Overlay(
            self.neutralised(batch, method),
            [
                (label, batch.mask(mask_key, lambda m=make: m(result, method).numpy(), ALL_COLOURS[label]))
                for label, (mask_key, make) in maps.items()
            ],
        )

    def sampler(self, batch: Batch, result: Comparison, method: MethodResult) -> Path:
        """The noise mask as the sampler sees it: bilinearly resized to the latent, shown enlarged."""
        return batch.png((method.cache_key, method.amount, "sampler"), lambda: to_uint8(sampler_view(result, method)))

    def difference(self, batch: Batch, result: Comparison) -> Overlay:
        """The two noise masks in the input's frame: where only one method masks, and where both do."""
        comfy, was = (_in_full_frame(result, r) for r in result.methods)
        regions = {"only ComfyUI": comfy & ~was, "only WAS": was & ~comfy, "both": comfy & was}
        base = batch.jpeg((result.comfy.cache_key[0], "input"), lambda: to_uint8(result.image))
        key = (result.comfy.cache_key, result.comfy.amount, result.was.cache_key)
        return Overlay(
            base,
            [
                (label, batch.mask((*key, label), lambda r=region: r.cpu().numpy(), ALL_COLOURS[label]))
                for label, region in regions.items()
            ],
        )

    def downloads(self, method: MethodResult) -> list[Path]:
        folder = Path(tempfile.mkdtemp(dir=self.files.folder))
        stem = f"{method.method}_{method.amount}"
        latent = save_latent(method.latent.latents, folder / f"{stem}.latent")
        mask_png, pixels_png = folder / f"{stem}_noise_mask.png", folder / f"{stem}_neutralised.png"
        Image.fromarray(method.noise_mask.numpy() * 255).save(mask_png, compress_level=1)
        Image.fromarray(to_uint8(method.prepared.pixels[0])).save(pixels_png, compress_level=1)
        return [latent, mask_png, pixels_png]


def grey_is_noise_mask(method: MethodResult) -> bool:
    """Whether the pixels set to grey are exactly the noise mask (checked where the masks are, once)."""
    prepared = method.prepared
    return method.once("grey is noise", lambda: torch.equal(prepared.neutralise_mask, prepared.noise_mask))


def _name(image: Path | Overlay) -> tuple:
    """What identifies an image panel's content: its files (named by their content)."""
    if isinstance(image, Overlay):
        return str(image.base), tuple(str(path) for _, path in image.masks)
    return (str(image),)


def _has_image(value) -> bool:
    return bool(value) and value.get("background") is not None


def _integer(value, name: str) -> int:
    """Slider values arrive as int or float; a fractional one is refused, not rounded."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    return int(value)


def _in_full_frame(result: Comparison, method: MethodResult) -> torch.Tensor:
    """bool (H, W), on the masks' device: the method's noise mask placed in the input's frame."""
    noise_mask = method.prepared.noise_mask[0, 0]
    frame = torch.zeros(result.image.shape[:2], dtype=torch.bool, device=noise_mask.device)
    top, left = method.crop_offset
    height, width = method.size
    frame[top : top + height, left : left + width] = noise_mask > 0
    return frame


def _example(name: str) -> dict:
    mask = ASSETS / f"{Path(name).stem}_mask.png"
    return {"background": str(ASSETS / name), "layers": [str(mask)], "composite": None}


def _slider(amount, label: str, info: str) -> gr.Slider:
    return gr.Slider(amount.min, amount.max, value=amount.default, step=1, label=label, info=info, elem_id=amount.name)


def method_row(method: str) -> dict:
    """One method's panels: what the VAE sees and what it makes; then its latent cells and the sampler's view."""
    gr.Markdown(f"### {METHOD_TITLES[method]}")
    with gr.Row(elem_classes="method-row"):
        pixels = gr.Image(
            label="Neutralised pixels (what the VAE encodes)", type="filepath", elem_id=f"{method}-pixels"
        )
        mask = gr.AnnotatedImage(
            label="Noise mask over the image", format="jpeg", color_map=MASK_COLOURS, elem_id=f"{method}-mask"
        )
        decoded = gr.Image(label="Decoded latent", type="filepath", elem_id=f"{method}-decoded")
    with gr.Row():
        cells = gr.AnnotatedImage(
            label="Latent cells: cut by the mask's edge, or holding grey the sampler does not fully repaint",
            format="jpeg",
            color_map=CELL_COLOURS,
            elem_id=f"{method}-cells",
        )
        sampler = gr.Image(
            label="The sampler's view: the noise mask resized to the latent",
            type="filepath",
            elem_id=f"{method}-sampler",
        )
        files = gr.File(label="Downloads", file_count="multiple")
    return {"pixels": pixels, "mask": mask, "decoded": decoded, "cells": cells, "sampler": sampler, "files": files}


def build_page(inspector: Inspector, note: str) -> gr.Blocks:
    with gr.Blocks(title="Inpaint Encode Inspector", delete_cache=(3600, 3600)) as page:
        gr.Markdown(
            "# Inpaint Encode Inspector\nPaint the area to inpaint, then move the sliders: each row shows what one "
            "node hands the sampler. Masks are drawn over the image; previews are JPEG, downloads lossless."
        )
        gr.Markdown(note)
        with gr.Row():
            with gr.Column(scale=3):
                editor = gr.ImageEditor(
                    label="Image and mask (paint with the brush)",
                    type="pil",
                    image_mode=None,  # as uploaded: inpaint_core.editor converts 16-bit, CMYK, EXIF rotation...
                    format="png",
                    sources=("upload", "clipboard", "webcam"),
                    brush=gr.Brush(colors=["#ff3c78"], color_mode="fixed"),
                    height=520,
                    elem_id="editor",
                )
                gr.Examples([[_example(name)] for name in EXAMPLES], inputs=[editor], label="Examples (with masks)")
            with gr.Column(scale=2):
                vae = gr.Dropdown(inspector.registry.labels, value=inspector.registry.labels[0], label="VAE")
                grow = _slider(GROW_MASK_BY, "grow_mask_by (ComfyUI)", "k×k dilation of the noise mask only")
                offset = _slider(MASK_OFFSET, "mask_offset (WAS)", "> 0 dilates, < 0 erodes; grey pixels follow")
                compare_button = gr.Button("Compare and make downloads", variant="primary")
                notes = gr.Markdown(elem_id="warnings")
                diff = gr.AnnotatedImage(
                    label="Where the noise masks differ", format="jpeg", color_map=DIFF_COLOURS, elem_id="difference"
                )
                table = gr.JSON(label="Numbers", elem_id="numbers", open=True)
        comfy, was = method_row("comfy"), method_row("was")

        state = gr.State()  # the editor's image and mask as tensors, read once per edit
        editor.change(
            inspector.read_editor,
            editor,
            state,
            trigger_mode="always_last",
            show_progress="hidden",
            api_visibility="private",
        )
        inputs = [state, vae, grow, offset]
        analysis = ["pixels", "mask", "cells", "sampler"]
        shown = gr.State({})  # which images the page shows, so unchanged ones are not sent again
        mask_outputs = [*(comfy[k] for k in analysis), *(was[k] for k in analysis), diff, table, notes, shown]
        # Live events send their values ready-made (postprocess=False, see as_sent); one listener per kind of
        # work, so always_last drops stale runs whichever control moved.
        live = dict(trigger_mode="always_last", show_progress="minimal", api_visibility="private", postprocess=False)
        gr.on(
            [state.change, vae.change, grow.change, offset.change],
            inspector.show_masks,
            [*inputs, shown],
            mask_outputs,
            **live,
        )
        latent_triggers = [state.change, vae.change, offset.change]  # ComfyUI's latent ignores grow_mask_by
        latents = gr.on(latent_triggers, inspector.show_latents, inputs, [comfy["decoded"], was["decoded"]], **live)
        latents.then(inspector.show_numbers, inputs, table, **live)  # read afresh: the sliders may have moved
        six = [comfy["pixels"], comfy["mask"], comfy["decoded"], was["pixels"], was["mask"], was["decoded"]]
        compare_button.click(
            inspector.compare,
            [editor, vae, grow, offset],
            [*six, diff, table, comfy["files"], was["files"]],
            api_name="compare",
            postprocess=False,
        )
    return page


def main(argv: list[str] | None = None) -> None:
    args = parse_settings(argv)
    device = torch.device(args.device) if args.device else default_device()
    sources, note = choose_sources(args)
    inspector = Inspector(VAERegistry(sources, device), args.max_side, image_folder())
    if ZERO_GPU:  # load every VAE at start, as ZeroGPU expects, not inside a request
        for label in inspector.registry.labels:
            inspector.registry.get(label)
    limit_decoding(args.max_side)
    page = build_page(inspector, note)
    page.queue(max_size=int(os.environ.get("INPAINT_QUEUE_SIZE", "32")), default_concurrency_limit=2)
    page.launch(
        server_name=args.host, server_port=args.port, max_file_size="25mb", allowed_paths=[str(ASSETS)], show_error=True
    )


if __name__ == "__main__":
    main()
