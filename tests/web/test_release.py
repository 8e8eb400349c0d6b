"""A mask_offset release on the page encodes from the previous pass (Inspector.run's Reusing encoder), and its
latent is still the whole image's."""

import torch
from PIL import Image

import app
from inpaint_core.compare import encode_and_decode
from inpaint_core.vaes.registry import VAERegistry
from tests.conftest import ASSETS
from tests.web.events import nothing


def test_a_run_of_mask_offset_releases_gives_the_whole_image_s_latents(taef2_dir, tmp_path):
    inspector = app.Inspector(VAERegistry([str(taef2_dir)], torch.device("cpu")), 4096, tmp_path)
    editor = inspector.read_editor(
        {"background": Image.open(ASSETS / "chelsea.png"), "layers": [Image.open(ASSETS / "chelsea_mask.png")]}
    )
    label, notes = inspector.registry.labels[0], []
    for offset in (-4, 10, 2):
        was = inspector.run(editor, label, 6, offset, nothing).was
        whole = encode_and_decode(inspector.registry.get(label), was.preparation.encoded)
        assert (was.latent.latents - whole.latents).abs().max() < 1e-5
        notes.append(was.latent.reuse["encode"])
    assert all("recomputed" in note for note in notes)  # the first from ComfyUI's pass: its grey differs in a band
