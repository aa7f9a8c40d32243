"""Gate traces are the model's own numbers: the traced h at every step and the final c
equal the model's outputs (and an independent keras.layers.LSTM's) to 1e-5."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from lstm_demo import gates
from lstm_demo.config import LowLevelConfig
from lstm_demo.lowlevel import ThreeSymbolModel, TrainedThreeSymbol
from lstm_demo.text import prepare
from lstm_demo.training import MAX_SNAPSHOTS, TrainingRun


def assert_same(ours, theirs):
    """Equal to 1e-5, scaled by the magnitude where it exceeds 1: a cell state of a trained
    model reaches +-40 on long inputs, where one float32 step is 4e-6, so two correct
    float32 implementations (different summation orders) can differ by 1e-5 there."""
    theirs = np.asarray(theirs)
    assert np.all(np.abs(ours - theirs) <= 1e-5 * np.maximum(1.0, np.abs(theirs))), (
        float(np.max(np.abs(ours - theirs))))


def keras_stack(weights, units):
    layers = []
    for kernel, recurrent, bias in weights:
        layer = keras.layers.LSTM(units, return_sequences=True, return_state=True)
        layer.build((None, None, kernel.shape[0]))
        layer.set_weights([np.asarray(kernel), np.asarray(recurrent), np.asarray(bias)])
        layers.append(layer)
    return layers


def run_keras(layers, x):
    outs, seq = [], x[None]
    for layer in layers:
        seq, h, c = layer(seq)
        outs.append((seq.numpy()[0], h.numpy()[0], c.numpy()[0]))
    return outs


@pytest.mark.parametrize("encoding", ["embedding", "onehot", "index"])
@pytest.mark.parametrize("trained", [False, True])
def test_lowlevel_trace_matches_the_model_and_keras(passage, trained_default, encoding, trained):
    corpus = prepare(passage)
    if trained and encoding == "embedding":
        model = trained_default[0].model
    else:
        model = ThreeSymbolModel(corpus.vocab_size, LowLevelConfig(units=24, layers=2,
                                                                  encoding=encoding))
    ids = corpus.ids[:40]
    x = model.encode(tf.constant(ids[None]))[0]
    trace = gates.trace_stack(x, model.lstm_weights())
    # 1. the model's own forward pass over the same sequence
    steps = model.layer_steps(tf.constant(ids[None]))
    for layer_trace, layer_steps in zip(trace, steps):
        assert_same(layer_trace.h, np.stack([s.h.numpy()[0] for s in layer_steps]))
        assert_same(layer_trace.c[-1], layer_steps[-1].c.numpy()[0])
    # 2. an independent implementation: Keras LSTM layers with the same weights
    for layer_trace, (seq, h, c) in zip(trace, run_keras(keras_stack(
            model.lstm_weights(), model.config.units), x)):
        assert_same(layer_trace.h, seq)
        assert_same(layer_trace.h[-1], h)
        assert_same(layer_trace.c[-1], c)


def test_trace_of_the_three_symbol_window_gives_the_models_prediction(trained_default):
    trained, corpus, _ = trained_default
    ids = np.array([corpus.dictionary[s] for s in ["stands", "in", "the"]])
    trace = gates.trace_symbols(trained, ["stands", "in", "the"])
    v = trained.model.variables_by_name
    logits = trace.layers[-1].h[-1] @ v["dense/kernel"].numpy() + v["dense/bias"].numpy()
    probs = trained.next_probabilities(ids[None])[0]
    assert corpus.reverse[int(np.argmax(logits))] == "way"
    np.testing.assert_allclose(np.exp(logits) / np.exp(logits).sum(), probs, atol=1e-5)


def test_untrained_keras_lstm_with_forget_bias_one(passage):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 5)).astype(np.float32)
    layer = keras.layers.LSTM(9, return_sequences=True, return_state=True)  # unit_forget_bias
    seq, h, c = (t.numpy()[0] for t in layer(x[None]))
    kernel, recurrent, bias = layer.get_weights()
    assert np.all(bias[9:18] == 1.0)
    (lt,) = gates.trace_stack(x, [(tf.constant(kernel), tf.constant(recurrent), tf.constant(bias))])
    assert_same(lt.h, seq)
    assert_same(lt.c[-1], c)


def test_gates_obey_the_equations_and_the_equation_view_agrees(trained_default):
    trained, corpus, _ = trained_default
    trace = gates.trace_symbols(trained, corpus.symbols[:30])
    for lt in trace.layers:
        for gate in "ifo":
            z = lt.pre_activation(gate)
            np.testing.assert_allclose(lt.gate(gate), 1 / (1 + np.exp(-z)), atol=1e-5)
        np.testing.assert_allclose(lt.g, np.tanh(lt.pre_activation("g")), atol=1e-5)
        np.testing.assert_allclose(lt.c, lt.c_prev() * lt.f + lt.g * lt.i, atol=1e-5)
        np.testing.assert_allclose(lt.h, np.tanh(lt.c) * lt.o, atol=1e-5)
        assert lt.i.min() >= 0 and lt.i.max() <= 1 and np.abs(lt.g).max() <= 1
    for step, unit in [(0, 0), (7, 5), (29, 127)]:
        eq = gates.equation(trace.layers[1], step, unit)
        assert abs(eq["h_t"] - eq["h_t_trace"]) < 1e-5
        assert abs(eq["s_t"] - eq["s_t_trace"]) < 1e-5
        for gate, part in eq["gates"].items():
            assert abs(part["value"] - part["trace"]) < 1e-5, gate


def test_unknown_symbols_are_skipped_and_listed(trained_default):
    trained = trained_default[0]
    trace = gates.trace_symbols(trained, ["the", "zebra", "mind", "<script>"])
    assert trace.symbols == ["the", "mind"] and trace.skipped == ["zebra", "<script>"]
    assert gates.trace_symbols(trained, ["zebra"]).layers == []


def test_most_active_and_health(trained_default):
    trace = gates.trace_symbols(trained_default[0], trained_default[1].symbols[:50])
    picked = gates.most_active(trace.layers[0], 8)
    assert len(picked) == 8 and len(set(picked)) == 8
    spread = trace.layers[0].h.std(axis=0)
    assert spread[picked[0]] == spread.max()  # the most active first
    report = gates.health(trace)
    assert 0 <= report["forget_near_0"] <= 1 and report["c_min"] <= report["c_max"]


def test_snapshots_are_bounded_and_thinned_evenly():
    run = TrainingRun(lambda r: None, total_iterations=100)
    for it in range(0, 10_000, 1):
        if run.snapshot_due(it):
            run.add_snapshot(it, it)
    snaps = run.snapshots()
    assert len(snaps) <= MAX_SNAPSHOTS
    its = [it for it, _ in snaps]
    gaps = set(np.diff(its[:-1]))
    assert len(gaps) == 1 and its[0] == 0  # evenly spaced from the start


def test_training_records_probe_snapshots(trained_default):
    _, _, run = trained_default
    snaps = run.snapshots()
    assert snaps[0][0] == 0 and snaps[-1][0] == run.iteration
    assert len(run.extra["probe_symbols"]) == snaps[0][1][0].steps == 24
    first, last = snaps[0][1], snaps[-1][1]
    assert not np.allclose(first[0].h, last[0].h)  # training changed the cells


@pytest.mark.parametrize("typed", ["<img src=x onerror=alert(1)>", "<script>alert(1)</script>"])
def test_coloured_text_is_escaped(typed):
    from lstm_demo.charts import coloured_text_html
    from lstm_demo.text import to_symbols

    symbols = to_symbols(typed)
    html = coloured_text_html(symbols, np.linspace(-1, 1, len(symbols)), -1, 1)
    assert "<img" not in html and "<script" not in html and "&lt;" in html


def test_bundle_keeps_the_text_for_the_gates_page(trained_default):
    from lstm_demo import bundle

    trained = trained_default[0]
    loaded, _ = bundle.from_bytes(bundle.to_bytes(trained))
    assert isinstance(loaded, TrainedThreeSymbol)
    assert loaded.text_symbols == trained.text_symbols


@pytest.mark.parametrize("randomise", [False, True])
def test_keras_stack_trace_matches_each_layers_own_output(randomise):
    vocab, units = 30, 16
    inputs = keras.Input((None,), dtype="int32")
    emb = keras.layers.Embedding(vocab, 8)(inputs)
    first = keras.layers.LSTM(units, return_sequences=True)(emb)
    second = keras.layers.LSTM(units, return_sequences=True)(first)
    out = keras.layers.Dense(vocab, activation="softmax")(second)
    model = keras.Model(inputs, out)
    if randomise:  # as if trained: nothing left at its initial value
        rng = np.random.default_rng(1)
        model.set_weights([rng.normal(0, 0.4, w.shape).astype(np.float32)
                           for w in model.get_weights()])
    else:
        assert np.all(model.layers[2].get_weights()[2][units:2 * units] == 1.0)
    probe = keras.Model(inputs, [first, second])
    ids = np.random.default_rng(2).integers(0, vocab, 25)
    h1, h2 = (t.numpy()[0] for t in probe(ids[None]))
    trace = gates.trace_keras(model, ids, [str(i) for i in ids])
    assert_same(trace.layers[0].h, h1)
    assert_same(trace.layers[1].h, h2)
    # and the final cell state, from a layer that returns it
    state_layer = keras.layers.LSTM(units, return_state=True)
    state_layer.build((None, None, units))
    state_layer.set_weights(model.layers[3].get_weights())
    _, _, c_last = state_layer(h1[None])
    assert_same(trace.layers[1].c[-1], c_last.numpy()[0])
