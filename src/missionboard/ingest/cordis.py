"""The EU CORDIS project export (Horizon Europe, H2020 …): project and organization tables, CSV
(';'-delimited as published, or ',') or XLSX.

Give the tables in any order, or a folder; each is recognised by its columns. ``project`` rows become
projects (objective = abstract, total cost = budget, EU contribution = public funding, in EUR);
``organization`` rows become participants (PIC and VAT number as identifiers, activity type →
helix type, EU contribution as the amount). ``euroSciVoc`` and ``topics`` tables, when given, add
science fields (also the project's disciplines) and topic codes; other CORDIS tables (legalBasis,
webLink) are accepted and ignored.

Co-funding by source: the EU contribution (``eu``), then the participants' own contributions (their
total cost less their EU contribution, by activity type: private for PRC, other public for PUB, HES and
REC, unknown for OTH) where the organization table gives them, else the project's total cost less the
EU contribution as one ``unknown`` source. The ``co_funding`` total stays empty, as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from missionboard.domain.common import Money
from missionboard.domain.missions import HelixType, Level
from missionboard.domain.portfolio import (
    CoFunding,
    CoFundingSource,
    InstrumentType,
    Participation,
    ParticipationRole,
    ProjectStatus,
)
from missionboard.errors import FieldError, FileRejected, Problem
from missionboard.ingest.base import (
    MAX_ID,
    MAX_NAME,
    MAX_TEXT,
    MAX_TITLE,
    ReadOptions,
    Record,
    Rejection,
    bounded,
    build_project,
    json_safe,
    make_actor,
    parse_amount,
    parse_date,
    split_list,
)
from missionboard.ingest.tabular import Row, check_not_empty, table_rows

ACTIVITY_HELIX = {
    "HES": HelixType.RESEARCH,  # higher or secondary education
    "REC": HelixType.RESEARCH,  # research organisation
    "PRC": HelixType.INDUSTRY,  # private for-profit
    "PUB": HelixType.GOVERNMENT,  # public body
    "OTH": HelixType.CIVIL_SOCIETY,  # other (associations, NGOs …)
}
ROLES = {
    "coordinator": ParticipationRole.COORDINATOR,
    "participant": ParticipationRole.PARTNER,
    "partner": ParticipationRole.PARTNER,
    "thirdparty": ParticipationRole.PARTNER,
    "associatedpartner": ParticipationRole.PARTNER,
    "internationalpartner": ParticipationRole.PARTNER,
}
STATUS = {
    "SIGNED": ProjectStatus.ACTIVE,
    "ONGOING": ProjectStatus.ACTIVE,
    "CLOSED": ProjectStatus.COMPLETED,
    "TERMINATED": ProjectStatus.TERMINATED,
}
OWN_CONTRIBUTION = {
    "PRC": CoFundingSource.PRIVATE,
    "PUB": CoFundingSource.OTHER_PUBLIC,
    "HES": CoFundingSource.OTHER_PUBLIC,
    "REC": CoFundingSource.OTHER_PUBLIC,
}
"""Activity type → the kind of money a participant's own contribution is (others: unknown)."""
FUNDER = "European Commission"

Contributions = dict[str, list[tuple[str, CoFundingSource, Decimal]]]
"""Project id → (participant, kind, own contribution) of the participants that fund part of it."""


def instrument_for(scheme: str) -> InstrumentType | None:
    code = scheme.upper()
    if not code:
        return None
    if "PCP" in code:
        return InstrumentType.PRE_COMMERCIAL_PROCUREMENT
    if "PPI" in code:
        return InstrumentType.PUBLIC_PROCUREMENT
    if "PRIZE" in code:
        return InstrumentType.CHALLENGE_PRIZE
    if "CSA" in code:
        return InstrumentType.NETWORK
    if "MSCA" in code:
        return InstrumentType.SKILLS
    return InstrumentType.RD_GRANT


@dataclass
class Tables:
    projects: list[Path] = field(default_factory=list)
    organizations: list[Path] = field(default_factory=list)
    scivoc: list[Path] = field(default_factory=list)
    topics: list[Path] = field(default_factory=list)


def _kind(path: Path, options: ReadOptions) -> str:
    check_not_empty(path)
    rows = table_rows(path, encoding=options.encoding)
    try:
        first = next(rows, None)
    finally:
        rows.close()  # type: ignore[attr-defined]
    if first is None:
        raise FileRejected(Problem(path.name, None, "", "the table has a header but no rows"))
    header = {h.lower() for h in first.header}
    if "organisationid" in header and "projectid" in header:
        return "organizations"
    if "id" in header and ("objective" in header or "fundingscheme" in header):
        return "projects"
    if "euroscivoccode" in header and "projectid" in header:
        return "scivoc"
    if "topic" in header and "projectid" in header:
        return "topics"
    if "projectid" in header:
        return "ignored"
    raise FileRejected(
        Problem(path.name, 1, "", "not a CORDIS table: expected a project table (id, title, objective …) "
                "or an organization table (projectID, organisationID …)")
    )  # fmt: skip


def read(paths: list[Path], options: ReadOptions) -> Iterator[Record | Rejection]:
    tables = Tables()
    for path in paths:
        try:
            kind = _kind(path, options)
        except FileRejected as exc:
            yield Rejection(exc.problem, is_record=False)
            continue
        if kind != "ignored":
            getattr(tables, kind).append(path)
    if not tables.projects:
        yield Rejection(
            Problem(", ".join(p.name for p in paths), None, "", "no CORDIS project table among the files"),
            is_record=False,
        )
        return
    participants: dict[str, list[tuple[str, int, dict[str, Any]]]] = {}
    contributions: Contributions = {}
    for path in tables.organizations:
        try:
            yield from _organizations(path, options, participants, contributions)
        except FileRejected as exc:
            yield Rejection(exc.problem, is_record=False)
    extra: dict[str, dict[str, list[str]]] = {}
    for kind, column in (("scivoc", "euroSciVocPath"), ("topics", "topic")):
        for path in getattr(tables, kind):
            try:
                for row in table_rows(path, encoding=options.encoding):
                    project_id, value = row.values.get("projectID", ""), row.values.get(column, "")
                    if project_id and value:
                        extra.setdefault(project_id, {}).setdefault(kind, []).append(value)
            except FileRejected as exc:
                yield Rejection(exc.problem, is_record=False)
    seen: set[str] = set()
    for path in tables.projects:
        try:
            for row in table_rows(path, encoding=options.encoding, meter=options.meter):
                if row.error:
                    yield Rejection(Problem(path.name, row.line, "", row.error))
                    continue
                project_id = row.values.get("id", "")
                seen.add(project_id)
                try:
                    yield _project(path.name, row, options.source, participants.get(project_id, []),
                                   extra.get(project_id, {}), contributions.get(project_id, []))  # fmt: skip
                except FieldError as exc:
                    yield Rejection(Problem(path.name, row.line, exc.field, exc.message), json_safe(row.raw))
        except FileRejected as exc:
            yield Rejection(exc.problem, is_record=False)
    for project_id, rows in participants.items():
        if project_id not in seen:
            for file, line, _ in rows:
                yield Rejection(
                    Problem(file, line, "projectID", f"project {project_id!r} is not in the project table"),
                    is_record=False,
                )


def _get(row: Row, column: str) -> str:
    return row.values.get(column, "")


def _organizations(
    path: Path,
    options: ReadOptions,
    participants: dict[str, list[tuple[str, int, dict[str, Any]]]],
    contributions: Contributions,
) -> Iterator[Rejection]:
    for row in table_rows(path, encoding=options.encoding, meter=options.meter):
        if row.error:
            yield Rejection(Problem(path.name, row.line, "", row.error), is_record=False)
            continue
        try:
            project_id = _get(row, "projectID")
            if not project_id:
                raise FieldError("missing project id", "projectID")
            name = _get(row, "name")
            if not name:
                raise FieldError("missing organisation name", "name")
            identifiers = {}
            pic = _get(row, "organisationID")
            if pic:
                identifiers["pic"] = pic
            vat = _get(row, "vatNumber")
            if vat and vat.upper() not in ("MISSING", "N/A", "NOTAPPLICABLE", "0"):
                identifiers["vat"] = vat.upper().replace(" ", "")
            try:
                amount = parse_amount(_get(row, "ecContribution"))
            except FieldError as exc:
                exc.field = "ecContribution"
                raise
            role_text = _get(row, "role").lower().replace(" ", "").replace("_", "")
            activity = _get(row, "activityType").upper()
            participation = {
                "actor": make_actor(
                    name,
                    identifiers=identifiers,
                    helix=ACTIVITY_HELIX.get(activity),
                    country=_get(row, "country") or None,
                ),
                "role": ROLES.get(
                    role_text, ParticipationRole.PARTNER if role_text else ParticipationRole.OTHER
                ),
                "amount": Money(amount=amount, currency="EUR") if amount is not None else None,
            }
        except FieldError as exc:
            yield Rejection(Problem(path.name, row.line, exc.field, exc.message), json_safe(row.raw), False)
            continue
        participants.setdefault(project_id, []).append((path.name, row.line, participation))
        own = _own_contribution(row, amount)
        if own is not None:
            kind = OWN_CONTRIBUTION.get(activity, CoFundingSource.UNKNOWN)
            contributions.setdefault(project_id, []).append((name, kind, own))


def _own_contribution(row: Row, ec_contribution: Decimal | None) -> Decimal | None:
    """A participant's total cost less its EU contribution, where both are given and it is positive.
    An unreadable total cost only leaves the contribution unknown (the participant is still read)."""
    try:
        total = parse_amount(_get(row, "totalCost"))
    except FieldError:
        return None
    if total is None or ec_contribution is None or total <= ec_contribution:
        return None
    return total - ec_contribution


def _money(row: Row, column: str) -> Money | None:
    try:
        amount = parse_amount(_get(row, column))
    except FieldError as exc:
        exc.field = column
        raise
    return Money(amount=amount, currency="EUR") if amount is not None else None


def _cofunding(
    budget: Money | None, public: Money | None, contributions: list[tuple[str, CoFundingSource, Decimal]]
) -> list[CoFunding]:
    """The EU contribution, then the participants' own contributions, else the rest of the total cost."""
    if public is None:
        return []
    sources = [CoFunding(source_type=CoFundingSource.EU, amount=public, funder=FUNDER)]
    if contributions:
        sources += [
            CoFunding(source_type=kind, amount=Money(amount=own, currency="EUR"), funder=name)
            for name, kind, own in contributions
        ]
    elif budget is not None and budget.amount > public.amount:
        rest = Money(amount=budget.amount - public.amount, currency="EUR")
        sources.append(CoFunding(source_type=CoFundingSource.UNKNOWN, amount=rest))
    return sources


def _date(row: Row, column: str) -> Any:
    try:
        return parse_date(_get(row, column))
    except FieldError as exc:
        exc.field = column
        raise


def _project(
    file: str,
    row: Row,
    source: str,
    participants: list[tuple[str, int, dict[str, Any]]],
    extra: dict[str, list[str]],
    contributions: list[tuple[str, CoFundingSource, Decimal]],
) -> Record:
    project_id = _get(row, "id")
    if not project_id:
        raise FieldError("missing project id", "id")
    bounded(project_id, MAX_ID, "an id")
    title = _get(row, "title")
    if not title:
        raise FieldError("missing title", "title")
    for column, value, limit in (
        ("title", title, MAX_TITLE),
        ("objective", _get(row, "objective"), MAX_TEXT),
    ):
        try:
            bounded(value, limit, f"the {column}")
        except FieldError as exc:
            exc.field = column
            raise
    scheme = _get(row, "fundingScheme")
    countries: list[str] = []
    ordered = sorted(participants, key=lambda p: p[2]["role"] != ParticipationRole.COORDINATOR)
    for _, _, participation in ordered:
        country = participation["actor"].country
        if country and country not in countries:
            countries.append(country)
    topics = split_list(_get(row, "topics"), ";|,")
    for topic in extra.get("topics", []):
        if topic not in topics:
            topics.append(topic)
    budget, public = _money(row, "totalCost"), _money(row, "ecMaxContribution")
    disciplines = list(dict.fromkeys(extra.get("scivoc", [])))
    try:
        project = build_project(
            {
                "source": source,
                "source_id": project_id,
                "title": title,
                "abstract": _get(row, "objective"),
                "language": "en",
                "funder": FUNDER,
                "programme": _get(row, "frameworkProgramme")[:MAX_NAME] or None,
                "instrument": instrument_for(scheme),
                "funding_scheme": scheme[:300] or None,
                "budget": budget,
                "public_funding": public,
                "start": _date(row, "startDate"),
                "end": _date(row, "endDate"),
                "status": STATUS.get(_get(row, "status").upper(), ProjectStatus.UNKNOWN),
                "countries": countries,
                "sectors": list(disciplines),
                "topics": topics,
                "cofunding_sources": _cofunding(budget, public, contributions),
                "disciplines": [d for d in disciplines if len(d) <= MAX_NAME],
                "raw": json_safe(row.raw),
            }
        )
    except FieldError as exc:
        names = {"budget": "totalCost", "public_funding": "ecMaxContribution", "start": "startDate",
                 "end": "endDate", "": "endDate"}  # fmt: skip
        exc.field = names.get(exc.field.split(".")[0], exc.field)
        raise
    key = (source, project_id)
    participations = [
        Participation(
            project=key,
            actor=make_actor(FUNDER, helix=HelixType.GOVERNMENT, level=Level.INTERNATIONAL),
            role=ParticipationRole.FUNDER,
        )
    ]
    participations += [Participation(project=key, **p) for _, _, p in participants]
    return Record(project=project, participations=participations, file=file, line=row.line)
