"""Read weights files safely: safetensors, or torch.load with weights_only=True."""

from pathlib import Path

import torch


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """The tensors in a `.safetensors` or PyTorch file, on the CPU; ValueError naming the file otherwise."""
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            weights = load_file(path)
        else:
            weights = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - pickle, zip and safetensors each raise their own kinds
        raise ValueError(f"{path}: not a readable weights file ({type(error).__name__}: {error})") from None
    weights = weights.get("state_dict", weights) if isinstance(weights, dict) else weights
    if not isinstance(weights, dict) or not all(isinstance(v, torch.Tensor) for v in weights.values()):
        raise ValueError(f"{path}: expected a state dict of tensors, got {type(weights).__name__}")
    return weights
