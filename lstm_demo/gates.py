"""Per-symbol gate traces of an LSTM stack: the model's own numbers, step by step.

For every layer, time step and unit a trace holds the input gate i, forget gate f,
candidate g, output gate o, cell state c (the paper's s_t) and hidden state h, and the
parts they are made of: the pre-activations z, the input's contribution x_t U, the
recurrent contribution h_{t-1} V and the bias. It is computed with ``cell.lstm_step``, the
same function the low-level model trains with (here on NumPy float32), from the weights of
the model being traced; the tests check the traced h and c against the model's (and
Keras's) own outputs.

Any stack of LSTM layers given as (kernel, recurrent_kernel, bias) in Keras's i, f, g, o
block order can be traced, so the same code serves the low-level model and every
``keras.layers.LSTM``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf

from lstm_demo.cell import NUMPY, Step, lstm_step
from lstm_demo.text import UNK

GATES = ("i", "f", "g", "o", "c", "h")
GATE_NAMES = {
    "i": "input gate i", "f": "forget gate f", "g": "candidate g", "o": "output gate o",
    "c": "cell state c (s_t)", "h": "hidden state h",
}
BLOCK = {"i": 0, "f": 1, "g": 2, "o": 3}  # position of each gate's block in the kernels


@dataclass
class LayerTrace:
    """One layer over T steps; every array is (T, units) unless noted."""

    i: np.ndarray
    f: np.ndarray
    g: np.ndarray
    o: np.ndarray
    c: np.ndarray
    h: np.ndarray
    x_part: np.ndarray  # (T, 4*units): x_t U for the four blocks
    h_part: np.ndarray  # (T, 4*units): h_{t-1} V
    bias: np.ndarray  # (4*units,)
    c0: np.ndarray  # (units,) state before the first step
    h0: np.ndarray

    @property
    def units(self) -> int:
        return self.h.shape[1]

    @property
    def steps(self) -> int:
        return self.h.shape[0]

    def gate(self, name: str) -> np.ndarray:
        return getattr(self, name)

    def pre_activation(self, gate: str) -> np.ndarray:
        """z for gate i/f/g/o: x_t U + h_{t-1} V + b, (T, units)."""
        k, n = BLOCK[gate], self.units
        sl = slice(k * n, (k + 1) * n)
        return self.x_part[:, sl] + self.h_part[:, sl] + self.bias[sl]

    def c_prev(self) -> np.ndarray:
        return np.vstack([self.c0[None], self.c[:-1]])

    def h_prev(self) -> np.ndarray:
        return np.vstack([self.h0[None], self.h[:-1]])

    def crop(self, start: int) -> LayerTrace:
        """The steps from ``start`` on, with the state before them as the initial state:
        the same numbers, fewer columns (e.g. without a review's padding)."""
        if start <= 0:
            return self
        return LayerTrace(
            i=self.i[start:], f=self.f[start:], g=self.g[start:], o=self.o[start:],
            c=self.c[start:], h=self.h[start:], x_part=self.x_part[start:],
            h_part=self.h_part[start:], bias=self.bias, c0=self.c[start - 1],
            h0=self.h[start - 1])


@dataclass
class Trace:
    """A traced input: the symbols fed (in order) and one LayerTrace per layer."""

    symbols: list[str]
    layers: list[LayerTrace]
    skipped: list[str] = field(default_factory=list)  # typed symbols the model does not know
    unk: list[str] = field(default_factory=list)  # symbols read as <unk> (a language model)

    @property
    def steps(self) -> int:
        return len(self.symbols)


def trace_stack(x, weights, h0=None, c0=None) -> list[LayerTrace]:
    """Trace a stack of LSTM layers over one sequence.

    x: (T, input_dim) inputs to the first layer; weights: [(kernel, recurrent_kernel, bias)]
    per layer, bottom first (tensors, variables or arrays); h0/c0: optional initial states
    per layer (default zeros). Runs ``cell.lstm_step`` step by step on NumPy float32."""
    xs = np.asarray(x, np.float32)
    layers = []
    for k, (kernel, recurrent, bias) in enumerate(weights):
        kernel, recurrent, bias = (np.asarray(w, np.float32) for w in (kernel, recurrent, bias))
        units = recurrent.shape[0]
        h = np.zeros((1, units), np.float32) if h0 is None else np.asarray(h0[k], np.float32).reshape(1, units)
        c = np.zeros((1, units), np.float32) if c0 is None else np.asarray(c0[k], np.float32).reshape(1, units)
        h_init, c_init = h[0].copy(), c[0].copy()
        x_parts = xs @ kernel  # x_t U for every t at once: the same numbers, one product
        field = {name: np.empty((len(xs), 4 * units if name.endswith("_part") else units),
                                np.float32) for name in Step._fields}
        outputs = [field[name] for name in Step._fields]
        for t in range(len(xs)):
            step = lstm_step(None, h, c, kernel, recurrent, bias, x_part=x_parts[t:t + 1],
                             ops=NUMPY)
            for out, value in zip(outputs, step):
                out[t] = value[0]
            h, c = step.h, step.c
        layers.append(LayerTrace(
            i=field["i"], f=field["f"], g=field["g"], o=field["o"], c=field["c"], h=field["h"],
            x_part=field["x_part"], h_part=field["h_part"], bias=bias, c0=c_init, h0=h_init))
        xs = field["h"]
    return layers


def lookup(symbols: list[str], dictionary: dict[str, int]) -> tuple[list[str], list[int], list[str]]:
    """Split symbols into the known ones (and their ids) and the unknown ones."""
    known = [s for s in symbols if s in dictionary]
    unknown = [s for s in symbols if s not in dictionary]
    return known, [dictionary[s] for s in known], unknown


def trace_symbols(trained, symbols: list[str]) -> Trace:
    """Trace a trained model (anything with ``dictionary`` and ``model.encode`` /
    ``model.lstm_weights``) over symbols; unknown symbols are skipped and listed."""
    if getattr(trained, "kind", "") == "sentiment":
        return trace_review(trained, " ".join(symbols))
    if UNK in trained.dictionary:  # a capped vocabulary: the rest was <unk> in training too
        unk = [s for s in symbols if s not in trained.dictionary]
        ids = [trained.dictionary.get(s, trained.dictionary[UNK]) for s in symbols]
        shown = [s if s in trained.dictionary else f"{s} ({UNK})" for s in symbols]
        if not ids:
            return Trace([], [])
        return Trace(shown, trace_keras(trained.model, ids, shown).layers, unk=unk)
    known, ids, unknown = lookup(symbols, trained.dictionary)
    if not ids:
        return Trace([], [], unknown)
    if getattr(trained, "kind", "") in ("keras", "lm"):
        return Trace(known, trace_keras(trained.model, ids, known).layers, unknown)
    x = trained.model.encode(tf.constant([ids], tf.int32))[0]
    return Trace(known, trace_stack(x, trained.model.lstm_weights()), unknown)


def most_active(layer: LayerTrace, n: int, gate: str = "h") -> np.ndarray:
    """Indices of the n units whose ``gate`` varies most over the sequence (then by mean
    magnitude), the most active first."""
    values = layer.gate(gate)
    score = values.std(axis=0) + 1e-3 * np.abs(values).mean(axis=0)
    return np.argsort(-score, kind="stable")[:n]


def health(trace: Trace, low: float = 0.1, high: float = 0.9) -> dict:
    """Share of forget / input gate values near 0 and near 1, and the range of c, over all
    layers, steps and units of a trace: a quick look at saturation."""
    f = np.concatenate([lt.f.ravel() for lt in trace.layers])
    i = np.concatenate([lt.i.ravel() for lt in trace.layers])
    c = np.concatenate([lt.c.ravel() for lt in trace.layers])
    return {
        "forget_near_0": float(np.mean(f < low)), "forget_near_1": float(np.mean(f > high)),
        "input_near_0": float(np.mean(i < low)), "input_near_1": float(np.mean(i > high)),
        "c_min": float(c.min()), "c_max": float(c.max()),
    }


def equation(layer: LayerTrace, step: int, unit: int) -> dict:
    """The paper's equations for one cell at one step, with the trace's numbers plugged in,
    recomputed here from the parts (x_t U, h_{t-1} V, b) in float64."""
    n = layer.units
    parts = {}
    for gate, k in BLOCK.items():
        col = k * n + unit
        x_c = float(layer.x_part[step, col])
        h_c = float(layer.h_part[step, col])
        b = float(layer.bias[col])
        z = x_c + h_c + b
        value = np.tanh(z) if gate == "g" else 1.0 / (1.0 + np.exp(-z))
        parts[gate] = {"x": x_c, "h": h_c, "b": b, "z": z, "value": float(value),
                       "trace": float(layer.gate(gate)[step, unit])}
    s_prev = float(layer.c_prev()[step, unit])
    s_t = s_prev * parts["f"]["value"] + parts["g"]["value"] * parts["i"]["value"]
    h_t = np.tanh(s_t) * parts["o"]["value"]
    return {
        "gates": parts, "s_prev": s_prev, "s_t": float(s_t), "h_t": float(h_t),
        "s_t_trace": float(layer.c[step, unit]), "h_t_trace": float(layer.h[step, unit]),
        "h_prev": float(layer.h_prev()[step, unit]),
    }


def keras_lstm_stack(model) -> tuple[object, list[tuple]]:
    """For a Keras model made of [Embedding ->] LSTM layers [-> anything]: the layer that
    turns ids into vectors (or None) and (kernel, recurrent_kernel, bias) of each LSTM, in
    order. Keras stores an LSTM's weights in the i, f, c(=g), o block order used here."""
    import keras

    embedding, weights = None, []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Embedding) and not weights:
            embedding = layer
        elif isinstance(layer, keras.layers.LSTM):
            if layer.go_backwards or layer.activation is not keras.activations.tanh or \
                    layer.recurrent_activation is not keras.activations.sigmoid:
                raise ValueError(f"{layer.name}: only forward tanh/sigmoid LSTMs are traced")
            kernel, recurrent, bias = layer.get_weights()
            weights.append((kernel, recurrent, bias))
    if not weights:
        raise ValueError("the model has no LSTM layer")
    return embedding, weights


def trace_keras(model, ids, symbols: list[str]) -> Trace:
    """Trace the LSTM layers of a Keras model over one sequence of ids."""
    embedding, weights = keras_lstm_stack(model)
    ids = np.asarray(ids, np.int32)[None]
    x = embedding(ids).numpy()[0] if embedding is not None else ids[0].astype(np.float32)[:, None]
    return Trace(list(symbols), trace_stack(x, weights))


def trace_review(trained, text: str, show_padding: bool = False) -> Trace:
    """Trace a sentiment model over a review exactly as it reads it: all ``maxlen``
    positions, padding first. Unless ``show_padding``, the padding is then cropped off the
    shown trace (its effect stays in the state the first word starts from). Words the
    model does not know are fed as the out-of-vocabulary id, and listed in ``skipped``."""
    view = trained.view(text)
    trace = trace_keras(trained.model, view.ids, view.words)
    start = 0 if show_padding else view.status.count("pad")
    oov = [w for w, s in zip(view.words, view.status) if s == "oov"]
    return Trace(view.words[start:], [layer.crop(start) for layer in trace.layers], oov)
