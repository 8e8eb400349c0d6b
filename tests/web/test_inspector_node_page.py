"""The Inpaint Encode Inspector node shows the page's numbers for the same input: the exported image as
ComfyUI's LoadImage reads it (pixels / 255 and inpaint_core.editor.image_mask), against the page's handlers."""

import pytest
import torch

import app
from inpaint_core.editor import image_mask
from inpaint_core.inspector_node import inspect
from inpaint_core.vaes.registry import VAERegistry
from tests.core.test_image_mask import soft_edit
from tests.web.test_app import coffee
from web.methods.columns import Column, numbers_column


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    inspector = app.Inspector(VAERegistry(["approx"], torch.device("cpu")), 4096, tmp_path_factory.mktemp("files"))
    label = inspector.registry.labels[0]
    edits = {"coffee": inspector.read_editor(coffee()), "soft": soft_edit()}
    return inspector, label, edits


def quiet(*_, **__):
    pass


@pytest.mark.parametrize("edit", ["coffee", "soft"])
@pytest.mark.parametrize("backend", ["comfyui", "fooocus"])
@pytest.mark.parametrize(("method", "amount"), [("comfy", 6), ("comfy", 11), ("was", -4), ("was", 2)])
def test_a_seeds_numbers_and_advice_are_the_pages(page, edit, backend, method, amount):
    inspector, label, edits = page
    editor = edits[edit]
    grow, offset = (amount, 6) if method == "comfy" else (6, amount)
    comparison = inspector.run(editor, label, grow, offset, quiet, (method,))
    report = inspector.report(comparison, backend)  # as the page reports both columns
    found = inspect(editor.pixels, image_mask(editor), method, amount, backend, inspector.registry.get(label))
    assert found["table"] == {k: v for k, v in report[method].items() if k != "time_ms"}
    assert found["sentence"] == report["recommendation"][method]["sentence"]
    assert found["recommended"] == report["recommendation"][method]["amount"]
    assert set(found["warnings"]) <= set(report["warnings"])
    assert found["warnings"] == inspector.report(comparison, backend, (method,))["warnings"]


@pytest.mark.parametrize("edit", ["coffee", "soft"])
@pytest.mark.parametrize("backend", ["comfyui", "diffusers"])
@pytest.mark.parametrize("method", ["set_latent_noise_mask", "inpaint_model_conditioning"])
def test_another_methods_numbers_are_the_pages_column(page, edit, backend, method):
    inspector, label, edits = page
    editor = edits[edit]
    result = inspector.prepare_any(editor, label, method, {"expand": 5})
    _, shown, _ = numbers_column(Column("left", result, (), None, []), {}, backend)
    found = inspect(editor.pixels, image_mask(editor), method, 5, backend, inspector.registry.get(label))
    assert {k: found["table"][k] for k in shown} == shown
