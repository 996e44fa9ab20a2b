"""IATI activity XML, versions 2.01–2.03: one file, many, or a folder.

Streams with ``lxml.etree.iterparse`` (one ``<iati-activity>`` in memory at a time), never resolves
entities, never touches the network and refuses documents that declare a DTD or entities.
Titles and descriptions are kept in every language given; participating organisations become
actors (IATI organisation type → helix type); budgets, commitments and disbursements keep their
currency and value date; SDG tags and SDG sector codes are kept as ``source_labels``.

For the import engine (``ReadOptions.extra["fingerprints"]``) each activity is handed on unparsed, with
a fingerprint of its XML, so that a re-import skips the activities unchanged since their project was
written (a fifth of the work of a fresh import, measured by ``bench/iati_floor.py``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

from missionboard.domain.missions import HelixType, Level
from missionboard.domain.portfolio import (
    Actor,
    CoFunding,
    CoFundingSource,
    ConditionKind,
    FundingCondition,
    GenderMarker,
    InstrumentType,
    Participation,
    ParticipationRole,
    ProjectStatus,
    SourceLabel,
    Text,
)
from missionboard.errors import Problem
from missionboard.ingest.base import (
    MAX_ID,
    MAX_NAME,
    MAX_TEXT,
    MAX_TITLE,
    FieldError,
    FileRejected,
    ReadOptions,
    Record,
    RecordRejected,
    Rejection,
    Unread,
    assemble,
    build_project,
    make_actor,
    org_identifier,
    parse_amount,
    parse_currency,
    parse_date,
    quick_money,
)
from missionboard.ingest.fingerprints import DIGEST_SIZE, code_stamp
from missionboard.ingest.fingerprints import VERSION as FINGERPRINT_VERSION
from missionboard.ingest.safezip import prologue_declares_dtd
from missionboard.ingest.tabular import check_not_empty

SUPPORTED_VERSIONS = ("2.01", "2.02", "2.03")
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

STATUS = {
    "1": ProjectStatus.PLANNED,  # Pipeline/identification
    "2": ProjectStatus.ACTIVE,  # Implementation
    "3": ProjectStatus.COMPLETED,  # Finalisation
    "4": ProjectStatus.COMPLETED,  # Closed
    "5": ProjectStatus.TERMINATED,  # Cancelled
    "6": ProjectStatus.TERMINATED,  # Suspended
}
ROLES = {
    "1": ParticipationRole.FUNDER,  # Funding
    "2": ParticipationRole.COORDINATOR,  # Accountable
    "3": ParticipationRole.PARTNER,  # Extending
    "4": ParticipationRole.IMPLEMENTER,  # Implementing
}
# IATI OrganisationType → (helix, level)
ORG_TYPES: dict[str, tuple[HelixType | None, Level | None]] = {
    "10": (HelixType.GOVERNMENT, Level.NATIONAL),
    "11": (HelixType.GOVERNMENT, Level.LOCAL),
    "15": (HelixType.GOVERNMENT, None),
    "21": (HelixType.CIVIL_SOCIETY, Level.INTERNATIONAL),
    "22": (HelixType.CIVIL_SOCIETY, Level.NATIONAL),
    "23": (HelixType.CIVIL_SOCIETY, Level.REGIONAL),
    "24": (HelixType.CIVIL_SOCIETY, Level.NATIONAL),
    "30": (HelixType.INDUSTRY, None),  # Public Private Partnership
    "40": (HelixType.GOVERNMENT, Level.INTERNATIONAL),  # Multilateral
    "60": (HelixType.CIVIL_SOCIETY, None),  # Foundation
    "70": (HelixType.INDUSTRY, None),
    "71": (HelixType.INDUSTRY, None),
    "72": (HelixType.INDUSTRY, None),
    "73": (HelixType.INDUSTRY, None),
    "80": (HelixType.RESEARCH, None),  # Academic, Training and Research
    "90": (None, None),  # Other
}
TRANSACTION_TYPES = {
    "1": "incoming_funds",
    "2": "commitment",
    "3": "disbursement",
    "4": "expenditure",
    "5": "interest_payment",
    "6": "loan_repayment",
    "7": "reimbursement",
    "8": "purchase_of_equity",
    "9": "sale_of_equity",
    "10": "credit_guarantee",
    "11": "incoming_commitment",
    "12": "outgoing_pledge",
    "13": "incoming_pledge",
}
# IATI OrganisationType → the kind of co-funding an organisation of that type gives
COFUNDING_TYPES: dict[str, CoFundingSource] = {
    **dict.fromkeys(["10", "11", "15", "40"], CoFundingSource.OTHER_PUBLIC),  # governments, multilaterals
    **dict.fromkeys(["21", "22", "23", "24", "60"], CoFundingSource.PHILANTHROPIC),  # NGOs, foundations
    **dict.fromkeys(["70", "71", "72", "73"], CoFundingSource.PRIVATE),  # private sector
}
EU_REFS = ("XI-IATI-EC", "XM-DAC-918", "XI-IATI-EU")
"""Organisation identifier prefixes of the EU institutions (European Commission, EIB): co-funding 'eu'."""
INCOMING = {"1": "incoming_funds", "11": "incoming_commitment"}
GENDER_MARKERS = {
    "0": GenderMarker.NOT_TARGETED,
    "1": GenderMarker.SIGNIFICANT,
    "2": GenderMarker.PRINCIPAL,
}
"""Significance of the OECD DAC gender equality marker (policy marker 1, vocabulary 1)."""
SECTOR_SDG_VOCABULARIES = {"7": "sdg-goal", "8": "sdg-target", "9": "sdg-indicator"}
TAG_SDG_VOCABULARIES = {"2": "sdg-goal", "3": "sdg-target"}
_PROLOGUE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


def read(paths: list[Path], options: ReadOptions) -> Iterator[Record | Rejection | Unread]:
    for path in paths:
        try:
            yield from read_file(path, options)
        except FileRejected as exc:
            yield Rejection(exc.problem, is_record=False)


def read_records(paths: list[Path], options: ReadOptions) -> Iterator[Record | Rejection]:
    """What ``read`` gives, every activity parsed (no fingerprints): for readers other than the import."""
    plain = replace(options, extra={**options.extra, "fingerprints": False})
    for item in read(paths, plain):
        if isinstance(item, Unread):  # pragma: no cover - only made with fingerprints
            raise TypeError("an unparsed activity without fingerprints")
        yield item


def _prologue_check(path: Path) -> None:
    with path.open("rb") as handle:
        head = handle.read(8192)
    declares = prologue_declares_dtd(head)  # None: no element in the first 8 KB, search them all
    if declares or (declares is None and _PROLOGUE.search(head.replace(b"\x00", b""))):
        raise FileRejected(
            Problem(path.name, 1, "", "the document declares a DTD or entities, which IATI files never need; "
                    "refused for safety (no entity expansion)")
        )  # fmt: skip


def read_file(path: Path, options: ReadOptions) -> Iterator[Record | Rejection | Unread]:
    """The activities of one file in order; each as ``Unread`` (identifier and fingerprint, parsed on
    request) where ``options.extra["fingerprints"]`` is true and its identifier is usable."""
    check_not_empty(path)
    _prologue_check(path)
    name = path.name
    root_version: str | None = None
    root_lang: str | None = None
    fingerprints = bool(options.extra.get("fingerprints"))
    prefix: Any = None  # the fingerprints' hash, fed the file's settings
    kept: deque[_Unparsed] = deque()
    with options.open(path) as handle:
        parser = etree.iterparse(
            handle,
            events=("start", "end"),
            tag=("iati-activities", "iati-activity", "iati-organisations"),
            resolve_entities=False,
            no_network=True,
            huge_tree=False,
            load_dtd=False,
            remove_comments=True,
            remove_pis=True,
        )
        root_seen = False
        try:
            for event, element in parser:
                if not root_seen:
                    root_seen = True
                    root_version, root_lang = _check_root(name, element)
                    if fingerprints:
                        prefix = _fingerprint_prefix(options.source, root_version, root_lang)
                    continue
                if event != "end" or element.tag != "iati-activity":
                    continue
                unparsed = None
                if prefix is not None:
                    unparsed = _unparsed(name, element, options.source, root_version, root_lang, prefix)
                if unparsed is not None:
                    kept.append(unparsed)
                    if len(kept) > KEPT_PARSED:
                        kept.popleft().release()
                    try:
                        yield Unread(unparsed.identifier, unparsed.digest, unparsed, name, element.sourceline)
                    finally:
                        _drop_earlier(element)
                    continue
                try:
                    yield _activity(name, element, options.source, root_version, root_lang)
                except RecordRejected as exc:
                    yield Rejection(exc.problem, exc.raw)
                finally:
                    element.clear(keep_tail=False)
                    _drop_earlier(element)
        except etree.XMLSyntaxError as exc:
            line = exc.position[0] if exc.position else exc.lineno
            line = (
                line if isinstance(line, int) and line >= 1 else None
            )  # libxml2 gives 0 when it cannot tell
            message = str(exc.msg or exc)
            if len(message) > 200:  # libxml2 quotes the tag: a 5,000-letter name made a 10 KB message
                message = message[:199] + "…"
            if "Premature end of data" in message or "end of data" in message or _at_end(path, line):
                message = f"the XML is truncated (ends before its elements are closed): {message}"
            elif "Document is empty" in message or "Start tag expected" in message:
                message = f"not an XML document: {message}"
            else:
                message = f"not well-formed XML: {message}"
            raise FileRejected(Problem(name, line, "", message)) from exc
    if not root_seen:
        raise FileRejected(
            Problem(name, None, "", "no <iati-activities> root element: not an IATI activity file")
        )


def _drop_earlier(element: Any) -> None:
    """Takes the activities before ``element`` out of the tree, so that memory holds one at a time."""
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


# --- fingerprints: a re-import skips the activities its projects were last written from ------------

KEPT_PARSED = 4096
"""Activities handed on as Unread whose parsed elements the reader keeps: the engine parses a changed
activity once the ids of its batch are looked up (``engine.LOOKUP_BATCH``, 2,000), and these parse
from the element; one parsed later (held until the write transaction, a repeated id) parses again
from its XML text."""


@cache
def _code_stamp() -> str:
    """The code stamp of ``ingest.fingerprints`` (domain, base, store) with this module's source text."""
    path = Path(__file__)
    own = path.read_bytes() if path.suffix == ".py" and path.is_file() else __name__.encode()
    return code_stamp() + hashlib.blake2b(own, digest_size=DIGEST_SIZE).hexdigest()


def _fingerprint_prefix(source: str, version: str | None, lang: str | None) -> Any:
    """A BLAKE2b hash fed what every activity of a file shares: the format, the code, the source and
    the root's version and language; each activity's fingerprint goes on from a copy of it."""
    shared = repr(("iati", FINGERPRINT_VERSION, _code_stamp(), source, version, lang))
    return hashlib.blake2b(shared.encode("utf-8", "surrogatepass"), digest_size=DIGEST_SIZE)


def _unparsed(
    file: str, element: Any, source: str, version: str | None, lang: str | None, prefix: Any
) -> _Unparsed | None:
    """An activity's identifier and fingerprint (its serialised XML after the prefix); None where the
    identifier is missing or too long, so that it is parsed and refused at once."""
    identifier = ""
    for child in element.iterchildren("iati-identifier"):
        identifier = (child.text or "").strip()  # the last one, as _identifier leaves it
    if not identifier or len(identifier) > MAX_ID:
        return None
    text = etree.tostring(element, encoding="utf-8", with_tail=False)
    digest = prefix.copy()
    digest.update(text)
    return _Unparsed(identifier, digest.hexdigest(), element, text, (file, source, version, lang))


class _Unparsed:
    """The ``parse`` of an Unread activity: its record (or rejection) with its fingerprint, from the
    element while the reader keeps it (``release`` ends that), else from its XML text."""

    __slots__ = ("context", "digest", "element", "identifier", "line", "text")

    def __init__(
        self,
        identifier: str,
        digest: str,
        element: Any,
        text: bytes,
        context: tuple[str, str, str | None, str | None],
    ) -> None:
        self.identifier = identifier
        self.digest = digest
        self.element: Any = element
        self.text = text
        self.line: int | None = element.sourceline
        self.context = context

    def __call__(self) -> Record | Rejection:
        file, source, version, lang = self.context
        element = self.element
        if element is None:
            element = _from_text(self.text)
        try:
            record = _activity(file, element, source, version, lang)
        except RecordRejected as exc:
            problem = exc.problem
            if self.element is None:  # the text's line numbers are not the file's: name the activity's
                problem = replace(problem, line=self.line)
            return Rejection(problem, exc.raw)
        record.line = self.line
        record.row_hash = self.digest
        return record

    def release(self) -> None:
        element, self.element = self.element, None
        if element is not None:
            element.clear(keep_tail=False)


def _from_text(text: bytes) -> Any:
    """An activity parsed again from its serialised XML (no entities, no network). Its line numbers
    count from the activity's start tag (libxml2 keeps at most 65,535, so they cannot be moved)."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
        remove_comments=True, remove_pis=True,
    )  # fmt: skip
    return etree.fromstring(text, parser)


def _at_end(path: Path, line: int | None) -> bool:
    """Whether a parse error sits on the file's last line (a file cut short)."""
    if line is None:
        return False
    with path.open("rb") as handle:
        lines = sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))
    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - 1))
        ends_with_newline = handle.read(1) == b"\n"
    return line >= lines + (0 if ends_with_newline else 1)


def _check_root(file: str, root: Any) -> tuple[str | None, str | None]:
    tag = root.tag if isinstance(root.tag, str) else ""
    if tag == "iati-organisations":
        raise FileRejected(
            Problem(file, root.sourceline, "", "this is an IATI organisation file; give an activity file")
        )
    if tag != "iati-activities":
        # the tag filter means the first element seen is an activity without the usual root
        raise FileRejected(
            Problem(file, root.sourceline, "", f"the root element is <{tag}>, not <iati-activities>")
        )
    version = (root.get("version") or "").strip() or None
    if version is not None:
        _check_version(file, root.sourceline, version)
    return version, root.get(XML_LANG)


def _check_version(file: str, line: int | None, version: str) -> None:
    """Legacy 1.x files are refused (their structure differs); 2.0x and unknown labels (such as the
    schema tests' 'xx') are read as 2.03."""
    if version.startswith("1."):
        message = (
            f"IATI version {version} is not supported (legacy 1.x): supported versions are "
            f"{', '.join(SUPPORTED_VERSIONS)}; convert the file to 2.03 first"
        )
        raise FileRejected(Problem(file, line, "version", message))


def _text(element: Any, default_lang: str | None) -> list[tuple[str, str | None]]:
    """(text, lang) of each <narrative> of an element; the element's own text where it has none."""
    result = []
    for narrative in element.iterchildren("narrative"):
        text = (narrative.text or "").strip()
        if text:
            lang = narrative.get(XML_LANG)
            result.append((text, lang.strip().lower() if lang else default_lang))
    if not result and element.text and element.text.strip():
        result.append((element.text.strip(), default_lang))
    return result


def _pick(texts: list[tuple[str, str | None]], lang: str | None) -> tuple[str, str | None]:
    for text, text_lang in texts:
        if text_lang == lang:
            return text, text_lang
    return texts[0]


def _first_text(element: Any) -> str:
    """The first non-empty narrative of an element, else its own text ('' for none): what ``_text``
    gives first, without reading the languages."""
    text: str | None
    for narrative in element.iterchildren("narrative"):
        text = narrative.text
        if text and (text := text.strip()):
            return text
    text = element.text
    return text.strip() if text else ""


_ORGS: dict[tuple[str, str | None, str | None], dict[str, Any] | None] = {}
"""(name, ref, type) as written → the organisation: files name the same few thousand organisations
again and again. The dicts are shared, so nobody changes them (actors and raw copies are new dicts)."""


def _org(element: Any) -> dict[str, Any] | None:
    """Name (the first narrative, else the ref), ref, type, identifiers, helix and level of an
    organisation element; None where it has neither name nor ref."""
    key = (_first_text(element), element.get("ref"), element.get("type"))
    try:
        return _ORGS[key]
    except KeyError:
        pass
    text, ref_attribute, type_attribute = key
    ref = (ref_attribute or "").strip()
    name = text or ref
    org: dict[str, Any] | None = None
    if name:
        org_type = (type_attribute or "").strip()
        helix, level = ORG_TYPES.get(org_type, (None, None))
        identifier = org_identifier(ref, "iati") if ref else None
        org = {
            "name": " ".join(name.split())[:MAX_NAME],
            "ref": ref or None,
            "type": org_type or None,
            "identifiers": dict([identifier]) if identifier else {},
            "helix": helix,
            "level": level,
        }
    if len(_ORGS) < 100_000:
        _ORGS[key] = org
    return org


def _org_name(element: Any | None) -> str | None:
    if element is None:
        return None
    org = _org(element)
    return org["name"] if org else None


def _amount(file: str, element: Any, what: str) -> Decimal:
    try:
        amount = parse_amount((element.text or "").strip(), allow_negative=True)
    except FieldError as exc:
        raise RecordRejected(Problem(file, element.sourceline, what, exc.message)) from exc
    if amount is None:
        raise RecordRejected(Problem(file, element.sourceline, what, "empty value"))
    return amount


_DATES: dict[str, str] = {}
"""Date attribute text → its checked ISO date: files repeat the same few thousand dates."""


def _date(file: str, element: Any | None, what: str, attribute: str = "iso-date") -> str | None:
    if element is None:
        return None
    value = element.get(attribute)
    if value is None:
        return None
    known = _DATES.get(value)
    if known is not None:
        return known
    try:
        date = parse_date(value)
    except FieldError as exc:
        raise RecordRejected(Problem(file, element.sourceline, f"{what}/@{attribute}", exc.message)) from exc
    if date is None:
        return None
    text = date.isoformat()
    if len(_DATES) < 100_000:
        _DATES[value] = text
    return text


_CURRENCIES: dict[str | None, str | None] = {}
"""Currency attribute text → its checked code (None for none): files repeat a few codes."""


def _checked_currency(value: str | None) -> str | None:
    """``parse_currency`` of an attribute, remembered; raises FieldError as it does."""
    try:
        return _CURRENCIES[value]
    except KeyError:
        pass
    code = parse_currency(value)
    if len(_CURRENCIES) < 10_000:
        _CURRENCIES[value] = code
    return code


def _currency(file: str, element: Any, default: str | None, what: str) -> str | None:
    try:
        return _checked_currency(element.get("currency")) or default
    except FieldError as exc:
        raise RecordRejected(Problem(file, element.sourceline, f"{what}/@currency", exc.message)) from exc


# --- one activity: its child elements, each read by a handler into one _Activity -----------------


@dataclass(slots=True)
class _Activity:
    """What the child elements of one ``<iati-activity>`` say, gathered by the element handlers."""

    file: str
    source: str
    lang: str | None
    default_currency: str | None
    identifier: str = ""
    reporting: dict[str, Any] | None = None
    titles: list[tuple[str, str | None]] = field(default_factory=list)
    title_count: int = 0
    descriptions: list[tuple[int, list[tuple[str, str | None]]]] = field(default_factory=list)
    orgs: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    status_code: str | None = None
    dates: dict[str, str | None] = field(default_factory=dict)
    countries: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    sectors: list[str] = field(default_factory=list)
    sector_details: list[dict[str, Any]] = field(default_factory=list)
    labels: list[SourceLabel] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    markers: list[dict[str, Any]] = field(default_factory=list)
    budgets: list[dict[str, Any]] = field(default_factory=list)
    transactions: list[dict[str, Any]] = field(default_factory=list)
    codes: dict[str, str] = field(default_factory=dict)
    incoming: list[tuple[str, dict[str, Any] | None, Decimal, str | None]] = field(default_factory=list)
    """(transaction type code, provider organisation, value, currency) of incoming funds."""
    finance: list[tuple[str, Decimal, str | None]] = field(default_factory=list)
    """(finance type, value, currency) of each commitment."""
    gender_marker: GenderMarker | None = None


def _identifier(activity: _Activity, element: Any) -> None:
    activity.identifier = (element.text or "").strip()


def _reporting_org(activity: _Activity, element: Any) -> None:
    activity.reporting = _org(element)


def _title(activity: _Activity, element: Any) -> None:
    """Every narrative of every <title>; more than one <title> is refused once all are read."""
    activity.title_count += 1
    activity.titles.extend(_text(element, activity.lang))


def _description(activity: _Activity, element: Any) -> None:
    """Kept with its type (1 general, 2 objectives …; an unreadable type, or a number no code list has,
    sorts last)."""
    kind = element.get("type") or "1"
    readable = kind.isascii() and kind.isdigit() and len(kind) <= 3
    activity.descriptions.append((int(kind) if readable else 9, _text(element, activity.lang)))


def _participating_org(activity: _Activity, element: Any) -> None:
    org = _org(element)
    if org is not None:
        activity.orgs.append((element.get("role") or "", org))


def _activity_status(activity: _Activity, element: Any) -> None:
    activity.status_code = (element.get("code") or "").strip()


def _activity_date(activity: _Activity, element: Any) -> None:
    """Date by type (1 planned start, 2 actual start, 3 planned end, 4 actual end)."""
    activity.dates[element.get("type") or ""] = _date(activity.file, element, "activity-date")


def _recipient_country(activity: _Activity, element: Any) -> None:
    code = (element.get("code") or "").strip().upper()
    if code and code not in activity.countries:
        activity.countries.append(code)


def _recipient_region(activity: _Activity, element: Any) -> None:
    """A region code; one outside the OECD DAC vocabulary (1) is prefixed with its vocabulary."""
    code = (element.get("code") or "").strip()
    vocabulary = element.get("vocabulary") or "1"
    if code:
        activity.regions.append(code if vocabulary == "1" else f"{vocabulary}:{code}".strip())


def _sector(activity: _Activity, element: Any) -> None:
    """An SDG sector (vocabularies 7–9) becomes a source label; DAC codes (1, 2) stay bare, others are
    prefixed with their vocabulary. Every sector stays in raw with its percentage."""
    code = (element.get("code") or "").strip()
    vocabulary = element.get("vocabulary") or "1"
    if not code:
        return
    activity.sector_details.append(
        {"vocabulary": vocabulary, "code": code, "percentage": element.get("percentage")}
    )
    if vocabulary in SECTOR_SDG_VOCABULARIES:
        activity.labels.append(_label(SECTOR_SDG_VOCABULARIES[vocabulary], code))
    else:
        activity.sectors.append(code if vocabulary in ("1", "2") else f"{vocabulary}:{code}".strip())


def _tag(activity: _Activity, element: Any) -> None:
    """An SDG tag (vocabularies 2, 3) becomes a source label, any other a topic ``vocabulary:code``."""
    code = (element.get("code") or "").strip()
    vocabulary = element.get("vocabulary") or "1"
    if not code:
        return
    if vocabulary in TAG_SDG_VOCABULARIES:
        activity.labels.append(_label(TAG_SDG_VOCABULARIES[vocabulary], code))
    else:
        activity.topics.append(f"{vocabulary}:{code}".strip())


def _policy_marker(activity: _Activity, element: Any) -> None:
    """Kept in raw; a significant OECD DAC marker (vocabulary 1, significance not 0) is also a label."""
    code = (element.get("code") or "").strip()
    significance = (element.get("significance") or "").strip()
    if not code:
        return
    activity.markers.append(
        {"vocabulary": element.get("vocabulary") or "1", "code": code, "significance": significance}
    )
    if significance not in ("", "0") and (element.get("vocabulary") or "1") == "1":
        activity.labels.append(_label("dac-policy-marker", code))
    if code == "1" and (element.get("vocabulary") or "1") == "1" and activity.gender_marker is None:
        activity.gender_marker = GENDER_MARKERS.get(significance)


def _budget(activity: _Activity, element: Any) -> None:
    """A budget with a value (one without is left out), in its currency or the activity's default."""
    parts = _first_children(element)
    value = parts.get("value")
    if value is None:
        return
    file = activity.file
    activity.budgets.append(
        {
            "type": element.get("type") or "1",
            "status": element.get("status"),
            "period_start": _date(file, parts.get("period-start"), "budget/period-start"),
            "period_end": _date(file, parts.get("period-end"), "budget/period-end"),
            "value": _amount(file, value, "budget/value"),
            "currency": _currency(file, value, activity.default_currency, "budget/value"),
            "value_date": _date(file, value, "budget/value", "value-date"),
        }
    )


def _transaction(activity: _Activity, element: Any) -> None:
    """A transaction with a type and a value (others are left out); the type named, unknown codes kept."""
    parts = _first_children(element)
    kind_element = parts.get("transaction-type")
    value = parts.get("value")
    if kind_element is None or value is None:
        return
    file = activity.file
    kind = (kind_element.get("code") or "").strip()
    date = _date(file, parts.get("transaction-date"), "transaction/transaction-date")
    amount = _amount(file, value, "transaction/value")
    currency = _currency(file, value, activity.default_currency, "transaction/value")
    provider = parts.get("provider-org")
    transaction = {
        "type": TRANSACTION_TYPES.get(kind, kind),
        "date": date,
        "value": amount,
        "currency": currency,
        "value_date": _date(file, value, "transaction/value", "value-date"),
        "provider": _org_name(provider),
        "receiver": _org_name(parts.get("receiver-org")),
    }
    activity.transactions.append(transaction)
    if kind in INCOMING:
        org = _org(provider) if provider is not None else None
        activity.incoming.append((kind, org, amount, currency))
    elif kind == "2":
        finance = parts.get("finance-type")
        code = (finance.get("code") or "").strip() if finance is not None else ""
        activity.finance.append((code, amount, currency))


def _first_children(element: Any) -> dict[Any, Any]:
    """Tag → the first child with that tag (what ``element.find(tag)`` gives): one pass over the
    children instead of a path search per tag (a budget asks for 3, a transaction for 6)."""
    first: dict[Any, Any] = {}
    for child in element:
        first.setdefault(child.tag, child)
    return first


def _code(activity: _Activity, element: Any) -> None:
    """A coded default (finance type, aid type …), kept in raw under the element's tag."""
    code = element.get("code")
    if code:
        activity.codes[element.tag] = code


CODE_ELEMENTS = (
    "default-finance-type", "default-aid-type", "default-flow-type", "collaboration-type",
    "default-tied-status", "activity-scope",
)  # fmt: skip
ELEMENT_HANDLERS: dict[str, Callable[[_Activity, Any], None]] = {
    "iati-identifier": _identifier,
    "reporting-org": _reporting_org,
    "title": _title,
    "description": _description,
    "participating-org": _participating_org,
    "activity-status": _activity_status,
    "activity-date": _activity_date,
    "recipient-country": _recipient_country,
    "recipient-region": _recipient_region,
    "sector": _sector,
    "tag": _tag,
    "policy-marker": _policy_marker,
    "budget": _budget,
    "transaction": _transaction,
    **dict.fromkeys(CODE_ELEMENTS, _code),
}
"""Child element of ``<iati-activity>`` → the handler that reads it; other elements are ignored."""


def _activity(
    file: str, element: Any, source: str, root_version: str | None, root_lang: str | None
) -> Record:
    """One activity as a Record: its children read by ELEMENT_HANDLERS, in document order (so the first
    bad value is the one reported), then checked and assembled step by step."""
    activity = _start(file, element, source, root_version, root_lang)
    handlers = ELEMENT_HANDLERS
    for child in element:
        handler = handlers.get(child.tag)  # an entity's or a comment's tag is a function: no handler
        if handler is not None:
            handler(activity, child)
    line = element.sourceline
    raw_base = _check_identity(activity, line)
    title, title_lang = _pick_title(activity, line, raw_base)
    abstract = _abstract(activity, title_lang, line, raw_base)
    start, end = _period(activity.dates)
    budget, commitments, disbursements = _funding(activity, line, raw_base)
    funders = [org for role, org in activity.orgs if role == "1"]
    reporting = activity.reporting
    raw = _raw(activity, element, root_version, commitments, disbursements)
    project_values = {
        "source": source,
        "source_id": activity.identifier,
        "title": title,
        "abstract": abstract,
        "language": title_lang[:20].rstrip() if title_lang else None,
        # Text models, not dicts: the texts are stripped and non-empty, as validation would leave them
        "titles": [assemble(Text, {"text": t, "lang": tl}) for t, tl in activity.titles],
        "abstracts": [
            assemble(Text, {"text": t, "lang": tl}) for _, texts in activity.descriptions for t, tl in texts
        ],
        "funder": funders[0]["name"] if funders else (reporting["name"] if reporting else None),
        "instrument": _instrument(activity.codes),
        "funding_scheme": None,
        "budget": quick_money(budget[0], budget[1]) if budget else None,
        # dates, not their text, so that build_project takes its checked fast path
        "start": dt.date.fromisoformat(start) if start else None,
        "end": dt.date.fromisoformat(end) if end else None,
        "status": STATUS.get(activity.status_code or "", ProjectStatus.UNKNOWN),
        "countries": activity.countries,
        "regions": activity.regions,
        "sectors": activity.sectors,
        "topics": activity.topics,
        "source_labels": activity.labels,
        "cofunding_sources": _cofunding(activity, funders[0] if funders else reporting),
        "conditions": _conditions(activity),
        "gender_marker": activity.gender_marker,
        "raw": raw,
    }
    try:
        project = build_project(project_values)
    except FieldError as exc:
        where = exc.field or ("activity-date" if "before start" in exc.message else "")
        raise RecordRejected(Problem(file, line, where, exc.message), raw_base) from exc
    participations = _participations((source, activity.identifier), activity.orgs, reporting, funders)
    return Record(project=project, participations=participations, file=file, line=line)


def _start(
    file: str, element: Any, source: str, root_version: str | None, root_lang: str | None
) -> _Activity:
    """An empty _Activity with the activity's language and default currency; a legacy version named on
    the activity itself (where the root names none) is refused."""
    line = element.sourceline
    if root_version is None:
        extra_version = next(
            (v for k, v in element.attrib.items() if isinstance(k, str) and k.endswith("}version")), None
        )
        if extra_version:
            _check_version_record(file, line, extra_version)
    lang = (element.get(XML_LANG) or root_lang or "").strip().lower() or None
    try:
        default_currency = _checked_currency(element.get("default-currency"))
    except FieldError as exc:
        raise RecordRejected(Problem(file, line, "default-currency", exc.message)) from exc
    return _Activity(file, source, lang, default_currency)


def _check_identity(activity: _Activity, line: int | None) -> dict[str, Any]:
    """The raw part a rejection shows; refuses a missing or long identifier, and zero or several titles."""
    file, identifier = activity.file, activity.identifier
    if not identifier:
        raise RecordRejected(Problem(file, line, "iati-identifier", "missing or empty activity identifier"))
    raw_base = {"iati_identifier": identifier}
    if len(identifier) > MAX_ID:
        raise RecordRejected(
            Problem(
                file, line, "iati-identifier", f"{len(identifier)} characters, more than the {MAX_ID} allowed"
            ),
            raw_base,
        )
    if activity.title_count > 1:
        raise RecordRejected(Problem(file, line, "title", "more than one <title> element"), raw_base)
    if not activity.titles:
        raise RecordRejected(Problem(file, line, "title", "no title narrative"), raw_base)
    return raw_base


def _pick_title(activity: _Activity, line: int | None, raw_base: dict[str, Any]) -> tuple[str, str | None]:
    """The title in the activity's language, else the first given, and that title's language."""
    title, title_lang = _pick(activity.titles, activity.lang)
    if len(title) > MAX_TITLE:
        raise RecordRejected(
            Problem(
                activity.file,
                line,
                "title",
                f"{len(title):,} characters, more than the {MAX_TITLE:,} allowed",
            ),
            raw_base,
        )
    return title, title_lang


def _abstract(activity: _Activity, title_lang: str | None, line: int | None, raw_base: dict[str, Any]) -> str:
    """The descriptions in type order (sorted in place), each in the title's language where it has one."""
    descriptions = activity.descriptions
    descriptions.sort(key=lambda d: d[0])
    abstract = "\n\n".join(_pick(texts, title_lang)[0] for _, texts in descriptions if texts)
    if len(abstract) > MAX_TEXT:
        raise RecordRejected(
            Problem(
                activity.file,
                line,
                "description",
                f"{len(abstract):,} characters, more than the {MAX_TEXT:,} allowed",
            ),
            raw_base,
        )
    return abstract


def _period(dates: dict[str, str | None]) -> tuple[str | None, str | None]:
    """Start: actual, else planned; end: actual, else planned. An end before the start gives way to the
    planned end where that is consistent, else none."""
    start = dates.get("2") or dates.get("1")
    end = dates.get("4") or dates.get("3")
    if start and end and end < start:
        # publishers mix actual and planned dates; keep a consistent pair, all dates stay in raw
        planned_end = dates.get("3")
        end = planned_end if planned_end and planned_end >= start else None
    return start, end


def _funding(
    activity: _Activity, line: int | None, raw_base: dict[str, Any]
) -> tuple[tuple[Decimal, str] | None, dict[str, Decimal], dict[str, Decimal]]:
    """(budget, commitments and disbursements by currency): the budget is the budgets' total, else the
    one non-negative commitment in a single currency; a negative total is refused."""
    budget = _budget_total(activity.budgets)
    commitments = _totals(activity.transactions, "commitment")
    disbursements = _totals(activity.transactions, "disbursement")
    if budget is None and len(commitments) == 1:
        currency, amount = next(iter(commitments.items()))
        budget = (amount, currency) if amount >= 0 else None
    if budget is not None and budget[0] < 0:
        raise RecordRejected(
            Problem(
                activity.file,
                line,
                "budget",
                f"the budgets add up to a negative amount ({budget[0]} {budget[1]})",
            ),
            raw_base,
        )
    return budget, commitments, disbursements


def _instrument(codes: dict[str, str]) -> InstrumentType | None:
    """Loan for finance types 4xx, equity for 5xx; else none."""
    finance = codes.get("default-finance-type", "")
    if finance.startswith("4"):
        return InstrumentType.LOAN
    if finance.startswith("5"):
        return InstrumentType.EQUITY
    return None


def _cofunding(activity: _Activity, funder: dict[str, Any] | None) -> list[CoFunding]:
    """Co-funding by source: every funding organisation but the project's funder (the first one, else
    the reporting organisation), then every other provider of incoming funds; each with the incoming
    funds it provided (incoming commitments where an activity reports no incoming funds)."""
    kinds = {kind for kind, *_ in activity.incoming}
    counted = "1" if "1" in kinds else "11"
    provided: dict[str, tuple[dict[str, Any], dict[str | None, Decimal]]] = {}
    for kind, org, value, currency in activity.incoming:
        if org is None or kind != counted:
            continue
        _, totals = provided.setdefault(_org_key(org), (org, {}))
        totals[currency] = totals.get(currency, Decimal(0)) + value
    skip = {_org_key(funder)} if funder is not None else set()
    sources: list[CoFunding] = []
    orgs = [org for role, org in activity.orgs if role == "1"] + [org for org, _ in provided.values()]
    for org in orgs:
        key = _org_key(org)
        if key in skip:
            continue
        skip.add(key)
        totals = provided.get(key, (org, {}))[1]
        amount = None
        if len(totals) == 1:
            currency, total = next(iter(totals.items()))
            if currency is not None and total >= 0 and total.adjusted() < 18:  # what the workspace stores
                amount = quick_money(total, currency)
        sources.append(
            assemble(
                CoFunding, {"source_type": _cofunding_type(org), "amount": amount, "funder": org["name"]}
            )
        )
    return sources


def _org_key(org: dict[str, Any]) -> str:
    """What tells two mentions of an organisation apart: its identifier, else its name."""
    return str(org["ref"] or org["name"]).casefold()


def _cofunding_type(org: dict[str, Any]) -> CoFundingSource:
    ref = org["ref"] or ""
    if ref.upper().startswith(EU_REFS):
        return CoFundingSource.EU
    return COFUNDING_TYPES.get(org["type"] or "", CoFundingSource.UNKNOWN)


def finance_condition(code: str) -> ConditionKind | None:
    """The condition an IATI finance type puts on the money: grants (1xx, 2xx interest subsidies),
    reimbursable grants (422), loans and debt instruments (4xx), equity (432 preferred equity, 5xx);
    capital subscriptions, hybrids, debt relief and guarantees are 'other'. None for no code."""
    if not code:
        return None
    if code in ("422",):
        return ConditionKind.REPAYABLE
    if code == "432" or code.startswith("5"):
        return ConditionKind.EQUITY
    if code in ("433",):
        return ConditionKind.OTHER
    if len(code) == 3 and code[0] in "12":
        return ConditionKind.GRANT
    if len(code) == 3 and code[0] == "4":
        return ConditionKind.LOAN
    return ConditionKind.OTHER


def _conditions(activity: _Activity) -> list[FundingCondition]:
    """The conditions of the finance types: of the commitments (each its own finance type, else the
    activity's default), each with its share of the committed money where all is in one currency;
    else the default finance type alone."""
    default = activity.codes.get("default-finance-type", "").strip()
    shares: dict[str, Decimal] = {}
    currencies = set()
    for code, value, currency in activity.finance:
        code = code or default
        if code:
            shares[code] = shares.get(code, Decimal(0)) + value
            currencies.add(currency)
    total = sum(shares.values(), Decimal(0))
    if not shares and default:
        shares = {default: Decimal(0)}
    conditions: list[FundingCondition] = []
    by_kind: dict[ConditionKind, tuple[list[str], Decimal]] = {}
    for code, value in shares.items():
        kind = finance_condition(code)
        if kind is not None:
            codes, kind_total = by_kind.get(kind, ([], Decimal(0)))
            by_kind[kind] = ([*codes, code], kind_total + value)
    for kind, (codes, value) in by_kind.items():
        share = None
        if total > 0 and len(currencies) == 1 and all(v >= 0 for v in shares.values()):
            share = round(float(value / total), 4)
        description = f"IATI finance type {', '.join(codes)}"
        conditions.append(
            assemble(FundingCondition, {"kind": kind, "description": description, "share": share})
        )
    return conditions


def _raw(
    activity: _Activity,
    element: Any,
    root_version: str | None,
    commitments: dict[str, Decimal],
    disbursements: dict[str, Decimal],
) -> dict[str, Any]:
    """What the project keeps of the activity beyond its fields (its ``raw``)."""
    return {
        "iati_identifier": activity.identifier,
        "version": root_version,
        "default_currency": activity.default_currency,
        "last_updated": element.get("last-updated-datetime"),
        "hierarchy": element.get("hierarchy"),
        "reporting_org": _org_raw(activity.reporting),
        "participating_orgs": [
            {"role": role, "name": org["name"], "ref": org["ref"], "type": org["type"]}
            for role, org in activity.orgs
        ],
        "activity_status": activity.status_code,
        "activity_dates": activity.dates,
        "sectors": activity.sector_details,
        "policy_markers": activity.markers,
        "budgets": [_money_raw(b) for b in activity.budgets],
        "transactions": [_money_raw(t) for t in activity.transactions],
        "commitments": {c: str(a) for c, a in commitments.items()},
        "disbursements": {c: str(a) for c, a in disbursements.items()},
        **activity.codes,
    }


def _participations(
    key: tuple[str, str],
    orgs: list[tuple[str, dict[str, Any]]],
    reporting: dict[str, Any] | None,
    funders: list[dict[str, Any]],
) -> list[Participation]:
    """Each participating organisation in its role; the reporting organisation is the funder where no
    participating organisation has the funding role."""
    participations: list[Participation] = []
    for role, org in orgs:
        participations.append(
            _participation(
                key,
                make_actor(
                    org["name"], identifiers=org["identifiers"], helix=org["helix"], level=org["level"]
                ),
                ROLES.get(role, ParticipationRole.OTHER),
            )
        )
    if reporting is not None and not funders:
        participations.append(
            _participation(
                key,
                make_actor(
                    reporting["name"], identifiers=reporting["identifiers"], helix=reporting["helix"],
                    level=reporting["level"],
                ),
                ParticipationRole.FUNDER,
            )
        )  # fmt: skip
    return participations


def _label(vocabulary: str, code: str) -> SourceLabel:
    """A SourceLabel from a constant vocabulary and a stripped, non-empty code (as validation makes it)."""
    return assemble(SourceLabel, {"vocabulary": vocabulary, "code": code})


def _participation(key: tuple[str, str], actor: Actor, role: ParticipationRole) -> Participation:
    """A participation without amount or share; the key's parts are stripped and non-empty."""
    return assemble(
        Participation, {"project": key, "actor": actor, "role": role, "amount": None, "share": None}
    )


def _check_version_record(file: str, line: int | None, version: str) -> None:
    try:
        _check_version(file, line, version)
    except FileRejected as exc:
        raise RecordRejected(exc.problem) from exc


def _org_raw(org: dict[str, Any] | None) -> dict[str, Any]:
    if org is None:
        return {}
    return {"name": org["name"], "ref": org["ref"], "type": org["type"]}


def _money_raw(item: dict[str, Any]) -> dict[str, Any]:
    """A budget or transaction as raw keeps it: its value (the one Decimal) as text, in place."""
    return {**item, "value": str(item["value"])}


def _totals(transactions: list[dict[str, Any]], kind: str) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for transaction in transactions:
        if transaction["type"] == kind and transaction["currency"]:
            currency = transaction["currency"]
            totals[currency] = totals.get(currency, Decimal(0)) + transaction["value"]
    return totals


def _budget_total(budgets: list[dict[str, Any]]) -> tuple[Decimal, str] | None:
    """Sum of the activity's budgets, a revised budget replacing the original for the same period;
    None when there are none or they are in more than one currency."""
    if not budgets:
        return None
    by_period: dict[tuple[str | None, str | None], dict[str, Any]] = {}
    for budget in budgets:
        period = (budget["period_start"], budget["period_end"])
        kept = by_period.get(period)
        if kept is None or (budget["type"] == "2" and kept["type"] != "2"):
            by_period[period] = budget
    currencies = {b["currency"] for b in by_period.values()}
    if len(currencies) != 1 or None in currencies:
        return None
    total = sum((b["value"] for b in by_period.values()), Decimal(0))
    return total, next(iter(currencies))
