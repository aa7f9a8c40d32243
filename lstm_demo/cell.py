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
"""

from __future__ import annotations

from typing import NamedTuple

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


def lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias) -> Step:
    """One time step of one LSTM layer; see the module docstring for the equations."""
    x_part = tf.matmul(x_t, kernel)
    h_part = tf.matmul(h_prev, recurrent_kernel)
    z_i, z_f, z_g, z_o = tf.split(x_part + h_part + bias, 4, axis=-1)
    i = tf.sigmoid(z_i)
    f = tf.sigmoid(z_f)
    g = tf.tanh(z_g)
    o = tf.sigmoid(z_o)
    c = c_prev * f + g * i
    h = tf.tanh(c) * o
    return Step(h, c, i, f, g, o, x_part, h_part)


def lstm_layer(xs, h0, c0, kernel, recurrent_kernel, bias) -> list[Step]:
    """Run ``lstm_step`` over a Python list of inputs (batch, in); returns every step."""
    steps, h, c = [], h0, c0
    for x_t in xs:
        step = lstm_step(x_t, h, c, kernel, recurrent_kernel, bias)
        steps.append(step)
        h, c = step.h, step.c
    return steps
