"""The other inpaint preparations as their sources write them, plainly: the specification for
inpaint_core.preparations. Slow on purpose (loops as written, O(k) or O(k²) per pixel).

Sources: ComfyUI 0.8.0 (pollockjj/ComfyUI @ 618b803d314a525faca8f8163d85eaa9ebc1d774) comfy_extras/nodes_mask.py,
nodes.py, comfy/samplers.py, comfy/model_sampling.py, comfy_extras/nodes_differential_diffusion.py;
Acly/comfyui-inpaint-nodes 1.4.2 (@ b32f293d3f3ed9f2bc11099b30c8695ff984a593) nodes.py and util.py, whose
blurs call kornia's gaussian_blur2d / filter2d_separable (a 1-D kernel along x, then y, reflect-padded).
"""

import math

import numpy as np
import scipy.ndimage
import torch
import torch.nn.functional as F

# ComfyUI's mask nodes


def grow_mask_reference(mask, expand, tapered_corners):
    c = 0 if tapered_corners else 1
    kernel = np.array([[c, 1, c], [1, 1, 1], [c, 1, c]])
    out = []
    for m in mask.reshape((-1, mask.shape[-2], mask.shape[-1])):
        output = m.numpy()
        for _ in range(abs(expand)):
            if expand < 0:
                output = scipy.ndimage.grey_erosion(output, footprint=kernel)
            else:
                output = scipy.ndimage.grey_dilation(output, footprint=kernel)
        out.append(torch.from_numpy(output))
    return torch.stack(out, dim=0)


def feather_mask_reference(mask, left, top, right, bottom):
    output = mask.reshape((-1, mask.shape[-2], mask.shape[-1])).clone()
    left, right = min(left, output.shape[-1]), min(right, output.shape[-1])
    top, bottom = min(top, output.shape[-2]), min(bottom, output.shape[-2])
    for x in range(left):
        output[:, :, x] *= (x + 1.0) / left
    for x in range(right):
        output[:, :, -x] *= (x + 1) / right
    for y in range(top):
        output[:, y, :] *= (y + 1) / top
    for y in range(bottom):
        output[:, -y, :] *= (y + 1) / bottom
    return output


def threshold_mask_reference(mask, value):
    return (mask > value).float()


# ComfyUI's encoders; `encode` stands for ComfyUI's VAE.encode, which crops to its downscale ratio first


def comfy_vae_encode(encode, pixels, ratio):
    for d in (1, 2):
        size = pixels.shape[d]
        x = size // ratio * ratio
        if x != size:
            pixels = pixels.narrow(d, size % ratio // 2, x)
    return encode(pixels)


def inpaint_model_conditioning_reference(pixels, mask, encode, ratio, noise_mask=True):
    x = (pixels.shape[1] // 8) * 8
    y = (pixels.shape[2] // 8) * 8
    mask = F.interpolate(
        mask.reshape((-1, 1, mask.shape[-2], mask.shape[-1])), size=(pixels.shape[1], pixels.shape[2]), mode="bilinear"
    )
    orig_pixels = pixels
    pixels = orig_pixels.clone()
    if pixels.shape[1] != x or pixels.shape[2] != y:
        x_offset = (pixels.shape[1] % 8) // 2
        y_offset = (pixels.shape[2] % 8) // 2
        pixels = pixels[:, x_offset : x + x_offset, y_offset : y + y_offset, :]
        mask = mask[:, :, x_offset : x + x_offset, y_offset : y + y_offset]
    m = (1.0 - mask.round()).squeeze(1)
    for i in range(3):
        pixels[:, :, :, i] -= 0.5
        pixels[:, :, :, i] *= m
        pixels[:, :, :, i] += 0.5
    concat_latent = comfy_vae_encode(encode, pixels, ratio)
    orig_latent = comfy_vae_encode(encode, orig_pixels, ratio)
    out_latent = {"samples": orig_latent}
    if noise_mask:
        out_latent["noise_mask"] = mask
    return {"concat_latent_image": concat_latent, "concat_mask": mask}, out_latent, pixels


def vae_encode_set_noise_mask_reference(pixels, mask, encode, ratio):
    s = {"samples": comfy_vae_encode(encode, pixels, ratio)}
    s["noise_mask"] = mask.reshape((-1, 1, mask.shape[-2], mask.shape[-1]))
    return s


# Acly's comfyui-inpaint-nodes and the kornia filters it calls


def kornia_gaussian_kernel(size, sigma, dtype=torch.float32):
    x = torch.arange(size, dtype=dtype) - size // 2
    gauss = torch.exp(-(x**2) / (2 * torch.tensor(sigma, dtype=dtype) ** 2))
    return gauss / gauss.sum()


def filter2d_separable_reference(image, kernel_x, kernel_y, border_type):
    """Each channel, kernel_x along x then kernel_y along y, as plain loops over the taps."""
    mode = {"reflect": "reflect", "constant": "constant"}[border_type]
    for dim, kernel in ((-1, kernel_x), (-2, kernel_y)):
        size, radius = image.shape[dim], kernel.shape[-1] // 2
        pad = (radius, radius, 0, 0) if dim == -1 else (0, 0, radius, radius)
        padded = F.pad(image, pad, mode=mode)
        out = torch.zeros_like(image)
        for tap in range(kernel.shape[-1]):
            out += padded.narrow(dim, tap, size) * kernel[tap]
        image = out
    return image


def gaussian_blur_reference(image, size, sigma=0):
    if sigma <= 0:
        sigma = 0.3 * (size - 1) + 0.8
    kernel = kornia_gaussian_kernel(size, sigma)
    return filter2d_separable_reference(image, kernel, kernel, "reflect")


def binary_erosion_reference(mask, radius):
    kernel = torch.ones(1, 1, radius * 2 + 1, radius * 2 + 1)
    mask = F.pad(mask, (radius, radius, radius, radius), mode="constant", value=1)
    mask = F.conv2d(mask, kernel, groups=1)
    return (mask == kernel.numel()).to(mask.dtype)


def binary_dilation_reference(mask, radius):
    kernel = torch.ones(radius * 2 + 1)
    mask = filter2d_separable_reference(mask, kernel, kernel, "constant")
    return (mask > 0).to(mask.dtype)


def mask_blur_reference(mask, size, method="gaussian"):
    if size <= 2:
        return mask
    if method == "gaussian":
        return gaussian_blur_reference(mask, size)
    if method == "box" or size == 3:
        kernel = torch.ones(size) / size
    else:
        h = size // 2
        kernel = torch.linspace(1 / h, (h - 1) / h, h)
        kernel = torch.cat([kernel, torch.ones(1), kernel.flip(0)])
        kernel = kernel / kernel.sum()
    return filter2d_separable_reference(mask, kernel, kernel, "reflect")


def make_odd(x):
    return x + 1 if x > 0 and x % 2 == 0 else x


def _mask_b1hw(mask):
    if mask.ndim == 3:
        return mask.unsqueeze(1)
    if mask.ndim == 2:
        return mask[None, None]
    return mask


def _falloff_alpha(alpha, falloff):
    if falloff > 0:
        erosion = binary_erosion_reference(alpha, falloff)
        alpha = alpha * gaussian_blur_reference(erosion, falloff)
    return alpha


def fill_masked_area_reference(image, mask, fill, falloff):
    import cv2

    image = image.detach().clone()
    alpha = _mask_b1hw((mask >= 0.99).to(mask.dtype))
    alpha = _falloff_alpha(alpha, make_odd(falloff))
    if fill == "neutral":
        m = (1.0 - alpha).squeeze(1)
        for i in range(3):
            image[:, :, :, i] -= 0.5
            image[:, :, :, i] *= m
            image[:, :, :, i] += 0.5
        return image
    method = cv2.INPAINT_TELEA if fill == "telea" else cv2.INPAINT_NS
    for slice_, alpha_slice in zip(image, alpha, strict=True):
        alpha_np = alpha_slice.squeeze().cpu().numpy()
        alpha_bc = alpha_np.reshape(*alpha_np.shape, 1)
        image_np = slice_.cpu().numpy()
        filled_np = cv2.inpaint((255.0 * image_np).astype(np.uint8), (255.0 * alpha_np).astype(np.uint8), 3, method)
        filled_np = filled_np.astype(np.float32) / 255.0
        filled_np = image_np * (1.0 - alpha_bc) + filled_np * alpha_bc
        slice_.copy_(torch.from_numpy(filled_np))
    return image


def blur_masked_area_reference(image, mask, blur, falloff):
    blur = make_odd(blur)
    falloff = min(make_odd(falloff), blur - 2)
    image, mask = image.permute(0, 3, 1, 2), _mask_b1hw(mask)
    original = image.clone()
    alpha = _falloff_alpha((mask >= 0.99).to(mask.dtype), falloff)
    alpha = alpha.expand(-1, 3, -1, -1)
    image = gaussian_blur_reference(image, blur)
    image = original + (image - original) * alpha
    return image.permute(0, 2, 3, 1)


def expand_mask_reference(mask, grow, blur, blur_type):
    mask = _mask_b1hw(mask)
    if grow > 0:
        mask = binary_dilation_reference(mask, grow)
    if blur > 0:
        mask = mask_blur_reference(mask, make_odd(blur), blur_type)
    return mask.squeeze(1)


# ComfyUI's samplers: model sampling, schedulers, KSampler.set_steps, DifferentialDiffusion.forward


class DiscreteSampling:
    """ModelSamplingDiscrete with SD1.x/SDXL's settings: 'linear' betas 0.00085..0.012, 1000 steps."""

    def __init__(self):
        betas = torch.linspace(0.00085**0.5, 0.012**0.5, 1000, dtype=torch.float64) ** 2
        alphas_cumprod = torch.cumprod(1.0 - betas, dim=0)
        sigmas = ((1 - alphas_cumprod) / alphas_cumprod) ** 0.5
        self.sigmas, self.log_sigmas = sigmas.float(), sigmas.log().float()
        self.sigma_min, self.sigma_max = self.sigmas[0], self.sigmas[-1]

    def timestep(self, sigma):
        dists = sigma.log() - self.log_sigmas[:, None]
        return dists.abs().argmin(dim=0).view(sigma.shape)

    def sigma(self, timestep):
        t = torch.clamp(timestep.float(), min=0, max=(len(self.sigmas) - 1))
        low_idx, high_idx, w = t.floor().long(), t.ceil().long(), t.frac()
        return ((1 - w) * self.log_sigmas[low_idx] + w * self.log_sigmas[high_idx]).exp()


class FlowSampling:
    """ModelSamplingDiscreteFlow (shift; multiplier 1000)."""

    def __init__(self, shift):
        self.shift, self.multiplier = shift, 1000
        self.sigmas = self.sigma((torch.arange(1, 1001, 1) / 1000) * 1000)
        self.sigma_min, self.sigma_max = self.sigmas[0], self.sigmas[-1]

    def timestep(self, sigma):
        return sigma * self.multiplier

    def sigma(self, timestep):
        t = timestep / self.multiplier
        return t if self.shift == 1.0 else self.shift * t / (1 + (self.shift - 1) * t)


class FluxSampling:
    """ModelSamplingFlux (shift = mu)."""

    def __init__(self, shift):
        self.shift = shift
        self.sigmas = self.sigma(torch.arange(1, 10001, 1) / 10000)
        self.sigma_min, self.sigma_max = self.sigmas[0], self.sigmas[-1]

    def timestep(self, sigma):
        return sigma

    def sigma(self, timestep):
        return math.exp(self.shift) / (math.exp(self.shift) + (1 / timestep - 1) ** 1.0)


def simple_scheduler_reference(s, steps):
    sigs = []
    ss = len(s.sigmas) / steps
    for x in range(steps):
        sigs += [float(s.sigmas[-(1 + int(x * ss))])]
    sigs += [0.0]
    return torch.FloatTensor(sigs)


def normal_scheduler_reference(s, steps):
    start, end = s.timestep(s.sigma_max), s.timestep(s.sigma_min)
    append_zero = True
    if math.isclose(float(s.sigma(end)), 0, abs_tol=0.00001):
        steps += 1
        append_zero = False
    timesteps = torch.linspace(start, end, steps)
    sigs = [float(s.sigma(ts)) for ts in timesteps]
    if append_zero:
        sigs += [0.0]
    return torch.FloatTensor(sigs)


def karras_scheduler_reference(s, steps, rho=7.0):
    sigma_min, sigma_max = float(s.sigma_min), float(s.sigma_max)
    ramp = torch.linspace(0, 1, steps)
    min_inv_rho, max_inv_rho = sigma_min ** (1 / rho), sigma_max ** (1 / rho)
    sigmas = (max_inv_rho + ramp * (min_inv_rho - max_inv_rho)) ** rho
    return torch.cat([sigmas, sigmas.new_zeros([1])])


SCHEDULERS = {
    "simple": simple_scheduler_reference,
    "normal": normal_scheduler_reference,
    "karras": karras_scheduler_reference,
}


def set_steps_reference(s, scheduler, steps, denoise):
    if denoise is None or denoise > 0.9999:
        return SCHEDULERS[scheduler](s, steps)
    if denoise <= 0.0:
        return torch.FloatTensor([])
    new_steps = int(steps / denoise)
    return SCHEDULERS[scheduler](s, new_steps)[-(steps + 1) :]


def differential_diffusion_reference(s, sigma, denoise_mask, step_sigmas, strength):
    sigma_to = s.sigma_min
    if step_sigmas[-1] > sigma_to:
        sigma_to = step_sigmas[-1]
    sigma_from = step_sigmas[0]
    ts_from, ts_to, current_ts = s.timestep(sigma_from), s.timestep(sigma_to), s.timestep(sigma[0])
    threshold = (current_ts - ts_to) / (ts_from - ts_to)
    binary_mask = (denoise_mask >= threshold).to(denoise_mask.dtype)
    if strength and strength < 1:
        return strength * binary_mask + (1 - strength) * denoise_mask
    return binary_mask
