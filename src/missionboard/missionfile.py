"""Missions as code: read and write the mission YAML format, with errors that point at file:line.

The format is the ``Mission`` model under a top-level ``mission:`` key (see docs/missions.md and
``missionboard mission schema``). Reading never writes anything; problems name the file, the line and
the field path, and say what was expected.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from missionboard.domain.missions import Mission
from missionboard.errors import InputError, Problem, StructureError
from missionboard.ingest import safeyaml

DATE_FIELDS = {"start", "deadline"}
MEASURE_DATE_FIELDS = {"start", "end"}


def mission_schema() -> dict[str, Any]:
    """JSON Schema of a mission file, generated from the model."""
    schema = Mission.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "missionboard mission file",
        "type": "object",
        "required": ["mission"],
        "properties": {"mission": {"$ref": "#/$defs/Mission"}},
        "additionalProperties": False,
        "$defs": {**schema.pop("$defs", {}), "Mission": schema},
    }


def _field_path(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _expectation(error: Any) -> str:
    kind = error["type"]
    message = str(error["msg"])
    if kind == "missing":
        return "is required but missing"
    if kind == "extra_forbidden":
        return "is not a field of the mission format (check the spelling)"
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    given = error.get("input")
    if kind not in ("model_type",) and not isinstance(given, dict | list) and given is not None:
        return f"{message} (got {_shown(given)})"
    return message


def _shown(value: Any, limit: int = 80) -> str:
    """A value as the message quotes it: repr, cut to ``limit`` characters (a 2 MB id, a number of
    5,000 digits, whose repr Python refuses to make)."""
    if isinstance(value, int) and value.bit_length() > 1000:
        return f"a number of {value.bit_length() * 3 // 10:,} digits or more"
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def parse_mission(text: str, filename: str = "<text>") -> Mission:
    """Parse mission YAML text; raise ``InputError`` listing every problem with its line."""
    root, data = safeyaml.load(text, filename)
    if root is None:
        raise InputError(Problem(filename, None, "", "the file is empty; expected a 'mission:' mapping"))
    prefix: tuple[int | str, ...] = ("mission",)
    if not isinstance(data, dict):
        raise InputError(
            Problem(filename, safeyaml.line_of(root), "", "expected a mapping with a 'mission:' key")
        )
    if "mission" in data:
        extra = sorted(str(k) for k in data if k != "mission")
        if extra:
            node = safeyaml.node_at(root, (extra[0],))
            raise InputError(
                Problem(
                    filename,
                    safeyaml.line_of(node),
                    extra[0],
                    "unexpected top-level key; only 'mission' is allowed",
                )
            )
        body = data["mission"]
    elif "id" in data and "title" in data:  # an unwrapped mission body is accepted too
        body, prefix = data, ()
    else:
        raise InputError(Problem(filename, safeyaml.line_of(root), "mission", "is required but missing"))
    if not isinstance(body, dict):
        node = safeyaml.node_at(root, prefix)
        raise InputError(
            Problem(filename, safeyaml.line_of(node), "mission", "expected a mapping of mission fields")
        )
    try:
        return Mission.model_validate(body)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            for loc, message in _located(error):
                node = safeyaml.node_at(root, prefix + loc)
                problems.append(
                    Problem(filename, safeyaml.line_of(node), _field_path(("mission", *loc)), message)
                )
        raise InputError(problems) from exc


def _located(error: Any) -> list[tuple[tuple[int | str, ...], str]]:
    """The field path and message of each problem in one validation error: a ``StructureError``
    (broken references, a cycle in the logic …) holds several, each at its own field."""
    loc = tuple(error["loc"])
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, StructureError):
        return [((*loc, *where), message) for where, message in cause.problems]
    return [(loc, _expectation(error))]


def read_mission(path: Path) -> Mission:
    """Read one mission file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(Problem(str(path), None, "", "no such file")) from exc
    except IsADirectoryError as exc:
        raise InputError(Problem(str(path), None, "", "is a folder, not a mission file")) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(Problem(str(path), line, "", "is not UTF-8 text")) from exc
    return parse_mission(text, str(path))


def mission_document(mission: Mission) -> dict[str, Any]:
    """The mission as plain data (JSON types), without empty or default-less fields."""
    data: dict[str, Any] = _drop_empty(json.loads(mission.model_dump_json(exclude_none=True)))
    if set(data.get("challenge", {})) == {"title"}:
        data["challenge"] = data["challenge"]["title"]
    return data


def _drop_empty(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_empty(v) for k, v in value.items() if v not in ([], {}, "")}
    if isinstance(value, list):
        return [_drop_empty(v) for v in value]
    return value


def dump_mission(mission: Mission) -> str:
    """The mission as YAML in the documented format; reading it back gives the same mission."""
    body = mission_document(mission)
    for key in DATE_FIELDS & body.keys():
        body[key] = dt.date.fromisoformat(body[key])
    for measure in body.get("measures", []):
        for key in MEASURE_DATE_FIELDS & measure.keys():
            measure[key] = dt.date.fromisoformat(measure[key])
    return yaml.safe_dump({"mission": body}, sort_keys=False, allow_unicode=True, width=100)
