"""The explorer's charts follow its filters: projects by start year and budget by funder (the 10
largest), computed by the store over every project of the view, not only the page shown."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pytest
from web_support import Web

from missionboard.ingest.engine import run_import
from missionboard.services import explorer
from missionboard.web.queries import TtlCache

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


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[explorer.ProjectFilter]:
    computed: list[explorer.ProjectFilter] = []
    real = explorer.view_summary

    def counted(session, view, visible=None):  # type: ignore[no-untyped-def]
        computed.append(view)
        return real(session, view, visible)

    monkeypatch.setattr(explorer, "view_summary", counted)
    return computed


def test_the_charts_of_a_view_are_computed_once_for_all_its_pages_and_orders(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    computed = _counting(monkeypatch)
    web.login("viewer")
    for query in ("funder=Innovation+Agency", "funder=Innovation+Agency&page=2&per_page=5",
                  "funder=Innovation+Agency&sort=title&desc=1"):  # fmt: skip
        assert "<title>Innovation Agency: 590.0 k EUR</title>" in web.client.get(f"/projects?{query}").text
    assert len(computed) == 1
    web.client.get("/projects?funder=Regional+Fund")
    assert len(computed) == 2


def test_after_a_write_the_next_page_shows_charts_computed_afresh(
    web: Web, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    computed = _counting(monkeypatch)
    web.login("viewer")
    assert "<title>Innovation Agency: 590.0 k EUR</title>" in web.client.get("/projects").text
    extra = tmp_path / "more.csv"
    extra.write_text(
        "id,title,abstract,funder,budget,currency,start\nnew-1,One more,Text,Innovation Agency,10000,EUR,2020-05-01\n",
        encoding="utf-8",
    )
    run_import(web.workspace, "csv", [extra], source="more", user="test")
    page = web.client.get("/projects").text
    assert "<title>Innovation Agency: 600.0 k EUR</title>" in page
    assert "<title>2020: 13</title>" in page
    assert len(computed) == 2


def test_the_cache_forgets_the_oldest_value_beyond_its_limit() -> None:
    cache = TtlCache(math.inf, limit=2)
    for key in ("a", "b", "c"):
        cache.get(key, lambda key=key: key.upper())
    calls: list[str] = []
    assert cache.get("a", lambda: calls.append("a") or "A") == "A"
    assert calls == ["a"]  # forgotten: computed again
    assert cache.get("c", lambda: calls.append("c") or "C") == "C"
    assert calls == ["a"]  # kept
