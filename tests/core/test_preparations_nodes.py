"""The fast mask nodes: the originals' inputs, outputs and results, under keys of their own."""

import torch

from inpaint_core.extra_nodes import (
    EXTRA_NODE_CLASS_MAPPINGS,
    EXTRA_NODE_DISPLAY_NAME_MAPPINGS,
    ExpandMask,
    FeatherMask,
    GrowMask,
)
from tests.reference_preparations import expand_mask_reference, feather_mask_reference, grow_mask_reference

ORIGINAL_KEYS = {"GrowMask", "FeatherMask", "INPAINT_ExpandMask"}  # ComfyUI's and Acly's node ids


def options(node, name):
    return node.INPUT_TYPES()["required"][name][1]


def test_keys_of_their_own():
    assert set(EXTRA_NODE_CLASS_MAPPINGS).isdisjoint(ORIGINAL_KEYS)
    assert set(EXTRA_NODE_DISPLAY_NAME_MAPPINGS) == set(EXTRA_NODE_CLASS_MAPPINGS)
    for node in EXTRA_NODE_CLASS_MAPPINGS.values():
        assert node.RETURN_TYPES == ("MASK",) and node.DESCRIPTION and len(node.OUTPUT_TOOLTIPS) == 1
        assert all(spec[1]["tooltip"] for spec in node.INPUT_TYPES()["required"].values())


def test_inputs_as_the_originals_declare_them():
    """Ranges and defaults of comfy_extras/nodes_mask.py (MAX_RESOLUTION 16384) and Acly's nodes.py."""
    assert {k: options(GrowMask, "expand")[k] for k in ("default", "min", "max")} == {
        "default": 0,
        "min": -16384,
        "max": 16384,
    }
    assert options(GrowMask, "tapered_corners")["default"] is True
    assert list(FeatherMask.INPUT_TYPES()["required"]) == ["mask", "left", "top", "right", "bottom"]
    assert options(FeatherMask, "left")["max"] == 16384
    assert (options(ExpandMask, "grow")["default"], options(ExpandMask, "grow")["max"]) == (16, 8096)
    assert (options(ExpandMask, "blur")["default"], ExpandMask.INPUT_TYPES()["required"]["blur_type"][0]) == (
        7,
        ["box", "linear", "gaussian"],
    )


def test_results_are_the_originals():
    gen = torch.Generator().manual_seed(5)
    mask = (torch.rand(2, 33, 47, generator=gen) > 0.9).float() * torch.rand(2, 33, 47, generator=gen)
    (grown,) = GrowMask().expand_mask(mask, -4, False)
    assert torch.equal(grown, grow_mask_reference(mask, -4, False))
    (feathered,) = FeatherMask().feather(mask, 3, 0, 40, 7)
    assert torch.equal(feathered, feather_mask_reference(mask, 3, 0, 40, 7))
    (expanded,) = ExpandMask().expand(mask, 5, 0, "gaussian")
    assert torch.equal(expanded, expand_mask_reference(mask, 5, 0, "gaussian"))
