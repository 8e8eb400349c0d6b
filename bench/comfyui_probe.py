"""A ComfyUI custom node file for bench.comfyui_export_check: what a graph made, written out as it is.

Link it into ComfyUI (`ln -s $PWD/bench/comfyui_probe.py ComfyUI/custom_nodes/`). SaveLatent keeps a LATENT's
samples but not its noise mask, and no built-in node saves an INT or a STRING; these nodes write them, unrounded,
into ComfyUI's output/inpaint_check/ as safetensors (tensors) and JSON (the rest). Not part of the node pack.
"""

import json
from pathlib import Path

import folder_paths
from safetensors.torch import save_file

FOLDER = "inpaint_check"


def _folder() -> Path:
    folder = Path(folder_paths.get_output_directory()) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class SaveLatentAndMask:
    """A LATENT's samples and noise mask (float32 as the graph made them) in <name>.safetensors."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"samples": ("LATENT",), "name": ("STRING", {"default": "latent"})}}

    RETURN_TYPES, FUNCTION, OUTPUT_NODE, CATEGORY = (), "save", True, "inpaint_check"

    def save(self, samples, name):
        tensors = {key: samples[key].contiguous().cpu() for key in ("samples", "noise_mask") if key in samples}
        save_file(tensors, _folder() / f"{name}.safetensors")
        return {"ui": {"saved": [name]}}


class SaveValues:
    """An IMAGE, an INT and STRINGs as the graph made them: <name>.safetensors (the image) and <name>.json."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {"name": ("STRING", {"default": "values"})},
            "optional": {
                "image": ("IMAGE",),
                "amount": ("INT", {"forceInput": True}),
                "advice": ("STRING", {"forceInput": True}),
                "numbers": ("STRING", {"forceInput": True}),
            },
        }

    RETURN_TYPES, FUNCTION, OUTPUT_NODE, CATEGORY = (), "save", True, "inpaint_check"

    def save(self, name, image=None, amount=None, advice=None, numbers=None):
        if image is not None:
            save_file({"image": image.contiguous().cpu()}, _folder() / f"{name}.safetensors")
        (_folder() / f"{name}.json").write_text(json.dumps({"amount": amount, "advice": advice, "numbers": numbers}))
        return {"ui": {"saved": [name]}}


NODE_CLASS_MAPPINGS = {"InpaintCheck_SaveLatentAndMask": SaveLatentAndMask, "InpaintCheck_SaveValues": SaveValues}
