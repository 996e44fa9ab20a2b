"""The workspace's count of writes (``Workspace.changes``) moves with every write a figure could read, and
not with bookkeeping: noting that an API token was used, or starting a login session. Every web worker
drops its cached figures when the count moves, so counting bookkeeping made all of them recompute every
figure after each API call that noted its token (at most every 5 minutes per token) and each login."""

from __future__ import annotations

from missionboard.services import accounts
from missionboard.services.demo.build import mission_files
from missionboard.services.missions import import_missions
from missionboard.store.workspace import Workspace


def test_a_write_of_data_moves_the_count(sqlite_workspace: Workspace) -> None:
    before = sqlite_workspace.changes()
    import_missions(sqlite_workspace, mission_files()[:1], user="tester")
    assert sqlite_workspace.changes() == before + 1


def test_noting_a_tokens_use_and_starting_a_session_leave_the_count_as_it_was(
    sqlite_workspace: Workspace,
) -> None:
    accounts.create_user(sqlite_workspace, "ana", "a long enough password", by="test")
    token = accounts.create_token(sqlite_workspace, "ana", "script", by="test")
    before = sqlite_workspace.changes()
    grant = accounts.resolve_token(sqlite_workspace, token)  # first use: noted
    assert grant.account.username == "ana"
    assert accounts.list_tokens(sqlite_workspace, "ana")[0]["last_used_at"] is not None
    accounts.start_session(sqlite_workspace, grant.account)
    assert sqlite_workspace.changes() == before
