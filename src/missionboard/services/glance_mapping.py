"""The taxonomies as ``taxonomy list`` reads them, quickly where it can.

The built-in taxonomies come from the package data either way (``mapping.taxonomy``); the workspace's
missions and imported taxonomies, on a current SQLite workspace, from ``store/quick.py`` (the standard
library's ``sqlite3``), and anywhere else from ``ordinary`` (``services.mapping.list_taxonomies``), which
opens the workspace as usual and so avoids neither SQLAlchemy nor the mapping engine (NumPy and the
classifiers). Both ways give the same ``TaxonomyEntry`` list (``tests/store/test_quick_reads.py``).
"""

from __future__ import annotations

from collections.abc import Callable

from missionboard.domain.mapping import mission_taxonomy
from missionboard.mapping import taxonomy as taxonomies
from missionboard.mapping.taxonomy import TaxonomyEntry
from missionboard.services.glance import quick_or_ordinary
from missionboard.settings import Settings
from missionboard.store.quick import QuickReader

__all__ = ["TaxonomyEntry", "taxonomy_list"]


def taxonomy_list(settings: Settings, ordinary: Callable[[], list[TaxonomyEntry]]) -> list[TaxonomyEntry]:
    """Every taxonomy a user can name: built-in (by code), the workspace's missions (by id), imported
    (by code), as ``mapping.taxonomy.list_all`` orders them."""
    return quick_or_ordinary(settings, _listed, ordinary)


def _listed(reader: QuickReader) -> list[TaxonomyEntry]:
    missions, imported = reader.taxonomies()
    return [
        *taxonomies.list_all(None),
        *(TaxonomyEntry(mission_taxonomy(m.id), m.title, "mission", m.objectives, 0) for m in missions),
        *(TaxonomyEntry(t.code, t.title, "imported", t.goals, t.children) for t in imported),
    ]
