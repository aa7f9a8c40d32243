"""The command line, run as a person runs it: a subprocess with real arguments."""

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow


def cli(*args, timeout=180):
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "lstm_demo", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT, env=env)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    out = tmp_path_factory.mktemp("model")
    result = cli("train", "--until-accuracy", "0.97", "--save", str(out), "--json")
    assert result.returncode == 0, result.stderr
    return out, [json.loads(line) for line in result.stdout.splitlines()]


def test_train_until_accuracy_saves_and_reports_json(saved):
    out, lines = saved
    last = lines[-1]
    assert last["event"] == "done"
    assert last["accuracy"] >= 0.97 and last["reached_target"]
    assert isinstance(last["iterations"], int) and last["train_seconds"] > 0
    assert all(line["event"] == "progress" for line in lines[:-1])
    assert (out / "lstm-demo-model.zip").is_file()


def test_predict_puts_way_first(saved):
    out, _ = saved
    result = cli("predict", "--load", str(out), "--json", "stands", "in", "the")
    assert result.returncode == 0, result.stderr
    top = json.loads(result.stdout)["top"]
    assert top[0]["symbol"] == "way"
    assert len(top) == 5 and top == sorted(top, key=lambda t: -t["probability"])
    assert sum(t["probability"] for t in top) <= 1.0 + 1e-6


def test_predict_text_output_and_top_k(saved):
    out, _ = saved
    result = cli("predict", "--load", str(out), "--top", "2", "What", "Stands", "in", "the")
    assert result.returncode == 0, result.stderr
    rows = result.stdout.strip().splitlines()
    assert len(rows) == 2 and rows[0].split()[-1] == "way"
    assert "using the last 3" in result.stderr


def test_unknown_word_exits_non_zero_with_one_line(saved):
    out, _ = saved
    result = cli("predict", "--load", str(out), "stands", "in", "teh")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "teh" in lines[0] and "the" in lines[0]


@pytest.mark.parametrize("args, needle", [
    (["train", "--units", "0"], "Hidden units must be between"),
    (["train", "--until-accuracy", "1.5"], "between 0 and 1"),
    (["train", "--iterations", "ten"], "not a whole number"),
    (["train", "--text", "/no/such/file.txt"], "no such file"),
    (["train", "--preset", "huge"], "invalid choice"),
    (["predict", "--load", "/no/such/dir", "a", "b", "c"], "No model bundle"),
    (["train", "--device", "/GPU:7"], "not available; TensorFlow sees: /CPU:0"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_arguments_exit_non_zero_with_one_line(args, needle):
    result = cli(*args)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert needle in lines[0]


def test_bad_text_file(tmp_path):
    path = tmp_path / "one.txt"
    path.write_text("word word word word")
    result = cli("train", "--text", str(path))
    assert result.returncode != 0 and "only one distinct" in result.stderr


@pytest.mark.parametrize("command", [[], ["train"], ["predict"]])
def test_help(command):
    result = cli(*command, "--help")
    assert result.returncode == 0 and "usage" in result.stdout


def test_train_the_keras_twin(tmp_path):
    result = cli("train", "--model", "keras", "--units", "64", "--until-accuracy", "0.97",
                 "--save", str(tmp_path), "--json")
    assert result.returncode == 0, result.stderr
    last = json.loads(result.stdout.splitlines()[-1])
    assert last["accuracy"] >= 0.97 and last["reached_target"]
    result = cli("predict", "--load", str(tmp_path), "--json", "stands", "in", "the")
    assert json.loads(result.stdout)["top"][0]["symbol"] == "way"


def test_help_lists_every_model():
    result = cli("train", "--help")
    for name in ("lowlevel", "keras", "lm", "sentiment"):
        assert name + ":" in " ".join(result.stdout.split())


def test_train_the_language_model_on_a_corpus(tmp_path, passage):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(passage * 8)
    result = cli("train", "--model", "lm", "--data", str(corpus), "--units", "32", "--epochs",
                 "3", "--num-steps", "10", "--save", str(tmp_path), "--json")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e["epoch"] for e in lines if e["event"] == "epoch"] == [1, 2, 3]
    last = lines[-1]
    assert last["event"] == "done" and last["perplexity"] > 1 and last["vocabulary"] == 65
    result = cli("predict", "--load", str(tmp_path), "--json", "what", "stands", "in", "the")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["context"] == ["what", "stands", "in", "the"]


def test_train_the_sentiment_model_on_a_labelled_file(tmp_path):
    from lstm_demo.imdb import BUNDLED_REVIEWS

    result = cli("train", "--model", "sentiment", "--data", str(BUNDLED_REVIEWS), "--epochs",
                 "2", "--units", "16", "--save", str(tmp_path), "--json")
    assert result.returncode == 0, result.stderr
    last = json.loads(result.stdout.splitlines()[-1])
    assert last["event"] == "done" and 0 <= last["test_accuracy"] <= 1
    assert last["test_reviews"] == 60 and last["parameters"] > 0
    result = cli("predict", "--load", str(tmp_path), "--json", "a", "wonderful", "film")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert 0 <= answer["positive_probability"] <= 1 and answer["words"] == 3


@pytest.mark.parametrize("args, needle", [
    (["train", "--model", "sentiment", "--data", "/no/such.csv"], "no such file or folder"),
    (["train", "--model", "sentiment", "--num-words", "99999"], "from 10 to 10,003"),
    (["train", "--model", "lm", "--text", "/no/such.txt"], "no such file"),
    (["train", "--model", "lm", "--num-steps", "500"], "Steps per window must be"),
])
def test_bad_variant_arguments_exit_with_one_line(args, needle):
    result = cli(*args)
    assert result.returncode != 0
    assert needle in result.stderr.strip().splitlines()[-1], result.stderr
