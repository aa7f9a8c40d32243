"""Train: text -> symbols -> dictionary -> the three-symbol LSTM, trained live."""

import dataclasses

import pandas as pd
import streamlit as st

from lstm_demo import charts, runtime, ui
from lstm_demo import config as settings
from lstm_demo.datasets import SAMPLES, decode_text
from lstm_demo.jobs import JOBS, MODEL_KINDS
from lstm_demo.text import MAX_TEXT_BYTES, TextError, prepare
from lstm_demo.training import STOPPED, TrainingRun

ss = st.session_state
CUSTOM = "custom"


# -- callbacks (run before the page is drawn) ---------------------------------------------
def on_sample_change():
    if ss.sample != CUSTOM:
        ss.train_text = SAMPLES[ss.sample].read()
    ss.pop("train_error", None)


def on_text_change():
    if ss.train_text != _sample_text():
        ss.sample = CUSTOM


def on_upload():
    uploaded = ss.get("upload")
    if uploaded is None:
        return
    try:
        ss.train_text = decode_text(uploaded.getvalue(), uploaded.name)
        ss.sample = CUSTOM
        ss.pop("upload_error", None)
    except TextError as exc:
        ss.upload_error = str(exc)


def on_train():
    run = ui.current_run()
    if run is not None and run.live:
        return  # a second click while training does nothing
    ss.pop("train_error", None)
    try:
        corpus = prepare(ss.train_text or "", lowercase=ss.lowercase)
    except TextError as exc:
        ss.train_error = str(exc)
        return
    config = ui.config_from_session()
    kind = ss.model_kind
    if kind == "keras":  # the Keras twin: a learned embedding, compiled by Keras itself
        config = dataclasses.replace(config, encoding="embedding", xla=False)
    problems = settings.validate(config)
    until = ss.until_accuracy / 100.0 if ss.until_on else None
    if until is not None and not 0 < until <= 1:
        problems.append("The target accuracy must be above 0% and at most 100%.")
    if problems:
        ss.train_error = "Settings out of range: " + " ".join(problems)
        return
    run = TrainingRun(
        JOBS[kind](corpus, config, until),
        total_iterations=config.iterations,
        device=ss.device,
        accuracy_window=config.accuracy_window,
        label=(f"{config.units} units × {config.layers} layers, "
               f"{settings.ENCODINGS[config.encoding]}, "
               f"{settings.OPTIMIZERS[config.optimizer]} {config.learning_rate:g}, "
               f"batch {config.batch_size}, {config.iterations:,} iterations"),
        owner_alive=ui.session_alive_check(),
        kind=kind,
    )
    if not ui.start_run(run, "train_error"):
        return
    ss.run.extra["text_key"] = hash((ss.train_text, ss.lowercase))
    ss.run_corpus_counts = corpus.counts()


# -- sections ------------------------------------------------------------------------------
def text_section():
    st.subheader("1 · The text")
    options = list(SAMPLES) + [CUSTOM]
    st.selectbox(
        "Sample", options, **ui.bind("sample", on_change=on_sample_change),
        format_func=lambda k: SAMPLES[k].title if k in SAMPLES else "Your own text",
    )
    st.text_area(
        f"Text to learn (at most {MAX_TEXT_BYTES // 1_000_000} MB; paste anything)",
        height=180, **ui.bind("train_text", on_change=on_text_change),
    )
    c1, c2 = st.columns([2, 1])
    c1.file_uploader("…or upload a .txt file (UTF-8, at most 1 MB)", type=["txt"], key="upload",
                     on_change=on_upload, max_upload_size=1)
    c2.toggle("Lower-case the text", **ui.bind("lowercase"),
              help="On by default, as in the paper: 'The' and 'the' are the same symbol.")
    if ss.get("upload_error"):
        st.error(ui.md_escape(ss.upload_error))


def _sample_text():
    return SAMPLES[ss.sample].read() if ss.sample in SAMPLES else None


def symbols_section():
    try:
        corpus = prepare(ss.train_text or "", lowercase=ss.lowercase)
    except TextError as exc:
        st.warning(ui.md_escape(str(exc)))
        return
    counts = corpus.counts()
    c1, c2, c3 = st.columns(3)
    c1.metric("Symbols", f"{counts['symbols']:,}")
    c2.metric("Distinct symbols", f"{counts['distinct']:,}")
    c3.metric("Training pairs (3 → 1)", f"{counts['pairs']:,}")
    tab1, tab2, tab3 = st.tabs(["Symbol array (Fig. 4)", "Dictionary (Fig. 5)",
                                "Training pairs"])
    shown = corpus.symbols[:300]
    more = f"  # … {len(corpus.symbols) - len(shown):,} more" if len(corpus.symbols) > 300 else ""
    tab1.code(repr(shown) + more, language="python", wrap_lines=True)
    counts_by_symbol = pd.Series(corpus.symbols).value_counts()
    tab2.dataframe(
        pd.DataFrame({"id": range(corpus.vocab_size), "symbol": corpus.reverse,
                      "count": [int(counts_by_symbol[s]) for s in corpus.reverse]}),
        hide_index=True, height=300, key="dictionary_table",
    )
    tab2.caption("Ranked by frequency (most frequent = 0); ties keep the order of first "
                 "appearance. The reverse dictionary maps each id back to its symbol.")
    n = min(50, counts["pairs"])
    tab3.dataframe(
        pd.DataFrame({
            "input (3 symbols)": [" ".join(corpus.reverse[i] for i in row) for row in corpus.x[:n]],
            "input ids": [", ".join(str(i) for i in row) for row in corpus.x[:n]],
            "next symbol": [corpus.reverse[i] for i in corpus.y[:n]],
        }),
        hide_index=True, height=300, key="pairs_table",
    )


def settings_section(live: bool):
    st.subheader("2 · The model")
    st.segmented_control("Model", list(MODEL_KINDS), required=True, disabled=live,
                         format_func=MODEL_KINDS.get, **ui.bind("model_kind"))
    if ss.model_kind == "keras":
        st.caption("The same task, data and dictionary, built from Keras layers "
                   "(Embedding → LSTM → Dense softmax) and trained with `model.fit`; it "
                   "always uses a learned embedding. Train both to compare them below.")
    limits = settings.LIMITS
    b1, b2, _ = st.columns([1, 1, 3])
    b1.button("Fast defaults", on_click=ui.apply_preset, args=("default",), disabled=live,
              help="128 units, 2 layers, learned embedding, Adam 0.02, all pairs per step: "
                   "about 97–100% in a few seconds on a laptop CPU.")
    b2.button("Paper settings", on_click=ui.apply_preset, args=("paper",), disabled=live,
              help="512 units, 2 layers, raw index input, RMSProp 0.001, batch 1, 50,000 "
                   "iterations, average accuracy over 1,000 iterations (section III.A).")

    def lim(name):
        low, high = limits[name]
        return f"{low:g}–{high:,}" if isinstance(high, int) else f"{low:g}–{high:g}"

    c1, c2, c3, c4 = st.columns(4)
    c1.number_input(f"Hidden units ({lim('units')})", **ui.bind("cfg_units"), step=32)
    c2.number_input(f"LSTM layers ({lim('layers')})", **ui.bind("cfg_layers"), step=1)
    c3.selectbox("Input encoding", list(settings.ENCODINGS), **ui.bind("cfg_encoding"),
                 format_func=settings.ENCODINGS.get)
    c4.selectbox("Optimizer", list(settings.OPTIMIZERS), **ui.bind("cfg_optimizer"),
                 format_func=settings.OPTIMIZERS.get)
    c1.number_input(f"Learning rate ({lim('learning_rate')})", **ui.bind("cfg_learning_rate"),
                    step=0.001, format="%.5f")
    c2.number_input(f"Batch size ({lim('batch_size')}; 1 = paper)", **ui.bind("cfg_batch_size"),
                    step=1, help="Pairs per step. When the text has fewer pairs than this, "
                    "every step uses all of them.")
    c3.number_input(f"Iterations ({lim('iterations')})", **ui.bind("cfg_iterations"), step=100)
    c4.number_input(f"Random seed ({lim('seed')})", **ui.bind("cfg_seed"), step=1)
    c1.number_input("Average accuracy over (iterations)", **ui.bind("cfg_accuracy_window"), step=100,
                    help="The paper logs 'Average Accuracy' over each 1,000 iterations.")
    c2.toggle("Compile with XLA", **ui.bind("cfg_xla"),
              help="Fuses each step's small operations: 2–4× faster steps after a ~2 s "
                   "compile. Worth it for long runs.")
    c3.toggle("Stop at a target accuracy", **ui.bind("until_on"))
    c4.number_input("Target accuracy (%)", **ui.bind("until_accuracy"), step=0.5,
                    disabled=not ss.until_on)
    device_picker(live)


def device_picker(live: bool):
    if not runtime.tf_ready():
        if runtime.import_error():
            st.error(f"TensorFlow could not be loaded: {runtime.import_error()}")
            return
        st.caption("Device: CPU. TensorFlow is still loading; GPUs appear here when it is "
                   "ready.")

        @st.fragment(run_every=1.0)
        def _wait():
            if runtime.tf_ready():
                st.rerun()

        _wait()
        return
    devices = dict(runtime.list_devices())
    if ss.device not in devices:
        ss.device = "/CPU:0"
    st.selectbox("Device", list(devices), **ui.bind("device"), format_func=devices.get,
                 disabled=live,
                 help="CPU and every GPU TensorFlow sees (install tensorflow[and-cuda] for "
                      "NVIDIA GPUs).")


def progress_panel(snap, window: int):
    average = snap.average_accuracy[-1] if snap.average_accuracy else None
    ui.progress_metrics(snap, ("Accuracy" if window == 1 else f"Avg accuracy ({window:,})",
                               average))
    if snap.iterations:
        c1, c2 = st.columns(2)
        c1.plotly_chart(charts.accuracy_figure(snap, window), key="accuracy_chart")
        c2.plotly_chart(charts.loss_figure(snap), key="loss_chart")


def run_section(run):
    st.subheader("3 · Training")
    if run is None:
        st.caption("Press **Train** to start. Curves appear here as it learns.")
        return
    window = max(1, int(getattr(run, "accuracy_window", 1)))

    def draw(snap):
        if not snap.live:
            result_summary(run)
        progress_panel(snap, window)

    ui.live_panel(run, draw)


def result_summary(run):
    if ui.failed_run(run):
        return
    trained = run.result
    if trained is None:
        return
    s = trained.summary
    where = runtime.describe(s.get("device", run.device))
    if run.status == STOPPED:
        st.warning(f"Stopped at iteration {s['iterations']:,} of {run.total_iterations:,}. "
                   f"The partly trained model is kept: {s['accuracy']:.2%} on all "
                   f"{s['pairs']:,} training pairs.", icon=":material/stop_circle:")
    else:
        reached = " (target reached)" if s.get("reached_target") else ""
        st.success(f"Done{reached}: **{s['accuracy']:.2%}** accuracy on all {s['pairs']:,} "
                   f"training pairs after {s['iterations']:,} iterations, "
                   f"{s['train_seconds']:.1f} s on **{where}**.", icon=":material/check_circle:")
    c = trained.config
    st.caption(f"Ran on {where} · {s['parameters']:,} parameters · {c.units} units × "
               f"{c.layers} layers, {settings.ENCODINGS[c.encoding]}, "
               f"{settings.OPTIMIZERS[c.optimizer]} {c.learning_rate:g}, batch {c.batch_size}.")
    if ui.current_model() is trained:
        c1, c2 = st.columns([1, 3])
        c1.page_link("app_pages/predict.py", label="Predict with it",
                     icon=":material/psychology:")
        with c2:
            ui.download_model(trained, run)


def comparison_section():
    runs = {k: r for k, r in ss.get("runs_by_kind", {}).items() if k in JOBS}
    if len(runs) < 2:
        return
    st.subheader("4 · Low-level TensorFlow vs Keras")
    if len({r.extra.get("text_key") for r in runs.values()}) > 1:
        st.caption("The latest low-level and Keras runs were trained on different texts; train "
                   "both on the same text to compare them.")
        return
    live = ui.current_run()
    if live is not None and live.live:
        st.caption("Comparing the latest finished runs; it updates when the current run ends.")
    runs = dict(sorted(runs.items(), key=lambda kv: list(MODEL_KINDS).index(kv[0])))
    snaps = {kind: run.snapshot(max_points=2000) for kind, run in runs.items()}
    names = {"lowlevel": "low-level TensorFlow", "keras": "Keras model.fit"}
    st.plotly_chart(charts.comparison_figure(snaps, names), key="comparison_chart")
    rows = []
    for kind, run in runs.items():
        s, snap = run.result.summary, snaps[kind]
        hit = next((t for t, a in zip(snap.seconds, snap.accuracy) if a >= 0.97), None)
        rows.append({"model": names[kind], "status": run.status, "iterations": s["iterations"],
                     "seconds": round(s["train_seconds"], 2),
                     "ms / iteration": round(1000 * s["train_seconds"] / max(1, s["iterations"]), 2),
                     "first batch at 97% (s)": None if hit is None else round(hit, 2),
                     "final accuracy": f"{s['accuracy']:.2%}", "parameters": s["parameters"]})
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="comparison_table")
    st.caption("The paper's trade-off in numbers: the low-level model spells out every step "
               "and runs many steps per graph call; Keras is shorter to write and does more "
               "per step for you (callbacks, metrics, its own LSTM kernel).")


# -- the page ------------------------------------------------------------------------------
st.title("Train the three-symbol LSTM")
st.caption("Three symbols in, the next symbol out, through stacked LSTM layers written in "
           "low-level TensorFlow (section III.A of the paper).")
run = ui.page_run(JOBS)
live = ui.other_run_live(JOBS) or (run is not None and run.live)
text_section()
symbols_section()
settings_section(live)
ui.train_controls(on_train, JOBS, live)
run_section(run)
comparison_section()
