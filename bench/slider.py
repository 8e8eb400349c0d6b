"""Server-side time of a slider change: the page's handler plus Gradio's encoding of what it returns.

    python -m bench.slider --size 512                          # the CPU, TAEF2
    python -m bench.slider --device cuda --size 1024           # a GPU
A grow_mask_by change runs the masks event alone (ComfyUI's latent is cached); a mask_offset
change runs it and the latent event (WAS encodes and decodes anew: a new offset every time), then
the numbers event that follows: once one after the other, each event's handler and sending apart,
and once with the two at once, as the page's queue runs them. Medians over --changes changes.
"""

import argparse
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
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


@contextmanager
def fresh_folder():
    """An empty folder where the page keeps its images (inside Gradio's cache), removed after use."""
    app.image_folder().mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir=app.image_folder()))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


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


def nothing(*args, **kwargs) -> None:
    """A stand-in for gr.Progress."""


def time_event(page, handler, args, shown=None) -> tuple[float, float, tuple]:
    """Seconds in the handler and in sending its values, and the values; `shown` for handlers that keep it."""
    start = time.perf_counter()
    values = handler(*args, shown, progress=nothing) if shown is not None else handler(*args, progress=nothing)
    if not isinstance(values, tuple):
        values = (values,)
    middle = time.perf_counter()
    send(event_of(page, handler), values)
    return middle - start, time.perf_counter() - middle, values


def time_changes(inspector, page, calls, device, latents: bool) -> dict[str, list[float]]:
    """Per change, milliseconds: the masks event (handler, sending), and with `latents` the latent event and
    the numbers event that follows it, as the page runs them for a mask_offset change."""
    times, shown = defaultdict(list), {}
    for args in calls:
        sync(device)
        handler_s, send_s, values = time_event(page, inspector.show_masks, args, shown)
        shown = values[-1]
        steps = {"masks: handler": handler_s, "masks: sending": send_s}
        if latents:
            handler_s, send_s, _ = time_event(page, inspector.show_latents, args)
            steps |= {"latent: handler": handler_s, "latent: sending": send_s}
            steps["numbers"] = sum(time_event(page, inspector.show_numbers, args)[:2])
        steps["whole change"] = sum(steps.values())
        for name, seconds in steps.items():
            times[name].append(seconds * 1e3)
    return times


def time_changes_at_once(inspector, page, calls, device) -> dict[str, list[float]]:
    """Per mask_offset change, milliseconds from the change until every panel is sent, with the masks and
    latent events running at once (each event has its own worker in the page's queue), then the numbers."""
    times, shown = defaultdict(list), {}
    with ThreadPoolExecutor(max_workers=2) as workers:
        for args in calls:
            sync(device)
            start = time.perf_counter()
            masks = workers.submit(time_event, page, inspector.show_masks, args, shown)
            workers.submit(time_event, page, inspector.show_latents, args).result()
            shown = masks.result()[2][-1]
            time_event(page, inspector.show_numbers, args)
            times["whole change"].append((time.perf_counter() - start) * 1e3)
    return times


def measure(vae_source: str, device: torch.device, size: int, changes: int, folder: Path) -> tuple[str, dict]:
    """The VAE's label and, per kind of change, per step, the milliseconds of each change."""
    inspector = app.Inspector(VAERegistry([vae_source], device), 4096, folder)
    page = app.build_page(inspector, "")
    value, label = inspector.read_editor(editor_value(size)), label_of(vae_source)
    inspector.show_latents(value, label, 6, 6, progress=nothing)  # load, warm up, cache ComfyUI's latent
    grows = [(value, label, g, 6) for g in range(7, 7 + changes)]
    offsets = [(value, label, 6, o) for o in range(-1, -1 - 2 * changes, -1)]  # each new: WAS encodes
    return label, {
        "grow_mask_by change": time_changes(inspector, page, grows, device, latents=False),
        "mask_offset change, events one after the other": time_changes(
            inspector, page, offsets[:changes], device, latents=True
        ),
        "mask_offset change, events at once as the page runs them": time_changes_at_once(
            inspector, page, offsets[changes:], device
        ),
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
    print(f"{label} on {device}, {args.size}², median of {args.changes} changes (handler + Gradio's sending), ms:")
    for change, steps in rows.items():
        print(f"  {change}")
        for step, times in steps.items():
            print(f"    {step:<18} {statistics.median(times):8.1f}   (max {max(times):.1f})")


if __name__ == "__main__":
    main()
