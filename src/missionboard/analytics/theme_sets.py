"""The workspace's themes: computed once per corpus, stored, and shared by ``themes`` and ``analyze``.

A theme set clusters every project of the corpus (``workspace``: all projects) into themes. Every scope
— a mission, a funder, a year, the whole workspace — is then measured on the same themes, so that its
variety, balance and disparity compare with any other scope's.

Rules (docs/analytics.md, "Themes and diversity"):

* **Space.** Cached sentence embeddings (written by ``map``) where they cover ≥ 90 % of the fitted
  projects, else TF-IDF of title and abstract reduced to ≤ 100 dimensions by truncated SVD (LSA), rows
  L2-normalised. Nothing is embedded here.
* **Fitted on** every project, or a fixed pseudo-random sample of ``MAX_FIT`` of them on larger corpora.
* **k** is chosen from the data: the k in 2 … min(20, n/5) with the highest mean cosine silhouette of
  k-means (seeded) on a fixed sample of at most 2,000 fitted projects; ties go to the smaller k. Corpora
  of fewer than 10 projects get k = min(2, n). ``--k`` fixes k instead (stated in ``chosen_by``).
* **Assignment.** Fitted projects take their k-means cluster. Any other project (beyond the sample, or
  imported after the set was computed) takes the theme whose term profile (its members' mean TF-IDF, top
  300 terms) its own terms match best; a project with no matching term is in no theme (theme 0).
* **Reuse.** The set is stored with a stamp (projects, highest project id, portfolio data version, time)
  and reused until the corpus has changed materially: projects added since plus projects removed since
  exceed 10 % of the projects it was computed from. Smaller changes are assigned by term profile and
  stored, the themes kept.
* **Storing and concurrency.** A new set's project → theme rows are written under a generation number
  of their own (handed out by a counter), 50,000 per transaction, so that no write lock is held for
  long; then one short transaction, holding the theme writers' lock, publishes the set (stamp and
  themes); then the replaced generation's rows are deleted, again in batches. Readers only ever read
  the published generation. A process that finds that another one published a set since it started
  keeps that set and deletes its own rows.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from missionboard.analytics import theme_members
from missionboard.analytics.texts import TextSample, cached_embeddings
from missionboard.store.analytics import MEMBER_BATCH, AnalyticsStore, StoredTheme, ThemeSetStamp, ThemeStore
from missionboard.store.workspace import Workspace

if TYPE_CHECKING:  # imported where matrices are built (0.2-0.3 s, measured)
    from scipy.sparse import csr_matrix

CORPUS = "workspace"
"""The corpus of the shared themes: every project of the workspace."""
MAX_FIT = 5_000
"""Projects k-means is fitted on (a fixed pseudo-random sample beyond this). 5,000 rather than 20,000:
fitting then costs ~1.3 s of CPU on any corpus; the rest is assigned by term profile (bench/RESULTS.md,
"Issue 13: shared themes")."""
MAX_K = 20
SILHOUETTE_SAMPLE = 2_000
MIN_PROJECTS_TO_CHOOSE = 10
"""Below this many projects k is not chosen by silhouette but set to min(2, n)."""
RECOMPUTE_SHARE = 0.10
"""Recompute when projects added plus removed since exceed this share of the projects it was computed from."""
ASSIGN_CHUNK = 100_000
"""Projects read and assigned by term profile per step (bounded memory on any corpus)."""
PROFILE_TERMS = 300
LABEL_TERMS = 5
NO_THEME = 0

_cache: dict[tuple[str, str], tuple[tuple[int, int], ThemeSet]] = {}
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class ThemeSet:
    """A stored set of themes: theme ``i`` (1 … k) has ``labels[i-1]``; ``distances`` are between themes."""

    corpus: str
    generation: int
    k: int
    space: str
    chosen_by: dict[str, Any]
    distances: np.ndarray
    labels: list[str]
    terms: list[list[str]]
    sizes: list[int]
    """Projects per theme (1 … k), new projects assigned since included."""
    projects: int
    fitted: int
    max_project_id: int
    data_version: int
    computed_at: str
    project_ids: np.ndarray
    """Sorted ids of every assigned project."""
    theme_of: np.ndarray
    """The theme (1 … k, or 0: no theme) of each of ``project_ids``."""
    status: str = "reused"
    """What this call did: ``computed``, ``reused`` or ``topped up`` (new projects assigned)."""

    def themes_of(self, ids: np.ndarray) -> np.ndarray:
        """The theme of each project id (0 for a project in no theme or not assigned)."""
        ids = np.asarray(ids, dtype=np.int64)
        if len(self.project_ids) == 0:
            return np.zeros(len(ids), np.int32)
        at = np.clip(np.searchsorted(self.project_ids, ids), 0, len(self.project_ids) - 1)
        found = self.project_ids[at] == ids
        return np.where(found, self.theme_of[at], NO_THEME).astype(np.int32)

    def evidence(self) -> dict[str, Any]:
        """What the themes were computed from and how k was chosen, JSON-ready (not what this call did:
        ``status``, which ``analyze`` reports under ``meta``)."""
        return {
            "corpus": self.corpus,
            "generation": self.generation,
            "k": self.k,
            "space": self.space,
            "chosen_by": self.chosen_by,
            "projects": self.projects,
            "fitted": self.fitted,
            "assigned": len(self.project_ids),
            "max_project_id": self.max_project_id,
            "data_version": self.data_version,
            "computed_at": self.computed_at,
            "reuse_rule": (
                f"reused until projects added plus removed since exceed {RECOMPUTE_SHARE:.0%} of the "
                f"{self.projects:,} it was computed from; new projects meanwhile join the theme whose "
                "term profile they match best"
            ),
        }


def shared_themes(
    workspace: Workspace, *, k: int | None = None, recompute: bool = False, seed: int = 42
) -> ThemeSet:
    """The workspace's themes: the stored set where it is fresh, else computed now and stored.

    ``k`` fixes the number of themes (the stored set is recomputed if its k differs); ``recompute``
    forces a new set.
    """
    stamp, counts = _current(workspace)
    if stamp is not None and not recompute and (k is None or k == stamp.k) and not _stale(stamp, counts):
        if counts["unassigned_new"] > 0 and not workspace.read_only:
            _top_up(workspace, stamp.generation)
            return _load(workspace, status="topped up")
        return _load(workspace, status="reused")
    if workspace.read_only:  # nothing can be stored: computed for this call only
        return _computed_in_memory(workspace, k=k, seed=seed)
    seen = stamp.generation if stamp is not None else 0
    return _compute_and_store(workspace, k=k, seed=seed, seen_generation=seen, forced=recompute)


def settle_shared_themes(workspace: Workspace, *, seed: int = 42) -> None:
    """Store now what ``shared_themes(workspace, seed=seed)`` would store (new projects' themes, or a new
    set), without reading the set back: an analysis that follows then writes nothing, so that its result
    can be kept (``result_cache``). Nothing on a read-only workspace."""
    if workspace.read_only:
        return
    stamp, counts = _current(workspace)
    if stamp is not None and not _stale(stamp, counts):
        if counts["unassigned_new"] > 0:
            _top_up(workspace, stamp.generation)
        return
    seen = stamp.generation if stamp is not None else 0
    _compute_and_store(workspace, k=None, seed=seed, seen_generation=seen, forced=False)


def _current(workspace: Workspace) -> tuple[ThemeSetStamp | None, dict[str, int]]:
    """The stored set's stamp (None: no set yet) and the project counts that say whether it is fresh."""
    with workspace.reading() as session:
        stored = ThemeStore(session)
        stamp = stored.theme_set(CORPUS)
        return stamp, _counts(stored, stamp)


# --- freshness --------------------------------------------------------------------------------------


def _counts(stored: ThemeStore, stamp: ThemeSetStamp | None) -> dict[str, int]:
    total = stored.project_count()
    if stamp is None:
        return {"total": total, "new": total, "unassigned_new": total}
    new = stored.project_count(above=stamp.max_project_id)
    assigned_new = stored.member_count(CORPUS, stamp.generation, above=stamp.max_project_id)
    return {"total": total, "new": new, "unassigned_new": max(0, new - assigned_new)}


def _stale(stamp: ThemeSetStamp, counts: dict[str, int]) -> bool:
    """Projects added plus removed since the set was computed exceed ``RECOMPUTE_SHARE`` of its projects."""
    removed = max(0, stamp.projects - (counts["total"] - counts["new"]))
    return counts["new"] + removed > RECOMPUTE_SHARE * stamp.projects


# --- computing --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Fit:
    k: int
    space: str
    chosen_by: dict[str, Any]
    distances: np.ndarray
    labels: list[str]
    terms: list[list[str]]
    profiles: list[dict[str, float]]
    assignment: dict[int, int]


def _compute_and_store(
    workspace: Workspace, *, k: int | None, seed: int, seen_generation: int, forced: bool
) -> ThemeSet:
    started = time.perf_counter()
    fitted = _fit_workspace(workspace, k=k, seed=seed)
    fit = fitted.fit
    sizes = np.bincount(fitted.theme_of, minlength=fit.k + 1)
    chosen_by = dict(fit.chosen_by)
    chosen_by["seconds"] = round(time.perf_counter() - started, 3)
    if forced:
        chosen_by["recomputed"] = "on request"
    # the members first, in short transactions under a generation of their own (readers still see the
    # published set); then the set is published in one short transaction; then the old members go
    generation = _store_members(workspace, fitted.member_ids, fitted.theme_of)

    def stamp_and_themes() -> tuple[ThemeSetStamp, list[StoredTheme]]:
        stamp = ThemeSetStamp(
            corpus=CORPUS,
            generation=generation,
            k=fit.k,
            space=fit.space,
            chosen_by=chosen_by,
            distances=np.round(fit.distances, 6).tolist(),
            projects=len(fitted.ids),
            fitted=len(fitted.fit_ids),
            max_project_id=int(fitted.ids.max()) if len(fitted.ids) else 0,
            data_version=fitted.data_version,
            seed=seed,
        )
        themes = [
            StoredTheme(
                theme=t + 1,
                label=fit.labels[t],
                size=int(sizes[t + 1]),
                profile={"terms": fit.terms[t], "weights": fit.profiles[t]},
            )
            for t in range(fit.k)
        ]
        return stamp, themes

    stamp = _publish(workspace, generation, k=k, seen_generation=seen_generation, build=stamp_and_themes)
    if stamp is None:
        _drop_generation(workspace, generation)
        _drop_unpublished(workspace)
        return _load(workspace, status="reused")
    _drop_unpublished(workspace)
    # what was just published, from memory (reading 1M member rows back costs ~0.5 s)
    result = ThemeSet(
        corpus=CORPUS,
        generation=generation,
        k=fit.k,
        space=fit.space,
        chosen_by=chosen_by,
        distances=np.array(stamp.distances, dtype=float).reshape(fit.k, fit.k),
        labels=fit.labels,
        terms=fit.terms,
        sizes=sizes[1 : fit.k + 1].tolist(),
        projects=stamp.projects,
        fitted=stamp.fitted,
        max_project_id=stamp.max_project_id,
        data_version=fitted.data_version,
        computed_at=_utc_iso(stamp.computed_at),
        project_ids=fitted.member_ids,
        theme_of=fitted.theme_of,
        status="computed",
    )
    with _cache_lock:
        _cache[(str(workspace.url), CORPUS)] = ((generation, len(fitted.member_ids)), result)
    return result


@dataclass(frozen=True)
class _FittedWorkspace:
    """The themes fitted on (a sample of) the workspace's projects, and every project's theme."""

    data_version: int
    ids: np.ndarray
    fit_ids: np.ndarray
    fit: _Fit
    member_ids: np.ndarray
    theme_of: np.ndarray


def _fit_workspace(workspace: Workspace, *, k: int | None, seed: int) -> _FittedWorkspace:
    """Themes fitted on the workspace's projects (at most ``MAX_FIT``, sampled), each project assigned."""
    with workspace.reading() as session:
        stored = ThemeStore(session)
        data_version = stored.portfolio_version()
        ids = stored.project_ids()
    fit_ids = ids
    if len(ids) > MAX_FIT:
        fit_ids = np.sort(np.random.default_rng(seed).choice(ids, MAX_FIT, replace=False))
    fit = fit_themes(workspace, [int(i) for i in fit_ids], k=k, seed=seed)
    member_ids, theme_of = _assign_all(workspace, fit, ids)
    return _FittedWorkspace(data_version, ids, fit_ids, fit, member_ids, theme_of)


def _store_members(workspace: Workspace, member_ids: np.ndarray, theme_of: np.ndarray) -> int:
    """A new generation reserved and its members written, ``MEMBER_BATCH`` per transaction."""
    with workspace.transaction() as session:
        generation = ThemeStore(session).reserve_generation()
    for start in range(0, len(member_ids), MEMBER_BATCH):
        end = start + MEMBER_BATCH
        with workspace.transaction() as session:
            ThemeStore(session).add_members(CORPUS, generation, member_ids[start:end], theme_of[start:end])
    return generation


def _publish(
    workspace: Workspace,
    generation: int,
    *,
    k: int | None,
    seen_generation: int,
    build: Callable[[], tuple[ThemeSetStamp, list[StoredTheme]]],
) -> ThemeSetStamp | None:
    """Publish ``generation`` (its stamp and themes made by ``build``) in one transaction; None where
    another process published a set since we looked, which is kept."""
    with workspace.transaction() as session:
        stored = ThemeStore(session)
        stored.lock()
        current = stored.theme_set(CORPUS)
        # publish unless another process published a set since we looked (keep that one, unless it has
        # not the k asked for), and never over a newer generation: a generation lower than the published
        # one is never published, so deleting such generations (below) never races with a writer
        kept = current is not None and (
            current.generation > generation
            or (current.generation != seen_generation and (k is None or k == current.k))
        )
        if kept:  # another process published a set since we looked: keep it, drop ours
            return None
        stamp, themes = build()
        stored.publish(stamp, themes)
    return stamp


def _computed_in_memory(workspace: Workspace, *, k: int | None, seed: int) -> ThemeSet:
    """A theme set for a read-only workspace, computed as for storing but kept in memory for this call."""
    fitted = _fit_workspace(workspace, k=k, seed=seed)
    fit, ids, theme_of = fitted.fit, fitted.ids, fitted.theme_of
    return ThemeSet(
        corpus=CORPUS,
        generation=0,
        k=fit.k,
        space=fit.space,
        chosen_by={**fit.chosen_by, "stored": "no: read-only workspace"},
        distances=fit.distances,
        labels=fit.labels,
        terms=fit.terms,
        sizes=np.bincount(theme_of, minlength=fit.k + 1)[1:].tolist(),
        projects=len(ids),
        fitted=len(fitted.fit_ids),
        max_project_id=int(ids.max()) if len(ids) else 0,
        data_version=fitted.data_version,
        computed_at="",
        project_ids=fitted.member_ids,
        theme_of=theme_of,
        status="computed (read-only workspace: not stored)",
    )


def _assign_all(workspace: Workspace, fit: _Fit, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every project of ``ids`` (sorted) with its theme, sorted by id: the fitted ones their k-means
    cluster, the others the theme whose term profile they match best (``_assign_by_profile``)."""
    fitted = np.array(sorted(fit.assignment.items()), dtype=np.int64).reshape(-1, 2)
    rest = ids[~_among(ids, fitted[:, 0])]
    rest_ids, rest_themes = _assign_by_profile(workspace, _ProfileMatrix(fit.profiles), rest, above=0)
    all_ids = np.concatenate([fitted[:, 0], rest_ids])
    all_themes = np.concatenate([fitted[:, 1].astype(np.int32), rest_themes])
    order = np.argsort(all_ids, kind="stable")
    return all_ids[order], all_themes[order]


def _assign_by_profile(
    workspace: Workspace, matrix: _ProfileMatrix, ids: np.ndarray, *, above: int
) -> tuple[np.ndarray, np.ndarray]:
    """The projects of ``ids`` (sorted, all above ``above``) that exist, each with the theme whose term
    profile it matches best.

    Reads the texts in id order, ``ASSIGN_CHUNK`` projects per query through the driver's cursor, and
    scores each chunk with one sparse matrix product: 1M projects in 4.4 s of CPU (measured,
    bench/RESULTS.md "Issue 13: shared themes"). Reading the next chunk in a second thread meanwhile
    cost more CPU than it saved on the loaded 2-core machine (7.9 s against 5.5 s, one run each).
    """
    found_ids, found_themes = [np.zeros(0, np.int64)], [np.zeros(0, np.int32)]
    highest = int(ids[-1]) if len(ids) else above
    while above < highest:
        with workspace.reading() as session:
            chunk, texts = ThemeStore(session).texts_above(above=above, limit=ASSIGN_CHUNK)
        if not len(chunk):
            break
        above = int(chunk[-1])
        wanted = _among(chunk, ids)
        if not wanted.all():
            keep = np.flatnonzero(wanted).tolist()
            chunk, texts = chunk[keep], [texts[i] for i in keep]
        found_ids.append(chunk)
        found_themes.append(matrix.themes(texts).astype(np.int32))
    return np.concatenate(found_ids), np.concatenate(found_themes)


def _among(values: np.ndarray, sorted_ids: np.ndarray) -> np.ndarray:
    """Whether each of ``values`` is in ``sorted_ids`` (sorted: a binary search, no sort of either)."""
    if not len(sorted_ids):
        return np.zeros(len(values), bool)
    at = np.clip(np.searchsorted(sorted_ids, values), 0, len(sorted_ids) - 1)
    return np.asarray(sorted_ids[at] == values)


def _drop_unpublished(workspace: Workspace) -> None:
    """Delete the member rows of every generation but the published one, a batch per transaction.

    Also removes what a process that stopped half-way through writing a set left behind. Only
    generations below the published one go: those are never published (see ``_compute_and_store``).
    """
    with workspace.reading() as session:
        stored = ThemeStore(session)
        current = stored.theme_set(CORPUS)
        published = current.generation if current is not None else None
        stale = [
            g for g in stored.other_generations(CORPUS, published) if published is not None and g < published
        ]
    for generation in stale:
        _drop_generation(workspace, generation)


def _drop_generation(workspace: Workspace, generation: int) -> None:
    while True:
        with workspace.transaction() as session:
            if not ThemeStore(session).drop_members(CORPUS, generation):
                return


def fit_themes(workspace: Workspace, ids: Sequence[int], *, k: int | None = None, seed: int = 42) -> _Fit:
    """Cluster the given projects (their title and abstract) into themes; see the module's rules.

    Runs k-means, the silhouettes and the SVD on one thread: on the shared 2-core machine under load,
    OpenMP's default threads made choosing k 14× slower (2,000 × 100 vectors, k = 2 … 20: 113 s against
    8 s wall, measured with ``threadpoolctl``).
    """
    import sklearn.cluster  # noqa: F401  (loads the OpenMP runtime first: the limit applies to loaded ones)
    from threadpoolctl import threadpool_limits  # comes with scikit-learn

    with threadpool_limits(1):
        return _fit_themes(workspace, ids, k=k, seed=seed)


def _fit_themes(workspace: Workspace, ids: Sequence[int], *, k: int | None, seed: int) -> _Fit:
    from sklearn.feature_extraction.text import TfidfVectorizer  # scikit-learn: heavy, loaded when used

    titles, abstracts = _titles_and_abstracts(workspace, list(ids))
    texts = [". ".join(t for t in (titles[i], abstracts[i]) if t) for i in range(len(ids))]
    n = len(ids)
    if n == 0:
        return _Fit(0, "none", {"rule": "no projects"}, np.zeros((0, 0)), [], [], [], {})
    vectorizer = TfidfVectorizer(
        stop_words="english", max_features=20_000, min_df=2 if n >= 50 else 1, sublinear_tf=True
    )
    try:
        tfidf = vectorizer.fit_transform(texts)
        vocabulary = np.array(vectorizer.get_feature_names_out())
    except ValueError:  # no usable words at all
        tfidf, vocabulary = None, np.array([], dtype=str)
    vectors, space, covered = _space(workspace, ids, titles, abstracts, tfidf, seed)
    chosen_by: dict[str, Any]
    if vectors is None or len(vectors) == 0:
        k_used, labels_fit = 1, np.zeros(len(covered), np.int64)
        chosen_by = {"rule": "no usable text: one theme"}
    elif k is not None:
        k_used = max(1, min(k, len(vectors)))
        chosen_by = {"rule": f"set by the user (k = {k})"}
        labels_fit = _kmeans(vectors, k_used, seed)
    else:
        k_used, chosen_by = choose_k(vectors, seed=seed)
        labels_fit = _kmeans(vectors, k_used, seed)
    # themes numbered 1 … k, largest first; empty clusters dropped
    counts = np.bincount(labels_fit, minlength=k_used)
    order = [int(c) for c in np.argsort(-counts, kind="stable") if counts[c] > 0]
    renumber = {old: new for new, old in enumerate(order)}
    labels = np.array([renumber[int(c)] for c in labels_fit], dtype=np.int64)
    k_final = len(order)
    if vectors is not None and len(vectors) and k_final > 1:
        centroids = np.vstack([vectors[labels == c].mean(axis=0) for c in range(k_final)])
        norms = np.linalg.norm(centroids, axis=1, keepdims=True)
        unit = centroids / np.where(norms > 0, norms, 1.0)
        distances = np.clip(1.0 - unit @ unit.T, 0.0, 1.0)
        np.fill_diagonal(distances, 0.0)
    else:
        distances = np.zeros((k_final, k_final))
    profiles, terms = _profiles(tfidf, vocabulary, covered, labels, k_final)
    assignment = {int(ids[i]): int(labels[j]) + 1 for j, i in enumerate(covered)}
    uncovered = sorted(set(range(n)) - set(covered))
    assignment.update(assign_by_profile(profiles, [(int(ids[i]), texts[i]) for i in uncovered]))
    return _Fit(
        k=k_final,
        space=space,
        chosen_by=chosen_by,
        distances=distances,
        labels=[", ".join(t[:LABEL_TERMS]) for t in terms],
        terms=terms,
        profiles=profiles,
        assignment=assignment,
    )


def choose_k(vectors: np.ndarray, *, seed: int = 42) -> tuple[int, dict[str, Any]]:
    """The k with the best mean cosine silhouette in 2 … min(20, n/5), with the scores as evidence."""
    from sklearn.metrics import silhouette_score  # scikit-learn: heavy, loaded when used
    from sklearn.metrics.pairwise import cosine_distances

    n = len(vectors)
    if n < MIN_PROJECTS_TO_CHOOSE:
        k = min(2, n)
        return k, {"rule": f"fewer than {MIN_PROJECTS_TO_CHOOSE} projects: k = min(2, n) = {k}"}
    sample = vectors
    if n > SILHOUETTE_SAMPLE:
        keep = np.sort(np.random.default_rng(seed).choice(n, SILHOUETTE_SAMPLE, replace=False))
        sample = vectors[keep]
    # the sample's cosine distances once, not once per k: 19 silhouettes cost ~60 % of choosing k before
    distances = cosine_distances(sample)
    np.fill_diagonal(distances, 0.0)
    upper = max(2, min(MAX_K, n // 5))
    scores: dict[str, float] = {}
    best, best_score = 2, -math.inf
    for k in range(2, upper + 1):
        labels = _kmeans(sample, k, seed)
        if len(set(labels.tolist())) < 2:
            continue
        score = float(silhouette_score(distances, labels, metric="precomputed"))
        scores[str(k)] = round(score, 4)
        if score > best_score + 1e-6:
            best, best_score = k, score
    return best, {
        "rule": f"highest mean cosine silhouette of k-means for k in 2…{upper} (min(20, n/5)); "
        "ties to the smaller k",
        "silhouette": scores,
        "sample": len(sample),
    }


def assign_by_profile(profiles: list[dict[str, float]], texts: list[tuple[int, str]]) -> dict[int, int]:
    """Each project's theme: the one whose term profile its terms match best (0 where none matches)."""
    if not texts:
        return {}
    found = _ProfileMatrix(profiles).themes([text or "" for _, text in texts])
    return {pid: int(found[i]) for i, (pid, _) in enumerate(texts)}


class _ProfileMatrix:
    """The themes' term profiles as one (terms × k) matrix, to score many texts with one product.

    Score of a theme = Σ over the text's terms of (1 + ln count) × the term's weight in the profile. A
    text's terms are its lower-cased words of two or more letters, digits or underscores (the tokens of
    the TF-IDF the themes were fitted with; stop words never reach a profile), split and looked up by
    Arrow's compute kernels rather than a Python loop per word.
    """

    def __init__(self, profiles: list[dict[str, float]]) -> None:
        self.vocabulary = sorted({term for profile in profiles for term in profile})
        index = {term: i for i, term in enumerate(self.vocabulary)}
        self.weights = np.zeros((len(self.vocabulary), len(profiles)))
        for t, profile in enumerate(profiles):
            for term, weight in profile.items():
                self.weights[index[term], t] = weight

    def themes(self, *texts: Sequence[str | None]) -> np.ndarray:
        """The best theme (1 … k, 0: no matching term) of each text; several sequences of texts (titles,
        abstracts) are read as one text per position."""
        n = len(texts[0])
        if not self.vocabulary or n == 0:
            return np.zeros(n, np.int64)
        # SciPy takes 0.2-0.3 s to import (measured): only where matrices are built
        from scipy.sparse import csr_matrix

        counts = sum(
            (_term_counts(part, self.vocabulary) for part in texts), csr_matrix((n, len(self.vocabulary)))
        )
        counts = csr_matrix(counts)
        counts.data = 1.0 + np.log(counts.data)
        scores = np.asarray(counts @ self.weights)
        best = np.argmax(scores, axis=1)
        matched = scores[np.arange(n), best] > 0
        return np.where(matched, best + 1, NO_THEME).astype(np.int64)


_NOT_A_WORD = r"[^\p{L}\p{N}_]+"
"""What separates words: anything but letters, digits and underscores (Python's ``\\w``, in RE2)."""


def _term_counts(texts: Sequence[str | None], vocabulary: list[str]) -> csr_matrix:
    """How often each vocabulary term occurs in each text (texts × terms; ``None``: no text)."""
    import pyarrow as pa  # Arrow's string kernels: already loaded by the analytics snapshot
    import pyarrow.compute as pc

    # 32-bit offsets where the texts surely fit in 2 GiB: converting to ``large_string`` cost 8× the CPU
    # (0.175 s against 0.021 s for 100,000 texts, measured)
    fits = 4 * sum(len(text) for text in texts if text) < 2**31 - 1
    words = pc.utf8_split_whitespace(
        pc.utf8_lower(pa.array(texts, pa.string() if fits else pa.large_string()))
    )
    tokens, parents = pc.list_flatten(words), pc.list_parent_indices(words)
    # most tokens are plain words: only those with other characters inside ("fuel-cells.") are split by
    # the regex, half the CPU of splitting every text by it (measured on 200,000 texts)
    odd = pc.match_substring_regex(tokens, pattern=_NOT_A_WORD)
    if pc.any(odd).as_py():
        plain = pc.invert(odd)
        pieces = pc.split_pattern_regex(tokens.filter(odd), pattern=_NOT_A_WORD)
        tokens = pa.concat_arrays([tokens.filter(plain), pc.list_flatten(pieces)])
        parents = pa.concat_arrays(
            [parents.filter(plain), parents.filter(odd).take(pc.list_parent_indices(pieces))]
        )
    term = pc.index_in(tokens, value_set=pa.array(vocabulary, tokens.type))
    known = pc.is_valid(term)
    rows = parents.filter(known).to_numpy()
    columns = term.filter(known).to_numpy()
    # SciPy takes 0.2-0.3 s to import (measured): only where matrices are built
    from scipy.sparse import coo_matrix

    return coo_matrix(
        (np.ones(len(rows)), (rows, columns)), shape=(len(texts), len(vocabulary))
    ).tocsr()  # duplicates are summed


def _space(
    workspace: Workspace,
    ids: Sequence[int],
    titles: list[str],
    abstracts: list[str],
    tfidf: Any,
    seed: int,
) -> tuple[np.ndarray | None, str, list[int]]:
    """The vectors to cluster, the name of their space, and the positions of ``ids`` they cover."""
    sample = TextSample(
        ids=list(ids),
        titles=titles,
        abstracts=abstracts,
        texts=[],
        funders=[frozenset()] * len(ids),
        population=len(ids),
    )
    embeddings = cached_embeddings(workspace, sample)
    if embeddings is not None:
        norms = np.linalg.norm(embeddings.vectors, axis=1, keepdims=True)
        unit = embeddings.vectors / np.where(norms > 0, norms, 1.0)
        return unit, f"sentence embeddings ({embeddings.model}) cached by 'map'", embeddings.positions
    if tfidf is None:
        return None, "none (no usable text)", []
    has_terms = np.flatnonzero(np.asarray(tfidf.getnnz(axis=1)) > 0)
    matrix = tfidf[has_terms]
    dims = min(100, matrix.shape[1] - 1, matrix.shape[0] - 1)
    if dims >= 2:
        from sklearn.decomposition import TruncatedSVD  # scikit-learn: heavy, loaded when used

        reduced = TruncatedSVD(n_components=dims, random_state=seed).fit_transform(matrix)
        space = f"TF-IDF of title and abstract, reduced to {dims} dimensions (truncated SVD)"
    else:
        reduced = matrix.toarray()
        space = "TF-IDF of title and abstract"
    norms = np.linalg.norm(reduced, axis=1, keepdims=True)
    return reduced / np.where(norms > 0, norms, 1.0), space, [int(i) for i in has_terms]


def _kmeans(vectors: np.ndarray, k: int, seed: int) -> np.ndarray:
    from sklearn.cluster import KMeans, MiniBatchKMeans  # scikit-learn: heavy, loaded when used

    if k <= 1:
        return np.zeros(len(vectors), np.int64)
    if len(vectors) <= 5000:
        model: KMeans | MiniBatchKMeans = KMeans(n_clusters=k, n_init=4, random_state=seed)
    else:
        model = MiniBatchKMeans(n_clusters=k, n_init=3, random_state=seed, batch_size=4096)
    return np.asarray(model.fit_predict(vectors), dtype=np.int64)


def _profiles(
    tfidf: Any, vocabulary: np.ndarray, covered: list[int], labels: np.ndarray, k: int
) -> tuple[list[dict[str, float]], list[list[str]]]:
    """Per theme: its members' mean TF-IDF (top terms, L2-normalised) and its most distinctive terms."""
    if tfidf is None or not len(vocabulary) or not covered:
        return [{} for _ in range(k)], [[] for _ in range(k)]
    matrix = tfidf[covered]
    overall = np.asarray(matrix.mean(axis=0)).ravel()
    profiles: list[dict[str, float]] = []
    terms: list[list[str]] = []
    for c in range(k):
        members = np.flatnonzero(labels == c)
        inside = np.asarray(matrix[members].mean(axis=0)).ravel() if len(members) else np.zeros(len(overall))
        top = [i for i in np.argsort(-inside, kind="stable")[:PROFILE_TERMS] if inside[i] > 0]
        norm = float(np.sqrt(np.sum(inside[top] ** 2))) or 1.0
        profiles.append({str(vocabulary[i]): round(float(inside[i]) / norm, 6) for i in top})
        distinct = inside - overall
        terms.append(
            [str(vocabulary[i]) for i in np.argsort(-distinct, kind="stable")[:10] if distinct[i] > 0]
        )
    return profiles, terms


def _top_up(workspace: Workspace, generation: int) -> None:
    """Assign projects imported since the set was computed, by term profile, and store them."""
    with workspace.reading() as session:
        stored = ThemeStore(session)
        stamp = stored.theme_set(CORPUS)
        if stamp is None or stamp.generation != generation:
            return
        found = stored.read_themes(CORPUS, members=False)
        profiles = [dict(t.profile.get("weights", {})) for t in found.themes] if found is not None else []
        new = stored.unassigned_projects(CORPUS, generation, stamp.max_project_id)
    new_ids, new_themes = _assign_by_profile(
        workspace, _ProfileMatrix(profiles), np.array(new, dtype=np.int64), above=stamp.max_project_id
    )
    assignment = list(zip(new_ids.tolist(), new_themes.tolist(), strict=True))
    for start in range(0, len(assignment), MEMBER_BATCH):
        batch = assignment[start : start + MEMBER_BATCH]
        with workspace.transaction() as session:
            stored = ThemeStore(session)
            stored.lock()
            current = stored.theme_set(CORPUS)
            if current is None or current.generation != generation:
                return  # another process replaced the set meanwhile
            # another process may have topped up the same projects meanwhile
            still = set(stored.unassigned_projects(CORPUS, generation, batch[0][0] - 1))
            kept = [(p, t) for p, t in batch if p in still]
            stored.add_members(CORPUS, generation, [p for p, _ in kept], [t for _, t in kept])


# --- reading ----------------------------------------------------------------------------------------


def _load(workspace: Workspace, *, status: str) -> ThemeSet:
    """The stored set with its assignment; the arrays are kept in memory per workspace and generation."""
    with workspace.reading() as session:
        stored = ThemeStore(session)
        stamp = stored.theme_set(CORPUS)
        if stamp is None:
            return _empty(status)
        members = stored.member_count(CORPUS, stamp.generation)
        key = (str(workspace.url), CORPUS)
        version = (stamp.generation, members)
        with _cache_lock:
            cached = _cache.get(key)
        if cached is not None and cached[0] == version:
            return _with_status(cached[1], status)
        kept = theme_members.path_of(workspace, CORPUS, stamp.generation, members, stored.portfolio_version())
        pairs = theme_members.read(kept, members)
        found = stored.read_themes(CORPUS, members=pairs is None)
    assert found is not None
    if pairs is not None:
        found = replace(found, project_ids=pairs[0], theme_of=pairs[1])
    elif not workspace.read_only:
        theme_members.keep(kept, found.project_ids, found.theme_of)
    result = ThemeSet(
        corpus=CORPUS,
        generation=found.set.generation,
        k=found.set.k,
        space=found.set.space,
        chosen_by=dict(found.set.chosen_by),
        distances=np.array(found.set.distances, dtype=float).reshape(found.set.k, found.set.k),
        labels=[t.label for t in found.themes],
        terms=[list(t.profile.get("terms", [])) for t in found.themes],
        sizes=np.bincount(found.theme_of, minlength=found.set.k + 1)[1 : found.set.k + 1].tolist(),
        projects=found.set.projects,
        fitted=found.set.fitted,
        max_project_id=found.set.max_project_id,
        data_version=found.set.data_version,
        computed_at=_utc_iso(found.set.computed_at),
        project_ids=found.project_ids,
        theme_of=found.theme_of,
        status=status,
    )
    with _cache_lock:
        _cache[key] = (version, result)
    return result


def _utc_iso(moment: dt.datetime) -> str:
    """The time in UTC to the second, ISO 8601 (SQLite gives the stored time back without its zone)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC).isoformat(timespec="seconds")


def _with_status(found: ThemeSet, status: str) -> ThemeSet:
    from dataclasses import replace

    return replace(found, status=status)


def _empty(status: str) -> ThemeSet:
    return ThemeSet(
        corpus=CORPUS,
        generation=0,
        k=0,
        space="none",
        chosen_by={"rule": "no projects"},
        distances=np.zeros((0, 0)),
        labels=[],
        terms=[],
        sizes=[],
        projects=0,
        fitted=0,
        max_project_id=0,
        data_version=0,
        computed_at="",
        project_ids=np.zeros(0, np.int64),
        theme_of=np.zeros(0, np.int32),
        status=status,
    )


def _titles_and_abstracts(workspace: Workspace, ids: list[int]) -> tuple[list[str], list[str]]:
    with workspace.reading() as session:
        found = AnalyticsStore(session).project_texts(ids)
    return [found.get(i, ("", ""))[0] for i in ids], [found.get(i, ("", ""))[1] for i in ids]
