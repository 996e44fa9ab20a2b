"""The landscape's SQL: who takes part in a mission's portfolio, the actors organisation names resolve
to, and the summary of the latest ``landscape analyze`` of each mission, inside the caller's transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import RowMapping, delete, insert, select
from sqlalchemy.orm import Session

from missionboard.domain.common import utc_aware
from missionboard.domain.landscape import (
    Activity,
    Dimension,
    LandscapeOrganisation,
    LandscapeRun,
    ObjectiveLandscape,
)
from missionboard.domain.missions import Mission
from missionboard.domain.portfolio_rule import DEFAULT_RULE, PortfolioRule
from missionboard.store.landscape_tables import (
    LANDSCAPE_ACTIVITY,
    LANDSCAPE_OBJECTIVES,
    LANDSCAPE_ORGANISATIONS,
    LANDSCAPE_RUNS,
)
from missionboard.store.portfolio_scope import portfolio_project_ids
from missionboard.store.progress import chunked
from missionboard.store.tables import ActorAliasRow, ActorRow, ParticipationRow

SUMMARY_TABLES = (LANDSCAPE_OBJECTIVES, LANDSCAPE_ACTIVITY, LANDSCAPE_ORGANISATIONS)


@dataclass(frozen=True)
class PortfolioActor:
    """An actor taking part in a project of the mission's portfolio, with every name it is known by."""

    actor_id: int
    name: str
    normalized_name: str
    aliases: tuple[str, ...]


class LandscapeStore:
    """Reads and writes the landscape summaries of missions."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # --- the portfolio's organisations ----------------------------------------------------------------

    def portfolio_actors(self, mission: Mission, rule: PortfolioRule = DEFAULT_RULE) -> list[PortfolioActor]:
        """The actors of the projects in the mission's portfolio (any role), with their aliases."""
        taking_part = (
            select(ParticipationRow.actor_id)
            .where(ParticipationRow.project_id.in_(portfolio_project_ids(mission, rule)))
            .distinct()
        )
        aliases: dict[int, list[str]] = defaultdict(list)
        for actor_id, name in self.session.execute(
            select(ActorAliasRow.actor_id, ActorAliasRow.name)
            .where(ActorAliasRow.actor_id.in_(taking_part))
            .order_by(ActorAliasRow.id)
        ):
            aliases[actor_id].append(name)
        return [
            PortfolioActor(actor_id, name, normalized, tuple(aliases.get(actor_id, ())))
            for actor_id, name, normalized in self.session.execute(
                select(ActorRow.id, ActorRow.name, ActorRow.normalized_name)
                .where(ActorRow.id.in_(taking_part))
                .order_by(ActorRow.id)
            )
        ]

    def actors_named(self, keys: Iterable[str]) -> dict[str, tuple[int, str]]:
        """(id, name) of the actor with each normalised name (the first created where several share it)."""
        found: dict[str, tuple[int, str]] = {}
        for chunk in chunked(sorted(set(keys))):
            for actor_id, name, normalized in self.session.execute(
                select(ActorRow.id, ActorRow.name, ActorRow.normalized_name)
                .where(ActorRow.normalized_name.in_(chunk))
                .order_by(ActorRow.id)
            ):
                found.setdefault(normalized, (actor_id, name))
        return found

    # --- summaries -------------------------------------------------------------------------------------

    def replace(self, run: LandscapeRun, objectives: Sequence[ObjectiveLandscape]) -> LandscapeRun:
        """Record ``run`` and make ``objectives`` the mission's landscape, removing the summary of its
        earlier runs (their run rows stay, as history)."""
        earlier = select(LANDSCAPE_RUNS.c.id).where(LANDSCAPE_RUNS.c.mission_id == run.mission)
        for table in SUMMARY_TABLES:
            self.session.execute(delete(table).where(table.c.run_id.in_(earlier)))
        run_id = self.session.execute(
            insert(LANDSCAPE_RUNS).values(**_run_values(run)).returning(LANDSCAPE_RUNS.c.id)
        ).scalar_one()
        rows: dict[Any, list[dict[str, Any]]] = {table: [] for table in SUMMARY_TABLES}
        for position, objective in enumerate(objectives):
            rows[LANDSCAPE_OBJECTIVES].append(_objective_values(run_id, position, objective))
            for dimension, activity in (
                (Dimension.YEAR, objective.by_year),
                (Dimension.COUNTRY, objective.by_country),
                (Dimension.FIELD, objective.by_field),
            ):
                rows[LANDSCAPE_ACTIVITY] += [
                    {
                        "run_id": run_id,
                        "objective": objective.objective,
                        "dimension": dimension,
                        "value": a.value[:500],
                        "records": a.records,
                        "money": a.money,
                        "position": i,
                    }
                    for i, a in enumerate(activity)
                ]
            rows[LANDSCAPE_ORGANISATIONS] += [
                {
                    "run_id": run_id,
                    "objective": objective.objective,
                    "key": o.key[:500],
                    "name": o.name[:500],
                    "records": o.records,
                    "money": o.money,
                    "first_year": o.first_year,
                    "in_portfolio": o.in_portfolio,
                    "newcomer": o.newcomer,
                    "actor_id": o.actor_id,
                    "position": o.position,
                }
                for o in objective.top_organisations
            ]
        for table, values in rows.items():
            if values:
                self.session.execute(insert(table), values)
        return LandscapeRun(**{**_run_fields(run), "id": run_id})

    def latest(self, mission_id: str) -> tuple[LandscapeRun | None, list[ObjectiveLandscape]]:
        """The mission's latest run and its summary per objective, in the mission's order then (titles
        left empty: the mission's current ones are the caller's)."""
        row = (
            self.session.execute(
                select(LANDSCAPE_RUNS)
                .where(LANDSCAPE_RUNS.c.mission_id == mission_id)
                .order_by(LANDSCAPE_RUNS.c.id.desc())
                .limit(1)
            )
            .mappings()
            .first()
        )
        if row is None:
            return None, []
        run = _run(row)
        activity = self._activity(row["id"])
        organisations = self._organisations(row["id"])
        objectives = [
            _objective(
                values, activity.get(values["objective"], {}), organisations.get(values["objective"], [])
            )
            for values in self.session.execute(
                select(LANDSCAPE_OBJECTIVES)
                .where(LANDSCAPE_OBJECTIVES.c.run_id == row["id"])
                .order_by(LANDSCAPE_OBJECTIVES.c.position)
            ).mappings()
        ]
        return run, objectives

    def _activity(self, run_id: int) -> dict[str, dict[str, list[Activity]]]:
        found: dict[str, dict[str, list[Activity]]] = defaultdict(lambda: defaultdict(list))
        table = LANDSCAPE_ACTIVITY
        for objective, dimension, value, records, money in self.session.execute(
            select(table.c.objective, table.c.dimension, table.c.value, table.c.records, table.c.money)
            .where(table.c.run_id == run_id)
            .order_by(table.c.objective, table.c.dimension, table.c.position)
        ):
            found[objective][dimension].append(Activity(value, int(records), float(money)))
        return found

    def _organisations(self, run_id: int) -> dict[str, list[LandscapeOrganisation]]:
        found: dict[str, list[LandscapeOrganisation]] = defaultdict(list)
        table = LANDSCAPE_ORGANISATIONS
        for row in self.session.execute(
            select(table).where(table.c.run_id == run_id).order_by(table.c.objective, table.c.position)
        ).mappings():
            found[row["objective"]].append(
                LandscapeOrganisation(
                    key=row["key"],
                    name=row["name"],
                    records=int(row["records"]),
                    money=float(row["money"]),
                    first_year=row["first_year"],
                    in_portfolio=bool(row["in_portfolio"]),
                    newcomer=bool(row["newcomer"]),
                    actor_id=row["actor_id"],
                    position=int(row["position"]),
                )
            )
        return found


# --- rows ↔ models -----------------------------------------------------------------------------------

_RUN_FIELDS = (
    "taxonomy",
    "input",
    "min_score",
    "recent_years",
    "top",
    "latest_year",
    "analyzed_by",
    "analyzed_at",
    "seconds",
    "files",
    "records_read",
    "records",
    "money",
    "other_labels",
    "portfolio_projects",
    "portfolio_money",
    "portfolio_unconverted",
)


def _run_fields(run: LandscapeRun) -> dict[str, Any]:
    return {"mission": run.mission, **{name: getattr(run, name) for name in _RUN_FIELDS}}


def _run_values(run: LandscapeRun) -> dict[str, Any]:
    return {"mission_id": run.mission, **{name: getattr(run, name) for name in _RUN_FIELDS}}


def _run(row: RowMapping) -> LandscapeRun:
    values = {name: row[name] for name in _RUN_FIELDS}
    values["analyzed_at"] = utc_aware(values["analyzed_at"])
    for name in ("records_read", "records", "other_labels", "files", "portfolio_projects"):
        values[name] = int(values[name])
    return LandscapeRun(mission=row["mission_id"], id=row["id"], **values)


_OBJECTIVE_COUNTS = (
    "records",
    "records_with_money",
    "organisations",
    "outside_portfolio",
    "countries",
    "fields",
    "recent_records",
    "earlier_records",
    "portfolio_projects",
)
_OBJECTIVE_MONEY = ("money", "recent_money", "earlier_money", "portfolio_money")


def _objective_values(run_id: int, position: int, objective: ObjectiveLandscape) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "objective": objective.objective,
        "position": position,
        "newcomers": objective.newcomer_count,
        **{name: getattr(objective, name) for name in (*_OBJECTIVE_COUNTS, *_OBJECTIVE_MONEY)},
    }


def _objective(
    row: RowMapping,
    activity: Mapping[str, list[Activity]],
    organisations: list[LandscapeOrganisation],
) -> ObjectiveLandscape:
    return ObjectiveLandscape(
        objective=row["objective"],
        title="",
        records=int(row["records"]),
        money=float(row["money"]),
        records_with_money=int(row["records_with_money"]),
        organisations=int(row["organisations"]),
        outside_portfolio=int(row["outside_portfolio"]),
        newcomer_count=int(row["newcomers"]),
        countries=int(row["countries"]),
        fields=int(row["fields"]),
        recent_records=int(row["recent_records"]),
        earlier_records=int(row["earlier_records"]),
        recent_money=float(row["recent_money"]),
        earlier_money=float(row["earlier_money"]),
        portfolio_projects=int(row["portfolio_projects"]),
        portfolio_money=float(row["portfolio_money"]),
        by_year=tuple(activity.get(Dimension.YEAR, ())),
        by_country=tuple(activity.get(Dimension.COUNTRY, ())),
        by_field=tuple(activity.get(Dimension.FIELD, ())),
        top_organisations=tuple(organisations),
    )
