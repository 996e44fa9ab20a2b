"""The use case: analyse a mission's portfolio (or a taxonomy's, or the whole workspace's)."""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import duckdb
import numpy as np

from missionboard.analytics import network, participants, theme_sets, themes
from missionboard.analytics.engine import Engine, Goal
from missionboard.analytics.loader import load_workspace
from missionboard.analytics.result import PortfolioAnalysis
from missionboard.domain.mapping import mission_taxonomy
from missionboard.domain.portfolio_rule import DEFAULT_RULE, CurrencySource, PortfolioRule, currency_text
from missionboard.errors import InputError, NotFound
from missionboard.store.analytics import AnalyticsStore
from missionboard.store.missions import MissionStore
from missionboard.store.portfolio_scope import mission_currency
from missionboard.store.workspace import Workspace


def _goals_and_mission(
    workspace: Workspace, mission_id: str | None, taxonomy: str | None, currency: str | None = None
) -> tuple[list[Goal], dict[str, Any] | None, tuple[str | None, CurrencySource]]:
    with workspace.reading() as session:
        mission_info: dict[str, Any] | None = None
        goals: list[Goal] = []
        chosen: tuple[str | None, CurrencySource] = (
            (currency, CurrencySource.CHOSEN) if currency else (None, CurrencySource.WORKSPACE)
        )
        if mission_id is not None:
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
        if not goals and taxonomy is not None:
            store = AnalyticsStore(session)
            goals = [Goal(code=code, title=title) for code, title in store.taxonomy_goals(taxonomy)]
            if not goals and mission_id is None and not store.link_count(taxonomy):
                raise NotFound(
                    f"taxonomy '{taxonomy}' has no goals and no links in this workspace "
                    "(a mission's taxonomy is 'mission:<id>')"
                )
    return goals, mission_info, chosen


def analyze_portfolio(
    workspace: Workspace,
    mission_id: str | None = None,
    *,
    taxonomy: str | None = None,
    since: int | None = None,
    threshold: float | None = None,
    currency: str | None = None,
    max_text_projects: int = 20_000,
    overlap_similarity: float = 0.8,
    max_overlap_projects: int = 10_000,
    broker_nodes: int = 300,
    broker_samples: int = 48,
    themes_count: int | None = None,
    seed: int = 42,
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
    if threshold is not None and not 0.0 <= threshold <= 1.0:
        raise InputError(f"--threshold must be between 0 and 1, not {threshold}")
    rule = (
        PortfolioRule(threshold, override=threshold != DEFAULT_RULE.threshold)
        if threshold is not None
        else DEFAULT_RULE
    )
    if currency is not None and (len(currency) != 3 or not currency.isalpha()):
        raise InputError(f"--currency must be a three-letter code such as EUR, not {currency!r}")
    if taxonomy is None and mission_id is not None:
        taxonomy = mission_taxonomy(mission_id)
    timings: dict[str, float] = {}
    started = time.perf_counter()

    cpu: dict[str, float] = {}
    cpu_mark = [time.process_time()]

    def lap(name: str, since_: float) -> float:
        now = time.perf_counter()
        timings[name] = round(now - since_, 3)
        cpu_now = time.process_time()
        cpu[name] = round(cpu_now - cpu_mark[0], 3)
        cpu_mark[0] = cpu_now
        return now

    goals, mission_info, (chosen_currency, currency_source) = _goals_and_mission(
        workspace, mission_id, taxonomy, currency.upper() if currency else None
    )
    con = duckdb.connect()
    try:
        t = time.perf_counter()
        cpu_mark[0] = time.process_time()
        stats = load_workspace(workspace, con, taxonomy=taxonomy, snapshot=snapshot)
        t = lap("load", t)
        engine = Engine(
            con,
            taxonomy=taxonomy,
            goals=goals,
            threshold=rule.threshold,
            since=since,
            currency=chosen_currency,
            objectives_only=mission_id is not None and taxonomy == mission_taxonomy(mission_id),
            texts=lambda ids: themes.project_texts(workspace, ids),
        )
        sections: dict[str, Any] = {"mission": mission_info}
        scope = engine.build_scope()
        sections["scope"] = {
            "taxonomy": taxonomy,
            "threshold": rule.threshold,
            "since": since,
            "description": engine.scope_text(),
        }
        if chosen_currency is None:
            currency_source = CurrencySource.WORKSPACE
        sections["portfolio"] = {
            **rule.to_dict(),
            "currency": engine.currency,
            "currency_source": currency_source.value,
            "conversion": (
                f"money in {currency_text(engine.currency, currency_source)}; rate of each project's "
                "start year, else the nearest year; direct, inverse or cross rates"
            ),
        }
        sections["projects"] = scope
        # the participation arrays and the actor network need no database once their inputs are read:
        # they run in more threads while DuckDB computes the project-level sections (NumPy and
        # DuckDB release the GIL), and the sections that need them wait for them
        inputs = participants.fetch(con, engine.currency, stats.arrow)
        funded = network.funded_projects(con)
        arrays_started = time.perf_counter()
        arrays_seconds: list[float] = []

        def actor_arrays_of(people: Future[participants.Participants]) -> network.ActorArrays:
            found = network.actor_arrays(people.result(), funded, pool)
            arrays_seconds.append(round(time.perf_counter() - arrays_started, 3))
            return found

        with ThreadPoolExecutor(max_workers=3) as pool:
            people = pool.submit(participants.build, inputs)
            del inputs
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
        t = lap("aggregates", t)
        actors, actor_arrays = network.actor_network(
            con,
            engine.participants,
            actor_arrays,
            broker_nodes=broker_nodes,
            broker_samples=broker_samples,
            seed=seed,
        )
        funders = network.funder_network(con, actor_arrays.af, funded, samples=broker_samples, seed=seed)
        sections["network"] = {
            "silo_index": actors["silo_index"],
            "brokers": actors["brokers"],
            "multi_funder_share": funders["multi_funder_share"],
            "multi_helix_share": sections["helix"]["multi_helix_share"],
            "actors": actors,
            "funders": funders,
        }
        sections["dynamics"] = actor_arrays.dynamics
        t = lap("network", t)
        sample = themes.sample_texts(workspace, con, max_projects=max_text_projects, seed=seed)
        t = lap("texts", t)
        # the workspace's shared themes (computed once, stored; every scope is measured on them)
        theme_set = theme_sets.shared_themes(workspace, k=themes_count, seed=seed)
        t = lap("theme_set", t)
        in_scope = con.execute(
            "SELECT id, coalesce(budget, 'NaN'::DOUBLE) AS budget FROM money ORDER BY id"
        ).fetchnumpy()
        sections["diversity"], sections["themes"] = themes.scope_diversity(
            theme_set,
            np.asarray(in_scope["id"], dtype=np.int64),
            np.asarray(in_scope["budget"], dtype=float),
            lambda ids: themes.titles_of(workspace, ids),
        )
        vectorised = themes.vectorise(sample.texts)
        sections["overlaps"] = themes.overlaps(
            sample,
            vectorised[0] if vectorised is not None else None,
            similarity=overlap_similarity,
            max_projects=max_overlap_projects,
        )
        t = lap("themes", t)
    finally:
        con.close()
    timings["total"] = round(time.perf_counter() - started, 3)
    sections["meta"] = {
        "engine": f"duckdb {duckdb.__version__}",
        "load_method": stats.method,
        # seconds of the "load" phase spent saving a new snapshot (missing or stale), else None
        "snapshot_build_seconds": stats.snapshot_seconds,
        "rows_loaded": stats.rows,
        "seconds": timings,
        "cpu_seconds": cpu,
        # seconds of the "aggregates" phase in which the participation arrays and the actor network
        # were computed in worker threads, alongside the project-level sections
        "overlapped_seconds": {
            "participants_and_actor_network": arrays_seconds[0] if arrays_seconds else None
        },
        "reporting_currency": engine.currency,
        # whether this call computed the shared themes, reused them, or assigned new projects to them
        "theme_set": theme_set.status,
    }
    return PortfolioAnalysis.of_sections(sections)
