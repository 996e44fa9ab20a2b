"""The consultation report shows what a mission board reads, as a self-contained page and as a PDF."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from missionboard.domain.consultations import (
    Consultation,
    GroupRating,
    Match,
    ProposalKind,
    ProposalSummary,
    Quote,
    RatingSummary,
    Synthesis,
    ThemeSummary,
    default_questions,
)
from missionboard.domain.missions import HelixType, Level, Mission, Objective
from missionboard.reports.consultation import render_consultation_html, render_consultation_pdf

NOW = dt.datetime(2026, 10, 20, 9, 0, tzinfo=dt.UTC)
GOV, IND, CIV = HelixType.GOVERNMENT, HelixType.INDUSTRY, HelixType.CIVIL_SOCIETY


@pytest.fixture
def report_input() -> tuple[Consultation, Mission, Synthesis]:
    mission = Mission(
        id="school-meals",
        title="Sustainable school meals",
        challenge={"title": "Public meals that harm health and climate"},
        statement="By 2030 every public school meal is healthy, sustainable and enjoyed by pupils.",
        owner="National innovation agency",
        objectives=[
            Objective(id="organic-share", title="Raise the organic share of food in public meals"),
            Objective(id="food-waste", title="Halve plate and kitchen waste in school meals"),
        ],
    )
    consultation = Consultation(
        id="school-meals-2026",
        mission_id="school-meals",
        mission_version=1,
        title="School meals consultation",
        purpose="Hear pupils, kitchens and suppliers before the revision.",
        opens_on=dt.date(2026, 9, 1),
        closes_on=dt.date(2026, 10, 15),
        questions=default_questions(),
        status="closed",
        created_by="owner",
        created_at=NOW,
    )
    synthesis = Synthesis(
        consultation_id=consultation.id,
        mission_id=mission.id,
        responses=12,
        hidden=1,
        by_helix={CIV: 7, IND: 5},
        by_level={Level.LOCAL: 9, Level.NATIONAL: 3},
        themes=[
            ThemeSummary(
                label="procurement · local · tender",
                keywords=["procurement", "local", "tender"],
                size=6,
                quotes=[
                    Quote(
                        response_id=3,
                        text="Tenders reward the cheapest bid <script>alert(1)</script>",
                        helix=IND,
                        level=Level.NATIONAL,
                    )
                ],
                by_helix={IND: 5, CIV: 1},
                by_level={Level.NATIONAL: 3, Level.LOCAL: 3},
            )
        ],
        proposals=[
            ProposalSummary(
                response_id=4,
                index=0,
                kind=ProposalKind.SOLUTION,
                text="Split food tenders into small lots so local farms can bid.",
                helix=IND,
                level=Level.NATIONAL,
                objectives=[Match(code="organic-share", title="Raise the organic share", score=0.41)],
                sdgs=[Match(code="12", title="Responsible consumption and production", score=0.52)],
                adopted=True,
            )
        ],
        ratings=[
            RatingSummary(
                objective_id="organic-share",
                objective_title="Raise the organic share of food in public meals",
                criterion="importance",
                n=12,
                mean=3.6,
                distribution={1: 1, 2: 2, 3: 2, 4: 3, 5: 4},
                by_helix={CIV: GroupRating(n=7, mean=4.4), IND: GroupRating(n=5, mean=2.4)},
                by_level={Level.LOCAL: GroupRating(n=9, mean=3.9)},
                spread=2.0,
                disagreement=True,
            ),
            RatingSummary(
                objective_id="food-waste",
                objective_title="Halve plate and kitchen waste in school meals",
                criterion="importance",
                n=12,
                mean=4.3,
                distribution={3: 1, 4: 6, 5: 5},
                by_helix={CIV: GroupRating(n=7, mean=4.3), IND: GroupRating(n=5, mean=4.2)},
                spread=0.1,
            ),
        ],
        generated_at=NOW,
    )
    return consultation, mission, synthesis


def test_the_report_page_has_every_section(report_input) -> None:  # type: ignore[no-untyped-def]
    html = render_consultation_html(*report_input)
    for section in ("purpose", "participation", "themes", "ratings", "proposals"):
        assert f'<section id="{section}">' in html
    assert "Hear pupils, kitchens and suppliers before the revision." in html
    assert "procurement · local · tender" in html and "6 respondents" in html
    assert "Split food tenders into small lots so local farms can bid." in html and "(adopted)" in html
    assert "SDG 12 Responsible consumption and production" in html
    assert "Civil society" in html and "<b>1</b> hidden by moderators" in html


def test_disagreements_are_highlighted_and_agreement_is_not(report_input) -> None:  # type: ignore[no-untyped-def]
    html = render_consultation_html(*report_input)
    assert html.count('<tr class="disagree">') == 1
    assert "Groups disagree on:" in html and "(importance, gap 2.0)" in html
    assert "Halve plate and kitchen waste in school meals (importance" not in html


def test_the_page_is_self_contained_with_inline_charts(report_input) -> None:  # type: ignore[no-untyped-def]
    html = render_consultation_html(*report_input)
    assert html.count("<svg") >= 3
    assert "<?xml" not in html
    for fetched in ('src="', "<link", 'href="http', "@import"):
        assert fetched not in html
    assert not re.search(r"url\((?!#)", html)  # only references inside the page (clip paths)


def test_participant_text_is_escaped(report_input) -> None:  # type: ignore[no-untyped-def]
    html = render_consultation_html(*report_input)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_an_empty_synthesis_still_renders(report_input) -> None:  # type: ignore[no-untyped-def]
    consultation, mission, _ = report_input
    empty = Synthesis(
        consultation_id=consultation.id, mission_id=mission.id, responses=0, hidden=0, generated_at=NOW
    )
    html = render_consultation_html(consultation, mission, empty)
    assert "No responses are counted yet." in html and "No proposals were made." in html


def test_the_pdf_is_a_pdf(report_input) -> None:  # type: ignore[no-untyped-def]
    pdf = render_consultation_pdf(*report_input)
    assert pdf.startswith(b"%PDF")
    assert len(pdf) > 5000


def test_near_identical_proposals_are_reported_once_under_their_closest_objective(report_input) -> None:  # type: ignore[no-untyped-def]
    consultation, mission, synthesis = report_input
    first = synthesis.proposals[0]
    again = first.model_copy(
        update={"response_id": 9, "adopted": False, "text": first.text + " It worked in our county."}
    )
    weak = first.model_copy(
        update={
            "response_id": 11,
            "adopted": False,
            "text": "A state fund for new kitchens.",
            "objectives": [Match(code="organic-share", title="Raise the organic share", score=0.05)],
        }
    )
    html = render_consultation_html(
        consultation, mission, synthesis.model_copy(update={"proposals": [first, again, weak]})
    )
    title = next(o.title for o in mission.objectives if o.id == "organic-share")
    assert f"Closest to: {title}" in html and "Not clearly close to any objective" in html
    assert html.count("Split food tenders into small lots") == 1 and "proposed 2 times" in html
    assert "(response 4)" in html and "(response 9)" in html


def _right_edge(box: Any) -> float:
    edge = 0.0
    for child in getattr(box, "children", None) or []:
        if getattr(child, "width", None) is not None:
            edge = max(edge, child.position_x + child.width)
        edge = max(edge, _right_edge(child))
    return edge


def test_a_long_unbroken_proposal_is_wrapped_inside_the_pdf_page(report_input) -> None:  # type: ignore[no-untyped-def]
    weasyprint = pytest.importorskip("weasyprint")
    consultation, mission, synthesis = report_input
    long = synthesis.proposals[0].model_copy(update={"text": "https://example.org/" + "x" * 1500})
    html = render_consultation_html(consultation, mission, synthesis.model_copy(update={"proposals": [long]}))
    document = weasyprint.HTML(string=html).render()
    assert all(_right_edge(page._page_box) <= page.width for page in document.pages)
