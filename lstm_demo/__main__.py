"""Command line: pre-train before a demo, script runs, benchmark.

    python -m lstm_demo train [--model lowlevel|keras|lm|sentiment] [--text FILE]
                              [--data PATH] [--preset paper] [--until-accuracy 0.97]
                              [--save DIR] [--json] ...
    python -m lstm_demo predict --load DIR [--top K] [--json] WORD WORD WORD
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import sys
import time

from lstm_demo import runtime
from lstm_demo.datasets import DEFAULT_SAMPLE, read_text_file
from lstm_demo.text import TextError, prepare


class CliError(Exception):
    """A problem worth one line on stderr and a non-zero exit."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not a usage dump
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is negative")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} is not between 0 and 1 (e.g. 0.97)")
    return value


def build_parser() -> argparse.ArgumentParser:
    from lstm_demo.config import DEFAULT, ENCODINGS, LIMITS, OPTIMIZERS

    parser = _Parser(prog="python -m lstm_demo", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    from lstm_demo.jobs import ALL_KINDS

    train = sub.add_parser(
        "train", help="train a model (the three-symbol model by default)",
        description="Train one of the paper's models. The three-symbol models train on "
        "--text (default: the paper's passage); the language model on --text or --data (a "
        "corpus, default: Aesop's Fables); the sentiment model on --data (a labelled CSV or "
        "text<TAB>label file, a folder of train/test CSVs, 'keras' for keras.datasets.imdb; "
        "default: the app's own 300 reviews). Settings not given come from the preset.",
    )
    train.add_argument("--model", choices=list(ALL_KINDS), default="lowlevel",
                       help="; ".join(f"{k}: {v}" for k, v in ALL_KINDS.items())
                       + " (default lowlevel)")
    train.add_argument("--text", metavar="FILE", help="UTF-8 text file (default: the paper's "
                       "passage); at most 1 MB")
    train.add_argument("--data", metavar="PATH", help="lm: a corpus file (at most 8 MB); "
                       "sentiment: a labelled file, a folder with *train*/*test* CSVs, "
                       "'keras' or 'bundled'")
    train.add_argument("--preset", choices=["default", "paper"], default="default",
                       help="default: fast settings for a live demo; paper: the paper's "
                       "(three-symbol: 512 units, raw index input, RMSProp 1e-3, batch 1, "
                       "50,000 iterations; lm: 500 hidden x 2 layers; sentiment: Fig. 7)")

    def limits(name):
        low, high = LIMITS[name]
        return f"{low:g}..{high:g}"

    train.add_argument("--units", type=_positive_int, help=f"hidden units per layer "
                       f"({limits('units')}; default {DEFAULT.units})")
    train.add_argument("--layers", type=_positive_int, help=f"stacked LSTM layers "
                       f"({limits('layers')}; default {DEFAULT.layers})")
    train.add_argument("--iterations", type=_positive_int, help=f"training steps "
                       f"({limits('iterations')}; default {DEFAULT.iterations})")
    train.add_argument("--batch-size", type=_positive_int, help=f"pairs per step "
                       f"({limits('batch_size')}; default {DEFAULT.batch_size}; 1 = the paper)")
    train.add_argument("--learning-rate", type=float, help=f"({limits('learning_rate')}; "
                       f"default {DEFAULT.learning_rate:g})")
    train.add_argument("--encoding", choices=list(ENCODINGS), help="input encoding")
    train.add_argument("--optimizer", choices=list(OPTIMIZERS))
    train.add_argument("--seed", type=_positive_int, help="random seed (default 0)")
    train.add_argument("--xla", action=argparse.BooleanOptionalAction, default=None,
                       help="compile steps with XLA (on in the paper preset)")
    train.add_argument("--epochs", type=_positive_int, help="lm and sentiment: epochs")
    train.add_argument("--dropout", type=float, help="lm and sentiment: dropout rate")
    train.add_argument("--num-steps", type=_positive_int, help="lm: symbols per window")
    train.add_argument("--vocab-cap", type=_positive_int, help="lm: vocabulary cap (the rest "
                       "becomes <unk>)")
    train.add_argument("--num-words", type=_positive_int, help="sentiment: vocabulary "
                       "(num_words, default 1000)")
    train.add_argument("--holdout", type=float, help="lm: held-out tail of the text; "
                       "sentiment: held-out share of the training reviews")
    train.add_argument("--keep-case", action="store_true", help="do not lower-case the text")
    train.add_argument("--until-accuracy", type=_fraction, metavar="A",
                       help="stop once accuracy reaches A (e.g. 0.97): on all training pairs "
                       "for the three-symbol models, on the held-out part after an epoch for "
                       "lm and sentiment")
    train.add_argument("--device", default="/CPU:0", help="TensorFlow device, e.g. /GPU:0 "
                       "(default /CPU:0)")
    train.add_argument("--save", metavar="DIR", help="write the trained model bundle here")
    train.add_argument("--json", action="store_true", help="one JSON object per progress line")

    predict = sub.add_parser(
        "predict", help="predict the next symbol after three words",
        description="Load a saved model and print the most likely next symbols (a language "
        "model reads all the words given); for a sentiment model, the words are a review and "
        "it prints the positive probability.",
    )
    predict.add_argument("--load", metavar="DIR", required=True,
                         help="a directory written by `train --save`, or the bundle .zip")
    predict.add_argument("--top", type=_positive_int, default=5, metavar="K")
    predict.add_argument("--json", action="store_true", help="print one JSON object")
    predict.add_argument("words", nargs="+", metavar="WORD")
    return parser


def _config_from(args):
    from lstm_demo import config as settings

    config = settings.PRESETS[args.preset]
    overrides = {
        "units": args.units, "layers": args.layers, "iterations": args.iterations,
        "batch_size": args.batch_size, "learning_rate": args.learning_rate,
        "encoding": args.encoding, "optimizer": args.optimizer, "seed": args.seed,
        "xla": args.xla,
    }
    config = dataclasses.replace(config, **{k: v for k, v in overrides.items() if v is not None})
    problems = settings.validate(config)
    if problems:
        raise CliError(" ".join(problems))
    return config


def _variant_config(args):
    """The settings of the language or sentiment model: preset, then the options given."""
    from lstm_demo import config as settings

    if args.model == "lm":
        config = settings.PAPER_LM if args.preset == "paper" else settings.LanguageModelConfig()
        overrides = {"hidden": args.units, "layers": args.layers, "epochs": args.epochs,
                     "batch_size": args.batch_size, "learning_rate": args.learning_rate,
                     "dropout": args.dropout, "num_steps": args.num_steps,
                     "vocab_cap": args.vocab_cap, "holdout": args.holdout, "seed": args.seed}
        validate = settings.validate_lm
    else:
        config = settings.PAPER_SENTIMENT
        overrides = {"units": args.units, "epochs": args.epochs, "batch_size": args.batch_size,
                     "learning_rate": args.learning_rate, "dropout": args.dropout,
                     "num_words": args.num_words, "holdout": args.holdout, "seed": args.seed}
        validate = settings.validate_sentiment
    config = dataclasses.replace(config, **{k: v for k, v in overrides.items() if v is not None})
    problems = validate(config)
    if problems:
        raise CliError(" ".join(problems))
    return config


def _sentiment_data(path: str | None):
    from pathlib import Path

    from lstm_demo import imdb

    try:
        if path in (None, "bundled"):
            return imdb.bundled_reviews()
        if path == "keras":
            return None  # read on the training thread (it may download)
        p = Path(path)
        if p.is_dir():
            return imdb.read_train_test_folder(p)
        if not p.is_file():
            raise CliError(f"no such file or folder: {path}")
        return imdb.read_labelled_file(p)
    except imdb.DataError as exc:
        raise CliError(str(exc)) from None


def _variant_run(args):
    """(run, header line, extra summary fields) for the language and sentiment models."""
    from lstm_demo import config as settings
    from lstm_demo import jobs
    from lstm_demo.datasets import SAMPLES, read_corpus
    from lstm_demo.text import to_symbols
    from lstm_demo.training import TrainingRun

    config = _variant_config(args)
    if args.model == "lm":
        if args.data and args.text:
            raise CliError("give --text or --data, not both")
        text = (read_corpus(args.data) if args.data else read_text_file(args.text) if args.text
                else SAMPLES["aesop"].read())
        symbols = to_symbols(text, not args.keep_case)
        problems = settings.validate_lm(config, len(symbols))
        if problems:
            raise CliError(" ".join(problems))
        steps = settings.lm_steps_per_epoch(len(symbols), config)
        job = jobs.language_model_job(symbols, config, not args.keep_case,
                                      until_accuracy=args.until_accuracy)
        header = (f"{len(symbols):,} symbols; {config.hidden} hidden x {config.layers} layers, "
                  f"windows of {config.num_steps}, {config.epochs} epochs of {steps} steps")
        return TrainingRun(job, total_iterations=config.epochs * steps, device=args.device,
                           kind="lm"), header, {"symbols": len(symbols)}
    data = _sentiment_data(args.data)
    steps = (settings.steps_per_epoch(len(data.train_texts), config) if data
             else -(-22_500 // config.batch_size))
    job = jobs.sentiment_job(config, data, "keras", until_accuracy=args.until_accuracy)
    name = data.name if data else "keras.datasets.imdb"
    header = (f"{name}: " + (f"{len(data.train_texts):,} training / {len(data.test_texts):,} "
                             "test reviews; " if data else "")
              + f"Fig. 7 model, {config.num_words} words, {config.epochs} epochs")
    return TrainingRun(job, total_iterations=config.epochs * steps, device=args.device,
                       kind="sentiment"), header, {}


def _train(args) -> int:
    if args.model in ("lm", "sentiment"):
        return _train_variant(args)
    config = _config_from(args)  # settings and text are checked before TF is imported
    text = read_text_file(args.text) if args.text else DEFAULT_SAMPLE.read()
    corpus = prepare(text, lowercase=not args.keep_case)
    runtime.import_tensorflow()

    from lstm_demo import bundle
    from lstm_demo.jobs import JOBS
    from lstm_demo.runtime import list_devices
    from lstm_demo.training import FAILED, TrainingRun

    known = [name for name, _ in list_devices()]
    if args.device.upper() not in [k.upper() for k in known]:
        raise CliError(f"device {args.device!r} is not available; TensorFlow sees: "
                       + ", ".join(known))

    if args.model == "keras":  # the Keras twin always learns an embedding
        config = dataclasses.replace(config, encoding="embedding", xla=False)
    run = TrainingRun(
        JOBS[args.model](corpus, config, args.until_accuracy),
        total_iterations=config.iterations, device=args.device,
        accuracy_window=config.accuracy_window,
    ).start()
    signal.signal(signal.SIGINT, lambda *_: run.stop())  # Ctrl-C keeps the partial model

    def emit(obj: dict) -> None:
        if args.json:
            print(json.dumps(obj), flush=True)

    if not args.json:
        counts = corpus.counts()
        print(f"{counts['symbols']} symbols, {counts['distinct']} distinct, "
              f"{counts['pairs']} training pairs; {config.units} units x {config.layers} "
              f"layers, {config.encoding} input, {config.optimizer} {config.learning_rate:g}, "
              f"batch {config.batch_size}", flush=True)
    report_every = max(1, config.accuracy_window) if config.accuracy_window > 1 else None
    next_report, last_time = report_every, 0.0
    while not run.join(0.25):
        snap = run.snapshot(max_points=1)
        now = time.perf_counter()
        due = (snap.iteration >= next_report) if report_every else now - last_time >= 1.0
        if snap.iteration and due:
            last_time = now
            if report_every:
                next_report = (snap.iteration // report_every + 1) * report_every
            average = run.average_accuracy()
            emit({"event": "progress", "iteration": snap.iteration,
                  "loss": snap.loss[-1], "accuracy": snap.accuracy[-1],
                  "average_accuracy": average, "ms_per_iteration": snap.ms_per_iteration,
                  "elapsed": round(snap.elapsed, 3)})
            if not args.json:
                print(f"Iteration = {snap.iteration}  Average Accuracy = {100 * average:.2f}%"
                      f"  loss = {snap.loss[-1]:.4f}  ({snap.ms_per_iteration:.2f} ms/iteration)",
                      flush=True)
    if run.status == FAILED:
        raise CliError(f"training failed: {run.error}")
    trained = run.result
    summary = dict(trained.summary)
    if args.save:
        path = bundle.save(trained, args.save, *bundle.run_record(run))
        summary["saved"] = str(path)
    summary["status"] = run.status
    summary["symbols"] = len(corpus.symbols)
    summary["distinct_symbols"] = corpus.vocab_size
    emit({"event": "done"} | summary)
    if not args.json:
        print(f"{run.status}: accuracy {100 * summary['accuracy']:.2f}% on all "
              f"{summary['pairs']} training pairs after {summary['iterations']} iterations, "
              f"{summary['train_seconds']:.2f} s on {runtime.describe(summary['device'])}"
              + (f"; saved to {summary['saved']}" if args.save else ""))
    if args.until_accuracy and not summary["reached_target"]:
        print(f"target accuracy {args.until_accuracy} not reached", file=sys.stderr)
        return 3
    return 0


def _train_variant(args) -> int:
    run, header, extra = _variant_run(args)  # data and settings checked before TF loads
    runtime.import_tensorflow()
    from lstm_demo import bundle
    from lstm_demo.runtime import list_devices
    from lstm_demo.training import FAILED

    known = [name for name, _ in list_devices()]
    if args.device.upper() not in [k.upper() for k in known]:
        raise CliError(f"device {args.device!r} is not available; TensorFlow sees: "
                       + ", ".join(known))
    run.start()
    signal.signal(signal.SIGINT, lambda *_: run.stop())  # Ctrl-C keeps the partial model
    if not args.json:
        print(header, flush=True)
    last_time, evals = 0.0, 0
    while not run.join(0.25):
        snap = run.snapshot(max_points=1)
        now = time.perf_counter()
        for e in snap.evals[evals:]:
            _emit(args, {"event": "epoch"} | e)
            if not args.json:
                print("  ".join(f"{k} = {v:.4g}" if isinstance(v, float) else f"{k} = {v}"
                                for k, v in e.items() if k != "split"), flush=True)
        evals = len(snap.evals)
        if snap.iteration and now - last_time >= 1.0:
            last_time = now
            _emit(args, {"event": "progress", "iteration": snap.iteration,
                         "loss": snap.loss[-1], "accuracy": snap.accuracy[-1],
                         "ms_per_iteration": snap.ms_per_iteration,
                         "elapsed": round(snap.elapsed, 3)})
            if not args.json:
                print(f"Step = {snap.iteration} of {snap.total_iterations}  batch loss = "
                      f"{snap.loss[-1]:.4f}  batch accuracy = {100 * snap.accuracy[-1]:.2f}%"
                      f"  ({snap.ms_per_iteration:.1f} ms/step)", flush=True)
    if run.status == FAILED:
        raise CliError(f"training failed: {run.error}")
    trained = run.result
    summary = dict(trained.summary) | extra
    if args.save:
        path = bundle.save(trained, args.save, *bundle.run_record(run))
        summary["saved"] = str(path)
    summary["status"] = run.status
    _emit(args, {"event": "done"} | summary)
    if not args.json:
        if args.model == "lm":
            print(f"{run.status}: held-out perplexity {summary['perplexity']:.2f}, accuracy "
                  f"{100 * summary['heldout_accuracy']:.2f}%; training perplexity "
                  f"{summary['train_perplexity']:.2f}; {summary['train_seconds']:.1f} s")
        else:
            print(f"{run.status}: test accuracy {100 * summary['test_accuracy']:.2f}% on "
                  f"{summary['test_reviews']} reviews (held-out "
                  f"{100 * summary['heldout_accuracy']:.2f}%); {summary['train_seconds']:.1f} s")
        if args.save:
            print(f"saved to {summary['saved']}")
    if args.until_accuracy and not summary.get("reached_target"):
        print(f"target accuracy {args.until_accuracy} not reached", file=sys.stderr)
        return 3
    return 0


def _emit(args, obj: dict) -> None:
    if args.json:
        print(json.dumps(obj), flush=True)


def _predict(args) -> int:
    from lstm_demo import bundle
    from lstm_demo.predict import read_context, top_k

    runtime.import_tensorflow()
    try:
        trained, _ = bundle.read(args.load)
    except bundle.BundleError as exc:
        raise CliError(str(exc)) from None
    if trained.kind == "sentiment":
        review = " ".join(args.words)
        p = float(trained.positive_probability([review])[0])
        view = trained.view(review)
        if args.json:
            print(json.dumps({"positive_probability": p, "label": int(p >= 0.5),
                              "words": view.total_words,
                              "out_of_vocabulary": view.status.count("oov"),
                              "truncated": len(view.dropped)}))
        else:
            print(f"{p:8.2%}  positive" if p >= 0.5 else f"{1 - p:8.2%}  negative")
        return 0
    size = 200 if trained.kind == "lm" else None  # a language model reads them all
    context = read_context(" ".join(args.words), trained, size)
    if context.ids is None:
        raise CliError(context.problem)
    if args.top < 1:
        raise CliError("--top must be at least 1")
    top = top_k(trained, context.ids, args.top)
    if args.json:
        print(json.dumps({"context": context.used, "note": context.note,
                          "top": [{"symbol": s, "probability": p} for s, p in top]}))
    else:
        if context.note:
            print(context.note, file=sys.stderr)
        for symbol, p in top:
            print(f"{p:8.2%}  {symbol}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _train(args) if args.command == "train" else _predict(args)
    except (CliError, TextError, OSError) as exc:
        print(f"lstm_demo {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
