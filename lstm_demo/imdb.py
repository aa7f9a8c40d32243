"""The IMDB sentiment data of the paper's Fig. 7, and raw text encoded exactly as
``keras.datasets.imdb`` encodes it. TensorFlow-free, except ``load_keras_imdb``.

The encoding: Keras's word index (word -> frequency rank, 1 = most frequent) + 3, with
0 = padding, 1 = start of review, 2 = out of vocabulary; every id at or above ``num_words``
becomes 2; then each review is padded and truncated to ``maxlen`` the way
``keras.utils.pad_sequences`` does by default (both at the front, so the *end* of a long
review is kept). Raw text is split into words like Keras's ``text_to_word_sequence``:
lower case, punctuation (but not the apostrophe) to spaces, so ``<br />`` becomes the word
``br``, which the official index ranks 7th: the IMDB reviews were tokenized that way.

Three sources of labelled reviews, all becoming a ``LabelledSet`` of raw texts (or, for
``keras.datasets.imdb``, of id lists):
- ``keras.datasets.imdb`` when ``imdb.npz`` is in Keras's cache or can be downloaded;
- CSV (``text`` and ``label`` columns) and tab-separated ``text<TAB>label`` files, from a data
  folder or an upload;
- the small set written for this app, ``assets/reviews.tsv``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lstm_demo.datasets import ASSETS, data_folder

PAD, START, OOV, INDEX_FROM = 0, 1, 2, 3
WORD_INDEX_FILE = "imdb_word_index.json"
BUNDLED_WORD_INDEX = ASSETS / "imdb_word_index_top10000.json"  # the official file's top 10,000
BUNDLED_REVIEWS = ASSETS / "reviews.tsv"
KERAS_IMDB_FILE = "imdb.npz"
KERAS_HOST = "storage.googleapis.com"
MAX_LABELLED_BYTES = 40_000_000  # one labelled file (upload or data folder)
MAX_REVIEWS = 60_000
# Keras's text_to_word_sequence filters; the apostrophe stays ("it's", "don't" are words).
_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
_TRANSLATE = str.maketrans({c: " " for c in _FILTERS})


class DataError(ValueError):
    """Labelled data that cannot be used; the message says why, for the page."""


# -- the word index and the encoding ------------------------------------------------------
@dataclass
class WordIndex:
    index: dict[str, int]  # word -> rank (1 = most frequent), as in imdb_word_index.json
    source: str
    complete: bool  # False for the bundled top-10,000 copy

    @property
    def max_num_words(self) -> int:
        """The largest ``num_words`` this index encodes exactly."""
        return len(self.index) + INDEX_FROM if not self.complete else 10**9

    def reverse(self, num_words: int) -> list[str]:
        """id -> symbol for every id below ``num_words`` (the model's whole vocabulary)."""
        names = ["<pad>", "<start>", "<oov>"] + [""] * max(0, num_words - INDEX_FROM)
        for word, rank in self.index.items():
            if rank + INDEX_FROM < num_words:
                names[rank + INDEX_FROM] = word
        return names[:num_words]


def word_index_paths(folder: Path | None = None) -> list[Path]:
    """Where the official index is looked for, in order: the data folder (top level or
    ``keras_imdb/``), then Keras's cache."""
    folder = data_folder() if folder is None else folder
    paths = []
    if folder is not None:
        paths += [folder / WORD_INDEX_FILE, folder / "keras_imdb" / WORD_INDEX_FILE]
    paths.append(keras_cache() / WORD_INDEX_FILE)
    return paths


def load_word_index(folder: Path | None = None) -> WordIndex:
    """The official word index from the data folder or Keras's cache, else the bundled copy
    of its 10,000 most frequent words (exact for ``num_words`` up to 10,003)."""
    for path in word_index_paths(folder):
        if path.is_file():
            return WordIndex(_read_index(path), str(path), True)
    return WordIndex(_read_index(BUNDLED_WORD_INDEX), "the copy bundled with the app "
                     "(the official index's 10,000 most frequent words)", False)


def _read_index(path: Path) -> dict[str, int]:
    with open(path, encoding="utf-8") as f:
        index = json.load(f)
    if not isinstance(index, dict) or not all(isinstance(v, int) for v in index.values()):
        raise DataError(f"{path} is not a word index (word -> rank)")
    return index


def tokenize(text: str) -> list[str]:
    """Raw review text -> words, as Keras's ``text_to_word_sequence`` splits them."""
    return str(text).lower().translate(_TRANSLATE).split()


def encode_words(words: list[str], index: dict[str, int], num_words: int) -> list[int]:
    """[START] + (rank + 3, or OOV) for each word; ids at or above num_words -> OOV."""
    ids = [START]
    for w in words:
        rank = index.get(w)
        i = OOV if rank is None else rank + INDEX_FROM
        ids.append(i if i < num_words else OOV)
    return ids


def pad(sequences, maxlen: int) -> np.ndarray:
    """``keras.utils.pad_sequences(sequences, maxlen)`` with its defaults: zeros in front,
    and a long sequence keeps its last ``maxlen`` ids."""
    out = np.zeros((len(sequences), maxlen), np.int32)
    for k, seq in enumerate(sequences):
        seq = list(seq)[-maxlen:] if maxlen else []
        if seq:
            out[k, maxlen - len(seq):] = seq
    return out


def encode_texts(texts, index: dict[str, int], num_words: int, maxlen: int) -> np.ndarray:
    return pad([encode_words(tokenize(t), index, num_words) for t in texts], maxlen)


@dataclass
class ReviewView:
    """What the model sees of one review: the ``maxlen`` positions with their ids and
    words, and the words cut off the front."""

    ids: np.ndarray  # (maxlen,)
    words: list[str]  # one per position: "<pad>", "<start>", or the word as typed
    status: list[str]  # "pad", "start", "word" or "oov", one per position
    dropped: list[str]  # the words truncated away (the start of a long review)
    total_words: int


def view_review(text: str, index: dict[str, int], num_words: int, maxlen: int) -> ReviewView:
    words = tokenize(text)
    ids = encode_words(words, index, num_words)
    names = ["<start>"] + words
    keep = min(len(ids), maxlen)
    cut = len(ids) - keep
    padded = pad([ids], maxlen)[0]
    shown = ["<pad>"] * (maxlen - keep) + names[cut:]
    status = ["pad"] * (maxlen - keep) + [
        "start" if (k == 0 and cut == 0) else ("oov" if i == OOV else "word")
        for k, i in enumerate(ids[cut:])]
    return ReviewView(padded, shown, status, names[1:cut] if cut else [], len(words))


# -- labelled data ------------------------------------------------------------------------
@dataclass
class LabelledSet:
    """Reviews with 0/1 labels, split into train and test. ``texts`` are raw strings, or
    already-encoded id lists for ``keras.datasets.imdb``."""

    name: str
    train_texts: list
    train_labels: np.ndarray
    test_texts: list
    test_labels: np.ndarray
    encoded: bool = False
    about: str = ""
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict:
        return {"train": len(self.train_texts), "test": len(self.test_texts),
                "train_positive": int(np.sum(self.train_labels)),
                "test_positive": int(np.sum(self.test_labels))}


def _label(value, where: str) -> int:
    text = str(value).strip()
    if text in ("0", "1"):
        return int(text)
    if text.lower() in ("neg", "negative"):
        return 0
    if text.lower() in ("pos", "positive"):
        return 1
    raise DataError(f"{where}: the label is {text[:20]!r}; labels must be 0 or 1 "
                    "(or neg/pos).")


def parse_labelled(data: bytes, name: str) -> tuple[list[str], np.ndarray]:
    """A CSV with ``text`` and ``label`` columns, or ``text<TAB>label`` lines -> (texts,
    labels). Every problem is a DataError naming the file and the line."""
    if len(data) > MAX_LABELLED_BYTES:
        raise DataError(f"{name} is {len(data) / 1e6:.1f} MB; the limit is "
                        f"{MAX_LABELLED_BYTES / 1e6:.0f} MB.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(f"{name} is not UTF-8 text.") from None
    texts, labels = [], []
    first = text.split("\n", 1)[0]
    if name.lower().endswith(".csv") or ("," in first and "\t" not in first):
        reader = csv.DictReader(io.StringIO(text))
        fields = [f.strip().lower() for f in reader.fieldnames or []]
        if "text" not in fields or "label" not in fields:
            raise DataError(f"{name}: a CSV needs a header with 'text' and 'label' columns "
                            f"(it has {', '.join(fields[:8]) or 'none'}).")
        reader.fieldnames = fields
        try:
            for k, row in enumerate(reader, start=2):
                texts.append(row["text"] or "")
                labels.append(_label(row["label"], f"{name} line {k}"))
                if len(texts) > MAX_REVIEWS:
                    raise DataError(f"{name} has more than {MAX_REVIEWS:,} reviews.")
        except csv.Error as exc:
            raise DataError(f"{name} is not a readable CSV: {exc}") from None
    else:
        for k, line in enumerate(text.split("\n"), start=1):  # not splitlines: U+0085 is text
            line = line.rstrip("\r")
            if not line.strip():
                continue
            if "\t" not in line:
                raise DataError(f"{name} line {k}: expected 'text<TAB>label' "
                                "(or a CSV with text and label columns).")
            body, value = line.rsplit("\t", 1)
            texts.append(body)
            labels.append(_label(value, f"{name} line {k}"))
            if len(texts) > MAX_REVIEWS:
                raise DataError(f"{name} has more than {MAX_REVIEWS:,} reviews.")
    if len(texts) < 4 or len(set(labels)) < 2:
        raise DataError(f"{name}: needs at least 4 reviews with both labels "
                        f"(it has {len(texts)}, labels {sorted(set(labels))}).")
    return texts, np.array(labels, np.int32)


def split(name: str, texts, labels, test_share: float = 0.2, seed: int = 0,
          about: str = "") -> LabelledSet:
    """A fixed shuffled train/test split of one labelled file."""
    order = np.random.default_rng(seed).permutation(len(texts))
    n_test = max(1, int(round(len(texts) * test_share)))
    test, train = order[:n_test], order[n_test:]
    return LabelledSet(name, [texts[i] for i in train], labels[train],
                       [texts[i] for i in test], labels[test], about=about,
                       notes=[f"No test part of its own: a fixed {test_share:.0%} of it is "
                              "the test set."])


def read_labelled_file(path: Path, test_share: float = 0.2) -> LabelledSet:
    path = Path(path)
    if path.stat().st_size > MAX_LABELLED_BYTES:
        raise DataError(f"{path.name} is {path.stat().st_size / 1e6:.1f} MB; the limit is "
                        f"{MAX_LABELLED_BYTES / 1e6:.0f} MB.")
    texts, labels = parse_labelled(path.read_bytes(), path.name)
    return split(path.name, texts, labels, test_share, about=str(path))


def bundled_reviews() -> LabelledSet:
    texts, labels = parse_labelled(BUNDLED_REVIEWS.read_bytes(), BUNDLED_REVIEWS.name)
    return split("The app's own 300 short reviews", texts, labels, 0.2,
                 about="Written for this app (assets/reviews.tsv), so the page trains with "
                       "no network and no data folder.")


def read_train_test_folder(folder: Path) -> LabelledSet:
    """A folder of CSVs whose names say train or test, as ``aclImdb_subset/``."""
    parts = {"train": ([], []), "test": ([], [])}
    for path in sorted(folder.glob("*.csv")):
        which = "train" if "train" in path.name.lower() else (
            "test" if "test" in path.name.lower() else None)
        if which is None:
            continue
        texts, labels = parse_labelled(path.read_bytes(), path.name)
        parts[which][0].extend(texts)
        parts[which][1].extend(labels.tolist())
    if not parts["train"][0] or not parts["test"][0]:
        raise DataError(f"{folder.name}: needs CSV files named *train* and *test*.")
    return LabelledSet(folder.name, parts["train"][0], np.array(parts["train"][1], np.int32),
                       parts["test"][0], np.array(parts["test"][1], np.int32),
                       about=f"{folder} (its own train and test parts)")


@dataclass(frozen=True)
class Source:
    key: str  # "bundled", "keras", "folder:<path>", "file:<path>"
    title: str


def data_sources(folder: Path | None = None) -> list[Source]:
    """The labelled sets on offer: the bundled one, keras.datasets.imdb, and what the data
    folder holds (folders with train/test CSVs, and single CSV or TSV files)."""
    sources = [Source("bundled", "The app's own 300 short reviews (always available)"),
               Source("keras", "keras.datasets.imdb (25,000 + 25,000 reviews; cached or "
                               "downloaded)")]
    folder = data_folder() if folder is None else folder
    if folder is None:
        return sources
    for path in sorted(p for p in folder.rglob("*") if p.is_dir() or p.suffix in (".csv", ".txt", ".tsv")):
        if path.is_dir():
            names = [p.name.lower() for p in path.glob("*.csv")]
            if any("train" in n for n in names) and any("test" in n for n in names):
                sources.append(Source(f"folder:{path}", f"{path.relative_to(folder)}/ "
                                                        "(train and test CSVs)"))
        elif path.parent.name != "aclImdb_subset" and _looks_labelled(path):
            sources.append(Source(f"file:{path}", str(path.relative_to(folder))))
    return sources


def _looks_labelled(path: Path) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            first = f.readline(100_000)
    except OSError:
        return False
    if path.suffix == ".csv":
        header = [h.strip().lower() for h in first.split(",")]
        return "text" in header and "label" in header
    return "\t" in first and first.rstrip("\r\n").rsplit("\t", 1)[-1].strip() in ("0", "1")


def load_source(key: str, test_share: float = 0.2, num_words: int = 1000,
                maxlen: int = 200) -> LabelledSet:
    if key == "bundled":
        return bundled_reviews()
    if key == "keras":
        return load_keras_imdb(num_words, maxlen)
    kind, _, path = key.partition(":")
    if kind == "folder":
        return read_train_test_folder(Path(path))
    if kind == "file":
        return read_labelled_file(Path(path), test_share)
    raise DataError(f"unknown data source {key!r}")


# -- keras.datasets.imdb ------------------------------------------------------------------
def keras_cache() -> Path:
    """Keras's download cache (``$KERAS_HOME/datasets``, default ``~/.keras/datasets``)."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "datasets"


def network_reachable(host: str | None = None, timeout: float = 3.0) -> bool:
    """Whether ``host`` (default KERAS_HOST) answers on port 443 within ``timeout`` seconds
    in all (the name lookup included, which a plain socket timeout does not bound)."""
    host = host or KERAS_HOST
    answer = []

    def probe():
        try:
            socket.create_connection((host, 443), timeout=timeout).close()
            answer.append(True)
        except OSError:
            pass

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(answer)


def keras_imdb_status() -> tuple[bool, str]:
    """(usable, message) for keras.datasets.imdb, decided within a few seconds."""
    cached = keras_cache() / KERAS_IMDB_FILE
    if cached.is_file():
        return True, f"keras.datasets.imdb: found {cached}."
    if network_reachable():
        return True, (f"keras.datasets.imdb: {KERAS_IMDB_FILE} is not in {keras_cache()}; it "
                      f"will be downloaded from {KERAS_HOST} (about 17 MB).")
    return False, (f"keras.datasets.imdb is not available: {KERAS_IMDB_FILE} is not in Keras's "
                   f"cache folder {keras_cache()}, and {KERAS_HOST} cannot be reached (no "
                   f"network). Copy {KERAS_IMDB_FILE} (and {WORD_INDEX_FILE}) into that folder, "
                   "or use another data source.")


def load_keras_imdb(num_words: int, maxlen: int) -> LabelledSet:
    usable, message = keras_imdb_status()
    if not usable:
        raise DataError(message)
    import keras

    (x_train, y_train), (x_test, y_test) = keras.datasets.imdb.load_data(num_words=num_words)
    return LabelledSet("keras.datasets.imdb", list(x_train), np.asarray(y_train, np.int32),
                       list(x_test), np.asarray(y_test, np.int32), encoded=True,
                       about=message)
