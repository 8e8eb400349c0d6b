"""The exported workflow files run unchanged in a real ComfyUI: the API prompt through /prompt, the canvas
file checked against it, the saved latent compared with inpaint_core's on the same VAE.

Needs a running ComfyUI (0.8.0; WAS_Extras in custom_nodes/ for the "was" method) whose VAELoader lists
the VAE, e.g. `python main.py --cpu --listen 127.0.0.1 --port 8199`, then:

python -m bench.comfyui_export_check --comfy-url http://127.0.0.1:8199 \
    --comfy-input-dir ComfyUI/input --vae-name my_vae.safetensors --vae-path ComfyUI/models/vae/my_vae.safetensors

Without --vae-path the latents' shape is checked, not their values. With --browser, ComfyUI's own frontend
(served by the same ComfyUI) opens each canvas file and turns it into a prompt (`app.loadGraphData`,
`app.graphToPrompt`), which must equal the exported API file. ComfyUI's /prompt, /history/<id>
and SaveLatent's `latents` output as in ComfyUI 0.8.0's `server.py` and `nodes.py`.
"""

import argparse
import json
import shutil
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from inpaint_core import load_vae, prepare_comfy, prepare_was
from inpaint_core.files.export import write_export
from inpaint_core.files.latent_file import load_latent

ASSETS = Path(__file__).resolve().parents[1] / "assets"
PREPARE = {"comfy": prepare_comfy, "was": prepare_was}
WHOLE_BUDGET = 2**40  # bytes: no tiling


def post_json(url: str, payload: dict) -> dict:
    request = urllib.request.Request(url, json.dumps(payload).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:  # ComfyUI answers 400 with the node errors as JSON
        raise RuntimeError(f"{url}: HTTP {error.code}: {error.read().decode()}") from None


def run_prompt(comfy_url: str, prompt: dict, timeout_s: float = 600) -> dict:
    """POST the prompt, poll /history/<id> until it is done; its outputs (ValueError on an error status)."""
    prompt_id = post_json(f"{comfy_url}/prompt", {"prompt": prompt})["prompt_id"]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{comfy_url}/history/{prompt_id}", timeout=30) as response:
            entry = json.load(response).get(prompt_id)
        if entry and entry.get("status", {}).get("completed") is not None:
            if entry["status"].get("status_str") != "success":
                raise RuntimeError(f"prompt {prompt_id} failed: {json.dumps(entry['status'])}")
            return entry["outputs"]
        time.sleep(0.5)
    raise RuntimeError(f"prompt {prompt_id} not done after {timeout_s} s")


def canvas_matches_api(workflow: dict, api: dict) -> list[str]:
    """Differences between the canvas graph and the API graph (types, widget values, links); [] if none."""
    problems = []
    nodes = {str(n["id"]): n for n in workflow["nodes"] if n["type"] != "Note"}
    if set(nodes) != set(api):
        problems.append(f"node ids {sorted(nodes)} vs {sorted(api)}")
    links = {link[0]: link for link in workflow["links"]}
    for node_id, node in nodes.items():
        inputs = api.get(node_id, {}).get("inputs", {})
        if node["type"] != api.get(node_id, {}).get("class_type"):
            problems.append(f"node {node_id}: type {node['type']} vs {api.get(node_id, {}).get('class_type')}")
        for slot in node["inputs"]:
            _, source, source_slot, target, _, _ = links[slot["link"]]
            if target != node["id"] or inputs.get(slot["name"]) != [str(source), source_slot]:
                problems.append(f"node {node_id} input {slot['name']}: link {links[slot['link']]} vs {inputs}")
        widgets = [value for name, value in inputs.items() if not isinstance(value, list)]
        if node["widgets_values"][: len(widgets)] != widgets:
            problems.append(f"node {node_id}: widgets {node['widgets_values']} vs {widgets}")
    return problems


def frontend_prompts(comfy_url: str, workflows: list[dict], chromium: str) -> list[dict]:
    """The API prompts ComfyUI's frontend makes of the canvas workflows it opens, in headless Chromium."""
    from playwright.sync_api import sync_playwright

    script = "async (w) => { await window.app.loadGraphData(w); return (await window.app.graphToPrompt()).output; }"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page()
        page.goto(comfy_url, wait_until="networkidle", timeout=120_000)
        page.wait_for_function("window.app && window.app.graph", timeout=120_000)
        prompts = [page.evaluate(script, workflow) for workflow in workflows]
        browser.close()
    return prompts


def without_titles(prompt: dict) -> dict:
    return {key: {"class_type": node["class_type"], "inputs": node["inputs"]} for key, node in prompt.items()}


def as_load_image_reads(png: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """IMAGE (1, H, W, 3) and MASK (1, H, W) = 1 - alpha, as ComfyUI 0.8.0's LoadImage reads an RGBA PNG."""
    rgba = np.asarray(Image.open(png).convert("RGBA")).astype(np.float32) / 255
    return torch.from_numpy(rgba[..., :3].copy())[None], torch.from_numpy(1 - rgba[..., 3].copy())[None]


def check_method(args, method: str, image: np.ndarray, mask: np.ndarray, folder: Path, vae) -> None:
    png, workflow_path, api_path = write_export(folder, image, mask, method, args.amount, args.vae_name)
    api = json.loads(api_path.read_text())
    problems = canvas_matches_api(json.loads(workflow_path.read_text()), api)
    print(f"{method}: files {[p.name for p in (png, workflow_path, api_path)]}")
    print(f"{method}: canvas vs API graph: {'match' if not problems else problems}")
    if args.browser:
        made = frontend_prompts(args.comfy_url, [json.loads(workflow_path.read_text())], args.browser)[0]
        same = without_titles(made) == without_titles(api)
        print(
            f"{method}: ComfyUI's frontend made the API file of the canvas file: {same}" + ("" if same else f" {made}")
        )
    shutil.copy(png, Path(args.comfy_input_dir) / png.name)
    start = time.perf_counter()
    outputs = run_prompt(args.comfy_url, api)
    print(f"{method}: /prompt ran in {time.perf_counter() - start:.1f} s, outputs {json.dumps(outputs)}")
    saved = outputs["4"]["latents"][0]
    latents = load_latent(Path(args.comfy_output_dir) / saved["subfolder"] / saved["filename"])
    height, width = image.shape[0] // 8, image.shape[1] // 8
    print(f"{method}: latent {tuple(latents.shape)} (expected (1, C, {height}, {width}))")
    if vae is not None:
        pixels, load_mask = as_load_image_reads(png)
        prepared = PREPARE[method](pixels, load_mask, args.amount)
        for label, budget in (("whole", WHOLE_BUDGET), ("default memory budget", None)):
            vae.memory_budget = budget  # ComfyUI on a CPU with this much RAM encodes the image whole
            ours = vae.encode(prepared.pixels)
            error = (ours - latents).abs().max().item()
            print(
                f"{method}: inpaint_core ({label}) vs ComfyUI: max |diff| {error:.3g}, max |latent| {ours.abs().max():.3g}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--comfy-url", default="http://127.0.0.1:8188")
    parser.add_argument("--comfy-input-dir", required=True, help="ComfyUI's input/ folder")
    parser.add_argument("--comfy-output-dir", help="ComfyUI's output/ folder (default: beside input/)")
    parser.add_argument("--vae-name", required=True, help="a name ComfyUI's VAELoader lists")
    parser.add_argument("--vae-path", help="the same VAE for inpaint_core's load_vae, to compare latents")
    parser.add_argument("--amount", type=int, default=6, help="grow_mask_by / mask_offset")
    parser.add_argument("--browser", nargs="?", const="/usr/bin/chromium", help="check the canvas in this Chromium")
    parser.add_argument("--methods", nargs="+", default=["comfy", "was"], choices=sorted(PREPARE))
    args = parser.parse_args()
    args.comfy_url = args.comfy_url.rstrip("/")
    args.comfy_output_dir = args.comfy_output_dir or str(Path(args.comfy_input_dir).resolve().parent / "output")
    image = np.asarray(Image.open(ASSETS / "chelsea.png").convert("RGB"))
    mask = np.asarray(Image.open(ASSETS / "chelsea_mask.png").convert("RGBA"))[..., 3] > 0
    vae = load_vae(args.vae_path, "cpu") if args.vae_path else None
    with tempfile.TemporaryDirectory() as folder:
        for method in args.methods:
            check_method(args, method, image, mask, Path(folder), vae)


if __name__ == "__main__":
    main()
