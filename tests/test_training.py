"""Training the three-symbol model for real, through the same run the pages use."""

import dataclasses
import time

import numpy as np
import pytest

from lstm_demo import lowlevel
from lstm_demo.config import DEFAULT, PAPER, LowLevelConfig, validate
from lstm_demo.predict import read_context, top_k
from lstm_demo.text import prepare
from lstm_demo.training import FAILED, FINISHED, STOPPED, TrainingRun


def _run(corpus, config, until=None, timeout=120):
    run = TrainingRun(lowlevel.training_job(corpus, config, until),
                      total_iterations=config.iterations,
                      accuracy_window=config.accuracy_window).start()
    assert run.join(timeout)
    return run


def test_default_training_reaches_the_papers_accuracy_and_predicts_way(trained_default):
    trained, corpus, run = trained_default
    assert run.status == FINISHED
    assert trained.summary["reached_target"]
    assert trained.summary["accuracy"] >= 0.97
    # The summary's accuracy is the model's own: recompute it from its predictions.
    probs = trained.next_probabilities(corpus.x)
    assert np.mean(probs.argmax(1) == corpus.y) == pytest.approx(trained.summary["accuracy"])
    context = read_context("stands in the", trained)
    assert top_k(trained, context.ids, 1)[0][0] == "way"
    context = read_context("The Mind adapts", trained)  # normalised like the training text
    assert top_k(trained, context.ids, 1)[0][0] == "and"


def test_default_reaches_97_percent_in_a_few_seconds(trained_default):
    trained, _, _ = trained_default
    assert trained.summary["train_seconds"] < 30  # typically ~1-3 s here; generous for CI noise


def test_the_run_records_every_iteration(trained_default):
    _, _, run = trained_default
    snap = run.snapshot(max_points=10_000)
    assert snap.iterations == list(range(1, run.iteration + 1))
    assert len(snap.loss) == len(snap.accuracy) == run.iteration
    assert snap.loss[-1] < snap.loss[0]
    assert snap.evals[-1]["accuracy"] == run.result.summary["accuracy"]


@pytest.mark.parametrize("encoding", ["embedding", "onehot", "index"])
@pytest.mark.parametrize("optimizer", ["adam", "rmsprop"])
def test_every_encoding_and_optimizer_learns(passage, encoding, optimizer):
    corpus = prepare(passage)
    config = LowLevelConfig(units=32, layers=1, encoding=encoding, optimizer=optimizer,
                            learning_rate=0.01, iterations=60)
    run = _run(corpus, config)
    assert run.status == FINISHED, run.error_detail
    snap = run.snapshot(max_points=10_000)
    assert np.mean(snap.loss[-10:]) < np.mean(snap.loss[:5])


def test_minibatches_sample_pairs_and_the_window_averages(passage):
    corpus = prepare(passage)
    config = LowLevelConfig(units=32, batch_size=1, iterations=300, accuracy_window=100)
    run = _run(corpus, config)
    snap = run.snapshot(max_points=10_000)
    assert run.status == FINISHED
    assert set(snap.accuracy) <= {0.0, 1.0}  # batch of one: each step right or wrong
    assert snap.average_accuracy[-1] == pytest.approx(np.mean(snap.accuracy[-100:]))


def test_same_seed_same_run(passage):
    corpus = prepare(passage)
    config = LowLevelConfig(units=16, iterations=20, batch_size=8, seed=7)
    a = _run(corpus, config).snapshot().loss
    b = _run(corpus, config).snapshot().loss
    c = _run(corpus, dataclasses.replace(config, seed=8)).snapshot().loss
    np.testing.assert_allclose(a, b, rtol=1e-5)
    assert not np.allclose(a, c)


def test_stop_ends_training_within_a_second_and_keeps_the_model(passage):
    corpus = prepare(passage)
    config = LowLevelConfig(units=64, iterations=200_000)
    run = TrainingRun(lowlevel.training_job(corpus, config),
                      total_iterations=config.iterations).start()
    deadline = time.time() + 60
    while run.iteration < 20 and time.time() < deadline:
        time.sleep(0.05)
    assert run.iteration >= 20
    asked = time.perf_counter()
    run.stop()
    assert run.join(5)
    latency = time.perf_counter() - asked
    assert latency < 1.0, f"stop took {latency:.2f} s"
    assert run.status == STOPPED
    assert run.result.summary["stopped"] and run.result.summary["iterations"] == run.iteration
    assert run.result.next_probabilities(corpus.x[:1]).shape == (1, corpus.vocab_size)


def test_an_error_in_the_job_ends_the_run_with_the_error():
    def job(run):
        raise RuntimeError("boom in the training thread")

    run = TrainingRun(job, total_iterations=10).start()
    assert run.join(30)
    assert run.status == FAILED and "boom in the training thread" in run.error
    assert run.result is None


def test_settings_are_checked_before_any_tensorflow_work():
    assert validate(DEFAULT) == [] and validate(PAPER) == []
    bad = LowLevelConfig(units=0, layers=4, learning_rate=5.0, batch_size=0, iterations=10**9,
                         encoding="words", optimizer="sgd")
    problems = " ".join(validate(bad))
    for label in ("Hidden units", "LSTM layers", "Learning rate", "Batch size", "Iterations",
                  "Input encoding", "Optimizer"):
        assert label in problems
    assert "Iterations must be between 1 and 200,000, got 1,000,000,000." in problems
    assert validate(LowLevelConfig(units=1024, layers=3, iterations=200_000)) == []
    assert validate(LowLevelConfig(units=1025)) and validate(LowLevelConfig(units=12.5))


def test_paper_preset_is_the_papers_settings():
    assert (PAPER.units, PAPER.layers, PAPER.encoding, PAPER.optimizer, PAPER.learning_rate,
            PAPER.batch_size, PAPER.iterations, PAPER.accuracy_window) == (
        512, 2, "index", "rmsprop", 1e-3, 1, 50_000, 1000)


def test_paper_preset_trains_with_xla(passage):
    corpus = prepare(passage)
    config = dataclasses.replace(PAPER, iterations=300)
    run = _run(corpus, config, timeout=180)
    assert run.status == FINISHED, run.error_detail
    assert run.iteration == 300


def test_a_run_whose_browser_tab_is_gone_stops_by_itself(passage):
    corpus = prepare(passage)
    config = LowLevelConfig(units=16, iterations=200_000)
    alive = {"tab": True}
    run = TrainingRun(lowlevel.training_job(corpus, config), total_iterations=config.iterations,
                      owner_alive=lambda: alive["tab"], owner_grace=1.0).start()
    while run.iteration < 20:
        run.join(0.05)
    time.sleep(1.5)
    assert run.live  # the tab is there: it goes on
    alive["tab"] = False
    gone = time.perf_counter()
    assert run.join(10)
    assert time.perf_counter() - gone < 4.0
    assert run.status == STOPPED and "went away" in run.snapshot().message
    assert run.result is not None


# -- the server-wide cap on concurrent runs ------------------------------------------------
def _waiting_job(release):
    """A job that records steps until ``release`` is set or it is asked to stop."""
    def job(run):
        while not release.is_set() and not run.should_stop():
            run.record_steps([1.0], [0.5], 0.01)
            time.sleep(0.01)
        return "done"
    return job


def _wait_for(predicate, timeout=10.0):
    deadline = time.time() + timeout
    while not predicate():
        assert time.time() < deadline, "timed out"
        time.sleep(0.02)


def test_runs_over_the_cap_wait_in_order_and_start_when_a_slot_frees():
    import threading

    from lstm_demo.training import QUEUED, Slots

    slots = Slots(capacity=1, max_waiting=5)
    release = threading.Event()
    first = TrainingRun(_waiting_job(release), total_iterations=10, slots=slots).start()
    _wait_for(lambda: first.iteration > 0)
    second = TrainingRun(_waiting_job(release), total_iterations=10, slots=slots).start()
    third = TrainingRun(_waiting_job(release), total_iterations=10, slots=slots).start()
    time.sleep(0.5)
    assert second.status == third.status == QUEUED and second.iteration == 0
    assert second.snapshot().queue_position == 1 and third.snapshot().queue_position == 2
    assert slots.counts() == {"running": 1, "waiting": 2, "capacity": 1}
    release.set()
    for run in (first, second, third):
        assert run.join(10) and run.status == FINISHED and run.result == "done"
    assert slots.counts() == {"running": 0, "waiting": 0, "capacity": 1}


def test_stop_while_queued_leaves_the_queue_and_trains_nothing():
    import threading

    from lstm_demo.training import Slots

    slots = Slots(capacity=1)
    release = threading.Event()
    busy = TrainingRun(_waiting_job(release), total_iterations=10, slots=slots).start()
    waiting = TrainingRun(_waiting_job(release), total_iterations=10, slots=slots).start()
    time.sleep(0.3)
    started = time.perf_counter()
    waiting.stop()
    assert waiting.join(2) and time.perf_counter() - started < 1.0
    assert waiting.status == STOPPED and waiting.result is None and waiting.iteration == 0
    assert slots.counts()["waiting"] == 0
    release.set()
    assert busy.join(5)


def test_a_full_queue_refuses_with_a_message_and_starts_nothing():
    import threading

    from lstm_demo.training import QueueFull, Slots

    slots = Slots(capacity=1, max_waiting=1)
    release = threading.Event()
    runs = [TrainingRun(_waiting_job(release), total_iterations=10, slots=slots).start()
            for _ in range(2)]
    refused = TrainingRun(_waiting_job(release), total_iterations=10, slots=slots)
    with pytest.raises(QueueFull, match="The server is busy: 1 runs are training and 1"):
        refused.start()
    assert not refused.alive and slots.counts()["waiting"] == 1
    release.set()
    assert all(run.join(5) for run in runs)


def test_a_queued_run_whose_tab_went_away_gives_up_its_place():
    import threading

    from lstm_demo.training import Slots

    slots = Slots(capacity=1)
    release = threading.Event()
    busy = TrainingRun(_waiting_job(release), total_iterations=10, slots=slots).start()
    orphan = TrainingRun(_waiting_job(release), total_iterations=10, slots=slots,
                         owner_alive=lambda: False, owner_grace=0.5).start()
    assert orphan.join(5) and orphan.status == STOPPED and orphan.result is None
    release.set()
    assert busy.join(5)


def test_default_capacity_reads_the_setting(monkeypatch):
    from lstm_demo.training import default_capacity

    monkeypatch.setenv("LSTM_DEMO_MAX_RUNS", "3")
    assert default_capacity() == 3
    monkeypatch.setenv("LSTM_DEMO_MAX_RUNS", "lots")
    assert default_capacity() >= 2
