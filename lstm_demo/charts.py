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


def loss_figure(snap, eval_name: str = "all training pairs") -> go.Figure:
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
            mode="markers", name=eval_name, marker=dict(color=ACCENT, size=8),
            hovertemplate=f"iteration %{{x}}<br>loss on {eval_name} %{{y:.4f}}<extra></extra>",
        ))
    fig.update_yaxes(type="log", exponentformat="e")
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
        yaxis=dict(type="category"),  # "3. ," is a label, not the number 3
    )
    return fig


# -- gates ---------------------------------------------------------------------------------
GATE_SCALES = {  # fixed colour scales, so panels and snapshots compare
    "i": ("Viridis", 0.0, 1.0), "f": ("Viridis", 0.0, 1.0), "o": ("Viridis", 0.0, 1.0),
    "g": ("RdBu_r", -1.0, 1.0), "h": ("RdBu_r", -1.0, 1.0), "c": ("RdBu_r", None, None),
}


def step_labels(symbols: list[str]) -> list[str]:
    """Unique x labels 'step: symbol' (a symbol can occur many times), escaped."""
    return [f"{t}: {escape(s)}" for t, s in enumerate(symbols)]


def gate_heatmaps(layer, symbols: list[str], units, c_limit: float, title: str = "") -> go.Figure:
    """Six heatmaps (i, f, g, o, c, h) of one layer: symbols along x, units along y."""
    from plotly.subplots import make_subplots

    from lstm_demo.gates import GATE_NAMES, GATES

    x = step_labels(symbols)
    y = [f"unit {u}" for u in units]
    fig = make_subplots(rows=3, cols=2, shared_xaxes=True, shared_yaxes=True,
                        subplot_titles=[GATE_NAMES[g] for g in GATES],
                        vertical_spacing=0.08, horizontal_spacing=0.06)
    axes = {"i": "coloraxis", "f": "coloraxis", "o": "coloraxis", "g": "coloraxis2",
            "h": "coloraxis2", "c": "coloraxis3"}
    for k, gate in enumerate(GATES):
        values = layer.gate(gate)[:, units].T  # (units, T)
        fig.add_trace(go.Heatmap(
            z=values, x=x, y=y, coloraxis=axes[gate], name=gate,
            hovertemplate=f"{gate}<br>step %{{x}}<br>%{{y}}<br>value %{{z:.4f}}<extra></extra>",
        ), row=k // 2 + 1, col=k % 2 + 1)
    limit = max(float(c_limit), 1e-6)
    bar = dict(len=0.3, thickness=12)
    fig.update_layout(
        coloraxis=dict(colorscale="Viridis", cmin=0, cmax=1,
                       colorbar=bar | dict(y=0.85, title="i f o")),
        coloraxis2=dict(colorscale="RdBu_r", cmin=-1, cmax=1,
                        colorbar=bar | dict(y=0.5, title="g h")),
        coloraxis3=dict(colorscale="RdBu_r", cmin=-limit, cmax=limit,
                        colorbar=bar | dict(y=0.15, title="c")),
        height=min(1400, 300 + 3 * max(120, 12 * len(units))),
        margin=dict(l=10, r=10, t=50 if title else 30, b=10),
        title=dict(text=escape(title), x=0) if title else None,
    )
    fig.update_yaxes(autorange="reversed")
    return fig


def unit_lines(layer, symbols: list[str], unit: int) -> go.Figure:
    """One unit's gates and states along the sequence."""
    x = step_labels(symbols)
    fig = go.Figure()
    styles = {"i": dict(color="#2ca02c"), "f": dict(color="#ff7f0e"), "o": dict(color="#9467bd"),
              "c": dict(color=ACCENT, width=3), "g": dict(color=GREY, dash="dot"),
              "h": dict(color=BLUE, dash="dash")}
    for gate, style in styles.items():
        fig.add_trace(go.Scatter(
            x=x, y=layer.gate(gate)[:, unit], mode="lines+markers", name=gate, line=style,
            hovertemplate=f"{gate} = %{{y:.4f}}<extra></extra>"))
    fig.update_layout(height=340, margin=dict(l=10, r=10, t=30, b=10), hovermode="x unified",
                      title=dict(text=f"unit {unit}", x=0), yaxis_title="value")
    return fig


def coloured_text_html(symbols: list[str], values, low: float, high: float) -> str:
    """Each symbol on a background coloured by its value (red = high, blue = low), as HTML
    whose only text is the escaped symbols: safe to render."""
    spans = []
    for symbol, value in zip(symbols, values):
        share = 0.0 if high <= low else (float(value) - low) / (high - low)
        share = min(1.0, max(0.0, share))
        if share >= 0.5:
            alpha, rgb = (share - 0.5) * 2, "214,39,40"
        else:
            alpha, rgb = (0.5 - share) * 2, "31,119,180"
        spans.append(
            f'<span title="{html.escape(f"{value:.4f}", quote=True)}" '
            f'style="background: rgba({rgb},{alpha:.2f}); padding: 2px 3px; margin: 1px; '
            f'border-radius: 3px; display: inline-block">{html.escape(symbol)}</span>')
    return ('<div style="line-height: 2.0; font-family: monospace; font-size: 15px">'
            + " ".join(spans) + "</div>")


def health_figure(points: list[dict]) -> go.Figure:
    """Share of forget / input gates near 0 and 1, and the range of c, per snapshot."""
    from plotly.subplots import make_subplots

    x = [p["iteration"] for p in points]
    fig = make_subplots(rows=1, cols=2, subplot_titles=["gate saturation", "range of c"])
    for key, name, color, dash in [
        ("forget_near_1", "f > 0.9", "#ff7f0e", None), ("forget_near_0", "f < 0.1", "#ff7f0e", "dot"),
        ("input_near_1", "i > 0.9", "#2ca02c", None), ("input_near_0", "i < 0.1", "#2ca02c", "dot"),
    ]:
        fig.add_trace(go.Scatter(x=x, y=[p[key] for p in points], name=name,
                                 line=dict(color=color, dash=dash),
                                 hovertemplate=f"iteration %{{x}}<br>{name}: %{{y:.1%}}<extra></extra>"),
                      row=1, col=1)
    fig.add_trace(go.Scatter(x=x, y=[p["c_max"] for p in points], name="max c",
                             line=dict(color=ACCENT)), row=1, col=2)
    fig.add_trace(go.Scatter(x=x, y=[p["c_min"] for p in points], name="min c",
                             line=dict(color=BLUE), fill="tonexty"), row=1, col=2)
    fig.update_yaxes(tickformat=".0%", range=[0, 1], row=1, col=1)
    fig.update_xaxes(title="iteration")
    fig.update_layout(height=300, margin=dict(l=10, r=10, t=30, b=10))
    return fig


def comparison_figure(snaps: dict[str, object], names: dict[str, str]) -> go.Figure:
    """Accuracy and loss of several runs against iterations and against seconds."""
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=2, cols=2, shared_yaxes=False,
                        subplot_titles=["accuracy / iteration", "accuracy / second",
                                        "loss / iteration", "loss / second"])
    colors = {"lowlevel": BLUE, "keras": ACCENT}  # one colour per model, whatever ran first
    for kind, snap in snaps.items():
        color, name = colors.get(kind, GREY), names.get(kind, kind)
        for row, values, label in [(1, snap.accuracy, "accuracy"), (2, snap.loss, "loss")]:
            for col, x, unit in [(1, snap.iterations, "iteration"), (2, snap.seconds, "s")]:
                fig.add_trace(go.Scatter(
                    x=x, y=values, mode="lines", name=name, legendgroup=kind,
                    showlegend=row == 1 and col == 1, line=dict(color=color),
                    hovertemplate=f"{escape(name)}<br>{unit} %{{x:.3g}}<br>{label} %{{y:.4g}}"
                                  "<extra></extra>"), row=row, col=col)
    fig.update_yaxes(tickformat=".0%", range=[0, 1.02], row=1)
    fig.update_yaxes(type="log", exponentformat="e", row=2)
    fig.update_xaxes(title="iteration", col=1, row=2)
    fig.update_xaxes(title="seconds since Train", col=2, row=2)
    fig.update_layout(height=600, margin=dict(l=10, r=10, t=80, b=10),
                      legend=dict(orientation="h", y=1.14, x=0))
    return fig


def _eval_line(fig, evals, key: str, name: str, color: str, percent: bool = True):
    points = [e for e in evals if isinstance(e.get(key), float) and e[key] == e[key]]
    if not points:
        return
    value = "%{y:.2%}" if percent else "%{y:,.1f}"
    fig.add_trace(go.Scatter(
        x=[e["iteration"] for e in points], y=[e[key] for e in points], mode="lines+markers",
        name=name, line=dict(color=color, width=2), marker=dict(size=8),
        hovertemplate=f"iteration %{{x}}<br>{name} {value}<extra></extra>",
    ))


def epoch_accuracy_figure(snap, series: dict[str, tuple[str, str]], title: str = "Accuracy",
                          reference: tuple[float, str] | None = None) -> go.Figure:
    """Batch accuracy as a thin line, and the per-epoch evaluations: ``series`` maps an eval
    key to (name, colour)."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=snap.iterations, y=snap.accuracy, mode="lines", name="batch accuracy",
        line=dict(color=GREY, width=1),
        hovertemplate="iteration %{x}<br>batch accuracy %{y:.2%}<extra></extra>",
    ))
    for key, (name, color) in series.items():
        _eval_line(fig, snap.evals, key, name, color)
    if reference is not None:
        fig.add_hline(y=reference[0], line=dict(color=ACCENT, dash="dot", width=1),
                      annotation_text=reference[1], annotation_position="bottom right")
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%")
    return _layout(fig, title, "accuracy")


def perplexity_figure(snap) -> go.Figure:
    """Perplexity: exp(batch loss) on the training windows, and on the held-out text after
    every epoch. Lower is better; a model that guesses uniformly scores the vocabulary size."""
    import math

    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=snap.iterations, y=[math.exp(min(v, 50.0)) for v in snap.loss], mode="lines",
        name="batch (training windows)", line=dict(color=GREY, width=1),
        hovertemplate="iteration %{x}<br>batch perplexity %{y:,.1f}<extra></extra>",
    ))
    _eval_line(fig, snap.evals, "perplexity", "held-out text", ACCENT, percent=False)
    values = [v for trace in fig.data for v in trace.y if v == v and v > 0]
    ticks = [m * 10 ** e for e in range(0, 7) for m in (1, 2, 5)]
    if values:
        low, high = min(values), max(values)
        shown = [t for t in ticks if low / 2 <= t <= high * 2] or ticks[:1]
        fig.update_yaxes(tickvals=shown, ticktext=[f"{t:,}" for t in shown])
    fig.update_yaxes(type="log")
    fig = _layout(fig, "Perplexity (log scale; lower is better)", "perplexity")
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.22, x=0.0,
                                  xanchor="left"), margin=dict(b=60))
    return fig


def review_tokens_html(view) -> str:
    """What a sentiment model reads of a review (an ``imdb.ReviewView``), as safe HTML: the
    padding folded into one grey mark, <start>, each word with its id on hover, words out of
    the vocabulary struck through in orange, and the words truncated off the front greyed."""
    box = ('padding: 1px 4px; margin: 1px; border-radius: 3px; display: inline-block;')
    parts = []
    if view.dropped:
        cut = " ".join(html.escape(w) for w in view.dropped[:60])
        more = f" … (+{len(view.dropped) - 60:,})" if len(view.dropped) > 60 else ""
        parts.append(f'<span title="truncated: not read by the model" style="{box} color: '
                     f'#9aa0a6; text-decoration: line-through">{cut}{more}</span> ✂')
    pads = view.status.count("pad")
    if pads:
        parts.append(f'<span title="id 0: padding" style="{box} background: #eceff1; '
                     f'color: #607d8b">&lt;pad&gt; × {pads}</span>')
    for word, status, i in zip(view.words[pads:], view.status[pads:], view.ids[pads:]):
        if status == "start":
            style, tip = "background: #e3f2fd; color: #1565c0", "id 1: start of the review"
        elif status == "oov":
            style = "background: #fff3e0; color: #e65100; text-decoration: line-through"
            tip = "id 2: out of the vocabulary"
        else:
            style, tip = "background: #f1f8e9", f"id {int(i)}"
        parts.append(f'<span title="{html.escape(tip, quote=True)}" style="{box} {style}">'
                     f"{html.escape(word)}</span>")
    return ('<div style="line-height: 1.9; font-family: monospace; font-size: 14px">'
            + " ".join(parts) + "</div>")
