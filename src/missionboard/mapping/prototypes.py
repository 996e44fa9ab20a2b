"""Goal prototypes: the texts that describe each goal (its wording, its targets', their translations).

The semantic method compares a text with every prototype. Prototype vectors of the built-in taxonomies
ship as package data (``<code>.vectors.npz``, checked against a hash of the prototype texts and the
model name, rebuilt in memory when they do not match); other taxonomies are embedded when first used.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from missionboard.domain.mapping import Taxonomy
from missionboard.mapping.embedding import MODEL_NAME, Embedder
from missionboard.mapping.taxonomy import BUILTIN, children, top_goals


@dataclass(frozen=True)
class Prototype:
    goal: str  # the top-level goal it stands for
    code: str  # the goal or target it comes from
    title: str  # that goal's or target's wording (shown as evidence)
    text: str  # the text embedded


@dataclass
class Prototypes:
    goals: list[str]  # top-level goal codes, in taxonomy order
    items: list[Prototype]
    vectors: np.ndarray  # (len(items), dim), grouped by goal in ``goals`` order
    starts: np.ndarray  # index of each goal's first prototype
    coef: np.ndarray  # (dim, goals): a softmax classifier fitted on the prototypes themselves
    intercept: np.ndarray  # (goals,)

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """P(goal | text) from the classifier fitted on the goals' own wording (sums to 1 per text)."""
        logits = vectors @ self.coef + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return np.asarray(e / e.sum(axis=1, keepdims=True))

    def goal_slice(self, goal_index: int) -> slice:
        end = self.starts[goal_index + 1] if goal_index + 1 < len(self.starts) else len(self.items)
        return slice(int(self.starts[goal_index]), int(end))


def prototype_texts(taxonomy: Taxonomy) -> tuple[list[str], list[Prototype]]:
    tops = top_goals(taxonomy)
    kids = children(taxonomy)
    items: list[Prototype] = []
    for goal in tops:
        head = f"{goal.title}. {goal.description}".strip(". ") if goal.description else goal.title
        items.append(Prototype(goal.code, goal.code, goal.title, head))
        items.extend(Prototype(goal.code, goal.code, goal.title, ex) for ex in goal.examples if ex.strip())
        stack = list(kids.get(goal.code, []))
        while stack:
            child = stack.pop(0)
            items.append(Prototype(goal.code, child.code, child.title, child.title))
            items.extend(
                Prototype(goal.code, child.code, child.title, ex) for ex in child.examples if ex.strip()
            )
            if child.description:
                items.append(Prototype(goal.code, child.code, child.title, child.description))
            stack.extend(kids.get(child.code, []))
    return [g.code for g in tops], items


def fingerprint(items: list[Prototype]) -> str:
    digest = hashlib.sha256(MODEL_NAME.encode())
    for item in items:
        digest.update(b"\x00" + item.goal.encode() + b"\x01" + item.text.encode())
    return digest.hexdigest()


def _packaged(code: str, expected: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    if code not in BUILTIN:
        return None
    resource = resources.files("missionboard.mapping.taxonomies").joinpath(f"{code}.vectors.npz")
    if not resource.is_file():
        return None
    with resources.as_file(resource) as path, np.load(path, allow_pickle=False) as data:
        if str(data["fingerprint"]) != expected:
            return None
        return (
            np.asarray(data["vectors"], dtype=np.float32),
            np.asarray(data["coef"], dtype=np.float32),
            np.asarray(data["intercept"], dtype=np.float32),
        )


def fit_classifier(
    vectors: np.ndarray, items: list[Prototype], goals: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """A softmax regression from prototype vectors to their goal (the goals' own wording as training data)."""
    if len(goals) < 2:
        return np.zeros((vectors.shape[1], len(goals)), np.float32), np.zeros(len(goals), np.float32)
    from sklearn.linear_model import LogisticRegression

    index = {g: i for i, g in enumerate(goals)}
    y = np.array([index[i.goal] for i in items])
    clf = LogisticRegression(C=10.0, max_iter=3000, class_weight="balanced").fit(vectors, y)
    coef = np.zeros((vectors.shape[1], len(goals)), np.float32)
    intercept = np.full(len(goals), -30.0, np.float32)
    for k, cls in enumerate(clf.classes_):
        row = k if clf.coef_.shape[0] > 1 else 0
        sign = 1.0 if clf.coef_.shape[0] > 1 or k == 1 else -1.0
        coef[:, cls] = sign * clf.coef_[row]
        intercept[cls] = sign * clf.intercept_[row]
    return coef, intercept


def build(taxonomy: Taxonomy, embedder: Embedder) -> Prototypes:
    goals, items = prototype_texts(taxonomy)
    expected = fingerprint(items)
    packaged = _packaged(taxonomy.code, expected)
    if packaged is None:
        vectors = (
            embedder.encode([i.text for i in items]) if items else np.zeros((0, embedder.dim), np.float32)
        )
        coef, intercept = fit_classifier(vectors, items, goals)
    else:
        vectors, coef, intercept = packaged
    starts = np.zeros(len(goals), dtype=np.int64)
    index = {g: i for i, g in enumerate(goals)}
    seen: set[str] = set()
    for pos, item in enumerate(items):
        if item.goal not in seen:
            starts[index[item.goal]] = pos
            seen.add(item.goal)
    return Prototypes(
        goals=goals, items=items, vectors=vectors, starts=starts, coef=coef, intercept=intercept
    )


def write_packaged(taxonomy: Taxonomy, embedder: Embedder, folder: Path) -> Path:
    """Embed a built-in taxonomy's prototypes and write them as package data (a maintainer's step)."""
    goals, items = prototype_texts(taxonomy)
    vectors = embedder.encode([i.text for i in items]).astype(np.float16)
    coef, intercept = fit_classifier(vectors.astype(np.float32), items, goals)
    path = folder / f"{taxonomy.code}.vectors.npz"
    np.savez_compressed(
        path, vectors=vectors, coef=coef, intercept=intercept, fingerprint=np.array(fingerprint(items))
    )
    return path
