"""The IMDB sentiment classifier of the paper's Fig. 7, trained live through
``training.TrainingRun``:

    Embedding(1000 words, 50, input length 200) -> Dropout -> LSTM(100) -> Dense(250)
    -> Dropout -> Dense(1, sigmoid), binary cross-entropy, Adam: 135,901 parameters.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import keras
import numpy as np

from lstm_demo import imdb
from lstm_demo.config import (  # noqa: F401  (re-exported)
    PAPER_SENTIMENT,
    SENTIMENT_LIMITS,
    SentimentConfig,
    steps_per_epoch,
    validate_sentiment,
)
from lstm_demo.keras_models import StreamBatches, placed_on

PAPER_PARAMETERS = 135_901


def build_sentiment(config: SentimentConfig = PAPER_SENTIMENT) -> keras.Model:
    keras.utils.set_random_seed(config.seed)
    model = keras.Sequential([
        keras.Input((config.maxlen,), dtype="int32"),
        keras.layers.Embedding(config.num_words, config.embedding, name="embedding"),
        keras.layers.Dropout(config.dropout, name="dropout_1"),
        keras.layers.LSTM(config.units, name="lstm"),
        keras.layers.Dense(config.dense, activation="relu", name="dense_1"),
        keras.layers.Dropout(config.dropout, name="dropout_2"),
        keras.layers.Dense(1, activation="sigmoid", name="dense_2"),
    ], name="imdb_sentiment")
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model


def summary_rows(model: keras.Model) -> list[dict]:
    """The model summary as the paper's Fig. 7 prints it: layer, output shape, parameters."""
    rows = []
    for layer in model.layers:
        shape = tuple(layer.output.shape)
        rows.append({"layer (type)": f"{layer.name} ({type(layer).__name__})",
                     "output shape": str(shape).replace("None", "None"),
                     "parameters": int(layer.count_params())})
    return rows


@dataclass
class Encoded:
    """A labelled set encoded for the model: train, held-out and test arrays."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_held: np.ndarray
    y_held: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    first_review: str  # a training review, for the gate snapshots


def encode_set(data: imdb.LabelledSet, index: dict, config: SentimentConfig) -> Encoded:
    def encode(texts):
        if data.encoded:  # keras.datasets.imdb: already ids (num_words applied on loading)
            return imdb.pad([[i if i < config.num_words else imdb.OOV for i in t]
                             for t in texts], config.maxlen)
        return imdb.encode_texts(texts, index, config.num_words, config.maxlen)

    x, y = encode(data.train_texts), np.asarray(data.train_labels, np.float32)
    order = np.random.default_rng(config.seed).permutation(len(x))
    n_held = int(round(len(x) * config.holdout))
    if len(x) - n_held < 2:
        raise imdb.DataError("Too few training reviews left after the held-out share.")
    held, train = order[:n_held], order[n_held:]
    first = "" if data.encoded else str(data.train_texts[int(train[0])])
    return Encoded(x[train], y[train], x[held], y[held], encode(data.test_texts),
                   np.asarray(data.test_labels, np.float32), first)


def evaluate(model: keras.Model, x: np.ndarray, y: np.ndarray, batch: int = 500):
    """(binary cross-entropy, accuracy) of the model on (x, y); (nan, nan) if empty."""
    if len(x) == 0:
        return float("nan"), float("nan")
    p = np.concatenate([np.asarray(model(x[k:k + batch], training=False))[:, 0]
                        for k in range(0, len(x), batch)]).astype(np.float64)
    p = np.clip(p, 1e-7, 1 - 1e-7)
    loss = float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    return loss, float(np.mean((p > 0.5) == (y > 0.5)))


class TrainedSentiment:
    """A trained sentiment classifier with the part of the word index it uses."""

    kind = "sentiment"
    title = "IMDB sentiment classifier (Keras, the paper's Fig. 7)"
    lowercase = True

    def __init__(self, model: keras.Model, config: SentimentConfig, words: dict[str, int],
                 summary: dict, index_source: str = "", data_name: str = "",
                 text_symbols: list[str] | None = None):
        self.model, self.config, self.summary = model, config, summary
        # word -> rank, only the words whose id is below num_words: the rest are OOV anyway
        self.words = {w: r for w, r in words.items() if r + imdb.INDEX_FROM < config.num_words}
        self.index_source, self.data_name = index_source, data_name
        self.text_symbols = list(text_symbols or [])
        self.dictionary = {w: r + imdb.INDEX_FROM for w, r in self.words.items()}

    def tokenize(self, text: str) -> list[str]:
        return imdb.tokenize(text)

    def view(self, text: str) -> imdb.ReviewView:
        return imdb.view_review(text, self.words, self.config.num_words, self.config.maxlen)

    def positive_probability(self, texts: list[str]) -> np.ndarray:
        x = imdb.encode_texts(texts, self.words, self.config.num_words, self.config.maxlen)
        return np.asarray(self.model(x, training=False))[:, 0]


def fit_sentiment(data: imdb.LabelledSet, word_index: imdb.WordIndex, config: SentimentConfig,
                  run, until_accuracy: float | None = None) -> TrainedSentiment:
    """``model.fit`` over the training reviews; every batch goes to ``run``, and after each
    epoch the accuracy on a sample of the training reviews, the held-out reviews and the
    test reviews (``record_eval``, with ``test_accuracy`` and friends). With
    ``until_accuracy``, it stops after the first epoch whose held-out accuracy reaches it
    (the test set is never used to decide anything)."""
    from lstm_demo.gates import trace_review

    run.set_message("Encoding the reviews…")
    enc = encode_set(data, word_index.index, config)
    model = build_sentiment(config)
    run.set_device(placed_on(model, run.requested_device))
    trained = TrainedSentiment(model, config, word_index.index, {}, word_index.source,
                               data.name)
    probe = enc.first_review or "this movie was great fun and i loved it"
    trained.text_symbols = imdb.tokenize(probe)
    run.set_extra(probe_symbols=trace_review(trained, probe).symbols, data_name=data.name, counts=data.counts(),
                  heldout=len(enc.x_held), parameters=int(model.count_params()))
    run.set_message(None)
    sample = np.random.default_rng(1).permutation(len(enc.x_train))[:2000]
    state = {"t": time.perf_counter(), "done": 0, "epoch": 0, "reached": False,
             "best": -1.0, "best_weights": None, "best_eval": None}
    started = time.perf_counter()

    def snapshot(force=False):
        if force or run.snapshot_due(state["done"]):
            trace = trace_review(trained, probe)
            run.add_snapshot(state["done"], trace.layers)

    def record_epoch():
        train_loss, train_acc = evaluate(model, enc.x_train[sample], enc.y_train[sample])
        _, held_acc = evaluate(model, enc.x_held, enc.y_held)
        test_loss, test_acc = evaluate(model, enc.x_test, enc.y_test)
        run.record_eval(test_loss, test_acc, split="test", epoch=state["epoch"],
                        test_accuracy=test_acc, heldout_accuracy=held_acc,
                        train_accuracy=train_acc, train_loss=train_loss,
                        seconds=time.perf_counter() - started)

    class Report(StreamBatches):
        def on_epoch_end(self, epoch, logs=None):
            state["epoch"] = epoch + 1
            if not run.should_stop():
                record_epoch()
                self.epoch_evaluated()
                held = run.last_eval()["heldout_accuracy"]
                # ties go to the later epoch, trained longer; NaN (none held out) never counts
                if config.keep_best and held >= state["best"]:
                    state["best"], state["best_eval"] = held, run.last_eval()
                    state["best_weights"] = self.model.get_weights()
                if until_accuracy is not None and held >= until_accuracy:
                    state["reached"] = True
                    self.model.stop_training = True

    snapshot()
    model.fit(enc.x_train, enc.y_train, batch_size=config.batch_size, epochs=config.epochs,
              shuffle=True, verbose=0, callbacks=[Report(run, state, snapshot)])
    train_seconds = time.perf_counter() - started
    last = run.last_eval()
    if last is None or last["iteration"] != state["done"]:  # stopped inside an epoch
        run.set_message("Measuring the model as it stands on the training, held-out and "
                        "test reviews…")
        record_epoch()
        last = run.last_eval()
    kept = "last"
    if state["best_weights"] is not None and state["best_eval"]["iteration"] != state["done"] \
            and state["best"] >= last["heldout_accuracy"]:
        model.set_weights(state["best_weights"])  # the epoch best on the held-out reviews
        last, kept = state["best_eval"], state["best_eval"]["epoch"]
    if run.snapshots()[-1][0] != state["done"]:
        snapshot(force=True)
    trained.summary = {
        "accuracy": last["train_accuracy"], "test_accuracy": last["test_accuracy"],
        "heldout_accuracy": last["heldout_accuracy"], "loss": last["train_loss"],
        "test_loss": last["loss"], "iterations": state["done"], "epochs": state["epoch"],
        "train_seconds": train_seconds, "device": run.device,
        "parameters": int(model.count_params()), "train_reviews": int(len(enc.x_train)),
        "heldout_reviews": int(len(enc.x_held)), "test_reviews": int(len(enc.x_test)),
        "data": data.name, "stopped": run.should_stop(), "reached_target": state["reached"],
        "kept_epoch": kept if kept != "last" else state["epoch"],
    }
    return trained
