"""Importing indicator observations: long and wide files, units, duplicates, revisions, bad files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from missionboard.errors import InputError
from missionboard.monitoring import import_indicators, list_indicators, show_indicator
from missionboard.monitoring.indicators import load_series, sparkline
from missionboard.store.tables import ObservationRow
from missionboard.store.workspace import Workspace

Write = Callable[[str, str], Path]


def test_a_long_file_creates_the_indicator_from_its_mission_objective(
    workspace: Workspace, add_mission: Callable[..., object], write: Write
) -> None:
    add_mission(workspace)
    path = write(
        "co2.csv", "indicator,year,value,geography,source\nco2,2016,98.5,SE,EEA\nco2,2017,97,SE,EEA\n"
    )
    summary = import_indicators(workspace, path, user="ana")
    assert (summary.format, summary.inserted, summary.indicators_created) == ("long", 2, ["co2"])
    [info] = list_indicators(workspace)
    assert (info.id, info.unit, info.observations, info.geographies) == ("co2", "Mt", 2, ["SE"])


def test_a_wide_statistical_office_file_is_read_year_per_column(workspace: Workspace, write: Write) -> None:
    path = write(
        "wide.csv",
        "Country Code,Indicator Name,Indicator Code,Unit,2015,2016,2017 [YR2017],2018\n"
        "SWE,Renewable share,EG_FEC_RNEW,%,50.1,51.2,..,53\n",
    )
    summary = import_indicators(workspace, path, user="ana")
    assert (summary.format, summary.inserted, summary.indicators) == ("wide", 3, ["eg_fec_rnew"])
    detail = show_indicator(workspace, "EG_FEC_RNEW")
    assert [v.year for v in detail.series.values] == [2015, 2016, 2018]
    assert detail.series.geography == "SWE"
    assert detail.info.name == "Renewable share"


def test_an_xlsx_file_reads_like_a_csv(workspace: Workspace, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["indicator", "date", "value", "unit"])
    sheet.append(["jobs", dt.datetime(2024, 3, 31), 120, "number"])
    sheet.append(["jobs", dt.datetime(2024, 6, 30), 150, "number"])
    path = tmp_path / "jobs.xlsx"
    book.save(path)
    assert import_indicators(workspace, path, user="ana").inserted == 2
    with workspace.reading() as session:
        series = load_series(session, "jobs")
    assert [(v.year, v.date, v.value) for v in series.values] == [(2024, dt.date(2024, 6, 30), 150.0)]


def test_a_unit_that_does_not_match_the_indicator_is_refused_with_file_line_and_field(
    workspace: Workspace, add_mission: Callable[..., object], write: Write
) -> None:
    add_mission(workspace)
    path = write("bad-unit.csv", "indicator,year,value,unit\nco2,2016,98500,kt\n")
    with pytest.raises(InputError) as caught:
        import_indicators(workspace, path, user="ana")
    assert str(caught.value).startswith("bad-unit.csv:2: unit:")
    assert "(Mt)" in str(caught.value)


def test_percent_spellings_are_the_same_unit(
    workspace: Workspace, add_mission: Callable[..., object], write: Write
) -> None:
    add_mission(workspace)
    path = write("share.csv", "indicator,year,value,unit\nrenewable-share,2016,21,percent\n")
    assert import_indicators(workspace, path, user="ana").inserted == 1


def test_an_unknown_indicator_without_a_unit_is_refused(workspace: Workspace, write: Write) -> None:
    with pytest.raises(InputError, match=r"mystery.csv:2: indicator: unknown indicator 'nope'"):
        import_indicators(workspace, write("mystery.csv", "indicator,year,value\nnope,2020,1\n"), user="ana")


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("indicator,year,value,unit\nx,20x6,1,t\n", "bad.csv:2: year: '20x6' is not a year"),
        ("indicator,year,value,unit\nx,2016,lots,t\n", "bad.csv:2: value: 'lots' is not a number"),
        ("indicator,date,value,unit\nx,31/12/2016,1,t\n", "bad.csv:2: date: '31/12/2016' is not a date"),
        (
            "indicator,year,date,value,unit\nx,2016,2017-01-01,1,t\n",
            "bad.csv:2: date: 2017-01-01 is not in year 2016",
        ),
        ("indicator,value\nx,1\n", "bad.csv:1: year: a long file needs a 'year' or 'date' column"),
        ("region,count\nx,1\n", "bad.csv:1: indicator: no 'indicator' column"),
        (
            "indicator,year,value,unit\nx,2016,1,t\nx,2016,2,t\n",
            "bad.csv:3: value: 2 contradicts 1 on line 2",
        ),
    ],
)
def test_bad_files_are_refused_whole_with_the_line_and_field(
    workspace: Workspace, write: Write, text: str, where: str
) -> None:
    with pytest.raises(InputError) as caught:
        import_indicators(workspace, write("bad.csv", text), user="ana")
    assert where in str(caught.value)
    assert list_indicators(workspace) == []


def test_a_file_that_is_not_utf8_is_refused_clearly(workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("indicator,year,value,unit,note\nx,2016,1,t,caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"latin1.csv:2: not UTF-8"):
        import_indicators(workspace, path, user="ana")


def test_identical_rows_collapse_and_reimporting_changes_nothing(workspace: Workspace, write: Write) -> None:
    path = write("dup.csv", "indicator,year,value,unit\nx,2016,1,t\nx,2016,1,t\nx,2017,2,t\n")
    first = import_indicators(workspace, path, user="ana")
    again = import_indicators(workspace, path, user="ana")
    assert (first.inserted, first.duplicates) == (2, 1)
    assert (again.inserted, again.revised, again.unchanged) == (0, 0, 2)


def test_a_changed_value_is_a_new_revision_and_the_old_one_is_kept(
    workspace: Workspace, write: Write
) -> None:
    import_indicators(
        workspace, write("v1.csv", "indicator,year,value,unit\nx,2016,1.0,t\nx,2017,2.0,t\n"), user="ana"
    )
    summary = import_indicators(
        workspace, write("v2.csv", "indicator,year,value,unit\nx,2016,1.5,t\n"), user="ana"
    )
    assert (summary.inserted, summary.revised) == (0, 1)
    with workspace.reading() as session:
        stored = session.execute(
            select(ObservationRow.value, ObservationRow.revision)
            .where(ObservationRow.year == 2016)
            .order_by(ObservationRow.revision)
        ).all()
        series = load_series(session, "x")
    assert [tuple(r) for r in stored] == [(1.0, 1), (1.5, 2)]
    assert (series.values[0].value, series.values[0].revisions) == (1.5, 2)


def test_the_same_period_from_two_sources_is_kept_and_the_indicators_own_source_wins(
    workspace: Workspace, add_mission: Callable[..., object], write: Write
) -> None:
    add_mission(workspace)
    path = write("two.csv", "indicator,year,value,unit\nx,2016,1,t\n")
    import_indicators(workspace, path, user="ana")
    import_indicators(
        workspace, write("src.csv", "indicator,year,value,source\nx,2016,5,NSO\nx,2016,7,Other\n"), user="ana"
    )
    with workspace.reading() as session:
        assert load_series(session, "x", preferred_source="NSO").values[0].value == 5
        assert load_series(session, "x", preferred_source="").values[0].value == 1


def test_as_of_uses_only_periods_ended_and_revisions_published_by_then(
    workspace: Workspace, write: Write
) -> None:
    path = write(
        "vintages.csv",
        "indicator,year,value,unit,published\n"
        "x,2019,10,t,2020-03-01\n"
        "x,2019,12,t,2021-03-01\n"
        "x,2020,11,t,2021-03-01\n"
        "x,2021,13,t,\n",
    )
    summary = import_indicators(workspace, path, user="ana")
    assert (summary.inserted, summary.revised) == (3, 1)
    with workspace.reading() as session:
        then = load_series(session, "x", as_of=dt.date(2020, 12, 31))
        later = load_series(session, "x", as_of=dt.date(2021, 6, 30))
        now = load_series(session, "x")
    assert [(v.year, v.value) for v in then.values] == [(2019, 10.0), (2020, 11.0)]
    assert [(v.year, v.value) for v in later.values] == [(2019, 12.0), (2020, 11.0)]
    assert [(v.year, v.value) for v in now.values] == [(2019, 12.0), (2020, 11.0), (2021, 13.0)]


def test_show_names_an_unknown_indicator(workspace: Workspace) -> None:
    from missionboard.errors import NotFound

    with pytest.raises(NotFound, match="no indicator 'ghost'"):
        show_indicator(workspace, "ghost")


def test_sparkline_spans_the_range() -> None:
    assert sparkline([0, 5, 10]) == "▁▅█"
    assert sparkline([3, 3]) == "▄▄"
    assert sparkline([]) == ""


def test_a_real_un_sdg_series_imports_in_long_format(
    sqlite_workspace: Workspace, shared_data: Path, tmp_path: Path
) -> None:
    source = shared_data / "indicators" / "ddf--datapoints--en_atm_co2--by--geo_area--nature--units--year.csv"
    lines = source.read_text(encoding="utf-8").splitlines()
    converted = ["indicator,geography,unit,year,value"]
    for line in lines[1:]:
        geo, _nature, units, year, value = line.split(",")
        converted.append(f"en_atm_co2,{geo},{units},{year},{value}")
    path = tmp_path / "en_atm_co2.csv"
    path.write_text("\n".join(converted) + "\n", encoding="utf-8")
    summary = import_indicators(sqlite_workspace, path, user="ana")
    assert summary.inserted == len(lines) - 1 == 3367
    detail = show_indicator(sqlite_workspace, "en_atm_co2", geography="752")  # Sweden
    assert [v.year for v in detail.series.values][:2] == [2000, 2001]
    assert detail.info.unit == "tonnes_m"


def test_the_un_sdg_ddf_datapoints_file_imports_as_it_is(
    sqlite_workspace: Workspace, shared_data: Path
) -> None:
    path = shared_data / "indicators" / "ddf--datapoints--eg_fec_rnew--by--geo_area--nature--units--year.csv"
    summary = import_indicators(sqlite_workspace, path, user="ana")
    assert (summary.format, summary.indicators, summary.inserted) == ("long", ["eg_fec_rnew"], 4862)
    world = show_indicator(sqlite_workspace, "eg_fec_rnew", geography="1")
    assert (world.series.values[0].year, world.series.values[0].value) == (2000, 17.21)
    assert world.info.unit == "percent"


def test_an_empty_xlsx_file_is_refused_with_its_name(workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    with pytest.raises(InputError, match=r"^empty.xlsx: not an XLSX workbook"):
        import_indicators(workspace, path, user="ana")
