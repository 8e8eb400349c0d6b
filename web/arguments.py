"""Each event's arguments checked as they arrive, before Gradio's preprocessing reads them.

Gradio answers a bad argument with its own words: a dropdown value repeated in full (a 1 MB `vae` gives a
1 MB error), "Could not preprocess input component at index 2…" for `grow_mask_by="6"`, a pydantic error
for a list as the editor value, "Cannot move <the server's folder>/app.py…" for a path it did not receive,
"[Errno 36] File name too long" for a `data:` URL. Here every argument is checked first, by the handler's
parameter name and what its component takes, and refused in one sentence that quotes at most 80 characters
of what was given; anything Gradio still refuses is answered in one sentence without its text.

The request body itself is read here first too (`read_body`, from web.guards' middleware): FastAPI answers a
number past Python's 4300 digits, JSON nested past the recursion limit or bytes that are not UTF-8 with "There
was an error parsing the body", and a syntax error or a body that is no object with pydantic's list, which
repeats what was given. Each gets one sentence saying what is wrong and the form a route takes.
"""

import inspect
import json
import sys
from pathlib import Path

import gradio as gr
from gradio.utils import get_upload_folder, is_in_or_equal

from inpaint_core.quoting import quote

from .methods.settings import MAX_TEXT

EDITOR_KEYS = {"background", "layers", "composite", "id"}
MAX_PATH = 1024  # characters of a file's path
UPLOAD = "a file uploaded to this server (POST /gradio_api/upload, as gradio_client's handle_file does)"


MAX_DEPTH = 32  # levels of nesting in a request body; the API's deepest argument (a layer's meta) is at 6
CALL_FORM = '{"data": [the arguments]}'
JOIN_FORM = '{"data": [the arguments], "fn_index": n, "session_hash": "…"}'


class Refused(ValueError):
    """An argument that is not what its component takes; the message is the sentence to show."""


def _integer(text: str) -> int:
    """A JSON integer, refused past the digits Python converts (json.loads's own error names no argument)."""
    digits, most = len(text.lstrip("-")), sys.get_int_max_str_digits()
    if most and digits > most:
        raise Refused(f"a number in it has {digits} digits (at most {most})")
    return int(text)


def _deeper_than(value, most: int) -> bool:
    """Whether lists and objects nest deeper than `most` levels (the outermost is level 1)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if depth > most:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _json_kind(value) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return "a list" if isinstance(value, list) else "text" if isinstance(value, str) else "a number"


def read_body(body: bytes, form: str = CALL_FORM) -> dict:
    """A route's JSON body as an object, or Refused in one sentence saying what is wrong and the form to send."""
    try:
        if not body.strip():
            raise Refused("it is empty")
        try:
            value = json.loads(body, parse_int=_integer)
        except RecursionError:
            raise Refused(f"it nests deeper than {MAX_DEPTH} levels") from None
        except UnicodeDecodeError:
            raise Refused("it is not UTF-8 text") from None
        except json.JSONDecodeError as error:
            raise Refused(f"it is not JSON (at character {error.pos})") from None
        if not isinstance(value, dict):
            raise Refused(f"it is {_json_kind(value)}, not an object")
        if _deeper_than(value, MAX_DEPTH):
            raise Refused(f"it nests deeper than {MAX_DEPTH} levels")
    except Refused as refused:
        raise Refused(f"The request body is refused: {refused}; send {form}") from None
    return value


def parameter_names(block_fn) -> list[str]:
    """The handler's parameter names, one per input (the API names its arguments alike)."""
    try:
        names = list(inspect.signature(block_fn.fn).parameters)
    except (TypeError, ValueError):
        names = []
    return [names[i] if i < len(names) else f"argument {i + 1}" for i in range(len(block_fn.inputs))]


def check_file(name: str, value) -> None:
    """A file reference an API caller may send: a path Gradio's upload gave, or an http(s) URL."""
    path = value.get("path") if isinstance(value, dict) else None
    if not isinstance(path, str) or not path or len(path) > MAX_PATH:
        raise Refused(f"{name} must be {UPLOAD} or an http(s) URL, got {quote(path if path else value)}")
    if path.startswith(("http://", "https://")):
        return
    if not Path(path).is_absolute() or not is_in_or_equal(path, get_upload_folder()):
        raise Refused(f"{name} must be {UPLOAD} or an http(s) URL, got {quote(path)}")


def check_editor(name: str, value) -> None:
    """An image-editor value: {"background": file, "layers": [file, ...], "composite": file or null}."""
    shape = '{"background": file, "layers": [file, ...], "composite": null}'
    if value is None:
        return
    if not isinstance(value, dict) or not set(value) <= EDITOR_KEYS:
        raise Refused(f"{name} must be an image-editor value {shape}, got {quote(value)}")
    layers = value.get("layers") or []
    if not isinstance(layers, list):
        raise Refused(f"{name}'s layers must be a list of files, got {quote(layers)}")
    if value.get("id") is not None and not isinstance(value["id"], str):
        raise Refused(f"{name}'s id must be text, got {quote(value['id'])}")
    parts = [("background", value.get("background")), ("composite", value.get("composite"))]
    for what, file in parts + [(f"layer {i + 1}", layer) for i, layer in enumerate(layers)]:
        if file is not None:
            check_file(f"{name}'s {what}", file)


def check_choice(name: str, value, component: gr.Dropdown) -> None:
    values = [choice[1] if isinstance(choice, tuple | list) else choice for choice in component.choices]
    if value is None or component.multiselect or component.allow_custom_value:
        return  # Gradio's own checks follow
    if not isinstance(value, str | int | float) or value not in values:
        raise Refused(f"{name} must be one of {values}, got {quote(value)}")


def check_number(name: str, value, component: gr.Slider) -> None:
    low, high, step = component.minimum, component.maximum, component.step
    integral = all(float(x).is_integer() for x in (low, high, step))
    kind = "an integer" if integral else "a number"
    finite = isinstance(value, int | float) and not isinstance(value, bool) and -1e300 < value < 1e300  # no NaN
    if not finite or not low <= value <= high or (integral and not float(value).is_integer()):
        raise Refused(f"{name} must be {kind} from {low:g} to {high:g}, got {quote(value)}")


def check_text(name: str, value, component) -> None:
    if value is None or (isinstance(value, dict) and isinstance(component, gr.Code)):  # a JSON object as given
        size = len(repr(value))
    elif isinstance(value, str):
        size = len(value)
    else:
        kind = "JSON text or a JSON object" if isinstance(component, gr.Code) else "text"
        raise Refused(f"{name} must be {kind}, got {quote(value, 40)}")
    if size > MAX_TEXT:
        raise Refused(f"{name} may be at most {MAX_TEXT} characters, got {size}")


def check_argument(name: str, value, component) -> None:
    """One argument against what its component takes; Refused naming it where it is not."""
    if isinstance(component, gr.ImageEditor):
        check_editor(name, value)
    elif isinstance(component, gr.Dropdown):
        check_choice(name, value, component)
    elif isinstance(component, gr.Slider):
        check_number(name, value, component)
    elif isinstance(component, gr.Textbox | gr.Code):
        check_text(name, value, component)


def check_arguments(block_fn, inputs: list, state) -> None:
    """Every argument of an event (its session's components, as updated, where it has them)."""
    names = parameter_names(block_fn)
    if len(inputs) < len(block_fn.inputs):
        raise Refused(f"{block_fn.name} takes {len(names)} arguments ({', '.join(names)}), got {len(inputs)}")
    for name, component, value in zip(names, block_fn.inputs, inputs, strict=False):
        if component.stateful:
            continue
        if state is not None and component._id in state:
            component = state[component._id]
        check_argument(name, value, component)


def install_argument_checks(blocks: gr.Blocks) -> None:
    """Check each event's arguments before Gradio's preprocessing; what it still refuses comes back as one
    sentence naming the event, not Gradio's text (which may hold the value or the server's folders)."""
    if getattr(blocks, "_checks_arguments", False):
        return
    preprocess_data = blocks.preprocess_data

    async def checked(block_fn, inputs, state, explicit_call=False):
        try:
            check_arguments(block_fn, inputs, state)
            return await preprocess_data(block_fn, inputs, state, explicit_call)
        except Refused as refused:
            raise gr.Error(str(refused)) from None
        except gr.Error:
            raise
        except Exception as error:
            names = ", ".join(parameter_names(block_fn))
            raise gr.Error(
                f"{block_fn.name}: an argument could not be read ({type(error).__name__}); it takes {names}, "
                "as /gradio_api/info describes them"
            ) from None

    blocks.preprocess_data = checked
    blocks._checks_arguments = True
