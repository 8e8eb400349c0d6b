"""The mask every method runs on and the export carries: at the image's size, 8 bits, as LoadImage reads it.

ComfyUI 0.8 `nodes.py` LoadImage.load_image (lines 1687-1688) reads an alpha channel as
`1. - torch.from_numpy(np.array(alpha).astype(np.float32) / 255.0)`; tests.core.test_workflow's
load_image_as_comfyui_does restates it (tests have no network to read the file).
"""

import numpy as np
import pytest
import torch

from inpaint_core import prepare_comfy, prepare_was
from inpaint_core.editor import EditorInput, image_mask, mask_from_alpha, mask_to_alpha
from inpaint_core.files.export import write_export
from inpaint_core.prepare import resize_mask
from tests.core.test_workflow import load_image_as_comfyui_does


def soft_edit(height=157, width=203, scale=2, seed=0) -> EditorInput:
    """An image with a painted layer `scale` times its size, painted off the even grid, so the bilinear
    resize leaves soft values all along the edges (the issue's 406×314 mask on a 203×157 image)."""
    generator = np.random.default_rng(seed)
    rgb = torch.from_numpy(generator.integers(0, 256, (1, height, width, 3), dtype=np.uint8))
    painted = torch.zeros(1, height * scale, width * scale, dtype=torch.bool)
    painted[0, 61:201, 81:301] = True
    painted[0, 221:240, 11:390] = True
    painted[0, 100:300, 251:258] = True
    painted[0, 5:9, 5:9] = True
    return EditorInput(rgb, painted, f"soft-{height}-{width}-{scale}-{seed}")


def test_eight_bits_keep_every_value_on_its_side_of_one_half():
    """Quantised then rounded as the seeds round is rounded: every float32 within 2^16 steps of 0.5, and a
    fine sweep of [0, 1]; and a mask LoadImage made gives back its own alpha."""
    near_half = np.arange(0x3EFF0000, 0x3F010000, dtype=np.uint32).view(np.float32)
    values = torch.cat([torch.from_numpy(near_half), torch.linspace(0, 1, 1_000_001)])
    quantised = mask_from_alpha(mask_to_alpha(values))
    assert torch.equal(quantised.round(), values.round())
    alphas = np.arange(256, dtype=np.uint8)
    assert np.array_equal(mask_to_alpha(mask_from_alpha(alphas)), alphas)
    assert torch.equal(mask_from_alpha(mask_to_alpha(quantised)), quantised)
    assert np.array_equal(mask_to_alpha(np.array([True, False])), [0, 255])


def test_the_image_mask_is_the_resize_to_eight_bits_and_unchanged_at_the_image_size():
    edit = soft_edit()
    soft = resize_mask(edit.mask[:, None], *edit.size)[0, 0]
    mask = image_mask(edit)
    assert mask.shape == (1, *edit.size) and mask.dtype == torch.float32
    assert ((soft > 0) & (soft < 1)).sum() > 500  # the test holds soft values
    assert (mask[0] - soft).abs().max() <= 0.5 / 255 + 1e-7
    assert torch.equal(mask[0], mask_from_alpha(mask_to_alpha(soft)))
    same_size = EditorInput(edit.rgb, edit.painted[:, ::2, ::2].contiguous(), "same")
    assert torch.equal(image_mask(same_size), same_size.mask)


@pytest.mark.parametrize("layer", [(202, 266), (250, 301), (77, 90)])
def test_the_seeds_give_the_same_masks_from_the_image_mask(layer):
    """The seed nodes round the mask: from the 8-bit mask at the image's size (what the export carries) they
    make what they make from the painted layer at its own size (what the page hands them)."""
    height, width = layer
    image = soft_edit(height=101, width=133, seed=height).rgb
    painted = torch.zeros(1, height, width, dtype=torch.bool)
    painted[0, height // 5 : height * 4 // 5, width // 7 : width * 3 // 4] = True
    painted[0, height // 10 : height // 10 + 3, 5 : width - 9] = True
    edit = EditorInput(image, painted, f"seeds-{layer}")
    assert (image_mask(edit).round() != image_mask(edit)).any()  # soft values to round
    for amount in (0, 1, 6, 7, 20):
        page, export = (
            prepare_comfy(edit.pixels, edit.mask, amount),
            prepare_comfy(edit.pixels, image_mask(edit), amount),
        )
        assert all(torch.equal(getattr(page, n), getattr(export, n)) for n in ("pixels", "mask", "noise_mask"))
    for amount in (-9, -1, 0, 3, 12):
        page, export = prepare_was(edit.pixels, edit.mask, amount), prepare_was(edit.pixels, image_mask(edit), amount)
        assert all(torch.equal(getattr(page, n), getattr(export, n)) for n in ("pixels", "mask", "noise_mask"))


def test_the_exported_alpha_reads_back_as_the_image_mask(tmp_path):
    edit = soft_edit()
    png = write_export(tmp_path, edit.rgb[0].numpy(), image_mask(edit)[0].numpy(), "comfy", 6, "taesd")[0]
    _, loaded = load_image_as_comfyui_does(png)
    assert torch.equal(loaded, image_mask(edit))
