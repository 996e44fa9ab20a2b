"""Real IATI publisher files (../shared/data/iati): counts, sums and records checked against an
independent reading of the same XML."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from lxml import etree
from sqlalchemy import select

from missionboard.services.ingest import ingest_files
from missionboard.store import tables as t
from missionboard.store.workspace import Workspace

LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def activities(path: Path) -> list[Any]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.parse(str(path), parser).getroot().findall("iati-activity")


def projects(workspace: Workspace) -> dict[str, t.ProjectRow]:
    with workspace.reading() as session:
        found = {p.source_id: p for p in session.scalars(select(t.ProjectRow))}
        session.expunge_all()
    return found


def test_caf_file_imports_every_activity_with_commitments_and_sdg_tags(
    sqlite_workspace: Workspace, shared_data: Path
) -> None:
    path = shared_data / "iati" / "caf-activities-2025-10-10.xml"
    source = activities(path)
    run = ingest_files(sqlite_workspace, "iati", [path])
    assert (run.read, run.inserted, run.rejected) == (len(source), len(source), 0) == (478, 478, 0)
    stored = projects(sqlite_workspace)

    expected_commitments: Counter[str] = Counter()
    expected_tags = 0
    for activity in source:
        for transaction in activity.findall("transaction"):
            if transaction.find("transaction-type").get("code") == "2":
                value = transaction.find("value")
                currency = value.get("currency") or activity.get("default-currency")
                expected_commitments[currency] += Decimal(value.text.strip())
        tags = {tag.get("code") for tag in activity.findall("tag") if tag.get("vocabulary") == "2"}
        project = stored[activity.findtext("iati-identifier").strip()]
        labels = {label["code"] for label in project.source_labels if label["vocabulary"] == "sdg-goal"}
        assert labels == tags
        expected_tags += bool(tags)
    got: Counter[str] = Counter()
    for project in stored.values():
        for currency, amount in project.raw["commitments"].items():
            got[currency] += Decimal(amount)
    assert got == expected_commitments
    assert expected_tags == 353
    # CAF gives no budgets: the single commitment stands in as the budget
    assert sum(p.budget_amount for p in stored.values() if p.budget_amount) == sum(
        expected_commitments.values()
    )


def test_caf_records_match_the_xml_field_by_field(sqlite_workspace: Workspace, shared_data: Path) -> None:
    path = shared_data / "iati" / "caf-activities-2025-10-10.xml"
    ingest_files(sqlite_workspace, "iati", [path])
    stored = projects(sqlite_workspace)
    for activity in activities(path)[::97]:
        project = stored[activity.findtext("iati-identifier").strip()]
        assert project.source == "iati"
        assert project.title == activity.find("title/narrative").text.strip()
        assert project.language == activity.get(LANG) == "es"
        first_description = activity.find("description[@type='1']/narrative")
        if first_description is not None:
            assert project.abstract.startswith(first_description.text.strip())
        assert project.countries == [c.get("code") for c in activity.findall("recipient-country")]
        start = activity.find("activity-date[@type='2']")
        assert str(project.start) == start.get("iso-date")[:10]
        assert project.funder == activity.find("reporting-org/narrative").text.strip()
        assert project.budget_currency == activity.get("default-currency") == "USD"
        assert [s["code"] for s in project.raw["sectors"]] == [
            s.get("code") for s in activity.findall("sector")
        ]


def test_every_language_of_a_title_and_description_is_kept(
    sqlite_workspace: Workspace, shared_data: Path
) -> None:
    path = shared_data / "iati" / "single" / "canada-activity.xml"
    ingest_files(sqlite_workspace, "iati", [path])
    [project] = projects(sqlite_workspace).values()
    [activity] = activities(path)
    titles = [
        (n.text.strip(), (n.get(LANG) or activity.get(LANG)).lower())
        for n in activity.findall("title/narrative")
    ]
    assert [(x["text"], x["lang"]) for x in project.titles] == titles
    assert {x["lang"] for x in project.titles} == {"en", "fr"}
    assert project.language == activity.get(LANG).lower() == "en"
    assert project.title == next(text for text, lang in titles if lang == "en")
    assert {x["lang"] for x in project.abstracts} == {"en", "fr"}


def test_region_only_activities_keep_their_region_and_usg_extensions_are_ignored(
    sqlite_workspace: Workspace, shared_data: Path
) -> None:
    path = shared_data / "iati" / "usaid-798-activities.xml"
    source = activities(path)
    run = ingest_files(sqlite_workspace, "iati", [path])
    assert run.inserted == len(source) == 108
    stored = projects(sqlite_workspace)
    for activity in source:
        project = stored[activity.findtext("iati-identifier").strip()]
        assert project.regions == [r.get("code") for r in activity.findall("recipient-region")]
        assert project.countries == [c.get("code") for c in activity.findall("recipient-country")]
        budgets = [Decimal(v.text.strip()) for v in activity.findall("budget/value")]
        assert sum(Decimal(b["value"]) for b in project.raw["budgets"]) == sum(budgets)


def test_participating_organisations_become_actors_with_helix_types(
    sqlite_workspace: Workspace, shared_data: Path
) -> None:
    path = shared_data / "iati" / "iati-standard-example-2.03-annotated.xml"
    ingest_files(sqlite_workspace, "iati", [path])
    [activity] = activities(path)
    with sqlite_workspace.reading() as session:
        rows = session.execute(
            select(t.ActorIdentifierRow.value, t.ActorRow.helix, t.ParticipationRow.role)
            .join(t.ActorRow, t.ActorRow.id == t.ActorIdentifierRow.actor_id)
            .join(t.ParticipationRow, t.ParticipationRow.actor_id == t.ActorRow.id)
        ).all()
    got = {(ref, role) for ref, _, role in rows}
    roles = {"1": "funder", "2": "coordinator", "3": "partner", "4": "implementer"}
    expected = {
        (o.get("ref"), roles[o.get("role")]) for o in activity.findall("participating-org") if o.get("ref")
    }
    assert got == expected
    helix_by_ref = {ref: helix for ref, helix, _ in rows}
    for org in activity.findall("participating-org"):
        if org.get("ref") and org.get("type") == "40":
            assert helix_by_ref[org.get("ref")] == "government"


def test_a_folder_of_files_and_a_root_without_version_import_with_sdg_and_policy_labels(
    sqlite_workspace: Workspace, shared_data: Path
) -> None:
    folder = shared_data / "iati" / "single"
    files = sorted(folder.glob("*.xml"))
    run = ingest_files(sqlite_workspace, "iati", [folder], on_error="skip")
    assert [f.name for f in run.files] == [f.name for f in files]
    # the schema test file's activity has an empty identifier: it cannot be keyed, so it is rejected
    assert run.errors == [
        {"file": "schema-pass-24-results.xml", "line": 4, "field": "iati-identifier",
         "message": "missing or empty activity identifier"}
    ]  # fmt: skip
    assert run.inserted == sum(len(activities(f)) for f in files) - 1
    ec = next(p for p in projects(sqlite_workspace).values() if p.source_id.startswith("XI-IATI-EC_INTPA"))
    labels = {(x["vocabulary"], x["code"]) for x in ec.source_labels}
    assert {("sdg-goal", "12"), ("sdg-goal", "15")} <= labels
    marked = {m["code"] for m in ec.raw["policy_markers"] if m["significance"] not in ("", "0")}
    assert {code for vocabulary, code in labels if vocabulary == "dac-policy-marker"} == marked
    assert len(ec.raw["policy_markers"]) == 12


def test_budgets_and_transactions_keep_currency_and_value_date(
    sqlite_workspace: Workspace, shared_data: Path
) -> None:
    path = shared_data / "iati" / "single" / "fcdo-activity.xml"
    ingest_files(sqlite_workspace, "iati", [path])
    [project] = projects(sqlite_workspace).values()
    [activity] = activities(path)
    xml_budgets = [
        (Decimal(b.find("value").text), b.find("value").get("value-date")) for b in activity.findall("budget")
    ]
    assert [(Decimal(b["value"]), b["value_date"]) for b in project.raw["budgets"]] == xml_budgets
    assert any(value < 0 for value, _ in xml_budgets), "the FCDO file has a negative budget line"
    xml_transactions = [
        (tr.find("transaction-type").get("code"), Decimal(tr.find("value").text))
        for tr in activity.findall("transaction")
    ]
    assert len(project.raw["transactions"]) == len(xml_transactions)
    assert sum(Decimal(x["value"]) for x in project.raw["transactions"]) == sum(
        v for _, v in xml_transactions
    )
    assert project.budget_currency == "GBP"


def test_legacy_and_broken_sample_files_are_rejected_precisely(
    sqlite_workspace: Workspace, shared_data: Path
) -> None:
    invalid = shared_data / "iati" / "invalid"
    run = ingest_files(
        sqlite_workspace,
        "iati",
        [invalid / "dfid-drc-2013-legacy-v1.01.xml", invalid / "malformed-mismatched-tag.xml",
         invalid / "root-only-no-activities.xml", invalid / "blank-activity-ids.xml"],
        on_error="skip",
    )  # fmt: skip
    messages = [(e["file"], e["line"], e["field"]) for e in run.errors]
    assert ("dfid-drc-2013-legacy-v1.01.xml", 2, "version") in messages
    assert ("malformed-mismatched-tag.xml", 7, "") in messages
    assert sum(1 for e in run.errors if e["field"] == "iati-identifier") == 2
    assert run.inserted == 1
