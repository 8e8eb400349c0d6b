"""The page's events by name: what each handler takes and returns, field by field.

app.py builds each event's input and output lists from these fields (the components are named alike), so the
order is written once. Columns are named by place: left holds ComfyUI's node by default, right WAS's.
"""

from html import escape
from typing import Any, NamedTuple

from gradio import skip
from gradio.components.imageslider import SliderData


class SettleInputs(NamedTuple):
    """Inspector.settle's inputs."""

    state: Any  # the edit (EditorInput) or None
    vae: str
    left_amount: int | float  # the left slider: grow_mask_by, or the amount of the method the column holds
    right_amount: int | float  # the right slider: mask_offset, or ...
    backend: str
    shown: dict | None  # the detail images the page shows (by output index), not sent again
    left_method: str
    left_settings: str
    right_method: str
    right_settings: str
    cells_denoise: float


class Settled(NamedTuple):
    """Inspector.settle's outputs."""

    live: dict | None  # the live panels' decoded payload
    wipe: SliderData | None
    numbers: str  # the numbers table (HTML)
    advice: str  # HTML
    left_pixels: Any
    left_mask: Any
    left_cells: Any
    left_sampler: Any
    right_pixels: Any
    right_mask: Any
    right_cells: Any
    right_sampler: Any
    difference: Any
    left_decoded: Any
    right_decoded: Any
    left_python: str
    right_python: str
    shown: dict
    left_settings_note: str  # HTML: why the column's settings box is refused, or ""
    right_settings_note: str

    @classmethod
    def empty(cls) -> "Settled":
        """Before any image: no images, no text."""
        text = {"numbers": "", "advice": "", "left_python": "", "right_python": "", "shown": {}}
        notes = {"left_settings_note": "", "right_settings_note": ""}
        return cls(**(dict.fromkeys(cls._fields) | text | notes))

    @classmethod
    def invalid(cls, errors: dict[str, str]) -> "Settled":
        """A settings box refused: everything shown stays (the last valid settings'), the live panels mark the
        column, and the sentence stays under the box until it is fixed."""
        red = "color: var(--error-text-color, #dc2626)"
        notes = {f"{place}_settings_note": f"<p class='settings-error' style='{red}'>{escape(errors.get(place, ''))}</p>"
                 if place in errors else "" for place in ("left", "right")}  # fmt: skip
        live = {"kind": "invalid", "places": errors}
        return cls(**(dict.fromkeys(cls._fields, skip()) | {"live": live} | notes))


class FilesInputs(NamedTuple):
    """Inspector.column_files' inputs (the downloads button)."""

    state: Any
    vae: str
    left_amount: int | float
    right_amount: int | float
    backend: str
    left_method: str
    left_settings: str
    right_method: str
    right_settings: str


class Files(NamedTuple):
    """Inspector.column_files' outputs."""

    table: dict  # the numbers as /compare returns them
    left_files: Any
    right_files: Any
