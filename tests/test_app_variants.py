"""The Language model and Sentiment pages through AppTest: real widgets, real (tiny)
training on the bundled texts, no network and no data folder needed."""

import pytest
from test_app import errors, infos, open_app, set_values, train, warnings

from lstm_demo import bundle, imdb

LM_TINY = {"lm_hidden": 16, "lm_epochs": 2, "lm_num_steps": 10, "lm_batch_size": 64}
SENT_TINY = {"sent_epochs": 2, "sent_units": 8, "sent_dense": 8}


@pytest.fixture(scope="module")
def lm_app():
    at = open_app("language")
    set_values(at, LM_TINY)
    run = train(at)
    assert run.status == "finished", run.error_detail
    return at


@pytest.fixture(scope="module")
def sentiment_app():
    at = open_app("sentiment")
    set_values(at, SENT_TINY)
    run = train(at)
    assert run.status == "finished", run.error_detail
    return at


def test_language_page_shows_vocabulary_and_windows():
    at = open_app("language")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Symbols"] == "14,009" and metrics["Out of vocabulary"] == "0.00%"
    at.number_input(key="w_lm_vocab_cap").set_value(500).run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Vocabulary"] == "500" and metrics["Out of vocabulary"] != "0.00%"
    windows = at.dataframe[0].value
    first = windows.iloc[0]
    assert first["input (x)"].split()[1:] == first["target (y = x shifted by one)"].split()[:-1]


def test_language_model_trains_and_reports_perplexity(lm_app):
    at = lm_app
    done = [s.value for s in at.success]
    assert done and "perplexity" in done[0] and "Held-out text" in done[0]
    charts = [el for el in at.main if el.type == "plotly_chart"]
    assert len(charts) == 2  # accuracy and perplexity
    assert at.session_state["models"]["lm"]["model"].kind == "lm"


def test_language_model_predicts_from_a_longer_context(lm_app):
    at = lm_app
    at.switch_page("app_pages/predict.py").run()
    assert not at.exception
    at.number_input(key="w_lm_predict_context").set_value(6).run()
    at.text_input(key="w_predict_text").input("the fox said to the lion , the").run()
    assert not at.exception and not warnings(at)
    assert any("using the last 6" in i for i in infos(at))
    assert len(at.dataframe[0].value) == 5


def test_language_model_too_short_text_is_refused_and_keeps_the_model(lm_app):
    at = lm_app
    at.switch_page("app_pages/language.py").run()
    model = at.session_state["model"]
    at.selectbox(key="w_lm_sample").set_value("custom").run()
    at.text_area(key="w_lm_text").input("a few words only, not enough for windows").run()
    at.button(key="train_button").click().run()
    assert "too few for windows" in errors(at)
    assert at.session_state["model"] is model


def test_sentiment_page_shows_the_fig_7_summary():
    at = open_app("sentiment")
    from lstm_demo import runtime

    runtime.import_tensorflow()
    at.run()
    summary = next(d.value for d in at.dataframe if "parameters" in d.value)
    assert summary["parameters"].tolist() == [50000, 0, 60400, 25250, 0, 251]
    assert any("135,901" in c.value and "the same as the paper" in c.value for c in at.caption)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Training reviews"] == "240" and metrics["Test reviews"] == "60"


def test_sentiment_trains_and_the_review_box_works(sentiment_app):
    at = sentiment_app
    assert any("Test accuracy" in s.value for s in at.success)
    at.text_area(key="w_review_text").input(
        "Truly awful.<br /><br />The worst zzqqxx film, a waste of time!").run()
    assert not at.exception
    positive = next(m for m in at.metric if m.label == "Positive")
    assert positive.value.endswith("%")
    shown = next(el.value for el in at.markdown if "&lt;pad&gt;" in el.value)
    assert "zzqqxx" in shown and "line-through" in shown  # the unknown word marked
    assert any("out of its 1,000-word vocabulary" in c.value for c in at.caption)
    assert any(el.type == "plotly_chart" for el in at.main)


def test_sentiment_model_on_the_gates_page(sentiment_app):
    at = sentiment_app
    at.switch_page("app_pages/gates.py").run()
    assert not at.exception
    assert at.session_state["pick_gates"] == "sentiment"
    assert any("positions the model reads" in c.value for c in at.caption)
    assert at.session_state["gates_equation"]["h_t"] == pytest.approx(
        at.session_state["gates_equation"]["h_t_trace"], abs=1e-5)


def test_predict_page_sends_a_sentiment_only_session_to_the_review_box(sentiment_app):
    at = sentiment_app
    at.switch_page("app_pages/predict.py").run()
    assert not at.exception
    assert set(at.session_state["models"]) == {"sentiment"}
    assert any("review box" in i for i in infos(at))


def test_keras_imdb_without_network_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(imdb, "KERAS_HOST", "nothing-here.invalid")
    at = open_app("sentiment")
    at.selectbox(key="w_sent_source").set_value("keras").run()
    assert not at.exception
    text = " ".join(warnings(at))
    assert "no network" in text and "imdb.npz" in text and str(tmp_path) in text
    at.button(key="train_button").click().run()
    assert "no network" in errors(at) and "run" not in at.session_state


def test_bad_labelled_upload_gets_a_message():
    at = open_app("sentiment")
    at.selectbox(key="w_sent_source").set_value("upload").run()
    at.button(key="train_button").click().run()
    assert "Upload a labelled file first" in errors(at)


def test_sentiment_bundle_loads_on_predict_and_feeds_gates(sentiment_app):
    trained = sentiment_app.session_state["models"]["sentiment"]["model"]
    loaded, _ = bundle.from_bytes(bundle.to_bytes(trained))
    at = open_app("gates")
    at.session_state["models"] = {"sentiment": {"model": loaded, "run": None,
                                                "source": "loaded from a file"}}
    at.session_state["model"] = loaded
    at.run()
    assert not at.exception
    assert any("positions the model reads" in c.value for c in at.caption)


def test_an_error_inside_the_training_thread_shows_on_the_page_and_keeps_the_model(sentiment_app):
    """Four reviews pass the page's checks, but with half held out too few are left to
    train on: the job fails on its thread, the page says why, the earlier model stays."""
    at = sentiment_app
    at.switch_page("app_pages/sentiment.py").run()
    model = at.session_state["model"]
    at.selectbox(key="w_sent_source").set_value("upload").run()
    at.file_uploader(key="sent_upload").set_value(
        ("four.tsv", b"good film\t1\nbad film\t0\ngreat film\t1\nawful film\t0\n",
         "text/tab-separated-values")).run()
    at.number_input(key="w_sent_holdout").set_value(0.5).run()
    at.button(key="train_button").click().run()
    run = at.session_state["run"]
    assert run.join(60) and run.status == "failed"
    at.run()
    assert not at.exception
    assert "Training failed: Too few training reviews left" in errors(at)
    assert "The previous model is kept" in errors(at)
    assert at.session_state["model"] is model
