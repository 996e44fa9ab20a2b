"""Solution themes, their diversity, and near-duplicate projects funded by different funders.

Themes are clusters of project texts (title and abstract): TF-IDF vectors (scikit-learn) grouped by
k-means. Disparity between two themes is the cosine distance between their centroids, so Stirling's
Δ rewards portfolios that spread money over themes that really differ. Near-duplicates are pairs of
projects whose TF-IDF cosine similarity reaches a threshold, found by sparse matrix products in
blocks, reported only where the two projects share no funder.

On large portfolios both run on a deterministic sample of the projects in scope (``max_projects``);
the result states the sample size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
from scipy.sparse import csr_matrix
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.feature_extraction.text import TfidfVectorizer
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from missionboard.analytics.engine import rows
from missionboard.analytics.result import figure, table
from missionboard.domain import metrics
from missionboard.store.tables import ProjectRow
from missionboard.store.workspace import Workspace


@dataclass
class TextSample:
    ids: list[int]
    titles: list[str]
    abstracts: list[str]
    texts: list[str]
    budgets: list[float | None]
    funders: list[frozenset[str]]
    population: int

    def subset(self, keep: list[int]) -> TextSample:
        """The sample restricted to the given positions."""
        return TextSample(
            ids=[self.ids[i] for i in keep],
            titles=[self.titles[i] for i in keep],
            abstracts=[self.abstracts[i] for i in keep],
            texts=[self.texts[i] for i in keep],
            budgets=[self.budgets[i] for i in keep],
            funders=[self.funders[i] for i in keep],
            population=self.population,
        )


def sample_texts(
    workspace: Workspace, con: duckdb.DuckDBPyConnection, *, max_projects: int, seed: int = 42
) -> TextSample:
    """Up to ``max_projects`` projects in scope (a fixed pseudo-random choice), with their texts."""
    population = int(con.execute("SELECT count(*) FROM sp").fetchone()[0])  # type: ignore[index]
    chosen = rows(
        con,
        """
        WITH chosen AS (SELECT id FROM sp ORDER BY hash(id + $seed), id LIMIT $n)
        SELECT c.id, m.budget, list(pf.funder) FILTER (WHERE pf.funder IS NOT NULL) AS funders
        FROM chosen c JOIN money m ON m.id = c.id LEFT JOIN pf ON pf.project_id = c.id
        GROUP BY c.id, m.budget
        """,
        {"seed": seed, "n": max_projects},
    )
    chosen.sort(key=lambda r: r["id"])
    ids = [int(r["id"]) for r in chosen]
    text_by_id: dict[int, tuple[str, str]] = {}
    with workspace.reading() as session:
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            for pid, title, abstract in session.execute(
                select(ProjectRow.id, ProjectRow.title, ProjectRow.abstract).where(ProjectRow.id.in_(chunk))
            ):
                text_by_id[pid] = (title or "", abstract or "")
    return TextSample(
        ids=ids,
        titles=[text_by_id.get(i, ("", ""))[0] for i in ids],
        abstracts=[text_by_id.get(i, ("", ""))[1] for i in ids],
        texts=[". ".join(t for t in text_by_id.get(i, ("", "")) if t) for i in ids],
        budgets=[r["budget"] for r in chosen],
        funders=[frozenset(r["funders"] or []) for r in chosen],
        population=population,
    )


def project_texts(workspace: Workspace, ids: list[int]) -> dict[int, str]:
    """Title and abstract of the given projects, read in chunks."""
    texts: dict[int, str] = {}
    with workspace.reading() as session:
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            for pid, title, abstract in session.execute(
                select(ProjectRow.id, ProjectRow.title, ProjectRow.abstract).where(ProjectRow.id.in_(chunk))
            ):
                texts[pid] = ". ".join(t for t in (title, abstract) if t)
    return texts


@dataclass(frozen=True)
class Embeddings:
    """Document vectors that ``map`` cached for (most of) the sampled projects."""

    model: str
    vectors: np.ndarray
    positions: list[int]

    def sample(self, full: TextSample) -> TextSample:
        """The part of ``full`` these vectors belong to, row for row."""
        return full.subset(self.positions)


def cached_embeddings(
    workspace: Workspace, sample: TextSample, *, min_coverage: float = 0.9
) -> Embeddings | None:
    """The mapping area's cached document vectors for the sample, if it has them for ≥ ``min_coverage``.

    Reuses what ``missionboard map`` computed (same text, same hash); nothing is embedded here. Returns
    ``None`` where mapping is not installed, has not run, or covers too few of the sampled projects.
    """
    try:
        from missionboard.mapping.embedding import MODEL_NAME, text_hash
        from missionboard.services.mapping import project_text_of
        from missionboard.store.mapping_tables import EmbeddingRow
    except ImportError:
        return None
    if not sample.ids:
        return None
    hashes = [text_hash(project_text_of(t, a)) for t, a in zip(sample.titles, sample.abstracts, strict=True)]
    found: dict[str, dict[str, np.ndarray]] = {}
    try:
        with workspace.reading() as session:
            unique = sorted(set(hashes))
            for start in range(0, len(unique), 500):
                query = select(
                    EmbeddingRow.text_hash, EmbeddingRow.model, EmbeddingRow.dim, EmbeddingRow.vector
                ).where(
                    EmbeddingRow.text_hash.in_(unique[start : start + 500]),
                    EmbeddingRow.model.startswith(MODEL_NAME),
                )
                for h, model, dim, blob in session.execute(query):
                    vector = np.frombuffer(blob, dtype=np.float16).reshape(-1, dim)[0].astype(np.float32)
                    found.setdefault(model, {})[h] = vector
    except SQLAlchemyError:  # a workspace without the mapping tables
        return None
    if not found:
        return None
    model = max(found, key=lambda m: (len(found[m]), m))
    vectors = found[model]
    positions = [i for i, h in enumerate(hashes) if h in vectors]
    if len(positions) < min_coverage * len(hashes):
        return None
    return Embeddings(
        model=model, vectors=np.vstack([vectors[hashes[i]] for i in positions]), positions=positions
    )


def _vectorise(texts: list[str]) -> tuple[csr_matrix, TfidfVectorizer] | None:
    if not texts:
        return None
    vectorizer = TfidfVectorizer(
        stop_words="english", max_features=20_000, min_df=2 if len(texts) >= 50 else 1, sublinear_tf=True
    )
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # no usable words at all
        return None
    return csr_matrix(matrix), vectorizer


def themes_and_diversity(
    sample: TextSample,
    *,
    n_themes: int | None = None,
    seed: int = 42,
    embeddings: Embeddings | None = None,
) -> tuple[dict[str, Any], dict[str, Any], csr_matrix | None]:
    """Themes (clusters of project texts) and Stirling diversity of the budget over them.

    With ``embeddings`` (cached by mapping; one row per project of ``sample``, see ``Embeddings.sample``)
    the themes are clusters of those vectors; otherwise of TF-IDF vectors. Labels always come from the
    TF-IDF terms.
    """
    if embeddings is not None and len(embeddings.vectors) != len(sample.ids):
        raise ValueError("embeddings must have one row per project of the sample")
    vectorised = _vectorise(sample.texts)
    space = (
        f"sentence embeddings ({embeddings.model}) cached by 'map'" if embeddings is not None else "TF-IDF"
    )
    basis = (
        f"{space} of title and abstract, k-means themes; {len(sample.ids):,} of {sample.population:,} projects"
        + (" (deterministic sample)" if len(sample.ids) < sample.population else "")
    )
    if vectorised is None or len(sample.ids) < 2:
        section = _diversity_section(metrics.diversity([1.0], [[0.0]]), basis, "a single theme")
        if not sample.ids:  # nothing to measure: no figure rather than a misleading "perfectly even"
            for key in ("balance", "disparity", "stirling", "shannon_entropy"):
                section[key]["value"] = None
            section["variety"]["value"] = 0
        return section, table([], {}, basis), None
    matrix, vectorizer = vectorised
    n = matrix.shape[0]
    k = n_themes or max(2, min(12, round((n / 2) ** 0.5)))
    k = max(1, min(k, n))
    if n <= 5000:
        model: KMeans | MiniBatchKMeans = KMeans(n_clusters=k, n_init=3, random_state=seed)
    else:
        model = MiniBatchKMeans(n_clusters=k, n_init=1, random_state=seed, batch_size=4096)
    features = embeddings.vectors if embeddings is not None else matrix
    labels = model.fit_predict(features)
    centroids = np.asarray(model.cluster_centers_)
    norms = np.linalg.norm(centroids, axis=1, keepdims=True)
    unit = centroids / np.where(norms > 0, norms, 1.0)
    distance = np.clip(1.0 - unit @ unit.T, 0.0, 1.0)
    np.fill_diagonal(distance, 0.0)
    budgets = np.array([b if b is not None else np.nan for b in sample.budgets], dtype=float)
    priced = ~np.isnan(budgets)
    by_budget = priced.mean() >= 0.5 and np.nansum(budgets) > 0
    weights = np.where(priced, budgets, 0.0) if by_budget else np.ones(n)
    totals = np.bincount(labels, weights=weights, minlength=k)
    counts = np.bincount(labels, minlength=k)
    p = metrics.shares(totals.tolist())
    if not p:
        p = metrics.shares(counts.astype(float).tolist())
        by_budget = False
    result = metrics.diversity(p, distance.tolist())
    terms = np.array(vectorizer.get_feature_names_out())
    theme_rows = []
    for c in range(k):
        members = np.flatnonzero(labels == c)
        weights_of_terms = (
            np.asarray(matrix[members].mean(axis=0)).ravel() if len(members) else np.zeros(len(terms))
        )
        top = terms[np.argsort(-weights_of_terms)[:5]]
        theme_rows.append(
            {
                "theme": c,
                "label": ", ".join(top.tolist()),
                "projects": int(counts[c]),
                "share": p[c] if p else None,
                "example": next((sample.titles[i] for i in range(n) if labels[i] == c), ""),
            }
        )
    weighting = "budget" if by_budget else "project counts (too few budgets known)"
    section = _diversity_section(result, basis, f"shares of {weighting} across themes")
    section["themes"] = figure(k, "themes", basis)
    theme_table = table(
        sorted(theme_rows, key=lambda r: -(r["share"] or 0)),
        {"projects": "projects (in the sample)", "share": f"fraction of {weighting}"},
        basis + "; label = the theme's strongest TF-IDF terms",
    )
    return section, theme_table, matrix


def _diversity_section(d: metrics.StirlingDiversity, basis: str, weighting: str) -> dict[str, Any]:
    return {
        "variety": figure(d.variety, "themes", f"themes with a positive share; {basis}"),
        "balance": figure(d.balance, "Shannon evenness (0–1)", f"H / ln(variety) over {weighting}; {basis}"),
        "disparity": figure(
            d.disparity, "mean cosine distance (0–1)", f"mean distance between theme centroids; {basis}"
        ),
        "stirling": figure(
            d.stirling,
            "Stirling Δ (0–1)",
            f"Σ_(i≠j) d_ij·p_i·p_j, d = cosine distance of theme centroids, p = {weighting}; {basis}",
        ),
        "shannon_entropy": figure(d.shannon_entropy, "nats", f"−Σ p ln p over {weighting}; {basis}"),
    }


def overlaps(
    sample: TextSample,
    matrix: csr_matrix | None,
    *,
    similarity: float = 0.8,
    limit: int = 50,
    max_projects: int = 10_000,
) -> dict[str, Any]:
    """Pairs of near-duplicate projects (TF-IDF cosine ≥ ``similarity``) that share no funder.

    Compares the first ``max_projects`` of the (already pseudo-random) text sample with each other.
    """
    if matrix is not None and matrix.shape[0] > max_projects:
        matrix = matrix[:max_projects]
    compared = min(len(sample.ids), max_projects)
    basis = (
        f"TF-IDF cosine similarity ≥ {similarity} between title+abstract texts, projects sharing no funder; "
        f"{compared:,} of {sample.population:,} projects compared"
    )
    found: list[tuple[float, int, int]] = []
    total = 0
    if matrix is not None and matrix.shape[0] >= 2:
        compared_funders = sample.funders[:compared]
        names = sorted({f for funders in compared_funders for f in funders})
        index = {name: k for k, name in enumerate(names)}
        cells = [(i, index[f]) for i, funders in enumerate(compared_funders) for f in funders]
        funded = csr_matrix(
            (np.ones(len(cells)), ([c[0] for c in cells], [c[1] for c in cells])),
            shape=(matrix.shape[0], max(1, len(names))),
        )
        has_funder = np.asarray(funded.sum(axis=1)).ravel() > 0
        transposed = matrix.T.tocsc()
        block = 1000
        for start in range(0, matrix.shape[0], block):
            product = (matrix[start : start + block] @ transposed).tocoo()
            i = product.row + start
            keep = (product.data >= similarity) & (product.col > i)
            i, j, s = i[keep], product.col[keep], product.data[keep]
            keep = has_funder[i] & has_funder[j]
            i, j, s = i[keep], j[keep], s[keep]
            if len(i) == 0:
                continue
            shared = np.asarray(funded[i].multiply(funded[j]).sum(axis=1)).ravel()
            keep = shared == 0
            i, j, s = i[keep], j[keep], s[keep]
            total += len(i)
            best = np.argsort(-s, kind="stable")[:limit]
            found.extend((float(s[k]), int(i[k]), int(j[k])) for k in best)
            found.sort(key=lambda t: (-t[0], t[1], t[2]))
            del found[limit:]
    pairs = [
        {
            "project_a": sample.ids[i],
            "title_a": sample.titles[i],
            "funders_a": sorted(sample.funders[i]),
            "project_b": sample.ids[j],
            "title_b": sample.titles[j],
            "funders_b": sorted(sample.funders[j]),
            "similarity": s,
        }
        for s, i, j in found[:limit]
    ]
    return {
        "count": figure(total, "project pairs", basis),
        "pairs": table(pairs, {"similarity": "cosine similarity (0–1)"}, basis + f" (top {limit})"),
    }
