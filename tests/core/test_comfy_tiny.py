"""Tiny autoencoders give ComfyUI 0.8's latents bit for bit on the CPU, and its decoded images by its arithmetic:
the real TAEF2 pair, TAESD and TAEF1 pairs (random weights: the arithmetic, not the weights, is under test) and a
diffusers AutoencoderTiny, each against a plain formulation of ComfyUI's arithmetic on a fresh copy of the same
nets. The decoder runs channels_last (faster), ComfyUI's contiguous: the same arithmetic, convolutions rounded
in another order, so decoded images are compared on the project's layout and, to float32 rounding, on ComfyUI's."""

import copy

import pytest
import torch
from diffusers import AutoencoderTiny

from inpaint_core import load_vae
from inpaint_core.vaes.tiny_autoencoder import Clamp, decoder, encoder


def comfyui_encode(net, pixels: torch.Tensor, scale: float, shift: float) -> torch.Tensor:
    """comfy/sd.py VAE.encode (movedim, process_input) then comfy/taesd/taesd.py TAESD.encode; vae_scale and
    vae_shift are nodes.py load_taesd's float32 tensors."""
    x = pixels.movedim(-1, 1)
    x = x * 2.0 - 1.0  # process_input
    return (net(x * 0.5 + 0.5) / torch.tensor(scale) + torch.tensor(shift)).float()


def comfyui_decode(net, latents: torch.Tensor, scale: float, shift: float) -> torch.Tensor:
    """TAESD.decode, then VAE.decode's process_output and movedim."""
    x = net((latents - torch.tensor(shift)) * torch.tensor(scale))
    x = x.sub(0.5).mul(2).float()
    return torch.clamp((x + 1.0) / 2.0, min=0.0, max=1.0).movedim(1, -1)


def pixels_and_latents(channels: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    pixels = torch.randint(0, 256, (1, 64, 80, 3), generator=generator) / 255.0  # an 8-bit image, as LoadImage reads it
    assert ((pixels * 2.0 - 1.0) * 0.5 + 0.5 != pixels).sum() > 1000  # of 15360: off by an ulp in ComfyUI's arithmetic
    return pixels, torch.randn(1, channels, 8, 10, generator=generator) * 2


def fresh(net: torch.nn.Module) -> torch.nn.Module:
    """The same weights in ComfyUI's layout (contiguous, as loaded), not the project's channels_last copy."""
    return copy.deepcopy(net).to(memory_format=torch.contiguous_format)


def assert_decodes_as_comfyui(vae, net, latents: torch.Tensor, scale: float, shift: float) -> None:
    """ComfyUI's arithmetic exactly on the project's channels_last layout; within float32 rounding on ComfyUI's."""
    decoded = vae.decode(latents)
    on_this_layout = copy.deepcopy(net).to(memory_format=torch.channels_last)
    channels_last = latents.to(memory_format=torch.channels_last)
    assert torch.equal(decoded, comfyui_decode(on_this_layout, channels_last, scale, shift))
    torch.testing.assert_close(decoded, comfyui_decode(fresh(net), latents, scale, shift), rtol=0, atol=2e-5)


def test_taef2_pair_matches_comfyui_bit_for_bit(taef2_dir):
    vae = load_vae(str(taef2_dir), "cpu")
    pixels, latents = pixels_and_latents(32, seed=1)
    nets = {}
    for part, build in (("encoder", encoder), ("decoder", decoder)):
        weights = torch.load(taef2_dir / f"taef2_{part}.pth", weights_only=True)
        nets[part] = build(32, pool=True).eval()
        nets[part].load_state_dict(weights)
    with torch.inference_mode():
        expected = comfyui_encode(nets["encoder"], pixels, 1.0, 0.0)
        assert torch.equal(vae.encode(pixels), expected)
        assert_decodes_as_comfyui(vae, nets["decoder"], latents, 1.0, 0.0)


@pytest.mark.parametrize(("family", "scale", "shift"), [("taesd", 0.18215, 0.0), ("taef1", 0.3611, 0.1159)])
def test_a_pair_with_a_scale_and_shift_matches_comfyui_bit_for_bit(tmp_path, family, scale, shift):
    channels = 4 if family == "taesd" else 16
    torch.manual_seed(3)
    nets = {"encoder": encoder(channels).eval(), "decoder": decoder(channels).eval()}
    for part, net in nets.items():
        torch.save(net.state_dict(), tmp_path / f"{family}_{part}.pth")
    vae = load_vae(str(tmp_path / f"{family}_decoder.pth"), "cpu")
    pixels, latents = pixels_and_latents(channels, seed=2)
    with torch.inference_mode():
        expected = comfyui_encode(nets["encoder"], pixels, scale, shift)
        assert torch.equal(vae.encode(pixels), expected)
        before = (nets["encoder"](pixels.movedim(-1, 1)) / scale + shift).float()  # the arithmetic this replaced
        assert not torch.equal(before, expected)
        assert_decodes_as_comfyui(vae, nets["decoder"], latents, scale, shift)


def test_a_diffusers_tiny_autoencoder_matches_comfyui_bit_for_bit(tmp_path):
    """ComfyUI loads the same nets from taesd_*.pth; diffusers' own encode ((x + 1) / 2) rounds otherwise."""
    torch.manual_seed(4)
    model = AutoencoderTiny(encoder_block_out_channels=(8, 8, 8, 8), decoder_block_out_channels=(8, 8, 8, 8))
    model.save_pretrained(tmp_path / "taesd")
    vae = load_vae(str(tmp_path / "taesd"), "cpu")
    model.eval()
    pixels, latents = pixels_and_latents(4, seed=5)
    with torch.inference_mode():
        expected = comfyui_encode(fresh(model.encoder.layers), pixels, 0.18215, 0.0)
        assert torch.equal(vae.encode(pixels), expected)
        clamped = torch.nn.Sequential(Clamp(), *fresh(model.decoder.layers))  # ComfyUI's Decoder starts with Clamp
        assert_decodes_as_comfyui(vae, clamped, latents, 0.18215, 0.0)
