"""The ``ingest`` and ``rates`` commands, and conversion to a reporting currency."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from ingest_helpers import PROJECT_HEADER, portfolio_files, with_field, write_csv

from missionboard.ingest.rates import RateTable
from missionboard.services.ingest import rate_table
from missionboard.store.workspace import Workspace

REPORT_KEYS = {"format", "files", "read", "inserted", "updated", "unchanged", "rejected", "errors", "seconds"}


def test_ingest_json_prints_one_import_run_object(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    projects, partners = portfolio_files(tmp_path)
    result = cli(
        "--user", "ana", "ingest", "csv", str(projects), "--partners", str(partners), "--format", "json"
    )
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) >= REPORT_KEYS
    assert (report["format"], report["read"], report["inserted"], report["user"]) == ("csv", 3, 3, "ana")
    assert [f["name"] for f in report["files"]] == ["projects.csv", "partners.csv"]
    again = json.loads(
        cli("ingest", "csv", str(projects), "--partners", str(partners), "--format", "json").stdout
    )
    assert (again["inserted"], again["unchanged"]) == (0, 3)


def test_ingest_text_shows_a_summary_table_and_failures_exit_2_with_one_line(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    projects, partners = portfolio_files(tmp_path)
    result = cli("ingest", "csv", str(projects), "--partners", str(partners), "--dry-run")
    assert result.exit_code == 0
    assert "Dry run" in result.stdout and "inserted" in result.stdout
    bad = write_csv(tmp_path / "bad.csv", PROJECT_HEADER, with_field(0, "budget", "abc"))
    result = cli("ingest", "csv", str(bad))
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: bad.csv:2: budget: not a number: 'abc'"
    result = cli("ingest", "csv", str(bad), "--format", "json")
    report = json.loads(result.stdout)
    assert result.exit_code == 2 and report["failed"] is True
    assert report["errors"] == [
        {"file": "bad.csv", "line": 2, "field": "budget", "message": "not a number: 'abc'"}
    ]
    assert report["inserted"] == 0


def test_skip_with_rejects_and_the_runs_listing(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = write_csv(tmp_path / "bad.csv", PROJECT_HEADER, with_field(0, "budget", "abc"))
    rejects = tmp_path / "rejects.csv"
    result = cli(
        "ingest", "csv", str(bad), "--on-error", "skip", "--rejects", str(rejects), "--source", "agency"
    )
    assert result.exit_code == 0
    assert "1 rejected" in result.stdout and "bad.csv:2: budget: not a number" in result.stdout
    assert rejects.read_text(encoding="utf-8").splitlines()[0] == "file,line,field,message,record"
    runs = json.loads(cli("ingest", "runs", "--format", "json").stdout)
    assert len(runs) == 1 and (runs[0]["source"], runs[0]["inserted"], runs[0]["rejected"]) == (
        "agency",
        2,
        1,
    )
    assert "agency" in cli("ingest", "runs").stdout


def test_rates_import_list_and_conversion(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rates = tmp_path / "rates.csv"
    rates.write_text(
        "currency,reporting_currency,year,rate,source\nSEK,EUR,2023,0.087,ECB\nSEK,EUR,2024,0.088,ECB\n"
        "USD,EUR,2023,0.925,ECB\n",
        encoding="utf-8",
    )
    result = cli("rates", "import", str(rates), "--format", "json")
    assert json.loads(result.stdout) == {"read": 3, "inserted": 3, "updated": 0, "unchanged": 0}
    listed = json.loads(cli("rates", "list", "--format", "json").stdout)
    assert {(r["currency"], r["year"], r["rate"]) for r in listed} == {("SEK", 2023, 0.087), ("SEK", 2024, 0.088),
                                                                       ("USD", 2023, 0.925)}  # fmt: skip
    workspace = Workspace.open(f"sqlite:///{cli.workspace}")
    table = rate_table(workspace)
    workspace.close()
    assert table.convert(Decimal("1000000"), "SEK", "EUR", 2023) == Decimal("87000.00")
    assert table.convert(Decimal("1000000"), "SEK", "EUR", 2030) == Decimal("88000.00"), (
        "closest earlier year"
    )
    assert table.convert(Decimal("100"), "EUR", "EUR", 2023) == Decimal("100.00")
    assert table.convert(Decimal("87"), "EUR", "SEK", 2023) == Decimal("1000.00"), "reverse rate"
    assert table.convert(Decimal("1"), "GBP", "EUR", 2023) is None
    bad = tmp_path / "bad_rates.csv"
    bad.write_text(
        "currency,reporting_currency,year,rate\nSEK,EUR,2023,-1\nUSD,EUR,2023,0\n", encoding="utf-8"
    )
    result = cli("rates", "import", str(bad))
    assert result.exit_code == 2
    assert "bad_rates.csv:2: rate: must not be negative: '-1'" in result.stderr
    assert "bad_rates.csv:3: rate: the rate must be a number greater than 0" in result.stderr
    assert json.loads(cli("rates", "list", "--format", "json").stdout) == listed, (
        "nothing imported from a bad file"
    )


def test_rate_table_prefers_the_closest_earlier_year() -> None:
    from missionboard.store.portfolio import Rate

    table = RateTable.of([Rate("USD", "EUR", 2019, 0.9), Rate("USD", "EUR", 2022, 0.95)])
    assert table.rate("USD", "EUR", 2021) == 0.9
    assert table.rate("USD", "EUR", 2015) == 0.9
    assert table.rate("USD", "EUR", 2025) == 0.95
