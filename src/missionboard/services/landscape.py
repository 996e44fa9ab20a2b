"""The landscape of a mission: who else works on each objective, from a corpus ``landscape map`` labelled
with the mission's goals, beside the mission's own portfolio (``domain.landscape`` states the rules).

The Parquet files are summed up by DuckDB outside any workspace transaction (a corpus may take minutes);
the summary then replaces the mission's previous one in one transaction, audited.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path

from missionboard.domain.landscape import (
    CURRENCY,
    DEFAULT_MIN_SCORE,
    DEFAULT_RECENT_YEARS,
    DEFAULT_TOP,
    LandscapeRun,
    MissionLandscape,
    ObjectiveLandscape,
    landscape_of,
)
from missionboard.domain.mapping import mission_taxonomy
from missionboard.errors import InputError, Problem
from missionboard.ingest.base import normalize_name
from missionboard.landscape import analysis
from missionboard.services.portfolio import MissionPortfolio, read_portfolio
from missionboard.store import audit
from missionboard.store.landscape import LandscapeStore, PortfolioActor
from missionboard.store.missions import MissionStore
from missionboard.store.workspace import Workspace

__all__ = ["MissionLandscape", "analyze_landscape", "mission_landscape"]

MANIFEST = "_manifest.json"
"""Written by ``landscape map`` beside its part files; its ``taxonomy`` says what the labels are goals of."""


def analyze_landscape(
    workspace: Workspace,
    mission_id: str,
    input_dir: Path | str,
    *,
    user: str,
    taxonomy: str | None = None,
    min_score: float = DEFAULT_MIN_SCORE,
    recent_years: int = DEFAULT_RECENT_YEARS,
    top: int = DEFAULT_TOP,
) -> MissionLandscape:
    """Sum up the landscape in ``input_dir`` (the ``--output`` of ``landscape map``) per objective of the
    mission and make it the mission's landscape, replacing the previous one; recorded with its input,
    time and counts, audited."""
    _check_options(min_score, recent_years, top)
    folder = Path(input_dir)
    started, at = time.perf_counter(), dt.datetime.now(dt.UTC)
    with workspace.reading() as session:
        mission = MissionStore(session).get(mission_id).mission
        code = taxonomy or mission_taxonomy(mission.id)
        portfolio = read_portfolio(session, mission, currency=CURRENCY)
        actors = LandscapeStore(session).portfolio_actors(mission)
    analysis.parquet_files(folder)  # a bad folder is named before anything else is said about it
    _check_manifest(folder, code)
    in_portfolio = _portfolio_keys(actors)
    figures = analysis.aggregate(
        folder,
        mission.link_attribution(),
        min_score=min_score,
        recent_years=recent_years,
        top=top,
        portfolio_keys=in_portfolio,
        normalise=normalize_name,
    )
    titles = {o.id: o.title for o in mission.objectives}
    with workspace.transaction() as session:
        store = LandscapeStore(session)
        MissionStore(session).get(mission.id)  # still there
        listed = {org.key for o in figures.objectives.values() for org in o.top_organisations}
        # a name of a portfolio actor (or of its alias) names that actor, even where another actor has it
        actors_by_key = {**store.actors_named(listed), **in_portfolio}
        objectives = [
            _beside_portfolio(figures.objectives[objective], titles[objective], portfolio, actors_by_key)
            for objective in titles
        ]
        run = store.replace(
            LandscapeRun(
                mission=mission.id,
                taxonomy=code,
                input=str(folder),
                min_score=min_score,
                recent_years=recent_years,
                top=top,
                latest_year=figures.latest_year,
                analyzed_by=user,
                analyzed_at=at,
                seconds=time.perf_counter() - started,
                files=figures.files,
                records_read=figures.records_read,
                records=figures.records,
                money=figures.money,
                other_labels=figures.other_labels,
                portfolio_projects=portfolio.projects,
                portfolio_money=portfolio.money,
                portfolio_unconverted=sum(u.projects for u in portfolio.unconverted),
            ),
            objectives,
        )
        audit.record(
            session,
            actor=user,
            action="landscape.analyze",
            entity="landscape_run",
            entity_id=f"{mission.id}/{run.id}",
            after=run.to_dict(),
        )
    return landscape_of(mission.id, run, objectives)


def mission_landscape(workspace: Workspace, mission_id: str) -> MissionLandscape:
    """The mission's landscape as its latest ``landscape analyze`` left it (``run`` None: never analysed)."""
    with workspace.reading() as session:
        mission = MissionStore(session).get(mission_id).mission
        run, objectives = LandscapeStore(session).latest(mission.id)
    titles = {o.id: o.title for o in mission.objectives}
    return landscape_of(mission.id, run, [replace(o, title=titles.get(o.objective, "")) for o in objectives])


# --- helpers -------------------------------------------------------------------------------------


def _check_options(min_score: float, recent_years: int, top: int) -> None:
    problems = []
    if not 0.0 <= min_score <= 1.0:
        problems.append(Problem("", None, "--min-score", f"must be between 0 and 1, not {min_score:g}"))
    if recent_years < 1:
        problems.append(Problem("", None, "--recent-years", f"must be at least 1, not {recent_years}"))
    if top < 1:
        problems.append(Problem("", None, "--top", f"must be at least 1, not {top}"))
    if problems:
        raise InputError(problems)


def _check_manifest(folder: Path, taxonomy: str) -> None:
    """Where the map's manifest names the taxonomy it labelled with, it must be the one analysed."""
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return  # the manifest is the map's bookkeeping; the Parquet files are what is analysed
    mapped = manifest.get("taxonomy") if isinstance(manifest, dict) else None
    if isinstance(mapped, str) and mapped and mapped != taxonomy:
        raise InputError(
            Problem(
                str(path),
                None,
                "taxonomy",
                f"this landscape was mapped to '{mapped}', not '{taxonomy}': analyse it with "
                f"--taxonomy {mapped}, or map the corpus again with --taxonomy {taxonomy}",
            )
        )


def _portfolio_keys(actors: Iterable[PortfolioActor]) -> dict[str, tuple[int, str]]:
    """Every normalised name of an actor in the portfolio (its own and its aliases') → (id, name)."""
    keys: dict[str, tuple[int, str]] = {}
    for actor in actors:
        for name in (actor.normalized_name, normalize_name(actor.name), *map(normalize_name, actor.aliases)):
            if name:
                keys.setdefault(name, (actor.actor_id, actor.name))
    return keys


def _beside_portfolio(
    found: ObjectiveLandscape,
    title: str,
    portfolio: MissionPortfolio,
    actors: Mapping[str, tuple[int, str]],
) -> ObjectiveLandscape:
    """The objective's landscape with the portfolio's projects and money on it, and its organisations
    resolved to the workspace's actors (their names as the workspace knows them)."""
    mine = next((o for o in portfolio.objectives if o.objective == found.objective), None)
    organisations = tuple(
        replace(org, actor_id=actors[org.key][0], name=actors[org.key][1]) if org.key in actors else org
        for org in found.top_organisations
    )
    return replace(
        found,
        title=title,
        portfolio_projects=mine.projects if mine else 0,
        portfolio_money=mine.money if mine else 0.0,
        top_organisations=organisations,
    )
