"""The API's OpenAPI description is a contract: it holds a schema for every JSON answer, no schema of an
answer is an untyped value, and every route's real answers on a seeded workspace match what it declares.

One workspace is exercised once for the module (schedule a gate, stop at it, appeal, rule, review,
import, add a user, edit a mission …), so that lists have entries and the answers carry their nested
parts; then every operation of the description has a recorded answer checked against its schema with
a JSON Schema validator (``jsonschema_rs``, installed with Schemathesis).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from missionboard.services import accounts
from missionboard.store.workspace import Workspace
from missionboard.web import api_models

jsonschema_rs = pytest.importorskip("jsonschema_rs")

PREFIX = "/api/v1"
CSV = b"source_id,title,funder,budget_amount,budget_currency\nC1,Coastal sensors,Innovation Agency,5000,EUR\n"
OPERATIONS = (
    "GET /me",
    "GET /missions",
    "POST /missions",
    "GET /missions/{mission_id}",
    "PUT /missions/{mission_id}",
    "DELETE /missions/{mission_id}",
    "PUT /missions/{mission_id}/yaml",
    "GET /missions/{mission_id}/check",
    "GET /missions/{mission_id}/history",
    "GET /missions/{mission_id}/diff",
    "PUT /missions/{mission_id}/members/{username}",
    "GET /missions/{mission_id}/members",
    "GET /missions/{mission_id}/portfolio",
    "GET /missions/{mission_id}/analytics",
    "GET /missions/{mission_id}/monitoring",
    "GET /missions/{mission_id}/landscape",
    "GET /missions/{mission_id}/story",
    "GET /compare",
    "GET /projects",
    "GET /projects/{project_id}",
    "POST /projects/{project_id}/decisions",
    "GET /missions/{mission_id}/gates",
    "GET /projects/{project_id}/gates",
    "POST /projects/{project_id}/gates",
    "POST /decisions/{decision_id}/appeals",
    "POST /appeals/{appeal_id}/ruling",
    "GET /links",
    "POST /links/{link_id}/review",
    "GET /imports",
    "POST /imports",
    "GET /audit",
    "GET /users",
    "POST /users",
)
"""Every operation of the API; a new route is added here, and so gets its answers checked."""


@dataclass
class Exercised:
    description: dict[str, Any]
    answers: dict[str, list[tuple[int, Any]]] = field(default_factory=dict)
    """Operation → (status, JSON body or None) of each call made to it."""


@pytest.fixture(scope="module")
def exercised(seed_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Exercised]:
    from missionboard.web import create_app

    target = tmp_path_factory.mktemp("openapi") / "contract.db"
    shutil.copy(seed_workspace, target)
    workspace = Workspace.open(f"sqlite:///{target}")
    try:
        with TestClient(create_app(workspace, secure_cookies=False), base_url="http://127.0.0.1") as client:
            description = client.get(f"{PREFIX}/openapi.json").json()
            found = Exercised(description)
            _exercise(client, workspace, found)
            yield found
    finally:
        workspace.close()


def _exercise(client: TestClient, workspace: Workspace, found: Exercised) -> None:
    """Every operation at least once, writes first, so that the reads see gates, decisions and appeals."""
    tokens = {
        who: {"Authorization": f"Bearer {accounts.create_token(workspace, who, 'contract', by='test')}"}
        for who in ("admin", "owner", "editor", "reviewer", "viewer")
    }

    def call(operation: str, path: str, who: str = "admin", **request: Any) -> Any:
        method = operation.split()[0]
        response = client.request(method, f"{PREFIX}{path}", headers=tokens[who], **request)
        assert response.status_code < 300, f"{operation}: {response.status_code} {response.text}"
        body = response.json() if response.content else None
        found.answers.setdefault(operation, []).append((response.status_code, body))
        return body

    gate = {"name": "G1", "due": "2025-06-30", "criteria": ["Prototype at sea", "Two harbours signed"]}
    call("POST /projects/{project_id}/gates", "/projects/3/gates", "editor", json=gate)
    stop = {"decision": "stop", "rationale": "No harbour signed", "gate": "G1", "met": [1]}
    decided = call("POST /projects/{project_id}/decisions", "/projects/3/decisions", "editor", json=stop)
    decision_id = decided["decisions"][0]["id"]
    appealed = call(
        "POST /decisions/{decision_id}/appeals",
        f"/decisions/{decision_id}/appeals",
        "editor",
        json={"reason": "A harbour signed the day before"},
    )
    appeal_id = next(d for d in appealed["decisions"] if d["id"] == decision_id)["appeals"][0]["id"]
    ruling = {"outcome": "upheld", "ruling": "The signature came late"}
    call("POST /appeals/{appeal_id}/ruling", f"/appeals/{appeal_id}/ruling", "owner", json=ruling)
    call("POST /links/{link_id}/review", "/links/6/review", "reviewer", json={"action": "accept"})
    reassign = {"action": "reassign", "goal": "litter"}
    moved = call("POST /links/{link_id}/review", "/links/8/review", "reviewer", json=reassign)
    assert moved["reassigned_to"]["goal"] == "litter", "a re-assignment answers where the link went"
    upload = {"file": ("p.csv", CSV, "text/csv")}
    call("POST /imports", "/imports", files=upload, data={"dry_run": "true"})
    call("POST /imports", "/imports", files=upload, data={"dry_run": "false", "source": "contract"})
    bad = {"file": ("bad.csv", b"title\nNo id\n", "text/csv")}
    call("POST /imports", "/imports", files=bad, data={"dry_run": "true", "on_error": "skip"})
    unreadable = {"file": ("bad.xlsx", b"not a spreadsheet", "application/octet-stream")}
    refused = call("POST /imports", "/imports", files=unreadable, data={"dry_run": "true"})
    assert refused["ok"] is False, "a file that cannot be read is refused with its problems"
    call("POST /users", "/users", json={"username": "newcomer", "password": "long enough password"})
    call(
        "PUT /missions/{mission_id}/members/{username}",
        "/missions/ocean/members/newcomer",
        json={"role": "viewer"},
    )
    current = call("GET /missions/{mission_id}", "/missions/open-air")
    mission = {**current["mission"], "title": "Clean air in every city"}
    call("PUT /missions/{mission_id}", "/missions/open-air", json=mission)
    yaml_text = (
        "mission:\n  id: open-air\n  title: Clean air in all cities\n  challenge: Urban air pollution\n"
    )
    yaml_text += "  statement: By 2030 no city exceeds the WHO limit for NO2.\n  owner: Environment agency\n"
    yaml_text += "  deadline: 2030-12-31\n  public: true\n"
    call("PUT /missions/{mission_id}/yaml", "/missions/open-air/yaml", json={"yaml": yaml_text})
    created = {**current["mission"], "id": "short-lived", "title": "A mission to delete"}
    call("POST /missions", "/missions", json=created)
    call("DELETE /missions/{mission_id}", "/missions/short-lived")
    for operation, path in (
        ("GET /me", "/me"),
        ("GET /missions", "/missions"),
        ("GET /missions/{mission_id}", "/missions/ocean"),
        ("GET /missions/{mission_id}/check", "/missions/ocean/check"),
        ("GET /missions/{mission_id}/history", "/missions/open-air/history"),
        ("GET /missions/{mission_id}/diff", "/missions/open-air/diff?from=1&to=3"),
        ("GET /missions/{mission_id}/members", "/missions/ocean/members"),
        ("GET /missions/{mission_id}/portfolio", "/missions/ocean/portfolio"),
        ("GET /missions/{mission_id}/analytics", "/missions/ocean/analytics"),
        ("GET /missions/{mission_id}/monitoring", "/missions/ocean/monitoring"),
        ("GET /missions/{mission_id}/landscape", "/missions/ocean/landscape"),
        ("GET /missions/{mission_id}/story", "/missions/ocean/story"),
        ("GET /compare", "/compare?as_of=2026-06-01"),
        ("GET /projects", "/projects?per_page=100"),
        ("GET /projects/{project_id}", "/projects/3"),
        ("GET /projects/{project_id}", "/projects/61"),
        ("GET /missions/{mission_id}/gates", "/missions/ocean/gates?as_of=2025-06-01"),
        ("GET /projects/{project_id}/gates", "/projects/3/gates"),
        ("GET /links", "/links?per_page=100"),
        ("GET /links", "/links?taxonomy=mission:ocean&by_uncertainty=true"),
        ("GET /imports", "/imports"),
        ("GET /audit", "/audit?per_page=500"),
        ("GET /users", "/users"),
    ):
        call(operation, path)
    call("GET /missions", "/missions", "viewer")
    call("GET /compare", "/compare", "viewer")
    call("GET /projects/{project_id}", "/projects/1", "viewer")


# --- the description --------------------------------------------------------------------------------


def _operations(description: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path.removeprefix(PREFIX)}": operation
        for path, methods in description["paths"].items()
        if path.startswith(PREFIX)
        for method, operation in methods.items()
    }


def _success(operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {code: answer for code, answer in operation["responses"].items() if code.startswith("2")}


def test_the_operations_checked_here_are_every_operation_of_the_api(exercised: Exercised) -> None:
    assert sorted(_operations(exercised.description)) == sorted(OPERATIONS)


def test_every_answer_of_the_api_declares_its_media_type_and_a_json_answer_its_schema(
    exercised: Exercised,
) -> None:
    missing = []
    for name, operation in _operations(exercised.description).items():
        for code, answer in _success(operation).items():
            if code == "204":
                continue  # no content
            content = answer.get("content", {})
            if not content:
                missing.append(f"{name} {code}: no media type")
            elif "application/json" in content and "schema" not in content["application/json"]:
                missing.append(f"{name} {code}: JSON without a schema")
    assert missing == []


def _untyped(schema: Any, components: dict[str, Any], where: str, seen: set[str]) -> Iterator[str]:
    """Places in ``schema`` (refs followed) that allow any value: ``{}``, ``true``, an object without
    properties or typed additional properties, an array without items, a bare ``additionalProperties``."""
    if schema is True or schema == {}:
        yield where
        return
    if not isinstance(schema, dict):
        return
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name not in seen:
            seen.add(name)
            yield from _untyped(components[name], components, name, seen)
        return
    kind = schema.get("type")
    if kind == "object" and "properties" not in schema and "additionalProperties" not in schema:
        yield f"{where}: an object of anything"
    if kind == "array" and "items" not in schema:
        yield f"{where}: an array of anything"
    if schema.get("additionalProperties") is True:
        yield f"{where}: additional properties of anything"
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for n, part in enumerate(schema.get(key, [])):
            yield from _untyped(part, components, f"{where}.{key}[{n}]", seen)
    for name, part in schema.get("properties", {}).items():
        yield from _untyped(part, components, f"{where}.{name}", seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from _untyped(schema[key], components, f"{where}.{key}", seen)


def test_no_schema_of_an_api_answer_allows_an_untyped_value_at_any_depth(exercised: Exercised) -> None:
    components = exercised.description["components"]["schemas"]
    untyped: list[str] = []
    for name, operation in _operations(exercised.description).items():
        for code, answer in operation["responses"].items():
            for media in answer.get("content", {}).values():
                untyped += _untyped(media.get("schema", {}), components, f"{name} {code}", set())
    assert untyped == []


def _models(schema: Any, components: dict[str, Any], seen: set[str]) -> set[str]:
    """The names of the component schemas ``schema`` refers to, directly or through others."""
    if isinstance(schema, list):
        for part in schema:
            _models(part, components, seen)
    elif isinstance(schema, dict):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            if name not in seen:
                seen.add(name)
                _models(components[name], components, seen)
        for part in schema.values():
            _models(part, components, seen)
    return seen


SHARED_WITH_ERRORS = {"ProblemOut"}
"""The problem entry of ``web/responses.py`` (also in every error body): its four keys are fixed by
``errors.Problem.as_dict``."""


def test_every_model_of_a_successful_answer_names_all_its_keys(exercised: Exercised) -> None:
    components = exercised.description["components"]["schemas"]
    used: set[str] = set()
    for operation in _operations(exercised.description).values():
        for answer in _success(operation).values():
            _models(answer.get("content", {}), components, used)
    open_models = sorted(
        name
        for name in used - SHARED_WITH_ERRORS
        if "properties" in components[name] and components[name].get("additionalProperties") is not False
    )
    assert len(used) > 40
    assert open_models == []


def test_a_route_that_returns_a_key_its_model_does_not_name_is_refused() -> None:
    with pytest.raises(ValidationError, match="extra_forbidden"):
        api_models.MemberOut.model_validate({"username": "viewer", "role": "viewer", "password": "x"})


# --- real answers -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", OPERATIONS)
def test_each_real_answer_of_an_operation_matches_the_schema_it_declares(
    exercised: Exercised, name: str
) -> None:
    operation = _operations(exercised.description)[name]
    answers = exercised.answers.get(name, [])
    assert answers, f"{name} was not called"
    for status, body in answers:
        declared = _success(operation)[str(status)]
        if status == 204:
            assert body is None
            continue
        schema = {
            **declared["content"]["application/json"]["schema"],
            "components": exercised.description["components"],
        }
        errors = [
            f"{e.instance_path}: {e.message}" for e in jsonschema_rs.validator_for(schema).iter_errors(body)
        ]
        assert errors == [], f"{name} {status}"


def test_a_numeric_value_keeps_its_json_type_through_the_answer_model(exercised: Exercised) -> None:
    _, missions = exercised.answers["GET /missions"][0]
    empty = next(m for m in missions["items"] if m["portfolio_size"] == 0)  # 'secret-lab': nothing linked
    assert type(empty["portfolio_money"]) is int  # 0 as computed, not rewritten as 0.0


def test_a_key_a_route_leaves_out_stays_out_of_its_answer(exercised: Exercised) -> None:
    _, project = exercised.answers["GET /projects/{project_id}"][0]
    assert project["links"], "project 3 has links in the seed workspace"
    assert all("project_title" not in link for link in project["links"])
