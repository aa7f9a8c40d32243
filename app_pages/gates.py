"""Gates: look inside the cells of the session's model, symbol by symbol."""

import numpy as np
import streamlit as st

from lstm_demo import charts, ui
from lstm_demo.gates import (
    GATE_NAMES,
    GATES,
    Trace,
    equation,
    health,
    most_active,
    trace_review,
    trace_symbols,
)
from lstm_demo.text import to_symbols

ss = st.session_state
WHOLE_TEXT_CAP = 200  # symbols of the training text traced at most


def choose_review(model):
    st.subheader("Input: a review")
    st.text_area(f"Review (the model reads its last {model.config.maxlen - 1} words)",
                 **ui.bind("review_text"), height=100)
    trace = trace_review(model, ss.review_text)
    pads = model.config.maxlen - len(trace.symbols)
    st.caption(f"Traced over all {model.config.maxlen} positions the model reads: {pads} of "
               "padding first (not shown; the first word starts from the state they leave), "
               "then <start> and the words." if pads else
               f"The model reads {model.config.maxlen} positions: <start> and the words, or "
               "the last of them for a long review.")
    return trace


def choose_input(model):
    st.subheader("Input")
    source = st.segmented_control(
        "Trace", ["window", "typed", "whole"], **ui.bind("gates_source"), required=True,
        format_func={"window": "A window of the training text", "typed": "Your own text",
                     "whole": f"The training text (first {WHOLE_TEXT_CAP} symbols)"}.get)
    text_symbols = getattr(model, "text_symbols", None) or []
    if source == "typed":
        st.text_input(f"Text to trace (the first {WHOLE_TEXT_CAP} symbols are used)",
                      **ui.bind("gates_text"))
        symbols = to_symbols(ss.gates_text, model.lowercase)[:WHOLE_TEXT_CAP]
    elif source == "whole" or not text_symbols:
        if not text_symbols:
            st.caption("This model came from a file, without its training text: type a text.")
            st.text_input(f"Text to trace (the first {WHOLE_TEXT_CAP} symbols are used)",
                          **ui.bind("gates_text"))
            return to_symbols(ss.gates_text, model.lowercase)[:WHOLE_TEXT_CAP]
        symbols = text_symbols[:WHOLE_TEXT_CAP]
    else:
        last = max(0, len(text_symbols) - 3)
        ss.gates_start = min(ss.gates_start, last)  # a shorter text than the last one
        c1, c2 = st.columns([3, 1])
        c1.slider("Window start (symbol number)", 0, max(1, last), **ui.bind("gates_start"))
        c2.number_input("Length", min_value=3, max_value=60, **ui.bind("gates_length"))
        start = min(ss.gates_start, last)
        symbols = text_symbols[start:start + ss.gates_length]
    return symbols


def heatmap_section(trace, layer_index, units_choice, c_limit, key):
    layer = trace.layers[layer_index]
    units = (np.arange(layer.units) if units_choice == "all"
             else most_active(layer, min(int(units_choice), layer.units)))  # most active first
    fig = charts.gate_heatmaps(layer, trace.symbols, units, c_limit)
    st.plotly_chart(fig, key=key)


def unit_views(trace, layer_index):
    layer = trace.layers[layer_index]
    st.subheader("One unit")
    c1, c2 = st.columns([1, 3])
    unit = c1.number_input(f"Unit (0–{layer.units - 1})", min_value=0,
                           max_value=layer.units - 1, **ui.bind("gates_unit"))
    gate = c1.selectbox("Colour the text by", list(GATES), **ui.bind("gates_colour_by"),
                        format_func=GATE_NAMES.get)
    values = layer.gate(gate)[:, unit]
    low, high = (0.0, 1.0) if gate in "ifo" else (-1.0, 1.0)
    if gate == "c":
        bound = float(max(1e-6, np.abs(layer.c[:, unit]).max()))
        low, high = -bound, bound
    with c2:
        st.markdown(charts.coloured_text_html(trace.symbols, values, low, high),
                    unsafe_allow_html=True)  # every symbol in it is html-escaped
        st.caption(f"Each symbol coloured by unit {unit}'s {GATE_NAMES[gate]} "
                   f"(blue = {low:.2g}, red = {high:.2g}); hover for the value.")
    st.plotly_chart(charts.unit_lines(layer, trace.symbols, unit), key="unit_lines")
    return unit


def equation_section(trace, layer_index, unit):
    layer = trace.layers[layer_index]
    st.subheader("The equations, with this cell's numbers")
    labels = charts.step_labels(trace.symbols)
    step = st.select_slider("Step", options=list(range(trace.steps)), **ui.bind("gates_step"),
                            format_func=lambda t: labels[t])
    step = min(step, trace.steps - 1)
    eq = equation(layer, step, unit)
    g = eq["gates"]

    def row(name, fn):
        p = g[name]
        return (rf"{name} &= \{fn}(\underbrace{{{p['x']:+.4f}}}_{{x_t U_{name}}}"
                rf" \underbrace{{{p['h']:+.4f}}}_{{h_{{t-1}} V_{name}}}"
                rf" \underbrace{{{p['b']:+.4f}}}_{{b_{name}}}) = \{fn}({p['z']:+.4f})"
                rf" = {p['value']:.4f}")

    st.latex(r"\begin{aligned}" + r"\\".join([
        row("g", "tanh"), row("i", "sigma"), row("f", "sigma"), row("o", "sigma"),
        rf"s_t &= s_{{t-1}} \circ f + g \circ i = {eq['s_prev']:+.4f} \times "
        rf"{g['f']['value']:.4f} + ({g['g']['value']:+.4f}) \times {g['i']['value']:.4f}"
        rf" = {eq['s_t']:+.4f}",
        rf"h_t &= \tanh(s_t) \circ o = \tanh({eq['s_t']:+.4f}) \times {g['o']['value']:.4f}"
        rf" = {eq['h_t']:+.4f}",
    ]) + r"\end{aligned}")
    agree = abs(eq["h_t"] - eq["h_t_trace"]) < 1e-5 and abs(eq["s_t"] - eq["s_t_trace"]) < 1e-5
    msg = (f"Layer {layer_index + 1}, unit {unit}, step {step} (“{trace.symbols[step]}”): "
           f"recomputed h_t = {eq['h_t']:+.6f}, traced h_t = {eq['h_t_trace']:+.6f}; "
           f"s_t {eq['s_t']:+.6f} vs {eq['s_t_trace']:+.6f}.")
    if agree:
        st.success(ui.md_escape(msg + " They agree."), icon=":material/check_circle:")
    else:
        st.error(ui.md_escape(msg + " They differ!"))
    ss.gates_equation = eq


def replay_section(layer_index, units_choice, model_run, kind):
    live_run = ui.current_run()  # a live run replaces the replay only for its own kind
    run = live_run if live_run is not None and live_run.live and live_run.kind == kind \
        else model_run
    if run is None or not run.snapshots():
        return
    st.subheader("Replay over training")
    probe = run.extra.get("probe_symbols", [])
    live_at_render = run.live
    c1, c2, _ = st.columns([1, 1, 3])
    c1.toggle("Follow the newest", **ui.bind("gates_follow"),
              help="During a run, show each new snapshot as it arrives.")
    c2.toggle("Play", **ui.bind("gates_play"), help="Step through the snapshots.")
    every = 0.7 if ss.gates_play else (1.0 if live_at_render else None)

    @st.fragment(run_every=every)
    def replay():
        if live_at_render and not run.live:
            st.rerun()  # the run ended: its model becomes the session's model
        snaps = run.snapshots()
        iterations = [it for it, _ in snaps]
        current = ss.get("gates_replay_iter")
        if ss.gates_play and current in iterations:
            current = iterations[(iterations.index(current) + 1) % len(iterations)]
        elif current not in iterations or (ss.gates_follow and run.live):
            current = iterations[-1]
        ss.gates_replay_iter = current
        st.select_slider("Snapshot (iteration)", options=iterations, key="gates_replay_iter")
        index = iterations.index(ss.gates_replay_iter)
        trace = Trace(probe, snaps[index][1])
        k = min(layer_index, len(trace.layers) - 1)
        c_limit = max(1e-6, max(float(np.abs(layers[k].c).max()) for _, layers in snaps))
        what = ("the words of a training review, after its padding" if kind == "sentiment"
                else f"the first {len(probe)} symbols of the training text")
        st.caption(f"The probe, {what}, at iteration "
                   f"{iterations[index]:,} (snapshot {index + 1} of {len(snaps)}"
                   f"{', training' if run.live else ''}). Colour scales are fixed across "
                   "snapshots.")
        heatmap_section(trace, k, units_choice, c_limit, key="replay_heatmaps")
        points = [{"iteration": it} | health(Trace(probe, layers)) for it, layers in snaps]
        st.markdown("**Gate health over training** (all layers, units and probe symbols)")
        st.plotly_chart(charts.health_figure(points), key="health_chart")

    replay()


st.title("Inside the cells")
ui.run_status()
entry = ui.pick_model(("lowlevel", "keras", "lm", "sentiment"), "pick_gates")
if entry is None:
    st.info("No model yet. Train one on the Train page (a few seconds), or load a saved model "
            "file in the sidebar (*Model file*).", icon=":material/info:")
    st.page_link("app_pages/train.py", label="Go to Train", icon=":material/model_training:")
else:
    model = entry["model"]
    st.caption(f"{model.title}: {model.config.layers} layer(s) × {model.config.units} units. "
               "Every number below is the model's own, computed by the same LSTM step it "
               "trains with.")
    if model.kind == "sentiment":
        trace = choose_review(model)
        if trace.skipped:
            st.caption(ui.md_escape("Read as out of vocabulary (id 2): "
                                    + ", ".join(f"“{s}”" for s in dict.fromkeys(trace.skipped))))
    else:
        symbols = choose_input(model)
        if model.kind in ("lowlevel", "keras") and len(symbols) > 3:
            st.caption("This model learned from windows of 3 symbols, each starting from a zero "
                       "state. Fed a longer sequence, it runs past what it was trained on: "
                       "watch the cell state c drift as it accumulates.")
        trace = trace_symbols(model, symbols)
        if trace.unk:
            st.caption(ui.md_escape("Outside the vocabulary, so read as <unk> (as in training) "
                                    "and shown as “word (<unk>)”: "
                                    + ", ".join(f"“{s}”" for s in dict.fromkeys(trace.unk))))
        if trace.skipped:
            st.warning(ui.md_escape("Not in the model's dictionary, so not fed to it: "
                                    + ", ".join(f"“{s}”" for s in dict.fromkeys(trace.skipped))),
                       icon=":material/warning:")
    if not trace.symbols:
        st.warning("Nothing to trace: give at least one symbol the model knows.",
                   icon=":material/warning:")
    else:
        c1, c2 = st.columns(2)
        layer_index = c1.selectbox("Layer", list(range(model.config.layers)),
                                   **ui.bind("gates_layer"),
                                   format_func=lambda k: f"layer {k + 1}")
        layer_index = min(layer_index, model.config.layers - 1)
        units_choice = c2.selectbox("Units", ["16", "32", "64", "all"], **ui.bind("gates_units"),
                                    format_func=lambda u: "all units" if u == "all"
                                    else f"the {u} most active (top first)")
        st.subheader("Gate activations")
        c_limit = max(1e-6, float(np.abs(trace.layers[layer_index].c).max()))
        heatmap_section(trace, layer_index, units_choice, c_limit, key="gate_heatmaps")
        unit = unit_views(trace, layer_index)
        equation_section(trace, layer_index, unit)
        replay_section(layer_index, units_choice, entry["run"], model.kind)
