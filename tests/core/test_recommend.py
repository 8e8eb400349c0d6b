"""Recommendations on masks whose answers are known by construction, and the halo counts behind them
against the masks of every amount (the plain formulation: grow or offset, then halo_risk_cells)."""

import pytest
import torch

from inpaint_core.analysis import recommend as recommend_module
from inpaint_core.analysis.cells import grow_extent, halo_risk_cells
from inpaint_core.analysis.distance import distance_map
from inpaint_core.analysis.halo_counts import (
    HaloCounts,
    direct_grow_counts,
    direct_offset_counts,
    grow_halo_counts,
    offset_halo_counts,
)
from inpaint_core.analysis.recommend import recommend, recommend_grow_mask_by, recommend_mask_offset
from inpaint_core.analysis.view_support import support
from inpaint_core.masks import grow_mask, offset_mask

BACKENDS = ["comfyui", "diffusers", "fooocus"]


def square(top: int, size: int = 16, image: int = 48) -> torch.Tensor:
    mask = torch.zeros(image, image)
    mask[top : top + size, top : top + size] = 1
    return mask


def blobs(height: int, width: int, seed: int) -> torch.Tensor:
    """A few ellipses, sometimes specks, sometimes inverted: edges at every angle and place."""
    generator = torch.Generator().manual_seed(seed)
    ys, xs = torch.meshgrid(torch.arange(height), torch.arange(width), indexing="ij")
    mask = torch.zeros(height, width, dtype=torch.bool)
    for _ in range(int(torch.randint(1, 4, (1,), generator=generator))):
        centre = torch.rand(2, generator=generator) * torch.tensor([height, width])
        radii = torch.rand(2, generator=generator) * torch.tensor([height, width]) / 2 + 1
        mask |= ((ys - centre[0]) / radii[0]) ** 2 + ((xs - centre[1]) / radii[1]) ** 2 < 1
    if seed % 3 == 0:
        mask |= torch.rand(height, width, generator=generator) < 0.01
    return ~mask if seed % 5 == 0 else mask


def test_a_grid_aligned_square_needs_no_grow():
    for backend in BACKENDS:
        assert recommend_grow_mask_by(square(8), 8, backend).amount == 0


def test_a_square_one_pixel_off_the_grid_needs_the_grow_that_covers_its_cut_cells():
    """Rows 9..24: cell 3 holds row 24 alone. ComfyUI reads pixels 27 and 28 of it, so the grow must reach
    4 px down; diffusers reads pixel 8 of cell 1, so it must reach 1 px up; Fooocus repaints any cell touched."""
    mask = square(9)
    comfyui = min(k for k in range(65) if grow_extent(k)["down"] >= 28 - 24)
    diffusers = min(k for k in range(65) if grow_extent(k)["up"] >= 9 - 8)
    assert (comfyui, diffusers) == (8, 3)
    assert recommend_grow_mask_by(mask, 8, "comfyui").amount == comfyui
    assert recommend_grow_mask_by(mask, 8, "diffusers").amount == diffusers
    assert recommend_grow_mask_by(mask, 8, "fooocus").amount == 0


def test_an_offset_that_moves_the_edges_onto_what_the_sampler_reads():
    """Rows 9..24 offset by n are 9-n..24+n. ComfyUI: -1 leaves 10..23, whose cells 1 and 2 have their
    centres (11, 12 and 19, 20) inside. diffusers: +1 gives 8..25 and reads pixels 8, 16, 24, all inside."""
    mask = square(9)
    assert recommend_mask_offset(mask, 8, "comfyui").amount == -1
    assert recommend_mask_offset(mask, 8, "comfyui").sentence.endswith(
        f"keeps {14**2 / 16**2:.0%} of the painted area."
    )
    assert recommend_mask_offset(mask, 8, "diffusers").amount == 1
    assert recommend_mask_offset(mask, 8, "diffusers").sentence.endswith(
        f"grows the painted area {18**2 / 16**2:.1f} times."
    )
    assert recommend_mask_offset(mask, 8, "fooocus").amount == 0


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("ratio", [8, 16])
def test_counts_match_the_masks_of_every_amount(seed, ratio):
    """Exact for every amount: the same counts as growing or offsetting and counting, amount by amount
    (halo_risk_cells, checked against the batch it is run in here)."""
    generator = torch.Generator().manual_seed(seed)
    height, width = (int(v) for v in torch.randint(ratio, 56, (2,), generator=generator))
    if seed % 2:
        height, width = height // 8 * 8 + 8, width // 8 * 8 + 8  # a WAS crop
    mask = blobs(height, width, seed)
    for backend in BACKENDS:
        grown = grow_mask(mask.float(), 5)
        assert direct_grow_counts(mask, ratio, backend)[5] == halo_risk_cells(mask, grown, ratio, backend).sum()
        counts = HaloCounts(mask, ratio, backend)
        assert torch.equal(counts.grow, direct_grow_counts(mask, ratio, backend)), backend
        assert torch.equal(counts.offset, direct_offset_counts(mask, ratio, backend)), backend


def test_comfyui_counts_never_grow_with_the_amount():
    """A larger grow_mask_by grows the noise mask and the bilinear view with it; the grey stays: counts fall."""
    for seed in range(6):
        counts = grow_halo_counts(blobs(64, 80, seed), 8)
        assert all(later <= earlier for earlier, later in zip(counts, counts[1:], strict=False))


def test_the_fast_rule_is_used_where_it_is_exact_and_the_masks_elsewhere():
    assert support("comfyui", 1024, 768, 8) is not None and support("diffusers", 296, 448, 16) is not None
    assert support("fooocus", 296, 448, 16) is None  # partial cells: counted from the masks
    fragile = next(size for size in range(16, 1000, 8) if support("comfyui", size, size, 16) is None)
    mask = blobs(fragile, fragile, 1)
    assert torch.equal(grow_halo_counts(mask, 16), direct_grow_counts(mask, 16))


def test_distance_map_is_the_chessboard_distance():
    generator = torch.Generator().manual_seed(0)
    hit = torch.rand(23, 31, generator=generator) < 0.03
    ys, xs = torch.meshgrid(torch.arange(23), torch.arange(31), indexing="ij")
    points = torch.stack([ys.flatten(), xs.flatten()], 1).float()
    expected = torch.cdist(points, points[hit.flatten()], p=float("inf")).amin(1).reshape(23, 31)
    assert torch.equal(distance_map(hit, 9), expected.clamp(max=9).to(torch.uint8))


def test_an_empty_mask_has_nothing_to_recommend():
    advice = recommend(torch.zeros(32, 32), torch.zeros(32, 32), 8)
    assert advice["comfy"].amount is None and "empty" in advice["comfy"].sentence
    assert advice["was"].amount is None and "empty" in advice["was"].sentence


def test_a_full_mask_has_no_edge_for_was():
    advice = recommend_mask_offset(torch.ones(32, 32), 8)
    assert advice.amount is None and "whole image" in advice.sentence


def test_when_no_offset_avoids_the_halo_the_sentence_counts_the_cut_cells():
    """A disc: WAS greys its noise mask, whose round edge cuts cells whatever the offset (within the image)."""
    ys, xs = torch.meshgrid(torch.arange(400), torch.arange(400), indexing="ij")
    disc = ((ys - 200) ** 2 + (xs - 200) ** 2 < 90**2).float()
    counts = offset_halo_counts(disc, 8)
    advice = recommend_mask_offset(disc, 8, mask_offset=6)
    assert advice.amount is None
    assert f"the {int(counts[6 + 128])} latent cells its edge cuts at mask_offset=6 keep part of the grey" in (
        advice.sentence
    )
    assert advice.sentence.endswith(".") and ". " not in advice.sentence  # one sentence


def test_an_offset_that_erodes_the_mask_away_says_why_and_why_it_names_another():
    """A disc whose deepest pixel is d px from an unpainted one (chessboard, as WAS's square kernel reaches):
    mask_offset=-128 leaves nothing, and the sentence says so with d, the first offset that keeps some, and
    why the halo count it names is at another offset."""
    ys, xs = torch.meshgrid(torch.arange(400), torch.arange(400), indexing="ij")
    disc = ((ys - 200) ** 2 + (xs - 200) ** 2 < 90**2).float()
    depth = next(e for e in range(1, 129) if not offset_mask(disc[None], -e).any())  # the plain erosion
    counts = offset_halo_counts(disc, 8).tolist()
    fewest = min((c, abs(n), n) for n, c in zip(range(-128, 129), counts, strict=True) if n > -depth and c > 0)
    sentence = recommend_mask_offset(disc, 8, mask_offset=-128).sentence
    assert sentence.startswith(
        f"At mask_offset=-128 WAS erodes away every painted pixel within 128 px of an unpainted one, and none lies "
        f"deeper than {depth} px, so it greys no pixel and repaints nothing; from mask_offset={1 - depth} up some of "
        "the mask is left"
    )
    assert f"the fewest latent cells its edge cuts, {fewest[0]} at mask_offset={fewest[2]}," in sentence
    assert sentence.endswith(".") and ". " not in sentence  # one sentence
    kept = recommend_mask_offset(disc, 8, mask_offset=1 - depth).sentence  # some left: its own count is named
    assert f"cuts at mask_offset={1 - depth} keep part" in kept and "erodes" not in kept


def test_an_offset_that_covers_the_whole_image_says_so_before_naming_another():
    """A small hole in a full mask: growing by 4 fills it, and for diffusers every offset with an edge keeps grey."""
    ys, xs = torch.meshgrid(torch.arange(64), torch.arange(64), indexing="ij")
    hole = 1 - (((ys - 32.3) ** 2 + (xs - 32.3) ** 2) < 25).float()
    assert offset_mask(hole[None], 128).all()
    counts = offset_halo_counts(hole, 8, "diffusers").tolist()
    fewest = min((c, abs(n), n) for n, c in zip(range(-128, 129), counts, strict=True) if c > 0)
    sentence = recommend_mask_offset(hole, 8, "diffusers", mask_offset=128).sentence
    assert sentence.startswith(
        "At mask_offset=128 WAS's noise mask covers the whole image, so diffusers' inpaint pipeline repaints all of it"
    )
    assert f"the fewest latent cells its edge cuts, {fewest[0]} at mask_offset={fewest[2]}," in sentence


def test_results_are_kept_by_content():
    mask = square(9)
    first = recommend_mask_offset(mask, 8)
    assert recommend_mask_offset(mask.clone(), 8) == first
    assert len(recommend_module._KEPT) <= recommend_module.KEPT_MASKS


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="backend must be one of"):
        recommend_grow_mask_by(square(8), 8, "a1111")
    with pytest.raises(ValueError, match="downscale_ratio"):
        recommend_mask_offset(square(8), 0)
    with pytest.raises(ValueError, match="mask must be a"):
        recommend_grow_mask_by(torch.zeros(1, 48, 48), 8)
    with pytest.raises(ValueError, match="mask_offset must be in"):
        recommend_mask_offset(square(8), 8, mask_offset=200)
