"""Any agency's portfolio export as CSV or XLSX.

Columns are matched by common names (``title``, ``abstract``/``description``/``summary``, ``budget``/
``amount``, ``funder``, ``start``, ``end``, ``partners`` …) or named in a mapping file
(``--mapping mapping.yaml``). Partners come either as a delimited column (``Org A (coordinator); Org B``)
or as a second file (``--partners``) with one row per project and organisation.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from operator import itemgetter
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from missionboard.domain.common import Money
from missionboard.domain.portfolio import (
    CoFunding,
    CoFundingSource,
    InstrumentType,
    Participation,
    ParticipationRole,
    Project,
    ProjectStatus,
    Stage,
    stage_for_trl,
)
from missionboard.errors import InputError, Problem
from missionboard.ingest import safeyaml
from missionboard.ingest.base import (
    MAX_ID,
    MAX_NAME,
    MAX_TEXT,
    MAX_TITLE,
    ColumnRecord,
    FieldError,
    FileRejected,
    ReadOptions,
    Record,
    RecordRejected,
    Rejection,
    Unread,
    assemble,
    bounded,
    build_project,
    json_safe,
    make_actor,
    org_identifier,
    parse_amount,
    parse_cofunding_source,
    parse_conditions,
    parse_currency,
    parse_date,
    parse_disciplines,
    parse_gender_marker,
    parse_helix,
    parse_int,
    parse_lead_gender,
    parse_level,
    parse_role,
    parse_share,
    parse_status,
    quick_money,
    split_list,
)
from missionboard.ingest.fingerprints import file_prefix, row_fingerprint
from missionboard.ingest.tabular import Row, table_rows


def _norm(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", header.lower()).strip("_")


# Field → header names recognised automatically (compared after lower-casing and replacing
# everything but letters and digits by '_'). The first name is the canonical one.
PROJECT_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "project_id", "projectid", "identifier", "project_number", "project_no", "reference",
           "project_reference", "ref", "grant_id", "grant_number", "award_id", "award_number", "source_id",
           "case_number", "diarienummer", "dnr", "code", "project_code"),
    "title": ("title", "project_title", "project_name", "name", "short_title", "titel", "benamning"),
    "abstract": ("abstract", "description", "summary", "objective", "objectives", "project_description",
                 "project_summary", "project_abstract", "aim", "aims", "beskrivning", "sammanfattning"),
    "language": ("language", "lang", "language_code"),
    "funder": ("funder", "funding_organisation", "funding_organization", "funding_org", "funding_agency",
               "agency", "donor", "financier", "funding_body", "finansiar"),
    "programme": ("programme", "program", "funding_programme", "funding_program", "grant_programme",
                  "call", "call_name", "programme_name", "program_name"),
    "instrument": ("instrument", "instrument_type", "policy_instrument", "support_type", "type_of_support",
                   "funding_instrument"),
    "funding_scheme": ("funding_scheme", "scheme", "grant_type", "funding_type", "action_type", "call_type"),
    "budget": ("budget", "amount", "total_budget", "total_cost", "total_costs", "cost", "costs",
               "amount_awarded", "awarded_amount", "grant_amount", "budget_amount", "total_amount", "value",
               "total_value", "belopp", "budget_total"),
    "currency": ("currency", "currency_code", "budget_currency", "valuta"),
    "public_funding": ("public_funding", "public_contribution", "grant", "subsidy", "funding",
                       "funding_amount", "ec_contribution", "eu_contribution", "contribution",
                       "public_amount"),
    "co_funding": ("co_funding", "cofunding", "co_financing", "cofinancing", "private_funding",
                   "match_funding", "matched_funding", "own_contribution", "cofunding_amount"),
    "start": ("start", "start_date", "startdate", "begin", "begin_date", "date_start", "planned_start",
              "from", "from_date", "startdatum"),
    "end": ("end", "end_date", "enddate", "finish", "finish_date", "date_end", "planned_end", "to",
            "to_date", "slutdatum"),
    "status": ("status", "project_status", "state"),
    "trl": ("trl", "technology_readiness_level", "trl_level", "readiness"),
    "stage": ("stage", "phase", "maturity", "development_stage"),
    "country": ("country", "countries", "country_code", "country_codes", "recipient_country", "land"),
    "region": ("region", "regions", "nuts", "nuts_code", "nuts_codes", "location", "locations"),
    "sectors": ("sectors", "sector", "fields", "field", "industry", "industries", "research_area"),
    "topics": ("topics", "topic", "keywords", "keyword", "tags"),
    "partners": ("partners", "participants", "organisations", "organizations", "consortium",
                 "consortium_members", "beneficiaries", "recipients"),
    "cofunding_sources": ("cofunding_sources", "co_funding_sources", "cofunding_by_source"),
    "cofunding_other_public": ("cofunding_other_public", "co_funding_other_public", "other_public_funding",
                               "public_cofunding"),
    "cofunding_private": ("cofunding_private", "co_funding_private", "private_cofunding"),
    "cofunding_in_kind": ("cofunding_in_kind", "co_funding_in_kind", "in_kind", "in_kind_contribution"),
    "cofunding_eu": ("cofunding_eu", "co_funding_eu", "eu_cofunding", "eu_funding"),
    "cofunding_philanthropic": ("cofunding_philanthropic", "co_funding_philanthropic", "philanthropic_funding",
                                "foundation_funding"),
    "conditions": ("conditions", "funding_conditions", "reward_sharing"),
    "discipline": ("discipline", "disciplines", "field_of_science", "fields_of_science", "subject_area"),
    "gender_marker": ("gender_marker", "gender_equality_marker", "gender_policy_marker"),
    "lead_gender": ("lead_gender", "pi_gender", "gender_of_lead", "project_leader_gender", "applicant_gender",
                    "gender"),
}  # fmt: skip

PARTNER_COLUMNS: dict[str, tuple[str, ...]] = {
    "project_id": ("project_id", "projectid", "project", "project_ref", "project_reference", "id",
                   "grant_id", "project_number"),
    "organisation": ("organisation", "organization", "organisation_name", "organization_name", "name",
                     "partner", "participant", "org", "org_name"),
    "organisation_id": ("organisation_id", "organization_id", "org_id", "identifier", "organisation_ref",
                        "organization_ref", "pic", "registry_number", "registration_number", "ref"),
    "type": ("type", "helix", "helix_type", "organisation_type", "organization_type", "sector_type",
             "actor_type", "category"),
    "role": ("role", "participation_role", "partner_role"),
    "share": ("share", "budget_share", "percentage", "percent"),
    "amount": ("amount", "contribution", "budget", "funding", "grant"),
    "currency": ("currency", "currency_code"),
    "country": ("country", "country_code"),
    "level": ("level", "scale", "geographic_level"),
    "sector": ("sector",),
}  # fmt: skip

INSTRUMENT_WORDS: dict[str, InstrumentType] = {
    **{i.value: i for i in InstrumentType},
    **dict.fromkeys(["grant", "r&d grant", "rd grant", "research grant", "innovation grant", "subsidy grant",
                     "research and development grant"], InstrumentType.RD_GRANT),
    **dict.fromkeys(["loan", "soft loan", "credit", "innovation loan"], InstrumentType.LOAN),
    **dict.fromkeys(["equity", "venture capital", "investment"], InstrumentType.EQUITY),
    **dict.fromkeys(["tax credit", "tax incentive", "tax relief"], InstrumentType.TAX_INCENTIVE),
    **dict.fromkeys(["procurement", "public procurement", "ppi", "innovation procurement"],
                    InstrumentType.PUBLIC_PROCUREMENT),
    **dict.fromkeys(["pcp", "pre-commercial procurement", "precommercial procurement"],
                    InstrumentType.PRE_COMMERCIAL_PROCUREMENT),
    **dict.fromkeys(["prize", "challenge", "challenge prize", "inducement prize", "competition"],
                    InstrumentType.CHALLENGE_PRIZE),
    **dict.fromkeys(["sandbox", "regulatory sandbox", "testbed regulation"], InstrumentType.REGULATORY_SANDBOX),
    **dict.fromkeys(["network", "cluster", "csa", "coordination and support action"], InstrumentType.NETWORK),
    **dict.fromkeys(["platform"], InstrumentType.PLATFORM),
    **dict.fromkeys(["advisory", "advice", "consultancy", "mentoring"], InstrumentType.ADVISORY),
    **dict.fromkeys(["infrastructure", "research infrastructure"], InstrumentType.INFRASTRUCTURE),
    **dict.fromkeys(["skills", "training", "education", "fellowship"], InstrumentType.SKILLS),
    **dict.fromkeys(["standard", "standards", "label", "labels", "standards and labels"],
                    InstrumentType.STANDARDS_LABELS),
    **dict.fromkeys(["adoption subsidy", "voucher", "innovation voucher", "rebate"],
                    InstrumentType.ADOPTION_SUBSIDY),
    **dict.fromkeys(["regulation", "rule", "rules"], InstrumentType.REGULATION),
    **dict.fromkeys(["information", "awareness", "campaign"], InstrumentType.INFORMATION),
}  # fmt: skip


def parse_instrument(value: str, table: dict[str, str] | None = None) -> InstrumentType | None:
    """An instrument type from its value or a common name; unknown names give None (kept in raw)."""
    text = value.strip()
    if not text:
        return None
    if table and text in table:
        try:
            return InstrumentType(table[text])
        except ValueError as exc:
            allowed = ", ".join(i.value for i in InstrumentType)
            raise FieldError(
                f"mapping gives unknown instrument {table[text]!r} (use one of {allowed})"
            ) from exc
    key = text.lower().replace("_", " ")
    return INSTRUMENT_WORDS.get(key) or INSTRUMENT_WORDS.get(key.replace(" ", "_"))


_TRL = re.compile(r"^(?:trl\s*[-:]?\s*)?([1-9])$", re.IGNORECASE)


def parse_stage(value: str) -> tuple[int | None, Stage | None]:
    text = value.strip()
    if not text:
        return None, None
    match = _TRL.match(text)
    if match:
        return int(match.group(1)), None
    try:
        return None, Stage(text.lower())
    except ValueError as exc:
        raise FieldError(
            f"expected a TRL from 1 to 9 or one of research, development, demonstration, deployment, "
            f"not {text!r}"
        ) from exc


# --- the mapping file ---------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PartnersMapping(_Strict):
    columns: dict[str, str] = {}
    sheet: str | None = None
    delimiter: str | None = None
    encoding: str | None = None


class Mapping(_Strict):
    """``--mapping mapping.yaml``: how a file's columns become project fields."""

    columns: dict[str, str] = {}
    defaults: dict[str, str] = {}
    values: dict[str, dict[str, str]] = {}
    sheet: str | None = None
    skip_rows: int = 0
    delimiter: str | None = None
    encoding: str | None = None
    list_separator: str = ";|"
    partners: PartnersMapping = PartnersMapping()


def load_mapping(path: Path | None) -> Mapping:
    if path is None:
        return Mapping()
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        at = raw[: exc.start].count(b"\n") + 1
        raise InputError(Problem(path.name, at, "", "not a valid YAML file: not UTF-8 text")) from exc
    except OSError as exc:
        raise InputError(Problem(path.name, None, "", f"cannot read the mapping: {exc.strerror}")) from exc
    root, document = safeyaml.load(text, path.name)
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise InputError(Problem(path.name, None, "", "the mapping must be a YAML mapping (key: value)"))

    def line(*where: int | str) -> int | None:
        return None if root is None else safeyaml.line_of(safeyaml.node_at(root, where))

    try:
        mapping = Mapping.model_validate(document)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        raise InputError(Problem(path.name, line(*error["loc"]), where, str(error["msg"]))) from exc
    for section in ("columns", "defaults", "values"):
        for name in getattr(mapping, section):
            if name not in PROJECT_COLUMNS:
                raise InputError(
                    Problem(
                        path.name,
                        line(section, name),
                        name,
                        f"unknown field (fields: {', '.join(PROJECT_COLUMNS)})",
                    )
                )
    for name in mapping.partners.columns:
        if name not in PARTNER_COLUMNS:
            raise InputError(
                Problem(
                    path.name,
                    line("partners", "columns", name),
                    f"partners.{name}",
                    f"unknown field (fields: {', '.join(PARTNER_COLUMNS)})",
                )
            )
    return mapping


def match_columns(
    header: list[str], synonyms: dict[str, tuple[str, ...]], explicit: dict[str, str], file: str
) -> dict[str, str]:
    """Field → header: explicit names from the mapping first, then recognised common names."""
    chosen: dict[str, str] = {}
    for name, column in explicit.items():
        if column not in header:
            raise FileRejected(
                Problem(
                    file,
                    1,
                    column,
                    f"the mapping names column {column!r} for {name}, but the file has no such column",
                )
            )
        chosen[name] = column
    by_norm: dict[str, str] = {}
    for column in header:
        by_norm.setdefault(_norm(column), column)
    used = set(chosen.values())
    for name, names in synonyms.items():
        if name in chosen:
            continue
        for candidate in names:
            found = by_norm.get(candidate)
            if found is not None and found not in used:
                chosen[name] = found
                used.add(found)
                break
    return chosen


# --- partners -----------------------------------------------------------------------------------


@dataclass
class PartnerRow:
    line: int
    organisation: str
    participation: dict[str, Any]


@dataclass
class Partners:
    file: str = ""
    by_project: dict[str, list[PartnerRow]] = field(default_factory=dict)


_PARTNER_ITEM = re.compile(r"^(?P<name>.*?)\s*(?:\((?P<role>[^()]*)\))?\s*(?:\[(?P<type>[^\[\]]*)\])?$")


def parse_partner_list(value: str, separators: str) -> list[tuple[str, ParticipationRole, Any]]:
    """'Org A (coordinator) [research]; Org B' → [(name, role, helix)]; a parenthesis that is not a role
    stays part of the name."""
    result = []
    for item in split_list(value, separators):
        match = _PARTNER_ITEM.match(item)
        name, role, helix = item, ParticipationRole.PARTNER, None
        if match:
            try:
                role = parse_role(match.group("role") or "", ParticipationRole.PARTNER)
                name = match.group("name")
            except FieldError:
                name = item.split("[")[0].strip() if match.group("type") else item
            if match.group("type"):
                helix = parse_helix(match.group("type"))
                if not match.group("role"):
                    name = match.group("name")
        if name.strip():
            result.append((name.strip(), role, helix))
    return result


def load_partners(path: Path, mapping: Mapping, options: ReadOptions) -> tuple[Partners, list[Rejection]]:
    spec = mapping.partners
    rows = table_rows(
        path, encoding=spec.encoding or options.encoding, delimiter=spec.delimiter, sheet=spec.sheet
    )
    partners = Partners(file=path.name)
    problems: list[Rejection] = []
    columns: dict[str, str] | None = None
    for row in rows:
        if columns is None:
            columns = match_columns(row.header, PARTNER_COLUMNS, spec.columns, path.name)
            for needed in ("project_id", "organisation"):
                if needed not in columns:
                    raise FileRejected(
                        Problem(
                            path.name,
                            1,
                            needed,
                            f"no {needed} column (looked for: "
                            f"{', '.join(PARTNER_COLUMNS[needed])}); name it in the mapping under partners.columns",
                        )
                    )
        if row.error:
            problems.append(Rejection(Problem(path.name, row.line, "", row.error), is_record=False))
            continue
        try:
            entry = _partner_row(row, columns, options.source)
        except FieldError as exc:
            column = columns.get(exc.field, exc.field)
            problems.append(
                Rejection(Problem(path.name, row.line, column, exc.message), json_safe(row.raw), False)
            )
            continue
        project_id = row.values.get(columns["project_id"], "")
        partners.by_project.setdefault(project_id, []).append(entry)
    return partners, problems


def _partner_row(row: Row, columns: dict[str, str], source: str) -> PartnerRow:
    def get(name: str) -> str:
        column = columns.get(name)
        return row.values.get(column, "") if column else ""

    def parsed(name: str, parse: Any) -> Any:
        try:
            return parse(get(name))
        except FieldError as exc:
            exc.field = name
            raise

    if not get("project_id"):
        raise FieldError("missing project id", "project_id")
    name = get("organisation")
    if not name:
        raise FieldError("missing organisation name", "organisation")
    bounded(name, MAX_NAME, "an organisation name")
    identifier = org_identifier(get("organisation_id"), source)
    amount = parsed("amount", parse_amount)
    currency = parsed("currency", parse_currency)
    if amount is not None and currency is None:
        raise FieldError(f"amount {amount} has no currency", "currency")
    return PartnerRow(
        line=row.line,
        organisation=name,
        participation={
            "actor": {
                "name": name,
                "identifiers": dict([identifier]) if identifier else {},
                "helix": parsed("type", parse_helix),
                "level": parsed("level", parse_level),
                "country": get("country") or None,
                "sector": get("sector") or None,
            },
            "role": parsed("role", parse_role),
            "share": parsed("share", parse_share),
            "amount": Money(amount=amount, currency=currency) if amount is not None and currency else None,
        },
    )


# --- projects -----------------------------------------------------------------------------------


def read(paths: list[Path], options: ReadOptions) -> Iterator[Record | ColumnRecord | Rejection | Unread]:
    mapping = load_mapping(options.mapping)
    partners = Partners()
    if options.partners is not None:
        try:
            partners, problems = load_partners(Path(options.partners), mapping, options)
        except FileRejected as exc:
            yield Rejection(exc.problem, is_record=False)
            return
        yield from problems
    ids_seen: set[str] = set()
    for path in paths:
        try:
            yield from _read_file(path, mapping, options, partners, ids_seen)
        except FileRejected as exc:
            yield Rejection(exc.problem, is_record=False)
    for project_id, rows in partners.by_project.items():
        if project_id not in ids_seen:
            for row in rows:
                yield Rejection(
                    Problem(
                        partners.file,
                        row.line,
                        "project_id",
                        f"no project with id {project_id!r} in {', '.join(p.name for p in paths)}",
                    ),
                    is_record=False,
                )


def _read_file(
    path: Path, mapping: Mapping, options: ReadOptions, partners: Partners, ids_seen: set[str]
) -> Iterator[Record | ColumnRecord | Rejection | Unread]:
    rows = table_rows(
        path,
        encoding=mapping.encoding or options.encoding,
        delimiter=mapping.delimiter,
        sheet=mapping.sheet,
        meter=options.meter,
        skip_rows=mapping.skip_rows,
        cells=True,
    )
    name = path.name
    plan: _Plan | None = None
    prefix: bytes | None = None
    fingerprints = bool(options.extra.get("fingerprints"))
    for row in rows:
        if plan is None:
            plan = _Plan(row.header, _columns_for(path, row.header, mapping), mapping)
            if fingerprints:
                prefix = file_prefix(options.source, row.header, mapping.model_dump_json())
        if row.error:
            yield Rejection(Problem(name, row.line, "", row.error))
            continue
        cells = row.cells if row.cells is not None else plan.cells_of(row)
        project_id = cells[plan.id_index] if plan.id_index is not None else ""
        if project_id:
            ids_seen.add(project_id)
        if prefix is not None and project_id and row.cells is not None:
            # CSV rows: fingerprinted before anything is parsed (XLSX cells are typed values)
            found = partners.by_project.get(project_id)
            extra = repr([(p.organisation, p.participation) for p in found]) if found else ""
            digest = row_fingerprint(prefix, cells, extra)
            parse = partial(_parsed, name, row, cells, plan, options.source, partners, digest)
            yield Unread(project_id, digest, parse, name, row.line)
        else:
            yield _parsed(name, row, cells, plan, options.source, partners)


def _parsed(
    file: str,
    row: Row,
    cells: list[str],
    plan: _Plan,
    source: str,
    partners: Partners,
    digest: str | None = None,
) -> Record | ColumnRecord | Rejection:
    """One row as a record, or its rejection; ``digest`` is the row's fingerprint, where it has one."""
    try:
        record = _record(file, row, cells, plan, source, partners)
    except FieldError as exc:
        return Rejection(Problem(file, row.line, exc.field, exc.message), plan.raw_record(row))
    except RecordRejected as exc:
        return Rejection(exc.problem, exc.raw)
    record.row_hash = digest
    return record


def _columns_for(path: Path, header: list[str], mapping: Mapping) -> dict[str, str]:
    columns = match_columns(header, PROJECT_COLUMNS, mapping.columns, path.name)
    for needed in ("id", "title"):
        if needed not in columns and needed not in mapping.defaults:
            raise FileRejected(
                Problem(
                    path.name,
                    1,
                    needed,
                    f"no column for the project {needed} (looked for: {', '.join(PROJECT_COLUMNS[needed][:8])} …); "
                    f"name it with --mapping (columns: {{{needed}: <your column>}})",
                )
            )
    return columns


MAIN_FIELDS = (
    "id", "title", "abstract", "language", "funder", "programme", "instrument", "funding_scheme", "budget",
    "currency", "public_funding", "co_funding", "start", "end", "status", "trl", "stage", "country", "region",
    "sectors", "topics", "partners",
)  # fmt: skip
DETAIL_FIELDS = (
    "cofunding_sources", "cofunding_other_public", "cofunding_private", "cofunding_in_kind", "cofunding_eu",
    "cofunding_philanthropic", "conditions", "discipline", "gender_marker", "lead_gender",
)  # fmt: skip
"""The funding detail's fields: read only from files that have (or a mapping that defaults) one."""
FIELDS = MAIN_FIELDS + DETAIL_FIELDS
"""The project fields in the order ``_Plan.texts`` gives them (every key of PROJECT_COLUMNS)."""

MAIN = len(MAIN_FIELDS)
CACHE_LIMIT = 10_000
_MISSING = object()


class _Plan:
    """How one file's rows become project fields, worked out once from its header: each field's column
    position, mapping default and value translation. It also remembers parsed values per column:
    portfolios repeat the same currencies, statuses, instruments and lists a million times."""

    def __init__(self, header: list[str], columns: dict[str, str], mapping: Mapping) -> None:
        position = {name: index for index, name in enumerate(header) if name}
        index = {name: position[column] for name, column in columns.items()}
        self.header = header
        self.columns = columns
        self.id_index = index.get("id")
        self.partner_index = index.get("partners")
        # the detail fields are picked only where the file has one (most files have none)
        self.detail = any(name in index or mapping.defaults.get(name) for name in DETAIL_FIELDS)
        fields = FIELDS if self.detail else MAIN_FIELDS
        # a missing column reads as the empty text that ``texts`` appends to the cells (index -1)
        self.pick = itemgetter(*(index.get(name, -1) for name in fields))
        translate = {k: v for k, v in mapping.values.items() if k != "instrument"}
        self.adjust: list[tuple[str, dict[str, str] | None]] | None = None
        if mapping.defaults or translate:
            self.adjust = [(mapping.defaults.get(name, ""), translate.get(name)) for name in fields]
        self.instruments = mapping.values.get("instrument")
        self.instrument: Callable[[str], str | None] = partial(_instrument_value, table=self.instruments)
        self.separators = mapping.list_separator
        mapped = set(columns.values())
        self.mapped = mapped
        self.unmapped = [(name, i) for i, name in enumerate(header) if name and name not in mapped]
        self.actors: dict[str, Any] = {}
        self.caches: dict[str, dict[Any, Any]] = {
            name: {} for name in ("currency", "trl", "stage", "instrument", "status", "country", "list")
        }

    def cells_of(self, row: Row) -> list[str]:
        """A dict row (XLSX) as cells in header order."""
        values = row.values
        return [values.get(name, "") for name in self.header]

    def raw_record(self, row: Row) -> dict[str, Any]:
        """The whole row, as a rejection shows it."""
        if row.cells is None:
            return json_safe(row.raw)  # type: ignore[no-any-return]
        return {name: row.cells[i] for i, name in enumerate(self.header) if name}

    def texts(self, cells: list[str]) -> tuple[str, ...]:
        """Every field's text (column, else mapping default; then translated), in FIELDS order (the
        detail fields left out where the file has none)."""
        cells.append("")
        texts: tuple[str, ...] = self.pick(cells)
        if self.adjust is None:
            return texts
        adjusted = []
        for text, (default, table) in zip(texts, self.adjust, strict=True):
            if not text:
                text = default
            if table and text in table:
                text = table[text]
            adjusted.append(text)
        return tuple(adjusted)

    def parsed(self, kind: str, text: str, parse: Any) -> Any:
        """``parse(text)``, remembered per distinct text (errors are not remembered)."""
        cache = self.caches[kind]
        found = cache.get(text, _MISSING)
        if found is _MISSING:
            found = parse(text)
            if len(cache) < CACHE_LIMIT:
                cache[text] = found
        return found

    def listed(self, text: str, separators: str) -> list[str]:
        if not text:
            return []
        cache = self.caches["list"]
        found = cache.get((text, separators))
        if found is None:
            found = tuple(split_list(text, separators))
            if len(cache) < CACHE_LIMIT:
                cache[(text, separators)] = found
        return list(found)

    def countries(self, text: str) -> list[str]:
        if not text:
            return []
        cache = self.caches["country"]
        found = cache.get(text)
        if found is None:
            found = tuple(c.upper() if len(c) <= 3 else c for c in split_list(text, ";|,"))
            if len(cache) < CACHE_LIMIT:
                cache[text] = found
        return list(found)

    def actor(self, name: str) -> Any:
        actor = self.actors.get(name)
        if actor is None:
            actor = make_actor(name)
            if len(self.actors) < CACHE_LIMIT:
                self.actors[name] = actor
        return actor


MAX_FUNDING_SCHEME = 300
STAGE_OF_TRL = {trl: stage_for_trl(trl).value for trl in range(1, 10)}


def _instrument_value(text: str, table: dict[str, str] | None) -> str | None:
    instrument = parse_instrument(text, table)
    return instrument.value if instrument else None


def _stage_values(text: str) -> tuple[int | None, str | None]:
    trl, stage = parse_stage(text)
    return trl, stage.value if stage else None


def _currency(text: str) -> str | None:
    return parse_currency(text)


def _trl(text: str) -> int | None:
    return parse_int(text, low=1, high=9)


def _status(text: str) -> str:
    return parse_status(text).value


def _no_currency(amount: Decimal) -> FieldError:
    return FieldError(
        f"{amount} has no currency (add a currency column or set defaults: currency in --mapping)"
    )


def _record(
    file: str, row: Row, cells: list[str], plan: _Plan, source: str, partners: Partners
) -> Record | ColumnRecord:
    """One row as a record. Its fields are checked and parsed in named steps, in column order of
    importance (the first bad field is the one reported, by its column's name); the row then becomes
    projects-table columns, or a Project where the model must strip or refuse a value."""
    texts = plan.texts(cells)
    (
        project_id, title, abstract, language, funder, programme, instrument_text, scheme, budget_text,
        currency_text, public_text, cofunding_text, start_text, end_text, status_text, trl_text, stage_text,
        country_text, region_text, sectors_text, topics_text, _,
    ) = texts[:MAIN] if plan.detail else texts  # fmt: skip
    try:
        _check_identity(project_id, title, abstract)
        currency, budget, public, cofunding = _amounts(
            plan, currency_text, budget_text, public_text, cofunding_text
        )
        trl, stage = _maturity(plan, trl_text, stage_text)
        _check_names(funder, programme, scheme)
        instrument = _instrument(plan, instrument_text)
        start, end = _period(start_text, end_text)
        # from here on, an error that names no field is the partners column's (a partner list)
        separators = plan.separators
        status = "unknown"
        if status_text:
            status = plan.caches["status"].get(status_text) or plan.parsed("status", status_text, _status)
        values = {
            "source": source,
            "source_id": project_id,
            "title": title,
            "abstract": abstract,
            "language": language[:20] if language else None,
            "titles": [],
            "abstracts": [],
            "funder": funder or None,
            "programme": programme or None,
            "instrument": instrument,
            "funding_scheme": scheme or None,
            "budget_amount": budget,
            "budget_currency": currency if budget is not None else None,
            "public_amount": public,
            "public_currency": currency if public is not None else None,
            "cofunding_amount": cofunding,
            "cofunding_currency": currency if cofunding is not None else None,
            "start": start,
            "end": end,
            "status": status,
            "trl": trl,
            "stage": stage,
            "countries": plan.countries(country_text) if country_text else [],
            "regions": plan.listed(region_text, separators) if region_text else [],
            "sectors": plan.listed(sectors_text, separators) if sectors_text else [],
            "topics": plan.listed(topics_text, separators) if topics_text else [],
            "source_labels": [],
            "raw": _unmapped(row, cells, plan),
            "discipline": None,
            "gender_marker": None,
            "lead_gender": None,
            "cofunding_sources": [],
            "conditions": [],
            "disciplines": [],
        }
        if plan.detail and any(detail_texts := texts[MAIN:]):
            _add_detail(values, plan, detail_texts, currency)
        record: Record | ColumnRecord
        if _kept_as_is(source, project_id, title, abstract):
            record = ColumnRecord(values, [], file, row.line)
        else:
            # values the model strips or refuses: the model decides, as for every other reader
            record = Record(_project_of(values), [], file, row.line)
        key = (source, project_id)
        participations = record.participations
        _add_participants(participations, plan, cells, key, funder)
    except FieldError as exc:
        name = exc.field.split(".")[0] if exc.field else "partners"
        exc.field = plan.columns.get(name, name)
        raise
    for partner in partners.by_project.get(project_id, ()):
        participations.append(Participation.model_validate({"project": key, **partner.participation}))
    return record


# The steps of _record. Each refuses a value with a FieldError naming the field (the caller turns it
# into the column's name); the first step to refuse decides what a rejected row reports.


def _check_identity(project_id: str, title: str, abstract: str) -> None:
    """Refuses a row without id or title, and an id, title or abstract over its length limit."""
    if not project_id:
        raise FieldError("missing project id", "id")
    if len(project_id) > MAX_ID:
        _bounded(project_id, MAX_ID, "an id", "id")
    if not title:
        raise FieldError("missing title", "title")
    if len(title) > MAX_TITLE:
        _bounded(title, MAX_TITLE, "a title", "title")
    if len(abstract) > MAX_TEXT:
        _bounded(abstract, MAX_TEXT, "an abstract", "abstract")


def _amounts(
    plan: _Plan, currency_text: str, budget_text: str, public_text: str, cofunding_text: str
) -> tuple[str | None, Decimal | None, Decimal | None, Decimal | None]:
    """(currency, budget, public funding, co-funding): the three amounts share the row's currency, and an
    amount without a currency is refused."""
    field = "currency"
    try:
        currency = None
        if currency_text:
            currency = plan.caches["currency"].get(currency_text)
            if currency is None:
                currency = plan.parsed("currency", currency_text, _currency)
        field = "budget"
        budget = parse_amount(budget_text) if budget_text else None
        if budget is not None and currency is None:
            raise _no_currency(budget)
        field = "public_funding"
        public = parse_amount(public_text) if public_text else None
        if public is not None and currency is None:
            raise _no_currency(public)
        field = "co_funding"
        cofunding = parse_amount(cofunding_text) if cofunding_text else None
        if cofunding is not None and currency is None:
            raise _no_currency(cofunding)
    except FieldError as exc:
        exc.field = exc.field or field
        raise
    return currency, budget, public, cofunding


def _maturity(plan: _Plan, trl_text: str, stage_text: str) -> tuple[int | None, str | None]:
    """(TRL, stage): a stage given as a TRL counts where the TRL column is empty, and a TRL gives the
    stage where none is named."""
    caches = plan.caches
    field = "trl"
    try:
        trl = None
        if trl_text:
            trl = caches["trl"].get(trl_text)
            if trl is None:
                trl = plan.parsed("trl", trl_text, _trl)
        field = "stage"
        stage_trl = stage = None
        if stage_text:
            found = caches["stage"].get(stage_text)
            stage_trl, stage = found if found is not None else plan.parsed("stage", stage_text, _stage_values)
    except FieldError as exc:
        exc.field = exc.field or field
        raise
    trl = trl or stage_trl
    if stage is None and trl is not None:
        stage = STAGE_OF_TRL[trl]
    return trl, stage


def _check_names(funder: str, programme: str, scheme: str) -> None:
    """Refuses a funder, programme or funding scheme over its length limit."""
    if len(funder) > MAX_NAME:
        _bounded(funder, MAX_NAME, "the funder", "funder")
    if len(programme) > MAX_NAME:
        _bounded(programme, MAX_NAME, "the programme", "programme")
    if len(scheme) > MAX_FUNDING_SCHEME:
        _bounded(scheme, MAX_FUNDING_SCHEME, "the funding scheme", "funding_scheme")


def _instrument(plan: _Plan, text: str) -> str | None:
    """The instrument type's value; an unknown name gives None (the text stays in raw where unmapped)."""
    if not text:
        return None
    instrument = plan.caches["instrument"].get(text, _MISSING)
    if instrument is _MISSING:
        try:
            instrument = plan.parsed("instrument", text, plan.instrument)
        except FieldError as exc:
            exc.field = exc.field or "instrument"
            raise
    return instrument  # type: ignore[no-any-return]


def _period(start_text: str, end_text: str) -> tuple[dt.date | None, dt.date | None]:
    """(start, end); an end before the start is refused."""
    field = "start"
    try:
        start = parse_date(start_text) if start_text else None
        field = "end"
        end = parse_date(end_text) if end_text else None
        if start and end and end < start:
            raise FieldError(f"end {end} is before start {start}")
    except FieldError as exc:
        exc.field = exc.field or field
        raise
    return start, end


def _unmapped(row: Row, cells: list[str], plan: _Plan) -> dict[str, Any]:
    """The row's columns that no field reads: the project's raw."""
    if row.cells is not None:
        return {name: cells[i] for name, i in plan.unmapped}
    raw = {k: v for k, v in row.raw.items() if k not in plan.mapped}
    if raw and not row.text_only:
        raw = json_safe(raw)
    return raw


COFUNDING_COLUMNS = (
    ("cofunding_other_public", CoFundingSource.OTHER_PUBLIC),
    ("cofunding_private", CoFundingSource.PRIVATE),
    ("cofunding_in_kind", CoFundingSource.IN_KIND),
    ("cofunding_eu", CoFundingSource.EU),
    ("cofunding_philanthropic", CoFundingSource.PHILANTHROPIC),
)
"""The amount columns of co-funding by source, in the order the sources are kept (after the list)."""

_COFUNDING_ITEM = re.compile(
    r"^(?P<type>[A-Za-z_ -]+?)(?:\s*[:=]?\s*(?P<amount>[0-9][0-9 .,]*))?\s*(?:\((?P<funder>[^()]*)\))?$"
)


def _add_detail(values: dict[str, Any], plan: _Plan, texts: tuple[str, ...], currency: str | None) -> None:
    """Co-funding by source, conditions, disciplines and the gender dimension, from their columns (only
    rows that fill one of them come here). Where the row gives no co-funding total, the sources' amounts
    (in the row's currency) add up to it."""
    sources_text, *amount_texts, conditions_text, discipline_text, marker_text, lead_text = texts
    separators = plan.separators
    sources: list[CoFunding] = []
    field = "cofunding_sources"
    try:
        for item in split_list(sources_text, separators):
            sources.append(_cofunding_item(item, currency))
        for (name, source_type), text in zip(COFUNDING_COLUMNS, amount_texts, strict=True):
            field = name
            amount = parse_amount(text) if text else None
            if amount is not None:
                if currency is None:
                    raise _no_currency(amount)
                sources.append(_cofunding(source_type, quick_money(amount, currency), None))
        field = "conditions"
        values["conditions"] = parse_conditions(conditions_text, separators) if conditions_text else []
        field = "discipline"
        disciplines = parse_disciplines(discipline_text, separators) if discipline_text else []
        field = "gender_marker"
        marker = parse_gender_marker(marker_text)
        field = "lead_gender"
        lead = parse_lead_gender(lead_text)
    except FieldError as exc:
        exc.field = exc.field or field
        raise
    values["gender_marker"] = marker.value if marker else None
    values["lead_gender"] = lead.value if lead else None
    values["cofunding_sources"] = sources
    values["disciplines"] = disciplines
    values["discipline"] = disciplines[0] if disciplines else None
    amounts = [s.amount.amount for s in sources if s.amount is not None and s.amount.currency == currency]
    total = sum(amounts, Decimal(0))
    if values["cofunding_amount"] is None and amounts:
        if total.adjusted() >= 18:
            raise FieldError(
                f"the co-funding sources add up to {total}, too large an amount", "cofunding_sources"
            )
        values["cofunding_amount"] = total
        values["cofunding_currency"] = currency


def _cofunding_item(item: str, currency: str | None) -> CoFunding:
    """'private 1200000 (Nordfjord AS)', 'in_kind: 50000', 'eu (Horizon Europe)' → a co-funding source."""
    match = _COFUNDING_ITEM.match(item)
    if match is None:
        raise FieldError(
            f"not a co-funding source: {item!r} (write 'type amount (funder)', e.g. 'private 250000 (Firm AB)')"
        )
    source_type = parse_cofunding_source(match.group("type"))
    amount = parse_amount(match.group("amount").strip()) if match.group("amount") else None
    if amount is not None and currency is None:
        raise _no_currency(amount)
    funder = " ".join((match.group("funder") or "").split())
    bounded(funder, MAX_NAME, "a co-funder's name")
    money = quick_money(amount, currency) if amount is not None and currency else None
    return _cofunding(source_type, money, funder or None)


def _cofunding(source_type: CoFundingSource, amount: Money | None, funder: str | None) -> CoFunding:
    return assemble(CoFunding, {"source_type": source_type, "amount": amount, "funder": funder})


def _kept_as_is(source: str, project_id: str, title: str, abstract: str) -> bool:
    """Whether the Project model would keep these texts as they are (else it strips or refuses them)."""
    return bool(
        source
        and source == source.strip()
        and project_id == project_id.strip()
        and title == title.strip()
        and abstract == abstract.strip()
    )


def _project_of(values: dict[str, Any]) -> Project:
    """The Project the model makes of a row's column values."""
    return build_project(
        {
            "source": values["source"],
            "source_id": values["source_id"],
            "title": values["title"],
            "abstract": values["abstract"],
            "language": values["language"],
            "funder": values["funder"],
            "programme": values["programme"],
            "instrument": InstrumentType(values["instrument"]) if values["instrument"] else None,
            "funding_scheme": values["funding_scheme"],
            "budget": _money_of(values["budget_amount"], values["budget_currency"]),
            "public_funding": _money_of(values["public_amount"], values["public_currency"]),
            "co_funding": _money_of(values["cofunding_amount"], values["cofunding_currency"]),
            "start": values["start"],
            "end": values["end"],
            "status": ProjectStatus(values["status"]),
            "trl": values["trl"],
            "stage": Stage(values["stage"]) if values["stage"] else None,
            "countries": values["countries"],
            "regions": values["regions"],
            "sectors": values["sectors"],
            "topics": values["topics"],
            "raw": values["raw"],
            "cofunding_sources": values["cofunding_sources"],
            "conditions": values["conditions"],
            "discipline": values["discipline"],
            "disciplines": values["disciplines"],
            "gender_marker": values["gender_marker"],
            "lead_gender": values["lead_gender"],
        }
    )


def _money_of(amount: Decimal | None, currency: str | None) -> dict[str, Any] | None:
    return None if amount is None else {"amount": amount, "currency": currency}


def _add_participants(
    participations: list[Participation], plan: _Plan, cells: list[str], key: tuple[str, str], funder: str
) -> None:
    """The funder, then the organisations of the partners column (``Org A (coordinator) [research]; …``)."""
    if funder:
        participations.append(
            assemble(
                Participation,
                {
                    "project": key,
                    "actor": plan.actor(funder),
                    "role": ParticipationRole.FUNDER,
                    "amount": None,
                    "share": None,
                },
            )
        )
    if plan.partner_index is not None and cells[plan.partner_index]:
        for name, role, helix in parse_partner_list(cells[plan.partner_index], plan.separators):
            participations.append(Participation(project=key, actor=make_actor(name, helix=helix), role=role))


def _bounded(text: str, limit: int, what: str, field: str) -> None:
    """``bounded``, its error naming ``field``."""
    try:
        bounded(text, limit, what)
    except FieldError as exc:
        exc.field = field
        raise
