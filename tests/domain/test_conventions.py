"""Conventions said once: a mission's taxonomy code, the text a project is mapped on, UTC times from the
workspace, the ingest formats, and who may see a mission."""

from __future__ import annotations

import datetime as dt

import pytest

from missionboard.domain.common import utc_aware
from missionboard.domain.mapping import MISSION_PREFIX, mission_of_taxonomy, mission_taxonomy, project_text_of
from missionboard.domain.missions import Mission, MissionVersion
from missionboard.domain.records import FILE_ENDINGS, INGEST_FORMATS
from missionboard.ingest.engine import READERS
from missionboard.services.accounts import Account, Role, may_see


def test_a_missions_taxonomy_code_is_the_prefix_and_its_id() -> None:
    assert mission_taxonomy("ocean-plastics") == "mission:ocean-plastics"


@pytest.mark.parametrize(
    ("code", "mission"),
    [
        ("mission:ocean-plastics", "ocean-plastics"),
        ("mission:", ""),
        ("sdg", None),
        ("eu-missions", None),
        ("missions", None),
        ("Mission:ocean", None),
    ],
)
def test_the_mission_of_a_taxonomy_code_is_found_only_behind_the_prefix(
    code: str, mission: str | None
) -> None:
    assert mission_of_taxonomy(code) == mission


def test_a_taxonomy_code_leads_back_to_its_mission() -> None:
    assert mission_of_taxonomy(mission_taxonomy("school-meals")) == "school-meals"


def test_the_prefix_is_what_the_code_starts_with() -> None:
    assert mission_taxonomy("x").startswith(MISSION_PREFIX)


@pytest.mark.parametrize(
    ("title", "abstract", "text"),
    [
        ("Ferries", "Electric ferries for islands", "Ferries. Electric ferries for islands"),
        ("Ferries.", "Electric", "Ferries. Electric"),
        ("Ferries?", "Electric", "Ferries? Electric"),
        ("  Ferries ", None, "Ferries"),
        (None, "Electric ferries", "Electric ferries"),
        (None, None, ""),
    ],
)
def test_a_project_is_mapped_on_its_title_and_abstract(
    title: str | None, abstract: str | None, text: str
) -> None:
    assert project_text_of(title, abstract) == text


def test_a_naive_time_from_the_workspace_is_taken_as_utc() -> None:
    assert utc_aware(dt.datetime(2026, 1, 2, 3, 4)) == dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC)


def test_an_aware_time_keeps_its_zone() -> None:
    stockholm = dt.timezone(dt.timedelta(hours=1))
    moment = dt.datetime(2026, 1, 2, 3, 4, tzinfo=stockholm)
    assert utc_aware(moment).tzinfo is stockholm


def test_every_ingest_format_has_a_reader() -> None:
    assert tuple(READERS) == INGEST_FORMATS


def test_every_ingest_format_has_file_endings() -> None:
    assert tuple(FILE_ENDINGS) == INGEST_FORMATS


def test_the_ingest_command_has_one_subcommand_per_format() -> None:
    from missionboard.cli.ingest import ingest_app

    names = [c.name for c in ingest_app.registered_commands]
    assert [n for n in names if n in INGEST_FORMATS] == list(INGEST_FORMATS)


def _version(public: bool) -> MissionVersion:
    mission = Mission.model_validate(
        {
            "id": "school-meals",
            "title": "Sustainable school meals",
            "challenge": "Public meals that harm health and climate",
            "statement": "By 2030 every public school meal is healthy and sustainable.",
            "owner": "Agency",
            "public": public,
        }
    )
    return MissionVersion(
        mission_id="school-meals", version=1, mission=mission, author="a", created_at=dt.datetime.now(dt.UTC)
    )


def _account(*, admin: bool = False, role: Role | None = None) -> Account:
    roles = {} if role is None else {"school-meals": role}
    return Account(id=1, username="u", display_name="U", is_admin=admin, is_active=True, roles=roles)


@pytest.mark.parametrize(
    ("who", "public", "sees"),
    [
        ("anonymous", True, True),
        ("anonymous", False, False),
        ("stranger", True, True),
        ("stranger", False, False),
        ("viewer", False, True),
        ("admin", False, True),
    ],
)
def test_public_missions_are_seen_by_everyone_others_by_members_and_admins(
    who: str, public: bool, sees: bool
) -> None:
    account = {
        "anonymous": None,
        "stranger": _account(),
        "viewer": _account(role=Role.VIEWER),
        "admin": _account(admin=True),
    }[who]
    assert may_see(account, _version(public)) is sees
