"""Themes: clusters of project embeddings, each labelled by the terms that set it apart."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from missionboard.mapping.query import fold

_TOKEN = re.compile(r"(?u)\b[^\W\d_][^\W_]{2,}\b")
# Words too common in project descriptions to say anything about a theme (several languages).
STOPWORDS = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "from",
        "that",
        "this",
        "these",
        "those",
        "into",
        "their",
        "will",
        "have",
        "has",
        "are",
        "was",
        "were",
        "been",
        "being",
        "its",
        "our",
        "your",
        "project",
        "projects",
        "programme",
        "program",
        "support",
        "development",
        "through",
        "also",
        "which",
        "such",
        "more",
        "other",
        "new",
        "well",
        "including",
        "use",
        "using",
        "based",
        "within",
        "between",
        "about",
        "over",
        "under",
        "can",
        "may",
        "must",
        "all",
        "any",
        "each",
        "per",
        "not",
        "los",
        "las",
        "del",
        "por",
        "para",
        "con",
        "una",
        "que",
        "como",
        "sus",
        "mas",
        "este",
        "esta",
        "entre",
        "sobre",
        "proyecto",
        "programa",
        "apoyo",
        "desarrollo",
        "des",
        "les",
        "une",
        "pour",
        "dans",
        "par",
        "sur",
        "avec",
        "aux",
        "est",
        "sont",
        "qui",
        "ces",
        "projet",
        "programme",
        "och",
        "med",
        "att",
        "som",
        "det",
        "den",
        "för",
        "till",
        "från",
        "av",
        "på",
        "är",
        "ett",
        "og",
        "med",
        "som",
        "til",
        "fra",
        "det",
        "den",
        "har",
        "er",
    ]
)


def _terms(text: str) -> list[str]:
    return [w for w in (fold(t) for t in _TOKEN.findall(text)) if w not in STOPWORDS]


def distinctive_terms(texts: Sequence[str], labels: np.ndarray, k: int, top: int) -> list[list[str]]:
    """Per cluster: the terms most over-represented in it compared with the whole portfolio."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer=_terms, min_df=2 if len(texts) >= 20 else 1, sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # no terms at all
        return [[] for _ in range(k)]
    vocabulary = np.array(vectorizer.get_feature_names_out())
    overall = np.asarray(matrix.mean(axis=0)).ravel()
    out: list[list[str]] = []
    for c in range(k):
        rows = np.nonzero(labels == c)[0]
        if not len(rows):
            out.append([])
            continue
        inside = np.asarray(matrix[rows].mean(axis=0)).ravel()
        score = inside - overall
        order = np.argsort(-score)[:top]
        out.append([str(vocabulary[i]) for i in order if score[i] > 0])
    return out


def choose_k(vectors: np.ndarray, seed: int = 0) -> int:
    """The number of clusters (2 … 12) with the best silhouette on a sample."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    n = len(vectors)
    upper = max(2, min(12, n // 5))
    if n < 6:
        return min(2, n)
    rng = np.random.default_rng(seed)
    sample = vectors if n <= 2000 else vectors[rng.choice(n, 2000, replace=False)]
    best, best_score = 2, -1.0
    for k in range(2, upper + 1):
        labels = KMeans(n_clusters=k, n_init=3, random_state=seed).fit_predict(sample)
        if len(set(labels)) < 2:
            continue
        score = float(silhouette_score(sample, labels, metric="cosine"))
        if score > best_score + 1e-9:
            best, best_score = k, score
    return best


def cluster(
    texts: Sequence[str], vectors: np.ndarray, *, k: int | None = None, terms: int = 6, seed: int = 0
) -> dict[str, Any]:
    """Cluster texts; themes come back largest first, each with its size, terms and member indexes."""
    from sklearn.cluster import KMeans

    n = len(texts)
    k = choose_k(vectors, seed) if k is None else max(1, min(k, n))
    labels = (
        KMeans(n_clusters=k, n_init=5, random_state=seed).fit_predict(vectors) if k > 1 else np.zeros(n, int)
    )
    words = distinctive_terms(texts, labels, k, terms)
    themes: list[dict[str, Any]] = []
    for c in range(k):
        members = np.nonzero(labels == c)[0]
        if not len(members):
            continue
        centre = vectors[members].mean(axis=0)
        order = members[np.argsort(-(vectors[members] @ centre))]
        themes.append(
            {
                "size": len(members),
                "share": round(len(members) / n, 4),
                "terms": words[c],
                "members": [int(i) for i in order],
            }
        )
    themes.sort(key=lambda t: -t["size"])
    for number, theme in enumerate(themes, start=1):
        theme["theme"] = number
    return {
        "k": k,
        "projects": n,
        "themes": themes,
        "thin": [t["theme"] for t in themes if t["share"] < 0.5 / max(1, k)],
    }
