"""Tables as CSV or XLSX downloads whose text cells cannot run as formulas.

Text cells are ``protected`` (a leading ``'`` where one would start a formula); in XLSX every cell is
also written as a string (``data_type`` ``s``; empty cells are left empty), so even a value openpyxl would take for a formula is
stored as text, and characters XML cannot hold are dropped instead of failing the whole export.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence

from missionboard.domain.spreadsheets import protected

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


def cell(value: object) -> object:
    """One exported cell: lists joined with ``;``, None empty, text protected, numbers kept."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        value = ";".join(str(v) for v in value)
    return protected(value)


def csv_chunks(columns: Sequence[str], rows: Iterable[Sequence[object]], every: int = 1000) -> Iterator[str]:
    """The table as CSV text, a header then the rows, yielded ``every`` rows (for a streamed download)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([cell(c) for c in columns])
    for n, row in enumerate(rows, start=1):
        writer.writerow([cell(v) for v in row])
        if n % every == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_bytes(title: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """The table as an XLSX workbook of one sheet, every cell a string."""
    # openpyxl is imported here: only the XLSX download needs it
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)

    def text(value: object) -> WriteOnlyCell | None:
        shown = ILLEGAL_CHARACTERS_RE.sub("", str(cell(value)))
        if not shown:
            return None  # an empty cell, not an empty string
        written = WriteOnlyCell(sheet, value=shown)
        written.data_type = "s"  # a string, never a formula, whatever it starts with
        return written

    sheet.append([text(c) for c in columns])
    for row in rows:
        sheet.append([text(v) for v in row])
    with tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024) as handle:
        workbook.save(handle)
        handle.seek(0)
        return handle.read()


__all__ = ["CSV_MEDIA_TYPE", "XLSX_MEDIA_TYPE", "cell", "csv_chunks", "xlsx_bytes"]
