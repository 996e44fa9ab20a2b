"""Board papers: a mission's printable report as a Word document and a PowerPoint deck, carrying the
report's figures (portfolio, each objective's status, probability, forecast and target, weak links) and
its charts — from the service, the web (as visible as the report) and the CLI."""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from fastapi.testclient import TestClient
from pptx import Presentation

from missionboard.cli.app import main
from missionboard.services import accounts
from missionboard.services.demo.build import build_demo
from missionboard.services.monitoring import monitor_mission
from missionboard.services.portfolio import MissionPortfolio, mission_portfolio
from missionboard.services.reports import (
    DOCX_MEDIA_TYPE,
    PPTX_MEDIA_TYPE,
    BoardPaper,
    board_docx,
    board_paper,
    board_pptx,
)
from missionboard.store.workspace import Workspace

MISSION = "school-meals"
PRIVATE = "digital-leadership"
"""The demo's mission that only its members see."""
PASSWORD = "a long enough test password"
STATUS_WORDS = {
    "on_track": "on track",
    "at_risk": "at risk",
    "off_track": "off track",
    "achieved": "achieved",
    "no_data": "no data",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("demo-board") / "missionboard.db"
    build_demo(path)
    yield path


@pytest.fixture(scope="module")
def workspace(demo: Path) -> Iterator[Workspace]:
    opened = Workspace.open(f"sqlite:///{demo}")
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def paper(workspace: Workspace) -> BoardPaper:
    return board_paper(workspace, MISSION)


@pytest.fixture(scope="module")
def portfolio(workspace: Workspace) -> MissionPortfolio:
    return mission_portfolio(workspace, MISSION)


@pytest.fixture(scope="module")
def board(workspace: Workspace) -> list[dict[str, object]]:
    """The monitoring board's objectives, as its JSON (and the report) gives them."""
    return list(monitor_mission(workspace, MISSION).to_dict()["objectives"])


@pytest.fixture(scope="module")
def docx_text(paper: BoardPaper) -> tuple[str, list[list[list[str]]], int]:
    """The Word paper's paragraphs, its tables' cells and how many pictures it holds."""
    document = Document(io.BytesIO(board_docx(paper)))
    text = "\n".join(p.text for p in document.paragraphs)
    tables = [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables]
    return text, tables, len(document.inline_shapes)


@pytest.fixture(scope="module")
def deck(paper: BoardPaper) -> Any:
    return Presentation(io.BytesIO(board_pptx(paper)))


def _objective_rows(tables: list[list[list[str]]]) -> dict[str, list[str]]:
    """The objectives table's rows by title (the table headed 'Objective')."""
    table = next(t for t in tables if t[0][0] == "Objective")
    return {row[0]: row for row in table[1:]}


def _percent(probability: object) -> str:
    return f"{float(probability) * 100:.0f} %"  # type: ignore[arg-type]


# --- the Word paper ----------------------------------------------------------------------------------


def test_the_word_paper_lists_every_objective_of_the_board(docx_text, board) -> None:
    rows = _objective_rows(docx_text[1])
    assert sorted(rows) == sorted(str(o["title"]) for o in board)


def test_the_word_paper_gives_each_objectives_status_in_words(docx_text, board) -> None:
    rows = _objective_rows(docx_text[1])
    assert {title: row[1] for title, row in rows.items()} == {
        str(o["title"]): STATUS_WORDS[str(o["status"])] for o in board
    }


def test_the_word_paper_gives_each_objectives_probability_as_a_percentage(docx_text, board) -> None:
    rows = _objective_rows(docx_text[1])
    assert {title: row[2] for title, row in rows.items()} == {
        str(o["title"]): _percent(o["probability"]) for o in board
    }


def test_the_word_paper_gives_each_objectives_target_with_its_year(docx_text, board) -> None:
    rows = _objective_rows(docx_text[1])
    expected = {str(o["title"]): f"{o['target']['value']} ({o['target']['year']})" for o in board}  # type: ignore[index]
    assert {title: row[5] for title, row in rows.items()} == expected


def test_the_word_paper_counts_each_objectives_projects_as_the_portfolio(docx_text, portfolio) -> None:
    rows = _objective_rows(docx_text[1])
    assert {title: row[6] for title, row in rows.items()} == {
        o.title: f"{o.projects:,}" for o in portfolio.objectives
    }


def test_the_word_paper_gives_the_portfolios_projects(docx_text, portfolio) -> None:
    figures = {row[0]: row for row in next(t for t in docx_text[1] if t[0][0] == "Figure")}
    assert figures["Projects"][1] == f"{portfolio.projects:,}"


def test_the_word_paper_gives_the_portfolios_money_in_its_currency(docx_text, portfolio) -> None:
    figures = {row[0]: row for row in next(t for t in docx_text[1] if t[0][0] == "Figure")}
    assert figures["Money"][1:] == [f"{round(portfolio.money, 2):,.0f}", portfolio.currency]


def test_the_word_paper_ends_with_the_portfolio_rule(docx_text, portfolio) -> None:
    assert docx_text[0].splitlines()[-1] == portfolio.line()


def test_the_word_paper_lists_the_stories_weak_links(docx_text, paper) -> None:
    assert paper.weak_links
    assert all(message in docx_text[0].splitlines() for message in paper.weak_links)


def test_the_word_paper_carries_the_probability_and_funding_charts_as_pictures(docx_text, paper) -> None:
    assert [c.name for c in paper.charts] == ["probability", "coverage"]
    assert docx_text[2] == len(paper.charts)


# --- the deck ----------------------------------------------------------------------------------------


def _slide_texts(deck) -> list[str]:
    return [
        "\n".join(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame)
        for slide in deck.slides
    ]


def test_the_deck_has_title_summary_objectives_one_slide_per_chart_and_weak_links(deck, paper) -> None:
    assert len(deck.slides) == 3 + len(paper.charts) + 1


def test_the_deck_opens_with_the_missions_title(deck, paper) -> None:
    assert deck.slides[0].shapes.title.text == paper.title


def test_the_decks_objectives_table_equals_the_boards_figures(deck, board) -> None:
    table = next(s.table for s in deck.slides[2].shapes if s.has_table)
    rows = {
        table.cell(r, 0).text: (table.cell(r, 1).text, table.cell(r, 2).text)
        for r in range(1, len(table.rows))
    }
    assert rows == {
        str(o["title"]): (STATUS_WORDS[str(o["status"])], _percent(o["probability"])) for o in board
    }


def test_the_decks_summary_gives_the_portfolios_projects_money_and_currency(deck, portfolio) -> None:
    summary = _slide_texts(deck)[1]
    assert (
        f"{portfolio.projects:,} projects with {round(portfolio.money, 2):,.0f} {portfolio.currency}"
        in summary
    )


def test_the_deck_shows_each_chart_as_a_picture_on_its_own_slide(deck, paper) -> None:
    pictures = [
        [s for s in slide.shapes if s.shape_type == 13]  # MSO_SHAPE_TYPE.PICTURE
        for slide in list(deck.slides)[3 : 3 + len(paper.charts)]
    ]
    assert [len(found) for found in pictures] == [1] * len(paper.charts)


def test_the_decks_last_slide_lists_the_weak_links(deck, paper) -> None:
    assert _slide_texts(deck)[-1].splitlines()[1:] == list(paper.weak_links)


# --- the web -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def web(workspace: Workspace) -> Iterator[TestClient]:
    from argon2 import PasswordHasher

    from missionboard.web import create_app

    patch = pytest.MonkeyPatch()
    patch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    for name in ("member", "outsider"):
        accounts.create_user(workspace, name, PASSWORD, by="test")
    for mission in (MISSION, PRIVATE):
        accounts.set_role(workspace, "member", mission, "viewer", by="test")
    try:
        with TestClient(create_app(workspace, secure_cookies=False), base_url="http://127.0.0.1") as client:
            yield client
    finally:
        patch.undo()


def _login(client: TestClient, username: str) -> None:
    client.cookies.clear()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token.group(1), "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303


@pytest.mark.parametrize(("ending", "media_type"), [("docx", DOCX_MEDIA_TYPE), ("pptx", PPTX_MEDIA_TYPE)])
def test_a_member_downloads_the_board_paper_with_its_media_type(web, ending, media_type) -> None:
    _login(web, "member")
    response = web.get(f"/missions/{MISSION}/board.{ending}")
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.headers["content-disposition"] == f'attachment; filename="{MISSION}-board.{ending}"'


@pytest.mark.parametrize("ending", ["docx", "pptx"])
def test_an_outsider_gets_the_board_paper_as_the_report_answers(web, ending) -> None:
    _login(web, "outsider")
    expected = web.get(f"/missions/{PRIVATE}/report").status_code
    assert expected in (401, 403, 404)
    assert web.get(f"/missions/{PRIVATE}/board.{ending}").status_code == expected


def test_the_report_links_to_both_board_papers(web) -> None:
    _login(web, "member")
    page = web.get(f"/missions/{MISSION}/report").text
    assert f'href="/missions/{MISSION}/board.docx"' in page
    assert f'href="/missions/{MISSION}/board.pptx"' in page


def test_the_papers_figures_are_the_printable_reports(web, paper) -> None:
    _login(web, "member")
    page = unescape(re.sub(r"<[^>]+>", "", web.get(f"/missions/{MISSION}/report").text))
    assert f"{paper.projects:,} projects · {paper.money:,.0f} {paper.currency}" in page
    for o in paper.objectives:
        assert f"{o.status} {o.title}" in page
        assert f"({o.probability_text} chance of reaching the target)" in page
        assert f"forecast {o.forecast}" in page
        assert o.target in page


# --- the command line --------------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _cli(demo: Path, *args: str, stdout: io.StringIO | None = None) -> int:
    capture = pytest.MonkeyPatch()
    capture.setattr(sys, "stdout", stdout or io.StringIO())
    try:
        return main(["--workspace", str(demo), "report", *args])
    finally:
        capture.undo()


def test_the_command_writes_the_deck_and_exits_0(demo: Path, tmp_path: Path) -> None:
    target = tmp_path / "board.pptx"
    assert _cli(demo, MISSION, "-o", str(target)) == 0
    assert len(Presentation(str(target)).slides) >= 5


def test_the_command_leaves_no_temporary_file_beside_the_paper(demo: Path, tmp_path: Path) -> None:
    assert _cli(demo, MISSION, "--format", "docx", "-o", str(tmp_path / "board.docx")) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["board.docx"]


def test_the_command_refuses_an_unknown_mission_with_exit_2(demo: Path, tmp_path: Path) -> None:
    assert _cli(demo, "no-such-mission", "-o", str(tmp_path / "board.docx")) == 2
    assert not (tmp_path / "board.docx").exists()


def test_the_command_refuses_to_write_a_paper_to_a_terminal_with_exit_2(demo: Path) -> None:
    terminal = Terminal()
    assert _cli(demo, MISSION, stdout=terminal) == 2
    assert terminal.getvalue() == ""
