"""A comparison's results as files the page shows: previews named by content, masks over images, downloads.

Each function names its files by what they show (see inpaint_core.files.image_files), so an unchanged panel
is neither written nor sent again.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from gradio.components.annotated_image import AnnotatedImageData, Annotation
from gradio.data_classes import FileData, ListFiles
from PIL import Image

from inpaint_core.analysis.report import cropped_input, edge_cell_map, grid_lines, halo_cell_map, sampler_view
from inpaint_core.compare import Comparison, MethodResult
from inpaint_core.editor import to_uint8
from inpaint_core.files.export import setting_tag
from inpaint_core.files.image_files import Batch, write_once
from inpaint_core.files.latent_file import save_latent

DIFF_COLOURS = {"only ComfyUI": "#ff8c00", "only WAS": "#1e90ff", "both": "#c040c0"}
SIDE_COLOURS = {"only left": "#ff8c00", "only right": "#1e90ff"}  # where a column holds another method
MASK_COLOURS = {"noise mask": "#ff3c78", "grey (neutralised)": "#808080", "noise mask = grey": "#ff3c78"}
CELL_COLOURS = {"latent grid": "#ffffff", "edge cells": "#ffd000", "grey-halo risk": "#ff2020"}
ALL_COLOURS = DIFF_COLOURS | SIDE_COLOURS | MASK_COLOURS | CELL_COLOURS


@dataclass
class Overlay:
    """An image file with 0/1 mask files over it, each with its legend label."""

    base: Path
    masks: list[tuple[str, Path]]  # (label, mask PNG)


def as_sent(value):
    """A handler's value as the browser receives it (events use postprocess=False): a Path as FileData,
    a list of Paths as ListFiles, an Overlay as AnnotatedImageData; anything else as it is."""
    if isinstance(value, Path):
        return FileData(path=str(value))
    if isinstance(value, list) and all(isinstance(p, Path) for p in value):
        return ListFiles(root=[FileData(path=str(p), orig_name=p.name, size=p.stat().st_size) for p in value])
    if isinstance(value, Overlay):
        annotations = [Annotation(image=FileData(path=str(path)), label=label) for label, path in value.masks]
        return AnnotatedImageData(image=FileData(path=str(value.base)), annotations=annotations)
    return value


def name_of(image: Path | Overlay) -> tuple:
    """What identifies an image panel's content: its files (named by their content)."""
    if isinstance(image, Overlay):
        return str(image.base), tuple(str(path) for _, path in image.masks)
    return (str(image),)


def input_image(batch: Batch, content_key: str, make: Callable[[], np.ndarray]) -> Path:
    """The input image as a JPEG, once per content: make() -> (H, W, 3) uint8."""
    return batch.jpeg((content_key, "input"), make)


def neutralised(batch: Batch, method: MethodResult) -> Path:
    """What the VAE encodes (ComfyUI's does not depend on grow_mask_by: its cache key leaves it out)."""
    return batch.jpeg((method.cache_key, "neutralised"), lambda: to_uint8(method.prepared.pixels[0]))


def decoded(batch: Batch, method: MethodResult) -> Path:
    return batch.jpeg((method.cache_key, "decoded"), lambda: method.latent.decoded.numpy())


def grey_is_noise_mask(method: MethodResult) -> bool:
    """Whether the pixels set to grey are exactly the noise mask (checked where the masks are, once)."""
    prepared = method.prepared
    return method.once("grey is noise", lambda: torch.equal(prepared.neutralise_mask, prepared.noise_mask))


def overlay(batch: Batch, result: Comparison, method: MethodResult) -> Overlay:
    """The noise mask and the grey (neutralised) area over the input; one mask where they are the same
    (WAS always, ComfyUI at grow_mask_by 0)."""
    base = batch.jpeg(
        (method.cache_key[0], method.crop_offset, method.size), lambda: to_uint8(cropped_input(result, method))
    )
    noise_key = (method.cache_key, method.amount, "noise")
    if grey_is_noise_mask(method):
        label = "noise mask = grey"
        return Overlay(base, [(label, batch.mask(noise_key, lambda: method.noise_mask.numpy(), ALL_COLOURS[label]))])
    grey, noise = "grey (neutralised)", "noise mask"
    grey_file = batch.mask((method.cache_key, "grey"), lambda: method.neutralise_mask.numpy(), ALL_COLOURS[grey])
    noise_file = batch.mask(noise_key, lambda: method.noise_mask.numpy(), ALL_COLOURS[noise])
    return Overlay(base, [(grey, grey_file), (noise, noise_file)])


def cells(batch: Batch, result: Comparison, method: MethodResult, backend: str = "comfyui") -> Overlay:
    """The latent grid over the neutralised pixels, with edge cells and the cells where `backend`'s sampler
    risks a grey halo."""
    key = (method.cache_key, method.amount)
    maps = {
        "latent grid": (("grid", *method.size, result.downscale_ratio), grid_lines),
        "edge cells": ((*key, "edge"), edge_cell_map),
        "grey-halo risk": ((*key, "halo", backend), lambda r, m: halo_cell_map(r, m, backend)),
    }
    return Overlay(
        neutralised(batch, method),
        [
            (label, batch.mask(mask_key, lambda m=make: m(result, method).numpy(), ALL_COLOURS[label]))
            for label, (mask_key, make) in maps.items()
        ],
    )


def sampler(batch: Batch, result: Comparison, method: MethodResult, backend: str = "comfyui") -> Path:
    """The noise mask as `backend`'s sampler sees it at the latent's size, shown enlarged."""
    key = (method.cache_key, method.amount, "sampler", backend)
    return batch.png(key, lambda: to_uint8(sampler_view(result, method, backend=backend)))


def difference(batch: Batch, image: torch.Tensor, content_key, frames: list[tuple[torch.Tensor, tuple]],
               nodes: bool) -> Overlay:  # fmt: skip
    """The two columns' noise masks in the input's frame: where only one masks, and where both do. `frames`:
    per column (left, right), its mask above 0 in the frame and a key naming it; `nodes`: both columns hold
    their seed node (the legend then names them)."""
    (left_frame, left_key), (right_frame, right_key) = frames
    left, right = ("only ComfyUI", "only WAS") if nodes else ("only left", "only right")
    regions = {left: left_frame & ~right_frame, right: right_frame & ~left_frame, "both": left_frame & right_frame}
    base = input_image(batch, content_key, lambda: to_uint8(image))
    return Overlay(
        base,
        [
            (label, batch.mask((left_key, right_key, label), lambda r=region: r.numpy(), ALL_COLOURS[label]))
            for label, region in regions.items()
        ],
    )


def downloads(folder: Path, method: MethodResult) -> list[Path]:
    """The method's .latent (Load Latent reads it), noise mask PNG and neutralised PNG, in a folder named
    by their content: an identical request writes nothing new."""
    name = digest(method.cache_key, method.amount)
    stem = f"{setting_tag(method.method, method.amount)}-{name[:6]}"  # what it is first, then which image
    folder = folder / "downloads" / name
    folder.mkdir(parents=True, exist_ok=True)
    latent_path = folder / f"{stem}.latent"
    mask_png, pixels_png = folder / f"{stem}-noise-mask.png", folder / f"{stem}-neutralised.png"
    write_once(latent_path, lambda path: save_latent(method.whole_latents(), path))
    write_once(mask_png, lambda path: save_png(method.noise_mask.numpy() * 255, path))
    write_once(pixels_png, lambda path: save_png(to_uint8(method.prepared.pixels[0]), path))
    return [latent_path, mask_png, pixels_png]


def save_png(array, path: Path) -> None:
    """A uint8 array (H, W) or (H, W, 3) as a PNG, compressed fast."""
    Image.fromarray(array).save(path, format="png", compress_level=1)


def digest(*key) -> str:
    """A short name for a key: folders of downloads are named by what they hold."""
    return hashlib.blake2b(repr(key).encode(), digest_size=12).hexdigest()
