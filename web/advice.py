"""What to set: each method's recommended amount with a button that sets its slider, and the warnings.

The buttons act in the browser (ADVICE_JS): they move the slider as a person would, so the masks follow at
once and the release asks the server for the latents, as after a drag.
"""

from html import escape

import gradio as gr

from inpaint_core.preparations import METHODS

from .methods.pickers import PLACES

ADVICE_JS = """
element.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-slider]');
  if (!button) return;
  const input = document.querySelector(`#${button.dataset.slider} input[type=range]`);
  if (!input) return;
  input.value = button.dataset.amount;
  input.dispatchEvent(new Event('input', { bubbles: true }));
  input.dispatchEvent(new PointerEvent('pointerup', { bubbles: true }));
});
"""
ADVICE_CSS = """
.advice { display: grid; grid-template-columns: 1fr 1fr; gap: 4px 12px; font-size: 0.82rem; line-height: 1.3; }
.advice p { margin: 0; }
.advice button { margin-left: 4px; padding: 0 8px; border-radius: 4px; font-size: inherit; line-height: 1.5; border: 1px solid var(--button-primary-border-color);
  background: var(--button-primary-background-fill); color: var(--button-primary-text-color); cursor: pointer; }
.advice .warnings { grid-column: 1 / -1; color: var(--color-accent); }
@media (max-width: 720px) { .advice { grid-template-columns: 1fr; } }
"""


def advice_panel() -> gr.HTML:
    return gr.HTML("", elem_id="advice", css_template=ADVICE_CSS, js_on_load=ADVICE_JS, padding=False)


def advice_html(report: dict, others: dict[str, str] | None = None) -> str:
    """Per column, its node's recommended amount (a button that sets the column's slider where there is an
    amount to set); then the warnings. A column holding another method (`others`: by place, its title and how
    it is drawn) says so instead."""
    parts = []
    for place, method in PLACES.items():
        name, title = METHODS[method].amount, METHODS[method].title
        if others and place in others:
            title, how = others[place]
            parts.append(f"<p><b>{escape(title)}:</b> {escape(how)}; no amount to recommend.</p>")
            continue
        advice, current = report["recommendation"][method], report[method][name]
        sentence, amount, button = advice["sentence"], advice["amount"], ""
        if amount is not None and amount != current:
            button = f"<button data-slider='{place}-amount' data-amount='{amount}'>set {name} = {amount}</button>"
        elif amount is not None:
            sentence = as_set(sentence, name, amount)
        parts.append(f"<p><b>{title}:</b> {escape(sentence)}{button}</p>")
    if report["warnings"]:
        items = "".join(f"<li>{escape(note)}</li>" for note in report["warnings"])
        parts.append(f"<ul class='warnings'>{items}</ul>")
    return f"<div class='advice'>{''.join(parts)}</div>"


def as_set(sentence: str, name: str, amount: int) -> str:
    """The recommendation once the slider holds it: 'Set grow_mask_by to 9: why.' -> 'grow_mask_by = 9, as
    recommended: why.'"""
    asked = f"Set {name} to {amount}: "
    return (
        f"{name} = {amount}, as recommended: {sentence.removeprefix(asked)}" if sentence.startswith(asked) else sentence
    )
