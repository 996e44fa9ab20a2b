"""Finished analyses, kept next to a SQLite workspace until anything they were computed from changes.

Analysing a million projects takes seconds; reading the finished analysis back takes milliseconds, and
between two imports nothing it was computed from changes. ``services.analytics.analyze_portfolio``
therefore keeps each result as JSON in ``<database>.analytics/results-<stamp>/<arguments>.json`` (the
snapshot's folder, ``snapshot.folder``):

- the stamp hashes the workspace's write counter (``Workspace.changes``: every write transaction bumps
  it in the same transaction, so missions, links, exchange rates, themes and the portfolio alike), the
  portfolio's data version, the highest id of projects, actors, participations, links and exchange
  rates (the snapshot's safety net for rows written without counting), the missionboard package's source files
  (name, size, modification time) and the versions of the libraries that compute (other code computes
  anew);
- the file name hashes every argument of the analysis.

A result is stored only when the stamp read before the analysis is still the stamp after it: no write
was committed while it ran, so the result is that of the stamped data (an analysis that wrote the shared
themes itself leaves it to the next one). Files are written under a temporary name and renamed, never
overwritten in place; a file that cannot be read back as a valid analysis is removed and the analysis
computed again; folders of other stamps are removed when a result is stored. PostgreSQL and in-memory
workspaces keep none. The cached result is the stored one, ``meta`` included, with
``meta.result_cache`` saying so.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from missionboard.analytics.result import PortfolioAnalysis
from missionboard.analytics.snapshot import folder
from missionboard.store.analytics import AnalyticsStore
from missionboard.store.workspace import Workspace

FORMAT = 1
"""Bumped when the stored form changes: older results are then never read."""
PREFIX = "results-"
TEMPORARY = ".tmp-"
LIBRARIES = ("duckdb", "numpy", "scipy", "scikit-learn", "networkx", "pyarrow", "pydantic")
"""The libraries whose versions a result depends on (the computing ones, and the result's validation)."""

log = logging.getLogger(__name__)
_code: str | None = None


def code_signature() -> str:
    """A digest of the missionboard package's source files (name, size, modification time) and of the
    installed computing libraries' versions (their ``*.dist-info`` folder names)."""
    global _code
    if _code is None:
        digest = hashlib.sha256(str(FORMAT).encode())
        package = Path(__file__).resolve().parent.parent
        for path in sorted(package.rglob("*.py")):
            found = path.stat()
            digest.update(f"{path.relative_to(package)}:{found.st_size}:{found.st_mtime_ns};".encode())
        wanted = {name.replace("-", "_") for name in LIBRARIES}  # as dist-info folders spell them
        for entry in sys.path:
            try:
                names = sorted(os.listdir(entry or "."))
            except OSError:
                continue
            for name in names:
                if name.endswith(".dist-info") and name.split("-")[0].lower() in wanted:
                    digest.update(f"{entry}/{name};".encode())
        _code = digest.hexdigest()[:24]
    return _code


@dataclass(frozen=True)
class Lookup:
    """What was found before an analysis: the stored result (None: compute it), and where to store one."""

    result: PortfolioAnalysis | None
    stamp: str
    path: Path | None


def stamp_of(workspace: Workspace) -> str:
    """The digest of what every analysis of the workspace was computed from, now."""
    with workspace.reading() as session:
        found = AnalyticsStore(session).result_stamp()
    return hashlib.sha256(json.dumps([FORMAT, code_signature(), list(found)]).encode()).hexdigest()[:24]


def _arguments_key(arguments: dict[str, Any]) -> str:
    text = json.dumps(arguments, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def lookup(workspace: Workspace, arguments: dict[str, Any]) -> Lookup:
    """The stored analysis with these ``arguments`` of the workspace as it is now, if there is one."""
    root = folder(workspace)
    if root is None:
        return Lookup(None, "", None)
    stamp = stamp_of(workspace)
    path = root / f"{PREFIX}{stamp}" / f"{_arguments_key(arguments)}.json"
    started = time.perf_counter()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Lookup(None, stamp, path)
    except OSError as exc:
        log.warning("stored analysis %s is unreadable (%s): computed again", path, exc)
        return Lookup(None, stamp, path)
    try:
        stored = json.loads(text)
        if stored.get("format") != FORMAT or stored.get("arguments") != json.loads(
            json.dumps(arguments, default=str)
        ):
            raise ValueError("it holds another analysis")
        result = PortfolioAnalysis.model_validate(stored["result"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("stored analysis %s is damaged (%s): computed again", path, exc)
        with contextlib.suppress(OSError):
            path.unlink()
        return Lookup(None, stamp, path)
    meta = dict(result.meta or {})
    meta["result_cache"] = {
        "status": "read",
        "stored_at": stored.get("stored_at"),
        "read_seconds": round(time.perf_counter() - started, 3),
    }
    return Lookup(result.model_copy(update={"meta": meta}), stamp, path)


def store(
    workspace: Workspace, found: Lookup, arguments: dict[str, Any], result: PortfolioAnalysis
) -> PortfolioAnalysis:
    """Keep ``result`` for the next analysis with these ``arguments``, unless the workspace changed while
    it was computed; returns it with ``meta.result_cache`` saying what was done."""
    status = "not kept (no folder for this workspace)"
    if found.path is not None:
        if stamp_of(workspace) != found.stamp:
            status = "not kept (the workspace changed while it was analysed)"
        else:
            status = "stored" if _write(found.path, arguments, result) else "not kept (could not be written)"
    meta = dict(result.meta or {})
    meta["result_cache"] = {"status": status}
    return result.model_copy(update={"meta": meta})


def _write(path: Path, arguments: dict[str, Any], result: PortfolioAnalysis) -> bool:
    stored_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    text = json.dumps(
        {"format": FORMAT, "arguments": arguments, "stored_at": stored_at, "result": result.to_dict()},
        default=str,
        ensure_ascii=False,
    )
    temporary = path.with_name(f"{TEMPORARY}{uuid.uuid4().hex}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except OSError as exc:
        log.info("analysis not kept in %s: %s", path.parent, exc)
        with contextlib.suppress(OSError):
            temporary.unlink()
        return False
    _remove_others(path.parent)
    return True


def _remove_others(keep: Path) -> None:
    """Remove the folders of other stamps: nothing will ever read them again."""
    try:
        entries = list(keep.parent.iterdir())
    except OSError:
        return
    for entry in entries:
        if entry != keep and entry.name.startswith(PREFIX) and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)


def remove(workspace: Workspace) -> None:
    """Remove every stored analysis of the workspace."""
    root = folder(workspace)
    if root is not None and root.is_dir():
        for entry in root.iterdir():
            if entry.name.startswith(PREFIX) and entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
