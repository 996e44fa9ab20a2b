"""One error tree (issue 16, item 4): every exception class lives in ``errors.py``; every user error
declares its CLI exit code, its HTTP status and a stable message key; the CLI and the web answer each
one as it declares, not from tables of their own."""

from __future__ import annotations

import ast
import builtins
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from fastapi import FastAPI
from fastapi.testclient import TestClient

from missionboard import errors
from missionboard.cli import app as cli_app
from missionboard.errors import MissionboardError, Problem
from missionboard.web.app import WEB_LINES, answer

PACKAGE = Path(errors.__file__).parent


def _subclasses(cls: type[MissionboardError]) -> Iterator[type[MissionboardError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


USER_ERRORS = sorted({MissionboardError, *_subclasses(MissionboardError)}, key=lambda c: c.__name__)

SAMPLES: dict[type[MissionboardError], MissionboardError] = {
    errors.MissionboardError: errors.MissionboardError("cannot write out.csv: disk quota exceeded"),
    errors.NotFound: errors.NotFound("no mission 'nope' (see 'missionboard mission list')"),
    errors.InputError: errors.InputError(Problem("m.yaml", 3, "deadline", "is not a date")),
    errors.FileRejected: errors.FileRejected(Problem("a.csv", None, "", "is empty")),
    errors.QuerySyntaxError: errors.QuerySyntaxError("ocean AND (", 10, "a bracket is not closed"),
    errors.NotAcceptingResponses: errors.NotAcceptingResponses("'c1' closed on 2026-05-01"),
    errors.AlreadyResponded: errors.AlreadyResponded("this invitation link has already been used"),
    errors.EditConflict: errors.EditConflict("mission 'ocean' was saved as version 3 meanwhile"),
    errors.AlreadyExists: errors.AlreadyExists("mission 'ocean' was created by someone else meanwhile"),
    errors.DecisionConflict: errors.DecisionConflict("project 'p1' was already stopped"),
    errors.UnstorableValue: errors.UnstorableValue("a value the database cannot store or compare"),
    errors.WorkspaceError: errors.WorkspaceError("the workspace /srv/mb.db does not exist"),
    errors.WorkspaceBusy: errors.WorkspaceBusy("the workspace /srv/mb.db is busy"),
    errors.WorkspaceReadOnly: errors.WorkspaceReadOnly("the workspace /srv/mb.db is read-only"),
    errors.WorkspaceFull: errors.WorkspaceFull("the disk of the workspace /srv/mb.db is full"),
    errors.LoginRequired: errors.LoginRequired("log in first"),
    errors.AuthenticationFailed: errors.AuthenticationFailed("wrong user name or password"),
    errors.TooManyAttempts: errors.TooManyAttempts("too many failed logins", retry_after=30),
    errors.Forbidden: errors.Forbidden("you may not edit mission 'ocean'"),
    errors.CsrfFailed: errors.CsrfFailed("the form's CSRF token is missing"),
    errors.RateLimited: errors.RateLimited("at most 5 responses an hour", retry_after=3600),
    errors.NotAvailable: errors.NotAvailable("analytics is not installed"),
    errors.ProviderUnreachable: errors.ProviderUnreachable("the identity provider cannot be reached"),
    errors.ModelUnavailable: errors.ModelUnavailable("no CUDA GPU here"),
    errors.ReportUnavailable: errors.ReportUnavailable("WeasyPrint is not installed"),
    errors.BodyTooLarge: errors.BodyTooLarge(2 << 20),
    errors.BadLength: errors.BadLength(),
}
"""One instance of each user error, as the code that raises it makes it."""


# --- the tree ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", USER_ERRORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("attribute", ["exit_code", "http_status", "key"])
def test_every_user_error_declares_how_it_is_shown_in_its_own_body(kind: type, attribute: str) -> None:
    assert attribute in vars(kind), f"{kind.__name__} does not declare {attribute}"


@pytest.mark.parametrize("kind", USER_ERRORS, ids=lambda c: c.__name__)
def test_every_exit_code_is_a_failure_other_than_typer_usage_errors(kind: type[MissionboardError]) -> None:
    assert kind.exit_code == 2


@pytest.mark.parametrize("kind", USER_ERRORS, ids=lambda c: c.__name__)
def test_every_http_status_is_a_client_or_server_error(kind: type[MissionboardError]) -> None:
    assert 400 <= kind.http_status < 600


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        (errors.MissionboardError, 400),
        (errors.NotFound, 404),
        (errors.InputError, 422),
        (errors.FileRejected, 422),
        (errors.QuerySyntaxError, 422),
        (errors.NotAcceptingResponses, 422),
        (errors.AlreadyResponded, 409),
        (errors.EditConflict, 409),
        (errors.AlreadyExists, 409),
        (errors.DecisionConflict, 409),
        (errors.UnstorableValue, 422),
        (errors.WorkspaceError, 400),
        (errors.WorkspaceBusy, 503),
        (errors.WorkspaceReadOnly, 503),  # not 409: the request was fine, and reading still works
        (errors.WorkspaceFull, 507),
        (errors.LoginRequired, 401),
        (errors.AuthenticationFailed, 401),
        (errors.TooManyAttempts, 429),
        (errors.Forbidden, 403),
        (errors.CsrfFailed, 403),
        (errors.RateLimited, 429),
        (errors.NotAvailable, 501),
        (errors.ProviderUnreachable, 502),
        (errors.ModelUnavailable, 400),
        (errors.ReportUnavailable, 400),
        (errors.BodyTooLarge, 413),
        (errors.BadLength, 400),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else str(value),
)
def test_each_error_keeps_the_http_status_the_web_always_gave_it(
    kind: type[MissionboardError], status: int
) -> None:
    assert kind.http_status == status


def test_no_two_errors_share_a_message_key() -> None:
    keys = [kind.key for kind in USER_ERRORS]
    assert sorted(keys) == sorted(set(keys))


def test_every_user_error_has_a_sample_here() -> None:
    assert set(SAMPLES) == set(USER_ERRORS)


def test_every_error_of_the_tree_is_drawn_in_the_docstring_with_its_code_status_and_key() -> None:
    doc = errors.__doc__ or ""
    for kind in USER_ERRORS:
        line = next((row for row in doc.splitlines() if f" {kind.__name__} " in row), "")
        assert f"{kind.exit_code}  {kind.http_status}  {kind.key}" in line, kind.__name__


def _exception_classes(tree: ast.Module) -> Iterator[ast.ClassDef]:
    """Classes of a module that derive from an exception: a built-in one, one of ``errors.py``, one of a
    framework (any base named ``…Error``/``…Exception``), or another such class of the same module."""
    known = {name for name in dir(builtins) if isinstance(getattr(builtins, name), type)}
    exceptions = {name for name in known if issubclass(getattr(builtins, name), BaseException)}
    exceptions |= {name for name in vars(errors) if isinstance(vars(errors)[name], type)}
    exceptions -= {"Problem"}
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        bases = {ast.unparse(base).rsplit(".", 1)[-1] for base in node.bases}
        if bases & exceptions or any(b.endswith(("Error", "Exception")) for b in bases):
            exceptions.add(node.name)
            yield node


def test_no_exception_class_is_defined_outside_errors_py() -> None:
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != PACKAGE / "errors.py"
        for node in _exception_classes(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert found == []


def test_the_ast_check_finds_an_exception_class_where_there_is_one() -> None:
    source = "class A(ValueError): ...\nclass B(A): ...\nclass C(errors.NotFound): ...\nclass D: ..."
    assert [node.name for node in _exception_classes(ast.parse(source))] == ["A", "B", "C"]


# --- the web answers each as declared ------------------------------------------------------------------


@pytest.fixture(scope="module")
def raising() -> TestClient:
    """A FastAPI app whose routes raise each sample, answered by the web app's own error handler."""
    app = FastAPI()
    app.add_exception_handler(MissionboardError, answer)

    def raise_sample(name: str) -> None:
        raise next(error for kind, error in SAMPLES.items() if kind.__name__ == name)

    app.add_api_route("/api/v1/raise/{name}", raise_sample)
    app.add_api_route("/pages/raise/{name}", raise_sample)
    return TestClient(app, raise_server_exceptions=False)


API_SAMPLES = [kind for kind in SAMPLES if kind is not errors.LoginRequired]


@pytest.mark.parametrize("kind", API_SAMPLES, ids=lambda c: c.__name__)
def test_the_api_answers_each_error_with_its_declared_status(
    raising: TestClient, kind: type[MissionboardError]
) -> None:
    assert raising.get(f"/api/v1/raise/{kind.__name__}").status_code == kind.http_status


@pytest.mark.parametrize("kind", API_SAMPLES, ids=lambda c: c.__name__)
def test_the_api_says_the_error_in_one_line_or_the_web_line_of_its_key(
    raising: TestClient, kind: type[MissionboardError]
) -> None:
    body = raising.get(f"/api/v1/raise/{kind.__name__}").json()
    assert body["error"] == WEB_LINES.get(kind.key, str(SAMPLES[kind]))


@pytest.mark.parametrize("kind", [errors.InputError, errors.FileRejected, errors.QuerySyntaxError])
def test_the_api_lists_the_problems_of_invalid_input(
    raising: TestClient, kind: type[errors.InputError]
) -> None:
    sample = SAMPLES[kind]
    assert isinstance(sample, errors.InputError)
    body = raising.get(f"/api/v1/raise/{kind.__name__}").json()
    assert body["problems"] == [p.as_dict() for p in sample.problems]


@pytest.mark.parametrize(
    ("kind", "seconds"),
    [(errors.WorkspaceBusy, "5"), (errors.TooManyAttempts, "30"), (errors.RateLimited, "3600")],
)
def test_the_web_sends_retry_after_from_the_error_s_params(
    raising: TestClient, kind: type[MissionboardError], seconds: str
) -> None:
    assert raising.get(f"/api/v1/raise/{kind.__name__}").headers["retry-after"] == seconds


def test_a_workspace_error_s_web_line_hides_the_server_s_path() -> None:
    assert all("/srv" not in line for line in WEB_LINES.values())
    assert set(WEB_LINES) <= {kind.key for kind in USER_ERRORS}


def test_login_required_answers_401_in_the_api_and_redirects_a_page(raising: TestClient) -> None:
    assert raising.get("/api/v1/raise/LoginRequired").status_code == 401
    page = raising.get("/pages/raise/LoginRequired", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("kind", [errors.NotFound, errors.Forbidden, errors.WorkspaceFull], ids=str)
def test_a_page_answers_the_error_page_with_the_declared_status(
    raising: TestClient, kind: type[MissionboardError]
) -> None:
    assert raising.get(f"/pages/raise/{kind.__name__}").status_code == kind.http_status


# --- the CLI exits with each as declared ---------------------------------------------------------------


@pytest.fixture
def failing_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """``missionboard fail NAME`` raises the sample NAME; ``main`` runs it as it runs every command."""
    command = typer.Typer()

    @command.command()
    def fail(name: str, format: str = typer.Option("text", "--format")) -> None:
        raise next(error for kind, error in SAMPLES.items() if kind.__name__ == name)

    monkeypatch.setattr(cli_app, "app", command)


@pytest.mark.parametrize("kind", list(SAMPLES), ids=lambda c: c.__name__)
def test_the_cli_prints_each_error_in_one_line_and_exits_with_its_code(
    failing_command: None, capsys: pytest.CaptureFixture[str], kind: type[MissionboardError]
) -> None:
    code = cli_app.main([kind.__name__])
    err = capsys.readouterr().err
    assert code == kind.exit_code
    assert err == f"error: {' '.join(str(SAMPLES[kind]).split())}\n"


@pytest.mark.parametrize("kind", list(SAMPLES), ids=lambda c: c.__name__)
def test_the_cli_reports_each_error_as_one_json_object_with_format_json(
    failing_command: None, capsys: pytest.CaptureFixture[str], kind: type[MissionboardError]
) -> None:
    code = cli_app.main([kind.__name__, "--format", "json"])
    out = capsys.readouterr().out
    assert code == kind.exit_code
    assert json.loads(out) == {"error": " ".join(str(SAMPLES[kind]).split()), "kind": kind.__name__}
