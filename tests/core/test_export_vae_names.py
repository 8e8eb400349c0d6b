"""The export names the VAE as the user has it: the workflow what their ComfyUI 0.8 loads for the latent space
(checked against a plain formulation of VAELoader.vae_list), the Python snippet the Hub id or the file name,
never the path on the machine that made the export."""

import json
import shutil

import numpy as np
import pytest

from inpaint_core.files.export import SAMPLE_MARK, method_snippet, python_snippet, write_export
from inpaint_core.files.vae_names import FLUX2_VAE
from tests.core.test_registry import comfyui_vae_list


@pytest.fixture
def sources(tmp_path, taef2_dir) -> dict[str, str]:
    """Each kind of VAE source, deep inside a server's folder."""
    server = tmp_path / "srv" / "operator" / "models"
    (server / "vae_approx").mkdir(parents=True)
    (server / "vae").mkdir()
    for part in ("encoder", "decoder"):
        (server / "vae_approx" / f"taesd_{part}.safetensors").write_bytes(b"")
    (server / "vae" / "ae.safetensors").write_bytes(b"")
    return {
        "taef2": str(taef2_dir),
        "taesd": str(server / "vae_approx" / "taesd_decoder.safetensors"),
        "ae.safetensors": str(server / "vae" / "ae.safetensors"),
        "madebyollin/taesd": "madebyollin/taesd",
        "approx": "approx",
    }


def picture() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    mask = np.zeros((40, 48), bool)
    mask[10:25, 12:30] = True
    return rng.integers(0, 256, (40, 48, 3), dtype=np.uint8), mask


@pytest.mark.parametrize(
    ("label", "argument", "hint"),
    [("taef2", "taef2", "taef2_encoder.pth"), ("taesd", "taesd_decoder.safetensors", "models/vae_approx/"),
     ("ae.safetensors", "ae.safetensors", "models/vae/ae.safetensors"), ("madebyollin/taesd", "madebyollin/taesd", ""),
     ("approx", "approx", "")],
)  # fmt: skip
def test_snippets_name_the_vae_as_the_user_has_it(sources, label, argument, hint):
    source = sources[label]
    for snippet in (python_snippet("comfy", 6, source), method_snippet("acly_blur", {}, source)):
        (line,) = [line for line in snippet.splitlines() if line.startswith("vae = load_vae(")]
        assert line.startswith(f"vae = load_vae({argument!r})") and hint in line
        if source not in ("approx", "madebyollin/taesd"):
            assert str(sources["taef2"]) not in snippet and "/srv/operator" not in snippet


def test_the_taef2_snippet_runs_where_the_user_keeps_the_folder(tmp_path, monkeypatch, taef2_dir):
    """Run as a user would: their copy of the TAEF2 folder beside the exported image, as the comment says."""
    image, mask = picture()
    png, *_, snippet = write_export(tmp_path / "out", image, mask, "comfy", 6, "taef2", str(taef2_dir))
    home = tmp_path / "home"
    shutil.copytree(taef2_dir, home / "taef2")
    shutil.copy(png, home / png.name)
    monkeypatch.chdir(home)
    scope: dict = {}
    exec(compile(snippet.read_text().split(SAMPLE_MARK)[0], "snippet.py", "exec"), scope)
    assert scope["latent"]["samples"].shape == (1, 32, 5, 6)


@pytest.mark.parametrize(
    ("label", "expected"),
    [("taef2", FLUX2_VAE), ("taesd", "taesd"), ("ae.safetensors", "ae.safetensors"), ("madebyollin/taesd", "taesd")],
)
def test_the_workflow_names_what_comfyuis_vae_loader_lists(tmp_path, sources, label, expected):
    """ComfyUI 0.8 with the user's files: the tiny pairs in vae_approx, the full VAEs in vae."""
    image, mask = picture()
    _, canvas, api, _ = write_export(tmp_path, image, mask, "was", -4, label, sources[label])
    prompt = json.loads(api.read_text())
    (name,) = [node["inputs"]["vae_name"] for node in prompt.values() if node["class_type"] == "VAELoader"]
    assert name == expected
    user_vae = [FLUX2_VAE, "ae.safetensors"]
    user_vae_approx = [f"{family}_{part}.pth" for family in ("taesd", "taef2") for part in ("encoder", "decoder")]
    listed = comfyui_vae_list(user_vae, user_vae_approx)
    assert name in listed and "taef2" not in listed  # 0.8 refuses "taef2": Value not in list
    nodes = json.loads(canvas.read_text())["nodes"]
    (note,) = [node["widgets_values"][0] for node in nodes if node["type"] == "Note"]
    if label == "taef2":
        assert FLUX2_VAE in note and "approximation" in note and "128 channels" in note
    else:
        assert "TAEF2" not in note
