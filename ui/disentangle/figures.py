"""Figures of the Disentanglement page. Pure: numpy in, go.Figure out; never streamlit."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from aae_core.analysis.morphometry import MEASURES, UNITS
from ui.plain_text import plain_html

#: One colour per measure, the same in every strip's chart.
MEASURE_COLORS = dict(zip(MEASURES, ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                     "#8c564b"), strict=True))


def importance_heatmap(importance: np.ndarray, factor_names, *, height: int = 320) -> go.Figure:
    """DCI's importance R (D, K) as a heatmap, factors down and latent dimensions across:
    each factor's row sums to 1 (how its prediction shares out over the dimensions)."""
    d = importance.shape[0]
    names = [plain_html(n, limit=30) for n in factor_names]
    dims = [f"z[{i}]" for i in range(d)]
    fig = go.Figure(go.Heatmap(
        z=importance.T, x=dims, y=names, zmin=0, zmax=1, colorscale="Blues",
        text=np.round(importance.T, 2), texttemplate="%{text:.2f}" if d <= 16 else "",
        hovertemplate="%{y} from %{x}: importance %{z:.2f}<extra></extra>",
        colorbar=dict(title=dict(text="importance", side="right"), thickness=12),
    ))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=30),
                      yaxis=dict(autorange="reversed"), xaxis=dict(side="bottom"))
    return fig


def measure_lines(offsets: np.ndarray, measures: np.ndarray, spread: np.ndarray, *,
                  height: int = 240) -> go.Figure:
    """The six measures of one strip's digits (S, 6) against the step (S,) in standard
    deviations of the code, each as its change from the strip's middle digit in units of
    `spread` (6,) (how much that measure varies over all strips), so that the measure a
    dimension controls climbs or falls steeply and the others stay flat. Hover gives the
    measured value in its own unit."""
    middle = measures[len(measures) // 2]
    fig = go.Figure()
    for j, name in enumerate(MEASURES):
        change = (measures[:, j] - middle[j]) / spread[j]
        fig.add_trace(go.Scatter(
            x=offsets, y=change, mode="lines+markers", name=name,
            line=dict(color=MEASURE_COLORS[name], width=2), marker=dict(size=5),
            customdata=measures[:, j],
            hovertemplate=f"{name} %{{customdata:.2f}} {UNITS[name]} at %{{x:+.1f}} sd"
                          "<extra></extra>",
        ))
    fig.update_layout(height=height, margin=dict(l=40, r=10, t=10, b=10),
                      plot_bgcolor="white", uirevision="keep",
                      legend=dict(orientation="h", y=-0.15, yanchor="top",
                                  font=dict(size=11)))
    fig.update_xaxes(ticksuffix=" sd", gridcolor="#eee", zeroline=False)  # the code's step
    fig.update_yaxes(title=dict(text="change, in sd", font=dict(size=11)), gridcolor="#eee",
                     zerolinecolor="#bbb")
    return fig
