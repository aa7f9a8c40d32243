"""The LSTM equations, written once, with every gate exposed.

The paper's notation (section II.B), with x_t the input and h_{t-1} the previous output:

    g   = tanh(   b_g + x_t U_g + h_{t-1} V_g )    candidate
    i   = sigma(  b_i + x_t U_i + h_{t-1} V_i )    input gate
    f   = sigma(  b_f + x_t U_f + h_{t-1} V_f )    forget gate
    o   = sigma(  b_o + x_t U_o + h_{t-1} V_o )    output gate
    s_t = s_{t-1} o f + g o i                      cell state (Keras calls it c)
    h_t = tanh(s_t) o o                            hidden state / output

The four U matrices are stored side by side in one ``kernel`` (inputs x 4H), the four V
matrices in one ``recurrent_kernel`` (H x 4H) and the biases in one ``bias`` (4H), in the
block order Keras uses: i, f, g (Keras: "c"), o. Keeping Keras's layout means a
``keras.layers.LSTM``'s weights drop straight in, which is how the tests prove this
function is exact.

The same function runs on TensorFlow tensors (training, with gradients) and on NumPy
arrays (``ops=NUMPY``: the gate traces of the Gates page, where a Python loop over NumPy
is 3x faster than a TensorFlow while-loop for one sequence at a time).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import tensorflow as tf

GATE_ORDER = ("i", "f", "g", "o")  # block order inside kernel / recurrent_kernel / bias


class Step(NamedTuple):
    """Everything one LSTM step computed, each (batch, units)."""

    h: tf.Tensor  # hidden state h_t
    c: tf.Tensor  # cell state s_t
    i: tf.Tensor  # input gate
    f: tf.Tensor  # forget gate
    g: tf.Tensor  # candidate
    o: tf.Tensor  # output gate
    x_part: tf.Tensor  # x_t U, all four blocks (batch, 4*units)
    h_part: tf.Tensor  # h_{t-1} V, all four blocks (batch, 4*units)


class Ops(NamedTuple):
    matmul: Callable
    split4: Callable
    sigmoid: Callable
    tanh: Callable


TF = Ops(tf.matmul, lambda z: tf.split(z, 4, axis=-1), tf.sigmoid, tf.tanh)


def _split4(z):
    n = z.shape[-1] // 4
    return z[..., :n], z[..., n:2 * n], z[..., 2 * n:3 * n], z[..., 3 * n:]


# sigma(z) = 1/2 + tanh(z/2) / 2: the same function, without exp overflow in float32.
NUMPY = Ops(np.matmul, _split4, lambda z: 0.5 + 0.5 * np.tanh(0.5 * z), np.tanh)


def lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias, x_part=None,
              ops: Ops = TF) -> Step:
    """One time step of one LSTM layer; see the module docstring for the equations.

    ``x_part`` may be given precomputed (x_t U for a whole sequence is one matrix product,
    faster than one per step); it must equal ``x_t @ kernel``."""
    if x_part is None:
        x_part = ops.matmul(x_t, kernel)
    h_part = ops.matmul(h_prev, recurrent_kernel)
    z_i, z_f, z_g, z_o = ops.split4(x_part + h_part + bias)
    i = ops.sigmoid(z_i)
    f = ops.sigmoid(z_f)
    g = ops.tanh(z_g)
    o = ops.sigmoid(z_o)
    c = c_prev * f + g * i
    h = ops.tanh(c) * o
    return Step(h, c, i, f, g, o, x_part, h_part)


def lstm_layer(xs, h0, c0, kernel, recurrent_kernel, bias) -> list[Step]:
    """Run ``lstm_step`` over a Python list of inputs (batch, in); returns every step."""
    steps, h, c = [], h0, c0
    for x_t in xs:
        step = lstm_step(x_t, h, c, kernel, recurrent_kernel, bias)
        steps.append(step)
        h, c = step.h, step.c
    return steps
