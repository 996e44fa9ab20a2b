"""The rules of the IATI activity reader's element handlers (``iati.ELEMENT_HANDLERS``), one row per rule:
an activity with the given child elements, read straight from XML, and the project field it gives."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from missionboard.domain.portfolio import InstrumentType, Project
from missionboard.ingest import iati
from missionboard.ingest.base import ReadOptions, Record

ACTIVITY = """<?xml version="1.0" encoding="UTF-8"?>
<iati-activities version="2.03">
 <iati-activity default-currency="EUR">
  <iati-identifier>XM-1</iati-identifier>
  <title><narrative>Hydrogen valleys</narrative></title>
  {children}
 </iati-activity>
</iati-activities>
"""


def read_project(tmp_path: Path, children: str) -> Project:
    path = tmp_path / "activity.xml"
    path.write_text(ACTIVITY.format(children=children), encoding="utf-8")
    [record] = list(iati.read([path], ReadOptions(source="iati")))
    assert isinstance(record, Record), record
    return record.project


def labels(project: Project) -> list[tuple[str, str]]:
    return [(label.vocabulary, label.code) for label in project.source_labels]


def budget(project: Project) -> Decimal | None:
    return project.budget.amount if project.budget else None


RULES: list[tuple[str, str, Any, Any]] = [
    ("a_sector_in_an_sdg_vocabulary_is_a_source_label_not_a_sector",
     '<sector vocabulary="7" code="13"/><sector vocabulary="8" code="13.2"/>',
     lambda p: (labels(p), p.sectors), ([("sdg-goal", "13"), ("sdg-target", "13.2")], [])),
    ("dac_sector_codes_stay_bare_and_other_vocabularies_are_prefixed",
     '<sector code="23210"/><sector vocabulary="2" code="232"/><sector vocabulary="99" code="X1"/>',
     lambda p: p.sectors, ["23210", "232", "99:X1"]),
    ("a_tag_outside_the_sdg_vocabularies_is_a_topic",
     '<tag vocabulary="2" code="7"/><tag vocabulary="99" code="hydrogen"/>',
     lambda p: (labels(p), p.topics), ([("sdg-goal", "7")], ["99:hydrogen"])),
    ("a_region_outside_the_dac_vocabulary_is_prefixed",
     '<recipient-region code="298"/><recipient-region vocabulary="99" code="A1"/>',
     lambda p: p.regions, ["298", "99:A1"]),
    ("recipient_countries_are_upper_cased_and_kept_once",
     '<recipient-country code="ke"/><recipient-country code="KE"/><recipient-country code="TZ"/>',
     lambda p: p.countries, ["KE", "TZ"]),
    ("only_a_significant_dac_policy_marker_is_a_label",
     '<policy-marker code="6" significance="1"/><policy-marker code="2" significance="0"/>'
     '<policy-marker vocabulary="99" code="3" significance="1"/>',
     labels, [("dac-policy-marker", "6")]),
    ("a_revised_budget_replaces_the_original_for_the_same_period",
     '<budget type="1"><period-start iso-date="2020-01-01"/><value>100</value></budget>'
     '<budget type="2"><period-start iso-date="2020-01-01"/><value>150</value></budget>'
     '<budget type="1"><period-start iso-date="2021-01-01"/><value>10</value></budget>',
     budget, Decimal(160)),
    ("the_one_commitment_is_the_budget_where_the_activity_has_none",
     '<transaction><transaction-type code="2"/><value>1000</value></transaction>'
     '<transaction><transaction-type code="3"/><value>400</value></transaction>',
     budget, Decimal(1000)),
    ("a_finance_type_in_the_400s_is_a_loan", '<default-finance-type code="410"/>',
     lambda p: p.instrument, InstrumentType.LOAN),
    ("a_finance_type_in_the_500s_is_equity", '<default-finance-type code="510"/>',
     lambda p: p.instrument, InstrumentType.EQUITY),
    ("descriptions_are_joined_in_type_order",
     '<description type="2"><narrative>Objectives</narrative></description>'
     '<description><narrative>General</narrative></description>',
     lambda p: p.abstract, "General\n\nObjectives"),
    ("an_actual_end_before_the_start_gives_way_to_the_planned_end",
     '<activity-date type="2" iso-date="2022-01-01"/><activity-date type="3" iso-date="2024-12-31"/>'
     '<activity-date type="4" iso-date="2021-06-30"/>',
     lambda p: str(p.end), "2024-12-31"),
]  # fmt: skip


@pytest.mark.parametrize(("children", "field", "expected"), [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_each_element_rule_gives_its_project_field(
    tmp_path: Path, children: str, field: Any, expected: Any
) -> None:
    assert field(read_project(tmp_path, children)) == expected


def test_every_handled_element_has_a_handler_and_unknown_elements_are_ignored(tmp_path: Path) -> None:
    assert set(iati.CODE_ELEMENTS) <= set(iati.ELEMENT_HANDLERS)
    project = read_project(tmp_path, '<capital-spend percentage="10"/><default-aid-type code="C01"/>')
    assert project.raw["default-aid-type"] == "C01"
    assert "capital-spend" not in project.raw
