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


def _taef2_in(dtype: torch.dtype, taef2_dir):
    """TAEF2 on CUDA in `dtype` (load_vae's is half precision), through the loaders' own codec."""
    from inpaint_core.vaes import loaders

    keep, loaders.model_dtype = loaders.model_dtype, lambda device, fp16_safe: dtype
    try:
        return load_vae(str(taef2_dir), "cuda")
    finally:
        loaders.model_dtype = keep


@pytest.fixture(scope="module")
def half_and_float32(taef2_dir):
    return _taef2_in(torch.float16, taef2_dir), _taef2_in(torch.float32, taef2_dir)


def _no_tf32():
    flags = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    return flags


@pytest.mark.parametrize("mode", ["default", "reduce-overhead"])
def test_compiled_taef2_is_the_eager_pass_within_half_precision_rounding(half_and_float32, chelsea, mode):
    from inpaint_core.vaes.compiled import CompiledNet, compile_vae

    half, full = half_and_float32
    fast = compile_vae(half, mode)
    assert isinstance(fast.encoder, CompiledNet) and isinstance(fast.decoder, CompiledNet)
    image = chelsea[:, :296, :448].cuda()
    latents = half.encode(image)
    flags = _no_tf32()
    reference = full.encode(image), full.decode(latents)
    torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = flags
    eager, compiled = (half.encode(image), half.decode(latents)), (fast.encode(image), fast.decode(latents))
    for fast_out, slow_out, exact in zip(compiled, eager, reference, strict=True):
        half_rounding = (slow_out - exact).abs()  # what half precision itself moves: latents up to about 0.1
        assert 0 < half_rounding.max().item() < 0.2
        assert (fast_out - exact).abs().max().item() <= 1.5 * half_rounding.max().item()  # as exact as eager
        assert (fast_out - exact).abs().mean().item() <= 1.5 * half_rounding.mean().item()
        assert (fast_out - slow_out).abs().mean().item() <= half_rounding.mean().item()


def test_a_graphed_compile_keeps_each_output_apart(half_and_float32, chelsea):
    from inpaint_core.vaes.compiled import compile_vae

    half, _ = half_and_float32
    fast = compile_vae(half, "reduce-overhead")
    first, second = chelsea[:, :128, :128].cuda(), chelsea[:, 128:256, 128:256].cuda()
    a, b = fast.encode(first), fast.encode(second)  # one graph replayed for both: outputs must not share memory
    tolerance = (half.encode(first) - half.encode(second)).abs().max().item() / 10
    assert (a - half.encode(first)).abs().max().item() < tolerance
    assert (b - half.encode(second)).abs().max().item() < tolerance


def test_inpaint_compile_compiles_tiny_autoencoders_on_cuda(taef2_dir, chelsea, monkeypatch):
    from inpaint_core.vaes.compiled import CompiledNet
    from inpaint_core.vaes.stages import StagedNet

    monkeypatch.setenv("INPAINT_COMPILE", "1")
    fast = load_vae(str(taef2_dir), "cuda")
    assert isinstance(fast.encoder, CompiledNet) and fast.encoder.mode == "default"
    monkeypatch.delenv("INPAINT_COMPILE")
    eager = load_vae(str(taef2_dir), "cuda")
    assert type(eager.encoder) is StagedNet and type(eager.decoder) is StagedNet  # off unless asked for
    image = chelsea[:, :256, :384].cuda()
    whole = fast.encode(image)
    fast.memory_budget = 2**24  # tiles: the stages, eagerly
    assert fast.tile_side("encode", 1, 256, 384) is not None
    tiled = fast.encode(image)
    assert (whole - eager.encode(image)).abs().max().item() < 0.2  # half precision's rounding (the test above)
    assert (tiled - eager.encode(image)).abs().max().item() < 0.2
