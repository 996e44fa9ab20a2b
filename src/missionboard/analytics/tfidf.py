"""TF-IDF vectors of texts, equal bit for bit to scikit-learn's ``TfidfVectorizer`` with English stop
words, a vocabulary limit, a minimum document frequency and sublinear term frequency, without importing
scikit-learn.

Importing scikit-learn costs every ``analyze`` ~0.8 CPU seconds (it loads scipy.stats and pandas;
1.28 against 0.46 s for NumPy, DuckDB, Arrow, scipy.sparse and networkx, measured), while the analysis
needs only this one transform. Each step below is scikit-learn 1.9's, in its order and with the same
NumPy and SciPy operations (the order of a row's entries included, since the near-duplicate products
sum in it); the tests hold the two to identical matrices.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from missionboard.errors import EmptyVocabulary

if TYPE_CHECKING:  # imported where matrices are built (0.2-0.3 s, measured)
    from scipy.sparse import csr_matrix

TOKEN = re.compile(r"(?u)\b\w\w+\b")
"""scikit-learn's default ``token_pattern``: words of two or more word characters."""

# fmt: off
ENGLISH_STOP_WORDS = frozenset([
    "a", "about", "above", "across", "after", "afterwards", "again", "against", "all", "almost", "alone",
    "along", "already", "also", "although", "always", "am", "among", "amongst", "amoungst", "amount", "an",
    "and", "another", "any", "anyhow", "anyone", "anything", "anyway", "anywhere", "are", "around", "as",
    "at", "back", "be", "became", "because", "become", "becomes", "becoming", "been", "before",
    "beforehand", "behind", "being", "below", "beside", "besides", "between", "beyond", "bill", "both",
    "bottom", "but", "by", "call", "can", "cannot", "cant", "co", "con", "could", "couldnt", "cry", "de",
    "describe", "detail", "do", "done", "down", "due", "during", "each", "eg", "eight", "either", "eleven",
    "else", "elsewhere", "empty", "enough", "etc", "even", "ever", "every", "everyone", "everything",
    "everywhere", "except", "few", "fifteen", "fifty", "fill", "find", "fire", "first", "five", "for",
    "former", "formerly", "forty", "found", "four", "from", "front", "full", "further", "get", "give", "go",
    "had", "has", "hasnt", "have", "he", "hence", "her", "here", "hereafter", "hereby", "herein",
    "hereupon", "hers", "herself", "him", "himself", "his", "how", "however", "hundred", "i", "ie", "if",
    "in", "inc", "indeed", "interest", "into", "is", "it", "its", "itself", "keep", "last", "latter",
    "latterly", "least", "less", "ltd", "made", "many", "may", "me", "meanwhile", "might", "mill", "mine",
    "more", "moreover", "most", "mostly", "move", "much", "must", "my", "myself", "name", "namely",
    "neither", "never", "nevertheless", "next", "nine", "no", "nobody", "none", "noone", "nor", "not",
    "nothing", "now", "nowhere", "of", "off", "often", "on", "once", "one", "only", "onto", "or", "other",
    "others", "otherwise", "our", "ours", "ourselves", "out", "over", "own", "part", "per", "perhaps",
    "please", "put", "rather", "re", "same", "see", "seem", "seemed", "seeming", "seems", "serious",
    "several", "she", "should", "show", "side", "since", "sincere", "six", "sixty", "so", "some", "somehow",
    "someone", "something", "sometime", "sometimes", "somewhere", "still", "such", "system", "take", "ten",
    "than", "that", "the", "their", "them", "themselves", "then", "thence", "there", "thereafter",
    "thereby", "therefore", "therein", "thereupon", "these", "they", "thick", "thin", "third", "this",
    "those", "though", "three", "through", "throughout", "thru", "thus", "to", "together", "too", "top",
    "toward", "towards", "twelve", "twenty", "two", "un", "under", "until", "up", "upon", "us", "very",
    "via", "was", "we", "well", "were", "what", "whatever", "when", "whence", "whenever", "where",
    "whereafter", "whereas", "whereby", "wherein", "whereupon", "wherever", "whether", "which", "while",
    "whither", "who", "whoever", "whole", "whom", "whose", "why", "will", "with", "within", "without",
    "would", "yet", "you", "your", "yours", "yourself", "yourselves"
])
# fmt: on
"""scikit-learn's ``ENGLISH_STOP_WORDS`` (318 words; the tests compare the two)."""


def tfidf(texts: Sequence[str], *, max_features: int, min_df: int) -> csr_matrix:
    """``TfidfVectorizer(stop_words="english", max_features=max_features, min_df=min_df,
    sublinear_tf=True).fit_transform(texts)``: one L2-normalised row per text, one column per kept
    term (alphabetical); raises ``EmptyVocabulary`` where no term is left."""
    counts, vocabulary = _count_vocabulary(texts)
    counts = _sorted_features(counts, vocabulary)
    counts = _limited_features(counts, max_features, min_df)
    return _tfidf_of_counts(counts)


def _count_vocabulary(texts: Sequence[str]) -> tuple[csr_matrix, dict[str, int]]:
    """Term counts, terms numbered in the order first seen (``CountVectorizer._count_vocab``)."""
    vocabulary: dict[str, int] = {}
    columns: list[int] = []
    values: list[int] = []
    indptr = [0]
    for text in texts:
        counter: dict[int, int] = {}
        for word in TOKEN.findall(text.lower()):
            if word in ENGLISH_STOP_WORDS:
                continue
            column = vocabulary.setdefault(word, len(vocabulary))
            counter[column] = counter.get(column, 0) + 1
        columns.extend(counter.keys())
        values.extend(counter.values())
        indptr.append(len(columns))
    if not vocabulary:
        raise EmptyVocabulary("empty vocabulary; perhaps the documents only contain stop words")
    kind = np.int64 if indptr[-1] > np.iinfo(np.int32).max else np.int32
    # SciPy takes 0.2-0.3 s to import (measured): only where matrices are built
    from scipy.sparse import csr_matrix

    matrix = csr_matrix(
        (
            np.asarray(values, dtype=np.intc),
            np.asarray(columns, dtype=kind),
            np.asarray(indptr, dtype=kind),
        ),
        shape=(len(indptr) - 1, len(vocabulary)),
        dtype=np.float64,
    )
    matrix.sort_indices()
    return matrix, vocabulary


def _sorted_features(counts: csr_matrix, vocabulary: dict[str, int]) -> csr_matrix:
    """Columns renumbered alphabetically, each row's entries left in their order
    (``CountVectorizer._sort_features``)."""
    renumber = np.empty(len(vocabulary), dtype=counts.indices.dtype)
    for new, (_term, old) in enumerate(sorted(vocabulary.items())):
        renumber[old] = new
    counts.indices = renumber.take(counts.indices, mode="clip")
    return counts


def _limited_features(counts: csr_matrix, limit: int, min_df: int) -> csr_matrix:
    """The terms in at least ``min_df`` texts, the ``limit`` most frequent of them
    (``CountVectorizer._limit_features``, ``max_df`` 1.0)."""
    documents = np.bincount(counts.indices, minlength=counts.shape[1])
    mask = np.ones(len(documents), dtype=bool)
    mask &= documents <= 1.0 * counts.shape[0]
    mask &= documents >= min_df
    if mask.sum() > limit:
        frequency = np.asarray(counts.sum(axis=0)).ravel()
        chosen = (-frequency[mask]).argsort()[:limit]
        limited = np.zeros(len(documents), dtype=bool)
        limited[np.where(mask)[0][chosen]] = True
        mask = limited
    kept = np.where(mask)[0]
    if len(kept) == 0:
        raise EmptyVocabulary("after pruning, no terms remain")
    found: csr_matrix = counts[:, kept]
    return found


def _tfidf_of_counts(counts: csr_matrix) -> csr_matrix:
    """Sublinear term frequency × smoothed idf, rows L2-normalised (``TfidfTransformer``, ``normalize``)."""
    documents = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float64, copy=False)
    documents += 1.0
    idf = np.full_like(documents, fill_value=counts.shape[0] + 1, dtype=np.float64)
    idf /= documents
    np.log(idf, out=idf)
    idf += 1.0
    matrix = counts.copy()
    np.log(matrix.data, matrix.data)
    matrix.data += 1.0
    matrix.data *= idf[matrix.indices]
    _normalise_rows(matrix)
    return matrix


def _normalise_rows(matrix: csr_matrix) -> None:
    """Each row divided by its L2 norm, its squares summed one after the other in the row's order, as
    scikit-learn's ``inplace_csr_row_normalize_l2`` loop does (SciPy's CSR × vector sums each row in
    that order; × 1.0 is exact); empty rows are left as they are."""
    from scipy.sparse import csr_matrix

    squares = csr_matrix((matrix.data * matrix.data, matrix.indices, matrix.indptr), shape=matrix.shape)
    norms = np.sqrt(squares @ np.ones(matrix.shape[1]))
    lengths = np.diff(matrix.indptr)
    divisor = np.repeat(norms, lengths)
    nonzero = divisor != 0.0
    matrix.data[nonzero] /= divisor[nonzero]
