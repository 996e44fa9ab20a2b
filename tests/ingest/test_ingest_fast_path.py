"""The CSV reader's fast path (rows turned straight into column values, parsed values and participant
hash parts remembered) stores what the Project model would store, and hashes records exactly as
earlier releases did, so that re-importing into an existing workspace still finds them unchanged."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from ingest_helpers import PARTNER_HEADER, PARTNERS, PROJECT_HEADER, PROJECTS, write_csv

from missionboard.domain.common import Money
from missionboard.domain.missions import HelixType
from missionboard.domain.portfolio import Participation, ParticipationRole, Project
from missionboard.ingest import generic
from missionboard.ingest.base import ColumnRecord, ReadOptions, Record, Rejection, assemble, make_actor
from missionboard.ingest.engine import _prepared
from missionboard.services.ingest import ingest_files
from missionboard.store.portfolio import _json_text, _summary_item, project_values
from missionboard.store.workspace import Workspace

HEADER = [*PROJECT_HEADER, "language", "stage", "topics", "partners", "note"]
EXTRA = [
    ["en", "", "t1|t2", "Lund University (coordinator) [research]; Acme AB [industry]", "kept"],
    ["", "TRL 7", "", "", ""],
    ["sv", "demonstration", "x; y ;x", "City of Lund", "x"],
]
MORE = [
    ["D-4", "Day-first dates", "", "Energy Agency", "", "grant", "", "1.234,50", "eur", "", "", "24/07/2014",
     "31.12.2016", "Ongoing", "", "se, fi", "", "", "", "development", "", "", ""],
    ["D-5", "No money", "", "", "", "weird", "", "", "", "", "", "", "", "", "9", "", "SE33", "a;b", "", "",
     "", "", ""],
]  # fmt: skip


def _rows() -> list[list[str]]:
    return [[*row, *extra] for row, extra in zip(PROJECTS, EXTRA, strict=True)] + MORE


def _read(tmp_path: Path, rows: list[list[str]], **options: Any) -> list[Any]:
    path = write_csv(tmp_path / "projects.csv", HEADER, rows)
    return list(generic.read([path], ReadOptions(source="projects", **options)))


def _as_model(values: dict[str, Any]) -> Project:
    """The project the model makes of column values, validated field by field."""

    def money(name: str) -> dict[str, Any] | None:
        amount = values[f"{name}_amount"]
        return None if amount is None else {"amount": amount, "currency": values[f"{name}_currency"]}

    fields = {k: v for k, v in values.items() if k in Project.model_fields}
    return Project.model_validate(
        {
            **fields,
            "budget": money("budget"),
            "public_funding": money("public"),
            "co_funding": money("cofunding"),
        }
    )


def test_csv_rows_become_the_columns_the_project_model_keeps(tmp_path: Path) -> None:
    assert sorted(generic.FIELDS) == sorted(generic.PROJECT_COLUMNS)  # every field is read
    records = _read(tmp_path, _rows())
    assert [type(r) for r in records] == [ColumnRecord] * 5
    for record in records:
        assert project_values(_as_model(record.values)) == record.values
    first, second, *_, fifth = (r.values for r in records)
    assert first["raw"] == {"note": "kept"} and first["topics"] == ["t1", "t2"]
    assert (second["trl"], second["stage"]) == (7, "demonstration")
    assert (fifth["trl"], fifth["stage"], fifth["status"]) == (9, "deployment", "unknown")
    assert fifth["instrument"] is None  # an unknown instrument name leaves it empty
    assert records[3].values["countries"] == ["SE", "FI"]
    assert records[3].values["budget_amount"] == Decimal("1234.50")


def test_the_same_text_parsed_twice_gives_the_same_values(tmp_path: Path) -> None:
    rows = _rows()
    again = [[f"{row[0]}-again", *row[1:]] for row in rows]
    records = _read(tmp_path, rows + again)
    half = len(rows)
    for first, second in zip(records[:half], records[half:], strict=True):
        assert {**first.values, "source_id": ""} == {**second.values, "source_id": ""}
        assert first.values["countries"] is not second.values["countries"]


def test_ids_and_titles_with_surrounding_spaces_are_left_to_the_model(tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text('values:\n  id:\n    H2-1: " H2-1x "\n  title:\n    Grids: "  "\n', encoding="utf-8")
    rows = _rows()
    rows[1][1] = "Grids"
    records = _read(tmp_path, rows, mapping=mapping)
    assert isinstance(records[0], Record) and records[0].project.source_id == "H2-1x"
    assert isinstance(records[1], Rejection)
    assert (records[1].problem.field, records[1].problem.line) == ("title", 3)


def test_content_hashes_are_the_ones_earlier_releases_computed(tmp_path: Path) -> None:
    partners = write_csv(tmp_path / "partners.csv", PARTNER_HEADER, PARTNERS)
    rows = [[*row, "", "", "", extra[3], extra[4]] for row, extra in zip(PROJECTS, EXTRA, strict=True)]
    rows[2][-2] = "City of Lund"
    records = _read(tmp_path, rows, partners=partners)
    hashes = {item.values["source_id"]: item.values["content_hash"] for item in _prepared(iter(records))}
    # computed by the release before the fast path, from the same file
    assert hashes == {
        "H2-1": "5c7078027d652cad739cd416ec94b0d51095c0234c57d7e862891fbfccf574e2",
        "GRID-2": "8973f456b1dc5d1062a9e3589f67425105473118bd9e976aae4f11cc5cd56ae5",
        "PRIZE-3": "f9e080bc2db9c322297370e36522d1cd5f3793e6b57f337d2f3a52d1af6997a2",
    }


def test_a_remembered_participant_hash_part_is_the_one_computed_afresh() -> None:
    actor = make_actor("Energy Agency", helix=HelixType.GOVERNMENT)

    def participation(role: Any, amount: Money | None = None, share: float | None = None) -> Participation:
        values = {"project": ("s", "1"), "actor": actor, "role": role, "amount": amount, "share": share}
        return assemble(Participation, values)

    def fresh(p: Participation) -> str:
        a = p.actor
        amount = p.amount
        parts = (a.name, sorted(a.identifiers.items()), a.helix, a.level, a.country, p.role)
        return repr((*parts, amount.amount if amount else None, amount.currency if amount else None, p.share))

    cases = [
        participation(ParticipationRole.FUNDER),
        participation("funder"),  # equal to the member, but another repr
        participation(ParticipationRole.PARTNER, Money(amount=Decimal("1"), currency="SEK")),
        participation(ParticipationRole.PARTNER, Money(amount=Decimal("1.0"), currency="SEK")),
        participation(ParticipationRole.PARTNER, share=1.0),
    ]
    for _ in range(2):
        assert [_summary_item(p) for p in cases] == [fresh(p) for p in cases]


def test_json_texts_are_what_json_dumps_gives_also_when_remembered() -> None:
    values: list[Any] = [
        [],
        {},
        ["SE", "FI"],
        ["SE", {"a": 1}],
        [{"text": "x", "lang": None}],
        ["1", 1],
        [HelixType.RESEARCH],
        {"note": "kept"},
        "text",
    ]
    for _ in range(2):
        assert [_json_text(v) for v in values] == [json.dumps(v) for v in values]


def test_a_csv_import_then_the_same_file_again_changes_nothing(workspace: Workspace, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "projects.csv", HEADER, _rows())
    first = ingest_files(workspace, "csv", [path])
    again = ingest_files(workspace, "csv", [path])
    assert (first.inserted, again.inserted, again.updated, again.unchanged) == (5, 0, 0, 5)
