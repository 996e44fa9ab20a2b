"""What an analysis of the whole portfolio derives from projects, actors and participations alone,
computed once when the snapshot is saved and memory-mapped by every analysis of every project.

The participation arrangement (``participants.arrange``), the actor network (``network.actor_arrays``,
its brokers and drawing, the funder network), the table project_funders, each project's instrument
(``engine.classify_instruments``, text inference included) and the near-duplicate projects
(``themes.overlaps_of_sample``: the text sample, its TF-IDF vectors and their products, about 1 s of
the whole command at 1M, measured) depend on those tables and the projects' texts — never on exchange
rates, links or the reporting currency — so they are the same for every analysis of the whole portfolio
until the snapshot is stale. Computing them took 4.2 + 0.6 + 0.4 of the
10.7 CPU seconds of an analysis of 1M projects and 4M participations (measured). The child process that
saves the snapshot (``save_snapshot``, run at the end of every import that changes the portfolio) computes
them with the same functions over the same rows and writes them into the snapshot's folder
(``precomputed/``: NumPy and Arrow files and a manifest) before the folder is published; an analysis with
no taxonomy and no ``since`` reads them back (``read``) and prices the arrangement
(``participants.build_arranged``: only the money depends on the rates). Any other scope computes its own.

A folder that is missing, of another ``VERSION`` or unreadable is ignored: the analysis computes
everything itself, as before. Network sections asked for with other parameters are computed too.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

from missionboard.analytics.network import BROKER_NODES, BROKER_SAMPLES, SEED
from missionboard.analytics.themes import MAX_OVERLAP_PROJECTS, MAX_TEXT_PROJECTS, OVERLAP_SIMILARITY

if TYPE_CHECKING:  # imported where arrays are computed or read: the snapshot's finder needs none
    import pyarrow as pa

    from missionboard.analytics.network import ActorArrays, FundedProjects
    from missionboard.analytics.participants import Arrangement, Participants

VERSION = 2
"""Bumped whenever what is computed or how it is stored changes: older folders are then ignored."""
FOLDER = "precomputed"
MANIFEST = "manifest.json"
FUNDERS = "project_funders.arrow"
INSTRUMENTS = "project_instruments.arrow"
MAPPED_FROM_BYTES = 1 << 16
"""Arrays at least this large are memory-mapped; smaller ones (and empty ones) are read."""

log = logging.getLogger(__name__)

_ARRANGEMENT_LISTS = ("currencies", "helix_names", "raw_helix_names")
_GRAPH_ARRAYS = ("u", "v", "w", "first_year", "community", "helix")
OVERLAP_PARAMETERS = (MAX_TEXT_PROJECTS, OVERLAP_SIMILARITY, MAX_OVERLAP_PROJECTS, SEED)
"""The parameters of the saved section ``overlaps``: ``analyze_portfolio``'s defaults."""


@dataclass(frozen=True)
class Precomputed:
    """The whole portfolio's arrangement, the funders it was computed with and its actor network."""

    arranged: Arrangement
    funded: FundedProjects
    project_funders: pa.Table
    """The rows of the table project_funders (``engine.make_project_funders``) of the whole portfolio."""
    project_instruments: tuple[pa.Table, list[dict[str, Any]]]
    """The rows of the table project_instruments and the rules that inferred them
    (``engine.classify_instruments``)."""
    arrays: ActorArrays
    network: dict[str, Any]
    """The sections ``network.actors`` and ``network.funders`` (keys ``actors``, ``funders``), computed with
    the ``parameters`` (broker nodes, broker samples, seed) ``network`` defaults to."""
    parameters: tuple[int, int, int]
    overlaps: dict[str, Any] | None
    """The section ``overlaps`` (``themes.overlaps_of_sample``), computed with the ``overlap_parameters``;
    None where the texts were not read."""
    overlap_parameters: tuple[int, float, int, int]
    """Projects sampled, similarity, projects compared and seed of ``overlaps``."""

    def overlaps_section(self, parameters: tuple[int, float, int, int]) -> dict[str, Any] | None:
        """The section ``overlaps`` computed with these ``parameters`` (projects sampled, similarity,
        projects compared, seed); None where others were asked for or it was not computed."""
        return self.overlaps if parameters == self.overlap_parameters else None

    def network_sections(
        self, parameters: tuple[int, int, int]
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The sections ``network.actors`` and ``network.funders`` computed with these ``parameters``
        (broker nodes, broker samples, seed); None where others were asked for."""
        if parameters != self.parameters:
            return None
        return self.network["actors"], self.network["funders"]

    def priced_from_it(self, people: Participants) -> bool:
        """Whether ``people`` is this arrangement priced (``participants.build_arranged``)."""
        return people.pair_node is self.arranged.pair_node


Texts: TypeAlias = "Callable[[list[int]], dict[int, tuple[str, str]]]"
"""(title, abstract) of the given projects (``AnalyticsStore.project_texts``)."""


@dataclass(frozen=True)
class Computed:
    arranged: Arrangement
    project_funders: pa.Table
    funded: FundedProjects
    arrays: ActorArrays
    network: dict[str, Any]
    project_instruments: pa.Table
    inferences: list[dict[str, Any]]
    overlaps: dict[str, Any] | None


def compute(tables: dict[str, pa.Table], texts: Texts | None = None) -> Computed:
    """The arrangement, the table project_funders, its funders as codes, the actor network arrays, the
    network sections (``actors``, ``funders``) and the instruments (with ``texts``, the ones inferred from
    titles and abstracts too) and, with ``texts``, the near-duplicate projects (``overlaps``) of every
    project of the snapshot ``tables``: what an analysis of the whole portfolio computes (the same
    functions, over the same rows, with ``network``'s default parameters)."""
    import duckdb

    from missionboard.analytics import network, participants, themes
    from missionboard.analytics.engine import (
        MAX_TEXT_INFERENCE,
        WHOLE_PORTFOLIO_SCOPE,
        classify_instruments,
        make_project_funders,
    )
    from missionboard.analytics.texts import joined_text

    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        for name in ("projects", "actors", "participations"):
            con.register(name, tables[name])
        con.execute(WHOLE_PORTFOLIO_SCOPE)
        make_project_funders(con)
        # first, while only the tables are in memory (the snapshot child's peak comes with the arrays)
        overlaps = themes.overlaps_of_sample(con, texts, seed=SEED) if texts is not None else None
        project_funders = con.sql(
            "SELECT project_id, funder FROM project_funders ORDER BY project_id, funder"  # the same every time
        ).to_arrow_table()
        funded = network.funded_projects(con)
        projects = tables["projects"]
        ids = participants.ints(projects.column("id"), 0)
        years = participants.ints(projects.column("start_year"), participants.NO_YEAR)
        order = np.argsort(ids, kind="stable")
        arranged = participants.arrange(
            ids[order],
            years[order],
            tables["participations"].select([*participants.PARTICIPATION_COLUMNS, "is_funder"]),
            tables["actors"].select(["id", "helix"]),
        )
        with ThreadPoolExecutor(max_workers=2) as pool:
            arrays = network.actor_arrays(arranged, funded, pool)
        actors, _ = network.actor_network(con, arranged, arrays)
        funders = network.funder_network(con, arrays.af, funded)
        joined = (
            (lambda ids: {pid: joined_text(*pair) for pid, pair in texts(ids).items()})
            if texts is not None
            else None
        )
        inferences = classify_instruments(con, joined, MAX_TEXT_INFERENCE)
        project_instruments = con.sql("SELECT id, kind, source FROM project_instruments").to_arrow_table()
    finally:
        con.close()
    return Computed(
        arranged=arranged,
        project_funders=project_funders,
        funded=funded,
        arrays=arrays,
        network={"actors": actors, "funders": funders},
        project_instruments=project_instruments,
        inferences=inferences,
        overlaps=overlaps,
    )


def write(folder: Path, tables: dict[str, pa.Table], texts: Texts | None = None) -> None:
    """Compute (``compute``) and write the whole portfolio's arrays into ``folder/precomputed``; where
    that fails, log it and leave nothing there (analyses then compute them)."""
    import shutil

    target = folder / FOLDER
    try:
        found = compute(tables, texts)
        arranged, funded, arrays = found.arranged, found.funded, found.arrays
        target.mkdir()
        for item in fields(arranged):
            value = getattr(arranged, item.name)
            if isinstance(value, np.ndarray):
                np.save(target / f"arranged.{item.name}.npy", value)
        graph = arrays.graph
        for name in _GRAPH_ARRAYS:
            np.save(target / f"graph.{name}.npy", getattr(graph, name))
        np.save(target / "af.npy", arrays.af)
        np.save(target / "funded.project.npy", funded.project)
        np.save(target / "funded.code.npy", funded.code)
        _write_arrow(target / FUNDERS, found.project_funders)
        _write_arrow(target / INSTRUMENTS, found.project_instruments)
        manifest = {
            "version": VERSION,
            "lists": {name: getattr(arranged, name) for name in _ARRANGEMENT_LISTS},
            "funder_names": funded.names,
            "community_names": graph.community_names,
            "components": list(arrays.components),
            "modularity": list(arrays.modularity),
            "dynamics": arrays.dynamics,
            "network": found.network,
            "inferences": found.inferences,
            "texts_read": texts is not None,
            "parameters": [BROKER_NODES, BROKER_SAMPLES, SEED],
            "overlaps": found.overlaps,
            "overlap_parameters": list(OVERLAP_PARAMETERS),
        }
        (target / MANIFEST).write_text(json.dumps(manifest))
    except Exception as exc:  # an optional speed-up: the snapshot is saved without it
        log.warning("whole-portfolio arrays not precomputed in %s: %s", folder, exc)
        shutil.rmtree(target, ignore_errors=True)


def read(folder: Path | None) -> Precomputed | None:
    """The arrays ``write`` left in the snapshot folder ``folder``, memory-mapped; None where there are
    none, they are of another ``VERSION`` or cannot be read."""
    if folder is None or not (folder / FOLDER / MANIFEST).is_file():
        return None
    import pyarrow as pa

    from missionboard.analytics.network import ActorArrays, ActorGraph, FundedProjects
    from missionboard.analytics.participants import Arrangement

    source = folder / FOLDER
    try:
        manifest = json.loads((source / MANIFEST).read_text())
        if manifest.get("version") != VERSION:
            return None
        lists: dict[str, Any] = manifest["lists"]
        values: dict[str, Any] = {
            item.name: (
                [str(x) for x in lists[item.name]]
                if item.name in _ARRANGEMENT_LISTS
                else _array(source / f"arranged.{item.name}.npy")
            )
            for item in fields(Arrangement)
        }
        arranged = Arrangement(**values)
        graph = ActorGraph(
            nodes=arranged.actor_ids,
            community_names=[str(x) for x in manifest["community_names"]],
            **{name: _array(source / f"graph.{name}.npy") for name in _GRAPH_ARRAYS},
        )
        components, modularity = manifest["components"], manifest["modularity"]
        arrays = ActorArrays(
            graph=graph,
            af=_array(source / "af.npy"),
            components=(int(components[0]), int(components[1])),
            modularity=(modularity[0], modularity[1]),
            dynamics=manifest["dynamics"],
        )
        nodes, samples, seed = (int(x) for x in manifest["parameters"])
        sampled, similarity, compared, text_seed = manifest["overlap_parameters"]
        return Precomputed(
            arranged=arranged,
            funded=FundedProjects(
                names=[str(x) for x in manifest["funder_names"]],
                project=_array(source / "funded.project.npy"),
                code=_array(source / "funded.code.npy"),
            ),
            project_funders=_read_arrow(source / FUNDERS),
            project_instruments=(_read_arrow(source / INSTRUMENTS), list(manifest["inferences"])),
            arrays=arrays,
            network=dict(manifest["network"]),
            parameters=(nodes, samples, seed),
            overlaps=manifest["overlaps"],
            overlap_parameters=(int(sampled), float(similarity), int(compared), int(text_seed)),
        )
    except (OSError, ValueError, KeyError, TypeError, IndexError, pa.ArrowException) as exc:
        log.warning("whole-portfolio arrays in %s are unreadable (%s): computed instead", source, exc)
        return None


def _array(path: Path) -> np.ndarray:
    """A saved array, memory-mapped (read-only) when large, as a plain ``ndarray``."""
    mapped = path.stat().st_size >= MAPPED_FROM_BYTES
    found: np.ndarray = np.asarray(np.load(path, mmap_mode="r" if mapped else None, allow_pickle=False))
    return found


def _write_arrow(path: Path, table: pa.Table) -> None:
    import pyarrow as pa

    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def _read_arrow(path: Path) -> pa.Table:
    """An Arrow IPC file, memory-mapped."""
    import pyarrow as pa

    with pa.memory_map(str(path)) as source:
        table: pa.Table = pa.ipc.open_file(source).read_all()
    table.validate()
    return table
