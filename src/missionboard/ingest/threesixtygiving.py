"""360Giving grants data: the JSON package (``{"grants": [...]}``), and the flat CSV and XLSX layouts
with either the standard's column titles (``Amount Awarded``, ``Recipient Org:Identifier`` …) or
JSON-path headers (``amountAwarded``, ``recipientOrganization/0/id`` …).

Each grant becomes a project (amount awarded = budget, in its currency; planned start, or the award
date where the grant has no planned dates); funding organisations become ``funder`` participants and
recipient organisations ``beneficiary`` participants, resolved by their org-id identifiers.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

from missionboard.domain.missions import HelixType
from missionboard.domain.portfolio import Participation, ParticipationRole
from missionboard.errors import FieldError, FileRejected, Problem, RecordRejected
from missionboard.ingest.base import (
    MAX_ID,
    MAX_NAME,
    MAX_TEXT,
    MAX_TITLE,
    ReadOptions,
    Record,
    Rejection,
    build_project,
    json_safe,
    make_actor,
    money,
    parse_amount,
    parse_currency,
    parse_date,
)
from missionboard.ingest.safezip import open_workbook
from missionboard.ingest.tabular import check_not_empty, table_rows

# Flat column (letters and digits only, lower case) → (path in the grant document)
FLAT: dict[str, tuple[str, ...]] = {
    "identifier": ("id",),
    "id": ("id",),
    "title": ("title",),
    "description": ("description",),
    "currency": ("currency",),
    "amountawarded": ("amountAwarded",),
    "awarddate": ("awardDate",),
    "planneddatesstartdate": ("plannedDates", "startDate"),
    "planneddates0startdate": ("plannedDates", "startDate"),
    "planneddatesenddate": ("plannedDates", "endDate"),
    "planneddates0enddate": ("plannedDates", "endDate"),
    "planneddatesdurationmonths": ("plannedDates", "duration"),
    "planneddates0duration": ("plannedDates", "duration"),
    "recipientorgidentifier": ("recipientOrganization", "id"),
    "recipientorganization0id": ("recipientOrganization", "id"),
    "recipientorgname": ("recipientOrganization", "name"),
    "recipientorganization0name": ("recipientOrganization", "name"),
    "recipientorgcharitynumber": ("recipientOrganization", "charityNumber"),
    "recipientorganization0charitynumber": ("recipientOrganization", "charityNumber"),
    "recipientorgcompanynumber": ("recipientOrganization", "companyNumber"),
    "recipientorganization0companynumber": ("recipientOrganization", "companyNumber"),
    "recipientorgcountry": ("recipientOrganization", "addressCountry"),
    "recipientorganization0addresscountry": ("recipientOrganization", "addressCountry"),
    "fundingorgidentifier": ("fundingOrganization", "id"),
    "fundingorganization0id": ("fundingOrganization", "id"),
    "fundingorgname": ("fundingOrganization", "name"),
    "fundingorganization0name": ("fundingOrganization", "name"),
    "grantprogrammetitle": ("grantProgramme", "title"),
    "grantprogramme0title": ("grantProgramme", "title"),
    "grantprogrammecode": ("grantProgramme", "code"),
    "grantprogramme0code": ("grantProgramme", "code"),
    "beneficiarylocationname": ("beneficiaryLocation", "name"),
    "beneficiarylocation0name": ("beneficiaryLocation", "name"),
    "beneficiarylocationcountrycode": ("beneficiaryLocation", "countryCode"),
    "beneficiarylocation0countrycode": ("beneficiaryLocation", "countryCode"),
    "beneficiarylocationgeographiccode": ("beneficiaryLocation", "geoCode"),
    "beneficiarylocation0geocode": ("beneficiaryLocation", "geoCode"),
}
LIST_OBJECTS = {"plannedDates", "recipientOrganization", "fundingOrganization", "grantProgramme",
                "beneficiaryLocation"}  # fmt: skip

# org-id.guide list prefixes → helix type
PREFIX_HELIX = {
    "GB-CHC": HelixType.CIVIL_SOCIETY,
    "GB-SC": HelixType.CIVIL_SOCIETY,
    "GB-NIC": HelixType.CIVIL_SOCIETY,
    "GB-MPR": HelixType.CIVIL_SOCIETY,
    "GB-EDU": HelixType.RESEARCH,
    "GB-UKPRN": HelixType.RESEARCH,
    "GB-HESA": HelixType.RESEARCH,
    "GB-GOR": HelixType.GOVERNMENT,
    "GB-GOV": HelixType.GOVERNMENT,
    "GB-LAE": HelixType.GOVERNMENT,
    "GB-LAS": HelixType.GOVERNMENT,
    "GB-LANI": HelixType.GOVERNMENT,
    "GB-PLA": HelixType.GOVERNMENT,
    "GB-NHS": HelixType.GOVERNMENT,
}


def read(paths: list[Path], options: ReadOptions) -> Iterator[Record | Rejection]:
    for path in paths:
        try:
            check_not_empty(path)
            if path.suffix.lower() == ".json" or _looks_like_json(path):
                yield from _json_grants(path, options)
            else:
                yield from _flat_grants(path, options)
        except FileRejected as exc:
            yield Rejection(exc.problem, is_record=False)


def _looks_like_json(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{")


# --- JSON ---------------------------------------------------------------------------------------

_WS = re.compile(r"[ \t\n\r]*")


MAX_DEPTH = 32
"""Lists and objects nested in one grant (real grants nest 3 deep: grant → list → organisation)."""


class _JsonStream:
    """A JSON text read in 1 MB pieces: values are decoded one at a time from a buffer that only
    holds what has not been consumed yet, so memory stays bounded by the largest single grant."""

    CHUNK = 1 << 20
    MAX_VALUE = 64 << 20

    def __init__(self, handle: Any, name: str, meter: Any) -> None:
        self.handle = handle
        self.name = name
        self.meter = meter
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.json = json.JSONDecoder()
        self.text = ""
        self.pos = 0
        self.eof = False
        self.base_line = 1  # line of text[0]
        self._counted = (0, 1)  # (position, its line) last computed
        self.read_bytes = 0

    def _fill(self) -> bool:
        if self.eof:
            return False
        chunk = self.handle.read(self.CHUNK)
        if self.meter is not None:
            self.meter.advance(len(chunk))
        self.eof = not chunk
        try:
            piece = self.decoder.decode(chunk, final=self.eof)
        except UnicodeDecodeError as exc:
            # exc.object is what the decoder held back from the last chunk, then this one; at the
            # end of the file, only the bytes of a character cut short
            decoded = bytes(exc.object)
            line = self.base_line + self.text.count("\n") + decoded[: exc.start].count(b"\n")
            raise FileRejected(
                Problem(
                    self.name,
                    line,
                    "",
                    f"not valid UTF-8 (byte 0x{decoded[exc.start]:02x}); JSON must be UTF-8",
                )
            ) from exc
        self.read_bytes += len(chunk)
        self.text += piece
        return True

    def compact(self) -> None:
        if self.pos > self.CHUNK:
            self.base_line = self.line()
            self.text = self.text[self.pos :]
            self.pos = 0
            self._counted = (0, self.base_line)

    def line(self) -> int:
        """The line of the current position (counted on from the last question)."""
        counted, line = self._counted
        if self.pos < counted:
            counted, line = 0, self.base_line
        line += self.text.count("\n", counted, self.pos)
        self._counted = (self.pos, line)
        return line

    def peek(self) -> str:
        """The next character that is not white space ('' at the end), consuming the white space."""
        while True:
            self.pos = _WS.match(self.text, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self._fill():
                return ""

    def expect(self, char: str, what: str) -> None:
        if self.peek() != char:
            self.fail(f"expected {what}")
        self.pos += 1

    def value(self) -> Any:
        self.peek()
        while True:
            try:
                value, end = self.json.raw_decode(self.text, self.pos)
            except RecursionError:
                self.fail(f"nested more than {MAX_DEPTH} levels deep")
            except json.JSONDecodeError as exc:
                if self.eof or len(self.text) - self.pos > self.MAX_VALUE:
                    line = self.base_line + self.text.count("\n", 0, exc.pos)
                    truncated = self.eof and (exc.pos >= len(self.text) - 1 or "Unterminated" in exc.msg)
                    prefix = "the JSON is truncated or not valid" if truncated else "not valid JSON"
                    raise FileRejected(Problem(self.name, line, "", f"{prefix}: {exc.msg}")) from exc
                self._fill()
                continue
            except ValueError as exc:  # int() refuses numbers of more than 4,300 digits
                self.fail(f"a number too long to read ({str(exc).split(';')[0]})")
            if end >= len(self.text) and not self.eof and isinstance(value, int | float):
                self._fill()  # a number at the end of the buffer may continue in the next piece
                continue
            if _deeper_than(value, MAX_DEPTH):
                self.fail(f"nested more than {MAX_DEPTH} levels deep")
            if _ESCAPED_NON_TEXT.search(self.text, self.pos, end) and (bad := _non_text(value)):
                self.fail(f"the text {bad} cannot be stored (a NUL character or half of a surrogate pair)")
            self.pos = end
            return value

    def fail(self, message: str) -> NoReturn:
        truncated = self.eof and self.pos >= len(self.text)
        prefix = "the JSON is truncated or not valid" if truncated else "not valid JSON"
        raise FileRejected(Problem(self.name, self.line(), "", f"{prefix}: {message}"))


_ESCAPED_NON_TEXT = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")
"""JSON escapes that decode to what a database cannot store: NUL and (unless paired) surrogates."""
_NON_TEXT = re.compile("[\x00\ud800-\udfff]")


def _non_text(value: Any) -> str | None:
    """The first string (shown shortened) in ``value`` holding NUL or a lone surrogate, else None."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _NON_TEXT.search(item):
                return ascii(item[:40])
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return None


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether lists and objects nest more than ``limit`` deep (counted without recursion: the
    readers after this one recurse once per level)."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth >= limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _json_grants(path: Path, options: ReadOptions) -> Iterator[Record | Rejection]:
    """Grants of a JSON package, each with the line it starts on (the grants array is walked one
    object at a time; the rest of the document is checked but skipped)."""
    name = path.name
    found = False
    with path.open("rb") as handle:
        stream = _JsonStream(handle, name, options.meter)
        first = stream.peek()
        if not first:
            raise FileRejected(Problem(name, None, "", "file is empty (only white space)"))
        if first != "{":
            raise FileRejected(Problem(name, stream.line(), "", 'expected a JSON object {"grants": [...]}'))
        stream.pos += 1
        if stream.peek() == "}":
            stream.pos += 1
        else:
            while True:
                key = stream.value()
                if not isinstance(key, str):
                    stream.fail("expected a property name in double quotes")
                stream.expect(":", "':' after a property name")
                if key == "grants":
                    found = True
                    if stream.peek() != "[":
                        raise FileRejected(Problem(name, stream.line(), "grants", "must be a list of grants"))
                    stream.pos += 1
                    if stream.peek() == "]":
                        stream.pos += 1
                    else:
                        while True:
                            stream.peek()
                            start_line = stream.line()
                            grant = stream.value()
                            yield _from_grant(name, start_line, grant, options.source, "")
                            stream.compact()
                            following = stream.peek()
                            stream.pos += 1
                            if following == "]":
                                break
                            if following != ",":
                                stream.pos -= 1
                                stream.fail("expected ',' or ']' after a grant")
                else:
                    stream.value()
                following = stream.peek()
                stream.pos += 1
                if following == "}":
                    break
                if following != ",":
                    stream.pos -= 1
                    stream.fail("expected ',' or '}' after a property")
        if stream.peek():
            stream.fail("extra data after the end of the document")
    if not found:
        raise FileRejected(Problem(name, None, "grants", 'no "grants" list: not a 360Giving data package'))


def _from_grant(file: str, line: int, grant: Any, source: str, where: str) -> Record | Rejection:
    try:
        if not isinstance(grant, dict):
            raise FieldError("each grant must be a JSON object", "")
        return _grant(file, line, grant, source)
    except FieldError as exc:
        raw = json_safe(grant) if isinstance(grant, dict) else None
        return Rejection(Problem(file, line, exc.field, exc.message), raw)
    except RecordRejected as exc:
        return Rejection(exc.problem, exc.raw)


# --- CSV / XLSX ---------------------------------------------------------------------------------


def _flat_grants(path: Path, options: ReadOptions) -> Iterator[Record | Rejection]:
    columns: dict[str, tuple[str, ...]] | None = None
    sheet = _grants_sheet(path) if path.suffix.lower() in (".xlsx", ".xlsm") else None
    for row in table_rows(
        path, encoding=options.encoding, sheet=sheet, prefer=("grants",), meter=options.meter
    ):
        if columns is None:
            columns = {h: FLAT[_key(h)] for h in row.header if _key(h) in FLAT}
            if ("id",) not in columns.values():
                raise FileRejected(
                    Problem(path.name, 1, "Identifier", "no Identifier column: not 360Giving grants data")
                )
        if row.error:
            yield Rejection(Problem(path.name, row.line, "", row.error))
            continue
        grant: dict[str, Any] = {}
        for header, target in columns.items():
            value = row.values.get(header, "")
            if not value:
                continue
            if len(target) == 1:
                grant[target[0]] = value
            else:
                grant.setdefault(target[0], [{}])[0][target[1]] = value
        extras = {h: v for h, v in row.raw.items() if h not in columns}
        grant["_columns"] = json_safe(extras)
        yield _from_grant(path.name, row.line, grant, options.source, f"row {row.line}")


def _grants_sheet(path: Path) -> str | None:
    """The first worksheet whose first row has an Identifier column (publishers often put a read-me
    sheet first); None to let the reader choose ('grants', else the first sheet)."""
    try:
        workbook = open_workbook(path)
    except FileRejected:  # unreadable or refused workbooks are reported by the reader itself
        return None
    try:
        for worksheet in workbook.worksheets:
            for cells in worksheet.iter_rows(values_only=True, max_row=5):
                keys = {_key(str(c)) for c in cells if c is not None}
                if keys & {"identifier", "id"}:
                    return str(worksheet.title)
                if keys:
                    break
    except Exception:  # a broken sheet is reported, with its row, by the reader itself
        return None
    finally:
        workbook.close()
    return None


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


# --- one grant ----------------------------------------------------------------------------------


def _text(grant: dict[str, Any], key: str, *, required: bool = False, limit: int = MAX_TEXT) -> str:
    value = grant.get(key)
    if value is None or value == "":
        if required:
            raise FieldError("missing", key)
        return ""
    if not isinstance(value, str):
        raise FieldError(f"must be text, not {type(value).__name__} {value!r}"[:120], key)
    value = value.strip()
    if required and not value:
        raise FieldError("missing", key)
    if len(value) > limit:
        raise FieldError(f"{len(value):,} characters, more than the {limit:,} allowed", key)
    return value


def _objects(grant: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = grant.get(key)
    if value is None:
        return []
    if isinstance(value, dict):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise FieldError("must be a list of objects", key)
    return value


def _organisation(item: dict[str, Any], key: str, source: str) -> Any:
    name = item.get("name")
    identifier = item.get("id")
    if name is not None and not isinstance(name, str):
        raise FieldError(f"name must be text, not {name!r}", f"{key}.name")
    if identifier is not None and not isinstance(identifier, str | int):
        raise FieldError(f"id must be text, not {identifier!r}", f"{key}.id")
    name = (name or "").strip()
    identifier = str(identifier or "").strip()
    if not name and not identifier:
        return None
    if len(name) > MAX_NAME:
        raise FieldError(f"{len(name):,} characters, more than the {MAX_NAME} allowed", f"{key}.name")
    # 360Giving organisation ids are org-id.guide identifiers (360G-… for the standard's own list)
    identifiers = {"org-id": identifier[:MAX_ID]} if identifier else {}
    helix = next((h for prefix, h in PREFIX_HELIX.items() if identifier.startswith(prefix + "-")), None)
    country = item.get("addressCountry") if isinstance(item.get("addressCountry"), str) else None
    return make_actor(
        name or identifier,
        identifiers=identifiers,
        helix=helix,
        country=country if country and len(country) == 2 else None,
    )


def _grant(file: str, line: int, grant: dict[str, Any], source: str) -> Record:
    identifier = grant.get("id")
    if isinstance(identifier, int | float) and not isinstance(identifier, bool):
        identifier = str(identifier)
    if not isinstance(identifier, str) or not identifier.strip():
        raise FieldError("missing grant identifier", "id")
    identifier = identifier.strip()
    if len(identifier) > MAX_ID:
        raise FieldError(f"{len(identifier)} characters, more than the {MAX_ID} allowed", "id")
    title = _text(grant, "title", required=True, limit=MAX_TITLE)
    description = _text(grant, "description")
    currency_value = grant.get("currency")
    try:
        currency = parse_currency(currency_value if isinstance(currency_value, str) else "")
    except FieldError as exc:
        exc.field = "currency"
        raise
    if currency_value is not None and not isinstance(currency_value, str):
        raise FieldError(f"not a currency code: {currency_value!r}", "currency")
    amount_value = grant.get("amountAwarded")
    try:
        amount = parse_amount(amount_value)
        budget = money(amount, currency, "amountAwarded")
    except FieldError as exc:
        exc.field = "amountAwarded"
        raise
    try:
        award_date = parse_date(grant.get("awardDate") if isinstance(grant.get("awardDate"), str) else None)
    except FieldError as exc:
        exc.field = "awardDate"
        raise
    if grant.get("awardDate") is not None and not isinstance(grant.get("awardDate"), str):
        raise FieldError(f"not a date: {grant.get('awardDate')!r}", "awardDate")
    planned = _objects(grant, "plannedDates")
    start = end = None
    if planned:
        try:
            start = parse_date(planned[0].get("startDate"))
        except FieldError as exc:
            exc.field = "plannedDates.startDate"
            raise
        try:
            end = parse_date(planned[0].get("endDate"))
        except FieldError as exc:
            exc.field = "plannedDates.endDate"
            raise
    programmes = _objects(grant, "grantProgramme")
    programme = next((str(p.get("title")).strip() for p in programmes if p.get("title")), None)
    funders = [
        _organisation(o, "fundingOrganization", source) for o in _objects(grant, "fundingOrganization")
    ]
    recipients = [
        _organisation(o, "recipientOrganization", source) for o in _objects(grant, "recipientOrganization")
    ]
    funders = [f for f in funders if f is not None]
    recipients = [r for r in recipients if r is not None]
    locations = _objects(grant, "beneficiaryLocation")
    countries: list[str] = []
    regions: list[str] = []
    for location in locations:
        code = location.get("countryCode")
        if isinstance(code, str) and code.strip() and code.strip().upper() not in countries:
            countries.append(code.strip().upper())
        for key in ("geoCode", "name"):
            value = location.get(key)
            if isinstance(value, str) and value.strip() and value.strip() not in regions:
                regions.append(value.strip())
                break
    topics = [
        str(c.get("title") or c.get("code")).strip()
        for c in _objects(grant, "classifications")
        if c.get("title") or c.get("code")
    ]
    raw = {k: v for k, v in grant.items() if k != "_columns"}
    if grant.get("_columns"):
        raw["columns"] = grant["_columns"]
    project = build_project(
        {
            "source": source,
            "source_id": identifier,
            "title": title,
            "abstract": description,
            "funder": funders[0].name if funders else None,
            "programme": programme[:MAX_NAME] if programme else None,
            "budget": budget,
            "start": start or award_date,
            "end": end,
            "countries": countries,
            "regions": regions,
            "topics": topics,
            "raw": json_safe(raw),
        }
    )
    project_key = (source, identifier)
    participations = [
        Participation(project=project_key, actor=f, role=ParticipationRole.FUNDER) for f in funders
    ]
    participations += [
        Participation(project=project_key, actor=r, role=ParticipationRole.BENEFICIARY, amount=budget)
        for r in recipients
    ]
    return Record(project=project, participations=participations, file=file, line=line)
