"""Tiny autoencoders in tiles equal the whole pass: the group-norm stages run whole, each convolution stage's
boxes from crops grown by exactly what its layers see (stages.py, tiling.run_staged)."""

import pytest
import torch

from inpaint_core.vaes.stages import StagedNet
from inpaint_core.vaes.tiling import run_segment_tiled

TOLERANCE = 1e-5  # float rounding: tiles' convolutions round differently from the whole image's


def pattern(net: StagedNet) -> list[str]:
    return [f"local {stage.scale}" if stage.local else "norms" for stage in net.stages]


def test_taef2_splits_into_convolution_stages_and_its_group_norm_stages(taef2, taesd_layout):
    assert pattern(taef2.encoder) == ["local 1/2", "local 1/2", "local 1/2", "norms", "local 1"]
    assert pattern(taef2.decoder) == ["local 1", "norms", "local 2", "local 2", "local 2"]
    assert pattern(taesd_layout.encoder) == ["local 1/2", "local 1/2", "local 1/2", "local 1"]
    assert pattern(taesd_layout.decoder) == ["local 1", "local 2", "local 2", "local 2"]


@pytest.mark.parametrize("name", ["taef2", "taesd_layout"])
def test_a_tiled_encode_and_decode_equal_the_whole_pass(name, request, chelsea):
    vae = request.getfixturevalue(name)
    image = torch.nn.functional.interpolate(chelsea.movedim(-1, 1), size=(256, 256), mode="bilinear").movedim(1, -1)
    whole_latents = vae.encode(image)
    whole_image = vae.decode(whole_latents)
    tiled = type(vae)(**{**vae.__dict__, "memory_budget": 2**24})  # 16 MiB: 128-pixel (16-cell) tiles
    assert tiled.tile_side("encode", 1, 256, 256) == 128 and tiled.tile_side("decode", 1, 32, 32) == 16
    latents = tiled.encode(image)
    assert (latents - whole_latents).abs().max() < TOLERANCE
    assert (tiled.decode(whole_latents) - whole_image).abs().max() < TOLERANCE


def test_every_box_of_a_stage_is_the_whole_stage_s_there(taesd_layout):
    """Boxes anywhere, edges and odd sizes included, from crops of the stage's input."""
    generator = torch.Generator().manual_seed(1)
    x = torch.rand(1, 3, 45, 70, generator=generator)
    with torch.inference_mode():
        for stage in taesd_layout.encoder.stages:
            whole = stage(x)
            height, width = whole.shape[-2:]
            for _ in range(6):
                top, left = (int(torch.randint(0, n, (1,), generator=generator)) for n in (height, width))
                bottom = int(torch.randint(top + 1, height + 1, (1,), generator=generator))
                right = int(torch.randint(left + 1, width + 1, (1,), generator=generator))
                box = stage.region(x, (top, bottom), (left, right))
                assert (box - whole[..., top:bottom, left:right]).abs().max() < TOLERANCE
            x = whole


def test_crops_stay_within_the_tile(taesd_layout):
    """No layer of a tiled stage is handed more than tile² of the stage's input units (here: pixels)."""
    stage, largest = taesd_layout.encoder.stages[0], []
    hook = stage.layers[1].register_forward_pre_hook(lambda _, args: largest.append(args[0].shape[-2:].numel()))
    x = torch.rand(1, 3, 200, 328)
    with torch.inference_mode():
        tiled = run_segment_tiled(stage, x, 64)
    hook.remove()
    assert len(largest) > 4 and max(largest) <= 64 * 64
    assert (tiled - stage(x)).abs().max() < TOLERANCE
