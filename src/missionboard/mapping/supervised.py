"""The supervised method: per-goal logistic regression on text vectors and query hits, Platt-calibrated.

Trained per taxonomy on reviewed links (accepted = positive, rejected = negative for that goal) and on
source labels (e.g. IATI SDG tags: the tagged goals are positive, the others negative). The fitted
model is plain numbers (coefficients, intercept, calibration slope and offset per goal), so it is
stored in the workspace as JSON — no pickles.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MIN_POSITIVES = 3
MIN_NEGATIVES = 3


@dataclass
class GoalModel:
    coef: np.ndarray
    intercept: float
    platt_a: float
    platt_b: float
    positives: int
    negatives: int

    def probability(self, x: np.ndarray) -> np.ndarray:
        margin = x @ self.coef + self.intercept
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(self.platt_a * margin + self.platt_b, -40, 40))))


@dataclass
class SupervisedModel:
    taxonomy: str
    goals: dict[str, GoalModel] = field(default_factory=dict)
    trained_at: str = ""
    examples: int = 0
    query_goals: list[str] = field(default_factory=list)

    @staticmethod
    def features(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
        return np.hstack([vectors, query]).astype(np.float64)

    def predict(self, vectors: np.ndarray, query: np.ndarray, goals: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities (texts × goals); NaN where a goal has no model."""
        out = np.full((len(vectors), len(goals)), np.nan, dtype=np.float64)
        if not len(vectors):
            return out
        q = _align(query, list(goals), self.query_goals)
        x = self.features(vectors, q)
        for j, goal in enumerate(goals):
            model = self.goals.get(goal)
            if model is not None and model.coef.shape[0] == x.shape[1]:
                out[:, j] = model.probability(x)
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
                }
                for code, m in self.goals.items()
            },
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
                )
                for code, m in data.get("goals", {}).items()
            },
        )


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
    labels: Sequence[dict[str, bool]],
    *,
    c: float = 1.0,
    seed: int = 0,
) -> SupervisedModel:
    """Fit one calibrated classifier per goal that has enough positive and negative examples.

    ``labels[i]`` says, for text ``i``, which goals it does (True) or does not (False) serve; goals it
    says nothing about are left out of that goal's training set.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    x_all = SupervisedModel.features(vectors, query)
    model = SupervisedModel(
        taxonomy=taxonomy,
        trained_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        examples=len(labels),
        query_goals=list(goals),
    )
    for goal in goals:
        rows = [i for i, lab in enumerate(labels) if goal in lab]
        y = np.array([1 if labels[i][goal] else 0 for i in rows])
        positives, negatives = int(y.sum()), int(len(y) - y.sum())
        if positives < MIN_POSITIVES or negatives < MIN_NEGATIVES:
            continue
        x = x_all[rows]
        clf = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
        folds = min(3, positives, negatives)
        margins = cross_val_predict(
            clf, x, y, cv=StratifiedKFold(folds, shuffle=True, random_state=seed), method="decision_function"
        )
        platt = LogisticRegression(C=100.0, max_iter=1000).fit(margins.reshape(-1, 1), y)
        clf.fit(x, y)
        model.goals[goal] = GoalModel(
            coef=clf.coef_[0].astype(np.float64),
            intercept=float(clf.intercept_[0]),
            platt_a=float(platt.coef_[0][0]),
            platt_b=float(platt.intercept_[0]),
            positives=positives,
            negatives=negatives,
        )
    return model
