"""Mission washing in the portfolio: linked projects and money that started before the mission are
relabelled, counted in the database (SQLite and PostgreSQL) and judged by the quality check."""

from pathlib import Path

from sqlalchemy import select

from missionboard.domain.missions import Mission
from missionboard.domain.quality import Criterion, Severity, StartYear
from missionboard.services import missions as service
from missionboard.services.ingest import ingest_files
from missionboard.services.missions import _portfolio_profile
from missionboard.store.tables import ExchangeRateRow, LinkRow, ProjectRow
from missionboard.store.workspace import Workspace

MISSION = Mission.model_validate(
    {
        "id": "ferries",
        "title": "Zero-emission ferries",
        "challenge": "Diesel ferries",
        "statement": "By 2030 every ferry route in the country sails with zero emissions.",
        "owner": "Ministry",
        "start": "2021-01-01",
        "deadline": "2030-12-31",
        "programmes": ["Ferries", "Procurement"],
        "objectives": [
            {
                "id": "routes",
                "title": "Routes",
                "indicator": {"id": "ze_routes", "name": "ZE routes", "unit": "%"},
                "baseline": {"value": 12, "year": 2020},
                "target": {"value": 100, "year": 2030},
            }
        ],
    }
)
HEADER = "id,title,programme,start,budget,currency\n"


def _link(
    workspace: Workspace, tmp_path: Path, rows: list[str], linked: dict[str, tuple[str, float]]
) -> None:
    csv = tmp_path / "projects.csv"
    csv.write_text(HEADER + "\n".join(rows) + "\n")
    ingest_files(workspace, "csv", [csv], source="t", user="anna")
    with workspace.transaction() as session:
        ids = dict(session.execute(select(ProjectRow.source_id, ProjectRow.id)).all())
        for source_id, (status, score) in linked.items():
            session.add(
                LinkRow(
                    project_id=ids[source_id],
                    taxonomy="mission:ferries",
                    goal="routes",
                    score=score,
                    method="manual",
                    status=status,
                )
            )


def _relabelled_portfolio(workspace: Workspace, tmp_path: Path) -> None:
    """13 dated linked projects, 8 (62 %) started before 2021-01-01; plus one undated, one in NOK,
    one unlinked and one weakly proposed project, which must not count."""
    rows = [f"OLD{i},Old ferry study {i},Ferries,{2017 + i % 4}-06-01,1000000,SEK" for i in range(8)]
    rows += [f"NEW{i},New ferry pilot {i},Procurement,2022-0{i + 1}-01,500000,SEK" for i in range(4)]
    rows += [
        "NOK1,Norwegian partner,Procurement,2023-03-01,900000,NOK",
        "UNDATED,Undated,Ferries,,100000,SEK",
        "UNLINKED,Unlinked old,Ferries,2015-01-01,9000000,SEK",
        "WEAK,Weak proposal,Ferries,2016-01-01,9000000,SEK",
    ]
    linked = {f"OLD{i}": ("accepted", 1.0) for i in range(8)}
    linked |= {f"NEW{i}": ("proposed", 0.8) for i in range(4)}
    linked |= {"NOK1": ("accepted", 1.0), "UNDATED": ("accepted", 1.0), "WEAK": ("proposed", 0.2)}
    _link(workspace, tmp_path, rows, linked)
    service.save_mission(workspace, MISSION, user="anna")


def test_the_profile_counts_projects_and_money_by_start_year_split_at_the_mission_start(
    workspace: Workspace, tmp_path: Path
) -> None:
    _relabelled_portfolio(workspace, tmp_path)
    with workspace.reading() as session:
        profile = _portfolio_profile(session, "ferries", start=MISSION.start)
    assert profile.projects == 14
    assert profile.undated == 1
    assert profile.currency == "SEK"
    assert profile.unconverted == 1
    assert profile.start_years == (
        StartYear(2017, relabelled_projects=2, relabelled_money=2_000_000.0),
        StartYear(2018, relabelled_projects=2, relabelled_money=2_000_000.0),
        StartYear(2019, relabelled_projects=2, relabelled_money=2_000_000.0),
        StartYear(2020, relabelled_projects=2, relabelled_money=2_000_000.0),
        StartYear(2022, new_projects=4, new_money=2_000_000.0),
        StartYear(2023, new_projects=1),
    )


def test_a_portfolio_mostly_started_before_the_mission_fails_the_washing_check(
    workspace: Workspace, tmp_path: Path
) -> None:
    _relabelled_portfolio(workspace, tmp_path)
    report = service.check_mission(workspace, "ferries")
    assert report.status(Criterion.WASHING) == "fail"
    relabelled = [
        f for f in report.findings if f.criterion == Criterion.WASHING and "relabelled" in f.message
    ]
    assert [f.severity for f in relabelled] == [Severity.CRITICAL]
    assert "8 of 13 linked projects (62%)" in relabelled[0].evidence
    assert "8 M of 10 M SEK (80%)" in relabelled[0].evidence
    assert "2022: 2 M new / 0 relabelled" in relabelled[0].evidence
    assert report.verdict != "strong mission"
    data = report.to_dict()["relabelling"]
    assert data["relabelled_project_share"] == round(8 / 13, 4)
    assert data["relabelled_money_share"] == 0.8
    assert data["currency"] == "SEK"


def test_a_portfolio_of_new_projects_passes_the_washing_check(workspace: Workspace, tmp_path: Path) -> None:
    rows = [f"NEW{i},New ferry pilot {i},Procurement,2022-0{i + 1}-01,500000,SEK" for i in range(5)]
    rows += ["OLD,Old study,Ferries,2019-01-01,100000,SEK"]
    _link(
        workspace,
        tmp_path,
        rows,
        {f"NEW{i}": ("accepted", 1.0) for i in range(5)} | {"OLD": ("accepted", 1.0)},
    )
    service.save_mission(workspace, MISSION, user="anna")
    report = service.check_mission(workspace, "ferries")
    assert report.status(Criterion.WASHING) == "pass"
    assert report.relabelling is not None
    assert report.relabelling.relabelled_projects == 1
    assert report.relabelling.project_share == 1 / 6


def test_money_in_other_currencies_is_converted_at_the_start_years_rate_of_the_shared_portfolio_rule(
    workspace: Workspace, tmp_path: Path
) -> None:
    _relabelled_portfolio(workspace, tmp_path)
    with workspace.transaction() as session:
        session.add(
            ExchangeRateRow(currency="NOK", reporting_currency="SEK", year=2023, rate=0.5, source="t")
        )
    with workspace.reading() as session:
        profile = _portfolio_profile(session, "ferries", start=MISSION.start)
    assert profile.currency == "SEK"
    assert profile.unconverted == 0
    assert profile.start_years[-1] == StartYear(2023, new_projects=1, new_money=450_000.0)


def test_the_relabelling_figures_add_up_to_the_shared_portfolio_of_every_other_view(
    workspace: Workspace, tmp_path: Path
) -> None:
    from missionboard.services.portfolio import mission_portfolio

    _relabelled_portfolio(workspace, tmp_path)
    with workspace.transaction() as session:
        session.add(
            ExchangeRateRow(currency="NOK", reporting_currency="SEK", year=2023, rate=0.5, source="t")
        )
    relabelling = service.check_mission(workspace, "ferries").relabelling
    shared = mission_portfolio(workspace, "ferries")
    assert relabelling is not None
    assert relabelling.projects + relabelling.undated == shared.projects
    assert relabelling.currency == shared.currency
    # the undated project's money is in the shared total but in no start year
    assert relabelling.new_money + relabelling.relabelled_money + 100_000 == shared.money
