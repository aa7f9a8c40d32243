"""The three-symbol task in Keras, trained through the same TrainingRun as the low-level
model; its gate traces match its own layers."""

import numpy as np
import pytest

from lstm_demo import gates
from lstm_demo.config import LowLevelConfig
from lstm_demo.jobs import keras_job
from lstm_demo.predict import read_context, top_k
from lstm_demo.text import prepare
from lstm_demo.training import FINISHED, STOPPED, TrainingRun


@pytest.fixture(scope="module")
def keras_run(passage):
    corpus = prepare(passage)
    config = LowLevelConfig(units=64, iterations=400)
    run = TrainingRun(keras_job(corpus, config, until_accuracy=0.97),
                      total_iterations=config.iterations).start()
    assert run.join(180)
    assert run.status == FINISHED, run.error_detail
    return run, corpus


def test_keras_three_symbol_reaches_97_and_predicts_way(keras_run):
    run, corpus = keras_run
    trained = run.result
    assert trained.summary["reached_target"] and trained.summary["accuracy"] >= 0.97
    probs = trained.next_probabilities(corpus.x)
    assert np.mean(probs.argmax(1) == corpus.y) == pytest.approx(trained.summary["accuracy"])
    assert top_k(trained, read_context("stands in the", trained).ids, 1)[0][0] == "way"
    snap = run.snapshot(max_points=10_000)
    assert snap.iterations == list(range(1, run.iteration + 1))
    assert run.snapshots()[0][0] == 0 and run.snapshots()[-1][0] == run.iteration


def test_keras_trace_gives_the_models_own_prediction(keras_run):
    run, corpus = keras_run
    trained = run.result
    trace = gates.trace_symbols(trained, ["stands", "in", "the"])
    dense = trained.model.get_layer("dense")
    kernel, bias = dense.get_weights()
    logits = trace.layers[-1].h[-1] @ kernel + bias
    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    ids = np.array([[trained.dictionary[s] for s in ["stands", "in", "the"]]])
    np.testing.assert_allclose(probs, trained.next_probabilities(ids)[0], atol=1e-5)


def test_keras_run_stops_within_a_second(passage):
    import time

    corpus = prepare(passage)
    config = LowLevelConfig(units=32, iterations=200_000)
    run = TrainingRun(keras_job(corpus, config), total_iterations=config.iterations).start()
    while run.iteration < 10:
        run.join(0.05)
    asked = time.perf_counter()
    run.stop()
    assert run.join(5) and time.perf_counter() - asked < 1.0
    assert run.status == STOPPED and run.result is not None


def test_keras_bundle_round_trip(keras_run):
    from lstm_demo import bundle

    run, corpus = keras_run
    loaded, manifest = bundle.from_bytes(bundle.to_bytes(run.result))
    assert manifest["kind"] == "keras" and loaded.kind == "keras"
    np.testing.assert_allclose(loaded.next_probabilities(corpus.x),
                               run.result.next_probabilities(corpus.x), atol=1e-6)


def test_a_bundle_carrying_code_is_refused(keras_run, tmp_path):
    import io
    import json
    import zipfile

    import keras

    from lstm_demo import bundle

    run, _ = keras_run
    evil = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(lambda x: x * 2),
                             keras.layers.Dense(len(run.result.reverse))])
    evil.save(tmp_path / "evil.keras")
    good = zipfile.ZipFile(io.BytesIO(bundle.to_bytes(run.result)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("manifest.json", good.read("manifest.json"))
        zf.writestr("model.keras", (tmp_path / "evil.keras").read_bytes())
    with pytest.raises(bundle.BundleError, match="cannot be loaded safely|layers this app"):
        bundle.from_bytes(out.getvalue())
    assert json.loads(good.read("manifest.json"))["kind"] == "keras"


def test_language_model_batches_are_windows_and_their_shift():
    from lstm_demo.keras_models import WindowBatches

    ids = np.arange(101, dtype=np.int32)
    batches = WindowBatches(ids, num_steps=10, batch_size=4, seed=1)
    assert len(batches.starts) == 10 and len(batches) == 3
    x, y = batches[0]
    assert x.shape == (4, 10) and y.shape == (4, 10)
    np.testing.assert_array_equal(y, x + 1)  # the targets are the inputs advanced one step
    assert all(row[0] % 10 == 0 for row in x)
    x2, _ = batches[1]
    assert not np.shares_memory(x, x2)  # every batch a fresh array
    x[:] = -1
    assert batches[0][0].min() >= 0  # writing into a batch cannot corrupt the next one
    seen = np.concatenate([batches[k][0][:, 0] for k in range(len(batches))])
    assert sorted(seen) == list(range(0, 100, 10))  # each window once per epoch


def test_vocabulary_cap_and_unk():
    from lstm_demo.keras_models import UNK, capped_vocabulary

    symbols = "a a a b b c d e".split()
    reverse, oov = capped_vocabulary(symbols, 3)
    assert reverse == ["a", "b", UNK] and oov == pytest.approx(3 / 8)
    assert capped_vocabulary(symbols, 10) == (["a", "b", "c", "d", "e"], 0.0)


def test_language_model_is_the_papers_fig_2_and_learns(passage):
    import keras

    from lstm_demo.keras_models import LanguageModelConfig, build_language_model, fit_language_model

    model = build_language_model(65, LanguageModelConfig(hidden=500, layers=2))
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Embedding", "LSTM", "LSTM", "Dropout", "TimeDistributed"]
    assert isinstance(model.layers[-1].layer, keras.layers.Dense)
    assert model.loss == "sparse_categorical_crossentropy"
    symbols = prepare(passage).symbols * 4
    config = LanguageModelConfig(hidden=32, num_steps=8, batch_size=8, epochs=6,
                                 learning_rate=0.01)
    run = TrainingRun(lambda r: fit_language_model(symbols, config, r),
                      total_iterations=10_000).start()
    assert run.join(180) and run.status == FINISHED, run.error_detail
    trained = run.result
    evals = run.snapshot().evals
    assert len(evals) == config.epochs and evals[-1]["perplexity"] < evals[0]["perplexity"]
    assert trained.summary["perplexity"] < 65  # better than guessing among 65 symbols
    probs = trained.next_probabilities(np.array([[trained.dictionary[s] for s in
                                                  ["what", "stands", "in", "the"]]]))
    assert probs.shape == (1, len(trained.reverse)) and abs(probs.sum() - 1) < 1e-4


@pytest.fixture(scope="module")
def lm_run(passage):
    from lstm_demo.config import LanguageModelConfig
    from lstm_demo.jobs import language_model_job

    symbols = prepare(passage).symbols * 6
    config = LanguageModelConfig(hidden=32, num_steps=8, batch_size=8, epochs=5,
                                 learning_rate=0.01, vocab_cap=40)
    run = TrainingRun(language_model_job(symbols, config), total_iterations=1000,
                      kind="lm").start()
    assert run.join(180) and run.status == FINISHED, run.error_detail
    return run


def test_language_model_reports_vocabulary_oov_and_snapshots(lm_run):
    trained = lm_run.result
    extra = lm_run.snapshot().extra
    assert extra["vocabulary"] == len(trained.reverse) == 40 and "<unk>" in trained.reverse
    assert 0 < extra["oov_rate"] == trained.summary["oov_rate"] < 1
    snaps = lm_run.snapshots()
    assert snaps[0][0] == 0 and snaps[-1][0] == trained.summary["iterations"]
    assert len(snaps[-1][1]) == 2 and snaps[-1][1][0].steps == len(extra["probe_symbols"])


def test_language_model_trace_matches_its_layers(lm_run):
    import keras

    trained = lm_run.result
    symbols = "the mind adapts and converts to its own purposes the obstacle".split()
    trace = gates.trace_symbols(trained, symbols)
    unk = trained.dictionary["<unk>"]  # the capped vocabulary: the rest is read as <unk>
    assert trace.unk == [s for s in symbols if s not in trained.dictionary] and trace.unk
    assert trace.steps == len(symbols) and not trace.skipped
    ids = np.array([[trained.dictionary.get(s, unk) for s in symbols]])
    layers = [trained.model.get_layer(f"lstm{k}").output for k in range(2)]
    h1, h2 = (t.numpy()[0] for t in keras.Model(trained.model.inputs[0], layers)(ids))
    from test_gates import assert_same

    assert_same(trace.layers[0].h, h1)
    assert_same(trace.layers[1].h, h2)


def test_language_model_predicts_from_a_longer_context_and_reads_unknown_as_unk(lm_run):
    trained = lm_run.result
    short = read_context("in the", trained, 3)
    assert short.ids.shape == (1, 2)  # a language model takes what there is
    long = read_context("what stands in the way becomes the way . the mind", trained, 200)
    assert long.ids.shape[1] == 11 and long.problem is None
    odd = read_context("the zebra mind", trained, 3)
    assert odd.ids is not None and odd.ids[0, 1] == trained.dictionary["<unk>"]
    assert "zebra" in odd.note
    assert top_k(trained, long.ids, 3)[0][1] > 0


def test_language_model_bundle_round_trip(lm_run):
    from lstm_demo import bundle

    trained = lm_run.result
    loaded, _ = bundle.from_bytes(bundle.to_bytes(trained))
    assert loaded.kind == "lm" and loaded.reverse == trained.reverse
    ids = np.array([[1, 2, 3, 4, 5]])
    assert np.allclose(loaded.next_probabilities(ids), trained.next_probabilities(ids),
                       atol=1e-6)
    assert loaded.summary["perplexity"] == trained.summary["perplexity"]


def test_language_model_stops_within_a_second_and_keeps_its_model(passage):
    import time

    from lstm_demo.config import LanguageModelConfig
    from lstm_demo.jobs import language_model_job

    symbols = prepare(passage).symbols * 6
    config = LanguageModelConfig(hidden=32, num_steps=8, batch_size=4, epochs=200)
    run = TrainingRun(language_model_job(symbols, config), total_iterations=10_000,
                      kind="lm").start()
    while run.iteration < 5:
        assert run.alive, run.error_detail
        run.join(0.05)
    asked = time.perf_counter()
    run.stop()
    assert run.join(10)
    # the stop itself is within a batch; the final measurement of a small text follows
    assert run.status == STOPPED and time.perf_counter() - asked < 3.0
    assert run.result.summary["iterations"] < config.epochs * 17 and run.result.summary["stopped"]
