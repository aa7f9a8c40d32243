"""The IMDB classifier of Fig. 7: its summary, live training through TrainingRun on the
bundled reviews, Stop, gate traces that are the model's own, and its bundle."""

import keras
import numpy as np
import pytest
from test_gates import assert_same

from lstm_demo import bundle, gates, imdb, sentiment
from lstm_demo.config import PAPER_SENTIMENT, SentimentConfig
from lstm_demo.jobs import sentiment_job
from lstm_demo.training import FAILED, FINISHED, STOPPED, TrainingRun

FIG_7 = [("embedding (Embedding)", "(None, 200, 50)", 50_000),
         ("dropout_1 (Dropout)", "(None, 200, 50)", 0),
         ("lstm (LSTM)", "(None, 100)", 60_400),
         ("dense_1 (Dense)", "(None, 250)", 25_250),
         ("dropout_2 (Dropout)", "(None, 250)", 0),
         ("dense_2 (Dense)", "(None, 1)", 251)]


def test_the_model_is_fig_7_with_135901_parameters():
    model = sentiment.build_sentiment(PAPER_SENTIMENT)
    assert model.count_params() == sentiment.PAPER_PARAMETERS == 135_901
    rows = [(r["layer (type)"], r["output shape"], r["parameters"])
            for r in sentiment.summary_rows(model)]
    assert rows == FIG_7
    assert model.loss == "binary_crossentropy"
    assert isinstance(model.optimizer, keras.optimizers.Adam)


@pytest.fixture(scope="module")
def sentiment_run():
    data = imdb.bundled_reviews()
    config = SentimentConfig(epochs=4, units=32, dense=32, batch_size=32, dropout=0.2)
    run = TrainingRun(sentiment_job(config, data), total_iterations=1).start()
    assert run.join(180), "training did not end"
    assert run.status == FINISHED, run.error_detail
    return run, data


def test_training_reports_batches_and_train_heldout_test_per_epoch(sentiment_run):
    run, data = sentiment_run
    snap = run.snapshot()
    steps = -(-(240 - 24) // 32)
    assert snap.total_iterations == 4 * steps == snap.iteration  # set once the data was read
    assert [e["epoch"] for e in snap.evals] == [1, 2, 3, 4]
    assert [e["iteration"] for e in snap.evals] == [steps, 2 * steps, 3 * steps, 4 * steps]
    for e in snap.evals:
        assert 0 <= e["train_accuracy"] <= 1 and 0 <= e["heldout_accuracy"] <= 1
        assert e["test_accuracy"] == e["accuracy"]
    s = run.result.summary
    assert s["test_reviews"] == 60 and s["heldout_reviews"] == 24 and s["train_reviews"] == 216
    assert max(e["train_accuracy"] for e in snap.evals) > 0.75  # it learns its own reviews
    kept = next(e for e in snap.evals if e["epoch"] == s["kept_epoch"])  # best held-out
    assert kept["heldout_accuracy"] == max(e["heldout_accuracy"] for e in snap.evals)
    assert (s["test_accuracy"], s["accuracy"]) == (kept["test_accuracy"], kept["train_accuracy"])
    assert len(run.snapshots()) >= 4


def test_its_test_accuracy_is_what_the_model_scores(sentiment_run):
    run, data = sentiment_run
    trained = run.result
    p = trained.positive_probability(data.test_texts)
    assert np.mean((p > 0.5) == (data.test_labels == 1)) == pytest.approx(
        trained.summary["test_accuracy"])


def test_trace_of_a_review_is_the_lstms_own_output(sentiment_run):
    trained = sentiment_run[0].result
    review = "A wonderful film. The acting was great<br />and I loved the ending, truly."
    view = trained.view(review)
    lstm_out = keras.Model(trained.model.inputs[0], trained.model.get_layer("lstm").output)
    h_last = lstm_out(view.ids[None]).numpy()[0]
    full = gates.trace_review(trained, review, show_padding=True)
    assert full.steps == 200
    assert_same(full.layers[0].h[-1], h_last)
    shown = gates.trace_review(trained, review)
    pads = view.status.count("pad")
    assert shown.symbols == view.words[pads:] and shown.symbols[0] == "<start>"
    assert np.array_equal(shown.layers[0].h, full.layers[0].h[pads:])
    assert np.array_equal(shown.layers[0].c0, full.layers[0].c[pads - 1])
    eq = gates.equation(shown.layers[0], 0, 3)  # the first shown step starts from the padding's state
    assert eq["h_t"] == pytest.approx(eq["h_t_trace"], abs=1e-5)


def test_unknown_words_are_fed_as_oov_and_listed(sentiment_run):
    trained = sentiment_run[0].result
    trace = gates.trace_review(trained, "great qqzzyy movie")
    assert trace.symbols == ["<start>", "great", "qqzzyy", "movie"]
    assert trace.skipped == ["qqzzyy"]


def test_stop_within_a_second_keeps_a_model():
    data = imdb.bundled_reviews()
    config = SentimentConfig(epochs=50, batch_size=8)
    run = TrainingRun(sentiment_job(config, data), total_iterations=1).start()
    while run.iteration < 3:
        assert run.alive, run.error_detail
    stopped_at = __import__("time").perf_counter()
    run.stop()
    assert run.join(10)
    assert run.status == STOPPED
    assert run.result.summary["iterations"] < 50 * 27
    assert run._ended - stopped_at < 3.0  # includes the final evaluation of 60 + 24 reviews


def test_bad_settings_fail_the_run_with_a_message():
    run = TrainingRun(sentiment_job(SentimentConfig(num_words=20_000), imdb.bundled_reviews()),
                      total_iterations=1).start()
    assert run.join(30)
    assert run.status == FAILED and "at most 10,003" in run.error


def test_bundle_round_trip_predicts_the_same(sentiment_run):
    trained = sentiment_run[0].result
    loaded, manifest = bundle.from_bytes(bundle.to_bytes(trained))
    assert loaded.kind == "sentiment" and manifest["kind"] == "sentiment"
    reviews = ["What a waste of two hours.", "Brilliant, moving and funny."]
    assert np.allclose(loaded.positive_probability(reviews), trained.positive_probability(reviews),
                       atol=1e-6)
    assert loaded.summary["test_accuracy"] == trained.summary["test_accuracy"]
    # ids 4 .. num_words-1 are words (ranks 1 ..); 0-2 are pad/start/OOV, id 3 (rank 0) unused
    assert loaded.words == trained.words and len(loaded.words) == trained.config.num_words - 4


def test_raw_text_and_keras_ids_give_the_same_prediction(sentiment_run, shared_data):
    """A model fed keras.datasets.imdb-style ids (made here from the official index) and one
    fed the raw review agree: the app's encoding is that of the dataset."""
    trained = sentiment_run[0].result
    official = imdb.load_word_index(shared_data).index
    review = "I did not like it. The plot was dull, and the ending was worse!"
    ids = imdb.pad([[1] + [official[w] + 3 if official.get(w, 10**9) + 3 < 1000 else 2
                           for w in imdb.tokenize(review)]], 200)
    assert np.asarray(trained.model(ids))[0, 0] == pytest.approx(
        trained.positive_probability([review])[0], abs=1e-6)
