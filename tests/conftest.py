"""Shared fixtures. Nothing here fakes TensorFlow: the tests train small real models."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def passage() -> str:
    from lstm_demo.datasets import DEFAULT_SAMPLE

    return DEFAULT_SAMPLE.read()


@pytest.fixture(scope="session")
def trained_default(passage):
    """The default model trained on the paper's passage to >= 97%, once per test session."""
    from lstm_demo import lowlevel
    from lstm_demo.config import DEFAULT
    from lstm_demo.text import prepare
    from lstm_demo.training import TrainingRun

    corpus = prepare(passage)
    run = TrainingRun(lowlevel.training_job(corpus, DEFAULT, until_accuracy=0.97),
                      total_iterations=DEFAULT.iterations).start()
    assert run.join(120), "training did not finish in 120 s"
    assert run.status == "finished", run.error_detail
    return run.result, corpus, run


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real datasets beside the checkout. Missing on a developer's machine: skip. In CI,
    which has them, a missing folder is a failure, never a skip."""
    if not SHARED_DATA.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{SHARED_DATA} is missing in CI")
        pytest.skip(f"{SHARED_DATA} is not here")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def no_run_outlives_its_test():
    """A run left training by a test would hold one of the server's training slots (and a
    core) for the tests after it: stop whatever is still running or queued."""
    yield
    from lstm_demo.training import SLOTS

    for run in SLOTS.runs():
        run.stop()
    for run in SLOTS.runs():
        run.join(30)
