"""Training jobs for each kind of model, as ``training.TrainingRun`` takes them.

Each factory returns at once; the model module (and so TensorFlow) is imported on the
training thread, so a click on Train never blocks the page while TensorFlow loads.
"""

from __future__ import annotations

from lstm_demo import config as settings
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


def language_model_job(symbols: list[str], config, lowercase: bool = True,
                       until_accuracy: float | None = None):
    """The stacked LSTM language model (Fig. 2) on a text's symbols."""

    def job(run):
        run.set_message("Loading TensorFlow and Keras…")
        from lstm_demo import keras_models

        run.set_message(None)
        return keras_models.fit_language_model(symbols, config, run, lowercase,
                                               until_accuracy=until_accuracy)

    return job


def sentiment_job(config, labelled=None, source: str = "keras",
                  until_accuracy: float | None = None):
    """The IMDB classifier (Fig. 7) on a labelled set: ``labelled`` (an
    ``imdb.LabelledSet`` already read), else the ``imdb.data_sources`` key ``source``, read
    here (keras.datasets.imdb may take a download)."""

    def job(run):
        from lstm_demo import imdb

        run.set_message("Reading the reviews…")
        data = labelled or imdb.load_source(source, num_words=config.num_words,
                                            maxlen=config.maxlen)
        word_index = imdb.load_word_index()
        problems = settings.validate_sentiment(config, word_index)
        if problems:
            raise imdb.DataError(" ".join(problems))
        run.set_total(config.epochs * settings.steps_per_epoch(len(data.train_texts), config))
        run.set_message("Loading TensorFlow and Keras…")
        from lstm_demo import sentiment

        return sentiment.fit_sentiment(data, word_index, config, run, until_accuracy)

    return job


JOBS = {"lowlevel": lowlevel_job, "keras": keras_job}  # the two three-symbol models
MODEL_KINDS = {"lowlevel": "Three-symbol model, low-level TensorFlow (the paper's III.A)",
               "keras": "Three-symbol model, Keras model.fit (same task and data)"}
# Every kind of model the app and the command line train (``trained.kind`` of each).
ALL_KINDS = {"lowlevel": "the three-symbol model in low-level TensorFlow (III.A)",
             "keras": "the three-symbol model in Keras (its twin)",
             "lm": "the stacked LSTM language model (Fig. 2)",
             "sentiment": "the IMDB sentiment classifier (Fig. 7)"}
