"""Inpaint Encode Inspector: paint a mask, compare ComfyUI's grow_mask_by with WAS's mask_offset live.

The page only: settings, the UI, editor values to tensors and back, events. The work is in inpaint_core.
"""

import argparse
import os
import tempfile
from pathlib import Path

import gradio as gr
import numpy as np
import torch
from PIL import Image

from inpaint_core import GROW_MASK_BY, MASK_OFFSET
from inpaint_core.cache import LRUCache
from inpaint_core.compare import Comparison, MethodResult, compare_methods
from inpaint_core.device import default_device
from inpaint_core.editor import MAX_SIDE, from_editor, to_uint8
from inpaint_core.latent_file import save_latent
from inpaint_core.registry import APPROX, DEFAULT_HUB_VAE, VAERegistry, hub_reachable, label_of, scan_models_dir

try:  # ZeroGPU Spaces: GPU work runs under spaces.GPU (a no-op elsewhere)
    import spaces

    gpu = spaces.GPU
except ImportError:

    def gpu(fn):
        return fn


ASSETS = Path(__file__).parent / "assets"
EXAMPLES = ["chelsea.png", "astronaut.png", "coffee.png", "rocket.jpg"]
METHOD_TITLES = {
    "comfy": "ComfyUI · VAEEncodeForInpaint (grow_mask_by)",
    "was": "WAS · WAS_VAEEncodeForInpaint (mask_offset)",
}
DIFF_COLOURS = {"only ComfyUI": "#ff8c00", "only WAS": "#1e90ff", "both": "#c040c0"}
MASK_COLOURS = {"noise mask": "#ff3c78", "grey (neutralised)": "#808080"}


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


class Inspector:
    """The page's handlers, built around one VAE registry and one bounded cache."""

    def __init__(self, registry: VAERegistry, max_side: int, downloads: Path):
        self.registry = registry
        self.max_side = max_side
        self.cache = LRUCache(max_entries=16)
        self.downloads = downloads

    @gpu
    @torch.inference_mode()
    def _compare(self, image, vae_label, grow_mask_by, mask_offset, progress) -> Comparison:
        try:
            grow, offset = _integer(grow_mask_by, "grow_mask_by"), _integer(mask_offset, "mask_offset")
            editor = from_editor(image, self.max_side)
            progress(0.1, desc=f"Loading {vae_label}…")
            vae = self.registry.get(vae_label)
            progress(0.4, desc="Encoding and decoding…")
            return compare_methods(editor.pixels, editor.mask, vae, grow, offset, self.cache, editor.content_key)
        except (ValueError, MemoryError) as error:
            raise gr.Error(str(error)) from error

    def refresh_all(self, image, vae, grow_mask_by, mask_offset, progress=gr.Progress()):
        """The six panels, the difference and the numbers (no downloads): for live updates."""
        if not _has_image(image):
            return (None,) * 8  # an emptied editor empties the panels
        return self.refresh_from(self._compare(image, vae, grow_mask_by, mask_offset, progress))

    def refresh_comfy(self, image, vae, grow_mask_by, mask_offset, progress=gr.Progress()):
        """grow_mask_by moved: only ComfyUI's noise mask, the difference and the numbers change."""
        if not _has_image(image):
            return gr.skip(), gr.skip(), gr.skip()
        result = self._compare(image, vae, grow_mask_by, mask_offset, progress)
        return mask_panel(result, result.comfy), difference(result), numbers(result)

    def refresh_was(self, image, vae, grow_mask_by, mask_offset, progress=gr.Progress()):
        """mask_offset moved: WAS's three panels, the difference and the numbers change."""
        if not _has_image(image):
            return (gr.skip(),) * 5
        result = self._compare(image, vae, grow_mask_by, mask_offset, progress)
        return (*method_panels(result, result.was), difference(result), numbers(result))

    def compare(self, image, vae, grow_mask_by, mask_offset, progress=gr.Progress()):
        """Six panels (ComfyUI, then WAS: neutralised pixels, noise mask, decoded latent), the difference,
        the numbers as JSON, then each method's downloads (.latent, noise mask PNG, neutralised PNG)."""
        result = self._compare(image, vae, grow_mask_by, mask_offset, progress)
        progress(0.9, desc="Writing files…")
        downloads = [self.write_downloads(result, r) for r in (result.comfy, result.was)]
        return (*self.refresh_from(result), *downloads)

    def refresh_from(self, result: Comparison):
        return (
            *method_panels(result, result.comfy),
            *method_panels(result, result.was),
            difference(result),
            numbers(result),
        )

    def write_downloads(self, result: Comparison, method: MethodResult) -> list[str]:
        folder = Path(tempfile.mkdtemp(dir=self.downloads))
        stem = f"{method.method}_{method.amount}"
        latent = save_latent(method.latents, folder / f"{stem}.latent")
        mask_png = folder / f"{stem}_noise_mask.png"
        Image.fromarray(to_uint8(method.noise_mask)).save(mask_png)
        pixels_png = folder / f"{stem}_neutralised.png"
        Image.fromarray(to_uint8(method.neutralised)).save(pixels_png)
        return [str(latent), str(mask_png), str(pixels_png)]


def _has_image(value) -> bool:
    return bool(value) and value.get("background") is not None


def _integer(value, name: str) -> int:
    """Slider values arrive as int or float; a fractional one is refused, not rounded."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    return int(value)


def cropped_input(result: Comparison, method: MethodResult) -> torch.Tensor:
    top, left = method.crop_offset
    height, width = method.noise_mask.shape
    return result.image[top : top + height, left : left + width]


def mask_panel(result: Comparison, method: MethodResult):
    masks = [(method.neutralise_mask.numpy(), "grey (neutralised)"), (method.noise_mask.numpy(), "noise mask")]
    return to_uint8(cropped_input(result, method)), masks


def method_panels(result: Comparison, method: MethodResult):
    return to_uint8(method.neutralised), mask_panel(result, method), to_uint8(method.decoded)


def _in_full_frame(result: Comparison, method: MethodResult) -> np.ndarray:
    frame = np.zeros(result.image.shape[:2], dtype=bool)
    top, left = method.crop_offset
    height, width = method.noise_mask.shape
    frame[top : top + height, left : left + width] = method.noise_mask.numpy() > 0
    return frame


def difference(result: Comparison):
    """The two noise masks in the input's frame: where only one method masks, and where both do."""
    comfy, was = _in_full_frame(result, result.comfy), _in_full_frame(result, result.was)
    regions = {"only ComfyUI": comfy & ~was, "only WAS": was & ~comfy, "both": comfy & was}
    return to_uint8(result.image), [(region.astype(np.float32), label) for label, region in regions.items()]


def numbers(result: Comparison) -> dict:
    def one(method: MethodResult, amount_name: str) -> dict:
        return {
            amount_name: method.amount,
            "latent_shape": list(method.latents.shape),
            "mask_area": int(method.mask.sum()),
            "noise_mask_area": int(method.noise_mask.sum()),
            "grey_area": int(method.neutralise_mask.sum()),
            "time_ms": method.timings_ms,
        }

    return {
        "vae": result.vae_name,
        "comfy": one(result.comfy, GROW_MASK_BY.name),
        "was": one(result.was, MASK_OFFSET.name),
    }


def _example(name: str) -> dict:
    mask = ASSETS / f"{Path(name).stem}_mask.png"
    return {"background": str(ASSETS / name), "layers": [str(mask)], "composite": None}


def _slider(amount, label: str, info: str) -> gr.Slider:
    return gr.Slider(amount.min, amount.max, value=amount.default, step=1, label=label, info=info, elem_id=amount.name)


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
                    type="numpy",
                    image_mode="RGBA",
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
                diff = gr.AnnotatedImage(
                    label="Where the noise masks differ", format="jpeg", color_map=DIFF_COLOURS, elem_id="difference"
                )
                table = gr.JSON(label="Numbers", elem_id="numbers")
        panels = {}
        for method in ("comfy", "was"):
            gr.Markdown(f"### {METHOD_TITLES[method]}")
            with gr.Row(elem_classes="method-row"):
                panels[method] = (
                    gr.Image(label="Neutralised pixels (what the VAE encodes)", format="jpeg", type="numpy"),
                    gr.AnnotatedImage(label="Noise mask over the image", format="jpeg", color_map=MASK_COLOURS),
                    gr.Image(label="Decoded latent", format="jpeg", type="numpy"),
                )
                panels[f"{method}_files"] = gr.File(label="Downloads", file_count="multiple")
        inputs = [editor, vae, grow, offset]
        six = [*panels["comfy"], *panels["was"]]
        live = {"trigger_mode": "always_last", "show_progress": "minimal"}
        editor.change(inspector.refresh_all, inputs, [*six, diff, table], api_visibility="private", **live)
        vae.change(inspector.refresh_all, inputs, [*six, diff, table], api_visibility="private", **live)
        grow.change(
            inspector.refresh_comfy, inputs, [panels["comfy"][1], diff, table], api_visibility="private", **live
        )
        offset.change(inspector.refresh_was, inputs, [*panels["was"], diff, table], api_visibility="private", **live)
        compare_button.click(
            inspector.compare,
            inputs,
            [*six, diff, table, panels["comfy_files"], panels["was_files"]],
            api_name="compare",
        )
    return page


def main(argv: list[str] | None = None) -> None:
    args = parse_settings(argv)
    device = torch.device(args.device) if args.device else default_device()
    sources, note = choose_sources(args)
    downloads = Path(tempfile.mkdtemp(prefix="inpaint-downloads-"))
    inspector = Inspector(VAERegistry(sources, device), args.max_side, downloads)
    page = build_page(inspector, note)
    page.queue(max_size=int(os.environ.get("INPAINT_QUEUE_SIZE", "32")), default_concurrency_limit=2)
    page.launch(server_name=args.host, server_port=args.port, max_file_size="25mb", allowed_paths=[str(ASSETS)])


if __name__ == "__main__":
    main()
