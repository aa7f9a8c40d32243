"""The Keras variants of the paper (section III.B), one builder each, and the Keras
training loop that reports to the same ``training.TrainingRun`` as the low-level model.

So far: the three-symbol model in Keras, Embedding -> stacked LSTM -> Dense softmax, the
same task, data and dictionary as the low-level model, trained with ``model.fit``.
"""

from __future__ import annotations

import time

import keras
import numpy as np

from lstm_demo.config import (  # noqa: F401  (re-exported for callers of this module)
    LM_LIMITS,
    PAPER_LM,
    LanguageModelConfig,
    LowLevelConfig,
    lm_steps_per_epoch,
    validate_lm,
)
from lstm_demo.text import CONTEXT, UNK, capped_vocabulary


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


def placed_on(model: keras.Model, fallback: str) -> str:
    """The device TensorFlow put the model's weights on (what the result reports)."""
    try:
        return model.trainable_variables[0].value.device or fallback
    except (AttributeError, IndexError):
        return fallback


class StreamBatches(keras.callbacks.Callback):
    """Streams ``model.fit`` to a TrainingRun: each batch's own loss and accuracy (not the
    epoch's running means), a gate snapshot when one is due, and a stop on request.
    ``state`` holds "t" (when the last batch ended) and "done" (batches so far)."""

    def __init__(self, run, state: dict, snapshot):
        super().__init__()
        self.run, self.state, self.take_snapshot = run, state, snapshot

    def on_train_batch_begin(self, batch, logs=None):
        self.model.reset_metrics()

    def on_train_batch_end(self, batch, logs=None):
        now = time.perf_counter()
        self.run.record_steps([logs["loss"]], [logs["accuracy"]], now - self.state["t"])
        self.state["t"], self.state["done"] = now, self.state["done"] + 1
        self.take_snapshot()
        if self.run.should_stop():
            self.model.stop_training = True

    def epoch_evaluated(self) -> None:
        """Call after an evaluation at an epoch's end: it is not a training step's time."""
        self.state["t"] = time.perf_counter()


def fit_three_symbol(corpus, config: LowLevelConfig, run, until_accuracy: float | None = None,
                     probe: np.ndarray | None = None) -> TrainedKerasThreeSymbol:
    """``model.fit`` with a callback that streams each batch to ``run`` and stops the fit on
    request, at the iteration count, or at the target accuracy (checked on all pairs)."""
    from lstm_demo.gates import trace_keras

    run.set_message("Building the Keras model…")
    model = build_three_symbol(corpus.vocab_size, config)
    run.set_message(None)
    run.set_device(placed_on(model, run.requested_device))
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


# -- the stacked LSTM language model (the paper's Fig. 2) ----------------------------------
class WindowBatches(keras.utils.PyDataset):
    """Batches of (windows of ``num_steps`` ids, the same windows shifted by one), a fresh
    array for every batch: Keras may hold on to a batch while the next is made, so a
    generator that refills one buffer would corrupt training."""

    def __init__(self, ids: np.ndarray, num_steps: int, batch_size: int, shuffle: bool = True,
                 seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.ids = np.asarray(ids, np.int32)
        self.num_steps, self.batch_size, self.shuffle = num_steps, batch_size, shuffle
        self.starts = np.arange((len(self.ids) - 1) // num_steps) * num_steps
        if len(self.starts) == 0:
            raise ValueError(f"the text needs more than {num_steps} symbols for one window")
        self.rng = np.random.default_rng(seed)
        self.order = self.rng.permutation(len(self.starts)) if shuffle else np.arange(len(self.starts))

    def __len__(self) -> int:
        return -(-len(self.starts) // self.batch_size)

    def __getitem__(self, index: int):
        picked = self.starts[self.order[index * self.batch_size:(index + 1) * self.batch_size]]
        offsets = picked[:, None] + np.arange(self.num_steps)[None, :]
        return self.ids[offsets], self.ids[offsets + 1]  # fancy indexing: new arrays

    def on_epoch_end(self) -> None:
        if self.shuffle:
            self.order = self.rng.permutation(len(self.starts))


def build_language_model(vocab_size: int, config: LanguageModelConfig) -> keras.Model:
    """Embedding(hidden) -> LSTM(hidden, return_sequences) x layers -> Dropout ->
    TimeDistributed(Dense(vocab, softmax)), with integer targets (never one-hot)."""
    keras.utils.set_random_seed(config.seed)
    model = keras.Sequential(
        [keras.Input((None,), dtype="int32"),
         keras.layers.Embedding(vocab_size, config.hidden, name="embedding")]
        + [keras.layers.LSTM(config.hidden, return_sequences=True, name=f"lstm{k}")
           for k in range(config.layers)]
        + [keras.layers.Dropout(config.dropout, name="dropout"),
           keras.layers.TimeDistributed(keras.layers.Dense(vocab_size, activation="softmax"),
                                        name="softmax")],
        name="stacked_lstm_language_model",
    )
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def perplexity(model: keras.Model, batches: WindowBatches) -> tuple[float, float]:
    """(perplexity, accuracy) over every target position of every window."""
    total, hits, count = 0.0, 0, 0
    for k in range(len(batches)):
        x, y = batches[k]
        probs = np.asarray(model(x, training=False), np.float64)
        picked = np.take_along_axis(probs, y[..., None], axis=-1)[..., 0]
        total += float(-np.log(np.maximum(picked, 1e-12)).sum())
        hits += int((probs.argmax(-1) == y).sum())
        count += y.size
    return float(np.exp(total / count)), hits / count


class TrainedLanguageModel:
    """A trained stacked LSTM language model: predicts the next symbol from the last three
    symbols typed, or from a longer context."""

    kind = "lm"
    title = "Stacked LSTM language model (Keras, TimeDistributed softmax)"

    def __init__(self, model, reverse, lowercase, config: LanguageModelConfig, summary,
                 text_symbols=None):
        self.model, self.config, self.summary = model, config, summary
        self.reverse = list(reverse)
        self.dictionary = {s: i for i, s in enumerate(self.reverse)}
        self.lowercase = lowercase
        self.text_symbols = list(text_symbols or [])

    context_size = CONTEXT

    def next_probabilities(self, context_ids: np.ndarray) -> np.ndarray:
        """(batch, T) ids -> (batch, vocab): the distribution after the last position."""
        return np.asarray(self.model(np.asarray(context_ids, np.int32), training=False))[:, -1]


def fit_language_model(symbols: list[str], config: LanguageModelConfig, run,
                       lowercase: bool = True, probe_size: int = 24,
                       until_accuracy: float | None = None) -> TrainedLanguageModel:
    """Train on all but the last ``holdout`` of the text; report each batch to ``run`` and,
    after each epoch, accuracy and perplexity on the training and held-out windows."""
    reverse, oov = capped_vocabulary(symbols, config.vocab_cap)
    index = {s: i for i, s in enumerate(reverse)}
    unk = index.get(UNK, -1)
    ids = np.array([index.get(s, unk) for s in symbols], np.int32)
    split = int(len(ids) * (1 - config.holdout))
    train = WindowBatches(ids[:split], config.num_steps, config.batch_size, seed=config.seed)
    held = WindowBatches(ids[split:], config.num_steps, config.batch_size, shuffle=False)
    model = build_language_model(len(reverse), config)
    run.set_device(placed_on(model, run.requested_device))
    probe = ids[:probe_size]
    run.set_extra(vocabulary=len(reverse), oov_rate=oov, train_windows=len(train.starts),
                  heldout_windows=len(held.starts), train_symbols=split,
                  heldout_symbols=len(ids) - split,
                  probe_symbols=[reverse[i] for i in probe])
    state = {"t": time.perf_counter(), "done": 0, "reached": False}
    started = time.perf_counter()

    def snapshot(force=False):
        from lstm_demo.gates import trace_keras

        if force or run.snapshot_due(state["done"]):
            run.add_snapshot(state["done"], trace_keras(model, probe, []).layers)

    class Report(StreamBatches):
        def on_epoch_end(self, epoch, logs=None):
            ppl, acc = perplexity(self.model, held)
            run.record_eval(float(np.log(ppl)), acc, perplexity=ppl, split="held-out",
                            epoch=epoch + 1)
            if until_accuracy is not None and acc >= until_accuracy:
                state["reached"] = True
                self.model.stop_training = True
            self.epoch_evaluated()

    snapshot()
    model.fit(train, epochs=config.epochs, verbose=0, callbacks=[Report(run, state, snapshot)])
    train_seconds = time.perf_counter() - started
    if run.snapshots()[-1][0] != state["done"]:
        snapshot(force=True)
    run.set_message("Measuring the model on the whole training text and the held-out tail…")
    train_ppl, train_acc = perplexity(model, WindowBatches(ids[:split], config.num_steps,
                                                           config.batch_size, shuffle=False))
    held_ppl, held_acc = perplexity(model, held)
    summary = {"accuracy": train_acc, "perplexity": held_ppl, "train_perplexity": train_ppl,
               "heldout_accuracy": held_acc, "iterations": state["done"],
               "train_seconds": train_seconds, "oov_rate": oov, "vocabulary": len(reverse),
               "train_symbols": split, "heldout_symbols": int(len(ids) - split),
               "parameters": int(model.count_params()), "device": run.device,
               "stopped": run.should_stop(), "reached_target": state["reached"]}
    return TrainedLanguageModel(model, reverse, lowercase, config, summary, symbols)
