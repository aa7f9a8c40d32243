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
