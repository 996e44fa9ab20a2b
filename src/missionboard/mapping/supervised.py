"""The supervised method: per-goal logistic regression on text vectors and query hits, Platt-calibrated.

Trained per taxonomy on reviewed links (accepted = positive, rejected = negative for that goal) and on
source labels (e.g. IATI SDG tags: the tagged goals are positive, the others negative), each example
with a weight. The fitted model is plain numbers (coefficients, intercept, calibration slope and offset
per goal), so it is stored in the workspace as JSON — no pickles.

Learning must never make the mapping worse, so a retrain is judged per goal on a held-back part of
its examples (``held_back``, ``judge``): a goal's model joins the default method only where it beat
the current method there (``GoalModel.used``).

A built-in taxonomy may ship a model of the same shape as package data (``<code>.supervised.json``
beside its calibration, fitted by ``bench/sdg_head_fit.py``): the default method blends it in for every
goal that no accepted workspace retrain has taken over (``packaged_model``). Such a model may also read,
per goal, the other methods' evidence for that goal (``goal_features``: the stacked features and their
stacked log-odds, ``Mapper.goal_features``), so it learns per goal how far to trust each signal; it then
says how much its log-odds count in the default method (``blend``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from missionboard.domain.mapping import RetrainReport

MIN_POSITIVES = 3
MIN_NEGATIVES = 3

HELD_BACK_SHARE = 1 / 3
"""The share of projects (by a hash of their id, so it never changes) whose examples judge a retrain."""
MIN_HELD_BACK = 10
"""A goal is judged only with held-back positives and negatives worth this many reviews each (a
publisher's label counts as much as its weight)."""
MIN_GAIN = 0.02
"""The retrained decisions must beat the current ones by this much balanced accuracy …"""
MIN_GAIN_ERRORS = 1.645
"""… and by this many standard errors of the paired difference, so noise on a small part is not a gain;
and their plain accuracy on the held-back part must not be lower."""
TOO_FEW = "too few held-back reviews"
UNMEASURED_PUBLISHER_WEIGHT = 0.5
"""What a publisher's label weighs before any reviewer's decision is there to compare it with: a
publisher tags by its own rules (CAF's SDG tags, learnt unchecked, cut the default method's accuracy on
independent labels by five points; issue 17)."""
AGREEMENT_PRIOR = 10
"""Compared decisions the unmeasured weight counts as, so a few decisions move the weight only a little."""


@dataclass
class GoalModel:
    coef: np.ndarray
    intercept: float
    platt_a: float
    platt_b: float
    positives: int
    negatives: int
    used: bool = True  # joins the default method; a retrain sets it per goal from its held-back verdict

    def probability(self, x: np.ndarray, evidence: np.ndarray | None = None) -> np.ndarray:
        """Calibrated probability for inputs ``x``, followed by ``evidence`` where the model reads more
        (the same as one joined input, without copying the shared part for every goal)."""
        if evidence is None:
            margin = x @ self.coef + self.intercept
        else:
            width = x.shape[1]
            margin = x @ self.coef[:width] + evidence @ self.coef[width:] + self.intercept
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(self.platt_a * margin + self.platt_b, -40, 40))))


@dataclass
class SupervisedModel:
    taxonomy: str
    goals: dict[str, GoalModel] = field(default_factory=dict)
    trained_at: str = ""
    examples: int = 0
    query_goals: list[str] = field(default_factory=list)
    report: RetrainReport | None = None  # the retrain's verdicts, per goal
    goal_features: list[str] = field(default_factory=list)
    """Names of the per-goal evidence each goal's model reads after the text vector and the query hits
    (empty: none; a workspace retrain reads none)."""
    blend: float | None = None
    """How much its log-odds count in the default method's score (None: by its positives, as
    ``Mapper`` weighs a workspace model)."""

    @staticmethod
    def features(vectors: np.ndarray, query: np.ndarray, per_goal: np.ndarray | None = None) -> np.ndarray:
        """The model's inputs: text vector, query hits, and (for one goal) that goal's evidence."""
        parts = [vectors, query] if per_goal is None else [vectors, query, per_goal]
        return np.hstack(parts).astype(np.float64)

    @property
    def used_goals(self) -> list[str]:
        return [code for code, m in self.goals.items() if m.used]

    def predict(
        self,
        vectors: np.ndarray,
        query: np.ndarray,
        goals: Sequence[str],
        *,
        used_only: bool = False,
        per_goal: np.ndarray | None = None,
    ) -> np.ndarray:
        """Calibrated probabilities (texts × goals); NaN where a goal has no model (or, with
        ``used_only``, a model its retrain did not accept). ``per_goal`` (texts × goals × evidence, in
        ``goal_features`` order) is required when the model reads ``goal_features``."""
        out = np.full((len(vectors), len(goals)), np.nan, dtype=np.float64)
        if not len(vectors):
            return out
        if self.goal_features and (per_goal is None or per_goal.shape[-1] != len(self.goal_features)):
            raise ValueError(f"this model reads per-goal evidence: {', '.join(self.goal_features)}")
        q = _align(query, list(goals), self.query_goals)
        shared = self.features(vectors, q)
        for j, goal in enumerate(goals):
            model = self.goals.get(goal)
            if model is None or (used_only and not model.used):
                continue
            evidence = (
                per_goal[:, j].astype(np.float64) if per_goal is not None and self.goal_features else None
            )
            width = shared.shape[1] + (0 if evidence is None else evidence.shape[1])
            if model.coef.shape[0] == width:
                out[:, j] = model.probability(shared, evidence)
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "taxonomy": self.taxonomy,
            "trained_at": self.trained_at,
            "examples": self.examples,
            "query_goals": self.query_goals,
            "goals": {
                code: {
                    "coef": [round(float(c), 6) for c in m.coef],
                    "intercept": m.intercept,
                    "platt_a": m.platt_a,
                    "platt_b": m.platt_b,
                    "positives": m.positives,
                    "negatives": m.negatives,
                    "used": m.used,
                }
                for code, m in self.goals.items()
            },
            **({"retrain_report": self.report.to_dict()} if self.report else {}),
            **({"goal_features": self.goal_features} if self.goal_features else {}),
            **({"blend": self.blend} if self.blend is not None else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SupervisedModel:
        return cls(
            taxonomy=data["taxonomy"],
            trained_at=data.get("trained_at", ""),
            examples=int(data.get("examples", 0)),
            query_goals=list(data.get("query_goals", [])),
            goals={
                code: GoalModel(
                    coef=np.asarray(m["coef"], dtype=np.float64),
                    intercept=float(m["intercept"]),
                    platt_a=float(m["platt_a"]),
                    platt_b=float(m["platt_b"]),
                    positives=int(m["positives"]),
                    negatives=int(m["negatives"]),
                    # a model stored before retrains were judged was used for every goal; so it stays
                    used=bool(m.get("used", True)),
                )
                for code, m in data.get("goals", {}).items()
            },
            report=RetrainReport.from_dict(data["retrain_report"]) if data.get("retrain_report") else None,
            goal_features=[str(name) for name in data.get("goal_features", [])],
            blend=float(data["blend"]) if data.get("blend") is not None else None,
        )


@lru_cache(maxsize=8)
def packaged_model(code: str) -> SupervisedModel | None:
    """The model shipped with a built-in taxonomy (``<code>.supervised.json``), or None. Read once per
    process: a ``classify`` command builds one Mapper, a web server many."""
    resource = resources.files("missionboard.mapping.taxonomies").joinpath(f"{code}.supervised.json")
    if not resource.is_file():
        return None
    return SupervisedModel.from_dict(json.loads(resource.read_text("utf-8")))


def _align(query: np.ndarray, goals: list[str], wanted: list[str]) -> np.ndarray:
    if goals == wanted:
        return query
    out = np.zeros((query.shape[0], len(wanted)), dtype=query.dtype)
    index = {g: i for i, g in enumerate(goals)}
    for j, g in enumerate(wanted):
        if g in index:
            out[:, j] = query[:, index[g]]
    return out


def train(
    taxonomy: str,
    vectors: np.ndarray,
    query: np.ndarray,
    goals: Sequence[str],
    labels: Sequence[Mapping[str, bool]],
    *,
    weights: Sequence[Mapping[str, float]] | None = None,
    c: float = 1.0,
    seed: int = 0,
    per_goal: np.ndarray | None = None,
    goal_features: Sequence[str] = (),
) -> SupervisedModel:
    """Fit one calibrated classifier per goal that has enough positive and negative examples.

    ``labels[i]`` says, for text ``i``, which goals it does (True) or does not (False) serve; goals it
    says nothing about are left out of that goal's training set. ``weights[i][goal]`` (default 1)
    weighs that example; one weighted 0 is left out. ``per_goal`` (texts × goals × evidence, named by
    ``goal_features``) adds each goal's own evidence to that goal's inputs.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    x_all = SupervisedModel.features(vectors, query)
    model = SupervisedModel(
        taxonomy=taxonomy,
        trained_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        examples=len(labels),
        query_goals=list(goals),
        goal_features=list(goal_features) if per_goal is not None else [],
    )
    for j, goal in enumerate(goals):
        rows = [i for i, lab in enumerate(labels) if goal in lab and _weight(weights, i, goal) > 0]
        y = np.array([1 if labels[i][goal] else 0 for i in rows])
        w = np.array([_weight(weights, i, goal) for i in rows], dtype=np.float64)
        positives, negatives = int(y.sum()), int(len(y) - y.sum())
        if positives < MIN_POSITIVES or negatives < MIN_NEGATIVES:
            continue
        x = (x_all if per_goal is None else SupervisedModel.features(vectors, query, per_goal[:, j]))[rows]
        clf = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
        folds = min(3, positives, negatives)
        margins = cross_val_predict(
            clf,
            x,
            y,
            cv=StratifiedKFold(folds, shuffle=True, random_state=seed),
            method="decision_function",
            params={"sample_weight": w},
        )
        platt = LogisticRegression(C=100.0, max_iter=1000).fit(margins.reshape(-1, 1), y, sample_weight=w)
        clf.fit(x, y, sample_weight=w)
        model.goals[goal] = GoalModel(
            coef=clf.coef_[0].astype(np.float64),
            intercept=float(clf.intercept_[0]),
            platt_a=float(platt.coef_[0][0]),
            platt_b=float(platt.intercept_[0]),
            positives=positives,
            negatives=negatives,
        )
    return model


def _weight(weights: Sequence[Mapping[str, float]] | None, i: int, goal: str) -> float:
    return 1.0 if weights is None else weights[i].get(goal, 1.0)


def held_back(key: str) -> bool:
    """Whether the project with this stable key (``source:source_id``) judges retrains instead of
    training them: the same answer in every workspace and on every run."""
    digest = int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:12], 16)
    return digest % 1000 < HELD_BACK_SHARE * 1000


def publisher_weight(agreeing: int, compared: int) -> float:
    """The weight of a publisher's labels from how often they agreed with reviewers' decisions on the
    projects that have both.

    Agreement no better than a coin (50 %) earns nothing, full agreement full weight (2 × agreement - 1),
    shrunk towards ``UNMEASURED_PUBLISHER_WEIGHT`` as if ``AGREEMENT_PRIOR`` decisions had given it.
    """
    measured = max(0.0, 2 * agreeing / compared - 1) if compared > 0 else 0.0
    return (compared * measured + AGREEMENT_PRIOR * UNMEASURED_PUBLISHER_WEIGHT) / (
        compared + AGREEMENT_PRIOR
    )


@dataclass(frozen=True)
class Judgement:
    """The current and the retrained decisions for one goal, scored on its held-back examples."""

    positives: int
    negatives: int
    current: float
    retrained: float
    standard_error: float
    current_accuracy: float = math.nan
    retrained_accuracy: float = math.nan
    counted_positives: float = 0.0  # the positives' weight: reviews count 1, publisher labels less
    counted_negatives: float = 0.0

    @property
    def gain(self) -> float:
        return self.retrained - self.current

    @property
    def enough(self) -> bool:
        return (
            self.counted_positives >= MIN_HELD_BACK - 1e-9 and self.counted_negatives >= MIN_HELD_BACK - 1e-9
        )

    @property
    def accepted(self) -> bool:
        """Better on balanced data (by the margin, and by more than the noise of so few examples) and
        not worse at the held-back part's own mix of positives: so better at every mix in between."""
        return (
            self.enough
            and self.gain >= MIN_GAIN
            and self.gain > MIN_GAIN_ERRORS * self.standard_error
            and self.retrained_accuracy >= self.current_accuracy
        )


def judge(gold: np.ndarray, weight: np.ndarray, current: np.ndarray, retrained: np.ndarray) -> Judgement:
    """Weighted balanced accuracy of both decisions (the mean of the recall of positives and of
    negatives), what per-goal accuracy on a balanced set estimates: held-back labels are skewed (most
    projects do not serve a given goal), and plain accuracy alone would reward never assigning the
    goal; it is kept beside it. The standard error is that of the paired per-example difference, as
    the same examples judge both."""
    gold, current, retrained = gold.astype(bool), current.astype(bool), retrained.astype(bool)
    keep = weight > 0
    gold, weight, current, retrained = gold[keep], weight[keep], current[keep], retrained[keep]
    positives, negatives = int(gold.sum()), int((~gold).sum())
    counted = float(weight[gold].sum()), float(weight[~gold].sum())
    if not positives or not negatives:
        return Judgement(positives, negatives, math.nan, math.nan, math.nan, math.nan, math.nan, *counted)
    scores, variance = [], 0.0
    for side in (gold, ~gold):
        w = weight[side] / weight[side].sum()
        right_now = (current[side] == gold[side]).astype(np.float64)
        right_new = (retrained[side] == gold[side]).astype(np.float64)
        scores.append((float(w @ right_now), float(w @ right_new)))
        diff = right_new - right_now
        mean = float(w @ diff)
        variance += float(w @ (diff - mean) ** 2) / max(1, int(side.sum()) - 1) / 4
    share = float(weight[gold].sum() / weight.sum())  # the held-back part's own mix
    return Judgement(
        positives,
        negatives,
        (scores[0][0] + scores[1][0]) / 2,
        (scores[0][1] + scores[1][1]) / 2,
        math.sqrt(variance),
        share * scores[0][0] + (1 - share) * scores[1][0],
        share * scores[0][1] + (1 - share) * scores[1][1],
        *counted,
    )
