"""Server-side time of what the page asks the server: the handler plus Gradio's sending of what it returns.

    python -m bench.slider --size 512                          # the CPU, TAEF2
    python -m bench.slider --device cuda --size 1024           # a GPU
Slider steps never reach the server (the browser draws the masks; bench/live_slider.py times that). The
server is asked once per edit (the live panels' payload) and once per release (settle: latents, previews,
numbers). A grow_mask_by release encodes nothing (ComfyUI's latent is cached); a mask_offset release
encodes and decodes WAS's anew. Medians over --changes calls.
"""

import argparse
import inspect
import statistics
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch
from PIL import Image

import app
from bench.timing import sync
from inpaint_core.vaes.registry import VAERegistry, label_of
from tests.conftest import fresh_folder
from tests.web.events import event_of, nothing, send
from web.examples import ASSETS

TAEF2 = ASSETS / "taef2"  # the bundled weights


def editor_value(size: int) -> dict:
    """The cat at size², with its example mask, as the editor hands it to handlers."""
    background = Image.open(ASSETS / "chelsea.png").convert("RGBA").resize((size, size))
    layer = Image.open(ASSETS / "chelsea_mask.png").resize((size, size), Image.NEAREST)
    return {"background": np.asarray(background), "layers": [np.asarray(layer)], "composite": None}


def time_event(page, handler, args, shown=None) -> tuple[float, float, tuple]:
    """Seconds in the handler and in sending its values, and the values; `shown` for handlers that keep it."""
    start = time.perf_counter()
    kwargs = {"progress": nothing} if "progress" in inspect.signature(handler).parameters else {}
    values = handler(*args, shown, **kwargs) if shown is not None else handler(*args, **kwargs)
    if not isinstance(values, tuple):
        values = (values,)
    middle = time.perf_counter()
    send(event_of(page, handler), values)
    return middle - start, time.perf_counter() - middle, values


def time_releases(inspector, page, calls, device) -> dict[str, list[float]]:
    """Per release, milliseconds in the settle handler (latents, decoded previews, numbers, detail panels) and in
    sending its values, as the page runs it when a slider is let go."""
    times, shown = defaultdict(list), {}
    for args in calls:
        sync(device)
        handler_s, send_s, values = time_event(page, inspector.settle, args, shown)
        shown = values.shown
        for name, seconds in {"handler": handler_s, "sending": send_s, "whole": handler_s + send_s}.items():
            times[name].append(seconds * 1e3)
    return times


def time_edits(inspector, page, value, label, device, repeats: int) -> dict[str, list[float]]:
    """Milliseconds of the live panels' payload for an edit (the mask as bits, the crops, the input JPEG)."""
    times = defaultdict(list)
    for _ in range(repeats):
        inspector.files = type(inspector.files)(inspector.files.folder / "edits" / str(len(times["whole"])))
        sync(device)
        handler_s, send_s, _ = time_event(page, inspector.edit, (value, label))
        times["whole"].append((handler_s + send_s) * 1e3)
    return times


def measure(vae_source: str, device: torch.device, size: int, changes: int, folder: Path) -> tuple[str, dict]:
    """The VAE's label and, per kind of server call, per step, the milliseconds of each call."""
    inspector = app.Inspector(VAERegistry([vae_source], device), 4096, folder)
    page = app.build_page(inspector, "")
    value, label = inspector.read_editor(editor_value(size)), label_of(vae_source)
    inspector.settle(value, label, 6, 6, "comfyui", progress=nothing)  # load, warm up, cache ComfyUI's latent
    grows = [(value, label, g, 6, "comfyui") for g in range(7, 7 + changes)]
    offsets = [(value, label, 6, o, "comfyui") for o in range(-1, -1 - changes, -1)]  # each new: WAS encodes
    return label, {
        "an edit: the live panels' payload": time_edits(inspector, page, value, label, device, min(changes, 5)),
        "grow_mask_by release (no encoding)": time_releases(inspector, page, grows, device),
        "mask_offset release (WAS encodes and decodes)": time_releases(inspector, page, offsets, device),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--vae", default=str(TAEF2))
    parser.add_argument("--changes", type=int, default=20)
    args = parser.parse_args()
    device = torch.device(args.device)
    with fresh_folder() as folder:
        label, rows = measure(args.vae, device, args.size, args.changes, folder)
    print(f"{label} on {device}, {args.size}², median of {args.changes} calls (handler + Gradio's sending), ms:")
    for change, steps in rows.items():
        print(f"  {change}")
        for step, times in steps.items():
            print(f"    {step:<18} {statistics.median(times):8.1f}   (max {max(times):.1f})")


if __name__ == "__main__":
    main()
