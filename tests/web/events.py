"""Running a page's handlers without a browser: find an event by its handler, send its values as the server does."""

from gradio import processing_utils
from gradio.data_classes import GradioModel, GradioRootModel


def event_of(page, handler):
    """The page's event whose function is `handler`."""
    for block_fn in page.fns.values():
        if getattr(block_fn.fn, "__name__", None) == handler.__name__:
            return block_fn
    raise LookupError(handler.__name__)


def send(event, values) -> None:
    """What the server does with a handler's values: postprocess (unless the event opts out), then cache files."""
    for component, value in zip(event.outputs, values, strict=True):
        if isinstance(value, dict) and value.get("__type__") == "update":
            continue  # gr.skip(): nothing sent
        if event.postprocess:
            value = component.postprocess(value)
        if isinstance(value, GradioModel | GradioRootModel):
            value = value.model_dump()
        processing_utils.move_files_to_cache(value, component, postprocess=True)


def nothing(*args, **kwargs) -> None:
    """A stand-in for gr.Progress."""
