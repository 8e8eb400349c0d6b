"""Which latent cells the sampler's mask reaches as DifferentialDiffusion thresholds a soft noise mask.

Sources, ComfyUI 0.8.0 (pollockjj/ComfyUI @ 618b803d314a525faca8f8163d85eaa9ebc1d774):
comfy_extras/nodes_differential_diffusion.py (DifferentialDiffusion.forward), comfy/samplers.py
(KSampler.set_steps, simple/normal schedulers, KSamplerX0Inpaint), comfy/k_diffusion/sampling.py
(get_sigmas_karras), comfy/model_sampling.py (ModelSamplingDiscrete, ModelSamplingDiscreteFlow,
ModelSamplingFlux), comfy/utils.py (reshape_mask, as the sampler resizes the noise mask).

At each model call of sigma σ, DifferentialDiffusion replaces the sampler's mask m (the noise mask
resized bilinearly to the latent) by m >= t, where t = (ts(σ) - ts(σ_to)) / (ts(σ_first) - ts(σ_to)),
ts the model's timestep of a sigma and σ_to the larger of the model's smallest sigma and the run's
last; with strength s < 1, s·(m >= t) + (1 - s)·m. So t falls from 1 at the first step towards 0:
cells of mask value v are repainted from the step where t <= v on. With denoise d < 1, KSampler
computes int(steps / d) sigmas and keeps the last steps + 1.

Thresholds are computed one step at a time with 0-dim tensors, as the sampler meets them (CPU
transcendental functions may round a vector differently from a scalar), so they are the node's, bit
for bit. Steps are the model calls of a first-order sampler (euler and the like: one per sigma but
the last); samplers that drop the penultimate sigma (dpm_2, uni_pc) are not modelled.
"""

import math
from dataclasses import dataclass
from functools import cache

import torch
import torch.nn.functional as F

from ..settings import Choice, Float, Int

SAMPLING = Choice("sampling", "sd", ("sd", "sd3", "flux", "flux2"))  # SD1.x/SDXL, SD3, FLUX.1, FLUX.2
SCHEDULER = Choice("scheduler", "normal", ("simple", "normal", "karras"))
STEPS = Int("steps", default=20, min=1, max=10000, slider=(1, 100))
DENOISE = Float("denoise", default=1.0, min=0.01, max=1.0, step=0.01)
STRENGTH = Float("strength", default=1.0, min=0.0, max=1.0, step=0.01)
STAGES = ("start", "middle", "end")


class ModelSampling:
    """ComfyUI's model sampling, reduced to its sigma table, sigma(timestep) and timestep(sigma)."""

    def __init__(self, kind: str, shift: float = 1.0):
        self.kind, self.shift = kind, shift
        if kind == "discrete":  # SD1.x / SDXL: 'linear' betas from 0.00085 to 0.012 over 1000 steps
            betas = torch.linspace(0.00085**0.5, 0.012**0.5, 1000, dtype=torch.float64) ** 2
            cumulative = torch.cumprod(1.0 - betas, dim=0)
            table = ((1 - cumulative) / cumulative) ** 0.5
            self.sigmas, self.log_sigmas = table.float(), table.log().float()
        elif kind == "flow":  # multiplier 1000
            self.sigmas = self.sigma(torch.arange(1, 1001) / 1000 * 1000)
        else:  # flux: 10000 timesteps in (0, 1]
            self.sigmas = self.sigma(torch.arange(1, 10001) / 10000)
        self.sigma_min, self.sigma_max = self.sigmas[0], self.sigmas[-1]

    def timestep(self, sigma: torch.Tensor) -> torch.Tensor:
        if self.kind == "discrete":  # the nearest table entry in log sigma
            return (sigma.log() - self.log_sigmas[:, None]).abs().argmin(dim=0).view(sigma.shape)
        return sigma * 1000 if self.kind == "flow" else sigma

    def sigma(self, timestep: torch.Tensor) -> torch.Tensor:
        if self.kind == "discrete":  # log-linear between table entries
            t = timestep.float().clamp(0, len(self.sigmas) - 1)
            low, high, frac = t.floor().long(), t.ceil().long(), t.frac()
            return ((1 - frac) * self.log_sigmas[low] + frac * self.log_sigmas[high]).exp()
        if self.kind == "flow":
            t = timestep / 1000
            return t if self.shift == 1.0 else self.shift * t / (1 + (self.shift - 1) * t)
        return math.exp(self.shift) / (math.exp(self.shift) + (1 / timestep - 1) ** 1.0)


@cache
def model_sampling(sampling: str) -> ModelSampling:
    """The model sampling ComfyUI 0.8 gives each family (supported_models.py: shift 3.0, 1.15, 2.02)."""
    kind, shift = {"sd": ("discrete", 1.0), "sd3": ("flow", 3.0), "flux": ("flux", 1.15), "flux2": ("flux", 2.02)}[
        SAMPLING.check(sampling)
    ]
    return ModelSampling(kind, shift)


def _schedule_tail(ms: ModelSampling, scheduler: str, steps: int, keep: int) -> torch.Tensor:
    """The last `keep` sigmas of the scheduler's `steps`-step schedule (its final 0 included)."""
    if scheduler == "simple":
        stride = len(ms.sigmas) / steps
        picks = [float(ms.sigmas[-(1 + int(x * stride))]) for x in range(max(steps + 1 - keep, 0), steps)]
        return torch.tensor([*picks, 0.0], dtype=torch.float32)
    if scheduler == "karras":
        rho, low, high = 7.0, float(ms.sigma_min), float(ms.sigma_max)
        ramp = torch.linspace(0, 1, steps)
        sigmas = (high ** (1 / rho) + ramp * (low ** (1 / rho) - high ** (1 / rho))) ** rho
        return torch.cat([sigmas, sigmas.new_zeros(1)])[-keep:]
    start, end = ms.timestep(ms.sigma_max), ms.timestep(ms.sigma_min)  # normal
    ends_at_zero = math.isclose(float(ms.sigma(end)), 0, abs_tol=1e-5)  # else a 0 is appended
    timesteps = torch.linspace(start, end, steps + 1 if ends_at_zero else steps)
    count = min(keep if ends_at_zero else keep - 1, len(timesteps))
    tail = [float(ms.sigma(t)) for t in timesteps[len(timesteps) - count :]]
    return torch.tensor(tail if ends_at_zero else [*tail, 0.0], dtype=torch.float32)


def sampler_sigmas(sampling: str, scheduler: str, steps: int, denoise: float) -> torch.Tensor:
    """KSampler.set_steps: the steps + 1 sigmas of a run (float32, the last 0)."""
    ms, scheduler = model_sampling(sampling), SCHEDULER.check(scheduler)
    steps, denoise = STEPS.check(steps), DENOISE.check(denoise)
    total = steps if denoise > 0.9999 else int(steps / denoise)
    return _schedule_tail(ms, scheduler, total, steps + 1)


def step_thresholds(sampling: str, sigmas: torch.Tensor) -> torch.Tensor:
    """DifferentialDiffusion's threshold at each model call (sigmas[:-1]), float32, one 0-dim step at a time."""
    ms = model_sampling(sampling)
    sigma_to = sigmas[-1] if sigmas[-1] > ms.sigma_min else ms.sigma_min
    ts_from, ts_to = ms.timestep(sigmas[0]), ms.timestep(sigma_to)
    return torch.stack([(ms.timestep(sigma) - ts_to) / (ts_from - ts_to) for sigma in sigmas[:-1]]).float()


def sampler_mask(noise_mask: torch.Tensor, latent_size: tuple[int, int]) -> torch.Tensor:
    """(B, 1, h, w): the noise mask as the sampler holds it (comfy.utils.reshape_mask, bilinear)."""
    mask = noise_mask.reshape(-1, 1, noise_mask.shape[-2], noise_mask.shape[-1]).float()
    return F.interpolate(mask, size=tuple(latent_size), mode="bilinear")


def differential_mask(mask: torch.Tensor, threshold: torch.Tensor, strength: float = 1.0) -> torch.Tensor:
    """DifferentialDiffusion.forward on the sampler's mask for one step's threshold."""
    binary = (mask >= threshold).to(mask.dtype)
    return strength * binary + (1 - strength) * mask if strength and strength < 1 else binary


@dataclass(frozen=True)
class DifferentialView:
    sigmas: torch.Tensor  # (steps + 1,) the run's sigmas
    thresholds: torch.Tensor  # (steps,) DifferentialDiffusion's threshold at each model call
    mask: torch.Tensor  # (B, 1, h, w) the sampler's (soft) mask
    steps: dict[str, int]  # 'start', 'middle', 'end' -> step index
    masks: dict[str, torch.Tensor]  # same keys -> (B, 1, h, w) the mask the sampler applies at that step

    def reached(self, stage: str) -> torch.Tensor:
        """bool (B, 1, h, w): cells the sampler repaints at that step (a mask value above 0)."""
        return self.masks[stage] > 0


def differential_view(
    noise_mask: torch.Tensor,
    latent_size: tuple[int, int],
    denoise: float = DENOISE.default,
    steps: int = STEPS.default,
    scheduler: str = SCHEDULER.default,
    sampling: str = SAMPLING.default,
    strength: float = STRENGTH.default,
) -> DifferentialView:
    """The sampler's mask at the start, middle and end of a run with DifferentialDiffusion."""
    strength = STRENGTH.check(strength)
    sigmas = sampler_sigmas(sampling, scheduler, steps, denoise)
    thresholds = step_thresholds(sampling, sigmas)
    mask = sampler_mask(noise_mask, latent_size)
    at = dict(zip(STAGES, (0, steps // 2, steps - 1), strict=True))
    masks = {stage: differential_mask(mask, thresholds[i], strength) for stage, i in at.items()}
    return DifferentialView(sigmas, thresholds, mask, at, masks)
