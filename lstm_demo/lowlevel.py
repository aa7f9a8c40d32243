"""The three-symbol model of the paper (section III.A) in low-level TensorFlow.

Three symbols go in, one after another, through 1-3 stacked LSTM layers written out with
``cell.lstm_step``; the last hidden state goes through a dense layer and a softmax over the
dictionary. Weights are plain ``tf.Variable``s, gradients come from ``tf.GradientTape``, the
optimizers are written out too (no Keras anywhere in this file).

Speed comes from three things, not from cutting corners in the maths: the three time steps
are unrolled inside one ``tf.function``; many training steps run inside one graph call
(``train_chunk``), so Python is visited every few dozen milliseconds rather than every step;
and when the text has no more pairs than the batch size, every step uses all of them.
"""

from __future__ import annotations

import math
import time

import numpy as np
import tensorflow as tf

from lstm_demo.cell import lstm_layer
from lstm_demo.config import CHUNK_MAX, LowLevelConfig
from lstm_demo.text import CONTEXT

EVAL_SAMPLE = 4096  # pairs checked periodically during long mini-batch runs
PROBE_SYMBOLS = 24  # the start of the text, traced through the gates over training


def _glorot(rng: np.random.Generator, shape) -> np.ndarray:
    limit = math.sqrt(6.0 / (shape[0] + shape[1]))
    return rng.uniform(-limit, limit, shape).astype(np.float32)


def _orthogonal(rng: np.random.Generator, rows: int, cols: int) -> np.ndarray:
    a = rng.normal(size=(max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q *= np.sign(np.diag(r))
    return (q if rows >= cols else q.T).astype(np.float32)[:rows, :cols]


class ThreeSymbolModel(tf.Module):
    """Embedding / one-hot / raw index -> stacked LSTM -> dense softmax over the dictionary."""

    def __init__(self, vocab_size: int, config: LowLevelConfig, weights: dict | None = None):
        super().__init__(name="three_symbol")
        self.vocab_size = int(vocab_size)
        self.config = config
        units, rng = config.units, np.random.default_rng(config.seed)
        if config.encoding == "embedding":
            input_dim = units
        elif config.encoding == "onehot":
            input_dim = self.vocab_size
        else:
            input_dim = 1
        init: dict[str, np.ndarray] = {}
        if config.encoding == "embedding":
            init["embedding"] = rng.uniform(-0.05, 0.05, (self.vocab_size, units)).astype(
                np.float32
            )
        for layer in range(config.layers):
            fan_in = input_dim if layer == 0 else units
            bias = np.zeros(4 * units, np.float32)
            bias[units : 2 * units] = 1.0  # forget gate starts open, as Keras and TF1 do
            init[f"lstm{layer}/kernel"] = _glorot(rng, (fan_in, 4 * units))
            init[f"lstm{layer}/recurrent_kernel"] = np.concatenate(
                [_orthogonal(rng, units, units) for _ in range(4)], axis=1
            )
            init[f"lstm{layer}/bias"] = bias
        init["dense/kernel"] = _glorot(rng, (units, self.vocab_size))
        init["dense/bias"] = np.zeros(self.vocab_size, np.float32)
        if weights is not None:
            for name, value in init.items():
                if name not in weights or tuple(weights[name].shape) != value.shape:
                    got = None if name not in weights else tuple(weights[name].shape)
                    raise ValueError(f"weight {name}: expected shape {value.shape}, got {got}")
            init = {name: np.asarray(weights[name], np.float32) for name in init}
        self.names = list(init)
        self.variables_by_name = {
            name: tf.Variable(value, name=name.replace("/", "_")) for name, value in init.items()
        }

    # -- the forward pass --------------------------------------------------------------
    def encode(self, ids):
        """(batch, T) int ids -> (batch, T, input_dim) float inputs to the first layer."""
        encoding = self.config.encoding
        if encoding == "embedding":
            return tf.gather(self.variables_by_name["embedding"], ids)
        if encoding == "onehot":
            return tf.one_hot(ids, self.vocab_size, dtype=tf.float32)
        return tf.cast(ids, tf.float32)[..., None]

    def lstm_weights(self) -> list[tuple[tf.Variable, tf.Variable, tf.Variable]]:
        """(kernel, recurrent_kernel, bias) of each layer, bottom first."""
        v = self.variables_by_name
        return [(v[f"lstm{k}/kernel"], v[f"lstm{k}/recurrent_kernel"], v[f"lstm{k}/bias"])
                for k in range(self.config.layers)]

    def layer_steps(self, ids):
        """Run the stack over (batch, T) ids from a zero state; returns, per layer, the list
        of ``cell.Step`` of each time step (T is 3 in training, any length for tracing)."""
        x = self.encode(ids)
        xs = [x[:, t, :] for t in range(ids.shape[1])]
        batch = tf.shape(ids)[0]
        zeros = tf.zeros([batch, self.config.units], tf.float32)
        stack = []
        for kernel, recurrent, bias in self.lstm_weights():
            steps = lstm_layer(xs, zeros, zeros, kernel, recurrent, bias)
            stack.append(steps)
            xs = [s.h for s in steps]
        return stack

    def logits(self, ids):
        last_h = self.layer_steps(ids)[-1][-1].h
        v = self.variables_by_name
        return tf.matmul(last_h, v["dense/kernel"]) + v["dense/bias"]

    def weights(self) -> dict[str, np.ndarray]:
        return {name: var.numpy() for name, var in self.variables_by_name.items()}

    @property
    def parameter_count(self) -> int:
        return int(sum(np.prod(v.shape) for v in self.variables_by_name.values()))


class _Optimizer:
    """RMSProp (rho 0.9) or Adam (0.9, 0.999), eps 1e-7, with TensorFlow's fused update
    kernels: one op per variable instead of about ten, so graphs trace and run faster.

    Adam:    m = 0.9 m + 0.1 g;   v = 0.999 v + 0.001 g^2;
             w -= lr * sqrt(1 - 0.999^t) / (1 - 0.9^t) * m / (sqrt(v) + eps)
    RMSProp: ms = 0.9 ms + 0.1 g^2;   w -= lr * g / sqrt(ms + eps)
    """

    def __init__(self, kind: str, learning_rate: float, variables: list[tf.Variable]):
        self.kind, self.lr, self.eps = kind, float(learning_rate), 1e-7
        self.variables = variables
        self.m = [tf.Variable(tf.zeros_like(v), trainable=False) for v in variables]
        self.v = [tf.Variable(tf.zeros_like(v), trainable=False) for v in variables]
        self.t = tf.Variable(0.0, trainable=False)

    def apply(self, grads) -> None:
        # The embedding's gradient arrives as IndexedSlices; the updates below are dense.
        grads = [tf.convert_to_tensor(g) for g in grads]
        if self.kind == "rmsprop":
            for var, ms, mom, grad in zip(self.variables, self.v, self.m, grads):
                tf.raw_ops.ResourceApplyRMSProp(
                    var=var.handle, ms=ms.handle, mom=mom.handle, lr=self.lr, rho=0.9,
                    momentum=0.0, epsilon=self.eps, grad=grad)
            return
        self.t.assign_add(1.0)
        beta1_power, beta2_power = tf.pow(0.9, self.t), tf.pow(0.999, self.t)
        for var, m, v, grad in zip(self.variables, self.m, self.v, grads):
            tf.raw_ops.ResourceApplyAdam(
                var=var.handle, m=m.handle, v=v.handle, beta1_power=beta1_power,
                beta2_power=beta2_power, lr=self.lr, beta1=0.9, beta2=0.999,
                epsilon=self.eps, grad=grad)


class LowLevelTrainer:
    """Owns a model, its optimizer and the training pairs; runs steps in graph chunks."""

    def __init__(self, x: np.ndarray, y: np.ndarray, vocab_size: int, config: LowLevelConfig):
        self.config = config
        self.n_pairs = int(len(y))
        self.x = tf.constant(x, tf.int32)
        self.y = tf.constant(y, tf.int32)
        self.model = ThreeSymbolModel(vocab_size, config)
        variables = [self.model.variables_by_name[n] for n in self.model.names]
        self.optimizer = _Optimizer(config.optimizer, config.learning_rate, variables)
        self.rng = tf.random.Generator.from_seed(config.seed)
        self.full_batch = config.batch_size >= self.n_pairs
        self.device = self.model.variables_by_name["dense/bias"].device
        # XLA fuses the small ops of a step (2-4x faster steps) but compiles for ~2 s first;
        # worth it for long runs such as the paper's 50,000 batch-1 iterations.
        self._chunk = tf.function(self._chunk_graph, jit_compile=bool(config.xla))

    def _batch(self):
        if self.full_batch:
            return self.x, self.y
        idx = self.rng.uniform([self.config.batch_size], 0, self.n_pairs, dtype=tf.int32)
        return tf.gather(self.x, idx), tf.gather(self.y, idx)

    def _step(self):
        x, y = self._batch()
        variables = self.optimizer.variables
        with tf.GradientTape() as tape:
            logits = self.model.logits(x)
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
            )
        self.optimizer.apply(tape.gradient(loss, variables))
        hits = tf.cast(tf.equal(tf.argmax(logits, -1, output_type=tf.int32), y), tf.float32)
        return loss, tf.reduce_mean(hits)

    def train_chunk(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Run ``n`` (<= CHUNK_MAX) training steps in one graph call. Returns each step's
        batch loss and accuracy, measured on the batch before that step's update."""
        n = max(1, min(int(n), CHUNK_MAX))
        losses, accs = self._chunk(tf.constant(n, tf.int32))
        return losses.numpy()[:n], accs.numpy()[:n]

    def _chunk_graph(self, n):
        # Fixed-size outputs (CHUNK_MAX) so one compiled graph serves every chunk length.
        losses = tf.TensorArray(tf.float32, size=CHUNK_MAX)
        accs = tf.TensorArray(tf.float32, size=CHUNK_MAX)
        for k in tf.range(n):
            loss, acc = self._step()
            losses = losses.write(k, loss)
            accs = accs.write(k, acc)
        return losses.stack(), accs.stack()


    def _eval_batch(self, x, y):
        # Eager on purpose: a forward pass is a few dozen ops, cheaper than tracing a graph
        # for it in every new trainer (~0.1-0.2 s, which is a fifth of a default run).
        logits = self.model.logits(x)
        loss = tf.reduce_sum(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        )
        hits = tf.reduce_sum(
            tf.cast(tf.equal(tf.argmax(logits, -1, output_type=tf.int32), y), tf.float32)
        )
        return loss, hits

    def evaluate(self, limit: int | None = None, batch: int = 4096) -> tuple[float, float]:
        """(mean loss, accuracy) over all pairs, or the first ``limit`` of them."""
        n = self.n_pairs if limit is None else min(limit, self.n_pairs)
        total_loss = total_hits = 0.0
        for start in range(0, n, batch):
            stop = min(start + batch, n)
            loss, hits = self._eval_batch(self.x[start:stop], self.y[start:stop])
            total_loss += float(loss)
            total_hits += float(hits)
        return total_loss / n, total_hits / n


@tf.function(reduce_retracing=True)
def _probabilities(model: ThreeSymbolModel, ids):
    return tf.nn.softmax(model.logits(ids))


def probabilities(model: ThreeSymbolModel, ids: np.ndarray) -> np.ndarray:
    """(batch, 3) ids -> (batch, vocab) next-symbol probabilities."""
    return _probabilities(model, tf.constant(np.asarray(ids, np.int32))).numpy()


class TrainedThreeSymbol:
    """A trained (or partly trained) three-symbol model with the dictionary it was trained
    on: what the Predict page, the command line and the bundle files work from."""

    kind = "lowlevel"
    title = "Three-symbol model (low-level TensorFlow)"

    def __init__(self, model: ThreeSymbolModel, reverse: list[str], lowercase: bool,
                 config: LowLevelConfig, summary: dict, text_symbols: list[str] | None = None):
        self.model = model
        self.text_symbols = list(text_symbols or [])  # the training text, for the Gates page
        self.reverse = list(reverse)
        self.dictionary = {s: i for i, s in enumerate(self.reverse)}
        self.lowercase = lowercase
        self.config = config
        self.summary = summary  # accuracy, iterations, stopped, train_seconds, device, ...

    @property
    def context_size(self) -> int:
        return CONTEXT

    def next_probabilities(self, context_ids: np.ndarray) -> np.ndarray:
        """(batch, 3) ids -> (batch, vocab) probabilities of the next symbol."""
        return probabilities(self.model, context_ids)


def fit(trainer: LowLevelTrainer, run, until_accuracy: float | None = None,
        chunk_seconds: float = 0.1, probe: np.ndarray | None = None) -> dict:
    """Train until the iterations are done, the target accuracy is reached on all training
    pairs, or ``run.should_stop()``. Reports to ``run``; returns a summary dict. With a
    ``probe`` (a sequence of ids) the run also keeps gate traces of it over training."""
    config = trainer.config
    run.set_device(trainer.device)
    started = time.perf_counter()
    done, n, reached = 0, 1, False
    last_check = started

    def snapshot(force: bool = False):
        if probe is not None and (force or run.snapshot_due(done)):
            from lstm_demo.gates import trace_stack

            x = trainer.model.encode(tf.constant(probe[None, :], tf.int32))[0]
            run.add_snapshot(done, trace_stack(x, trainer.model.lstm_weights()))

    snapshot()
    while done < config.iterations and not run.should_stop():
        n = min(n, config.iterations - done)
        if probe is not None:
            n = min(n, run.next_snapshot_at(done) - done)
        t0 = time.perf_counter()
        losses, accs = trainer.train_chunk(n)
        seconds = time.perf_counter() - t0
        run.record_steps(losses, accs, seconds)
        done += len(losses)
        if done > 1:  # the first chunk includes building the graph: do not size from it
            n = int(max(1, min(CHUNK_MAX, n * chunk_seconds / max(seconds, 1e-4))))
        # The batch figures are a cheap signal; the target is checked on all pairs. Runs
        # on mini-batches also get a periodic check on (up to 4096 of) the training pairs.
        now = time.perf_counter()
        signal = accs[-1] if trainer.full_batch else run.average_accuracy()
        check = until_accuracy is not None and signal >= until_accuracy and now - last_check > 0.2
        periodic = not trainer.full_batch and now - last_check > 1.0
        if check or periodic:
            last_check = now
            limit = None if check else EVAL_SAMPLE
            loss, acc = trainer.evaluate(limit)
            covered = limit is None or trainer.n_pairs <= limit
            run.record_eval(loss, acc, **({} if covered else {"sample": limit}))
            if until_accuracy is not None and covered and acc >= until_accuracy:
                reached = True
                break
        snapshot()
    train_seconds = time.perf_counter() - started
    if probe is not None and (not run.snapshots() or run.snapshots()[-1][0] != done):
        snapshot(force=True)  # the final weights, whatever the interval
    loss, acc = trainer.evaluate()
    run.record_eval(loss, acc)
    return {
        "accuracy": acc,
        "loss": loss,
        "iterations": done,
        "train_seconds": train_seconds,
        "average_accuracy": run.average_accuracy(),
        "reached_target": reached,
        "stopped": run.should_stop() and not reached and done < config.iterations,
        "device": trainer.device,
    }


def training_job(corpus, config: LowLevelConfig, until_accuracy: float | None = None):
    """A job for ``training.TrainingRun``: build, train, and return a TrainedThreeSymbol."""

    def job(run) -> TrainedThreeSymbol:
        run.set_message("Building the graph…")
        trainer = LowLevelTrainer(corpus.x, corpus.y, corpus.vocab_size, config)
        run.set_message(None)
        probe = corpus.ids[:PROBE_SYMBOLS]
        run.set_extra(probe_symbols=corpus.symbols[:PROBE_SYMBOLS])
        summary = fit(trainer, run, until_accuracy, probe=probe)
        summary |= {"pairs": trainer.n_pairs, "parameters": trainer.model.parameter_count}
        return TrainedThreeSymbol(trainer.model, corpus.reverse, corpus.lowercase, config,
                                  summary, corpus.symbols)

    return job
