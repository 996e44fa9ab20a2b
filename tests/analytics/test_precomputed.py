"""The whole portfolio's participation arrays and actor network, computed when its snapshot is saved: an
analysis of every project reads them and gives what it would have computed; anything else computes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from missionboard.analytics import analyze_portfolio, precomputed, snapshot
from missionboard.store.analytics import AnalyticsStore
from missionboard.store.workspace import Workspace


@pytest.fixture(autouse=True)
def snapshots_of_small_portfolios(monkeypatch: pytest.MonkeyPatch) -> None:
    """These portfolios are tiny: keep a snapshot of them anyway, as of a large one."""
    monkeypatch.setattr("missionboard.analytics.loader.SNAPSHOT_FROM_PROJECTS", 0)


def _without_meta(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key != "meta"}


def _saved_arrays(workspace: Workspace) -> Path:
    root = snapshot.folder(workspace)
    assert root is not None
    (path,) = sorted(root.glob(f"{snapshot.PREFIX}*"))
    return path / precomputed.FOLDER


def test_saving_the_snapshot_saves_the_whole_portfolios_arrays_with_it(sqlite_portfolio: Workspace) -> None:
    analyze_portfolio(sqlite_portfolio)
    manifest = json.loads((_saved_arrays(sqlite_portfolio) / precomputed.MANIFEST).read_text())
    assert manifest["version"] == precomputed.VERSION


def test_the_whole_portfolio_is_analysed_from_the_saved_arrays(sqlite_portfolio: Workspace) -> None:
    analyze_portfolio(sqlite_portfolio)  # saves the snapshot
    data = analyze_portfolio(sqlite_portfolio).to_dict()
    assert data["meta"]["precomputed_network"] is True


def test_the_saved_arrays_give_the_analysis_computed_without_them(sqlite_portfolio: Workspace) -> None:
    analyze_portfolio(sqlite_portfolio)
    from_arrays = analyze_portfolio(sqlite_portfolio).to_dict()
    computed = analyze_portfolio(sqlite_portfolio, snapshot=False).to_dict()
    assert computed["meta"]["precomputed_network"] is False
    assert _without_meta(from_arrays) == _without_meta(computed)


@pytest.mark.parametrize(
    "scope",
    [{"mission_id": "clean-air"}, {"since": 2022}, {"taxonomy": "mission:clean-air"}],
)
def test_a_narrower_scope_computes_its_own_arrays(sqlite_portfolio: Workspace, scope: dict[str, Any]) -> None:
    analyze_portfolio(sqlite_portfolio)
    data = analyze_portfolio(sqlite_portfolio, **scope).to_dict()
    assert data["meta"]["precomputed_network"] is False


def test_money_in_another_currency_is_priced_from_the_same_arrays(sqlite_portfolio: Workspace) -> None:
    analyze_portfolio(sqlite_portfolio)
    from_arrays = analyze_portfolio(sqlite_portfolio, currency="SEK").to_dict()
    computed = analyze_portfolio(sqlite_portfolio, currency="SEK", snapshot=False).to_dict()
    assert from_arrays["meta"]["precomputed_network"] is True
    assert _without_meta(from_arrays) == _without_meta(computed)


@pytest.mark.parametrize(
    "damage", ["truncated array", "missing array", "garbled funders", "other version", "no manifest"]
)
def test_damaged_arrays_are_ignored_and_the_analysis_computes_them(
    sqlite_portfolio: Workspace, damage: str
) -> None:
    expected = _without_meta(analyze_portfolio(sqlite_portfolio, snapshot=False).to_dict())
    analyze_portfolio(sqlite_portfolio)
    folder = _saved_arrays(sqlite_portfolio)
    array = folder / "graph.u.npy"
    if damage == "truncated array":
        array.write_bytes(array.read_bytes()[:20])
    elif damage == "missing array":
        array.unlink()
    elif damage == "garbled funders":
        (folder / precomputed.FUNDERS).write_bytes(b"not arrow" * 100)
    elif damage == "other version":
        manifest = json.loads((folder / precomputed.MANIFEST).read_text())
        manifest["version"] = precomputed.VERSION + 1
        (folder / precomputed.MANIFEST).write_text(json.dumps(manifest))
    else:
        (folder / precomputed.MANIFEST).unlink()
    data = analyze_portfolio(sqlite_portfolio).to_dict()
    assert data["meta"]["precomputed_network"] is False
    assert _without_meta(data) == expected


def test_a_snapshot_is_saved_without_arrays_that_cannot_be_computed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(tables: dict[str, pa.Table]) -> None:
        raise MemoryError("no room for the pairs")

    monkeypatch.setattr(precomputed, "compute", fail)
    database = str(tmp_path / "workspace.db")
    saved = snapshot.save_consistent(
        database, lambda: "stamp", lambda: {"projects": pa.table({"id": [1]})}, precomputed.write
    )
    folder = Path(f"{database}.analytics") / f"{snapshot.PREFIX}stamp"
    assert saved == "stamp"
    assert (folder / "projects.arrow").is_file()
    assert not (folder / precomputed.FOLDER).exists()


def test_the_saved_arrays_are_read_back_as_they_were_computed(sqlite_portfolio: Workspace) -> None:
    analyze_portfolio(sqlite_portfolio)
    folder = _saved_arrays(sqlite_portfolio).parent
    tables = {
        name: pa.ipc.open_file(pa.memory_map(str(folder / f"{name}.arrow"))).read_all()
        for name in ("projects", "actors", "participations")
    }
    with sqlite_portfolio.reading() as session:
        computed = precomputed.compute(tables, AnalyticsStore(session).project_texts)
    found = precomputed.read(folder)
    assert found is not None
    assert found.funded.names == computed.funded.names
    assert np.array_equal(found.funded.project, computed.funded.project)
    assert found.project_funders.equals(computed.project_funders)
    assert found.project_instruments == (computed.project_instruments, computed.inferences)
    assert np.array_equal(found.arranged.pair_node, computed.arranged.pair_node)
    assert np.array_equal(found.arranged.amount, computed.arranged.amount, equal_nan=True)
    assert np.array_equal(found.arrays.graph.w, computed.arrays.graph.w)
    assert np.array_equal(found.arrays.af, computed.arrays.af)
    assert found.arrays.dynamics == computed.arrays.dynamics
    assert found.arrays.modularity == computed.arrays.modularity
    assert found.network_sections((300, 48, 42)) == (computed.network["actors"], computed.network["funders"])


def test_other_broker_parameters_compute_the_network_sections_anew(sqlite_portfolio: Workspace) -> None:
    analyze_portfolio(sqlite_portfolio)
    from_arrays = analyze_portfolio(sqlite_portfolio, broker_nodes=3, broker_samples=2, seed=7).to_dict()
    computed = analyze_portfolio(
        sqlite_portfolio, broker_nodes=3, broker_samples=2, seed=7, snapshot=False
    ).to_dict()
    assert _without_meta(from_arrays) == _without_meta(computed)


def test_a_snapshot_whose_portfolio_changed_while_its_arrays_were_computed_is_not_saved(
    tmp_path: Path,
) -> None:
    stamps = iter(["before", "before", "after"])  # before the read, after it, after the arrays

    def derive(folder: Path, tables: dict[str, pa.Table]) -> None:
        (folder / precomputed.FOLDER).mkdir()

    database = str(tmp_path / "workspace.db")
    saved = snapshot.save_consistent(
        database, lambda: next(stamps), lambda: {"projects": pa.table({"id": [1]})}, derive
    )
    assert saved is None
    assert list(Path(f"{database}.analytics").iterdir()) == []
