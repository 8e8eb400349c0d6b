"""Tiles chosen from a byte budget before a step runs: few, whole latent cells, within the budget."""

import math

import pytest
import torch
import torch.nn.functional as F

from inpaint_core import VAE
from inpaint_core.vaes.tiling import _starts, tile_for_budget


def tiles_per_side(side: int, tile: int) -> int:
    return len(_starts(side, tile, tile - tile // 4))


@pytest.mark.parametrize(
    ("height", "width", "bytes_per_unit", "budget", "unit"),
    [(2048, 2048, 1024, 2**30, 64), (4096, 4096, 1024, 2**30, 64), (4096, 2500, 1024, 2**30, 64),
     (512, 256, 8 * 64 * 1024, 2**30, 8), (300, 451, 1024, 2**24, 64), (1000, 1000, 1024, 2**20, 64)],
)  # fmt: skip
def test_tile_for_budget_is_the_smallest_of_the_fewest_tiles_that_fit(height, width, bytes_per_unit, budget, unit):
    tile = tile_for_budget(height, width, bytes_per_unit, budget, unit)
    side = max(height, width)
    fitting = [t for t in range(unit, side + unit, unit) if t * t * bytes_per_unit <= budget] or [unit]
    fewest = min(tiles_per_side(side, t) for t in fitting)
    assert tile % unit == 0 and (tile * tile * bytes_per_unit <= budget or tile == unit)
    assert tiles_per_side(side, tile) == fewest
    assert tile == min(t for t in fitting if tiles_per_side(side, t) == fewest)


def test_whole_input_within_the_budget_is_not_tiled():
    assert tile_for_budget(1024, 1024, 1024, 2**30, 64) is None
    assert tile_for_budget(1024, 1025, 1024, 2**30, 64) == 640  # two of 640, overlapping by 160, cover 1025


class Recording:
    """A network that records the largest input it was handed."""

    def __init__(self, net):
        self.net, self.largest = net, 0

    def __call__(self, x):
        self.largest = max(self.largest, x.shape[0] * x.shape[-2] * x.shape[-1])
        return self.net(x)


def test_a_step_over_the_budget_runs_in_tiles_that_fit_it_and_aligned_tiles_change_nothing():
    encoder = Recording(lambda x: F.avg_pool2d(x, 8))
    decoder = Recording(lambda z: F.interpolate(z, scale_factor=8, mode="nearest"))
    vae = VAE("stand-in", encoder, decoder, 3, torch.device("cpu"), torch.float32, activation_channels=64)
    vae.memory_budget = 2**21  # two images of 64x64 pixels of 64 float32 channels: 64-pixel tiles
    pixels = torch.rand(2, 200, 328, 3)
    latents = vae.encode(pixels)
    torch.testing.assert_close(latents, F.avg_pool2d(pixels.movedim(-1, 1), 8), rtol=0, atol=1e-6)
    assert encoder.largest * 64 * 4 <= vae.memory_budget
    decoded = vae.decode(latents)
    assert torch.equal(decoded, F.interpolate(latents, scale_factor=8).clamp(0, 1).movedim(1, -1))
    assert decoder.largest * 8 * 8 * 64 * 4 <= vae.memory_budget


def test_a_cpu_input_over_its_budget_runs_in_tiles_of_at_most_the_cpu_tile_bytes():
    """Whole up to the budget; beyond it, tiles no larger than CPU_TILE_BYTES however large the budget."""
    from inpaint_core.vaes.vae import CPU_TILE_BYTES

    vae = VAE("stand-in", None, None, 3, torch.device("cpu"), torch.float32, activation_channels=256)
    per_pixel = 256 * 4
    vae.memory_budget = 4 * CPU_TILE_BYTES
    fits = math.isqrt(vae.memory_budget // per_pixel) // 64 * 64
    assert vae.tile_side("encode", 1, fits, fits) is None
    tile = vae.tile_side("encode", 1, 4 * fits, 4 * fits)
    assert tile is not None and tile * tile * per_pixel <= CPU_TILE_BYTES
    assert tile < tile_for_budget(4 * fits, 4 * fits, per_pixel, vae.memory_budget, 64)  # the cap, not the budget


def test_within_the_budget_the_network_runs_whole_bit_for_bit(taef2, chelsea):
    image = chelsea[:, :296, :448]
    assert taef2.tile_side("encode", 1, 296, 448) is None and taef2.budget() == 2**30
    images = image.movedim(-1, 1).contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        assert torch.equal(taef2.encode(image), taef2.encoder(images))


def test_the_budget_a_kl_vae_names_for_a_whole_encode_gives_the_whole_encode(tmp_path):
    """The page's note on tiled .latent files names a budget; at it the encode runs whole (ComfyUI's latents),
    one MiB short it runs in tiles that differ, and the note says so."""
    from inpaint_core import load_vae
    from inpaint_core.editor import EditorInput
    from tests.core.test_vae import small_kl
    from web.methods.columns import tiled_latents_note

    torch.manual_seed(0)
    small_kl().save_pretrained(tmp_path / "kl")
    vae = load_vae(str(tmp_path / "kl"), "cpu")
    pixels = torch.rand(1, 96, 128, 3)
    vae.memory_budget = 2**40
    whole = vae.encode(pixels)
    edit = EditorInput((pixels * 255).to(torch.uint8), torch.zeros(1, 96, 128, dtype=torch.bool), "an edit")
    mib = vae.whole_encode_mib(96, 128)
    for budget, tiled in ((mib * 2**20, False), ((mib - 1) * 2**20, True)):
        vae.memory_budget = budget
        assert vae.encodes_as_whole(96, 128) is not tiled
        note = tiled_latents_note(vae, edit)
        assert (note is not None) is tiled
        assert torch.equal(vae.encode(pixels), whole) is not tiled
    assert "128×96" in note and f"--vae-memory-mb {-(-mib // 256) * 256}" in note
