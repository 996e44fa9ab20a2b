"""A finished analysis is read back only while nothing it was computed from has changed."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from analytics_portfolio import build_portfolio

from missionboard.analytics import analyze_portfolio as compute
from missionboard.analytics import result_cache
from missionboard.errors import InputError, NotFound
from missionboard.services.analytics import analyze_portfolio
from missionboard.store.tables import ExchangeRateRow, LinkRow
from missionboard.store.workspace import Workspace


@pytest.fixture
def sqlite_portfolio(sqlite_portfolio: Workspace) -> Workspace:
    """The hand-computed portfolio with its shared themes computed, and no stored analysis."""
    data = analyze_portfolio(sqlite_portfolio).to_dict()
    assert _status(data) == "stored"  # the themes were stored first: the analysis itself wrote nothing
    result_cache.remove(sqlite_portfolio)
    return sqlite_portfolio


def _without_meta(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key != "meta"}


def _status(data: dict[str, Any]) -> str:
    return str(data["meta"]["result_cache"]["status"])


def _stored(workspace: Workspace) -> list[Path]:
    root = result_cache.folder(workspace)
    assert root is not None
    return sorted(root.glob(f"{result_cache.PREFIX}*/*.json"))


@pytest.mark.parametrize(
    "scope",
    [{}, {"mission_id": "clean-air"}, {"mission_id": "clean-air", "threshold": 0.2, "since": 2022}],
)
def test_a_stored_analysis_is_the_computed_one(sqlite_portfolio: Workspace, scope: dict[str, Any]) -> None:
    first = analyze_portfolio(sqlite_portfolio, **scope).to_dict()
    again = analyze_portfolio(sqlite_portfolio, **scope).to_dict()
    assert _status(first) == "stored" and _status(again) == "read"
    assert again == json.loads(json.dumps(again))  # plain JSON, as the command prints it
    assert _without_meta(again) == _without_meta(first)
    assert _without_meta(again) == _without_meta(compute(sqlite_portfolio, **scope).to_dict())
    assert again["meta"]["load_method"] == first["meta"]["load_method"]


def test_other_arguments_are_other_analyses(sqlite_portfolio: Workspace) -> None:
    whole = analyze_portfolio(sqlite_portfolio).to_dict()
    mission = analyze_portfolio(sqlite_portfolio, "clean-air").to_dict()
    lower = analyze_portfolio(sqlite_portfolio, "clean-air", threshold=0.2).to_dict()
    assert [_status(d) for d in (whole, mission, lower)] == ["stored"] * 3
    assert len(_stored(sqlite_portfolio)) == 3
    assert _without_meta(lower) == _without_meta(
        compute(sqlite_portfolio, "clean-air", threshold=0.2).to_dict()
    )


def _write_link(workspace: Workspace) -> None:
    with workspace.transaction() as session:  # counted: Workspace.transaction bumps the write counter
        link = session.query(LinkRow).filter(LinkRow.taxonomy == "mission:clean-air").first()
        assert link is not None
        link.status = "rejected" if link.status != "rejected" else "accepted"


def _write_rate(workspace: Workspace) -> None:
    with workspace.transaction() as session:
        rates = session.query(ExchangeRateRow).all()
        assert rates
        for rate in rates:
            rate.rate = float(rate.rate) * 2


@pytest.mark.parametrize(("write", "mission"), [(_write_link, "clean-air"), (_write_rate, None)])
def test_any_counted_write_makes_the_next_analysis_compute_again(
    sqlite_portfolio: Workspace, write: Any, mission: str | None
) -> None:
    before = analyze_portfolio(sqlite_portfolio, mission).to_dict()
    write(sqlite_portfolio)
    after = analyze_portfolio(sqlite_portfolio, mission).to_dict()
    assert _status(after) == "stored"
    assert _without_meta(after) == _without_meta(compute(sqlite_portfolio, mission).to_dict())
    assert _without_meta(after) != _without_meta(before)
    assert len(_stored(sqlite_portfolio)) == 1  # the stale stamp's folder was removed


def test_the_first_analysis_after_new_projects_is_kept(sqlite_portfolio: Workspace) -> None:
    from missionboard.store.tables import ProjectRow

    analyze_portfolio(sqlite_portfolio)
    with sqlite_portfolio.transaction() as session:  # as an import adds projects: they need a theme
        session.add(ProjectRow(source="other", source_id="N", title="Solar", content_hash="n"))
    data = analyze_portfolio(sqlite_portfolio).to_dict()
    assert _status(data) == "stored" and data["projects"]["projects"]["value"] == 6
    assert data["meta"]["theme_set"] == "reused"  # its theme was stored before the analysis began
    assert _without_meta(data) == _without_meta(compute(sqlite_portfolio).to_dict())
    assert _status(analyze_portfolio(sqlite_portfolio).to_dict()) == "read"


@pytest.mark.parametrize(
    ("arguments", "error"),
    [({"mission_id": "nope"}, NotFound), ({"mission_id": "clean-air", "threshold": 2.0}, InputError)],
)
def test_bad_arguments_fail_before_anything_is_written(
    sqlite_workspace: Workspace, arguments: dict[str, Any], error: type[Exception]
) -> None:
    workspace = build_portfolio(sqlite_workspace)  # no shared themes yet: an analysis would store them
    before = workspace.changes()
    with pytest.raises(error):
        analyze_portfolio(workspace, **arguments)
    assert workspace.changes() == before


def test_rows_added_without_counting_still_make_it_compute_again(sqlite_portfolio: Workspace) -> None:
    before = analyze_portfolio(sqlite_portfolio).to_dict()
    assert before["budget"]["unconverted"]["rows"]  # P4's 50 USD: no rate yet
    database = str(sqlite_portfolio.engine.url.database)
    sqlite_portfolio.close()
    with sqlite3.connect(database) as raw:  # a writer that bypasses the workspace and its counters
        raw.execute(
            "INSERT INTO exchange_rates (currency, reporting_currency, year, rate) VALUES ('USD', 'EUR', 2022, 0.9)"
        )
    workspace = Workspace.open(f"sqlite:///{database}")
    try:
        data = analyze_portfolio(workspace).to_dict()
        assert _status(data) == "stored"
        assert data["budget"]["unconverted"]["rows"] == []
        assert _without_meta(data) == _without_meta(compute(workspace).to_dict())
    finally:
        workspace.close()


def test_an_analysis_during_which_the_workspace_changed_is_not_kept(
    sqlite_portfolio: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from missionboard.analytics import service

    real = service.analyze_portfolio

    def analysed_while_writing(workspace: Workspace, *args: Any, **kwargs: Any) -> Any:
        found = real(workspace, *args, **kwargs)
        _write_rate(workspace)  # another process writes meanwhile
        return found

    monkeypatch.setattr(service, "analyze_portfolio", analysed_while_writing)
    data = analyze_portfolio(sqlite_portfolio).to_dict()
    assert _status(data).startswith("not kept") and _stored(sqlite_portfolio) == []
    monkeypatch.setattr(service, "analyze_portfolio", real)
    fresh = analyze_portfolio(sqlite_portfolio).to_dict()
    assert _status(fresh) == "stored"
    assert _without_meta(fresh) == _without_meta(compute(sqlite_portfolio).to_dict())
    assert _without_meta(fresh) != _without_meta(data)


@pytest.mark.parametrize("damage", ["garbage", "truncate", "other arguments", "not an analysis"])
def test_a_damaged_stored_analysis_is_ignored_and_computed_again(
    sqlite_portfolio: Workspace, damage: str
) -> None:
    expected = _without_meta(analyze_portfolio(sqlite_portfolio, "clean-air").to_dict())
    (path,) = _stored(sqlite_portfolio)
    stored = json.loads(path.read_text())
    if damage == "garbage":
        path.write_text("not json at all")
    elif damage == "truncate":
        path.write_text(path.read_text()[:100])
    elif damage == "other arguments":
        stored["arguments"]["mission_id"] = "other"
        path.write_text(json.dumps(stored))
    else:
        stored["result"]["budget"] = "not a section"
        path.write_text(json.dumps(stored))
    data = analyze_portfolio(sqlite_portfolio, "clean-air").to_dict()
    assert _status(data) == "stored"
    assert _without_meta(data) == expected


def test_other_code_computes_again(sqlite_portfolio: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _status(analyze_portfolio(sqlite_portfolio).to_dict()) == "stored"
    monkeypatch.setattr(result_cache, "_code", "another version of the package")
    assert _status(analyze_portfolio(sqlite_portfolio).to_dict()) == "stored"
    assert len(_stored(sqlite_portfolio)) == 1  # the other version's folder was removed


def test_cache_false_computes_whatever_is_stored(sqlite_portfolio: Workspace) -> None:
    analyze_portfolio(sqlite_portfolio)
    assert _status(analyze_portfolio(sqlite_portfolio, cache=False).to_dict()) == "stored"


def test_a_folder_that_cannot_be_written_only_costs_the_cache(sqlite_portfolio: Workspace) -> None:
    root = result_cache.folder(sqlite_portfolio)
    assert root is not None
    shutil.rmtree(root, ignore_errors=True)
    root.write_text("a file where the folder would go")
    first = analyze_portfolio(sqlite_portfolio).to_dict()
    again = analyze_portfolio(sqlite_portfolio).to_dict()
    assert _status(first).startswith("not kept") and _status(again).startswith("not kept")
    assert _without_meta(again) == _without_meta(first)


def test_postgresql_keeps_no_results(workspace: Workspace) -> None:
    if workspace.is_sqlite:
        assert result_cache.folder(workspace) is not None
        return
    assert result_cache.folder(workspace) is None
