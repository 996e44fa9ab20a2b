"""The analysis is one typed ``PortfolioAnalysis``: figures and tables are models, its JSON is unchanged,
and the reports read it (or its JSON form) the same way."""

from __future__ import annotations

import pytest

from missionboard.analytics import analyze_portfolio
from missionboard.analytics.result import KEYS, Figure, PortfolioAnalysis, Table
from missionboard.reports import summary
from missionboard.store.workspace import Workspace


@pytest.fixture
def analysis(sqlite_portfolio: Workspace) -> PortfolioAnalysis:
    return analyze_portfolio(sqlite_portfolio, "clean-air", since=2021)


def test_headline_numbers_are_figures(analysis: PortfolioAnalysis) -> None:
    assert isinstance(analysis.budget and analysis.budget["total"], Figure)


def test_a_table_of_a_section_is_a_table(analysis: PortfolioAnalysis) -> None:
    assert isinstance(analysis.budget and analysis.budget["unconverted"], Table)


def test_the_scope_keeps_the_year_given_as_a_number(analysis: PortfolioAnalysis) -> None:
    assert analysis.scope is not None and analysis.scope.since == 2021


def test_the_json_has_every_section_in_order(analysis: PortfolioAnalysis) -> None:
    assert list(analysis.to_dict()) == list(KEYS)


def test_the_json_validates_back_into_the_same_analysis(analysis: PortfolioAnalysis) -> None:
    assert PortfolioAnalysis.model_validate(analysis.to_dict()) == analysis


def test_a_missing_section_is_null() -> None:
    assert PortfolioAnalysis.of_sections({"meta": {"engine": "test"}}).to_dict()["budget"] is None


def test_the_markdown_report_reads_the_json_form_as_the_typed_one(analysis: PortfolioAnalysis) -> None:
    assert summary.markdown(analysis.to_dict()) == summary.markdown(analysis)


def test_the_reporting_currency_is_the_budgets(analysis: PortfolioAnalysis) -> None:
    assert analysis.reporting_currency == "EUR"
