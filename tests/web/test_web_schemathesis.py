"""The API's own OpenAPI description, run through Schemathesis against a small real workspace.

Every operation gets generated requests (valid and invalid) with an admin's token; no answer may be a
server error, and every status code must be one the operation declares. Bounded: a few derandomised
examples per operation, no shrinking, so the whole run stays well under a minute on two cores.

The operations are driven from here rather than with ``schemathesis.pytest.from_fixture``, whose lazy
loader sets ``request.node._nodeid``, which pytest 9 no longer has.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from missionboard.services import accounts
from missionboard.store.workspace import Workspace

schemathesis = pytest.importorskip("schemathesis")
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import status_code_conformance  # noqa: E402

pytestmark = pytest.mark.slow

EXAMPLES = 40
"""Generated requests per operation (about 25 operations): ~30 s of CPU (measured; longer on busy cores)."""


def test_the_api_answers_every_generated_request_as_it_declares(seed_workspace: Path, tmp_path: Path) -> None:
    failures: list[str] = []
    labels = _operations(seed_workspace, tmp_path / "schema.db")
    for n, label in enumerate(labels):
        # each operation on its own copy of the workspace: a DELETE of the mission must not hide it
        # from the operations after it
        with _api(seed_workspace, tmp_path / f"{n}.db") as (schema, headers):
            operation = next(r.ok() for r in schema.get_all_operations() if r.ok().label == label)
            failures += _run(operation, headers)
    assert len(labels) >= 20
    assert not failures, "\n\n".join(failures)


@contextmanager
def _api(seed: Path, target: Path) -> Iterator[tuple[Any, dict[str, str]]]:
    """The app's schema over a fresh copy of the seed workspace, and an admin's token."""
    from missionboard.web import create_app

    shutil.copy(seed, target)
    workspace = Workspace.open(f"sqlite:///{target}")
    try:
        app = create_app(workspace, secure_cookies=False)
        token = accounts.create_token(workspace, "admin", "schemathesis", by="test")
        with TestClient(app):  # runs the app's start-up
            schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
            yield schema, {"Authorization": f"Bearer {token}"}
    finally:
        workspace.close()


def _operations(seed: Path, target: Path) -> list[str]:
    with _api(seed, target) as (schema, _):
        return [result.ok().label for result in schema.get_all_operations()]


KNOWN = {"mission_id": "ocean", "project_id": 1, "link_id": 1, "username": "viewer"}
"""Path parameters that name things in the seed workspace, so that valid requests reach past the 404."""


def _cases(operation: Any) -> Any:
    """Valid requests, invalid ones, and valid ones about things that exist."""
    names = {p.name for p in operation.path_parameters}
    known = {name: value for name, value in KNOWN.items() if name in names}
    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    if known:
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=known))
    return st.one_of(strategies)


def _run(operation: Any, headers: dict[str, str]) -> list[str]:
    """Generate requests for one operation; the first failure of each kind, as a readable line."""
    found: list[str] = []
    seen: set[tuple[str, ...]] = set()

    @given(case=_cases(operation))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        try:
            case.call_and_validate(headers=headers, checks=[not_a_server_error, status_code_conformance])
        except (AssertionError, BaseExceptionGroup) as exc:  # collected: one run names every failure
            text = str(exc).strip()
            kind = (*re.findall(r"ST\d+", text), *re.findall(r"Received: (\d+)", text))
            if kind not in seen:
                seen.add(kind)
                found.append(f"{operation.label}: {text[:1500]}")

    run()
    return found
