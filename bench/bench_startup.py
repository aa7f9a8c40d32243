"""From `streamlit run` to the first page drawn in a real browser (Debian's chromium), for
the app and, in the same run, for a one-line hello-world app on the same server; beside it
the time a bare `import tensorflow` takes. The app starts TensorFlow's import in the
background, so its first page should cost about what hello-world costs, not that plus TF.

    .venv/bin/python bench/bench_startup.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from browser_helpers import chromium, streamlit_server  # noqa: E402

from bench.report import machine, write_section  # noqa: E402


def first_page(browser, app: Path, heading: str) -> float:
    with streamlit_server(app=app, log_name="bench-startup.log") as (url, started, _, _pid):
        page = browser.new_page()
        page.goto(url)
        page.get_by_role("heading", name=heading, exact=True).wait_for(timeout=60_000)
        seconds = time.perf_counter() - started
        page.close()
    return seconds


def tf_import() -> float:
    code = "import time; t = time.perf_counter(); import tensorflow; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    hello = Path(tempfile.mkdtemp()) / "hello.py"
    hello.write_text("import streamlit as st\nst.title('hello')\n")
    apps, hellos, imports = [], [], []
    with chromium() as browser:
        first_page(browser, hello, "hello")  # warm the disk cache for both
        for _ in range(args.repeats):
            apps.append(first_page(browser, ROOT / "app.py", "lstm-demo"))
            hellos.append(first_page(browser, hello, "hello"))
            imports.append(tf_import())
            print(f"app {apps[-1]:.2f} s, hello {hellos[-1]:.2f} s, tf import {imports[-1]:.2f} s",
                  flush=True)
    a, h, t = (statistics.median(v) for v in (apps, hellos, imports))
    text = "\n".join([
        f"Machine: {machine()}. Command: `.venv/bin/python bench/bench_startup.py --repeats "
        f"{args.repeats}`.",
        "",
        "| what | median seconds |",
        "|---|---|",
        f"| `streamlit run app.py` -> Home page drawn in chromium | {a:.2f} |",
        f"| `streamlit run hello.py` (one `st.title`) -> drawn | {h:.2f} |",
        f"| `import tensorflow` alone, in a fresh process | {t:.2f} |",
        "",
        f"The app's first page costs {a - h:+.2f} s over hello-world, against {t:.2f} s for "
        f"importing TensorFlow: the first page does not wait for it (ratio app / hello "
        f"{a / h:.2f}).",
    ])
    print(text)
    if not args.no_write:
        write_section("startup", text)


if __name__ == "__main__":
    main()
