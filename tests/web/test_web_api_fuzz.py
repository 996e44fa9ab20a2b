"""Every GET endpoint of the OpenAPI schema, and every page, called with odd values, answers a client
error at worst (Schemathesis explores the API further: test_web_schemathesis.py)."""

from __future__ import annotations

import itertools
import re

from fastapi.routing import APIRoute
from web_support import Web

from missionboard.web.app import PAGES

ODD = [
    "-1",
    "99999999999999999999",
    str(2**70),
    str(10**30),
    "1e400",
    "nan",
    "x" * 600,
    "%00",
    "%FF",
    "'; drop table projects; --",
    "ü/../..",
]


def test_get_endpoints_never_fail_on_odd_parameters(web: Web) -> None:
    headers = web.token("admin")
    schema = web.client.get("/api/v1/openapi.json").json()
    calls = 0
    for path, operations in schema["paths"].items():
        if "get" not in operations:
            continue
        parameters = operations["get"].get("parameters", [])
        query = [p["name"] for p in parameters if p["in"] == "query"]
        for odd, name in itertools.product(ODD, query) if query else [("", None)]:
            url = re.sub(r"\{[^}]+\}", "ocean" if "mission" in path else "1", path)
            if name is not None:
                url += f"?{name}={odd}"
            response = web.client.get(url, headers=headers)
            assert response.status_code < 500, (url, response.text[:300])
            calls += 1
        for odd in ODD:
            if "{" in path:
                url = re.sub(r"\{[^}]+\}", odd.replace("/", "%2F") or "%20", path)
                response = web.client.get(url, headers=headers)
                assert response.status_code < 500, (url, response.text[:300])
                calls += 1
    assert calls > 100


def test_pages_never_fail_on_odd_parameters(web: Web) -> None:
    web.login("admin")
    calls = 0
    for route in [route for router in PAGES for route in router.routes]:
        if not isinstance(route, APIRoute) or "GET" not in route.methods:
            continue
        query = [p.name for p in route.dependant.query_params]
        for odd, name in itertools.product(ODD, query) if query else [("", None)]:
            url = re.sub(r"\{[^}]+\}", "ocean" if "mission" in route.path else "1", route.path)
            if name is not None:
                url += f"?{name}={odd}"
            response = web.client.get(url)
            assert response.status_code < 500, (url, response.text[:300])
            calls += 1
        if "{" in route.path:
            for odd in ODD:
                response = web.client.get(re.sub(r"\{[^}]+\}", odd.replace("/", "%2F"), route.path))
                assert response.status_code < 500, (route.path, odd, response.text[:300])
                calls += 1
    assert calls > 100
