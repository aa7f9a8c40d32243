"""Language model: the paper's stacked LSTM (Fig. 2), predicting the next symbol at every
step of windows of text, trained live; accuracy and perplexity on a held-out tail."""

import pandas as pd
import streamlit as st

from lstm_demo import charts, runtime, ui
from lstm_demo import config as settings
from lstm_demo.datasets import SAMPLES, corpus_files, data_folder, decode_text, read_corpus
from lstm_demo.jobs import language_model_job
from lstm_demo.text import MAX_TEXT_BYTES, TextError, capped_vocabulary, to_symbols
from lstm_demo.training import STOPPED, TrainingRun

ss = st.session_state
KINDS = ("lm",)
CUSTOM = "custom"
CORPUS = "corpus:"  # prefix of a data-folder corpus among the text choices
# the bundled texts long enough for windows of text and a held-out tail (the fables)
LONG_SAMPLES = [k for k, s in SAMPLES.items() if len(s.read()) > 20_000]


def on_sample_change():
    if ss.lm_sample in SAMPLES:
        ss.lm_text = SAMPLES[ss.lm_sample].read()
    ss.pop("lm_error", None)


def on_text_change():
    if ss.lm_sample in SAMPLES and ss.lm_text != SAMPLES[ss.lm_sample].read():
        ss.lm_sample = CUSTOM


def on_upload():
    uploaded = ss.get("lm_upload")
    if uploaded is None:
        return
    try:
        ss.lm_text = decode_text(uploaded.getvalue(), uploaded.name)
        ss.lm_sample = CUSTOM
        ss.pop("lm_upload_error", None)
    except TextError as exc:
        ss.lm_upload_error = str(exc)


def current_text() -> str:
    """The text to train on: the box, or a corpus file from the data folder."""
    if str(ss.lm_sample).startswith(CORPUS):
        return read_corpus(ss.lm_sample[len(CORPUS):])
    return ss.lm_text or ""


def symbols_of_text() -> list[str]:
    return to_symbols(current_text(), ss.lm_lowercase)


def on_train():
    run = ui.current_run()
    if run is not None and run.live:
        return  # a second click while training does nothing
    ss.pop("lm_error", None)
    try:
        symbols = symbols_of_text()
    except TextError as exc:
        ss.lm_error = str(exc)
        return
    config = ui.stored_config("lm_", settings.LanguageModelConfig)
    problems = settings.validate_lm(config, len(symbols))
    if not symbols:
        problems = ["The text has no symbols: paste some text or pick a sample."]
    if problems:
        ss.lm_error = "Cannot train: " + " ".join(problems)
        return
    steps = settings.lm_steps_per_epoch(len(symbols), config)
    run = TrainingRun(
        language_model_job(symbols, config, ss.lm_lowercase),
        total_iterations=config.epochs * steps,
        device=ss.device,
        label=(f"{config.hidden} hidden × {config.layers} layers, windows of "
               f"{config.num_steps}, batch {config.batch_size}, {config.epochs} epochs of "
               f"{steps:,} steps, vocabulary cap {config.vocab_cap:,}"),
        owner_alive=ui.session_alive_check(),
        kind="lm",
    )
    if not ui.start_run(run, "lm_error"):
        return


def text_section():
    st.subheader("1 · The text")
    folder = data_folder()
    corpora = {CORPUS + str(p): f"{p.relative_to(folder)} (data folder, "
                                f"{p.stat().st_size / 1e6:.1f} MB)" for p in corpus_files()}
    options = LONG_SAMPLES + list(corpora) + [CUSTOM]
    if ss.lm_sample not in options:
        ss.lm_sample = "aesop"
    st.selectbox("Text", options, **ui.bind("lm_sample", on_change=on_sample_change),
                 format_func=lambda k: SAMPLES[k].title if k in SAMPLES
                 else corpora.get(k, "Your own text"))
    if not corpora:
        st.caption("Larger corpora (Penn Treebank, Shakespeare…) appear here when the server "
                   "is started with LSTM_DEMO_DATA set to a folder of .txt files"
                   + (f"; {data_folder()} has none." if data_folder() else "."))
    if str(ss.lm_sample).startswith(CORPUS):
        try:
            text = current_text()
        except TextError as exc:
            st.error(ui.md_escape(str(exc)))
            return
        st.code(text[:600] + (" …" if len(text) > 600 else ""), language=None, wrap_lines=True)
    else:
        st.text_area(f"Text to learn (at most {MAX_TEXT_BYTES // 1_000_000} MB)", height=160,
                     **ui.bind("lm_text", on_change=on_text_change))
        st.file_uploader("…or upload a .txt file (UTF-8, at most 1 MB)", type=["txt"],
                         key="lm_upload", on_change=on_upload, max_upload_size=1)
        if ss.get("lm_upload_error"):
            st.error(ui.md_escape(ss.lm_upload_error))
    st.toggle("Lower-case the text", **ui.bind("lm_lowercase"))


def vocabulary_section():
    try:
        symbols = symbols_of_text()
    except TextError:
        return
    if not symbols:
        st.warning("The text has no symbols (words or punctuation marks) yet.")
        return
    config = ui.stored_config("lm_", settings.LanguageModelConfig)
    cap = min(max(int(config.vocab_cap), 2), settings.LM_LIMITS["vocab_cap"][1])
    reverse, oov = capped_vocabulary(symbols, cap)
    split = int(len(symbols) * (1 - config.holdout))
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Symbols", f"{len(symbols):,}")
    c2.metric("Vocabulary", f"{len(reverse):,}", help=f"At most {cap:,} (the setting below); "
              "the rarer symbols become <unk>.")
    c3.metric("Out of vocabulary", f"{oov:.2%}", help="Share of the text read as <unk>.")
    c4.metric("Training / held-out symbols", f"{split:,} / {len(symbols) - split:,}",
              help="The last part of the text is never trained on: accuracy and perplexity "
                   "on it show how well the model generalises.")
    with st.expander("The windows it learns from"):
        steps = max(2, int(config.num_steps))
        index = {s: i for i, s in enumerate(reverse)}
        rows = []
        for k in range(min(5, (split - 1) // steps)):
            window = symbols[k * steps:(k + 1) * steps + 1]
            window = [s if s in index else "<unk>" for s in window]  # as the model reads it
            rows.append({"input (x)": " ".join(window[:-1]), "target (y = x shifted by one)":
                         " ".join(window[1:]),
                         "target ids": ", ".join(str(index.get(s, index.get("<unk>", -1)))
                                                 for s in window[1:])})
        st.dataframe(pd.DataFrame(rows), hide_index=True, key="lm_windows")
        st.caption(f"Windows of {steps} symbols; the target is the same window shifted by one, "
                   "so the model learns at every step (the TimeDistributed softmax).")


def settings_section(live: bool):
    st.subheader("2 · The model")
    st.caption("Embedding(hidden) → LSTM(hidden, return_sequences) × layers → Dropout → "
               "TimeDistributed(Dense(vocabulary, softmax)); sparse categorical cross-entropy "
               "on integer targets, Adam.")
    limits = settings.LM_LIMITS

    def lim(name):
        low, high = limits[name]
        return f"{low:g}–{high:,}" if isinstance(high, int) else f"{low:g}–{high:g}"

    b1, b2, _ = st.columns([1, 1, 3])
    b1.button("Fast defaults", on_click=ui.apply_values,
              args=("lm_", settings.LanguageModelConfig()), disabled=live,
              help="128 hidden units, 2 layers, dropout 0.5, 20 epochs: about half a minute on the fables with 2 CPU cores.")
    b2.button("Paper settings (500 × 2)", on_click=ui.apply_values,
              args=("lm_", settings.PAPER_LM), disabled=live,
              help="The paper's 500 hidden units and 2 stacked layers (Fig. 2): slower.")
    c1, c2, c3, c4, c5 = st.columns(5)
    c1.number_input(f"Hidden size ({lim('hidden')})", step=32, **ui.bind("lm_hidden"))
    c2.number_input(f"LSTM layers ({lim('layers')})", step=1, **ui.bind("lm_layers"))
    c3.number_input(f"Steps per window ({lim('num_steps')})", step=5, **ui.bind("lm_num_steps"))
    c4.number_input(f"Dropout ({lim('dropout')})", step=0.1, **ui.bind("lm_dropout"))
    c5.number_input(f"Batch size ({lim('batch_size')})", step=8, **ui.bind("lm_batch_size"))
    c1.number_input(f"Epochs ({lim('epochs')})", step=1, **ui.bind("lm_epochs"))
    c2.number_input(f"Learning rate ({lim('learning_rate')})", step=0.001, format="%.4f",
                    **ui.bind("lm_learning_rate"))
    c3.number_input(f"Vocabulary cap ({lim('vocab_cap')})", step=1000, **ui.bind("lm_vocab_cap"))
    c4.number_input(f"Held-out share ({lim('holdout')})", step=0.05, **ui.bind("lm_holdout"))
    c5.number_input(f"Random seed ({lim('seed')})", step=1, **ui.bind("lm_seed"))
    if runtime.tf_ready():
        devices = dict(runtime.list_devices())
        if ss.device not in devices:
            ss.device = "/CPU:0"
        st.selectbox("Device", list(devices), **ui.bind("device"), format_func=devices.get,
                     disabled=live)


def result_summary(run):
    if ui.failed_run(run):
        return
    trained = run.result
    if trained is None:
        return
    s = trained.summary
    how = (f"Stopped after {s['iterations']:,} of {run.total_iterations:,} steps; the partly "
           "trained model is kept" if run.status == STOPPED else
           f"Done: {s['iterations']:,} steps in {s['train_seconds']:.1f} s on "
           f"{runtime.describe(s['device'])}")
    st.success(f"{how}. Held-out text: **perplexity {s['perplexity']:,.1f}**, accuracy "
               f"{s['heldout_accuracy']:.2%}; training text: perplexity "
               f"{s['train_perplexity']:,.1f}, accuracy {s['accuracy']:.2%}. Vocabulary "
               f"{s['vocabulary']:,} symbols, {s['oov_rate']:.2%} of the text out of it.",
               icon=":material/check_circle:")
    st.caption(f"{s['parameters']:,} parameters. A model that guessed uniformly would score a "
               f"perplexity of {s['vocabulary']:,}.")
    if ui.current_model() is trained:
        c1, c2, c3 = st.columns([1, 1, 2])
        c1.page_link("app_pages/predict.py", label="Predict with it", icon=":material/psychology:")
        c2.page_link("app_pages/gates.py", label="Look at its gates", icon=":material/grid_on:")
        with c3:
            ui.download_model(trained, run)


def run_section(run):
    st.subheader("3 · Training")
    if run is None:
        st.caption("Press **Train** to start. Curves appear here as it learns; the held-out "
                   "points come after each epoch.")
        return

    def draw(snap):
        if not snap.live:
            result_summary(run)
        held = [e for e in snap.evals if "perplexity" in e]
        ppl = f"{held[-1]['perplexity']:,.1f}" if held else "–"
        ui.progress_metrics(snap, ("Batch accuracy", snap.accuracy[-1] if snap.accuracy
                                   else None), extra=[("Held-out perplexity", ppl)])
        extra = snap.extra
        if "vocabulary" in extra:
            st.caption(f"Vocabulary {extra['vocabulary']:,} · out of vocabulary "
                       f"{extra['oov_rate']:.2%} · {extra['train_windows']:,} training "
                       f"windows · {extra['heldout_windows']:,} held-out windows")
        if snap.iterations:
            c1, c2 = st.columns(2)
            c1.plotly_chart(charts.epoch_accuracy_figure(
                snap, {"accuracy": ("held-out text", charts.ACCENT)}), key="lm_accuracy_chart")
            c2.plotly_chart(charts.perplexity_figure(snap), key="lm_perplexity_chart")

    ui.live_panel(run, draw)


st.title("Stacked LSTM language model")
st.caption("The paper's Fig. 2 in Keras: it reads windows of text and predicts the next "
           "symbol at every step. Measured on a held-out tail of the text by accuracy and "
           "perplexity.")
run = ui.page_run(KINDS)
live = ui.other_run_live(KINDS) or (run is not None and run.live)
text_section()
vocabulary_section()
settings_section(live)
ui.train_controls(on_train, KINDS, live, error_key="lm_error")
run_section(run)
