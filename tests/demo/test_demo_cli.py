"""`missionboard demo --no-serve` builds a workspace that can be served and logged into later."""

from pathlib import Path

from missionboard.services import accounts
from missionboard.store.workspace import Workspace


def test_the_demo_command_builds_a_workspace_with_its_login(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "demo.db"
    result = cli("demo", "--no-serve", "--workspace", str(path), workspace=None)
    assert result.exit_code == 0, result.stderr
    words = " ".join(result.stdout.split())  # the console wraps long lines (a long temporary path)
    assert "Demo missions" in words and "log in as demo / missionboard-demo" in words
    workspace = Workspace.open(f"sqlite:///{path}")
    try:
        account = accounts.authenticate(workspace, "demo", "missionboard-demo", address="127.0.0.1")
        assert account.is_admin
    finally:
        workspace.close()
