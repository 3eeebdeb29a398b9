"""The app's state in the URL: the one module every page reads and writes links through,
so a shared link restores what a teacher set.

    Explore:        ?model=NAME&z=X,Y[,...]&label=K&view=VIEW&seed=S&n=N&from=I&to=J
                    &a=X,Y[,...]&b=X,Y[,...]
                    (model, pad position, decoder label, view, sample seed, lattice size,
                    interpolation ends as held-out indices, and where the two ends are:
                    a dragged end is anywhere; ui/explore_link.py maps them to the Explore
                    page's widgets)
    every page:     ?model=NAME, the model in view (ui/model_choice.py); ?present=1 opens
                    the page in presentation mode (ui/present.py)
    Style vs Label: ?z=X,Y[,...]&label=K&mode=style|label (`parse_style`)
    AAE vs VAE:     ?prior=gaussian|mixture (`parse_prior`)

Two halves. The parsers (`parse`, `parse_prior`, `clamp_note`) are pure functions of a
mapping like st.query_params, unit-tested: every bad value gives one message, its key is
listed in `rejected` (the page removes it from the URL), and it is ignored, never a crash.
`PageLink` is the one Streamlit side: a page's keys in the URL, read when a link is new
(the keys differ from what the page last wrote or saw), written back on every run. A model
the link names that is not here is reported by ui/model_choice.py, which knows the model
actually shown.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import streamlit as st

VIEWS = ("manifold", "sample", "interpolate", "draw")
MAX_ABS_Z = 1e3
LATTICE_RANGE = (5, 30)  # the Manifold view's slider
MAX_SEED = 10**6
MAX_HELD_OUT = 10**7  # before the model (and its held-out count) is known
# every key this module reads; the page writes the same ones back
KEYS = ("model", "z", "label", "view", "seed", "n", "from", "to", "a", "b")
STYLE_KEYS = ("z", "label", "mode")


@dataclass
class Rejections:
    """What a link's parser refused: one message each (`problems`) and the URL keys to
    remove (`rejected`). Every page's URL state builds on it."""

    problems: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # URL keys to remove

    def reject(self, key: str, problem: str) -> None:
        self.problems.append(problem)
        self.rejected.append(key)


@dataclass
class UrlState(Rejections):
    model: str | None = None
    z: list[float] | None = None
    label: int | None = None
    view: str | None = None
    seed: int | None = None
    lattice: int | None = None
    ends: tuple[int | None, int | None] = (None, None)  # interpolation: held-out indices
    end_z: tuple[list[float] | None, list[float] | None] = (None, None)  # where the ends are
    mode: str | None = None  # Style vs Label: what to vary
    applied_to: str | None = None  # the model whose views got this link's settings


def one_param(params, key: str) -> str | None:
    """The value of `key` in a link's parameters (the last one when it is repeated)."""
    value = params.get(key)
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else None
    return None if value is None else str(value)


def whole_param(text, low: int, high: int) -> int | None:
    """`text` as a whole number from `low` to `high`, else None."""
    try:
        value = int(str(text).strip())
    except ValueError:
        return None
    return value if low <= value <= high else None


def parse(params, *, model_names, latent_dims: dict[str, int], n_held_out: int | None = None,
          fallback: str | None = None) -> UrlState:
    """params: a mapping like st.query_params. `fallback`: the model shown when the link
    names none (or one that is not here), so z is checked against its latent size."""
    out = UrlState()
    model = one_param(params, "model")
    if model is not None and model in model_names:
        out.model = model
    shown = out.model or fallback or (list(model_names)[0] if model_names else "")
    z_text = one_param(params, "z")
    if z_text is not None:
        out.z = _parse_z(z_text, latent_dims.get(shown), out)
    _parse_label(one_param(params, "label"), out)
    view = one_param(params, "view")
    if view is not None:
        if view in VIEWS:
            out.view = view
        else:
            out.reject("view", f"ignored view {view[:20]!r}: expected one of {', '.join(VIEWS)}")
    _parse_numbers(params, out, n_held_out)
    out.end_z = tuple(_parse_point(params, key, latent_dims.get(shown), out)
                      for key in ("a", "b"))
    return out


def _parse_point(params, key: str, dim: int | None, out: UrlState) -> list[float] | None:
    text = one_param(params, key)
    if text is None:
        return None
    before = len(out.problems)
    point = _parse_z(text, dim, out)
    if len(out.problems) > before:  # _parse_z names z: this was the interpolation end
        out.rejected[-1] = key
        out.problems[-1] = out.problems[-1].replace("ignored z", f"ignored end {key}", 1)
    return point


def parse_style(params, *, latent_dim: int, n_labels: int, modes) -> UrlState:
    """Style vs Label's link: the style code z (latent_dim numbers), the label (0 to
    n_labels - 1) and what to vary (one of `modes`)."""
    out = UrlState()
    if (z_text := one_param(params, "z")) is not None:
        out.z = _parse_z(z_text, latent_dim, out)
    if (label := one_param(params, "label")) is not None:
        out.label = whole_param(label, 0, n_labels - 1)
        if out.label is None:
            out.reject("label", f"ignored label {label[:20]!r}: expected a label from 0 to "
                                f"{n_labels - 1}")
    if (mode := one_param(params, "mode")) is not None:
        if mode in modes:
            out.mode = mode
        else:
            out.reject("mode", f"ignored mode {mode[:20]!r}: expected one of "
                               f"{', '.join(modes)}")
    return out


def _parse_label(label, out: UrlState) -> None:
    if label is None:
        return
    out.label = whole_param(label, 0, 999)
    if out.label is None:
        out.reject("label", f"ignored label {label[:20]!r}: expected a class number")


def _parse_numbers(params, out: UrlState, n_held_out: int | None) -> None:
    seed = one_param(params, "seed")
    if seed is not None:
        out.seed = whole_param(seed, 0, MAX_SEED)
        if out.seed is None:
            out.reject("seed", f"ignored seed {seed[:20]!r}: expected a whole number from 0 "
                               f"to {MAX_SEED:,}")
    n = one_param(params, "n")
    if n is not None:
        out.lattice = whole_param(n, *LATTICE_RANGE)
        if out.lattice is None:
            out.reject("n", f"ignored lattice size {n[:20]!r}: expected {LATTICE_RANGE[0]} to "
                            f"{LATTICE_RANGE[1]}")
    ends = []
    for key in ("from", "to"):
        text = one_param(params, key)
        last = n_held_out - 1 if n_held_out else MAX_HELD_OUT
        value = None if text is None else whole_param(text, 0, last)
        if text is not None and value is None:
            out.reject(key, f"ignored {key}={text[:20]!r}: expected a held-out digit number "
                            f"from 0 to {last:,}")
        ends.append(value)
    out.ends = (ends[0], ends[1])


def _parse_z(text: str, dim: int | None, out: UrlState) -> list[float] | None:
    try:
        z = [float(v) for v in str(text).split(",")]
    except ValueError:
        out.reject("z", f"ignored z {str(text)[:40]!r}: expected numbers like z=1.5,-0.25")
        return None
    if not z or not all(math.isfinite(v) and abs(v) <= MAX_ABS_Z for v in z):
        out.reject("z", "ignored z: every coordinate must be a finite number below 1000")
        return None
    if dim is not None and len(z) != dim:
        out.reject("z", f"ignored z: the model's latent space has {dim} dimensions, "
                        f"the link gave {len(z)}")
        return None
    return z


def clamp_note(z, bounds, dims=(0, 1)) -> tuple[list[float], str | None]:
    """(z moved inside the pad's box (xmin, xmax, ymin, ymax), a message when it moved)."""
    z = [float(v) for v in z]
    xmin, xmax, ymin, ymax = (float(b) for b in bounds)
    moved = list(z)
    moved[dims[0]] = min(max(z[dims[0]], xmin), xmax)
    moved[dims[1]] = min(max(z[dims[1]], ymin), ymax)
    if moved == z:
        return z, None
    return moved, (f"z = ({format_z([z[dims[0]], z[dims[1]]])}) is outside this model's map "
                   f"(x {xmin:.2g} to {xmax:.2g}, y {ymin:.2g} to {ymax:.2g}); the marker "
                   f"starts at the nearest edge, ({format_z([moved[dims[0]], moved[dims[1]]])})")


def parse_prior(params, priors) -> tuple[str | None, str | None]:
    """?prior= for the comparison page: (prior or None, a problem or None)."""
    prior = one_param(params, "prior")
    if prior is None or prior in priors:
        return prior, None
    return None, f"ignored prior {prior[:20]!r}: expected one of {', '.join(priors)}"


class PageLink:
    """A page's `keys` in the URL (st.query_params), remembered per session under `page`.

    A link is new when those keys differ from what this page last wrote or saw: a link was
    opened, or the page was entered with parameters. The page reads a new link once, drops
    the parameters it rejects, and writes its state back on every run.
    """

    def __init__(self, page: str, keys: Sequence[str]):
        self.keys = tuple(keys)
        self._memo = f"_url_seen::{page}"

    def params(self) -> dict[str, str]:
        """This page's keys as the URL has them now (the last value of a repeated key)."""
        return {k: st.query_params.get(k) for k in self.keys if k in st.query_params}

    def is_new(self) -> bool:
        return self.params() != st.session_state.get(self._memo)

    def seen(self) -> None:
        """Remember the URL as it is now as this page's own (no longer a new link)."""
        st.session_state[self._memo] = self.params()

    def drop(self, *keys: str) -> None:
        for key in keys:
            if key in st.query_params:
                del st.query_params[key]
        self.seen()

    def write(self, params: dict[str, str]) -> None:
        """Put `params` in the URL (a shareable link) and remember it as this page's own."""
        st.query_params.update(params)
        self.seen()


def param(key: str) -> str | None:
    """One value of the URL as it is now (the last of a repeated key), without adopting it."""
    return st.query_params.get(key)


def current() -> dict[str, str]:
    """Every parameter of the URL as it is now (the last value of a repeated key)."""
    return {k: st.query_params.get(k) for k in st.query_params}


def format_z(z) -> str:
    return ",".join(f"{float(v):.4g}" for v in z)
