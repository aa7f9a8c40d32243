"""How long a gate trace takes: a 200-symbol input through two LSTM layers of 512 units
(the paper's size), from ids to NumPy arrays of every gate, state and part. Reports the
median of many traces after one warm-up (which traces the graph), and, for scale, the same
sequence through the model's plain forward pass (``layer_steps``, eager).

    .venv/bin/python bench/bench_gates.py [--repeats 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import machine, write_section  # noqa: E402
from lstm_demo import runtime  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    tf = runtime.import_tensorflow()
    import numpy as np

    from lstm_demo.config import LowLevelConfig
    from lstm_demo.datasets import SAMPLES
    from lstm_demo.gates import trace_stack
    from lstm_demo.lowlevel import ThreeSymbolModel
    from lstm_demo.text import prepare

    corpus = prepare(" ".join(s.read() for s in SAMPLES.values()) * 2)
    ids = corpus.ids[:200]
    assert len(ids) == 200
    rows = []
    for encoding in ("embedding", "index"):
        model = ThreeSymbolModel(corpus.vocab_size, LowLevelConfig(units=512, layers=2,
                                                                  encoding=encoding))
        seq = tf.constant(ids[None])

        def trace(model=model, seq=seq):
            x = model.encode(seq)[0]
            return trace_stack(x, model.lstm_weights())

        t0 = time.perf_counter()
        trace()
        first = time.perf_counter() - t0
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            layers = trace()
            times.append(time.perf_counter() - t0)
        assert layers[1].h.shape == (200, 512) and np.isfinite(layers[1].c).all()
        t0 = time.perf_counter()
        model.layer_steps(seq)
        eager = time.perf_counter() - t0
        rows.append((encoding, statistics.median(times), min(times), first, eager))
        print(rows[-1], flush=True)
    lines = [
        f"Machine: {machine()}. Command: `.venv/bin/python bench/bench_gates.py --repeats "
        f"{args.repeats}`.",
        "",
        "| input encoding | median ms per trace | fastest ms | first call "
        "| plain eager forward pass, for scale |",
        "|---|---|---|---|---|",
    ] + [f"| {e} | {1000 * m:.1f} | {1000 * lo:.1f} | {f:.2f} s | {1000 * ea:.0f} ms |"
         for e, m, lo, f, ea in rows] + [
        "",
        "Each trace is 200 symbols through 2 layers x 512 units and returns i, f, g, o, c, h, "
        "x_t U and h_{t-1} V for every step and unit (target: under 50 ms).",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section("gates", text)


if __name__ == "__main__":
    main()
