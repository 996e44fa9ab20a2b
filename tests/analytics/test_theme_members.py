"""A SQLite workspace's theme assignment is kept as a file next to the snapshot and read back by the next
analysis in place of a million database rows; a file whose key no longer matches is never read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_shared_themes import add_projects, topics_of

from missionboard.analytics import theme_members, theme_sets
from missionboard.analytics.snapshot import folder
from missionboard.analytics.theme_sets import ThemeSet, shared_themes
from missionboard.store.workspace import Workspace


@pytest.fixture
def themed(sqlite_workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """Three topics × 20 projects, their theme set computed and stored; no arrays kept in this process."""
    add_projects(sqlite_workspace, topics_of(3, 20), start_id=1)
    shared_themes(sqlite_workspace)
    monkeypatch.setattr(theme_sets, "_cache", {})
    return sqlite_workspace


def _kept(ws: Workspace) -> list[Path]:
    root = folder(ws)
    assert root is not None
    return sorted(root.glob(f"{theme_members.PREFIX}*.npy"))


def _same(a: ThemeSet, b: ThemeSet) -> bool:
    return bool(
        np.array_equal(a.project_ids, b.project_ids)
        and a.project_ids.dtype == b.project_ids.dtype
        and np.array_equal(a.theme_of, b.theme_of)
        and a.theme_of.dtype == b.theme_of.dtype
    )


def test_the_assignment_read_back_from_the_file_is_the_stored_one(
    themed: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from_database = shared_themes(themed)
    assert len(_kept(themed)) == 1
    monkeypatch.setattr(theme_sets, "_cache", {})
    monkeypatch.setattr(theme_members, "keep", lambda *args: pytest.fail("read from the database again"))
    assert _same(shared_themes(themed), from_database)


def test_new_members_make_a_new_file_and_the_old_one_goes(
    themed: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared_themes(themed)
    before = _kept(themed)
    add_projects(themed, topics_of(3, 1), start_id=100)  # a small import: topped up, same generation
    monkeypatch.setattr(theme_sets, "_cache", {})
    topped = shared_themes(themed)
    assert 100 in set(topped.project_ids.tolist())
    assert _kept(themed) != before
    assert len(_kept(themed)) == 1


@pytest.mark.parametrize("content", [b"not numpy", None])
def test_a_damaged_or_wrong_file_is_ignored(
    themed: Workspace, monkeypatch: pytest.MonkeyPatch, content: bytes | None
) -> None:
    expected = shared_themes(themed)
    (path,) = _kept(themed)
    if content is None:
        np.save(path, np.zeros((3, 2), dtype=np.int64))  # the right name, the wrong rows
    else:
        path.write_bytes(content)
    monkeypatch.setattr(theme_sets, "_cache", {})
    assert _same(shared_themes(themed), expected)
