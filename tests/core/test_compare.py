"""prepare_methods with a cache: a slider change prepares only the method whose amount moved."""

import torch

from inpaint_core.cache import LRUCache
from inpaint_core.compare import prepare_methods
from tests.reference import was_reference


def mask() -> torch.Tensor:
    mask = torch.zeros(1, 40, 56)
    mask[:, 10:25, 12:30] = 1
    return mask


def test_an_offset_change_reuses_comfyui_and_a_grow_change_reuses_was():
    pixels, cache = torch.rand(1, 40, 56, 3), LRUCache(max_entries=8)
    first = prepare_methods(pixels, mask(), 8, 6, 6, "content", "vae", cache=cache)
    offset_moved = prepare_methods(pixels, mask(), 8, 6, -3, "content", "vae", cache=cache)
    grow_moved = prepare_methods(pixels, mask(), 8, 9, -3, "content", "vae", cache=cache)
    assert offset_moved.comfy is first.comfy and offset_moved.was is not first.was
    assert grow_moved.was is offset_moved.was and grow_moved.comfy is not first.comfy
    _, ref_noise = was_reference(pixels.clone(), mask(), -3)
    assert torch.equal(grow_moved.was.noise_mask.float(), ref_noise[0, 0])
    other = prepare_methods(pixels, mask(), 8, 6, 6, "other content", "vae", cache=cache)
    assert other.comfy is not first.comfy  # keyed by content


def test_a_result_counts_the_bytes_it_keeps_once_each():
    result = prepare_methods(torch.rand(1, 40, 56, 3), mask(), 8, 6, -3).was  # WAS greys its noise mask: one tensor
    prepared = result.prepared
    assert prepared.neutralise_mask is prepared.noise_mask
    distinct = prepared.pixels.nbytes + prepared.mask.nbytes + prepared.noise_mask.nbytes
    assert result.nbytes == distinct + 3 * 40 * 56  # and the three uint8 host masks
