"""Device and dtype, chosen once by the caller (the app at start-up), and whether to compile tiny autoencoders."""

import os

import torch

COMPILE_MODES = ("default", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")


def default_device() -> torch.device:
    """CUDA when available, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def model_dtype(device: torch.device, fp16_safe: bool) -> torch.dtype:
    """Half precision on the GPU (bf16 for models that overflow fp16, such as SDXL's VAE), fp32 on the CPU."""
    if device.type != "cuda":
        return torch.float32
    return torch.float16 if fp16_safe else torch.bfloat16


def compile_mode(value: str | None = None) -> str | None:
    """The torch.compile mode asked for by `value` (default: env INPAINT_COMPILE): None (eager) when unset, empty
    or 0; 'default' for 1; else one of COMPILE_MODES. Off by default: each new input shape compiles first."""
    value = os.environ.get("INPAINT_COMPILE", "") if value is None else value
    if value in ("", "0"):
        return None
    if value == "1":
        return "default"
    if value not in COMPILE_MODES:
        raise ValueError(f"INPAINT_COMPILE must be 0, 1 or one of {', '.join(COMPILE_MODES)}, got {value!r}")
    return value
