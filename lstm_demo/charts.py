"""Plotly figure builders. Each returns a ``go.Figure``; none of them touches Streamlit.

Plotly reads a small HTML-like markup in every label and hover text (``<b>``, ``<br>``,
``<a href>``), so anything a person typed goes through ``escape`` before it reaches a figure.
"""

from __future__ import annotations

import html

import plotly.graph_objects as go

ACCENT = "#d62728"
BLUE = "#1f77b4"
GREY = "#9aa0a6"


def escape(text: str) -> str:
    """Make user text inert in Plotly labels: ``<img ...>`` is shown, not parsed."""
    return html.escape(str(text), quote=False)


def _layout(fig: go.Figure, title: str, y_title: str, height: int = 320) -> go.Figure:
    fig.update_layout(
        title=dict(text=title, x=0.0, xanchor="left"),
        height=height,
        margin=dict(l=10, r=10, t=40, b=10),
        hovermode="x unified",
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0),
        xaxis_title="iteration",
        yaxis_title=y_title,
        uirevision="keep",  # keep zoom/pan while the live chart redraws
    )
    return fig


def loss_figure(snap) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=snap.iterations, y=snap.loss, mode="lines", name="batch loss",
        line=dict(color=BLUE, width=1.5),
        hovertemplate="iteration %{x}<br>loss %{y:.4f}<extra></extra>",
    ))
    evals = [e for e in snap.evals if "sample" not in e]
    if evals:
        fig.add_trace(go.Scatter(
            x=[e["iteration"] for e in evals], y=[e["loss"] for e in evals],
            mode="markers", name="all training pairs", marker=dict(color=ACCENT, size=8),
            hovertemplate="iteration %{x}<br>loss on all pairs %{y:.4f}<extra></extra>",
        ))
    fig.update_yaxes(type="log", rangemode="tozero")
    return _layout(fig, "Loss (cross-entropy)", "loss (log scale)")


def accuracy_figure(snap, window: int = 1) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=snap.iterations, y=snap.accuracy, mode="lines",
        name="batch accuracy" if window > 1 else "accuracy",
        line=dict(color=GREY if window > 1 else BLUE, width=1),
        hovertemplate="iteration %{x}<br>accuracy %{y:.2%}<extra></extra>",
    ))
    if window > 1:
        fig.add_trace(go.Scatter(
            x=snap.iterations, y=snap.average_accuracy, mode="lines",
            name=f"average over {window:,} iterations", line=dict(color=BLUE, width=2),
            hovertemplate="iteration %{x}<br>average accuracy %{y:.2%}<extra></extra>",
        ))
    if snap.evals:
        fig.add_trace(go.Scatter(
            x=[e["iteration"] for e in snap.evals], y=[e["accuracy"] for e in snap.evals],
            mode="markers", name="training pairs (evaluated)",
            marker=dict(color=ACCENT, size=8),
            hovertemplate="iteration %{x}<br>accuracy on training pairs %{y:.2%}"
            "<extra></extra>",
        ))
    fig.add_hline(y=0.971, line=dict(color=ACCENT, dash="dot", width=1),
                  annotation_text="paper: 97.10%", annotation_position="bottom right")
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%")
    return _layout(fig, "Accuracy", "accuracy")


def top_k_figure(top: list[tuple[str, float]]) -> go.Figure:
    """Horizontal bars, best at the top."""
    symbols = [escape(s) for s, _ in top][::-1]
    probs = [p for _, p in top][::-1]
    labels = [f"{k + 1}. {escape(s)}" for k, (s, _) in enumerate(top)][::-1]
    fig = go.Figure(go.Bar(
        x=probs, y=labels, orientation="h", marker_color=BLUE, customdata=symbols,
        text=[f"{p:.2%}" for p in probs], textposition="auto",
        hovertemplate="%{customdata}: %{x:.2%}<extra></extra>",
    ))
    fig.update_layout(
        height=60 + 40 * len(top), margin=dict(l=10, r=10, t=10, b=10),
        xaxis=dict(range=[0, 1.04], tickformat=".0%", title="probability"),
    )
    return fig
