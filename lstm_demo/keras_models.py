"""The Keras variants of the paper (section III.B), one builder each, and the Keras
training loop that reports to the same ``training.TrainingRun`` as the low-level model.

So far: the three-symbol model in Keras, Embedding -> stacked LSTM -> Dense softmax, the
same task, data and dictionary as the low-level model, trained with ``model.fit``.
"""

from __future__ import annotations

import time

import keras
import numpy as np

from lstm_demo.config import LowLevelConfig
from lstm_demo.text import CONTEXT


def build_three_symbol(vocab_size: int, config: LowLevelConfig) -> keras.Model:
    """Embedding(vocab, units) -> LSTM(units) x layers -> Dense(vocab, softmax), compiled."""
    keras.utils.set_random_seed(config.seed)
    model = keras.Sequential(
        [keras.Input((CONTEXT,), dtype="int32"),
         keras.layers.Embedding(vocab_size, config.units, name="embedding")]
        + [keras.layers.LSTM(config.units, return_sequences=k < config.layers - 1,
                             name=f"lstm{k}") for k in range(config.layers)]
        + [keras.layers.Dense(vocab_size, activation="softmax", name="dense")],
        name="three_symbol_keras",
    )
    optimizer = (keras.optimizers.Adam(config.learning_rate) if config.optimizer == "adam"
                 else keras.optimizers.RMSprop(config.learning_rate))
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


class TrainedKerasThreeSymbol:
    """A trained Keras three-symbol model with its dictionary (same interface as
    ``lowlevel.TrainedThreeSymbol``)."""

    kind = "keras"
    title = "Three-symbol model (Keras)"

    def __init__(self, model: keras.Model, reverse: list[str], lowercase: bool,
                 config: LowLevelConfig, summary: dict, text_symbols: list[str] | None = None):
        self.model = model
        self.reverse = list(reverse)
        self.dictionary = {s: i for i, s in enumerate(self.reverse)}
        self.lowercase = lowercase
        self.config = config
        self.summary = summary
        self.text_symbols = list(text_symbols or [])

    @property
    def context_size(self) -> int:
        return CONTEXT

    def next_probabilities(self, context_ids: np.ndarray) -> np.ndarray:
        return np.asarray(self.model(np.asarray(context_ids, np.int32), training=False))


def accuracy_on(model: keras.Model, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(mean loss, accuracy) of a model on all pairs."""
    probs = np.asarray(model(x, training=False), np.float64)
    loss = float(-np.mean(np.log(np.maximum(probs[np.arange(len(y)), y], 1e-12))))
    return loss, float(np.mean(probs.argmax(1) == y))


def fit_three_symbol(corpus, config: LowLevelConfig, run, until_accuracy: float | None = None,
                     probe: np.ndarray | None = None) -> TrainedKerasThreeSymbol:
    """``model.fit`` with a callback that streams each batch to ``run`` and stops the fit on
    request, at the iteration count, or at the target accuracy (checked on all pairs)."""
    from lstm_demo.gates import trace_keras

    run.set_message("Building the Keras model…")
    model = build_three_symbol(corpus.vocab_size, config)
    run.set_message(None)
    run.set_device(model.layers[-1].kernel.value.device
                   if hasattr(model.layers[-1].kernel, "value") else run.requested_device)
    steps_per_epoch = -(-len(corpus.y) // config.batch_size)
    epochs = -(-config.iterations // steps_per_epoch)
    state = {"done": 0, "reached": False, "t": time.perf_counter()}
    started = time.perf_counter()

    def snapshot(force=False):
        if probe is not None and (force or run.snapshot_due(state["done"])):
            trace = trace_keras(model, probe, [])
            run.add_snapshot(state["done"], trace.layers)

    class Report(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            self.model.reset_metrics()  # per-batch figures, not running means of the epoch

        def on_train_batch_end(self, batch, logs=None):
            now = time.perf_counter()
            run.record_steps([logs["loss"]], [logs["accuracy"]], now - state["t"])
            state["t"], state["done"] = now, state["done"] + 1
            if until_accuracy is not None and logs["accuracy"] >= until_accuracy:
                loss, acc = accuracy_on(self.model, corpus.x, corpus.y)
                run.record_eval(loss, acc)
                if acc >= until_accuracy:
                    state["reached"] = True
                    self.model.stop_training = True
            snapshot()
            if run.should_stop() or state["done"] >= config.iterations:
                self.model.stop_training = True

    snapshot()
    model.fit(corpus.x, corpus.y, batch_size=config.batch_size, epochs=epochs, shuffle=True,
              verbose=0, callbacks=[Report()])
    train_seconds = time.perf_counter() - started
    if probe is not None and run.snapshots()[-1][0] != state["done"]:
        snapshot(force=True)
    loss, acc = accuracy_on(model, corpus.x, corpus.y)
    run.record_eval(loss, acc)
    summary = {
        "accuracy": acc, "loss": loss, "iterations": state["done"],
        "train_seconds": train_seconds, "average_accuracy": run.average_accuracy(),
        "reached_target": state["reached"],
        "stopped": run.should_stop() and not state["reached"],
        "device": run.device, "pairs": int(len(corpus.y)),
        "parameters": int(model.count_params()),
    }
    return TrainedKerasThreeSymbol(model, corpus.reverse, corpus.lowercase, config, summary,
                                   corpus.symbols)
