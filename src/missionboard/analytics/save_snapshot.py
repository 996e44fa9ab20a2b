"""``python -m missionboard.analytics.save_snapshot DATABASE``: save the analytics snapshot of a SQLite file.

Analysis runs this in a child process when a snapshot is missing or stale (see ``snapshot.load``). It is
the only process that reads a workspace through ADBC (the reads are ``store.analytics``'), whose driver
links its own copy of SQLite: that copy must never open the workspace file in a process that also holds
the workspace's own connections to it (closing it drops their POSIX locks; the next process to close
then deletes the WAL under them and acknowledged writes are lost). ``adbc_connect`` refuses to open a
file this process has opened as a workspace, so the rule cannot be broken by accident.
"""

from __future__ import annotations

import sys

from missionboard.analytics import precomputed
from missionboard.analytics import snapshot as snapshots
from missionboard.errors import SecondSqliteLibrary as SecondSqliteLibrary  # re-exported: tests
from missionboard.store.analytics import adbc_connect as adbc_connect  # re-exported: tests
from missionboard.store.analytics import (
    adbc_project_texts,
    adbc_snapshot_stamp,
    read_snapshot_tables,
    snapshot_signature,
)


def main(argv: list[str]) -> int:
    """``python -m missionboard.analytics.save_snapshot DATABASE``: save the snapshot of a SQLite file."""
    if len(argv) != 1:
        print("usage: python -m missionboard.analytics.save_snapshot DATABASE", file=sys.stderr)
        return 2
    return 0 if build_snapshot(argv[0]) is not None else 3


def build_snapshot(database: str) -> str | None:
    """Save the snapshot of the SQLite database at ``database``; its fingerprint, or None if not saved.

    Reads through ADBC only (``store.analytics.adbc_connect``): the stamp before and after, and the tables.
    The whole portfolio's arrays are computed from the tables and saved with them (``precomputed``).
    """
    stamp = snapshot_signature()
    return snapshots.save_consistent(
        database,
        lambda: snapshots.fingerprint_of(adbc_snapshot_stamp(database), stamp),
        lambda: read_snapshot_tables(database),
        lambda folder, tables: precomputed.write(
            folder, tables, lambda ids: adbc_project_texts(database, ids)
        ),
    )


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
