"""Every exception of missionboard, in one tree whose messages are written for the person at the keyboard.

Each user error declares how it is shown: ``exit_code`` (the CLI prints ``str(error)`` on one line and
exits with it), ``http_status`` (the web answers it, as JSON ``{"error": …}`` under ``/api/`` or as the
error page), and a stable ``key`` (with ``params``) by which an interface picks its own wording, never by
matching the English message. Anything that is not a ``MissionboardError`` is a bug, answered 500.

    MissionboardError                 2  400  error
    ├── NotFound                      2  404  not_found
    ├── InputError                    2  422  input.invalid        (carries Problem(file, line, field, message, code))
    │   ├── FileRejected              2  422  input.file_rejected
    │   ├── QuerySyntaxError          2  422  input.query_syntax
    │   ├── NotAcceptingResponses     2  422  consultation.not_accepting
    │   └── AlreadyResponded          2  409  consultation.already_responded
    ├── EditConflict                  2  409  conflict.edit
    │   ├── AlreadyExists             2  409  conflict.exists
    │   └── DecisionConflict          2  409  conflict.decision
    ├── UnstorableValue               2  422  input.unstorable
    ├── WorkspaceError                2  400  workspace.error
    │   ├── WorkspaceBusy             2  503  workspace.busy       (params: retry_after)
    │   ├── WorkspaceReadOnly         2  503  workspace.read_only
    │   └── WorkspaceFull             2  507  workspace.full
    ├── LoginRequired                 2  401  auth.login_required  (pages redirect to the login page)
    ├── AuthenticationFailed          2  401  auth.failed
    │   └── TooManyAttempts           2  429  auth.too_many_attempts (params: retry_after)
    ├── Forbidden                     2  403  auth.forbidden
    ├── CsrfFailed                    2  403  auth.csrf_failed
    ├── RateLimited                   2  429  consultation.rate_limited (params: retry_after)
    ├── ProviderUnreachable           2  502  auth.provider_unreachable
    ├── NotAvailable                  2  501  service.not_available
    ├── ModelUnavailable              2  400  mapping.model_unavailable
    ├── ReportUnavailable             2  400  reports.pdf_unavailable
    ├── BodyTooLarge                  2  413  request.body_too_large (params: limit; also an HTTPException)
    └── BadLength                     2  400  request.bad_length   (also an HTTPException)

Signals that never reach a user (a reader's bad value or record, the end of a dry run, a bug guard):
``FieldError``, ``StructureError``, ``RecordRejected``, ``DryRunFinished``, ``SecondSqliteLibrary``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as the format allows.

    ``code`` is a stable name for the kind of problem (``links``, ``repeated`` …) where a page shows it in
    the reader's language; empty for the others. It is not part of the JSON shape (``as_dict``).
    """

    file: str
    line: int | None
    field: str
    message: str
    code: str = ""

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        field = f"{self.field}: " if self.field else ""
        prefix = f"{where}: " if where else ""
        return f"{prefix}{field}{self.message}"

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "field": self.field, "message": self.message}


# --- errors a user may see ---------------------------------------------------------------------------


class MissionboardError(Exception):
    """Base of every error a user may see."""

    exit_code: ClassVar[int] = 2
    """What the CLI exits with after printing the message."""
    http_status: ClassVar[int] = 400
    """What the web answers."""
    key: ClassVar[str] = "error"
    """A stable name of this kind of error, for wording chosen by an interface (a translation, a page)."""

    @property
    def params(self) -> dict[str, int | str]:
        """The values a message chosen by ``key`` may name (e.g. ``retry_after``)."""
        return {}


class NotFound(MissionboardError):
    """A mission, project, indicator … that the user named does not exist."""

    exit_code = 2
    http_status = 404
    key = "not_found"


class InputError(MissionboardError):
    """A file or value the user gave is invalid; carries every problem found."""

    exit_code = 2
    http_status = 422
    key = "input.invalid"

    def __init__(self, problems: list[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(file="", line=None, field="", message=problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = problems
        super().__init__("; ".join(str(p).strip() for p in problems))


class FileRejected(InputError):
    """The whole file cannot be read (empty, malformed, wrong encoding, truncated …)."""

    exit_code = 2
    http_status = 422
    key = "input.file_rejected"

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem)
        self.problem = problem


class QuerySyntaxError(InputError):
    """A query that cannot be parsed; the message names the position."""

    exit_code = 2
    http_status = 422
    key = "input.query_syntax"

    def __init__(self, query: str, position: int, message: str, *, where: str = "query") -> None:
        snippet = query if len(query) <= 80 else query[max(0, position - 30) : position + 30]
        super().__init__(
            Problem(file=where, line=None, field="", message=f"{message} at position {position}: {snippet!r}")
        )
        self.position = position

    @property
    def params(self) -> dict[str, int | str]:
        return {"position": self.position}


class NotAcceptingResponses(InputError):
    """The consultation is a draft, closed, or outside its period."""

    exit_code = 2
    http_status = 422
    key = "consultation.not_accepting"


class AlreadyResponded(InputError):
    """An invitation link that has already been used for a response."""

    exit_code = 2
    http_status = 409
    key = "consultation.already_responded"


class EditConflict(MissionboardError):
    """Someone saved a newer version of what the user edited since they opened it: saving would silently
    undo their change. The web answers 409; nothing was written."""

    exit_code = 2
    http_status = 409
    key = "conflict.edit"


class AlreadyExists(EditConflict):
    """A record the user creates was created by someone else at the same moment (a unique key the
    database refused). The web answers 409, the CLI exits 2; nothing was written."""

    exit_code = 2
    http_status = 409
    key = "conflict.exists"


class DecisionConflict(EditConflict):
    """A stage-gate decision that the decisions already standing rule out: the same outcome at the same
    gate twice, a second stop, a decision on a stopped project, a second ruling on an appeal. The web
    answers 409, the CLI exits 2; nothing was written."""

    exit_code = 2
    http_status = 409
    key = "conflict.decision"


class UnstorableValue(MissionboardError):
    """A value the database refuses to store or compare (a NUL character, a number out of its range).
    The web answers 422, the CLI exits 2; nothing was written."""

    exit_code = 2
    http_status = 422
    key = "input.unstorable"


class WorkspaceError(MissionboardError):
    """The workspace is missing, unreachable or has an unexpected schema."""

    exit_code = 2
    http_status = 400
    key = "workspace.error"


class WorkspaceBusy(WorkspaceError):
    """Another process holds the workspace's write lock for longer than we wait (the busy timeout).

    The web answers 503 with ``Retry-After``; the CLI prints one line and exits 2. Nothing was written.
    """

    exit_code = 2
    http_status = 503
    key = "workspace.busy"

    retry_after = 5
    """Seconds a client should wait before trying again."""

    @property
    def params(self) -> dict[str, int | str]:
        return {"retry_after": self.retry_after}


class WorkspaceReadOnly(WorkspaceError):
    """The workspace cannot be written: a read-only file, folder or database, or ``--read-only``.

    The web answers 503 rather than 409: the request was fine, the server cannot take writes now (as
    during maintenance), and reading still works."""

    exit_code = 2
    http_status = 503
    key = "workspace.read_only"


class WorkspaceFull(WorkspaceError):
    """The disk (or the database's quota) is full: the write was rolled back, nothing was lost."""

    exit_code = 2
    http_status = 507
    key = "workspace.full"


class LoginRequired(MissionboardError):
    """No valid session or token: pages redirect to the login page, the API answers 401."""

    exit_code = 2
    http_status = 401
    key = "auth.login_required"


class AuthenticationFailed(MissionboardError):
    """Wrong user name or password, or no valid session or token."""

    exit_code = 2
    http_status = 401
    key = "auth.failed"


class TooManyAttempts(AuthenticationFailed):
    """Too many failed logins recently for this user or address; ``retry_after`` says for how many seconds."""

    exit_code = 2
    http_status = 429
    key = "auth.too_many_attempts"

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def params(self) -> dict[str, int | str]:
        return {"retry_after": self.retry_after}


class Forbidden(MissionboardError):
    """The user is known but may not do this."""

    exit_code = 2
    http_status = 403
    key = "auth.forbidden"


class CsrfFailed(MissionboardError):
    """A form or cookie-authenticated API call came without the session's CSRF token."""

    exit_code = 2
    http_status = 403
    key = "auth.csrf_failed"


class RateLimited(MissionboardError):
    """Too many responses from one client or to one consultation in a short time (HTTP 429)."""

    exit_code = 2
    http_status = 429
    key = "consultation.rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def params(self) -> dict[str, int | str]:
        return {"retry_after": self.retry_after}


class ProviderUnreachable(MissionboardError):
    """The identity provider's configuration, keys or token endpoint could not be read (the message says
    which): sign-in through it cannot go on."""

    exit_code = 2
    http_status = 502
    key = "auth.provider_unreachable"


class NotAvailable(MissionboardError):
    """A section or write whose service is not installed."""

    exit_code = 2
    http_status = 501
    key = "service.not_available"


class ModelUnavailable(MissionboardError):
    """The embedding model or the requested device cannot be used here."""

    exit_code = 2
    http_status = 400
    key = "mapping.model_unavailable"


class ReportUnavailable(MissionboardError):
    """The PDF cannot be made here (WeasyPrint or its Pango library is missing)."""

    exit_code = 2
    http_status = 400
    key = "reports.pdf_unavailable"


def _request_errors() -> dict[str, type[MissionboardError]]:
    """``BodyTooLarge`` and ``BadLength``, made when first asked for (``__getattr__``).

    Starlette's HTTPException is the one base FastAPI's body parsing lets through unchanged, and these two
    request errors need it; but ``starlette.exceptions`` imports ``http.client`` (with ``email`` and
    ``ssl``), 15 ms that every command would pay at its start for two errors only the web raises. The
    web imports them from here as any other error, and the classes are made once.
    """
    from starlette.exceptions import HTTPException

    class BodyTooLarge(MissionboardError, HTTPException):
        """The body is larger than the route accepts (HTTP 413); also an HTTPException so that FastAPI's
        body parsing passes it on instead of calling it a malformed body."""

        exit_code = 2
        http_status = 413
        key = "request.body_too_large"

        def __init__(self, limit: int) -> None:
            HTTPException.__init__(
                self, 413, f"the request body is larger than the {size(limit)} this address accepts"
            )
            self.limit = limit

        def __str__(self) -> str:
            return self.detail

        @property
        def params(self) -> dict[str, int | str]:
            return {"limit": self.limit}

    class BadLength(MissionboardError, HTTPException):
        """The ``Content-Length`` header is not a number of bytes."""

        exit_code = 2
        http_status = 400
        key = "request.bad_length"

        def __init__(self) -> None:
            HTTPException.__init__(self, 400, "the Content-Length header is not a number of bytes")

        def __str__(self) -> str:
            return self.detail

    made: list[type[MissionboardError]] = [BodyTooLarge, BadLength]
    for kind in made:
        kind.__qualname__ = kind.__name__  # as if defined at the top: its repr, pickle's lookup
    return {kind.__name__: kind for kind in made}


_made: dict[str, type[MissionboardError]] = {}


def __getattr__(name: str) -> type[MissionboardError]:
    """The request errors (``_request_errors``), made at the first read of either."""
    if name not in ("BodyTooLarge", "BadLength"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if not _made:
        _made.update(_request_errors())
    return _made[name]


def size(n: int) -> str:
    """``n`` bytes in the largest whole unit (512 MiB, 2 MiB, 300 KiB, 10 bytes)."""
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= factor and n % factor == 0:
            return f"{n // factor} {unit}"
    return f"{n} bytes"


# --- signals that never reach a user -----------------------------------------------------------------


class FieldError(ValueError):
    """A value that cannot be used; ``field`` may be filled in by the caller."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class EmptyVocabulary(ValueError):
    """No text has a word that counts for TF-IDF (scikit-learn raises ``ValueError`` here too)."""


class StructureError(ValueError):
    """Broken references in a mission's structure; each problem carries the field path it concerns
    (relative to the mission) so that file readers can point at the line."""

    def __init__(self, problems: list[tuple[tuple[str | int, ...], str]]) -> None:
        self.problems = tuple(problems)
        super().__init__(
            "; ".join(f"{_dotted(loc)}: {message}" if loc else message for loc, message in problems)
        )


def _dotted(loc: tuple[str | int, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


class RecordRejected(Exception):
    """Raised inside a reader for one bad record; the reader turns it into a Rejection and goes on."""

    def __init__(self, problem: Problem, raw: dict[str, Any] | None = None) -> None:
        super().__init__(str(problem))
        self.problem = problem
        self.raw = raw


class DryRunFinished(Exception):
    """Raised to roll an import's transaction back at the end of a dry run."""


class SecondSqliteLibrary(RuntimeError):
    """ADBC was asked to open a file that this process holds as a workspace: a bug, never a user error."""


__all__ = [
    "AlreadyResponded",
    "AuthenticationFailed",
    "BadLength",  # noqa: F822 (made at the first read, by __getattr__)
    "BodyTooLarge",  # noqa: F822
    "CsrfFailed",
    "DecisionConflict",
    "DryRunFinished",
    "EditConflict",
    "FieldError",
    "FileRejected",
    "Forbidden",
    "InputError",
    "LoginRequired",
    "MissionboardError",
    "ModelUnavailable",
    "NotAcceptingResponses",
    "NotAvailable",
    "NotFound",
    "Problem",
    "ProviderUnreachable",
    "QuerySyntaxError",
    "RateLimited",
    "RecordRejected",
    "ReportUnavailable",
    "SecondSqliteLibrary",
    "TooManyAttempts",
    "WorkspaceBusy",
    "WorkspaceError",
    "WorkspaceFull",
    "WorkspaceReadOnly",
    "size",
]
