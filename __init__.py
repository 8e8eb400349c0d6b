"""The repository as a ComfyUI custom node pack: `git clone` it into `ComfyUI/custom_nodes/`.

ComfyUI imports this file as a package named after its folder, so the nodes come in by a relative
import. pytest imports it too (the folder holds the test package), as a lone module where the
folder's name is no Python identifier: then `inpaint_core` is on the path and comes in by name.
The mappings are `inpaint_core`'s own, so linking `inpaint_core/` alone gives the same nodes.
Nothing here imports the page (app.py) or gradio.
"""

if __package__:
    from .inpaint_core import NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS
else:
    from inpaint_core import NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS"]
