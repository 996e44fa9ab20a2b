"""The whole portfolio's participation arrays and actor network, computed when its snapshot is saved: an
analysis of every project reads them and gives what it would have computed; anything else computes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from missionboard.analytics import analyze_portfolio, participants, precomputed, snapshot
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
    assert data["meta"]["precomputed_overlaps"] is False


def test_the_whole_portfolios_overlaps_are_read_from_the_snapshot(sqlite_portfolio: Workspace) -> None:
    analyze_portfolio(sqlite_portfolio)  # saves the snapshot
    from_snapshot = analyze_portfolio(sqlite_portfolio).to_dict()
    computed = analyze_portfolio(sqlite_portfolio, snapshot=False).to_dict()
    assert from_snapshot["meta"]["precomputed_overlaps"] is True
    assert computed["meta"]["precomputed_overlaps"] is False
    assert from_snapshot["overlaps"] == computed["overlaps"]


@pytest.mark.parametrize(
    "parameters",
    [{"overlap_similarity": 0.2}, {"max_text_projects": 3}, {"max_overlap_projects": 2}, {"seed": 7}],
)
def test_other_overlap_parameters_compute_the_overlaps_anew(
    sqlite_portfolio: Workspace, parameters: dict[str, Any]
) -> None:
    analyze_portfolio(sqlite_portfolio)
    from_snapshot = analyze_portfolio(sqlite_portfolio, **parameters).to_dict()
    computed = analyze_portfolio(sqlite_portfolio, snapshot=False, **parameters).to_dict()
    assert from_snapshot["meta"]["precomputed_overlaps"] is False
    assert from_snapshot["overlaps"] == computed["overlaps"]


ANALYSIS_IN_A_NEW_PROCESS = """
import sys
from missionboard.analytics import analyze_portfolio, loader
from missionboard.store.workspace import Workspace
loader.SNAPSHOT_FROM_PROJECTS = 0  # the portfolio is tiny: read its snapshot, as of a large one
analysis = analyze_portfolio(Workspace.open(sys.argv[1])).to_dict()
assert analysis["meta"]["precomputed_overlaps"], analysis["meta"]
print(" ".join(sorted({name.split(".")[0] for name in sys.modules} & set(sys.argv[2:]))))
"""


def test_an_analysis_of_the_whole_portfolio_imports_neither_pandas_nor_scipy_nor_yaml(
    sqlite_portfolio: Workspace,
) -> None:
    analyze_portfolio(sqlite_portfolio)  # saves the snapshot and what is computed with it
    done = subprocess.run(
        [sys.executable, "-c", ANALYSIS_IN_A_NEW_PROCESS, sqlite_portfolio.url, "pandas", "scipy", "yaml"],
        check=True,
        capture_output=True,
        text=True,
    )
    assert done.stdout.split() == []


MISSION_IN_A_NEW_PROCESS = """
import sys
from missionboard.analytics import analyze_portfolio, loader
from missionboard.store.workspace import Workspace
loader.SNAPSHOT_FROM_PROJECTS = 0  # the portfolio is tiny: read its snapshot, as of a large one
analysis = analyze_portfolio(Workspace.open(sys.argv[1]), "clean-air").to_dict()
assert analysis["meta"]["load_method"].startswith("arrow-snapshot"), analysis["meta"]
print(" ".join(sorted({name.split(".")[0] for name in sys.modules} & set(sys.argv[2:]))))
"""


def test_an_analysis_of_a_mission_imports_neither_pandas_nor_networkx(sqlite_portfolio: Workspace) -> None:
    analyze_portfolio(sqlite_portfolio)  # saves the snapshot
    done = subprocess.run(
        [sys.executable, "-c", MISSION_IN_A_NEW_PROCESS, sqlite_portfolio.url, "pandas", "networkx"],
        check=True,
        capture_output=True,
        text=True,
    )
    assert done.stdout.split() == []


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
    assert found.overlaps_section(precomputed.OVERLAP_PARAMETERS) == computed.overlaps


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


@pytest.mark.parametrize(
    "scope",
    [
        {"mission_id": "clean-air"},
        {"taxonomy": "mission:clean-air"},
        {"since": 2022},
        {"mission_id": "clean-air", "since": 2022},
        {"mission_id": "clean-air", "currency": "SEK"},
    ],
)
def test_a_narrower_scope_narrows_the_saved_arrangement_and_gets_the_analysis_computed_without_it(
    sqlite_portfolio: Workspace, scope: dict[str, Any]
) -> None:
    analyze_portfolio(sqlite_portfolio)  # saves the snapshot and the whole portfolio's arrays
    from_arrays = analyze_portfolio(sqlite_portfolio, **scope).to_dict()
    computed = analyze_portfolio(sqlite_portfolio, snapshot=False, **scope).to_dict()
    assert from_arrays["meta"]["precomputed_arrangement"] is True
    assert computed["meta"]["precomputed_arrangement"] is False
    assert _without_meta(from_arrays) == _without_meta(computed)


def _arrangement_rows(arranged: participants.Arrangement) -> dict[str, Any]:
    """An arrangement as ids and names (its positions and codes resolved), comparable across arrangements."""
    currency = [arranged.currencies[c] if c >= 0 else None for c in arranged.currency_code.tolist()]
    return {
        "projects": arranged.project_ids.tolist(),
        "years": arranged.project_year.tolist(),
        "actors": arranged.actor_ids.tolist(),
        "participations": list(
            zip(
                arranged.project_ids[arranged.project].tolist(),
                arranged.actor_ids[arranged.node].tolist(),
                np.nan_to_num(arranged.amount, nan=-1.0).tolist(),
                np.nan_to_num(arranged.share, nan=-1.0).tolist(),
                currency,
                strict=True,
            )
        ),
        "helix": [arranged.helix_names[h] for h in arranged.node_helix.tolist()],
        "raw_helix": [
            arranged.raw_helix_names[h] if h >= 0 else None for h in arranged.node_helix_raw.tolist()
        ],
        "pairs": list(
            zip(
                arranged.project_ids[arranged.pair_project].tolist(),
                arranged.actor_ids[arranged.pair_node].tolist(),
                strict=True,
            )
        ),
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_narrowing_the_whole_arrangement_gives_the_arrangement_of_the_kept_projects(seed: int) -> None:
    rng = np.random.default_rng(seed)
    ids = np.arange(1, 81, dtype=np.int64) * 3
    years = rng.choice([2019, 2020, 2021, participants.NO_YEAR], len(ids)).astype(np.int64)
    rows = 400
    parts = pa.table(
        {
            "project_id": pa.array(rng.choice(np.r_[ids, [1, 2, 1000]], rows), pa.int64()),
            "actor_id": pa.array(rng.integers(100, 160, rows), pa.int64()),
            "amount": pa.array(
                [None if x < 0.5 else round(x * 100, 2) for x in rng.random(rows)], pa.float64()
            ),
            "currency": pa.array(
                [["EUR", "SEK", "USD", None][i] for i in rng.integers(0, 4, rows)], pa.string()
            ),
            "share": pa.array([None if x < 0.7 else 0.25 for x in rng.random(rows)], pa.float64()),
            "is_funder": pa.array((rng.random(rows) < 0.1).astype(np.int64)),
        }
    )
    actors = pa.table(
        {
            "id": pa.array(np.arange(100, 150), pa.int64()),
            "helix": pa.array([["research", "industry", None][i % 3] for i in range(50)], pa.string()),
        }
    )
    whole = participants.arrange(ids, years, parts, actors)
    kept = np.sort(rng.choice(len(ids), 30, replace=False))
    narrowed = participants.restrict(whole, kept)
    arranged = participants.arrange(ids[kept], years[kept], parts, actors)
    assert _arrangement_rows(narrowed) == _arrangement_rows(arranged)
