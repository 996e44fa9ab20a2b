"""Score texts against a taxonomy's goals: queries, semantic similarity, supervised model, ensemble.

``Mapper(taxonomy, method=…)`` is the one entry point. ``Mapper.classify(texts)`` returns, per text,
the goals it assigns (score at or above the goal's threshold), best first, each with its evidence:

* ``query_terms`` — the words and phrases the goal's queries matched, as written in the text;
* ``target`` — the most similar target (or the goal itself) and its similarity;
* ``sentences`` — the sentences of the text closest to the goal, with their similarity;
* ``closest_sentence`` — the sentence of the text closest to that target (``text``, ``target``,
  ``similarity``), which review marks in the project's text;
* ``methods`` — the score each method gave.

The default method (``ensemble``) stacks the query and semantic evidence, then blends in, per goal, a
supervised model: the workspace's own where its retrain was accepted for that goal, else the model the
taxonomy ships (``sdg.supervised.json``, fitted on the train half of the balanced SDG sets).
"""

from __future__ import annotations

import gc
import json
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, cast

import numpy as np
from pydantic import JsonValue

from missionboard.domain.mapping import Taxonomy
from missionboard.errors import InputError
from missionboard.mapping.embedding import Embedder, get_embedder
from missionboard.mapping.matcher import QuerySet
from missionboard.mapping.prototypes import Prototypes
from missionboard.mapping.prototypes import build as build_prototypes
from missionboard.mapping.query import Query, parse
from missionboard.mapping.supervised import SupervisedModel, packaged_model
from missionboard.mapping.taxonomy import children, top_goals

METHODS = ("ensemble", "query", "semantic", "supervised")
Embedded = tuple[np.ndarray, list[list[str]], list[np.ndarray]]  # doc vectors, sentences, sentence vectors
FEATURES = (
    "bias",
    "sim",
    "zsim",
    "top3",
    "sentence",
    "proto",
    "rank1",
    "query",
    "query_x_proto",
    "query_rank",
)
SEMANTIC_FEATURES = 7  # the first seven: those that do not use the queries
GOAL_FEATURES = (*FEATURES[1:], "stacked")
"""Per goal, the evidence a packaged model may read beside the text vector: the stacked features (less
the bias) and their stacked log-odds (``Mapper.goal_features``)."""


@dataclass
class Label:
    goal: str
    score: float
    evidence: dict[str, JsonValue] = field(default_factory=dict)

    def as_dict(self) -> dict[str, JsonValue]:
        return {"goal": self.goal, "score": round(self.score, 4), "evidence": self.evidence}


@dataclass
class Calibration:
    """Stacking weights over ``FEATURES`` and per-goal thresholds (fitted on a training split)."""

    weights: list[float]
    supervised_prior: float = 20.0
    thresholds: dict[str, float] = field(default_factory=dict)
    default_threshold: float = 0.5
    query_threshold: float = 0.35
    semantic_threshold: float = 0.5
    fitted_on: str = ""
    semantic_weights: list[float] = field(default_factory=list)
    min_label_floor: float = 1.0  # assign the best goal when none passes, if its score is at least this

    def threshold(self, goal: str) -> float:
        return self.thresholds.get(goal, self.default_threshold)

    def as_dict(self) -> dict[str, Any]:
        return {
            "features": list(FEATURES),
            "weights": self.weights,
            "supervised_prior": self.supervised_prior,
            "thresholds": self.thresholds,
            "default_threshold": self.default_threshold,
            "query_threshold": self.query_threshold,
            "semantic_threshold": self.semantic_threshold,
            "fitted_on": self.fitted_on,
            "semantic_weights": self.semantic_weights,
            "min_label_floor": self.min_label_floor,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibration:
        return cls(
            weights=[float(w) for w in data["weights"]],
            supervised_prior=float(data.get("supervised_prior", 20.0)),
            thresholds={str(k): float(v) for k, v in data.get("thresholds", {}).items()},
            default_threshold=float(data.get("default_threshold", 0.5)),
            query_threshold=float(data.get("query_threshold", 0.35)),
            semantic_threshold=float(data.get("semantic_threshold", 0.5)),
            fitted_on=str(data.get("fitted_on", "")),
            semantic_weights=[float(w) for w in data.get("semantic_weights", [])],
            min_label_floor=float(data.get("min_label_floor", 1.0)),
        )


DEFAULT_CALIBRATION = Calibration(
    weights=[-2.7502, -0.4932, 0.4249, 0.1173, 0.0708, 2.6626, 0.1161, 2.3467, -1.7707, 0.7471],
    default_threshold=0.3,
)
"""Where no calibration was fitted for a taxonomy (the EU missions, every mission's objectives, one a user
imports). The stacking weights are those fitted on the SDGs (``sdg.calibration.json``, rounded): they weigh
evidence any taxonomy has (similarity to the goal and its prototypes, its rank, a query match). One
threshold serves every goal: 0.3, chosen on the demo missions (labels our generator wrote; 0.2–0.6 tried),
and no goal is forced on a text that passes none, since most projects serve none of a mission's objectives.
On EU-Mission projects labelled by their CORDIS topic code (``bench/objective_eval.py``, labels no one here
wrote) macro precision / recall / F1 went from 0.850 / 0.260 / 0.388 with the former hand-set weights to
0.723 / 0.501 / 0.582."""


def packaged_calibration(code: str) -> Calibration | None:
    resource = resources.files("missionboard.mapping.taxonomies").joinpath(f"{code}.calibration.json")
    if not resource.is_file():
        return None
    return Calibration.from_dict(json.loads(resource.read_text("utf-8")))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a batch is scored: it creates many small objects and no
    cycles, and the collector re-scanning them cost 5-9 % of the query method's time (measured)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(x, -40, 40))))


def _blend(logit: np.ndarray, probability: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """``logit`` moved towards a model's calibrated log-odds by ``alpha`` per goal (NaN: no model)."""
    p = np.clip(np.nan_to_num(probability, nan=0.5), 1e-4, 1 - 1e-4)
    return np.asarray((1 - alpha) * logit + alpha * np.log(p / (1 - p)))


def query_strength(n_terms: int, n_hits: int | None = None) -> float:
    """0 for no match, rising with the distinct matched words and phrases (and, less, their repeats)."""
    if n_terms <= 0:
        return 0.0
    repeats = max(0, (n_hits or n_terms) - n_terms)
    return 1.0 - math.exp(-0.6 * (n_terms + 0.5 * min(repeats, 6)))


@dataclass
class TextScores:
    """Everything the methods computed for a batch of texts (rows) and goals (columns)."""

    sim: np.ndarray
    zsim: np.ndarray
    top3: np.ndarray
    sentence: np.ndarray
    proto: np.ndarray
    query: np.ndarray
    rank1: np.ndarray
    supervised: np.ndarray | None
    query_evidence: list[dict[int, list[str]]]
    vectors: np.ndarray
    sentences: list[list[str]]
    sentence_vectors: list[np.ndarray]
    head: np.ndarray | None = None  # the packaged model's probabilities (texts × goals), if any

    def feature_matrix(self) -> np.ndarray:
        """(texts, goals, features) in ``FEATURES`` order."""
        ones = np.ones_like(self.sim)
        query_rank = (self.query >= self.query.max(axis=1, keepdims=True)) & (self.query > 0)
        return np.stack(
            [
                ones,
                self.sim,
                self.zsim,
                self.top3,
                self.sentence,
                self.proto,
                self.rank1,
                self.query,
                self.query * self.proto,
                query_rank.astype(np.float32),
            ],
            axis=-1,
        )


@dataclass
class _Rows:
    """Score matrices as nested lists of Python floats (the same values, cheap to read one by one)."""

    final: list[list[float]]
    query: list[list[float]]
    sim: list[list[float]] | None
    supervised: list[list[float]] | None


class Mapper:
    """Maps texts to the goals of one taxonomy with one method (``ensemble`` by default)."""

    def __init__(
        self,
        taxonomy: Taxonomy,
        *,
        method: str = "ensemble",
        device: str = "cpu",
        supervised: SupervisedModel | None = None,
        calibration: Calibration | None = None,
        embedder: Embedder | None = None,
        packaged_head: bool = True,
    ) -> None:
        """``packaged_head=False`` leaves out the model the taxonomy ships (to measure what it adds)."""
        if method not in METHODS:
            raise InputError(f"unknown method {method!r}: use one of {', '.join(METHODS)}")
        if method == "supervised" and supervised is None:
            raise InputError(
                f"no supervised model for taxonomy {taxonomy.code!r} yet: review some links and run "
                "'missionboard map --retrain', or choose another --method"
            )
        self.taxonomy = taxonomy
        self.method = method
        self.device = device
        self.supervised = supervised
        self.head = packaged_model(taxonomy.code) if packaged_head and method == "ensemble" else None
        self.calibration = calibration or packaged_calibration(taxonomy.code) or DEFAULT_CALIBRATION
        self.goals = [g.code for g in top_goals(taxonomy)]
        self.goal_titles = {g.code: g.title for g in taxonomy.goals}
        kids = children(taxonomy)
        self.queries: list[list[Query]] = []
        for goal in top_goals(taxonomy):
            texts = list(goal.queries)
            stack = list(kids.get(goal.code, []))
            while stack:
                child = stack.pop(0)
                texts.extend(child.queries)
                stack.extend(kids.get(child.code, []))
            self.queries.append(
                [parse(q, where=f"taxonomy {taxonomy.code}, goal {goal.code}") for q in texts]
            )
        self._embedder = embedder
        self._prototypes: Prototypes | None = None
        self._query_set: QuerySet | None = None
        self._parts: list[tuple[slice, np.ndarray]] | None = None

    # --- the parts, loaded on first use ---------------------------------------------------------

    @property
    def needs_embeddings(self) -> bool:
        return self.method != "query"

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = get_embedder(self.device)
        return self._embedder

    @property
    def prototypes(self) -> Prototypes:
        if self._prototypes is None:
            self._prototypes = build_prototypes(self.taxonomy, self.embedder)
        return self._prototypes

    def load(self) -> None:
        """Load the model and the goal prototypes now (else on the first text)."""
        if self.needs_embeddings:
            _ = self.prototypes

    # --- scoring ------------------------------------------------------------------------------

    @property
    def query_set(self) -> QuerySet:
        """Every goal's queries compiled together (built on first use, then reused for every text)."""
        if self._query_set is None:
            self._query_set = QuerySet(self.queries)
        return self._query_set

    def query_scores(self, texts: Sequence[str]) -> tuple[np.ndarray, list[dict[int, list[str]]]]:
        scores = np.zeros((len(texts), len(self.goals)), dtype=np.float32)
        evidence: list[dict[int, list[str]]] = []
        query_set = self.query_set
        for i, text in enumerate(texts):
            found: dict[int, list[str]] = {}
            for g, match in query_set.match(text).items():
                found[g] = match.terms
                scores[i, g] = query_strength(len(match.terms), match.hits)
            evidence.append(dict(sorted(found.items())))
        return scores, evidence

    def score(self, texts: Sequence[str], embedded: Embedded | None = None) -> TextScores:
        """Run every method the chosen one needs; ``embedded`` may come from a cache (same order)."""
        if not self.needs_embeddings:
            return self._score(texts, embedded)
        from threadpoolctl import threadpool_limits

        # Small matrices: one BLAS thread is fastest, and far faster on a busy machine (no spinning).
        with threadpool_limits(limits=1, user_api="blas"):
            return self._score(texts, embedded)

    def _score(self, texts: Sequence[str], embedded: Embedded | None) -> TextScores:
        n, g = len(texts), len(self.goals)
        query, query_evidence = self.query_scores(texts)
        zeros = np.zeros((n, g), dtype=np.float32)
        if not self.needs_embeddings:
            return TextScores(
                zeros,
                zeros,
                zeros,
                zeros,
                zeros,
                query,
                zeros,
                None,
                query_evidence,
                np.zeros((n, 0), np.float32),
                [[] for _ in texts],
                [np.zeros((0, 0)) for _ in texts],
            )
        protos = self.prototypes
        docs, sentences, sentence_vectors = (
            embedded if embedded is not None else self.embedder.encode_documents(texts)
        )
        sims = docs @ protos.vectors.T  # (n, prototypes)
        sim = np.maximum.reduceat(sims, protos.starts, axis=1) if len(protos.items) else zeros
        top3 = np.zeros((n, g), dtype=np.float32)
        sentence = np.zeros((n, g), dtype=np.float32)
        for j in range(g):
            block = sims[:, protos.goal_slice(j)]
            k = min(3, block.shape[1])
            top3[:, j] = -np.sort(-block, axis=1)[:, :k].mean(axis=1)
        # Each text's best sentence per goal; all sentences against all prototypes in one product.
        sentence[:] = sim
        multi = [i for i, sv in enumerate(sentence_vectors) if len(sv) > 1]
        if multi and len(protos.items):
            blocks = [sentence_vectors[i] for i in multi]
            firsts = np.cumsum([0] + [len(b) for b in blocks[:-1]])
            per_sentence = np.concatenate(blocks).astype(np.float32, copy=False) @ protos.vectors.T
            per_text = np.maximum.reduceat(per_sentence, firsts, axis=0)
            sentence[multi] = np.maximum.reduceat(per_text, protos.starts, axis=1)
        mean = sim.mean(axis=1, keepdims=True)
        std = sim.std(axis=1, keepdims=True) + 1e-6
        zsim = (sim - mean) / std
        rank1 = (sim >= sim.max(axis=1, keepdims=True)).astype(np.float32)
        supervised = None
        if self.supervised is not None:
            # The default method blends only the goals whose retrain was accepted; the supervised
            # method, asked for by name, is the model alone.
            supervised = self.supervised.predict(
                docs, query, self.goals, used_only=self.method != "supervised"
            )
        proto = protos.probabilities(docs).astype(np.float32)
        scores = TextScores(
            sim,
            zsim,
            top3,
            sentence,
            proto,
            query,
            rank1,
            supervised,
            query_evidence,
            docs,
            sentences,
            sentence_vectors,
        )
        scores.head = self.head_probabilities(scores)
        return scores

    def goal_features(self, scores: TextScores) -> np.ndarray:
        """(texts, goals, ``GOAL_FEATURES``): each goal's stacked features and stacked log-odds."""
        features = scores.feature_matrix()
        stacked = features @ np.asarray(self.calibration.weights)
        return np.concatenate([features[..., 1:], stacked[..., None]], axis=-1)

    def head_probabilities(
        self, scores: TextScores, model: SupervisedModel | None = None
    ) -> np.ndarray | None:
        """The packaged model's (or ``model``'s, of the same kind) probabilities for these scores."""
        model = model or self.head
        if model is None:
            return None
        per_goal = self.goal_features(scores) if model.goal_features else None
        return model.predict(scores.vectors, scores.query, self.goals, per_goal=per_goal)

    def combine(self, scores: TextScores) -> np.ndarray:
        """The chosen method's score per text and goal, in [0, 1]."""
        cal = self.calibration
        if self.method == "query":
            return scores.query
        if self.method == "supervised":
            assert scores.supervised is not None
            return np.asarray(np.nan_to_num(scores.supervised, nan=0.0), dtype=np.float32)
        semantic_weights = cal.semantic_weights or cal.weights[:SEMANTIC_FEATURES]
        features = scores.feature_matrix()
        semantic = _sigmoid(features[..., :SEMANTIC_FEATURES] @ np.asarray(semantic_weights))
        if self.method == "semantic":
            return semantic.astype(np.float32)
        logit = features @ np.asarray(cal.weights)
        own = self._blend_weights(self.supervised if scores.supervised is not None else None)
        if scores.head is not None and self.head is not None:
            # The packaged model, for the goals the workspace's own model has not taken over.
            shipped = np.where(own > 0, 0.0, self._blend_weights(self.head))
            logit = _blend(logit, scores.head, shipped)
        if scores.supervised is not None:
            logit = _blend(logit, scores.supervised, own)
        return _sigmoid(logit).astype(np.float32)

    def _blend_weights(self, model: SupervisedModel | None) -> np.ndarray:
        """Per goal, how much a supervised model's log-odds count: its ``blend`` if it says, else more
        for goals with more examples, positives / (positives + supervised_prior); 0 where it has no
        model in use."""
        if model is None:
            return np.zeros(len(self.goals))
        models = model.goals
        positives = np.array(
            [models[g].positives if g in models and models[g].used else 0 for g in self.goals],
            dtype=np.float64,
        )
        if model.blend is not None:  # the model's own weight, where it has a model in use
            return np.where(positives > 0, model.blend, 0.0)
        return positives / (positives + self.calibration.supervised_prior)

    def thresholds(self) -> np.ndarray:
        cal = self.calibration
        if self.method == "query":
            return np.full(len(self.goals), cal.query_threshold, dtype=np.float32)
        if self.method == "semantic":
            return np.full(len(self.goals), cal.semantic_threshold, dtype=np.float32)
        if self.method == "supervised":
            return np.full(len(self.goals), 0.5, dtype=np.float32)
        return np.array([cal.threshold(g) for g in self.goals], dtype=np.float32)

    def classify(self, texts: Sequence[str], embedded: Embedded | None = None) -> list[list[Label]]:
        """The goals assigned to each text (best first), with evidence."""
        with _collector_paused():
            return self.decide(self.score(texts, embedded))

    def assigned(self, scores: TextScores) -> np.ndarray:
        """The yes/no decision per text and goal (texts × goals), as ``decide`` makes it."""
        return self._assigned(self.combine(scores))

    def _assigned(self, final: np.ndarray) -> np.ndarray:
        passed = (final >= self.thresholds()[None, :]) & (final > 0)
        floor = self.calibration.min_label_floor if self.method == "ensemble" else 1.0
        if final.shape[1]:
            # No goal passed: the best one still counts when its score reaches the floor.
            empty = np.flatnonzero(~passed.any(axis=1) & (final.max(axis=1) >= floor))
            passed[empty, final[empty].argmax(axis=1)] = True
        return passed

    def decide(self, scores: TextScores) -> list[list[Label]]:
        final = self.combine(scores)
        # Whole-matrix operations, then plain Python numbers: numpy scalars cost ~100 ns per access.
        orders = np.argsort(-final, axis=1, kind="stable").tolist()
        passed = self._assigned(final).tolist()
        rows = _Rows(
            final.tolist(),
            scores.query.tolist(),
            scores.sim.tolist() if self.needs_embeddings else None,
            scores.supervised.tolist() if scores.supervised is not None else None,
        )
        out: list[list[Label]] = []
        for i, order in enumerate(orders):
            chosen = [j for j in order if passed[i][j]]
            out.append([self.label(scores, rows, i, j) for j in chosen])
        return out

    def label(self, scores: TextScores, rows: _Rows, i: int, j: int) -> Label:
        goal = self.goals[j]
        evidence: dict[str, JsonValue] = {"title": self.goal_titles.get(goal, goal)}
        methods: dict[str, JsonValue] = {}
        query = rows.query[i][j]
        if query > 0:
            methods["query"] = round(query, 4)
            # the matched words as they are (a list of str is JSON, but list is invariant for mypy)
            evidence["query_terms"] = cast(list[JsonValue], scores.query_evidence[i].get(j, []))
        if rows.sim is not None:
            methods["semantic"] = round(rows.sim[i][j], 4)
            evidence.update(self._semantic_evidence(scores, i, j))
        if rows.supervised is not None and not math.isnan(rows.supervised[i][j]):
            methods["supervised"] = round(rows.supervised[i][j], 4)
        evidence["methods"] = methods
        return Label(goal=goal, score=rows.final[i][j], evidence=evidence)

    def _semantic_evidence(self, scores: TextScores, i: int, j: int) -> dict[str, JsonValue]:
        protos = self.prototypes
        part, candidates = self._goal_parts()[j]
        doc_sims = scores.vectors[i] @ protos.vectors[part].T
        items = protos.items[part]
        # The most similar target: prefer a child target over the goal's own wording (first if tied).
        best = int(candidates[int(np.argmax(doc_sims[candidates]))])
        best_item = items[best]
        out: dict[str, JsonValue] = {
            "target": {
                "code": best_item.code,
                "title": best_item.title,
                "similarity": round(float(doc_sims[best]), 4),
            }
        }
        sentence_vectors = scores.sentence_vectors[i]
        if len(sentence_vectors):
            per_sentence = sentence_vectors @ protos.vectors[part].T  # (sentences, the goal's prototypes)
            sims = per_sentence.max(axis=1)
            top = np.argsort(-sims)[:2]
            out["sentences"] = [
                {"text": scores.sentences[i][k][:300], "similarity": round(float(sims[k]), 4)} for k in top
            ]
            # The sentence closest to the target named above: where in the text the goal is served.
            closest = int(np.argmax(per_sentence[:, best]))
            out["closest_sentence"] = {
                "text": scores.sentences[i][closest][:300],
                "target": best_item.code,
                "similarity": round(float(per_sentence[closest, best]), 4),
            }
        return out

    def _goal_parts(self) -> list[tuple[slice, np.ndarray]]:
        """Per goal: its prototypes, and among them the targets (else all) that evidence may name."""
        if self._parts is None:
            protos = self.prototypes
            parts = []
            for j in range(len(self.goals)):
                part = protos.goal_slice(j)
                items = protos.items[part]
                candidates = [k for k in range(len(items)) if items[k].code != items[k].goal] or list(
                    range(len(items))
                )
                parts.append((part, np.array(candidates, dtype=np.intp)))
            self._parts = parts
        return self._parts
