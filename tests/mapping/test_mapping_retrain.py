"""Retraining on labelled projects improves the mapping of held-back projects (real IATI SDG tags)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from lxml import etree

from missionboard.mapping.classifier import Mapper
from missionboard.mapping.supervised import SupervisedModel, train
from missionboard.mapping.taxonomy import builtin


def caf_activities(shared: Path) -> list[tuple[str, str, set[str]]]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    tree = etree.parse(str(shared / "iati" / "caf-activities-2025-10-10.xml"), parser)
    out = []
    for activity in tree.iter("iati-activity"):
        ident = activity.findtext("iati-identifier") or ""
        goals = {t.get("code", "") for t in activity.findall("tag") if t.get("vocabulary") == "2"}
        text = " ".join(n.text or "" for n in activity.findall("title/narrative"))
        text += ". " + " ".join(n.text or "" for n in activity.findall("description/narrative"))
        if goals and ident:
            out.append((ident, " ".join(text.split()), goals))
    return out


def top1_and_f1(mapper: Mapper, texts: list[str], gold: list[set[str]]) -> tuple[float, float]:
    results = mapper.classify(texts)
    top1 = float(
        np.mean([bool(labels) and labels[0].goal in g for labels, g in zip(results, gold, strict=True)])
    )
    f1s = []
    for goal in mapper.goals:
        predicted = [any(label.goal == goal for label in labels) for labels in results]
        actual = [goal in g for g in gold]
        tp = sum(p and a for p, a in zip(predicted, actual, strict=True))
        if sum(actual):
            f1s.append(2 * tp / max(1, sum(predicted) + sum(actual)))
    return top1, float(np.mean(f1s))


def test_retraining_on_tagged_projects_improves_held_back_projects(shared_data: Path) -> None:
    activities = caf_activities(shared_data)
    assert len(activities) > 300
    held_back = [a for a in activities if int(hashlib.sha1(a[0].encode()).hexdigest(), 16) % 2]
    training = [a for a in activities if a not in held_back]
    sdg = builtin("sdg")
    plain = Mapper(sdg)
    scores = plain.score([text for _, text, _ in training])
    model = train(
        "sdg",
        scores.vectors,
        scores.query,
        plain.goals,
        [{g: g in goals for g in plain.goals} for _, _, goals in training],
    )
    assert len(model.goals) >= 10
    retrained = Mapper(sdg, supervised=SupervisedModel.from_dict(model.as_dict()), embedder=plain.embedder)

    texts = [text for _, text, _ in held_back]
    gold = [goals for _, _, goals in held_back]
    before = top1_and_f1(plain, texts, gold)
    after = top1_and_f1(retrained, texts, gold)
    assert after[0] > before[0] + 0.01, (before, after)
    assert after[1] > before[1], (before, after)
