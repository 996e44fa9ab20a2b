"""Diversity of a scope over the workspace's shared themes, and near-duplicate projects funded apart.

The themes are computed once per workspace (``theme_sets``) and every scope is measured on them.
Disparity between two themes is the cosine distance between their centroids, so Stirling's Δ rewards
portfolios that spread money over themes that really differ. Near-duplicates are pairs of projects
whose TF-IDF cosine similarity reaches a threshold, found by sparse matrix products in blocks, reported
only where the two projects share no funder; they run on a deterministic sample of the projects in
scope (``max_projects``), and the result states the sample size.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias

import duckdb
import numpy as np

from missionboard.analytics.engine import rows
from missionboard.analytics.result import figure, table
from missionboard.analytics.texts import TextSample, joined_text
from missionboard.analytics.tfidf import tfidf
from missionboard.analytics.theme_sets import ThemeSet, shared_themes
from missionboard.domain import metrics
from missionboard.domain.mapping import mission_taxonomy
from missionboard.errors import EmptyVocabulary
from missionboard.store.analytics import AnalyticsStore
from missionboard.store.workspace import Workspace

if TYPE_CHECKING:  # imported where matrices are built: an analysis that reads its overlaps needs none
    from scipy.sparse import csr_matrix

MAX_TEXT_PROJECTS = 20_000
"""Projects whose texts an analysis samples for near-duplicates (``analyze_portfolio``'s default)."""
OVERLAP_SIMILARITY = 0.8
"""TF-IDF cosine similarity from which two projects are near-duplicates (the default)."""
MAX_OVERLAP_PROJECTS = 10_000
"""Projects of the sample compared with each other for near-duplicates (the default)."""

Texts: TypeAlias = Callable[[list[int]], dict[int, tuple[str, str]]]
"""(title, abstract) of the given projects (``AnalyticsStore.project_texts``)."""


def sample_texts(
    workspace: Workspace, con: duckdb.DuckDBPyConnection, *, max_projects: int, seed: int = 42
) -> TextSample:
    """Up to ``max_projects`` projects in scope (a fixed pseudo-random choice), with their texts."""

    def texts(ids: list[int]) -> dict[int, tuple[str, str]]:
        with workspace.reading() as session:
            return AnalyticsStore(session).project_texts(ids)

    return sample_of(con, texts, max_projects=max_projects, seed=seed)


def sample_of(con: duckdb.DuckDBPyConnection, texts: Texts, *, max_projects: int, seed: int) -> TextSample:
    """``sample_texts`` over the tables scope_projects and project_funders of ``con``, the texts read
    by ``texts``: nothing here depends on exchange rates, so the snapshot's child computes the whole
    portfolio's sample (``precomputed``) as an analysis does."""
    population = int(con.execute("SELECT count(*) FROM scope_projects").fetchone()[0])  # type: ignore[index]
    chosen = rows(
        con,
        """
        WITH chosen AS (SELECT id FROM scope_projects ORDER BY hash(id + $seed), id LIMIT $n)
        SELECT c.id, list(project_funders.funder) FILTER (WHERE project_funders.funder IS NOT NULL) AS funders
        FROM chosen c LEFT JOIN project_funders ON project_funders.project_id = c.id
        GROUP BY c.id
        """,
        {"seed": seed, "n": max_projects},
    )
    chosen.sort(key=lambda r: r["id"])
    ids = [int(r["id"]) for r in chosen]
    text_by_id = texts(ids)
    return TextSample(
        ids=ids,
        titles=[text_by_id.get(i, ("", ""))[0] for i in ids],
        abstracts=[text_by_id.get(i, ("", ""))[1] for i in ids],
        texts=[". ".join(t for t in text_by_id.get(i, ("", "")) if t) for i in ids],
        funders=[frozenset(r["funders"] or []) for r in chosen],
        population=population,
    )


def overlaps_of_sample(
    con: duckdb.DuckDBPyConnection,
    texts: Texts,
    *,
    max_text_projects: int = MAX_TEXT_PROJECTS,
    similarity: float = OVERLAP_SIMILARITY,
    max_projects: int = MAX_OVERLAP_PROJECTS,
    seed: int,
) -> dict[str, Any]:
    """The section ``overlaps`` of the scope of ``con``: its text sample (``sample_of``), vectorised and
    compared (``overlaps``)."""
    sample = sample_of(con, texts, max_projects=max_text_projects, seed=seed)
    return overlaps(sample, vectorise(sample.texts), similarity=similarity, max_projects=max_projects)


def project_texts(workspace: Workspace, ids: list[int]) -> dict[int, str]:
    """Title and abstract of the given projects, read in chunks."""
    with workspace.reading() as session:
        found = AnalyticsStore(session).project_texts(ids)
    return {pid: joined_text(*pair) for pid, pair in found.items()}


def vectorise(texts: list[str]) -> csr_matrix | None:
    """TF-IDF vectors of the texts (for near-duplicates), or None where there are no usable words:
    scikit-learn's ``TfidfVectorizer(stop_words="english", max_features=20_000, min_df=2 (1 under 50
    texts), sublinear_tf=True)``, computed by ``analytics.tfidf`` without importing scikit-learn."""
    if not texts:
        return None
    try:
        return tfidf(texts, max_features=20_000, min_df=2 if len(texts) >= 50 else 1)
    except EmptyVocabulary:  # no usable words at all
        return None


def scope_diversity(
    theme_set: ThemeSet,
    ids: np.ndarray,
    budgets: np.ndarray,
    titles: Callable[[list[int]], dict[int, str]],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Stirling diversity of one scope (its project ``ids`` and converted ``budgets``, NaN where unknown)
    over the workspace's shared themes, and the scope's theme table.

    Every scope is measured on the same themes, so the figures compare across missions, funders and
    years; variety counts the themes with at least one project of the scope, so a scope never has more
    variety than a larger scope containing it.
    """
    ids = np.asarray(ids, dtype=np.int64)
    budgets = np.asarray(budgets, dtype=float)
    k = theme_set.k
    theme = theme_set.themes_of(ids)
    in_theme = theme > 0
    basis = (
        f"the workspace's shared themes (generation {theme_set.generation}: k = {k}, {theme_set.space}; "
        f"{theme_set.chosen_by.get('rule', '')}); {int(in_theme.sum()):,} of {len(ids):,} projects in scope "
        "have a theme"
    )
    if k == 0 or not in_theme.any():
        section = _diversity_section(metrics.diversity([1.0], [[0.0]]), basis, "no themes")
        for key in ("balance", "disparity", "stirling", "shannon_entropy"):
            section[key]["value"] = None
        section["variety"]["value"] = 0
        section["themes"] = figure(k, "themes", basis)
        section["theme_set"] = theme_set.evidence()
        return section, table([], {}, basis)
    labels = theme[in_theme] - 1
    money = budgets[in_theme]
    priced = ~np.isnan(money)
    by_budget = bool(priced.mean() >= 0.5 and np.nansum(money) > 0)
    weights = np.where(priced, money, 0.0) if by_budget else np.ones(len(labels))
    totals = np.bincount(labels, weights=weights, minlength=k)
    counts = np.bincount(labels, minlength=k)
    p = metrics.shares(totals.tolist())
    if not p:
        p = metrics.shares(counts.astype(float).tolist())
        by_budget = False
    result = metrics.diversity(p, theme_set.distances.tolist())
    weighting = "budget" if by_budget else "project counts (too few budgets known)"
    section = _diversity_section(result, basis, f"shares of {weighting} across themes")
    section["variety"] = figure(
        int((counts > 0).sum()), "themes", f"shared themes with at least one project in scope; {basis}"
    )
    section["themes"] = figure(k, "themes", f"themes of the whole workspace; {basis}")
    section["theme_set"] = theme_set.evidence()
    scope_ids = ids[in_theme]
    first = {c: int(scope_ids[labels == c].min()) for c in range(k) if counts[c] > 0}
    names = titles(sorted(first.values()))
    theme_rows = [
        {
            "theme": c + 1,
            "label": theme_set.labels[c],
            "projects": int(counts[c]),
            "share": p[c],
            "example": names.get(first[c], "") if c in first else "",
        }
        for c in range(k)
        if counts[c] > 0
    ]
    theme_table = table(
        sorted(theme_rows, key=lambda r: (-(r["share"] or 0), r["theme"])),
        {"projects": "projects (in scope)", "share": f"fraction of {weighting}"},
        basis + "; label = the theme's most distinctive TF-IDF terms in the workspace",
    )
    return section, theme_table


def titles_of(workspace: Workspace, ids: list[int]) -> dict[int, str]:
    """The titles of the given projects."""
    with workspace.reading() as session:
        return AnalyticsStore(session).project_titles(ids)


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
        # SciPy takes 0.2-0.3 s to import (measured): only where matrices are built
        from scipy.sparse import csr_matrix

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


def themes_report(
    workspace: Workspace,
    *,
    mission_id: str | None = None,
    k: int | None = None,
    recompute: bool = False,
    terms: int = 6,
    examples: int = 5,
) -> dict[str, Any]:
    """The workspace's shared themes (the ones ``analyze`` measures diversity on), with their sizes in
    the whole workspace or, with ``mission_id``, in the mission's portfolio.

    ``k`` fixes the number of themes and ``recompute`` forces a new set: either replaces the shared set,
    so that ``analyze`` then uses it too.
    """
    from missionboard.store.missions import MissionStore  # only for --mission

    theme_set = shared_themes(workspace, k=k, recompute=recompute)
    taxonomy = None
    if mission_id is not None:
        with workspace.reading() as session:
            mission = MissionStore(session).get(mission_id).mission
            ids = np.array(sorted(AnalyticsStore(session).portfolio_project_ids(mission)), dtype=np.int64)
        taxonomy = mission_taxonomy(mission_id)
        scope = f"the projects in the portfolio of mission '{mission_id}'"
    else:
        ids = theme_set.project_ids
        scope = "every project of the workspace"
    theme = theme_set.themes_of(ids)
    counts = np.bincount(theme, minlength=theme_set.k + 1)
    in_theme = int(counts[1:].sum())
    members: dict[int, list[int]] = {}
    for c in range(1, theme_set.k + 1):
        members[c] = [int(i) for i in ids[theme == c][:examples]]
    names = titles_of(workspace, sorted({i for found in members.values() for i in found}))
    themes_out: list[dict[str, Any]] = [
        {
            "theme": c,
            "label": theme_set.labels[c - 1],
            "size": int(counts[c]),
            "share": round(int(counts[c]) / in_theme, 4) if in_theme else 0.0,
            "terms": theme_set.terms[c - 1][:terms],
            "projects": [{"id": i, "title": names.get(i, "")} for i in members[c]],
        }
        for c in range(1, theme_set.k + 1)
        if counts[c] > 0
    ]
    themes_out.sort(key=lambda t: (-t["size"], t["theme"]))
    k_present = len(themes_out)
    return {
        "k": theme_set.k,
        "projects": len(ids),
        "without_theme": int(counts[0]),
        "scope": scope,
        "taxonomy": taxonomy,
        "themes": themes_out,
        "thin": [t["theme"] for t in themes_out if t["share"] < 0.5 / max(1, k_present)],
        "theme_set": {**theme_set.evidence(), "status": theme_set.status},
    }
