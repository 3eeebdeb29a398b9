"""The Disentanglement page's state in the URL, so a shared link restores it:

    ?model=NAME&at=mean|I&label=K&steps=S

(the model; the code the other dimensions are held at: the mean of the codes or held-out
digit I's code; the label given to decoders that take one; digits along each traversal).
Pure parsing, unit-tested: a bad value gives one message, its key is listed in `rejected`
(the page removes it from the URL), and it is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aae_core.analysis.traversal import STEPS

KEYS = ("at", "label", "steps")
MEAN = "mean"
MAX_HELD_OUT = 10**7  # before the model's held-out count is known


@dataclass
class PageState:
    at: str | int | None = None  # MEAN or a held-out index
    label: int | None = None
    steps: int | None = None
    problems: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)

    def reject(self, key: str, problem: str) -> None:
        self.problems.append(problem)
        self.rejected.append(key)


def _one(params, key: str) -> str | None:
    value = params.get(key)
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else None
    return None if value is None else str(value)


def _whole(text: str, low: int, high: int) -> int | None:
    try:
        value = int(text.strip())
    except ValueError:
        return None
    return value if low <= value <= high else None


def parse(params, *, n_held_out: int | None = None, n_labels: int = 0) -> PageState:
    """params: a mapping like st.query_params; `n_held_out`: the codes a held-out index may
    name (None: not known yet); `n_labels`: the labels the model's decoder takes (0: none,
    and a label in the link is then ignored without a word)."""
    out = PageState()
    at = _one(params, "at")
    if at is not None:
        last = (n_held_out - 1) if n_held_out else MAX_HELD_OUT
        out.at = MEAN if at == MEAN else _whole(at, 0, last)
        if out.at is None:
            out.reject("at", f"ignored at={at[:20]!r}: expected “mean” or a held-out digit "
                             f"number from 0 to {last:,}")
    label = _one(params, "label")
    if label is not None and n_labels:
        out.label = _whole(label, 0, n_labels - 1)
        if out.label is None:
            out.reject("label", f"ignored label={label[:20]!r}: expected a label from 0 to "
                                f"{n_labels - 1}")
    steps = _one(params, "steps")
    if steps is not None:
        out.steps = _whole(steps, *STEPS)
        if out.steps is None:
            out.reject("steps", f"ignored steps={steps[:20]!r}: expected {STEPS[0]} to "
                                f"{STEPS[1]} digits")
    return out
