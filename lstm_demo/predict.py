"""Three words in, the fourth out: reading a context the way training read its text.

Works for any trained model that offers ``dictionary``, ``reverse``, ``lowercase``,
``context_size`` and ``next_probabilities(ids)``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import numpy as np

from lstm_demo.text import to_symbols


@dataclass
class Context:
    """A typed context, split and looked up; ``ids`` is None when it cannot be used."""

    symbols: list[str]  # every symbol typed, normalised as training normalised its text
    used: list[str]  # the symbols the prediction starts from
    ids: np.ndarray | None
    unknown: dict[str, list[str]] = field(default_factory=dict)  # symbol -> close known ones
    problem: str | None = None  # why no prediction is made
    note: str | None = None  # something to tell the person even when it works


def suggestions(symbol: str, dictionary: dict[str, int], n: int = 3) -> list[str]:
    return difflib.get_close_matches(symbol, list(dictionary), n=n, cutoff=0.5)


UNK = "<unk>"


def read_context(text: str, model, size: int | None = None) -> Context:
    """Normalise and look up a typed context; explain what is wrong with it, if anything.
    ``size``: how many of the last symbols to use (default: the model's ``context_size``;
    a language model takes any length). A model with an ``<unk>`` symbol reads unknown
    words as ``<unk>``, as it did in training; the others refuse them."""
    size = int(size or model.context_size)
    symbols = to_symbols(text, model.lowercase)
    if getattr(model, "kind", "") == "lm" and symbols:
        size = min(size, len(symbols))  # a language model reads any length
    if not symbols:
        return Context([], [], None, problem=f"Type {size} words to get the next one.")
    if len(symbols) < size:
        shown = " ".join(symbols)
        return Context(
            symbols, symbols, None,
            problem=f"{len(symbols)} symbol(s) given ({shown}); the model needs {size}. "
            f"Type {size - len(symbols)} more.",
        )
    used, note = symbols[-size:], None
    if len(symbols) > size:
        note = f"{len(symbols)} symbols given; using the last {size}: {' '.join(used)}"
    unknown = {s: suggestions(s, model.dictionary) for s in dict.fromkeys(used)
               if s not in model.dictionary}
    if unknown and UNK in model.dictionary:
        ids = np.array([[model.dictionary.get(s, model.dictionary[UNK]) for s in used]],
                       np.int32)
        read_as = f"Read as {UNK} (not in the vocabulary): " + ", ".join(f"“{s}”" for s in unknown)
        return Context(symbols, used, ids, unknown, note="; ".join(filter(None, [note, read_as])))
    if unknown:
        parts = []
        for symbol, close in unknown.items():
            hint = f" (closest known: {', '.join(close)})" if close else ""
            parts.append(f"“{symbol}”{hint}")
        return Context(
            symbols, used, None, unknown,
            problem="Not in the training text, so no prediction is made: " + "; ".join(parts),
            note=note,
        )
    ids = np.array([[model.dictionary[s] for s in used]], np.int32)
    return Context(symbols, used, ids, note=note)


def top_k(model, ids: np.ndarray, k: int = 5) -> list[tuple[str, float]]:
    """The k most likely next symbols with their probabilities, best first."""
    probs = model.next_probabilities(ids)[0]
    order = np.argsort(-probs, kind="stable")[:k]
    return [(model.reverse[i], float(probs[i])) for i in order]


def continue_text(model, ids: np.ndarray, n: int, temperature: float = 0.0,
                  seed: int = 0, size: int | None = None) -> list[str]:
    """Generate n symbols, feeding each prediction back in. temperature 0 = greedy (always
    the most likely); above 0, sample from the probabilities sharpened or flattened by it.
    Each step reads the last ``size`` symbols (default: the model's ``context_size``)."""
    rng = np.random.default_rng(seed)
    size = int(size or model.context_size)
    window = [int(i) for i in ids[0]]
    out = []
    for _ in range(int(n)):
        probs = model.next_probabilities(np.array([window[-size:]], np.int32))[0]
        if temperature <= 0:
            nxt = int(np.argmax(probs))
        else:
            logits = np.log(np.maximum(probs.astype(np.float64), 1e-12)) / temperature
            p = np.exp(logits - logits.max())
            nxt = int(rng.choice(len(p), p=p / p.sum()))
        window.append(nxt)
        out.append(model.reverse[nxt])
    return out


def join_symbols(symbols: list[str]) -> str:
    """Symbols back into readable text: no space before closing punctuation."""
    text = ""
    for s in symbols:
        if text and not (len(s) == 1 and s in ".,;:!?)]}»”’…—") and not text.endswith(("(", "—")):
            text += " "
        text += s
    return text
