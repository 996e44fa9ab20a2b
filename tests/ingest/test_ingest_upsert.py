"""One portfolio, safely: upserts by (source, id), audit of changes, all-or-nothing imports (SQLite and
PostgreSQL through the ``workspace`` fixture)."""

from __future__ import annotations

import csv
import hashlib
from decimal import Decimal
from pathlib import Path

import pytest
from ingest_helpers import PARTNER_HEADER, PROJECT_HEADER, portfolio_files, snapshot, with_field, write_csv
from sqlalchemy import func, select

from missionboard.errors import InputError
from missionboard.services.ingest import ingest_files, list_runs
from missionboard.store import tables as t
from missionboard.store.audit import events


def _count(workspace, row) -> int:  # type: ignore[no-untyped-def]
    with workspace.reading() as session:
        return int(session.scalar(select(func.count()).select_from(row)) or 0)


def test_first_import_inserts_every_project_with_its_partners_and_funder(workspace, tmp_path: Path) -> None:
    projects, partners = portfolio_files(tmp_path)
    run = ingest_files(workspace, "csv", [projects], partners=partners, source="agency", user="ana")
    assert (run.read, run.inserted, run.updated, run.unchanged, run.rejected) == (3, 3, 0, 0, 0)
    with workspace.reading() as session:
        project = session.scalars(select(t.ProjectRow).where(t.ProjectRow.source_id == "H2-1")).one()
        assert project.source == "agency"
        assert project.budget_amount == Decimal("1000000") and project.budget_currency == "SEK"
        assert project.public_amount == Decimal("800000") and project.cofunding_amount == Decimal("200000")
        roles = session.execute(
            select(t.ActorRow.name, t.ParticipationRow.role, t.ParticipationRow.share, t.ActorRow.helix)
            .join(t.ParticipationRow, t.ParticipationRow.actor_id == t.ActorRow.id)
            .where(t.ParticipationRow.project_id == project.id)
            .order_by(t.ActorRow.name)
        ).all()
    assert [tuple(r) for r in roles] == [
        ("Energy Agency", "funder", None, None),
        ("KTH Royal Institute of Technology", "coordinator", 0.5, "research"),
        ("SSAB AB", "partner", 0.5, "industry"),
    ]


def test_importing_the_same_file_twice_changes_nothing(workspace, tmp_path: Path) -> None:
    projects, partners = portfolio_files(tmp_path)
    ingest_files(workspace, "csv", [projects], partners=partners, source="agency")
    before = snapshot(workspace)
    run = ingest_files(workspace, "csv", [projects], partners=partners, source="agency")
    assert (run.inserted, run.updated, run.unchanged) == (0, 0, 3)
    after = snapshot(workspace)
    for table in ("projects", "actors", "actor_identifiers", "actor_aliases", "participations"):
        assert after[table] == before[table], table
    assert len(after["import_runs"]) == 2


def test_a_newer_file_updates_what_changed_and_records_before_and_after(workspace, tmp_path: Path) -> None:
    projects, partners = portfolio_files(tmp_path)
    ingest_files(workspace, "csv", [projects], partners=partners, source="agency")
    newer = write_csv(tmp_path / "projects.csv", PROJECT_HEADER, with_field(1, "budget", "650000"))
    run = ingest_files(workspace, "csv", [newer], partners=partners, source="agency", user="bo")
    assert (run.inserted, run.updated, run.unchanged) == (0, 1, 2)
    with workspace.reading() as session:
        amount = session.scalar(select(t.ProjectRow.budget_amount).where(t.ProjectRow.source_id == "GRID-2"))
        changes = events(session, entity="project", entity_id="agency:GRID-2")
    assert amount == Decimal("650000")
    assert len(changes) == 1
    assert changes[0].actor == "bo" and changes[0].action == "project.update"
    assert changes[0].before == {"budget_amount": "500000.50"}
    assert changes[0].after == {"budget_amount": "650000"}


def test_a_changed_partner_list_is_an_update(workspace, tmp_path: Path) -> None:
    projects, partners = portfolio_files(tmp_path)
    ingest_files(workspace, "csv", [projects], partners=partners, source="agency")
    fewer = write_csv(
        tmp_path / "partners2.csv",
        PARTNER_HEADER,
        [["H2-1", "KTH Royal Institute of Technology", "SE-ORG-2021006977", "research", "coordinator", "1", "SE",
          "national"],
         ["GRID-2", "Vattenfall", "", "industry", "implementer", "1", "SE", "national"]],
    )  # fmt: skip
    run = ingest_files(workspace, "csv", [projects], partners=fewer, source="agency")
    assert (run.updated, run.unchanged) == (1, 2)
    with workspace.reading() as session:
        change = events(session, entity="project", entity_id="agency:H2-1")[0]
    assert ["SSAB AB", "partner", None] in change.before["participants"]
    assert ["SSAB AB", "partner", None] not in change.after["participants"]


def test_a_bad_record_aborts_and_leaves_the_workspace_exactly_as_before(workspace, tmp_path: Path) -> None:
    projects, partners = portfolio_files(tmp_path)
    ingest_files(workspace, "csv", [projects], partners=partners, source="agency")
    before = snapshot(workspace)
    bad = [
        "BAD-4",
        "Broken budget",
        "",
        "Energy Agency",
        "",
        "",
        "",
        "-5",
        "SEK",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ]
    rows = [*with_field(0, "title", "Hydrogen valleys, phase 2"), bad]
    newer = write_csv(tmp_path / "projects.csv", PROJECT_HEADER, rows)
    with pytest.raises(InputError) as caught:
        ingest_files(workspace, "csv", [newer], partners=partners, source="agency")
    assert caught.value.problems[0].line == 5
    assert caught.value.problems[0].field == "budget"
    assert "must not be negative" in caught.value.problems[0].message
    assert snapshot(workspace) == before


def test_skip_lands_good_records_and_writes_each_rejected_one_with_its_reason(
    workspace, tmp_path: Path
) -> None:
    rows = with_field(1, "start", "2023-02-30")
    projects, partners = portfolio_files(tmp_path, rows)
    rejects = tmp_path / "rejects.csv"
    run = ingest_files(
        workspace, "csv", [projects], partners=partners, source="agency", on_error="skip", rejects=rejects
    )
    assert (run.read, run.inserted, run.rejected) == (3, 2, 1)
    assert run.errors == [
        {"file": "projects.csv", "line": 3, "field": "start",
         "message": "impossible date '2023-02-30': day is out of range for month"}
    ]  # fmt: skip
    with rejects.open(encoding="utf-8") as handle:
        written = list(csv.DictReader(handle))
    assert len(written) == 1 and written[0]["line"] == "3" and written[0]["field"] == "start"
    assert '"GRID-2"' in written[0]["record"]
    assert _count(workspace, t.ProjectRow) == 2


def test_dry_run_checks_everything_and_writes_nothing(workspace, tmp_path: Path) -> None:
    projects, partners = portfolio_files(tmp_path)
    before = snapshot(workspace)
    run = ingest_files(workspace, "csv", [projects], partners=partners, source="agency", dry_run=True)
    assert run.dry_run and (run.read, run.inserted) == (3, 3)
    assert snapshot(workspace) == before


def test_each_import_is_recorded_with_file_hash_size_counts_and_user(workspace, tmp_path: Path) -> None:
    projects, partners = portfolio_files(tmp_path)
    ingest_files(workspace, "csv", [projects], partners=partners, source="agency", user="ana")
    [(run_id, run)] = list_runs(workspace)
    assert run.user == "ana" and run.format == "csv" and run.source == "agency"
    assert run.files[0].name == "projects.csv"
    assert run.files[0].sha256 == hashlib.sha256(projects.read_bytes()).hexdigest()
    assert run.files[0].size == projects.stat().st_size
    assert run.files[1].name == "partners.csv"
    assert (run.read, run.inserted, run.rejected) == (3, 3, 0)
    with workspace.reading() as session:
        project_runs = set(session.scalars(select(t.ProjectRow.import_run_id)))
    assert project_runs == {run_id}


def test_actors_resolve_by_identifier_first_and_keep_every_source_name(workspace, tmp_path: Path) -> None:
    projects, partners = portfolio_files(tmp_path)
    ingest_files(workspace, "csv", [projects], partners=partners, source="agency")
    other = write_csv(
        tmp_path / "other.csv",
        ["project_id", "organisation", "organisation_id", "type", "role"],
        [["X-1", "KTH (Kungliga Tekniska högskolan)", "SE-ORG-2021006977", "research", "partner"],
         ["X-1", "Energy agency", "", "government", "funder"]],
    )  # fmt: skip
    projects2 = write_csv(tmp_path / "p2.csv", ["id", "title"], [["X-1", "Another project"]])
    ingest_files(workspace, "csv", [projects2], partners=other, source="region")
    with workspace.reading() as session:
        actors = session.execute(select(t.ActorRow.id, t.ActorRow.name)).all()
        kth = [a.id for a in actors if a.name.startswith("KTH")]
        aliases = set(
            session.execute(select(t.ActorAliasRow.source, t.ActorAliasRow.name).where(
                t.ActorAliasRow.actor_id == kth[0]))
        )  # fmt: skip
        agency = session.execute(
            select(t.ActorRow.helix).where(t.ActorRow.normalized_name == "energy agency")
        ).all()
    assert len(kth) == 1, "same identifier → same actor"
    assert aliases == {
        ("agency", "KTH Royal Institute of Technology"),
        ("region", "KTH (Kungliga Tekniska högskolan)"),
    }
    assert len(agency) == 1 and agency[0].helix == "government", (
        "same normalised name → same actor, gaps filled"
    )
    assert len(actors) == 5  # Energy Agency, KTH, SSAB, Vattenfall, Innovation Agency


def test_real_files_import_and_reimport_unchanged_on_every_backend(workspace, shared_data: Path) -> None:
    files = [
        ("iati", shared_data / "iati" / "caf-activities-2025-10-10.xml", 478),
        ("iati", shared_data / "iati" / "single" / "canada-activity.xml", 1),
        ("360giving", shared_data / "360giving" / "abct-grants-360G-ABCT.json", 783),
        ("cordis", shared_data / "cordis", 100),
    ]
    for format, path, count in files:
        run = ingest_files(workspace, format, [path])
        assert (run.read, run.rejected) == (count, 0), path.name
    before = snapshot(workspace)
    for format, path, count in files:
        run = ingest_files(workspace, format, [path])
        assert (run.unchanged, run.inserted, run.updated) == (count, 0, 0), path.name
    after = snapshot(workspace)
    for table in ("projects", "actors", "actor_identifiers", "actor_aliases", "participations"):
        assert after[table] == before[table], table
