"""The mission editor's form: a mission as flat form fields and back, with errors placed on the fields."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from missionboard.domain.missions import Mission
from missionboard.services.missions import mission_document

TOP_FIELDS = (
    "title",
    "statement",
    "challenge_title",
    "challenge_description",
    "owner",
    "start",
    "deadline",
    "geography",
    "status",
    "programmes",
    "tags",
)
OBJECTIVE_FIELDS = (
    "id",
    "title",
    "indicator_id",
    "indicator_name",
    "indicator_unit",
    "baseline_value",
    "baseline_year",
    "target_value",
    "target_year",
    "direction",
)
FORM_ERROR = "_form"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def form_values(mission: Mission) -> dict[str, Any]:
    """Field name → text for every input of the form (objectives as rows obj-N-FIELD)."""
    values: dict[str, Any] = {
        "title": mission.title,
        "statement": mission.statement,
        "challenge_title": mission.challenge.title,
        "challenge_description": mission.challenge.description,
        "owner": mission.owner,
        "start": _text(mission.start),
        "deadline": _text(mission.deadline),
        "geography": mission.geography or "",
        "status": mission.status.value,
        "public": mission.public,
        "programmes": ", ".join(mission.programmes),
        "tags": ", ".join(mission.tags),
        "objectives": [],
    }
    for objective in mission.objectives:
        values["objectives"].append(
            {
                "orig": objective.id,
                "id": objective.id,
                "title": objective.title,
                "indicator_id": objective.indicator.id if objective.indicator else "",
                "indicator_name": objective.indicator.name if objective.indicator else "",
                "indicator_unit": objective.indicator.unit if objective.indicator else "",
                "baseline_value": _text(objective.baseline.value) if objective.baseline else "",
                "baseline_year": _text(objective.baseline.year) if objective.baseline else "",
                "target_value": _text(objective.target.value) if objective.target else "",
                "target_year": _text(objective.target.year) if objective.target else "",
                "direction": objective.direction.value if objective.direction else "",
            }
        )
    return values


def posted_values(form: Any, rows: int) -> dict[str, Any]:
    """The form as posted, in the shape ``form_values`` gives (to show it again with its errors)."""
    values: dict[str, Any] = {name: str(form.get(name, "")).strip() for name in TOP_FIELDS}
    values["public"] = form.get("public") in ("on", "true", "1")
    values["objectives"] = []
    for i in range(rows):
        row: dict[str, Any] = {
            name: str(form.get(f"obj-{i}-{name}", "")).strip() for name in OBJECTIVE_FIELDS
        }
        row["orig"] = str(form.get(f"obj-{i}-orig", "")).strip()
        row["remove"] = form.get(f"obj-{i}-remove") in ("on", "true", "1")
        values["objectives"].append(row)
    return values


def whole_number(value: object, *, default: int, highest: int, lowest: int = 0) -> int:
    """A form field that should hold a count or a page number: ASCII digits only, kept within
    ``lowest``–``highest``; anything else (a file part, '²', 5,000 digits, '1e3') gives ``default``."""
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > 12 or not text.isascii() or not text.isdigit():
        return default
    return max(lowest, min(int(text), highest))


def _number(value: str, name: str, errors: dict[str, str], *, whole: bool = False) -> float | int | None:
    if value == "":
        return None
    try:
        return int(value) if whole else float(value)
    except ValueError:
        errors[name] = "must be a whole number" if whole else "must be a number"
        return None


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def mission_from_form(base: Mission, values: dict[str, Any]) -> tuple[Mission | None, dict[str, str]]:
    """Apply the posted values to ``base``; the new mission, or the errors keyed by form field name."""
    errors: dict[str, str] = {}
    document = mission_document(base)
    old_objectives = {o.get("id"): o for o in document.get("objectives", [])}
    challenge = document.get("challenge")
    if not isinstance(challenge, dict):
        challenge = {"title": challenge or ""}
    challenge["title"] = values["challenge_title"]
    challenge["description"] = values["challenge_description"]
    document.update(
        title=values["title"],
        statement=values["statement"],
        owner=values["owner"],
        challenge=challenge,
        geography=values["geography"] or None,
        status=values["status"] or "active",
        public=bool(values["public"]),
        programmes=_csv(values["programmes"]),
        tags=_csv(values["tags"]),
        start=values["start"] or None,
        deadline=values["deadline"] or None,
    )
    objectives: list[dict[str, Any]] = []
    row_of: list[int] = []
    for i, row in enumerate(values["objectives"]):
        if row.get("remove") or not any(row.get(name) for name in OBJECTIVE_FIELDS):
            continue
        objective: dict[str, Any] = dict(old_objectives.get(row.get("orig"), {}))
        objective.update(id=row["id"], title=row["title"])
        if row["indicator_id"] or row["indicator_name"] or row["indicator_unit"]:
            indicator = dict(objective.get("indicator") or {})
            indicator.update(id=row["indicator_id"], name=row["indicator_name"], unit=row["indicator_unit"])
            objective["indicator"] = indicator
        else:
            objective.pop("indicator", None)
        for kind in ("baseline", "target"):
            value = _number(row[f"{kind}_value"], f"obj-{i}-{kind}_value", errors)
            year = _number(row[f"{kind}_year"], f"obj-{i}-{kind}_year", errors, whole=True)
            if value is None and year is None:
                if row[f"{kind}_value"] == "" and row[f"{kind}_year"] == "":
                    objective.pop(kind, None)
            else:
                objective[kind] = {"value": value, "year": year}
        if row["direction"]:
            objective["direction"] = row["direction"]
        else:
            objective.pop("direction", None)
        objectives.append(objective)
        row_of.append(i)
    document["objectives"] = objectives
    try:
        mission = Mission.model_validate(document)
    except ValidationError as exc:
        for error in exc.errors():
            errors.setdefault(_field_name(tuple(error["loc"]), row_of), _message(error))
        return None, errors
    return (None, errors) if errors else (mission, {})


def _message(error: Any) -> str:
    if error["type"] == "missing":
        return "is required"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def _field_name(loc: tuple[Any, ...], row_of: list[int]) -> str:
    if not loc:
        return FORM_ERROR
    head = loc[0]
    if head == "challenge":
        return "challenge_title" if len(loc) < 2 or loc[1] == "title" else "challenge_description"
    if head in ("programmes", "tags") or (head in TOP_FIELDS and head != "challenge"):
        return str(head)
    if head == "objectives" and len(loc) >= 2 and isinstance(loc[1], int) and loc[1] < len(row_of):
        row = row_of[loc[1]]
        rest = [str(part) for part in loc[2:]]
        if not rest:
            return f"obj-{row}"
        if rest[0] in ("baseline", "target"):
            return f"obj-{row}-{rest[0]}_{rest[1] if len(rest) > 1 and rest[1] in ('value', 'year') else 'value'}"
        if rest[0] == "indicator":
            return f"obj-{row}-indicator_{rest[1] if len(rest) > 1 and rest[1] in ('id', 'name', 'unit') else 'id'}"
        if rest[0] in OBJECTIVE_FIELDS:
            return f"obj-{row}-{rest[0]}"
        return f"obj-{row}"
    return FORM_ERROR
