"""The Explore page's state in the URL: ?model=NAME&z=X,Y[,...]&label=K&view=VIEW.

Pure parsing (no streamlit) so it is unit-tested; every bad value gives one message and
is ignored, never a crash.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

VIEWS = ("manifold", "sample", "interpolate", "draw")
MAX_ABS_Z = 1e3


@dataclass
class UrlState:
    model: str | None = None
    z: list[float] | None = None
    label: int | None = None
    view: str | None = None
    problems: list[str] = field(default_factory=list)


def _one(params, key):
    value = params.get(key)
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else None
    return value


def parse(params, *, model_names, latent_dims: dict[str, int]) -> UrlState:
    """params: a mapping like st.query_params. Unknown or bad values become problems.
    Without a (valid) model the page opens the first one, so z is checked against it."""
    out = UrlState()
    model = _one(params, "model")
    if model is not None:
        if model in model_names:
            out.model = model
        else:
            out.problems.append(f"the link names a model that is not here ({model[:60]!r}); "
                                "showing the first model instead")
    z_text = _one(params, "z")
    if z_text is not None:
        shown = out.model or (list(model_names)[0] if model_names else "")
        out.z = _parse_z(z_text, latent_dims.get(shown), out.problems)
    label = _one(params, "label")
    if label is not None:
        try:
            out.label = int(label)
            if not 0 <= out.label < 1000:
                raise ValueError
        except ValueError:
            out.label = None
            out.problems.append(f"ignored label {label[:20]!r}: expected a class number")
    view = _one(params, "view")
    if view is not None:
        if view in VIEWS:
            out.view = view
        else:
            out.problems.append(f"ignored view {view[:20]!r}: expected one of {', '.join(VIEWS)}")
    return out


def _parse_z(text: str, dim: int | None, problems: list[str]) -> list[float] | None:
    try:
        z = [float(v) for v in str(text).split(",")]
    except ValueError:
        problems.append(f"ignored z {str(text)[:40]!r}: expected numbers like z=1.5,-0.25")
        return None
    if not z or not all(math.isfinite(v) and abs(v) <= MAX_ABS_Z for v in z):
        problems.append("ignored z: every coordinate must be a finite number below 1000")
        return None
    if dim is not None and len(z) != dim:
        problems.append(f"ignored z: the model's latent space has {dim} dimensions, "
                        f"the link gave {len(z)}")
        return None
    return z


def format_z(z) -> str:
    return ",".join(f"{float(v):.4g}" for v in z)
