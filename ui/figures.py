"""Figure builders. Pure functions: numpy in, go.Figure out (or, for the AAE vs VAE page's
occupancy bars, an SVG string); never import streamlit."""

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


MODEL_COLORS = ("#0068c9", "#ff2b2b", "#29b09d")  # one a compared model, in order


def occupancy_svg(rows: dict[str, np.ndarray], *, width: int = 480, height: int = 260) -> str:
    """Per-component share of codes for each model (K groups of bars, one bar a model) and
    the ideal 1/K as a dotted line, as an inline SVG (scales to its container's width).

    SVG rather than Plotly: the AAE vs VAE page then loads no chart library at all (its
    packing panels are canvases, ui/packing.py). Each bar's <title> gives its value."""
    models = list(rows)[:len(MODEL_COLORS)]
    k = max((len(rows[m]) for m in models), default=0)
    left, right, top, bottom = 52, 10, 30, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([1 / k if k else 0.1] + [float(np.max(rows[m])) for m in models if len(rows[m])])
    step = next(s for s in (0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0) if peak / s <= 6)
    y_top = step * np.ceil(peak * 1.05 / step)

    def y(v: float) -> float:
        return top + plot_h * (1 - v / y_top)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
           f'width="100%" role="img" aria-label="Share of held-out codes per mixture '
           f'component" style="font-size: 12px; font-family: inherit; fill: currentColor; '
           f'max-width: {width * 1.5}px">']
    for i in range(int(round(y_top / step)) + 1):  # the y grid and its labels
        v = i * step
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
                   f'stroke="currentColor" stroke-opacity="{0.3 if i == 0 else 0.1}"/>'
                   f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" '
                   f'fill-opacity="0.75">{v:g}</text>')
    group = plot_w / max(k, 1)
    bar = group * 0.8 / max(len(models), 1)
    for c in range(k):
        x0 = left + c * group + group * 0.1
        out.append(f'<text x="{left + (c + 0.5) * group:.1f}" y="{top + plot_h + 15}" '
                   f'text-anchor="middle" fill-opacity="0.75">{c}</text>')
        for j, m in enumerate(models):
            if c >= len(rows[m]):
                continue
            v = float(rows[m][c])
            out.append(f'<rect x="{x0 + j * bar:.1f}" y="{y(v):.1f}" width="{bar:.1f}" '
                       f'height="{max(y(0) - y(v), 0):.1f}" fill="{MODEL_COLORS[j]}">'
                       f'<title>{plain_html(m)} · component {c}: {100 * v:.1f} %</title></rect>')
    if k:  # the ideal, named in the legend's row
        dotted = 'stroke="currentColor" stroke-dasharray="3 3" stroke-opacity="0.8"'
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(1 / k):.1f}" '
                   f'y2="{y(1 / k):.1f}" {dotted}/><line x1="{width - right - 96}" '
                   f'x2="{width - right - 76}" y1="13.5" y2="13.5" {dotted}/><text '
                   f'x="{width - right}" y="18" text-anchor="end">uniform 1/K</text>')
    out.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle">'
               f'mixture component</text><text transform="translate(13 {top + plot_h / 2:.1f}) '
               f'rotate(-90)" text-anchor="middle">share of codes</text>')
    x = left
    for j, m in enumerate(models):  # the legend, above the plot
        name = plain_html(m, limit=30)
        out.append(f'<rect x="{x}" y="8" width="11" height="11" fill="{MODEL_COLORS[j]}"/>'
                   f'<text x="{x + 16}" y="18">{name}</text>')
        x += 28 + 7 * len(m[:30])
    out.append("</svg>")
    return "".join(out)


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
