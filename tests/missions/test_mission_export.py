"""`mission export` never leaves an empty or half-written file behind (issue 12, deliver 5)."""

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from missionboard.cli import context
from missionboard.services.demo.build import mission_files

MISSIONBOARD = str(Path(sys.executable).parent / "missionboard")
MISSION = mission_files()[[p.name for p in mission_files()].index("school-meals.yaml")]
OLD = "what the file held before\n"


@pytest.fixture
def imported(cli):  # type: ignore[no-untyped-def]
    assert cli("mission", "import", str(MISSION)).exit_code == 0
    return cli


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_failed_export_prints_nothing_on_stdout(imported) -> None:  # type: ignore[no-untyped-def]
    result = imported("mission", "export", "no-such-mission")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "no-such-mission" in result.stderr


def test_a_failed_export_redirected_by_the_shell_leaves_the_file_empty_not_partial(
    imported, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "out.yaml"
    with target.open("w") as out:
        code = subprocess.call(
            [MISSIONBOARD, "--workspace", str(imported.workspace), "mission", "export", "no-such-mission"],
            stdout=out,
            stderr=subprocess.DEVNULL,
        )
    assert code == 2
    assert target.read_text() == ""


def test_export_output_writes_the_whole_mission_and_imports_again_unchanged(imported, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "school-meals.yaml"
    target.write_text(OLD)
    target.chmod(0o640)
    result = imported("mission", "export", "school-meals", "--output", str(target))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert target.read_text() == imported("mission", "export", "school-meals").stdout
    assert oct(target.stat().st_mode & 0o777) == oct(0o640)
    assert leftovers(tmp_path) == []
    again = imported("mission", "import", str(target))
    assert "unchanged (version 1)" in again.stdout


def test_export_output_of_an_unknown_mission_keeps_the_file_as_it_was(imported, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "mission.yaml"
    target.write_text(OLD)
    result = imported("mission", "export", "no-such-mission", "--output", str(target))
    assert result.exit_code == 2
    assert target.read_text() == OLD
    assert leftovers(tmp_path) == []


def test_export_output_that_cannot_be_written_keeps_the_file_and_leaves_no_temporary_file(
    imported, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "mission.yaml"
    target.write_text(OLD)

    def disk_full(src: object, dst: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(context.os, "replace", disk_full)
    result = imported("mission", "export", "school-meals", "--output", str(target))
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "No space left on device" in result.stderr
    assert target.read_text() == OLD
    assert leftovers(tmp_path) == []


def test_export_output_through_a_symbolic_link_replaces_its_target_and_keeps_the_link(
    imported, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "real.yaml"
    target.write_text(OLD)
    link = tmp_path / "link.yaml"
    link.symlink_to(target)
    assert imported("mission", "export", "school-meals", "--output", str(link)).exit_code == 0
    assert link.is_symlink()
    assert target.read_text() == imported("mission", "export", "school-meals").stdout


def test_export_output_to_a_pipe_writes_into_it_and_never_replaces_it(imported, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import stat
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    assert imported("mission", "export", "school-meals", "--output", str(fifo)).exit_code == 0
    reader.join(timeout=30)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert "school-meals" in received[0]
