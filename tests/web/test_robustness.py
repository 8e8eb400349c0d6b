"""A public page meets every kind of input: clear messages, the server keeps serving, sessions stay apart."""

import threading
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
import torch
from gradio_client import Client, handle_file
from PIL import Image

import app
from inpaint_core import VAE
from inpaint_core.editor import from_editor
from inpaint_core.vaes.registry import VAERegistry
from tests.conftest import ASSETS
from tests.web.events import nothing
from web.api import Api


@pytest.fixture(scope="module")
def client(app_url):
    return Client(app_url, verbose=False)


def editor_value(background, layers=()) -> dict:
    return {
        "background": handle_file(str(background)),
        "layers": [handle_file(str(p)) for p in layers],
        "composite": None,
    }


def compare(client, value, **changes):
    args = {"image": value, "vae": "taef2", "grow_mask_by": 6, "mask_offset": 6} | changes
    return client.predict(**args, api_name="/compare")


def files(tmp_path: Path) -> dict[str, Path]:
    made = {"text": tmp_path / "notes.png", "truncated": tmp_path / "truncated.png", "bomb": tmp_path / "bomb.png"}
    made["text"].write_text("not an image")
    made["empty"] = tmp_path / "empty.png"
    made["empty"].write_bytes(b"")
    made["truncated"].write_bytes((ASSETS / "chelsea.png").read_bytes()[:3000])
    Image.new("L", (6000, 6000)).save(made["bomb"])  # 36 Mpx in a few kB
    made["tiny"] = tmp_path / "tiny.png"
    Image.new("RGB", (6, 20), "red").save(made["tiny"])
    made["svg"] = tmp_path / "drawing.svg"
    made["svg"].write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64"/></svg>'
    )
    made["html"] = tmp_path / "page.html"
    made["html"].write_text("<!doctype html><html><body>hello</body></html>")
    made["camera"] = tmp_path / "camera.jpg"
    Image.new("RGB", (6000, 4000), "grey").save(made["camera"], quality=50)  # a 24 MP photo
    made["cmyk"] = tmp_path / "cat.jpg"
    Image.open(ASSETS / "chelsea.png").convert("CMYK").save(made["cmyk"])
    return made


def test_bad_files_get_clear_errors_and_the_server_keeps_serving(client, tmp_path):
    made = files(tmp_path)
    unreadable = "is not an image this server can read: upload a PNG, JPEG"
    cases = {
        "text": unreadable,
        "empty": unreadable,
        "svg": unreadable,
        "html": unreadable,
        "truncated": "could not be decoded|not an image this server can read",
        "bomb": "the image is 6000×6000; this server accepts up to 4096 px on the longest side",
        "camera": "the image is 6000×4000; this server accepts up to 4096 px on the longest side",
        "tiny": "pixels must be at least 8x8",
    }
    for name, message in cases.items():
        with pytest.raises(Exception, match=message) as raised:
            compare(client, editor_value(made[name]))
        assert not any(word in str(raised.value) for word in ("Traceback", "preprocess", "UnidentifiedImageError"))
    out = compare(client, editor_value(made["cmyk"], [ASSETS / "chelsea_mask.png"]))
    assert out[7]["comfy"]["mask_area"] > 0  # converted as a viewer shows it, and still serving


def test_bad_arguments_are_named(client, tmp_path):
    with pytest.raises(Exception, match="vae must be one of"):
        compare(client, editor_value(ASSETS / "chelsea.png", [ASSETS / "chelsea_mask.png"]), vae=["taef2"])
    # NaN and infinity cannot cross gradio_client's JSON; a raw request's values reach the handler as these
    inspector = app.Inspector(VAERegistry(["approx"], torch.device("cpu")), 4096, tmp_path)
    value = {"background": Image.open(ASSETS / "chelsea.png"), "layers": []}
    label = inspector.registry.labels[0]
    for grow, offset, message in [(float("nan"), 6, "grow_mask_by must be an integer, got nan"),
                                  (6, float("-inf"), "mask_offset must be an integer, got -inf")]:  # fmt: skip
        with pytest.raises(gr.Error, match=message):
            Api(inspector).compare(value, label, grow, offset, progress=nothing)


def test_empty_and_full_masks_are_answered_with_warnings(client, tmp_path):
    full = tmp_path / "full.png"
    Image.new("RGBA", (451, 300), (255, 0, 0, 255)).save(full)
    empty = compare(client, editor_value(ASSETS / "chelsea.png"))[7]
    assert empty["comfy"]["mask_area"] == 0 and any("mask is empty" in w for w in empty["warnings"])
    covered = compare(client, editor_value(ASSETS / "chelsea.png", [full]))[7]
    assert covered["was"]["noise_mask_area"] == 296 * 448 and covered["was"]["drift_psnr_db"] is None
    assert any("covers the whole image" in w for w in covered["warnings"])


def test_sessions_never_see_each_others_images(app_url, tmp_path):
    """Two users at once, each with their own image and mask, each get their own numbers back."""
    square = tmp_path / "square.png"
    layer = np.zeros((300, 451, 4), np.uint8)
    layer[100:140, 200:260, 3] = 255
    Image.fromarray(layer).save(square)
    jobs = {"cat": editor_value(ASSETS / "chelsea.png", [ASSETS / "chelsea_mask.png"]), "square": None}
    jobs["square"] = editor_value(ASSETS / "chelsea.png", [square])
    results = {}

    def run(name):
        results[name] = [compare(Client(app_url, verbose=False), jobs[name])[7] for _ in range(2)]

    threads = [threading.Thread(target=run, args=(name,)) for name in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cat_area = int((np.asarray(Image.open(ASSETS / "chelsea_mask.png"))[2:298, 1:449, 3] > 0).sum())
    assert all(r["comfy"]["mask_area"] == cat_area for r in results["cat"])
    assert all(r["comfy"]["mask_area"] == 40 * 60 for r in results["square"])


class FailingFirst:
    """An encoder that runs out of GPU memory on its first `failures` calls, then pools 8x8."""

    def __init__(self, failures: int):
        self.failures = failures

    def __call__(self, x):
        if self.failures > 0:
            self.failures -= 1
            raise torch.OutOfMemoryError("injected")
        return torch.nn.functional.avg_pool2d(x, 8)


def test_out_of_memory_in_a_request_is_a_message_and_the_next_request_works(tmp_path):
    registry = VAERegistry(["approx"], torch.device("cpu"))
    label = registry.labels[0]
    upsample = lambda z: torch.nn.functional.interpolate(z, scale_factor=8)  # noqa: E731
    registry._loaded[label] = VAE("flaky", FailingFirst(3), upsample, 3, torch.device("cpu"), torch.float32)
    inspector = app.Inspector(registry, 4096, tmp_path)
    value = {"background": Image.open(ASSETS / "chelsea.png"), "layers": [Image.open(ASSETS / "chelsea_mask.png")]}
    editor = from_editor(value)
    with pytest.raises(gr.Error, match="out of GPU memory even in 512-pixel tiles"):
        inspector.settle(editor, label, 6, 6, "comfyui", progress=nothing)
    live = inspector.settle(editor, label, 6, 6, "comfyui", progress=nothing)[0]
    assert all(Path(live[m]["url"].removeprefix("gradio_api/file=")).is_file() for m in ("left", "right"))


def test_a_mask_layer_of_another_size_is_resized_as_the_nodes_do(client, tmp_path):
    half = tmp_path / "half.png"
    layer = np.zeros((150, 226, 4), np.uint8)
    layer[50:70, 100:130, 3] = 255  # 20×30 at half size: about 40×60 once resized
    Image.fromarray(layer).save(half)
    table = compare(client, editor_value(ASSETS / "chelsea.png", [half]), grow_mask_by=0)[7]
    assert 0.8 * 40 * 60 < table["comfy"]["mask_area"] < 1.2 * 40 * 60


def test_tiled_latent_files_are_said_to_differ_from_comfyuis_whole_encode(tmp_path):
    """An AutoencoderKL over its budget encodes in overlapping tiles: /compare's warnings and /prepare's numbers say
    its .latent files differ from ComfyUI's whole encode and name the budget that matches; within it, nothing."""
    from inpaint_core import load_vae
    from tests.core.test_vae import small_kl

    small_kl().save_pretrained(tmp_path / "kl")
    registry = VAERegistry([str(tmp_path / "kl")], torch.device("cpu"))
    label = registry.labels[0]
    registry._loaded[label] = vae = load_vae(str(tmp_path / "kl"), "cpu")
    inspector = app.Inspector(registry, 4096, tmp_path / "files")
    value = {"background": Image.open(ASSETS / "chelsea.png"), "layers": [Image.open(ASSETS / "chelsea_mask.png")]}
    height, width = (side // vae.downscale_ratio * vae.downscale_ratio for side in (300, 451))  # the nodes' crop
    whole = vae.whole_encode_mib(height, width)
    for budget, tiled in ((whole, False), (whole - 1, True)):
        vae.memory_budget = budget * 2**20
        report = Api(inspector).compare(value, label, 6, 6, progress=nothing)[7]
        said = [w for w in report["warnings"] if "encoded in tiles" in w]
        assert len(said) == int(tiled), report["warnings"]
        numbers = Api(inspector).prepare(value, label, "set_latent_noise_mask", "{}", progress=nothing)[4]
        assert ("encoded in tiles" in numbers) is tiled, numbers  # /prepare and the third column: by its numbers
    assert f"{width}×{height}" in said[0] and f"--vae-memory-mb {-(-whole // 256) * 256}" in said[0]
