"""Bundled sample texts, and reading a user's text file safely."""

from __future__ import annotations

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
