"""Plotly figure builders. Pure functions: numpy in, go.Figure out; never import streamlit."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from aae_core.images import PALETTE
from ui.plain_text import plain_html


def color(label: int) -> str:
    return PALETTE[int(label) % len(PALETTE)]


def _square_layout(fig: go.Figure, bounds, *, height: int, title: str = "") -> go.Figure:
    xmin, xmax, ymin, ymax = bounds
    fig.update_layout(
        title=dict(text=plain_html(title), x=0.02, font=dict(size=14)), height=height,
        margin=dict(l=40, r=10, t=36 if title else 10, b=30),
        plot_bgcolor="white", legend=dict(itemsizing="constant", font=dict(size=11)),
        uirevision="keep",
    )
    fig.update_xaxes(range=[xmin, xmax], showgrid=True, gridcolor="#eee", zeroline=True,
                     zerolinecolor="#ccc", constrain="domain")
    fig.update_yaxes(range=[ymin, ymax], showgrid=True, gridcolor="#eee", zeroline=True,
                     zerolinecolor="#ccc", scaleanchor="x", scaleratio=1)
    return fig


def latent_scatter(codes: np.ndarray, labels: np.ndarray, class_names, bounds, *,
                   title: str = "", height: int = 460, marker_size: int = 4,
                   extra: dict | None = None, webgl: bool = True) -> go.Figure:
    """Held-out codes (N, 2) as one Scattergl trace per class (legend toggles a class).

    Hover shows the class and the point's index in the held-out set. `extra` may add
    one highlighted point: {"xy": (x, y), "name": "your drawing"}. webgl=False draws SVG
    markers instead: cheaper for a few thousand points redrawn every few seconds (the
    Train page's live map), and it holds no WebGL context.
    """
    fig = go.Figure()
    index = np.arange(len(codes))
    trace = go.Scattergl if webgl else go.Scatter
    for k, name in enumerate(plain_html(n, limit=60) for n in class_names):
        mask = labels == k
        if not mask.any():
            continue
        fig.add_trace(trace(
            x=codes[mask, 0], y=codes[mask, 1], mode="markers", name=str(name),
            marker=dict(size=marker_size, color=color(k), opacity=0.7),
            customdata=index[mask],
            hovertemplate=f"{name} · held-out #%{{customdata}}<br>z = (%{{x:.2f}}, %{{y:.2f}})"
                          "<extra></extra>",
        ))
    if extra:
        fig.add_trace(go.Scatter(
            x=[extra["xy"][0]], y=[extra["xy"][1]], mode="markers+text",
            name=extra.get("name", "point"), text=[extra.get("name", "")],
            textposition="top center",
            marker=dict(size=16, symbol="star", color="black", line=dict(color="white", width=1)),
        ))
    return _square_layout(fig, bounds, height=height, title=title)


def shared_bounds(prior_box, code_sets, *, max_zoom_out: float = 1.6) -> tuple:
    """One square box for side-by-side panels: the prior's box widened to hold 99 % of
    every set of codes (N, >=2), but never more than `max_zoom_out` times the prior's
    half-width around its centre (far outliers then lie off the panels)."""
    xmin, xmax, ymin, ymax = prior_box
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    half = max(xmax - xmin, ymax - ymin) / 2
    for codes in code_sets:
        pts = np.asarray(codes)[:, :2]
        lo, hi = np.percentile(pts, 0.5, axis=0), np.percentile(pts, 99.5, axis=0)
        half = max(half, cx - lo[0], hi[0] - cx, cy - lo[1], hi[1] - cy)
    half = min(half, max_zoom_out * max(xmax - xmin, ymax - ymin) / 2)
    return (float(cx - half), float(cx + half), float(cy - half), float(cy + half))


def loss_curves(steps: list[int], history: dict[str, list[float]], *, height=300) -> go.Figure:
    """One line per logged loss against the optimizer step."""
    fig = go.Figure()
    for name, values in history.items():
        n = min(len(values), len(steps))
        fig.add_trace(go.Scatter(x=steps[-n:], y=values[-n:], mode="lines", name=name))
    fig.update_layout(height=height, margin=dict(l=40, r=10, t=10, b=30),
                      xaxis_title="step", yaxis_title="loss", plot_bgcolor="white",
                      legend=dict(orientation="h", y=1.12), uirevision="keep")
    fig.update_yaxes(type="log", gridcolor="#eee")
    return fig


def confusion_figure(matrix: np.ndarray, class_names, *, height=380) -> go.Figure:
    """Rows: true class; columns: predicted class; counts as text."""
    names = [plain_html(c, limit=60) for c in class_names]
    fig = go.Figure(go.Heatmap(z=matrix, x=names, y=names, colorscale="Blues", showscale=False,
                               text=matrix, texttemplate="%{text}",
                               hovertemplate="true %{y}, predicted %{x}: %{z}<extra></extra>"))
    fig.update_layout(height=height, margin=dict(l=50, r=10, t=10, b=40),
                      xaxis_title="predicted", yaxis_title="true")
    fig.update_xaxes(type="category")  # every class name as a tick, even "0".."9"
    fig.update_yaxes(type="category", autorange="reversed")
    return fig


def occupancy_figure(rows: dict[str, np.ndarray], *, height=260) -> go.Figure:
    """Per-component share of codes for each model (bars); the ideal 1/K as a line."""
    fig = go.Figure()
    k = 0
    for name, occ in rows.items():
        k = len(occ)
        fig.add_trace(go.Bar(x=list(range(k)), y=occ, name=name))
    if k:
        fig.add_hline(y=1 / k, line_dash="dot", annotation_text="uniform 1/K")
    fig.update_layout(height=height, barmode="group", margin=dict(l=40, r=10, t=10, b=30),
                      xaxis_title="mixture component", yaxis_title="share of codes",
                      plot_bgcolor="white")
    fig.update_xaxes(dtick=1)  # every component numbered
    return fig


def heads_figure(codes: np.ndarray, labels: np.ndarray, class_names, heads: np.ndarray, bounds,
                 *, title: str = "", height: int = 480) -> go.Figure:
    """Dimensionality reduction (paper Fig. 5 style): codes (N, 2) coloured by label, and the
    learned cluster heads (2, K), i.e. the columns of W_c, as numbered black crosses."""
    heads = np.asarray(heads)
    if heads.ndim != 2 or heads.shape[0] < 2:
        raise ValueError(f"heads must be (latent_dim >= 2, K), got shape {heads.shape}")
    fig = latent_scatter(codes, labels, class_names, bounds, title=title, height=height,
                         marker_size=3)
    k = np.arange(heads.shape[1])
    fig.add_trace(go.Scatter(
        x=heads[0], y=heads[1], mode="markers+text", name="cluster heads",
        text=[f"h{i}" for i in k], textposition="top center",
        textfont=dict(size=12, color="black"),
        marker=dict(size=13, symbol="x", color="black", line=dict(color="white", width=1)),
        hovertemplate="head %{text}<br>W_c column = (%{x:.2f}, %{y:.2f})<extra></extra>",
    ))
    return fig


def hold_figure(hold: np.ndarray, bounds, z, *, box=None, threshold: float = 0.9,
                height: int = 300) -> go.Figure:
    """Where the label holds: hold (n, n) in [0, 1] (row 0 = top) as a heatmap over bounds,
    its `threshold` contour, the pad's box and the current z (x, y)."""
    xmin, xmax, ymin, ymax = bounds
    n = hold.shape[0]
    xs, ys = np.linspace(xmin, xmax, n), np.linspace(ymax, ymin, n)
    fig = go.Figure(go.Heatmap(
        x=xs, y=ys, z=hold * 100, zmin=0, zmax=100, colorscale=[[0, "#f4cccc"], [1, "#d9ead3"]],
        colorbar=dict(title=dict(text="% labels<br>recovered", font=dict(size=11)),
                      thickness=10, len=0.8), hovertemplate="z=(%{x:.2f}, %{y:.2f})<br>"
        "%{z:.0f} % of labels drawn as asked<extra></extra>"))
    fig.add_trace(go.Contour(
        x=xs, y=ys, z=hold, contours=dict(start=threshold, end=threshold, coloring="none"),
        line=dict(color="#38761d", width=2), showscale=False, hoverinfo="skip"))
    if box is not None:
        bx0, bx1, by0, by1 = box
        fig.add_shape(type="rect", x0=bx0, x1=bx1, y0=by0, y1=by1,
                      line=dict(color="#333", width=1.5, dash="dash"))
    fig.add_trace(go.Scatter(x=[z[0]], y=[z[1]], mode="markers", hoverinfo="skip",
                             marker=dict(size=12, color="#d62728", line=dict(color="white",
                                                                             width=2))))
    fig.update_layout(showlegend=False)
    return _square_layout(fig, bounds, height=height)
