"""The stacked LSTM language model (Fig. 2) on Penn Treebank, through the app's own job:
train on ``ptb.valid.txt`` (its last 10% held out), then measure perplexity on
``ptb.test.txt``, which it never saw. PTB already has its 10,000-word vocabulary, ``<unk>``
and numbers replaced; line ends become ``<eos>``, as is usual for PTB.

    .venv/bin/python bench/bench_lm.py [--data ../shared/data] [--epochs 8] [--hidden 500]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import machine, write_section  # noqa: E402


def ptb_symbols(path: Path) -> list[str]:
    from lstm_demo.text import to_symbols

    return to_symbols(path.read_text(encoding="utf-8").replace("\n", " <eos> "), True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--hidden", type=int, default=500)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    import dataclasses

    import numpy as np

    from lstm_demo.config import PAPER_LM, lm_steps_per_epoch
    from lstm_demo.jobs import language_model_job
    from lstm_demo.keras_models import WindowBatches, perplexity
    from lstm_demo.training import FINISHED, TrainingRun

    folder = Path(args.data) / "ptb"
    train, test = ptb_symbols(folder / "ptb.valid.txt"), ptb_symbols(folder / "ptb.test.txt")
    config = dataclasses.replace(PAPER_LM, hidden=args.hidden, epochs=args.epochs,
                                 learning_rate=0.002, dropout=0.5)
    steps = lm_steps_per_epoch(len(train), config)
    started = time.perf_counter()
    run = TrainingRun(language_model_job(train, config), total_iterations=config.epochs * steps,
                      kind="lm").start()
    while not run.join(30):
        print(f"step {run.iteration} of {run.total_iterations}, {run.last_eval()}", flush=True)
    assert run.status == FINISHED, run.error_detail
    trained, evals = run.result, run.snapshot().evals
    unk = trained.dictionary["<unk>"]
    ids = np.array([trained.dictionary.get(s, unk) for s in test], np.int32)
    test_ppl, test_acc = perplexity(trained.model, WindowBatches(
        ids, config.num_steps, 64, shuffle=False))
    test_oov = float(np.mean(ids == unk)) - float(np.mean([t == "<unk>" for t in test]))
    s = trained.summary
    lines = [f"Machine: {machine()}. Command: `.venv/bin/python bench/bench_lm.py --epochs "
             f"{args.epochs} --hidden {args.hidden}`.", "",
             f"Stacked LSTM, {config.hidden} hidden × {config.layers} layers, windows of "
             f"{config.num_steps}, batch {config.batch_size}, dropout {config.dropout}, Adam "
             f"{config.learning_rate}; vocabulary {s['vocabulary']:,} "
             f"({s['oov_rate']:.2%} of the training text out of it); trained on "
             f"`ptb.valid.txt` ({s['train_symbols']:,} symbols, {s['heldout_symbols']:,} held "
             f"out), {s['iterations']:,} steps in {s['train_seconds']:.0f} s.", "",
             "| epoch | held-out perplexity | held-out accuracy |", "|---|---|---|"]
    lines += [f"| {e['epoch']} | {e['perplexity']:.1f} | {e['accuracy']:.2%} |" for e in evals]
    lines += ["", f"**`ptb.test.txt` ({len(test):,} symbols, never trained on): perplexity "
              f"{test_ppl:.1f}, next-word accuracy {test_acc:.2%}.** {test_oov:.1%} of its "
              "symbols are not in the vocabulary learned from ptb.valid.txt and are read as "
              f"`<unk>` (on top of PTB's own {np.mean([t == '<unk>' for t in test]):.1%} "
              "`<unk>`), which makes it easier than PTB's usual 10,000-word test. "
              "Training-text perplexity "
              f"{s['train_perplexity']:.1f}. For scale: PTB models trained on the 930k-word "
              "ptb.train.txt reach about 80–120; this one learns from the 74k words of "
              f"ptb.valid.txt only. Total {time.perf_counter() - started:.0f} s."]
    print("\n".join(lines))
    if not args.no_write:
        write_section("lm", "\n".join(lines))


if __name__ == "__main__":
    main()
