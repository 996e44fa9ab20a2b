"""Readers of public corpora for the landscape: each yields ``LandscapeRecord``s and, for a bad record or
file, a ``Rejection`` naming its file and line (as ``ingest`` does), never an exception.

``READERS`` is the table of formats; ``read`` expands folders, picks a reader per file with ``auto``
and runs them in a fixed order, so the same inputs always give the same records in the same order
(which the chunking, and so the restart, relies on).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import zlib
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from missionboard.domain.mapping import project_text_of
from missionboard.domain.portfolio import ParticipationRole
from missionboard.errors import FieldError, FileRejected, InputError, Problem
from missionboard.ingest import cordis, iati
from missionboard.ingest.base import MAX_TEXT, ReadOptions, Record, Rejection, split_list
from missionboard.ingest.tabular import table_rows
from missionboard.landscape.records import LandscapeRecord

Item = LandscapeRecord | Rejection
Reader = Callable[[list[Path]], Iterator[Item]]

MAX_ID = 300
OPENALEX_PREFIX = "https://openalex.org/"
# File endings each reader takes from a folder.
ENDINGS: dict[str, tuple[str, ...]] = {
    "openalex": (".gz", ".jsonl", ".json", ".ndjson"),
    "jsonl": (".jsonl", ".json", ".ndjson", ".gz"),
    "parquet": (".parquet",),
    "csv": (".csv", ".tsv", ".xlsx"),
    "cordis": (".csv", ".xlsx"),
    "iati": (".xml",),
}
ORDER = ("cordis", "iati", "openalex", "jsonl", "parquet", "csv")
"""The order readers run in under ``auto``: fixed, so that chunks are the same on every run."""


def read(paths: list[Path], reader: str = "auto") -> Iterator[Item]:
    """Every record of the inputs (folders expanded, sorted), read by ``reader`` or, with ``auto``,
    by the reader each file's ending and first bytes call for."""
    files = expand(paths, reader)
    if reader != "auto":
        yield from READERS[reader](files)
        return
    groups: dict[str, list[Path]] = {}
    for path in files:
        try:
            groups.setdefault(detect(path), []).append(path)
        except FileRejected as exc:
            yield Rejection(exc.problem, is_record=False)
    for name in ORDER:
        if name in groups:
            yield from READERS[name](groups[name])


def expand(paths: list[Path], reader: str = "auto") -> list[Path]:
    """The files named, folders replaced by the files in them (recursively, sorted, hidden ones left out)."""
    if not paths:
        raise InputError("no input given (--input)")
    endings = tuple({e for v in ENDINGS.values() for e in v}) if reader == "auto" else ENDINGS[reader]
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.name.lower().endswith(endings)
                and not any(part.startswith((".", "_")) for part in p.relative_to(path).parts)
            )
            if not found:
                raise InputError(Problem(str(path), None, "", f"folder holds no {', '.join(endings)} files"))
            files.extend(found)
        elif not path.exists():
            raise InputError(Problem(str(path), None, "", "file not found"))
        else:
            files.append(path)
    return files


def detect(path: Path) -> str:
    """The reader for one file, from its ending and (for JSON and CSV) its first record."""
    name = path.name.lower()
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith(".xml"):
        return "iati"
    if name.endswith((".gz", ".jsonl", ".json", ".ndjson")):
        first = _first_line(path)
        return "openalex" if _looks_openalex(first) else "jsonl"
    if name.endswith((".csv", ".tsv", ".xlsx")):
        header = _header(path)
        cordis_columns = {"objective", "fundingscheme", "organisationid", "euroscivoccode"}
        return "cordis" if "projectid" in header or cordis_columns & header else "csv"
    raise FileRejected(
        Problem(str(path), None, "", "unknown kind of file: give --reader, or a .gz, .jsonl, .parquet, .csv "
                "or .xml file")
    )  # fmt: skip


# --- OpenAlex works ------------------------------------------------------------------------------


def read_openalex(paths: list[Path]) -> Iterator[Item]:
    """OpenAlex works snapshot files (JSON lines, gzipped or not): one work per line."""
    for path in paths:
        for line, value in _json_lines(path):
            if isinstance(value, Rejection):
                yield value
                continue
            try:
                yield openalex_work(value, str(path), line)
            except FieldError as exc:
                yield Rejection(Problem(str(path), line, exc.field, exc.message), _raw(value))


def openalex_work(work: Any, file: str, line: int | None) -> LandscapeRecord:
    """One OpenAlex work: its abstract rebuilt from the inverted index, with its institutions,
    countries, fields (topics' fields, else level-0 concepts) and publication year."""
    if not isinstance(work, dict):
        raise FieldError("each line must be a JSON object (an OpenAlex work)")
    work_id = _text(work.get("id"), "id")
    if work_id.startswith(OPENALEX_PREFIX):
        work_id = work_id[len(OPENALEX_PREFIX) :]
    title = _optional_text(work.get("title") or work.get("display_name"), "title")
    abstract = inverted_abstract(work.get("abstract_inverted_index"))
    organisations: list[str] = []
    countries: list[str] = []
    for authorship in _list(work.get("authorships"), "authorships"):
        if not isinstance(authorship, dict):
            raise FieldError("each authorship must be an object", "authorships")
        for institution in _list(authorship.get("institutions"), "authorships.institutions"):
            if not isinstance(institution, dict):
                continue
            name = institution.get("display_name")
            if isinstance(name, str) and name.strip():
                _add(organisations, name.strip())
            _add_country(countries, institution.get("country_code"))
        for country in _list(authorship.get("countries"), "authorships.countries"):
            _add_country(countries, country)
    fields: list[str] = []
    for topic in _list(work.get("topics"), "topics"):
        field_name = (
            ((topic or {}).get("field") or {}).get("display_name") if isinstance(topic, dict) else None
        )
        if isinstance(field_name, str) and field_name:
            _add(fields, field_name)
    if not fields:
        for concept in _list(work.get("concepts"), "concepts"):
            if isinstance(concept, dict) and concept.get("level") == 0 and concept.get("display_name"):
                _add(fields, str(concept["display_name"]))
    return _record(
        work_id,
        project_text_of(title, abstract),
        source="openalex",
        title=title,
        year=_year(work.get("publication_year")),
        organisations=organisations,
        countries=countries,
        fields=fields,
        amount_eur=None,
        file=file,
        line=line,
    )


def inverted_abstract(index: Any) -> str:
    """The abstract an OpenAlex ``abstract_inverted_index`` ({word: [positions]}) stands for."""
    if index is None:
        return ""
    if not isinstance(index, dict):
        raise FieldError("must be an object {word: [positions]}", "abstract_inverted_index")
    # The positions are checked once, all together, after the loop: a check per word cost 60 % of
    # reading a work (measured on 120-word abstracts).
    words: dict[Any, str] = {}
    for word, positions in index.items():
        if type(positions) is not list:
            raise FieldError(f"positions of {word!r} must be a list", "abstract_inverted_index")
        for position in positions:
            words[position] = word
    if words and (set(map(type, words)) != {int} or min(words) < 0):
        raise FieldError("positions must be lists of whole numbers from 0", "abstract_inverted_index")
    return " ".join([words[p] for p in sorted(words)])


# --- CORDIS and IATI: the ingest readers, their projects turned into landscape records -----------


def read_cordis(paths: list[Path]) -> Iterator[Item]:
    """CORDIS project exports of any framework programme (project, organization, euroSciVoc tables)."""
    yield from _from_ingest(cordis.read(paths, ReadOptions(source="cordis")), "cordis")


def read_iati(paths: list[Path]) -> Iterator[Item]:
    """IATI activity files (2.0x), read without DTDs or external entities, as ``ingest`` reads them."""
    yield from _from_ingest(iati.read_records(paths, ReadOptions(source="iati")), "iati")


def _from_ingest(items: Iterable[Record | Rejection], source: str) -> Iterator[Item]:
    for item in items:
        if isinstance(item, Rejection):
            yield item
            continue
        project = item.project
        organisations: list[str] = []
        for participation in item.participations:
            if participation.role != ParticipationRole.FUNDER:
                _add(organisations, participation.actor.name)
        money = project.public_funding or project.budget
        date = project.start or project.end
        text = project_text_of(project.title, project.abstract)
        try:
            yield _record(
                project.source_id,
                text,
                source=source,
                title=project.title,
                year=date.year if date else None,
                organisations=organisations,
                countries=[c.upper() for c in project.countries],
                fields=list(project.disciplines or project.sectors),
                amount_eur=_eur(money.amount) if money and money.currency == "EUR" else None,
                file=item.file,
                line=item.line,
            )
        except FieldError as exc:
            yield Rejection(Problem(item.file, item.line, exc.field, exc.message))


# --- the project's own tables: JSON lines, Parquet, CSV ----------------------------------------------


def read_jsonl(paths: list[Path]) -> Iterator[Item]:
    """JSON lines (gzipped or not) with at least ``id`` and ``text``, and any pass-through field."""
    for path in paths:
        for line, value in _json_lines(path):
            if isinstance(value, Rejection):
                yield value
            else:
                yield _table_record(value, path, line)


def read_parquet(paths: list[Path]) -> Iterator[Item]:
    """Parquet files with at least ``id`` and ``text`` columns; ``line`` is the row number."""
    import pyarrow.parquet as pq

    for path in paths:
        try:
            parquet = pq.ParquetFile(path)
        except Exception as exc:  # pyarrow raises ArrowInvalid, OSError … for a file that is not Parquet
            yield Rejection(Problem(str(path), None, "", f"not a Parquet file: {exc}"[:300]), is_record=False)
            continue
        missing = {"id", "text"} - set(parquet.schema_arrow.names)
        if missing:
            yield Rejection(
                Problem(str(path), None, ", ".join(sorted(missing)), "missing column"), is_record=False
            )
            continue
        row = 0
        for batch in parquet.iter_batches(batch_size=10_000):
            for values in batch.to_pylist():
                row += 1
                yield _table_record(values, path, row)


def read_csv(paths: list[Path]) -> Iterator[Item]:
    """CSV (or XLSX) tables with at least ``id`` and ``text``; lists split on ``;`` or ``|``."""
    for path in paths:
        try:
            for row in table_rows(path):
                if row.error:
                    yield Rejection(Problem(str(path), row.line, "", row.error))
                    continue
                values: dict[str, Any] = dict(row.values)
                for name in ("organisations", "countries", "fields"):
                    if isinstance(values.get(name), str):
                        values[name] = split_list(values[name])
                yield _table_record(values, path, row.line)
        except FileRejected as exc:
            yield Rejection(exc.problem, is_record=False)


READERS: dict[str, Reader] = {
    "openalex": read_openalex,
    "cordis": read_cordis,
    "iati": read_iati,
    "jsonl": read_jsonl,
    "parquet": read_parquet,
    "csv": read_csv,
}
FORMATS = ("auto", *READERS)


def _table_record(values: Any, path: Path, line: int) -> Item:
    if not isinstance(values, dict):
        return Rejection(
            Problem(str(path), line, "", 'each record must be an object like {"id": …, "text": …}')
        )
    try:
        source = values.get("source") or path.stem.split(".")[0]
        return _record(
            _text(values.get("id"), "id"),
            _text(values.get("text"), "text"),
            source=_text(source, "source"),
            title=_optional_text(values.get("title"), "title"),
            year=_year(values.get("year")),
            organisations=_strings(values.get("organisations"), "organisations"),
            countries=[c.upper() for c in _strings(values.get("countries"), "countries")],
            fields=_strings(values.get("fields"), "fields"),
            amount_eur=_amount(values.get("amount_eur")),
            file=str(path),
            line=line,
        )
    except FieldError as exc:
        return Rejection(Problem(str(path), line, exc.field, exc.message), _raw(values))


# --- helpers ---------------------------------------------------------------------------------------


def _record(record_id: str, text: str, **values: Any) -> LandscapeRecord:
    if len(record_id) > MAX_ID:
        raise FieldError(f"is {len(record_id):,} characters long; the limit is {MAX_ID}", "id")
    if not text.strip():
        raise FieldError("no text to map: the title and abstract are empty", "text")
    if len(text) > MAX_TEXT:
        raise FieldError(f"is {len(text):,} characters long; the limit is {MAX_TEXT:,}", "text")
    return LandscapeRecord(id=record_id, text=text, **values)


def _json_lines(path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, parsed value) per non-blank line, or (line, Rejection) for a line that is not
    JSON or a file that cannot be read on (a truncated gzip, bytes that are not UTF-8)."""
    line = 0
    try:
        with _open_binary(path) as handle:
            for line, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                try:
                    yield line, json.loads(raw.decode("utf-8"))
                except UnicodeDecodeError:
                    yield line, Rejection(Problem(str(path), line, "", "not UTF-8 text"))
                except json.JSONDecodeError as exc:
                    yield line, Rejection(Problem(str(path), line, "", f"not valid JSON: {exc.msg}"))
    except (OSError, EOFError, zlib.error) as exc:
        message = f"cannot read on after this line: {type(exc).__name__}: {exc}"[:300]
        yield line + 1, Rejection(Problem(str(path), line + 1, "", message), is_record=False)


def _open_binary(path: Path) -> io.BufferedIOBase:
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    if gzipped:
        return gzip.open(path, "rb")
    return path.open("rb")


def _first_line(path: Path) -> str:
    try:
        with _open_binary(path) as handle:
            for raw in handle:
                if raw.strip():
                    return raw[:65536].decode("utf-8", "replace")
    except (OSError, EOFError, zlib.error):
        return ""
    return ""


def _looks_openalex(line: str) -> bool:
    return f'"{OPENALEX_PREFIX}W' in line or '"abstract_inverted_index"' in line


def _header(path: Path) -> set[str]:
    if path.suffix.lower() == ".xlsx":
        try:
            return {h.lower() for h in next(iter(table_rows(path))).header}
        except (StopIteration, FileRejected):
            return set()
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        first = handle.readline()
    delimiter = max(",;\t|", key=first.count)
    return {h.strip().lower() for h in next(csv.reader([first], delimiter=delimiter), [])}


def _text(value: Any, field: str) -> str:
    if isinstance(value, bool) or value is None:
        raise FieldError("missing", field)
    if isinstance(value, int | float | Decimal):
        value = str(value)
    if not isinstance(value, str):
        raise FieldError("must be text", field)
    if not value.strip():
        raise FieldError("is empty", field)
    return value.strip()


def _optional_text(value: Any, field: str) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _text(value, field)


def _year(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        year = int(str(value).strip())
    except ValueError as exc:
        raise FieldError(f"not a year: {str(value)[:40]!r}", "year") from exc
    if not 1000 <= year <= 2100:
        raise FieldError(f"not a plausible year: {year}", "year")
    return year


def _amount(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        amount = float(value)
    except (TypeError, ValueError) as exc:
        raise FieldError(f"not a number: {str(value)[:40]!r}", "amount_eur") from exc
    if amount != amount or amount < 0:
        raise FieldError("must be a positive number", "amount_eur")
    return amount


def _eur(amount: Decimal) -> float:
    return float(amount)


def _strings(value: Any, field: str) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return split_list(value)
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise FieldError("must be a list of texts", field)
    return [v.strip() for v in value if v.strip()]


def _list(value: Any, field: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise FieldError("must be a list", field)
    return value


def _add(values: list[str], value: str) -> None:
    if value not in values:
        values.append(value)


def _add_country(countries: list[str], value: Any) -> None:
    if isinstance(value, str) and len(value.strip()) == 2:
        _add(countries, value.strip().upper())


def _raw(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    return {k: v for k, v in value.items() if k != "abstract_inverted_index"}
