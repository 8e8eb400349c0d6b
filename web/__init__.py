"""The page around inpaint_core: handlers, what turns results into files and browser payloads, the live panels.

Gradio is allowed here; maths is not (it lives in inpaint_core, and in the browser in live_masks.js).
"""
