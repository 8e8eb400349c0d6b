"""Every method by name: its chain equals the nodes' code run one after the other, at default and extreme settings."""

import pytest
import torch

from inpaint_core import prepare_comfy
from inpaint_core.preparations.methods import METHODS, run_method
from inpaint_core.settings import Choice, Flag, Float, Int
from tests.reference_preparations import (
    expand_mask_reference,
    feather_mask_reference,
    fill_masked_area_reference,
    grow_mask_reference,
    inpaint_model_conditioning_reference,
    vae_encode_set_noise_mask_reference,
)


def image(height=45, width=52, seed=0):
    gen = torch.Generator().manual_seed(seed)
    pixels = torch.rand(1, height, width, 3, generator=gen)
    mask = torch.zeros(1, height, width)
    mask[:, 10:30, 12:40] = 1
    return pixels, mask


def extremes(setting):
    """The setting's values worth trying: default and both ends of what a page offers."""
    if isinstance(setting, Int):
        return [setting.default, *setting.slider_range]
    if isinstance(setting, Float):
        return [setting.default, setting.min, setting.max]
    if isinstance(setting, Flag):
        return [True, False]
    assert isinstance(setting, Choice)
    return list(setting.options)


@pytest.mark.parametrize("name", sorted(METHODS))
def test_every_method_at_every_extreme(stand_in_vae, name):
    pixels, mask = image(140, 150)
    for setting in METHODS[name].settings:
        for value in extremes(setting):
            if setting.name == "blur" and value // 2 >= 140:  # a reflected border needs the radius inside
                with pytest.raises(ValueError, match="needs an image over"):
                    run_method(name, pixels, mask, {setting.name: value})
                continue
            out = run_method(name, pixels, mask, {setting.name: value}, stand_in_vae())
            assert out.method == name and out.settings[setting.name] == value
            h, w = out.encoded.shape[1] // 8, out.encoded.shape[2] // 8
            assert out.latent["samples"].shape == (1, 3, h, w)
            assert torch.equal(out.latent["samples"], stand_in_vae().encode(out.encoded))
            top, left = out.crop_offset
            if name not in ("comfy", "was", "inpaint_model_conditioning"):  # these grey what they encode
                assert torch.equal(out.encoded, out.neutralised[:, top : top + 8 * h, left : left + 8 * w])


def test_without_a_vae_no_latents():
    pixels, mask = image(130, 131)  # Blur Masked Area's default 255 px blur needs 128 px each way
    for name in METHODS:
        out = run_method(name, pixels, mask)
        assert out.latent["samples"] is None


def test_set_latent_noise_mask_is_grow_feather_then_the_nodes(stand_in_vae):
    pixels, mask = image()
    out = run_method(
        "set_latent_noise_mask", pixels, mask, {"expand": -3, "tapered_corners": False, "feather": 9}, stand_in_vae()
    )
    grown = feather_mask_reference(grow_mask_reference(mask, -3, False), 9, 9, 9, 9)
    expected = vae_encode_set_noise_mask_reference(pixels, grown, stand_in_vae().encode, 8)
    assert torch.equal(out.latent["noise_mask"], expected["noise_mask"])
    assert torch.equal(out.latent["samples"], expected["samples"])


def test_inpaint_model_conditioning_chain(stand_in_vae):
    pixels, mask = image()
    out = run_method("inpaint_model_conditioning", pixels, mask, {"expand": 7, "noise_mask": False}, stand_in_vae())
    values, latent, concat = inpaint_model_conditioning_reference(
        pixels, grow_mask_reference(mask, 7, True), stand_in_vae().encode, 8, False
    )
    assert torch.equal(out.neutralised, concat) and out.noise_mask is None
    assert torch.equal(out.conditioning.concat_latent, values["concat_latent_image"])
    assert torch.equal(out.latent["samples"], latent["samples"])


def test_acly_fill_chain(stand_in_vae):
    pixels, mask = image()
    out = run_method("acly_fill", pixels, mask, {"grow": 4, "mask_blur": 0, "fill": "telea"}, stand_in_vae())
    expanded = expand_mask_reference(mask, 4, 0, "gaussian")
    filled = fill_masked_area_reference(pixels, expanded, "telea", 0)
    assert torch.equal(out.neutralised, filled)
    values, latent, _ = inpaint_model_conditioning_reference(filled, expanded, stand_in_vae().encode, 8)
    assert torch.equal(out.latent["samples"], latent["samples"])
    assert torch.equal(out.extra["latent_inpaint"]["samples"], values["concat_latent_image"])


def test_comfy_is_the_seed_method():
    pixels, mask = image()
    out = run_method("comfy", pixels, mask, {"grow_mask_by": 10})
    assert torch.equal(out.noise_mask, prepare_comfy(pixels, mask, 10).noise_mask)
    assert out.crop_offset == (45 % 8 // 2, 52 % 8 // 2)


def test_bad_settings_name_what_is_allowed():
    pixels, mask = image()
    with pytest.raises(ValueError, match="method must be one of"):
        run_method("lama", pixels, mask)
    with pytest.raises(ValueError, match="unknown settings"):
        run_method("comfy", pixels, mask, {"mask_offset": 3})
    with pytest.raises(ValueError, match=r"expand must be an integer in \[-16384, 16384\]"):
        run_method("set_latent_noise_mask", pixels, mask, {"expand": 1.5})
    with pytest.raises(ValueError, match="the image's size"):
        run_method("acly_fill", pixels, mask[:, :40])
