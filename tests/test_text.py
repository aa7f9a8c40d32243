"""The paper's symbol rules: every word and every punctuation mark is one symbol."""

import numpy as np
import pytest

from lstm_demo.text import (
    MAX_TEXT_BYTES,
    TextError,
    build_dictionary,
    make_pairs,
    prepare,
    to_symbols,
)


def test_punctuation_is_split_off_even_without_spaces():
    assert to_symbols("sun , wind, animals .") == ["sun", ",", "wind", ",", "animals", "."]
    assert to_symbols("irrelevant to us—like sun") == ["irrelevant", "to", "us", "—", "like", "sun"]
    assert to_symbols('"Hello!" (she said)') == ['"', "hello", "!", '"', "(", "she", "said", ")"]


def test_apostrophes_inside_words_stay_in_the_word():
    assert to_symbols("don't stop, gladiators' fights") == [
        "don't", "stop", ",", "gladiators", "'", "fights"]


def test_lowercasing_is_a_switch():
    assert to_symbols("The Mind adapts") == ["the", "mind", "adapts"]
    assert to_symbols("The Mind adapts", lowercase=False) == ["The", "Mind", "adapts"]


def test_unicode_is_nfc_normalised():
    decomposed = "cafe\u0301"  # e + combining acute accent
    composed = "caf\u00e9"
    assert to_symbols(decomposed) == to_symbols(composed) == ["café"]


def test_text_over_several_lines_is_one_stream():
    assert to_symbols("one two\nthree\r\n\n  four") == ["one", "two", "three", "four"]
    corpus = prepare("a b\nc d")
    assert corpus.x.tolist() == [[corpus.dictionary[s] for s in "abc"]]


def test_dictionary_is_ranked_by_frequency_with_ties_by_first_appearance():
    dictionary, reverse = build_dictionary(["b", "a", "c", "a", "c", "d"])
    assert reverse == ["a", "c", "b", "d"]  # a, c twice (a first); then b, d once (b first)
    assert dictionary == {"a": 0, "c": 1, "b": 2, "d": 3}
    assert [reverse[dictionary[s]] for s in reverse] == reverse


def test_paper_passage_counts_and_pairs(passage):
    corpus = prepare(passage)
    assert corpus.counts() == {"symbols": 102, "distinct": 65, "pairs": 99}
    assert corpus.reverse[:5] == [".", "our", ",", "to", "the"]  # counts 8, 7, 5, 5, 5: ties by first use
    # Every pair is three consecutive symbols and the one after them.
    for k in (0, 50, 98):
        assert [corpus.reverse[i] for i in corpus.x[k]] == corpus.symbols[k:k + 3]
        assert corpus.reverse[corpus.y[k]] == corpus.symbols[k + 3]
    assert ["stands", "in", "the"] in [[corpus.reverse[i] for i in row] for row in corpus.x]


def test_make_pairs_shapes():
    x, y = make_pairs(np.arange(6, dtype=np.int32))
    assert x.tolist() == [[0, 1, 2], [1, 2, 3], [2, 3, 4]] and y.tolist() == [3, 4, 5]
    x, y = make_pairs(np.arange(3, dtype=np.int32))
    assert x.shape == (0, 3) and y.shape == (0,)


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("   \n\t ", "empty"),
    ("!!!!", "only one distinct"),  # punctuation marks are symbols too
    ("one two three", "at least 4"),
    ("word word word word word", "only one distinct"),
])
def test_bad_texts_get_a_plain_message(text, message):
    with pytest.raises(TextError) as err:
        prepare(text)
    assert message in str(err.value)


def test_text_over_the_cap_is_refused_before_any_work():
    with pytest.raises(TextError, match="limit is 1 MB"):
        prepare("word " * (MAX_TEXT_BYTES // 5 + 1))


def test_emoji_and_mixed_scripts_are_symbols():
    symbols = to_symbols("Привет мир 🙂 ok")
    assert symbols == ["привет", "мир", "🙂", "ok"]


def test_emoji_with_modifiers_stay_one_symbol():
    assert to_symbols("I ❤️ it 👍🏽 and 👩‍💻!") == ["i", "❤️", "it", "👍🏽", "and", "👩‍💻", "!"]
