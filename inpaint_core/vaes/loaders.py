"""`load_vae(source)`: a VAE from wherever users keep one.

- `approx`: the built-in approximate SD1.x VAE (no weights);
- a tiny autoencoder `.pth`/`.safetensors` pair as in ComfyUI's `models/vae_approx`
  (`taesd_encoder.pth` + `taesd_decoder.pth`, ...): either file, or the folder holding them;
- a diffusers folder or hub id (`AutoencoderTiny`, `AutoencoderKL`), through huggingface_hub's cache;
- a single-file checkpoint as in ComfyUI's `models/vae` (`.safetensors`: SD1.x, SDXL, SD3, FLUX.1 `ae`).
"""

import json
import re
from pathlib import Path

import torch

from .approx import approximate_vae
from .comfy_kl import use_comfy_attention
from .comfy_tiny import comfy_tiny_codec
from .device import default_device, model_dtype
from .state_dicts import read_state_dict
from .tiny_autoencoder import decoder, encoder
from .vae import VAE

# family: (latent channels, scale, shift, label); raw latent = scaled / scale + shift, as ComfyUI does
TINY_FAMILIES = {
    "taesd": (4, 0.18215, 0.0, "TAESD (SD1.x)"),
    "taesdxl": (4, 0.13025, 0.0, "TAESDXL (SDXL)"),
    "taesd3": (16, 1.5305, 0.0609, "TAESD3 (SD3)"),
    "taef1": (16, 0.3611, 0.1159, "TAEF1 (FLUX.1)"),
    "taef2": (32, 1.0, 0.0, "TAEF2 (FLUX.2)"),
}
WEIGHT_SUFFIXES = (".safetensors", ".pth", ".pt", ".ckpt", ".bin")
HUB_ID = re.compile(r"^[\w.-]+/[\w.-]+$")
TINY_PART = re.compile(r"_(en|de)coder$")  # on a file's stem: one half of a tiny autoencoder pair


def tiny_pair_name(path: str | Path) -> str | None:
    """`taesd` for `.../taesd_decoder.safetensors` (either half of a pair): the name ComfyUI's VAELoader lists the
    pair by; None for a file that is no such half."""
    path = Path(path)
    if path.suffix not in WEIGHT_SUFFIXES or not TINY_PART.search(path.stem):
        return None
    return TINY_PART.sub("", path.stem)


def load_vae(source: str, device: torch.device | str | None = None) -> VAE:
    """A VAE from `source`: 'approx', a file, a folder or a hub id (see the module docstring)."""
    device = torch.device(device) if device is not None else default_device()
    path = Path(source).expanduser()
    if source == "approx":
        return approximate_vae(device)
    if path.is_dir():
        if (path / "config.json").is_file() or (path / "vae" / "config.json").is_file():
            return load_diffusers(str(path), device)
        return load_tiny_pair(_tiny_encoder_in(path), device)
    if path.is_file():
        if TINY_PART.search(path.stem):
            return load_tiny_pair(path, device)
        return load_single_file(path, device)
    if HUB_ID.match(source):
        return load_diffusers(source, device)
    raise ValueError(
        f"VAE source {source!r}: no such file or folder, and not 'approx' or a hub id like 'madebyollin/taesd'"
    )


def _tiny_encoder_in(folder: Path) -> Path:
    found = sorted(p for p in folder.iterdir() if p.stem.endswith("_encoder") and p.suffix in WEIGHT_SUFFIXES)
    if not found:
        raise ValueError(f"{folder}: no config.json (diffusers) and no *_encoder.pth (tiny autoencoder) in it")
    return found[0]


def load_tiny_pair(path: Path, device: torch.device) -> VAE:
    """A tiny autoencoder from either file of its `<family>_encoder` / `<family>_decoder` pair."""
    family = TINY_PART.sub("", path.stem)
    if family not in TINY_FAMILIES:
        raise ValueError(
            f"{path.name}: unknown tiny autoencoder family {family!r}, expected one of {sorted(TINY_FAMILIES)}"
        )
    channels, scale, shift, label = TINY_FAMILIES[family]
    dtype = model_dtype(device, fp16_safe=True)
    nets = {}
    for part, build in (("encoder", encoder), ("decoder", decoder)):
        file = path.with_name(f"{family}_{part}{path.suffix}")
        weights = read_state_dict(file)
        net = build(channels, pool=any(".pool." in key for key in weights))
        try:
            net.load_state_dict(weights)
        except RuntimeError as error:
            raise ValueError(f"{file}: not a {label} {part} ({str(error).splitlines()[0]})") from None
        nets[part] = net.to(device, dtype, memory_format=torch.channels_last).eval().requires_grad_(False)
    encode, decode = comfy_tiny_codec(nets["encoder"], nets["decoder"], scale, shift, device, dtype)
    return VAE(
        label,
        encoder=encode,
        decoder=decode,
        latent_channels=channels,
        device=device,
        dtype=dtype,
    )


def _read_config(source: str) -> tuple[dict, str | None]:
    """(config.json of a diffusers VAE, its subfolder), from a folder or the hub."""
    for subfolder in (None, "vae"):
        local = Path(source, subfolder or "", "config.json")
        if local.is_file():
            return json.loads(local.read_text()), subfolder
    from huggingface_hub import hf_hub_download

    for subfolder in (None, "vae"):
        try:
            return json.loads(Path(hf_hub_download(source, "config.json", subfolder=subfolder)).read_text()), subfolder
        except Exception as error:  # noqa: BLE001 - huggingface_hub raises several kinds; the last one is reported
            last = error
    raise ValueError(f"{source}: no diffusers VAE config.json found ({type(last).__name__}: {last})")


def load_diffusers(source: str, device: torch.device) -> VAE:
    """An AutoencoderTiny or AutoencoderKL from a diffusers folder or hub id (downloads show progress)."""
    import diffusers

    config, subfolder = _read_config(source)
    kind = config.get("_class_name")
    if kind not in ("AutoencoderTiny", "AutoencoderKL"):
        raise ValueError(f"{source}: a {kind}, expected AutoencoderTiny or AutoencoderKL")
    dtype = model_dtype(device, fp16_safe=kind == "AutoencoderTiny" or bool(config.get("force_upcast") is False))
    model = getattr(diffusers, kind).from_pretrained(source, subfolder=subfolder, torch_dtype=dtype)
    return wrap_diffusers(model, Path(source).name, device)


def wrap_diffusers(model, name: str, device: torch.device) -> VAE:
    """A VAE around a loaded diffusers AutoencoderTiny or AutoencoderKL."""
    model = model.to(device, memory_format=torch.channels_last).eval().requires_grad_(False)
    config, ratio = model.config, 2 ** (len(model.config.block_out_channels) - 1)
    if type(model).__name__ == "AutoencoderTiny":
        family = _tiny_family_of(name, config.latent_channels)
        _, scale, shift, _ = TINY_FAMILIES[family]
        # diffusers' own encode and decode take [-1, 1] in their own arithmetic: ComfyUI's runs their layers
        layers = model.decoder.layers
        encode, decode = comfy_tiny_codec(
            model.encoder.layers, lambda z: layers(torch.tanh(z / 3) * 3), scale, shift, device, model.dtype
        )
    else:
        if device.type == "cpu":
            use_comfy_attention(model)  # ComfyUI's CPU attention arithmetic: its latents bit for bit
        encode = lambda x: model.encode(x * 2 - 1).latent_dist.mean  # noqa: E731
        decode = lambda z: (model.decode(z).sample + 1) / 2  # noqa: E731
    # An AutoencoderKL's peak activations per image pixel per dtype byte: 650 encoding, 880 decoding at 384² to
    # 768² on a CPU (`python -m bench.memory_vae --vae <SD1.x file> --sizes 384 512 768 --budget-mib 20000`),
    # with a margin; ComfyUI 0.8 (comfy/sd.py) budgets 1767 and 2178. Tiny autoencoders keep the default.
    kl = type(model).__name__ == "AutoencoderKL"
    return VAE(
        name, encode, decode, config.latent_channels, device, model.dtype, downscale_ratio=ratio,
        activation_channels=720 if kl else VAE.activation_channels, decode_channels=960 if kl else None,
    )  # fmt: skip


def _tiny_family_of(name: str, latent_channels: int) -> str:
    """The tiny family whose latent scaling applies, from the model's name, else its channel count."""
    lowered = name.lower()
    for family in sorted(TINY_FAMILIES, key=len, reverse=True):
        if family in lowered and TINY_FAMILIES[family][0] == latent_channels:
            return family
    by_channels = [f for f, spec in TINY_FAMILIES.items() if spec[0] == latent_channels]
    if not by_channels:
        raise ValueError(f"{name}: an AutoencoderTiny with {latent_channels} latent channels matches no known family")
    return by_channels[0]


def load_single_file(path: Path, device: torch.device) -> VAE:
    """A VAE from a single-file (original layout) checkpoint: VAE-only or a whole model's."""
    from diffusers import AutoencoderKL
    from diffusers.loaders.single_file_utils import convert_ldm_vae_checkpoint

    from .single_file import vae_config_from_weights

    weights = read_state_dict(path)
    config = vae_config_from_weights(weights, path)
    model = AutoencoderKL(**config)
    try:
        model.load_state_dict(convert_ldm_vae_checkpoint(weights, config))
    except RuntimeError as error:
        raise ValueError(
            f"{path}: VAE weights do not fit their inferred config ({str(error).splitlines()[0]})"
        ) from None
    model = model.to(model_dtype(device, fp16_safe=False))
    return wrap_diffusers(model, path.stem, device)
