"""An AutoencoderKL's latents are ComfyUI 0.8's bit for bit on the CPU: its mid-block attention runs as ComfyUI's
AttnBlock with normal_attention (comfy/ldm/modules/diffusionmodules/model.py, its "split attention in VAE" on a
CPU), restated plainly here on the same weights; diffusers' other layers compute as ComfyUI's do on
channels_last tensors (checked against ComfyUI 0.8 itself: docs/export.md)."""

import copy

import pytest
import torch
from safetensors.torch import save_file

from inpaint_core import load_vae
from inpaint_core.vaes import comfy_kl
from tests.core.test_vae import original_layout, small_kl


def conv_of(linear: torch.nn.Linear) -> torch.nn.Conv2d:
    """ComfyUI's 1×1 convolution holding a linear layer's weights (its checkpoints keep them so)."""
    conv = torch.nn.Conv2d(linear.in_features, linear.out_features, 1)
    conv.weight.data, conv.bias.data = linear.weight[:, :, None, None].clone(), linear.bias.clone()
    return conv


def comfyui_attn_block(attention, x: torch.Tensor) -> torch.Tensor:
    """AttnBlock.forward with normal_attention and slice_attention in one slice, as ComfyUI 0.8 writes them."""
    h_ = attention.group_norm(x)
    q, k, v = (conv_of(linear)(h_) for linear in (attention.to_q, attention.to_k, attention.to_v))
    orig_shape = q.shape
    b, c = orig_shape[0], orig_shape[1]
    q = q.reshape(b, c, -1).permute(0, 2, 1)  # b,hw,c
    k, v = k.reshape(b, c, -1), v.reshape(b, c, -1)  # b,c,hw
    r1 = torch.zeros_like(k)
    scale = int(q.shape[-1]) ** (-0.5)
    s1 = torch.bmm(q[:, 0 : q.shape[1]], k) * scale
    s2 = torch.nn.functional.softmax(s1, dim=2).permute(0, 2, 1)
    r1[:, :, 0 : q.shape[1]] = torch.bmm(v, s2)
    h_ = conv_of(attention.to_out[0])(r1.reshape(orig_shape))
    return x + h_


def comfyui_encode(model, pixels: torch.Tensor) -> torch.Tensor:
    """VAE.encode (channels_last NCHW, 2p - 1) through the layers with ComfyUI's attention block, the mean."""
    model = copy.deepcopy(model).to(memory_format=torch.channels_last)
    attention = model.encoder.mid_block.attentions[0]
    model.encoder.mid_block.attentions[0].forward = lambda hidden, temb=None: comfyui_attn_block(attention, hidden)
    return model.encode(pixels.movedim(-1, 1) * 2.0 - 1.0).latent_dist.mean


@pytest.fixture(scope="module")
def kl_file(tmp_path_factory):
    torch.manual_seed(4)
    model = small_kl()
    path = tmp_path_factory.mktemp("kl") / "kl_vae.safetensors"
    save_file(original_layout(model), path)
    return model, path


def test_latents_are_comfyuis_bit_for_bit_on_the_cpu(kl_file):
    model, path = kl_file
    vae = load_vae(str(path), "cpu")
    pixels = torch.randint(0, 256, (1, 48, 80, 3), generator=torch.Generator().manual_seed(1)) / 255.0
    with torch.inference_mode():
        expected = comfyui_encode(model, pixels)
        assert torch.equal(vae.encode(pixels), expected)
        plain = copy.deepcopy(model).to(memory_format=torch.channels_last)
        assert not torch.equal(plain.encode(pixels.movedim(-1, 1) * 2 - 1).latent_dist.mean, expected)  # diffusers'


def test_slices_of_the_attention_change_no_value(kl_file, monkeypatch):
    """ComfyUI slices the attention's rows where memory is short (into 2, 4, 8 ... slices: matrix products still)."""
    _, path = kl_file
    vae = load_vae(str(path), "cpu")
    pixels = torch.rand(1, 64, 64, 3, generator=torch.Generator().manual_seed(2))
    with torch.inference_mode():
        whole = vae.encode(pixels)
        monkeypatch.setattr(comfy_kl, "SLICE_BYTES", 1 << 22)  # 32² cells: 1024 rows of scores, 256 at a time
        assert torch.equal(vae.encode(pixels), whole)
