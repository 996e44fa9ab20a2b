"""Use cases of the mapping area, shared by the CLI, the demo and the web app.

* ``classify_texts`` / ``classify_jsonl``: map free texts, no workspace needed;
* ``map_projects``: propose links for the workspace's projects, keeping analysts' decisions;
* ``review_queue`` / ``review_link``: the review loop (decisions feed ``map_projects(retrain=True)``);
* ``themes``, ``similar``, ``duplicates``: where the portfolio clusters, nearest and near-duplicate projects;
* ``import_taxonomy``, ``list_taxonomies``, ``show_taxonomy``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import JsonValue

from missionboard.domain.mapping import (
    Goal,
    GoalDefinition,
    GoalVerdict,
    LinkMethod,
    LinkStatus,
    RetrainReport,
    Taxonomy,
    mission_taxonomy,
    project_text_of,
)
from missionboard.errors import InputError, NotFound, Problem
from missionboard.mapping import taxonomy as taxonomies
from missionboard.mapping.classifier import Calibration, Embedded, Label, Mapper
from missionboard.mapping.embedding import MODEL_NAME, Embedder, text_hash
from missionboard.mapping.supervised import (
    HELD_BACK_SHARE,
    MIN_GAIN,
    MIN_HELD_BACK,
    TOO_FEW,
    GoalModel,
    Judgement,
    SupervisedModel,
    held_back,
    judge,
    publisher_weight,
)
from missionboard.mapping.supervised import train as train_supervised
from missionboard.mapping.taxonomy import TaxonomyEntry
from missionboard.store import audit
from missionboard.store.links import LinkStore
from missionboard.store.mapping import LabelledProject, MappingStore, ProjectSummary
from missionboard.store.workspace import Session, Workspace

MAX_TEXT_CHARS = 1_000_000
DECISIONS = ("accept", "reject", "reassign")


# --- classify (no workspace) ----------------------------------------------------------------------


def make_mapper(
    taxonomy: str | Taxonomy,
    *,
    method: str = "ensemble",
    device: str = "cpu",
    workspace: Workspace | None = None,
) -> Mapper:
    """A Mapper for a taxonomy code (built-in, a YAML file, or a workspace taxonomy)."""
    supervised = None
    if isinstance(taxonomy, str):
        if workspace is None:
            taxonomy = taxonomies.resolve(taxonomy)
        else:
            with workspace.reading() as session:
                taxonomy = taxonomies.resolve(taxonomy, session)
                supervised = load_model(session, taxonomy.code)
    elif workspace is not None:
        with workspace.reading() as session:
            supervised = load_model(session, taxonomy.code)
    return Mapper(taxonomy, method=method, device=device, supervised=supervised)


def classify_texts(
    taxonomy: str | Taxonomy,
    texts: Sequence[str],
    *,
    method: str = "ensemble",
    device: str = "cpu",
    mapper: Mapper | None = None,
) -> list[list[Label]]:
    """The goals each text serves (best first), with evidence."""
    mapper = mapper or make_mapper(taxonomy, method=method, device=device)
    for i, text in enumerate(texts):
        _check_text(text, f"text {i + 1}", None)
    return mapper.classify(list(texts))


def _check_text(text: Any, where: str, line: int | None) -> str:
    if not isinstance(text, str):
        raise InputError(Problem(where, line, "text", "must be a string"))
    if not text.strip():
        raise InputError(Problem(where, line, "text", "is empty"))
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(
            Problem(where, line, "text", f"is {len(text):,} characters long; the limit is {MAX_TEXT_CHARS:,}")
        )
    return text


def read_jsonl(lines: Iterable[str], name: str) -> Iterator[tuple[int, JsonValue, str]]:
    """(line number, id, text) per non-blank line; a bad line raises InputError naming it."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(Problem(name, number, "", f"not valid JSON: {exc.msg}")) from exc
        if not isinstance(record, dict):
            raise InputError(
                Problem(name, number, "", 'each line must be an object like {"id": …, "text": …}')
            )
        if "text" not in record:
            raise InputError(Problem(name, number, "text", "missing"))
        record_id: JsonValue = record.get("id", number)
        yield number, record_id, _check_text(record["text"], name, number)


@dataclass(frozen=True)
class Classification:
    """The goals one text of a JSON lines input serves (best first), under the id the line gave."""

    id: JsonValue
    labels: list[Label]

    def to_dict(self) -> dict[str, JsonValue]:
        """The line ``classify`` prints: ``{"id", "labels": [{"goal", "score", "evidence"}]}``."""
        return {"id": self.id, "labels": [label.as_dict() for label in self.labels]}


def classify_jsonl(
    mapper: Mapper,
    lines: Iterable[str],
    *,
    name: str = "<input>",
    batch_size: int = 256,
    workers: int | ClassifyPool = 1,
    on_batch: Callable[[int], None] | None = None,
) -> Iterator[Classification]:
    """Classify JSON lines ``{"id", "text"}``, in input order (``to_dict()`` is ``{"id", "labels"}``).

    With ``workers`` > 1 (or a ``ClassifyPool``), batches are scored by worker processes, at most
    two batches per worker in flight, so memory stays bounded on any input size.
    """
    batches = _batches(read_jsonl(lines, name), batch_size)
    if isinstance(workers, ClassifyPool):
        yield from workers.run(batches, on_batch)
        return
    if workers <= 1:
        for batch in batches:
            yield from _classify_batch(mapper, batch)
            if on_batch:
                on_batch(len(batch))
        return
    with ClassifyPool(mapper, workers) as pool:
        yield from pool.run(batches, on_batch)


class ClassifyPool:
    """Worker processes that score batches with copies of one Mapper (reusable across inputs).

    On the CPU the workers are forked after the model is loaded (they share it and start at once);
    for CUDA each worker is a fresh process that loads the model onto the GPU itself.
    """

    def __init__(self, mapper: Mapper, workers: int) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        global _WORKER_MAPPER
        self.workers = workers
        if mapper.device == "cpu" and "fork" in multiprocessing.get_all_start_methods():
            mapper.load()
            _WORKER_MAPPER = mapper
            self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
        else:
            setup = (mapper.taxonomy, mapper.method, mapper.device, mapper.supervised, mapper.calibration)
            self._pool = ProcessPoolExecutor(
                workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=setup,
            )

    def embed(self, texts: Sequence[str]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Document and sentence vectors of texts, computed by the workers in parallel."""
        size = max(1, -(-len(texts) // self.workers))
        chunks = [list(texts[i : i + size]) for i in range(0, len(texts), size)]
        parts = list(self._pool.map(_embed_work, chunks))
        docs = np.vstack([p[0] for p in parts]) if parts else np.zeros((0, 512), np.float32)
        return docs, [v for p in parts for v in p[1]]

    def warm_up(self) -> None:
        """Start every worker (and load its model) now rather than on the first batches."""
        list(self._pool.map(_work, [[(0, "warm up")]] * self.workers))

    def run(
        self, batches: Iterable[list[tuple[JsonValue, str]]], on_batch: Callable[[int], None] | None = None
    ) -> Iterator[Classification]:
        from collections import deque
        from concurrent.futures import Future

        pending: deque[Future[list[Classification]]] = deque()
        for batch in batches:
            pending.append(self._pool.submit(_work, batch))
            if len(pending) >= 2 * self.workers:
                results = pending.popleft().result()
                yield from results
                if on_batch:
                    on_batch(len(results))
        while pending:
            results = pending.popleft().result()
            yield from results
            if on_batch:
                on_batch(len(results))

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)

    def __enter__(self) -> ClassifyPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def auto_workers(device: str, texts: int | None, batch_size: int) -> int:
    """Worker processes for classify: one per core (at most 8) when the input is large enough."""
    import os

    if device != "cpu" or (texts is not None and texts < 4 * batch_size):
        return 1
    return max(
        1, min(8, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    )


def _batches(
    records: Iterator[tuple[int, JsonValue, str]], size: int
) -> Iterator[list[tuple[JsonValue, str]]]:
    batch: list[tuple[JsonValue, str]] = []
    for _number, record_id, text in records:
        batch.append((record_id, text))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


_WORKER_MAPPER: Mapper | None = None


def _init_worker(
    taxonomy: Taxonomy,
    method: str,
    device: str,
    supervised: SupervisedModel | None,
    calibration: Calibration,
) -> None:
    global _WORKER_MAPPER
    _WORKER_MAPPER = Mapper(
        taxonomy, method=method, device=device, supervised=supervised, calibration=calibration
    )
    _WORKER_MAPPER.load()


def _embed_work(texts: list[str]) -> tuple[np.ndarray, list[np.ndarray]]:
    assert _WORKER_MAPPER is not None
    docs, _sentences, per_text = _WORKER_MAPPER.embedder.encode_documents(texts)
    return docs, per_text


def _work(batch: list[tuple[JsonValue, str]]) -> list[Classification]:
    assert _WORKER_MAPPER is not None
    return list(_classify_batch(_WORKER_MAPPER, batch))


def _classify_batch(mapper: Mapper, batch: list[tuple[JsonValue, str]]) -> Iterator[Classification]:
    results = mapper.classify([text for _, text in batch])
    for (record_id, _), labels in zip(batch, results, strict=True):
        yield Classification(record_id, labels)


# --- the embedding cache --------------------------------------------------------------------------


def embed_cached(
    session: Session, embedder: Embedder, texts: Sequence[str], *, pool: ClassifyPool | None = None
) -> tuple[Embedded, int]:
    """Document and sentence vectors for texts, from the workspace cache where present.

    Returns the vectors and how many texts had to be embedded (by ``pool``'s workers if given).
    New vectors are added to the session.
    """
    store = MappingStore(session)
    hashes = [text_hash(t) for t in texts]
    cached = store.cached_vectors(embedder.cache_name, sorted(set(hashes)))
    missing = [i for i, h in enumerate(hashes) if h not in cached]
    if missing:
        seen: set[str] = set()
        todo = [i for i in missing if not (hashes[i] in seen or seen.add(hashes[i]))]  # type: ignore[func-returns-value]
        fresh = [texts[i] for i in todo]
        if pool is not None:
            docs, per_text = pool.embed(fresh)
        else:
            docs, _sentences, per_text = embedder.encode_documents(fresh)
        for k, i in enumerate(todo):
            matrix = np.vstack([docs[k : k + 1], per_text[k]]).astype(np.float16)
            cached[hashes[i]] = matrix.astype(np.float32)
            store.cache_vectors(embedder.cache_name, hashes[i], matrix)
    docs_out = (
        np.vstack([cached[h][0] for h in hashes]) if hashes else np.zeros((0, embedder.dim), np.float32)
    )
    sentences = [embedder.document_sentences(t) for t in texts]
    sentence_vectors = [cached[h][1:] for h in hashes]
    return (docs_out, sentences, sentence_vectors), len(set(hashes[i] for i in missing))


# --- map ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Retrained:
    """The supervised model a ``map --retrain`` stored: how many projects it learnt from, its goals, and
    those the default method uses (the retrain beat the current method on held-back projects)."""

    examples: int
    goals: list[str]
    accepted: list[str] = field(default_factory=list)


@dataclass
class MapSummary:
    taxonomy: str
    method: str
    projects: int = 0
    scored: int = 0
    unchanged: int = 0
    embedded: int = 0
    proposed: int = 0
    updated: int = 0
    withdrawn: int = 0
    decisions_kept: int = 0
    retrained: Retrained | None = None
    seconds: float = 0.0
    goals: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def project_text(project: ProjectSummary) -> str:
    return project_text_of(project.title, project.abstract)


def load_model(session: Session, taxonomy: str) -> SupervisedModel | None:
    document = MappingStore(session).model(taxonomy)
    return SupervisedModel.from_dict(document) if document is not None else None


def _fingerprint(mapper: Mapper) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps(mapper.taxonomy.model_dump(), sort_keys=True).encode())
    digest.update(json.dumps(mapper.calibration.as_dict(), sort_keys=True).encode())
    digest.update(mapper.method.encode() + MODEL_NAME.encode())
    if mapper.supervised is not None:
        digest.update(mapper.supervised.trained_at.encode())
    if mapper.head is not None:  # the model shipped with the taxonomy: a refit of it alone must re-score
        digest.update(json.dumps(mapper.head.as_dict(), sort_keys=True).encode())
    return digest.hexdigest()[:32]


def _resolve_taxonomy_code(taxonomy: str | None, mission_id: str | None) -> str:
    if mission_id:
        code = mission_taxonomy(mission_id)
        if taxonomy and taxonomy != code:
            raise InputError(
                f"--mission {mission_id} maps to taxonomy {code}; do not also give --taxonomy {taxonomy}"
            )
        return code
    if not taxonomy:
        raise InputError(
            "name a taxonomy (--taxonomy sdg, eu-missions, mission:ID …) or a mission (--mission ID)"
        )
    return taxonomy


def source_label_goals(row: LabelledProject, taxonomy: str) -> set[str]:
    """Goals the publisher tagged the project with, for this taxonomy (IATI SDG tags for ``sdg``)."""
    goals: set[str] = set()
    for label in row.source_labels or []:
        if not isinstance(label, dict):
            continue
        vocabulary, code = str(label.get("vocabulary", "")), str(label.get("code", ""))
        if taxonomy == "sdg" and vocabulary in ("sdg-goal", "sdg-target", "sdg-indicator", "sdg"):
            goals.add(code.split(".")[0])
        elif vocabulary == taxonomy:
            goals.add(code)
    return goals


def map_projects(
    workspace: Workspace,
    taxonomy: str | None,
    *,
    mission_id: str | None = None,
    source: str | None = None,
    retrain: bool = False,
    user: str = "missionboard",
    method: str = "ensemble",
    device: str = "cpu",
    on_progress: Callable[[int, int], None] | None = None,
    batch_size: int = 256,
    workers: int | None = None,
) -> MapSummary:
    """Propose links from the workspace's projects to a taxonomy's goals.

    Accepted and rejected links are never changed. Projects whose text (and the taxonomy, calibration
    and model) did not change since the last run are not scored again.
    """
    started = time.perf_counter()
    code = _resolve_taxonomy_code(taxonomy, mission_id)
    with workspace.reading() as session:
        resolved = taxonomies.resolve(code, session)
    if retrain:  # callers of the library decide; the CLI shows the plan and asks (--yes) first
        plan = plan_retrain(
            workspace, code, source=source, method=method, device=device, on_progress=on_progress
        )
        summary = apply_retrain(workspace, plan, user=user, confirmed=True)
        summary.seconds = round(time.perf_counter() - started, 3)
        return summary
    summary = MapSummary(taxonomy=resolved.code, method=method)
    with workspace.reading() as session:
        supervised = load_model(session, resolved.code)
    mapper = Mapper(resolved, method=method, device=device, supervised=supervised)
    fingerprint = _fingerprint(mapper)

    with workspace.reading() as session:
        store = MappingStore(session)
        projects = store.project_texts(source)
        states = store.scored_states(resolved.code)
    summary.projects = len(projects)
    todo = []
    for pid, text in projects:
        h = text_hash(text)
        if states.get(pid) == (h, fingerprint):
            summary.unchanged += 1
        elif text.strip():
            todo.append((pid, text, h))
    done = 0
    if workers is None:
        workers = auto_workers(device, len(todo), batch_size)
    pool = ClassifyPool(mapper, workers) if workers > 1 and mapper.needs_embeddings else None
    try:
        for start in range(0, len(todo), batch_size):
            batch = todo[start : start + batch_size]
            with workspace.transaction() as session:
                texts = [t for _, t, _ in batch]
                embedded = None
                if mapper.needs_embeddings:
                    embedded, n_embedded = embed_cached(session, mapper.embedder, texts, pool=pool)
                    summary.embedded += n_embedded
                results = mapper.classify(texts, embedded)
                _store_links(session, resolved.code, method, batch, results, summary)
                MappingStore(session).record_scored(
                    resolved.code,
                    [(pid, h) for pid, _, h in batch],
                    fingerprint=fingerprint,
                    known=states,
                    at=dt.datetime.now(dt.UTC),
                )
            done += len(batch)
            summary.scored += len(batch)
            if on_progress:
                on_progress(done, len(todo))
    finally:
        if pool is not None:
            pool.close()
    with workspace.reading() as session:
        for goal, status in LinkStore(session).goal_statuses(resolved.code):
            if status != LinkStatus.REJECTED:
                summary.goals[goal] = summary.goals.get(goal, 0) + 1
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def _store_links(
    session: Session,
    taxonomy: str,
    method: str,
    batch: list[tuple[int, str, str]],
    results: list[list[Label]],
    summary: MapSummary,
) -> None:
    links = LinkStore(session)
    existing = links.for_projects(taxonomy, [pid for pid, _, _ in batch])
    now = dt.datetime.now(dt.UTC)
    link_method = LinkMethod(method).value
    for (pid, _text, h), labels in zip(batch, results, strict=True):
        wanted = {label.goal: label for label in labels}
        for goal, label in wanted.items():
            state = existing.get((pid, goal))
            if state is None:
                links.propose(
                    pid,
                    taxonomy,
                    goal,
                    score=label.score,
                    method=link_method,
                    evidence=label.evidence,
                    text_hash=h,
                    at=now,
                )
                summary.proposed += 1
            elif state.status != LinkStatus.PROPOSED.value:
                summary.decisions_kept += 1
            else:
                links.rescore(
                    pid,
                    taxonomy,
                    goal,
                    score=label.score,
                    method=link_method,
                    evidence=label.evidence,
                    text_hash=h,
                    at=now,
                )
                summary.updated += 1
        for (project_id, goal), state in existing.items():
            if project_id != pid or goal in wanted:
                continue
            if state.status == LinkStatus.PROPOSED.value and state.method != LinkMethod.MANUAL.value:
                links.withdraw(project_id, taxonomy, goal)  # a proposal the new scores no longer support
                summary.withdrawn += 1
            elif state.status != LinkStatus.PROPOSED.value:
                summary.decisions_kept += 1


# --- retrain ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetrainExamples:
    """What a retrain learns from, per project: reviewers' decisions and the publisher's labels."""

    goals: list[str]
    reviews: dict[int, dict[str, bool]]  # accepted (True) or rejected (False) links
    publisher: dict[int, set[str]]  # the goals the publisher tagged (the others count as negatives)

    @property
    def projects(self) -> list[int]:
        return sorted(set(self.reviews) | set(self.publisher))

    def agreement(self) -> dict[str, tuple[int, int]]:
        """Per goal: (agreeing, compared) reviewers' decisions on projects the publisher labelled too."""
        out: dict[str, tuple[int, int]] = {}
        for pid, decisions in self.reviews.items():
            tagged = self.publisher.get(pid)
            if tagged is None:
                continue
            for goal, accepted in decisions.items():
                agreeing, compared = out.get(goal, (0, 0))
                out[goal] = (agreeing + ((goal in tagged) == accepted), compared + 1)
        return out

    def labelled(
        self, publisher_weight: float
    ) -> tuple[dict[int, dict[str, bool]], dict[int, dict[str, float]]]:
        """Labels and weights per project: a reviewer's decision weighs 1 and overrules the publisher,
        whose labels weigh ``publisher_weight``."""
        labels: dict[int, dict[str, bool]] = {}
        weights: dict[int, dict[str, float]] = {}
        for pid, tagged in self.publisher.items():
            labels[pid] = {g: g in tagged for g in self.goals}
            weights[pid] = dict.fromkeys(self.goals, publisher_weight)
        for pid, decisions in self.reviews.items():
            labels.setdefault(pid, {}).update(decisions)
            weights.setdefault(pid, {}).update(dict.fromkeys(decisions, 1.0))
        return labels, weights


def retrain_examples(session: Session, taxonomy: Taxonomy) -> RetrainExamples:
    """Reviewers' decisions on the taxonomy's links and the publisher's tags of its goals."""
    goals = [g.code for g in taxonomies.top_goals(taxonomy)]
    publisher: dict[int, set[str]] = {}
    for row in MappingStore(session).labelled_projects():
        tagged = source_label_goals(row, taxonomy.code) & set(goals)
        if tagged:
            publisher[row.id] = tagged
    reviews: dict[int, dict[str, bool]] = {}
    for pid, goal, status in LinkStore(session).decisions(taxonomy.code):
        reviews.setdefault(pid, {})[goal] = status == LinkStatus.ACCEPTED.value
    return RetrainExamples(goals, reviews, publisher)


def training_labels(session: Session, taxonomy: Taxonomy) -> dict[int, dict[str, bool]]:
    """Per project: goals analysts accepted (True) or rejected (False), and the publisher's tags."""
    return retrain_examples(session, taxonomy).labelled(1.0)[0]


RETRAIN_MAX_SHARE = 0.30
"""A retrain may not, unless confirmed, link more than this share of the whole portfolio to one goal …"""
RETRAIN_MAX_GROWTH = 2.0
"""… nor multiply a goal's links (proposed and accepted) by more than this."""


@dataclass(frozen=True)
class GoalChange:
    """What a retrain would do to one goal's links (proposed and accepted; rejected ones do not count)."""

    goal: str
    before: int
    added: int
    withdrawn: int

    @property
    def after(self) -> int:
        return self.before + self.added - self.withdrawn

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "after": self.after}


@dataclass
class RetrainPlan:
    """A retrained model and the links it would propose, computed without changing any link.

    ``too_large`` names each goal whose change passes a limit (``RETRAIN_MAX_SHARE`` of the portfolio,
    or ``RETRAIN_MAX_GROWTH`` times its links); such a plan is applied only when confirmed. ``report``
    says per goal whether the retrained model beat the current method on held-back projects.
    """

    taxonomy: str
    method: str
    portfolio: int
    examples: int
    goals_trained: list[str]
    changes: list[GoalChange]
    too_large: list[str]
    report: RetrainReport
    model: SupervisedModel = field(repr=False)
    fingerprint: str = field(repr=False)
    scored: list[tuple[int, str, str, list[Label]]] = field(repr=False, default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "taxonomy": self.taxonomy,
            "method": self.method,
            "portfolio": self.portfolio,
            "examples": self.examples,
            "goals_trained": self.goals_trained,
            "projects_scored": len(self.scored),
            "changes": [change.as_dict() for change in self.changes],
            "too_large": self.too_large,
            "accepted": self.report.accepted,
            "report": self.report.to_dict(),
        }


def plan_retrain(
    workspace: Workspace,
    taxonomy: str | None,
    *,
    mission_id: str | None = None,
    source: str | None = None,
    method: str = "ensemble",
    device: str = "cpu",
    on_progress: Callable[[int, int], None] | None = None,
    batch_size: int = 256,
) -> RetrainPlan:
    """Train the taxonomy's supervised model on reviewed links and source labels, and score the projects
    (of ``source``, or all) with it: how many links each goal would gain and lose.

    Writes no link, score or model; only the embedding cache (vectors by text hash) may grow.
    """
    code = _resolve_taxonomy_code(taxonomy, mission_id)
    with workspace.reading() as session:
        resolved = taxonomies.resolve(code, session)
    model, examples, report = _train(workspace, resolved, device=device)
    mapper = Mapper(resolved, method=method, device=device, supervised=model)
    with workspace.reading() as session:
        store = MappingStore(session)
        todo = [(pid, text, text_hash(text)) for pid, text in store.project_texts(source) if text.strip()]
        portfolio = store.count_projects()
        before = LinkStore(session).counts_by_goal(resolved.code)
    added: dict[str, int] = {}
    withdrawn: dict[str, int] = {}
    scored: list[tuple[int, str, str, list[Label]]] = []
    for start in range(0, len(todo), batch_size):
        batch = todo[start : start + batch_size]
        texts = [t for _, t, _ in batch]
        embedded = None
        if mapper.needs_embeddings:
            with workspace.transaction() as session:  # the embedding cache only
                embedded, _ = embed_cached(session, mapper.embedder, texts)
        results = mapper.classify(texts, embedded)
        with workspace.reading() as session:
            _count_changes(session, resolved.code, batch, results, added, withdrawn)
        scored.extend((pid, text, h, labels) for (pid, text, h), labels in zip(batch, results, strict=True))
        if on_progress:
            on_progress(len(scored), len(todo))
    goals = sorted(set(before) | set(added) | set(withdrawn), key=_goal_sort_key)
    changes = [GoalChange(g, before.get(g, 0), added.get(g, 0), withdrawn.get(g, 0)) for g in goals]
    return RetrainPlan(
        taxonomy=resolved.code,
        method=method,
        portfolio=portfolio,
        examples=examples,
        goals_trained=sorted(model.goals, key=_goal_sort_key),
        changes=changes,
        too_large=[reason for c in changes if (reason := _too_large(c, portfolio))],
        report=report,
        model=model,
        fingerprint=_fingerprint(mapper),
        scored=scored,
    )


def apply_retrain(
    workspace: Workspace, plan: RetrainPlan, *, user: str, confirmed: bool = False
) -> MapSummary:
    """Store the plan's model and links in one transaction (analysts' decisions are kept).

    A plan with ``too_large`` changes raises ``InputError`` unless ``confirmed``.
    """
    if plan.too_large and not confirmed:
        raise InputError(
            f"retraining {plan.taxonomy!r} was not applied: {'; '.join(plan.too_large)} "
            "(check the change, then confirm it with --yes)"
        )
    started = time.perf_counter()
    summary = MapSummary(taxonomy=plan.taxonomy, method=plan.method)
    summary.retrained = Retrained(
        examples=plan.examples, goals=plan.goals_trained, accepted=plan.report.accepted
    )
    with workspace.transaction() as session:
        _store_model(session, plan.taxonomy, plan.model, plan.examples, user=user)
        store = MappingStore(session)
        known = {pid for pid, _, _, _ in plan.scored}
        states = store.scored_projects(plan.taxonomy)
        alive = store.project_ids() & known  # projects deleted since are skipped
        now = dt.datetime.now(dt.UTC)
        for start in range(0, len(plan.scored), 500):
            chunk = [item for item in plan.scored[start : start + 500] if item[0] in alive]
            batch = [(pid, text, h) for pid, text, h, _ in chunk]
            _store_links(session, plan.taxonomy, plan.method, batch, [r for *_, r in chunk], summary)
            store.record_scored(
                plan.taxonomy,
                [(pid, h) for pid, _, h in batch],
                fingerprint=plan.fingerprint,
                known=states,
                at=now,
            )
            summary.scored += len(batch)
        summary.projects = summary.scored
        for goal, status in LinkStore(session).goal_statuses(plan.taxonomy):
            if status != LinkStatus.REJECTED.value:
                summary.goals[goal] = summary.goals.get(goal, 0) + 1
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def _train(
    workspace: Workspace, taxonomy: Taxonomy, *, device: str
) -> tuple[SupervisedModel, int, RetrainReport]:
    """The supervised model learnt from reviewed links and source labels (not stored), its examples,
    and per goal whether it beat the current method on the held-back projects.

    A goal judged on enough held-back examples keeps the model fitted without them, used by the
    default method only where it won. Where it did not win, the model the default method uses for the
    goal now (if any) stays in use. A goal too thin to judge is fitted on all its examples, for the
    supervised method asked for by name; the default method does not use it.
    """
    mapper = Mapper(taxonomy, method="ensemble", device=device)
    with workspace.reading() as session:
        examples = retrain_examples(session, taxonomy)
        ids = examples.projects
        if not ids:
            raise InputError(
                f"nothing to learn from for {taxonomy.code!r}: accept or reject some links with "
                "'missionboard review', or import projects that carry source labels"
            )
        rows = MappingStore(session).projects_by_id(ids)
        current = load_model(session, taxonomy.code)
    texts = [project_text(rows[i]) for i in ids]
    with workspace.transaction() as session:  # the embedding cache only
        embedded, _ = embed_cached(session, mapper.embedder, texts)
    query, _ = mapper.query_scores(texts)
    agreement = examples.agreement()
    agreeing, compared = sum(a for a, _ in agreement.values()), sum(c for _, c in agreement.values())
    weight = publisher_weight(agreeing, compared)
    by_project, weights_by_project = examples.labelled(weight)
    labels = [by_project[i] for i in ids]
    weights = [weights_by_project[i] for i in ids]
    everything = train_supervised(taxonomy.code, embedded[0], query, mapper.goals, labels, weights=weights)
    if not everything.goals:
        raise InputError(
            f"not enough decisions to train {taxonomy.code!r}: each goal needs at least 3 positive and "
            "3 negative examples (accepted and rejected links, or source labels)"
        )
    held = np.array([held_back(f"{rows[i].source}:{rows[i].source_id}") for i in ids], dtype=bool)
    fit = np.flatnonzero(~held)
    fitted = train_supervised(
        taxonomy.code,
        embedded[0][fit],
        query[fit],
        mapper.goals,
        [labels[i] for i in fit],
        weights=[weights[i] for i in fit],
    )
    # A model in use that was fitted on every example (one stored before retrains were judged) is
    # judged on examples it saw: the comparison then leans towards keeping it, the safe side.
    judged = _judge_held_back(
        mapper, (texts, embedded, query), held, labels, weights, current=current, retrained=fitted
    )
    verdicts: list[GoalVerdict] = []
    goals: dict[str, GoalModel] = {}
    in_use = _in_use(current, mapper.goals, dim=embedded[0].shape[1] + len(mapper.goals))
    for goal in mapper.goals:
        positives = sum(1 for lab, w in zip(labels, weights, strict=True) if lab.get(goal) and w[goal] > 0)
        negatives = sum(
            1 for lab, w in zip(labels, weights, strict=True) if lab.get(goal) is False and w[goal] > 0
        )
        judgement = judged.get(goal)
        accepted = judgement is not None and judgement.accepted and goal in fitted.goals
        if accepted:
            goals[goal] = fitted.goals[goal]
        elif goal in in_use:  # the current method stays as it is: the model it uses for the goal is kept
            goals[goal] = in_use[goal]
        elif judgement is not None and judgement.enough and goal in fitted.goals:
            goals[goal] = replace(fitted.goals[goal], used=False)
        elif goal in everything.goals:
            goals[goal] = replace(everything.goals[goal], used=False)
        if positives or negatives:
            verdicts.append(_verdict(goal, judgement, agreement.get(goal), kept=goal in in_use))
    report = RetrainReport(
        taxonomy=taxonomy.code,
        metric="balanced accuracy",
        held_back_share=HELD_BACK_SHARE,
        min_held_back=MIN_HELD_BACK,
        min_gain=MIN_GAIN,
        fit_projects=len(fit),
        held_back_projects=int(held.sum()),
        reviewed_projects=len(examples.reviews),
        publisher_labelled_projects=len(examples.publisher),
        publisher_agreement=agreeing / compared if compared else None,
        publisher_compared=compared,
        publisher_weight=weight,
        goals=verdicts,
    )
    model = replace(everything, goals=goals, report=report)
    # the model as it will be read back from the workspace, so the plan scores what ``map`` will
    return SupervisedModel.from_dict(model.as_dict()), len(ids), report


def _judge_held_back(
    mapper: Mapper,
    data: tuple[list[str], Embedded, np.ndarray],
    held: np.ndarray,
    labels: list[dict[str, bool]],
    weights: list[dict[str, float]],
    *,
    current: SupervisedModel | None,
    retrained: SupervisedModel,
) -> dict[str, Judgement]:
    """Per goal: the default method's decisions on the held-back projects with the current model (or
    none) and with the retrained one, scored against their labels (NaN where the retrain has no model
    for the goal)."""
    rows = np.flatnonzero(held)
    if not len(rows):
        return {}
    texts, (docs, sentences, sentence_vectors), query = data
    held_texts = [texts[i] for i in rows]
    embedded = (docs[rows], [sentences[i] for i in rows], [sentence_vectors[i] for i in rows])
    scores = mapper.score(held_texts, embedded)
    vectors, hits = docs[rows], query[rows]

    def decisions(model: SupervisedModel | None) -> np.ndarray:
        with_model = replace(
            scores,
            supervised=None if model is None else model.predict(vectors, hits, mapper.goals, used_only=True),
        )
        judge_mapper = Mapper(mapper.taxonomy, supervised=model, calibration=mapper.calibration)
        return judge_mapper.assigned(with_model)

    now, new = decisions(current), decisions(retrained)
    out: dict[str, Judgement] = {}
    for j, goal in enumerate(mapper.goals):
        have = [k for k, i in enumerate(rows) if goal in labels[i]]
        gold = np.array([labels[rows[k]][goal] for k in have], dtype=bool)
        weight = np.array([weights[rows[k]][goal] for k in have], dtype=np.float64)
        judgement = judge(gold, weight, now[have, j], new[have, j])
        if goal not in retrained.goals:  # too few examples outside the held-back part: nothing to judge
            judgement = replace(judgement, current=math.nan, retrained=math.nan)
        out[goal] = judgement
    return out


def _in_use(current: SupervisedModel | None, goals: list[str], *, dim: int) -> dict[str, GoalModel]:
    """The current model's goals the default method uses, where they read the same features as a new
    model (the same goals' query hits, vectors of the same size): a retrain not accepted keeps them."""
    if current is None or current.query_goals != goals:
        return {}
    return {g: m for g, m in current.goals.items() if m.used and m.coef.shape[0] == dim}


def _verdict(
    goal: str, judgement: Judgement | None, agreement: tuple[int, int] | None, *, kept: bool = False
) -> GoalVerdict:
    verdict = _judged(goal, judgement, agreement)
    if kept and not verdict.accepted:
        return replace(verdict, reason=f"{verdict.reason}; the model in use stays")
    return verdict


def _judged(goal: str, judgement: Judgement | None, agreement: tuple[int, int] | None) -> GoalVerdict:
    agreeing, compared = agreement or (0, 0)
    share = agreeing / compared if compared else None
    if judgement is None:
        return GoalVerdict(goal, False, TOO_FEW, 0, 0, 0.0, 0.0, None, None, None, share, compared)
    sizes = (
        judgement.positives,
        judgement.negatives,
        judgement.counted_positives,
        judgement.counted_negatives,
    )
    if not judgement.enough or math.isnan(judgement.gain):
        reason = TOO_FEW if not judgement.enough else "too few examples to fit"
        return GoalVerdict(goal, False, reason, *sizes, None, None, None, share, compared)
    if judgement.accepted:
        reason = "accepted"
    elif judgement.gain <= 0:
        reason = "not better than the current method"
    elif judgement.gain < MIN_GAIN:
        reason = f"gain under {MIN_GAIN:.2f}"
    elif judgement.retrained_accuracy < judgement.current_accuracy:
        reason = "more errors at the held-back mix"
    else:
        reason = "gain within the noise"
    return GoalVerdict(
        goal,
        judgement.accepted,
        reason,
        *sizes,
        judgement.current,
        judgement.retrained,
        judgement.gain,
        share,
        compared,
    )


def _store_model(
    session: Session, taxonomy: str, model: SupervisedModel, examples: int, *, user: str
) -> None:
    MappingStore(session).save_model(
        taxonomy, model.as_dict(), examples=examples, trained_by=user, at=dt.datetime.now(dt.UTC)
    )
    audit.record(
        session,
        actor=user,
        action="mapping.retrain",
        entity="taxonomy",
        entity_id=taxonomy,
        after={"examples": examples, "goals": sorted(model.goals), "accepted": sorted(model.used_goals)},
    )


def _count_changes(
    session: Session,
    taxonomy: str,
    batch: list[tuple[int, str, str]],
    results: list[list[Label]],
    added: dict[str, int],
    withdrawn: dict[str, int],
) -> None:
    """Count, per goal, the links ``_store_links`` would add and withdraw for this batch."""
    existing = LinkStore(session).states(taxonomy, [pid for pid, _, _ in batch])
    for (pid, _, _), labels in zip(batch, results, strict=True):
        wanted = {label.goal for label in labels}
        have = existing.get(pid, {})
        for goal in wanted - set(have):
            added[goal] = added.get(goal, 0) + 1
        for goal, state in have.items():
            if (
                goal not in wanted
                and state.status == LinkStatus.PROPOSED.value
                and state.method != LinkMethod.MANUAL.value
            ):
                withdrawn[goal] = withdrawn.get(goal, 0) + 1


def _too_large(change: GoalChange, portfolio: int) -> str | None:
    """Why this change needs confirming, or None: only growing goals are held back."""
    if change.after <= change.before:
        return None
    if portfolio and change.after > RETRAIN_MAX_SHARE * portfolio:
        return (
            f"goal {change.goal} would be linked to {change.after} of {portfolio} projects "
            f"({change.after / portfolio:.0%}, over {RETRAIN_MAX_SHARE:.0%} of the portfolio)"
        )
    if change.after > RETRAIN_MAX_GROWTH * change.before:
        return f"goal {change.goal} would go from {change.before} to {change.after} links (more than double)"
    return None


def _goal_sort_key(code: str) -> tuple[int, str]:
    head = code.split(".")[0]
    return (int(head), code) if head.isdigit() else (10**6, code)


# --- review -----------------------------------------------------------------------------------------


@dataclass
class ReviewItem:
    """A proposed link as a reviewer sees it: the project's text, the goal, and the goal's definition
    (what counts, what does not, hard negatives) where its taxonomy or mission file gives one."""

    link_id: int
    project_id: int
    project_title: str
    project_text: str
    taxonomy: str
    goal: str
    goal_title: str
    score: float
    uncertainty: float
    evidence: dict[str, JsonValue]
    definition: GoalDefinition | None = None

    def as_dict(self) -> dict[str, Any]:
        """The fields by name; ``definition`` is null or ``{"counts": [str], "does_not_count": [str],
        "hard_negatives": [{"text": str, "belongs_to": str | null}]}`` with every key present."""
        out = asdict(replace(self, definition=None))
        out["definition"] = None if self.definition is None else self.definition.model_dump(mode="json")
        return out


def review_queue(workspace: Workspace, taxonomy: str | None = None, *, limit: int = 50) -> list[ReviewItem]:
    """Proposed links, the most uncertain first (closest to their goal's threshold), each with its goal's
    definition where the taxonomy gives one."""
    with workspace.reading() as session:
        rows = LinkStore(session).proposed(taxonomy)
        if taxonomy is not None and not rows:
            _resolve_known(session, taxonomy)  # a misspelt code is an error, not an empty queue
        cache: dict[str, tuple[dict[str, Goal], Mapper | None]] = {}
        items = []
        for link in rows:
            if link.taxonomy not in cache:
                try:
                    resolved = taxonomies.resolve(link.taxonomy, session)
                    goals = {g.code: g for g in resolved.goals}
                    cache[link.taxonomy] = (goals, Mapper(resolved, method="query"))
                except (NotFound, InputError):
                    cache[link.taxonomy] = ({}, None)
            goals, mapper = cache[link.taxonomy]
            threshold = 0.5
            if mapper is not None:
                threshold = mapper.calibration.threshold(link.goal)
            goal = goals.get(link.goal)
            items.append(
                ReviewItem(
                    link_id=link.id,
                    project_id=link.project_id,
                    project_title=link.project_title,
                    project_text=project_text_of(link.project_title, link.project_abstract),
                    taxonomy=link.taxonomy,
                    goal=link.goal,
                    goal_title=goal.title if goal is not None else link.goal,
                    score=link.score,
                    uncertainty=round(abs(link.score - threshold), 4),
                    evidence=link.evidence or {},
                    definition=goal.definition if goal is not None else None,
                )
            )
    items.sort(key=lambda i: (i.uncertainty, i.link_id))
    return items[:limit]


def _resolve_known(session: Session, code: str) -> Taxonomy | None:
    """The taxonomy ``code`` names, None for one that exists but cannot be mapped to (a mission without
    objectives); NotFound naming ``code`` and the command that lists the valid ones otherwise."""
    try:
        return taxonomies.resolve(code, session)
    except NotFound as exc:
        raise NotFound(
            f"unknown taxonomy {code!r}: 'missionboard taxonomy list' shows the ones you can use"
        ) from exc
    except InputError:
        return None


@dataclass(frozen=True)
class GoalChoice:
    """A goal a link can be re-assigned to, as a reviewer picks it."""

    code: str
    title: str

    def to_dict(self) -> dict[str, JsonValue]:
        return {"code": self.code, "title": self.title}


def taxonomy_goals(workspace: Workspace, code: str) -> list[GoalChoice]:
    """The goals a link of taxonomy ``code`` can be re-assigned to, in the taxonomy's order: its top-level
    goals (for ``mission:ID`` the mission's objectives, then the outcomes of its logic that lead to one).
    Raises NotFound for an unknown taxonomy."""
    with workspace.reading() as session:
        tax = _resolve_known(session, code)
    if tax is None:
        return []
    return [GoalChoice(code=goal.code, title=goal.title) for goal in taxonomies.top_goals(tax)]


@dataclass(frozen=True)
class Reassigned:
    """The link a re-assignment accepted: to the goal the reviewer named instead."""

    link: int
    goal: str

    def to_dict(self) -> dict[str, JsonValue]:
        return {"link": self.link, "goal": self.goal}


@dataclass(frozen=True)
class ReviewResult:
    """A reviewed link as it is now, and after a re-assignment the link accepted in its place."""

    link: int
    status: str
    goal: str
    reassigned_to: Reassigned | None = None

    def to_dict(self) -> dict[str, JsonValue]:
        """``{"link", "status", "goal"}``, with ``"reassigned_to": {"link", "goal"}`` after a re-assignment."""
        out: dict[str, JsonValue] = {"link": self.link, "status": self.status, "goal": self.goal}
        if self.reassigned_to is not None:
            out["reassigned_to"] = self.reassigned_to.to_dict()
        return out


def review_link(
    workspace: Workspace, link_id: int, decision: str, *, goal: str | None = None, user: str
) -> ReviewResult:
    """Accept, reject or re-assign a link; stored with reviewer and time, and audited."""
    if decision not in DECISIONS:
        raise InputError(f"unknown decision {decision!r}: use accept, reject or reassign")
    if decision == "reassign" and not goal:
        raise InputError("reassign needs the goal to assign instead")
    with workspace.transaction() as session:
        return _review(LinkStore(session), session, link_id, decision, goal, user, dt.datetime.now(dt.UTC))


def review_links(
    workspace: Workspace, link_ids: Sequence[int], decision: str, *, user: str
) -> list[ReviewResult]:
    """Accept or reject several links in one transaction: all are reviewed, or (on any error) none."""
    if decision not in ("accept", "reject"):
        raise InputError(f"a review of several links accepts or rejects, not {decision!r}")
    now = dt.datetime.now(dt.UTC)
    with workspace.transaction() as session:
        links = LinkStore(session)
        return [_review(links, session, link_id, decision, None, user, now) for link_id in link_ids]


def _review(
    links: LinkStore,
    session: Session,
    link_id: int,
    decision: str,
    goal: str | None,
    user: str,
    now: dt.datetime,
) -> ReviewResult:
    """One review inside the caller's transaction."""
    found = links.get(link_id)
    if found is None:
        raise NotFound(f"no link {link_id}")
    before = {"status": found.status, "goal": found.goal, "reviewer": found.reviewer}
    if decision == "reassign":
        tax = taxonomies.resolve(found.taxonomy, session)
        if goal not in {g.code for g in taxonomies.top_goals(tax)}:
            raise InputError(f"taxonomy {found.taxonomy} has no goal {goal!r}")
    status = LinkStatus.ACCEPTED.value if decision == "accept" else LinkStatus.REJECTED.value
    link = links.review(link_id, status, reviewer=user, at=now)
    result = ReviewResult(link=link.id, status=link.status, goal=link.goal)
    audit.record(
        session,
        actor=user,
        action=f"link.{decision}",
        entity="link",
        entity_id=str(link.id),
        before=before,
        after={"status": link.status, "goal": link.goal, "reviewer": user},
    )
    if decision == "reassign":
        assert goal is not None
        other = links.accept_reassigned(
            link.project_id, link.taxonomy, goal, reassigned_from=link.goal, reviewer=user, at=now
        )
        audit.record(
            session,
            actor=user,
            action="link.accept",
            entity="link",
            entity_id=str(other),
            after={
                "status": LinkStatus.ACCEPTED.value,
                "goal": goal,
                "reviewer": user,
                "reassigned_from": link.goal,
            },
        )
        result = replace(result, reassigned_to=Reassigned(link=other, goal=goal))
    return result


# --- similar, duplicates, themes ----------------------------------------------------------------------


def _project_vectors(
    workspace: Workspace, ids: Sequence[int] | None = None, *, device: str = "cpu"
) -> tuple[list[ProjectSummary], np.ndarray]:
    from missionboard.mapping.embedding import get_embedder

    with workspace.transaction() as session:
        rows = MappingStore(session).projects(ids)
        texts = [project_text(r) or "." for r in rows]
        if not rows:
            return [], np.zeros((0, 512), np.float32)
        embedded, _ = embed_cached(session, get_embedder(device), texts)
        # as before the store moved: the new vectors are not kept (similar/duplicates fill no cache)
        session.expunge_all()
    return rows, embedded[0]


def find_project(session: Session, ref: str) -> ProjectSummary:
    row = MappingStore(session).find_project(ref)
    if row is None:
        raise NotFound(f"no project {ref!r} (give its number, its source id, or source:source_id)")
    return row


@dataclass(frozen=True)
class ProjectBrief:
    """A project as ``similar`` and ``duplicates`` name it."""

    id: int
    source: str
    source_id: str
    title: str
    funder: str | None

    def to_dict(self) -> dict[str, JsonValue]:
        return {
            "id": self.id,
            "source": self.source,
            "source_id": self.source_id,
            "title": self.title,
            "funder": self.funder,
        }


@dataclass(frozen=True)
class SimilarProject(ProjectBrief):
    """A project and the cosine similarity of its text to the one compared with."""

    similarity: float

    def to_dict(self) -> dict[str, JsonValue]:
        return {**super().to_dict(), "similarity": self.similarity}


@dataclass(frozen=True)
class SimilarProjects:
    """A project and those whose texts are closest to it, the closest first."""

    project: ProjectBrief
    similar: list[SimilarProject]

    def to_dict(self) -> dict[str, JsonValue]:
        return {"project": self.project.to_dict(), "similar": [row.to_dict() for row in self.similar]}


@dataclass(frozen=True)
class DuplicatePair:
    """Two projects whose texts are near-identical."""

    similarity: float
    a: ProjectBrief
    b: ProjectBrief

    def to_dict(self) -> dict[str, JsonValue]:
        return {"similarity": self.similarity, "a": self.a.to_dict(), "b": self.b.to_dict()}


def _brief(row: ProjectSummary) -> ProjectBrief:
    return ProjectBrief(row.id, row.source, row.source_id, row.title, row.funder)


def similar(workspace: Workspace, project: str, *, k: int = 10) -> SimilarProjects:
    """The projects whose text is closest to a project's (cosine similarity of embeddings)."""
    with workspace.reading() as session:
        target = find_project(session, project).id
    rows, vectors = _project_vectors(workspace)
    index = next(i for i, r in enumerate(rows) if r.id == target)
    sims = vectors @ vectors[index]
    order = [int(i) for i in np.argsort(-sims) if int(i) != index][:k]
    return SimilarProjects(
        project=_brief(rows[index]),
        similar=[
            SimilarProject(
                rows[i].id,
                rows[i].source,
                rows[i].source_id,
                rows[i].title,
                rows[i].funder,
                similarity=round(float(sims[i]), 4),
            )
            for i in order
        ],
    )


def duplicates(
    workspace: Workspace, *, across_funders: bool = False, threshold: float = 0.92, limit: int = 200
) -> list[DuplicatePair]:
    """Pairs of projects whose texts are near-identical (cosine ≥ threshold), most similar first."""
    rows, vectors = _project_vectors(workspace)
    pairs: list[tuple[float, int, int]] = []
    block = 1024
    for start in range(0, len(rows), block):
        sims = vectors[start : start + block] @ vectors.T
        for a, b in zip(*np.nonzero(sims >= threshold), strict=True):
            i, j = start + int(a), int(b)
            if j <= i:
                continue
            if across_funders and (
                not rows[i].funder or not rows[j].funder or rows[i].funder == rows[j].funder
            ):
                continue
            pairs.append((float(sims[a, b]), i, j))
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    return [DuplicatePair(round(s, 4), _brief(rows[i]), _brief(rows[j])) for s, i, j in pairs[:limit]]


@dataclass(frozen=True)
class ThemeProject:
    """A project of a theme, as an example of what it holds."""

    id: int
    title: str

    def to_dict(self) -> dict[str, JsonValue]:
        return {"id": self.id, "title": self.title}


@dataclass(frozen=True)
class Theme:
    """One shared theme, sized over the scope: its share of the projects in a theme, its terms, examples."""

    theme: int
    label: str
    size: int
    share: float
    terms: list[str]
    projects: list[ThemeProject]

    def to_dict(self) -> dict[str, JsonValue]:
        return {
            "theme": self.theme,
            "label": self.label,
            "size": self.size,
            "share": self.share,
            "terms": list(self.terms),
            "projects": [project.to_dict() for project in self.projects],
        }


@dataclass(frozen=True)
class ThemesReport:
    """The workspace's shared themes sized over a scope (the workspace, or a mission's portfolio).

    ``thin`` lists the themes under half an even share; ``theme_set`` is what the themes were computed
    from and how k was chosen (the evidence ``analyze`` reports too), with ``status``.
    """

    k: int
    projects: int
    without_theme: int
    scope: str
    taxonomy: str | None
    themes: list[Theme]
    thin: list[int]
    theme_set: dict[str, JsonValue]

    def to_dict(self) -> dict[str, JsonValue]:
        return {
            "k": self.k,
            "projects": self.projects,
            "without_theme": self.without_theme,
            "scope": self.scope,
            "taxonomy": self.taxonomy,
            "themes": [theme.to_dict() for theme in self.themes],
            "thin": list(self.thin),
            "theme_set": self.theme_set,
        }


def themes(
    workspace: Workspace,
    *,
    mission_id: str | None = None,
    k: int | None = None,
    terms: int = 6,
    recompute: bool = False,
) -> ThemesReport:
    """The workspace's shared themes, the ones ``analyze`` uses (computed once and stored; k chosen by
    silhouette unless given), sized over the workspace or the mission's portfolio."""
    from missionboard.analytics.themes import themes_report  # scikit-learn: loaded only when used

    result = _themes_report_of(
        themes_report(workspace, mission_id=mission_id, k=k, recompute=recompute, terms=terms)
    )
    if result.projects < 2 and mission_id is None:
        raise InputError("themes need at least two projects")
    if mission_id is not None and not result.projects:
        raise InputError(
            f"no projects are linked to mission {mission_id!r} yet: run "
            f"'missionboard map --mission {mission_id}' first"
        )
    return result


def _themes_report_of(report: dict[str, Any]) -> ThemesReport:
    """The typed report of the analytics engine's JSON-ready one (``themes_report``)."""
    return ThemesReport(
        k=report["k"],
        projects=report["projects"],
        without_theme=report["without_theme"],
        scope=report["scope"],
        taxonomy=report["taxonomy"],
        themes=[
            Theme(
                theme=theme["theme"],
                label=theme["label"],
                size=theme["size"],
                share=theme["share"],
                terms=theme["terms"],
                projects=[ThemeProject(p["id"], p["title"]) for p in theme["projects"]],
            )
            for theme in report["themes"]
        ],
        thin=report["thin"],
        theme_set=report["theme_set"],
    )


# --- taxonomies ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaxonomyImport:
    """A taxonomy imported into the workspace: its goals, those with a definition, its queries (Aurora),
    and whether it replaced one."""

    code: str
    title: str
    goals: int
    replaced: bool
    queries: int | None = None
    """How many queries an Aurora folder gave (None for a taxonomy YAML file)."""
    definitions: int = 0
    """How many of its goals carry a definition (what counts, what does not, hard negatives)."""

    def to_dict(self) -> dict[str, JsonValue]:
        out: dict[str, JsonValue] = {"code": self.code, "title": self.title, "goals": self.goals}
        if self.queries is not None:
            out["queries"] = self.queries
        out["definitions"] = self.definitions
        out["replaced"] = self.replaced
        return out


def import_taxonomy(workspace: Workspace, path: Path, *, user: str) -> TaxonomyImport:
    """Import (or replace) the taxonomy of a YAML or JSON file, its goals' definitions with it. The file
    is read and checked whole first: a broken one raises InputError naming file, line and field, and
    the workspace is left as it was."""
    taxonomy = taxonomies.read_taxonomy_file(path)
    defined = sum(1 for goal in taxonomy.goals if goal.definition is not None)
    with workspace.transaction() as session:
        replaced = taxonomies.store(session, taxonomy, where=str(path))
        audit.record(
            session,
            actor=user,
            action="taxonomy.import",
            entity="taxonomy",
            entity_id=taxonomy.code,
            after={"goals": len(taxonomy.goals), "definitions": defined, "file": str(path)},
        )
    return TaxonomyImport(
        code=taxonomy.code,
        title=taxonomy.title,
        goals=len(taxonomy.goals),
        replaced=replaced,
        definitions=defined,
    )


def import_aurora(
    workspace: Workspace, folder: Path, *, code: str = "aurora-sdg", user: str
) -> TaxonomyImport:
    """Import a folder of Aurora SDG query files (Scopus syntax) as a taxonomy of the workspace."""
    from missionboard.mapping.aurora import read_folder

    taxonomy = read_folder(folder, code=code)
    with workspace.transaction() as session:
        replaced = taxonomies.store(session, taxonomy, where=str(folder))
        audit.record(
            session,
            actor=user,
            action="taxonomy.import",
            entity="taxonomy",
            entity_id=taxonomy.code,
            after={"goals": len(taxonomy.goals), "folder": str(folder), "format": "aurora"},
        )
    return TaxonomyImport(
        code=taxonomy.code,
        title=taxonomy.title,
        goals=len(taxonomy.goals),
        replaced=replaced,
        queries=sum(len(g.queries) for g in taxonomy.goals),
    )


def is_builtin_taxonomy(code: str) -> bool:
    """Whether ``code`` names a taxonomy built into missionboard (no workspace needed)."""
    return code in taxonomies.BUILTIN


def list_taxonomies(workspace: Workspace | None) -> list[TaxonomyEntry]:
    """Every taxonomy a user can name: built-in, the workspace's missions, imported."""
    if workspace is None:
        return taxonomies.list_all(None)
    with workspace.reading() as session:
        return taxonomies.list_all(session)


def show_taxonomy(code: str, workspace: Workspace | None) -> Taxonomy:
    if workspace is None:
        return taxonomies.resolve(code)
    with workspace.reading() as session:
        return taxonomies.resolve(code, session)
