"""``analyze_portfolio`` on the hand-computed portfolio of conftest.py (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from analytics_portfolio import build_portfolio

from missionboard.analytics import analyze_portfolio
from missionboard.analytics.instruments import infer_instrument
from missionboard.domain.portfolio import InstrumentType
from missionboard.errors import InputError, NotFound
from missionboard.store.workspace import Workspace


def value(section: dict[str, Any]) -> Any:
    return section["value"]


def by(rows: list[dict[str, Any]], key: str) -> dict[Any, dict[str, Any]]:
    return {r[key]: r for r in rows}


@pytest.fixture
def result(analysed: dict[str, Any]) -> dict[str, Any]:
    return analysed


def test_scope_is_accepted_links_plus_proposed_above_the_threshold(result: dict[str, Any]) -> None:
    # P1, P2, P4 accepted; P3 proposed at 0.3 < 0.5 is out; P5 rejected is out
    assert value(result["projects"]["projects"]) == 3
    assert result["mission"]["id"] == "clean-air"


def test_lowering_the_threshold_brings_in_proposed_links_flagged_as_proposed(portfolio: Workspace) -> None:
    data = analyze_portfolio(portfolio, "clean-air", threshold=0.2).to_dict()
    assert value(data["projects"]["projects"]) == 4
    assert value(data["projects"]["proposed_only"]) == 1
    o2 = by(data["coverage"]["rows"], "goal")["o2"]
    assert (o2["accepted"], o2["proposed"]) == (0, 2)


def test_budget_is_converted_with_the_rates_table_and_unconvertible_money_is_reported_apart(
    result: dict[str, Any],
) -> None:
    budget = result["budget"]
    assert budget["reporting_currency"] == "EUR"
    assert value(budget["total"]) == pytest.approx(300.0)
    assert budget["unconverted"]["rows"] == [{"currency": "USD", "amount": 50.0, "projects": 1}]


def test_sek_is_converted_at_the_start_year_rate(portfolio: Workspace) -> None:
    data = analyze_portfolio(portfolio, "clean-air", threshold=0.2).to_dict()
    assert value(data["budget"]["total"]) == pytest.approx(400.0)  # 300 + 1000 SEK × 0.1


def test_coverage_splits_budget_between_a_projects_goals_and_compares_it_with_weights(
    result: dict[str, Any],
) -> None:
    rows = by(result["coverage"]["rows"], "goal")
    assert (rows["o1"]["projects"], rows["o1"]["budget"], rows["o1"]["budget_split"]) == (3, 300.0, 200.0)
    assert rows["o1"]["share"] == pytest.approx(2 / 3)
    assert rows["o1"]["weight_share"] == pytest.approx(0.5)
    assert rows["o1"]["budget_to_weight"] == pytest.approx(4 / 3)
    assert rows["o2"]["budget_split"] == pytest.approx(100.0)
    assert rows["o3"]["projects"] == 0


def test_gaps_name_orphaned_and_unconfirmed_objectives(result: dict[str, Any]) -> None:
    gaps = {g["goal"]: g["kind"] for g in result["gaps"]["rows"]}
    assert gaps == {"o2": "unconfirmed", "o3": "orphaned"}


def test_instruments_come_from_the_field_or_are_inferred_with_the_reason_shown(
    result: dict[str, Any],
) -> None:
    rows = by(result["instruments"]["by_type"]["rows"], "instrument")
    assert rows["rd_grant"]["explicit"] == 1
    assert rows["pre_commercial_procurement"]["inferred"] == 1
    assert rows["pre_commercial_procurement"]["family"] == "demand"
    families = by(result["instruments"]["by_family"]["rows"], "family")
    assert families["demand"]["budget"] == pytest.approx(200.0)
    assert "Pre-commercial procurement" in result["instruments"]["inferences"]["rows"][0]["rule"]


def test_inference_rules_prefer_the_most_specific_instrument() -> None:
    pcp = infer_instrument("H2020-PCP", None)
    assert pcp is not None and pcp.instrument is InstrumentType.PRE_COMMERCIAL_PROCUREMENT
    msca = infer_instrument(None, "MSCA Postdoctoral Fellowships")
    assert msca is not None and msca.instrument is InstrumentType.SKILLS and msca.field == "programme"
    assert infer_instrument("Something else", None) is None


def test_stage_comes_from_trl(result: dict[str, Any]) -> None:
    stages = by(result["stages"]["by_stage"]["rows"], "stage")
    assert stages["research"]["budget"] == pytest.approx(100.0)
    assert stages["demonstration"]["budget"] == pytest.approx(200.0)
    assert stages["unknown"]["projects"] == 1


def test_helix_mix_counts_participations_and_money(result: dict[str, Any]) -> None:
    helix = by(result["helix"]["by_helix"]["rows"], "helix")
    assert helix["industry"]["participations"] == 2
    assert helix["industry"]["money"] == pytest.approx(150.0)  # 50 EUR stated + 0.5 × 200
    assert helix["research"]["money"] == pytest.approx(50.0)
    assert value(result["helix"]["multi_helix_share"]) == pytest.approx(2 / 3)


def test_geography_splits_budget_by_region_and_measures_concentration(result: dict[str, Any]) -> None:
    regions = by(result["geography"]["regions"]["rows"], "place")
    assert regions["SE2"]["budget"] == pytest.approx(200.0)
    assert value(result["geography"]["regions_hhi"]) == pytest.approx(5 / 9)


def test_timeline_spreads_spend_over_the_years_a_project_runs(result: dict[str, Any]) -> None:
    years = {r["year"]: (r["starts"], r["ends"], r["spend"]) for r in result["timeline"]["rows"]}
    assert years == {2020: (1, 0, 50.0), 2021: (1, 1, 150.0), 2022: (1, 1, 100.0)}


def test_leverage_by_hand(result: dict[str, Any]) -> None:
    # P1: 40 / 60; P2: (200 − 100) / 100 → (40 + 100) / (60 + 100) = 0.875
    assert value(result["leverage"]["total"]) == pytest.approx(0.875)
    funders = by(result["leverage"]["by_funder"]["rows"], "funder")
    assert funders["Agency A"]["leverage"] == pytest.approx(2 / 3)
    assert funders["Agency B"]["leverage"] == pytest.approx(1.0)


def test_concentration_of_funders_and_recipients_by_hand(result: dict[str, Any]) -> None:
    # funders: A 100, B 200 → (1/3)² + (2/3)² = 5/9; recipients 50, 150, 50, 50 → 1/36·3 + 1/4 = 1/3
    assert value(result["concentration"]["funders"]["hhi"]) == pytest.approx(5 / 9)
    assert value(result["concentration"]["recipients"]["hhi"]) == pytest.approx(1 / 3)


def test_network_size_silo_index_and_the_broker_by_hand(result: dict[str, Any]) -> None:
    actors = result["network"]["actors"]
    assert (value(actors["nodes"]), value(actors["edges"]), value(actors["components"])) == (4, 4, 1)
    assert value(actors["density"]) == pytest.approx(4 / 6)
    # A = {Uni X, Firm Y}, B = {City Z, NGO W}: L = 1 + 1, D_A = D_B = 4, m = 4 → Q = 2·(1/4 − 1/4) = 0
    assert value(result["network"]["silo_index"]) == pytest.approx(0.0)
    top = result["network"]["brokers"]["rows"][0]
    # Firm Y lies on the shortest paths Uni X–City Z and Uni X–NGO W: 2 / ((4−1)(4−2)/2) = 2/3
    assert (top["name"], top["betweenness"]) == ("Firm Y", pytest.approx(2 / 3))
    assert value(result["network"]["multi_funder_share"]) == 0.0


def test_funders_are_linked_by_the_actors_they_share(result: dict[str, Any]) -> None:
    funders = result["network"]["funders"]
    # Uni X (P1 by A, P4 by B) and Firm Y (P1 by A, P2 by B) work for both agencies; nothing is co-funded
    assert (value(funders["nodes"]), value(funders["edges"])) == (2, 1)
    assert funders["links"]["rows"] == [
        {"u": "Agency A", "v": "Agency B", "cofunded_projects": 0, "shared_actors": 2}
    ]


def test_dynamics_counts_new_actors_collaborations_and_cross_sector_links(result: dict[str, Any]) -> None:
    years = {
        r["year"]: (r["new_actors"], r["new_collaborations"], r["new_cross_sector"])
        for r in result["dynamics"]["rows"]
    }
    assert years[2020] == (2, 1, 1)
    assert years[2021] == (2, 3, 3)


def test_near_duplicates_funded_by_different_agencies_are_found(result: dict[str, Any]) -> None:
    pairs = result["overlaps"]["pairs"]["rows"]
    assert [(p["project_a"], p["project_b"]) for p in pairs] == [(1, 2)]


def test_diversity_reports_variety_balance_disparity_and_stirling_with_units(result: dict[str, Any]) -> None:
    for key in ("variety", "balance", "disparity", "stirling"):
        assert set(result["diversity"][key]) == {"value", "unit", "computed_from"}


def test_since_keeps_projects_active_in_or_after_that_year(portfolio: Workspace) -> None:
    data = analyze_portfolio(portfolio, "clean-air", since=2022).to_dict()
    assert value(data["projects"]["projects"]) == 2  # P2 ends 2022, P4 starts 2022


def test_the_whole_portfolio_is_analysed_without_a_mission(portfolio: Workspace) -> None:
    data = analyze_portfolio(portfolio).to_dict()
    assert data["mission"] is None
    assert value(data["projects"]["projects"]) == 5
    assert value(data["budget"]["total"]) == pytest.approx(410.0)


def test_unknown_mission_and_bad_threshold_are_user_errors(portfolio: Workspace) -> None:
    with pytest.raises(NotFound):
        analyze_portfolio(portfolio, "no-such-mission")
    with pytest.raises(NotFound):
        analyze_portfolio(portfolio, taxonomy="no-such-taxonomy")
    with pytest.raises(InputError):
        analyze_portfolio(portfolio, "clean-air", threshold=1.5)


def test_an_empty_workspace_gives_an_empty_analysis(workspace: Workspace) -> None:
    data = analyze_portfolio(workspace).to_dict()
    assert value(data["projects"]["projects"]) == 0
    assert data["coverage"]["rows"] == []


def test_without_scheme_the_instrument_is_inferred_from_an_unmistakable_phrase_in_the_text(
    portfolio: Workspace,
) -> None:
    data = analyze_portfolio(portfolio).to_dict()  # P5: no instrument, no scheme, "purchase premium"
    rows = by(data["instruments"]["by_type"]["rows"], "instrument")
    assert rows["adoption_subsidy"]["inferred"] == 1
    rules = [r["rule"] for r in data["instruments"]["inferences"]["rows"]]
    assert "'purchase premium' in the project's title or abstract" in rules


def test_generic_words_in_text_do_not_make_an_instrument() -> None:
    from missionboard.analytics.instruments import infer_instrument_from_text

    assert infer_instrument_from_text("A research network platform with training and information") is None
    found = infer_instrument_from_text("Financed by a green loan from the state bank")
    assert found is not None and found.instrument is InstrumentType.LOAN


def test_another_taxonomys_goals_come_from_the_goals_table(portfolio: Workspace) -> None:
    from missionboard.store.tables import GoalRow, LinkRow, TaxonomyRow

    with portfolio.transaction() as session:
        session.add(TaxonomyRow(code="sdg", title="Sustainable Development Goals"))
        session.flush()
        session.add_all(
            [GoalRow(taxonomy_code="sdg", code=c, title=t) for c, t in (("3", "Health"), ("11", "Cities"))]
        )
        session.add(
            LinkRow(project_id=1, taxonomy="sdg", goal="11", score=0.9, method="manual", status="accepted")
        )
    data = analyze_portfolio(portfolio, taxonomy="sdg").to_dict()
    coverage = by(data["coverage"]["rows"], "goal")
    assert (coverage["11"]["title"], coverage["11"]["projects"], coverage["3"]["projects"]) == (
        "Cities",
        1,
        0,
    )
    assert {g["goal"]: g["kind"] for g in data["gaps"]["rows"]} == {"3": "orphaned", "11": "thin"}
    assert value(data["budget"]["total"]) == pytest.approx(100.0)


def test_themes_use_the_embeddings_mapping_cached_and_stirling_follows_by_hand(portfolio: Workspace) -> None:
    import numpy as np

    from missionboard.mapping.embedding import text_hash
    from missionboard.services.mapping import project_text_of
    from missionboard.store.mapping_tables import EmbeddingRow
    from missionboard.store.tables import ProjectRow

    east, north = np.array([1, 0, 0, 0], np.float16), np.array([0, 1, 0, 0], np.float16)
    with portfolio.transaction() as session:
        for project in session.query(ProjectRow).all():
            vector = east if project.id in (1, 2) else north  # two orthogonal themes
            session.add(
                EmbeddingRow(
                    text_hash=text_hash(project_text_of(project.title, project.abstract)),
                    model="use-multilingual-v3/128",
                    dim=4,
                    vector=vector.reshape(1, 4).tobytes(),
                )
            )
    data = analyze_portfolio(portfolio).to_dict()
    diversity = data["diversity"]
    assert "use-multilingual-v3/128" in diversity["stirling"]["computed_from"]
    # budgets: theme {P1, P2} = 100 + 200 EUR; theme {P3, P4, P5} = 100 (1000 SEK) + unconverted + 10
    p = 300 / 410
    assert value(diversity["variety"]) == 2
    assert value(diversity["disparity"]) == pytest.approx(1.0, abs=1e-6)
    assert value(diversity["stirling"]) == pytest.approx(2 * p * (1 - p), abs=1e-6)


@pytest.mark.parametrize(
    "section", ["governance", "logic", "cofunding", "conditions", "disciplines", "gender"]
)
def test_a_mission_in_an_in_memory_workspace_gets_the_structure_sections_a_file_gets(
    sqlite_portfolio: Workspace, section: str
) -> None:
    # the structure sections are read in a thread of their own; an in-memory database is per thread
    in_memory = build_portfolio(Workspace.open("sqlite:///:memory:", create=True))
    try:
        found = analyze_portfolio(in_memory, "clean-air").to_dict()[section]
    finally:
        in_memory.close()
    assert found == analyze_portfolio(sqlite_portfolio, "clean-air").to_dict()[section]
