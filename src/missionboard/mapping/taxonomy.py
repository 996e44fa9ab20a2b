"""Taxonomies: the built-in ones (package data), workspace missions, and user taxonomies from YAML."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import JsonValue, ValidationError

from missionboard.domain.mapping import MISSION_PREFIX, Goal, Taxonomy, mission_taxonomy
from missionboard.errors import InputError, NotFound, Problem, QuerySyntaxError
from missionboard.ingest import safeyaml
from missionboard.mapping.query import parse

if TYPE_CHECKING:  # the store (SQLAlchemy) is loaded only where a workspace is used
    from missionboard.store.workspace import Session

BUILTIN = {"sdg": "sdg.yaml", "eu-missions": "eu-missions.yaml"}
_TAXONOMY_KEYS = {"code", "title", "description", "goals"}
_IGNORED_KEYS = {"attribution", "version", "licence", "license", "source"}


def _validate_queries(taxonomy: Taxonomy, where: str, root: yaml.Node | None = None) -> None:
    problems: list[Problem] = []
    for i, goal in enumerate(taxonomy.goals):
        for j, query in enumerate(goal.queries):
            try:
                parse(query)
            except QuerySyntaxError as exc:
                line = _line(root, ("goals", i, "queries", j))
                problems.append(
                    Problem(where, line, f"goals[{i}].queries[{j}]", str(exc.problems[0].message))
                )
    if problems:
        raise InputError(problems)


def _line(root: yaml.Node | None, path: tuple[int | str, ...]) -> int | None:
    """The line of the value at ``path`` in the file's YAML (None for a document without one)."""
    return None if root is None else safeyaml.line_of(safeyaml.node_at(root, path))


def _short(message: str, limit: int = 300) -> str:
    """A message cut to ``limit`` characters (a list of 20,000 duplicate goal codes is no message)."""
    return message if len(message) <= limit else message[: limit - 1] + "…"


def taxonomy_from_document(
    document: Any, where: str, root: yaml.Node | None = None, *, queries_checked: bool = True
) -> Taxonomy:
    """Validate a parsed YAML/JSON document as a taxonomy; errors name the file and field, and the
    line where ``root`` (the document's YAML nodes) is given. Its goals' queries are parsed too, unless
    ``queries_checked`` is off."""
    if not isinstance(document, dict):
        raise InputError(
            Problem(where, _line(root, ()), "", "a taxonomy file must be a mapping with code, title, goals")
        )
    data = {k: v for k, v in document.items() if k not in _IGNORED_KEYS}
    unknown = sorted(str(k) for k in set(data) - _TAXONOMY_KEYS)
    if unknown:
        raise InputError(Problem(where, _line(root, (unknown[0],)), unknown[0], "unknown field"))
    goals = data.get("goals")
    if isinstance(goals, list):
        for goal in goals:
            if isinstance(goal, dict):  # codes such as 1, 1.2 or 2030-01 read as numbers or dates
                for key in ("code", "parent"):
                    if isinstance(goal.get(key), int | float | dt.date) and not isinstance(goal[key], bool):
                        goal[key] = str(goal[key])
    try:
        taxonomy = Taxonomy.model_validate(data)
    except ValidationError as exc:
        problems = [
            Problem(
                where,
                _line(root, tuple(err["loc"])),
                ".".join(str(p) for p in err["loc"]),
                _short(err["msg"]),
            )
            for err in exc.errors()
        ]
        raise InputError(problems) from exc
    if not taxonomy.goals:
        raise InputError(
            Problem(where, _line(root, ("goals",)), "goals", "a taxonomy needs at least one goal")
        )
    if queries_checked:
        _validate_queries(taxonomy, where, root)
    return taxonomy


def read_taxonomy_file(path: Path) -> Taxonomy:
    """Read a user taxonomy from YAML (or JSON, which is YAML too)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(Problem(str(path), None, "", "no such file")) from exc
    except IsADirectoryError as exc:
        raise InputError(Problem(str(path), None, "", "is a folder, not a taxonomy file")) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(Problem(str(path), line, "", "not UTF-8 text")) from exc
    root, document = safeyaml.load(text, str(path))
    return taxonomy_from_document(document, str(path), root)


@lru_cache(maxsize=8)
def builtin(code: str) -> Taxonomy:
    """A built-in taxonomy, read from the package data, its goals' queries checked."""
    taxonomy = _builtin_read(code)
    _validate_queries(taxonomy, BUILTIN[code])
    return taxonomy


@lru_cache(maxsize=8)
def _builtin_read(code: str) -> Taxonomy:
    """A built-in taxonomy as its file holds it, its goals' queries not parsed: what ``list_all`` needs,
    which so spares ``taxonomy list`` the query parser (20-25 ms of its start, measured)."""
    if code not in BUILTIN:
        raise NotFound(f"no built-in taxonomy {code!r} (built in: {', '.join(sorted(BUILTIN))})")
    text = resources.files("missionboard.mapping.taxonomies").joinpath(BUILTIN[code]).read_text("utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml parses the SDG file 15× faster
    return taxonomy_from_document(yaml.load(text, Loader=loader), BUILTIN[code], queries_checked=False)


def taxonomy_of_mission(session: Session, mission_id: str) -> Taxonomy:
    """A workspace mission as a taxonomy: its objectives are the goals, then the outcomes of its logic
    that lead to an objective (a link to one counts for those objectives, ``domain.portfolio_rule``)."""
    from missionboard.store.missions import MissionStore

    mission = MissionStore(session).get(mission_id).mission
    goals: list[Goal] = []
    for objective in mission.objectives:
        queries = list(objective.queries)
        if objective.keywords:
            queries.append(" OR ".join(_quote(k) for k in objective.keywords))
        description = objective.description or ""
        if objective.indicator is not None:
            description = f"{description} Indicator: {objective.indicator.name}.".strip()
        goals.append(
            Goal(
                code=objective.id,
                title=objective.title,
                description=description,
                queries=queries,
                examples=[mission.statement],
                definition=objective.definition,
            )
        )
    if not goals:
        raise InputError(f"mission {mission_id!r} has no objectives to map projects to")
    attribution = mission.link_attribution()
    for outcome in mission.outcomes:
        if outcome.id not in attribution:
            continue  # leads to no objective: a link to it would count for nothing
        leads = [t.title for t in (mission.objective(i) or mission.outcome(i) for i in outcome.leads_to) if t]
        description = " ".join(
            part
            for part in (
                outcome.description or "",
                f"Indicator: {outcome.indicator.name}." if outcome.indicator else "",
                f"Leads to: {'; '.join(leads)}." if leads else "",
            )
            if part
        )
        queries = list(outcome.queries)
        if outcome.keywords:
            queries.append(" OR ".join(_quote(k) for k in outcome.keywords))
        goals.append(
            Goal(
                code=outcome.id,
                title=outcome.title,
                description=description,
                queries=queries,
                examples=[mission.statement],
                definition=outcome.definition,
            )
        )
    taxonomy = Taxonomy(
        code=mission_taxonomy(mission.id), title=mission.title, description=mission.statement, goals=goals
    )
    _validate_queries(taxonomy, f"mission {mission.id}")
    return taxonomy


def _quote(keyword: str) -> str:
    keyword = keyword.replace('"', " ").strip()
    return f'"{keyword}"'


def resolve(code: str, session: Session | None = None) -> Taxonomy:
    """Find a taxonomy by code: built-in, ``mission:ID`` or imported into the workspace."""
    if code in BUILTIN:
        return builtin(code)
    if session is None:
        if code.startswith(MISSION_PREFIX):
            raise NotFound(f"taxonomy {code!r} needs a workspace (--workspace) holding that mission")
        path = Path(code)
        if path.suffix.lower() in (".yaml", ".yml", ".json") and path.is_file():
            return read_taxonomy_file(path)
        raise NotFound(
            f"unknown taxonomy {code!r}: use one of {', '.join(sorted(BUILTIN))}, a taxonomy YAML file, "
            "or a workspace taxonomy with --workspace"
        )
    if code.startswith(MISSION_PREFIX):
        return taxonomy_of_mission(session, code[len(MISSION_PREFIX) :])
    stored = load_stored(session, code)
    if stored is None:
        path = Path(code)
        if path.suffix.lower() in (".yaml", ".yml", ".json") and path.is_file():
            return read_taxonomy_file(path)
        raise NotFound(f"unknown taxonomy {code!r}: 'missionboard taxonomy list' shows the ones you can use")
    return stored


# --- workspace storage of user taxonomies -------------------------------------------------------


def load_stored(session: Session, code: str) -> Taxonomy | None:
    from missionboard.store.taxonomies import TaxonomyStore

    return TaxonomyStore(session).get(code)


def store(session: Session, taxonomy: Taxonomy, *, where: str = "") -> bool:
    """Insert or replace a user taxonomy; returns True when it replaced one."""
    if taxonomy.code in BUILTIN or taxonomy.code.startswith(MISSION_PREFIX):
        raise InputError(
            Problem(
                where, None, "code", f"{taxonomy.code!r} is reserved (built-in taxonomies and mission:ID)"
            )
        )
    from missionboard.store.taxonomies import TaxonomyStore

    return TaxonomyStore(session).save(taxonomy)


@dataclass(frozen=True)
class TaxonomyEntry:
    """A taxonomy a user can name, as ``taxonomy list`` shows it."""

    code: str
    title: str
    kind: str
    """built-in, mission or imported"""
    goals: int
    """its top-level goals (a mission's objectives)"""
    children: int
    """its sub-goals (SDG targets and the like)"""

    def to_dict(self) -> dict[str, JsonValue]:
        return {
            "code": self.code,
            "title": self.title,
            "kind": self.kind,
            "goals": self.goals,
            "children": self.children,
        }


def list_all(session: Session | None) -> list[TaxonomyEntry]:
    """Every taxonomy a user can name: built-in, missions, imported."""
    out: list[TaxonomyEntry] = []
    for code in sorted(BUILTIN):
        tax = _builtin_read(code)
        top = [g for g in tax.goals if g.parent is None]
        out.append(TaxonomyEntry(code, tax.title, "built-in", len(top), len(tax.goals) - len(top)))
    if session is None:
        return out
    from missionboard.store.missions import MissionStore
    from missionboard.store.taxonomies import TaxonomyStore

    for version in MissionStore(session).list():
        mission = version.mission
        out.append(
            TaxonomyEntry(mission_taxonomy(mission.id), mission.title, "mission", len(mission.objectives), 0)
        )
    for stored in TaxonomyStore(session).list():
        out.append(TaxonomyEntry(stored.code, stored.title, "imported", stored.goals, stored.children))
    return out


def top_goals(taxonomy: Taxonomy) -> list[Goal]:
    """The goals projects are labelled with: those without a parent."""
    return [g for g in taxonomy.goals if g.parent is None]


def children(taxonomy: Taxonomy) -> dict[str, list[Goal]]:
    out: dict[str, list[Goal]] = {}
    for g in taxonomy.goals:
        if g.parent is not None:
            out.setdefault(g.parent, []).append(g)
    return out
