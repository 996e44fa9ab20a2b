"""The one rule for exported spreadsheet cells: text that would start a formula is shown as text."""

from __future__ import annotations

import datetime as dt

import pytest

from missionboard.domain.spreadsheets import protected, unprotected


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("x")'])
def test_text_that_starts_like_a_formula_gets_a_leading_quote(text: str) -> None:
    assert protected(text) == "'" + text


@pytest.mark.parametrize("value", ["plain", "", " =1", "1-2", "'quoted", -5, 2.5, None, dt.date(2030, 1, 1)])
def test_other_cells_are_left_as_they_are(value: object) -> None:
    assert protected(value) == value


@pytest.mark.parametrize("text", ["=1+1", "-1", "plain", "'plain", ""])
def test_a_protected_cell_reads_back_as_it_was(text: str) -> None:
    assert unprotected(str(protected(text))) == text
