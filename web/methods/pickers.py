"""Each main column's method picker: which method a column holds, its slider (the method's amount where it has
one) and the settings box that stands in for the rest.

Columns are named by place: the left one starts with ComfyUI's node, the right one with WAS's (PLACES). A seed
in its own place keeps the live slider (masks drawn in the browser); any other method there is drawn by the
server from its settings, soft masks as soft.
"""

import json
from dataclasses import dataclass

import gradio as gr

from inpaint_core.preparations import METHODS

from .settings import OTHERS, checked_settings, default_settings, integer, method_of, parse_settings, settings_line

PLACES = {"left": "comfy", "right": "was"}
NODE_CELLS = "Latent cells: cut by the mask's edge, or holding grey the sampler does not fully repaint"
STAGE_CELLS = "Cells the sampler repaints with DifferentialDiffusion, by when it first does: start, middle, end"  # each column's place, and the seed node it starts with
LIVE = {name: method.amount_setting for name, method in METHODS.items() if method.amount}  # what the slider drives


def slider_range(method: str) -> tuple[int, int]:
    """The range of the column's slider for a method it drives: a node's whole range, GrowMask's usual one."""
    return LIVE[method].slider_range


def node_slider(place: str) -> gr.Slider:
    """The column's slider as it starts: its seed node's amount."""
    seed = PLACES[place]
    amount = LIVE[seed]
    return gr.Slider(
        amount.min,
        amount.max,
        value=amount.default,
        step=1,
        label=METHODS[seed].slider_label,
        elem_id=f"{place}-amount",
    )


def settings_of(method: str, text, slider_value) -> dict | str:
    """The column's settings: the box's JSON, with the amount its slider drives (the other node's, GrowMask's
    expand) where it drives one."""
    if method not in LIVE:
        return text
    amount = LIVE[method]
    try:
        value = integer(slider_value, amount.name)
    except ValueError as error:
        raise gr.Error(str(error)) from error
    return parse_settings(method, text) | {amount.name: value}


@dataclass
class Picked:
    """What the two columns hold, by place: each method with its settings (a seed in its own place: its amount);
    and the seed nodes' amounts for the advice (a seed not in its place at its default)."""

    grow_mask_by: int
    mask_offset: int
    held: dict[str, tuple[str, dict | str]]  # place -> (method, settings)

    @property
    def native(self) -> tuple[str, ...]:
        """The seeds in their own place (drawn with the live slider)."""
        return tuple(seed for place, seed in PLACES.items() if self.held[place][0] == seed)


def picked(grow_mask_by, mask_offset, left_method, left_settings, right_method, right_settings) -> Picked:
    """Each column's method and settings from the page. A node not in its column is prepared at its default
    amount (the column's slider then belongs to the other method: the other node's amount, GrowMask's expand,
    or nothing)."""
    chosen = {"left": (left_method or "comfy", left_settings), "right": (right_method or "was", right_settings)}
    sliders = {"left": grow_mask_by, "right": mask_offset}
    held = {place: (method, settings_of(method, text, sliders[place])) for place, (method, text) in chosen.items()}
    amounts = {seed: held[place][1][LIVE[seed].name] if held[place][0] == seed else LIVE[seed].default
               for place, seed in PLACES.items()}  # fmt: skip
    return Picked(amounts["comfy"], amounts["was"], held)


def settings_errors(left_method, left_settings, right_method, right_settings) -> dict[str, str]:
    """By place, the sentence refusing the settings box of a column that holds another method (bad JSON, an
    unknown name, a value out of its range); empty where every box is valid."""
    errors = {}
    for place, method, text in (("left", left_method, left_settings), ("right", right_method, right_settings)):
        if method not in PLACES.values():
            try:
                checked_settings(method, text)
            except gr.Error as error:
                errors[place] = error.message
    return errors


def choices(place: str) -> list[tuple[str, str]]:
    """The column's own node first (its live slider), then every other method; the other node last."""
    seed = PLACES[place]
    other = next(s for s in PLACES.values() if s != seed)
    return [
        (f"{METHODS[seed].label} · live", seed),
        *OTHERS,
        (f"{METHODS[other].label} (a second setting)", other),
    ]


class Picker:
    """A column's method dropdown and the settings box shown in place of its slider while another method
    holds the column."""

    def __init__(self, place: str):
        self.place = place
        self.method = gr.Dropdown(
            choices(place), value=PLACES[place], label=f"{place.capitalize()} column", elem_id=f"{place}-method"
        )

    def settings_box(self) -> gr.Textbox:
        """Call where the slider is: hidden until another method is picked."""
        self.settings = gr.Textbox(
            "", label="Settings (JSON)", visible=False, max_lines=3, elem_id=f"{self.place}-settings"
        )
        return self.settings

    def switch(self, method: str):
        """On a pick: the column's slider drives the method's amount where it has one (its node's, the other
        node's, GrowMask's expand) and hides otherwise; the settings box holds the rest (at their defaults, their
        usual ranges as its label); the column's detail tab and Python take the method's name, and its cells panel
        the title of what it shows (a node's edge and grey-halo cells, or DifferentialDiffusion's stages)."""
        seed = PLACES[self.place]
        own = method == seed
        title = METHODS[seed].title if own else method_of(method).label
        tab = gr.Tab(label=title if own else f"{self.place.capitalize()}: {title}")
        code = gr.Code(label=f"{title}: the same preparation in Python")
        slider = gr.Slider(visible=False)
        if method in LIVE:  # its own node, the other node, or GrowMask's expand
            (low, high), label = slider_range(method), METHODS[method].slider_label
            slider = gr.Slider(minimum=low, maximum=high, value=LIVE[method].default, label=label, visible=True)
        cells = gr.AnnotatedImage(label=NODE_CELLS if method == seed else STAGE_CELLS)
        return slider, self._box(method, own), tab, code, cells

    def _box(self, method: str, own: bool) -> gr.Textbox:
        """The settings box: the method's settings but the one its slider holds; hidden where none is left."""
        settings = json.loads(default_settings(method))
        settings.pop(LIVE[method].name if method in LIVE else None, None)  # the slider holds it
        if own or not settings:
            return gr.Textbox(visible=False, value="", label="")
        label = settings_line(method, LIVE[method].name if method in LIVE else None)
        return gr.Textbox(visible=True, value=json.dumps(settings), label=label)
