"""Loading VAEs: real TAEF2 weights, small diffusers models, single files, the approximate VAE, errors."""

import re
import shutil

import pytest
import torch
from diffusers import AutoencoderKL, AutoencoderTiny
from safetensors.torch import save_file

from inpaint_core import VAE, approximate_vae, load_vae
from inpaint_core.nodes import VAEEncodeForInpaint, WAS_VAEEncodeForInpaint

torch.manual_seed(0)


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    return (10 * torch.log10(1 / ((a - b) ** 2).mean())).item()


def test_taef2_round_trip_of_an_asset(taef2, chelsea):
    image = chelsea[:, :296, :448]
    latents = taef2.encode(image)
    assert latents.shape == (1, 32, 37, 56) and latents.dtype == torch.float32
    assert -8 < latents.min() < -1 and 1 < latents.max() < 8  # raw FLUX.2 latents, about [-3, 3]
    assert psnr(taef2.decode(latents), image) >= 28


def test_taef2_loads_from_either_file_and_as_safetensors(taef2_dir, tmp_path, chelsea):
    image = chelsea[:, :64, :64]
    reference = load_vae(str(taef2_dir / "taef2_decoder.pth"), "cpu").encode(image)
    for part in ("encoder", "decoder"):
        weights = torch.load(taef2_dir / f"taef2_{part}.pth", weights_only=True)
        save_file({k: v.contiguous() for k, v in weights.items()}, tmp_path / f"taef2_{part}.safetensors")
    assert torch.equal(load_vae(str(tmp_path / "taef2_encoder.safetensors"), "cpu").encode(image), reference)


def test_nodes_run_with_a_real_vae(taef2, chelsea):
    mask = torch.zeros(1, 300, 451)
    mask[:, 100:180, 150:260] = 1
    for node, amount in ((VAEEncodeForInpaint(), 6), (WAS_VAEEncodeForInpaint(), -4)):
        (latent,) = node.encode(taef2, chelsea, mask, amount)
        assert latent["samples"].shape == (1, 32, 37, 56)
        assert latent["noise_mask"].shape == (1, 1, 296, 448)


def test_nodes_with_a_real_vae_drop_the_fourth_channel_as_comfyui_does(taef2, chelsea):
    """An RGBA IMAGE gives the latent of its RGB, as ComfyUI 0.8's VAE.encode keeps three channels."""
    image = chelsea[:, :64, :96]
    rgba = torch.cat([image, torch.rand(1, 64, 96, 1)], -1)
    mask = torch.zeros(1, 64, 96)
    mask[:, 20:40, 30:60] = 1
    for node, amount in ((VAEEncodeForInpaint(), 6), (WAS_VAEEncodeForInpaint(), -4)):
        (rgba_latent,) = node.encode(taef2, rgba, mask, amount)
        (rgb_latent,) = node.encode(taef2, image, mask, amount)
        assert torch.equal(rgba_latent["samples"], rgb_latent["samples"])
    with pytest.raises(ValueError, match="pixels must be"):
        taef2.encode(image[..., :2])


def test_approximate_vae_keeps_colours(chelsea):
    vae = approximate_vae("cpu")
    assert vae.approximate and "approximate" in vae.display_name
    image = chelsea[:, :64, :96]
    latents = vae.encode(image)
    assert latents.shape == (1, 4, 8, 12)
    pooled = torch.nn.functional.avg_pool2d(image.movedim(-1, 1), 8)
    expected = torch.nn.functional.interpolate(pooled, scale_factor=8).movedim(1, -1)
    torch.testing.assert_close(vae.decode(latents), expected, atol=1e-5, rtol=0)


def test_diffusers_tiny_folder(tmp_path):
    model = AutoencoderTiny(encoder_block_out_channels=(8, 8, 8, 8), decoder_block_out_channels=(8, 8, 8, 8))
    model.save_pretrained(tmp_path / "tiny-taesd")
    vae = load_vae(str(tmp_path / "tiny-taesd"), "cpu")
    pixels = torch.rand(2, 32, 48, 3)
    latents = vae.encode(pixels)
    assert (vae.downscale_ratio, vae.latent_channels) == (8, 4) and latents.shape == (2, 4, 4, 6)
    scaled = model.encode(pixels.movedim(-1, 1) * 2 - 1).latents
    torch.testing.assert_close(latents, scaled / 0.18215, rtol=1e-4, atol=1e-5)  # raw = scaled / TAESD's scale
    assert vae.decode(latents).shape == (2, 32, 48, 3)


def small_kl(latent_channels=4, quant_conv=True) -> AutoencoderKL:
    return AutoencoderKL(
        block_out_channels=(32, 64),
        down_block_types=("DownEncoderBlock2D",) * 2,
        up_block_types=("UpDecoderBlock2D",) * 2,
        latent_channels=latent_channels,
        layers_per_block=1,
        use_quant_conv=quant_conv,
        use_post_quant_conv=quant_conv,
    ).eval()


def test_diffusers_kl_folder_with_vae_subfolder(tmp_path):
    model = small_kl()
    model.save_pretrained(tmp_path / "pipeline" / "vae")
    vae = load_vae(str(tmp_path / "pipeline"), "cpu")
    pixels = torch.rand(1, 16, 24, 3)
    assert vae.downscale_ratio == 2
    expected = model.encode(pixels.movedim(-1, 1) * 2 - 1).latent_dist.mean  # raw: no scaling factor
    torch.testing.assert_close(vae.encode(pixels), expected, rtol=1e-4, atol=1e-5)
    assert vae.decode(vae.encode(pixels)).shape == (1, 16, 24, 3)


def original_layout(model: AutoencoderKL, prefix: str = "") -> dict[str, torch.Tensor]:
    """A diffusers AutoencoderKL's weights renamed to the original (LDM) single-file layout."""
    levels = len(model.config.block_out_channels)
    rules = [
        (r"down_blocks\.(\d+)\.resnets\.", r"down.\1.block."),
        (r"down_blocks\.(\d+)\.downsamplers\.0\.", r"down.\1.downsample."),
        (r"up_blocks\.(\d+)\.resnets\.", lambda m: f"up.{levels - 1 - int(m[1])}.block."),
        (r"up_blocks\.(\d+)\.upsamplers\.0\.", lambda m: f"up.{levels - 1 - int(m[1])}.upsample."),
        (r"mid_block\.resnets\.(\d+)\.", lambda m: f"mid.block_{int(m[1]) + 1}."),
        (r"mid_block\.attentions\.0\.group_norm", "mid.attn_1.norm"),
        (r"mid_block\.attentions\.0\.to_(q|k|v)", r"mid.attn_1.\1"),
        (r"mid_block\.attentions\.0\.to_out\.0", "mid.attn_1.proj_out"),
        (r"conv_shortcut", "nin_shortcut"),
        (r"conv_norm_out", "norm_out"),
    ]
    renamed = {}
    for key, value in model.state_dict().items():
        for pattern, replacement in rules:
            key = re.sub(pattern, replacement, key)
        if "attn_1" in key and key.endswith("weight") and value.ndim == 2:
            value = value[:, :, None, None]  # the original attention uses 1x1 convs
        renamed[prefix + key] = value.contiguous()
    return renamed


@pytest.mark.parametrize(("channels", "quant_conv", "prefix"), [(4, True, ""), (16, False, "first_stage_model.")])
def test_single_file_checkpoint(tmp_path, channels, quant_conv, prefix):
    model = small_kl(channels, quant_conv)
    path = tmp_path / "my_vae.safetensors"
    save_file(original_layout(model, prefix), path)
    vae = load_vae(str(path), "cpu")
    assert vae.latent_channels == channels and vae.name == "my_vae"
    pixels = torch.rand(1, 16, 16, 3)
    expected = model.encode(pixels.movedim(-1, 1) * 2 - 1).latent_dist.mean
    torch.testing.assert_close(vae.encode(pixels), expected, rtol=1e-4, atol=1e-5)


def test_bad_sources(tmp_path, taef2_dir):
    (tmp_path / "corrupt.safetensors").write_bytes(b"\x00" * 100)
    (tmp_path / "truncated_encoder.pth").write_bytes((taef2_dir / "taef2_encoder.pth").read_bytes()[:5000])
    shutil.copy(taef2_dir / "taef2_encoder.pth", tmp_path / "taesd_encoder.pth")
    shutil.copy(taef2_dir / "taef2_decoder.pth", tmp_path / "taesd_decoder.pth")
    save_file({"model.weight": torch.zeros(2)}, tmp_path / "unet.safetensors")
    (tmp_path / "empty").mkdir()
    cases = {
        str(tmp_path / "missing.safetensors"): "no such file or folder",
        str(tmp_path / "corrupt.safetensors"): r"corrupt\.safetensors: not a readable weights file",
        str(tmp_path / "truncated_encoder.pth"): "unknown tiny autoencoder family 'truncated'",
        str(tmp_path / "taesd_encoder.pth"): r"taesd_encoder\.pth: not a TAESD \(SD1\.x\) encoder",
        str(tmp_path / "unet.safetensors"): r"unet\.safetensors: no VAE weights in it",
        str(tmp_path / "empty"): "no config.json .* and no \\*_encoder.pth",
        "not a source at all": "not 'approx' or a hub id",
    }
    for source, message in cases.items():
        with pytest.raises(ValueError, match=message):
            load_vae(source, "cpu")


def test_truncated_tiny_file_names_the_file(tmp_path, taef2_dir):
    (tmp_path / "taef2_encoder.pth").write_bytes((taef2_dir / "taef2_encoder.pth").read_bytes()[:5000])
    shutil.copy(taef2_dir / "taef2_decoder.pth", tmp_path)
    with pytest.raises(ValueError, match=r"taef2_encoder\.pth: not a readable weights file"):
        load_vae(str(tmp_path / "taef2_decoder.pth"), "cpu")


def pointwise_vae(limit: int) -> VAE:
    """A stand-in whose 'network' is 8x8 pooling, and which runs out of memory above `limit` pixels a side."""

    def encode(x):
        if max(x.shape[-2:]) > limit:
            raise torch.OutOfMemoryError("injected")
        return torch.nn.functional.avg_pool2d(x, 8)

    return VAE("stand-in", encode, encode, 3, torch.device("cpu"), torch.float32, tile=64)


def test_out_of_memory_falls_back_to_tiles_then_a_clear_error():
    pixels = torch.rand(1, 200, 136, 3)
    expected = torch.nn.functional.avg_pool2d(pixels.movedim(-1, 1), 8)
    torch.testing.assert_close(pointwise_vae(limit=64).encode(pixels), expected)
    failing = pointwise_vae(limit=32)
    with pytest.raises(MemoryError, match="out of GPU memory even in 64-pixel tiles"):
        failing.encode(pixels)
    assert failing.encode(pixels[:, :32, :32]).shape == (1, 3, 4, 4)  # the next request works


def hub_reachable() -> bool:
    import urllib.request

    try:
        urllib.request.urlopen("https://huggingface.co/api/models/madebyollin/taesd", timeout=3)
        return True
    except OSError:
        return False


@pytest.mark.skipif(not hub_reachable(), reason="the Hugging Face Hub cannot be reached from here")
def test_hub_id():
    vae = load_vae("madebyollin/taesd", "cpu")
    assert vae.encode(torch.rand(1, 64, 64, 3)).shape == (1, 4, 8, 8)
