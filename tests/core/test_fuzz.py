"""Whatever goes in, the core gives the right answer or a ValueError: never another exception."""

import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from inpaint_core import prepare
from tests.reference import comfy_reference, was_reference

DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64, torch.uint8, torch.bool]
SPECIAL = [0.0, 1.0, 0.5, -0.5, 1.5, float("nan"), float("inf"), -float("inf"), 1e30]
DEVICES = ["cpu", *(["cuda"] if torch.cuda.is_available() else [])]


@st.composite
def tensors(draw, name):
    """Often the right rank and channels (so that many cases get past the checks), often not."""
    if draw(st.integers(0, 3)):  # plausible
        batch, height, width = draw(st.integers(1, 2)), draw(st.integers(1, 24)), draw(st.integers(1, 24))
        shape = (
            (batch, height, width, 3)
            if name == "pixels"
            else draw(st.sampled_from([(batch, height, width), (height, width)]))
        )
    else:
        shape = tuple(draw(st.integers(0, 24)) for _ in range(draw(st.integers(0, 5))))
    dtype = draw(st.sampled_from(DTYPES[:1] * 8 + DTYPES))
    values = torch.rand(shape, generator=torch.Generator().manual_seed(draw(st.integers(0, 999))))
    if draw(st.integers(0, 5)) == 0 and values.numel():
        values.view(-1)[0] = draw(st.sampled_from(SPECIAL))
    if dtype.is_floating_point:
        return values.to(dtype)
    return (values * 2).to(dtype) if dtype != torch.bool else values > 0.5


@st.composite
def amounts(draw):
    """Mostly integers near the ranges; sometimes a float, None, text or a far-out integer."""
    amount = draw(st.integers(-2, 66))
    return [amount, amount, amount, amount, amount * 3, amount + 0.5, None, str(amount), True][draw(st.integers(0, 8))]


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    method=st.sampled_from(["comfy", "was"] * 4 + ["other"]),
    pixels=tensors("pixels"),
    mask=tensors("mask"),
    amount=amounts(),
    ratio=st.sampled_from([8, 8, 8, 1, 5, 16, 0, -1, None, 2.0]),
    device=st.sampled_from(DEVICES),
)
def test_right_answer_or_value_error(method, pixels, mask, amount, ratio, device):
    try:
        result = prepare(method, pixels.to(device), mask.to(device), amount, ratio)
    except ValueError:
        event("rejected")
        return
    event("accepted")
    # It was accepted: then it must be the seeds' answer.
    if method == "comfy":
        ref_pixels, ref_noise = comfy_reference(pixels.float(), mask.float(), amount, ratio)
    else:
        ref_pixels, ref_noise = was_reference(pixels.float(), mask.float(), amount)
    assert torch.equal(result.noise_mask.float().cpu(), ref_noise)
    tolerance = 1e-6 if pixels.dtype in (torch.float32, torch.float64) else 1e-2
    torch.testing.assert_close(result.pixels.float().cpu(), ref_pixels, atol=tolerance, rtol=0)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64])
def test_other_float_dtypes_are_accepted(dtype):
    pixels, mask = torch.rand(1, 20, 30, 3).to(dtype), (torch.rand(1, 10, 15) > 0.7).to(dtype)
    result = prepare("comfy", pixels, mask, 6)
    assert result.pixels.dtype == dtype and result.noise_mask.shape == (1, 1, 16, 24)
    assert result.noise_mask.dtype == torch.float32  # masks are resized and returned in float32
