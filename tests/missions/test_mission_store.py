"""Missions are versioned in the workspace (SQLite and PostgreSQL): every change is a new version."""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from missionboard.domain.missions import Mission
from missionboard.errors import EditConflict, InputError, NotFound
from missionboard.services import missions as service
from missionboard.store import audit
from missionboard.store.workspace import Workspace

BASE = {
    "id": "ferries",
    "title": "Zero-emission ferries",
    "challenge": "Diesel ferries",
    "statement": "By 2030 every ferry route sails with zero emissions.",
    "owner": "Ministry",
    "start": "2021-01-01",
    "deadline": "2030-12-31",
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


def mission(**changes: object) -> Mission:
    return Mission.model_validate({**BASE, **changes})


def test_saving_an_unchanged_mission_adds_no_version(workspace: Workspace) -> None:
    first = service.save_mission(workspace, mission(), user="anna")
    again = service.save_mission(workspace, mission(), user="anna")
    assert first.version == again.version == 1
    assert len(service.mission_history(workspace, "ferries")) == 1


def test_each_change_is_a_new_version_with_author_and_comment(workspace: Workspace) -> None:
    service.save_mission(workspace, mission(), user="anna")
    service.save_mission(
        workspace, mission(title="Zero-emission ferries and fast boats"), user="bo", comment="scope"
    )
    history = service.mission_history(workspace, "ferries")
    assert [(v.version, v.author, v.comment) for v in history] == [(1, "anna", ""), (2, "bo", "scope")]
    assert service.get_mission(workspace, "ferries").mission.title == "Zero-emission ferries and fast boats"
    assert service.get_mission(workspace, "ferries", 1).mission.title == "Zero-emission ferries"


def test_the_diff_between_versions_lists_changed_fields(workspace: Workspace) -> None:
    service.save_mission(workspace, mission(), user="anna")
    objectives = [dict(BASE["objectives"][0], target={"value": 90, "year": 2030})]  # type: ignore[index]
    service.save_mission(workspace, mission(objectives=objectives), user="bo")
    diff = service.diff_versions(workspace, "ferries", 1, 2)
    assert [(c.path, c.before, c.after) for c in diff.changes] == [
        ("objectives[routes].target.value", 100.0, 90.0)
    ]
    assert "-      value: 100.0" in diff.unified and "+      value: 90.0" in diff.unified


def test_every_change_is_audited_with_before_and_after(workspace: Workspace) -> None:
    service.save_mission(workspace, mission(), user="anna")
    service.save_mission(workspace, mission(owner="Agency"), user="bo")
    with workspace.reading() as session:
        events = audit.events(session, entity="mission", entity_id="ferries")
    assert [(e.action, e.actor) for e in events] == [("mission.create", "anna"), ("mission.update", "bo")]
    assert events[1].before and events[1].before["owner"] == "Ministry"
    assert events[1].after and events[1].after["owner"] == "Agency"


def test_an_import_with_one_bad_file_writes_nothing(workspace: Workspace, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from missionboard.errors import InputError
    from missionboard.missionfile import dump_mission

    good = tmp_path / "good.yaml"
    good.write_text(dump_mission(mission()))
    bad = tmp_path / "bad.yaml"
    bad.write_text("mission:\n  id: broken\n")
    with pytest.raises(InputError):
        service.import_missions(workspace, [good, bad], user="anna")
    assert service.list_missions(workspace) == []


def test_unknown_missions_and_versions_are_not_found(workspace: Workspace) -> None:
    with pytest.raises(NotFound, match="no mission 'nope'"):
        service.get_mission(workspace, "nope")
    service.save_mission(workspace, mission(), user="anna")
    with pytest.raises(NotFound, match="has no version 7"):
        service.get_mission(workspace, "ferries", 7)


def test_export_returns_the_yaml_of_the_stored_version(workspace: Workspace) -> None:
    from missionboard.missionfile import parse_mission

    service.save_mission(workspace, mission(), user="anna")
    assert parse_mission(service.export_mission(workspace, "ferries")) == mission()


def test_deleting_a_mission_is_audited(workspace: Workspace) -> None:
    service.save_mission(workspace, mission(), user="anna")
    service.delete_mission(workspace, "ferries", user="admin")
    assert service.list_missions(workspace) == []
    with workspace.reading() as session:
        assert audit.events(session, entity="mission")[-1].action == "mission.delete"


def test_each_version_remembers_where_the_change_came_from(workspace: Workspace) -> None:
    service.save_mission(workspace, mission(), user="anna", origin="ferries.yaml")
    service.save_mission(
        workspace,
        mission(solutions=["Shore power at every quay"]),
        user="anna",
        origin="consultation:ferries-2026#response-4.0",
    )
    history = service.mission_history(workspace, "ferries")
    assert [v.origin for v in history] == ["ferries.yaml", "consultation:ferries-2026#response-4.0"]
    assert history[-1].mission.solutions == ["Shore power at every quay"]


def test_the_quality_check_profiles_the_linked_portfolio_by_funder_sector_and_instrument(
    workspace: Workspace, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from missionboard.services.ingest import ingest_files
    from missionboard.services.missions import _portfolio_profile
    from missionboard.store.tables import LinkRow, ProjectRow

    service.save_mission(workspace, mission(), user="anna")
    csv = tmp_path / "p.csv"
    csv.write_text(
        "id,title,funder,programme,instrument,sectors\n"
        "P1,Electric ferry,Sea Fund,Ferries,rd_grant,energy;transport\n"
        "P2,Shore power,Sea Fund,Ferries,rd_grant,energy\n"
        "P3,Green tender,Ministry,Procurement,public_procurement,transport\n"
        "P4,Unlinked,Ministry,Procurement,rd_grant,energy\n"
    )
    ingest_files(workspace, "csv", [csv], source="t", user="anna")
    with workspace.transaction() as session:
        ids = dict(session.execute(select(ProjectRow.source_id, ProjectRow.id)).tuples().all())
        for source_id, status, score in (
            ("P1", "accepted", 0.9),
            ("P2", "proposed", 0.9),
            ("P3", "accepted", 0.2),
        ):
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
    with workspace.reading() as session:
        profile = _portfolio_profile(session, "ferries")
    assert profile.projects == 3
    assert profile.funders == {"Sea Fund": 2, "Ministry": 1}
    assert profile.programmes == {"Ferries": 2, "Procurement": 1}
    assert profile.sectors == {"energy": 2, "transport": 2}
    assert profile.instrument_families == {"supply": 2, "demand": 1}


def _six_at_once(database_url: str, save: Callable[[Workspace, Mission], object]) -> list[str]:
    """Six writers, each with a workspace (connections) of its own, save a differently titled mission at
    once; 'saved' or the kind of error each got."""

    def one(i: int) -> str:
        own = Workspace.open(database_url)
        try:
            save(own, mission().model_copy(update={"title": f"Writer {i}"}))
            return "saved"
        except (InputError, EditConflict) as error:
            return type(error).__name__
        finally:
            own.close()

    with ThreadPoolExecutor(6) as pool:
        return list(pool.map(one, range(6)))


def test_a_mission_created_by_several_at_once_is_created_once_and_the_others_are_refused(
    workspace: Workspace, database_url: str
) -> None:
    outcomes = _six_at_once(database_url, lambda own, m: service.create_mission(own, m, user="someone"))
    assert sorted(outcomes) == ["InputError"] * 5 + ["saved"]
    assert len(service.mission_history(workspace, "ferries")) == 1


def test_edits_from_one_version_by_several_at_once_save_one_and_refuse_the_others(
    workspace: Workspace, database_url: str
) -> None:
    base = service.save_mission(workspace, mission(), user="anna").version
    outcomes = _six_at_once(
        database_url, lambda own, m: service.save_mission(own, m, user="someone", base_version=base)
    )
    assert sorted(outcomes) == ["EditConflict"] * 5 + ["saved"]
    assert sorted(v.version for v in service.mission_history(workspace, "ferries")) == [1, 2]
