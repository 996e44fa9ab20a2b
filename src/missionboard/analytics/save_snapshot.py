"""``python -m missionboard.analytics.save_snapshot DATABASE``: save the analytics snapshot of a SQLite file.

Analysis runs this in a child process when a snapshot is missing or stale (see ``snapshot.load``).
"""

from __future__ import annotations

import sys

from missionboard.analytics.loader import build_snapshot


def main(argv: list[str]) -> int:
    """``python -m missionboard.analytics.save_snapshot DATABASE``: save the snapshot of a SQLite file."""
    if len(argv) != 1:
        print("usage: python -m missionboard.analytics.save_snapshot DATABASE", file=sys.stderr)
        return 2
    return 0 if build_snapshot(argv[0]) is not None else 3


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
