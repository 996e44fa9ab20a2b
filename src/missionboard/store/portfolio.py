"""The portfolio repository: the only place projects, actors and participations are written.

Projects are upserted by ``(source, source_id)``: a record whose content hash is unchanged is left
alone, a changed one is updated (with an audit event naming the fields before → after), a new one is
inserted. Actors are resolved across sources: official identifiers first, then normalised names;
every source's original name is kept as an alias. Import runs and exchange rates live here too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import Connection, Table, delete, func, insert, select, text, union_all, update
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.sql.sqltypes import JSON, Date, DateTime

from missionboard.domain.portfolio import (
    Actor,
    CoFunding,
    FundingCondition,
    Participation,
    ParticipationRole,
    Project,
    science_area,
)
from missionboard.domain.records import ImportedFile, ImportRun
from missionboard.domain.records import Rate as Rate  # defined in the domain since the quick reads use it
from missionboard.store import analytics_tables, audit
from missionboard.store.monitoring_tables import AppealRow, DecisionDetailRow
from missionboard.store.tables import (
    ActorAliasRow,
    ActorIdentifierRow,
    ActorRow,
    DecisionRow,
    ExchangeRateRow,
    ImportRunRow,
    ParticipationRow,
    ProjectCoFundingRow,
    ProjectConditionRow,
    ProjectDisciplineRow,
    ProjectRow,
    utcnow,
)

LOOKUP_CHUNK = 500
PROJECTS = cast(Table, ProjectRow.__table__)
PARTICIPATIONS = cast(Table, ParticipationRow.__table__)
COFUNDING = cast(Table, ProjectCoFundingRow.__table__)
CONDITIONS = cast(Table, ProjectConditionRow.__table__)
DISCIPLINES = cast(Table, ProjectDisciplineRow.__table__)
IDENTIFIERS = cast(Table, ActorIdentifierRow.__table__)
ALIASES = cast(Table, ActorAliasRow.__table__)
COMPARED = (
    "title",
    "abstract",
    "language",
    "titles",
    "abstracts",
    "funder",
    "programme",
    "instrument",
    "funding_scheme",
    "budget_amount",
    "budget_currency",
    "public_amount",
    "public_currency",
    "cofunding_amount",
    "cofunding_currency",
    "start",
    "end",
    "status",
    "trl",
    "stage",
    "countries",
    "regions",
    "sectors",
    "topics",
    "source_labels",
    "raw",
)
DETAIL_COLUMNS = ("discipline", "gender_marker", "lead_gender")
"""Projects-table columns added with the funding detail; a record without them hashes as before."""
DETAIL_LISTS = ("cofunding_sources", "conditions", "disciplines")
"""Keys of the values that are not projects-table columns but child rows (lists of CoFunding,
FundingCondition and discipline texts); a reader's values may leave them out."""


def project_values(project: Project) -> dict[str, Any]:
    """The projects-table columns for a domain project (no ids, no timestamps), and its funding detail
    under the ``DETAIL_LISTS`` keys."""
    budget, public, cofunding = project.budget, project.public_funding, project.co_funding
    return {
        "source": project.source,
        "source_id": project.source_id,
        "title": project.title,
        "abstract": project.abstract,
        "language": project.language,
        "titles": [{"text": t.text, "lang": t.lang} for t in project.titles],
        "abstracts": [{"text": t.text, "lang": t.lang} for t in project.abstracts],
        "funder": project.funder,
        "programme": project.programme,
        "instrument": project.instrument.value if project.instrument else None,
        "funding_scheme": project.funding_scheme,
        "budget_amount": budget.amount if budget else None,
        "budget_currency": budget.currency if budget else None,
        "public_amount": public.amount if public else None,
        "public_currency": public.currency if public else None,
        "cofunding_amount": cofunding.amount if cofunding else None,
        "cofunding_currency": cofunding.currency if cofunding else None,
        "start": project.start,
        "end": project.end,
        "status": project.status.value,
        "trl": project.trl,
        "stage": project.stage.value if project.stage else None,
        "countries": list(project.countries),
        "regions": list(project.regions),
        "sectors": list(project.sectors),
        "topics": list(project.topics),
        "source_labels": [{"vocabulary": s.vocabulary, "code": s.code} for s in project.source_labels],
        "raw": project.raw,
        "discipline": project.discipline,
        "gender_marker": project.gender_marker.value if project.gender_marker else None,
        "lead_gender": project.lead_gender.value if project.lead_gender else None,
        "cofunding_sources": project.cofunding_sources,
        "conditions": project.conditions,
        "disciplines": project.disciplines,
    }


def _participation_summary(participations: Sequence[Participation]) -> list[str]:
    return sorted(_summary_item(p) for p in participations)


_SUMMARIES: dict[tuple[Any, ...], str] = {}
"""A participant's part of the content hash, remembered for participants without an amount or share:
an import repeats the same funder on every project."""


def _summary_item(p: Participation) -> str:
    actor = p.actor
    key: tuple[Any, ...] | None = None
    if p.amount is None and p.share is None:
        # values with their types: a plain str equal to a StrEnum member has another repr
        helix, level, country, role = actor.helix, actor.level, actor.country, p.role
        key = (
            actor.name,
            tuple(actor.identifiers.items()),
            helix,
            type(helix),
            level,
            type(level),
            country,
            type(country),
            role,
            type(role),
        )
        found = _SUMMARIES.get(key)
        if found is not None:
            return found
    text = repr(
        (
            actor.name,
            sorted(actor.identifiers.items()),
            actor.helix,
            actor.level,
            actor.country,
            p.role,
            p.amount.amount if p.amount else None,
            p.amount.currency if p.amount else None,
            p.share,
        )
    )
    if key is not None and len(_SUMMARIES) < 100_000:
        _SUMMARIES[key] = text
    return text


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


_compared = itemgetter(*COMPARED)


def content_hash(values: dict[str, Any], participations: Sequence[Participation]) -> str:
    """SHA-256 of the normalised record and its participants: equal hashes mean nothing changed.

    The funding detail joins the document only where a record has some, so that a record without it
    keeps the hash it had before the detail existed (a re-import finds it unchanged)."""
    detail = _detail_document(values)
    if detail is None:
        document = repr((_compared(values), _participation_summary(participations)))
    else:
        document = repr((_compared(values), _participation_summary(participations), detail))
    return hashlib.sha256(document.encode("utf-8", "surrogatepass")).hexdigest()


def _detail_document(values: dict[str, Any]) -> tuple[Any, ...] | None:
    """The funding detail of a record as plain values, or None where it has none."""
    get = values.get
    if (
        get("discipline") is None
        and get("gender_marker") is None
        and get("lead_gender") is None
        and not get("cofunding_sources")
        and not get("conditions")
        and not get("disciplines")
    ):
        return None
    return (
        tuple(get(column) for column in DETAIL_COLUMNS),
        [list(row.values()) for row in _cofunding_rows(0, get("cofunding_sources") or ())],
        [list(row.values()) for row in _condition_rows(0, get("conditions") or ())],
        [list(row.values()) for row in _discipline_rows(0, get("disciplines") or ())],
    )


def _cofunding_rows(project_id: int, sources: Iterable[CoFunding]) -> list[dict[str, Any]]:
    return [
        {
            "project_id": project_id,
            "position": position,
            "source_type": source.source_type.value,
            "funder": source.funder,
            "amount": source.amount.amount if source.amount else None,
            "currency": source.amount.currency if source.amount else None,
        }
        for position, source in enumerate(sources)
    ]


def _condition_rows(project_id: int, conditions: Iterable[FundingCondition]) -> list[dict[str, Any]]:
    return [
        {
            "project_id": project_id,
            "position": position,
            "kind": condition.kind.value,
            "description": condition.description,
            "share": condition.share,
        }
        for position, condition in enumerate(conditions)
    ]


def _discipline_rows(project_id: int, disciplines: Iterable[str]) -> list[dict[str, Any]]:
    rows = []
    for position, discipline in enumerate(disciplines):
        area = science_area(discipline)
        rows.append(
            {
                "project_id": project_id,
                "position": position,
                "discipline": discipline,
                "area": area.value if area else None,
            }
        )
    return rows


@dataclass(frozen=True)
class FundingDetail:
    """What a stored project says about its co-funding, conditions, disciplines and gender."""

    cofunding_sources: list[CoFunding]
    conditions: list[FundingCondition]
    discipline: str | None
    disciplines: list[str]
    gender_marker: str | None
    lead_gender: str | None


def funding_detail(session: Session, source: str, source_id: str) -> FundingDetail | None:
    """The funding detail of the project ``(source, source_id)``; None if there is no such project."""
    project_id = session.scalar(
        select(ProjectRow.id).where(ProjectRow.source == source, ProjectRow.source_id == source_id)
    )
    return None if project_id is None else funding_detail_of(session, project_id)


def funding_detail_of(session: Session, project_id: int) -> FundingDetail | None:
    """The funding detail of the project with this id; None if there is no such project."""
    found = session.execute(
        select(ProjectRow.discipline, ProjectRow.gender_marker, ProjectRow.lead_gender).where(
            ProjectRow.id == project_id
        )
    ).first()
    if found is None:
        return None
    discipline, gender_marker, lead_gender = found
    cofunding, conditions, disciplines = _stored_detail(session, project_id)
    return FundingDetail(
        cofunding_sources=[
            CoFunding.model_validate(
                {
                    "source_type": row["source_type"],
                    "funder": row["funder"],
                    "amount": None
                    if row["amount"] is None
                    else {"amount": row["amount"], "currency": row["currency"]},
                }
            )
            for row in cofunding
        ],
        conditions=[
            FundingCondition(kind=row["kind"], description=row["description"], share=row["share"])
            for row in conditions
        ],
        discipline=discipline,
        disciplines=[row["discipline"] for row in disciplines],
        gender_marker=gender_marker,
        lead_gender=lead_gender,
    )


def _stored_detail(
    session: Session, project_id: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """The child rows of a project (without ids and project ids), each list in position order."""
    found = []
    for table in (COFUNDING, CONDITIONS, DISCIPLINES):
        columns = [c for c in table.c if c.name not in ("id", "project_id")]
        query = select(*columns).where(table.c.project_id == project_id).order_by(table.c.position)
        found.append([dict(row._mapping) for row in session.execute(query)])
    return found[0], found[1], found[2]


def _same(before: Any, after: Any) -> bool:
    if isinstance(before, Decimal) or isinstance(after, Decimal):
        if before is None or after is None:
            return before is after
        return Decimal(before).quantize(Decimal("0.01")) == Decimal(after).quantize(Decimal("0.01"))
    return bool(before == after)


Prepared = tuple[dict[str, Any], Sequence[Participation]]
"""A project's column values (with ``content_hash``) and its participations."""


def prepare(project: Project, participations: Sequence[Participation]) -> Prepared:
    return prepare_values(project_values(project), participations)


def prepare_values(values: dict[str, Any], participations: Sequence[Participation]) -> Prepared:
    """Column values as ``project_values`` gives them (a reader may build them directly), with their
    content hash added."""
    values["content_hash"] = content_hash(values, participations)
    return values, participations


@dataclass
class UpsertCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


class ActorRef:
    """An actor's id, or a placeholder for one created later in the batch (filled in by ``flush``)."""

    __slots__ = ("id",)

    def __init__(self, actor_id: int | None = None) -> None:
        self.id = actor_id


class ActorResolver:
    """Finds or creates the actor behind a participant, remembering what it has seen in this session.

    New actors are collected and inserted together by ``flush`` (one statement per batch)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.refs: dict[int, ActorRef] = {}
        self.by_identifier: dict[tuple[str, str], ActorRef] = {}
        self.schemes: dict[ActorRef, dict[str, str]] = {}
        self.by_name: dict[str, ActorRef] = {}
        self.attributes: dict[ActorRef, list[Any]] = {}
        self.aliases: set[tuple[ActorRef, str, str]] = set()
        self._new: dict[ActorRef, dict[str, Any]] = {}
        self._pending_aliases: list[tuple[ActorRef, str, str]] = []
        self._pending_identifiers: list[tuple[ActorRef, str, str]] = []
        for actor_id, normalized, helix, level, country, sector in session.execute(
            select(
                ActorRow.id,
                ActorRow.normalized_name,
                ActorRow.helix,
                ActorRow.level,
                ActorRow.country,
                ActorRow.sector,
            ).order_by(ActorRow.id)
        ):
            ref = self.refs[actor_id] = ActorRef(actor_id)
            self.by_name.setdefault(normalized, ref)
            self.attributes[ref] = [helix, level, country, sector]
        for actor_id, scheme, value in session.execute(
            select(ActorIdentifierRow.actor_id, ActorIdentifierRow.scheme, ActorIdentifierRow.value)
        ):
            ref = self.refs[actor_id]
            self.by_identifier[(scheme, value)] = ref
            self.schemes.setdefault(ref, {})[scheme] = value
        for actor_id, source, name in session.execute(
            select(ActorAliasRow.actor_id, ActorAliasRow.source, ActorAliasRow.name)
        ):
            self.aliases.add((self.refs[actor_id], source, name))

    def resolve(self, actor: Actor, source: str, normalized: str) -> ActorRef:
        ref = None
        for key in actor.identifiers.items():
            ref = self.by_identifier.get(key)
            if ref is not None:
                break
        if ref is None and normalized:
            candidate = self.by_name.get(normalized)
            if candidate is not None and (
                not actor.identifiers or not self._conflicts(candidate, actor.identifiers)
            ):
                ref = candidate
        if ref is None:
            ref = self._create(actor, normalized)
        else:
            self._fill_gaps(ref, actor)
        for scheme, value in actor.identifiers.items():
            if (scheme, value) not in self.by_identifier and scheme not in self.schemes.get(ref, {}):
                self.by_identifier[(scheme, value)] = ref
                self.schemes.setdefault(ref, {})[scheme] = value
                self._pending_identifiers.append((ref, scheme, value))
        alias = (ref, source, actor.name)
        if alias not in self.aliases:
            self.aliases.add(alias)
            self._pending_aliases.append(alias)
        return ref

    def _conflicts(self, ref: ActorRef, identifiers: dict[str, str]) -> bool:
        known = self.schemes.get(ref, {})
        return any(scheme in known and known[scheme] != value for scheme, value in identifiers.items())

    def _create(self, actor: Actor, normalized: str) -> ActorRef:
        values = {
            "name": actor.name,
            "normalized_name": normalized,
            "helix": actor.helix.value if actor.helix else None,
            "sector": actor.sector,
            "level": actor.level.value if actor.level else None,
            "country": actor.country,
            "created_at": utcnow(),
        }
        ref = ActorRef()
        self._new[ref] = values
        self.by_name.setdefault(normalized, ref)
        self.attributes[ref] = [values["helix"], values["level"], values["country"], values["sector"]]
        return ref

    def _fill_gaps(self, ref: ActorRef, actor: Actor) -> None:
        if actor.helix is None and actor.level is None and actor.country is None and actor.sector is None:
            return  # nothing to fill in (a name-only participant, the common case)
        known = self.attributes.setdefault(ref, [None, None, None, None])
        given = [
            actor.helix.value if actor.helix else None,
            actor.level.value if actor.level else None,
            actor.country,
            actor.sector,
        ]
        changes = {}
        for index, column in enumerate(("helix", "level", "country", "sector")):
            if known[index] is None and given[index] is not None:
                known[index] = given[index]
                changes[column] = given[index]
        if not changes:
            return
        if ref.id is None:
            self._new[ref].update(changes)
        else:
            self.session.connection().execute(update(ActorRow).where(ActorRow.id == ref.id).values(**changes))

    def flush(self) -> None:
        """Insert the actors, identifiers and aliases collected since the last flush."""
        connection = self.session.connection()
        if self._new:
            statement = insert(ActorRow).returning(ActorRow.id, sort_by_parameter_order=True)
            ids = connection.execute(statement, list(self._new.values())).scalars().all()
            for ref, actor_id in zip(self._new, ids, strict=True):
                ref.id = int(actor_id)
                self.refs[ref.id] = ref
            self._new = {}
        if self._pending_identifiers:
            rows = [{"actor_id": r.id, "scheme": k, "value": v} for r, k, v in self._pending_identifiers]
            bulk_insert(connection, IDENTIFIERS, rows)
            self._pending_identifiers = []
        if self._pending_aliases:
            rows = [{"actor_id": r.id, "source": src, "name": name} for r, src, name in self._pending_aliases]
            bulk_insert(connection, ALIASES, rows)
            self._pending_aliases = []


_ROLE_VALUES = {role: role.value for role in ParticipationRole}


class PortfolioRepository:
    """Upserts batches of projects with their participants inside the caller's transaction."""

    def __init__(
        self,
        session: Session,
        *,
        user: str,
        import_run_id: int | None,
        normalize: Callable[[str], str],
    ) -> None:
        self.session = session
        self.user = user
        self.import_run_id = import_run_id
        self.normalize = normalize
        self.actors = ActorResolver(session)
        self._names: dict[str, str] = {}
        # Sources that had no projects when this repository first met them: their only existing
        # projects are the ones inserted here (kept in _inserted), so most lookups can be skipped.
        self._fresh: dict[str, bool] = {}
        self._inserted: set[tuple[str, str]] = set()
        self._counted = False  # whether this transaction's writes bumped the portfolio's data version

    def upsert(self, batch: Sequence[tuple[Project, Sequence[Participation]]]) -> UpsertCounts:
        return self.upsert_prepared([prepare(project, participations) for project, participations in batch])

    def upsert_prepared(self, batch: Sequence[Prepared]) -> UpsertCounts:
        """Upsert records already turned into column values (with their content hash) by ``prepare``."""
        counts = UpsertCounts()
        if not batch:
            return counts
        existing = self._existing(self._maybe_existing({(v["source"], v["source_id"]) for v, _ in batch}))
        now = utcnow()
        new_rows: list[dict[str, Any]] = []
        new_parts: list[tuple[tuple[str, str], Sequence[Participation]]] = []
        new_details: list[tuple[int, _Detail]] = []
        changed: list[tuple[int, dict[str, Any], Sequence[Participation], _Detail | None]] = []
        for values, participations in batch:
            key = (values["source"], values["source_id"])
            detail = _pop_detail(values)
            found = existing.get(key)
            if found is None:
                values["import_run_id"] = self.import_run_id
                values["created_at"] = now
                values["updated_at"] = now
                if detail is not None:
                    new_details.append((len(new_rows), detail))
                new_rows.append(values)
                new_parts.append((key, participations))
            elif found[1] == values["content_hash"]:
                counts.unchanged += 1
            else:
                changed.append((found[0], values, participations, detail))
        if new_rows:
            new_ids = self._insert_projects(new_rows)
            self._inserted.update(key for key, _ in new_parts if self._fresh.get(key[0]))
            rows: list[dict[str, Any]] = []
            for project_id, (key, participations) in zip(new_ids, new_parts, strict=True):
                rows.extend(self._participation_rows(project_id, key[0], participations))
            self._insert_participations(rows)
            self._insert_details([(new_ids[index], detail) for index, detail in new_details])
            counts.inserted += len(new_rows)
        for project_id, values, participations, detail in changed:
            self._update(project_id, values, participations, now, detail)
            counts.updated += 1
        self.actors.flush()
        if (counts.inserted or counts.updated) and not self._counted:
            analytics_tables.bump(self.session)  # the analytics snapshot is stale from this commit on
            self._counted = True
        return counts

    def _maybe_existing(self, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
        """The keys that may name a project already stored: all of them, except for fresh sources."""
        for source in {source for source, _ in keys} - self._fresh.keys():
            query = select(ProjectRow.id).where(ProjectRow.source == source).limit(1)
            self._fresh[source] = self.session.execute(query).first() is None
        if not any(self._fresh.values()):
            return keys
        return {key for key in keys if not self._fresh[key[0]] or key in self._inserted}

    def _insert_projects(self, rows: list[dict[str, Any]]) -> list[int]:
        """Insert new project rows and return their ids, in order.

        On SQLite the transaction holds the database's only write lock and each row gets the next
        rowid (largest + 1): when the ids after the insert are exactly the block above the previous
        largest, they are the new rows' ids in order. Otherwise (and elsewhere) they are looked up."""
        connection = self.session.connection()
        if connection.dialect.name == "sqlite":
            last = connection.execute(select(func.max(ProjectRow.id))).scalar() or 0
            bulk_insert(connection, PROJECTS, rows)
            count, top = connection.execute(
                select(func.count(), func.max(ProjectRow.id)).where(ProjectRow.id > last)
            ).one()
            if count == len(rows) and top == last + len(rows):
                first = connection.execute(
                    select(ProjectRow.source, ProjectRow.source_id).where(ProjectRow.id.in_([last + 1, top]))
                ).all()
                ends = [
                    (rows[0]["source"], rows[0]["source_id"]),
                    (rows[-1]["source"], rows[-1]["source_id"]),
                ]
                if sorted(tuple(r) for r in first) == sorted(set(ends)):
                    return list(range(last + 1, top + 1))
        elif _copies(connection):
            # ids drawn from the sequence first, so that the rows go in by COPY and need no lookup
            new_ids = allocate_ids(connection, PROJECTS, len(rows))
            for row, project_id in zip(rows, new_ids, strict=True):
                row["id"] = project_id
            bulk_insert(connection, PROJECTS, rows)
            return new_ids
        else:
            bulk_insert(connection, PROJECTS, rows)
        ids = self._existing({(row["source"], row["source_id"]) for row in rows})
        return [ids[(row["source"], row["source_id"])][0] for row in rows]

    def _existing(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, str]]:
        by_source: dict[str, list[str]] = {}
        for source, source_id in keys:
            by_source.setdefault(source, []).append(source_id)
        found: dict[tuple[str, str], tuple[int, str]] = {}
        for source, source_ids in by_source.items():
            for start in range(0, len(source_ids), LOOKUP_CHUNK):
                chunk = source_ids[start : start + LOOKUP_CHUNK]
                query = select(ProjectRow.id, ProjectRow.source_id, ProjectRow.content_hash).where(
                    ProjectRow.source == source, ProjectRow.source_id.in_(chunk)
                )
                for project_id, source_id, digest in self.session.execute(query):
                    found[(source, source_id)] = (project_id, digest)
        return found

    def _insert_details(self, details: Sequence[tuple[int, _Detail]]) -> None:
        """The child rows (co-funding, conditions, disciplines) of newly written projects."""
        if not details:
            return
        connection = self.session.connection()
        for index, (table, make) in enumerate(_DETAIL_TABLES):
            rows: list[dict[str, Any]] = []
            for project_id, detail in details:
                rows.extend(make(project_id, detail[index]))
            bulk_insert(connection, table, rows)

    def _update_details(
        self, project_id: int, detail: _Detail | None, before: dict[str, Any], after: dict[str, Any]
    ) -> None:
        """Replace a project's child rows where they changed, noting the change for the audit event."""
        any_stored = union_all(
            *(select(table.c.id).where(table.c.project_id == project_id) for table, _ in _DETAIL_TABLES)
        ).limit(1)
        stored = self.session.execute(any_stored).first() is not None
        if not stored and detail is None:
            return  # the common case: no detail before or after
        old = _stored_detail(self.session, project_id) if stored else ([], [], [])
        given: _Detail = detail if detail is not None else ([], [], [])
        for index, (table, make) in enumerate(_DETAIL_TABLES):
            new = [
                {k: v for k, v in row.items() if k != "project_id"} for row in make(project_id, given[index])
            ]
            if _same_rows(old[index], new):
                continue
            name = DETAIL_LISTS[index]
            before[name] = [
                {k: _jsonable(v) for k, v in row.items() if k != "position"} for row in old[index]
            ]
            after[name] = [{k: _jsonable(v) for k, v in row.items() if k != "position"} for row in new]
            self.session.execute(delete(table).where(table.c.project_id == project_id))
            bulk_insert(self.session.connection(), table, make(project_id, given[index]))

    def _update(
        self,
        project_id: int,
        values: dict[str, Any],
        participations: Sequence[Participation],
        now: dt.datetime,
        detail: _Detail | None = None,
    ) -> None:
        row = self.session.execute(select(ProjectRow).where(ProjectRow.id == project_id)).scalar_one()
        stopped_on = self._standing_stop(project_id)
        if stopped_on is not None:
            # A standing stop decision outranks the source: the project stays terminated on that date.
            values = {**values, "status": "terminated"}
            values["end"] = min(values["end"], stopped_on) if values["end"] is not None else stopped_on
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for column in COMPARED:
            old, new = getattr(row, column), values[column]
            if not _same(old, new):
                before[column] = _jsonable(old)
                after[column] = _jsonable(new)
        for column in DETAIL_COLUMNS:
            old, new = getattr(row, column), values.get(column)
            if old != new:
                before[column] = old
                after[column] = new
        old_parts = self._participants(project_id)
        changes = {column: values[column] for column in COMPARED}
        changes.update({column: values.get(column) for column in DETAIL_COLUMNS})
        changes.update(content_hash=values["content_hash"], import_run_id=self.import_run_id, updated_at=now)
        self.session.execute(update(ProjectRow).where(ProjectRow.id == project_id).values(**changes))
        self.session.expire(row)
        self.session.execute(delete(ParticipationRow).where(ParticipationRow.project_id == project_id))
        self._insert_participations(self._participation_rows(project_id, values["source"], participations))
        new_parts = self._participants(project_id)
        if old_parts != new_parts:
            before["participants"] = old_parts
            after["participants"] = new_parts
        self._update_details(project_id, detail, before, after)
        audit.record(
            self.session,
            actor=self.user,
            action="project.update",
            entity="project",
            entity_id=f"{values['source']}:{values['source_id']}",
            before=before,
            after=after,
        )

    def _standing_stop(self, project_id: int) -> dt.date | None:
        """The date a stop decision (not overturned on appeal) ended the project, if one did."""
        overturned = select(AppealRow.decision_id).where(AppealRow.outcome == "overturned")
        return self.session.execute(
            select(func.min(DecisionDetailRow.decided_on))
            .join(DecisionRow, DecisionRow.id == DecisionDetailRow.decision_id)
            .where(
                DecisionRow.project_id == project_id,
                DecisionRow.decision == "stop",
                DecisionRow.id.not_in(overturned),
            )
        ).scalar()

    def _participants(self, project_id: int) -> list[list[Any]]:
        self.actors.flush()
        rows = self.session.execute(
            select(ActorRow.name, ParticipationRow.role, ParticipationRow.amount)
            .join(ActorRow, ActorRow.id == ParticipationRow.actor_id)
            .where(ParticipationRow.project_id == project_id)
        )
        result = [[name, role, _jsonable(amount)] for name, role, amount in rows]
        return sorted(result, key=lambda r: (r[0], r[1], str(r[2])))

    def _insert_participations(self, rows: list[dict[str, Any]]) -> None:
        """Rows whose ``actor_id`` is still an ActorRef: new actors are inserted first."""
        self.actors.flush()
        for row in rows:
            row["actor_id"] = row["actor_id"].id
        bulk_insert(self.session.connection(), PARTICIPATIONS, rows)

    def _participation_rows(
        self, project_id: int, source: str, participations: Sequence[Participation]
    ) -> list[dict[str, Any]]:
        merged: dict[tuple[ActorRef, str], dict[str, Any]] = {}
        for participation in participations:
            actor = participation.actor
            normalized = self._names.get(actor.name)
            if normalized is None:
                normalized = self.normalize(actor.name)
                if len(self._names) < 200_000:
                    self._names[actor.name] = normalized
            actor_id = self.actors.resolve(actor, source, normalized)
            role = participation.role
            role_value = _ROLE_VALUES.get(role) or role.value
            key = (actor_id, role_value)
            amount = participation.amount
            row = merged.get(key)
            if row is None:
                merged[key] = {
                    "project_id": project_id,
                    "actor_id": actor_id,
                    "role": role_value,
                    "amount": amount.amount if amount else None,
                    "currency": amount.currency if amount else None,
                    "share": participation.share,
                }
            elif amount is not None and row["currency"] in (None, amount.currency):
                row["amount"] = (row["amount"] or Decimal(0)) + amount.amount
                row["currency"] = amount.currency
                if participation.share is not None:
                    row["share"] = min(1.0, (row["share"] or 0.0) + participation.share)
        return list(merged.values())


_Detail = tuple[Sequence[CoFunding], Sequence[FundingCondition], Sequence[str]]
"""A record's co-funding sources, conditions and disciplines (the child rows of its project)."""

_DETAIL_TABLES: tuple[tuple[Table, Callable[[int, Any], list[dict[str, Any]]]], ...] = (
    (COFUNDING, _cofunding_rows),
    (CONDITIONS, _condition_rows),
    (DISCIPLINES, _discipline_rows),
)


def _pop_detail(values: dict[str, Any]) -> _Detail | None:
    """Takes the child-row lists out of a record's values (they are no projects-table columns): None
    where all are empty."""
    cofunding = values.pop("cofunding_sources", None)
    conditions = values.pop("conditions", None)
    disciplines = values.pop("disciplines", None)
    if not cofunding and not conditions and not disciplines:
        return None
    return (cofunding or [], conditions or [], disciplines or [])


def _same_rows(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> bool:
    return len(old) == len(new) and all(
        old_row.keys() == new_row.keys() and all(_same(old_row[k], new_row[k]) for k in old_row)
        for old_row, new_row in zip(old, new, strict=True)
    )


# --- bulk inserts -------------------------------------------------------------------------------

_json_dumps = json.dumps


_JSON_LISTS: dict[tuple[Any, ...], str] = {}
"""JSON texts of lists of strings (countries, sectors …), which repeat across a portfolio."""


def _json_text(value: Any) -> Any:
    """What SQLAlchemy's JSON type binds on SQLite (``json.dumps``), with the empty list and dict
    short-cut and the texts of lists of strings remembered."""
    if type(value) is list:
        if not value:
            return "[]"
        if type(value[0]) is str:
            key = tuple(value)
            try:
                text = _JSON_LISTS.get(key)
            except TypeError:  # an unhashable item further on
                return _json_dumps(value)
            if text is None:
                text = _json_dumps(value)
                if len(_JSON_LISTS) < 100_000 and all(type(item) is str for item in key):
                    _JSON_LISTS[key] = text
            return text
    if not value and type(value) is dict:
        return "{}"
    return _json_dumps(value)


def _date_text(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        # date.isoformat() is SQLite's DATE storage format (%04d-%02d-%02d) for plain dates
        return value.isoformat() if type(value) is dt.date else process(value)

    return convert


def _last_value(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A bind processor that remembers its last input: a batch's timestamps are one object."""
    last: list[Any] = [None, process(None)]

    def convert(value: Any) -> Any:
        if value is not last[0]:
            last[0], last[1] = value, process(value)
        return last[1]

    return convert


_BULK_PLANS: dict[tuple[str, tuple[str, ...]], tuple[str, Any, list[tuple[int, Any]]]] = {}


def bulk_insert(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows (dicts with the same keys) in one ``executemany``.

    On SQLite the values are converted here exactly as the column types' bind processors would
    (JSON text, ISO dates, floats) and handed to the driver as tuples: SQLAlchemy's per-row parameter
    processing costs more than SQLite's insert itself. The statement is SQLAlchemy's own compiled
    ``insert(table)``. On PostgreSQL (psycopg) the rows go through one ``COPY … FROM STDIN`` on the
    transaction's own connection. Other databases, and rows that leave a column to its default, take the
    plain Core ``executemany``."""
    if not rows:
        return
    dialect = connection.dialect
    names = tuple(rows[0])
    if _copies(connection) and _copy_rows(connection, table, names, rows):
        return
    plan = _BULK_PLANS.get((table.name, names)) if dialect.name == "sqlite" else None
    if plan is None and dialect.name == "sqlite":
        plan = _bulk_plan(connection, table, names)
    if plan is None:
        connection.execute(insert(table), rows)
        return
    sql, getter, converters = plan
    values = [[getter(row)] for row in rows] if len(names) == 1 else [list(getter(row)) for row in rows]
    for index, convert in converters:
        for row_values in values:
            row_values[index] = convert(row_values[index])
    connection.exec_driver_sql(sql, [tuple(v) for v in values])


def _fills_every_default(table: Table, names: tuple[str, ...]) -> bool:
    """Whether ``names`` are columns of ``table`` that leave none with a default but the primary key
    (a driver-level insert would not apply SQLAlchemy's Python-side defaults)."""
    given = set(names)
    if not given <= set(table.c.keys()):
        return False
    for column in table.c:
        defaulted = column.default is not None or column.server_default is not None
        if column.name not in given and not column.primary_key and defaulted:
            return False
    return True


def _bulk_plan(
    connection: Connection, table: Table, names: tuple[str, ...]
) -> tuple[str, Any, list[tuple[int, Any]]] | None:
    if not _fills_every_default(table, names):
        return None
    dialect = connection.dialect
    compiled = insert(table).compile(dialect=dialect, column_keys=list(names))
    order = list(compiled.positiontup or ())
    if sorted(order) != sorted(names):
        return None
    converters: list[tuple[int, Any]] = []
    for index, name in enumerate(order):
        column_type = table.c[name].type
        process = column_type._cached_bind_processor(dialect)
        if process is None:
            continue
        if (
            isinstance(column_type, JSON)
            and dialect._json_serializer is None
            and not column_type.none_as_null
        ):
            converters.append((index, _json_text))
        elif isinstance(column_type, Date):
            converters.append((index, _date_text(process)))
        elif isinstance(column_type, DateTime):
            converters.append((index, _last_value(process)))
        else:
            converters.append((index, process))
    plan = (str(compiled), itemgetter(*order), converters)
    _BULK_PLANS[(table.name, names)] = plan
    return plan


def _copies(connection: Connection) -> bool:
    """Whether bulk rows go in by COPY: PostgreSQL through psycopg."""
    return connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg"


_COPY_PLANS: dict[tuple[str, tuple[str, ...]], tuple[str, Any, list[tuple[int, Any]]] | None] = {}


def _copy_rows(
    connection: Connection, table: Table, names: tuple[str, ...], rows: list[dict[str, Any]]
) -> bool:
    """Write rows with PostgreSQL's ``COPY … FROM STDIN`` (text format) on the transaction's connection:
    one stream instead of SQLAlchemy's batched ``INSERT … VALUES``. JSON values become the text
    SQLAlchemy's JSON type binds (``json.dumps``); psycopg writes the other values (dates, timestamps,
    decimals) as its parameters would. False (nothing written) where the rows leave a defaulted column
    out: COPY would not apply SQLAlchemy's Python-side defaults."""
    key = (table.name, names)
    if key not in _COPY_PLANS:
        _COPY_PLANS[key] = _copy_plan(connection, table, names)
    plan = _COPY_PLANS[key]
    if plan is None:
        return False
    sql, getter, converters = plan
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    single = len(names) == 1
    driver_error = connection.dialect.loaded_dbapi.Error
    try:
        with cursor.copy(sql) as copy:
            write = copy.write_row
            for row in rows:
                values = [getter(row)] if single else list(getter(row))
                for index, convert in converters:
                    values[index] = convert(values[index])
                write(values)
    except driver_error as exc:
        # wrapped as SQLAlchemy wraps the same error of an INSERT (a NUL in a text: DataError …), so
        # that the workspace names it alike
        raise DBAPIError.instance(sql, None, exc, driver_error) from exc
    return True


def _copy_plan(
    connection: Connection, table: Table, names: tuple[str, ...]
) -> tuple[str, Any, list[tuple[int, Any]]] | None:
    if not _fills_every_default(table, names):
        return None
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    converters: list[tuple[int, Any]] = []
    for index, name in enumerate(names):
        column_type = table.c[name].type
        if isinstance(column_type, JSON):
            if dialect._json_serializer is not None or column_type.none_as_null:
                return None
            converters.append((index, _json_text))
        else:
            process = column_type._cached_bind_processor(dialect)
            if process is not None:
                converters.append((index, process))
    columns = ", ".join(quote(name) for name in names)
    sql = f"COPY {quote(table.name)} ({columns}) FROM STDIN"
    return sql, itemgetter(*names), converters


def allocate_ids(connection: Connection, table: Table, count: int) -> list[int]:
    """``count`` new ids from the sequence of ``table``'s ``id`` column (PostgreSQL), ascending: rows
    written with them by COPY need no lookup of the ids they got."""
    statement = text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)")
    return sorted(connection.execute(statement, {"table": table.name, "count": count}).scalars())


ANALYZE_AFTER = 1000
"""New projects after which a PostgreSQL import refreshes the planner's statistics of their keys."""
LOCK_NOT_AVAILABLE = "55P03"


def refresh_key_statistics(session: Session, inserted: int) -> None:
    """On PostgreSQL, after an import that inserted ``inserted`` projects, ``ANALYZE`` the projects'
    keys inside the import's transaction (its rows count; a rollback drops the statistics too).

    Without it a table filled in one transaction keeps the planner's estimate from before (a handful
    of rows per source) until autovacuum's next pass, and the lookups of a re-import by
    ``(source, source_id IN …)`` scan every row of the source instead of using the key's index: 120 ms
    per 500 ids at 10,000 rows, growing with the table (measured). Analysing two columns costs
    milliseconds. Where another session holds the table's maintenance lock (autovacuum, a manual
    VACUUM or ANALYZE) the statistics are left to it: the import never waits for them."""
    if session.connection().dialect.name != "postgresql" or inserted < ANALYZE_AFTER:
        return
    try:
        with session.begin_nested():
            connection = session.connection()  # in the savepoint (the session's begins it on first use)
            connection.exec_driver_sql("LOCK TABLE projects IN SHARE UPDATE EXCLUSIVE MODE NOWAIT")
            connection.exec_driver_sql("ANALYZE projects (source, source_id)")
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise


@contextmanager
def bulk_load_settings(session: Session) -> Iterator[None]:
    """On SQLite, a 128 MB page cache for the import's connection (the tables and indexes a million-row
    import writes outgrow the default 2 MB cache); the default size comes back afterwards. Durability
    settings (journal mode, synchronous) are left as they are."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    connection.exec_driver_sql("PRAGMA cache_size=-131072")  # 128 MB (negative values are KiB)
    try:
        yield
    finally:
        connection.exec_driver_sql("PRAGMA cache_size=-2000")  # SQLite's default, which workspaces use


DEFERRED_INDEX_TABLES = ("projects", "participations")
"""Tables whose secondary indexes a large import into SQLite builds once, after its rows are in."""
DEFER_INDEXES_FROM = 20_000
"""New records from which an import into SQLite defers those indexes."""
DEFER_INDEXES_UP_TO = 2
"""… provided the projects already stored are at most this many times the new ones: building an index
sorts the whole table, so a small addition to a large table keeps its indexes up to date as it goes."""


@contextmanager
def deferred_indexes(session: Session, expected: int) -> Iterator[bool]:
    """On SQLite, for an import of about ``expected`` new records into a table that holds not many more,
    drop the secondary indexes of ``DEFERRED_INDEX_TABLES`` in the import's transaction and create them
    again from their own SQL when the rows are in. Yields whether it did.

    Keeping the five indexes of projects and the one of participations up to date row by row costs
    about as much SQLite work as the rows themselves; building them after the load costs a little less,
    as each ``CREATE INDEX`` reads the whole (wide) projects table once (measured by copying an import's
    rows into its schema, three runs each on a busy machine, CPU seconds: 100k rows 1.7-2.0 → 1.5-1.7,
    of which 0.55 building; 1M rows 21-26 → 21-23, of which 9 building). The import's own lookups (by
    source and id, by project) use the unique constraints' indexes, which stay. SQLite's DDL is
    transactional: an import that fails rolls the drops back with its rows, and no other connection ever
    sees the tables without their indexes (a reader's snapshot has them, a writer waits for the lock)."""
    connection = session.connection()
    if connection.dialect.name != "sqlite" or expected < DEFER_INDEXES_FROM:
        yield False
        return
    stored = connection.execute(select(func.max(ProjectRow.id))).scalar() or 0  # no count over the table
    if stored > DEFER_INDEXES_UP_TO * expected:
        yield False
        return
    marks = ", ".join("?" for _ in DEFERRED_INDEX_TABLES)
    indexes = connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        f" AND tbl_name IN ({marks}) AND sql NOT LIKE 'CREATE UNIQUE%' ORDER BY rowid",
        DEFERRED_INDEX_TABLES,
    ).all()
    quote = connection.dialect.identifier_preparer.quote_identifier
    for name, _ in indexes:
        connection.exec_driver_sql(f"DROP INDEX {quote(name)}")
    yield True
    # reached only when the import's rows are all in: on an error the rollback restores the indexes
    for _, sql in indexes:
        connection.exec_driver_sql(sql)


# --- import runs --------------------------------------------------------------------------------


def start_run(session: Session, run: ImportRun) -> int:
    row = ImportRunRow(
        format=run.format,
        source=run.source,
        files=[f.model_dump() for f in run.files],
        started_at=run.started_at,
        user=run.user,
        dry_run=run.dry_run,
    )
    session.add(row)
    session.flush()
    return int(row.id)


def finish_run(session: Session, run_id: int, run: ImportRun) -> None:
    session.execute(
        update(ImportRunRow)
        .where(ImportRunRow.id == run_id)
        .values(
            read=run.read,
            inserted=run.inserted,
            updated=run.updated,
            unchanged=run.unchanged,
            rejected=run.rejected,
            errors=run.errors,
            seconds=run.seconds,
        )
    )
    audit.record(
        session,
        actor=run.user,
        action="ingest",
        entity="import_run",
        entity_id=str(run_id),
        after={
            "format": run.format,
            "source": run.source,
            "files": [f.name for f in run.files],
            "read": run.read,
            "inserted": run.inserted,
            "updated": run.updated,
            "unchanged": run.unchanged,
            "rejected": run.rejected,
        },
    )


def list_runs(session: Session, *, limit: int = 50) -> list[tuple[int, ImportRun]]:
    rows = session.scalars(select(ImportRunRow).order_by(ImportRunRow.id.desc()).limit(limit))
    return [
        (
            row.id,
            ImportRun(
                format=row.format,
                source=row.source,
                files=[ImportedFile.model_validate(f) for f in row.files],
                read=row.read,
                inserted=row.inserted,
                updated=row.updated,
                unchanged=row.unchanged,
                rejected=row.rejected,
                errors=row.errors,
                started_at=row.started_at,
                seconds=row.seconds,
                user=row.user,
                dry_run=row.dry_run,
            ),
        )
        for row in rows
    ]


# --- exchange rates -----------------------------------------------------------------------------


def upsert_rates(session: Session, rates: Iterable[Rate]) -> tuple[int, int, int]:
    """Insert or update rates by (currency, reporting currency, year): (inserted, updated, unchanged)."""
    inserted = updated = unchanged = 0
    for rate in rates:
        row = session.scalars(
            select(ExchangeRateRow).where(
                ExchangeRateRow.currency == rate.currency,
                ExchangeRateRow.reporting_currency == rate.reporting_currency,
                ExchangeRateRow.year == rate.year,
            )
        ).one_or_none()
        if row is None:
            session.add(
                ExchangeRateRow(
                    currency=rate.currency,
                    reporting_currency=rate.reporting_currency,
                    year=rate.year,
                    rate=rate.rate,
                    source=rate.source,
                )
            )
            inserted += 1
        elif row.rate != rate.rate or row.source != rate.source:
            row.rate, row.source = rate.rate, rate.source
            updated += 1
        else:
            unchanged += 1
    session.flush()
    return inserted, updated, unchanged


def list_rates(session: Session, *, reporting_currency: str | None = None) -> list[Rate]:
    query = select(ExchangeRateRow).order_by(
        ExchangeRateRow.reporting_currency, ExchangeRateRow.currency, ExchangeRateRow.year
    )
    if reporting_currency:
        query = query.where(ExchangeRateRow.reporting_currency == reporting_currency)
    return [
        Rate(row.currency, row.reporting_currency, row.year, row.rate, row.source)
        for row in session.scalars(query)
    ]
