"""The explorer's charts follow its filters: projects by start year and budget by funder (the 10
largest), computed by the store over every project of the view, not only the page shown."""

from __future__ import annotations

from collections import Counter

from web_support import Web

from missionboard.services import explorer

FUNDERS = ["Research Council", "Innovation Agency", "Regional Fund"]
"""The seeded workspace: project i (1–60) is funded by FUNDERS[i % 3], starts in 2020 + i % 5 and has
a budget of 1,000 × i EUR."""


def seeded(keep: object = None) -> list[int]:
    return [i for i in range(1, 61) if keep is None or FUNDERS[i % 3] == keep]


def test_the_summary_counts_the_projects_of_each_start_year(web: Web) -> None:
    with web.workspace.reading() as session:
        summary = explorer.view_summary(session, explorer.ProjectFilter())
    assert summary["by_year"] == [{"year": y, "projects": 12} for y in range(2020, 2025)]


def test_the_summary_sums_the_budget_of_each_funder_largest_first(web: Web) -> None:
    with web.workspace.reading() as session:
        summary = explorer.view_summary(session, explorer.ProjectFilter())
    assert [(r["funder"], r["currency"], r["budget"], r["projects"]) for r in summary["by_funder"]] == [
        ("Research Council", "EUR", 630_000.0, 20),
        ("Regional Fund", "EUR", 610_000.0, 20),
        ("Innovation Agency", "EUR", 590_000.0, 20),
    ]


def test_the_summary_covers_the_filtered_view_not_one_page(web: Web) -> None:
    view = explorer.ProjectFilter(funder="Innovation Agency", per_page=5)
    with web.workspace.reading() as session:
        summary = explorer.view_summary(session, view)
    years = Counter(2020 + i % 5 for i in seeded("Innovation Agency"))
    assert summary["by_year"] == [{"year": y, "projects": n} for y, n in sorted(years.items())]
    assert [r["funder"] for r in summary["by_funder"]] == ["Innovation Agency"]


def test_the_explorer_page_draws_both_charts_of_the_whole_portfolio(web: Web) -> None:
    web.login("viewer")
    page = web.client.get("/projects").text
    assert 'id="view-charts"' in page
    assert "<title>2020: 12</title>" in page
    assert "<title>Research Council: 630.0 k EUR</title>" in page


def test_the_explorer_charts_change_with_the_filters(web: Web) -> None:
    web.login("viewer")
    page = web.client.get("/projects?funder=Innovation+Agency").text
    years = Counter(2020 + i % 5 for i in seeded("Innovation Agency"))
    assert f"<title>2020: {years[2020]}</title>" in page
    assert "<title>Innovation Agency: 590.0 k EUR</title>" in page
    assert "<title>Research Council: " not in page


def test_a_view_without_projects_says_there_is_no_data_instead_of_an_empty_chart(web: Web) -> None:
    web.login("viewer")
    page = web.client.get("/projects?q=no+such+title+anywhere").text
    charts = page.split('id="view-charts"', 1)[1].split("</div>", 1)[0]
    assert charts.count("No data.") == 2
