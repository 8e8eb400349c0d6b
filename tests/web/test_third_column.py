"""The third column: any preparation by name on the page, its panels and the DifferentialDiffusion view."""

import json
import math
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
import torch
from PIL import Image

import app
from inpaint_core.editor import to_uint8
from inpaint_core.files.latent_file import load_latent
from inpaint_core.preparations import METHODS, run_method
from inpaint_core.prepare import resize_mask
from inpaint_core.vaes.registry import VAERegistry
from tests.web.events import nothing
from tests.web.test_app import coffee
from web.api import Api
from web.methods.numbers import method_numbers
from web.methods.panels import NOISE_COLOUR, NOISE_OPACITY
from web.methods.settings import default_settings
from web.methods.third_column import CHOICES, third_column

SMALL_BLUR = {"acly_blur": {"blur": 31}}  # Acly's default blur (255) needs an image over 127 px each way


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    inspector = app.Inspector(VAERegistry(["approx"], torch.device("cpu")), 4096, tmp_path_factory.mktemp("files"))
    with gr.Blocks() as blocks:
        state = gr.State()
        vae = gr.Dropdown(inspector.registry.labels, value=inspector.registry.labels[0])
        column = third_column(inspector)
        column.wire(state, vae)
    return blocks, column, inspector, inspector.read_editor(coffee())


def settings_of(method: str, **changes) -> str:
    return json.dumps(json.loads(default_settings(method)) | SMALL_BLUR.get(method, {}) | changes)


def read(sent) -> np.ndarray:
    return np.asarray(Image.open(sent.path))


def test_the_column_offers_every_method_the_seeds_last():
    assert [name for _, name in CHOICES] == [name for name in METHODS if name not in ("comfy", "was")] + [
        "comfy",
        "was",
    ]


def test_the_api_is_compare_and_prepare_only(page, app_url):
    """The column's events read the session's edit (a State), so they are the page's own, not the API's: the
    API lists /compare and /prepare only, and a call to the column's old route is refused with a sentence."""
    import httpx
    from gradio_client import Client

    blocks = page[0]
    assert all(d["api_visibility"] == "private" for d in blocks.config["dependencies"])
    info = httpx.get(f"{app_url}gradio_api/info").json()
    assert set(info["named_endpoints"]) == {"/compare", "/prepare"} and not info["unnamed_endpoints"]
    routes = Client(app_url, verbose=False).view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert set(routes) == {"/compare", "/prepare"}
    refused = httpx.post(f"{app_url}gradio_api/call/third_column", json={"data": [None, "taef2", "comfy", "{}", 1]})
    assert refused.status_code == 404
    assert refused.json()["detail"] == (
        "'/gradio_api/call/third_column' is no API route; this server's are /compare, /prepare (GET /gradio_api/info)"
    )


@pytest.mark.parametrize("method", [name for _, name in CHOICES])
def test_each_method_at_its_defaults_gives_panels_of_its_sizes(page, method):
    _, column, inspector, editor = page
    label = inspector.registry.labels[0]
    out = column.show(editor, label, method, settings_of(method), 1.0, progress=nothing)
    neutralised, noise_mask, decoded, cells, numbers, files = out
    height, width = editor.size
    mask = resize_mask(editor.mask[:, None], height, width)[:, 0]
    expected = run_method(method, editor.pixels, mask, json.loads(settings_of(method)))
    assert read(neutralised).shape == tuple(expected.neutralised.shape[1:])
    assert read(decoded).shape == tuple(expected.encoded.shape[1:])  # approx VAE: crops are whole cells
    names = [Path(f.path).name for f in files]
    vae = inspector.registry.get(label)
    assert torch.equal(load_latent(files[0].path), vae.encode(expected.encoded[:1]))
    pixels_png = next(i for i, n in enumerate(names) if n.startswith(f"{method}-") and n.endswith("-pixels.png"))
    stem = names[pixels_png].removesuffix("-pixels.png")  # the method first, then a digest naming the image
    assert np.array_equal(read(files[pixels_png]), to_uint8(expected.neutralised[0]))
    export = names[pixels_png + 1 :]  # the image with the mask in alpha, the workflow where there is one, Python
    assert export[0].endswith(".png") and export[-1].endswith(".py")
    assert method in Path(files[-1].path).read_text()
    workflows = [n for n in export if n.endswith(".json")]
    assert len(workflows) == (2 if method in ("set_latent_noise_mask", "comfy", "was") else 0)
    if expected.noise_mask is None:
        assert noise_mask is None and cells is None and "every latent cell" in numbers
        assert names[:pixels_png] == [f"{stem}.latent"]
        return
    assert names[:pixels_png] == [f"{stem}.latent", f"{stem}-noise-mask.png"]
    assert all(len(name) <= 48 for name in names), names  # short enough to read uncut
    assert np.array_equal(read(files[1]), to_uint8(expected.noise_mask[0, 0]))  # soft values as grey levels
    assert read(noise_mask).shape[:2] == tuple(expected.noise_mask.shape[-2:])
    assert Image.open(cells.image.path).size == tuple(expected.encoded.shape[2:0:-1])
    labels = [a.label for a in cells.annotations]
    assert labels == ["start", "middle", "end"]
    assert f"noise mask mean {float(expected.noise_mask[0].mean()):.4f}" in numbers


def test_a_blurred_mask_is_drawn_at_intermediate_opacity(page):
    """Acly's Expand Mask blurs the mask; the panel lays the colour over at the mask's value (ComfyUI's
    FeatherMask feathers only the image's borders, where this mask is 0)."""
    _, column, inspector, editor = page
    label = inspector.registry.labels[0]
    settings = settings_of("acly_fill", mask_blur=31)
    _, noise_mask, *_ = column.show(editor, label, "acly_fill", settings, 1.0, progress=nothing)
    expected = run_method("acly_fill", editor.pixels, editor.mask, json.loads(settings))
    soft = expected.noise_mask[0, 0].numpy()
    inside = (soft > 0.2) & (soft < 0.8)
    assert inside.sum() > 100
    assert expected.encoded.shape[1:3] == soft.shape  # the mask lies over the pixels the VAE encodes
    image = to_uint8(expected.encoded[0]).astype(np.float64)
    alpha = NOISE_OPACITY * soft[..., None]
    blended = image * (1 - alpha) + NOISE_COLOUR * alpha  # the colour laid over at the mask's value
    drawn = read(noise_mask).astype(np.float64)
    assert np.abs(drawn - blended).max() <= 0.5 + 1e-9
    # where the mask is soft the panel is neither the image nor the full colour
    full = image * (1 - NOISE_OPACITY) + NOISE_COLOUR * NOISE_OPACITY
    assert (np.abs(drawn - image).sum(-1)[inside] > 0).mean() > 0.9
    assert (np.abs(drawn - full).sum(-1)[inside] > 0).mean() > 0.9


@pytest.mark.parametrize(
    ("method", "settings", "named"),
    [
        ("set_latent_noise_mask", {"expand": 10**6}, "expand"),
        ("set_latent_noise_mask", {"feather": -1}, "feather"),
        ("inpaint_model_conditioning", {"noise_mask": "yes"}, "noise_mask"),
        ("acly_fill", {"fill": "paint"}, "fill"),
        ("acly_blur", {"grow": 1.5}, "grow"),
        ("set_latent_noise_mask", {"grow_mask_by": 6}, "grow_mask_by"),
    ],
)
def test_bad_settings_raise_an_error_naming_the_setting(page, method, settings, named):
    _, column, inspector, editor = page
    with pytest.raises(gr.Error, match=named):
        column.show(editor, inspector.registry.labels[0], method, json.dumps(settings), 1.0, progress=nothing)


@pytest.mark.parametrize("text", ["{not json", "[1, 2]"])
def test_settings_that_are_not_an_object_are_refused(page, text):
    _, column, inspector, editor = page
    with pytest.raises(gr.Error, match="JSON object"):
        column.show(editor, inspector.registry.labels[0], "acly_fill", text, 1.0, progress=nothing)


def test_a_denoise_outside_its_range_is_refused(page):
    _, column, inspector, editor = page
    with pytest.raises(gr.Error, match="denoise"):
        column.show(editor, inspector.registry.labels[0], "acly_fill", "{}", 1.5, progress=nothing)


def painted(annotation) -> np.ndarray:
    return np.asarray(Image.open(annotation.image.path).convert("RGBA"))[..., 3] > 0


@pytest.mark.parametrize("denoise", [1.0, 0.5])
def test_cells_reached_grow_from_start_to_end(page, denoise):
    """DifferentialDiffusion's threshold falls from 1 at the first step towards 0, so a cell reached at the
    start stays reached; with a soft mask the end reaches cells the start does not."""
    _, column, inspector, editor = page
    label, settings = inspector.registry.labels[0], settings_of("acly_fill", mask_blur=31)
    shown = inspector.prepare_any(editor, label, "acly_fill", settings, denoise)
    start, middle, end = (shown.view.reached(stage) for stage in ("start", "middle", "end"))
    assert bool((start <= middle).all() and (middle <= end).all()) and int(end.sum()) > int(start.sum())
    threshold = shown.view.thresholds
    assert float(threshold[0]) == pytest.approx(1.0) and bool((threshold[1:] <= threshold[:-1]).all())
    cells, numbers = column.show(editor, label, "acly_fill", settings, denoise, progress=nothing)[3:5]
    drawn = [painted(a) for a in cells.annotations]
    ratio = shown.preparation.encoded.shape[1] // shown.latent.latents.shape[-2]
    assert [a.label for a in cells.annotations] == ["start", "middle", "end"]  # the colour map's keys
    for stage in ("start", "middle", "end"):  # each stage's step and threshold are in the numbers line
        step = shown.view.steps[stage]
        assert f"{stage} (step {step + 1}, mask >= {float(threshold[step]):.3f})" in numbers
    first = (start, middle & ~start, end & ~middle)  # each cell in the colour of the stage that first reaches it
    for stage_cells, reached in zip(drawn, first, strict=True):
        expected = reached[0, 0].numpy().repeat(ratio, 0).repeat(ratio, 1)
        assert np.array_equal(stage_cells, expected)
    assert not (drawn[0] & drawn[1]).any() and not (drawn[1] & drawn[2]).any()


def test_the_api_handler_reads_an_editor_value(page):
    _, column, inspector, editor = page
    label = inspector.registry.labels[0]
    by_api = Api(inspector).prepare(coffee(), label, "acly_fill", "{}", 0.6, progress=nothing)
    by_page = column.show(editor, label, "acly_fill", "{}", 0.6, progress=nothing)
    assert [getattr(v, "path", v) for v in by_api[:3]] == [getattr(v, "path", v) for v in by_page[:3]]
    assert by_api[4] == by_page[4]
    with pytest.raises(gr.Error, match="no image"):
        Api(inspector).prepare(None, label, "acly_fill", "{}", 0.6, progress=nothing)


@pytest.mark.parametrize("method", ["set_latent_noise_mask", "acly_fill"])
def test_drift_is_the_psnr_of_the_decoded_latent_where_the_noise_mask_is_zero(page, method):
    """Decoded against encoded pixels over the pixels the mask leaves alone, with the mask cut where the VAE
    cut the image (SetLatentNoiseMask's mask has the image's size)."""
    _, column, inspector, editor = page
    label = inspector.registry.labels[0]
    numbers = column.show(editor, label, method, settings_of(method), 1.0, progress=nothing)[4]
    height, width = editor.size
    expected = run_method(method, editor.pixels, resize_mask(editor.mask[:, None], height, width)[:, 0],
                          json.loads(settings_of(method)))  # fmt: skip
    vae = inspector.registry.get(label)
    encoded = expected.encoded[0].numpy().astype(np.float64)
    decoded = vae.decode(vae.encode(expected.encoded[:1]))[0].numpy().astype(np.float64)
    (top, left), (h, w) = expected.crop_offset, encoded.shape[:2]
    mask = expected.noise_mask[0, 0].numpy()
    if mask.shape != (h, w):
        mask = mask[top : top + h, left : left + w]
    keep = mask == 0
    assert 0 < keep.sum() < keep.size
    mse = ((decoded - encoded) ** 2)[keep].mean()
    assert f"drift outside the mask (PSNR, decoded against encoded) {10 * math.log10(1 / mse):.1f} dB" in numbers


def test_each_samplers_view_counts_the_cells_it_repaints_wholly_and_in_part(page):
    """From the noise mask over the encoded pixels: ComfyUI's bilinear view keeps a soft edge (cells in
    part); diffusers binarises and Fooocus rounds, so they repaint none in part."""
    from inpaint_core.analysis.samplers import comfyui_view, diffusers_view, fooocus_view

    _, column, inspector, editor = page
    label, settings = inspector.registry.labels[0], settings_of("acly_fill", mask_blur=31)
    shown = inspector.prepare_any(editor, label, "acly_fill", settings, 1.0)
    numbers = method_numbers(shown)["sampler_views"]
    mask = shown.preparation.noise_mask[0, 0].float()  # Acly's mask lies over the encoded pixels already
    assert tuple(mask.shape) == tuple(shown.preparation.encoded.shape[1:3])
    ratio = shown.preparation.encoded.shape[1] // shown.latent.latents.shape[-2]
    for backend, view in (("comfyui", comfyui_view), ("diffusers", diffusers_view), ("fooocus", fooocus_view)):
        v = view(mask, ratio)
        assert numbers[backend] == {"whole": int((v == 1).sum()), "in_part": int(((v > 0) & (v < 1)).sum())}
    assert numbers["comfyui"]["in_part"] > 0 and numbers["diffusers"]["in_part"] == numbers["fooocus"]["in_part"] == 0
    line = column.show(editor, label, "acly_fill", settings, 1.0, progress=nothing)[4]
    assert f"ComfyUI {numbers['comfyui']['whole']} / {numbers['comfyui']['in_part']}" in line
