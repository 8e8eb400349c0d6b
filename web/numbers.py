"""The numbers as a short table for people: one row a quantity, one line saying what it means.

The JSON on /compare keeps the machine names (inpaint_core.analysis.report.summary); this is the page's reading of it.
"""

from html import escape

from inpaint_core.analysis.report import cell_text
from inpaint_core.compare import MethodResult

NUMBERS_CSS = """
.numbers { font-size: 0.85rem; border-collapse: collapse; width: 100%; }
.numbers th, .numbers td { padding: 2px 6px; text-align: left; border-bottom: 1px solid var(--border-color-primary); }
.numbers .meaning { opacity: 0.75; font-size: 0.75rem; font-weight: normal; }
.numbers th:first-child { width: 55%; }
"""
ROWS = [
    ("noise_mask_area", "noise mask (px)", "pixels the sampler may repaint"),
    ("grey_area", "grey (px)", "pixels set to 0.5 grey before encoding"),
    (
        "edge_cells",
        "edge cells",
        "latent cells the noise mask's edge cuts (or its soft edge covers): repainted in part",
    ),
    ("halo_risk_cells", "grey-halo cells", "cells holding grey the sampler does not fully repaint: grey may show"),
    ("drift_psnr_db", "drift outside (dB)", "how well the VAE round trip keeps the unmasked pixels; higher is better"),
    ("latent_shape", "latent", "batch × channels × height × width of the LATENT"),
]


def step_times(method: MethodResult) -> dict[str, str]:
    """encode and decode as measured, or 'from cache' beside the time they first took."""
    latent = method.latent
    if latent is None:
        return {"encode": "pending", "decode": "pending"}
    said = "from cache, took {:.0f} ms" if method.latent_cached else "{:.0f} ms"
    return {step: said.format(ms) for step, ms in latent.timings_ms.items() if step in ("encode", "decode")}


def preview_note(method: MethodResult) -> str:
    """One line under a decoded preview: its encode and decode times (with what a release recomputed, where it
    reused the previous pass: "16% recomputed", "whole: group norms"), and whether it came from the cache."""
    times, reuse = method.latent.timings_ms, method.latent.reuse
    said = " · ".join(
        f"{step} {times[step]:.0f} ms" + (f" ({reuse[step]})" if step in reuse else "") for step in ("encode", "decode")
    )
    return f"from cache (took {said})" if method.latent_cached else said


def _heading(text: str) -> str:
    """A column's heading: its method in bold, its settings (after the first ' · ') in small type below."""
    title, _, settings = text.partition(" · ")
    return f"<th>{escape(title)}<div class='meaning'>{escape(settings)}</div></th>"


def numbers_table(vae_name: str, columns: list[tuple[str, dict, dict]]) -> str:
    """HTML: rows of ROWS and the step times, a column per page column, the explanation beside each row.

    Each column is (heading, values by ROWS' keys, encode and decode times): columns.numbers_column."""
    cells = [(head, [values.get(key) for key, _, _ in ROWS] + [times.get(s) for s in ("encode", "decode")])
             for head, values, times in columns]  # fmt: skip
    meanings = [(label, meaning) for _, label, meaning in ROWS] + [
        ("encode", "time to encode the pixels"),
        ("decode", "time to decode the preview"),
    ]
    body = "".join(
        f"<tr><th>{escape(label)}<div class='meaning'>{escape(meaning)}</div></th>"
        + "".join(f"<td>{escape(cell_text(values[i]))}</td>" for _, values in cells)
        + "</tr>"
        for i, (label, meaning) in enumerate(meanings)
    )
    head = f"<tr><th>{escape(vae_name)}</th>" + "".join(_heading(h) for h, _ in cells)
    return f"<table class='numbers'><thead>{head}</tr></thead><tbody>{body}</tbody></table>"
