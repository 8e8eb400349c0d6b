"""A preparation chosen by name with its settings as JSON (inpaint_core.preparations.METHODS): the choices a
column offers, the settings box's defaults and help line, and the checks that turn text into settings.

A bad value raises gr.Error naming the setting and its range; nothing is computed before the checks pass.
"""

import json
import math

import gradio as gr

from inpaint_core.preparations import METHODS, SEEDS
from inpaint_core.preparations.differential import DENOISE
from inpaint_core.quoting import quote
from inpaint_core.settings import Choice, Flag, Float, Int, Setting, check_settings

OTHERS = [
    (f"{method.amount_of} + {method.label}" if method.amount_of else method.label, name)
    for name, method in METHODS.items()
    if name not in SEEDS
]  # GrowMask named where it runs first: users look for it by that name
MAX_METHODS = 4  # per /compare call
MAX_TEXT = 4096  # characters of settings or methods JSON; longer text is refused before it is parsed


def default_settings(method: str) -> str:
    """The method's settings at their defaults, as a settings box shows them."""
    return json.dumps({s.name: s.default for s in method_of(method).settings}, indent=1)


def _describe(setting: Setting) -> str:
    if isinstance(setting, Int):
        low, high = setting.slider_range
        wide = "" if (low, high) == (setting.min, setting.max) else f" (usual {low}..{high})"
        return f"`{setting.name}` integer {setting.min}..{setting.max}{wide}"
    if isinstance(setting, Float):
        return f"`{setting.name}` number {setting.min}..{setting.max}"
    if isinstance(setting, Flag):
        return f"`{setting.name}` true or false"
    assert isinstance(setting, Choice)
    return f"`{setting.name}` one of {', '.join(setting.options)}"


def settings_help(method: str) -> str:
    """One line naming each setting of the method and what it accepts."""
    return f"{method_of(method).label}: " + " · ".join(_describe(s) for s in method_of(method).settings)


def _range(setting: Setting) -> str:
    if isinstance(setting, Int):
        return "{}..{}".format(*setting.slider_range)
    if isinstance(setting, Float):
        return f"{setting.min:g}..{setting.max:g}"
    if isinstance(setting, Flag):
        return "true|false"
    return "|".join(setting.options)


def settings_line(method: str, leave_out: str | None = None) -> str:
    """The settings in brief, for a box's label: each name and its usual range or choices (the full ranges
    are in settings_help; a value outside them is refused by name)."""
    return "Settings (JSON; usual ranges): " + " · ".join(
        f"{s.name} {_range(s)}" for s in method_of(method).settings if s.name != leave_out
    )


def method_of(name: str):
    """The method called `name`; gr.Error naming the choices where there is none."""
    if not isinstance(name, str) or name not in METHODS:
        raise gr.Error(f"method must be one of {list(METHODS)}, got {quote(name)}")
    return METHODS[name]


def read_json(name: str, text: str, example: str, kind: str = "JSON"):
    """`text` as JSON (`kind` names what is wanted); gr.Error in one sentence naming `name` where it is too long
    (refused before parsing), not JSON, or nested or numbered past what Python's parser takes."""
    if not isinstance(text, str):
        raise gr.Error(f"{name} must be {kind} as text, e.g. {example}, got {quote(text, 40)}")
    if len(text) > MAX_TEXT:
        raise gr.Error(f"{name} may be at most {MAX_TEXT} characters of JSON, got {len(text)}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise gr.Error(f"{name} must be {kind}, e.g. {example}: {error.msg} at character {error.pos}") from None
    except (ValueError, RecursionError):  # an integer over 4300 digits, or arrays nested past the stack
        raise gr.Error(f"{name} must be {kind} of plain numbers and shallow nesting, e.g. {example}") from None


def parse_settings(method: str, text) -> dict:
    """A settings box's JSON as a dict (checked by run_method); gr.Error where it is not a JSON object."""
    method_of(method)
    if isinstance(text, dict):
        return text
    example = json.dumps({s.name: s.default for s in method_of(method).settings})
    settings = read_json("settings", text or "{}", example, "a JSON object")
    if not isinstance(settings, dict):
        raise gr.Error(f"settings must be a JSON object, e.g. {example}, got {quote(settings, 40)}")
    return settings


def checked_settings(method: str, text) -> dict:
    """parse_settings, then each value checked against its declared range (gr.Error naming the setting)."""
    settings = parse_settings(method, text)
    try:
        return check_settings(METHODS[method].settings, settings)
    except ValueError as error:
        raise gr.Error(f"{method}: {error}") from error


def integer(value, name: str) -> int:
    """Slider values arrive as int or float; a fractional or non-finite one is refused, not rounded."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value != int(value):
        raise ValueError(f"{name} must be an integer, got {quote(value)}")
    return int(value)


def parse_methods(text) -> list[tuple[str, dict, float]]:
    """/compare's `methods`: a JSON list of {"method": name, "settings": {...}, "denoise": x} (settings and
    denoise optional) or an object {name: settings}; empty: none. gr.Error naming what is wrong."""
    if text in (None, "", [], {}):
        return []
    given = read_json("methods", text, '[{"method": "acly_fill", "settings": {}}]') if isinstance(text, str) else text
    if isinstance(given, dict):
        given = [{"method": name, "settings": settings} for name, settings in given.items()]
    if not isinstance(given, list) or not all(isinstance(item, dict) and "method" in item for item in given):
        raise gr.Error('methods must be a list of {"method": name, "settings": {...}} or an object {name: settings}')
    if len(given) > MAX_METHODS:
        raise gr.Error(f"methods: at most {MAX_METHODS} a call, got {len(given)}")
    requested = []
    for item in given:
        unknown = sorted(set(item) - {"method", "settings", "denoise"})
        if unknown:
            shown = ", ".join(quote(key, 40) for key in unknown[:3])
            raise gr.Error(f"methods: unknown keys {shown}; each takes method, settings and denoise")
        method = item["method"]
        settings = parse_settings(method, item.get("settings") or {})
        try:
            check_settings(METHODS[method].settings, settings)
            denoise = DENOISE.check(item.get("denoise", 1.0))
        except ValueError as error:
            raise gr.Error(f"methods: {error}") from error
        requested.append((method, settings, denoise))
    return requested
