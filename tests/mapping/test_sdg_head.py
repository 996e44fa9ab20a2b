"""The SDG taxonomy ships a supervised model (issue 17, item 2): the default method blends it in for
every goal that no accepted workspace retrain has taken over, and with it the default keeps its
held-out accuracy on the balanced sets."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np
import pytest

from missionboard.mapping.classifier import GOAL_FEATURES, Mapper, TextScores
from missionboard.mapping.supervised import GoalModel, SupervisedModel, packaged_model, train
from missionboard.mapping.taxonomy import builtin
from missionboard.services.mapping import make_mapper

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import sdg_balanced as sb  # noqa: E402

SLICE_FLOOR = 0.79
"""Mean per-goal accuracy of the default method on the slice below (230 held-out texts): 0.818 measured
with the packaged model and the Nordic and German queries, 0.817 with the model reading each goal's
stacked evidence too, 0.780 without the model, 0.735 with neither (the commit before them): the floor
leaves room for a refit's noise but not for losing the model."""


def scores_of(goals: int = 17, *, head: float | None, own: float | None) -> TextScores:
    """One text whose stacked evidence is all zero; ``head`` and ``own`` are the packaged and
    the workspace model's probabilities for every goal (None: no such model)."""
    zeros = np.zeros((1, goals), dtype=np.float32)
    return TextScores(
        zeros,
        zeros,
        zeros,
        zeros,
        zeros,
        zeros,
        zeros,
        None if own is None else np.full((1, goals), own),
        [{}],
        np.zeros((1, 0), dtype=np.float32),
        [[]],
        [np.zeros((0, 0))],
        None if head is None else np.full((1, goals), head),
    )


def goal_model(positives: int, *, used: bool = True) -> GoalModel:
    return GoalModel(np.zeros(529), 0.0, 1.0, 0.0, positives, positives, used=used)


def test_the_sdg_taxonomy_ships_a_model_for_every_goal() -> None:
    model = packaged_model("sdg")
    assert model is not None
    assert sorted(model.goals, key=int) == [str(g) for g in range(1, 18)]


def test_the_packaged_model_reads_the_text_vector_every_goals_query_hits_and_the_goals_evidence() -> None:
    model = packaged_model("sdg")
    assert model is not None
    assert {m.coef.shape for m in model.goals.values()} == {(512 + 17 + len(GOAL_FEATURES),)}


def test_the_packaged_model_names_the_evidence_it_reads() -> None:
    model = packaged_model("sdg")
    assert model is not None
    assert model.goal_features == list(GOAL_FEATURES)


def test_a_model_reading_per_goal_evidence_refuses_to_predict_without_it() -> None:
    model = SupervisedModel("sdg", goals={"1": goal_model(10)}, goal_features=["stacked"])
    with pytest.raises(ValueError, match="per-goal evidence"):
        model.predict(np.zeros((1, 512)), np.zeros((1, 17)), ["1"])


def test_a_model_reading_per_goal_evidence_keeps_it_through_json() -> None:
    model = SupervisedModel("sdg", goals={"1": goal_model(10)}, goal_features=["query", "stacked"], blend=1.0)
    again = SupervisedModel.from_dict(model.as_dict())
    assert (again.goal_features, again.blend) == (["query", "stacked"], 1.0)


def test_a_workspace_model_stored_before_per_goal_evidence_reads_none() -> None:
    again = SupervisedModel.from_dict(SupervisedModel("sdg", goals={"1": goal_model(10)}).as_dict())
    assert (again.goal_features, again.blend) == ([], None)


def test_training_with_per_goal_evidence_learns_from_each_goals_own_evidence() -> None:
    """Goal 1's label is the sign of its evidence, goal 2's of its own; the text vectors are noise."""
    rng = np.random.default_rng(0)
    evidence = rng.normal(size=(80, 2, 1))
    labels = [{"1": bool(e[0, 0] > 0), "2": bool(e[1, 0] > 0)} for e in evidence]
    model = train(
        "sdg",
        rng.normal(size=(80, 4)),
        np.zeros((80, 2)),
        ["1", "2"],
        labels,
        per_goal=evidence,
        goal_features=["stacked"],
    )
    probability = model.predict(
        rng.normal(size=(2, 4)),
        np.zeros((2, 2)),
        ["1", "2"],
        per_goal=np.array([[[3.0], [-3.0]], [[-3.0], [3.0]]]),
    )
    assert (probability > 0.5).tolist() == [[True, False], [False, True]]


def test_a_model_that_says_its_blend_weight_counts_that_much_for_every_goal_it_models() -> None:
    shipped = SupervisedModel("sdg", goals={"1": goal_model(10), "2": goal_model(90)}, blend=1.0)
    weights = Mapper(builtin("sdg"))._blend_weights(shipped)
    assert weights[:3].tolist() == [1.0, 1.0, 0.0]


def test_with_blend_one_the_default_score_is_the_packaged_models_probability() -> None:
    mapper = Mapper(builtin("sdg"))
    mapper.head = SupervisedModel("sdg", goals={"1": goal_model(10)}, blend=1.0)
    assert mapper.combine(scores_of(head=0.9, own=None))[0, 0] == pytest.approx(0.9, abs=1e-4)


def test_the_goal_evidence_has_one_column_per_name() -> None:
    mapper = Mapper(builtin("sdg"))
    assert mapper.goal_features(scores_of(head=None, own=None)).shape == (1, 17, len(GOAL_FEATURES))


def test_taxonomies_without_a_packaged_model_have_none() -> None:
    assert packaged_model("eu-missions") is None


def test_the_default_method_uses_the_packaged_model() -> None:
    assert make_mapper("sdg").head is packaged_model("sdg")


@pytest.mark.parametrize("method", ["query", "semantic", "supervised"])
def test_other_methods_do_not_blend_the_packaged_model(method: str) -> None:
    own = SupervisedModel("sdg", goals={"1": goal_model(10)})
    assert Mapper(builtin("sdg"), method=method, supervised=own).head is None


def test_the_packaged_model_moves_the_default_score() -> None:
    mapper = Mapper(builtin("sdg"))
    without = mapper.combine(scores_of(head=None, own=None))
    assert (mapper.combine(scores_of(head=0.99, own=None)) > without).all()


def test_a_goal_the_workspace_retrain_won_uses_the_workspace_model_instead() -> None:
    own = SupervisedModel("sdg", goals={"3": goal_model(40)})
    mapper = Mapper(builtin("sdg"), supervised=own)
    with_head = mapper.combine(scores_of(head=0.99, own=0.01))
    only_own = mapper.combine(scores_of(head=None, own=0.01))
    assert with_head[0, 2] == pytest.approx(only_own[0, 2])


def test_a_goal_the_workspace_retrain_lost_keeps_the_packaged_model() -> None:
    own = SupervisedModel("sdg", goals={"3": goal_model(40, used=False)})
    mapper = Mapper(builtin("sdg"), supervised=own)
    shipped = Mapper(builtin("sdg"))
    assert mapper.combine(scores_of(head=0.99, own=0.01))[0, 2] == pytest.approx(
        shipped.combine(scores_of(head=0.99, own=None))[0, 2]
    )


def test_the_retrain_guard_judges_against_the_default_with_the_packaged_model() -> None:
    """The guard builds ``Mapper(taxonomy, supervised=current)``: with no workspace model yet, the
    current decisions it compares with are the packaged model's, not the stacked evidence alone."""
    judge_mapper = Mapper(builtin("sdg"), supervised=None)
    assert judge_mapper.head is packaged_model("sdg")


def held_out_slice() -> list[sb.Item]:
    """Held-out texts quoted inline (no shared data needed), one in four by a hash of the id."""
    items = [i for i in sb.load(shared=Path("/nonexistent")).items if sb.half(i) == "test"]
    return [i for i in items if int(hashlib.sha1(f"{i.id}#slice".encode()).hexdigest(), 16) % 4 == 0]


@pytest.mark.slow
def test_the_default_keeps_its_held_out_accuracy_on_the_balanced_sets() -> None:
    items = held_out_slice()
    mapper = make_mapper("sdg")
    predicted = sb.predict(items, mapper)
    mean, _ = sb.headline(sb.score_goals(items, predicted))
    assert mean >= SLICE_FLOOR


def test_the_slice_is_large_enough_to_measure_every_goal() -> None:
    per_goal = sb.counts(held_out_slice())
    assert min(min(t, f) for t, f in per_goal.values()) >= 3
