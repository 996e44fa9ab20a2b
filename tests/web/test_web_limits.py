"""Request-body limits: 413 over the limit, and an upload refused unread unless its caller may import.

The unread cases call the ASGI app directly with a body that is handed out in 1 MiB chunks and count
what the app pulled, as a server does (uvicorn answers ``http.disconnect`` once the response is sent).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web_support import Web

from missionboard.settings import Settings
from missionboard.store.workspace import Workspace
from missionboard.web import create_app
from missionboard.web.security import SECURITY_HEADERS

MiB = 1024 * 1024
SMALL = Settings(body_limit=64 * 1024, import_body_limit=256 * 1024)
CSV = b"source_id,title\nA1,Test project\n"


@dataclass
class Sent:
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    read: int = 0
    """Body bytes the app pulled before its answer was complete."""


def _multipart(size: int, boundary: str = "xyz") -> tuple[bytes, bytes, int]:
    """The head and tail of a multipart body whose file part holds ``size`` bytes, and the total length."""
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return head, tail, len(head) + size + len(tail)


def _chunks(size: int) -> Iterator[bytes]:
    head, tail, _ = _multipart(size)
    yield head
    sent = 0
    while sent < size:
        part = min(MiB, size - sent)
        yield b"x" * part
        sent += part
    yield tail


def call(
    app: Any,
    method: str,
    path: str,
    *,
    size: int,
    headers: dict[str, str] | None = None,
    declare_length: bool = True,
) -> Sent:
    """Send a multipart upload of ``size`` bytes to ``app`` as a server would, lazily, chunk by chunk."""
    sent = Sent()
    chunks = _chunks(size)
    pending: bytes | None = next(chunks)
    done = False
    raw = {"content-type": "multipart/form-data; boundary=xyz", **(headers or {})}
    if declare_length:
        raw["content-length"] = str(_multipart(size)[2])

    async def receive() -> dict[str, Any]:
        nonlocal pending
        if done or pending is None:
            return {"type": "http.disconnect"}
        chunk, pending = pending, next(chunks, None)
        sent.read += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": pending is not None}

    async def send(message: dict[str, Any]) -> None:
        nonlocal done
        if message["type"] == "http.response.start":
            sent.status = message["status"]
            sent.headers = {k.decode(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            sent.body += message.get("body", b"")
            done = done or not message.get("more_body", False)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in raw.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    asyncio.run(app(scope, receive, send))
    return sent


@pytest.fixture
def small(web_workspace: Workspace) -> Iterator[Web]:
    """The app with small limits (64 KiB for every request, 256 KiB for imports)."""
    with TestClient(create_app(web_workspace, secure_cookies=False, settings=SMALL)) as client:
        yield Web(web_workspace, client)


# --- who may upload: decided from the headers, before a byte is read --------------------------------


@pytest.mark.parametrize(
    ("path", "who", "status"),
    [
        ("/api/v1/imports", None, 401),
        ("/api/v1/imports", "owner", 403),
        ("/api/v1/imports", "outsider", 403),
        ("/import", None, 303),
        ("/import", "editor", 403),
        ("/consultations/nowhere/import", None, 303),
    ],
)
def test_an_upload_by_someone_who_may_not_import_is_refused_unread(
    web: Web, path: str, who: str | None, status: int
) -> None:
    headers = web.token(who) if who else {}
    sent = call(web.client.app, "POST", path, size=100 * MiB, headers=headers)
    assert sent.status == status
    assert sent.read == 0


def test_a_bad_token_on_an_upload_is_refused_unread(web: Web) -> None:
    sent = call(
        web.client.app, "POST", "/api/v1/imports", size=100 * MiB, headers={"authorization": "Bearer x"}
    )
    assert (sent.status, sent.read) == (401, 0)


def test_an_admins_upload_over_the_import_limit_is_refused_unread(small: Web) -> None:
    sent = call(small.client.app, "POST", "/api/v1/imports", size=300 * 1024, headers=small.token("admin"))
    assert (sent.status, sent.read) == (413, 0)


def test_an_admins_upload_without_a_length_is_cut_off_at_the_import_limit(small: Web) -> None:
    sent = call(
        small.client.app,
        "POST",
        "/api/v1/imports",
        size=100 * MiB,
        headers=small.token("admin"),
        declare_length=False,
    )
    assert sent.status == 413
    assert sent.read <= 256 * 1024 + MiB  # the chunk that crossed the limit, no further


def test_the_refusal_is_a_json_error_with_the_security_headers(small: Web) -> None:
    sent = call(small.client.app, "POST", "/api/v1/imports", size=300 * 1024, headers=small.token("admin"))
    assert sent.body.startswith(b'{"error":"the request body is larger than the 256 KiB')
    assert all(sent.headers.get(name) == value for name, value in SECURITY_HEADERS.items())


# --- the limits themselves ----------------------------------------------------------------------------


def test_an_admin_imports_a_file_larger_than_the_small_limit(small: Web) -> None:
    rows = b"".join(b"A%d,Project number %d with a longer title\n" % (i, i) for i in range(3000))
    assert 64 * 1024 < len(rows) < 256 * 1024
    files = {"file": ("p.csv", b"source_id,title\n" + rows, "text/csv")}
    response = small.client.post(
        "/api/v1/imports", files=files, data={"dry_run": "true"}, headers=small.token("admin")
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("method", "path", "kind"),
    [
        ("PUT", "/api/v1/missions/ocean/yaml", "json"),
        ("POST", "/api/v1/users", "json"),
        ("POST", "/login", "form"),
        ("POST", "/c/anything", "form"),
        ("POST", "/missions/ocean/edit", "form"),
    ],
)
def test_a_body_over_the_small_limit_is_413_everywhere_else(
    small: Web, method: str, path: str, kind: str
) -> None:
    headers = small.token("admin")
    big = "x" * (100 * 1024)
    if kind == "json":
        response = small.client.request(method, path, json={"yaml": big, "username": big}, headers=headers)
    else:
        response = small.client.request(method, path, data={"title": big}, headers=headers)
    assert response.status_code == 413, response.text[:200]
    assert response.headers["x-frame-options"] == "DENY"


def test_a_page_shows_the_413_as_the_usual_error_page(small: Web) -> None:
    response = small.client.post("/login", data={"username": "x" * (100 * 1024)})
    assert "larger than the 64 KiB this address accepts" in response.text
    assert response.headers["content-type"].startswith("text/html")


def test_a_streamed_body_without_a_length_is_counted(small: Web) -> None:
    sent = call(small.client.app, "POST", "/login", size=5 * MiB, declare_length=False)
    assert sent.status == 413
    assert sent.read <= 64 * 1024 + MiB


@pytest.mark.parametrize("length", ["-1", "12abc", "9" * 40])
def test_a_malformed_content_length_is_400(web: Web, length: str) -> None:
    sent = call(
        web.client.app, "POST", "/login", size=10, headers={"content-length": length}, declare_length=False
    )
    assert (sent.status, sent.read) == (400, 0)


def test_the_limits_come_from_the_environment(
    web_workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MISSIONBOARD_BODY_LIMIT", "1000")
    with TestClient(create_app(web_workspace, secure_cookies=False)) as client:
        assert client.post("/login", data={"username": "x" * 2000}).status_code == 413
        assert client.post("/login", data={"username": "x" * 500}).status_code != 413


def test_the_default_limits_are_2_mib_and_512_mib() -> None:
    assert (Settings().body_limit, Settings().import_body_limit) == (2 * MiB, 512 * MiB)
