"""Streamlit helpers the pages share: session defaults, the current run and model, and a
status line that follows a live run from any page. The only module of the package that
imports Streamlit."""

from __future__ import annotations

import re
import sys

import streamlit as st

from lstm_demo import config as settings
from lstm_demo.datasets import DEFAULT_SAMPLE, SAMPLES

# Values that must survive page switches and reruns. Each lives in session state under its
# own name, which no widget owns; its widget uses the key "w_" + name (see ``bind``).
# Streamlit deletes the state of widgets that are not on the page, and while a fragment
# reruns on a timer it can do so even for values written back on every run
# (streamlit/streamlit#10805): so widgets only ever hold a copy.
DEFAULTS = {
    "sample": DEFAULT_SAMPLE.key,
    "train_text": None,  # filled from the default sample on first use
    "lowercase": True,
    "until_on": False,
    "until_accuracy": 97.0,
    "device": "/CPU:0",
    "predict_text": "stands in the",
    "continue_n": 32,
    "temperature": 0.8,
    "sample_seed": 0,
    "model_kind": "lowlevel",
    "gates_source": "window",
    "gates_text": "The mind adapts and converts to its own purposes the obstacle",
    "gates_start": 71,  # "the mind adapts and converts ..." in the paper's passage
    "gates_length": 24,
    "gates_layer": 0,
    "gates_units": "32",
    "gates_unit": 0,
    "gates_colour_by": "c",
    "gates_step": 0,
    "gates_follow": True,
    "gates_play": False,
    # the language model page
    "lm_sample": "aesop",
    "lm_text": None,  # filled from the sample on first use
    "lm_lowercase": True,
    "lm_corpus": None,  # a corpus file of the data folder, instead of the text box
    "lm_predict_context": 3,
    # the sentiment page
    "sent_source": "bundled",
    "review_text": "One of the best films I have seen this year. The acting is wonderful and "
                   "the story kept me interested from start to finish.",
} | {f"cfg_{name}": value for name, value in settings.DEFAULT.to_dict().items()} \
  | {f"lm_{name}": value for name, value in settings.LanguageModelConfig().to_dict().items()} \
  | {f"sent_{name}": value for name, value in settings.SentimentConfig().to_dict().items()} \
  | {"sent_batch_size": 16}  # the bundled 216 reviews learn in 10 epochs at 16, not at 64


def keep_tensorflow_caches() -> None:
    """Stop Streamlit from calling ``keras.backend.clear_session()`` after every script run.

    Streamlit does that to free memory in apps that rebuild a Keras model on each rerun. Here
    models live in session state and train on their own threads, and clear_session empties
    TensorFlow's process-wide kernel cache: every live-chart refresh (twice a second) made
    each training step of every session recompile its kernels, from ~5 ms to ~500 ms.
    """
    from streamlit.runtime.scriptrunner import script_runner

    if getattr(script_runner._clean_problem_modules, "_lstm_demo", False):
        return

    def _clean_problem_modules() -> None:  # the original, minus Keras
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")

    _clean_problem_modules._lstm_demo = True
    script_runner._clean_problem_modules = _clean_problem_modules


_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md_escape(text: str) -> str:
    """Text a person typed, made inert inside Streamlit markdown (no links, no emphasis,
    no LaTeX): every markdown special character gets a backslash."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", str(text))


def init_session() -> None:
    ss = st.session_state
    for key, value in DEFAULTS.items():
        if key not in ss:
            ss[key] = (DEFAULT_SAMPLE.read() if key == "train_text"
                       else SAMPLES[DEFAULTS["lm_sample"]].read() if key == "lm_text" else value)
    adopt_finished_run()


ERROR_KEYS = ("train_error", "lm_error", "sent_error")  # each training page's refusal


def bind(name: str, on_change=None) -> dict:
    """Keyword arguments that tie a widget to the stored value ``name``: the widget starts
    from the stored value and writes its changes back (then calls ``on_change``)."""
    st.session_state["w_" + name] = st.session_state[name]
    return {"key": "w_" + name, "on_change": _store, "args": (name, on_change)}


def _store(name: str, then=None) -> None:
    ss = st.session_state
    ss[name] = ss["w_" + name]
    for key in ERROR_KEYS:  # an error about the old value no longer applies
        ss.pop(key, None)
    if then is not None:
        then()


def config_from_session() -> settings.LowLevelConfig:
    ss = st.session_state
    return settings.LowLevelConfig.from_dict(
        {name: ss[f"cfg_{name}"] for name in settings.DEFAULT.to_dict()}
    )


def apply_preset(name: str) -> None:
    apply_values("cfg_", settings.PRESETS[name])


def apply_values(prefix: str, config) -> None:
    """Put a config's values into the stored settings ``prefix + name`` (a preset button)."""
    for key, value in config.to_dict().items():
        st.session_state[prefix + key] = value


def stored_config(prefix: str, config_class):
    """The config a page's stored settings describe (``prefix + name`` for each field)."""
    ss = st.session_state
    return config_class.from_dict({name: ss[prefix + name]
                                   for name in config_class().to_dict()})


def page_run(kinds):
    """The session's run if it trains one of ``kinds`` (the page's own models), else None.
    A session has one run at a time; other pages show it through ``run_status``."""
    run = current_run()
    if run is not None and run.kind in kinds:
        return run
    runs = st.session_state.get("runs_by_kind", {})  # in the order they ended
    mine = [r for kind, r in runs.items() if kind in kinds]
    return mine[-1] if mine else None


def session_alive_check():
    """A callable telling whether this browser session is still connected (for
    TrainingRun's ``owner_alive``), or None outside a Streamlit server (AppTest, CLI)."""
    from streamlit.runtime import Runtime, exists
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None or not exists():
        return None
    runtime, session_id = Runtime.instance(), ctx.session_id
    return lambda: runtime.is_active_session(session_id)


def current_run():
    return st.session_state.get("run")


def current_model():
    return st.session_state.get("model")


PAGE_OF_KIND = {"lowlevel": "app_pages/train.py", "keras": "app_pages/train.py",
                "lm": "app_pages/language.py", "sentiment": "app_pages/sentiment.py"}
PAGE_TITLE = {"app_pages/train.py": "Train", "app_pages/language.py": "Language model",
              "app_pages/sentiment.py": "Sentiment"}
PICKERS = ("pick_predict", "pick_gates")  # the stored model choice of each page that has one


def keep_model(model, run, source: str) -> None:
    """Make ``model`` the session's newest model, kept beside the newest of each other kind
    (so Predict and Gates can switch between a three-symbol model, a language model and a
    sentiment model). ``run`` is its training run, or None for a loaded file."""
    import gc

    ss = st.session_state
    ss["model"], ss["model_run"], ss["model_source"] = model, run, source
    ss.setdefault("models", {})[model.kind] = {"model": model, "run": run, "source": source}
    for key in PICKERS:
        ss[key] = model.kind  # the pages show the newest model first
    # The model replaced is garbage now, but TensorFlow objects sit in reference cycles that
    # only a full collection frees (the per-rerun one is off: .streamlit/config.toml).
    # Once per new model is cheap.
    gc.collect()


def pick_model(kinds, key: str, label: str = "Model") -> dict | None:
    """The kept model a page works on, among those of ``kinds``: {"model", "run", "source"}.
    With more than one, a switch lets the person choose (stored under ``key``)."""
    ss = st.session_state
    models = {k: v for k, v in ss.get("models", {}).items() if k in kinds}
    if not models:
        return None
    if ss.get(key) not in models:
        latest = ss.get("model")
        ss[key] = latest.kind if latest is not None and latest.kind in models else next(iter(models))
    if len(models) > 1:
        st.segmented_control(label, list(models), required=True, **bind(key),
                             format_func=lambda k: models[k]["model"].title)
    return models[ss[key]]


def remember_run(run) -> None:
    """Keep ``run`` as the newest of its kind (for its page and the comparison), last in
    the order of ``runs_by_kind``."""
    runs = st.session_state.setdefault("runs_by_kind", {})
    runs.pop(run.kind, None)
    runs[run.kind] = run


def adopt_finished_run() -> None:
    """When the session's run has ended with a model (finished, or stopped part-way), make
    it the session's model. A failed run leaves the previous model in place."""
    ss = st.session_state
    run = ss.get("run")
    if run is None or run.live or ss.get("adopted_run") is run:
        return
    ss["adopted_run"] = run
    if run.result is not None:
        page = PAGE_TITLE[PAGE_OF_KIND.get(run.kind, "app_pages/train.py")]
        keep_model(run.result, run, f"trained on the {page} page")
        remember_run(run)


def run_status() -> None:
    """A one-line status of a live run, refreshed every second, on pages other than Train.
    When the run ends it reruns the page so the new model is picked up."""
    run = current_run()
    if run is None or not run.live:
        return

    @st.fragment(run_every=1.0)
    def _status():
        if not run.live:
            st.rerun()
        then = ("The pages keep using the earlier models until it ends." if current_model()
                else "Its model appears on the pages that use it when it ends.")
        page = PAGE_OF_KIND.get(run.kind, "app_pages/train.py")
        st.info(f"Training in progress on the {PAGE_TITLE[page]} page: iteration "
                f"{run.iteration:,} of {run.total_iterations:,}. {then}",
                icon=":material/hourglass_top:")
        st.page_link(page, label=f"Go to {PAGE_TITLE[page]}", icon=":material/arrow_forward:")

    _status()


# -- the parts every training page shares ------------------------------------------------
def train_controls(on_train, kinds, busy: bool, error_key: str = "train_error") -> None:
    """Train and Stop for a page that trains ``kinds``, and the message of a refused start.
    Train waits while the session has a live run (``busy``); Stop stops only this page's
    own run, never one started on another page."""
    own = page_run(kinds)
    own_live = own is not None and own.live
    c1, c2, _ = st.columns([1, 1, 4])
    c1.button("Train", type="primary", on_click=on_train, disabled=busy, key="train_button",
              width="stretch")
    c2.button("Stop", on_click=stop_current_run, disabled=not own_live, key="stop_button",
              width="stretch")
    if st.session_state.get(error_key):
        st.error(md_escape(st.session_state[error_key]), icon=":material/warning:")
        if any(kind in st.session_state.get("models", {}) for kind in kinds):
            st.caption("The previously trained model is kept.")


def start_run(run, error_key: str) -> bool:
    """Start ``run`` as the session's run; when the server's queue is full, say so under
    ``error_key`` and start nothing (the session's earlier run and model stay)."""
    from lstm_demo.training import QueueFull

    try:
        st.session_state["run"] = run.start()
        return True
    except QueueFull as exc:
        st.session_state[error_key] = str(exc)
        return False


def failed_run(run) -> bool:
    """Show a failed run's error (and that the previous model stays); True if it failed."""
    if run.status != "failed":
        return False
    st.error(f"Training failed: {md_escape(run.error)}. "
             + ("The previous model is kept." if current_model() else ""))
    return True


def stop_current_run() -> None:
    run = current_run()
    if run is not None:
        run.stop()


def other_run_live(kinds) -> bool:
    """True (and says so) when the session's live run belongs to another page."""
    run = current_run()
    if run is None or not run.live or run.kind in kinds:
        return False
    run_status()
    st.caption("One run at a time per browser session: stop it, or wait for it to end, to "
               "train here.")
    return True


def live_panel(run, draw) -> None:
    """Redraw ``draw(snapshot)`` twice a second while ``run`` trains, then once more with
    the whole page when it ends (so the new model is picked up everywhere)."""
    from lstm_demo import runtime

    live_at_render = run.live

    @st.fragment(run_every=0.5 if live_at_render else None)
    def panel():
        # Fewer points while live: the page redraws twice a second, beside the training.
        snap = run.snapshot(max_points=400 if live_at_render else 2000)
        if live_at_render and not snap.live:
            st.rerun()  # the run ended: redraw the whole page with its result
        if snap.status == "queued":
            from lstm_demo.training import SLOTS

            c = SLOTS.counts()
            st.info(f"Waiting for a free training slot: place {snap.queue_position or 1} in "
                    f"the queue. {c['running']} of the server's {c['capacity']} slots are "
                    "training. It starts by itself; Stop leaves the queue.",
                    icon=":material/schedule:")
        elif snap.status == "stopped" and run.result is None:
            st.warning("Stopped while it waited for a slot: nothing was trained"
                       + ("; the previous model is kept." if current_model() else "."),
                       icon=":material/stop_circle:")
            return
        elif snap.live:
            st.info(snap.message or f"Training on {runtime.describe(snap.device)}…",
                    icon=":material/hourglass_top:")
            st.caption(f"This run: {run.label}. Settings changed above apply to the next run.")
        draw(snap)

    panel()


def progress_metrics(snap, accuracy: tuple[str, float | None], extra=()) -> None:
    """Progress bar, then Iteration, Loss, an accuracy, ``extra`` (label, text) pairs,
    ms per iteration and Elapsed (with the time left while it trains)."""
    st.progress(snap.progress, text=f"iteration {snap.iteration:,} of "
                                    f"{snap.total_iterations:,}")
    cells = st.columns(5 + len(extra))
    cells[0].metric("Iteration", f"{snap.iteration:,}")
    cells[1].metric("Loss", f"{snap.loss[-1]:.3g}" if snap.loss else "–")
    cells[2].metric(accuracy[0], f"{accuracy[1]:.2%}" if accuracy[1] is not None else "–")
    for cell, (label, text) in zip(cells[3:], extra):
        cell.metric(label, text)
    cells[-2].metric("ms / iteration",
                     f"{snap.ms_per_iteration:.2f}" if snap.ms_per_iteration else "–")
    left = ""
    if snap.live and snap.ms_per_iteration and snap.iteration > 1:
        # from the average pace so far, which counts evaluations between epochs too
        seconds = (snap.total_iterations - snap.iteration) * snap.elapsed / snap.iteration
        left = f"≈ {seconds / 60:.0f} min left" if seconds > 90 else f"≈ {seconds:.0f} s left"
    cells[-1].metric("Elapsed", f"{snap.elapsed:.1f} s", delta=left or None, delta_color="off",
                     delta_arrow="off")


def download_model(trained, run, key: str = "download_model") -> None:
    """The model as one bundle file: weights, vocabulary, settings, training history and
    gate snapshots (made when the button is pressed)."""
    from lstm_demo import bundle

    st.download_button(
        "Download the model (.zip)", key=key, on_click="ignore",
        data=lambda: bundle.to_bytes(trained, *bundle.run_record(run)),
        file_name=bundle.FILENAME, mime="application/zip",
    )


def on_bundle_upload() -> None:
    """Load an uploaded bundle: the model joins the session's models and, unless a run is
    training, its restored run becomes the session's run (curves, result, replay). A bad
    file changes nothing and says why."""
    from lstm_demo import bundle

    ss = st.session_state
    uploaded = ss.get("bundle_upload")
    if uploaded is None:
        return
    try:
        trained, restored = bundle.restore(uploaded.getvalue())
    except bundle.BundleError as exc:
        ss["bundle_error"] = str(exc)
        return
    ss.pop("bundle_error", None)
    keep_model(trained, restored, f"loaded from {uploaded.name}")
    remember_run(restored)
    run = current_run()
    if run is None or not run.live:
        ss["run"] = ss["adopted_run"] = restored


def model_file_sidebar() -> None:
    """On every page: load a bundle, and download the session's newest model."""
    from lstm_demo import bundle

    ss = st.session_state
    with st.sidebar.expander("Model file", icon=":material/save:",
                             expanded=bool(ss.get("bundle_error"))):
        st.file_uploader(f"Load a model bundle (.zip, at most {bundle.MAX_BYTES // 2**20} MB)",
                         type=["zip"], key="bundle_upload", on_change=on_bundle_upload,
                         max_upload_size=bundle.MAX_BYTES // 2**20,
                         help="A file downloaded from this app or written by "
                              "`python -m lstm_demo train --save`.")
        if ss.get("bundle_error"):
            st.error(md_escape(ss["bundle_error"]))
        model = current_model()
        if model is not None:
            st.caption(md_escape(f"Newest model: {model.title}, {ss.get('model_source', '')}."))
            download_model(model, ss.get("model_run"), key="sidebar_download")
