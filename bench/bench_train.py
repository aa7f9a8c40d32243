"""Wall time to 97% training accuracy on the paper's passage, measured in one run:

* the app's default settings (low-level TensorFlow, all pairs per step);
* a plain Keras ``model.fit`` of the same architecture and optimizer (Embedding ->
  LSTM x2 -> Dense softmax, Adam 0.01, the same batch), stopped by a callback under the
  same rule: when the batch accuracy says 97%, check all pairs, stop if they agree;
* the paper preset (512 units, raw index input, RMSProp 1e-3, batch 1), capped.

Runs alternate (default, Keras, default, Keras, ...) so that machine noise hits both alike;
the table reports medians and their ratio. Each time counts from building the model to the
moment the target is confirmed, graph tracing included.

    .venv/bin/python bench/bench_train.py [--repeats 5] [--paper-runs 2] [--paper-cap 100000]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import machine, write_section  # noqa: E402
from lstm_demo import runtime  # noqa: E402

TARGET = 0.97


def lowlevel_time(corpus, config) -> dict:
    """As the app trains: the same run object, gate snapshots of the probe included."""
    from lstm_demo import lowlevel
    from lstm_demo.training import TrainingRun

    run = TrainingRun(lambda r: None, total_iterations=config.iterations,
                      accuracy_window=config.accuracy_window)
    t0 = time.perf_counter()
    trainer = lowlevel.LowLevelTrainer(corpus.x, corpus.y, corpus.vocab_size, config)
    summary = lowlevel.fit(trainer, run, until_accuracy=TARGET,
                           probe=corpus.ids[:lowlevel.PROBE_SYMBOLS])
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "iterations": summary["iterations"],
            "reached": summary["reached_target"], "accuracy": summary["accuracy"],
            "ms_per_iteration": 1000 * summary["train_seconds"] / max(1, summary["iterations"])}


def keras_time(corpus, config) -> dict:
    import keras
    import numpy as np

    keras.utils.set_random_seed(config.seed)
    t0 = time.perf_counter()
    model = keras.Sequential(
        [keras.Input((3,), dtype="int32"), keras.layers.Embedding(corpus.vocab_size, config.units)]
        + [keras.layers.LSTM(config.units, return_sequences=k < config.layers - 1)
           for k in range(config.layers)]
        + [keras.layers.Dense(corpus.vocab_size, activation="softmax")]
    )
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    state = {"epochs": 0, "reached": False}

    class StopAtTarget(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            state["epochs"] = epoch + 1
            if logs["accuracy"] >= TARGET:
                probs = self.model(corpus.x, training=False).numpy()
                if np.mean(probs.argmax(1) == corpus.y) >= TARGET:
                    state["reached"] = True
                    self.model.stop_training = True

    fit_start = time.perf_counter()
    model.fit(corpus.x, corpus.y, batch_size=config.batch_size, epochs=config.iterations,
              shuffle=True, verbose=0, callbacks=[StopAtTarget()])
    seconds = time.perf_counter() - t0
    steps = state["epochs"] * -(-len(corpus.y) // config.batch_size)
    return {"seconds": seconds, "iterations": steps, "reached": state["reached"],
            "ms_per_iteration": 1000 * (time.perf_counter() - fit_start) / max(1, steps)}


def median(rows, key):
    return statistics.median(r[key] for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--paper-runs", type=int, default=2)
    parser.add_argument("--paper-cap", type=int, default=100_000)
    parser.add_argument("--no-write", action="store_true", help="print, do not update docs")
    args = parser.parse_args()

    runtime.import_tensorflow()
    from lstm_demo.config import DEFAULT, PAPER
    from lstm_demo.datasets import DEFAULT_SAMPLE
    from lstm_demo.text import prepare

    corpus = prepare(DEFAULT_SAMPLE.read())
    default = DEFAULT
    ours, theirs = [], []
    if args.repeats:
        lowlevel_time(corpus, default)  # warm-up: TF's one-time start-up costs out of the way
        keras_time(corpus, default)
    for k in range(args.repeats):
        ours.append(lowlevel_time(corpus, dataclasses.replace(default, seed=k)))
        theirs.append(keras_time(corpus, dataclasses.replace(default, seed=k)))
        print(f"run {k}: default {ours[-1]['seconds']:.2f} s, keras fit "
              f"{theirs[-1]['seconds']:.2f} s", flush=True)
    paper = []
    for k in range(args.paper_runs):
        paper.append(lowlevel_time(corpus, dataclasses.replace(
            PAPER, iterations=args.paper_cap, seed=k)))
        print(f"paper run {k}: {paper[-1]}", flush=True)

    d = median(ours, "seconds") if ours else float("nan")
    kf = median(theirs, "seconds") if theirs else float("nan")
    lines = [
        f"Machine: {machine()}. Command: `.venv/bin/python bench/bench_train.py "
        f"--repeats {args.repeats} --paper-runs 0`.",
        "Time from building the model to 97% accuracy on all 99 training pairs of the paper's "
        "passage (graph tracing and the app's gate snapshots included), median of the runs, "
        "TensorFlow warmed up first.",
        "",
        "| setup | runs | reached 97% | median seconds | median iterations | ms / iteration |",
        "|---|---|---|---|---|---|",
        f"| default (low-level TF, {DEFAULT.units} units, Adam {DEFAULT.learning_rate:g}, all pairs) "
        f"| {len(ours)} | {sum(r['reached'] for r in ours)}/{len(ours)} | {d:.2f} "
        f"| {median(ours, 'iterations'):.0f} | {median(ours, 'ms_per_iteration'):.2f} |",
        f"| Keras `model.fit`, same architecture and optimizer | {len(theirs)} "
        f"| {sum(r['reached'] for r in theirs)}/{len(theirs)} | {kf:.2f} "
        f"| {median(theirs, 'iterations'):.0f} | {median(theirs, 'ms_per_iteration'):.2f} |",
        "",
        f"**Ratio: the default reaches 97% {kf / d:.1f}x faster than the Keras `model.fit` "
        "baseline** (target: at least 5x). ms / iteration includes the graph tracing.",
    ]
    paper_lines = [
        f"Machine: {machine()}. Command: `.venv/bin/python bench/bench_train.py --repeats 0 "
        f"--paper-runs {args.paper_runs} --paper-cap {args.paper_cap}`.",
        "The paper preset (512 units, 2 layers, raw index input, RMSProp 1e-3, batch 1, XLA), "
        f"until 97% on all 99 pairs or {args.paper_cap:,} iterations, one run per seed.",
        "",
        "| seed | reached 97% | seconds | iterations | final accuracy | ms / iteration |",
        "|---|---|---|---|---|---|",
    ] + [f"| {k} | {'yes' if r['reached'] else 'no'} | {r['seconds']:.0f} | {r['iterations']:,} "
         f"| {r['accuracy']:.2%} | {r['ms_per_iteration']:.2f} |" for k, r in enumerate(paper)]
    print("\n".join(lines))
    print("\n".join(paper_lines))
    print(json.dumps({"default": ours, "keras": theirs, "paper": paper}))
    if not args.no_write:
        if ours:
            write_section("train", "\n".join(lines))
        if paper:
            write_section("paper", "\n".join(paper_lines))


if __name__ == "__main__":
    main()
