"""The workspace's administrative lists as ``ingest runs``, ``rates list`` and ``users list`` read them,
quickly where they can.

On a current SQLite workspace ``store/quick.py`` reads them with the standard library's ``sqlite3``;
anywhere else ``ordinary`` (``services.ingest.list_runs``, ``services.ingest.list_rates``,
``services.accounts.list_users``) opens the workspace as usual. Both ways give the same ``ImportRun``,
``Rate`` and ``Account`` lists (``tests/store/test_quick_reads.py``). The accounts carry no password hash
either way, and the quick way never reads one; nor does it load argon2.
"""

from __future__ import annotations

from collections.abc import Callable

from missionboard.domain.accounts import Account
from missionboard.domain.records import ImportRun, Rate
from missionboard.services.glance import quick_or_ordinary
from missionboard.settings import Settings
from missionboard.store.quick import QuickReader

__all__ = ["Account", "ImportRun", "Rate", "account_list", "import_run_list", "rate_list"]


def import_run_list(
    settings: Settings, limit: int, ordinary: Callable[[], list[tuple[int, ImportRun]]]
) -> list[tuple[int, ImportRun]]:
    """The ``limit`` latest imports, newest first, each with its id."""
    return quick_or_ordinary(settings, lambda reader: reader.import_runs(limit), ordinary)


def rate_list(
    settings: Settings, reporting_currency: str | None, ordinary: Callable[[], list[Rate]]
) -> list[Rate]:
    """The imported exchange rates (into ``reporting_currency`` alone where given)."""
    return quick_or_ordinary(settings, lambda reader: reader.rates(reporting_currency), ordinary)


def account_list(settings: Settings, ordinary: Callable[[], list[Account]]) -> list[Account]:
    """Every account, by user name, with its roles."""
    return quick_or_ordinary(settings, QuickReader.accounts, ordinary)
