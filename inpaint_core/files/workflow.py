"""A ComfyUI graph for one method and amount, in the two formats ComfyUI reads.

LoadImage (the image with the mask in its alpha channel) and VAELoader feed ComfyUI's built-in
`VAEEncodeForInpaint` (grow_mask_by) or WAS_Extras' `VAEEncodeForInpaint (WAS)` (mask_offset), whose
LATENT is ready for a KSampler's latent_image; SaveLatent keeps a copy, so the graph runs as it is
(ComfyUI refuses a prompt without an output node). Facts from ComfyUI 0.8.0's sources: `nodes.py`
(LoadImage: IMAGE, MASK = 1 - alpha; VAELoader: vae_name; VAEEncodeForInpaint: pixels, vae, mask,
grow_mask_by; SaveLatent: samples, filename_prefix, an output node), `execution.py` `validate_prompt`
(the API format: {id: {class_type, inputs}}, a link as [id, output slot]) and
`script_examples/basic_api_example.py`; the canvas format (litegraph's: nodes, links as [id, from,
slot, to, slot, type], version 0.4) as ComfyUI's frontend saves it. WAS_Extras (December 2025):
`nodes/latent/VAEEncodeForInpaint.py` registers the node as "VAEEncodeForInpaint (WAS)" with inputs
pixels, vae, mask, mask_offset.
"""

from dataclasses import dataclass, field
from pathlib import PurePath

from ..preparations.methods import METHODS as PREPARATIONS
from ..settings import check_settings

ENCODERS = tuple(name for name, method in PREPARATIONS.items() if method.node)  # one node does it all
LATENT_PREFIX = "latents/inpaint"
NOISE_MASK_METHOD = "set_latent_noise_mask"  # VAEEncode and SetLatentNoiseMask after GrowMask and FeatherMask


@dataclass(frozen=True)
class Node:
    """One node: its linked inputs and outputs as (name, type) in slot order, its widgets as (input, value)."""

    id: int
    type: str
    title: str
    pos: tuple[int, int]
    size: tuple[int, int]
    inputs: tuple[tuple[str, str], ...] = ()
    outputs: tuple[tuple[str, str], ...] = ()
    widgets: tuple[tuple[str, object], ...] = ()
    canvas_only: tuple = field(default=())  # widget values the canvas keeps that are no inputs (an upload button)


METHODS = (*ENCODERS, NOISE_MASK_METHOD)


def graph(method: str, amount: int | dict, vae_name: str, image_filename: str) -> tuple[list[Node], list[tuple]]:
    """The nodes and the links (id, from node, from slot, to node, to slot, type) of the export.

    `amount`: grow_mask_by or mask_offset for the two encoders; for NOISE_MASK_METHOD, its settings
    (expand, tapered_corners, feather; missing ones at their defaults)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    if not isinstance(vae_name, str) or not vae_name.strip():
        raise ValueError(f"vae_name must be a VAE's name as ComfyUI's VAELoader lists it, got {vae_name!r}")
    if not isinstance(image_filename, str) or PurePath(image_filename).name != image_filename or not image_filename:
        raise ValueError(f"image_filename must be a file name without folders, got {image_filename!r}")
    loaders = [
        Node(1, "LoadImage", "Load Image", (40, 60), (320, 340), (), (("IMAGE", "IMAGE"), ("MASK", "MASK")),
             (("image", image_filename),), ("image",)),
        Node(2, "VAELoader", "Load VAE", (40, 450), (320, 60), (), (("VAE", "VAE"),), (("vae_name", vae_name),)),
    ]  # fmt: skip
    if method == NOISE_MASK_METHOD:
        return _noise_mask_graph(loaders, amount)
    (encoder, title), setting = PREPARATIONS[method].node, PREPARATIONS[method].amount_setting
    amount = setting.check(amount)
    nodes = [
        *loaders,
        Node(3, encoder, title, (420, 220), (280, 100), (("pixels", "IMAGE"), ("vae", "VAE"), ("mask", "MASK")),
             (("LATENT", "LATENT"),), ((setting.name, amount),)),
        Node(4, "SaveLatent", "Save Latent", (760, 220), (300, 60), (("samples", "LATENT"),), (),
             (("filename_prefix", LATENT_PREFIX),)),
    ]  # fmt: skip
    links = [(1, 1, 0, 3, 0, "IMAGE"), (2, 2, 0, 3, 1, "VAE"), (3, 1, 1, 3, 2, "MASK"), (4, 3, 0, 4, 0, "LATENT")]
    return nodes, links


def _noise_mask_graph(loaders: list[Node], settings) -> tuple[list[Node], list[tuple]]:
    """GrowMask -> FeatherMask (the same on each side) on LoadImage's MASK; VAEEncode; SetLatentNoiseMask.
    Both mask nodes stay in the graph at 0 (they then change nothing), so a user can tune them there."""
    if not isinstance(settings, dict):
        raise ValueError(f"{NOISE_MASK_METHOD}'s settings must be a dict, got {settings!r}")
    s = check_settings(PREPARATIONS[NOISE_MASK_METHOD].settings, settings)
    nodes = [
        *loaders,
        Node(3, "GrowMask", "Grow Mask", (420, 40), (280, 90), (("mask", "MASK"),), (("MASK", "MASK"),),
             (("expand", s["expand"]), ("tapered_corners", s["tapered_corners"]))),
        Node(4, "FeatherMask", "FeatherMask", (420, 170), (280, 140), (("mask", "MASK"),), (("MASK", "MASK"),),
             tuple((side, s["feather"]) for side in ("left", "top", "right", "bottom"))),
        Node(5, "VAEEncode", "VAE Encode", (420, 360), (280, 50), (("pixels", "IMAGE"), ("vae", "VAE")),
             (("LATENT", "LATENT"),)),
        Node(6, "SetLatentNoiseMask", "Set Latent Noise Mask", (760, 220), (280, 50),
             (("samples", "LATENT"), ("mask", "MASK")), (("LATENT", "LATENT"),)),
        Node(7, "SaveLatent", "Save Latent", (1080, 220), (300, 60), (("samples", "LATENT"),), (),
             (("filename_prefix", LATENT_PREFIX),)),
    ]  # fmt: skip
    links = [
        (1, 1, 1, 3, 0, "MASK"), (2, 3, 0, 4, 0, "MASK"), (3, 1, 0, 5, 0, "IMAGE"), (4, 2, 0, 5, 1, "VAE"),
        (5, 5, 0, 6, 0, "LATENT"), (6, 4, 0, 6, 1, "MASK"), (7, 6, 0, 7, 0, "LATENT"),
    ]  # fmt: skip
    return nodes, links


def comfy_api_prompt(method: str, amount: int, vae_name: str, image_filename: str) -> dict:
    """The graph as ComfyUI's /prompt takes it (POST {"prompt": this}) and "Export (API)" writes it."""
    nodes, links = graph(method, amount, vae_name, image_filename)
    prompt = {str(n.id): {"class_type": n.type, "inputs": dict(n.widgets), "_meta": {"title": n.title}} for n in nodes}
    for _, source, slot, target, target_slot, _ in links:
        name = next(n for n in nodes if n.id == target).inputs[target_slot][0]
        prompt[str(target)]["inputs"][name] = [str(source), slot]
    return prompt


def comfy_workflow(method: str, amount: int, vae_name: str, image_filename: str, vae_note: str | None = None) -> dict:
    """The graph as ComfyUI's canvas saves it: drag the file onto the canvas to open it. `vae_note`, where given,
    joins the canvas note (what the VAE loader loads, where it is not the page's VAE)."""
    nodes, links = graph(method, amount, vae_name, image_filename)
    incoming = {(link[3], link[4]): link[0] for link in links}
    outgoing = {
        (n.id, slot): [link[0] for link in links if link[1:3] == (n.id, slot)] for n in nodes for slot in range(3)
    }
    note = (
        f"Put {image_filename} in ComfyUI/input (its alpha channel holds the mask: transparent = inpaint). "
        f"Connect the LATENT to a KSampler's latent_image; Save Latent keeps a copy in output/{LATENT_PREFIX}."
    ) + (f"\n\n{vae_note}" if vae_note else "")
    return {
        "last_node_id": len(nodes) + 1,
        "last_link_id": len(links),
        "nodes": [_canvas_node(n, order, incoming, outgoing) for order, n in enumerate(nodes)]
        + [_note(len(nodes) + 1, note, len(nodes))],
        "links": [list(link) for link in links],
        "groups": [],
        "config": {},
        "extra": {"ds": {"scale": 1, "offset": [0, 0]}},
        "version": 0.4,
    }


def _canvas_node(node: Node, order: int, incoming: dict, outgoing: dict) -> dict:
    return {
        "id": node.id,
        "type": node.type,
        "pos": list(node.pos),
        "size": list(node.size),
        "flags": {},
        "order": order,
        "mode": 0,
        "inputs": [
            {"name": name, "type": kind, "link": incoming[(node.id, i)]} for i, (name, kind) in enumerate(node.inputs)
        ],
        "outputs": [
            {"name": name, "type": kind, "links": outgoing[(node.id, i)], "slot_index": i}
            for i, (name, kind) in enumerate(node.outputs)
        ],
        "title": node.title,
        "properties": {"Node name for S&R": node.type},
        "widgets_values": [value for _, value in node.widgets] + list(node.canvas_only),
    }


def _note(node_id: int, text: str, order: int) -> dict:
    """A canvas-only note (ComfyUI's frontend 'Note' node; the API format has none)."""
    return {
        "id": node_id, "type": "Note", "pos": [420, 40], "size": [640, 120], "flags": {}, "order": order,
        "mode": 0, "inputs": [], "outputs": [], "properties": {}, "widgets_values": [text],
    }  # fmt: skip
