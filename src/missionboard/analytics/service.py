"""The use case: analyse a mission's portfolio (or a taxonomy's, or the whole workspace's)."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any

import duckdb
import numpy as np

from missionboard.analytics import network, participants, precomputed, theme_sets, themes
from missionboard.analytics.engine import Engine, Goal
from missionboard.analytics.loader import LoadStats, load_workspace
from missionboard.analytics.result import PortfolioAnalysis
from missionboard.domain.mapping import mission_taxonomy
from missionboard.domain.portfolio_rule import DEFAULT_RULE, CurrencySource, PortfolioRule, currency_text
from missionboard.errors import InputError, NotFound
from missionboard.store.analytics import AnalyticsStore
from missionboard.store.portfolio_scope import mission_currency
from missionboard.store.workspace import Workspace


def _goals_and_mission(
    workspace: Workspace, mission_id: str | None, taxonomy: str | None, currency: str | None = None
) -> tuple[list[Goal], dict[str, Any] | None, tuple[str | None, CurrencySource], dict[str, list[str]] | None]:
    """The goals analysed, the mission's summary, the reporting currency and why, and for a mission's
    own taxonomy the objectives each link goal counts for (``Mission.link_attribution``)."""
    attribution: dict[str, list[str]] | None = None
    with workspace.reading() as session:
        mission_info: dict[str, Any] | None = None
        goals: list[Goal] = []
        chosen: tuple[str | None, CurrencySource] = (
            (currency, CurrencySource.CHOSEN) if currency else (None, CurrencySource.WORKSPACE)
        )
        if mission_id is not None:
            # a mission's store reads mission files (YAML: 0.05-0.1 s to import, measured): only here
            from missionboard.store.missions import MissionStore

            version = MissionStore(session).get(mission_id)
            mission = version.mission
            chosen = mission_currency(session, mission, chosen=currency)
            mission_info = {
                "id": mission.id,
                "title": mission.title,
                "version": version.version,
                "owner": mission.owner,
                "deadline": mission.deadline.isoformat() if mission.deadline else None,
                "objectives": len(mission.objectives),
                "taxonomy": taxonomy,
            }
            if taxonomy == mission_taxonomy(mission_id):
                goals = [Goal(code=o.id, title=o.title, weight=o.weight) for o in mission.objectives]
                attribution = mission.link_attribution()
        if not goals and taxonomy is not None:
            store = AnalyticsStore(session)
            goals = [Goal(code=code, title=title) for code, title in store.taxonomy_goals(taxonomy)]
            if not goals and mission_id is None and not store.link_count(taxonomy):
                raise NotFound(
                    f"taxonomy '{taxonomy}' has no goals and no links in this workspace "
                    "(a mission's taxonomy is 'mission:<id>')"
                )
    return goals, mission_info, chosen, attribution


def analyze_portfolio(
    workspace: Workspace,
    mission_id: str | None = None,
    *,
    taxonomy: str | None = None,
    since: int | None = None,
    threshold: float | None = None,
    currency: str | None = None,
    max_text_projects: int = themes.MAX_TEXT_PROJECTS,
    overlap_similarity: float = themes.OVERLAP_SIMILARITY,
    max_overlap_projects: int = themes.MAX_OVERLAP_PROJECTS,
    broker_nodes: int = network.BROKER_NODES,
    broker_samples: int = network.BROKER_SAMPLES,
    themes_count: int | None = None,
    seed: int = network.SEED,
    snapshot: bool = True,
) -> PortfolioAnalysis:
    """Everything a mission owner needs to read their portfolio, as one ``PortfolioAnalysis``.

    Scope: with ``mission_id``, the projects linked to the mission's objectives (taxonomy
    ``mission:<id>``); with ``taxonomy``, projects linked to that taxonomy's goals; with neither, every
    project. Links count by the portfolio rule (``domain.portfolio_rule``: accepted, or proposed with a
    score ≥ 0.5, flagged as proposed); ``threshold`` overrides the rule's threshold for this analysis and
    is reported as such. Money is in the mission's reporting currency unless ``currency`` is given.
    ``since`` keeps projects active in or after that year. ``snapshot=False`` reads a SQLite workspace's
    tables from the database even where a fresh columnar snapshot is at hand. Diversity is measured on
    the workspace's shared themes (``theme_sets``: computed once, stored, the same for every scope);
    ``themes_count`` replaces them with a set of that many themes.
    """
    rule = _rule_of(threshold, currency)
    if taxonomy is None and mission_id is not None:
        taxonomy = mission_taxonomy(mission_id)
    clock = _Clock()
    goals, mission_info, (chosen_currency, currency_source), attribution = _goals_and_mission(
        workspace, mission_id, taxonomy, currency.upper() if currency else None
    )
    con = duckdb.connect()
    # DuckDB draws a progress bar on stdout for queries over 2 s (1M projects on a loaded machine):
    # it went into the output of 'analyze --format json'
    con.execute("SET enable_progress_bar = false")
    # the mission's structure sections are SQL in the workspace's database (the sqlite3 module releases
    # the GIL while SQLite works): they are read in a thread of their own, alongside the aggregates
    # (3.8 of the 11.5 wall seconds of a mission of 183,000 projects, measured, were spent waiting on them)
    structure_pool = ThreadPoolExecutor(max_workers=1)
    structure: Future[dict[str, Any]] | None = None
    # the mission whose structure sections are read (a mission's own taxonomy only)
    structured = mission_id if mission_id is not None and taxonomy == mission_taxonomy(mission_id) else None

    def read_structure(mission: str, reporting: str | None) -> Future[dict[str, Any]]:
        # imports the missions' store (YAML, see _goals_and_mission): only for a mission
        from missionboard.analytics.mission_structure import mission_structure_sections

        read = partial(
            mission_structure_sections, workspace, mission, currency=reporting, rule=rule, since=since
        )
        return _in_thread(structure_pool, workspace, read)

    try:
        if structured is not None and chosen_currency:
            # the engine reports in the currency it is given: the structure's reads need not wait for the
            # load (they took 1.3 CPU s alongside the rest and finished last on a busy machine, measured)
            structure = read_structure(structured, chosen_currency)
        stats, engine, saved = _load_engine(
            workspace,
            con,
            clock,
            taxonomy=taxonomy,
            goals=goals,
            threshold=rule.threshold,
            since=since,
            currency=chosen_currency,
            attribution=attribution,
            snapshot=snapshot,
        )
        if structured is not None and structure is None:
            structure = read_structure(structured, engine.currency)
        sections: dict[str, Any] = {"mission": mission_info}
        sections |= _scope_sections(
            engine,
            rule,
            taxonomy=taxonomy,
            since=since,
            currency_source=currency_source if chosen_currency is not None else CurrencySource.WORKSPACE,
        )
        whole = saved if taxonomy is None and since is None else None
        aggregates, funded, actor_arrays, arrays_seconds, whole, narrowed = _aggregate_sections(
            con, engine, stats, saved, whole
        )
        sections |= aggregates
        clock.lap("aggregates")
        sections |= _network_sections(
            con,
            engine,
            actor_arrays,
            funded,
            multi_helix_share=sections["helix"]["multi_helix_share"],
            broker_nodes=broker_nodes,
            broker_samples=broker_samples,
            seed=seed,
            whole=whole,
        )
        clock.lap("network")
        theme_sections, theme_set, saved_overlaps = _theme_sections(
            workspace,
            con,
            clock,
            max_text_projects=max_text_projects,
            themes_count=themes_count,
            overlap_similarity=overlap_similarity,
            max_overlap_projects=max_overlap_projects,
            seed=seed,
            whole=whole,
        )
        sections |= theme_sections
        if structure is not None:
            sections |= structure.result()
    finally:
        structure_pool.shutdown(wait=True, cancel_futures=True)
        con.close()
    clock.finish()
    sections["meta"] = _meta(
        engine, stats, clock, arrays_seconds, theme_set, whole is not None, narrowed, saved_overlaps
    )
    return PortfolioAnalysis.of_sections(sections)


def check_arguments(
    workspace: Workspace,
    mission_id: str | None = None,
    *,
    taxonomy: str | None = None,
    threshold: float | None = None,
    currency: str | None = None,
) -> None:
    """Raise what ``analyze_portfolio`` raises for these arguments (``InputError``, ``NotFound``), reading
    only: a caller about to write on the analysis' behalf (the shared themes) checks first."""
    _rule_of(threshold, currency)
    if taxonomy is None and mission_id is not None:
        taxonomy = mission_taxonomy(mission_id)
    _goals_and_mission(workspace, mission_id, taxonomy, currency.upper() if currency else None)


def _in_thread(
    pool: ThreadPoolExecutor, workspace: Workspace, read: Callable[[], dict[str, Any]]
) -> Future[dict[str, Any]]:
    """``read`` run in ``pool``; run now where another thread would not see this workspace's database
    (an in-memory SQLite database: each thread gets a connection, and a database, of its own)."""
    if workspace.shared_across_threads:
        return pool.submit(read)
    done: Future[dict[str, Any]] = Future()
    try:
        done.set_result(read())
    except BaseException as exc:  # raised where the result is asked for, as from the pool
        done.set_exception(exc)
    return done


class _Clock:
    """Wall and CPU seconds of each phase of an analysis (``meta.seconds`` and ``meta.cpu_seconds``)."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._cpu_mark = time.process_time()
        self._mark = self.started

    def start(self) -> None:
        """The first phase starts now."""
        self._mark = time.perf_counter()
        self._cpu_mark = time.process_time()

    def lap(self, name: str) -> None:
        """The phase ``name`` ends now, and the next one starts."""
        now = time.perf_counter()
        self.seconds[name] = round(now - self._mark, 3)
        cpu_now = time.process_time()
        self.cpu[name] = round(cpu_now - self._cpu_mark, 3)
        self._cpu_mark = cpu_now
        self._mark = now

    def finish(self) -> None:
        """The analysis ends now (``seconds.total``, from the call on)."""
        self.seconds["total"] = round(time.perf_counter() - self.started, 3)


def _rule_of(threshold: float | None, currency: str | None) -> PortfolioRule:
    """The portfolio rule of this analysis, once ``threshold`` and ``currency`` are checked."""
    if threshold is not None and not 0.0 <= threshold <= 1.0:
        raise InputError(f"--threshold must be between 0 and 1, not {threshold}")
    rule = (
        PortfolioRule(threshold, override=threshold != DEFAULT_RULE.threshold)
        if threshold is not None
        else DEFAULT_RULE
    )
    if currency is not None and (len(currency) != 3 or not currency.isalpha()):
        raise InputError(f"--currency must be a three-letter code such as EUR, not {currency!r}")
    return rule


def _load_engine(
    workspace: Workspace,
    con: duckdb.DuckDBPyConnection,
    clock: _Clock,
    *,
    taxonomy: str | None,
    goals: list[Goal],
    threshold: float,
    since: int | None,
    currency: str | None,
    attribution: dict[str, list[str]] | None,
    snapshot: bool,
) -> tuple[LoadStats, Engine, precomputed.Precomputed | None]:
    """The workspace's tables loaded into ``con`` (phase ``load``: the snapshot, else the database),
    the engine over them, and the whole portfolio's arrays its snapshot keeps (``precomputed``), where it
    keeps them: every scope narrows them to its projects."""
    clock.start()
    stats = load_workspace(workspace, con, taxonomy=taxonomy, snapshot=snapshot)
    saved = precomputed.read(stats.snapshot_path)
    whole = saved if taxonomy is None and since is None else None
    clock.lap("load")
    engine = Engine(
        con,
        taxonomy=taxonomy,
        goals=goals,
        threshold=threshold,
        since=since,
        currency=currency,
        attribution=attribution,
        texts=lambda ids: themes.project_texts(workspace, ids),
        # the whole portfolio's funders: a narrower scope keeps the rows of its projects
        project_funders=saved.project_funders if saved is not None else None,
        project_instruments=whole.project_instruments if whole is not None else None,
    )
    return stats, engine, saved


def _scope_sections(
    engine: Engine,
    rule: PortfolioRule,
    *,
    taxonomy: str | None,
    since: int | None,
    currency_source: CurrencySource,
) -> dict[str, Any]:
    """The scope's tables built; the sections ``scope``, ``portfolio`` (the rule and the currency) and
    ``projects``."""
    scope = engine.build_scope()
    return {
        "scope": {
            "taxonomy": taxonomy,
            "threshold": rule.threshold,
            "since": since,
            "description": engine.scope_text(),
        },
        "portfolio": {
            **rule.to_dict(),
            "currency": engine.currency,
            "currency_source": currency_source.value,
            "conversion": (
                f"money in {currency_text(engine.currency, currency_source)}; rate of each project's "
                "start year, else the nearest year; direct, inverse or cross rates"
            ),
        },
        "projects": scope,
    }


def _aggregate_sections(
    con: duckdb.DuckDBPyConnection,
    engine: Engine,
    stats: LoadStats,
    saved: precomputed.Precomputed | None,
    whole: precomputed.Precomputed | None,
) -> tuple[
    dict[str, Any],
    network.FundedProjects,
    network.ActorArrays,
    list[float],
    precomputed.Precomputed | None,
    bool,
]:
    """The project-level sections (budget … helix), the funded projects, the actor arrays, the seconds
    the worker threads took for the participation arrays and the actor network, the whole portfolio's
    arrays computed when the snapshot was saved (``precomputed``) where they were used, and whether the
    participation arrays are the saved arrangement (narrowed to the scope).

    The participation arrays and the actor network need no database once their inputs are read: they
    run in more threads while DuckDB computes the project-level sections (NumPy and DuckDB release the
    GIL), and the sections that need them wait for them. Where the snapshot keeps the whole portfolio's
    arrangement (``saved``), it is narrowed to the scope's projects and priced (only the money depends on
    the exchange rates); an analysis of every project (``whole``) reads its actor network too.
    """
    inputs = participants.fetch(con, engine.currency, stats.arrow)
    ready = whole
    funded = ready.funded if ready is not None else network.funded_projects(con)
    arrays_started = time.perf_counter()
    arrays_seconds: list[float] = []
    narrowed: list[bool] = []
    sections: dict[str, Any] = {}

    def people_of(read: participants.Inputs) -> participants.Participants:
        found = participants.build_arranged(saved.arranged, read) if saved is not None else None
        narrowed.append(found is not None)
        return found if found is not None else participants.build(read)

    def actor_arrays_of(people: Future[participants.Participants]) -> network.ActorArrays:
        built = people.result()
        found = (
            ready.arrays
            if ready is not None and ready.priced_from_it(built)
            else network.actor_arrays(built, funded, pool)
        )
        arrays_seconds.append(round(time.perf_counter() - arrays_started, 3))
        return found

    with ThreadPoolExecutor(max_workers=3) as pool:
        people = pool.submit(people_of, inputs)
        del inputs  # the worker holds them while it needs them
        engine.participants = people
        arrays = pool.submit(actor_arrays_of, people)
        sections["budget"] = engine.budget()
        sections["coverage"], sections["gaps"] = engine.coverage()
        sections["instruments"] = engine.instruments()
        sections["stages"] = engine.stages()
        sections["geography"] = engine.geography()
        sections["timeline"] = engine.timeline()
        sections["leverage"] = engine.leverage()
        sections["concentration"] = engine.concentration()
        sections["helix"] = engine.helix()
        actor_arrays = arrays.result()
        used = ready if ready is not None and ready.priced_from_it(engine.participants) else None
    return sections, funded, actor_arrays, arrays_seconds, used, bool(narrowed and narrowed[0])


def _network_sections(
    con: duckdb.DuckDBPyConnection,
    engine: Engine,
    actor_arrays: network.ActorArrays,
    funded: network.FundedProjects,
    *,
    multi_helix_share: Any,
    broker_nodes: int,
    broker_samples: int,
    seed: int,
    whole: precomputed.Precomputed | None,
) -> dict[str, Any]:
    """The sections ``network`` (actors and funders) and ``dynamics``: the ones computed with the whole
    portfolio's arrays (``whole``) where these are its arrays and the parameters are the same."""
    found = whole.network_sections((broker_nodes, broker_samples, seed)) if whole is not None else None
    if found is not None:
        actors, funders = found
    else:
        actors, actor_arrays = network.actor_network(
            con,
            engine.participants,
            actor_arrays,
            broker_nodes=broker_nodes,
            broker_samples=broker_samples,
            seed=seed,
        )
        funders = network.funder_network(con, actor_arrays.af, funded, samples=broker_samples, seed=seed)
    return {
        "network": {
            "silo_index": actors["silo_index"],
            "brokers": actors["brokers"],
            "multi_funder_share": funders["multi_funder_share"],
            "multi_helix_share": multi_helix_share,
            "actors": actors,
            "funders": funders,
        },
        "dynamics": actor_arrays.dynamics,
    }


def _theme_sections(
    workspace: Workspace,
    con: duckdb.DuckDBPyConnection,
    clock: _Clock,
    *,
    max_text_projects: int,
    themes_count: int | None,
    overlap_similarity: float,
    max_overlap_projects: int,
    seed: int,
    whole: precomputed.Precomputed | None,
) -> tuple[dict[str, Any], theme_sets.ThemeSet, bool]:
    """The sections ``diversity``, ``themes`` and ``overlaps`` (phases ``texts``, ``theme_set`` and
    ``themes``), the shared theme set they used, and whether ``overlaps`` is the whole portfolio's computed
    with its snapshot (``whole``), taken as it is where the parameters are the same."""
    saved = (
        whole.overlaps_section((max_text_projects, overlap_similarity, max_overlap_projects, seed))
        if whole is not None
        else None
    )
    sample = (
        themes.sample_texts(workspace, con, max_projects=max_text_projects, seed=seed)
        if saved is None
        else None
    )
    clock.lap("texts")
    # the workspace's shared themes (computed once, stored; every scope is measured on them)
    theme_set = theme_sets.shared_themes(workspace, k=themes_count, seed=seed)
    clock.lap("theme_set")
    in_scope = con.execute(
        "SELECT id, coalesce(budget, 'NaN'::DOUBLE) AS budget FROM money ORDER BY id"
    ).fetchnumpy()
    sections: dict[str, Any] = {}
    sections["diversity"], sections["themes"] = themes.scope_diversity(
        theme_set,
        np.asarray(in_scope["id"], dtype=np.int64),
        np.asarray(in_scope["budget"], dtype=float),
        lambda ids: themes.titles_of(workspace, ids),
    )
    sections["overlaps"] = (
        themes.overlaps(
            sample,
            themes.vectorise(sample.texts),
            similarity=overlap_similarity,
            max_projects=max_overlap_projects,
        )
        if sample is not None
        else saved
    )
    clock.lap("themes")
    return sections, theme_set, saved is not None


def _meta(
    engine: Engine,
    stats: LoadStats,
    clock: _Clock,
    arrays_seconds: list[float],
    theme_set: theme_sets.ThemeSet,
    whole_arrays: bool,
    saved_arrangement: bool,
    saved_overlaps: bool,
) -> dict[str, Any]:
    """The section ``meta``: how the analysis ran (engine, load method, seconds per phase, theme set)."""
    return {
        "engine": f"duckdb {duckdb.__version__}",
        "load_method": stats.method,
        # seconds of the "load" phase spent saving a new snapshot (missing or stale), else None
        "snapshot_build_seconds": stats.snapshot_seconds,
        "rows_loaded": stats.rows,
        "seconds": clock.seconds,
        "cpu_seconds": clock.cpu,
        # seconds of the "aggregates" phase in which the participation arrays and the actor network
        # were computed in worker threads, alongside the project-level sections
        "overlapped_seconds": {
            "participants_and_actor_network": arrays_seconds[0] if arrays_seconds else None
        },
        # whether the participation arrays and the actor network were the whole portfolio's, computed
        # when its snapshot was saved (analytics.precomputed), rather than computed by this analysis
        "precomputed_network": whole_arrays,
        # whether the participation arrays were the whole portfolio's arrangement saved with the snapshot,
        # narrowed to the scope's projects and priced, rather than arranged from the participations
        "precomputed_arrangement": saved_arrangement,
        # whether the section overlaps was the whole portfolio's, computed when its snapshot was saved
        # (its text sample, TF-IDF vectors and their products), rather than computed by this analysis
        "precomputed_overlaps": saved_overlaps,
        "reporting_currency": engine.currency,
        # whether this call computed the shared themes, reused them, or assigned new projects to them
        "theme_set": theme_set.status,
    }
