"""The export read back: both ComfyUI formats node by node, the image's mask as LoadImage reads it, and
the Python snippet run (up to its pipeline, which would download a model)."""

import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from inpaint_core import prepare_comfy, prepare_was
from inpaint_core.files.export import SAMPLE_MARK, mask_in_alpha, python_snippet, write_export
from inpaint_core.files.workflow import comfy_api_prompt, comfy_workflow
from inpaint_core.nodes import NODE_CLASS_MAPPINGS

# The project's nodes declare the originals' inputs (nodes.py); they stand in for ComfyUI's and WAS_Extras'.
ORIGINAL_INPUTS = {
    "VAEEncodeForInpaint": NODE_CLASS_MAPPINGS["InpaintCore_VAEEncodeForInpaint"].INPUT_TYPES()["required"],
    "VAEEncodeForInpaint (WAS)": NODE_CLASS_MAPPINGS["InpaintCore_WAS_VAEEncodeForInpaint"].INPUT_TYPES()["required"],
}
OUTPUTS = {"LoadImage": ["IMAGE", "MASK"], "VAELoader": ["VAE"], "SaveLatent": []}  # ComfyUI 0.8 nodes.py
for encoder in ORIGINAL_INPUTS:
    OUTPUTS[encoder] = ["LATENT"]
CASES = [("comfy", 6, "VAEEncodeForInpaint", "grow_mask_by"), ("was", -4, "VAEEncodeForInpaint (WAS)", "mask_offset")]


@pytest.mark.parametrize(("method", "amount", "encoder", "setting"), CASES)
def test_api_prompt_node_by_node(method, amount, encoder, setting):
    prompt = json.loads(json.dumps(comfy_api_prompt(method, amount, "taesd", "cat.png")))
    types = {key: node["class_type"] for key, node in prompt.items()}
    assert sorted(types.values()) == sorted(["LoadImage", "VAELoader", encoder, "SaveLatent"])
    by_type = {node["class_type"]: (key, node["inputs"]) for key, node in prompt.items()}
    assert by_type["LoadImage"][1] == {"image": "cat.png"}
    assert by_type["VAELoader"][1] == {"vae_name": "taesd"}
    image, vae, encode, save = (by_type[t][0] for t in ("LoadImage", "VAELoader", encoder, "SaveLatent"))
    inputs = by_type[encoder][1]
    assert set(inputs) == set(ORIGINAL_INPUTS[encoder])  # pixels, vae, mask and the amount, as the node declares
    assert inputs == {"pixels": [image, 0], "vae": [vae, 0], "mask": [image, 1], setting: amount}
    assert by_type["SaveLatent"][1]["samples"] == [encode, 0]
    for node in prompt.values():  # every link names a node's output of the type the input takes
        for name, value in node["inputs"].items():
            if isinstance(value, list):
                source_type = OUTPUTS[types[value[0]]][value[1]]
                declared = ORIGINAL_INPUTS.get(node["class_type"], {}).get(name, (source_type,))[0]
                assert source_type == declared
    assert save and ORIGINAL_INPUTS[encoder][setting][1]["min"] <= amount <= ORIGINAL_INPUTS[encoder][setting][1]["max"]


@pytest.mark.parametrize(("method", "amount", "encoder", "setting"), CASES)
def test_canvas_workflow_node_by_node(method, amount, encoder, setting):
    workflow = json.loads(json.dumps(comfy_workflow(method, amount, "sdxl_vae.safetensors", "cat.png")))
    assert workflow["version"] == 0.4 and {"nodes", "links", "last_node_id", "last_link_id"} <= set(workflow)
    nodes = {node["id"]: node for node in workflow["nodes"]}
    assert workflow["last_node_id"] == max(nodes) and workflow["last_link_id"] == max(
        link[0] for link in workflow["links"]
    )
    by_type = {node["type"]: node for node in nodes.values()}
    assert set(by_type) == {"LoadImage", "VAELoader", encoder, "SaveLatent", "Note"}
    assert by_type["LoadImage"]["widgets_values"] == ["cat.png", "image"]
    assert by_type["VAELoader"]["widgets_values"] == ["sdxl_vae.safetensors"]
    assert by_type[encoder]["widgets_values"] == [amount]
    assert [i["name"] for i in by_type[encoder]["inputs"]] == ["pixels", "vae", "mask"]
    for link_id, source, slot, target, target_slot, kind in workflow["links"]:
        assert link_id in nodes[source]["outputs"][slot]["links"]
        assert nodes[source]["outputs"][slot]["type"] == kind
        assert nodes[target]["inputs"][target_slot]["link"] == link_id
        assert nodes[target]["inputs"][target_slot]["type"] == kind
    sources = {(link[3], link[4]): (nodes[link[1]]["type"], link[2]) for link in workflow["links"]}
    encode_id, save_id = by_type[encoder]["id"], by_type["SaveLatent"]["id"]
    assert [sources[(encode_id, slot)] for slot in range(3)] == [("LoadImage", 0), ("VAELoader", 0), ("LoadImage", 1)]
    assert sources[(save_id, 0)] == (encoder, 0)
    assert "cat.png" in by_type["Note"]["widgets_values"][0]


def test_bad_settings_are_refused_with_the_argument_named():
    with pytest.raises(ValueError, match="method must be one of"):
        comfy_workflow("acly", 6, "taesd", "cat.png")
    with pytest.raises(ValueError, match="grow_mask_by must be in"):
        comfy_api_prompt("comfy", -1, "taesd", "cat.png")
    with pytest.raises(ValueError, match="mask_offset must be in"):
        comfy_api_prompt("was", 129, "taesd", "cat.png")
    with pytest.raises(ValueError, match="image_filename must be a file name"):
        comfy_workflow("comfy", 6, "taesd", "../cat.png")
    with pytest.raises(ValueError, match="vae_name"):
        comfy_workflow("comfy", 6, " ", "cat.png")
    with pytest.raises(ValueError, match="mask_bool must be"):
        mask_in_alpha(np.zeros((8, 8, 3), np.uint8), np.zeros((8, 9), bool))


def picture(height=61, width=83, seed=0):
    generator = np.random.default_rng(seed)
    image = generator.integers(0, 256, (height, width, 3), dtype=np.uint8)
    mask = np.zeros((height, width), bool)
    mask[13:40, 20:57] = True
    mask[45, 5:70] = True
    return image, mask


def load_image_as_comfyui_does(path):
    """ComfyUI 0.8 nodes.py LoadImage: RGB / 255, and MASK = 1 - alpha / 255."""
    loaded = Image.open(path)
    image = torch.from_numpy(np.array(loaded.convert("RGB")).astype(np.float32) / 255.0)[None]
    mask = 1.0 - torch.from_numpy(np.array(loaded.getchannel("A")).astype(np.float32) / 255.0)
    return image, mask[None]


@pytest.mark.parametrize(("method", "amount", "encoder", "setting"), CASES)
def test_written_files_open_as_comfyui_would_read_them(tmp_path, method, amount, encoder, setting):
    image, mask = picture()
    paths = write_export(tmp_path, image, mask, method, amount, "taesd", vae_source="approx")
    png, workflow, api, snippet = paths
    assert all(path.parent == tmp_path and path.is_file() for path in paths)
    loaded, comfy_mask = load_image_as_comfyui_does(png)
    assert torch.equal(comfy_mask[0] == 1, torch.from_numpy(mask))  # inpainted where the mask is set
    assert torch.equal(comfy_mask[0] == 0, torch.from_numpy(~mask))
    assert torch.equal((loaded[0] * 255).round().to(torch.uint8), torch.from_numpy(image))  # colour kept under alpha 0
    named = {n["type"]: n for n in json.loads(workflow.read_text())["nodes"]}["LoadImage"]["widgets_values"][0]
    assert (tmp_path / named).is_file() and named == png.name
    prompt = json.loads(api.read_text())
    assert {n["class_type"]: n["inputs"] for n in prompt.values()}[encoder][setting] == amount
    assert snippet.suffix == ".py" and png.name in snippet.read_text()


@pytest.mark.parametrize(("method", "amount"), [("comfy", 6), ("comfy", 7), ("comfy", 0), ("was", -3), ("was", 5)])
def test_the_snippet_prepares_what_the_core_prepares(tmp_path, monkeypatch, method, amount):
    """Both halves of the snippet, run on the exported image: inpaint_core's, and the torch-only one."""
    image, mask = picture(height=67, width=90, seed=amount + 10)
    png = write_export(tmp_path, image, mask, method, amount, "taesd")[0]
    code = python_snippet(method, amount, "approx", png.name, downscale_ratio=8).split(SAMPLE_MARK)[0]
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    exec(compile(code, "snippet.py", "exec"), scope)
    pixels, comfy_mask = load_image_as_comfyui_does(png)
    expected = (
        prepare_comfy(pixels, comfy_mask, amount) if method == "comfy" else prepare_was(pixels, comfy_mask, amount)
    )
    assert torch.equal(scope["prepared"].noise_mask, expected.noise_mask)
    assert torch.equal(scope["noise_mask"], expected.noise_mask)
    assert torch.equal(scope["image"], expected.pixels)
    assert scope["latent"]["samples"].shape[-2:] == (expected.pixels.shape[1] // 8, expected.pixels.shape[2] // 8)


NOISE_MASK_SETTINGS = [{"expand": 5, "tapered_corners": True, "feather": 3}, {"expand": -2, "tapered_corners": False}]


def run_prompt_as_comfyui(prompt: dict, folder, vae) -> dict:
    """Executes an API prompt node by node with plain formulations of ComfyUI 0.8's nodes (LoadImage,
    VAELoader, GrowMask, FeatherMask, VAEEncode, SetLatentNoiseMask, SaveLatent): the SaveLatent's LATENT."""
    from tests.reference_preparations import (
        comfy_vae_encode,
        feather_mask_reference,
        grow_mask_reference,
    )

    nodes = {
        "LoadImage": lambda image: load_image_as_comfyui_does(folder / image),
        "VAELoader": lambda vae_name: (vae,),
        "GrowMask": lambda mask, expand, tapered_corners: (grow_mask_reference(mask, expand, tapered_corners),),
        "FeatherMask": lambda mask, **sides: (feather_mask_reference(mask, **sides),),
        "VAEEncode": lambda pixels, vae: ({"samples": comfy_vae_encode(vae.encode, pixels, vae.downscale_ratio)},),
        "SetLatentNoiseMask": lambda samples, mask: (  # nodes.py: a copy with the mask reshaped to (B, 1, H, W)
            samples | {"noise_mask": mask.reshape((-1, 1, mask.shape[-2], mask.shape[-1]))},
        ),
        "SaveLatent": lambda samples, filename_prefix: (samples,),
    }
    done: dict = {}

    def output(key: str) -> tuple:
        if key not in done:
            node = prompt[key]
            inputs = {k: output(v[0])[v[1]] if isinstance(v, list) else v for k, v in node["inputs"].items()}
            done[key] = nodes[node["class_type"]](**inputs)
        return done[key]

    save = next(key for key, node in prompt.items() if node["class_type"] == "SaveLatent")
    return output(save)[0]


@pytest.mark.parametrize("settings", NOISE_MASK_SETTINGS)
def test_the_set_latent_noise_mask_export_runs_as_the_page_prepares(tmp_path, settings):
    """GrowMask -> FeatherMask -> VAEEncode -> SetLatentNoiseMask, wired by the exported prompt and run with
    ComfyUI's nodes' own formulations, gives the page's latent and noise mask."""
    from inpaint_core import approximate_vae
    from inpaint_core.preparations import run_method

    image, mask = picture(height=67, width=90, seed=3)
    png, workflow, api, snippet = write_export(
        tmp_path, image, mask, "set_latent_noise_mask", settings, "taesd", vae_source="approx"
    )
    vae = approximate_vae()
    latent = run_prompt_as_comfyui(json.loads(api.read_text()), tmp_path, vae)
    pixels, comfy_mask = load_image_as_comfyui_does(png)
    expected = run_method("set_latent_noise_mask", pixels, comfy_mask, settings, vae)
    assert torch.equal(latent["samples"], expected.latent["samples"])
    assert torch.equal(latent["noise_mask"], expected.noise_mask)
    types = [n["type"] for n in json.loads(workflow.read_text())["nodes"]]
    assert types == ["LoadImage", "VAELoader", "GrowMask", "FeatherMask", "VAEEncode", "SetLatentNoiseMask",
                     "SaveLatent", "Note"]  # fmt: skip
    widgets = {n["type"]: n["widgets_values"] for n in json.loads(workflow.read_text())["nodes"]}
    full = {"feather": 0} | settings
    assert widgets["GrowMask"] == [settings["expand"], settings["tapered_corners"]]
    assert widgets["FeatherMask"] == 4 * [full["feather"]]
    scope: dict = {}
    code = snippet.read_text()
    cwd = Path.cwd()
    try:
        os.chdir(tmp_path)
        exec(compile(code, "snippet.py", "exec"), scope)
    finally:
        os.chdir(cwd)
    assert torch.equal(scope["latent"]["samples"], expected.latent["samples"])


def test_a_preparation_without_a_workflow_is_refused_and_bad_settings_are_named():
    with pytest.raises(ValueError, match="method must be one of"):
        comfy_api_prompt("acly_fill", {}, "taesd", "cat.png")
    with pytest.raises(ValueError, match="expand"):
        comfy_api_prompt("set_latent_noise_mask", {"expand": 1.5}, "taesd", "cat.png")
    with pytest.raises(ValueError, match="unknown settings"):
        comfy_workflow("set_latent_noise_mask", {"grow_mask_by": 6}, "taesd", "cat.png")
