"""``landscape analyze``: the figures of one mission's landscape, recomputed here in plain Python over the
same records and with pyarrow over the Parquet files, are the ones the analysis stores; organisations of
the portfolio are never "outside" it; a rerun replaces the summary, a deleted mission takes it along; a bad
input folder is named; the migration downgrades cleanly. On SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from alembic import command
from alembic.config import Config
from analyze_support import (
    MISSION,
    PORTFOLIO,
    SCHEMA,
    SHARED_DATA,
    cordis_records,
    portfolio_organisations,
    record,
    save_mission,
    seed_portfolio,
    write_output,
    write_parquet,
)
from sqlalchemy import create_engine, func, inspect, select

from missionboard.domain.landscape import MissionLandscape, ObjectiveLandscape
from missionboard.errors import InputError, NotFound
from missionboard.ingest.base import normalize_name
from missionboard.landscape.records import OUTPUT_SCHEMA
from missionboard.services.landscape import analyze_landscape, mission_landscape
from missionboard.services.missions import delete_mission
from missionboard.store.landscape_tables import (
    LANDSCAPE_ACTIVITY,
    LANDSCAPE_OBJECTIVES,
    LANDSCAPE_ORGANISATIONS,
    LANDSCAPE_RUNS,
)
from missionboard.store.tables import ActorAliasRow, ActorRow, AuditEventRow, ProjectRow
from missionboard.store.workspace import MIGRATIONS, Workspace

LANDSCAPE_TABLES = {"landscape_runs", "landscape_objectives", "landscape_activity", "landscape_organisations"}
ATTRIBUTION = {
    "decarbonise": ["decarbonise"],
    "health": ["health"],
    "quiet": ["quiet"],
    "ecosystems": ["decarbonise"],
}
"""The mission's goals and the objectives a label on each counts for (the outcome leads to decarbonise)."""


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The CORDIS sample labelled once for the module (the classifier needs the mission in a workspace)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared sample data not found at {SHARED_DATA}")
    ws = Workspace.open(f"sqlite:///{tmp_path_factory.mktemp('label') / 'label.db'}", create=True)
    try:
        save_mission(ws)
        return cordis_records(SHARED_DATA / "cordis", ws)
    finally:
        ws.close()


@pytest.fixture
def mapped(records: list[dict[str, Any]], tmp_path: Path) -> Path:
    return write_output(tmp_path / "mapped", records)


@pytest.fixture
def cleantech(workspace: Workspace, shared_data: Path) -> Workspace:
    seed_portfolio(workspace, shared_data / "cordis")
    return workspace


# --- the figures, recomputed -------------------------------------------------------------------------


@dataclass
class Expected:
    """One objective's figures, counted record by record."""

    records: int = 0
    money: float = 0.0
    with_money: int = 0
    years: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    countries: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    fields: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    organisations: dict[str, list[tuple[int | None, float]]] = field(
        default_factory=lambda: defaultdict(list)
    )


def recount(records: list[dict[str, Any]], min_score: float = 0.5) -> dict[str, Expected]:
    found: dict[str, Expected] = defaultdict(Expected)
    for r in records:
        objectives = {
            o
            for label in r["labels"]
            if label["score"] >= min_score
            for o in ATTRIBUTION.get(label["goal"], [])
        }
        amount = r["amount_eur"] or 0.0
        for objective in objectives:
            e = found[objective]
            e.records += 1
            e.money += amount
            e.with_money += r["amount_eur"] is not None
            if r["year"] is not None:
                e.years[r["year"]].append(amount)
            for country in {c.strip().upper() for c in r["countries"] if c.strip()}:
                e.countries[country].append(amount)
            for name in {f.strip() for f in r["fields"] if f.strip()}:
                e.fields[name].append(amount)
            for key in {normalize_name(n) for n in r["organisations"]} - {""}:
                e.organisations[key].append((r["year"], amount))
    return found


def ranked(activity: dict[str, list[float]]) -> list[tuple[str, int, float]]:
    return sorted(((k, len(v), sum(v)) for k, v in activity.items()), key=lambda a: (-a[1], -a[2], a[0]))


def organisation_ranking(e: Expected) -> list[tuple[str, int, float, int | None]]:
    rows = []
    for key, seen in e.organisations.items():
        years = [year for year, _ in seen if year is not None]
        rows.append((key, len(seen), sum(amount for _, amount in seen), min(years) if years else None))
    return sorted(rows, key=lambda o: (-o[1], -o[2], o[0]))


def by_objective(found: MissionLandscape) -> dict[str, ObjectiveLandscape]:
    return {o.objective: o for o in found.objectives}


@pytest.fixture
def analysed(cleantech: Workspace, mapped: Path) -> MissionLandscape:
    return analyze_landscape(cleantech, MISSION, mapped, user="analyst", recent_years=2, top=5)


def test_the_landscape_counts_each_record_once_per_objective_it_is_labelled_for(
    analysed: MissionLandscape, records: list[dict[str, Any]]
) -> None:
    expected = recount(records)
    for objective in ("decarbonise", "health"):
        got, e = by_objective(analysed)[objective], expected[objective]
        assert (got.records, got.records_with_money) == (e.records, e.with_money), objective
        assert got.money == pytest.approx(e.money), objective


def test_an_objective_no_record_is_labelled_for_has_no_landscape(analysed: MissionLandscape) -> None:
    quiet = by_objective(analysed)["quiet"]
    assert (quiet.records, quiet.money, quiet.organisations, quiet.by_year) == (0, 0.0, 0, ())


def test_a_label_on_an_outcome_counts_for_the_objective_it_leads_to(
    analysed: MissionLandscape, records: list[dict[str, Any]]
) -> None:
    only_outcome = [r for r in records if {label["goal"] for label in r["labels"]} == {"ecosystems"}]
    assert only_outcome, "the sample has records labelled only for the outcome"
    assert by_objective(analysed)["decarbonise"].records == recount(records)["decarbonise"].records
    assert (
        recount(records)["decarbonise"].records
        > recount([r for r in records if r not in only_outcome])["decarbonise"].records
    )


def test_activity_by_year_country_and_field_is_the_recount(
    analysed: MissionLandscape, records: list[dict[str, Any]]
) -> None:
    e = recount(records)["decarbonise"]
    got = by_objective(analysed)["decarbonise"]
    assert [(a.value, a.records) for a in got.by_year] == [
        (str(y), len(v)) for y, v in sorted(e.years.items())
    ]
    assert [a.money for a in got.by_year] == pytest.approx([sum(v) for _, v in sorted(e.years.items())])
    assert [(a.value, a.records) for a in got.by_country] == [(k, n) for k, n, _ in ranked(e.countries)]
    assert [(a.value, a.records) for a in got.by_field] == [(k, n) for k, n, _ in ranked(e.fields)[:5]]
    assert (got.countries, got.fields) == (len(e.countries), len(e.fields))


def test_organisations_are_ranked_by_records_then_money(
    analysed: MissionLandscape, records: list[dict[str, Any]]
) -> None:
    e = recount(records)["decarbonise"]
    got = by_objective(analysed)["decarbonise"]
    ranking = organisation_ranking(e)
    assert got.organisations == len(ranking)
    assert [(o.key, o.records, o.first_year) for o in got.most_active()] == [
        (k, n, y) for k, n, _, y in ranking[:5]
    ]


def test_organisations_in_the_portfolio_are_not_among_those_outside_it(
    analysed: MissionLandscape, records: list[dict[str, Any]], shared_data: Path
) -> None:
    ours = {normalize_name(n) for n in portfolio_organisations(shared_data / "cordis")}
    got = by_objective(analysed)["decarbonise"]
    ranking = organisation_ranking(recount(records)["decarbonise"])
    outside = [key for key, *_ in ranking if key not in ours]
    assert ours & {key for key, *_ in ranking}, "the portfolio's participants are active in the landscape"
    assert [o.key for o in got.not_in_portfolio()] == outside[:5]
    assert got.outside_portfolio == len(outside)
    assert not ours & {o.key for o in got.not_in_portfolio()}
    assert {o.key for o in got.most_active() if o.in_portfolio} <= ours


def test_growth_and_newcomers_compare_the_recent_years_with_as_many_before(
    analysed: MissionLandscape, records: list[dict[str, Any]]
) -> None:
    counted = [r for r in records if any(label["score"] >= 0.5 for label in r["labels"])]
    latest = max(r["year"] for r in counted if r["year"] is not None)
    recent, earlier = range(latest - 1, latest + 1), range(latest - 3, latest - 1)
    e = recount(records)["decarbonise"]
    got = by_objective(analysed)["decarbonise"]
    assert analysed.run is not None and analysed.run.latest_year == latest
    in_recent = sum(len(v) for y, v in e.years.items() if y in recent)
    in_earlier = sum(len(v) for y, v in e.years.items() if y in earlier)
    assert (got.recent_records, got.earlier_records) == (in_recent, in_earlier)
    assert got.growth == pytest.approx(in_recent / in_earlier - 1)
    newcomers = [k for k, _, _, first in organisation_ranking(e) if first is not None and first in recent]
    assert got.newcomer_count == len(newcomers)
    assert [o.key for o in got.newcomers()] == newcomers[:5]


def test_the_portfolios_share_sets_its_projects_and_money_beside_the_landscapes(
    analysed: MissionLandscape, cleantech: Workspace, records: list[dict[str, Any]]
) -> None:
    with cleantech.reading() as session:
        budgets = dict(
            session.execute(
                select(ProjectRow.source_id, ProjectRow.budget_amount).where(
                    ProjectRow.source_id.in_(PORTFOLIO)
                )
            ).all()
        )
    mine = float(budgets["101113277"] + budgets["101071876"])  # decarbonise: directly and through the outcome
    got = by_objective(analysed)["decarbonise"]
    e = recount(records)["decarbonise"]
    assert (got.portfolio_projects, got.portfolio_money) == (2, pytest.approx(mine))
    assert got.project_share == pytest.approx(2 / e.records)
    assert got.money_share == pytest.approx(mine / e.money)
    run = analysed.run
    assert run is not None and run.portfolio_money == pytest.approx(float(sum(budgets.values())))
    overall = run.portfolio_money / run.money
    assert [o.objective for o in analysed.objectives if o.thin] == [
        o.objective for o in analysed.objectives if o.money_share is not None and o.money_share < overall / 2
    ]


def test_the_run_records_its_input_time_and_counts(
    analysed: MissionLandscape, mapped: Path, records: list[dict[str, Any]]
) -> None:
    run = analysed.run
    assert run is not None
    counted = {r["id"] for r in records if any(label["score"] >= 0.5 for label in r["labels"])}
    assert (run.input, run.files, run.records_read, run.records) == (
        str(mapped),
        2,
        len(records),
        len(counted),
    )
    assert (run.analyzed_by, run.taxonomy, run.min_score) == ("analyst", "mission:cleantech", 0.5)


def test_money_by_year_recomputed_from_the_parquet_files_is_the_one_in_the_summary_tables(
    analysed: MissionLandscape, cleantech: Workspace, mapped: Path
) -> None:
    """Independently of the analysis: pyarrow (not DuckDB) over the part files the map wrote, against the
    rows stored in the workspace (not the model the analysis returned)."""
    parts = sorted(mapped.glob("**/part-*.parquet"))
    table = pa.concat_tables(
        pq.read_table(path, columns=["id", "labels", "year", "amount_eur"]) for path in parts
    )
    labels = table["labels"].combine_chunks()
    flat = pc.list_flatten(labels)
    counting = pc.and_(
        pc.is_in(pc.struct_field(flat, "goal"), value_set=pa.array(["decarbonise", "ecosystems"])),
        pc.greater_equal(pc.struct_field(flat, "score"), 0.5),
    )
    rows = pc.unique(pc.filter(pc.list_parent_indices(labels), counting))
    per_year = (
        table.take(rows)
        .filter(pc.is_valid(table.take(rows)["year"]))
        .group_by("year")
        .aggregate([("id", "count_distinct"), ("amount_eur", "sum")])
        .sort_by("year")
    )
    expected = [
        (str(year), n, money or 0.0)
        for year, n, money in zip(
            per_year["year"].to_pylist(),
            per_year["id_count_distinct"].to_pylist(),
            per_year["amount_eur_sum"].to_pylist(),
            strict=True,
        )
    ]
    activity = LANDSCAPE_ACTIVITY
    with cleantech.reading() as session:
        stored = session.execute(
            select(activity.c.value, activity.c.records, activity.c.money)
            .where(activity.c.objective == "decarbonise", activity.c.dimension == "year")
            .order_by(activity.c.position)
        ).all()
    assert len(expected) > 2, "the sample spreads over several years"
    assert [(value, n) for value, n, _ in stored] == [(value, n) for value, n, _ in expected]
    assert [money for *_, money in stored] == pytest.approx([money for *_, money in expected])


def test_what_is_read_back_is_what_the_analysis_returned(
    analysed: MissionLandscape, cleantech: Workspace
) -> None:
    assert mission_landscape(cleantech, MISSION).to_dict() == analysed.to_dict()


def test_organisations_resolve_to_the_workspaces_actors(
    analysed: MissionLandscape, cleantech: Workspace
) -> None:
    listed = [o for o in by_objective(analysed)["decarbonise"].top_organisations]
    with cleantech.reading() as session:
        actors = dict(session.execute(select(ActorRow.normalized_name, ActorRow.id)).all())
    assert listed and all(o.actor_id == actors[o.key] for o in listed)


# --- rules on small hand-made landscapes -------------------------------------------------------------


def test_the_hand_made_landscapes_have_the_columns_and_types_landscape_map_writes() -> None:
    assert SCHEMA.equals(OUTPUT_SCHEMA)


@pytest.fixture
def mission_only(workspace: Workspace) -> Workspace:
    save_mission(workspace)
    return workspace


def test_a_record_twice_in_the_output_counts_once(mission_only: Workspace, tmp_path: Path) -> None:
    twice = record("w1", ("decarbonise", 0.9), year=2024, amount_eur=100.0, organisations=["Sintef AS"])
    write_parquet(tmp_path / "out" / "part-0.parquet", [twice])
    write_parquet(tmp_path / "out" / "part-1.parquet", [twice, record("w2", ("health", 0.8), year=2023)])
    found = by_objective(analyze_landscape(mission_only, MISSION, tmp_path / "out", user="t"))
    assert (found["decarbonise"].records, found["decarbonise"].money) == (1, 100.0)


@pytest.mark.parametrize(
    ("min_score", "counted"),
    [(0.5, 1), (0.3, 2), (0.95, 0)],
)
def test_a_label_counts_from_the_minimum_score_on(
    mission_only: Workspace, tmp_path: Path, min_score: float, counted: int
) -> None:
    write_parquet(
        tmp_path / "out" / "part-0.parquet",
        [record("a", ("decarbonise", 0.9)), record("b", ("decarbonise", 0.4)), record("c", ("sdg-13", 0.99))],
    )
    found = analyze_landscape(mission_only, MISSION, tmp_path / "out", user="t", min_score=min_score)
    assert by_objective(found)["decarbonise"].records == counted


def test_labels_for_goals_outside_the_mission_are_counted_apart(
    mission_only: Workspace, tmp_path: Path
) -> None:
    write_parquet(tmp_path / "out" / "p.parquet", [record("a", ("sdg-13", 0.9), ("decarbonise", 0.7))])
    found = analyze_landscape(mission_only, MISSION, tmp_path / "out", user="t")
    assert found.run is not None and (found.run.records, found.run.other_labels) == (1, 1)


def test_spellings_of_one_organisation_are_one_organisation(mission_only: Workspace, tmp_path: Path) -> None:
    write_parquet(
        tmp_path / "out" / "p.parquet",
        [
            record("a", ("health", 0.9), organisations=["Aarhus Universitet"], year=2020),
            record(
                "b",
                ("health", 0.9),
                organisations=["AARHUS UNIVERSITET", "aarhus universitet, AS"],
                year=2021,
            ),
            record("c", ("health", 0.9), organisations=["AARHUS UNIVERSITET"], year=2022),
        ],
    )
    health = by_objective(analyze_landscape(mission_only, MISSION, tmp_path / "out", user="t"))["health"]
    assert [(o.name, o.records, o.first_year) for o in health.most_active()] == [
        ("AARHUS UNIVERSITET", 3, 2020)
    ]


def test_an_organisation_known_by_an_alias_of_a_portfolio_actor_is_in_the_portfolio(
    cleantech: Workspace, tmp_path: Path
) -> None:
    ours = portfolio_organisations(SHARED_DATA / "cordis")[0]
    with cleantech.transaction() as session:
        actor = session.scalar(select(ActorRow.id).where(ActorRow.normalized_name == normalize_name(ours)))
        session.add(ActorAliasRow(actor_id=actor, source="openalex", name="Former Name of Our Partner GmbH"))
    write_parquet(
        tmp_path / "out" / "p.parquet",
        [record("w", ("decarbonise", 0.9), organisations=["Former name of our partner", "A Stranger Ltd"])],
    )
    found = by_objective(analyze_landscape(cleantech, MISSION, tmp_path / "out", user="t"))["decarbonise"]
    assert [o.name for o in found.not_in_portfolio()] == ["A Stranger Ltd"]
    assert [o.actor_id for o in found.most_active() if o.in_portfolio] == [actor]


def test_missing_optional_columns_read_as_empty(mission_only: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    labels = [[{"goal": "health", "score": 0.9, "evidence": "{}"}]]
    pq.write_table(pa.table({"id": ["only-id"], "labels": labels}), folder / "part-0.parquet")
    health = by_objective(analyze_landscape(mission_only, MISSION, folder, user="t"))["health"]
    assert (health.records, health.money, health.by_year, health.organisations) == (1, 0.0, (), 0)


# --- a rerun, and what is refused ---------------------------------------------------------------------


def test_a_rerun_replaces_the_missions_landscape_and_keeps_the_run_as_history(
    mission_only: Workspace, tmp_path: Path
) -> None:
    first = write_parquet(
        tmp_path / "one" / "p.parquet", [record("a", ("health", 0.9), organisations=["Old Partner"])]
    )
    analyze_landscape(mission_only, MISSION, first.parent, user="t")
    write_parquet(
        tmp_path / "two" / "p.parquet", [record("b", ("decarbonise", 0.9), organisations=["New Partner"])]
    )
    second = analyze_landscape(mission_only, MISSION, tmp_path / "two", user="t")
    read = mission_landscape(mission_only, MISSION)
    assert read.to_dict() == second.to_dict()
    assert by_objective(read)["health"].records == 0
    with mission_only.reading() as session:
        runs = session.scalar(select(func.count()).select_from(LANDSCAPE_RUNS))
        summaries = session.scalar(select(func.count(func.distinct(LANDSCAPE_OBJECTIVES.c.run_id))))
        names = session.scalars(select(LANDSCAPE_ORGANISATIONS.c.name)).all()
        audited = session.scalar(
            select(func.count()).select_from(AuditEventRow).where(AuditEventRow.action == "landscape.analyze")
        )
    assert (runs, summaries, names, audited) == (2, 1, ["New Partner"], 2)


def test_deleting_a_mission_deletes_its_landscape(mission_only: Workspace, tmp_path: Path) -> None:
    write_parquet(tmp_path / "out" / "p.parquet", [record("a", ("health", 0.9), organisations=["Partner"])])
    analyze_landscape(mission_only, MISSION, tmp_path / "out", user="t")
    delete_mission(mission_only, MISSION, user="t")
    with mission_only.reading() as session:
        left = [
            session.scalar(select(func.count()).select_from(table))
            for table in (LANDSCAPE_RUNS, LANDSCAPE_OBJECTIVES, LANDSCAPE_ACTIVITY, LANDSCAPE_ORGANISATIONS)
        ]
    assert left == [0, 0, 0, 0]


def test_the_landscape_migration_downgrades_cleanly_and_an_opened_workspace_has_its_tables_again(
    database_url: str,
) -> None:
    Workspace.open(database_url, create=True).close()
    engine = create_engine(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    command.downgrade(config, "landscape_0001@-1")
    left = set(inspect(engine).get_table_names())
    engine.dispose()
    reopened = Workspace.open(database_url)  # upgraded when opened
    try:
        again = set(inspect(reopened.engine).get_table_names())
        assert "landscape_0001" in reopened.revision()
    finally:
        reopened.close()
    assert ("projects" in left, LANDSCAPE_TABLES & left) == (True, set())
    assert again >= LANDSCAPE_TABLES


def test_a_mission_never_analysed_has_an_empty_landscape(mission_only: Workspace) -> None:
    found = mission_landscape(mission_only, MISSION)
    assert (found.run, found.objectives, found.to_dict()["analyzed"]) == (None, (), False)


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda root: root / "nowhere", "no such folder"),
        (lambda root: _file(root / "a-file.parquet"), "not a folder"),
        (lambda root: _folder(root / "empty"), "holds no Parquet files"),
        (lambda root: _only_staged(root / "staged"), "holds no Parquet files"),
        (lambda root: _without_labels(root / "nolabels"), "no column labels"),
    ],
    ids=["missing", "a file", "empty", "only staged input", "not mapped"],
)
def test_a_bad_input_folder_is_refused_with_its_path(
    mission_only: Workspace, tmp_path: Path, make: Any, says: str
) -> None:
    bad = make(tmp_path)
    with pytest.raises(InputError, match=says) as raised:
        analyze_landscape(mission_only, MISSION, bad, user="t")
    assert str(bad) in str(raised.value)
    assert mission_landscape(mission_only, MISSION).run is None


def test_a_landscape_mapped_to_another_taxonomy_is_refused(mission_only: Workspace, tmp_path: Path) -> None:
    folder = write_output(tmp_path / "out", [record("a", ("decarbonise", 0.9))], taxonomy="sdg")
    with pytest.raises(InputError, match="mapped to 'sdg'"):
        analyze_landscape(mission_only, MISSION, folder, user="t")


def test_an_unknown_mission_is_not_found(mission_only: Workspace, tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        analyze_landscape(mission_only, "no-such-mission", tmp_path, user="t")


@pytest.mark.parametrize(("option", "value"), [("min_score", 1.5), ("recent_years", 0), ("top", 0)])
def test_options_out_of_range_are_refused(
    mission_only: Workspace, tmp_path: Path, option: str, value: float
) -> None:
    with pytest.raises(InputError, match=option.replace("_", "-")):
        analyze_landscape(mission_only, MISSION, tmp_path, user="t", **{option: value})


def _file(path: Path) -> Path:
    path.write_text("not parquet", encoding="utf-8")
    return path


def _folder(path: Path) -> Path:
    path.mkdir()
    (path / "_manifest.json").write_text(json.dumps({"taxonomy": "mission:cleantech"}), encoding="utf-8")
    return path


def _only_staged(path: Path) -> Path:
    write_parquet(path / "_staging" / "chunk-00000.parquet", [record("a", ("health", 0.9))])
    return path


def _without_labels(path: Path) -> Path:
    path.mkdir()
    pq.write_table(pa.table({"id": ["a"], "text": ["no labels here"]}), path / "part-0.parquet")
    return path
