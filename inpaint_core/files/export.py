"""Files that take a mask and a setting back to ComfyUI or diffusers: the image with the mask in its
alpha channel, the workflow in both of ComfyUI's formats (workflow.py), and a Python snippet.

ComfyUI 0.8.0's LoadImage (`nodes.py`) reads MASK = 1 - alpha / 255, so inpainted pixels are written
with alpha 0 and the others with 255, and a soft mask with the 8-bit alpha LoadImage reads back as it
(inpaint_core.editor.mask_to_alpha); their colour stays in the file under any alpha.
"""

import hashlib
import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..editor import mask_to_alpha
from ..preparations.methods import METHODS as PREPARATIONS
from ..settings import check_settings
from .image_files import write_once
from .vae_names import comfyui_vae, snippet_vae
from .workflow import ENCODERS, comfy_api_prompt, comfy_workflow, graph
from .workflow import METHODS as WORKFLOW_METHODS

DIFFUSERS_MARK = "# With diffusers alone"
SAMPLE_MARK = "# Then sample"


def mask_in_alpha(image_rgb_uint8, mask_bool) -> np.ndarray:
    """uint8 (H, W, 4): the image, and alpha 0 where the mask is set (255 elsewhere). A float mask in [0, 1]
    (a soft one: inpaint_core.editor.image_mask) is written as the 8-bit alpha LoadImage reads back as it."""
    image = _array(image_rgb_uint8, "image_rgb_uint8")
    mask = _array(mask_bool, "mask_bool")
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"image_rgb_uint8 must be (H, W, 3) uint8, got {image.shape} {image.dtype}")
    if mask.shape != image.shape[:2] or not (mask.dtype == np.bool_ or np.issubdtype(mask.dtype, np.floating)):
        raise ValueError(
            f"mask_bool must be (H, W) bool or float of the image's size {image.shape[:2]}, got {mask.shape} "
            f"{mask.dtype}"
        )
    return np.concatenate([image, mask_to_alpha(mask)[..., None]], axis=2)


def write_export(
    folder, image_rgb_uint8, mask_bool, method: str, amount: int | dict, vae_name: str, vae_source: str | None = None
) -> list[Path]:
    """Write into `folder` the RGBA PNG, the canvas workflow and the API prompt (and, with `vae_source`, the
    Python snippet); return their paths, the PNG first. Files are named by the image's content and the setting.

    `method`: a seed encoder with its amount, or any preparation (inpaint_core.preparations.METHODS) with its
    settings; a workflow is written where the method's graph needs no model but the VAE (workflow.METHODS).
    `vae_name` is the page's name for the VAE: the workflow names what the user's ComfyUI loads for its latent
    space instead (vae_names.comfyui_vae, with a note on the canvas where that differs); the snippet names it as
    the user would have it (vae_names.snippet_vae), never by `vae_source`'s path on this machine."""
    if method in WORKFLOW_METHODS:
        graph(method, amount, vae_name, "check.png")  # bad settings fail before anything is written
    elif method in PREPARATIONS and isinstance(amount, dict):
        check_settings(PREPARATIONS[method].settings, amount)
    else:
        raise ValueError(f"method must be one of {sorted(PREPARATIONS)} (settings as a dict), got {method!r}")
    image, written = _write_image(folder, image_rgb_uint8, mask_bool), []
    named = f"{image.stem}\n{vae_name}\n{vae_source}\n{json.dumps(amount, sort_keys=True)}"
    which = hashlib.blake2b(named.encode(), digest_size=3).hexdigest()
    setting = f"{setting_tag(method, amount)}-{which}"  # what it is first; the image and VAE in the digest
    comfy_name, note = comfyui_vae(vae_name, vae_source)
    if method in WORKFLOW_METHODS:
        canvas = comfy_workflow(method, amount, comfy_name, image.name, vae_note=note)
        written.append(_write_text(image.parent / f"{setting}-workflow.json", json.dumps(canvas, indent=2)))
        prompt = comfy_api_prompt(method, amount, comfy_name, image.name)
        written.append(_write_text(image.parent / f"{setting}-api.json", json.dumps(prompt, indent=2)))
    if vae_source is not None:
        snippet = (
            python_snippet(method, amount, vae_source, image.name)
            if method in ENCODERS
            else method_snippet(method, amount, vae_source, image.name)
        )
        written.append(_write_text(image.parent / f"{setting}.py", snippet))
    return [image, *written]


def _write_image(folder, image_rgb_uint8, mask_bool) -> Path:
    """The RGBA PNG (mask in alpha), named by its content."""
    rgba = mask_in_alpha(image_rgb_uint8, mask_bool)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    image = folder / f"image-{hashlib.blake2b(rgba.tobytes(), digest_size=4).hexdigest()}.png"
    write_once(image, lambda path: Image.fromarray(rgba, "RGBA").save(path, format="png", compress_level=1))
    return image


def _write_text(path: Path, text: str) -> Path:
    write_once(path, lambda p: p.write_text(text))
    return path


SHORT_AMOUNTS = {"grow_mask_by": "grow", "mask_offset": "offset"}


def setting_tag(method: str, amount: int | dict) -> str:
    """What a file holds, first in its name: `comfy-grow9`, `was-offset-6`, or another method's name (its
    settings go into the digest that follows)."""
    if method in ENCODERS:
        return f"{method}-{SHORT_AMOUNTS[PREPARATIONS[method].amount]}{amount}"
    return method


def method_snippet(method: str, settings: dict, vae_source: str, image_filename: str = "image.png") -> str:
    """Python that runs any preparation (inpaint_core.preparations.METHODS) on the exported image, as the page did."""
    if method not in PREPARATIONS:
        raise ValueError(f"method must be one of {sorted(PREPARATIONS)}, got {method!r}")
    settings = check_settings(PREPARATIONS[method].settings, settings)
    vae_argument, vae_comment = snippet_vae(vae_source)
    return f"""import numpy as np
import torch
from PIL import Image

from inpaint_core import load_vae
from inpaint_core.preparations import run_method

rgba = np.asarray(Image.open({image_filename!r}).convert("RGBA"))
pixels = torch.from_numpy(rgba[..., :3].copy()).float()[None] / 255  # (1, H, W, 3), as LoadImage reads it
mask = 1.0 - torch.from_numpy(rgba[..., 3].astype(np.float32) / 255.0)[None]  # (1, H, W): as LoadImage reads it

vae = load_vae({vae_argument!r}){vae_comment}
preparation = run_method({method!r}, pixels, mask, {settings!r}, vae)
latent = preparation.latent  # ComfyUI's LATENT: "samples" and, where the method sets one, "noise_mask"
"""


def python_snippet(
    method: str, amount: int, vae_source: str, image_filename: str = "image.png", downscale_ratio: int = 8
) -> str:
    """Python that prepares the exported image as the method does: with inpaint_core, then with torch and
    diffusers alone (the same crop, mask and grey, then an inpaint pipeline). `downscale_ratio`: the VAE's."""
    graph(method, amount, "vae", image_filename)  # checks the method, the amount and the file name
    name, (vae_argument, vae_comment) = PREPARATIONS[method].amount, snippet_vae(vae_source)
    if method == "comfy":
        core = f"prepare_comfy(pixels, mask, {name}={amount}, downscale_ratio=vae.downscale_ratio)"
        crop, grey = "ratio", "(mask > 0.5).float()  # the original mask, not the grown one"
        change = _grow_lines(amount)
    else:
        core = f"prepare_was(pixels, mask, {name}={amount})"
        crop, grey = "8", "noise_mask  # the offset mask"
        change = _offset_lines(amount)
    return f"""import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

rgba = np.asarray(Image.open({image_filename!r}).convert("RGBA"))
pixels = torch.from_numpy(rgba[..., :3].copy()).float()[None] / 255  # (1, H, W, 3), as LoadImage reads it
mask = 1.0 - torch.from_numpy(rgba[..., 3].astype(np.float32) / 255.0)[None]  # (1, H, W): as LoadImage reads it

# With inpaint_core: the maths of {PREPARATIONS[method].node[0]} ({name}={amount}), exactly
from inpaint_core import load_vae, {core.split("(")[0]}

vae = load_vae({vae_argument!r}){vae_comment}
prepared = {core}
latent = {{"samples": vae.encode(prepared.pixels), "noise_mask": prepared.noise_mask}}  # ComfyUI's LATENT

{DIFFUSERS_MARK}: the same centred crop, mask and grey, written out
ratio = {downscale_ratio}  # the VAE's downscale ratio: your pipeline's vae_scale_factor
height, width = pixels.shape[1] // {crop} * {crop}, pixels.shape[2] // {crop} * {crop}
top, left = pixels.shape[1] % {crop} // 2, pixels.shape[2] % {crop} // 2
image = pixels[:, top : top + height, left : left + width]
mask = mask[:, None, top : top + height, left : left + width]
{change}
grey = {grey}
image = torch.where(grey[:, 0, :, :, None] > 0, 0.5, image)  # neutralised to 0.5 grey
# noise_mask and image now equal prepared.noise_mask and prepared.pixels

{SAMPLE_MARK}: an inpaint pipeline takes the neutralised image and the noise mask (it binarises the mask
# and reads one pixel per latent cell: inpaint_core.analysis.samplers.diffusers_view)
from diffusers import AutoPipelineForInpainting

pipe = AutoPipelineForInpainting.from_pretrained("stable-diffusion-v1-5/stable-diffusion-inpainting")
result = pipe(
    prompt="...",
    image=Image.fromarray((image[0].numpy() * 255).round().astype(np.uint8)),
    mask_image=Image.fromarray(noise_mask[0, 0].numpy().astype(np.uint8) * 255),
    height=height // ratio * ratio,
    width=width // ratio * ratio,
).images[0]
"""


def _grow_lines(grow_mask_by: int) -> str:
    """ComfyUI's grow: a k×k window padded by ceil((k - 1) / 2) on every side, cut back to the image's size."""
    if grow_mask_by == 0:
        return "noise_mask = (mask > 0.5).float()"
    padding, k = grow_mask_by // 2, grow_mask_by
    return (
        f"padded = F.pad((mask > 0.5).float(), ({padding}, {padding}, {padding}, {padding}))\n"
        f"grown = F.max_pool2d(F.max_pool2d(padded, ({k}, 1), stride=1), (1, {k}), stride=1)  # a {k}×{k} window\n"
        "noise_mask = grown[:, :, :height, :width]"
    )


def _offset_lines(mask_offset: int) -> str:
    """WAS's offset: a (2n+1)² window, dilating the mask (n > 0) or, through its inverse, eroding it (n < 0)."""
    n, k = abs(mask_offset), 2 * abs(mask_offset) + 1
    if mask_offset == 0:
        return "noise_mask = (mask > 0.5).float()"
    window = f"F.max_pool2d(F.max_pool2d({{}}, ({k}, 1), 1, ({n}, 0)), (1, {k}), 1, (0, {n}))  # a {k}×{k} window"
    if mask_offset > 0:
        return "noise_mask = " + window.format("(mask > 0.5).float()")
    return "noise_mask = 1 - " + window.format("(mask <= 0.5).float()")


def _array(value, name: str) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        return value
    raise ValueError(f"{name} must be a numpy array or a torch tensor, got {type(value).__name__}")
