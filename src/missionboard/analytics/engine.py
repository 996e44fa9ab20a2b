"""Portfolio aggregates in DuckDB: scope, money in the reporting currency, coverage, mixes, leverage.

The workspace tables are loaded once (``loader``); each section below is one or a few SQL statements
with bound parameters; figures over single participations (helix mix, money received) come from the
NumPy arrays of ``participants`` instead, which replace millions-of-rows joins. Amounts are converted with the workspace's ``exchange_rates`` only: the rate
of the project's start year, or else the nearest year (counted and reported as approximate); amounts
without any rate are reported per currency and left out of totals — never converted silently.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from missionboard.analytics import participants
from missionboard.analytics.instruments import (
    infer_instrument,
    infer_instrument_from_text,
    normalise_instrument,
    text_rule_candidates,
)
from missionboard.analytics.result import figure, table
from missionboard.domain import metrics
from missionboard.domain.portfolio import INSTRUMENT_FAMILY
from missionboard.domain.portfolio_rule import PortfolioRule, RateTable, reporting_currency
from missionboard.store.arrow_arrays import numbers, strings


@dataclass(frozen=True)
class Goal:
    """A goal of the analysed taxonomy (a mission objective), with its declared weight if any."""

    code: str
    title: str
    weight: float | None = None


MAX_TEXT_INFERENCE = 50_000
"""Instruments are looked for in the texts of at most this many projects (the first by id) without one."""
WHOLE_PORTFOLIO_SCOPE = (
    "CREATE OR REPLACE TEMP VIEW scope_projects AS SELECT p.*, true AS accepted FROM projects p"
)
"""The view scope_projects of the whole portfolio: every project, not a copy of a million rows."""


def make_project_funders(con: duckdb.DuckDBPyConnection) -> None:
    """Table project_funders (project_id, funder), distinct rows: the funders of each project of
    scope_projects, its funder field and participations with the funder role."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE project_funders AS
        SELECT DISTINCT project_id, funder FROM (
            SELECT id AS project_id, trim(funder) AS funder FROM scope_projects WHERE trim(coalesce(funder, '')) <> ''
            UNION ALL
            SELECT r.project_id, trim(a.name) FROM participations r
            JOIN scope_projects ON scope_projects.id = r.project_id JOIN actors a ON a.id = r.actor_id
            WHERE r.is_funder = 1
        )
        """
    )


def classify_instruments(
    con: duckdb.DuckDBPyConnection,
    texts: Callable[[list[int]], dict[int, str]] | None,
    max_text_inference: int,
) -> list[dict[str, Any]]:
    """Table project_instruments (id, kind, source) of the projects of scope_projects, and the rules that
    inferred an instrument (instrument, rule, projects): the instrument field where set, else inferred
    from funding scheme / programme names, else (for the first ``max_text_inference`` projects still
    unknown, by id) from instrument phrases in the title or abstract that ``texts`` gives."""
    distinct = rows(
        con,
        "SELECT instrument, funding_scheme, programme, count(*) AS projects FROM scope_projects GROUP BY 1, 2, 3",
    )
    mapping: list[dict[str, Any]] = []
    inferences: list[dict[str, Any]] = []
    for r in distinct:
        explicit = normalise_instrument(r["instrument"])
        if explicit is not None:
            kind, source, rule = explicit.value, "explicit", ""
        else:
            inference = infer_instrument(r["funding_scheme"], r["programme"])
            if inference is None:
                kind, source, rule = "unknown", "unknown", ""
            else:
                kind, source, rule = inference.instrument.value, "inferred", inference.explain()
                inferences.append({"instrument": kind, "rule": rule, "projects": r["projects"]})
        mapping.append(
            {
                "instrument": r["instrument"],
                "funding_scheme": r["funding_scheme"],
                "programme": r["programme"],
                "kind": kind,
                "source": source,
            }
        )
    columns = ("instrument", "funding_scheme", "programme", "kind", "source")
    # from buffers: pyarrow.array imports pandas (store.arrow_arrays)
    frame = pa.table({name: strings([m[name] for m in mapping]) for name in columns})
    con.register("instrument_map", frame)
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE project_instruments AS
        SELECT scope_projects.id, instrument_map.kind, instrument_map.source FROM scope_projects JOIN instrument_map
          ON instrument_map.instrument IS NOT DISTINCT FROM scope_projects.instrument
         AND instrument_map.funding_scheme IS NOT DISTINCT FROM scope_projects.funding_scheme
         AND instrument_map.programme IS NOT DISTINCT FROM scope_projects.programme
        """
    )
    return inferences + _infer_from_text(con, texts, max_text_inference)


def _infer_from_text(
    con: duckdb.DuckDBPyConnection, texts: Callable[[list[int]], dict[int, str]] | None, limit: int
) -> list[dict[str, Any]]:
    """Projects still without an instrument: look for instrument phrases in title and abstract."""
    if texts is None:
        return []
    unknown = con.execute(
        "SELECT id FROM project_instruments WHERE kind = 'unknown' ORDER BY id LIMIT $n", {"n": limit}
    ).fetchnumpy()["id"]
    if len(unknown) == 0:
        return []
    found: list[tuple[int, str]] = []
    counts: dict[tuple[str, str], int] = {}
    by_id = texts([int(x) for x in unknown])
    # a vectorised pre-filter first: the exact, ordered rules run only on texts that may match
    for (pid, text), maybe in zip(by_id.items(), text_rule_candidates(list(by_id.values())), strict=True):
        if not maybe:
            continue
        inference = infer_instrument_from_text(text)
        if inference is not None:
            found.append((pid, inference.instrument.value))
            key = (inference.instrument.value, inference.matched.lower())
            counts[key] = counts.get(key, 0) + 1
    if not found:
        return []
    con.register(
        "text_instruments",
        pa.table(
            {
                "id": numbers(np.array([pid for pid, _ in found], dtype=np.int64), pa.int64()),
                "kind": strings([kind for _, kind in found]),
            }
        ),
    )
    con.execute(
        "UPDATE project_instruments SET kind = text_instruments.kind, source = 'inferred' FROM text_instruments WHERE project_instruments.id = text_instruments.id"
    )
    return [
        {"instrument": kind, "rule": f"'{matched}' in the project's title or abstract", "projects": n}
        for (kind, matched), n in counts.items()
    ]


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> list[dict[str, Any]]:
    """Run ``sql`` with bound ``params`` and return the rows as dicts."""
    cursor = con.execute(sql, params) if params is not None else con.execute(sql)
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def one(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> dict[str, Any]:
    found = rows(con, sql, params)
    return found[0] if found else {}


class Engine:
    """Computes the aggregate sections over the tables ``loader.load_workspace`` created."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        *,
        taxonomy: str | None,
        goals: list[Goal],
        threshold: float,
        since: int | None,
        currency: str | None = None,
        attribution: Mapping[str, Sequence[str]] | None = None,
        texts: Callable[[list[int]], dict[int, str]] | None = None,
        max_text_inference: int = MAX_TEXT_INFERENCE,
        project_funders: pa.Table | None = None,
        project_instruments: tuple[pa.Table, list[dict[str, Any]]] | None = None,
    ) -> None:
        self.con = con
        self.taxonomy = taxonomy
        self.goals = goals
        self.threshold = threshold
        self.rule = PortfolioRule(threshold)
        # a mission's portfolio counts links to the objectives and outcomes the mission has now, each for
        # the objectives it leads to (domain.portfolio_rule); None: every goal counts for itself
        self.attribution = attribution
        self.since = since
        self.currency = currency or self._reporting_currency_default()
        self.texts = texts
        self.max_text_inference = max_text_inference
        # the project_funders rows of every project where they were computed beforehand (the whole
        # portfolio's, ``precomputed``): registered, or narrowed to the scope, instead of joined again
        self.precomputed_funders = project_funders
        # likewise the rows of project_instruments and the rules that inferred them
        self.precomputed_instruments = project_instruments
        self._participants: participants.Participants | Future[participants.Participants] | None = None

    @property
    def participants(self) -> participants.Participants:
        """The participations in scope as arrays (helix mix, money received, the actor network).

        Read after ``build_scope`` on first use, unless the caller set them, or a future of them (built
        in another thread while the project-level sections run).
        """
        if self._participants is None:
            self._participants = participants.load(self.con, self.currency)
        elif isinstance(self._participants, Future):
            self._participants = self._participants.result()
        return self._participants

    @participants.setter
    def participants(self, value: participants.Participants | Future[participants.Participants]) -> None:
        self._participants = value

    # --- scope and money --------------------------------------------------------------------

    def _reporting_currency_default(self) -> str:
        """The workspace's reporting currency, else the most common project currency (one rule:
        ``domain.portfolio_rule.reporting_currency``; a mission's declared currency is passed in)."""
        targets = {
            str(r["c"]): int(r["n"])
            for r in rows(self.con, "SELECT reporting_currency AS c, count(*) AS n FROM rates GROUP BY 1")
        }
        projects = (
            {}
            if targets
            else {
                str(r["c"]): int(r["n"])
                for r in rows(
                    self.con,
                    "SELECT coalesce(budget_currency, public_currency) AS c, count(*) AS n FROM projects "
                    "WHERE coalesce(budget_currency, public_currency) IS NOT NULL GROUP BY 1",
                )
            }
        )
        found, _source = reporting_currency(None, targets, projects)
        return found or "EUR"

    def _exchange_rates(self) -> None:
        """Table fx_rates (currency, year, rate, rate_year, approximate, via): the rate into the reporting
        currency of each (currency, start year) the scope needs — direct, inverse or cross, nearest year
        (``domain.portfolio_rule.RateTable``; a few rows per currency and year)."""
        needed = rows(
            self.con,
            """
            SELECT DISTINCT currency, year FROM (
                SELECT budget_currency AS currency, start_year AS year FROM scope_projects
                UNION ALL SELECT public_currency, start_year FROM scope_projects
                UNION ALL SELECT cofunding_currency, start_year FROM scope_projects
                -- participation currencies × start years: a superset of the pairs needed, without
                -- joining millions of participations (a rate depends only on currency and year)
                UNION ALL SELECT c.currency, y.year
                FROM (SELECT DISTINCT currency FROM participations) c
                CROSS JOIN (SELECT DISTINCT start_year AS year FROM scope_projects) y
            ) WHERE currency IS NOT NULL AND currency <> $rc
            """,
            {"rc": self.currency},
        )
        table = RateTable.of(
            (r["currency"], r["reporting_currency"], r["year"], r["rate"])
            for r in rows(self.con, "SELECT currency, reporting_currency, year, rate FROM rates")
        )
        found = []
        for n in needed:
            c = table.convert(n["currency"], self.currency, n["year"])
            if c is not None:
                found.append((n["currency"], n["year"], c.rate, c.rate_year, c.approximate, c.via))
        columns = {
            "currency": "VARCHAR",
            "year": "BIGINT",
            "rate": "DOUBLE",
            "rate_year": "BIGINT",
            "approximate": "BOOLEAN",
            "via": "VARCHAR",
        }
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE fx_rates ("
            + ", ".join(f"{name} {kind}" for name, kind in columns.items())
            + ")"
        )
        if found:
            self.con.executemany("INSERT INTO fx_rates VALUES (?, ?, ?, ?, ?, ?)", found)

    def build_scope(self) -> dict[str, Any]:
        """The scope's tables, in this order, and its project counts (the section ``projects``).

        ``portfolio_links`` (project → goal, by the portfolio rule), ``scope_ids`` (the linked project
        ids), ``scope_projects`` (their project rows, active since ``since``), ``fx_rates``,
        ``converted_amounts`` (each stated amount converted), ``money`` (each project's money) and
        ``project_funders``.
        """
        self._portfolio_links()
        self._scope_projects()
        undated = self._undated_count()
        self._exchange_rates()
        self._converted_amounts()
        self._money()
        self._project_funders()
        return self._scope_counts(undated)

    def _portfolio_links(self) -> None:
        """Tables portfolio_links (project_id, goal, score, accepted): the links the portfolio rule
        counts, one row per project and goal (for a mission, per objective the link counts for); and
        scope_ids (id, accepted): the projects they reach (every project when no taxonomy is analysed)."""
        con = self.con
        self._goal_attribution()
        if self.taxonomy is not None:
            con.execute(
                """
                CREATE OR REPLACE TEMP TABLE portfolio_links AS
                SELECT l.project_id, a.objective AS goal, max(l.score) AS score,
                       bool_or(l.status = 'accepted') AS accepted
                FROM links l JOIN goal_attribution a ON a.goal = l.goal
                WHERE l.taxonomy = $taxonomy
                  -- the portfolio rule (domain.portfolio_rule.PortfolioRule.counts)
                  AND (l.status = 'accepted' OR (l.status = 'proposed' AND l.score >= $threshold))
                GROUP BY l.project_id, a.objective
                """,
                {"taxonomy": self.taxonomy, "threshold": self.threshold},
            )
            con.execute(
                "CREATE OR REPLACE TEMP TABLE scope_ids AS "
                "SELECT project_id AS id, bool_or(accepted) AS accepted FROM portfolio_links GROUP BY 1"
            )
        else:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE portfolio_links AS SELECT NULL::BIGINT AS project_id, "
                "NULL::VARCHAR AS goal, NULL::DOUBLE AS score, NULL::BOOLEAN AS accepted WHERE false"
            )
            con.execute("CREATE OR REPLACE TEMP TABLE scope_ids AS SELECT id, true AS accepted FROM projects")

    def _goal_attribution(self) -> None:
        """Table goal_attribution (goal, objective): which goal a link to each goal counts for — for a
        mission, its objectives and the outcomes leading to them (``Mission.link_attribution``);
        otherwise every linked goal for itself."""
        con = self.con
        con.execute("CREATE OR REPLACE TEMP TABLE goal_attribution (goal VARCHAR, objective VARCHAR)")
        if self.taxonomy is None:
            return  # the whole portfolio: no links to attribute
        if self.attribution is None:
            con.execute(
                "INSERT INTO goal_attribution SELECT DISTINCT goal, goal FROM links WHERE taxonomy = $taxonomy",
                {"taxonomy": self.taxonomy},
            )
            return
        pairs = [
            (goal, objective) for goal, objectives in self.attribution.items() for objective in objectives
        ]
        if pairs:
            con.executemany("INSERT INTO goal_attribution VALUES (?, ?)", pairs)

    def _scope_projects(self) -> None:
        """Table (or, for the whole portfolio, view) scope_projects: the project rows of scope_ids with
        their ``accepted`` flag, active in or after ``since``."""
        con = self.con
        since = self.since
        if self.taxonomy is None and since is None:
            # the whole portfolio: a view, not a copy of a million rows
            con.execute(WHOLE_PORTFOLIO_SCOPE)
        else:
            con.execute(
                """
                CREATE OR REPLACE TEMP TABLE scope_projects AS
                SELECT p.*, s.accepted
                FROM projects p JOIN scope_ids s ON p.id = s.id
                WHERE $since IS NULL OR coalesce(p.end_year, p.start_year) >= $since
                """,
                {"since": since},
            )

    def _undated_count(self) -> int:
        """Projects of scope_ids with neither start nor end year (``since`` leaves them out)."""
        undated = one(
            self.con,
            "SELECT count(*) AS n FROM projects p JOIN scope_ids s ON p.id = s.id "
            "WHERE p.start_year IS NULL AND p.end_year IS NULL",
        )
        return int(undated.get("n", 0))

    def _converted_amounts(self) -> None:
        """Table converted_amounts: each scope project's budget, public funding and co-funding in the
        reporting currency (by fx_rates), whether a stated amount has no rate, and whether a rate was
        of the nearest year (approximate)."""

        def conv(amount: str, currency: str, alias: str) -> str:
            return (
                f"CASE WHEN {amount} IS NULL THEN NULL WHEN {currency} = $rc THEN {amount} "
                f"ELSE {amount} * {alias}.rate END"
            )

        self.con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE converted_amounts AS
            SELECT scope_projects.id, scope_projects.start_year, scope_projects.budget_currency,
                   {conv("scope_projects.budget_amount", "scope_projects.budget_currency", "fb")} AS budget_conv,
                   {conv("scope_projects.public_amount", "scope_projects.public_currency", "fp")} AS public_conv,
                   {conv("scope_projects.cofunding_amount", "scope_projects.cofunding_currency", "fc")} AS cofund_conv,
                   scope_projects.budget_amount IS NOT NULL AND scope_projects.budget_currency IS DISTINCT FROM $rc
                       AND fb.rate IS NULL AS budget_unconverted,
                   scope_projects.budget_amount IS NULL AND (
                       (scope_projects.public_amount IS NOT NULL AND scope_projects.public_currency IS DISTINCT FROM $rc
                           AND fp.rate IS NULL)
                       OR (scope_projects.cofunding_amount IS NOT NULL AND scope_projects.cofunding_currency IS DISTINCT FROM $rc
                           AND fc.rate IS NULL)) AS parts_unconverted,
                   coalesce(fb.approximate, false) OR coalesce(fp.approximate, false)
                       OR coalesce(fc.approximate, false) AS approximate
            FROM scope_projects
            LEFT JOIN fx_rates fb ON fb.currency = scope_projects.budget_currency AND fb.year IS NOT DISTINCT FROM scope_projects.start_year
            LEFT JOIN fx_rates fp ON fp.currency = scope_projects.public_currency AND fp.year IS NOT DISTINCT FROM scope_projects.start_year
            LEFT JOIN fx_rates fc ON fc.currency = scope_projects.cofunding_currency AND fc.year IS NOT DISTINCT FROM scope_projects.start_year
            """,
            {"rc": self.currency},
        )

    def _money(self) -> None:
        """Table money (id, budget, public, private, approximate, start_year, budget_currency): each
        scope project's money in the reporting currency, from converted_amounts."""
        self.con.execute(
            """
            CREATE OR REPLACE TEMP TABLE money AS
            SELECT id,
                   -- a project's money: its budget, else public funding plus co-funding; none of it
                   -- when a stated part has no rate (domain.portfolio_rule.convert_money)
                   CASE WHEN budget_conv IS NOT NULL THEN budget_conv
                        WHEN budget_unconverted OR parts_unconverted THEN NULL
                        WHEN public_conv IS NOT NULL OR cofund_conv IS NOT NULL
                             THEN coalesce(public_conv, 0) + coalesce(cofund_conv, 0) END AS budget,
                   public_conv AS public,
                   coalesce(cofund_conv, CASE WHEN budget_conv >= public_conv THEN budget_conv - public_conv END)
                       AS private,
                   approximate, start_year, budget_currency
            FROM converted_amounts
            """
        )

    def _project_funders(self) -> None:
        """Table project_funders (``make_project_funders``), or the rows computed beforehand: those of
        every project (the whole portfolio's, kept in the order they were saved), narrowed to the
        scope's projects where it is narrower (the same rows ``make_project_funders`` makes then)."""
        if self.precomputed_funders is None:
            make_project_funders(self.con)
        elif self.taxonomy is None and self.since is None:
            self.con.register("project_funders", self.precomputed_funders)
        else:
            self.con.register("every_project_funder", self.precomputed_funders)
            self.con.execute(
                "CREATE OR REPLACE TEMP TABLE project_funders AS SELECT project_id, funder "
                "FROM every_project_funder SEMI JOIN scope_projects ON scope_projects.id = project_id "
                "ORDER BY project_id, funder"
            )

    def _scope_counts(self, undated: int) -> dict[str, Any]:
        """The section ``projects``: the scope's projects, those accepted, proposed only, and undated."""
        counts = one(
            self.con,
            """
            SELECT count(*) AS projects,
                   count(*) FILTER (WHERE accepted) AS accepted,
                   count(*) FILTER (WHERE NOT accepted) AS proposed_only
            FROM scope_projects
            """,
        )
        return {
            "projects": figure(counts.get("projects", 0), "projects", self.scope_text()),
            "accepted": figure(
                counts.get("accepted", 0), "projects", "projects with at least one accepted link in scope"
            ),
            "proposed_only": figure(
                counts.get("proposed_only", 0),
                "projects",
                f"projects in scope only through proposed links with score ≥ {self.threshold} (flagged)",
            ),
            "undated": figure(
                undated,
                "projects",
                "projects in scope with neither start nor end date (left out when --since is given)",
            ),
        }

    def scope_text(self) -> str:
        where = (
            f"projects linked to taxonomy '{self.taxonomy}' by accepted links, or proposed links with "
            f"score ≥ {self.threshold}"
            if self.taxonomy
            else "all projects in the workspace"
        )
        if self.since is not None:
            where += f", active in or after {self.since}"
        return where

    # --- sections ---------------------------------------------------------------------------

    def budget(self) -> dict[str, Any]:
        rc = self.currency
        totals = one(
            self.con,
            """
            SELECT sum(budget) AS budget, count(budget) AS with_budget, count(*) AS projects,
                   sum(public) AS public, count(public) AS with_public,
                   sum(private) AS private, count(private) AS with_private,
                   count(*) FILTER (WHERE approximate) AS approximate
            FROM money
            """,
        )
        unconverted = rows(
            self.con,
            """
            -- per currency of the stated money that has no rate (the budget, else public funding and
            -- co-funding), as domain.portfolio_rule.convert_money lists them
            SELECT currency, sum(amount) AS amount, count(*) AS projects FROM (
                SELECT coalesce(scope_projects.budget_currency, '(none)') AS currency, scope_projects.budget_amount AS amount
                FROM converted_amounts JOIN scope_projects ON scope_projects.id = converted_amounts.id WHERE converted_amounts.budget_unconverted
                UNION ALL
                SELECT coalesce(scope_projects.public_currency, '(none)'), scope_projects.public_amount
                FROM converted_amounts JOIN scope_projects ON scope_projects.id = converted_amounts.id LEFT JOIN fx_rates ON fx_rates.currency = scope_projects.public_currency
                    AND fx_rates.year IS NOT DISTINCT FROM scope_projects.start_year
                WHERE converted_amounts.parts_unconverted AND scope_projects.public_amount IS NOT NULL
                    AND scope_projects.public_currency IS DISTINCT FROM $rc AND fx_rates.rate IS NULL
                UNION ALL
                SELECT coalesce(scope_projects.cofunding_currency, '(none)'), scope_projects.cofunding_amount
                FROM converted_amounts JOIN scope_projects ON scope_projects.id = converted_amounts.id LEFT JOIN fx_rates ON fx_rates.currency = scope_projects.cofunding_currency
                    AND fx_rates.year IS NOT DISTINCT FROM scope_projects.start_year
                WHERE converted_amounts.parts_unconverted AND scope_projects.cofunding_amount IS NOT NULL
                    AND scope_projects.cofunding_currency IS DISTINCT FROM $rc AND fx_rates.rate IS NULL
            ) GROUP BY 1 ORDER BY 1
            """,
            {"rc": rc},
        )
        return {
            "reporting_currency": rc,
            "total": figure(
                totals.get("budget"), rc, "sum of project budgets converted to the reporting currency"
            ),
            "public": figure(totals.get("public"), rc, "sum of public funding of projects that state it"),
            "private": figure(
                totals.get("private"),
                rc,
                "sum of co-funding (stated, or budget minus public funding), whatever its source; section "
                "cofunding splits it by source where projects state them",
            ),
            "projects_with_budget": figure(
                totals.get("with_budget"), "projects", "projects with a convertible budget"
            ),
            "projects_without_budget": figure(
                (totals.get("projects") or 0) - (totals.get("with_budget") or 0),
                "projects",
                "projects with no budget, or one in a currency without an exchange rate",
            ),
            "approximate_rate_projects": figure(
                totals.get("approximate"),
                "projects",
                "projects converted with the rate of the nearest year because their start year has none",
            ),
            "unconverted": table(
                unconverted,
                {"amount": "original currency", "projects": "projects"},
                f"budgets in currencies with no rate to {rc} in exchange_rates; not in any total",
            ),
        }

    def coverage(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Per goal: projects, budget (full and split between a project's goals), share, weights; gaps."""
        found = self._links_per_goal()
        goals = list(self.goals) + [
            Goal(code=g, title=g) for g in sorted(found) if g not in {x.code for x in self.goals}
        ]
        below = self._proposed_below_threshold()
        covered = self._coverage_rows(goals, found)
        gaps = self._gaps(goals, covered, below)
        return self._coverage_table(covered), self._gap_table(gaps)

    def _links_per_goal(self) -> dict[str, dict[str, Any]]:
        """Per goal with links in scope: projects (accepted, proposed), budget, budget split, mean score."""
        return {
            r["goal"]: r
            for r in rows(
                self.con,
                """
                WITH n AS (SELECT project_id, count(*) AS goals FROM portfolio_links GROUP BY 1)
                SELECT l.goal,
                       count(*) AS projects,
                       count(*) FILTER (WHERE l.accepted) AS accepted,
                       count(*) FILTER (WHERE NOT l.accepted) AS proposed,
                       sum(m.budget) AS budget,
                       sum(m.budget / n.goals) AS budget_split,
                       avg(l.score) AS mean_score
                FROM portfolio_links l JOIN scope_projects ON scope_projects.id = l.project_id JOIN money m ON m.id = l.project_id
                JOIN n ON n.project_id = l.project_id
                GROUP BY l.goal
                """,
            )
        }

    def _proposed_below_threshold(self) -> dict[str, int]:
        """Per goal, the projects proposed with a score under the threshold: links the portfolio rule
        leaves out (a goal with only these is a gap that says so); none for the whole portfolio (its
        ``links`` are not loaded)."""
        if self.taxonomy is None:
            return {}
        return {
            r["goal"]: r["n"]
            for r in rows(
                self.con,
                "SELECT a.objective AS goal, count(DISTINCT l.project_id) AS n "
                "FROM links l JOIN goal_attribution a ON a.goal = l.goal WHERE l.taxonomy = $taxonomy "
                "AND l.status = 'proposed' AND l.score < $threshold GROUP BY 1",
                {"taxonomy": self.taxonomy, "threshold": self.threshold},
            )
        }

    @staticmethod
    def _coverage_rows(goals: list[Goal], found: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        """One row per goal: its links' figures, its share of the split budget and of the weights."""
        total_split = sum((found.get(g.code, {}).get("budget_split") or 0.0) for g in goals)
        weights = [g.weight for g in goals if g.weight is not None]
        weight_total = sum(weights)
        out: list[dict[str, Any]] = []
        for goal in goals:
            r = found.get(goal.code, {})
            share = (r.get("budget_split") or 0.0) / total_split if total_split > 0 else 0.0
            weight_share = (
                (goal.weight / weight_total) if goal.weight is not None and weight_total > 0 else None
            )
            out.append(
                {
                    "goal": goal.code,
                    "title": goal.title,
                    "projects": r.get("projects", 0),
                    "accepted": r.get("accepted", 0),
                    "proposed": r.get("proposed", 0),
                    "budget": r.get("budget") or 0.0,
                    "budget_split": r.get("budget_split") or 0.0,
                    "share": share,
                    "weight": goal.weight,
                    "weight_share": weight_share,
                    "budget_to_weight": metrics.gap_ratio(share, weight_share)
                    if weight_share is not None
                    else None,
                }
            )
        return out

    def _gaps(
        self, goals: list[Goal], covered: list[dict[str, Any]], below: dict[str, int]
    ) -> list[dict[str, Any]]:
        """The goals with no project (orphaned), only proposed links (unconfirmed), or thin coverage."""
        gaps: list[dict[str, Any]] = []
        expected_even = 1.0 / len(goals) if goals else 0.0
        for goal, row in zip(goals, covered, strict=True):
            share = row["share"]
            weight_share = row["weight_share"]
            expected = weight_share if weight_share is not None else expected_even
            if row["projects"] == 0:
                reason = "no project"
                if below.get(goal.code):
                    reason = (
                        f"no project counts; {below[goal.code]} proposed with score under "
                        f"{self.threshold:g} (review them)"
                    )
                gaps.append({"goal": goal.code, "title": goal.title, "kind": "orphaned", "reason": reason})
            elif row["accepted"] == 0:
                gaps.append(
                    {
                        "goal": goal.code,
                        "title": goal.title,
                        "kind": "unconfirmed",
                        "reason": f"only proposed links (score ≥ {self.threshold}), none accepted",
                    }
                )
            elif row["projects"] < 3 or (expected > 0 and share < 0.5 * expected):
                reason = (
                    f"{row['projects']} project(s)"
                    if row["projects"] < 3
                    else f"budget share {share:.1%} is under half the {'declared weight' if weight_share is not None else 'even share'} {expected:.1%}"
                )
                gaps.append({"goal": goal.code, "title": goal.title, "kind": "thin", "reason": reason})
        return gaps

    def _coverage_table(self, covered: list[dict[str, Any]]) -> dict[str, Any]:
        return table(
            covered,
            {
                "projects": "projects",
                "accepted": "projects",
                "proposed": "projects",
                "budget": self.currency,
                "budget_split": self.currency,
                "share": "fraction of budget_split",
                "weight": "declared weight (mission's scale)",
                "weight_share": "fraction of declared weights",
                "budget_to_weight": "share ÷ weight_share (1 = as intended)",
            },
            "links to each goal (accepted, plus proposed ≥ threshold as 'proposed'); budget counts a "
            "project's full budget for every goal it serves, budget_split divides it evenly among them",
        )

    @staticmethod
    def _gap_table(gaps: list[dict[str, Any]]) -> dict[str, Any]:
        return table(
            gaps,
            {},
            "goals with no project (orphaned), only proposed links (unconfirmed), fewer than 3 projects or "
            "under half their expected budget share (thin); expected = declared weight share, else an even share",
        )

    def instruments(self) -> dict[str, Any]:
        rc = self.currency
        inferences = self._project_instruments()
        by_type = rows(
            self.con,
            """
            SELECT i.kind AS instrument, count(*) AS projects,
                   count(*) FILTER (WHERE i.source = 'explicit') AS explicit,
                   count(*) FILTER (WHERE i.source = 'inferred') AS inferred,
                   sum(m.budget) AS budget
            FROM project_instruments i JOIN money m ON m.id = i.id GROUP BY 1 ORDER BY budget DESC NULLS LAST, 1
            """,
        )
        total = sum(r["budget"] or 0.0 for r in by_type)
        families: dict[str, dict[str, Any]] = {}
        for r in by_type:
            r["share"] = (r["budget"] or 0.0) / total if total > 0 else None
            family = self._family(r["instrument"])
            r["family"] = family
            f = families.setdefault(family, {"family": family, "projects": 0, "budget": 0.0})
            f["projects"] += r["projects"]
            f["budget"] += r["budget"] or 0.0
        for f in families.values():
            f["share"] = f["budget"] / total if total > 0 else None
        inferences.sort(key=lambda x: (-x["projects"], x["instrument"], x["rule"]))  # ties in a fixed order
        units = {
            "projects": "projects",
            "explicit": "projects",
            "inferred": "projects",
            "budget": rc,
            "share": "fraction of budget",
        }
        return {
            "by_type": table(
                by_type,
                units,
                "instrument field where set, else inferred from funding scheme / programme names, else from "
                "instrument phrases in the title or abstract",
            ),
            "by_family": table(
                sorted(families.values(), key=lambda f: -f["budget"]),
                {"projects": "projects", "budget": rc, "share": "fraction of budget"},
                "instrument types grouped into supply / demand / regulation / systemic (OECD STIP Compass)",
            ),
            "inferences": table(
                inferences[:50],
                {"projects": "projects"},
                "rules that inferred an instrument, with the text they matched",
            ),
        }

    def _project_instruments(self) -> list[dict[str, Any]]:
        """Table (or registered rows) project_instruments (``classify_instruments``) and the rules that
        inferred instruments; the ones computed beforehand where the engine was given them."""
        if self.precomputed_instruments is not None:
            found, inferences = self.precomputed_instruments
            self.con.register("project_instruments", found)
            return [dict(rule) for rule in inferences]
        return classify_instruments(self.con, self.texts, self.max_text_inference)

    @staticmethod
    def _family(kind: str) -> str:
        normalised = normalise_instrument(kind)
        return INSTRUMENT_FAMILY[normalised].value if normalised is not None else "unknown"

    def stages(self) -> dict[str, Any]:
        rc = self.currency
        by_stage = rows(
            self.con,
            """
            SELECT coalesce(lower(scope_projects.stage),
                CASE WHEN scope_projects.trl BETWEEN 1 AND 3 THEN 'research' WHEN scope_projects.trl BETWEEN 4 AND 5 THEN 'development'
                     WHEN scope_projects.trl BETWEEN 6 AND 7 THEN 'demonstration' WHEN scope_projects.trl BETWEEN 8 AND 9 THEN 'deployment'
                     ELSE 'unknown' END) AS stage,
                count(*) AS projects, sum(m.budget) AS budget
            FROM scope_projects JOIN money m ON m.id = scope_projects.id GROUP BY 1
            """,
        )
        order = {"research": 0, "development": 1, "demonstration": 2, "deployment": 3}
        by_stage.sort(key=lambda r: order.get(r["stage"], 9))
        total = sum(r["budget"] or 0.0 for r in by_stage)
        for r in by_stage:
            r["share"] = (r["budget"] or 0.0) / total if total > 0 else None
        by_trl = rows(
            self.con,
            "SELECT trl, count(*) AS projects, sum(m.budget) AS budget FROM scope_projects JOIN money m ON m.id = scope_projects.id "
            "WHERE trl IS NOT NULL GROUP BY 1 ORDER BY 1",
        )
        return {
            "by_stage": table(
                by_stage,
                {"projects": "projects", "budget": rc, "share": "fraction of budget"},
                "stage field, else TRL (1–3 research, 4–5 development, 6–7 demonstration, 8–9 deployment)",
            ),
            "by_trl": table(by_trl, {"projects": "projects", "budget": rc}, "projects stating a TRL"),
        }

    def helix(self) -> dict[str, Any]:
        rc = self.currency
        by_helix, multi, known = participants.helix_rows(self.participants)
        total_p = sum(r["participations"] for r in by_helix)
        total_m = sum(r["money"] or 0.0 for r in by_helix)
        for r in by_helix:
            r["participation_share"] = r["participations"] / total_p if total_p else None
            r["money_share"] = (r["money"] or 0.0) / total_m if total_m > 0 else None
        return {
            "by_helix": table(
                by_helix,
                {
                    "participations": "participations",
                    "actors": "actors",
                    "projects": "projects",
                    "money": rc,
                    "with_money": "participations",
                    "participation_share": "fraction of participations",
                    "money_share": "fraction of money",
                },
                "non-funder participations by the actor's helix; money = the participation's amount, else "
                "its share of the project budget (participations with neither are counted, not summed)",
            ),
            "multi_helix_share": figure(
                multi / known if known else None,
                "fraction of projects",
                "projects whose participants span more than one helix type, among projects with a known helix",
            ),
        }

    def geography(self) -> dict[str, Any]:
        rc = self.currency
        out: dict[str, Any] = {}
        for key, column in (("regions", "regions"), ("countries", "countries")):
            places = rows(
                self.con,
                f"""
                WITH listed AS (
                    SELECT scope_projects.id, from_json(coalesce(nullif(scope_projects.{column}, ''), '[]'), '["VARCHAR"]') AS places
                    FROM scope_projects)
                SELECT place, count(*) AS projects, sum(m.budget / len(listed.places)) AS budget
                FROM (SELECT id, places, unnest(places) AS place FROM listed) listed
                JOIN money m ON m.id = listed.id
                GROUP BY 1 ORDER BY budget DESC NULLS LAST, projects DESC, 1
                """,
            )
            total = sum(r["budget"] or 0.0 for r in places)
            for r in places:
                r["share"] = (r["budget"] or 0.0) / total if total > 0 else None
            shares = metrics.shares([r["budget"] or 0.0 for r in places])
            out[key] = table(
                places[:100],
                {"projects": "projects", "budget": rc, "share": "fraction of budget"},
                f"project {column}; a project's budget is split evenly among the places it lists (top 100)",
            )
            out[f"{key}_hhi"] = figure(
                metrics.herfindahl_hirschman(shares) if shares else None,
                "HHI (0–1)",
                f"Herfindahl–Hirschman index of budget across {column}: place-based concentration",
            )
            out[f"{key}_count"] = figure(len(places), column, f"distinct {column} with at least one project")
        return out

    def timeline(self) -> dict[str, Any]:
        rc = self.currency
        years = rows(
            self.con,
            """
            WITH starts AS (SELECT start_year AS year, count(*) AS n FROM scope_projects WHERE start_year IS NOT NULL GROUP BY 1),
                 ends AS (SELECT end_year AS year, count(*) AS n FROM scope_projects WHERE end_year IS NOT NULL GROUP BY 1),
                 spread AS (
                    SELECT unnest(range(scope_projects.start_year, greatest(coalesce(scope_projects.end_year, scope_projects.start_year), scope_projects.start_year) + 1))
                               AS year,
                           m.budget / (greatest(coalesce(scope_projects.end_year, scope_projects.start_year), scope_projects.start_year) - scope_projects.start_year + 1)
                               AS spend
                    FROM scope_projects JOIN money m ON m.id = scope_projects.id WHERE scope_projects.start_year IS NOT NULL),
                 spend AS (SELECT year, sum(spend) AS spend FROM spread GROUP BY 1),
                 allyears AS (SELECT year FROM starts UNION SELECT year FROM ends UNION SELECT year FROM spend)
            SELECT y.year, coalesce(s.n, 0) AS starts, coalesce(e.n, 0) AS ends, p.spend
            FROM allyears y LEFT JOIN starts s USING (year) LEFT JOIN ends e USING (year) LEFT JOIN spend p USING (year)
            ORDER BY y.year
            """,
        )
        return table(
            years,
            {"starts": "projects", "ends": "projects", "spend": f"{rc} per year"},
            "project start and end years; spend spreads each budget evenly over the calendar years from start to end",
        )

    def leverage(self) -> dict[str, Any]:
        rc = self.currency
        unit = f"{rc} of co-funding per {rc} of public funding"
        basis = (
            "projects stating public funding > 0; co-funding = stated co-funding, else budget minus public "
            "funding, whatever its source (other public and EU money included; section cofunding gives "
            "the private share where projects state their sources)"
        )
        total = one(
            self.con,
            "SELECT sum(private) AS private, sum(public) AS public, count(*) AS projects FROM money "
            "WHERE public > 0 AND private IS NOT NULL",
        )

        def ratio_rows(sql: str) -> list[dict[str, Any]]:
            found = rows(self.con, sql)
            for r in found:
                r["leverage"] = metrics.leverage_ratio(max(r["private"] or 0.0, 0.0), r["public"] or 0.0)
            return found

        by_goal = ratio_rows(
            """
            SELECT l.goal, sum(m.private) AS private, sum(m.public) AS public, count(*) AS projects
            FROM portfolio_links l JOIN money m ON m.id = l.project_id
            WHERE m.public > 0 AND m.private IS NOT NULL GROUP BY 1 ORDER BY 1
            """
        )
        by_instrument = ratio_rows(
            """
            SELECT i.kind AS instrument, sum(m.private) AS private, sum(m.public) AS public, count(*) AS projects
            FROM project_instruments i JOIN money m ON m.id = i.id
            WHERE m.public > 0 AND m.private IS NOT NULL GROUP BY 1 ORDER BY public DESC, 1
            """
        )
        by_funder = ratio_rows(
            """
            WITH n AS (SELECT project_id, count(*) AS k FROM project_funders GROUP BY 1)
            SELECT f.funder, sum(m.private / n.k) AS private, sum(m.public / n.k) AS public, count(*) AS projects
            FROM project_funders f JOIN n USING (project_id) JOIN money m ON m.id = f.project_id
            WHERE m.public > 0 AND m.private IS NOT NULL GROUP BY 1 ORDER BY public DESC, 1 LIMIT 50
            """
        )
        units = {"private": rc, "public": rc, "projects": "projects", "leverage": unit}
        return {
            "total": figure(
                metrics.leverage_ratio(max(total.get("private") or 0.0, 0.0), total.get("public") or 0.0),
                unit,
                basis,
            ),
            "public": figure(total.get("public"), rc, basis),
            "private": figure(total.get("private"), rc, basis),
            "by_objective": table(by_goal, units, basis + "; per goal of the analysed taxonomy"),
            "by_instrument": table(by_instrument, units, basis + "; per instrument type"),
            "by_funder": table(
                by_funder,
                units,
                basis + "; a co-funded project's money is split evenly among its funders (top 50)",
            ),
        }

    def concentration(self) -> dict[str, Any]:
        rc = self.currency
        funders = rows(
            self.con,
            """
            WITH n AS (SELECT project_id, count(*) AS k FROM project_funders GROUP BY 1)
            SELECT f.funder, sum(m.budget / n.k) AS budget, count(*) AS projects
            FROM project_funders f JOIN n USING (project_id) JOIN money m ON m.id = f.project_id
            GROUP BY 1 ORDER BY budget DESC NULLS LAST, projects DESC, 1
            """,
        )
        received, known = participants.received(self.participants)
        recipient_money = received  # SQL's coalesce(money, 0): an actor with no known money received 0
        ranked = np.lexsort((self.participants.actor_ids, -received, ~known))[:10]
        top_ids = [int(self.participants.actor_ids[i]) for i in ranked]
        names = {
            int(r["id"]): r["name"]
            for r in rows(
                self.con,
                "SELECT id, name FROM actors WHERE id IN (SELECT unnest($ids::BIGINT[]))",
                {"ids": top_ids},
            )
        }
        recipients = [
            {
                "actor_id": int(self.participants.actor_ids[i]),
                "name": names.get(int(self.participants.actor_ids[i])),
                "money": float(received[i]) if known[i] else None,
            }
            for i in ranked
        ]
        funder_money = [r["budget"] or 0.0 for r in funders]
        funder_shares = metrics.shares(funder_money)
        recipient_shares = metrics.shares(recipient_money.tolist())

        def block(
            shares: list[float],
            total: float,
            count: int,
            what: str,
            top: list[dict[str, Any]],
            money_key: str,
        ) -> dict[str, Any]:
            for r in top[:10]:
                r["share"] = (r[money_key] or 0.0) / total if total > 0 else None
            # one pass over (up to hundreds of thousands of) shares; points and 1/HHI follow from it
            # exactly as metrics.hhi_points and metrics.equivalent_number compute them
            hhi = metrics.herfindahl_hirschman(shares) if shares else None
            return {
                "hhi": figure(hhi, "HHI (0–1)", what),
                "hhi_points": figure(
                    hhi * 10_000.0 if hhi is not None else None, "HHI points (0–10,000)", what
                ),
                "equivalent_number": figure(
                    (0.0 if hhi <= 0 else 1.0 / hhi) if hhi is not None else None,
                    "equal-sized actors (1/HHI)",
                    what,
                ),
                "count": figure(count, "actors", what),
                "top": table(top[:10], {money_key: rc, "share": "fraction"}, what + " (top 10)"),
            }

        return {
            "funders": block(
                funder_shares,
                sum(funder_money),
                len(funders),
                "budget by funder (project funder field and funder-role participants; co-funded budgets split evenly)",
                funders,
                "budget",
            ),
            "recipients": block(
                recipient_shares,
                float(recipient_money.sum()),
                len(recipient_money),
                "money received by non-funder participants: stated amount, else share × budget, else the "
                "budget split evenly where no participant of the project states money",
                recipients,
                "money",
            ),
        }
