"""The consult commands end to end on a temporary workspace, as a mission owner would use them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from missionboard.cli.consult import render_markdown
from missionboard.domain.consultations import (
    Answer,
    Audience,
    Consultation,
    ConsultationStatus,
    Match,
    ProposalKind,
    ProposalSummary,
    Submission,
    Synthesis,
    default_questions,
)
from missionboard.domain.missions import HelixType, Level, Mission
from missionboard.services import consultations as consult
from missionboard.services.demo.build import mission_files
from missionboard.store.workspace import Workspace

MISSION = next(p for p in mission_files() if p.name == "school-meals.yaml")
TODAY = dt.date.today()
CLOSES = (TODAY + dt.timedelta(days=14)).isoformat()

WORKSHOP = """helix,level,language,consent,views,organic-share.importance,organic-share.ambition,proposal_objective,proposal_solution
civil_society,local,sv,ja,Barnen äter mer när de får vara med och laga maten.,5,3,,Låt eleverna planera en meny i månaden
industry,regional,sv,ja,Lokala grossister kan inte leverera ekologiskt i den volymen ännu.,3,5,,
research,national,en,yes,Plate waste falls when pupils eat after play rather than before.,4,3,Cut plate waste by a third by 2028,
government,local,sv,ja,Kostnaden per portion måste ner innan vi kan höja andelen.,4,4,,
"""


@pytest.fixture
def owner(cli, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A workspace with the school-meals mission, and a helper running commands as its owner."""
    assert cli("--user", "owner", "mission", "import", str(MISSION)).exit_code == 0

    def run(*args: str):  # type: ignore[no-untyped-def]
        return cli("--user", "owner", "consult", *args)

    run.cli = cli  # type: ignore[attr-defined]
    return run


def open_workshop(owner, audience: str = "invited") -> str:  # type: ignore[no-untyped-def]
    result = owner(
        "open",
        "school-meals",
        "--title",
        "School meals: spring round",
        "--purpose",
        "Hear pupils, kitchens and suppliers before the 2027 revision.",
        "--closes",
        CLOSES,
        "--audience",
        audience,
        "--language",
        "sv",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    return str(json.loads(result.stdout)["id"])


def test_open_list_show_and_close(owner) -> None:  # type: ignore[no-untyped-def]
    cid = open_workshop(owner)
    assert cid == "school-meals-spring-round"
    listed = json.loads(owner("list", "--mission", "school-meals", "--format", "json").stdout)
    assert [(c["id"], c["status"], c["language"], c["counts"]["responses"]) for c in listed] == [
        (cid, "open", "sv", 0)
    ]
    shown = owner("show", cid)
    assert "views (text)" in shown.stdout and "0 of 0 invitations used" in shown.stdout
    closed = owner("close", cid)
    assert closed.exit_code == 0 and "is closed with 0 responses" in closed.stdout
    assert json.loads(owner("show", cid, "--format", "json").stdout)["status"] == "closed"


def test_opening_on_an_unknown_mission_fails_with_one_line(owner) -> None:  # type: ignore[no-untyped-def]
    result = owner("open", "nope", "--title", "T", "--purpose", "P", "--closes", CLOSES)
    assert result.exit_code == 2 and "no mission 'nope'" in result.stderr
    bad_date = owner("open", "school-meals", "--title", "T", "--purpose", "P", "--closes", "next week")
    assert bad_date.exit_code == 2 and "--closes: 'next week' is not a date" in bad_date.stderr


def test_invite_prints_one_working_link_per_label(owner) -> None:  # type: ignore[no-untyped-def]
    cid = open_workshop(owner)
    result = owner(
        "invite",
        cid,
        "--label",
        "Rektor, Björkskolan",
        "--label",
        "Kitchen lead",
        "--helix",
        "government",
        "--base-url",
        "https://mb.example.org",
    )
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == ["Rektor, Björkskolan", "Kitchen lead"]
    link = urlsplit(lines[0].split("\t")[1])
    assert (link.scheme, link.netloc, link.path) == ("https", "mb.example.org", f"/c/{cid}")
    token = parse_qs(link.query)["t"][0]
    ws = Workspace.open(f"sqlite:///{owner.cli.workspace}")
    try:
        invitation = consult.check_invitation(ws, cid, token)
        assert invitation.label == "Rektor, Björkskolan" and invitation.helix is HelixType.GOVERNMENT
        _, receipt = consult.submit_response(
            ws,
            cid,
            Submission(
                helix=HelixType.GOVERNMENT,
                level=Level.LOCAL,
                consent=True,
                answers=[Answer(question_id="views", text="Bra förslag, men budgeten räcker inte.")],
            ),
            token=token,
        )
    finally:
        ws.close()
    assert "1 of 2 invitations used" in owner("show", cid).stdout
    erased = owner("erase", cid, "--receipt", receipt)
    assert erased.exit_code == 0 and "erased" in erased.stdout
    assert "0 responses" in owner("show", cid).stdout


def test_import_export_hide_and_erase(owner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cid = open_workshop(owner)
    csv_file = tmp_path / "workshop.csv"
    csv_file.write_text(WORKSHOP, encoding="utf-8")
    imported = owner("import", cid, str(csv_file))
    assert imported.exit_code == 0 and "imported 4 responses" in imported.stdout
    exported = json.loads(owner("export", cid, "--format", "json").stdout)
    ids = [r["id"] for r in exported["responses"]]
    assert len(ids) == 4 and exported["consultation"]["id"] == cid
    hidden = owner("hide", cid, str(ids[1]), "--reason", "names a supplier")
    assert hidden.exit_code == 0
    out = tmp_path / "out.csv"
    assert owner("export", cid, "--output", str(out)).exit_code == 0
    rows = out.read_text(encoding="utf-8").splitlines()
    assert len(rows) == 5 and ",yes,names a supplier," in rows[2]
    assert owner("hide", cid, str(ids[1])).exit_code == 2  # --reason is required
    assert owner("erase", cid, "--response", str(ids[0])).exit_code == 0
    assert len(json.loads(owner("export", cid, "--format", "json").stdout)["responses"]) == 3
    neither = owner("erase", cid)
    assert neither.exit_code == 2 and "give either --receipt CODE or --response N" in neither.stderr


def test_a_bad_import_row_is_reported_with_file_and_line(owner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cid = open_workshop(owner)
    csv_file = tmp_path / "workshop.csv"
    csv_file.write_text(WORKSHOP.replace("industry,regional", "aliens,regional"), encoding="utf-8")
    result = owner("import", cid, str(csv_file))
    assert result.exit_code == 2
    assert f"{csv_file}:3: helix: 'aliens' is not one of" in result.stderr.replace("\n", "")


def test_adopt_turns_a_proposal_into_a_new_mission_version(owner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cid = open_workshop(owner)
    csv_file = tmp_path / "workshop.csv"
    csv_file.write_text(WORKSHOP, encoding="utf-8")
    owner("import", cid, str(csv_file))
    responses = json.loads(owner("export", cid, "--format", "json").stdout)["responses"]
    research = next(r for r in responses if r["helix"] == "research")
    adopted = owner("adopt", cid, str(research["id"]), "0", "--objective-id", "plate-waste")
    assert adopted.exit_code == 0, adopted.stderr
    assert "now version 2" in adopted.stdout
    shown = json.loads(owner.cli("mission", "show", "school-meals", "--format", "json").stdout)
    assert shown["version"] == 2
    assert any(o["id"] == "plate-waste" for o in shown["objectives"])
    history = json.loads(owner.cli("mission", "history", "school-meals", "--format", "json").stdout)
    assert history[-1]["author"] == "owner"
    assert (
        history[-1]["comment"] == f"adopted from consultation '{cid}', response {research['id']}, proposal 0"
    )
    again = owner("adopt", cid, str(research["id"]), "0")
    assert again.exit_code == 2 and "already adopted" in again.stderr


def test_synthesise_prints_text_markdown_and_json(owner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("missionboard.consultation.synthesis")
    cid = open_workshop(owner)
    csv_file = tmp_path / "workshop.csv"
    csv_file.write_text(WORKSHOP, encoding="utf-8")
    owner("import", cid, str(csv_file))
    responses = json.loads(owner("export", cid, "--format", "json").stdout)["responses"]
    owner("hide", cid, str(responses[0]["id"]), "--reason", "test")
    data = json.loads(owner("synthesise", cid, "--format", "json").stdout)
    assert (data["consultation_id"], data["responses"], data["hidden"]) == (cid, 3, 1)
    organic = next(
        r for r in data["ratings"] if r["objective_id"] == "organic-share" and r["criterion"] == "importance"
    )
    assert organic["n"] == 3 and organic["mean"] == pytest.approx(11 / 3, abs=0.01)
    markdown = owner("synthesise", cid, "--format", "md")
    assert markdown.exit_code == 0 and markdown.stdout.startswith("# School meals: spring round")
    assert "## Ratings" in markdown.stdout and "3 responses counted, 1 hidden" in markdown.stdout
    text = owner("synthesise", cid)
    assert "Themes" in text.stdout and "#" not in text.stdout.splitlines()[0]


def test_synthesise_writes_the_report_as_pdf(owner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("missionboard.reports.consultation")
    pytest.importorskip("weasyprint")
    cid = open_workshop(owner)
    csv_file = tmp_path / "workshop.csv"
    csv_file.write_text(WORKSHOP, encoding="utf-8")
    owner("import", cid, str(csv_file))
    pdf = tmp_path / "report.pdf"
    result = owner("synthesise", cid, "--format", "md", "--pdf", str(pdf))
    assert result.exit_code == 0, result.stderr
    assert pdf.read_bytes().startswith(b"%PDF") and f"wrote {pdf}" in result.stdout


def test_participant_words_in_the_markdown_synthesis_cannot_inject_html_links_or_headings() -> None:
    mission = Mission.model_validate(
        {"id": "m", "title": "M", "challenge": "c", "statement": "s", "owner": "o", "objectives": []}
    )
    consultation = Consultation(
        id="c",
        mission_id="m",
        mission_version=1,
        title="C",
        purpose="p",
        opens_on=dt.date(2026, 1, 1),
        closes_on=dt.date(2026, 2, 1),
        audience=Audience.PUBLIC,
        status=ConsultationStatus.CLOSED,
        questions=default_questions(),
        created_by="owner",
        created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    proposal = ProposalSummary(
        response_id=1,
        index=0,
        kind=ProposalKind.SOLUTION,
        text="<img src=x onerror=alert(1)> [click](http://evil.example)\n\n# Fake heading",
        helix=HelixType.INDUSTRY,
        level=Level.LOCAL,
        sdgs=[Match(code="2", title="Zero hunger", score=0.4)],
    )
    synthesis = Synthesis(
        consultation_id="c",
        mission_id="m",
        responses=1,
        hidden=0,
        proposals=[proposal],
        generated_at=dt.datetime(2026, 2, 2, tzinfo=dt.UTC),
    )
    markdown = render_markdown(consultation, mission, synthesis, markdown=True)
    assert "<img" not in markdown and "&lt;img src=x onerror=alert(1)&gt;" in markdown
    assert "[click](" not in markdown and r"\[click\](http://evil.example)" in markdown
    assert "\n# Fake heading" not in markdown and r"\# Fake heading" in markdown
    text = render_markdown(consultation, mission, synthesis, markdown=False)
    assert "<img src=x onerror=alert(1)> [click](http://evil.example) # Fake heading" in text
