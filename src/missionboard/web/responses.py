"""What the API answers when it refuses: one JSON shape, and the status codes each route declares.

Every error of the API is ``{"error": "one line", "problems": [...]}`` (problems only for invalid
input), so ``/api/v1/openapi.json`` declares that body for each status a route can answer. ``COMMON``
holds the statuses any route may give; routes add theirs with ``errors(403, 404, …)``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ProblemOut(BaseModel):
    """One thing wrong with the input, located as precisely as the format allows."""

    file: str
    line: int | None
    field: str
    message: str


class ErrorOut(BaseModel):
    """The body of every error answer."""

    error: str = Field(description="What went wrong, in one line")
    problems: list[ProblemOut] | None = Field(default=None, description="For invalid input: each problem")


WHY = {
    400: "The request is malformed (a NUL character in the address, a body that cannot be parsed)",
    401: "No valid session or API token",
    403: "The caller lacks the role for this action (or a cookie session sent no CSRF header)",
    404: "The mission, project, link … does not exist",
    409: "A conflict with what is stored (a newer version saved since the one this edit started from, "
    "`If-Match`; a stage-gate decision that the standing ones rule out); nothing was saved",
    413: "The request body is larger than this address accepts",
    422: "A parameter or the body is not valid; `problems` says which",
    501: "The service behind this route is not installed",
    503: "The workspace is busy (retry after `Retry-After` seconds) or read-only",
    507: "The workspace's disk is full; nothing was written",
}
HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}},
    503: {
        "Retry-After": {
            "description": "Seconds to wait before trying again (when the workspace is busy)",
            "schema": {"type": "integer"},
        }
    },
}
COMMON = (400, 401, 413, 422, 503, 507)
"""Statuses any API route may answer: a malformed or oversized request, no login, an invalid
parameter, a busy or read-only workspace, a full disk."""


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route (or router) that may answer ``codes``."""
    declared: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        declared[code] = {"model": ErrorOut, "description": WHY[code]}
        if code in HEADERS:
            declared[code]["headers"] = HEADERS[code]
    return declared


__all__ = ["COMMON", "ErrorOut", "ProblemOut", "errors"]
