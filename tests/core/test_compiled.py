"""torch.compile of tiny autoencoders is opt-in (INPAINT_COMPILE) and GPU-only; on a CPU nothing changes.
Compiled against eager on CUDA: tests/core/test_cuda.py."""

import pytest
import torch

from inpaint_core import load_vae
from inpaint_core.vaes.compiled import CompiledNet, compile_vae, compiled
from inpaint_core.vaes.device import compile_mode
from inpaint_core.vaes.stages import StagedNet


@pytest.mark.parametrize(
    ("value", "mode"), [("", None), ("0", None), ("1", "default"), ("reduce-overhead", "reduce-overhead")]
)
def test_compile_mode_reads_its_value(value, mode):
    assert compile_mode(value) == mode


def test_compile_mode_reads_the_environment(monkeypatch):
    monkeypatch.delenv("INPAINT_COMPILE", raising=False)
    assert compile_mode() is None
    monkeypatch.setenv("INPAINT_COMPILE", "max-autotune-no-cudagraphs")
    assert compile_mode() == "max-autotune-no-cudagraphs"
    monkeypatch.setenv("INPAINT_COMPILE", "yes")
    with pytest.raises(ValueError, match="INPAINT_COMPILE must be 0, 1 or one of default"):
        compile_mode()


def test_on_a_cpu_the_env_changes_nothing(taef2_dir, taef2, chelsea, monkeypatch):
    monkeypatch.setenv("INPAINT_COMPILE", "1")
    vae = load_vae(str(taef2_dir), "cpu")
    assert type(vae.encoder) is StagedNet and type(vae.decoder) is StagedNet
    assert compile_vae(vae).encoder is vae.encoder
    image = chelsea[:, :64, :64]
    assert torch.equal(vae.encode(image), taef2.encode(image))


def test_a_compiled_net_keeps_the_stages_tiles_and_updates_run(taef2):
    net = CompiledNet(taef2.encoder)  # torch.compile waits for the first call: nothing compiles here
    assert isinstance(net, StagedNet) and net.stages is taef2.encoder.stages and net.channels == taef2.encoder.channels
    assert compiled(net, torch.device("cuda"), "default") is net  # not compiled twice
    assert compiled(taef2.encoder, torch.device("cpu"), "default") is taef2.encoder
