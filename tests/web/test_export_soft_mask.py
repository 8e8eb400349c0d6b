"""A mask layer of another size than the image: the page's noise mask and the export's agree bit for bit.

The page resizes the painted layer bilinearly (soft along its edges) and runs every method on it at 8 bits
(inpaint_core.editor.image_mask); the export writes that mask into the PNG's alpha, which ComfyUI 0.8's
LoadImage reads back as 1 - alpha / 255 (tests.core.test_workflow.load_image_as_comfyui_does).
"""

import json
import os

import pytest
import torch

from inpaint_core import approximate_vae
from inpaint_core.compare import MethodResult
from inpaint_core.editor import image_mask
from inpaint_core.preparations import run_method
from inpaint_core.prepare import resize_mask
from tests.core.test_image_mask import soft_edit
from tests.core.test_workflow import load_image_as_comfyui_does, run_prompt_as_comfyui
from web.inspector import _run
from web.methods.columns import export

SETTINGS = [{"expand": 0, "feather": 0}, {"expand": 3, "tapered_corners": True, "feather": 2}, {"expand": -1}]


@pytest.mark.parametrize("settings", SETTINGS)
def test_the_exported_soft_mask_gives_the_pages_noise_mask(tmp_path, settings):
    edit, vae = soft_edit(), approximate_vae()
    soft = resize_mask(edit.mask[:, None], *edit.size)[0, 0]
    assert int((soft.round() != soft).sum()) > 500  # a rounded export would lose these
    preparation, _ = _run(edit, "set_latent_noise_mask", settings, vae)  # what the page shows
    png, _, api, snippet = export(tmp_path, edit, "taesd", "approx", MethodResult(preparation))
    pixels, mask = load_image_as_comfyui_does(png)
    assert torch.equal(mask, image_mask(edit))
    assert torch.equal(pixels, edit.pixels)
    ran = run_method("set_latent_noise_mask", pixels, mask, settings)  # SetLatentNoiseMask's method on the file
    assert torch.equal(ran.noise_mask, preparation.noise_mask)
    latent = run_prompt_as_comfyui(json.loads(api.read_text()), png.parent, vae)  # the exported graph, node by node
    assert torch.equal(latent["noise_mask"], preparation.noise_mask)
    scope: dict = {}
    cwd = os.getcwd()
    try:
        os.chdir(png.parent)
        exec(compile(snippet.read_text(), "snippet.py", "exec"), scope)  # the exported Python
    finally:
        os.chdir(cwd)
    assert torch.equal(scope["preparation"].noise_mask, preparation.noise_mask)
