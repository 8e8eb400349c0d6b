"""What leaves the core as files: ComfyUI workflows (workflow.py), the export with the image and a Python
snippet (export.py), `.latent` files (latent_file.py), and images named by their content (image_files.py)."""
