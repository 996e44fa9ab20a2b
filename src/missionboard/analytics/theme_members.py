"""The project → theme assignment of a SQLite workspace's shared theme set, kept as a NumPy file in the
snapshot folder (``snapshot.folder``) between analyses.

Every ``analyze`` measures diversity on the shared themes, and reading their million (project, theme)
rows from SQLite took 0.8 of the 10.3 CPU seconds of an analysis of 1M projects (measured); the file
reads in milliseconds. It is named by what the rows depend on: the set's generation, its number of
members (a top-up adds some) and the portfolio's data version (deleting projects removes members and
bumps it), so a file that no longer matches is never read; writing one removes the others. A file that
cannot be read or written is ignored: the rows come from the database as before.
"""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from pathlib import Path

import numpy as np

from missionboard.analytics.snapshot import folder
from missionboard.store.workspace import Workspace

PREFIX = "theme-members-"
log = logging.getLogger(__name__)


def path_of(
    workspace: Workspace, corpus: str, generation: int, members: int, data_version: int
) -> Path | None:
    """Where the assignment with this key is kept; None where the workspace has no snapshot folder."""
    root = folder(workspace)
    if root is None:
        return None
    return root / f"{PREFIX}{corpus}-g{generation}-n{members}-v{data_version}.npy"


def read(path: Path | None, members: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(project ids, themes) as ``ThemeStore.read_themes`` gives them, from ``path``; None where there is
    no such file or it does not hold ``members`` rows."""
    if path is None:
        return None
    try:
        pairs = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("theme members %s are unreadable (%s): read from the database", path, exc)
        return None
    if pairs.dtype != np.int64 or pairs.shape != (members, 2):
        log.warning("theme members %s do not hold %d rows: read from the database", path, members)
        return None
    return pairs[:, 0], pairs[:, 1].astype(np.int32)


def keep(path: Path | None, ids: np.ndarray, themes: np.ndarray) -> None:
    """Write the assignment to ``path`` (under a temporary name, then renamed) and remove the files of
    other keys; nothing where that fails."""
    if path is None:
        return
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with temporary.open("wb") as out:
            np.save(out, np.stack([ids.astype(np.int64), themes.astype(np.int64)], axis=1))
        os.replace(temporary, path)
    except OSError as exc:
        log.info("theme members not kept in %s: %s", path.parent, exc)
        with contextlib.suppress(OSError):
            temporary.unlink()
        return
    for other in path.parent.glob(f"{PREFIX}*.npy"):
        if other != path:
            with contextlib.suppress(OSError):
                other.unlink()
