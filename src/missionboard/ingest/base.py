"""What every reader shares: the record it yields, the errors it raises, and strict field parsers.

Parsers raise :class:`FieldError` with a message for the person at the keyboard; readers attach the
file, line and field and turn it into a :class:`~missionboard.errors.Problem`.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from pydantic import ValidationError

from missionboard.domain.common import DomainModel, Money
from missionboard.domain.missions import HelixType, Level
from missionboard.domain.portfolio import (
    Actor,
    CoFunding,
    CoFundingSource,
    ConditionKind,
    FundingCondition,
    GenderMarker,
    LeadGender,
    Participation,
    ParticipationRole,
    Project,
    ProjectStatus,
    SourceLabel,
    Text,
    main_discipline,
    normal_discipline,
    stage_for_trl,
    unknown_science_code,
)
from missionboard.errors import FieldError as FieldError  # re-exported: ingest/iati.py, ingest/generic.py
from missionboard.errors import FileRejected as FileRejected
from missionboard.errors import Problem
from missionboard.errors import RecordRejected as RecordRejected

M = TypeVar("M", bound=DomainModel)

# Limits: the longest values the workspace stores (PostgreSQL enforces the VARCHAR lengths).
MAX_ID = 300
MAX_TITLE = 10_000
MAX_TEXT = 1_000_000
MAX_NAME = 500
MAX_SCHEME = 300
EARLIEST_YEAR = 1900
LATEST_YEAR = 2100


@dataclass(slots=True)
class Record:
    """One project as a source gives it, with the organisations taking part, and where it was read."""

    project: Project
    participations: list[Participation]
    file: str
    line: int | None
    row_hash: str | None = None
    """The fingerprint of the input row, where the reader makes one."""


@dataclass(slots=True)
class ColumnRecord:
    """One project that its reader turned straight into projects-table column values (what
    ``store.portfolio.project_values`` makes of the same Project): the CSV reader's fast path."""

    values: dict[str, Any]
    participations: list[Participation]
    file: str
    line: int | None
    row_hash: str | None = None


@dataclass(slots=True)
class Rejection:
    """A record that cannot be imported, and why. ``is_record`` is false for a whole file or a row of a
    side table (a partners file, a CORDIS organisation table), which the ``read`` count leaves out."""

    problem: Problem
    raw: dict[str, Any] | None = None
    is_record: bool = True


@dataclass(slots=True)
class Unread:
    """A row read only as far as its project id and fingerprint (see ``ingest.fingerprints``).

    ``parse()`` makes the record (or its rejection) with ``row_hash`` set; the engine calls it only
    where the fingerprint differs from the one the project was last written from. Readers yield these
    only where ``ReadOptions.extra["fingerprints"]`` is true."""

    source_id: str
    row_hash: str
    parse: Callable[[], Record | ColumnRecord | Rejection]
    file: str
    line: int | None


class Meter:
    """Counts bytes read across the import's files, for progress bars."""

    def __init__(self, total: int, callback: Callable[[int, int], None] | None = None) -> None:
        self.total = total
        self.done = 0
        self.callback = callback
        self._reported = 0

    def advance(self, size: int) -> None:
        self.done += size
        if self.callback is not None and self.done - self._reported >= 1 << 20:
            self._reported = self.done
            self.callback(self.done, self.total)


class MeteredFile:
    """A binary file whose reads advance a :class:`Meter`."""

    def __init__(self, handle: BinaryIO, meter: Meter | None) -> None:
        self.handle = handle
        self.meter = meter

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        if self.meter is not None:
            self.meter.advance(len(data))
        return data

    def __iter__(self) -> Iterator[bytes]:
        meter = self.meter
        for line in self.handle:
            if meter is not None:
                meter.advance(len(line))
            yield line


@dataclass(slots=True)
class ReadOptions:
    """What a reader needs besides the paths."""

    source: str
    mapping: Path | None = None
    partners: Path | None = None
    encoding: str | None = None
    meter: Meter | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @contextmanager
    def open(self, path: Path) -> Iterator[MeteredFile]:
        with path.open("rb") as handle:
            yield MeteredFile(handle, self.meter)


# --- text ---------------------------------------------------------------------------------------


def clean(value: Any) -> str:
    """A cell or element value as stripped text ('' for missing)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def bounded(value: str, limit: int, what: str) -> str:
    if len(value) > limit:
        raise FieldError(f"{len(value):,} characters, more than the {limit:,} allowed for {what}")
    return value


def json_safe(value: Any) -> Any:
    """Raw source values converted so that they can be stored in a JSON column."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return clean(value)


_SPLITTERS: dict[str, Callable[[str], list[str]]] = {}


def split_list(value: str, separators: str = ";|") -> list[str]:
    """'a; b | c' → ['a', 'b', 'c'] (empty items dropped, order and first occurrence kept)."""
    if not value:
        return []
    if len(separators) == 1:
        parts = value.split(separators)
    else:
        splitter = _SPLITTERS.get(separators)
        if splitter is None:
            splitter = _SPLITTERS[separators] = re.compile("[" + re.escape(separators) + "]").split
        parts = splitter(value)
    seen: dict[str, None] = {}
    for part in parts:
        part = part.strip()
        if part:
            seen.setdefault(part, None)
    return list(seen)


# --- numbers ------------------------------------------------------------------------------------

_CURRENCY_SIGNS = "£$€¥"
_PLAIN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}([, ]\d{3})+(\.\d+)?$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d{1,2}$")
_EURO_THOUSANDS = re.compile(r"^[+-]?\d{1,3}([. ]\d{3})+(,\d+)?$")


def parse_amount(value: Any, *, allow_negative: bool = False) -> Decimal | None:
    """A money amount: '1234.5', '1,234.50', '1 234', '1234,5', '1.234,50' or a number; '' → None."""
    if value is None or value == "":
        return None
    if type(value) is str and value.isascii() and value.isdigit() and len(value) < 18:
        return Decimal(value)  # plain whole numbers, the common case: what the checks below would give
    if isinstance(value, bool):
        raise FieldError(f"not a number: {value!r}")
    if isinstance(value, int | float | Decimal):
        text = str(value)
    else:
        text = str(value).strip().replace("\u00a0", " ")
        if text[:1] in _CURRENCY_SIGNS:
            text = text[1:].strip()
        if not text:
            return None
    if _PLAIN.match(text):
        normal = text
    elif _THOUSANDS.match(text):
        normal = text.replace(",", "").replace(" ", "")
    elif _DECIMAL_COMMA.match(text):
        normal = text.replace(",", ".")
    elif _EURO_THOUSANDS.match(text):
        normal = text.replace(".", "").replace(" ", "").replace(",", ".")
    else:
        raise FieldError(f"not a number: {_show(text)}")
    try:
        amount = Decimal(normal)
    except InvalidOperation as exc:
        raise FieldError(f"not a number: {_show(text)}") from exc
    if not amount.is_finite():
        raise FieldError(f"not a finite number: {_show(text)}")
    if amount.adjusted() >= 18:
        raise FieldError(f"amount too large: {_show(text)}")
    if amount < 0 and not allow_negative:
        raise FieldError(f"must not be negative: {_show(text)}")
    return amount


def parse_int(value: Any, *, low: int, high: int) -> int | None:
    text = clean(value)
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise FieldError(f"not a whole number: {_show(text)}") from exc
    if not number.is_finite() or number != number.to_integral_value() or not low <= number <= high:
        raise FieldError(f"must be a whole number from {low} to {high}, not {_show(text)}")
    return int(number)


def parse_share(value: Any) -> float | None:
    text = clean(value)
    if not text:
        return None
    percent = text.endswith("%")
    try:
        number = float(Decimal(text.rstrip("%").strip()))
    except (InvalidOperation, ValueError) as exc:
        raise FieldError(f"not a number: {_show(text)}") from exc
    if percent:
        number /= 100
    if not 0 <= number <= 1:
        raise FieldError(f"must be a share between 0 and 1 (or a percentage), not {_show(text)}")
    return number


# --- dates --------------------------------------------------------------------------------------

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][0-9:.]+)?(?:Z|[+-]\d{2}:?\d{2})?$")
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?: [0-9:.]+)?$")
_YMD_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


_DATE_TEXTS: dict[str, dt.date] = {}
"""Date text → its checked date: portfolios repeat the same few thousand dates a million times."""


def parse_date(value: Any) -> dt.date | None:
    """ISO dates (with or without a time) and day-first dates (24/07/2014, 24-07-2014, 24.07.2014)."""
    if value is None or value == "":
        return None
    if type(value) is str:
        known = _DATE_TEXTS.get(value)
        if known is None:
            known = _parse_date(value)
            if known is not None and len(_DATE_TEXTS) < 100_000:
                _DATE_TEXTS[value] = known
        return known
    return _parse_date(value)


def _parse_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return _plausible(value.date(), value.isoformat())
    if isinstance(value, dt.date):
        return _plausible(value, value.isoformat())
    text = str(value).strip()
    if not text:
        return None
    match = _ISO.match(text) or _YMD_COMPACT.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _DMY.match(text)
        if not match:
            raise FieldError(f"not a date: {_show(text)} (expected YYYY-MM-DD)")
        day, month, year = (int(g) for g in match.groups())
    try:
        date = dt.date(year, month, day)
    except ValueError as exc:
        raise FieldError(f"impossible date {_show(text)}: {exc}") from exc
    return _plausible(date, text)


def _plausible(date: dt.date, text: str) -> dt.date:
    if not EARLIEST_YEAR <= date.year <= LATEST_YEAR:
        raise FieldError(f"implausible date {_show(text)}: year outside {EARLIEST_YEAR}–{LATEST_YEAR}")
    return date


def _show(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")


# --- currencies, status, helix ------------------------------------------------------------------


def parse_currency(value: Any) -> str | None:
    text = clean(value).upper()
    if not text:
        return None
    if not re.fullmatch(r"[A-Z]{3}", text):
        raise FieldError(f"not a three-letter ISO 4217 currency code: {_show(clean(value))}")
    return text


def money(amount: Decimal | None, currency: str | None, what: str) -> Money | None:
    if amount is None:
        return None
    if currency is None:
        raise FieldError(f"{what} {amount} has no currency (give a currency column or a default)")
    return Money(amount=amount, currency=currency)


STATUS_WORDS: dict[str, ProjectStatus] = {
    **dict.fromkeys(
        ["planned", "pipeline", "proposed", "identification", "approved", "pending", "not started"],
        ProjectStatus.PLANNED,
    ),
    **dict.fromkeys(
        [
            "active",
            "ongoing",
            "on-going",
            "open",
            "running",
            "signed",
            "implementation",
            "in progress",
            "live",
        ],
        ProjectStatus.ACTIVE,
    ),
    **dict.fromkeys(
        ["completed", "complete", "closed", "finished", "ended", "finalisation", "finalization", "done"],
        ProjectStatus.COMPLETED,
    ),
    **dict.fromkeys(
        ["terminated", "cancelled", "canceled", "suspended", "withdrawn", "stopped", "aborted"],
        ProjectStatus.TERMINATED,
    ),
}


def parse_status(value: Any) -> ProjectStatus:
    text = clean(value).lower()
    if not text:
        return ProjectStatus.UNKNOWN
    return STATUS_WORDS.get(text, ProjectStatus.UNKNOWN)


HELIX_WORDS: dict[str, HelixType] = {
    **{h.value: h for h in HelixType},
    **dict.fromkeys(
        ["public", "public body", "agency", "gov", "pub", "ministry", "municipality", "local authority"],
        HelixType.GOVERNMENT,
    ),
    **dict.fromkeys(
        ["university", "academia", "academic", "research institute", "hes", "rec", "rto", "higher education"],
        HelixType.RESEARCH,
    ),
    **dict.fromkeys(
        ["business", "company", "private", "private sector", "firm", "sme", "prc", "enterprise", "startup"],
        HelixType.INDUSTRY,
    ),
    **dict.fromkeys(
        ["civil society", "civil-society", "ngo", "charity", "foundation", "cso", "non-profit", "nonprofit"],
        HelixType.CIVIL_SOCIETY,
    ),
}


def parse_helix(value: Any) -> HelixType | None:
    text = clean(value).lower().replace("_", " ")
    if not text:
        return None
    if text.replace(" ", "_") in HelixType._value2member_map_:
        return HelixType(text.replace(" ", "_"))
    helix = HELIX_WORDS.get(text)
    if helix is None:
        allowed = ", ".join(h.value for h in HelixType)
        raise FieldError(f"unknown organisation type {_show(clean(value))} (use one of {allowed})")
    return helix


ROLE_WORDS: dict[str, ParticipationRole] = {
    **{r.value: r for r in ParticipationRole},
    "lead": ParticipationRole.COORDINATOR,
    "leader": ParticipationRole.COORDINATOR,
    "lead partner": ParticipationRole.COORDINATOR,
    "coordinator": ParticipationRole.COORDINATOR,
    "participant": ParticipationRole.PARTNER,
    "member": ParticipationRole.PARTNER,
    "associated partner": ParticipationRole.PARTNER,
    "associatedpartner": ParticipationRole.PARTNER,
    "third party": ParticipationRole.PARTNER,
    "thirdparty": ParticipationRole.PARTNER,
    "recipient": ParticipationRole.BENEFICIARY,
    "grantee": ParticipationRole.BENEFICIARY,
    "donor": ParticipationRole.FUNDER,
    "funding": ParticipationRole.FUNDER,
    "implementing": ParticipationRole.IMPLEMENTER,
}


def parse_role(value: Any, default: ParticipationRole = ParticipationRole.PARTNER) -> ParticipationRole:
    text = clean(value).lower().replace("_", " ")
    if not text:
        return default
    role = ROLE_WORDS.get(text) or ROLE_WORDS.get(text.replace(" ", ""))
    if role is None:
        allowed = ", ".join(r.value for r in ParticipationRole)
        raise FieldError(f"unknown role {_show(clean(value))} (use one of {allowed})")
    return role


def parse_level(value: Any) -> Level | None:
    text = clean(value).lower()
    if not text:
        return None
    try:
        return Level(text)
    except ValueError as exc:
        allowed = ", ".join(level.value for level in Level)
        raise FieldError(f"unknown level {_show(clean(value))} (use one of {allowed})") from exc


# --- co-funding, conditions, disciplines, gender --------------------------------------------------

COFUNDING_WORDS: dict[str, CoFundingSource] = {
    **{c.value.replace("_", " "): c for c in CoFundingSource},
    **dict.fromkeys(["public", "other public", "government", "national", "regional", "municipal"],
                    CoFundingSource.OTHER_PUBLIC),
    **dict.fromkeys(["industry", "business", "company", "companies", "private sector"], CoFundingSource.PRIVATE),
    **dict.fromkeys(["in-kind", "inkind", "kind", "own contribution"], CoFundingSource.IN_KIND),
    **dict.fromkeys(["european union", "european commission", "eu funds"], CoFundingSource.EU),
    **dict.fromkeys(["foundation", "foundations", "charity", "philanthropy", "ngo"],
                    CoFundingSource.PHILANTHROPIC),
}  # fmt: skip


def parse_cofunding_source(value: Any) -> CoFundingSource:
    text = clean(value).lower().replace("_", " ")
    found = COFUNDING_WORDS.get(text)
    if found is None:
        allowed = ", ".join(c.value for c in CoFundingSource)
        raise FieldError(f"unknown co-funding source {_show(clean(value))} (use one of {allowed})")
    return found


CONDITION_WORDS: dict[str, ConditionKind] = {
    **{c.value.replace("_", " "): c for c in ConditionKind},
    **dict.fromkeys(["repayable grant", "repayable advance", "reimbursable", "reimbursable grant",
                     "conditional loan", "recoverable"], ConditionKind.REPAYABLE),
    **dict.fromkeys(["soft loan", "credit"], ConditionKind.LOAN),
    **dict.fromkeys(["shares", "stake"], ConditionKind.EQUITY),
    **dict.fromkeys(["royalty", "revenue sharing", "revenue share"], ConditionKind.ROYALTIES),
    **dict.fromkeys(["open access", "access conditions", "licensing", "licence", "license"],
                    ConditionKind.ACCESS),
    **dict.fromkeys(["price", "price cap", "affordable pricing", "pricing conditions"], ConditionKind.PRICING),
    **dict.fromkeys(["reward sharing", "profit sharing", "clawback", "golden share"],
                    ConditionKind.REWARD_SHARING),
}  # fmt: skip

_CONDITION = re.compile(
    r"^(?P<kind>[A-Za-z_ -]+?)\s*(?:\s(?P<share>\d+(?:[.,]\d+)?\s*%))?\s*(?::\s*(?P<description>.*))?$"
)


def parse_conditions(value: str, separators: str = ";|") -> list[FundingCondition]:
    """'repayable 50%: repaid from sales; access: results under an open licence' → conditions (kind,
    optional share of the funding it covers, optional description)."""
    conditions = []
    for item in split_list(value, separators):
        match = _CONDITION.match(item)
        if match is None:
            raise FieldError(
                f"not a condition: {_show(item)} (write 'kind', 'kind 40%' or 'kind: description')"
            )
        text = match.group("kind").strip().lower().replace("_", " ")
        kind = CONDITION_WORDS.get(text)
        if kind is None:
            allowed = ", ".join(c.value for c in ConditionKind)
            raise FieldError(f"unknown condition {_show(match.group('kind').strip())} (use one of {allowed})")
        share = parse_share(match.group("share").replace(",", ".")) if match.group("share") else None
        description = bounded((match.group("description") or "").strip(), MAX_NAME, "a condition")
        conditions.append(
            assemble(FundingCondition, {"kind": kind, "description": description, "share": share})
        )
    return conditions


def parse_disciplines(value: str, separators: str = ";|") -> list[str]:
    """Disciplines in order, the main one first; a bare OECD Fields of Science code gets its name."""
    disciplines: list[str] = []
    for item in split_list(value, separators):
        code = unknown_science_code(item)
        if code is not None:
            raise FieldError(
                f"unknown OECD Fields of Science code '{code}': use an area 1–6 or one of its fields "
                "(e.g. 5.2 Economics and business), a field name, or a EuroSciVoc path"
            )
        discipline = bounded(normal_discipline(item), MAX_NAME, "a discipline")
        if discipline not in disciplines:
            disciplines.append(discipline)
    return disciplines


GENDER_MARKER_WORDS: dict[str, GenderMarker] = {
    **{g.value.replace("_", " "): g for g in GenderMarker},
    "0": GenderMarker.NOT_TARGETED,
    "1": GenderMarker.SIGNIFICANT,
    "2": GenderMarker.PRINCIPAL,
    "not targeted": GenderMarker.NOT_TARGETED,
    "none": GenderMarker.NOT_TARGETED,
}


def parse_gender_marker(value: Any) -> GenderMarker | None:
    text = clean(value).lower().replace("_", " ")
    if not text:
        return None
    found = GENDER_MARKER_WORDS.get(text)
    if found is None:
        allowed = ", ".join(g.value for g in GenderMarker)
        raise FieldError(f"unknown gender marker {_show(clean(value))} (use 0, 1, 2 or one of {allowed})")
    return found


LEAD_GENDER_WORDS: dict[str, LeadGender] = {
    **{g.value: g for g in LeadGender},
    **dict.fromkeys(["f", "w", "woman", "women", "kvinna", "kvinne", "kvinde", "frau", "femme"], LeadGender.FEMALE),
    **dict.fromkeys(["m", "man", "men", "mann", "mand", "mann", "homme"], LeadGender.MALE),
    **dict.fromkeys(["x", "non-binary", "nonbinary", "diverse", "divers", "annat", "annet", "andet"],
                    LeadGender.OTHER),
    **dict.fromkeys(["u", "n/a", "na", "not stated", "not known", "unstated", "prefer not to say"],
                    LeadGender.UNKNOWN),
}  # fmt: skip


def parse_lead_gender(value: Any) -> LeadGender | None:
    text = clean(value).lower()
    if not text:
        return None
    found = LEAD_GENDER_WORDS.get(text)
    if found is None:
        allowed = ", ".join(g.value for g in LeadGender)
        raise FieldError(f"unknown gender {_show(clean(value))} (use one of {allowed})")
    return found


# --- organisation names and identifiers ---------------------------------------------------------

_LEGAL_FORMS = {
    "ltd",
    "limited",
    "inc",
    "incorporated",
    "llc",
    "plc",
    "gmbh",
    "ag",
    "sa",
    "sas",
    "sarl",
    "srl",
    "spa",
    "bv",
    "nv",
    "ab",
    "oy",
    "as",
    "aps",
    "co",
    "corp",
    "corporation",
    "cic",
}


def normalize_name(name: str) -> str:
    """The key organisation names are matched on: accents, case, punctuation and legal forms removed."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = text.replace("&", " and ")
    text = re.sub(r"[^\w]+", " ", text).strip()
    words = text.split()
    while len(words) > 1 and words[-1] in _LEGAL_FORMS:
        words.pop()
    if words and words[0] == "the" and len(words) > 1:
        words.pop(0)
    return " ".join(words)[:MAX_NAME]


_ORG_ID = re.compile(r"^[A-Z]{2,3}-[A-Z0-9]{2,}-\S+$")


def org_identifier(value: str, source: str) -> tuple[str, str] | None:
    """An organisation id as (scheme, value): org-id.guide style ids (IATI refs, 360Giving ids) share
    the scheme 'org-id'; 'scheme:value' names its scheme; anything else is local to the source."""
    text = value.strip()
    if not text or text.lower() in {"n/a", "na", "none", "null", "0", "-", "not applicable", "unknown"}:
        return None
    if _ORG_ID.match(text):
        return ("org-id", text[:MAX_SCHEME])
    scheme, sep, rest = text.partition(":")
    if sep and re.fullmatch(r"[a-z][a-z0-9_-]{1,30}", scheme.lower()) and rest.strip() and "//" not in rest:
        return (scheme.lower(), rest.strip()[:MAX_SCHEME])
    return (f"{source}-id"[:50], text[:MAX_SCHEME])


def _plain_identifiers(identifiers: dict[str, str] | None) -> bool:
    """Whether identifiers are str → str without surrounding whitespace (what validation keeps as is)."""
    if not identifiers:
        return identifiers is None or type(identifiers) is dict
    if type(identifiers) is not dict:
        return False
    for scheme, value in identifiers.items():
        if (
            type(scheme) is not str
            or type(value) is not str
            or scheme != scheme.strip()
            or value != value.strip()
        ):
            return False
    return True


def make_actor(
    name: str,
    *,
    identifiers: dict[str, str] | None = None,
    helix: HelixType | None = None,
    level: Level | None = None,
    country: str | None = None,
    sector: str | None = None,
) -> Actor:
    name = " ".join(name.split())
    bounded(name, MAX_NAME, "an organisation name")
    country_code = country.strip().upper() if country else None
    if country_code and len(country_code) > 10:
        country_code = None
    if (
        name
        and not country_code
        and (helix is None or type(helix) is HelixType)
        and (level is None or type(level) is Level)
        and (sector is None or (type(sector) is str and sector == sector.strip()))
        and _plain_identifiers(identifiers)
    ):
        # every field is already what validation would make of it: build the model directly
        return assemble(
            Actor,
            {
                "name": name,
                "identifiers": dict(identifiers) if identifiers else {},
                "helix": helix,
                "sector": sector,
                "level": level,
                "country": None,
                "aliases": [],
            },
        )
    return Actor(
        name=name,
        identifiers=identifiers or {},
        helix=helix,
        level=level,
        country=country_code or None,
        sector=sector,
    )


# --- turning model errors into problems ---------------------------------------------------------


def validation_message(exc: ValidationError) -> tuple[str, str]:
    """(field, message) for the first error of a pydantic validation error."""
    error = exc.errors()[0]
    location = ".".join(str(p) for p in error.get("loc", ()) if not isinstance(p, int))
    message = str(error.get("msg", "invalid value"))
    message = message.removeprefix("Value error, ")
    if len(message) > 300:  # a validator that quotes a 1 MB value
        message = message[:299] + "…"
    return location, message


_PROJECT_DEFAULTS: dict[str, Any] = {
    "abstract": "",
    "language": None,
    "titles": [],
    "abstracts": [],
    "funder": None,
    "programme": None,
    "instrument": None,
    "funding_scheme": None,
    "budget": None,
    "public_funding": None,
    "co_funding": None,
    "start": None,
    "end": None,
    "status": ProjectStatus.UNKNOWN,
    "trl": None,
    "stage": None,
    "countries": [],
    "regions": [],
    "sectors": [],
    "topics": [],
    "source_labels": [],
    "cofunding_sources": [],
    "conditions": [],
    "discipline": None,
    "disciplines": [],
    "gender_marker": None,
    "lead_gender": None,
    "raw": {},
}


def build_project(values: dict[str, Any]) -> Project:
    """A Project from values the readers have already parsed and checked field by field.

    Readers hand over typed values (dates, Decimals, enums, Money, Text and SourceLabel objects), so
    the model's own checks are repeated here directly instead of re-validating every field: this is
    the hot path of a million-row import. Anything unexpected falls back to full validation, and model
    errors are re-raised as FieldError."""
    fast = _fast_project(values)
    if fast is not None:
        return fast
    try:
        return Project.model_validate(values)
    except ValidationError as exc:
        field_name, message = validation_message(exc)
        raise FieldError(message, field_name) from exc


_set = object.__setattr__


def assemble(model: type[M], data: dict[str, Any]) -> M:
    """An instance of ``model`` from a complete dict of already checked field values, built the way
    pydantic's ``model_construct`` does, without its per-field bookkeeping (a fifth of the cost)."""
    instance = model.__new__(model)
    _set(instance, "__dict__", data)
    _set(instance, "__pydantic_fields_set__", set(data))
    _set(instance, "__pydantic_extra__", None)
    _set(instance, "__pydantic_private__", None)
    return instance


def quick_money(amount: Decimal, currency: str) -> Money:
    return assemble(Money, {"amount": amount, "currency": currency})


def _fast_project(values: dict[str, Any]) -> Project | None:
    data = {**_PROJECT_DEFAULTS, **values}
    for name in ("source", "source_id", "title"):
        text = data[name]
        if not isinstance(text, str) or not text.strip():
            return None
        data[name] = text.strip()
    if not isinstance(data["abstract"], str):
        return None
    data["abstract"] = data["abstract"].strip()
    for name in ("budget", "public_funding", "co_funding"):
        amount = data[name]
        if amount is None:
            continue
        if isinstance(amount, dict):
            amount = data[name] = quick_money(amount["amount"], amount["currency"])
        if not isinstance(amount, Money) or not isinstance(amount.amount, Decimal):
            return None
        if amount.amount < 0:
            raise FieldError(f"must not be negative: {amount.amount}", name)
    for name in ("start", "end"):
        if data[name] is not None and not isinstance(data[name], dt.date):
            return None
    if data["start"] and data["end"] and data["end"] < data["start"]:
        raise FieldError(f"end {data['end']} is before start {data['start']}", "end")
    trl = data["trl"]
    if trl is not None:
        if not isinstance(trl, int) or not 1 <= trl <= 9:
            return None
        if data["stage"] is None:
            data["stage"] = stage_for_trl(trl)
    if not isinstance(data["status"], ProjectStatus):
        return None
    for name in ("titles", "abstracts"):
        if data[name] and not all(isinstance(t, Text) for t in data[name]):
            data[name] = [
                t if isinstance(t, Text) else assemble(Text, {"text": t["text"], "lang": t.get("lang")})
                for t in data[name]
                if (t.text if isinstance(t, Text) else t.get("text"))
            ]
    if data["source_labels"] and not all(isinstance(label, SourceLabel) for label in data["source_labels"]):
        return None
    if (
        data["cofunding_sources"]
        or data["conditions"]
        or data["disciplines"]
        or data["discipline"] is not None
        or data["gender_marker"] is not None
        or data["lead_gender"] is not None
    ) and not _detail_checked(data):
        return None
    return assemble(Project, data)


def _detail_checked(data: dict[str, Any]) -> bool:
    """Whether the funding detail is made of checked models and enum members (a reader built them);
    the main discipline is put first among the disciplines, as the model's validator does."""
    if not all(isinstance(c, CoFunding) for c in data["cofunding_sources"]):
        return False
    if not all(isinstance(c, FundingCondition) for c in data["conditions"]):
        return False
    discipline, disciplines = data["discipline"], data["disciplines"]
    if discipline is not None and (not isinstance(discipline, str) or discipline != discipline.strip()):
        return False
    if not all(isinstance(d, str) and d and d == d.strip() for d in disciplines):
        return False
    if not (data["gender_marker"] is None or isinstance(data["gender_marker"], GenderMarker)):
        return False
    if not (data["lead_gender"] is None or isinstance(data["lead_gender"], LeadGender)):
        return False
    data["discipline"], data["disciplines"] = main_discipline(discipline or None, list(disciplines))
    return True
