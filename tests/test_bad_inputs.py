"""The bad-input suite of a classroom: each input a person may type, paste, upload or click
gets a clear message on the page, no traceback, and loses nothing (issue #5, item 5).
The inputs already covered elsewhere are named here, so the whole list reads in one place:
empty / whitespace / three-symbol / single-word / over-1-MB text (test_app
test_bad_text_gets_a_message_and_keeps_the_model), unknown and misspelt words and one word
(test_app test_predict_bad_contexts_make_no_prediction), moving widgets and a page switch
during a run, Stop twice (test_app test_moving_a_widget_during_training_...), the IMDB page
with no network (test_app_variants test_keras_imdb_without_network_says_so)."""

import time

import pytest
from test_app import errors, infos, open_app, set_tiny, start_long_run, train, warnings

from lstm_demo import config as settings
from lstm_demo.text import MAX_TEXT_BYTES


@pytest.fixture(scope="module")
def trained():
    at = open_app("train")
    set_tiny(at)
    run = train(at)
    assert run.status == "finished"
    return at


def test_one_symbol_is_refused(trained):
    at = trained
    model = at.session_state["model"]
    at.text_area(key="w_train_text").input("hello").run()
    at.button(key="train_button").click().run()
    assert "at least 4" in errors(at) and at.session_state["model"] is model


def test_a_5_mb_paste_is_refused_before_any_work(trained):
    at = trained
    model = at.session_state["model"]
    started = time.perf_counter()
    at.text_area(key="w_train_text").input("word " * 1_000_000).run()  # 5 MB
    at.button(key="train_button").click().run()
    assert time.perf_counter() - started < 20
    assert "The text is 5.0 MB; the limit is 1 MB" in errors(at) + " ".join(warnings(at))
    assert at.session_state["model"] is model and not at.exception


def test_a_15_mb_upload_is_refused_with_the_1_mb_limit():
    at = open_app("train")
    before = at.text_area(key="w_train_text").value
    at.file_uploader(key="upload").set_value(("big.txt", b"x" * 15_000_000, "text/plain")).run()
    assert "15.0 MB; the limit is 1 MB" in errors(at)
    assert at.text_area(key="w_train_text").value == before  # nothing replaced


@pytest.mark.parametrize("text", [
    "!!! ... ??? ,,, ;;; ::: !!! ... ??? ,,,",  # only punctuation
    "Café naïve façade — déjà vu. Café naïve façade — déjà vu.",  # accents
    "猫 は 犬 が 好き 😀 cat 猫 😀 dog 犬 👍🏽 cat",  # mixed scripts and emoji
])
def test_unusual_texts_train_and_predict(text):
    at = open_app("train")
    set_tiny(at)
    at.text_area(key="w_train_text").input(text).run()
    run = train(at)
    assert run.status == "finished", run.error
    symbols = at.session_state["model"].text_symbols
    at.switch_page("app_pages/predict.py").run()
    at.text_input(key="w_predict_text").input(" ".join(symbols[:3])).run()
    assert not at.exception and not warnings(at)
    assert len(at.dataframe[0].value) == min(5, len(set(symbols)))


@pytest.mark.parametrize("typed, used", [
    ("  STANDS   in    THE  ", "stands in the"),  # capitals and extra spaces
    ("What, stands in the", "stands in the"),  # punctuation is a symbol; the last 3 count
])
def test_capitals_spaces_and_punctuation_in_the_context(trained, typed, used):
    at = trained
    at.switch_page("app_pages/predict.py").run()
    at.text_input(key="w_predict_text").input(typed).run()
    assert not at.exception and not warnings(at)
    assert any(used in m.value for m in at.markdown)
    at.switch_page("app_pages/train.py").run()


def test_two_words_ask_for_one_more(trained):
    at = trained
    at.switch_page("app_pages/predict.py").run()
    at.text_input(key="w_predict_text").input("in the").run()
    assert any("2 symbol(s) given (in the); the model needs 3. Type 1 more." in w
               for w in warnings(at))
    at.switch_page("app_pages/train.py").run()


def test_train_clicked_twice_quickly_starts_one_run():
    from lstm_demo.training import SLOTS

    at, run = start_long_run()
    assert at.button(key="train_button").disabled  # the page refuses a second click
    # (a double click that reaches the server twice: test_load's browser double-click)
    assert at.session_state["run"] is run
    assert sum(1 for r in SLOTS.runs() if r.live) == 1
    at.button(key="stop_button").click().run()
    at.button(key="stop_button").click().run()  # Stop twice
    assert run.join(5) and run.status == "stopped" and not at.exception


def test_a_page_switch_mid_run_keeps_training_and_shows_it_everywhere():
    at, run = start_long_run()
    for page in ("predict", "gates", "home", "language", "sentiment"):
        at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception
        assert any("Training in progress on the Train page" in i for i in infos(at)), page
    at.switch_page("app_pages/train.py").run()
    assert at.session_state["run"] is run and run.live
    run.stop()
    assert run.join(5)


def _limit_cases():
    families = [(settings.DEFAULT, settings.LIMITS, settings.validate),
                (settings.LanguageModelConfig(), settings.LM_LIMITS, settings.validate_lm),
                (settings.SentimentConfig(), settings.SENTIMENT_LIMITS,
                 settings.validate_sentiment)]
    for config, limits, validate in families:
        for name, (low, high) in limits.items():
            step = 1 if isinstance(high, int) and isinstance(low, int) else (high - low) / 100
            yield pytest.param(config, validate, name, low, high, step,
                               id=f"{type(config).__name__}.{name}")


@pytest.mark.parametrize("config, validate, name, low, high, step", _limit_cases())
def test_every_setting_at_and_beyond_its_limits(config, validate, name, low, high, step):
    import dataclasses

    for ok in (low, high):
        assert not validate(dataclasses.replace(config, **{name: ok})), (name, ok)
    for bad in (low - step, high + step):
        problems = validate(dataclasses.replace(config, **{name: bad}))
        assert problems and any(f"{high:,}" in p or f"{high:g}" in p for p in problems), bad


@pytest.mark.parametrize("key, value, needle", [
    ("lm_hidden", 5000, "Hidden size must be from 2 to 1,024"),
    ("lm_num_steps", 1, "Steps per window must be from 2 to 200"),
])
def test_language_page_settings_beyond_limits(key, value, needle):
    at = open_app("language")
    at.number_input(key="w_" + key).set_value(value).run()
    at.button(key="train_button").click().run()
    assert needle in errors(at) and "run" not in at.session_state


def test_sentiment_page_settings_beyond_limits():
    at = open_app("sentiment")
    at.number_input(key="w_sent_maxlen").set_value(5000).run()
    at.button(key="train_button").click().run()
    assert "Review length (tokens) must be from 10 to 500" in errors(at)
    assert "run" not in at.session_state


def test_text_limit_is_the_one_stated_on_the_page():
    at = open_app("train")
    assert f"at most {MAX_TEXT_BYTES // 1_000_000} MB" in at.text_area(key="w_train_text").label
