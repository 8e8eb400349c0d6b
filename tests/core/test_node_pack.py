"""The repository and its `inpaint_core/` folder load as ComfyUI loads a custom node pack.

ComfyUI 0.8 (`nodes.py`, load_custom_node) imports `<folder>/__init__.py` through
`importlib.util.spec_from_file_location` under the folder's path with "." turned into "_x_", puts
the module in `sys.modules`, and reads its NODE_CLASS_MAPPINGS. Here that runs in a fresh Python
whose path does not hold the repository, from a `custom_nodes/` folder of links: a clone under a
name that is no Python identifier, and the `inpaint_core` folder linked on its own.
"""

import json
import re
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import ROOT

LOAD_LIKE_COMFYUI = textwrap.dedent(
    """
    import importlib.util, json, os, sys

    def load_custom_node(module_path):
        name = module_path.replace(".", "_x_")
        spec = importlib.util.spec_from_file_location(name, os.path.join(module_path, "__init__.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module

    found = {}
    for folder in sys.argv[1:]:
        module = load_custom_node(folder)
        found[os.path.basename(folder)] = {
            key: [cls.__name__, module.NODE_DISPLAY_NAME_MAPPINGS[key], sorted(cls.INPUT_TYPES()["required"])]
            for key, cls in module.NODE_CLASS_MAPPINGS.items()
        }
    page = [m for m in sys.modules if m == "app" or m.split(".")[0] in ("gradio", "gradio_client", "web")]
    print(json.dumps({"packs": found, "page_modules": page, "repository_on_path": any(
        os.path.realpath(p or ".") == os.path.realpath(sys.argv[-1]) for p in sys.path)}))
    """
)


def test_clone_and_linked_folder_load_as_comfyui_loads_them(tmp_path):
    custom_nodes = tmp_path / "custom_nodes"
    custom_nodes.mkdir()
    (custom_nodes / "inpaint-encode-inspector").symlink_to(ROOT, target_is_directory=True)
    (custom_nodes / "inpaint_core").symlink_to(ROOT / "inpaint_core", target_is_directory=True)
    folders = [str(custom_nodes / "inpaint_core"), str(custom_nodes / "inpaint-encode-inspector")]
    done = subprocess.run(
        [sys.executable, "-c", LOAD_LIKE_COMFYUI, *folders],
        cwd=tmp_path, env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert not result["page_modules"] and not result["repository_on_path"]
    clone, linked = result["packs"]["inpaint-encode-inspector"], result["packs"]["inpaint_core"]
    assert clone == linked
    assert clone["InpaintCore_VAEEncodeForInpaint"] == [
        "VAEEncodeForInpaint", "VAE Encode for Inpaint (grow_mask_by, fast)", ["grow_mask_by", "mask", "pixels", "vae"]
    ]  # fmt: skip
    assert clone["InpaintCore_WAS_VAEEncodeForInpaint"][0] == "WAS_VAEEncodeForInpaint"
    assert "mask_offset" in clone["InpaintCore_WAS_VAEEncodeForInpaint"][2]
    assert clone["InpaintCore_InpaintEncodeInspector"] == [
        "InpaintEncodeInspector", "Inpaint Encode Inspector", ["amount", "backend", "image", "mask", "method"]
    ]  # fmt: skip


def test_pyproject_holds_what_the_comfy_registry_reads():
    """[project] and [tool.comfy] as https://docs.comfy.org/registry/specifications describes them."""
    tomllib = pytest.importorskip("tomllib", reason="tomllib comes with Python 3.11")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project, comfy = config["project"], config["tool"]["comfy"]
    name = project["name"]
    assert len(name) < 100 and re.fullmatch(r"[A-Za-z][A-Za-z0-9]*([-_.][A-Za-z0-9]+)*", name)
    assert "comfyui" not in name.lower()
    assert re.fullmatch(r"\d+\.\d+\.\d+", project["version"]) and project["description"]
    assert (ROOT / project["license"]["file"]).read_text().startswith("MIT License")
    assert comfy["PublisherId"] and comfy["DisplayName"]
    assert "web" not in comfy  # ComfyUI would serve the page's web/ folder as a front-end extension
