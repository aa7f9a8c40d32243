"""Training jobs for each kind of model, as ``training.TrainingRun`` takes them.

Each factory returns at once; the model module (and so TensorFlow) is imported on the
training thread, so a click on Train never blocks the page while TensorFlow loads.
"""

from __future__ import annotations

from lstm_demo.config import LowLevelConfig
from lstm_demo.text import Corpus


def lowlevel_job(corpus: Corpus, config: LowLevelConfig, until_accuracy: float | None = None):
    def job(run):
        run.set_message("Loading TensorFlow…")
        from lstm_demo import lowlevel

        return lowlevel.training_job(corpus, config, until_accuracy)(run)

    return job


def keras_job(corpus: Corpus, config: LowLevelConfig, until_accuracy: float | None = None):
    """The three-symbol task in Keras (``model.fit``), through the same run machinery."""

    def job(run):
        run.set_message("Loading TensorFlow and Keras…")
        from lstm_demo import keras_models
        from lstm_demo.lowlevel import PROBE_SYMBOLS

        run.set_extra(probe_symbols=corpus.symbols[:PROBE_SYMBOLS])
        return keras_models.fit_three_symbol(corpus, config, run, until_accuracy,
                                             probe=corpus.ids[:PROBE_SYMBOLS])

    return job


JOBS = {"lowlevel": lowlevel_job, "keras": keras_job}
MODEL_KINDS = {"lowlevel": "Three-symbol model, low-level TensorFlow (the paper's III.A)",
               "keras": "Three-symbol model, Keras model.fit (same task and data)"}
