"""One exception hierarchy whose messages are written for the person at the keyboard.

The CLI prints ``str(error)`` on one line and exits with code 2; the web app turns the same
errors into 4xx responses. Anything that is not a ``MissionboardError`` is a bug.
"""

from __future__ import annotations

from dataclasses import dataclass


class MissionboardError(Exception):
    """Base of every error a user may see."""


class NotFound(MissionboardError):
    """A mission, project, indicator … that the user named does not exist."""


class WorkspaceError(MissionboardError):
    """The workspace is missing, unreachable or has an unexpected schema."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as the format allows."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        field = f"{self.field}: " if self.field else ""
        prefix = f"{where}: " if where else ""
        return f"{prefix}{field}{self.message}"

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "field": self.field, "message": self.message}


class InputError(MissionboardError):
    """A file or value the user gave is invalid; carries every problem found."""

    def __init__(self, problems: list[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(file="", line=None, field="", message=problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = problems
        super().__init__("; ".join(str(p).strip() for p in problems))


class EditConflict(MissionboardError):
    """Someone saved a newer version of what the user edited since they opened it: saving would silently
    undo their change. The web answers 409; nothing was written."""


class DecisionConflict(EditConflict):
    """A stage-gate decision that the decisions already standing rule out: the same outcome at the same
    gate twice, a second stop, a decision on a stopped project, a second ruling on an appeal. The web
    answers 409, the CLI exits 2; nothing was written."""


class WorkspaceBusy(WorkspaceError):
    """Another process holds the workspace's write lock for longer than we wait (the busy timeout).

    The web answers 503 with ``Retry-After``; the CLI prints one line and exits 2. Nothing was written.
    """

    retry_after = 5
    """Seconds a client should wait before trying again."""


class WorkspaceReadOnly(WorkspaceError):
    """The workspace cannot be written: a read-only file, folder or database, or ``--read-only``."""


class WorkspaceFull(WorkspaceError):
    """The disk (or the database's quota) is full: the write was rolled back, nothing was lost."""
