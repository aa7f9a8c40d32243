"""Streamlit helpers the pages share: session defaults, the current run and model, and a
status line that follows a live run from any page. The only module of the package that
imports Streamlit."""

from __future__ import annotations

import re
import sys

import streamlit as st

from lstm_demo import config as settings
from lstm_demo.datasets import DEFAULT_SAMPLE

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
} | {f"cfg_{name}": value for name, value in settings.DEFAULT.to_dict().items()}


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
            ss[key] = DEFAULT_SAMPLE.read() if key == "train_text" else value
    adopt_finished_run()


def bind(name: str, on_change=None) -> dict:
    """Keyword arguments that tie a widget to the stored value ``name``: the widget starts
    from the stored value and writes its changes back (then calls ``on_change``)."""
    st.session_state["w_" + name] = st.session_state[name]
    return {"key": "w_" + name, "on_change": _store, "args": (name, on_change)}


def _store(name: str, then=None) -> None:
    ss = st.session_state
    ss[name] = ss["w_" + name]
    ss.pop("train_error", None)  # an error about the old value no longer applies
    if then is not None:
        then()


def config_from_session() -> settings.LowLevelConfig:
    ss = st.session_state
    return settings.LowLevelConfig.from_dict(
        {name: ss[f"cfg_{name}"] for name in settings.DEFAULT.to_dict()}
    )


def apply_preset(name: str) -> None:
    for key, value in settings.PRESETS[name].to_dict().items():
        st.session_state[f"cfg_{key}"] = value


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


def adopt_finished_run() -> None:
    """When the session's run has ended with a model (finished, or stopped part-way), make
    it the session's model. A failed run leaves the previous model in place."""
    ss = st.session_state
    run = ss.get("run")
    if run is None or run.live or ss.get("adopted_run") is run:
        return
    ss["adopted_run"] = run
    if run.result is not None:
        ss["model"] = run.result
        ss["model_history"] = run.snapshot(max_points=5000)
        ss["model_run"] = run
        ss["model_source"] = "trained on the Train page"
        ss.setdefault("runs_by_kind", {})[run.kind] = run  # the latest of each, to compare


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
        then = ("This page uses the previous model until it ends." if current_model()
                else "Its model appears here when it ends.")
        st.info(f"Training in progress: iteration {run.iteration:,} of "
                f"{run.total_iterations:,}. {then}", icon=":material/hourglass_top:")

    _status()
