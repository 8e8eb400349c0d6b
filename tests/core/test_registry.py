"""The VAEs a server offers by default: the Hub's TAESD where it answers, the bundled TAEF2, approx."""

import hashlib

import torch

from inpaint_core import load_vae
from inpaint_core.vaes.registry import (
    APPROX,
    BUNDLED_TAEF2,
    DEFAULT_HUB_VAE,
    VAERegistry,
    default_sources,
    label_of,
    scan_models_dir,
)


def test_default_sources_in_order():
    assert default_sources(hub_reachable=True) == [DEFAULT_HUB_VAE, str(BUNDLED_TAEF2), APPROX]
    assert default_sources(hub_reachable=False) == [str(BUNDLED_TAEF2), APPROX]
    assert label_of(str(BUNDLED_TAEF2)) == "taef2"


def test_bundled_weights_are_the_published_ones_with_their_licence(taef2_dir):
    for part in ("encoder", "decoder"):
        bundled, shared = BUNDLED_TAEF2 / f"taef2_{part}.pth", taef2_dir / f"taef2_{part}.pth"
        assert hashlib.sha256(bundled.read_bytes()).hexdigest() == hashlib.sha256(shared.read_bytes()).hexdigest()
    assert (BUNDLED_TAEF2 / "LICENSE").read_text() == (taef2_dir / "LICENSE").read_text()
    assert "MIT" in (BUNDLED_TAEF2 / "LICENSE").read_text()


def test_bundled_taef2_loads_and_decodes_like_the_shared_copy(taef2, chelsea):
    vae = VAERegistry(default_sources(hub_reachable=False), torch.device("cpu")).get("taef2")
    image = chelsea[:, :64, :96]
    latents = vae.encode(image)
    assert latents.shape == (1, 32, 8, 12) and vae.name == "TAEF2 (FLUX.2)"
    assert torch.equal(latents, taef2.encode(image))
    decoded = vae.decode(latents)
    assert torch.equal(decoded, taef2.decode(latents))
    assert 10 * torch.log10(1 / (decoded - image).square().mean()) >= 28  # dB: a real VAE, not the approximation
    assert load_vae(str(BUNDLED_TAEF2), "cpu").latent_channels == 32


def test_a_memory_budget_given_to_the_registry_reaches_each_vae():
    import torch

    from inpaint_core.vaes.registry import VAERegistry

    registry = VAERegistry(["approx"], torch.device("cpu"), memory_budget=12345)
    assert registry.get(registry.labels[0]).memory_budget == 12345
    assert VAERegistry(["approx"], torch.device("cpu")).get(registry.labels[0]).memory_budget is None


def comfyui_vae_list(vae: list[str], vae_approx: list[str]) -> list[str]:
    """ComfyUI 0.8 nodes.py VAELoader.vae_list, for image tiny autoencoders: `vae/` files by name, then each
    family whose encoder and decoder are both in `vae_approx/` (the list is built in this family order)."""
    listed = list(vae)
    for family in ("taesd", "taesdxl", "taesd3", "taef1"):
        if any(v.startswith(f"{family}_encoder.") for v in vae_approx) and any(
            v.startswith(f"{family}_decoder.") for v in vae_approx
        ):
            listed.append(family)
    return listed + ["pixel_space"]


def test_labels_are_what_comfyuis_vae_loader_lists(tmp_path):
    """A ComfyUI models folder: single files keep their extension, tiny pairs go by family (`taesd`, not
    `taesd_decoder.safetensors`), whatever the weights' format."""
    files = {
        "vae": ["ae.safetensors", "sdxl_vae.safetensors"],
        "vae_approx": [f"{family}_{part}.{ext}" for family, ext in (("taesd", "safetensors"), ("taesdxl", "pth"),
                       ("taesd3", "safetensors"), ("taef1", "pth")) for part in ("encoder", "decoder")],
    }  # fmt: skip
    for folder, names in files.items():
        (tmp_path / folder).mkdir()
        for name in names:
            (tmp_path / folder / name).write_bytes(b"")
    labels = [label_of(source) for source in scan_models_dir(tmp_path)]
    comfyui = comfyui_vae_list(files["vae"], files["vae_approx"])
    assert sorted(labels) == sorted(comfyui[:-1]) and len(set(labels)) == len(labels)
    assert label_of(str(tmp_path / "vae_approx" / "taesd_encoder.safetensors")) == "taesd"  # either half
    registry = VAERegistry(scan_models_dir(tmp_path), torch.device("cpu"))
    assert registry.sources["taesd"] == str(tmp_path / "vae_approx" / "taesd_decoder.safetensors")
