"""Opening XLSX workbooks (zip archives) that users upload, without letting one exhaust the machine.

Before openpyxl decompresses anything, :func:`check_archive` reads the zip's central directory and
refuses a workbook whose members are too many, too large, or compressed too well (a zip bomb: 1.5 MB
of zeros that inflates to 1.5 GB), and one whose XML parts declare a DTD or entities (entity
expansion, external entities). The declared sizes are a real bound: :mod:`zipfile` stops every
member at its declared ``file_size`` and checks its CRC, and openpyxl reads members through it.

:func:`open_workbook` is the one door every reader of user workbooks goes through.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

from missionboard.errors import FileRejected, Problem

if TYPE_CHECKING:  # openpyxl is imported late: CSV-only imports do not pay for it (0.57 s, -X importtime)
    from openpyxl.workbook.workbook import Workbook

MAX_MEMBERS = 10_000
"""Members in one workbook; real ones have tens, one per sheet, style, relation …"""
MAX_MEMBER_SIZE = 1 << 30
"""Decompressed bytes of one member (1 GiB: a sheet of some 2 million rows of 20 columns)."""
MAX_TOTAL_SIZE = 2 << 30
"""Decompressed bytes of all members together (2 GiB)."""
MAX_RATIO = 200
"""Decompressed / compressed size of one member. Sheet XML compresses 5 to 20 times (measured on the
360Giving and CORDIS samples: at most 8); zeros deflate 1,000 times, which only a bomb needs."""
RATIO_FLOOR = 1 << 20
"""Members smaller than this (1 MiB) decompressed are not held to MAX_RATIO: an empty sheet of 40
bytes can deflate to 4."""
PROLOGUE_LIMIT = 1 << 16
"""Bytes of an XML part read while looking for its first element (the prologue, where a DTD goes)."""

_XML_START = re.compile("(?:\ufeff|\u00ef\u00bb\u00bf)?[ \t\r\n]*<")  # a BOM (UTF-16, or UTF-8 as Latin-1)
_DECLARATION = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_FIRST_ELEMENT = re.compile(r"<[A-Za-z_]")


def open_workbook(path: Path) -> Workbook:
    """The workbook at ``path`` opened read-only (values, not formulas), once it passed
    :func:`check_archive`; raises :class:`FileRejected` naming the file for anything unreadable."""
    check_archive(path)
    import openpyxl  # late: see TYPE_CHECKING above

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises a dozen types (KeyError, TypeError …) for broken parts
        message = f"cannot open the workbook: {type(exc).__name__}: {exc}"[:300]
        raise FileRejected(Problem(path.name, None, "", message)) from exc
    for worksheet in workbook.worksheets:
        # read every row there is: a read-only sheet otherwise stops at the size the file declares
        # (its <dimension>), which tools that write XLSX often leave stale, and silently drops the rest
        if hasattr(worksheet, "reset_dimensions"):
            worksheet.reset_dimensions()
    return workbook


def _short(exc: BaseException, limit: int = 200) -> str:
    """The library's message, cut: zipfile quotes whole damaged headers (kilobytes of bytes)."""
    text = str(exc)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_archive(path: Path) -> None:
    """Refuse, with one :class:`FileRejected` naming the file and the member, a workbook that is not a
    zip archive, would decompress beyond the limits above, or has XML with a DTD or entities."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            _check_sizes(path, members)
            for member in members:
                if not member.is_dir():
                    _check_prologue(path, archive, member)
    except zipfile.BadZipFile as exc:
        raise _refused(path, "", f"not an XLSX workbook (not a readable zip archive: {_short(exc)})") from exc
    except (OSError, EOFError, zlib.error, zipfile.LargeZipFile, NotImplementedError, RuntimeError) as exc:
        # EOFError: truncated member; zlib.error: corrupt deflate data; NotImplementedError: unknown
        # compression method; RuntimeError: an encrypted member
        raise _refused(path, "", f"cannot read the workbook's zip archive: {_short(exc)}") from exc


def _check_sizes(path: Path, members: list[zipfile.ZipInfo]) -> None:
    if len(members) > MAX_MEMBERS:
        raise _refused(
            path, "", f"{len(members):,} members in the archive, more than the {MAX_MEMBERS:,} allowed"
        )
    total = 0
    for member in members:
        size = member.file_size
        if size > RATIO_FLOOR and size > MAX_RATIO * max(member.compress_size, 1):
            ratio = size // max(member.compress_size, 1)
            raise _refused(
                path,
                member.filename,
                f"compressed {ratio:,} to 1 (at most {MAX_RATIO} to 1 is accepted): a zip bomb?",
            )
        if size > MAX_MEMBER_SIZE:
            raise _refused(
                path, member.filename, f"decompresses to {_mib(size)}, more than {_mib(MAX_MEMBER_SIZE)}"
            )
        total += size
        if total > MAX_TOTAL_SIZE:
            raise _refused(path, "", f"decompresses to more than {_mib(MAX_TOTAL_SIZE)} in all")


def prologue_declares_dtd(head: bytes) -> bool | None:
    """Whether the start of an XML document declares a DTD or entities before its first element;
    None when ``head`` ends before the first element. A DTD may only stand there (XML 1.0,
    production [22]): after it, every parser stops with a syntax error. Reads UTF-8, UTF-16 and
    single-byte encodings."""
    text = _as_text(head)
    start = _FIRST_ELEMENT.search(text)
    if _DECLARATION.search(text if start is None else text[: start.start()]):
        return True
    return None if start is None else False


def _check_prologue(path: Path, archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
    """Every member that starts as XML does, whatever its name: the workbook's relations may name a
    sheet ``sheet1.dat``, and openpyxl parses what they name."""
    seen = b""
    with archive.open(member) as handle:
        while len(seen) < PROLOGUE_LIMIT:
            block = handle.read(4096)
            if not block:
                break
            if not seen and not _XML_START.match(_as_text(block[:64])):
                return  # a picture, a VBA project …: no XML parser reads it
            seen += block
            declares = prologue_declares_dtd(seen)
            if declares:
                raise _refused(
                    path, member.filename, "XML declares a DTD or entities, which workbooks never need"
                )
            if declares is not None:
                return
    if seen:
        raise _refused(path, member.filename, f"no XML element in the first {PROLOGUE_LIMIT:,} bytes")


def _as_text(data: bytes) -> str:
    """The bytes as text for the search: UTF-16 when they start so (BOM, or '<' and a NUL), else a
    byte-per-character reading that keeps every ASCII markup character where it is."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or data[1:2] == b"\x00" or data[:1] == b"\x00":
        big = data[:2] == b"\xfe\xff" or data[:1] == b"\x00"
        return data[: len(data) // 2 * 2].decode("utf-16-be" if big else "utf-16-le", errors="replace")
    return data.decode("latin-1")


def _refused(path: Path, member: str, message: str) -> FileRejected:
    return FileRejected(Problem(path.name, None, member, message))


def _mib(size: int) -> str:
    return f"{size / (1 << 20):,.0f} MiB"
