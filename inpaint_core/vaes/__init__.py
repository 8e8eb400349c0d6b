"""VAEs as users have them, behind one type: `VAE` (vae.py) and `load_vae` (loaders.py) for tiny
autoencoders, diffusers folders, single files and the built-in approximation (approx.py), with tiles chosen
from a memory budget (tiling.py); `VAERegistry` (registry.py) offers them to a page by label."""
