"""``analytics.tfidf`` gives scikit-learn's ``TfidfVectorizer`` matrix bit for bit (values, columns and the
order of each row's entries, which the near-duplicate products sum in), without importing scikit-learn."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from missionboard.analytics.tfidf import ENGLISH_STOP_WORDS as OURS
from missionboard.analytics.tfidf import EmptyVocabulary, tfidf

WORDS = [
    "battery",
    "bus",
    "charging",
    "depot",
    "electric",
    "fleet",
    "freight",
    "grid",
    "hydrogen",
    "lane",
    "logistics",
    "mobility",
    "rail",
    "route",
    "solar",
    "storage",
    "transit",
    "tram",
    "urban",
    "vehicle",
    "wind",
    "zero",
    "émission",
    "café",
    "naïve",
    "x",
    "y",
    "42",
    "co2",
]


def _corpus(seed: int, documents: int, vocabulary: int) -> list[str]:
    """Random texts: repeated words, stop words, capitals, accents, one-letter tokens, empty texts."""
    rng = np.random.default_rng(seed)
    words = [w for w in WORDS] + [f"term{i}" for i in range(vocabulary)]
    stop = ["the", "and", "of", "Which", "THEIR"]
    texts = []
    for _ in range(documents):
        n = int(rng.integers(0, 40))
        chosen = [words[int(i)] for i in rng.zipf(1.3, n) % len(words)]
        chosen += [stop[int(i)] for i in rng.integers(0, len(stop), n // 4)]
        rng.shuffle(chosen)
        texts.append(". ".join(" ".join(chosen[i : i + 7]).capitalize() for i in range(0, len(chosen), 7)))
    return texts


def _sklearn(texts: list[str], max_features: int, min_df: int) -> object:
    vectorizer = TfidfVectorizer(
        stop_words="english", max_features=max_features, min_df=min_df, sublinear_tf=True
    )
    return vectorizer.fit_transform(texts)


@pytest.mark.parametrize(
    ("seed", "documents", "vocabulary", "max_features", "min_df"),
    [
        (1, 60, 50, 20_000, 2),  # no limit reached
        (2, 300, 400, 100, 2),  # the limit cuts through ties of equal frequency
        (3, 40, 30, 20_000, 1),  # under 50 texts: min_df 1
        (4, 2_000, 3_000, 500, 2),
        (5, 10, 5, 3, 1),
    ],
)
def test_tfidf_equals_scikit_learn_bit_for_bit(
    seed: int, documents: int, vocabulary: int, max_features: int, min_df: int
) -> None:
    texts = _corpus(seed, documents, vocabulary)
    expected = _sklearn(texts, max_features, min_df)
    found = tfidf(texts, max_features=max_features, min_df=min_df)
    assert found.shape == expected.shape  # type: ignore[attr-defined]
    assert np.array_equal(found.indptr, expected.indptr)  # type: ignore[attr-defined]
    assert np.array_equal(found.indices, expected.indices)  # type: ignore[attr-defined]
    assert found.data.tobytes() == expected.data.tobytes()  # type: ignore[attr-defined]


def test_products_of_the_rows_equal_scikit_learn_bit_for_bit() -> None:
    texts = _corpus(6, 500, 200)
    expected = _sklearn(texts, 20_000, 2)
    found = tfidf(texts, max_features=20_000, min_df=2)
    ours = (found @ found.T.tocsc()).tocoo()
    theirs = (expected @ expected.T.tocsc()).tocoo()  # type: ignore[attr-defined]
    assert ours.data.tobytes() == theirs.data.tobytes()


@pytest.mark.parametrize("texts", [["the and of", "which their"], ["", "a"], ["x y z"]])
def test_texts_without_a_word_that_counts_have_no_vocabulary(texts: list[str]) -> None:
    with pytest.raises(EmptyVocabulary):
        tfidf(texts, max_features=20_000, min_df=1)


def test_the_stop_words_are_scikit_learns() -> None:
    assert OURS == ENGLISH_STOP_WORDS


def test_vectorising_texts_does_not_import_scikit_learn() -> None:
    code = (
        "import sys; from missionboard.analytics import themes; "
        "themes.vectorise(['electric buses for towns', 'electric trams']); "
        "print('sklearn' in sys.modules)"
    )
    found = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert found.stdout.strip() == "False"
