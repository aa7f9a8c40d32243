"""The LSTM equations, written out in cell.py, reproduce keras.layers.LSTM exactly."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from lstm_demo.cell import lstm_layer, lstm_step
from lstm_demo.config import LowLevelConfig
from lstm_demo.lowlevel import ThreeSymbolModel


def _randomised(layer, rng):
    """Give a Keras LSTM non-trivial weights (biases too), so every block's role shows."""
    layer.set_weights([rng.normal(0, 0.5, w.shape).astype(np.float32) for w in layer.get_weights()])


def _our_layer(xs, weights, units):
    kernel, recurrent, bias = (tf.constant(w) for w in weights)
    zeros = tf.zeros([xs.shape[0], units])
    steps = lstm_layer([xs[:, t] for t in range(xs.shape[1])], zeros, zeros, kernel, recurrent, bias)
    return np.stack([s.h.numpy() for s in steps], 1), steps[-1].h.numpy(), steps[-1].c.numpy()


@pytest.mark.parametrize("units, inputs, steps", [(7, 5, 6), (32, 3, 3)])
def test_lstm_step_matches_keras_lstm(units, inputs, steps):
    rng = np.random.default_rng(units)
    xs = rng.normal(size=(4, steps, inputs)).astype(np.float32)
    layer = keras.layers.LSTM(units, return_sequences=True, return_state=True)
    layer(xs)  # build
    _randomised(layer, rng)
    seq, h_last, c_last = (t.numpy() for t in layer(xs))
    ours_seq, ours_h, ours_c = _our_layer(tf.constant(xs), layer.get_weights(), units)
    np.testing.assert_allclose(ours_seq, seq, atol=1e-5)
    np.testing.assert_allclose(ours_h, h_last, atol=1e-5)
    np.testing.assert_allclose(ours_c, c_last, atol=1e-5)


def test_gates_are_what_the_equations_say():
    rng = np.random.default_rng(1)
    units, n_in = 3, 2
    kernel = rng.normal(size=(n_in, 4 * units)).astype(np.float32)
    recurrent = rng.normal(size=(units, 4 * units)).astype(np.float32)
    bias = rng.normal(size=(4 * units,)).astype(np.float32)
    x = rng.normal(size=(1, n_in)).astype(np.float32)
    h0 = rng.normal(size=(1, units)).astype(np.float32)
    c0 = rng.normal(size=(1, units)).astype(np.float32)
    step = lstm_step(x, h0, c0, kernel, recurrent, bias)
    z = x @ kernel + h0 @ recurrent + bias

    def sig(v):
        return 1 / (1 + np.exp(-v))

    i, f, g, o = sig(z[:, :3]), sig(z[:, 3:6]), np.tanh(z[:, 6:9]), sig(z[:, 9:])
    np.testing.assert_allclose(step.i, i, atol=1e-6)
    np.testing.assert_allclose(step.f, f, atol=1e-6)
    np.testing.assert_allclose(step.g, g, atol=1e-6)
    np.testing.assert_allclose(step.o, o, atol=1e-6)
    np.testing.assert_allclose(step.c, c0 * f + g * i, atol=1e-6)
    np.testing.assert_allclose(step.h, np.tanh(c0 * f + g * i) * o, atol=1e-6)


@pytest.mark.parametrize("layers", [1, 2, 3])
def test_three_symbol_model_matches_a_keras_stack_with_its_weights(layers):
    vocab, units = 11, 16
    config = LowLevelConfig(units=units, layers=layers, seed=3)
    ours = ThreeSymbolModel(vocab, config)
    w = ours.weights()
    rng = np.random.default_rng(0)
    for name in w:  # move away from the initial values (forget bias 1, zero biases)
        w[name] = w[name] + rng.normal(0, 0.1, w[name].shape).astype(np.float32)
    ours = ThreeSymbolModel(vocab, config, w)
    keras_model = keras.Sequential(
        [keras.Input((3,), dtype="int32"), keras.layers.Embedding(vocab, units)]
        + [keras.layers.LSTM(units, return_sequences=k < layers - 1) for k in range(layers)]
        + [keras.layers.Dense(vocab)]
    )
    keras_model.layers[0].set_weights([w["embedding"]])
    for k in range(layers):
        keras_model.layers[1 + k].set_weights(
            [w[f"lstm{k}/kernel"], w[f"lstm{k}/recurrent_kernel"], w[f"lstm{k}/bias"]])
    keras_model.layers[-1].set_weights([w["dense/kernel"], w["dense/bias"]])
    ids = rng.integers(0, vocab, size=(8, 3)).astype(np.int32)
    np.testing.assert_allclose(ours.logits(tf.constant(ids)).numpy(),
                               keras_model(ids).numpy(), atol=1e-5)
