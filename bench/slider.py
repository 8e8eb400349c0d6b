"""Server-side time of a slider change: the page's handler plus Gradio's encoding of what it returns.

    python -m bench.slider --size 512                          # the CPU, TAEF2
    python -m bench.slider --device cuda --size 1024           # a GPU
Each grow_mask_by change reuses the cached ComfyUI latent; each mask_offset change encodes and
decodes anew (a new offset every time). Medians over --changes changes of each.
"""

import argparse
import inspect
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from gradio import processing_utils
from gradio.data_classes import GradioModel, GradioRootModel
from PIL import Image

import app
from bench.timing import sync
from inpaint_core.registry import VAERegistry, label_of

TAEF2 = Path(__file__).resolve().parents[2] / "shared" / "models" / "taef2"


def editor_value(size: int) -> dict:
    """The cat at size², with its example mask, as the editor hands it to handlers."""
    background = Image.open(app.ASSETS / "chelsea.png").convert("RGBA").resize((size, size))
    layer = Image.open(app.ASSETS / "chelsea_mask.png").resize((size, size), Image.NEAREST)
    return {"background": np.asarray(background), "layers": [np.asarray(layer)], "composite": None}


def event_of(page, handler):
    """The page's event whose function is `handler`."""
    for block_fn in page.fns.values():
        if getattr(block_fn.fn, "__name__", None) == handler.__name__:
            return block_fn
    raise LookupError(handler.__name__)


def send(event, values) -> None:
    """What the server does with a handler's values: postprocess (unless the event opts out), then cache files."""
    for component, value in zip(event.outputs, values, strict=True):
        if isinstance(value, dict) and value.get("__type__") == "update":
            continue  # gr.skip(): nothing sent
        if event.postprocess:
            value = component.postprocess(value)
        if isinstance(value, GradioModel | GradioRootModel):
            value = value.model_dump()
        processing_utils.move_files_to_cache(value, component, postprocess=True)


def time_changes(page, handler, calls, device) -> list[float]:
    """Server-side seconds of each call; a handler that keeps what the page shows (a State) gets it back."""
    event = event_of(page, handler)
    keeps_shown = "shown" in inspect.signature(handler).parameters
    times, shown = [], {}
    for args in calls:
        sync(device)
        start = time.perf_counter()
        values = (
            handler(*args, shown, progress=lambda *a, **k: None)
            if keeps_shown
            else handler(*args, progress=lambda *a, **k: None)
        )
        send(event, values)
        times.append(time.perf_counter() - start)
        shown = values[-1] if keeps_shown else shown
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--vae", default=str(TAEF2))
    parser.add_argument("--changes", type=int, default=20)
    args = parser.parse_args()
    device = torch.device(args.device)
    inspector = app.Inspector(VAERegistry([args.vae], device), 4096, Path(tempfile.mkdtemp()))
    page = app.build_page(inspector, "")
    value, label = inspector.read_editor(editor_value(args.size)), label_of(args.vae)
    inspector.show_latents(value, label, 6, 6, progress=lambda *a, **k: None)  # load, warm up, cache ComfyUI's latent
    grows = [(value, label, g, 6) for g in range(7, 7 + args.changes)]
    offsets = [(value, label, 6, o) for o in range(-1, -1 - args.changes, -1)]
    masks = time_changes(page, inspector.show_masks, grows, device)
    offset_masks = time_changes(page, inspector.show_masks, offsets, device)
    offset_latents = time_changes(page, inspector.show_latents, offsets, device)
    rows = {
        "grow_mask_by change": masks,
        "mask_offset change: masks": offset_masks,
        "mask_offset change: latent": offset_latents,
        "mask_offset change: both": [a + b for a, b in zip(offset_masks, offset_latents, strict=True)],
    }
    print(f"{label} on {device}, {args.size}², median of {args.changes} changes (handler + Gradio encoding):")
    for name, times in rows.items():
        print(f"  {name:<28} {statistics.median(times) * 1e3:8.1f} ms   (max {max(times) * 1e3:.1f})")


if __name__ == "__main__":
    main()
