"""Read tabular input files (CSV or XLSX) into rows with their line numbers, for precise error messages."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from missionboard.domain.records import ImportedFile
from missionboard.errors import InputError, Problem
from missionboard.ingest.safezip import open_workbook

MAX_PROBLEMS = 25


@dataclass(frozen=True)
class Table:
    """A file's header (normalised names) and rows as (line number, {column: cell text or value})."""

    name: str
    header: list[str]
    original_header: list[str]
    rows: list[tuple[int, dict[str, Any]]]


def normalise(name: str) -> str:
    """'Indicator Code' → 'indicator_code'."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


def describe(path: Path) -> ImportedFile:
    data = path.read_bytes()
    return ImportedFile(name=path.name, sha256=hashlib.sha256(data).hexdigest(), size=len(data))


def read_table(path: Path) -> Table:
    """Read the first sheet of an .xlsx file or a CSV file (UTF-8, BOM allowed; , ; or tab separated)."""
    if not path.is_file():
        raise InputError(Problem(str(path), None, "", "no such file"))
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix in (".csv", ".tsv", ".txt"):
        return _read_csv(path)
    raise InputError(Problem(path.name, None, "", f"unsupported file type '{suffix}': use .csv or .xlsx"))


def _table(path: Path, header: list[Any], rows: list[tuple[int, list[Any]]]) -> Table:
    original = ["" if h is None else str(h).strip() for h in header]
    names = [normalise(h) for h in original]
    if not any(names):
        raise InputError(Problem(path.name, 1, "", "the first row must name the columns"))
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            raise InputError(Problem(path.name, 1, name, "column appears twice"))
        seen.add(name)
    out = []
    for line, cells in rows:
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue
        out.append((line, {n: (cells[i] if i < len(cells) else None) for i, n in enumerate(names) if n}))
    return Table(path.name, names, original, out)


def _read_csv(path: Path) -> Table:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            Problem(path.name, line, "", "not UTF-8 text: save the file as UTF-8 (CSV UTF-8 in Excel)")
        ) from exc
    if not text.strip():
        raise InputError(Problem(path.name, None, "", "the file is empty"))
    first = text.splitlines()[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
        rows = []
        for cells in reader:
            rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise InputError(Problem(path.name, reader.line_num, "", f"unreadable CSV: {exc}")) from exc
    return _table(path, header, rows)


def _read_xlsx(path: Path) -> Table:
    workbook = open_workbook(path)  # zip bombs, DTDs and unreadable files refused, naming the file
    rows: list[tuple[int, list[Any]]] = []
    try:
        if not workbook.worksheets or not hasattr(workbook.worksheets[0], "iter_rows"):
            raise InputError(Problem(path.name, None, "", "the first sheet is not a table"))
        iterator = workbook.worksheets[0].iter_rows(values_only=True)
        try:
            header = next(iterator, None)
            if header is None:
                raise InputError(Problem(path.name, None, "", "the first sheet is empty"))
            for i, cells in enumerate(iterator, start=2):
                rows.append((i, list(cells)))
        except InputError:
            raise
        except Exception as exc:  # a cell openpyxl cannot read (a 5,000-digit number, a broken date …)
            line = len(rows) + 2
            message = f"unreadable cell: {type(exc).__name__}: {exc}"[:300]
            raise InputError(Problem(path.name, line, "", message)) from exc
    finally:
        workbook.close()
    return _table(path, list(header), rows)


def text(value: Any) -> str | None:
    """A cell as stripped text, None when empty."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    out = str(value).strip()
    return out or None


MISSING = {"", "..", "-", "na", "n/a", "nan", "null", "none"}


def number(value: Any) -> float | None:
    """A cell as a number; None when empty or a statistical-office missing marker ('..', 'NA')."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"'{value}' is not a number")
    if isinstance(value, int | float):
        return float(value)
    cell = str(value).strip()
    if cell.lower() in MISSING:
        return None
    cleaned = cell.replace("\u00a0", "").replace(" ", "").replace("_", "")
    if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", cleaned):
        cleaned = cleaned.replace(",", "")
    elif re.fullmatch(r"-?\d+,\d+", cleaned):
        cleaned = cleaned.replace(",", ".")
    try:
        out = float(cleaned)
    except ValueError:
        raise ValueError(f"'{cell}' is not a number") from None
    if not math.isfinite(out):
        raise ValueError(f"'{cell}' is not a finite number")
    return out


def date(value: Any) -> dt.date | None:
    """A cell as a date (ISO text, or a spreadsheet date); None when empty."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    cell = str(value).strip()
    if not cell:
        return None
    try:
        return dt.date.fromisoformat(cell[:10])
    except ValueError:
        raise ValueError(f"'{cell}' is not a date: write YYYY-MM-DD") from None


def year(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    cell = str(value).strip()
    if not cell:
        return None
    if not re.fullmatch(r"\d{4}", cell):
        raise ValueError(f"'{cell}' is not a year: write four digits such as 2024")
    return int(cell)


def raise_problems(problems: list[Problem]) -> None:
    if not problems:
        return
    if len(problems) > MAX_PROBLEMS:
        extra = len(problems) - MAX_PROBLEMS
        problems = [
            *problems[:MAX_PROBLEMS],
            Problem(problems[0].file, None, "", f"… and {extra} more problems"),
        ]
    raise InputError(problems)
