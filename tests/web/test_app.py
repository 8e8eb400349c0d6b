"""The /compare endpoint through gradio_client, against the core's own results."""

import json
import pickle
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
import torch
from gradio_client import Client
from PIL import Image

import app
from inpaint_core import load_vae
from inpaint_core.compare import compare_methods
from inpaint_core.editor import to_uint8
from inpaint_core.files.latent_file import load_latent
from inpaint_core.preparations import METHODS
from tests.conftest import ASSETS
from tests.web.events import event_of, nothing, send


def read(path) -> np.ndarray:
    return np.asarray(Image.open(path))


def coffee() -> dict:
    """The coffee example as the editor hands it to handlers."""
    return {"background": Image.open(ASSETS / "coffee.png"), "layers": [Image.open(ASSETS / "coffee_mask.png")]}


@pytest.fixture(scope="module")
def client(app_url):
    return Client(app_url, verbose=False)


@pytest.fixture(scope="module")
def expected(taef2_dir):
    """What the core computes for the cat with its mask, grow 6, offset -4."""
    pixels = torch.from_numpy(read(ASSETS / "chelsea.png")[..., :3].copy()).float().div(255)[None]
    mask = torch.from_numpy(read(ASSETS / "chelsea_mask.png")[..., 3] > 0).float()[None]
    return compare_methods(pixels, mask, load_vae(str(taef2_dir), "cpu"), 6, -4)


def test_compare_returns_every_output(client, chelsea_with_mask, expected):
    out = client.predict(image=chelsea_with_mask, vae="taef2", grow_mask_by=6, mask_offset=-4, api_name="/compare")
    assert len(out) == 12
    panels, (diff, table, comfy_files, was_files) = [out[0:3], out[3:6]], out[6:10]
    assert out[10] == [] and out[11] is None  # no other methods asked for
    for (neutralised, mask_panel, decoded), method in zip(panels, (expected.comfy, expected.was), strict=True):
        height, width = method.noise_mask.shape
        assert read(neutralised).shape == (height, width, 3)
        assert read(decoded).shape == (height, width, 3)
        assert read(mask_panel["image"]).shape == (height, width, 3)
        labels = [a["label"] for a in mask_panel["annotations"]]
        grey_differs = method.method == "comfy"  # WAS greys exactly its noise mask: one mask shows both
        assert labels == (["grey (neutralised)", "noise mask"] if grey_differs else ["noise mask = grey"])
        painted = np.asarray(Image.open(mask_panel["annotations"][-1]["image"]).convert("RGBA"))[..., 3] > 0
        assert np.array_equal(painted, method.noise_mask.numpy() > 0)
    assert [a["label"] for a in diff["annotations"]] == ["only ComfyUI", "only WAS", "both"]
    assert read(diff["image"]).shape == (300, 451, 3)

    assert table["vae"] == "TAEF2 (FLUX.2)"
    assert table["comfy"]["grow_mask_by"] == 6 and table["was"]["mask_offset"] == -4
    assert table["comfy"]["noise_mask_area"] == int(expected.comfy.noise_mask.sum())
    assert table["was"]["noise_mask_area"] == int(expected.was.noise_mask.sum()) < table["was"]["mask_area"]
    for method in ("comfy", "was"):
        assert {"edge_cells", "halo_risk_cells", "drift_psnr_db"} <= set(table[method])
        assert table[method]["edge_cells"] > 0 and 15 < table[method]["drift_psnr_db"] < 60
    assert table["comfy"]["grow_px"] == {"up": 2, "left": 2, "down": 3, "right": 3}
    assert any("grow_mask_by=6 is even" in w for w in table["warnings"])

    painted = read(ASSETS / "chelsea_mask.png")[..., 3] > 0
    for files, method in ((comfy_files, expected.comfy), (was_files, expected.was)):
        by_end = {
            end: [f for f in files if f.endswith(end)] for end in (".latent", "-noise-mask.png", "-neutralised.png")
        }
        (latent_path,), (mask_path,), (pixels_path,) = by_end.values()
        workflow_path, api_path = (next(f for f in files if f.endswith(end)) for end in ("-workflow.json", "-api.json"))
        prompt = json.loads(Path(api_path).read_text())
        image_name = next(n["inputs"]["image"] for n in prompt.values() if n["class_type"] == "LoadImage")
        image_path = next(f for f in files if Path(f).name == image_name)  # the image it names is in the download
        rgba = read(image_path)
        assert np.array_equal(rgba[..., 3] == 0, painted) and np.array_equal(
            rgba[..., :3], read(ASSETS / "chelsea.png")[..., :3]
        )
        node = next(n for n in prompt.values() if n["class_type"] == METHODS[method.method].node[0])
        assert node["inputs"]["grow_mask_by" if method.method == "comfy" else "mask_offset"] == method.amount
        assert any(f.endswith(".py") for f in files) and json.loads(Path(workflow_path).read_text())["nodes"]
        torch.testing.assert_close(load_latent(latent_path), method.latent.latents, atol=1e-5, rtol=0)
        noise = read(mask_path)
        assert set(np.unique(noise)) <= {0, 255}
        assert np.array_equal(noise > 0, method.noise_mask.numpy() > 0)
        assert np.array_equal(read(pixels_path), to_uint8(method.neutralised))


def test_bad_requests_get_clear_errors(client, chelsea_with_mask):
    cases = [
        ({"vae": "no-such-vae"}, r"vae must be one of \['taef2', .*\], got 'no-such-vae'"),
        ({"grow_mask_by": 65}, "grow_mask_by must be an integer from 0 to 64, got 65"),
        ({"mask_offset": 2.5}, "mask_offset must be an integer"),
        ({"image": None}, "no image"),
    ]
    for change, message in cases:
        args = {"image": chelsea_with_mask, "vae": "taef2", "grow_mask_by": 6, "mask_offset": 6} | change
        with pytest.raises(Exception, match=message):
            client.predict(**args, api_name="/compare")
    ok = client.predict(image=chelsea_with_mask, vae="taef2", grow_mask_by=6, mask_offset=6, api_name="/compare")
    assert len(ok) == 12  # the server keeps serving


def test_compare_takes_other_methods_by_name_with_their_settings(client, chelsea_with_mask):
    """The two-method call with `methods`: each method's numbers and files, as /prepare and the core make them."""
    methods = [
        {"method": "set_latent_noise_mask", "settings": {"expand": 4, "feather": 2}, "denoise": 0.6},
        {"method": "inpaint_model_conditioning", "settings": {"noise_mask": False}},
    ]
    out = client.predict(image=chelsea_with_mask, vae="taef2", grow_mask_by=6, mask_offset=-4,
                         methods=json.dumps(methods), api_name="/compare")  # fmt: skip
    numbers, files = out[10], out[11]
    assert [n["method"] for n in numbers] == ["set_latent_noise_mask", "inpaint_model_conditioning"]
    first = numbers[0]
    assert first["settings"] == {"expand": 4, "tapered_corners": True, "feather": 2} and first["denoise"] == 0.6
    assert first["noise_mask"] and 0 < first["noise_mask_mean"] < 1 and 15 < first["drift_psnr_db"] < 60
    assert first["cells_repainted"]["start"]["cells"] <= first["cells_repainted"]["end"]["cells"]
    assert set(first["sampler_views"]) == {"comfyui", "diffusers", "fooocus"}
    assert first["sampler_views"]["diffusers"]["whole"] > 0 == first["sampler_views"]["diffusers"]["in_part"]
    assert numbers[1]["noise_mask"] is False and "drift_psnr_db" not in numbers[1]
    names = [Path(f).name for f in files]
    assert {n.rsplit("-", 1)[0] for n in names if n.endswith(".latent")} == {
        "set_latent_noise_mask",
        "inpaint_model_conditioning",
    }
    assert sum(n.endswith("-api.json") for n in names) == 1  # only SetLatentNoiseMask's graph needs no model
    latent = load_latent(
        next(f for f in files if Path(f).name.startswith("set_latent_noise_mask-") and f.endswith(".latent"))
    )
    assert list(latent.shape) == first["latent_shape"]
    for bad, message in [
        ("{not json", "methods must be JSON"),
        (json.dumps([{"method": "comfy", "settings": {"grow_mask_by": 65}}]), "grow_mask_by"),
        (json.dumps({"acly_fill": {"fill": "paint"}}), "fill"),
        (json.dumps([{"method": "acly_fill", "denoise": 2}]), "denoise"),
        (json.dumps([{"method": "acly_fill"}] * 5), "at most 4"),
    ]:
        with pytest.raises(Exception, match=message):
            client.predict(image=chelsea_with_mask, vae="taef2", grow_mask_by=6, mask_offset=-4, methods=bad,
                           api_name="/compare")  # fmt: skip


def decoded_files(live: dict) -> list[Path]:
    """The decoded previews a settle payload points the live panels at (served from Gradio's cache)."""
    return [Path(live[method]["url"].removeprefix("gradio_api/file=")) for method in ("left", "right")]


@pytest.mark.parametrize(("grow", "offset"), [(7, 6), (6, -3), (0, 0)])
def test_handlers_send_what_the_page_can_show(tmp_path, grow, offset):
    """The edit and settle handlers' values go through Gradio's sending path, with and without warnings."""
    from inpaint_core.vaes.registry import VAERegistry

    inspector = app.Inspector(VAERegistry(["approx"], torch.device("cpu")), 4096, tmp_path)
    page = app.build_page(inspector, "")
    editor, label = inspector.read_editor(coffee()), inspector.registry.labels[0]
    payload = inspector.edit(editor, label)
    send(event_of(page, inspector.edit), (payload,))
    assert payload["kind"] == "edit" and payload["crops"]["was"] == [0, 0, 400, 600]
    settled = inspector.settle(editor, label, grow, offset, "comfyui", progress=nothing)
    send(event_of(page, inspector.settle), settled)
    live, _, table, advice, *_ = settled
    comfy_python, was_python, shown = settled.left_python, settled.right_python, settled.shown
    assert live["kind"] == "decoded" and live["right"]["amount"] == offset and live["key"] == payload["key"]
    assert all(live[place]["timing"].startswith("approximate VAE") for place in ("left", "right"))  # said so
    assert all(path.is_file() for path in decoded_files(live))
    assert f"mask_offset {offset}" in table and "grey-halo cells" in table
    assert "<b>ComfyUI:</b>" in advice and "<b>WAS:</b>" in advice
    assert f"grow_mask_by={grow}" in comfy_python and f"mask_offset={offset}" in was_python
    again = inspector.settle(editor, label, grow, offset, "comfyui", shown, progress=nothing)
    assert all(v == gr.skip() for v in again[4:15])  # what the page shows is not sent again


def plain_digest(bits: np.ndarray) -> str:
    """live.mask_digest as written: per prime, Horner's rule over the packed bytes modulo 2**32."""
    packed = np.packbits(bits.astype(bool)).tolist()
    hashes = []
    for prime in (16777619, 1000003):
        h = 0
        for byte in packed:
            h = (h * prime + byte) % 2**32
        hashes.append(f"{h:x}")
    return ".".join(hashes)


@pytest.mark.parametrize("size", [1, 7, 8, 9, 4099])
def test_the_mask_digest_is_horners_rule_on_the_packed_bits(size):
    from web.live import mask_digest

    for bits in (np.random.default_rng(size).integers(0, 2, size), np.ones(size, int), np.zeros(size, int)):
        assert mask_digest(bits) == plain_digest(bits)


def test_the_edit_payload_is_the_rounded_mask_and_the_crops():
    """The digest names the mask both nodes round, in the input's frame; crops as the nodes crop."""
    from inpaint_core.prepare import centre_crop, prepare_comfy
    from inpaint_core.vaes.registry import VAERegistry
    from web.live import edit_payload, rounded_mask

    editor = app.Inspector(VAERegistry(["approx"], torch.device("cpu")), 4096, Path("/tmp")).read_editor(coffee())
    payload = edit_payload(editor, "key", 16, Path("input.jpg"))
    height, width = editor.pixels.shape[1:3]
    bits = rounded_mask(editor).numpy().astype(np.uint8).reshape(-1)
    assert payload["digest"] == plain_digest(bits) and "mask" not in payload  # the browser holds the mask
    top, left, crop_h, crop_w = payload["crops"]["comfy"]
    prepared = prepare_comfy(editor.pixels, editor.mask, 0, downscale_ratio=16)
    cropped = bits.reshape(height, width)[top : top + crop_h, left : left + crop_w]
    assert np.array_equal(cropped, prepared.mask[0, 0].numpy())
    pixels, _ = centre_crop(editor.pixels, editor.mask[:, None], 16)
    assert torch.equal(pixels, editor.pixels[:, top : top + crop_h, left : left + crop_w])


def test_on_zero_gpu_only_encoding_crosses_to_the_gpu_worker(tmp_path, monkeypatch):
    """As spaces.GPU runs it: arguments and result pickled across a process; masks and caches stay here."""
    from inpaint_core.vaes.registry import VAERegistry
    from web import gpu

    in_worker, crossings = gpu.encode_in_gpu_worker, []

    def across_a_process(vae_label, pixels):
        label, pixels = pickle.loads(pickle.dumps((vae_label, pixels)))
        result = pickle.dumps(in_worker(label, pixels))
        crossings.append(len(result))
        return pickle.loads(result)

    monkeypatch.setattr(gpu, "encode_in_gpu_worker", across_a_process)
    inspector = app.Inspector(VAERegistry(["approx"], torch.device("cpu")), 4096, tmp_path, zero_gpu=True)
    editor, label = inspector.read_editor(coffee()), inspector.registry.labels[0]
    live = inspector.settle(editor, label, 6, 6, "comfyui", progress=nothing)[0]
    assert len(crossings) == 2 and all(path.is_file() for path in decoded_files(live))  # both methods encoded
    inspector.settle(editor, label, 9, 6, "comfyui", progress=nothing)  # grow only: both latents cached here
    assert len(crossings) == 2
    table = inspector.settle(editor, label, 9, -3, "comfyui", progress=nothing)[2]
    assert len(crossings) == 3  # an offset change: WAS alone
    assert "mask_offset -3" in table and "pending" not in table
    assert max(crossings) < 4 * 1024 * 1024  # a latent, a preview and an error map: no network crosses


def test_a_grow_release_sends_only_the_panels_it_changes(tmp_path):
    from inpaint_core.vaes.registry import VAERegistry

    inspector = app.Inspector(VAERegistry(["approx"], torch.device("cpu")), 4096, tmp_path)
    editor, label = inspector.read_editor(coffee()), inspector.registry.labels[0]
    first = inspector.settle(editor, label, 6, 6, "comfyui", progress=nothing)
    files_before = set(tmp_path.iterdir())
    after = inspector.settle(editor, label, 9, 6, "comfyui", first.shown, progress=nothing)
    comfy_pixels, comfy_mask, comfy_cells, comfy_sampler, *was, difference = after[4:13]
    assert after[13] == after[14] == gr.skip()  # neither decoded latent changed
    assert comfy_pixels == gr.skip() and all(panel == gr.skip() for panel in was)
    assert all(panel != gr.skip() for panel in (comfy_mask, comfy_cells, comfy_sampler, difference))
    assert after[0]["left"]["url"] == first[0]["left"]["url"]  # ComfyUI's latent ignores grow_mask_by
    written = set(tmp_path.iterdir()) - files_before
    assert written and not any(path.suffix == ".jpg" for path in written)  # masks only: no image re-encoded


def test_two_vaes_of_one_name_keep_their_own_latents(tmp_path):
    """Two sources of one family share a display name; each still gets its own latent and preview."""
    from dataclasses import replace

    from inpaint_core import approximate_vae
    from inpaint_core.vaes.registry import VAERegistry

    registry = VAERegistry(["approx"], torch.device("cpu"))
    plain = approximate_vae()
    darker = replace(plain, decoder=lambda z: plain.decoder(z) * 0.5)
    registry.sources, registry._loaded = {"a": "approx", "b": "approx"}, {"a": plain, "b": darker}
    inspector = app.Inspector(registry, 4096, tmp_path)
    editor = inspector.read_editor(coffee())
    first, second = (
        decoded_files(inspector.settle(editor, label, 6, 6, "comfyui", progress=nothing)[0]) for label in "ab"
    )
    assert first[0] != second[0] and first[1] != second[1]
    assert read(second[0]).mean() < read(first[0]).mean()
