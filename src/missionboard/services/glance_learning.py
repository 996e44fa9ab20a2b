"""A mission's learning log as ``learn list`` reads it, quickly where it can.

On a current SQLite workspace ``store/quick.py`` reads the notes, filtered by kind and round, with the
standard library's ``sqlite3``, searched (``--search``) with the SQL ``LearningStore`` has SQLAlchemy
write (``lower`` and ``LIKE``, on the same SQLite library), and narrowed to a subject (``--about``: an
objective or outcome, ``decision:ID`` or a project reference, resolved as ``services.learning`` resolves
it). Any other workspace is left to ``ordinary`` (``services.learning.notes``). Both ways give the same
``LearningNote`` list (``tests/store/test_quick_reads.py``); ``notes_markdown`` renders it for ``--format md``
without loading the learning service.
"""

from __future__ import annotations

from collections.abc import Callable

from missionboard.domain.learning import LearningNote, NoteKind, note_kind
from missionboard.reports.learning import notes_markdown
from missionboard.services.glance import quick_or_ordinary
from missionboard.settings import Settings

__all__ = ["LearningNote", "learning_notes", "notes_markdown"]


def learning_notes(
    settings: Settings,
    mission_id: str,
    *,
    search: str | None,
    kind: NoteKind | str | None,
    round: str | None,
    about: str | None,
    ordinary: Callable[[], list[LearningNote]],
) -> list[LearningNote]:
    """The mission's notes, newest first, filtered as ``services.learning.notes`` filters them."""
    chosen = note_kind(str(kind)) if kind else None
    words = (search or "").split()
    return quick_or_ordinary(
        settings, lambda reader: reader.learning_notes(mission_id, chosen, round, words, about), ordinary
    )
