"""Text -> symbols -> dictionary -> training pairs, the way the paper prepares its passage.

Every word and every punctuation mark is one symbol, even where the text puts no space
around the mark (``wind,`` -> ``wind`` ``,``; ``us—like`` -> ``us`` ``—`` ``like``). The
dictionary ranks symbols by frequency (most frequent = 0) and breaks ties by first
appearance, so the same text always gives the same numbers.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

import numpy as np

# A word is a run of letters/digits/underscore, with apostrophes allowed *inside* it
# ("don't", "o'clock"); everything else that is not whitespace is one symbol per character,
# together with the marks that only modify it: variation selectors (❤️), skin tones,
# combining marks, keycaps, and zero-width-joined sequences (👩‍💻).
_MODIFIER = "\ufe00-\ufe0f\u20e3\U0001f3fb-\U0001f3ff\u0300-\u036f"
_SYMBOL = re.compile(
    r"<unk>|<eos>|"  # Penn Treebank's markers stay whole
    rf"\w+(?:['’]\w+)*|[^\w\s{_MODIFIER}\u200d][{_MODIFIER}]*(?:\u200d[^\w\s][{_MODIFIER}]*)*",
    re.UNICODE,
)

MAX_TEXT_BYTES = 1_000_000  # 1 MB: the cap the Train page states and the CLI enforces
CONTEXT = 3  # three symbols in, the next one out


class TextError(ValueError):
    """A text that cannot be trained on; the message is meant for the person who gave it."""


def normalize(text: str, lowercase: bool = True) -> str:
    text = unicodedata.normalize("NFC", text)
    return text.lower() if lowercase else text


def to_symbols(text: str, lowercase: bool = True) -> list[str]:
    """Split text into symbols. Line breaks are plain whitespace: the text is one stream."""
    return _SYMBOL.findall(normalize(text, lowercase))


def build_dictionary(symbols: list[str]) -> tuple[dict[str, int], list[str]]:
    """Return (dictionary symbol->id, reverse list id->symbol), most frequent first."""
    counts = Counter(symbols)
    first_seen: dict[str, int] = {}
    for position, symbol in enumerate(symbols):
        first_seen.setdefault(symbol, position)
    ranked = sorted(counts, key=lambda s: (-counts[s], first_seen[s]))
    return {s: i for i, s in enumerate(ranked)}, ranked


def make_pairs(ids: np.ndarray, context: int = CONTEXT) -> tuple[np.ndarray, np.ndarray]:
    """Sliding windows: x[k] = ids[k:k+context], y[k] = ids[k+context]."""
    n = len(ids) - context
    if n <= 0:
        return np.zeros((0, context), np.int32), np.zeros((0,), np.int32)
    x = np.lib.stride_tricks.sliding_window_view(ids[:-1], context)[:n].astype(np.int32)
    y = ids[context:].astype(np.int32)
    return x, y


@dataclass(frozen=True)
class Corpus:
    """A text prepared for the three-symbol task."""

    symbols: list[str]
    dictionary: dict[str, int]
    reverse: list[str]
    x: np.ndarray  # (pairs, 3) int32
    y: np.ndarray  # (pairs,) int32
    lowercase: bool = True

    @property
    def vocab_size(self) -> int:
        return len(self.reverse)

    @property
    def ids(self) -> np.ndarray:
        return np.array([self.dictionary[s] for s in self.symbols], np.int32)

    def counts(self) -> dict[str, int]:
        return {
            "symbols": len(self.symbols),
            "distinct": self.vocab_size,
            "pairs": int(len(self.y)),
        }


def check_text(text: str) -> None:
    """Raise TextError with a plain message for a text that cannot be used (no TF needed)."""
    size = len(text.encode("utf-8"))
    if size > MAX_TEXT_BYTES:
        raise TextError(
            f"The text is {size / 1e6:.1f} MB; the limit is {MAX_TEXT_BYTES / 1e6:.0f} MB. "
            "Paste a shorter passage."
        )
    if not text.strip():
        raise TextError("The text is empty. Paste a passage, or pick one of the samples.")


def prepare(text: str, lowercase: bool = True) -> Corpus:
    """Check and turn a text into a Corpus, or raise TextError saying what is wrong."""
    check_text(text)
    symbols = to_symbols(text, lowercase)
    if not symbols:
        raise TextError("The text has no words or punctuation marks to learn from.")
    if len(symbols) <= CONTEXT:
        raise TextError(
            f"The text has {len(symbols)} symbol(s); at least {CONTEXT + 1} are needed "
            f"to make one training pair ({CONTEXT} symbols in, the next one out)."
        )
    dictionary, reverse = build_dictionary(symbols)
    if len(reverse) < 2:
        raise TextError(
            f"The text has only one distinct symbol ({reverse[0]!r}); there is nothing to "
            "predict. Use a text with at least two different words."
        )
    ids = np.array([dictionary[s] for s in symbols], np.int32)
    x, y = make_pairs(ids)
    return Corpus(symbols, dictionary, reverse, x, y, lowercase)


UNK = "<unk>"


def capped_vocabulary(symbols: list[str], cap: int) -> tuple[list[str], float]:
    """Frequency-ranked vocabulary of at most ``cap`` symbols, with <unk> standing for the
    rest (and kept if the text has its own, as Penn Treebank does); returns (reverse, share
    of the text that is out of vocabulary)."""
    _, ranked = build_dictionary(symbols)
    if len(ranked) <= cap:
        return ranked, 0.0
    kept = [s for s in ranked if s != UNK][:cap - 1] + [UNK]
    known = set(kept) - {UNK}
    oov = sum(1 for s in symbols if s not in known) / len(symbols)
    return kept, oov
