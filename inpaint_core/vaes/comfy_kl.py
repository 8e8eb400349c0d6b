"""An AutoencoderKL's attention as ComfyUI 0.8 computes it on a CPU, so latents match its bit for bit there.

Every other layer of diffusers' AutoencoderKL computes what ComfyUI's (comfy/ldm/modules/diffusionmodules/
model.py) does, bit for bit on channels_last tensors; its mid-block attention does not (linear layers and
scaled_dot_product_attention: latents off by up to 5e-7). ComfyUI's `AttnBlock` normalises, makes q, k and v
with 1×1 convolutions, runs `normal_attention` (its "split attention in VAE", chosen where PyTorch attention
is off, as on a CPU): `softmax(bmm(q, k) * c^-0.5)`, then `bmm(v, ·)` into a tensor shaped as k, in 2, 4,
8 ... row slices where memory is short; then a 1×1 `proj_out` and `x + h`. Slices of many rows change no value
(matrix products still: tested); ComfyUI slices by its free memory, this by SLICE_BYTES. On a GPU ComfyUI uses
PyTorch's attention, as diffusers does: left as it is. Decoding runs channels_last here, contiguous in ComfyUI
(as for tiny autoencoders, comfy_tiny.py): decoded images differ from ComfyUI's by float32 rounding.
"""

import math

import torch
import torch.nn.functional as F

SLICE_BYTES = 1 << 29  # the attention scores held at once (ComfyUI slices by its free memory; values alike)


class ComfyAttention:
    """A diffusers attention processor for a VAE's `Attention` (group norm, one head, residual): ComfyUI's
    AttnBlock with normal_attention, on the same weights."""

    def __call__(self, attn, hidden_states: torch.Tensor, encoder_hidden_states=None, attention_mask=None, temb=None):
        """(B, C, H, W) -> the block's output; a VAE's attention takes no other input (diffusers names them)."""
        assert attn.residual_connection and hidden_states.ndim == 4, "a VAE's attention: (B, C, H, W), residual"
        x = hidden_states  # (B, C, H, W)
        h = attn.group_norm(x)
        q, k, v = (_conv1x1(h, linear) for linear in (attn.to_q, attn.to_k, attn.to_v))
        b, c = q.shape[:2]
        q = q.reshape(b, c, -1).permute(0, 2, 1)  # (B, HW, C)
        k, v = k.reshape(b, c, -1), v.reshape(b, c, -1)  # (B, C, HW)
        out = torch.zeros_like(k)
        scale, rows = int(c) ** -0.5, q.shape[1]
        steps = 2 ** max(0, math.ceil(math.log2(b * rows * rows * q.element_size() * 2.5 / SLICE_BYTES)))
        size = rows // steps if rows % steps == 0 else rows
        for i in range(0, rows, size):
            scores = torch.softmax(torch.bmm(q[:, i : i + size], k) * scale, dim=2).permute(0, 2, 1)
            out[:, :, i : i + size] = torch.bmm(v, scores)
        out = _conv1x1(out.reshape(x.shape), attn.to_out[0])
        return (x + out) / attn.rescale_output_factor  # ComfyUI: x + h (diffusers' factor is 1: exact)


def _conv1x1(x: torch.Tensor, linear: torch.nn.Linear) -> torch.Tensor:
    """A linear layer as ComfyUI's 1×1 convolution of the same weights."""
    return F.conv2d(x, linear.weight[:, :, None, None], linear.bias)


def use_comfy_attention(model) -> None:
    """Give a diffusers AutoencoderKL ComfyUI's attention arithmetic (for a model on the CPU)."""
    if model.config.get("mid_block_add_attention", True):
        model.set_attn_processor(ComfyAttention())
