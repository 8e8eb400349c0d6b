"""Either main column holding another method: what settle sends for it (live entry, numbers, advice, detail
panels, difference, Python), checked against the method run directly, and the column's downloads."""

import base64
import json

import numpy as np
import pytest
import torch
from PIL import Image

import app
from inpaint_core.editor import image_mask
from inpaint_core.files.latent_file import load_latent
from inpaint_core.preparations import run_method
from inpaint_core.vaes.registry import VAERegistry
from tests.web.events import event_of, nothing, send
from tests.web.test_app import coffee
from web.methods.numbers import drift
from web.methods.pickers import LIVE
from web.methods.settings import default_settings


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    inspector = app.Inspector(VAERegistry(["approx"], torch.device("cpu")), 4096, tmp_path_factory.mktemp("files"))
    page = app.build_page(inspector, "")
    return page, inspector, inspector.read_editor(coffee()), inspector.registry.labels[0]


def direct(editor, method: str, settings: dict):
    """The method on the edit as the page runs it: the painted mask resized bilinearly, not rounded, to 8 bits."""
    return run_method(method, editor.pixels, image_mask(editor), settings)


def unpack(entry: dict) -> np.ndarray:
    top, left, height, width = entry["box"]
    bits = np.unpackbits(np.frombuffer(base64.b64decode(entry["bits"]), np.uint8))[: height * width]
    return bits.reshape(height, width).astype(bool)


@pytest.mark.parametrize(
    ("place", "method", "settings"),
    [("left", "set_latent_noise_mask", {"expand": 6, "feather": 8}), ("right", "acly_fill", {"mask_blur": 15}),
     ("right", "comfy", {"grow_mask_by": 9})],
)  # fmt: skip
def test_a_column_holding_another_method_shows_that_method(setup, place, method, settings):
    page, inspector, editor, label = setup
    args = {"left": ("comfy", ""), "right": ("was", "")} | {place: (method, json.dumps(settings))}
    driven = LIVE[method].name if method in LIVE else None  # the column's slider drives it (expand, an amount)
    sliders = {"left": 6, "right": 6} | {place: settings.get(driven, 6)}
    settled = inspector.settle(editor, label, sliders["left"], sliders["right"], "comfyui", None, *args["left"],
                               *args["right"], progress=nothing)  # fmt: skip
    send(event_of(page, inspector.settle), settled)  # through Gradio's sending path
    live, wipe, table, advice, *details = settled
    expected = direct(editor, method, settings)
    entry = live[place]["override"]
    assert entry["method"] == method and live[place]["amount"] == settings.get(driven)
    assert (entry["live"] is not None) == (method == "comfy")  # the node, live; feathered GrowMask, Acly: server
    mask = expected.noise_mask[0, 0].numpy() > 0
    assert np.array_equal(unpack(entry), mask)  # the difference panel's bits: the mask above 0
    top, left = entry["box"][:2]
    assert (top, left) == ((0, 0) if mask.shape == editor.size else expected.crop_offset)
    decoded = read_served(live[place]["url"])
    assert decoded.shape[:2] == tuple(expected.encoded.shape[1:3])
    other = "right" if place == "left" else "left"
    assert live[other]["amount"] == 6 and "override" not in live[other]  # the other column keeps its node
    assert str(wipe.root[0 if place == "left" else 1].path) == live[place]["url"].removeprefix("gradio_api/file=")
    shown = inspector.prepare_any(editor, label, method, settings)
    psnr = drift(shown)
    assert f"<td>{psnr:.1f}</td>" in table and f"<td>{int(mask.sum())}</td>" in table
    title = {"set_latent_noise_mask": "VAE Encode + Set Latent Noise Mask", "acly_fill": "Acly: Expand Mask",
             "comfy": "VAE Encode (for Inpainting)"}[method]  # fmt: skip
    assert title in table and title in advice and "no amount to recommend" in advice
    assert ("grow_mask_by=6 is even" in advice) == (place != "left")  # warnings of a node not shown are left out
    pixels = details[0 if place == "left" else 4]
    assert np.array_equal(np.asarray(Image.open(pixels.path)), to_uint8(expected.neutralised[0]))
    python = details[11 if place == "left" else 12]
    decoded_tab = details[9 if place == "left" else 10]  # the detail tab's decoded latent: the column's
    assert decoded_tab.path == live[place]["url"].removeprefix("gradio_api/file=")
    assert f"run_method({method!r}" in python
    difference = details[8]
    assert [a.label for a in difference.annotations] == ["only left", "only right", "both"]


def read_served(url: str) -> np.ndarray:
    return np.asarray(Image.open(url.removeprefix("gradio_api/file=")))


def to_uint8(image: torch.Tensor) -> np.ndarray:
    return image.mul(255).round().clamp(0, 255).to(torch.uint8).numpy()


@pytest.mark.parametrize(
    ("method", "tapered"), [("set_latent_noise_mask", True), ("inpaint_model_conditioning", False)]
)
def test_growmask_on_the_painted_mask_is_drawn_live_with_the_slider_as_expand(setup, method, tapered):
    """The column's slider is GrowMask's expand; the browser gets what it needs to draw it at any expand (the
    box is where the method's noise mask lies in the input's frame), and a feather makes it server-drawn."""
    _, inspector, editor, label = setup
    text = json.dumps({"tapered_corners": tapered, "feather": 0})
    live, *_, advice = inspector.settle(editor, label, 6, -40, "comfyui", None, "comfy", "", method, text,
                                        progress=nothing)[:4]  # fmt: skip
    spec = live["right"]["override"]["live"]
    assert "drawn live: the slider is GrowMask" in advice
    expected = direct(editor, method, {"expand": -40, "tapered_corners": tapered})
    height, width = expected.noise_mask.shape[-2:]
    top, left = (editor.size[0] - height) // 2, (editor.size[1] - width) // 2
    assert spec | {"box": None} == {"name": "expand", "amount": -40, "range": [-128, 128], "tapered": tapered,
                                    "grey": "noise" if method == "inpaint_model_conditioning" else "none",
                                    "box": None, "follows": True}  # fmt: skip
    assert spec["box"] == [top, left, height, width] and live["right"]["amount"] == -40
    assert np.array_equal(unpack(live["right"]["override"]), expected.noise_mask[0, 0].numpy() > 0)
    feathered = json.dumps({"tapered_corners": tapered, "feather": 4})
    live, *_, advice = inspector.settle(editor, label, 6, -40, "comfyui", None, "comfy", "", method, feathered,
                                        progress=nothing)[:4]  # fmt: skip
    assert live["right"]["override"]["live"] is None and "drawn by the server" in advice  # soft


def test_the_columns_downloads_are_the_methods_files(setup):
    _, inspector, editor, label = setup
    settings = {"expand": 4, "feather": 0}
    numbers, comfy_files, was_files = inspector.column_files(editor, label, 6, 6, "comfyui", "comfy", "",
                                                             "set_latent_noise_mask", json.dumps(settings),
                                                             progress=nothing)  # fmt: skip
    assert numbers["comfy"]["grow_mask_by"] == 6 and "recommendation" in numbers
    (other,) = numbers["methods"]
    assert (
        other["column"] == "right" and other["method"] == "set_latent_noise_mask" and other["settings"]["expand"] == 6
    )
    comfy_names = [f.orig_name for f in comfy_files.root]
    names = [f.orig_name for f in was_files.root]
    assert any(n.startswith("comfy-grow6-") and n.endswith(".latent") for n in comfy_names)
    assert any(n.startswith("comfy-grow6-") and n.endswith("-workflow.json") for n in comfy_names)
    assert any(n.startswith("set_latent_noise_mask-") and n.endswith(".latent") for n in names)
    assert any(n.endswith("-api.json") for n in names)
    latent = load_latent(next(f.path for f in was_files.root if f.orig_name.endswith(".latent")))
    vae = inspector.registry.get(label)
    expected = direct(editor, "set_latent_noise_mask", settings)
    assert torch.equal(latent, vae.encode(expected.encoded[:1]))


def test_bad_settings_in_a_column_name_the_setting(setup):
    import gradio as gr

    page, inspector, editor, label = setup
    refused = inspector.settle(editor, label, 6, 6, "comfyui", None, "set_latent_noise_mask", '{"feather": 1e9}',
                               "was", "", progress=nothing)  # fmt: skip
    send(event_of(page, inspector.settle), refused)  # through Gradio's sending path
    assert refused.live == {"kind": "invalid", "places": {"left": refused.live["places"]["left"]}}
    assert "feather" in refused.live["places"]["left"] and "feather" in refused.left_settings_note
    assert refused.right_settings_note == "" and refused.wipe == gr.skip()  # the last valid results stay
    with pytest.raises(gr.Error, match="expand must be an integer"):  # the slider is GrowMask's expand
        inspector.settle(editor, label, 2.5, 6, "comfyui", None, "set_latent_noise_mask", "{}", "was", "",
                         progress=nothing)  # fmt: skip
    refused = inspector.settle(editor, label, 6, 6, "comfyui", None, "comfy", "", "acly_fill", "[1]", progress=nothing)
    assert "JSON object" in refused.right_settings_note and refused.left_settings_note == ""
    fixed = inspector.settle(editor, label, 6, 6, "comfyui", None, "comfy", "", "acly_fill", "{}", progress=nothing)
    assert fixed.live["kind"] == "decoded" and fixed.right_settings_note == ""  # fixed: the mark goes


def test_picking_a_method_swaps_the_slider_for_its_settings(setup):
    from web.methods.pickers import Picker

    picker = Picker.__new__(Picker)
    picker.place = "left"
    slider, box, tab, code, cells = picker.switch("acly_blur")
    assert "DifferentialDiffusion" in cells.label  # the cells panel names what it now shows
    assert tab.label == "Left: Acly: Expand Mask, Blur Masked Area" and code.label.startswith("Acly: Expand Mask")
    assert slider.visible is False and box.visible is True
    assert json.loads(box.value) == json.loads(default_settings("acly_blur"))
    assert box.label == ("Settings (JSON; usual ranges): grow 0..256 · mask_blur 0..255 · blur_type box|linear|gaussian · "
                         "blur 3..511 · falloff 0..63")  # fmt: skip
    slider, box, tab, code, cells = picker.switch("comfy")
    assert "grey" in cells.label and "DifferentialDiffusion" not in cells.label
    assert slider.visible is True and box.visible is False and tab.label == "ComfyUI"
    slider, box, tab, code, _ = picker.switch("was")  # the other node: its slider, live; no settings left for the box
    assert (slider.minimum, slider.maximum, slider.value) == (-128, 128, 6) and "mask_offset" in slider.label
    assert box.visible is False
    slider, box, tab, code, _ = picker.switch(
        "set_latent_noise_mask"
    )  # GrowMask's expand on the slider, the rest boxed
    assert (slider.minimum, slider.maximum, slider.value) == (-128, 128, 0) and "expand" in slider.label
    assert json.loads(box.value) == {"tapered_corners": True, "feather": 0}
    assert (
        box.label == "Settings (JSON; usual ranges): tapered_corners true|false · feather 0..256"
    )  # expand is the slider


def test_settings_that_change_only_the_mask_encode_once(setup):
    """SetLatentNoiseMask encodes the pixels as given: a new expand or feather reuses the latent; Acly's fill
    changes the pixels with its grow, so a new grow encodes again."""
    _, inspector, editor, label = setup
    inspector.latents.discard(lambda key, size: True)
    first = inspector.prepare_any(editor, label, "set_latent_noise_mask", {"expand": 3})
    again = inspector.prepare_any(editor, label, "set_latent_noise_mask", {"expand": -7, "feather": 5})
    assert again.latent is first.latent and len(inspector.latents.sizes()) == 1
    fill = [inspector.prepare_any(editor, label, "acly_fill", {"grow": g, "mask_blur": 0}) for g in (4, 12)]
    assert fill[0].latent is not fill[1].latent and len(inspector.latents.sizes()) == 3


@pytest.mark.parametrize("method", ["inpaint_model_conditioning", "set_latent_noise_mask"])
def test_the_noise_mask_over_the_encoded_pixels_lines_up_in_the_image(method):
    """Under a VAE of ratio 16, InpaintModelConditioning's mask is a crop to 8 and the encoded pixels a crop
    to 16 (SetLatentNoiseMask's mask has the image's size): each cut lines up with the image's own pixels."""
    from web.methods.numbers import mask_over_encoded

    height, width = 300, 451
    rng = np.random.default_rng(3)
    mask = torch.from_numpy(rng.random((1, height, width)) < 0.3).float()
    rows = torch.arange(height, dtype=torch.float32)[:, None] / 1000 + torch.arange(width)[None, :] / 1e6
    pixels = rows[None, :, :, None].expand(1, height, width, 3).contiguous()  # each pixel names its place
    preparation = run_method(method, pixels, mask, {}, None, 16)
    cut = mask_over_encoded(preparation)
    encoded = preparation.encoded[0, :, :, 0]
    assert tuple(cut.shape) == tuple(encoded.shape)
    places = (encoded * 1000).round().long(), (encoded * 1e6).round().long() % 1000
    expected = mask[0][places[0], places[1]]  # the painted mask at each encoded pixel's place in the image
    assert torch.equal(cut, expected.float())


def test_a_columns_cells_follow_the_denoise_chosen_on_the_page(setup):
    """The detail tab's cells for a column holding another method: DifferentialDiffusion's stages at the
    page's denoise, as differential_view computes them (a lower denoise starts later in the schedule)."""
    _, inspector, editor, label = setup
    settings, drawn = {"mask_blur": 31}, {}
    for denoise in (1.0, 0.3):
        settled = inspector.settle(editor, label, 6, 6, "comfyui", None, "acly_fill", json.dumps(settings), "was",
                                   "", denoise, progress=nothing)  # fmt: skip
        cells = settled[4 + 2]  # left column: pixels, mask, cells, sampler
        shown = inspector.prepare_any(editor, label, "acly_fill", settings, denoise)
        ratio = shown.preparation.encoded.shape[1] // shown.latent.latents.shape[-2]
        layers = [np.asarray(Image.open(a.image.path).convert("RGBA"))[..., 3] > 0 for a in cells.annotations]
        reached = [shown.view.reached(stage)[0, 0].numpy().repeat(ratio, 0).repeat(ratio, 1)
                   for stage in ("start", "middle", "end")]  # fmt: skip
        first = [reached[0], reached[1] & ~reached[0], reached[2] & ~reached[1]]
        for layer, expected in zip(layers, first, strict=True):
            assert np.array_equal(layer, expected[: layer.shape[0], : layer.shape[1]])
        drawn[denoise] = layers
    assert any(not np.array_equal(a, b) for a, b in zip(drawn[1.0], drawn[0.3], strict=True))
