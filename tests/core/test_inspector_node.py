"""The Inpaint Encode Inspector node: registered as the pack's nodes are, and the page's numbers for the seeds.

ComfyUI 0.8 conventions the node follows (`nodes.py`, restated: tests have no network): INPUT_TYPES with
"required" and "optional" (a combo is a list of its choices), RETURN_TYPES / RETURN_NAMES / FUNCTION /
CATEGORY on the class; an IMAGE is (B, H, W, C) float in [0, 1], which PreviewImage (SaveImage.save_images,
lines 1605-1607) saves as `np.clip(255. * image, 0, 255).astype(np.uint8)`; LoadImage's MASK is 1 - alpha / 255.
"""

import pytest
import torch

from inpaint_core import NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS, approximate_vae
from inpaint_core.analysis.recommend import recommend_grow_mask_by, recommend_mask_offset
from inpaint_core.analysis.report import summary
from inpaint_core.compare import add_latents, encode_and_decode, prepare_methods
from inpaint_core.inspector_node import CHOICES, InpaintEncodeInspector, _draw, inspect, numbers_text
from inpaint_core.prepare import GROW_MASK_BY, MASK_OFFSET, prepare_comfy, prepare_was

KEY = "InpaintCore_InpaintEncodeInspector"


def scene(height=100, width=140, scale=1, seed=0):
    """An image and a mask (an ellipse and a bar) at `scale` times the image's size."""
    generator = torch.Generator().manual_seed(seed)
    image = torch.rand(1, height, width, 3, generator=generator)
    ys, xs = torch.meshgrid(torch.arange(height * scale), torch.arange(width * scale), indexing="ij")
    ellipse = ((ys / scale - 47.3) / 21.7) ** 2 + ((xs / scale - 61.1) / 30.2) ** 2 < 1
    bar = (ys // scale == 80) & (xs // scale > 10) & (xs // scale < 120)
    return image, (ellipse | bar).float()[None]


def test_registered_under_the_packs_own_key_in_latent_inpaint():
    node = NODE_CLASS_MAPPINGS[KEY]
    assert node is InpaintEncodeInspector and NODE_DISPLAY_NAME_MAPPINGS[KEY] == "Inpaint Encode Inspector"
    assert (node.CATEGORY, node.FUNCTION) == ("latent/inpaint", "inspect")
    assert node.RETURN_TYPES == ("IMAGE", "INT", "STRING", "STRING")
    assert node.RETURN_NAMES == ("panels", "recommended_amount", "advice", "numbers")
    types = node.INPUT_TYPES()
    required, optional = types["required"], types["optional"]
    assert [kind for kind, _ in required.values()][:2] == ["IMAGE", "MASK"]
    assert required["method"][0] == list(CHOICES) and set(CHOICES.values()) == {
        "comfy", "was", "set_latent_noise_mask", "inpaint_model_conditioning"
    }  # fmt: skip
    assert required["backend"][0] == ["comfyui", "diffusers", "fooocus"]
    low, high = required["amount"][1]["min"], required["amount"][1]["max"]
    assert low <= MASK_OFFSET.min and high >= MASK_OFFSET.max and required["amount"][0] == "INT"
    assert optional["vae"][0] == "VAE"
    assert all("tooltip" in options for _, options in (*required.values(), *optional.values()))
    assert len(node.OUTPUT_TOOLTIPS) == len(node.RETURN_TYPES)


@pytest.mark.parametrize("backend", ["comfyui", "diffusers", "fooocus"])
@pytest.mark.parametrize(("method", "amount"), [("comfy", 6), ("comfy", 0), ("was", -3), ("was", 9)])
@pytest.mark.parametrize("scale", [1, 2])
def test_the_seeds_numbers_are_the_pages(method, amount, backend, scale):
    """The page's report (summary of both nodes' comparison, the other at its default) for the method shown, and
    the recommendation as recommend gives it for the node's rounded, cropped mask."""
    image, mask = scene(scale=scale, seed=amount + 3)
    vae = approximate_vae()
    panels, recommended, sentence, numbers = InpaintEncodeInspector().inspect(
        image, mask, next(c for c, m in CHOICES.items() if m == method), amount, backend, vae
    )
    grow, offset = (amount, MASK_OFFSET.default) if method == "comfy" else (GROW_MASK_BY.default, amount)
    comparison = add_latents(prepare_methods(image, mask, 8, grow, offset), vae, methods=(method,))
    page = summary(comparison, backend, shown=(method,))
    found = inspect(image, mask, method, amount, backend, vae)
    assert found["table"] == {k: v for k, v in page[method].items() if k != "time_ms"}
    assert found["warnings"] == page["warnings"]
    advice = page["recommendation"][method]
    assert sentence == advice["sentence"] and found["recommended"] == advice["amount"]
    assert recommended == (amount if advice["amount"] is None else advice["amount"])
    if method == "comfy":
        direct = recommend_grow_mask_by(prepare_comfy(image, mask, amount).mask[0, 0], 8, backend)
    else:
        direct = recommend_mask_offset(prepare_was(image, mask, amount).mask[0, 0], 8, backend, amount)
    assert (direct.amount, direct.sentence) == (advice["amount"], advice["sentence"])
    assert numbers == numbers_text(found) and all(note in numbers for note in page["warnings"])
    assert f"noise mask (px): {page[method]['noise_mask_area']}" in numbers.splitlines()
    assert panels.dtype == torch.float32 and panels.shape[0] == 1 and panels.shape[-1] == 3
    assert 0 <= float(panels.min()) and float(panels.max()) <= 1


@pytest.mark.parametrize(("method", "amount"), [("comfy", 7), ("was", -2), ("was", 4)])
def test_where_the_crops_differ_the_numbers_are_still_the_pages(method, amount):
    """A ratio of 16 crops ComfyUI's node to 16 px and WAS's to 8 (99×141: 96×128 against 96×136), so the other
    seed's crop reaches the warnings; the node, which prepares the other at 0, says what the page says."""
    image, mask = scene(height=99, width=141, seed=amount + 5)
    found = inspect(image, mask, method, amount, "comfyui", None, downscale_ratio=16)
    grow, offset = (amount, MASK_OFFSET.default) if method == "comfy" else (GROW_MASK_BY.default, amount)
    page = summary(prepare_methods(image, mask, 16, grow, offset), "comfyui", shown=(method,))
    assert found["table"] == {k: v for k, v in page[method].items() if k != "time_ms"}
    assert found["warnings"] == page["warnings"] and found["sentence"] == page["recommendation"][method]["sentence"]
    assert any("do not line up" in note for note in page["warnings"]) == (method == "was")


def test_the_panels_are_the_crop_with_its_masks_the_cells_and_the_decode():
    image, mask = scene()
    vae = approximate_vae()
    with_vae = inspect(image, mask, "comfy", 2, "comfyui", vae)["panels"][0]
    without = inspect(image, mask, "comfy", 2, "comfyui")["panels"][0]
    prepared = prepare_comfy(image, mask, 2)
    height, width = prepared.pixels.shape[1:3]
    assert without.shape == (height, 2 * width + 8, 3) and with_vae.shape == (height, 3 * width + 16, 3)
    assert torch.equal(with_vae[:, : 2 * width + 8], without)
    decoded = encode_and_decode(vae, prepared.pixels).decoded
    assert torch.equal(with_vae[:, 2 * width + 16 :], decoded.float() / 255)
    over, crop = without[:, :width], image[0, 2 : 2 + height, 2 : 2 + width]  # 100x140, centred to 96x136
    untouched = (prepared.noise_mask[0, 0] == 0) & (prepared.neutralise_mask[0, 0] == 0)
    assert torch.equal(over[untouched], crop[untouched])
    noise = prepared.noise_mask[0, 0] > 0
    assert (over[noise] != crop[noise]).all(-1).any()


def test_the_lookup_table_blends_as_one_blend_after_another():
    generator = torch.Generator().manual_seed(1)
    base = torch.rand(33, 41, 3, generator=generator)
    layers = [(torch.rand(33, 41, generator=generator) > 0.5, (torch.rand(3, generator=generator), a))
              for a in (0.3, 0.5, 0.9)]  # fmt: skip
    out = torch.empty(33, 41, 3)
    _draw(out, base, layers)
    expected = base.clone()
    for mask, (colour, opacity) in layers:
        expected = torch.lerp(expected, colour, opacity * mask.float()[..., None])
    torch.testing.assert_close(out, expected, atol=1e-6, rtol=0)


@pytest.mark.parametrize("method", ["set_latent_noise_mask", "inpaint_model_conditioning"])
def test_other_methods_count_the_cells_repainted_in_part_and_recommend_nothing(method):
    image, mask = scene(scale=2)
    found = inspect(image, mask, method, 4, "comfyui")
    assert found["recommended"] is None and found["amount"] == 4 and "no amount to recommend" in found["sentence"]
    assert found["table"]["edge_cells"] > 0 and found["table"]["grey_area"] is None
    assert found["panels"].shape[1] == 100 - (100 % 8 if method == "inpaint_model_conditioning" else 0)


def test_bad_input_is_refused_naming_it():
    image, mask = scene()
    with pytest.raises(ValueError, match="grow_mask_by must be in"):
        inspect(image, mask, "comfy", 65)
    with pytest.raises(ValueError, match="method must be one of"):
        inspect(image, mask, "acly_fill", 0)
    with pytest.raises(ValueError, match="backend must be one of"):
        inspect(image, mask, "was", 0, "a1111")
    with pytest.raises(ValueError, match="method must be one of"):
        InpaintEncodeInspector().inspect(image, mask, "VAEEncode", 0, "comfyui")

    class VideoVAE:
        downscale_ratio = (lambda a: a, 8, 8)
        encode = decode = None

    with pytest.raises(ValueError, match="downscale_ratio must be an integer"):
        inspect(image, mask, "comfy", 6, vae=VideoVAE())
