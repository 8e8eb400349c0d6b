"""Per-step milliseconds: the wall clock on the CPU, CUDA events on a GPU."""

import time

import pytest
import torch

from inpaint_core.clock import StepClock


def test_each_step_is_timed_and_returns_its_value():
    clock = StepClock(torch.device("cpu"))
    assert clock.step("sleep", lambda: time.sleep(0.05) or "slept") == "slept"
    clock.step("nothing", lambda: None)
    times = clock.milliseconds()
    assert list(times) == ["sleep", "nothing"]
    assert 45 <= times["sleep"] < 1000 and 0 <= times["nothing"] < 45


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here")
def test_on_cuda_a_step_counts_its_gpu_work():
    clock = StepClock(torch.device("cuda"))
    x = torch.rand(4096, 4096, device="cuda")
    clock.step("matmuls", lambda: [x @ x for _ in range(20)])
    clock.step("nothing", lambda: None)
    times = clock.milliseconds()
    assert times["matmuls"] > 1 and times["nothing"] < times["matmuls"]
