"""Each page through Streamlit's AppTest: real widgets, real (tiny) training, no mocks.

AppTest does not fire ``run_every`` fragments or wait for threads, so the tests wait on the
session's TrainingRun and then rerun the page, as the live fragment would."""

import re

import numpy as np
import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from lstm_demo import bundle
from lstm_demo.text import MAX_TEXT_BYTES

TINY = {"cfg_units": 32, "cfg_iterations": 200, "cfg_layers": 1}


def open_app(page=None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    if page:
        at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception
    return at


def set_values(at, values: dict):
    """Type each stored setting's value into its number input (key "w_" + name)."""
    for key, value in values.items():
        at.number_input(key="w_" + key).set_value(value)
    at.run()


def set_tiny(at):
    set_values(at, TINY)


def train(at, timeout=180):
    at.button(key="train_button").click().run()
    run = at.session_state["run"]
    assert run.join(timeout), "training did not end"
    at.run()
    assert not at.exception
    return run


def plain(markdown: str) -> str:
    """The text a person reads: user text reaches markdown with backslash escapes."""
    return re.sub(r"\\(.)", r"\1", markdown)


def errors(at):
    return plain(" ".join(e.value for e in at.error))


def warnings(at):
    return [plain(w.value) for w in at.warning]


def infos(at):
    return [plain(i.value) for i in at.info]


def start_long_run(units=32):
    """A run of 200,000 iterations, already a few iterations in."""
    at = open_app("train")
    at.number_input(key="w_cfg_units").set_value(units).run()
    at.number_input(key="w_cfg_iterations").set_value(200_000).run()
    at.button(key="train_button").click().run()
    run = at.session_state["run"]
    while run.iteration < 10:
        run.join(0.05)
    return at, run


@pytest.fixture
def trained_app():
    at = open_app("train")
    set_tiny(at)
    run = train(at)
    assert run.status == "finished", run.error_detail
    return at


def test_every_page_opens_without_an_exception():
    for page in (None, "train", "predict"):
        at = open_app(page)
        assert at.title, page
    at = open_app("train")
    assert at.text_area(key="w_train_text").value.startswith("In a sense , people")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Symbols"] == "102" and metrics["Distinct symbols"] == "65"
    assert metrics["Training pairs (3 → 1)"] == "99"


def test_predict_without_a_model_says_so():
    at = open_app("predict")
    assert any("No model yet" in i for i in infos(at))


def test_train_shows_result_charts_and_device(trained_app):
    at = trained_app
    assert any("Done" in s.value and "CPU:0" in s.value for s in at.success)
    charts = [el for el in at.main if el.type == "plotly_chart"]
    assert len(charts) == 2  # accuracy and loss
    assert "model" in at.session_state


def test_train_then_predict_with_that_model(trained_app):
    at = trained_app
    at.switch_page("app_pages/predict.py").run()
    assert not at.exception
    at.text_input(key="w_predict_text").input("What Stands IN the").run()
    assert any("using the last 3: stands in the" in i for i in infos(at))
    table = at.dataframe[0].value
    assert len(table) == 5
    assert table["symbol"].iloc[0] == "way"
    greedy = [t.value for t in at.text]
    assert greedy[0].startswith("stands in the → way")


@pytest.mark.parametrize("typed, needle", [
    ("the", "needs 3"),
    ("", "Type 3 words"),
    ("stands in teh", "“teh” (closest known: the"),
    ("zebra quantum xylophone", "“zebra”"),
])
def test_predict_bad_contexts_make_no_prediction(trained_app, typed, needle):
    at = trained_app
    at.switch_page("app_pages/predict.py").run()
    at.text_input(key="w_predict_text").input(typed).run()
    assert not at.exception
    assert any(needle in w for w in warnings(at)), warnings(at)
    assert not [el for el in at.main if el.type == "plotly_chart"]


@pytest.mark.parametrize("text, needle", [
    ("", "empty"),
    ("   \n  ", "empty"),
    ("one two three", "at least 4"),
    ("echo echo echo echo echo", "only one distinct"),
    ("x " * (MAX_TEXT_BYTES // 2 + 10), "limit is 1 MB"),
])
def test_bad_text_gets_a_message_and_keeps_the_model(trained_app, text, needle):
    at = trained_app
    model = at.session_state["model"]
    at.text_area(key="w_train_text").input(text).run()
    at.button(key="train_button").click().run()
    assert not at.exception
    assert needle in errors(at)
    assert at.session_state["model"] is model
    assert "The previously trained model is kept." in [c.value for c in at.caption]


@pytest.mark.parametrize("key, value, needle", [
    ("cfg_units", 5000, "Hidden units must be between 1 and 1,024, got 5,000"),
    ("cfg_units", 0, "Hidden units must be between"),
    ("cfg_layers", 4, "LSTM layers must be between 1 and 3"),
    ("cfg_iterations", 0, "Iterations must be between"),
    ("cfg_batch_size", 10_000, "Batch size must be between"),
    ("cfg_learning_rate", 3.0, "Learning rate must be between"),
])
def test_settings_out_of_range_get_a_message_before_training(key, value, needle):
    at = open_app("train")
    at.number_input(key="w_" + key).set_value(value).run()
    at.button(key="train_button").click().run()
    assert not at.exception
    assert needle.replace(",", "") in errors(at).replace(",", "")
    assert "run" not in at.session_state


def test_paper_preset_button_sets_the_papers_settings():
    at = open_app("train")
    at.button[1].click().run()  # "Paper settings"
    ss = at.session_state
    assert (ss["cfg_units"], ss["cfg_encoding"], ss["cfg_optimizer"], ss["cfg_batch_size"],
            ss["cfg_iterations"], ss["cfg_accuracy_window"]) == (512, "index", "rmsprop", 1,
                                                                  50_000, 1000)


def test_stop_keeps_the_partly_trained_model():
    at, run = start_long_run()
    at.button(key="stop_button").click().run()
    assert run.join(5)
    at.run()
    assert run.status == "stopped"
    assert any("Stopped at iteration" in w for w in warnings(at))
    assert at.session_state["model"] is run.result


def test_widgets_survive_a_page_switch():
    at = open_app("train")
    at.text_area(key="w_train_text").input("my own words and more words here").run()
    at.number_input(key="w_cfg_units").set_value(48).run()
    at.switch_page("app_pages/predict.py").run()
    at.switch_page("app_pages/train.py").run()
    assert at.text_area(key="w_train_text").value == "my own words and more words here"
    assert at.number_input(key="w_cfg_units").value == 48
    assert at.selectbox(key="w_sample").value == "custom"


def test_sample_switch_loads_the_other_text():
    at = open_app("train")
    at.selectbox(key="w_sample").set_value("lighthouse").run()
    assert at.text_area(key="w_train_text").value.startswith("The keeper climbs")


def test_upload_of_a_text_file(tmp_path):
    at = open_app("train")
    at.file_uploader(key="upload").set_value(("fable.txt", b"A cat, a bell and a mouse.",
                                              "text/plain")).run()
    assert at.text_area(key="w_train_text").value == "A cat, a bell and a mouse."
    at.file_uploader(key="upload").set_value(("big.txt", b"x " * MAX_TEXT_BYTES,
                                              "text/plain")).run()
    assert "limit is 1 MB" in errors(at)
    at.file_uploader(key="upload").set_value(("bin.txt", b"\xff\xfe\x00bad", "text/plain")).run()
    assert "not UTF-8" in errors(at)


def test_bundle_upload_on_predict(trained_app):
    at = trained_app
    data = bundle.to_bytes(at.session_state["model"])
    fresh = open_app("predict")
    fresh.file_uploader(key="bundle_upload").set_value(("m.zip", data, "application/zip")).run()
    assert not fresh.exception
    assert "loaded from m.zip" in plain(" ".join(c.value for c in fresh.caption))
    assert fresh.dataframe[0].value["symbol"].iloc[0] == "way"
    fresh.file_uploader(key="bundle_upload").set_value(("x.zip", b"not a zip", "application/zip"))
    fresh.run()
    assert "not a zip" in errors(fresh)
    assert fresh.dataframe[0].value["symbol"].iloc[0] == "way"  # still loaded


def test_gates_page_shows_all_panels_and_the_equation_agrees(trained_app):
    at = trained_app
    at.switch_page("app_pages/gates.py").run()
    assert not at.exception
    charts = [el for el in at.main if el.type == "plotly_chart"]
    assert len(charts) >= 3  # heatmaps, one unit's lines, replay heatmaps (+ health)
    import json

    heatmap = json.loads(charts[0].proto.spec)
    names = [trace["name"] for trace in heatmap["data"]]
    assert names == ["i", "f", "g", "o", "c", "h"]
    assert any("They agree." in plain(s.value) for s in at.success)
    eq = at.session_state["gates_equation"]
    assert abs(eq["h_t"] - eq["h_t_trace"]) < 1e-5
    assert at.select_slider(key="gates_replay_iter").value == at.session_state["run"].iteration


def test_gates_page_typed_text_marks_unknown_symbols(trained_app):
    at = trained_app
    at.switch_page("app_pages/gates.py").run()
    at.segmented_control(key="w_gates_source").set_value("typed").run()
    at.text_input(key="w_gates_text").input("the mind <img src=x onerror=alert(1)> adapts").run()
    assert not at.exception
    assert any("“img”" in w and "“<”" in w for w in warnings(at)), warnings(at)


def test_gates_page_without_a_model():
    at = open_app("gates")
    assert any("No model yet" in i for i in infos(at))


def test_moving_a_widget_during_training_neither_stops_nor_restarts_it():
    at, run = start_long_run()
    at.number_input(key="w_cfg_units").set_value(64).run()  # a rerun mid-training
    assert at.button(key="train_button").disabled  # no second run while this one trains
    at.switch_page("app_pages/predict.py").run()
    at.switch_page("app_pages/train.py").run()
    assert at.session_state["run"] is run and run.live
    seen = run.iteration
    run.join(0.5)
    assert run.iteration > seen
    run.stop()
    run.stop()  # twice is harmless
    assert run.join(5) and run.status == "stopped"
    at.run()
    assert not at.exception
    assert at.session_state["model"].config.units == 32  # the run's own settings


def test_two_sessions_do_not_share_text_or_model(trained_app):
    other = open_app("train")
    assert other.text_area(key="w_train_text").value.startswith("In a sense , people")
    assert "model" not in other.session_state
    other.switch_page("app_pages/predict.py").run()
    assert any("No model yet" in i for i in infos(other))
    assert "model" in trained_app.session_state


def test_gates_page_stays_quick_with_the_papers_512_units():
    import time

    at = open_app("train")
    for key, value in {"cfg_units": 512, "cfg_iterations": 3, "cfg_layers": 2}.items():
        at.number_input(key="w_" + key).set_value(value)
    at.run()
    run = train(at, timeout=180)
    assert run.status == "finished", run.error_detail
    at.switch_page("app_pages/gates.py").run()
    at.segmented_control(key="w_gates_source").set_value("whole").run()
    at.selectbox(key="w_gates_units").set_value("all")
    started = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - started
    assert not at.exception
    assert seconds < 10, f"the Gates page took {seconds:.1f} s"  # ~1-2 s here


def test_keras_twin_trains_and_the_comparison_appears():
    at = open_app("train")
    at.number_input(key="w_cfg_units").set_value(32).run()
    train(at)
    at.segmented_control(key="w_model_kind").set_value("keras").run()
    run = train(at)
    assert run.status == "finished" and run.kind == "keras", run.error_detail
    assert at.session_state["model"].kind == "keras"
    titles = [el for el in at.main if el.type == "plotly_chart"]
    assert len(titles) == 3  # accuracy, loss, comparison
    table = at.dataframe[-1].value
    assert list(table["model"]) == ["low-level TensorFlow", "Keras model.fit"]
    at.switch_page("app_pages/predict.py").run()
    assert at.dataframe[0].value["symbol"].iloc[0] == "way"
    at.switch_page("app_pages/gates.py").run()
    assert not at.exception
    assert any("They agree." in plain(s.value) for s in at.success)


def test_a_bundle_restores_the_whole_run_on_every_page(trained_app):
    """Download (what the button makes) -> upload in a fresh session: Train shows the run's
    curves and result, Predict predicts, Gates replays the snapshots."""
    at = trained_app
    run = at.session_state["run"]
    data = bundle.to_bytes(at.session_state["model"], *bundle.run_record(run))
    fresh = open_app("train")
    fresh.file_uploader(key="bundle_upload").set_value(("m.zip", data, "application/zip")).run()
    assert not fresh.exception
    restored = fresh.session_state["run"]
    assert restored.snapshot().iterations == run.snapshot(max_points=5000).iterations
    assert any("Done" in s.value for s in fresh.success)
    assert len([el for el in fresh.main if el.type == "plotly_chart"]) == 2
    fresh.switch_page("app_pages/predict.py").run()
    assert fresh.dataframe[0].value["symbol"].iloc[0] == "way"
    fresh.switch_page("app_pages/gates.py").run()
    assert not fresh.exception
    assert [it for it, _ in restored.snapshots()] == [it for it, _ in run.snapshots()]
    slider = fresh.select_slider(key="gates_replay_iter")
    assert slider.options == [str(it) for it, _ in run.snapshots()]
    original, loaded = run.snapshots()[-1][1][0], restored.snapshots()[-1][1][0]
    assert np.array_equal(original.f, loaded.f) and np.array_equal(original.c, loaded.c)
