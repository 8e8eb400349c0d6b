"""Device and dtype, chosen once by the caller (the app at start-up)."""

import torch


def default_device() -> torch.device:
    """CUDA when available, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def model_dtype(device: torch.device, fp16_safe: bool) -> torch.dtype:
    """Half precision on the GPU (bf16 for models that overflow fp16, such as SDXL's VAE), fp32 on the CPU."""
    if device.type != "cuda":
        return torch.float32
    return torch.float16 if fp16_safe else torch.bfloat16
