"""Co-funding by source, funding conditions, disciplines and the gender dimension: what each reader
keeps (CSV/XLSX columns or mapping, IATI, CORDIS), how it is stored (typed columns and child tables a
query can group by) and re-imported, and how bad values are refused."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from ingest_helpers import snapshot, write_csv
from sqlalchemy import func, select

from missionboard.domain.portfolio import (
    CoFundingSource,
    ConditionKind,
    GenderMarker,
    LeadGender,
    Project,
    ScienceArea,
    science_area,
)
from missionboard.errors import InputError
from missionboard.ingest import iati
from missionboard.ingest.base import ReadOptions, Record
from missionboard.services.demo import portfolio as demo
from missionboard.services.ingest import ingest_files
from missionboard.store import tables as t
from missionboard.store.portfolio import FundingDetail, content_hash, funding_detail
from missionboard.store.workspace import Workspace

HEADER = ["id", "title", "currency", "co_funding", "cofunding_sources", "cofunding_in_kind", "conditions",
          "discipline", "gender_marker", "lead_gender"]  # fmt: skip
ROWS = [
    ["A-1", "Fjord ferries", "NOK", "", "private 100000 (Fjord AS); eu 50000 (Horizon Europe)", "20000",
     "repayable 50%: repaid from sales; access: open licence", "5.2; 2.1", "1", "F"],
    ["A-2", "Meal habits", "NOK", "999", "philanthropic (Food Foundation)", "", "", "/humanities/arts",
     "principal", "male"],
    ["A-3", "Nothing new", "NOK", "10", "", "", "", "", "", ""],
]  # fmt: skip


def detail(workspace: Workspace, source_id: str, source: str = "csv") -> FundingDetail:
    with workspace.reading() as session:
        found = funding_detail(session, source, source_id)
    assert found is not None
    return found


def import_rows(workspace: Workspace, folder: Path, rows: list[list[str]], **options: Any) -> Any:
    path = write_csv(folder / "projects.csv", HEADER, rows)
    return ingest_files(workspace, "csv", [path], source="csv", **options)


# --- CSV and XLSX ---------------------------------------------------------------------------------


def test_csv_columns_give_cofunding_sources_conditions_disciplines_and_gender(
    workspace: Workspace, tmp_path: Path
) -> None:
    import_rows(workspace, tmp_path, ROWS)
    first = detail(workspace, "A-1")
    assert [(s.source_type, s.funder) for s in first.cofunding_sources] == [
        (CoFundingSource.PRIVATE, "Fjord AS"),
        (CoFundingSource.EU, "Horizon Europe"),
        (CoFundingSource.IN_KIND, None),
    ]
    assert [s.amount.amount for s in first.cofunding_sources if s.amount] == [100000, 50000, 20000]
    assert [(c.kind, c.share, c.description) for c in first.conditions] == [
        (ConditionKind.REPAYABLE, 0.5, "repaid from sales"),
        (ConditionKind.ACCESS, None, "open licence"),
    ]
    assert first.discipline == "5.2 Economics and business"
    assert first.disciplines == ["5.2 Economics and business", "2.1 Civil engineering"]
    assert (first.gender_marker, first.lead_gender) == ("significant", "female")
    second = detail(workspace, "A-2")
    assert (second.gender_marker, second.lead_gender) == ("principal", "male")
    assert [(s.source_type, s.amount) for s in second.cofunding_sources] == [
        (CoFundingSource.PHILANTHROPIC, None)
    ]


def test_the_cofunding_total_is_the_sources_sum_only_where_the_file_gives_none(
    workspace: Workspace, tmp_path: Path
) -> None:
    import_rows(workspace, tmp_path, ROWS)
    with workspace.reading() as session:
        totals = dict(session.execute(select(t.ProjectRow.source_id, t.ProjectRow.cofunding_amount)).all())
    assert totals == {"A-1": Decimal("170000"), "A-2": Decimal("999"), "A-3": Decimal("10")}


def test_the_detail_is_stored_in_columns_and_child_tables_a_query_can_group(
    workspace: Workspace, tmp_path: Path
) -> None:
    import_rows(workspace, tmp_path, ROWS)
    with workspace.reading() as session:
        by_type = dict(
            session.execute(
                select(t.ProjectCoFundingRow.source_type, func.sum(t.ProjectCoFundingRow.amount)).group_by(
                    t.ProjectCoFundingRow.source_type
                )
            ).all()
        )
        areas = session.execute(
            select(t.ProjectDisciplineRow.area).order_by(t.ProjectDisciplineRow.project_id, "position")
        ).scalars()
        kinds = session.execute(select(t.ProjectConditionRow.kind).order_by("position")).scalars()
        leads = session.execute(select(t.ProjectRow.lead_gender).order_by(t.ProjectRow.source_id)).scalars()
        assert by_type["private"] == Decimal("100000")
        assert by_type["in_kind"] == Decimal("20000")
        assert by_type["philanthropic"] is None
        assert list(areas) == ["social_sciences", "engineering_technology", "humanities"]
        assert list(kinds) == ["repayable", "access"]
        assert list(leads) == ["female", "male", None]


def test_a_mapping_file_names_the_detail_columns(workspace: Workspace, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "export.csv",
        ["Ref", "Name", "Valuta", "Privat medfinansiering", "Fag", "Kjønn prosjektleder", "Vilkår"],
        [["N-1", "Kitchens", "NOK", "5000", "Sosiologi", "Kvinne", "Royalty 3%"]],
    )
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "columns:\n  id: Ref\n  title: Name\n  currency: Valuta\n  cofunding_private: Privat medfinansiering\n"
        "  discipline: Fag\n  lead_gender: Kjønn prosjektleder\n  conditions: Vilkår\n"
        "values:\n  discipline:\n    Sosiologi: '5.4'\n",
        encoding="utf-8",
    )
    ingest_files(workspace, "csv", [path], mapping=mapping, source="csv")
    found = detail(workspace, "N-1")
    assert found.discipline == "5.4 Sociology"
    assert found.lead_gender == "female"
    assert [(c.kind, c.share) for c in found.conditions] == [(ConditionKind.ROYALTIES, 0.03)]
    assert [(s.source_type, s.amount.amount if s.amount else None) for s in found.cofunding_sources] == [
        (CoFundingSource.PRIVATE, Decimal("5000"))
    ]


def test_an_xlsx_export_gives_the_same_detail_as_csv(workspace: Workspace, tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append(row)
    path = tmp_path / "projects.xlsx"
    book.save(path)
    ingest_files(workspace, "xlsx", [path], source="xlsx")
    import_rows(workspace, tmp_path, ROWS)
    for source_id in ("A-1", "A-2", "A-3"):
        assert detail(workspace, source_id, "xlsx") == detail(workspace, source_id, "csv")


BAD_VALUES = [
    ("cofunding_sources", "aliens 5", "unknown co-funding source 'aliens'"),
    ("cofunding_sources", "private 12x (Firm)", "not a co-funding source"),
    ("cofunding_in_kind", "lots", "not a number: 'lots'"),
    ("conditions", "bartering", "unknown condition 'bartering'"),
    ("conditions", "royalties 150%", "must be a share between 0 and 1"),
    ("gender_marker", "3", "unknown gender marker '3'"),
    ("lead_gender", "zz", "unknown gender 'zz'"),
    ("discipline", "9.9 Other sciences", "unknown OECD Fields of Science code '9.9'"),
    ("discipline", "5.2; 7", "unknown OECD Fields of Science code '7'"),
]


@pytest.mark.parametrize(("column", "value", "message"), BAD_VALUES)
def test_a_bad_detail_value_is_refused_naming_file_row_and_column_and_nothing_is_written(
    sqlite_workspace: Workspace, tmp_path: Path, column: str, value: str, message: str
) -> None:
    rows = [list(row) for row in ROWS]
    rows[1][HEADER.index(column)] = value
    before = snapshot(sqlite_workspace)
    with pytest.raises(InputError) as caught:
        import_rows(sqlite_workspace, tmp_path, rows)
    assert snapshot(sqlite_workspace) == before
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.field) == ("projects.csv", 3, column)
    assert message in problem.message


def test_a_cofunding_amount_without_a_currency_is_refused(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    rows = [["A-9", "No currency", "", "", "private 100", "", "", "", "", ""]]
    with pytest.raises(InputError) as caught:
        import_rows(sqlite_workspace, tmp_path, rows)
    [problem] = caught.value.problems
    assert (problem.field, problem.line) == ("cofunding_sources", 2)
    assert "has no currency" in problem.message


# --- re-imports ------------------------------------------------------------------------------------


def test_a_record_without_detail_hashes_as_before_the_detail_existed() -> None:
    values = {"title": "x", "discipline": None, "gender_marker": None, "lead_gender": None,
              "cofunding_sources": [], "conditions": [], "disciplines": []}  # fmt: skip
    plain = {"title": "x"}
    from missionboard.store.portfolio import COMPARED

    for name in COMPARED:
        values.setdefault(name, None)
        plain.setdefault(name, None)
    assert content_hash(values, []) == content_hash(plain, [])
    assert content_hash({**values, "lead_gender": "female"}, []) != content_hash(plain, [])


def test_reimporting_the_same_detail_changes_nothing_and_a_change_is_audited(
    workspace: Workspace, tmp_path: Path
) -> None:
    import_rows(workspace, tmp_path, ROWS)
    again = import_rows(workspace, tmp_path, ROWS)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    rows = [list(row) for row in ROWS]
    rows[0][HEADER.index("cofunding_sources")] = "private 120000 (Fjord AS)"
    rows[0][HEADER.index("lead_gender")] = "male"
    rows[2][HEADER.index("discipline")] = "6.3"
    changed = import_rows(workspace, tmp_path, rows)
    assert (changed.updated, changed.unchanged) == (2, 1)
    first = detail(workspace, "A-1")
    assert [(s.source_type, s.funder) for s in first.cofunding_sources] == [
        (CoFundingSource.PRIVATE, "Fjord AS"),
        (CoFundingSource.IN_KIND, None),
    ]
    assert first.lead_gender == "male"
    assert len(first.conditions) == 2  # unchanged child rows stay
    assert detail(workspace, "A-3").disciplines == ["6.3 Philosophy, ethics and religion"]
    with workspace.reading() as session:
        before, after = session.execute(
            select(t.AuditEventRow.before, t.AuditEventRow.after).where(
                t.AuditEventRow.action == "project.update", t.AuditEventRow.entity_id == "csv:A-1"
            )
        ).one()
    assert (before["lead_gender"], after["lead_gender"]) == ("female", "male")
    assert [s["funder"] for s in after["cofunding_sources"]] == ["Fjord AS", None]
    assert "conditions" not in after


def test_removing_the_detail_from_a_record_removes_its_rows(workspace: Workspace, tmp_path: Path) -> None:
    import_rows(workspace, tmp_path, ROWS)
    bare = [[*row[:4], "", "", "", "", "", ""] for row in ROWS]
    import_rows(workspace, tmp_path, bare)
    with workspace.reading() as session:
        for table in (t.ProjectCoFundingRow, t.ProjectConditionRow, t.ProjectDisciplineRow):
            assert session.scalar(select(func.count()).select_from(table)) == 0
    assert detail(workspace, "A-1").discipline is None


# --- IATI ------------------------------------------------------------------------------------------

ACTIVITY = """<?xml version="1.0" encoding="UTF-8"?>
<iati-activities version="2.03">
 <iati-activity default-currency="USD">
  <iati-identifier>XM-DEMO-1</iati-identifier>
  <reporting-org ref="XM-DEMO" type="10"><narrative>Demo Agency</narrative></reporting-org>
  <title><narrative>Drought-resilient seed systems</narrative></title>
  {children}
 </iati-activity>
</iati-activities>
"""


def read_activity(tmp_path: Path, children: str) -> Project:
    path = tmp_path / "activity.xml"
    path.write_text(ACTIVITY.format(children=children), encoding="utf-8")
    [record] = list(iati.read([path], ReadOptions(source="iati")))
    assert isinstance(record, Record), record
    return record.project


def incoming(value: int, ref: str, org_type: str, name: str, code: str = "1") -> str:
    return (
        f'<transaction><transaction-type code="{code}"/><value>{value}</value>'
        f'<provider-org ref="{ref}" type="{org_type}"><narrative>{name}</narrative></provider-org></transaction>'
    )


def commitment(value: int, finance: str = "") -> str:
    kind = f'<finance-type code="{finance}"/>' if finance else ""
    return f'<transaction><transaction-type code="2"/><value>{value}</value>{kind}</transaction>'


def sources(project: Project) -> list[tuple[CoFundingSource, str | None, Decimal | None]]:
    return [
        (s.source_type, s.funder, s.amount.amount if s.amount else None) for s in project.cofunding_sources
    ]


IATI_RULES: list[tuple[str, str, Any, Any]] = [
    ("other_funding_organisations_are_cofunders_but_not_the_funder",
     '<participating-org ref="XM-DEMO" role="1" type="10"><narrative>Demo Agency</narrative></participating-org>'
     '<participating-org ref="GB-CHC-1" role="1" type="60"><narrative>Seed Trust</narrative></participating-org>',
     sources, [(CoFundingSource.PHILANTHROPIC, "Seed Trust", None)]),
    ("incoming_funds_give_the_providers_and_their_amounts",
     incoming(300, "GB-COH-9", "70", "Agri Ltd") + incoming(200, "GB-COH-9", "70", "Agri Ltd")
     + incoming(50, "XI-IATI-EC_INTPA", "40", "European Commission") + incoming(999, "XM-DEMO", "10", "Demo Agency"),
     sources, [(CoFundingSource.PRIVATE, "Agri Ltd", Decimal(500)),
               (CoFundingSource.EU, "European Commission", Decimal(50))]),
    ("incoming_commitments_count_where_no_incoming_funds_are_reported",
     incoming(70, "NL-KVK-1", "22", "Dutch NGO", code="11"),
     sources, [(CoFundingSource.PHILANTHROPIC, "Dutch NGO", Decimal(70))]),
    ("an_organisation_type_without_a_kind_of_money_is_unknown",
     '<participating-org role="1" type="80"><narrative>Some University</narrative></participating-org>'
     '<participating-org role="1" type="15"><narrative>Water Board</narrative></participating-org>',
     sources, [(CoFundingSource.OTHER_PUBLIC, "Water Board", None)]),
    ("commitments_give_conditions_by_finance_type_with_their_shares",
     '<default-finance-type code="110"/>' + commitment(600) + commitment(300, "421") + commitment(100, "510"),
     lambda p: [(c.kind, c.share) for c in p.conditions],
     [(ConditionKind.GRANT, 0.6), (ConditionKind.LOAN, 0.3), (ConditionKind.EQUITY, 0.1)]),
    ("a_default_finance_type_alone_gives_a_condition_without_a_share",
     '<default-finance-type code="422"/>',
     lambda p: [(c.kind, c.share, c.description) for c in p.conditions],
     [(ConditionKind.REPAYABLE, None, "IATI finance type 422")]),
    ("the_gender_equality_marker_gives_the_gender_dimension",
     '<policy-marker vocabulary="1" code="1" significance="2"/><policy-marker vocabulary="1" code="6" significance="1"/>',
     lambda p: p.gender_marker, GenderMarker.PRINCIPAL),
    ("a_gender_marker_of_another_vocabulary_is_not_the_dac_marker",
     '<policy-marker vocabulary="99" code="1" significance="2"/>',
     lambda p: p.gender_marker, None),
    ("an_activity_without_these_elements_has_no_detail",
     "",
     lambda p: (p.cofunding_sources, p.conditions, p.gender_marker), ([], [], None)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("children", "reading", "expected"), [r[1:] for r in IATI_RULES], ids=[r[0] for r in IATI_RULES]
)
def test_iati_elements_give_cofunding_conditions_and_gender(
    tmp_path: Path, children: str, reading: Any, expected: Any
) -> None:
    # the first unknown-type funding organisation of the fourth rule is the project's funder
    assert reading(read_activity(tmp_path, children)) == expected


def test_iati_detail_leaves_the_raw_record_and_the_cofunding_total_as_they_were(tmp_path: Path) -> None:
    project = read_activity(tmp_path, incoming(300, "GB-COH-9", "70", "Agri Ltd"))
    assert project.co_funding is None
    assert project.raw["transactions"] == [
        {"type": "incoming_funds", "date": None, "value": "300", "currency": "USD", "value_date": None,
         "provider": "Agri Ltd", "receiver": None}
    ]  # fmt: skip


def test_real_iati_files_give_finance_conditions_and_gender_markers(shared_data: Path) -> None:
    def projects(name: str) -> list[Project]:
        records = iati.read([shared_data / "iati" / name], ReadOptions(source="iati"))
        return [r.project for r in records if isinstance(r, Record)]

    caf = projects("caf-activities-2025-10-10.xml")
    kinds = [c.kind for p in caf for c in p.conditions]  # finance types 421, 510 and 1100 (guarantees)
    assert (kinds.count(ConditionKind.LOAN), kinds.count(ConditionKind.EQUITY)) == (440, 33)
    assert kinds.count(ConditionKind.OTHER) == 5
    [world_bank] = projects("single/worldbank-activity.xml")
    assert [c.kind for c in world_bank.conditions] == [ConditionKind.LOAN]
    [canada] = projects("single/canada-activity.xml")
    assert canada.gender_marker == GenderMarker.SIGNIFICANT
    [eu] = projects("single/ec-intpa-activity.xml")
    assert eu.gender_marker == GenderMarker.NOT_TARGETED
    [example] = projects("iati-standard-example-2.03-annotated.xml")
    assert example.cofunding_sources == []  # its incoming funds come from its own funder


# --- CORDIS ----------------------------------------------------------------------------------------


def test_cordis_gives_the_eu_contribution_own_contributions_and_eurovoc_disciplines(
    workspace: Workspace, shared_data: Path
) -> None:
    folder = shared_data / "cordis"
    ingest_files(workspace, "cordis", sorted(folder.glob("*.csv")), source="cordis")
    with_participants = detail(workspace, "101172406", "cordis")
    assert [
        (s.source_type, s.amount.amount if s.amount else None) for s in with_participants.cofunding_sources
    ] == [
        (CoFundingSource.EU, Decimal("300000")),
        (CoFundingSource.OTHER_PUBLIC, Decimal("308440")),
    ]
    synergy = detail(workspace, "101163161", "cordis")
    assert synergy.discipline == synergy.disciplines[0]
    assert "/social sciences/law" in synergy.disciplines
    with workspace.reading() as session:
        co_funding = session.scalar(select(func.count()).where(t.ProjectRow.cofunding_amount.is_not(None)))
        ssh = session.scalar(
            select(func.count(func.distinct(t.ProjectDisciplineRow.project_id))).where(
                t.ProjectDisciplineRow.area.in_(["social_sciences", "humanities"])
            )
        )
        eu = session.scalar(
            select(func.count())
            .select_from(t.ProjectCoFundingRow)
            .where(t.ProjectCoFundingRow.source_type == "eu")
        )
    assert co_funding == 0  # the total stays what CORDIS gives: none
    assert ssh >= 1
    assert eu == 100


# --- disciplines -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("discipline", "area"),
    [
        ("5.2 Economics and business", ScienceArea.SOCIAL_SCIENCES),
        ("6", ScienceArea.HUMANITIES),
        ("2.10 Nano-technology", ScienceArea.ENGINEERING_TECHNOLOGY),
        ("/medical and health sciences/health sciences/public health", ScienceArea.MEDICAL_HEALTH),
        ("/agricultural sciences/agriculture", ScienceArea.AGRICULTURAL),
        ("Natural sciences", ScienceArea.NATURAL_SCIENCES),
        ("Underwater basket weaving", None),
        ("9.1 Unknown", None),
    ],
)
def test_a_discipline_has_its_oecd_area(discipline: str, area: ScienceArea | None) -> None:
    assert science_area(discipline) == area


def test_the_main_discipline_comes_first_among_the_disciplines() -> None:
    project = Project(source="s", source_id="1", title="t", discipline="5.4", disciplines=["6.3", "5.4"])
    assert project.disciplines == ["5.4", "6.3"]
    listed = Project(source="s", source_id="1", title="t", disciplines=["6.3"], lead_gender=LeadGender.OTHER)
    assert listed.discipline == "6.3"


# --- the demo ----------------------------------------------------------------------------------------


def test_the_demo_exports_carry_the_detail_plausibly(tmp_path: Path) -> None:
    from missionboard.ingest import generic

    national, development, _ = demo.generate_projects()
    projects_csv, partners_csv = demo.write_csv_portfolio(national, tmp_path)
    records = [
        r
        for r in generic.read([projects_csv], ReadOptions(source="demo", partners=partners_csv))
        if hasattr(r, "values")
    ]
    assert len(records) == len(national)
    with_sources = [r.values for r in records if r.values["cofunding_sources"]]
    for values in with_sources:  # the sources split the co-funding total the export gives
        assert sum(s.amount.amount for s in values["cofunding_sources"]) == values["cofunding_amount"]
    kinds = {s.source_type for v in with_sources for s in v["cofunding_sources"]}
    assert kinds == {
        CoFundingSource.PRIVATE,
        CoFundingSource.OTHER_PUBLIC,
        CoFundingSource.IN_KIND,
        CoFundingSource.EU,
    }
    areas = [science_area(d) for r in records for d in r.values["disciplines"]]
    assert 0.1 < sum(1 for a in areas if a and a.is_ssh) / len(areas) < 0.5
    leads = [r.values["lead_gender"] for r in records]
    assert 0.3 < leads.count("female") / len(leads) < 0.5
    assert {c.kind for r in records for c in r.values["conditions"]} >= {
        ConditionKind.ROYALTIES, ConditionKind.ACCESS, ConditionKind.LOAN, ConditionKind.EQUITY, ConditionKind.PRICING
    }  # fmt: skip
    activities = [
        r.project
        for r in iati.read([demo.write_iati(development, tmp_path / "a.xml")], ReadOptions(source="iati"))
        if isinstance(r, Record)
    ]
    assert {p.gender_marker for p in activities} == set(GenderMarker)
    assert {s.source_type for p in activities for s in p.cofunding_sources} >= {
        CoFundingSource.EU, CoFundingSource.PHILANTHROPIC, CoFundingSource.PRIVATE, CoFundingSource.OTHER_PUBLIC
    }  # fmt: skip
    assert all(p.co_funding is None for p in activities)  # the IATI total stays unset, as before
