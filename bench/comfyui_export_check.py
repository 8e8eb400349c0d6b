"""Every exported workflow run as a user runs it, in a real ComfyUI, against the page's own downloads.

The page's API (web.api.Api: /compare with the two seeds and SetLatentNoiseMask's chain, as the page computes
them) makes each method's downloads (.latent, noise-mask PNG) and export (the RGBA PNG, the canvas and API
workflows). Each `…-api.json` is POSTed unchanged to ComfyUI's /prompt on its PNG (copied into ComfyUI's
input/); SaveLatent's `.latent` is compared with the page's, value for value. The same prompt again with
a probe node after the LATENT (bench/comfyui_probe.py: ComfyUI reuses every other node's output) writes
ComfyUI's noise mask, compared with the page's noise-mask PNG (8 bits) and, unrounded, with
inpaint_core's run_method on the PNG as LoadImage reads it. With --inspector, the pack's Inpaint Encode
Inspector node runs in the same ComfyUI on each PNG, and its outputs are compared with the node run here
on the page's VAE (tests/web/test_inspector_node_page.py holds that equal to the page's numbers).

Needs ComfyUI 0.8.0 started with --cpu, WAS_Extras, bench/comfyui_probe.py and (for --inspector) this
repository in custom_nodes/, and the VAE in models/ (--make-vaes writes a TAESD-layout pair and an SD1.x VAE
with random weights: ComfyUI's arithmetic is under test, not the weights). Then, with the project's venv:

python -m bench.comfyui_export_check --make-vaes ComfyUI/models
python -m bench.comfyui_export_check --comfy-dir ComfyUI --comfy-url http://127.0.0.1:8199 \
    --page-vae ComfyUI/models/vae_approx/taesd_decoder.safetensors --inspector

ComfyUI's /prompt, /history/<id> and SaveLatent's `latents` output as in ComfyUI 0.8.0's `server.py` and
`nodes.py`. With --browser, ComfyUI's own frontend opens each canvas file and turns it into a prompt
(`app.loadGraphData`, `app.graphToPrompt`), which must equal the exported API file.
"""

import argparse
import json
import shutil
import time
import urllib.request
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from safetensors.torch import load_file

from inpaint_core.editor import mask_from_alpha, to_uint8
from inpaint_core.files.latent_file import load_latent
from inpaint_core.inspector_node import CHOICES, InpaintEncodeInspector
from inpaint_core.preparations import run_method

ASSETS = Path(__file__).resolve().parents[1] / "assets"
NOISE_MASK_SETTINGS = ({"expand": 6, "tapered_corners": True, "feather": 0},
                       {"expand": -3, "tapered_corners": False, "feather": 5})  # fmt: skip
PROBE = "InpaintCheck_SaveLatentAndMask"


def post_json(url: str, payload: dict) -> dict:
    request = urllib.request.Request(url, json.dumps(payload).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:  # ComfyUI answers 400 with the node errors as JSON
        raise RuntimeError(f"{url}: HTTP {error.code}: {error.read().decode()}") from None


def run_prompt(comfy_url: str, prompt: dict, timeout_s: float = 600) -> dict:
    """POST the prompt, poll /history/<id> until it is done; its outputs (RuntimeError on an error status)."""
    prompt_id = post_json(f"{comfy_url}/prompt", {"prompt": prompt})["prompt_id"]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{comfy_url}/history/{prompt_id}", timeout=30) as response:
            entry = json.load(response).get(prompt_id)
        if entry and entry.get("status", {}).get("completed") is not None:
            if entry["status"].get("status_str") != "success":
                raise RuntimeError(f"prompt {prompt_id} failed: {json.dumps(entry['status'])}")
            return entry["outputs"]
        time.sleep(0.3)
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


def frontend_prompt(comfy_url: str, workflow: dict, chromium: str) -> dict:
    """The API prompt ComfyUI's frontend makes of a canvas workflow it opens, in headless Chromium."""
    from playwright.sync_api import sync_playwright

    script = "async (w) => { await window.app.loadGraphData(w); return (await window.app.graphToPrompt()).output; }"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page()
        page.goto(comfy_url, wait_until="networkidle", timeout=120_000)
        page.wait_for_function("window.app && window.app.graph", timeout=120_000)
        made = page.evaluate(script, workflow)
        browser.close()
    return {key: {"class_type": node["class_type"], "inputs": node["inputs"]} for key, node in made.items()}


def make_vaes(models: Path) -> None:
    """ComfyUI's models/: vae_approx/taesd_{encoder,decoder}.safetensors (TAESD's layout) and
    vae/sd1x_random.safetensors (SD1.x's architecture, original single-file keys), random weights."""
    from diffusers import AutoencoderKL
    from safetensors.torch import save_file

    from inpaint_core.vaes.tiny_autoencoder import decoder, encoder
    from tests.core.test_vae import original_layout

    torch.manual_seed(0)
    (models / "vae_approx").mkdir(parents=True, exist_ok=True)
    (models / "vae").mkdir(parents=True, exist_ok=True)
    for part, build in (("encoder", encoder), ("decoder", decoder)):
        save_file(build(4).state_dict(), models / "vae_approx" / f"taesd_{part}.safetensors")
    sd1x = AutoencoderKL(
        block_out_channels=(128, 256, 512, 512), down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4, layers_per_block=2, latent_channels=4,
    )  # fmt: skip
    save_file(original_layout(sd1x), models / "vae" / "sd1x_random.safetensors")
    print(f"wrote {sorted(str(p.relative_to(models)) for p in models.glob('vae*/*.safetensors'))}")


def editor_values() -> dict[str, dict]:
    """The page's editor values: the cat with its mask layer at the image's size, and the issue's soft case,
    a 406×314 layer on a 203×157 image (resized bilinearly, so soft along its edges)."""
    cat, layer = Image.open(ASSETS / "chelsea.png").convert("RGB"), Image.open(ASSETS / "chelsea_mask.png")
    return {
        "chelsea": {"background": cat, "layers": [layer.convert("RGBA")]},
        "soft 203×157": {
            "background": cat.resize((203, 157), Image.Resampling.BILINEAR),
            "layers": [layer.convert("RGBA").resize((406, 314), Image.Resampling.NEAREST)],
        },
    }


def page(page_vae: str, folder: str, memory_mb: int | None = None):
    """The page's Inspector with one VAE (at the page's `--vae-memory-mb`: None for its default) and its API."""
    from inpaint_core.vaes.registry import VAERegistry
    from web.api import Api
    from web.inspector import Inspector

    return Api(
        Inspector(VAERegistry([page_vae], torch.device("cpu"), memory_mb and memory_mb << 20), 4096, Path(folder))
    )


def page_files(api, value: dict, grow: int, offset: int) -> list[list[Path]]:
    """The page's /compare with SetLatentNoiseMask's chain added: each method's files."""
    label = api.inspector.registry.labels[0]
    methods = json.dumps([{"method": "set_latent_noise_mask", "settings": s} for s in NOISE_MASK_SETTINGS])
    sent = api.compare(value, label, grow, offset, "comfyui", methods, progress=lambda *a, **k: None)
    paths = [Path(f.path) for item in sent if hasattr(item, "root") for f in item.root]  # the seeds' lists
    paths += [Path(f.path) for f in sent[-1]]  # the other methods', one after another
    groups = []
    for path in paths:  # each method's files: .latent, noise mask, pixels, then its export
        groups.append([path]) if path.suffix == ".latent" else groups[-1].append(path)
    return groups


def as_load_image_reads(png: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """IMAGE (1, H, W, 3) and MASK (1, H, W) = 1 - alpha / 255, as ComfyUI 0.8.0's LoadImage reads an RGBA PNG."""
    rgba = np.asarray(Image.open(png).convert("RGBA"))
    return torch.from_numpy(rgba[..., :3].astype(np.float32) / 255)[None], mask_from_alpha(rgba[..., 3])[None]


def differ(ours: torch.Tensor, theirs: torch.Tensor) -> str:
    """'bit for bit' or the max |Δ| and how many values differ (of how many)."""
    if ours.shape != theirs.shape:
        return f"shapes differ: {tuple(ours.shape)} vs {tuple(theirs.shape)}"
    count = int((ours != theirs).sum())
    if count == 0:
        return f"bit for bit ({ours.numel()} values)"
    return f"max |Δ| {(ours.double() - theirs.double()).abs().max().item():.3g}, {count} of {ours.numel()} differ"


def check_export(args, files: list[Path], case: str) -> dict:
    """Run one method's exported API prompt in ComfyUI; compare its latent and noise mask with the page's."""
    names = (".latent", "-noise-mask.png", "-api.json", "-workflow.json")
    by = {name: next(p for p in files if p.name.endswith(name)) for name in names}
    png = next(p for p in files if p.name.startswith("image-"))
    api, canvas = (json.loads(by[name].read_text()) for name in ("-api.json", "-workflow.json"))
    found = {"canvas vs API file": canvas_matches_api(canvas, api) or "match"}
    if args.browser:
        made = frontend_prompt(args.comfy_url, canvas, args.browser)
        same = made == {key: {"class_type": n["class_type"], "inputs": n["inputs"]} for key, n in api.items()}
        found["ComfyUI's frontend makes the API file of the canvas file"] = same
    shutil.copy(png, args.comfy_dir / "input" / png.name)
    start = time.perf_counter()
    outputs = run_prompt(args.comfy_url, api)  # unchanged, as a user runs it
    seconds = time.perf_counter() - start
    save = next(key for key, node in api.items() if node["class_type"] == "SaveLatent")
    saved = outputs[save]["latents"][0]
    comfy_latent = load_latent(args.comfy_dir / "output" / saved["subfolder"] / saved["filename"])
    name = f"{case.split()[0]}-{by['.latent'].stem}"
    probe = {PROBE: {"class_type": PROBE, "inputs": {"samples": api[save]["inputs"]["samples"], "name": name}}}
    run_prompt(args.comfy_url, {**api, "probe": probe[PROBE]})
    comfy = load_file(args.comfy_dir / "output" / "inpaint_check" / f"{name}.safetensors")
    comfy_mask = comfy["noise_mask"][0, 0]
    page_png = torch.from_numpy(np.array(Image.open(by["-noise-mask.png"]).convert("L")))
    pixels, mask = as_load_image_reads(png)
    method = by["-api.json"].name.split("-")[0]
    settings = {k: v for k, v in api["3"]["inputs"].items() if not isinstance(v, list)}  # a seed's amount
    if method == "set_latent_noise_mask":
        settings = {"expand": api["3"]["inputs"]["expand"], "tapered_corners": api["3"]["inputs"]["tapered_corners"],
                    "feather": api["4"]["inputs"]["left"]}  # fmt: skip
    core = run_method(method, pixels, mask, settings, None, args.ratio).noise_mask[0, 0]
    return {
        "method": f"{method} {settings}",
        "vae": api["2"]["inputs"]["vae_name"],
        "seconds": round(seconds, 1),
        "latent vs page .latent": differ(load_latent(by[".latent"]), comfy_latent),
        "noise mask vs page PNG (8 bits)": differ(page_png, torch.from_numpy(to_uint8(comfy_mask))),
        "noise mask vs run_method on the PNG": differ(core.float(), comfy_mask),
        "soft mask values": int(((comfy_mask > 0) & (comfy_mask < 1)).sum()),
        **found,
    }


def check_inspector(args, png: Path, page_vae, name: str, method: str, amount: int) -> dict:
    """The Inspector node in ComfyUI on the exported PNG against the node run here on the page's VAE."""
    choice = next(c for c, m in CHOICES.items() if m == method)
    prompt = {
        "1": {"class_type": "LoadImage", "inputs": {"image": png.name}},
        "2": {"class_type": "VAELoader", "inputs": {"vae_name": args.vae_name}},
        "3": {"class_type": "InpaintCore_InpaintEncodeInspector", "inputs": {
            "image": ["1", 0], "mask": ["1", 1], "method": choice, "amount": amount, "backend": "comfyui",
            "vae": ["2", 0]}},
        "4": {"class_type": "InpaintCheck_SaveValues", "inputs": {
            "name": name, "image": ["3", 0], "amount": ["3", 1], "advice": ["3", 2], "numbers": ["3", 3]}},
    }  # fmt: skip
    start = time.perf_counter()
    run_prompt(args.comfy_url, prompt)
    seconds = time.perf_counter() - start
    folder = args.comfy_dir / "output" / "inpaint_check"
    theirs = json.loads((folder / f"{name}.json").read_text())
    panels = load_file(folder / f"{name}.safetensors")["image"]
    pixels, mask = as_load_image_reads(png)
    with torch.inference_mode():
        ours = InpaintEncodeInspector().inspect(pixels, mask, choice, amount, "comfyui", page_vae)
    same = [key for key, value in zip(("amount", "advice", "numbers"), ours[1:], strict=True) if theirs[key] == value]
    return {
        "inspector": f"{method} {amount}",
        "seconds": round(seconds, 1),
        "same amount, advice, numbers": same,
        "panels": differ(ours[0], panels),
        "numbers": theirs["numbers"].replace("\n", " | "),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--make-vaes", type=Path, help="write the test VAEs into this models/ folder and stop")
    parser.add_argument("--comfy-url", default="http://127.0.0.1:8188")
    parser.add_argument("--comfy-dir", type=Path, help="ComfyUI's folder (input/, output/)")
    parser.add_argument("--page-vae", help="the page's VAE source: the same file ComfyUI's VAELoader loads")
    parser.add_argument("--vae-memory-mb", type=int, help="the page's setting (docs/settings.md; default its own)")
    parser.add_argument("--amounts", nargs="+", default=["6,-4", "11,5"], help="grow_mask_by,mask_offset pairs")
    parser.add_argument("--inspector", action="store_true", help="run the Inpaint Encode Inspector node too")
    parser.add_argument("--browser", nargs="?", const="/usr/bin/chromium", help="check the canvas in this Chromium")
    parser.add_argument("--files", default="/tmp/inpaint-comfyui-check", help="where the page writes its files")
    args = parser.parse_args()
    if args.make_vaes:
        return make_vaes(args.make_vaes)
    args.comfy_url = args.comfy_url.rstrip("/")
    for case, value in editor_values().items():
        api = page(args.page_vae, args.files, args.vae_memory_mb)
        vae = api.inspector.registry.get(api.inspector.registry.labels[0])
        args.ratio = vae.downscale_ratio
        for pair in args.amounts:  # one page, as a user moves its sliders: the next offset's latent is updated
            grow, offset = (int(amount) for amount in pair.split(","))
            groups = page_files(api, value, grow, offset)
            for files in groups:
                found = check_export(args, files, case)
                args.vae_name = found["vae"]
                print(json.dumps({"case": case, **found}, ensure_ascii=False))
        if args.inspector:
            png = next(p for p in groups[0] if p.name.startswith("image-"))
            for method, amount in (("comfy", grow), ("was", offset), ("set_latent_noise_mask", 6)):
                name = f"inspector-{case.split()[0]}-{method}"
                found = check_inspector(args, png, vae, name, method, amount)
                print(json.dumps({"case": case, **found}, ensure_ascii=False))


if __name__ == "__main__":
    main()
