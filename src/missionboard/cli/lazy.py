"""Modules the commands import only when one of them runs, so that ``missionboard --help`` starts fast.

The services pull in SQLAlchemy, Alembic, scikit-learn, SciPy, pandas, DuckDB, matplotlib and argon2;
a command module names its service at the top as::

    if TYPE_CHECKING:
        from missionboard.services import missions as service
    else:
        service = lazy.module("missionboard.services.missions")

Type checkers and the import-graph test see the real import; at run time the first attribute read
(``service.list_missions``) imports the module. Every read goes to the module itself, so a test that
patches a function of the service module is seen by the command.
"""

from __future__ import annotations

import importlib
from typing import Any


class LazyModule:
    """Stands for the module ``name``: reading an attribute imports it (once) and reads it there."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(importlib.import_module(self._name), attribute)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


def module(name: str) -> Any:
    """The module ``name``, imported when one of its attributes is first read."""
    return LazyModule(name)
