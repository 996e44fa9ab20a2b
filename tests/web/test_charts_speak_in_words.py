"""Charts and tables speak in words: stored codes become labels, long labels wrap instead of being cut,
values keep their room, and every percentage says what it is a share of."""

from __future__ import annotations

import re

import pytest

from missionboard.web.charts import bars, human, wrapped


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("rd_grant", "R&D grant"),
        ("RD_GRANT", "R&D grant"),
        ("civil_society", "Civil society"),
        ("other_public", "Other public"),
        ("development", "Development"),
        ("Research Council of Norway", "Research Council of Norway"),  # a name stays a name
        ("DK", "DK"),
    ],
)
def test_stored_codes_read_as_words(code: str, words: str) -> None:
    assert human(code) == words


def test_a_long_label_wraps_on_two_lines_and_ends_in_an_ellipsis_only_when_longer() -> None:
    assert wrapped("Halve plate and kitchen waste in school meals") == [
        "Halve plate and kitchen",
        "waste in school meals",
    ]
    cut = wrapped("Halve plate and kitchen waste in every school meal served in the whole country")
    assert len(cut) == 2 and cut[-1].endswith("…")
    assert wrapped("Short") == ["Short"]


def test_bars_show_labels_whole_on_hover_and_say_what_the_share_is_of() -> None:
    rows = [
        {"title": "Halve plate and kitchen waste in school meals", "budget": 125_700_000, "share": 0.41},
        {"title": "pre_commercial_procurement", "budget": 10_000_000, "share": 0.03},
    ]
    svg = str(
        bars(
            rows,
            "title",
            "budget",
            title="Budget per objective",
            share="share",
            share_of="the portfolio's budget",
        )
    )
    assert "<title>Halve plate and kitchen waste in school meals: 125.7 m (41 %)</title>" in svg
    assert "Pre-commercial procurement" in svg  # the code in words
    assert (
        "Percentages: share of the portfolio&#x27;s budget." in svg
        or "Percentages: share of the portfolio&#39;s budget." in svg
    )
    width = float(re.search(r'viewBox="0 0 ([\d.]+)', svg).group(1))  # type: ignore[union-attr]
    assert width >= 190 + 520 + 7 * len("125.7 m (41 %)")  # room for the longest value
