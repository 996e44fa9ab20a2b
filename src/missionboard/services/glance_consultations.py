"""The consultations as ``consult list`` reads them, quickly where it can.

On a current SQLite workspace ``store/quick.py`` reads them and their counts with the standard library's
``sqlite3``, from one snapshot; anywhere else ``ordinary`` (``services.consultations.list_consultations``
and ``response_counts``) opens the workspace as usual. Both ways give the same consultations with the
same counts (``tests/store/test_quick_reads.py``).
"""

from __future__ import annotations

from collections.abc import Callable

from missionboard.domain.consultations import Consultation
from missionboard.services.glance import quick_or_ordinary
from missionboard.settings import Settings

__all__ = ["Consultation", "ConsultationCounts", "consultation_list"]

ConsultationCounts = dict[str, int]
"""Responses received and hidden, invitations sent and used: what ``response_counts`` gives."""


def consultation_list(
    settings: Settings,
    mission_id: str | None,
    ordinary: Callable[[], list[tuple[Consultation, ConsultationCounts]]],
) -> list[tuple[Consultation, ConsultationCounts]]:
    """Every consultation (only ``mission_id``'s where given), newest first, with its counts."""
    return quick_or_ordinary(settings, lambda reader: reader.consultations(mission_id), ordinary)
