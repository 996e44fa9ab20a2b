"""Quick reads (``store/quick.py``) answer exactly as the ordinary way does, and step aside where they can't.

``missionboard mission list``, ``info``, ``mission show``, ``export``, ``history``, ``diff``,
``decisions`` (of every project or of one mission's portfolio), ``gate calendar``, ``gate list``, ``indicators list``, ``ingest runs``, ``rates list``, ``users list``, ``taxonomy list``,
``consult list`` and ``learn list`` (also ``--search`` and ``--about``) read a current SQLite workspace with the standard library's ``sqlite3`` so that they start
in ≤ 0.3 s (issue 15 item 7, issue 19 item 5). Whatever way they take, the answer must be the same: these
tests build one workspace and ask both ways, also after edits, and compare what the commands print.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from missionboard.domain.consultations import Answer, Submission
from missionboard.domain.missions import HelixType, Level
from missionboard.errors import NotFound
from missionboard.ingest.engine import run_import
from missionboard.mapping import taxonomy as taxonomies
from missionboard.services import (
    accounts,
    consultations,
    decisions,
    glance,
    glance_admin,
    glance_consultations,
    glance_learning,
    glance_mapping,
    glance_missions,
    glance_monitoring,
    ingest,
    learning,
    mapping,
    missions,
    monitoring,
)
from missionboard.services import workspace as ordinary
from missionboard.services.demo.build import mission_files
from missionboard.services.missions import import_missions, list_missions
from missionboard.settings import Settings
from missionboard.store import quick
from missionboard.store.contents import COUNTED, record_counts
from missionboard.store.quick import MissionSummary, QuickReader
from missionboard.store.tables import LinkRow
from missionboard.store.workspace import Workspace


def _portfolio_csv(path: Path) -> Path:
    rows = ["id,title,abstract,budget,currency,start_date"]
    rows += [
        f"p-{i},Project {i},School meals and food waste {i},{1000 + i},EUR,2024-0{1 + i % 9}-01"
        for i in range(12)
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    """A SQLite workspace with the demo's missions and a small portfolio, closed again."""
    path = tmp_path / "ws.db"
    workspace = Workspace.open(f"sqlite:///{path}", create=True)
    import_missions(workspace, mission_files(), user="tester")
    run_import(workspace, "csv", [_portfolio_csv(tmp_path / "p.csv")], source="agency", user="tester")
    workspace.close()
    return path


def _decide(workspace: Workspace) -> None:
    """A decision of each kind on the portfolio of ``filled`` (one at a gate with its criteria, a scale
    with its amount, a pivot with its plan, a stop releasing the unpaid budget), an appeal that overturned
    the stop and one still open against the pivot."""
    decisions.schedule_gate(
        workspace, "agency:p-1", "G1", dt.date.today(), ["Pilot running", "Costs on plan"], user="tester"
    )
    decisions.record_decision(workspace, "agency:p-1", "continue", "On plan", "Board", gate="G1", met=[1])
    decisions.record_decision(
        workspace, "agency:p-2", "scale", "Works well", "Board", amount="2500.5", currency="EUR"
    )
    decisions.record_decision(workspace, "agency:p-3", "pivot", "New direction", "Board", plan="Try B")
    decisions.record_decision(workspace, "agency:p-4", "stop", "No results", "Board")
    stop, pivot = decisions.list_decisions(workspace)[:2]
    appeal = decisions.lodge_appeal(workspace, stop.id, "The milestones were met", user="p4")
    assert appeal.id is not None
    decisions.rule_appeal(workspace, appeal.id, "overturned", "They were", user="chair")
    decisions.lodge_appeal(workspace, pivot.id, "Too late", user="p3")


OBSERVATIONS = """indicator,year,value,geography,source,unit,name
meals_organic_share,2020,31.5,SE,Statistics Sweden,%,Organic share of school meals
meals_organic_share,2021,33,SE,Statistics Sweden,%,Organic share of school meals
meals_organic_share,2021,29,NO,SSB,%,Organic share of school meals
food_waste_kg,2019,12.25,,Agency survey,kg per pupil,Food waste per pupil
"""
"""Two indicators: one observed in two geographies, one with no geography."""


def _observe(workspace: Workspace, folder: Path, text: str = OBSERVATIONS) -> None:
    path = folder / "observations.csv"
    path.write_text(text, encoding="utf-8")
    monitoring.import_indicators(workspace, path, user="tester")


@pytest.fixture
def decided(filled: Path) -> Path:
    """``filled`` with a decision of each kind and two appeals (``_decide``) and two indicators' observations
    (``OBSERVATIONS``), closed again."""
    workspace = Workspace.open(f"sqlite:///{filled}")
    _decide(workspace)
    _observe(workspace, filled.parent)
    workspace.close()
    return filled


def _renamed_school_meals(folder: Path) -> Path:
    """The demo's school-meals mission with another title: importing it makes version 2."""
    source = next(path for path in mission_files() if path.name == "school-meals.yaml")
    changed = folder / "school-meals.yaml"
    changed.write_text(
        source.read_text(encoding="utf-8").replace("title: ", "title: Renamed ", 1), encoding="utf-8"
    )
    return changed


def _ordinary_list(path: Path, asked: list[str]):  # type: ignore[no-untyped-def]
    """``mission list`` the ordinary way, noting in ``asked`` that it was taken."""

    def answer() -> list[MissionSummary]:
        asked.append("missions")
        workspace = Workspace.open(f"sqlite:///{path}")
        try:
            return missions.mission_summaries(workspace)
        finally:
            workspace.close()

    return answer


def test_the_quick_mission_list_equals_the_ordinary_one(filled: Path) -> None:
    workspace = Workspace.open(f"sqlite:///{filled}")
    expected = [missions.mission_summary(version) for version in list_missions(workspace)]
    workspace.close()
    reader = QuickReader.open(filled)
    assert reader is not None
    with reader:
        assert reader.mission_summaries() == expected
    assert len(expected) == len(mission_files())
    assert all(summary.objectives > 0 for summary in expected)


def test_a_new_version_of_a_mission_is_what_the_quick_list_shows(filled: Path, tmp_path: Path) -> None:
    workspace = Workspace.open(f"sqlite:///{filled}")
    import_missions(workspace, [_renamed_school_meals(tmp_path)], user="tester")
    expected = [missions.mission_summary(version) for version in list_missions(workspace)]
    workspace.close()
    reader = QuickReader.open(filled)
    assert reader is not None
    with reader:
        quick_list = reader.mission_summaries()
    assert quick_list == expected
    school = next(s for s in quick_list if s.id == "school-meals")
    assert school.version == 2
    assert school.title.startswith("Renamed ")


def test_the_quick_counts_equal_the_ordinary_counts(filled: Path) -> None:
    workspace = Workspace.open(f"sqlite:///{filled}")
    with workspace.reading() as session:
        expected = record_counts(session)
    workspace.close()
    reader = QuickReader.open(filled)
    assert reader is not None
    with reader:
        assert reader.record_counts() == expected
    assert expected["projects"] == 12
    assert expected["missions"] == len(mission_files())


def test_info_reads_the_same_summary_either_way(filled: Path) -> None:
    settings = Settings(workspace=filled)
    workspace = Workspace.open(settings.url())
    ordinary_summary = ordinary.workspace_summary(workspace, settings.url())
    workspace.close()
    asked: list[str] = []
    quick_summary = glance.workspace_summary(settings, lambda: asked.append("info") or ordinary_summary)
    assert asked == [], "a current SQLite workspace is read without opening it the ordinary way"
    assert quick_summary.to_dict() == ordinary_summary.to_dict()


def test_a_database_url_takes_the_ordinary_way(filled: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{filled}")
    asked: list[str] = []
    summaries = glance.mission_summaries(settings, _ordinary_list(filled, asked))
    assert asked == ["missions"]
    reader = QuickReader.open(filled)
    assert reader is not None
    with reader:
        assert summaries == reader.mission_summaries()


def test_a_schema_that_is_not_current_is_left_to_the_ordinary_way(filled: Path) -> None:
    with sqlite3.connect(filled) as connection:
        connection.execute("DELETE FROM alembic_version WHERE version_num = 'perf_0001'")
    connection.close()
    assert QuickReader.open(filled) is None


@pytest.mark.parametrize("content", [None, b"", b"this is not a database at all" * 100])
def test_a_missing_empty_or_foreign_file_is_left_to_the_ordinary_way(
    tmp_path: Path, content: bytes | None
) -> None:
    path = tmp_path / "ws.db"
    if content is not None:
        path.write_bytes(content)
    assert QuickReader.open(path) is None


def test_a_sqlite_database_that_is_no_workspace_is_left_to_the_ordinary_way(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (x)")
    connection.close()
    assert QuickReader.open(path) is None


def test_a_quick_read_changes_nothing_in_the_workspace(decided: Path) -> None:
    filled = decided
    before = (filled.read_bytes(), filled.stat().st_mtime_ns)
    reader = QuickReader.open(filled)
    assert reader is not None
    with reader:
        reader.mission_summaries()
        reader.record_counts()
        reader.mission("school-meals")
        reader.mission_history("school-meals")
        reader.mission_yaml("school-meals", 1)
        reader.decisions()
        reader.indicators()
    assert (filled.read_bytes(), filled.stat().st_mtime_ns) == before
    wal = filled.with_name(filled.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0


def test_the_quick_counts_and_the_ordinary_counts_count_the_same_tables() -> None:
    assert list(quick._COUNTS) == list(quick.COUNTED_TABLES) == list(COUNTED)
    for name, table in quick.COUNTED_TABLES.items():
        assert quick._COUNTS[name] == f"SELECT count(*) FROM {table}"
        assert COUNTED[name].name == table


MissionRead = Callable[[Settings, Callable[[], Any]], Any]
"""A read of one mission through ``services.glance_missions``, given the ordinary way to fall back on."""
OrdinaryRead = Callable[[Workspace], Any]

MISSION_READS: dict[str, tuple[MissionRead, OrdinaryRead]] = {
    "show": (
        lambda s, o: glance_missions.mission_version(s, "school-meals", None, o),
        lambda ws: missions.get_mission(ws, "school-meals"),
    ),
    "show --version 1": (
        lambda s, o: glance_missions.mission_version(s, "school-meals", 1, o),
        lambda ws: missions.get_mission(ws, "school-meals", 1),
    ),
    "export": (
        lambda s, o: glance_missions.mission_yaml(s, "school-meals", None, o),
        lambda ws: missions.export_mission(ws, "school-meals"),
    ),
    "export --version 1": (
        lambda s, o: glance_missions.mission_yaml(s, "school-meals", 1, o),
        lambda ws: missions.export_mission(ws, "school-meals", 1),
    ),
    "history": (
        lambda s, o: glance_missions.mission_history(s, "school-meals", o),
        lambda ws: missions.mission_history(ws, "school-meals"),
    ),
    "diff": (
        lambda s, o: glance_missions.mission_diff(s, "school-meals", None, None, o),
        lambda ws: missions.diff_versions(ws, "school-meals"),
    ),
    "diff 1 1": (
        lambda s, o: glance_missions.mission_diff(s, "school-meals", 1, 1, o),
        lambda ws: missions.diff_versions(ws, "school-meals", 1, 1),
    ),
}
"""What ``mission show``, ``export``, ``history`` and ``diff`` read, each as the command asks it (quick
where it can be) and as the ordinary way answers it."""


def _both_ways(path: Path, quick: MissionRead, ordinary_read: OrdinaryRead) -> tuple[Any, Any]:
    """The answer of the quick way (which must not fall back) and of the ordinary way."""
    workspace = Workspace.open(f"sqlite:///{path}")
    try:
        expected = ordinary_read(workspace)
    finally:
        workspace.close()
    asked: list[str] = []
    answer = quick(Settings(workspace=path), lambda: asked.append("ordinary"))
    assert asked == [], "a current SQLite workspace is read without opening it the ordinary way"
    return answer, expected


@pytest.mark.parametrize("read", MISSION_READS, ids=str)
def test_a_quick_mission_read_equals_the_ordinary_one(filled: Path, read: str) -> None:
    answer, expected = _both_ways(filled, *MISSION_READS[read])
    assert answer == expected


@pytest.mark.parametrize("read", MISSION_READS, ids=str)
def test_a_quick_mission_read_after_an_edit_equals_the_ordinary_one(
    filled: Path, tmp_path: Path, read: str
) -> None:
    workspace = Workspace.open(f"sqlite:///{filled}")
    import_missions(workspace, [_renamed_school_meals(tmp_path)], user="tester", comment="a new title")
    workspace.close()
    answer, expected = _both_ways(filled, *MISSION_READS[read])
    assert answer == expected


def test_the_quick_way_shows_the_new_version_after_an_edit(filled: Path, tmp_path: Path) -> None:
    workspace = Workspace.open(f"sqlite:///{filled}")
    import_missions(workspace, [_renamed_school_meals(tmp_path)], user="tester", comment="a new title")
    workspace.close()
    reader = QuickReader.open(filled)
    assert reader is not None
    with reader:
        current = reader.mission("school-meals")
        history = reader.mission_history("school-meals")
    assert current.version == 2
    assert current.mission.title.startswith("Renamed ")
    assert [v.comment for v in history] == ["", "a new title"]


ASKED_FOR_WHAT_IS_NOT_THERE: dict[str, tuple[MissionRead, OrdinaryRead]] = {
    "show of an unknown mission": (
        lambda s, o: glance_missions.mission_version(s, "no-such-mission", None, o),
        lambda ws: missions.get_mission(ws, "no-such-mission"),
    ),
    "show of an unknown version": (
        lambda s, o: glance_missions.mission_version(s, "school-meals", 9, o),
        lambda ws: missions.get_mission(ws, "school-meals", 9),
    ),
    "export of an unknown version": (
        lambda s, o: glance_missions.mission_yaml(s, "school-meals", 9, o),
        lambda ws: missions.export_mission(ws, "school-meals", 9),
    ),
    "history of an unknown mission": (
        lambda s, o: glance_missions.mission_history(s, "no-such-mission", o),
        lambda ws: missions.mission_history(ws, "no-such-mission"),
    ),
    "diff with an unknown version": (
        lambda s, o: glance_missions.mission_diff(s, "school-meals", 1, 9, o),
        lambda ws: missions.diff_versions(ws, "school-meals", 1, 9),
    ),
    "diff of an unknown mission": (
        lambda s, o: glance_missions.mission_diff(s, "no-such-mission", None, None, o),
        lambda ws: missions.diff_versions(ws, "no-such-mission"),
    ),
}


@pytest.mark.parametrize("read", ASKED_FOR_WHAT_IS_NOT_THERE, ids=str)
def test_the_quick_way_says_not_found_as_the_ordinary_way_does(filled: Path, read: str) -> None:
    quick, ordinary_read = ASKED_FOR_WHAT_IS_NOT_THERE[read]
    workspace = Workspace.open(f"sqlite:///{filled}")
    with pytest.raises(NotFound) as ordinary_error:
        ordinary_read(workspace)
    workspace.close()
    with pytest.raises(NotFound) as quick_error:
        quick(Settings(workspace=filled), lambda: pytest.fail("the quick way fell back"))
    assert str(quick_error.value) == str(ordinary_error.value)


def _ordinary_decisions(path: Path) -> list[decisions.DecisionEntry]:
    workspace = Workspace.open(f"sqlite:///{path}")
    try:
        return decisions.list_decisions(workspace)
    finally:
        workspace.close()


def test_the_quick_decision_log_equals_the_ordinary_one(decided: Path) -> None:
    expected = _ordinary_decisions(decided)
    reader = QuickReader.open(decided)
    assert reader is not None
    with reader:
        assert reader.decisions() == expected
    assert [e.decision.decision.value for e in expected] == ["stop", "pivot", "scale", "continue"]


def test_the_quick_decision_log_prints_the_same_json_as_the_ordinary_one(decided: Path) -> None:
    expected = [entry.to_dict() for entry in _ordinary_decisions(decided)]
    quick_log = glance_monitoring.decision_log(
        Settings(workspace=decided), None, lambda: pytest.fail("fell back")
    )
    assert [entry.to_dict() for entry in quick_log] == expected


def test_the_quick_decision_log_keeps_amounts_criteria_plans_and_appeals(decided: Path) -> None:
    reader = QuickReader.open(decided)
    assert reader is not None
    with reader:
        stop, pivot, scale, at_gate = reader.decisions()
    assert scale.decision.amount == Decimal("2500.50")
    assert [c.met for c in at_gate.decision.criteria] == [True, False]
    assert at_gate.decision.gate == "G1"
    assert pivot.decision.plan == "Try B"
    assert [a.outcome for a in pivot.appeals] == [None]
    assert not stop.standing
    assert stop.appeals[0].ruled_at is not None
    assert stop.appeals[0].ruled_at.tzinfo is not None


def test_a_decision_and_a_ruling_since_are_what_the_quick_log_shows(decided: Path) -> None:
    workspace = Workspace.open(f"sqlite:///{decided}")
    decisions.record_decision(workspace, "agency:p-5", "continue", "Back on plan", "Board")
    open_appeal = decisions.list_decisions(workspace)[2].appeals[0]
    decisions.rule_appeal(workspace, open_appeal.id, "upheld", "The pivot stands", user="chair")
    workspace.close()
    expected = _ordinary_decisions(decided)
    reader = QuickReader.open(decided)
    assert reader is not None
    with reader:
        quick_log = reader.decisions()
    assert quick_log == expected
    assert quick_log[0].decision.rationale == "Back on plan"
    assert quick_log[2].appeals[0].outcome == "upheld"


@pytest.mark.parametrize("read", ["show", "history"], ids=str)
def test_a_database_url_reads_a_mission_the_ordinary_way(filled: Path, read: str) -> None:
    quick, _ = MISSION_READS[read]
    asked: list[str] = []
    quick(Settings(database_url=f"sqlite:///{filled}"), lambda: asked.append("ordinary"))
    assert asked == ["ordinary"]


def test_a_database_url_reads_the_decision_log_the_ordinary_way(decided: Path) -> None:
    asked: list[str] = []
    glance_monitoring.decision_log(
        Settings(database_url=f"sqlite:///{decided}"), None, lambda: asked.append("ordinary") or []
    )
    assert asked == ["ordinary"]


def _ordinary_indicators(path: Path) -> list[monitoring.IndicatorInfo]:
    workspace = Workspace.open(f"sqlite:///{path}")
    try:
        return monitoring.list_indicators(workspace)
    finally:
        workspace.close()


def test_the_quick_indicator_list_equals_the_ordinary_one(decided: Path) -> None:
    expected = _ordinary_indicators(decided)
    quick_list = glance_monitoring.indicator_list(
        Settings(workspace=decided), lambda: pytest.fail("fell back")
    )
    assert quick_list == expected
    assert [(i.id, i.observations, i.geographies) for i in expected] == [
        ("food_waste_kg", 1, [""]),
        ("meals_organic_share", 3, ["NO", "SE"]),
    ]


def test_a_revision_and_a_new_indicator_are_what_the_quick_indicator_list_shows(decided: Path) -> None:
    workspace = Workspace.open(f"sqlite:///{decided}")
    _observe(
        workspace,
        decided.parent,
        "indicator,year,value,geography,source,unit,name\n"
        "meals_organic_share,2021,34,SE,Statistics Sweden,%,Organic share of school meals\n"
        "pupils_fed,2018,1200,DK,Agency,pupils,Pupils fed\n",
    )
    workspace.close()
    expected = _ordinary_indicators(decided)
    reader = QuickReader.open(decided)
    assert reader is not None
    with reader:
        quick_list = reader.indicators()
    assert quick_list == expected
    assert [(i.id, i.observations, i.first_year) for i in quick_list] == [
        ("food_waste_kg", 1, 2019),
        ("meals_organic_share", 4, 2020),
        ("pupils_fed", 1, 2018),
    ]


def test_a_database_url_reads_the_indicator_list_the_ordinary_way(decided: Path) -> None:
    asked: list[str] = []
    glance_monitoring.indicator_list(
        Settings(database_url=f"sqlite:///{decided}"), lambda: asked.append("ordinary") or []
    )
    assert asked == ["ordinary"]


PRINTED_BOTH_WAYS = [
    ["mission", "show", "school-meals"],
    ["mission", "show", "school-meals", "--version", "1", "--format", "json"],
    ["mission", "export", "school-meals"],
    ["mission", "history", "school-meals"],
    ["mission", "history", "school-meals", "--format", "json"],
    ["mission", "history", "school-meals", "--diff", "1", "2"],
    ["mission", "diff", "school-meals"],
    ["decisions"],
    ["decisions", "--format", "json"],
    ["indicators", "list"],
    ["indicators", "list", "--format", "json"],
    ["mission", "show", "no-such-mission"],
    ["mission", "export", "school-meals", "--version", "9"],
]
"""Commands whose output (and exit code) must not depend on the way they read."""


@pytest.mark.parametrize("argv", PRINTED_BOTH_WAYS, ids=" ".join)
def test_a_command_prints_the_same_either_way(
    decided: Path, tmp_path: Path, cli: Callable[..., Any], argv: list[str]
) -> None:
    workspace = Workspace.open(f"sqlite:///{decided}")
    import_missions(workspace, [_renamed_school_meals(tmp_path)], user="tester", comment="a new title")
    workspace.close()
    quick_run = cli(*argv, workspace=decided)
    ordinary_run = cli("--database-url", f"sqlite:///{decided}", *argv, workspace=None)
    assert (quick_run.exit_code, quick_run.stdout, quick_run.stderr) == (
        ordinary_run.exit_code,
        ordinary_run.stdout,
        ordinary_run.stderr,
    )


@pytest.mark.postgres
def test_a_postgresql_workspace_lists_its_missions_the_ordinary_way(postgres_url: str) -> None:
    workspace = Workspace.open(postgres_url, create=True)
    import_missions(workspace, mission_files(), user="tester")
    settings = Settings(database_url=postgres_url)
    summaries = glance.mission_summaries(settings, lambda: missions.mission_summaries(workspace))
    assert summaries == [missions.mission_summary(version) for version in list_missions(workspace)]
    assert len(summaries) == len(mission_files())
    workspace.close()


def _without_times(entry: decisions.DecisionEntry) -> dict[str, Any]:
    """A decision as JSON, less what differs between two workspaces: its times, ids and evidence."""
    document = entry.to_dict(evidence=False)
    for key in ("at", "id"):
        document.pop(key)
    document["appeals"] = [
        {k: v for k, v in appeal.items() if k not in ("id", "decision", "lodged_at", "ruled_at")}
        for appeal in document["appeals"]
    ]
    return document


@pytest.mark.postgres
def test_the_quick_way_on_sqlite_answers_as_postgresql_does(postgres_url: str, decided: Path) -> None:
    workspace = Workspace.open(postgres_url, create=True)
    import_missions(workspace, mission_files(), user="tester")
    run_import(workspace, "csv", [_portfolio_csv(decided.with_name("p.csv"))], source="agency", user="tester")
    _decide(workspace)
    _observe(workspace, decided.parent)
    settings = Settings(database_url=postgres_url)
    on_postgresql = glance_monitoring.decision_log(
        settings, None, lambda: decisions.list_decisions(workspace)
    )
    shown = glance_missions.mission_version(
        settings, "school-meals", None, lambda: missions.get_mission(workspace, "school-meals")
    )
    exported = glance_missions.mission_yaml(
        settings, "school-meals", None, lambda: missions.export_mission(workspace, "school-meals")
    )
    indicators = glance_monitoring.indicator_list(settings, lambda: monitoring.list_indicators(workspace))
    workspace.close()
    reader = QuickReader.open(decided)
    assert reader is not None
    with reader:
        quick_indicators = reader.indicators()
        quick_log = reader.decisions()
        quick_show = reader.mission("school-meals")
        quick_export = reader.mission_yaml("school-meals", 1)
    assert [_without_times(e) for e in quick_log] == [_without_times(e) for e in on_postgresql]
    assert quick_show.mission == shown.mission
    assert quick_export == exported
    assert quick_indicators == indicators


# --- ingest runs, rates list, users list, taxonomy list ------------------------------------------------

RATES = """currency,reporting_currency,year,rate,source
SEK,EUR,2023,0.087,ECB reference rates
USD,EUR,2023,0.92,
SEK,USD,2023,0.094,Riksbank
"""
"""Three rates into two reporting currencies, one without a source."""

TAXONOMY = """code: food-systems
title: Food systems
goals:
  - code: F1
    title: Less food waste
    queries: ['"food waste"']
  - code: F1.1
    title: Less food waste in schools
    parent: F1
  - code: F2
    title: Healthy meals
"""
"""An imported taxonomy with two goals and a sub-goal."""


def _administer(workspace: Workspace, folder: Path) -> None:
    """Rates, two accounts (one with roles on two missions, one admin without a display name) and an
    imported taxonomy."""
    (folder / "rates.csv").write_text(RATES, encoding="utf-8")
    ingest.import_rates(workspace, folder / "rates.csv", user="tester")
    accounts.create_user(
        workspace, "alma", "alma-long-passphrase-77", admin=False, display_name="Alma", by="tester"
    )
    accounts.create_user(workspace, "bo", "bo-long-passphrase-77", admin=True, by="tester")
    accounts.set_role(workspace, "alma", "school-meals", "editor", by="tester")
    accounts.set_role(workspace, "alma", "zero-emission-ferries", "viewer", by="tester")
    (folder / "food.yaml").write_text(TAXONOMY, encoding="utf-8")
    mapping.import_taxonomy(workspace, folder / "food.yaml", user="tester")


@pytest.fixture
def administered(filled: Path) -> Path:
    """``filled`` with rates, accounts and an imported taxonomy (``_administer``), closed again."""
    workspace = Workspace.open(f"sqlite:///{filled}")
    _administer(workspace, filled.parent)
    workspace.close()
    return filled


ADMIN_READS: dict[str, tuple[MissionRead, OrdinaryRead]] = {
    "ingest runs": (
        lambda s, o: glance_admin.import_run_list(s, 50, o),
        lambda ws: ingest.list_runs(ws),
    ),
    "ingest runs --limit 1": (
        lambda s, o: glance_admin.import_run_list(s, 1, o),
        lambda ws: ingest.list_runs(ws, limit=1),
    ),
    "rates list": (
        lambda s, o: glance_admin.rate_list(s, None, o),
        lambda ws: ingest.list_rates(ws),
    ),
    "rates list --to EUR": (
        lambda s, o: glance_admin.rate_list(s, "EUR", o),
        lambda ws: ingest.list_rates(ws, reporting_currency="EUR"),
    ),
    "rates list --to GBP": (
        lambda s, o: glance_admin.rate_list(s, "GBP", o),
        lambda ws: ingest.list_rates(ws, reporting_currency="GBP"),
    ),
    "users list": (glance_admin.account_list, accounts.list_users),
    "taxonomy list": (glance_mapping.taxonomy_list, mapping.list_taxonomies),
}
"""What ``ingest runs``, ``rates list``, ``users list`` and ``taxonomy list`` read, quick where it can be
and as the ordinary way answers it."""


@pytest.mark.parametrize("read", ADMIN_READS, ids=str)
def test_a_quick_admin_read_equals_the_ordinary_one(administered: Path, read: str) -> None:
    answer, expected = _both_ways(administered, *ADMIN_READS[read])
    assert answer == expected


def test_the_admin_workspace_holds_what_the_reads_are_to_show(administered: Path) -> None:
    reader = QuickReader.open(administered)
    assert reader is not None
    with reader:
        runs = reader.import_runs()
        rates = reader.rates()
        users = reader.accounts()
        missions_listed, imported = reader.taxonomies()
    assert [run.source for _, run in runs] == ["agency"]
    assert [(r.currency, r.reporting_currency, r.source) for r in rates] == [
        ("SEK", "EUR", "ECB reference rates"),
        ("USD", "EUR", None),
        ("SEK", "USD", "Riksbank"),
    ]
    assert [(u.username, u.display_name, u.is_admin) for u in users] == [
        ("alma", "Alma", False),
        ("bo", "bo", True),
    ]
    assert {m: r.value for m, r in users[0].roles.items()} == {
        "school-meals": "editor",
        "zero-emission-ferries": "viewer",
    }
    assert len(missions_listed) == len(mission_files())
    assert imported == [quick.StoredTaxonomy("food-systems", "Food systems", 2, 1)]


def _change_the_administration(workspace: Workspace, folder: Path) -> None:
    """A second import, a revised and a new rate, a role taken away and one changed, an account made
    inactive, the taxonomy replaced with one more goal, a mission's new title."""
    run_import(workspace, "csv", [_portfolio_csv(folder / "q.csv")], source="other", user="tester")
    (folder / "rates2.csv").write_text(
        "currency,reporting_currency,year,rate\nSEK,EUR,2023,0.088\nNOK,EUR,2024,0.086\n", encoding="utf-8"
    )
    ingest.import_rates(workspace, folder / "rates2.csv", user="tester")
    accounts.set_role(workspace, "alma", "school-meals", "none", by="tester")
    accounts.set_role(workspace, "alma", "zero-emission-ferries", "owner", by="tester")
    accounts.set_active(workspace, "bo", False, by="tester")
    (folder / "food.yaml").write_text(TAXONOMY + "  - code: F3\n    title: Local food\n", encoding="utf-8")
    mapping.import_taxonomy(workspace, folder / "food.yaml", user="tester")
    import_missions(workspace, [_renamed_school_meals(folder)], user="tester", comment="a new title")


@pytest.mark.parametrize("read", ADMIN_READS, ids=str)
def test_a_quick_admin_read_after_changes_equals_the_ordinary_one(
    administered: Path, tmp_path: Path, read: str
) -> None:
    workspace = Workspace.open(f"sqlite:///{administered}")
    _change_the_administration(workspace, tmp_path)
    workspace.close()
    answer, expected = _both_ways(administered, *ADMIN_READS[read])
    assert answer == expected


def test_the_quick_admin_reads_show_the_changes(administered: Path, tmp_path: Path) -> None:
    workspace = Workspace.open(f"sqlite:///{administered}")
    _change_the_administration(workspace, tmp_path)
    workspace.close()
    reader = QuickReader.open(administered)
    assert reader is not None
    with reader:
        runs = reader.import_runs()
        rates = reader.rates("EUR")
        alma, bo = reader.accounts()
        missions_listed, imported = reader.taxonomies()
    assert [run.source for _, run in runs] == ["other", "agency"]
    assert [(r.currency, r.year, r.rate) for r in rates] == [
        ("NOK", 2024, 0.086),
        ("SEK", 2023, 0.088),
        ("USD", 2023, 0.92),
    ]
    assert {m: r.value for m, r in alma.roles.items()} == {"zero-emission-ferries": "owner"}
    assert not bo.is_active
    assert imported == [quick.StoredTaxonomy("food-systems", "Food systems", 3, 1)]
    assert next(m for m in missions_listed if m.id == "school-meals").title.startswith("Renamed ")


def test_the_quick_account_list_reads_no_password_hash() -> None:
    assert "password" not in quick._USERS
    assert "password" not in quick._ROLES


@pytest.mark.parametrize("read", ADMIN_READS, ids=str)
def test_a_database_url_reads_an_admin_list_the_ordinary_way(administered: Path, read: str) -> None:
    quick_read, _ = ADMIN_READS[read]
    asked: list[str] = []
    quick_read(Settings(database_url=f"sqlite:///{administered}"), lambda: asked.append("ordinary") or [])
    assert asked == ["ordinary"]


ADMIN_PRINTED_BOTH_WAYS = [
    ["ingest", "runs"],
    ["ingest", "runs", "--limit", "1", "--format", "json"],
    ["rates", "list"],
    ["rates", "list", "--to", "eur", "--format", "json"],
    ["rates", "list", "--to", "gbp"],
    ["users", "list"],
    ["users", "list", "--format", "json"],
    ["taxonomy", "list"],
    ["taxonomy", "list", "--format", "json"],
]
"""The admin listings, whose output (and exit code) must not depend on the way they read."""


@pytest.mark.parametrize("argv", ADMIN_PRINTED_BOTH_WAYS, ids=" ".join)
def test_an_admin_listing_prints_the_same_either_way(
    administered: Path, cli: Callable[..., Any], argv: list[str]
) -> None:
    quick_run = cli(*argv, workspace=administered)
    ordinary_run = cli("--database-url", f"sqlite:///{administered}", *argv, workspace=None)
    assert (quick_run.exit_code, quick_run.stdout, quick_run.stderr) == (
        ordinary_run.exit_code,
        ordinary_run.stdout,
        ordinary_run.stderr,
    )
    assert quick_run.exit_code == 0


def test_the_quick_user_list_prints_no_password_hash(administered: Path, cli: Callable[..., Any]) -> None:
    printed = cli("users", "list", "--format", "json", workspace=administered).stdout
    assert "alma" in printed
    assert "argon2" not in printed


@pytest.mark.postgres
def test_the_quick_admin_reads_on_sqlite_answer_as_postgresql_does(
    postgres_url: str, administered: Path
) -> None:
    workspace = Workspace.open(postgres_url, create=True)
    import_missions(workspace, mission_files(), user="tester")
    run_import(
        workspace, "csv", [_portfolio_csv(administered.with_name("p.csv"))], source="agency", user="tester"
    )
    _administer(workspace, administered.parent)
    settings = Settings(database_url=postgres_url)
    runs = glance_admin.import_run_list(settings, 50, lambda: ingest.list_runs(workspace))
    rates = glance_admin.rate_list(settings, None, lambda: ingest.list_rates(workspace))
    users = glance_admin.account_list(settings, lambda: accounts.list_users(workspace))
    listed = glance_mapping.taxonomy_list(settings, lambda: mapping.list_taxonomies(workspace))
    workspace.close()
    reader = QuickReader.open(administered)
    assert reader is not None
    with reader:
        quick_runs = reader.import_runs()
        quick_rates = reader.rates()
        quick_users = reader.accounts()
    quick_listed = glance_mapping.taxonomy_list(Settings(workspace=administered), lambda: [])
    keep = {"format", "source", "files", "read", "inserted", "updated", "unchanged", "rejected", "user"}
    assert [run.model_dump(include=keep) for _, run in quick_runs] == [
        run.model_dump(include=keep) for _, run in runs
    ]
    assert quick_rates == rates
    assert [u.as_dict() for u in quick_users] == [u.as_dict() for u in users]
    assert quick_listed == listed


@pytest.mark.parametrize("code", sorted(taxonomies.BUILTIN))
def test_a_built_in_taxonomy_is_listed_as_its_checked_goals_count(code: str) -> None:
    """``taxonomy list`` reads the built-in taxonomies without parsing their queries; what it lists of
    each is what the taxonomy, queries checked, holds."""
    checked = taxonomies.builtin(code)
    top = [goal for goal in checked.goals if goal.parent is None]
    listed = next(entry for entry in taxonomies.list_all(None) if entry.code == code)
    assert (listed.title, listed.kind) == (checked.title, "built-in")
    assert (listed.goals, listed.children) == (len(top), len(checked.goals) - len(top))


# --- consult list ---------------------------------------------------------------------------------------


def _submission(text: str) -> Submission:
    return Submission(
        helix=HelixType.CIVIL_SOCIETY,
        level=Level.LOCAL,
        consent=True,
        answers=[Answer(question_id="views", text=text)],
    )


def _consult(workspace: Workspace) -> None:
    """A public consultation on school meals with two responses, one hidden, and one by invitation on the
    ferries with three invitations, one used."""
    today = dt.date.today()
    period = {"opens_on": today - dt.timedelta(days=1), "closes_on": today + dt.timedelta(days=30)}
    public = consultations.open_consultation(
        workspace,
        mission_id="school-meals",
        title="Meals, first round",
        purpose="Ask pupils and parents.",
        audience="public",
        user="tester",
        **period,
    )
    invited = consultations.open_consultation(
        workspace,
        mission_id="zero-emission-ferries",
        title="Ferries",
        purpose="Ask the yards.",
        audience="invited",
        user="tester",
        **period,
    )
    links = consultations.create_invitations(workspace, invited.id, ["a", "b", "c"], user="tester")
    off_topic, _ = consultations.submit_response(
        workspace, public.id, _submission("Off topic."), client_key="10.0.0.1"
    )
    consultations.submit_response(workspace, public.id, _submission("Less waste."), client_key="10.0.0.2")
    consultations.submit_response(workspace, invited.id, _submission("Build them here."), token=links[0][1])
    consultations.hide_response(workspace, public.id, off_topic.id, reason="off topic", user="tester")


@pytest.fixture
def consulted(filled: Path) -> Path:
    """``filled`` with two consultations, their invitations and responses (``_consult``), closed again."""
    workspace = Workspace.open(f"sqlite:///{filled}")
    _consult(workspace)
    workspace.close()
    return filled


def _ordinary_consultations(mission_id: str | None) -> OrdinaryRead:
    def read(workspace: Workspace) -> list[tuple[consultations.Consultation, dict[str, int]]]:
        return [
            (c, consultations.response_counts(workspace, c.id))
            for c in consultations.list_consultations(workspace, mission_id)
        ]

    return read


CONSULT_READS: dict[str, tuple[MissionRead, OrdinaryRead]] = {
    "consult list": (
        lambda s, o: glance_consultations.consultation_list(s, None, o),
        _ordinary_consultations(None),
    ),
    "consult list --mission school-meals": (
        lambda s, o: glance_consultations.consultation_list(s, "school-meals", o),
        _ordinary_consultations("school-meals"),
    ),
    "consult list --mission no-such-mission": (
        lambda s, o: glance_consultations.consultation_list(s, "no-such-mission", o),
        _ordinary_consultations("no-such-mission"),
    ),
}
"""What ``consult list`` reads: the consultations with their counts, quick and the ordinary way."""


@pytest.mark.parametrize("read", CONSULT_READS, ids=str)
def test_a_quick_consultation_list_equals_the_ordinary_one(consulted: Path, read: str) -> None:
    answer, expected = _both_ways(consulted, *CONSULT_READS[read])
    assert answer == expected


def test_the_quick_consultation_list_counts_responses_and_invitations(consulted: Path) -> None:
    reader = QuickReader.open(consulted)
    assert reader is not None
    with reader:
        listed = {c.id: counts for c, counts in reader.consultations()}
    assert listed["meals-first-round"] == {
        "responses": 2,
        "hidden": 1,
        "invitations": 0,
        "invitations_used": 0,
    }
    assert listed["ferries"] == {"responses": 1, "hidden": 0, "invitations": 3, "invitations_used": 1}


def _change_the_consultations(workspace: Workspace) -> None:
    """The ferries consultation closed, the hidden response shown again, one more response."""
    consultations.close_consultation(workspace, "ferries", user="tester")
    hidden = consultations.list_responses(workspace, "meals-first-round", include_hidden=True)
    for response in hidden:
        if response.hidden:
            consultations.unhide_response(workspace, "meals-first-round", response.id, user="tester")
    consultations.submit_response(
        workspace, "meals-first-round", _submission("Local food."), client_key="10.0.0.3"
    )


@pytest.mark.parametrize("read", CONSULT_READS, ids=str)
def test_a_quick_consultation_list_after_changes_equals_the_ordinary_one(consulted: Path, read: str) -> None:
    workspace = Workspace.open(f"sqlite:///{consulted}")
    _change_the_consultations(workspace)
    workspace.close()
    answer, expected = _both_ways(consulted, *CONSULT_READS[read])
    assert answer == expected
    if read == "consult list":
        counts = {c.id: (c.status.value, n["responses"], n["hidden"]) for c, n in answer}
        assert counts == {"meals-first-round": ("open", 3, 0), "ferries": ("closed", 1, 0)}


def test_a_database_url_reads_the_consultations_the_ordinary_way(consulted: Path) -> None:
    asked: list[str] = []
    glance_consultations.consultation_list(
        Settings(database_url=f"sqlite:///{consulted}"), None, lambda: asked.append("ordinary") or []
    )
    assert asked == ["ordinary"]


@pytest.mark.parametrize(
    "argv",
    [
        ["consult", "list"],
        ["consult", "list", "--format", "json"],
        ["consult", "list", "--mission", "ferries"],
    ],
    ids=" ".join,
)
def test_the_consultation_list_prints_the_same_either_way(
    consulted: Path, cli: Callable[..., Any], argv: list[str]
) -> None:
    quick_run = cli(*argv, workspace=consulted)
    ordinary_run = cli("--database-url", f"sqlite:///{consulted}", *argv, workspace=None)
    assert (quick_run.exit_code, quick_run.stdout, quick_run.stderr) == (
        ordinary_run.exit_code,
        ordinary_run.stdout,
        ordinary_run.stderr,
    )
    assert quick_run.exit_code == 0


@pytest.mark.postgres
def test_the_quick_consultation_list_on_sqlite_answers_as_postgresql_does(
    postgres_url: str, consulted: Path
) -> None:
    workspace = Workspace.open(postgres_url, create=True)
    import_missions(workspace, mission_files(), user="tester")
    _consult(workspace)
    on_postgresql = glance_consultations.consultation_list(
        Settings(database_url=postgres_url), None, lambda: _ordinary_consultations(None)(workspace)
    )
    workspace.close()
    reader = QuickReader.open(consulted)
    assert reader is not None
    with reader:
        quick_list = reader.consultations()
    without_times = {"created_at", "closed_at"}
    assert [(c.model_dump(exclude=without_times), n) for c, n in quick_list] == [
        (c.model_dump(exclude=without_times), n) for c, n in on_postgresql
    ]


# --- learn list ------------------------------------------------------------------------------------------


def _learn(workspace: Workspace) -> None:
    """Three notes on school meals (one linked to an objective, a project and a decision, one of a
    round) and one on the ferries."""
    first = decisions.list_decisions(workspace)[-1]
    learning.add_note(
        workspace,
        "school-meals",
        "lesson",
        "Pupils eat more of what they helped cook.",
        user="tester",
        objectives=["food-waste"],
        projects=["agency:p-1"],
        decisions=[first.id],
    )
    learning.add_note(
        workspace, "school-meals", "risk", "Suppliers may not scale.", user="tester", round="2026-Q1"
    )
    learning.add_note(
        workspace, "school-meals", "pattern", "Menus with fewer choices waste less.", user="tester"
    )
    learning.add_note(workspace, "zero-emission-ferries", "lesson", "Charging takes longer.", user="tester")


@pytest.fixture
def noted(decided: Path) -> Path:
    """``decided`` with learning notes (``_learn``), closed again."""
    workspace = Workspace.open(f"sqlite:///{decided}")
    _learn(workspace)
    workspace.close()
    return decided


def _notes(mission: str, **filters: Any) -> tuple[MissionRead, OrdinaryRead]:
    return (
        lambda s, o: glance_learning.learning_notes(
            s,
            mission,
            search=filters.get("query"),
            kind=filters.get("kind"),
            round=filters.get("round"),
            about=filters.get("about"),
            ordinary=o,
        ),
        lambda ws: learning.notes(ws, mission, **filters),
    )


LEARN_READS: dict[str, tuple[MissionRead, OrdinaryRead]] = {
    "learn list school-meals": _notes("school-meals"),
    "learn list school-meals --kind risk": _notes("school-meals", kind="risk"),
    "learn list school-meals --round 2026-Q1": _notes("school-meals", round=" 2026-Q1 "),
    "learn list school-meals --kind lesson --round 2026-Q1": _notes(
        "school-meals", kind="lesson", round="2026-Q1"
    ),
    "learn list zero-emission-ferries": _notes("zero-emission-ferries"),
    "learn list digital-leadership": _notes("digital-leadership"),
    "learn list school-meals --about food-waste": _notes("school-meals", about="food-waste"),
    "learn list school-meals --about kitchens-buy-sustainable": _notes(
        "school-meals", about=" kitchens-buy-sustainable "
    ),
    "learn list school-meals --about agency:p-1": _notes("school-meals", about="agency:p-1"),
    "learn list school-meals --about agency:p-2": _notes("school-meals", about=" agency : p-2 "),
    "learn list school-meals --about decision:1": _notes("school-meals", about="decision:1"),
    "learn list school-meals --about 'decision: #1' --kind lesson": _notes(
        "school-meals", about="decision: #1", kind="lesson"
    ),
    "learn list school-meals --about decision:2": _notes("school-meals", about="decision:2"),
    "learn list school-meals --about food-waste --search pupils": _notes(
        "school-meals", about="food-waste", query="pupils"
    ),
    "learn list school-meals --about '  '": _notes("school-meals", about="  "),
}
"""What ``learn list`` reads the quick way, and as the ordinary way answers it: also about one subject (an
objective, an outcome, a project by reference, a decision by number), with other filters."""


@pytest.mark.parametrize("read", LEARN_READS, ids=str)
def test_a_quick_learning_log_equals_the_ordinary_one(noted: Path, read: str) -> None:
    answer, expected = _both_ways(noted, *LEARN_READS[read])
    assert answer == expected


def test_the_quick_learning_log_labels_the_projects_a_note_is_about(noted: Path) -> None:
    reader = QuickReader.open(noted)
    assert reader is not None
    with reader:
        notes = reader.learning_notes("school-meals")
    assert [n.kind.value for n in notes] == ["pattern", "risk", "lesson"]
    assert [(link.kind.value, link.label) for link in notes[2].links if link.label] == [
        ("project", "agency:p-1")
    ]
    assert notes[0].created_at.tzinfo is not None


@pytest.mark.parametrize("read", LEARN_READS, ids=str)
def test_a_quick_learning_log_after_a_new_note_equals_the_ordinary_one(noted: Path, read: str) -> None:
    workspace = Workspace.open(f"sqlite:///{noted}")
    learning.add_note(
        workspace,
        "school-meals",
        "risk",
        "Prices rise.",
        user="tester",
        round="2026-Q1",
        projects=["agency:p-2"],
    )
    workspace.close()
    answer, expected = _both_ways(noted, *LEARN_READS[read])
    assert answer == expected


def test_a_learning_log_about_one_subject_holds_the_notes_about_it(noted: Path) -> None:
    reader = QuickReader.open(noted)
    assert reader is not None
    with reader:
        about_the_objective = reader.learning_notes("school-meals", about="food-waste")
        about_the_project = reader.learning_notes("school-meals", about="agency:p-1")
        about_another_project = reader.learning_notes("school-meals", about="agency:p-2")
    assert [n.text for n in about_the_objective] == ["Pupils eat more of what they helped cook."]
    assert [n.text for n in about_the_project] == ["Pupils eat more of what they helped cook."]
    assert about_another_project == []


def test_a_project_named_by_its_number_is_the_subject_its_reference_names(noted: Path) -> None:
    with sqlite3.connect(noted) as connection:
        (number,) = connection.execute("SELECT id FROM projects WHERE source_id = 'p-1'").fetchone()
    reader = QuickReader.open(noted)
    assert reader is not None
    with reader:
        by_number = reader.learning_notes("school-meals", about=str(number))
        by_reference = reader.learning_notes("school-meals", about="agency:p-1")
    assert by_number == by_reference


UNKNOWN_SUBJECTS = [
    ("school-meals", "decision:99"),
    ("school-meals", "decision:x"),
    ("school-meals", "decision:"),
    ("school-meals", "agency:no-such-project"),
    ("school-meals", "no-such-subject"),
    ("school-meals", "424242"),
    ("school-meals", "99999999999999999999"),
    ("school-meals", "decision:99999999999999999999"),
    ("no-such-mission", "food-waste"),
]
"""Subjects ``learn list --about`` cannot resolve (and a mission the workspace lacks)."""


@pytest.mark.parametrize(("mission", "about"), UNKNOWN_SUBJECTS)
def test_an_unknown_subject_is_not_found_as_the_ordinary_way_says(
    noted: Path, mission: str, about: str
) -> None:
    workspace = Workspace.open(f"sqlite:///{noted}")
    with pytest.raises(NotFound) as ordinary_error:
        learning.notes(workspace, mission, about=about)
    workspace.close()
    with pytest.raises(NotFound) as quick_error:
        glance_learning.learning_notes(
            Settings(workspace=noted),
            mission,
            search=None,
            kind=None,
            round=None,
            about=about,
            ordinary=lambda: pytest.fail("the quick way fell back"),
        )
    assert str(quick_error.value) == str(ordinary_error.value)


SEARCHES = [
    "pupils",
    "PUPILS cook",
    "fewer   waste",
    "   ",
    "10%",
    "%",
    "_",
    "pilot_kitchen",
    "pilot-kitchen",
    "/",
    "canteen/",
    "x%y",
    "École",
    "école",
    "ÉCOLE",
]
"""Words ``learn list --search`` may be given: in any case, several, none, and the characters that LIKE
(``%``, ``_``) and its escape (``/``) treat apart, and letters outside ASCII, which SQLite's ``lower`` leaves
as they are."""


@pytest.mark.parametrize("search", SEARCHES)
def test_a_quick_searched_learning_log_equals_the_ordinary_one(noted: Path, search: str) -> None:
    workspace = Workspace.open(f"sqlite:///{noted}")
    learning.add_note(
        workspace,
        "school-meals",
        "lesson",
        "Costs rose 10% where the pilot_kitchen/canteen was École-run.",
        user="tester",
    )
    workspace.close()
    answer, expected = _both_ways(
        noted,
        lambda s, o: glance_learning.learning_notes(
            s, "school-meals", search=search, kind=None, round=None, about=None, ordinary=o
        ),
        lambda ws: learning.notes(ws, "school-meals", query=search),
    )
    assert answer == expected


def test_a_search_finds_the_notes_with_every_word_in_any_case(noted: Path) -> None:
    reader = QuickReader.open(noted)
    assert reader is not None
    with reader:
        found = reader.learning_notes("school-meals", words=["PUPILS", "cook"])
    assert [note.text for note in found] == ["Pupils eat more of what they helped cook."]


LEARN_PRINTED_BOTH_WAYS = [
    ["learn", "list", "school-meals"],
    ["learn", "list", "school-meals", "--format", "json"],
    ["learn", "list", "school-meals", "--format", "md"],
    ["learn", "list", "school-meals", "--kind", "risk", "--round", "2026-Q1"],
    ["learn", "list", "no-such-mission"],
    ["learn", "list", "school-meals", "--round", "x" * 200],
    ["learn", "list", "school-meals", "--search", "pupils"],
    ["learn", "list", "school-meals", "--search", "PUPILS helped", "--format", "json"],
    ["learn", "list", "no-such-mission", "--search", "pupils"],
    ["learn", "list", "school-meals", "--search", "pupils", "--round", "x" * 200],
    ["learn", "list", "school-meals", "--about", "agency:p-1"],
    ["learn", "list", "school-meals", "--about", "food-waste", "--format", "json"],
    ["learn", "list", "school-meals", "--about", "decision:1", "--format", "md"],
    ["learn", "list", "school-meals", "--about", "decision:99"],
    ["learn", "list", "school-meals", "--about", "no-such-subject", "--format", "json"],
    ["learn", "list", "school-meals", "--about", "agency:p-1", "--round", "x" * 200],
    ["learn", "list", "no-such-mission", "--about", "agency:p-1"],
]
"""``learn list`` prints the same (and exits the same) whatever way it reads, errors included."""


@pytest.mark.parametrize("argv", LEARN_PRINTED_BOTH_WAYS, ids=" ".join)
def test_the_learning_log_prints_the_same_either_way(
    noted: Path, cli: Callable[..., Any], argv: list[str]
) -> None:
    quick_run = cli(*argv, workspace=noted)
    ordinary_run = cli("--database-url", f"sqlite:///{noted}", *argv, workspace=None)
    assert (quick_run.exit_code, quick_run.stdout, quick_run.stderr) == (
        ordinary_run.exit_code,
        ordinary_run.stdout,
        ordinary_run.stderr,
    )


@pytest.mark.postgres
def test_the_quick_learning_log_on_sqlite_answers_as_postgresql_does(postgres_url: str, noted: Path) -> None:
    workspace = Workspace.open(postgres_url, create=True)
    import_missions(workspace, mission_files(), user="tester")
    run_import(workspace, "csv", [_portfolio_csv(noted.with_name("p.csv"))], source="agency", user="tester")
    _decide(workspace)
    _learn(workspace)
    subjects = ["food-waste", "agency:p-1"]
    on_postgresql = [learning.notes(workspace, "school-meals", about=a) for a in [None, *subjects]]
    workspace.close()
    reader = QuickReader.open(noted)
    assert reader is not None
    with reader:
        quick_notes = [reader.learning_notes("school-meals", about=a) for a in [None, *subjects]]

    def comparable(note: learning.LearningNote) -> tuple[Any, ...]:
        return (note.kind, note.text, note.author, note.round, [(k.kind, k.label) for k in note.links])

    for quick_read, read_on_postgresql in zip(quick_notes, on_postgresql, strict=True):
        assert [comparable(n) for n in quick_read] == [comparable(n) for n in read_on_postgresql]


# --- one mission's decisions and its gate calendar --------------------------------------------------------

PORTFOLIO_LINKS = {
    "p-1": ("objective", "accepted", 0.1),
    "p-2": ("outcome", "proposed", 0.7),
    "p-3": ("objective", "proposed", 0.5),
    "p-4": ("objective", "proposed", 0.49),
    "p-5": ("objective", "rejected", 0.95),
    "p-6": ("no such goal", "accepted", 1.0),
    "p-7": ("another mission's", "accepted", 1.0),
    "p-8": ("objective", "accepted", 0.9),
}
"""A link of each kind the portfolio rule judges, one per project of ``filled``: p-1, p-2 (through an
outcome leading to an objective), p-3 (a score of exactly 0.5) and p-8 make up school-meals' portfolio;
p-4 (under the threshold), p-5 (rejected), p-6 (a goal the mission lacks) and p-7 (another mission's
objective) do not."""

IN_THE_PORTFOLIO = {"agency:p-1", "agency:p-2", "agency:p-3", "agency:p-8"}


def _link_and_gate(workspace: Workspace) -> None:
    """``PORTFOLIO_LINKS`` for school-meals, gates in and out of its portfolio (one overdue, one due soon,
    one far off, one cancelled by a stop before it, one decided, one overdue whose decision was
    overturned) and decisions on them, on a workspace that ``_decide`` has filled."""
    attribution = missions.get_mission(workspace, "school-meals").mission.link_attribution()
    objective = next(goal for goal, served in attribution.items() if served == [goal])
    outcome = next((goal for goal, served in attribution.items() if served != [goal]), objective)
    other = missions.get_mission(workspace, "zero-emission-ferries").mission.objectives[0].id
    goals = {"objective": objective, "outcome": outcome, "no such goal": "X9", "another mission's": other}
    with workspace.reading() as session:
        ids = dict(session.execute(text("SELECT source_id, id FROM projects WHERE source = 'agency'")).all())
    with workspace.transaction() as session:
        for project, (goal, status, score) in PORTFOLIO_LINKS.items():
            taxonomy = (
                "mission:zero-emission-ferries" if goal == "another mission's" else "mission:school-meals"
            )
            session.add(
                LinkRow(
                    project_id=ids[project],
                    taxonomy=taxonomy,
                    goal=goals[goal],
                    score=score,
                    method="manual",
                    status=status,
                )
            )
    today = dt.date.today()
    gates = [
        ("agency:p-2", "G2", today + dt.timedelta(days=30)),
        ("agency:p-3", "G0", dt.date(2020, 1, 1)),
        ("agency:p-3", "G3", today + dt.timedelta(days=400)),
        ("agency:p-4", "G4", today + dt.timedelta(days=10)),
        ("agency:p-8", "G8", today + dt.timedelta(days=90)),
        ("agency:p-8", "G9", today - dt.timedelta(days=1)),
    ]
    for project, name, due in gates:
        decisions.schedule_gate(workspace, project, name, due, ["Works"], ["A report"], user="tester")
    decisions.record_decision(workspace, "agency:p-8", "continue", "Fine", "Board", gate="G9", met=[1])
    overturned = decisions.list_decisions(workspace)[0]
    appeal = decisions.lodge_appeal(workspace, overturned.id, "Not fine", user="p8")
    assert appeal.id is not None
    decisions.rule_appeal(workspace, appeal.id, "overturned", "Not fine", user="chair")
    decisions.record_decision(workspace, "agency:p-8", "stop", "Gone", "Board")


@pytest.fixture
def gated(decided: Path) -> Path:
    """``decided`` with school-meals' portfolio, gates and more decisions (``_link_and_gate``), closed."""
    workspace = Workspace.open(f"sqlite:///{decided}")
    _link_and_gate(workspace)
    workspace.close()
    return decided


def _calendar(mission: str, as_of: dt.date | None = None) -> tuple[MissionRead, OrdinaryRead]:
    return (
        lambda s, o: glance_monitoring.gate_calendar(s, mission, as_of, o),
        lambda ws: decisions.gate_calendar(ws, mission, as_of=as_of),
    )


def _mission_log(mission: str) -> tuple[MissionRead, OrdinaryRead]:
    return (
        lambda s, o: glance_monitoring.decision_log(s, mission, o),
        lambda ws: decisions.list_decisions(ws, mission),
    )


MISSION_MONITORING_READS: dict[str, tuple[MissionRead, OrdinaryRead]] = {
    "decisions school-meals": _mission_log("school-meals"),
    "decisions zero-emission-ferries": _mission_log("zero-emission-ferries"),
    "gate calendar school-meals": _calendar("school-meals"),
    "gate calendar school-meals --as-of 2020-06-01": _calendar("school-meals", dt.date(2020, 6, 1)),
    "gate calendar school-meals --as-of in a year": _calendar(
        "school-meals", dt.date.today() + dt.timedelta(days=365)
    ),
    "gate calendar zero-emission-ferries": _calendar("zero-emission-ferries"),
}
"""What ``decisions MISSION`` and ``gate calendar MISSION`` read the quick way, and as the ordinary way
answers it."""


@pytest.mark.parametrize("read", MISSION_MONITORING_READS, ids=str)
def test_a_quick_read_of_one_missions_decisions_or_gates_equals_the_ordinary_one(
    gated: Path, read: str
) -> None:
    answer, expected = _both_ways(gated, *MISSION_MONITORING_READS[read])
    assert answer == expected


def test_one_missions_decisions_are_those_on_the_projects_the_portfolio_rule_counts(gated: Path) -> None:
    reader = QuickReader.open(gated)
    assert reader is not None
    with reader:
        logged = reader.decisions("school-meals")
    assert {":".join(entry.decision.project) for entry in logged} == IN_THE_PORTFOLIO


def test_the_gate_calendar_holds_the_gates_of_the_portfolio_in_every_state(gated: Path) -> None:
    reader = QuickReader.open(gated)
    assert reader is not None
    with reader:
        calendar = reader.gate_calendar("school-meals", dt.date.today())
    assert {gate.project for gate in calendar.gates} == IN_THE_PORTFOLIO
    assert calendar.counts() == {"overdue": 2, "due": 1, "scheduled": 1, "decided": 1, "cancelled": 1}


def test_a_decision_overturned_on_appeal_leaves_its_gate_undecided(gated: Path) -> None:
    reader = QuickReader.open(gated)
    assert reader is not None
    with reader:
        calendar = reader.gate_calendar("school-meals", dt.date.today())
    assert next(g for g in calendar.gates if g.name == "G9").decision is None


@pytest.mark.parametrize("read", ["decisions", "gate calendar"])
def test_one_unknown_missions_decisions_or_gates_are_not_found_as_the_ordinary_way_says(
    gated: Path, read: str
) -> None:
    quick, ordinary_read = {
        "decisions": _mission_log("no-such-mission"),
        "gate calendar": _calendar("no-such-mission"),
    }[read]
    workspace = Workspace.open(f"sqlite:///{gated}")
    with pytest.raises(NotFound) as ordinary_error:
        ordinary_read(workspace)
    workspace.close()
    with pytest.raises(NotFound) as quick_error:
        quick(Settings(workspace=gated), lambda: pytest.fail("the quick way fell back"))
    assert str(quick_error.value) == str(ordinary_error.value)


def test_a_database_url_reads_the_gate_calendar_the_ordinary_way(gated: Path) -> None:
    asked: list[str] = []
    glance_monitoring.gate_calendar(
        Settings(database_url=f"sqlite:///{gated}"), "school-meals", None, lambda: asked.append("ordinary")
    )
    assert asked == ["ordinary"]


def _project_gates(project: str, as_of: dt.date | None = None) -> tuple[MissionRead, OrdinaryRead]:
    return (
        lambda s, o: glance_monitoring.project_gates(s, project, as_of, o),
        lambda ws: decisions.project_gates(ws, project, as_of=as_of),
    )


PROJECT_GATE_READS: dict[str, tuple[MissionRead, OrdinaryRead]] = {
    "gate list agency:p-8": _project_gates("agency:p-8"),
    "gate list agency:p-8 --as-of 2020-06-01": _project_gates("agency:p-8", dt.date(2020, 6, 1)),
    "gate list agency:p-3": _project_gates("agency:p-3"),
    "gate list ' agency : p-3 ' --as-of in a year": _project_gates(
        " agency : p-3 ", dt.date.today() + dt.timedelta(days=365)
    ),
    "gate list agency:p-1": _project_gates("agency:p-1"),
    "gate list agency:p-5": _project_gates("agency:p-5"),
}
"""What ``gate list PROJECT`` reads the quick way, and as the ordinary way answers it: a project with a
decided gate and an overturned decision (p-8), one with gates far apart (p-3), one decided at its gate
when it was scheduled (p-1) and one without gates (p-5)."""


@pytest.mark.parametrize("read", PROJECT_GATE_READS, ids=str)
def test_a_quick_read_of_one_projects_gates_equals_the_ordinary_one(gated: Path, read: str) -> None:
    answer, expected = _both_ways(gated, *PROJECT_GATE_READS[read])
    assert answer == expected


def test_one_projects_gates_are_its_own_in_every_state_they_are_in(gated: Path) -> None:
    reader = QuickReader.open(gated)
    assert reader is not None
    with reader:
        calendar = reader.project_gates("agency:p-8", dt.date.today())
    assert {gate.project for gate in calendar.gates} == {"agency:p-8"}
    assert calendar.mission is None
    assert calendar.counts() == {"overdue": 1, "due": 0, "scheduled": 0, "decided": 0, "cancelled": 1}


def test_a_project_named_by_its_number_has_the_gates_its_reference_names(gated: Path) -> None:
    with sqlite3.connect(gated) as connection:
        (number,) = connection.execute("SELECT id FROM projects WHERE source_id = 'p-3'").fetchone()
    reader = QuickReader.open(gated)
    assert reader is not None
    with reader:
        by_number = reader.project_gates(f" {number} ", dt.date.today())
        by_reference = reader.project_gates("agency:p-3", dt.date.today())
    assert len(by_reference.gates) == 2
    assert by_number == by_reference


@pytest.mark.parametrize(
    "project", ["agency:no-such-project", "no-such-project", "  ", "424242", ":", "99999999999999999999"]
)
def test_an_unknown_projects_gates_are_not_found_as_the_ordinary_way_says(gated: Path, project: str) -> None:
    quick, ordinary_read = _project_gates(project)
    workspace = Workspace.open(f"sqlite:///{gated}")
    with pytest.raises(NotFound) as ordinary_error:
        ordinary_read(workspace)
    workspace.close()
    with pytest.raises(NotFound) as quick_error:
        quick(Settings(workspace=gated), lambda: pytest.fail("the quick way fell back"))
    assert str(quick_error.value) == str(ordinary_error.value)


def test_a_database_url_reads_one_projects_gates_the_ordinary_way(gated: Path) -> None:
    asked: list[str] = []
    glance_monitoring.project_gates(
        Settings(database_url=f"sqlite:///{gated}"), "agency:p-8", None, lambda: asked.append("ordinary")
    )
    assert asked == ["ordinary"]


MISSION_MONITORING_PRINTED_BOTH_WAYS = [
    ["decisions", "school-meals"],
    ["decisions", "school-meals", "--format", "json"],
    ["decisions", "no-such-mission"],
    ["decisions", "no-such-mission", "--format", "json"],
    ["gate", "calendar", "school-meals"],
    ["gate", "calendar", "school-meals", "--format", "json"],
    ["gate", "calendar", "school-meals", "--as-of", "2020-06-01"],
    ["gate", "calendar", "zero-emission-ferries"],
    ["gate", "calendar", "no-such-mission"],
    ["gate", "calendar", "school-meals", "--as-of", "2020-13-01"],
    ["gate", "list", "agency:p-8"],
    ["gate", "list", "agency:p-8", "--format", "json"],
    ["gate", "list", "agency:p-3", "--as-of", "2020-06-01"],
    ["gate", "list", "agency:p-5"],
    ["gate", "list", "agency:no-such-project"],
    ["gate", "list", "no-such-project", "--format", "json"],
    ["gate", "list", "agency:p-8", "--as-of", "2020-13-01"],
]
"""``decisions MISSION``, ``gate calendar`` and ``gate list`` print the same (and exit the same) either
way, errors included."""


@pytest.mark.parametrize("argv", MISSION_MONITORING_PRINTED_BOTH_WAYS, ids=" ".join)
def test_one_missions_decisions_and_gates_print_the_same_either_way(
    gated: Path, cli: Callable[..., Any], argv: list[str]
) -> None:
    quick_run = cli(*argv, workspace=gated)
    ordinary_run = cli("--database-url", f"sqlite:///{gated}", *argv, workspace=None)
    assert (quick_run.exit_code, quick_run.stdout, quick_run.stderr) == (
        ordinary_run.exit_code,
        ordinary_run.stdout,
        ordinary_run.stderr,
    )


@pytest.mark.postgres
def test_one_missions_quick_decisions_and_gates_on_sqlite_answer_as_postgresql_does(
    postgres_url: str, gated: Path
) -> None:
    workspace = Workspace.open(postgres_url, create=True)
    import_missions(workspace, mission_files(), user="tester")
    run_import(workspace, "csv", [_portfolio_csv(gated.with_name("p.csv"))], source="agency", user="tester")
    _decide(workspace)
    _link_and_gate(workspace)
    day = dt.date.today()
    on_postgresql = (
        decisions.list_decisions(workspace, "school-meals"),
        decisions.gate_calendar(workspace, "school-meals", as_of=day),
        decisions.project_gates(workspace, "agency:p-8", as_of=day),
    )
    workspace.close()
    reader = QuickReader.open(gated)
    assert reader is not None
    with reader:
        quick_log = reader.decisions("school-meals")
        quick_calendar = reader.gate_calendar("school-meals", day)
        quick_project_gates = reader.project_gates("agency:p-8", day)

    def comparable(calendar: decisions.GateCalendar) -> list[tuple[Any, ...]]:
        return [
            (g.project, g.name, g.due, g.state, g.criteria, g.evidence, g.decision and g.decision.decision)
            for g in calendar.gates
        ]

    assert [_without_times(e) for e in quick_log] == [_without_times(e) for e in on_postgresql[0]]
    assert comparable(quick_calendar) == comparable(on_postgresql[1])
    assert comparable(quick_project_gates) == comparable(on_postgresql[2])
