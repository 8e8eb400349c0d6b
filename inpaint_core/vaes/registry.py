"""The VAEs a server offers: labels for the UI, each model loaded once on first use and then shared."""

import threading
from pathlib import Path

import torch

from ..quoting import quote
from .loaders import WEIGHT_SUFFIXES, load_vae, tiny_pair_name
from .vae import VAE

APPROX = "approx"
DEFAULT_HUB_VAE = "madebyollin/taesd"
BUNDLED_TAEF2 = Path(__file__).resolve().parents[2] / "assets" / "taef2"  # MIT, see its README.md


def default_sources(hub_reachable: bool) -> list[str]:
    """What to offer with no VAE given: TAESD from the Hub where it answers, the bundled TAEF2, `approx`.

    The bundled folder is left out where it is missing (`inpaint_core/` copied on its own).
    """
    hub = [DEFAULT_HUB_VAE] if hub_reachable else []
    bundled = [str(BUNDLED_TAEF2)] if (BUNDLED_TAEF2 / "taef2_encoder.pth").is_file() else []
    return [*hub, *bundled, APPROX]


def label_of(source: str) -> str:
    """What the UI calls a source: the built-in one by its nature, files and folders by name, as ComfyUI's
    VAELoader lists them: a tiny autoencoder pair by its family (`taesd`), a single file with its extension."""
    if source == APPROX:
        return "built-in approximate (SD1.x, no weights)"
    path = Path(source)
    if path.is_file():
        return tiny_pair_name(path) or path.name
    return path.name if path.exists() else source


def scan_models_dir(models_dir: str | Path) -> list[str]:
    """Sources in a ComfyUI models folder: `vae/` single files and `vae_approx/` tiny autoencoder pairs."""
    root = Path(models_dir)
    if not root.is_dir():
        raise ValueError(f"--models-dir {models_dir}: no such folder")
    singles = sorted(p for p in (root / "vae").glob("*") if p.suffix in WEIGHT_SUFFIXES)
    tiny = sorted(p for p in (root / "vae_approx").glob("*_decoder.*") if p.suffix in WEIGHT_SUFFIXES)
    return [str(p) for p in singles + tiny]


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the Hugging Face Hub answers (for the default VAE)."""
    import urllib.request

    from huggingface_hub import constants

    try:
        urllib.request.urlopen(f"{constants.ENDPOINT}/api/models/{DEFAULT_HUB_VAE}", timeout=timeout)
        return True
    except OSError:
        return False


class VAERegistry:
    """label -> source; `get(label)` loads a VAE the first time and returns the same object after."""

    def __init__(self, sources: list[str], device: torch.device, memory_budget: int | None = None):
        """`memory_budget`: bytes of activations one encode or decode may hold before it runs in tiles
        (None: the VAE's default, see vae.py)."""
        if not sources:
            raise ValueError("no VAE sources given")
        self.device = device
        self.memory_budget = memory_budget
        self.sources = {label_of(s): s for s in sources}
        self._loaded: dict[str, VAE] = {}
        self._lock = threading.Lock()

    @property
    def labels(self) -> list[str]:
        return list(self.sources)

    def get(self, label: str) -> VAE:
        if not isinstance(label, str) or label not in self.sources:
            raise ValueError(f"vae must be one of {self.labels}, got {quote(label)}")
        with self._lock:  # one load at a time; later calls find it loaded
            if label not in self._loaded:
                vae = load_vae(self.sources[label], self.device)
                if self.memory_budget is not None:
                    vae.memory_budget = self.memory_budget
                self._loaded[label] = vae
            return self._loaded[label]
