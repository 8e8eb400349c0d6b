"""On a CUDA GPU (skipped without one): the core matches the seeds' formulation run on the CPU."""

import pytest
import torch

from inpaint_core import approximate_vae, load_vae, prepare_comfy, prepare_was
from inpaint_core.analysis.report import edge_cell_map, halo_cell_map, sampler_view, summary
from inpaint_core.compare import compare_methods
from tests.reference import comfy_reference, was_reference

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here")


@pytest.mark.parametrize("amount", [0, 1, 6, 7, 64])
def test_comfy_on_cuda_matches_seed_on_cpu(amount):
    gen = torch.Generator().manual_seed(amount)
    pixels, mask = torch.rand(2, 203, 317, 3, generator=gen), (torch.rand(2, 203, 317, generator=gen) > 0.97).float()
    ours = prepare_comfy(pixels.cuda(), mask.cuda(), amount, 16)
    ref_pixels, ref_noise = comfy_reference(pixels, mask, amount, 16)
    assert torch.equal(ours.noise_mask.cpu(), ref_noise)
    torch.testing.assert_close(ours.pixels.cpu(), ref_pixels, atol=1e-6, rtol=0)


@pytest.mark.parametrize("offset", [-128, -9, -1, 0, 5, 128])
def test_was_on_cuda_matches_seed_on_cpu(offset):
    gen = torch.Generator().manual_seed(abs(offset))
    pixels, mask = torch.rand(1, 331, 250, 3, generator=gen), (torch.rand(1, 331, 250, generator=gen) > 0.3).float()
    ours = prepare_was(pixels.cuda(), mask.cuda(), offset)
    ref_pixels, ref_noise = was_reference(pixels, mask, offset)
    assert torch.equal(ours.noise_mask.cpu(), ref_noise)
    torch.testing.assert_close(ours.pixels.cpu(), ref_pixels, atol=1e-6, rtol=0)


def test_taef2_on_cuda_in_half_precision(taef2_dir, chelsea):
    vae = load_vae(str(taef2_dir), "cuda")
    assert vae.dtype == torch.float16
    image = chelsea[:, :296, :448]
    decoded = vae.decode(vae.encode(image.cuda())).cpu()
    assert (10 * torch.log10(1 / ((decoded - image) ** 2).mean())).item() >= 28


def test_the_report_on_cuda_is_the_report_on_the_cpu():
    gen = torch.Generator().manual_seed(3)
    pixels, mask = torch.rand(1, 203, 317, 3, generator=gen), torch.zeros(1, 203, 317)
    mask[:, 40:150, 60:200] = 1
    on = {device: compare_methods(pixels, mask, approximate_vae(device), 7, -5) for device in ("cpu", "cuda")}
    reports = {device: summary(comparison) for device, comparison in on.items()}
    drifts = {}
    for device, report in reports.items():
        for method in ("comfy", "was"):
            del report[method]["time_ms"]
            drifts[device, method] = report[method].pop("drift_psnr_db")
    assert reports["cpu"] == reports["cuda"]  # areas and cell counts exactly
    for method in ("comfy", "was"):
        assert drifts["cuda", method] == pytest.approx(drifts["cpu", method], abs=0.05)
    for cpu, cuda in zip(on["cpu"].methods, on["cuda"].methods, strict=True):
        for draw in (edge_cell_map, halo_cell_map):
            assert torch.equal(draw(on["cpu"], cpu), draw(on["cuda"], cuda))
        torch.testing.assert_close(sampler_view(on["cuda"], cuda), sampler_view(on["cpu"], cpu), atol=1e-6, rtol=0)


def test_a_release_on_cuda_encodes_whole(taef2_dir, chelsea):
    from inpaint_core.compare import Reusing, encode_and_decode

    vae = load_vae(str(taef2_dir), "cuda")
    image = chelsea.to("cuda")
    mask = torch.zeros(image.shape[:3], device="cuda")
    mask[:, 100:200, 150:300] = 1
    reusing, before, after = Reusing(), prepare_was(image, mask, -4), prepare_was(image, mask, 12)
    reusing(vae, before.pixels[:1])
    latent = reusing(vae, after.pixels[:1])
    assert latent.reuse == {} and not reusing.codecs  # no pass kept, none reused: whole costs less here
    assert torch.equal(latent.latents, encode_and_decode(vae, after.pixels[:1]).latents)
