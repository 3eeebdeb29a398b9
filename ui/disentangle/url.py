"""The Disentanglement page's state in the URL, so a shared link restores it:

    ?model=NAME&at=mean|I&label=K&steps=S

(the model; the code the other dimensions are held at: the mean of the codes or held-out
digit I's code; the label given to decoders that take one; digits along each traversal).
Pure parsing, unit-tested: a bad value gives one message, its key is listed in `rejected`
(the page removes it from the URL), and it is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

from aae_core.analysis.traversal import STEPS
from ui.url_state import MAX_HELD_OUT, Rejections, one_param, whole_param

KEYS = ("at", "label", "steps")
MEAN = "mean"


@dataclass
class PageState(Rejections):
    at: str | int | None = None  # MEAN or a held-out index
    label: int | None = None
    steps: int | None = None


def parse(params, *, n_held_out: int | None = None, n_labels: int = 0) -> PageState:
    """params: a mapping like st.query_params; `n_held_out`: the codes a held-out index may
    name (None: not known yet); `n_labels`: the labels the model's decoder takes (0: none,
    and a label in the link is then ignored without a word)."""
    out = PageState()
    at = one_param(params, "at")
    if at is not None:
        last = (n_held_out - 1) if n_held_out else MAX_HELD_OUT
        out.at = MEAN if at == MEAN else whole_param(at, 0, last)
        if out.at is None:
            out.reject("at", f"ignored at={at[:20]!r}: expected “mean” or a held-out digit "
                             f"number from 0 to {last:,}")
    label = one_param(params, "label")
    if label is not None and n_labels:
        out.label = whole_param(label, 0, n_labels - 1)
        if out.label is None:
            out.reject("label", f"ignored label={label[:20]!r}: expected a label from 0 to "
                                f"{n_labels - 1}")
    steps = one_param(params, "steps")
    if steps is not None:
        out.steps = whole_param(steps, *STEPS)
        if out.steps is None:
            out.reject("steps", f"ignored steps={steps[:20]!r}: expected {STEPS[0]} to "
                                f"{STEPS[1]} digits")
    return out
