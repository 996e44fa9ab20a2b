"""Importing responses gathered elsewhere (CSV): all rows or none, errors that name file, line and column."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest

from missionboard.domain.consultations import Audience, Channel, ProposalKind
from missionboard.domain.missions import HelixType, Level, Mission
from missionboard.errors import InputError
from missionboard.services import consultations as consult
from missionboard.services import missions as mission_service
from missionboard.store import audit
from missionboard.store.workspace import Workspace

MISSION = {
    "id": "ferries",
    "title": "Zero-emission ferries",
    "challenge": "Diesel ferries",
    "statement": "By 2030 every ferry route sails with zero emissions.",
    "owner": "Ministry",
    "objectives": [{"id": "routes", "title": "Zero-emission routes"}, {"id": "yards", "title": "Shipyards"}],
}

HEADER = "helix,level,language,consent,views,routes.importance,routes.ambition,proposal_objective,proposal_solution"
ROWS = [
    "research,national,en,yes,Battery prices fall faster than the plan assumes.,5,2,,",
    'industry,regional,nb,ja,"Verftene trenger ordre nå, ikke i 2028.",4,3,Build ten ferries a year,',
    "civil_society,local,en,yes,,3,,,Night ferries should stay",
    "government,local,sv,yes,Kommunerna behöver laddinfrastruktur i hamnarna.,5,4,,Shore power at every quay",
    "research,international,en,yes,Hydrogen is a better fit for the long routes.,4,5,,",
    "industry,national,en,yes,We can deliver if procurement is bundled.,5,3,,",
]


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    mission_service.save_mission(workspace, Mission.model_validate(MISSION), user="owner")
    consult.open_consultation(
        workspace,
        mission_id="ferries",
        title="Ferries workshop",
        purpose="Gather what the workshops said.",
        opens_on=dt.date.today(),
        closes_on=dt.date.today() + dt.timedelta(days=10),
        audience=Audience.INVITED,
        consultation_id="ferries-workshop",
        user="owner",
    )
    return workspace


def write(tmp_path: Path, *rows: str, header: str = HEADER, name: str = "workshop.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_a_csv_of_responses_is_imported_as_the_imported_channel(ws: Workspace, tmp_path: Path) -> None:
    assert consult.import_responses(ws, "ferries-workshop", write(tmp_path, *ROWS), user="owner") == 6
    responses = consult.list_responses(ws, "ferries-workshop")
    assert [r.channel for r in responses] == [Channel.IMPORTED] * 6
    second = responses[1]
    assert (second.helix, second.level, second.language) == (HelixType.INDUSTRY, Level.REGIONAL, "nb")
    assert second.answers[0].text == "Verftene trenger ordre nå, ikke i 2028."
    assert [(p.kind, p.text) for p in second.proposals] == [
        (ProposalKind.OBJECTIVE, "Build ten ferries a year")
    ]
    third = responses[2]
    assert third.answers == [] and third.ratings[0].importance == 3 and third.ratings[0].ambition is None
    assert [p.kind for p in responses[3].proposals] == [ProposalKind.SOLUTION]
    with ws.reading() as session:
        [event] = [e for e in audit.events(session) if e.action == "consultation.import"]
    assert event.actor == "owner" and event.after is not None and event.after["responses"] == 6


def test_a_bad_row_aborts_the_import_naming_file_line_and_field(ws: Workspace, tmp_path: Path) -> None:
    rows = [*ROWS[:5], "aliens,national,en,yes,We come in peace.,5,5,,", ROWS[5]]
    path = write(tmp_path, *rows)
    with pytest.raises(InputError) as raised:
        consult.import_responses(ws, "ferries-workshop", path, user="owner")
    assert str(raised.value).startswith(f"{path}:7: helix: 'aliens' is not one of government, research")
    assert consult.list_responses(ws, "ferries-workshop") == []


def test_every_bad_cell_is_reported_at_once(ws: Workspace, tmp_path: Path) -> None:
    rows = [
        "research,national,en,yes,Fine.,7,2,,",
        "research,galactic,en,no,Fine.,5,2,,",
        "research,national,fr,yes,Fine.,5,x,,",
    ]
    with pytest.raises(InputError) as raised:
        consult.import_responses(ws, "ferries-workshop", write(tmp_path, *rows), user="owner")
    located = [(p.line, p.field) for p in raised.value.problems]
    assert located == [
        (2, "routes.importance"),
        (3, "level"),
        (3, "consent"),
        (4, "language"),
        (4, "routes.ambition"),
    ]


def test_unknown_columns_and_objectives_are_refused_in_the_header(ws: Workspace, tmp_path: Path) -> None:
    header = "helix,level,consent,views,harbours.importance,email"
    with pytest.raises(InputError) as raised:
        consult.import_responses(
            ws,
            "ferries-workshop",
            write(tmp_path, "research,local,yes,x,1,a@b.c", header=header),
            user="owner",
        )
    problems = {(p.line, p.field): p.message for p in raised.value.problems}
    assert problems[(1, "harbours.importance")].startswith("the mission has no objective 'harbours'")
    assert problems[(1, "email")].startswith("unknown column")
    assert consult.list_responses(ws, "ferries-workshop") == []


def test_a_missing_column_is_named(ws: Workspace, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"workshop.csv:1: consent: column is missing"):
        consult.import_responses(
            ws, "ferries-workshop", write(tmp_path, "research,local", header="helix,level"), user="owner"
        )


def test_an_export_can_be_imported_again(ws: Workspace, tmp_path: Path) -> None:
    consult.import_responses(ws, "ferries-workshop", write(tmp_path, *ROWS), user="owner")
    exported = tmp_path / "export.csv"
    exported.write_text(consult.export_responses(ws, "ferries-workshop"), encoding="utf-8")
    assert consult.import_responses(ws, "ferries-workshop", exported, user="owner") == 6
    first, again = (
        consult.list_responses(ws, "ferries-workshop")[:6],
        consult.list_responses(ws, "ferries-workshop")[6:],
    )
    assert [(r.helix, r.answers, r.ratings, r.proposals) for r in first] == [
        (r.helix, r.answers, r.ratings, r.proposals) for r in again
    ]


def test_semicolon_separated_files_with_a_byte_order_mark_are_read(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_text(
        "\ufeffhelix;level;consent;views\nresearch;local;yes;Gode ideer, men dyrt\n", encoding="utf-8"
    )
    assert consult.import_responses(ws, "ferries-workshop", path, user="owner") == 1
    [response] = consult.list_responses(ws, "ferries-workshop")
    assert response.answers[0].text == "Gode ideer, men dyrt" and response.language == "en"


def test_a_file_that_is_not_utf8_is_refused(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("helix,level,consent,views\nresearch,local,yes,Bør være grønn\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"latin1\.csv: is not UTF-8 text"):
        consult.import_responses(ws, "ferries-workshop", path, user="owner")


def test_exported_cells_that_a_spreadsheet_would_run_as_formulas_are_neutralised(
    ws: Workspace, tmp_path: Path
) -> None:
    rows = [
        'civil_society,local,en,yes,"=HYPERLINK(""http://evil.example"",""click"")",4,,@SUM(A1:A9),',
        "research,national,en,yes,+47 ferries are too few,,,,-cmd|' /C calc'!A0",
    ]
    consult.import_responses(ws, "ferries-workshop", write(tmp_path, *rows), user="owner")
    exported = consult.export_responses(ws, "ferries-workshop")
    cells = [cell for row in csv.reader(io.StringIO(exported)) for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@")]
    assert '\'=HYPERLINK("http://evil.example","click")' in cells
    again = tmp_path / "again.csv"
    again.write_text(exported, encoding="utf-8")
    consult.import_responses(ws, "ferries-workshop", again, user="owner")
    first, second = (
        consult.list_responses(ws, "ferries-workshop")[:2],
        consult.list_responses(ws, "ferries-workshop")[2:],
    )
    assert [(r.answers, r.proposals) for r in first] == [(r.answers, r.proposals) for r in second]
    assert second[1].proposals[0].text == "-cmd|' /C calc'!A0"
