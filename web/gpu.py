"""ZeroGPU: only encoding and decoding run in the GPU worker (a forked process); everything else stays here.

Arguments and results cross as pickles, so the VAE goes by its label and tensors cross on the CPU.
Off ZeroGPU `spaces.GPU` is not installed (or a no-op) and `gpu` leaves a function as it is.
"""

import os

import torch

from inpaint_core.compare import Latent, encode_and_decode
from inpaint_core.vaes.registry import VAERegistry

ZERO_GPU = bool(os.environ.get("SPACES_ZERO_GPU"))
GPU_SECONDS = 5  # TAEF2 at 4096², encode and decode: 0.66 s on an H100 from a cold start; short tasks queue first

try:
    import spaces

    gpu = spaces.GPU(duration=GPU_SECONDS)
except ImportError:

    def gpu(fn):
        return fn


WORKER_VAES: VAERegistry | None = None  # where the GPU worker (a fork of this process) finds the VAEs


def share_with_worker(registry: VAERegistry) -> None:
    """Make the registry visible to the forked GPU worker (set before the first GPU call)."""
    global WORKER_VAES
    WORKER_VAES = registry


@gpu
def encode_in_gpu_worker(vae_label: str, pixels: torch.Tensor) -> Latent:
    """One encode and decode in the GPU worker; the result comes back wholly on the CPU."""
    return encode_and_decode(WORKER_VAES.get(vae_label), pixels).to_cpu()
