"""The VAE as the user has it, for the export: what their ComfyUI's VAELoader loads, and what their copy of
the Python snippet passes to `load_vae`; never a path on the server that made the export.

ComfyUI 0.8's VAELoader (nodes.py `vae_list`) lists a tiny autoencoder pair in `models/vae_approx` by its family
(taesd, taesdxl, taesd3, taef1) and files in `models/vae` by name. It has no TAEF2: a prompt naming `taef2` is
refused ("Value not in list"). For FLUX.2's latent space it loads the full VAE, which Comfy-Org's FLUX.2
files and templates name `flux2-vae.safetensors` (Comfy-Org/flux2-dev, split_files/vae). Later ComfyUI
releases list `taef2` too (its `VAELoader.image_taes` in 0.38.1; not in 0.8), in FLUX.2's packed layout.
"""

from pathlib import Path

from ..vaes.loaders import HUB_ID, TINY_FAMILIES, tiny_pair_name

COMFYUI_TINY = ("taesd", "taesdxl", "taesd3", "taef1")  # ComfyUI 0.8 VAELoader.image_taes
FLUX2_VAE = "flux2-vae.safetensors"
TAEF2_NOTE = (
    f"ComfyUI 0.8's Load VAE has no TAEF2, so this graph loads the full FLUX.2 VAE, {FLUX2_VAE} "
    "(Comfy-Org/flux2-dev, split_files/vae, in models/vae). Its latents differ from TAEF2's by TAEF2's approximation, "
    "and come in FLUX.2's packed layout (128 channels at 1/16 of the image; the node crops to 16 px). "
    "A ComfyUI whose Load VAE lists taef2 (0.38.1 does) loads taef2_encoder.pth and taef2_decoder.pth from "
    "models/vae_approx under that name."
)


def tiny_family(vae_name: str, vae_source: str | None = None) -> str | None:
    """The tiny autoencoder family of a page label or source (`taesd`, `taef2`, ...), else None."""
    for candidate in (vae_source, vae_name):
        if candidate:
            name = tiny_pair_name(candidate) or Path(candidate).name
            if name in TINY_FAMILIES:
                return name
    return None


def comfyui_vae(vae_name: str, vae_source: str | None = None) -> tuple[str, str | None]:
    """(the name the user's ComfyUI 0.8 VAELoader loads for this VAE's latent space, a note or None)."""
    family = tiny_family(vae_name, vae_source)
    if family == "taef2":
        return FLUX2_VAE, TAEF2_NOTE
    if family in COMFYUI_TINY:
        return family, None
    return vae_name, None


def snippet_vae(vae_source: str) -> tuple[str, str]:
    """(the `load_vae` argument, a comment for its line) as a user would have the VAE: the Hub id or `approx` as
    they are, else the file or folder's name, to point at their own copy."""
    path = Path(vae_source)
    if vae_source == "approx" or (HUB_ID.match(vae_source) and not path.exists()):
        return vae_source, ""
    family = tiny_pair_name(path) or (path.name if path.name in TINY_FAMILIES else None)
    if family and path.is_dir():
        where = f"a folder holding {family}_encoder.pth and {family}_decoder.pth (madebyollin/taesd on GitHub)"
    elif family:
        where = f"your ComfyUI/models/vae_approx/{path.name} (its {family}_encoder twin beside it)"
    elif path.is_dir():
        where = "your copy of this diffusers VAE folder"
    else:
        where = f"your ComfyUI/models/vae/{path.name}"
    return path.name, f"  # point this at {where}"
