"""Streaming rows from CSV and XLSX files, with the line (or sheet row) each one starts on.

CSV is decoded line by line so that a wrong encoding is reported with its line; the delimiter
(',', ';', tab or '|') is taken from the header line. XLSX is read with openpyxl in read-only mode.
"""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

from missionboard.errors import FileRejected, Problem
from missionboard.ingest.base import MAX_TEXT, Meter, clean
from missionboard.ingest.safezip import open_workbook

csv.field_size_limit(MAX_TEXT + 1)

DELIMITERS = [",", ";", "\t", "|"]


@dataclass(slots=True)
class Row:
    line: int
    values: dict[str, str]
    raw: dict[str, Any]
    header: list[str]
    error: str | None = None
    text_only: bool = False
    cells: list[str] | None = None
    """With ``csv_rows(cells=True)``: the stripped cells in header order, and empty ``values``/``raw``."""


def file_problem(path: Path, message: str, line: int | None = None, field: str = "") -> FileRejected:
    return FileRejected(Problem(file=path.name, line=line, field=field, message=message))


def check_not_empty(path: Path) -> None:
    if not path.exists():
        raise file_problem(path, "file not found")
    if path.is_dir():
        raise file_problem(path, "is a folder, not a file")
    if path.stat().st_size == 0:
        raise file_problem(path, "file is empty (0 bytes)")


METER_STEP = 1 << 16
"""Bytes read between two advances of the progress meter (not one call per line)."""


def _decoded_lines(
    handle: Iterable[bytes], path: Path, encoding: str, meter: Meter | None = None
) -> Iterator[str]:
    codec = "utf-8-sig" if encoding.replace("_", "-").lower() in ("utf-8", "utf8") else encoding
    pending = 0
    for number, raw in enumerate(handle, start=1):
        if meter is not None:
            pending += len(raw)
            if pending >= METER_STEP:
                meter.advance(pending)
                pending = 0
        try:
            text = raw.decode(codec if number == 1 else encoding)
        except UnicodeDecodeError as exc:
            bad = raw[exc.start : exc.start + 1].hex()
            raise file_problem(
                path,
                f"not valid {encoding} text (byte 0x{bad} at column {exc.start + 1}); save the file as "
                "UTF-8 or give its encoding, e.g. --encoding cp1252",
                line=number,
            ) from exc
        except UnicodeError as exc:  # codecs such as punycode fail without saying where
            raise file_problem(path, f"cannot be read as {encoding} text: {exc}"[:300], line=number) from exc
        except LookupError as exc:
            raise file_problem(path, f"unknown encoding {encoding!r}") from exc
        if "\x00" in text:
            raise file_problem(path, "contains NUL bytes: not a text file", line=number)
        yield text
    if meter is not None and pending:
        meter.advance(pending)


def sniff_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def csv_rows(
    path: Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    meter: Meter | None = None,
    skip_rows: int = 0,
    cells: bool = False,
) -> Iterator[Row]:
    """Rows of a CSV file as {header: value}, the header being the first non-blank line after
    ``skip_rows`` lines (title lines above a table); raises FileRejected for unreadable files.

    ``cells=True`` gives each row's stripped cells as a list in header order instead of the two
    dicts: a million-row import reads its columns by position."""
    check_not_empty(path)
    encoding = encoding or "utf-8"
    with path.open("rb") as handle:
        lines = _decoded_lines(handle, path, encoding, meter)
        first: str | None = None
        skipped = 0
        for candidate in lines:
            if candidate.strip() and skipped >= skip_rows:
                first = candidate
                break
            skipped += 1
        if first is None:
            raise file_problem(path, "file has no header line (only blank lines)")
        sep = delimiter or sniff_delimiter(first)

        reader = csv.reader(chain((first,), lines), delimiter=sep)
        try:
            header = [clean(h) for h in next(reader)]
            yield from _rows(path, reader, header, skipped, cells)
        except csv.Error as exc:
            message = f"cannot read CSV: {exc}"
            if "field larger than field limit" in str(exc):
                message = f"a field is longer than {MAX_TEXT:,} characters (oversized, or a quote that is never closed)"
            raise file_problem(path, message, line=reader.line_num + skipped) from exc


def _rows(path: Path, reader: Any, header: list[str], offset: int, as_cells: bool = False) -> Iterator[Row]:
    _check_header(path, header)
    width = len(header)
    previous = reader.line_num
    for cells in reader:
        line = previous + 1 + offset
        previous = reader.line_num
        if not "".join(cells).strip():  # no cells, or only blank ones
            continue
        if len(cells) != width:
            if len(cells) > width and all(not c.strip() for c in cells[width:]):
                cells = cells[:width]
            else:
                yield Row(
                    line=line,
                    values={},
                    raw={},
                    header=header,
                    error=f"row has {len(cells)} fields but the header has {width} "
                    "(a truncated line or an unbalanced quote?)",
                )
                continue
        if as_cells:
            yield Row(line, _NO_VALUES, _NO_VALUES, header, None, True, list(map(str.strip, cells)))
            continue
        values = {h: c.strip() for h, c in zip(header, cells, strict=True) if h}
        yield Row(line=line, values=values, raw=dict(values), header=header, text_only=True)


_NO_VALUES: dict[str, Any] = {}


def _check_header(path: Path, header: list[str]) -> None:
    if not any(header):
        raise file_problem(path, "the header line is empty", line=1)
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise file_problem(path, f"column {name!r} appears twice in the header", line=1)
        seen.add(name)


def xlsx_rows(
    path: Path, *, sheet: str | None = None, prefer: tuple[str, ...] = (), skip_rows: int = 0
) -> Iterator[Row]:
    """Rows of one worksheet (named, or the first of ``prefer`` present, or the first) as {header: value}."""
    check_not_empty(path)
    if not zipfile.is_zipfile(path):
        raise file_problem(path, "not an XLSX workbook (not a zip archive; truncated or another format?)")
    workbook = open_workbook(path)
    try:
        names = workbook.sheetnames
        if not names:
            raise file_problem(path, "the workbook has no sheets")
        if sheet is not None:
            if sheet not in names:
                raise file_problem(path, f"no sheet named {sheet!r} (sheets: {', '.join(names)})")
            chosen = sheet
        else:
            lowered = {n.lower(): n for n in names}
            chosen = next((lowered[p] for p in prefer if p in lowered), None) or _first_table(workbook)
        worksheet = workbook[chosen]
        if not hasattr(worksheet, "iter_rows"):
            raise file_problem(path, f"sheet {chosen!r} is a chart, not a table")
        header: list[str] | None = None
        for number, cells in _sheet_cells(path, chosen, worksheet.iter_rows(values_only=True)):
            if header is None:
                if number > skip_rows and cells and any(clean(c) for c in cells):
                    header = [clean(c) for c in cells]
                    while header and not header[-1]:
                        header.pop()
                    _check_header(path, header)
                continue
            if not cells or all(clean(c) == "" for c in cells):
                continue
            raw = {h: c for h, c in zip(header, cells, strict=False) if h and c is not None}
            values = {h: clean(c) for h, c in raw.items()}
            yield Row(line=number, values=values, raw=raw, header=header)
        if header is None:
            raise file_problem(path, f"sheet {chosen!r} has no header row")
    finally:
        workbook.close()


def _first_table(workbook: Any) -> str:
    """The sheet to read when none is named: the first visible one that looks like a table (a header and
    at least one row among its first rows), so that a leading notes sheet or a hidden sheet is passed
    over instead of read as the portfolio; the first visible sheet when none does."""
    visible = [
        ws.title
        for ws in workbook.worksheets
        if getattr(ws, "sheet_state", "visible") == "visible" and hasattr(ws, "iter_rows")
    ]
    for name in visible:
        try:
            filled = sum(
                1
                for cells in workbook[name].iter_rows(values_only=True, max_row=TABLE_PROBE_ROWS)
                if cells and any(clean(c) for c in cells)
            )
        except Exception:  # a broken sheet: reading it reports the problem with its row
            return str(name)
        if filled >= 2:
            return str(name)
    return str(visible[0] if visible else workbook.sheetnames[0])


TABLE_PROBE_ROWS = 50


def _sheet_cells(
    path: Path, sheet: str, rows: Iterator[tuple[Any, ...]]
) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """(row number, cells) from openpyxl, whose parser's errors become one problem on that row."""
    number = 0
    while True:
        try:
            cells = next(rows)
        except StopIteration:
            return
        except Exception as exc:  # what openpyxl meets in a broken sheet: ValueError (a number of
            # 5,000 digits), zlib.error, XMLSyntaxError, TypeError, OverflowError (a date serial) …
            message = f"cannot read sheet {sheet!r}: {type(exc).__name__}: {exc}"
            raise file_problem(path, message[:300], line=number + 1) from exc
        number += 1
        yield number, cells


def table_rows(
    path: Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    prefer: tuple[str, ...] = (),
    meter: Meter | None = None,
    skip_rows: int = 0,
    cells: bool = False,
) -> Iterator[Row]:
    """CSV or XLSX rows, chosen by the file's extension (XLSX also when the content is a zip);
    ``cells`` as for :func:`csv_rows` (XLSX rows always come as dicts)."""
    if path.suffix.lower() in (".xlsx", ".xlsm") or (path.exists() and path.is_file() and _is_zip(path)):
        rows = xlsx_rows(path, sheet=sheet, prefer=prefer, skip_rows=skip_rows)
        if meter is None:
            return rows
        return _metered_after(rows, meter, path)
    return csv_rows(
        path, encoding=encoding, delimiter=delimiter, meter=meter, skip_rows=skip_rows, cells=cells
    )


def _metered_after(rows: Iterator[Row], meter: Meter, path: Path) -> Iterator[Row]:
    yield from rows
    meter.advance(path.stat().st_size)


def _is_zip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"PK\x03\x04"
