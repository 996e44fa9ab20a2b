"""Every reader, through the import engine into a real SQLite workspace (and PostgreSQL for the named
hostile files, where a server runs), fed mutated samples, random bytes and hostile values: each file is
imported correctly or refused with an InputError naming it (and its line), and a refused import leaves
every table exactly as it was."""

from __future__ import annotations

import codecs
import contextlib
import encodings.aliases
import itertools
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fuzz_support import NASTY_TEXT, encoded, fuzz, mutated, nasty_text
from hypothesis import assume, given
from hypothesis import strategies as st
from ingest_fuzz_support import (
    CORDIS,
    CORDIS_ORGS,
    CSV,
    GRANTS_CSV,
    GRANTS_JSON,
    IATI,
    ROWS,
    digest,
    import_or_refuse,
    member,
    replace_member,
    xlsx_bytes,
)
from sqlalchemy import create_engine, text

from missionboard.errors import InputError
from missionboard.services.ingest import ingest_files
from missionboard.store.workspace import Workspace

FAST = fuzz(40)
SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
SHEET = "xl/worksheets/sheet1.xml"
_names = itertools.count()


@pytest.fixture(scope="module")
def workspace(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Workspace]:
    """One workspace for all examples of a module: what a good file imported stays, as in real use.
    SQLite; ``MISSIONBOARD_FUZZ_ON=postgres`` hunts on PostgreSQL instead."""
    if os.environ.get("MISSIONBOARD_FUZZ_ON") == "postgres":
        with postgres_workspace(request.getfixturevalue("postgres_server")) as ws:
            yield ws
        return
    ws = Workspace.open(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'workspace.db'}", create=True)
    yield ws
    ws.close()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_workspace(request: pytest.FixtureRequest, workspace: Workspace) -> Iterator[Workspace]:
    """The module's workspace, then one on PostgreSQL (a private schema), where a server runs:
    PostgreSQL refuses what SQLite stores (NUL in text, numbers beyond its columns)."""
    if request.param == "sqlite":
        yield workspace
        return
    with postgres_workspace(request.getfixturevalue("postgres_server")) as ws:
        yield ws


@contextlib.contextmanager
def postgres_workspace(server: str) -> Iterator[Workspace]:
    """A workspace in a fresh schema of the test database, dropped afterwards."""
    schema = f"mb_fuzz_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in server else "?"
    ws = Workspace.open(f"{server}{sep}options=-csearch_path%3D{schema}", create=True)
    try:
        yield ws
    finally:
        ws.close()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("files")


def write(folder: Path, data: bytes, suffix: str) -> Path:
    path = folder / f"fuzz{next(_names)}{suffix}"
    path.write_bytes(data)
    return path


def test_the_seeds_import_cleanly(workspace: Workspace, folder: Path) -> None:
    for format, data, suffix, count in [
        ("csv", CSV.encode(), ".csv", 3),
        ("xlsx", xlsx_bytes(ROWS), ".xlsx", 3),
        ("iati", IATI.encode(), ".xml", 2),
        ("360giving", GRANTS_JSON.encode(), ".json", 2),
        ("360giving", GRANTS_CSV.encode(), ".csv", 2),
        ("cordis", CORDIS.encode(), ".csv", 2),
    ]:
        run = ingest_files(workspace, format, [write(folder, data, suffix)], source=f"seed-{format}{suffix}")
        assert (run.read, run.rejected) == (count, 0), format


# --- mutated samples and random bytes, per format ----------------------------------------------

CASES = {
    "csv": (".csv", CSV.encode()),
    "iati": (".xml", IATI.encode()),
    "360giving": (".json", GRANTS_JSON.encode()),
    "360giving-csv": (".csv", GRANTS_CSV.encode()),
    "cordis": (".csv", CORDIS.encode()),
}
XML_BITS = [b"<!DOCTYPE a [<!ENTITY e 'x'>]>", b"&e;", b"</iati-activity>", b"<iati-activity>", b"]]>",
            b"<![CDATA[", b"&#0;", b"&#x110000;", b"<?pi?>", b"\x00", b'"', b"<", b"&"]  # fmt: skip
JSON_BITS = [b"[" * 3000, b"{", b"}", b"]", b",", b'"', b"\\u0000", b"\\ud800", b"1e999999", b"9" * 5000,
             b"NaN", b"-Infinity", b"null", b'"\\', b"\xff"]  # fmt: skip


@pytest.mark.parametrize("case", CASES)
@FAST
@given(data=st.data())
def test_a_mutated_sample_is_imported_or_refused_precisely(
    workspace: Workspace, folder: Path, case: str, data: st.DataObject
) -> None:
    suffix, seed = CASES[case]
    extra = XML_BITS if case == "iati" else JSON_BITS if suffix == ".json" else None
    content = data.draw(mutated(seed, extra), label="file")
    format = case.split("-")[0]
    on_error = data.draw(st.sampled_from(["fail", "skip"]), label="on_error")
    import_or_refuse(
        workspace, format, write(folder, content, suffix), on_error=on_error, source=f"fuzz-{case}"
    )


@pytest.mark.parametrize("case", [*CASES, "xlsx"])
@FAST
@given(content=st.binary(max_size=400) | encoded(nasty_text(300)))
def test_random_bytes_are_refused_or_imported(
    workspace: Workspace, folder: Path, case: str, content: bytes
) -> None:
    suffix = ".xlsx" if case == "xlsx" else CASES[case][0]
    import_or_refuse(workspace, case.split("-")[0], write(folder, content, suffix), source=f"bytes-{case}")


@FAST
@given(data=st.data())
def test_a_mutated_cordis_organization_table_is_imported_or_refused(
    workspace: Workspace, folder: Path, data: st.DataObject
) -> None:
    projects = write(folder, CORDIS.encode(), ".csv")
    organizations = write(folder, data.draw(mutated(CORDIS_ORGS.encode()), label="organizations"), ".csv")
    on_error = data.draw(st.sampled_from(["fail", "skip"]), label="on_error")
    import_or_refuse(workspace, "cordis", organizations, projects, on_error=on_error, source="cordis-orgs")


REAL_SAMPLES = {
    "iati": ["iati/single/fcdo-activity.xml", "iati/single/ec-intpa-activity.xml", "iati/single/canada-activity.xml"],
    "360giving": ["360giving/fundingproviders-2-grants.json", "360giving/fundingproviders-2-grants.csv"],
}  # fmt: skip


@pytest.fixture(scope="module")
def real_samples() -> dict[str, list[tuple[str, bytes]]]:
    """Small real files from ../shared/data (see its SOURCES.md), read once; skip where absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared sample data not found at {SHARED_DATA}")
    return {
        format: [(Path(name).suffix, (SHARED_DATA / name).read_bytes()) for name in names]
        for format, names in REAL_SAMPLES.items()
    }


@pytest.mark.parametrize("format", REAL_SAMPLES)
@FAST
@given(data=st.data())
def test_a_mutated_real_file_is_imported_or_refused(
    workspace: Workspace, folder: Path, real_samples: dict[str, list[tuple[str, bytes]]], format: str,
    data: st.DataObject,
) -> None:  # fmt: skip
    suffix, seed = data.draw(st.sampled_from(real_samples[format]), label="sample")
    extra = XML_BITS if suffix == ".xml" else JSON_BITS if suffix == ".json" else None
    content = data.draw(mutated(seed, extra), label="file")
    import_or_refuse(
        workspace, format, write(folder, content, suffix), on_error="skip", source=f"real-{format}"
    )


# --- hostile values in well-formed files --------------------------------------------------------

HEADER = ROWS[0]
COLUMNS = [
    "id",
    "title",
    "budget",
    "currency",
    "start",
    "end",
    "status",
    "trl",
    "country",
    "sectors",
    "abstract",
]


@FAST
@given(
    column=st.sampled_from(COLUMNS),
    value=st.sampled_from(NASTY_TEXT) | nasty_text(),
    row=st.integers(1, 3),
    delimiter=st.sampled_from([",", ";", "\t"]),
    bom=st.booleans(),
)
def test_a_hostile_csv_value_is_imported_or_refused_naming_row_and_column(
    workspace: Workspace, folder: Path, column: str, value: str, row: int, delimiter: str, bom: bool
) -> None:
    import csv
    import io

    rows = [list(r) for r in ROWS]
    rows[row][HEADER.index(column)] = value
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    content = (codecs.BOM_UTF8 if bom else b"") + out.getvalue().encode("utf-8", errors="surrogatepass")
    path = write(folder, content, ".csv")
    run = import_or_refuse(workspace, "csv", path, source="hostile-csv", on_error="skip")
    if run is not None and run.rejected and column != "id" and "\x00" not in value:
        assert run.errors[0]["line"] == row + 1  # the header is line 1 (NUL: the whole file, at its line)


cell_values = st.one_of(
    nasty_text(),
    st.integers(-(10**30), 10**30),
    st.floats(),
    st.datetimes(),
    st.dates(),
    st.booleans(),
    st.none(),
)


@FAST
@given(column=st.sampled_from(COLUMNS), value=cell_values, row=st.integers(1, 3))
def test_a_hostile_xlsx_cell_is_imported_or_refused_naming_row_and_column(
    workspace: Workspace, folder: Path, column: str, value: object, row: int
) -> None:
    from openpyxl.utils.exceptions import IllegalCharacterError

    rows: list[list[object]] = [list(r) for r in ROWS]
    rows[row][HEADER.index(column)] = value
    try:
        content = xlsx_bytes(rows)
    except (IllegalCharacterError, ValueError, TypeError):
        assume(False)  # openpyxl cannot write it, so no workbook holds it
        return
    run = import_or_refuse(
        workspace, "xlsx", write(folder, content, ".xlsx"), source="hostile-xlsx", on_error="skip"
    )
    if run is not None and run.rejected:
        assert run.errors[0]["line"] == row + 1


SHEET_BITS = [b'<c r="A2" t="n"><v>' + b"9" * 5000 + b"</v></c>", b'<c r="B2" t="d"><v>99999-99-99</v></c>',
              b'<c r="B2" s="1"><v>1e308</v></c>', b'<c r="B2" t="s"><v>999</v></c>', b'<c r="ZZZZZ9"><v>1</v></c>',
              b'<row r="0">', b'<row r="99999999999">', b"<c r='A1' t='b'><v>2</v></c>", b"\x00", b"&#0;",
              b"<!DOCTYPE x>", b"</sheetData>", b"<c>"]  # fmt: skip


@FAST
@given(data=st.data())
def test_a_workbook_with_a_mutated_sheet_is_imported_or_refused(
    workspace: Workspace, folder: Path, data: st.DataObject
) -> None:
    workbook = xlsx_bytes(ROWS)
    name = data.draw(st.sampled_from([SHEET, "xl/workbook.xml", "xl/styles.xml", "[Content_Types].xml"]))
    content = replace_member(workbook, name, data.draw(mutated(member(workbook, name), SHEET_BITS)))
    format = data.draw(st.sampled_from(["xlsx", "360giving", "cordis"]))
    import_or_refuse(workspace, format, write(folder, content, ".xlsx"), source=f"sheet-{format}")


@FAST
@given(data=mutated(xlsx_bytes(ROWS)))
def test_a_workbook_with_mutated_bytes_is_refused_or_imported(
    workspace: Workspace, folder: Path, data: bytes
) -> None:
    import_or_refuse(workspace, "xlsx", write(folder, data, ".xlsx"), source="xlsx-bytes")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | nasty_text(12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(nasty_text(6), inner, max_size=3),
    max_leaves=15,
)
GRANT_KEYS = ["id", "title", "description", "currency", "amountAwarded", "awardDate", "plannedDates",
              "recipientOrganization", "fundingOrganization", "grantProgramme", "dateModified"]  # fmt: skip


@FAST
@given(
    key=st.sampled_from(GRANT_KEYS), value=json_values | st.sampled_from(NASTY_TEXT), which=st.integers(0, 1)
)
def test_a_hostile_360giving_json_value_is_imported_or_refused(
    workspace: Workspace, folder: Path, key: str, value: object, which: int
) -> None:
    document = json.loads(GRANTS_JSON)
    document["grants"][which][key] = value
    text = json.dumps(document, indent=1, allow_nan=True)
    run = import_or_refuse(workspace, "360giving", write(folder, text.encode(), ".json"), on_error="skip")
    if run is not None and run.rejected:
        assert run.errors[0]["line"] is not None


IATI_ATTRIBUTES = {"iso-date": "2020-01-01", "percentage": "100", "currency": "EUR", "code": "SE",
                   "default-currency": "EUR", "type": "2", "version": "2.03"}  # fmt: skip


@FAST
@given(attribute=st.sampled_from(sorted(IATI_ATTRIBUTES)), value=st.sampled_from(NASTY_TEXT) | nasty_text(),
       index=st.integers(0, 3))  # fmt: skip
def test_a_hostile_iati_attribute_is_imported_or_refused(
    workspace: Workspace, folder: Path, attribute: str, value: str, index: int
) -> None:
    from xml.sax.saxutils import quoteattr

    pieces = IATI.split(f'{attribute}="')
    assume(len(pieces) > 1)
    index = index % (len(pieces) - 1) + 1
    tail = pieces[index].split('"', 1)[1]
    pieces[index] = quoteattr(value)[1:-1] + '"' + tail
    text = f'{attribute}="'.join(pieces)
    import_or_refuse(
        workspace, "iati", write(folder, text.encode("utf-8", "surrogatepass"), ".xml"), on_error="skip"
    )


def test_a_description_type_of_thousands_of_digits_is_imported(workspace: Workspace, folder: Path) -> None:
    # found by the test above: int() of 5,000 digits raises past Python's 4,300-digit limit
    text = IATI.replace('<description type="1">', f'<description type="{"9" * 5000}">')
    assert text != IATI
    run = import_or_refuse(workspace, "iati", write(folder, text.encode(), ".xml"), on_error="skip")
    # the workspace is shared by the module's tests: both activities of IATI are new, changed or unchanged
    assert run is not None and run.rejected == 0
    assert run.inserted + run.updated + run.unchanged == 2


# --- named hostile files --------------------------------------------------------------------------

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{(f"&lol{i - 1};" if i > 1 else "&lol;") * 10}">' for i in range(1, 10))
    + ']>\n<iati-activities version="2.03"><iati-activity><iati-identifier>&lol9;</iati-identifier>'
    "</iati-activity></iati-activities>"
)
HOSTILE_FILES = {
    "iati billion laughs": ("iati", ".xml", BILLION_LAUGHS.encode()),
    "iati external entity": (
        "iati",
        ".xml",
        b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<iati-activities version="2.03"><iati-activity><iati-identifier>&x;</iati-identifier>'
        b"</iati-activity></iati-activities>",
    ),
    "iati parameter entity": (
        "iati",
        ".xml",
        b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY % p SYSTEM "http://x/">%p;]><iati-activities/>',
    ),
    "iati utf-16 doctype": (
        "iati",
        ".xml",
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a [<!ENTITY x "y">]><iati-activities/>'.encode(
            "utf-16"
        ),
    ),
    "iati deep nesting": (
        "iati",
        ".xml",
        b'<iati-activities version="2.03"><iati-activity><iati-identifier>A'
        b"</iati-identifier>" + b"<x>" * 100_000 + b"</x>" * 100_000 + b"</iati-activity></iati-activities>",
    ),
    "iati huge number": ("iati", ".xml", IATI.replace(">100000<", ">" + "9" * 5000 + "<").encode()),
    "iati date 99999-99-99": (
        "iati",
        ".xml",
        IATI.replace('iso-date="2020-01-01"', 'iso-date="99999-99-99"').encode(),
    ),
    "iati truncated": ("iati", ".xml", IATI.encode()[: len(IATI) // 2]),
    "iati NUL": ("iati", ".xml", IATI.replace("Grids", "Gr\x00ids").encode()),
    "json deep nesting": ("360giving", ".json", b'{"grants": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}"),
    "json deep nesting in a grant": (
        "360giving",
        ".json",
        b'{"grants": [{"id": "a", "title": "t", "x": ' + b'{"a":' * 50_000 + b"1" + b"}" * 50_000 + b"}]}",
    ),
    "json huge number": ("360giving", ".json", GRANTS_JSON.replace("152505", "9" * 5000).encode()),
    "json huge exponent": ("360giving", ".json", GRANTS_JSON.replace("152505", "1e999999999").encode()),
    "json NaN": ("360giving", ".json", GRANTS_JSON.replace("152505", "NaN").encode()),
    "json lone surrogate": ("360giving", ".json", GRANTS_JSON.replace("Wind", "\\ud800").encode()),
    "json NUL escape": ("360giving", ".json", GRANTS_JSON.replace("Wind", "W\\u0000ind").encode()),
    "json utf-16": ("360giving", ".json", GRANTS_JSON.encode("utf-16")),
    "json latin-1": ("360giving", ".json", GRANTS_JSON.replace("Wind", "Vänd").encode("latin-1")),
    "json grants not a list": ("360giving", ".json", b'{"grants": {"id": 1}}'),
    "json truncated": ("360giving", ".json", GRANTS_JSON.encode()[:-40]),
    "json date 99999-99-99": (
        "360giving",
        ".json",
        GRANTS_JSON.replace("2014-07-24", "99999-99-99").encode(),
    ),
    "csv NUL": ("csv", ".csv", CSV.replace("Hydrogen", "Hyd\x00rogen").encode()),
    "csv utf-16": ("csv", ".csv", CSV.encode("utf-16")),
    "csv unclosed quote": ("csv", ".csv", CSV.replace('"Smart', '"Smart"x"').encode()),
    "csv huge budget": ("csv", ".csv", CSV.replace("1000000", "9" * 5000).encode()),
    "csv exponent budget": ("csv", ".csv", CSV.replace("1000000", "1e999999999").encode()),
    "csv date 99999-99-99": ("csv", ".csv", CSV.replace("2023-01-01", "99999-99-99").encode()),
    "csv formula": ("csv", ".csv", CSV.replace("Hydrogen valleys", '=HYPERLINK("http://x")').encode()),
    "csv only a BOM": ("csv", ".csv", codecs.BOM_UTF8),
    "csv header only": ("csv", ".csv", CSV.splitlines()[0].encode()),
    "cordis huge cost": ("cordis", ".csv", CORDIS.replace("1499998,1499998", "9" * 5000 + ",1").encode()),
    "cordis org table alone": ("cordis", ".csv", CORDIS_ORGS.encode()),
    "cordis date 99999-99-99": ("cordis", ".csv", CORDIS.replace("2024-02-01", "99999-99-99").encode()),
    "360giving csv huge amount": ("360giving", ".csv", GRANTS_CSV.replace("152505", "9" * 5000).encode()),
}


@pytest.mark.parametrize("case", HOSTILE_FILES)
def test_a_hostile_file_is_refused_or_imported_quickly(
    any_workspace: Workspace, folder: Path, case: str
) -> None:
    import time

    format, suffix, content = HOSTILE_FILES[case]
    started = time.monotonic()
    for on_error in ("fail", "skip"):
        path = write(folder, content, suffix)
        import_or_refuse(any_workspace, format, path, on_error=on_error, source=f"h-{case}")
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    "case",
    ["iati billion laughs", "iati external entity", "iati parameter entity", "iati utf-16 doctype",
     "json deep nesting in a grant", "csv NUL", "iati truncated", "json truncated"],
)  # fmt: skip
def test_a_hostile_file_is_refused_naming_the_file(workspace: Workspace, folder: Path, case: str) -> None:
    format, suffix, content = HOSTILE_FILES[case]
    path = write(folder, content, suffix)
    before = digest(workspace)
    with pytest.raises(InputError) as caught:
        ingest_files(workspace, format, [path])
    assert digest(workspace) == before
    assert caught.value.problems[0].file == path.name


def test_a_grants_file_in_a_foreign_encoding_is_named(workspace: Workspace, folder: Path) -> None:
    path = write(folder, GRANTS_JSON.replace("Wind", "Vänd").encode("latin-1"), ".json")
    with pytest.raises(InputError) as caught:
        ingest_files(workspace, "360giving", [path])
    assert caught.value.problems[0].line is not None


ENCODINGS = sorted(
    set(encodings.aliases.aliases.values())
    | {"idna", "punycode", "unicode_escape", "utf_7", "undefined", "nonsense"}
)


@fuzz(40)
@given(
    encoding=st.sampled_from(ENCODINGS),
    content=st.sampled_from([CSV.encode(), CSV.encode("utf-16")]) | encoded(nasty_text(60)),
)
def test_any_encoding_option_reads_the_file_or_says_why_not(
    workspace: Workspace, folder: Path, encoding: str, content: bytes
) -> None:
    path = write(folder, content, ".csv")
    import_or_refuse(workspace, "csv", path, encoding=encoding, source="encodings", dry_run=True)


@pytest.mark.parametrize("encoding", ["punycode", "undefined"])
def test_a_codec_that_fails_without_a_position_is_named(
    workspace: Workspace, folder: Path, encoding: str
) -> None:
    path = write(folder, CSV.encode(), ".csv")
    with pytest.raises(InputError) as caught:
        ingest_files(workspace, "csv", [path], encoding=encoding)
    assert caught.value.problems[0].message.startswith(f"cannot be read as {encoding} text")


MAPPING = """\
columns:
  id: id
  title: title
  budget: budget
defaults:
  funder: Energy Agency
values:
  status:
    active: active
    completed: completed
skip_rows: 0
delimiter: ","
list_separator: ";|"
partners:
  columns: {project_id: id}
"""


@fuzz(30)
@given(
    data=mutated(MAPPING.encode(), [b"&a ", b"*a", b"\x07", b"- ", b": ", b"{", b"[", b"!!binary ", b"\t"])
)
def test_a_mutated_mapping_file_is_used_or_refused_naming_it(
    workspace: Workspace, folder: Path, data: bytes
) -> None:
    projects = write(folder, CSV.encode(), ".csv")
    mapping = write(folder, data, ".yaml")
    before = digest(workspace)
    try:
        ingest_files(workspace, "csv", [projects], mapping=mapping, source="mapped", dry_run=True)
    except InputError as exc:
        assert all(p.file in (mapping.name, projects.name) for p in exc.problems), exc.problems
    assert digest(workspace) == before


def test_a_yaml_bomb_mapping_is_refused(workspace: Workspace, folder: Path) -> None:
    lines = ['l0: &l0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 9)]
    mapping = write(folder, "\n".join(lines).encode(), ".yaml")
    with pytest.raises(InputError) as caught:
        ingest_files(workspace, "csv", [write(folder, CSV.encode(), ".csv")], mapping=mapping)
    problem = caught.value.problems[0]
    assert (problem.file, problem.line) == (mapping.name, 5)  # l4: 10 × 10⁴ values
    assert "YAML bomb" in problem.message
