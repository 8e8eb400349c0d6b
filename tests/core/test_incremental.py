"""An encode updated from the previous pass (vaes/incremental.py) equals the whole encode: a mask_offset release
greys a thin band, and only what it reaches is recomputed."""

import pytest
import torch

from inpaint_core.compare import Reusing, add_latents, encode_and_decode, prepare_methods
from inpaint_core.preparations.methods import seed_preparation
from inpaint_core.vaes.incremental import IncrementalVAE, boxes, grown

TOLERANCE = 1e-5  # float rounding: boxes' convolutions round differently from the whole image's


@pytest.fixture(scope="module")
def cat_and_mask(chelsea):
    """The cat at 512², with a painted rectangle: (1, 512, 512, 3), (1, 512, 512)."""
    image = torch.nn.functional.interpolate(chelsea.movedim(-1, 1), size=(512, 512), mode="bilinear").movedim(1, -1)
    mask = torch.zeros(1, 512, 512)
    mask[:, 180:300, 200:330] = 1
    return image, mask


def was_pixels(image, mask, offset: int) -> torch.Tensor:
    return seed_preparation("was", image, mask, offset, 8).encoded[:1]


@pytest.mark.parametrize("name", ["taef2", "taesd_layout"])
def test_an_encode_from_the_previous_pass_equals_the_whole_encode(name, request, cat_and_mask):
    vae = request.getfixturevalue(name)
    codec = IncrementalVAE(vae)
    before, after = (was_pixels(*cat_and_mask, offset) for offset in (-4, 6))
    assert 0 < (before != after).any(-1).float().mean() < 0.05  # a thin band changed
    _, first = codec.encode(before)
    latents, update = codec.encode(after)
    assert first.whole and not update.whole and update.share < 0.5
    assert (latents - vae.encode(after)).abs().max() < TOLERANCE


def test_taesd_decodes_what_changed_and_taef2_decodes_whole(taef2, taesd_layout, cat_and_mask):
    """TAESD's decoder sees a bounded neighbourhood; TAEF2's first stage has group norms, so its output changes
    everywhere when a latent does: it decodes whole, and says why."""
    image, _ = cat_and_mask
    for vae in (taesd_layout, taef2):
        codec = IncrementalVAE(vae)
        latents = [vae.encode(image)]
        latents.append(latents[0].clone())
        latents[1][..., 36:40, 10:16] += 0.25  # a few cells, as a release's band changes them
        codec.decode(latents[0])
        decoded, update = codec.decode(latents[1])
        assert (decoded - vae.decode(latents[1])).abs().max() < TOLERANCE
        if vae is taef2:
            assert str(update) == "whole: group norms"
        else:
            assert not update.whole and update.share < 1


def test_the_page_s_latents_for_a_run_of_mask_offsets_equal_the_whole_image_s(taef2, chelsea):
    """prepare_methods and add_latents as the page runs them on each release, with the page's Reusing encoder."""
    image, mask = chelsea, torch.zeros(1, 300, 451)
    mask[:, 100:180, 150:260] = 1
    reusing, notes = Reusing(), []
    for offset in (-4, 8, -12, 3):
        comparison = prepare_methods(image, mask, 8, 6, offset)
        add_latents(comparison, taef2, encode=reusing, methods=("was",))
        latent, whole = comparison.was.latent, encode_and_decode(taef2, comparison.was.preparation.encoded)
        assert (latent.latents - whole.latents).abs().max() < TOLERANCE
        assert (latent.decoded.int() - whole.decoded.int()).abs().max() <= 1  # uint8 previews: a rounding step
        notes.append(latent.reuse["encode"])
    assert notes[0].startswith("whole") and all("recomputed" in note for note in notes[1:])
    assert comparison.was.latent.reuse["decode"] == "whole: group norms"


def test_the_latents_a_page_downloads_are_a_whole_encode_s_bit_for_bit(taesd_layout):
    """What is taken home (.latent) is what ComfyUI's VAEEncode makes, one whole encode: a pass updated in small
    boxes rounds as their sizes have it, so whole_latents() encodes whole, once, where a pass was updated."""
    image = torch.rand(1, 152, 200, 3, generator=torch.Generator().manual_seed(0))
    reusing, updated = Reusing(), 0
    with torch.inference_mode():
        assert reusing(taesd_layout, image).whole_encode is None  # the first pass is whole
        for top, left in ((60, 50), (128, 40), (100, 100)):
            after = image.clone()
            after[:, top : top + 2, left : left + 30] = 0.5  # a thin band greyed, as a mask_offset release greys
            latent = reusing(taesd_layout, after)
            whole = taesd_layout.encode(after)  # tests/core/test_comfy_tiny.py: ComfyUI's, bit for bit
            assert "recomputed" in latent.reuse["encode"]
            updated += not torch.equal(latent.latents, whole)
            assert torch.equal(latent.whole_latents(after), whole) and latent.whole_latents(after) is latent.latents
            assert latent.reuse["encode"].endswith("latents from a whole encode")
    assert updated  # the updated passes rounded otherwise: the whole encode was needed


def test_changed_outputs_are_those_whose_inputs_changed(taesd_layout):
    """grown() marks exactly what can change: an output outside it is the old one bit for bit, and boxes cover it."""
    stage = taesd_layout.encoder.stages[1]
    x = torch.rand(1, 64, 40, 52)
    y = x.clone()
    y[..., 10:12, 30:31] += 1
    with torch.inference_mode():
        old, new = stage(x), stage(y)
    changed = grown(stage, (x != y).any(1)[0], tuple(old.shape[-2:]))
    differs = (old != new).any(1)[0]
    assert differs.any() and not (differs & ~changed).any()
    covered = torch.zeros_like(changed)
    for (top, bottom), (left, right) in boxes(changed, 4, 8):
        covered[top:bottom, left:right] = True
    assert not (changed & ~covered).any()


def test_kept_passes_stay_within_their_share_of_the_budget(cat_and_mask):
    from tests.conftest import tiny_layout_vae

    vae = tiny_layout_vae()
    vae.memory_budget = 2**26  # 64 MiB: a quarter holds one 512² pass of the encoder, not two
    codec = IncrementalVAE(vae)
    image, mask = cat_and_mask
    for offset in (-4, 6):
        codec.encode(was_pixels(image, mask, offset))
    assert len(codec.encoder.passes) == 1 and codec.held <= vae.memory_budget // 4
