"""Cells a spreadsheet shows as text: exported words must never run as a formula.

Excel, LibreOffice and Google Sheets read a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return as a formula (CSV injection). Every exported text cell that starts so gets a leading
``'``, which spreadsheets show as text; ``unprotected`` takes it off when such a file is imported back.
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet reads as the start of a formula."""


def protected(value: object) -> object:
    """``value`` as an exported cell: text that starts like a formula gets a leading ``'``; numbers,
    dates and empty cells are left as they are (they cannot run)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def unprotected(text: str) -> str:
    """The text ``protected`` changed, as it was (so an export imports back unchanged)."""
    if text.startswith("'") and text[1:].startswith(FORMULA_START):
        return text[1:]
    return text
