"""Work whose caller leaves stops: the CPU falls idle within seconds of the client closing, between tiles."""

import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image

import app
from inpaint_core.cancel import Cancelled, cancel_when, checkpoint
from inpaint_core.vaes.tiling import run_tiled
from tests.conftest import fresh_folder
from web.guards import install_guards


def test_a_checkpoint_raises_only_once_the_caller_is_gone():
    checkpoint()  # outside cancel_when: nothing
    left = threading.Event()
    calls = []

    def net(x):
        calls.append(1)
        if len(calls) == 2:
            left.set()
        return x

    with cancel_when(left.is_set), pytest.raises(Cancelled):
        run_tiled(net, torch.zeros(1, 3, 64, 64), 1.0, 16)
    assert len(calls) == 2  # stopped at the tile after the caller left, of 25


@pytest.fixture(scope="module")
def small_tiles_url(taef2_dir):
    """The page as python app.py serves it, with TAEF2 on the CPU in small tiles (a checkpoint every few
    hundred milliseconds)."""
    with fresh_folder() as folder:
        registry = app.VAERegistry([str(taef2_dir)], torch.device("cpu"), 4 << 20)
        page = app.build_page(app.Inspector(registry, 4096, folder), "")
        page.queue(max_size=8)
        guards = install_guards(page)
        _, url, _ = page.launch(prevent_thread_lock=True, quiet=True, app_kwargs=guards.app_kwargs)
        yield url
        page.close()


def cpu_seconds(over: float) -> float:
    """CPU time this process (the server's threads included) spends in the next `over` seconds."""
    start = time.process_time()
    time.sleep(over)
    return time.process_time() - start


def test_the_cpu_falls_idle_within_seconds_of_the_client_closing(small_tiles_url, tmp_path):
    import httpx

    noise = tmp_path / "noise.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (1536, 1536, 3), np.uint8)).save(noise)
    api = f"{small_tiles_url}gradio_api"
    with httpx.Client(timeout=60) as client:
        path = client.post(f"{api}/upload", files={"files": noise.open("rb")}).json()[0]
        image = {"background": {"path": path, "meta": {"_type": "gradio.FileData"}}, "layers": [], "composite": None}
        event = client.post(f"{api}/call/compare", json={"data": [image, "taef2", 6, 6, "comfyui", ""]}).json()
        with client.stream("GET", f"{api}/call/compare/{event['event_id']}") as stream:
            busy = cpu_seconds(3.0)
            stream.close()
    assert busy > 1.0  # it was encoding
    time.sleep(2.0)  # the stream's close reaches the server; the work stops at its next tile
    assert cpu_seconds(2.0) < 0.4


def test_a_settle_for_an_edit_painted_past_stops_and_changes_nothing(tmp_path):
    from tests.conftest import ASSETS
    from tests.web.events import nothing
    from tests.web.test_app import coffee

    inspector = app.Inspector(app.VAERegistry(["approx"], torch.device("cpu")), 4096, tmp_path)
    session, label = SimpleNamespace(session_hash="s"), inspector.registry.labels[0]
    old = inspector.read_editor(coffee(), session)
    photo = Image.open(ASSETS / "coffee.png")
    corner = Image.new("RGBA", photo.size)
    corner.paste((255, 255, 255, 255), (0, 0, 64, 64))
    inspector.read_editor({"background": photo, "layers": [corner]}, session)  # a newer stroke
    stale = inspector.settle(old, label, 6, 6, "comfyui", progress=nothing, request=session)
    assert all(isinstance(value, type(app.gr.skip())) for value in stale)  # the page keeps what it shows
    assert inspector.latents.sizes() == []  # stopped before its first encode
    other = SimpleNamespace(session_hash="t")
    assert inspector.settle(old, label, 6, 6, "comfyui", progress=nothing, request=other).live["kind"] == "decoded"
    assert len(inspector.latents.sizes()) == 2  # another session's settle runs whole
