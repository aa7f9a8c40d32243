"""Raw text encoded exactly as keras.datasets.imdb encodes it, and the labelled data
sources: the bundled set, CSV and tab-separated files, the aclImdb folder, and
keras.datasets.imdb without a network."""

import json
import time

import numpy as np
import pytest

from lstm_demo import imdb


@pytest.fixture(scope="module")
def official(shared_data):
    with open(shared_data / "keras_imdb" / "imdb_word_index.json", encoding="utf-8") as f:
        return json.load(f)


def test_tokenize_splits_like_text_to_word_sequence():
    assert imdb.tokenize("The FILM was great!<br /><br />Really, it's GREAT...") == \
        ["the", "film", "was", "great", "br", "br", "really", "it's", "great"]
    assert imdb.tokenize("  extra   spaces\tand\nnewlines ") == ["extra", "spaces", "and",
                                                                 "newlines"]
    assert imdb.tokenize("!!! ... ???") == []


def test_encoding_follows_the_official_word_index(official):
    words = imdb.tokenize("The movie was BAD.<br /><br />It's zzzunknownzzz")
    ids = imdb.encode_words(words, official, num_words=1000)
    # start, then rank + 3; <br /> is the word "br", ranked 7th by the official index
    assert ids[0] == imdb.START
    assert ids[1:] == [official["the"] + 3, official["movie"] + 3, official["was"] + 3,
                       official["bad"] + 3, official["br"] + 3, official["br"] + 3,
                       official["it's"] + 3, imdb.OOV]
    assert official["the"] + 3 == 4 and official["br"] + 3 == 10


def test_rare_words_at_or_above_num_words_become_oov(official):
    rare = next(w for w, r in official.items() if r + 3 == 1000)  # exactly num_words
    edge = next(w for w, r in official.items() if r + 3 == 999)  # the last id kept
    assert imdb.encode_words([rare, edge], official, 1000) == [1, imdb.OOV, 999]
    assert imdb.encode_words([rare], official, 1001) == [1, 1000]


def test_padding_and_truncation_are_keras_pad_sequences_defaults():
    out = imdb.pad([[1, 5, 6], list(range(1, 301))], 200)
    assert out.shape == (2, 200) and out.dtype == np.int32
    assert out[0].tolist() == [0] * 197 + [1, 5, 6]  # zeros in front
    assert out[1].tolist() == list(range(101, 301))  # the end kept; the start id dropped


def test_review_view_marks_padding_oov_and_truncation(official):
    view = imdb.view_review("A great zzqqx film", official, 1000, 10)
    assert view.ids.tolist() == [0] * 5 + [1, official["a"] + 3, official["great"] + 3,
                                           imdb.OOV, official["film"] + 3]
    assert view.status == ["pad"] * 5 + ["start", "word", "word", "oov", "word"]
    assert view.words[5:] == ["<start>", "a", "great", "zzqqx", "film"] and not view.dropped
    long = imdb.view_review(" ".join(["good"] * 15), official, 1000, 10)
    assert long.status == ["word"] * 10 and len(long.dropped) == 5 and long.total_words == 15
    assert long.ids.tolist() == [official["good"] + 3] * 10


def test_bundled_word_index_is_the_official_top_10000(official):
    bundled = json.loads(imdb.BUNDLED_WORD_INDEX.read_text(encoding="utf-8"))
    assert bundled == {w: r for w, r in official.items() if r <= 10_000}
    text = "I watched this film twice and it's still the worst thing ever<br />made"
    for num_words in (1000, 5000, 10_003):
        assert imdb.encode_texts([text], bundled, num_words, 200).tolist() == \
            imdb.encode_texts([text], official, num_words, 200).tolist()


def test_word_index_prefers_the_data_folder_then_keras_cache_then_bundled(shared_data, tmp_path,
                                                                         monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    found = imdb.load_word_index(shared_data)
    assert found.complete and "keras_imdb" in found.source and len(found.index) == 88_584
    fallback = imdb.load_word_index(tmp_path)
    assert not fallback.complete and len(fallback.index) == 10_000
    assert fallback.max_num_words == 10_003


def test_bundled_reviews_are_balanced_and_split():
    data = imdb.bundled_reviews()
    counts = data.counts()
    assert counts["train"] + counts["test"] == 300 and counts["test"] == 60
    assert counts["train_positive"] + counts["test_positive"] == 150
    assert not set(data.train_texts) & set(data.test_texts)


def test_acl_imdb_subset_has_its_own_5000_and_5000(shared_data):
    data = imdb.read_train_test_folder(shared_data / "aclImdb_subset")
    assert data.counts() == {"train": 5000, "test": 5000, "train_positive": 2500,
                             "test_positive": 2500}
    assert "<br />" in " ".join(data.train_texts[:200])  # raw text, tags and all


def test_sentence_files_keep_1000_lines_despite_u0085(shared_data):
    texts, labels = imdb.parse_labelled(
        (shared_data / "sentiment_labelled_sentences" / "imdb_labelled.txt").read_bytes(),
        "imdb_labelled.txt")
    assert len(texts) == 1000 and set(labels.tolist()) == {0, 1}


def test_data_folder_sources(shared_data):
    keys = [s.key for s in imdb.data_sources(shared_data)]
    assert keys[:2] == ["bundled", "keras"]
    assert f"folder:{shared_data / 'aclImdb_subset'}" in keys
    for name in ("imdb_labelled.txt", "yelp_labelled.txt", "amazon_cells_labelled.txt"):
        assert f"file:{shared_data / 'sentiment_labelled_sentences' / name}" in keys
    assert not any("readme" in k or "ptb" in k or "imdb_train_part1" in k for k in keys)


@pytest.mark.parametrize("data, name, message", [
    (b"text,stars\nfine,1\n", "a.csv", "'text' and 'label' columns"),
    (b"great\t1\nbad\tmaybe\n", "a.tsv", "line 2: the label is 'maybe'"),
    (b"no tab here\n", "a.txt", "expected 'text<TAB>label'"),
    (b"good\t1\nnice\t1\nfine\t1\nok\t1\n", "a.tsv", "both labels"),
    (b"\xff\xfe\x00bad", "a.tsv", "not UTF-8"),
    (b"x" * (imdb.MAX_LABELLED_BYTES + 1), "big.csv", "the limit is 40 MB"),
])
def test_bad_labelled_files_are_refused_with_a_message(data, name, message):
    with pytest.raises(imdb.DataError) as info:
        imdb.parse_labelled(data, name)
    assert message in str(info.value)


def test_keras_imdb_without_network_says_so_within_seconds(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(imdb, "KERAS_HOST", "nothing-here.invalid")
    started = time.perf_counter()
    usable, message = imdb.keras_imdb_status()
    assert time.perf_counter() - started < 5
    assert not usable
    assert "imdb.npz" in message and str(tmp_path / "datasets") in message
    with pytest.raises(imdb.DataError, match="no network"):
        imdb.load_source("keras")


def test_keras_imdb_found_in_the_cache_is_usable(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "imdb.npz").write_bytes(b"")
    usable, message = imdb.keras_imdb_status()
    assert usable and "found" in message
