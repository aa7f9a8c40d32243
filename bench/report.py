"""Write benchmark results into docs/BENCHMARKS.md, each script into its own section."""

from __future__ import annotations

import os
import platform
import re
from datetime import date
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "BENCHMARKS.md"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, {date.today()}"


def write_section(name: str, body: str) -> None:
    """Replace the text between <!-- NAME:start --> and <!-- NAME:end --> in BENCHMARKS.md."""
    text = DOC.read_text()
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise SystemExit(f"{DOC} has no {start} ... {end} section")
    DOC.write_text(pattern.sub(lambda _: f"{start}\n{body}\n{end}", text))
