"""Bundled sample texts, and reading a user's text file safely."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from lstm_demo.text import MAX_TEXT_BYTES, TextError

ASSETS = Path(__file__).resolve().parent.parent / "assets"


@dataclass(frozen=True)
class Sample:
    key: str
    title: str
    filename: str
    about: str

    @property
    def path(self) -> Path:
        return ASSETS / self.filename

    def read(self) -> str:
        return self.path.read_text(encoding="utf-8")


SAMPLES = {
    s.key: s
    for s in [
        Sample("meditations", "Meditations — the paper's passage", "meditations_paper.txt",
               "The passage from Marcus Aurelius that the paper trains on (section III)."),
        Sample("lighthouse", "The lighthouse keeper (a short text of ours)", "lighthouse.txt",
               "Four lines written for this app: a different vocabulary, the same task."),
        Sample("aesop", "Aesop's Fables (84 fables, 14,000 symbols)", "aesop_fables.txt",
               "Project Gutenberg etext #1992, public domain: enough text for the language "
               "model to learn from and be measured on."),
    ]
}
DEFAULT_SAMPLE = SAMPLES["meditations"]


def decode_text(data: bytes, name: str = "the file") -> str:
    """Bytes from a file or an upload -> text, with the size cap applied before decoding."""
    if len(data) > MAX_TEXT_BYTES:
        raise TextError(f"{name} is {len(data) / 1e6:.1f} MB; the limit is "
                        f"{MAX_TEXT_BYTES / 1e6:.0f} MB.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TextError(f"{name} is not UTF-8 text.") from None
    if not text.strip():
        raise TextError(f"{name} is empty.")
    return text


def read_text_file(path: str | Path) -> str:
    path = Path(path)
    if not path.is_file():
        raise TextError(f"no such file: {path}")
    if path.stat().st_size > MAX_TEXT_BYTES:
        raise TextError(f"{path} is {path.stat().st_size / 1e6:.1f} MB; the limit is "
                        f"{MAX_TEXT_BYTES / 1e6:.0f} MB.")
    return decode_text(path.read_bytes(), str(path))


# -- the data folder (a setting: the LSTM_DEMO_DATA environment variable, unset by default) --
DATA_ENV = "LSTM_DEMO_DATA"
MAX_CORPUS_BYTES = 8_000_000  # a corpus file from the data folder (the server's own files)


def data_folder() -> Path | None:
    """The folder named by $LSTM_DEMO_DATA, or None when it is unset or not a folder."""
    value = os.environ.get(DATA_ENV, "").strip()
    if not value:
        return None
    path = Path(value).expanduser()
    return path if path.is_dir() else None


def corpus_files(folder: Path | None = None) -> list[Path]:
    """Plain-text corpora in the data folder for the language model: every .txt file that
    is not a labelled (text<TAB>label) file or a readme, up to MAX_CORPUS_BYTES."""
    folder = data_folder() if folder is None else folder
    if folder is None:
        return []
    found = []
    for path in sorted(folder.rglob("*.txt")):
        if "readme" in path.name.lower() or path.stat().st_size > MAX_CORPUS_BYTES:
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            first = f.readline(10_000)
        if "\t" in first:
            continue
        found.append(path)
    return found


def read_corpus(path: str | Path) -> str:
    """A corpus file from the data folder (up to MAX_CORPUS_BYTES)."""
    path = Path(path)
    if not path.is_file():
        raise TextError(f"no such file: {path}")
    size = path.stat().st_size
    if size > MAX_CORPUS_BYTES:
        raise TextError(f"{path.name} is {size / 1e6:.1f} MB; the limit for a corpus is "
                        f"{MAX_CORPUS_BYTES / 1e6:.0f} MB.")
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TextError(f"{path.name} is not UTF-8 text.") from None
