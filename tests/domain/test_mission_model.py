"""The mission model accepts incomplete missions (so they can be judged) but refuses incoherent ones."""

import datetime as dt

import pytest
from pydantic import ValidationError

from missionboard.domain.missions import Direction, Mission, Objective
from missionboard.domain.portfolio import InstrumentFamily, InstrumentType, Project, Stage, stage_for_trl


def objective(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "id": "organic-share",
        "title": "Raise the organic share",
        "indicator": {"id": "organic_share", "name": "Organic share", "unit": "%"},
        "baseline": {"value": 38, "year": 2020},
        "target": {"value": 60, "year": 2030},
    }
    data.update(overrides)
    return data


def mission(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "id": "school-meals",
        "title": "Sustainable school meals",
        "challenge": "Public meals that harm health and climate",
        "statement": "By 2030 every public school meal is healthy and sustainable.",
        "owner": "Agency",
        "start": "2022-01-01",
        "deadline": "2030-12-31",
        "objectives": [objective()],
    }
    data.update(overrides)
    return data


def test_a_challenge_given_as_text_becomes_a_challenge_with_that_title() -> None:
    assert Mission.model_validate(mission()).challenge.title == "Public meals that harm health and climate"


def test_direction_is_inferred_from_baseline_and_target_when_not_given() -> None:
    assert Objective.model_validate(objective()).direction == Direction.INCREASE
    assert (
        Objective.model_validate(objective(target={"value": 20, "year": 2030})).direction
        == Direction.DECREASE
    )


def test_a_direction_that_contradicts_the_target_is_refused() -> None:
    with pytest.raises(ValidationError, match="direction is 'decrease'"):
        Objective.model_validate(objective(direction="decrease"))


def test_the_target_year_must_come_after_the_baseline_year() -> None:
    with pytest.raises(ValidationError, match="must come after baseline year"):
        Objective.model_validate(objective(target={"value": 60, "year": 2019}))


def test_implausible_years_are_refused() -> None:
    with pytest.raises(ValidationError, match="year must be between"):
        Objective.model_validate(objective(target={"value": 60, "year": 3030}))


def test_the_deadline_must_come_after_the_start() -> None:
    with pytest.raises(ValidationError, match="deadline 2020-01-01 must come after start"):
        Mission.model_validate(mission(deadline="2020-01-01"))


def test_objective_ids_are_unique_within_a_mission() -> None:
    with pytest.raises(ValidationError, match="used twice"):
        Mission.model_validate(mission(objectives=[objective(), objective()]))


def test_ids_are_slugs() -> None:
    with pytest.raises(ValidationError, match="short identifier"):
        Mission.model_validate(mission(id="School Meals!"))


def test_unknown_fields_are_refused_so_typos_are_caught() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        Mission.model_validate(mission(dealine="2030-01-01"))


def test_a_mission_without_deadline_or_targets_is_still_readable_for_the_quality_check() -> None:
    m = Mission.model_validate(mission(deadline=None, objectives=[{"id": "x", "title": "Something"}]))
    assert m.deadline is None and not m.objectives[0].is_measurable


def test_trl_maps_to_stages() -> None:
    assert [stage_for_trl(t) for t in (1, 3, 4, 5, 6, 7, 8, 9)] == [
        Stage.RESEARCH,
        Stage.RESEARCH,
        Stage.DEVELOPMENT,
        Stage.DEVELOPMENT,
        Stage.DEMONSTRATION,
        Stage.DEMONSTRATION,
        Stage.DEPLOYMENT,
        Stage.DEPLOYMENT,
    ]
    with pytest.raises(ValueError):
        stage_for_trl(10)


def test_every_instrument_type_belongs_to_a_family() -> None:
    assert InstrumentType.PRE_COMMERCIAL_PROCUREMENT.family == InstrumentFamily.DEMAND
    assert InstrumentType.REGULATORY_SANDBOX.family == InstrumentFamily.REGULATION
    assert all(i.family in InstrumentFamily for i in InstrumentType)


def test_a_project_gets_its_stage_from_its_trl_and_refuses_negative_money_and_reversed_dates() -> None:
    p = Project(source="s", source_id="1", title="T", trl=6)
    assert p.stage == Stage.DEMONSTRATION
    with pytest.raises(ValidationError, match="must not be negative"):
        Project(source="s", source_id="1", title="T", budget={"amount": -1, "currency": "EUR"})
    with pytest.raises(ValidationError, match="is before start"):
        Project(source="s", source_id="1", title="T", start=dt.date(2020, 1, 1), end=dt.date(2019, 1, 1))
    with pytest.raises(ValidationError, match="ISO 4217"):
        Project(source="s", source_id="1", title="T", budget={"amount": 1, "currency": "euro"})
