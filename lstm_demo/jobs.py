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
