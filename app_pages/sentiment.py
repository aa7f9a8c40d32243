"""Sentiment: the paper's IMDB classifier (Fig. 7), trained live on labelled reviews, and a
box to type a review and see what the model reads and thinks of it."""

import numpy as np
import pandas as pd
import streamlit as st

from lstm_demo import charts, imdb, runtime, ui
from lstm_demo import config as settings
from lstm_demo.datasets import DATA_ENV, data_folder
from lstm_demo.gates import most_active
from lstm_demo.jobs import sentiment_job
from lstm_demo.training import STOPPED, TrainingRun

ss = st.session_state
KINDS = ("sentiment",)
UPLOAD = "upload"
PAPER_ACCURACY = 0.8512


@st.cache_resource(max_entries=6, show_spinner="Reading the reviews…")
def load_set(key: str) -> imdb.LabelledSet:
    """A labelled set from the bundled file or the data folder, read once per server and
    shared read-only by every session."""
    return imdb.load_source(key)


@st.cache_data(ttl=30, show_spinner="Looking for keras.datasets.imdb…")
def keras_status() -> tuple[bool, str]:
    return imdb.keras_imdb_status()  # at most ~3 s without a network, then cached


@st.cache_resource(max_entries=16)
def model_summary(values: tuple) -> list[dict]:
    from lstm_demo import sentiment

    config = settings.SentimentConfig.from_dict(dict(values))
    return sentiment.summary_rows(sentiment.build_sentiment(config))


def on_upload():
    uploaded = ss.get("sent_upload")
    if uploaded is None:
        ss.pop("sent_uploaded", None)
        return
    try:
        texts, labels = imdb.parse_labelled(uploaded.getvalue(), uploaded.name)
        ss.sent_uploaded = imdb.split(uploaded.name, texts, labels, about="uploaded")
        ss.pop("sent_upload_error", None)
    except imdb.DataError as exc:
        ss.pop("sent_uploaded", None)
        ss.sent_upload_error = str(exc)


def chosen_set() -> tuple[imdb.LabelledSet | None, str | None]:
    """(the labelled set chosen, or None for keras.datasets.imdb / nothing yet; a problem)."""
    if ss.sent_source == UPLOAD:
        return ss.get("sent_uploaded"), None if ss.get("sent_uploaded") else \
            "Upload a labelled file first."
    if ss.sent_source == "keras":
        usable, message = keras_status()
        return None, None if usable else message
    try:
        return load_set(ss.sent_source), None
    except (imdb.DataError, OSError) as exc:
        return None, str(exc)


def on_train():
    run = ui.current_run()
    if run is not None and run.live:
        return
    ss.pop("sent_error", None)
    config = ui.stored_config("sent_", settings.SentimentConfig)
    problems = settings.validate_sentiment(config, imdb.load_word_index())
    labelled, problem = chosen_set()
    if problem:
        problems.insert(0, problem)
    if problems:
        ss.sent_error = "Cannot train: " + " ".join(problems)
        return
    steps = (settings.steps_per_epoch(len(labelled.train_texts), config) if labelled
             else -(-22_500 // config.batch_size))  # keras.datasets.imdb: 25,000 - held out
    run = TrainingRun(
        sentiment_job(config, labelled, ss.sent_source),
        total_iterations=config.epochs * steps,
        device=ss.device,
        label=(f"Fig. 7 model, {config.num_words:,} words, length {config.maxlen}, LSTM "
               f"{config.units}, dropout {config.dropout:g}, batch {config.batch_size}, "
               f"{config.epochs} epochs"),
        owner_alive=ui.session_alive_check(),
        kind="sentiment",
    )
    if not ui.start_run(run, "sent_error"):
        return


def data_section():
    st.subheader("1 · The reviews")
    sources = {s.key: s.title for s in imdb.data_sources()}
    sources[UPLOAD] = "Upload a labelled file (CSV with text,label or text<TAB>label lines)"
    if ss.sent_source not in sources:
        ss.sent_source = "bundled"
    st.selectbox("Labelled reviews", list(sources), format_func=sources.get,
                 **ui.bind("sent_source"))
    if data_folder() is None:
        st.caption(f"More sets (the aclImdb subset, sentence polarity…) appear here when the "
                   f"server is started with {DATA_ENV} set to a data folder.")
    if ss.sent_source == UPLOAD:
        st.file_uploader(f"Labelled reviews (at most {imdb.MAX_LABELLED_BYTES // 1_000_000} MB)",
                         type=["csv", "tsv", "txt"], key="sent_upload", on_change=on_upload,
                         max_upload_size=imdb.MAX_LABELLED_BYTES // 1_000_000)
        if ss.get("sent_upload_error"):
            st.error(ui.md_escape(ss.sent_upload_error))
    labelled, problem = chosen_set()
    if problem:
        (st.warning if ss.sent_source != UPLOAD else st.caption)(ui.md_escape(problem))
        return
    if labelled is None:  # keras.datasets.imdb, available
        st.caption(ui.md_escape(keras_status()[1]))
        return
    counts = labelled.counts()
    c1, c2, c3 = st.columns(3)
    c1.metric("Training reviews", f"{counts['train']:,}",
              help=f"{counts['train_positive']:,} positive")
    c2.metric("Test reviews", f"{counts['test']:,}", help=f"{counts['test_positive']:,} positive")
    c3.metric("Positive share (train)", f"{counts['train_positive'] / max(1, counts['train']):.0%}")
    for note in labelled.notes:
        st.caption(ui.md_escape(note))
    with st.expander("Some of the training reviews"):
        st.dataframe(pd.DataFrame({"label": ["positive" if v else "negative"
                                             for v in labelled.train_labels[:20]],
                                   "review": [str(t)[:300] for t in labelled.train_texts[:20]]}),
                     hide_index=True, key="sent_examples")
    index = imdb.load_word_index()
    st.caption(ui.md_escape(f"Encoded exactly as keras.datasets.imdb: word index from "
                            f"{index.source}, + 3; 0 = padding, 1 = start, 2 = out of "
                            "vocabulary; padded and truncated at the front."))


def settings_section(live: bool):
    st.subheader("2 · The model (the paper's Fig. 7)")
    limits = settings.SENTIMENT_LIMITS

    def lim(name):
        low, high = limits[name]
        return f"{low:g}–{high:,}" if isinstance(high, int) else f"{low:g}–{high:g}"

    b1, b2, _ = st.columns([1, 1, 3])
    b1.button("Paper settings", on_click=ui.apply_values,
              args=("sent_", settings.PAPER_SENTIMENT), disabled=live,
              help="1,000 words, embedding 50, length 200, LSTM 100, Dense 250: 135,901 "
                   "parameters, as Fig. 7; batch 64, 10 epochs.")
    b2.button("Small-set settings", on_click=ui.apply_values,
              args=("sent_", settings.SentimentConfig(batch_size=16)), disabled=live,
              help="The same model with batch 16 (the default here): the app's 216 training "
                   "reviews give only 4 steps an epoch at 64.")
    c1, c2, c3, c4 = st.columns(4)
    c1.number_input(f"Vocabulary, num_words ({lim('num_words')})", step=100,
                    **ui.bind("sent_num_words"))
    c2.number_input(f"Embedding size ({lim('embedding')})", step=10, **ui.bind("sent_embedding"))
    c3.number_input(f"Review length ({lim('maxlen')})", step=10, **ui.bind("sent_maxlen"))
    c4.number_input(f"LSTM units ({lim('units')})", step=10, **ui.bind("sent_units"))
    c1.number_input(f"Dense units ({lim('dense')})", step=10, **ui.bind("sent_dense"))
    c2.number_input(f"Dropout ({lim('dropout')})", step=0.1, **ui.bind("sent_dropout"))
    c3.number_input(f"Epochs ({lim('epochs')})", step=1, **ui.bind("sent_epochs"))
    c4.number_input(f"Batch size ({lim('batch_size')})", step=16, **ui.bind("sent_batch_size"))
    c1.number_input(f"Learning rate ({lim('learning_rate')})", step=0.0005, format="%.4f",
                    **ui.bind("sent_learning_rate"))
    c2.number_input(f"Held-out share ({lim('holdout')})", step=0.05, **ui.bind("sent_holdout"),
                    help="Kept out of the training reviews for the held-out curve.")
    c3.number_input(f"Random seed ({lim('seed')})", step=1, **ui.bind("sent_seed"))
    c4.toggle("Keep the best epoch", **ui.bind("sent_keep_best"),
              help="End with the weights of the epoch with the best held-out accuracy (the "
                   "test reviews never decide anything).")
    config = ui.stored_config("sent_", settings.SentimentConfig)
    if settings.validate_sentiment(config):
        return
    if not runtime.tf_ready():
        st.caption("The model summary appears here when TensorFlow has loaded.")
        return
    rows = model_summary(tuple(sorted(config.to_dict().items())))
    total = sum(r["parameters"] for r in rows)
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="sent_summary")
    same = "the same as the paper's Fig. 7" if total == 135_901 else "Fig. 7 has 135,901"
    st.caption(f"Total parameters: **{total:,}** ({same}). Dense 250 uses ReLU; binary "
               "cross-entropy, Adam.")
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
           "trained model is kept"
           if run.status == STOPPED else f"Done: {s['epochs']} epoch(s), {s['iterations']:,} "
           f"steps in {s['train_seconds']:.0f} s on {runtime.describe(s['device'])}")
    kept = (f" It keeps the weights of epoch {s['kept_epoch']}, the best on the held-out "
            "reviews." if s.get("kept_epoch") and s["kept_epoch"] != s.get("epochs") else "")
    held = s.get("heldout_accuracy", float("nan"))
    held = f"{held:.2%}" if held == held else "none held out"
    st.success(f"{how}. **Test accuracy {s['test_accuracy']:.2%}** on "
               f"{s['test_reviews']:,} reviews; held-out {held}; "
               f"training {s['accuracy']:.2%}.{kept} (The paper: 85.12% on IMDB's 25,000 "
               "test reviews.)", icon=":material/check_circle:")
    if ui.current_model() is trained:
        c1, c2 = st.columns([1, 3])
        c1.page_link("app_pages/gates.py", label="Look at its gates", icon=":material/grid_on:")
        with c2:
            ui.download_model(trained, run)


def run_section(run):
    st.subheader("3 · Training")
    if run is None:
        st.caption("Press **Train**. The batch curve is live; train, held-out and test "
                   "accuracy are measured after every epoch.")
        return

    def draw(snap):
        if not snap.live:
            result_summary(run)
        test = snap.evals[-1]["test_accuracy"] if snap.evals else None
        label = "Test accuracy"
        if not snap.live and run.result is not None:  # the model kept: its best epoch's
            test, label = run.result.summary["test_accuracy"], "Test accuracy (kept)"
        ui.progress_metrics(snap, (label, test), extra=[
            ("Batch accuracy", f"{snap.accuracy[-1]:.2%}" if snap.accuracy else "–")])
        if snap.iterations:
            c1, c2 = st.columns(2)
            c1.plotly_chart(charts.epoch_accuracy_figure(
                snap, {"train_accuracy": ("training reviews", charts.BLUE),
                       "heldout_accuracy": ("held-out reviews", "#2ca02c"),
                       "test_accuracy": ("test reviews", charts.ACCENT)},
                reference=(PAPER_ACCURACY, "paper: 85.12%")), key="sent_accuracy_chart")
            c2.plotly_chart(charts.loss_figure(snap, "test reviews"), key="sent_loss_chart")

    ui.live_panel(run, draw)


def review_section():
    entry = ss.get("models", {}).get("sentiment")
    st.subheader("4 · Your review")
    if entry is None:
        st.caption("Train the model (or load a saved one: sidebar, *Model file*) to try it on "
                   "your own review.")
        return
    model = entry["model"]
    st.text_area("Type a review", **ui.bind("review_text"), height=120)
    view = model.view(ss.review_text)
    if view.total_words == 0:
        st.info("Type a review (words, not only punctuation) to see what the model makes of "
                "it.", icon=":material/edit:")
        return
    p = float(model.positive_probability([ss.review_text])[0])
    c1, c2 = st.columns([1, 3])
    c1.metric("Positive", f"{p:.1%}", help="The model's sigmoid output for this review.")
    c1.markdown(f"**{'positive' if p >= 0.5 else 'negative'}**")
    oov = view.status.count("oov")
    with c2:
        st.markdown(charts.review_tokens_html(view), unsafe_allow_html=True)  # all escaped
        st.caption(f"The {model.config.maxlen} positions the model reads: {view.total_words} "
                   f"words, {oov} out of its {model.config.num_words:,}-word vocabulary "
                   "(struck through, id 2)"
                   + (f", {len(view.dropped):,} cut off the front (greyed)" if view.dropped
                      else "") + ". Hover a word for its id.")
    from lstm_demo.gates import trace_review

    trace = trace_review(model, ss.review_text)
    layer = trace.layers[0]
    units = most_active(layer, min(16, layer.units))
    st.plotly_chart(charts.gate_heatmaps(layer, trace.symbols, units,
                                         max(1e-6, float(np.abs(layer.c).max()))),
                    key="review_gates")
    st.caption("Its LSTM's gates, cell state and hidden state over the review's words (the 16 "
               "most active units). The Gates page has every view of them.")
    if st.button("Open this review on the Gates page", icon=":material/grid_on:",
                 key="review_to_gates"):
        ss.pick_gates = "sentiment"
        st.switch_page("app_pages/gates.py")


st.title("Sentiment: the paper's IMDB classifier")
st.caption("Embedding → Dropout → LSTM(100) → Dense(250) → Dropout → Dense(1, sigmoid), in "
           "Keras (section III.B, Fig. 7). The paper reaches 85.12% on IMDB.")
run = ui.page_run(KINDS)
live = ui.other_run_live(KINDS) or (run is not None and run.live)
data_section()
settings_section(live)
ui.train_controls(on_train, KINDS, live, error_key="sent_error")
run_section(run)
review_section()
