"""The other inpaint preparations users choose, each exact to its published source (named in each module).

comfy_mask_nodes: ComfyUI's GrowMask, FeatherMask, ThresholdMask (O(H·W) whatever the amount).
"""
