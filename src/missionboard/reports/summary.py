"""What a mission owner reads first: headline figures and the key tables of an analysis.

Each function reads the typed ``PortfolioAnalysis`` (or its JSON form, ``to_dict()`` or a saved
``analyze --format json``, validated into it). Both the terminal (Rich) and the markdown report
render these same ``ReportTable`` objects, so the two never disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from missionboard.analytics.result import KEYS, Figure, Json, PortfolioAnalysis, Table

Analysis = PortfolioAnalysis | Mapping[str, object]
"""An analysis, typed or in its JSON form."""

Formatter = Callable[[Any], str]


def money(value: Any) -> str:
    return "–" if value is None else f"{value:,.0f}"


def share(value: Any) -> str:
    return "–" if value is None else f"{value:.1%}"


def number(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.3f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def yes_no(value: Any) -> str:
    return "–" if value is None else ("yes" if value else "no")


def text(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    format: Formatter = text
    numeric: bool = False


@dataclass(frozen=True)
class ReportTable:
    title: str
    note: str
    columns: list[Column]
    rows: list[dict[str, Json]]

    def cells(self) -> list[list[str]]:
        return [[c.format(r.get(c.key)) for c in self.columns] for r in self.rows]


def analysis_of(found: Analysis) -> PortfolioAnalysis:
    """The typed analysis; its JSON form is validated into it (keys other than the sections, such as
    ``charts``, left out)."""
    if isinstance(found, PortfolioAnalysis):
        return found
    return PortfolioAnalysis.model_validate({key: found.get(key) for key in KEYS})


def _v(found: object) -> Any:
    """A figure's value; None where there is no figure."""
    return found.value if isinstance(found, Figure) else None


def entry_of(section: Mapping[str, object] | None, key: str) -> object:
    """The entry ``key`` of a section (None where the section or the entry is missing)."""
    return None if section is None else section.get(key)


def group_of(section: Mapping[str, object] | None, key: str) -> Mapping[str, object] | None:
    """A group of figures and tables inside a section (``concentration["funders"]``, ``network["funders"]``)."""
    found = entry_of(section, key)
    return found if isinstance(found, Mapping) else None


def table_of(found: object, name: str) -> Table:
    """A table of the analysis that every analysis has (``TypeError`` where it is missing)."""
    if not isinstance(found, Table):
        raise TypeError(f"the analysis has no table {name!r}")
    return found


def portfolio_line(given: Analysis) -> str:
    """The line under the figures saying which projects count and in which currency money is shown."""
    analysis = analysis_of(given)
    block = analysis.portfolio
    if not block:
        return f"Money in {analysis.reporting_currency}."
    return f"Portfolio: {block.rule}. Money in {block.conversion.removeprefix('money in ')}."


def headline(given: Analysis) -> list[tuple[str, str, str]]:
    """(label, value, unit) rows for the figures a mission owner looks at first."""
    analysis = analysis_of(given)
    rc = analysis.reporting_currency
    network = analysis.network
    diversity = analysis.diversity
    budget = analysis.budget
    projects = analysis.projects
    concentration = analysis.concentration
    unconverted = table_of(entry_of(budget, "unconverted"), "budget.unconverted").rows
    out = [
        ("Projects", number(_v(entry_of(projects, "projects"))), "projects"),
        ("  of which only via proposed links", number(_v(entry_of(projects, "proposed_only"))), "projects"),
        ("Budget", money(_v(entry_of(budget, "total"))), rc),
        ("Public funding", money(_v(entry_of(budget, "public"))), rc),
        ("Co-funding", money(_v(entry_of(budget, "private"))), rc),
        ("Leverage", number(_v(entry_of(analysis.leverage, "total"))), f"{rc} co-funding per {rc} public"),
        ("Themes (variety)", number(_v(entry_of(diversity, "variety"))), "themes"),
        ("Balance", number(_v(entry_of(diversity, "balance"))), "Shannon evenness 0–1"),
        ("Disparity", number(_v(entry_of(diversity, "disparity"))), "mean cosine distance 0–1"),
        ("Stirling diversity", number(_v(entry_of(diversity, "stirling"))), "Δ 0–1"),
        ("Funder concentration", number(_v(entry_of(group_of(concentration, "funders"), "hhi"))), "HHI 0–1"),
        (
            "Recipient concentration",
            number(_v(entry_of(group_of(concentration, "recipients"), "hhi"))),
            "HHI 0–1",
        ),
        ("Silo index", number(_v(entry_of(network, "silo_index"))), "modularity by funder"),
        ("Multi-funder projects", share(_v(entry_of(network, "multi_funder_share"))), "of funded projects"),
        ("Multi-helix projects", share(_v(entry_of(network, "multi_helix_share"))), "of projects"),
        ("Near-duplicates across funders", number(_v(entry_of(analysis.overlaps, "count"))), "project pairs"),
    ]
    out += _structure_headline(analysis)
    for r in unconverted:
        out.append(
            (
                f"Not converted ({r['currency']})",
                money(r["amount"]),
                f"{r['currency']}, {r['projects']} projects",
            )
        )
    return out


def report_tables(given: Analysis) -> list[ReportTable]:
    """The key tables, in reading order."""
    analysis = analysis_of(given)
    rc = analysis.reporting_currency
    instruments = analysis.instruments or {}
    cov = table_of(analysis.coverage, "coverage")
    gaps = table_of(analysis.gaps, "gaps")
    by_type = table_of(instruments.get("by_type"), "instruments.by_type")
    inferences = table_of(instruments.get("inferences"), "instruments.inferences")
    by_stage = table_of((analysis.stages or {}).get("by_stage"), "stages.by_stage")
    by_helix = table_of(entry_of(analysis.helix, "by_helix"), "helix.by_helix")
    regions = table_of(entry_of(analysis.geography, "regions"), "geography.regions")
    by_funder = table_of(entry_of(analysis.leverage, "by_funder"), "leverage.by_funder")
    themes = table_of(analysis.themes, "themes")
    brokers = table_of(entry_of(analysis.network, "brokers"), "network.brokers")
    pairs = table_of(entry_of(analysis.overlaps, "pairs"), "overlaps.pairs")
    timeline = table_of(analysis.timeline, "timeline")
    dynamics = table_of(analysis.dynamics, "dynamics")
    tables = [
        ReportTable(
            "Coverage by objective",
            cov.computed_from,
            [
                Column("goal", "Goal"),
                Column("title", "Title"),
                Column("accepted", "Accepted", number, True),
                Column("proposed", "Proposed", number, True),
                Column("budget_split", f"Budget ({rc})", money, True),
                Column("share", "Share", share, True),
                Column("weight_share", "Declared", share, True),
                Column("budget_to_weight", "Budget ÷ weight", number, True),
            ],
            cov.rows,
        ),
        ReportTable(
            "Gaps",
            gaps.computed_from,
            [
                Column("goal", "Goal"),
                Column("title", "Title"),
                Column("kind", "Kind"),
                Column("reason", "Why"),
            ],
            gaps.rows,
        ),
        ReportTable(
            "Instrument mix",
            by_type.computed_from,
            [
                Column("instrument", "Instrument"),
                Column("family", "Family"),
                Column("projects", "Projects", number, True),
                Column("inferred", "Inferred", number, True),
                Column("budget", f"Budget ({rc})", money, True),
                Column("share", "Share", share, True),
            ],
            by_type.rows,
        ),
        ReportTable(
            "Instrument inferences",
            inferences.computed_from,
            [
                Column("instrument", "Instrument"),
                Column("rule", "Because"),
                Column("projects", "Projects", number, True),
            ],
            inferences.rows[:10],
        ),
        ReportTable(
            "Stage mix",
            by_stage.computed_from,
            [
                Column("stage", "Stage"),
                Column("projects", "Projects", number, True),
                Column("budget", f"Budget ({rc})", money, True),
                Column("share", "Share", share, True),
            ],
            by_stage.rows,
        ),
        ReportTable(
            "Helix mix",
            by_helix.computed_from,
            [
                Column("helix", "Helix"),
                Column("participations", "Participations", number, True),
                Column("participation_share", "Share", share, True),
                Column("money", f"Money ({rc})", money, True),
                Column("money_share", "Money share", share, True),
            ],
            by_helix.rows,
        ),
        ReportTable(
            "Regions (top 10)",
            regions.computed_from,
            [
                Column("place", "Region"),
                Column("projects", "Projects", number, True),
                Column("budget", f"Budget ({rc})", money, True),
                Column("share", "Share", share, True),
            ],
            regions.rows[:10],
        ),
        ReportTable(
            "Leverage by funder (top 10)",
            by_funder.computed_from,
            [
                Column("funder", "Funder"),
                Column("public", f"Public ({rc})", money, True),
                Column("private", f"Private ({rc})", money, True),
                Column("leverage", "Leverage", number, True),
            ],
            by_funder.rows[:10],
        ),
        ReportTable(
            "Themes",
            themes.computed_from,
            [
                Column("label", "Theme"),
                Column("projects", "Projects", number, True),
                Column("share", "Share", share, True),
                Column("example", "Example"),
            ],
            themes.rows,
        ),
        ReportTable(
            "Brokers",
            brokers.computed_from,
            [
                Column("name", "Actor"),
                Column("helix", "Helix"),
                Column("main_funder", "Main funder"),
                Column("funders", "Funders", number, True),
                Column("degree", "Collaborators", number, True),
                Column("betweenness", "Betweenness", number, True),
            ],
            brokers.rows,
        ),
        ReportTable(
            "Near-duplicate projects across funders",
            pairs.computed_from,
            [
                Column("title_a", "Project A"),
                Column("funders_a", "Funders A"),
                Column("title_b", "Project B"),
                Column("funders_b", "Funders B"),
                Column("similarity", "Similarity", number, True),
            ],
            pairs.rows[:10],
        ),
        ReportTable(
            "Timeline",
            timeline.computed_from,
            [
                Column("year", "Year"),
                Column("starts", "Starts", number, True),
                Column("ends", "Ends", number, True),
                Column("spend", f"Spend ({rc})", money, True),
            ],
            timeline.rows,
        ),
        ReportTable(
            "Dynamics",
            dynamics.computed_from,
            [
                Column("year", "Year"),
                Column("active_actors", "Active actors", number, True),
                Column("new_actors", "New actors", number, True),
                Column("new_collaborations", "New collaborations", number, True),
                Column("new_cross_sector", "New cross-sector", number, True),
            ],
            dynamics.rows,
        ),
    ]
    tables += _structure_tables(analysis)
    return [t for t in tables if t.rows]


# --- the structure and funding-detail sections (present for a mission's analysis) ------------------

STRUCTURE_SECTIONS = ("governance", "logic", "cofunding", "conditions", "disciplines", "gender")
"""Sections a mission's analysis may carry; a report shows each only where the analysis has it."""


def _section(analysis: PortfolioAnalysis, name: str) -> Mapping[str, object] | None:
    """A structure section of the analysis, or None where the analysis has none (or no such field)."""
    found = getattr(analysis, name, None)
    return found if isinstance(found, Mapping) else None


def _table(section: Mapping[str, object] | None, key: str) -> Table | None:
    found = entry_of(section, key)
    return found if isinstance(found, Table) else None


def _structure_headline(analysis: PortfolioAnalysis) -> list[tuple[str, str, str]]:
    """Headline rows of the structure and funding-detail sections the analysis has."""
    rc = analysis.reporting_currency
    governance, logic = _section(analysis, "governance"), _section(analysis, "logic")
    cofunding, conditions = _section(analysis, "cofunding"), _section(analysis, "conditions")
    disciplines, gender = _section(analysis, "disciplines"), _section(analysis, "gender")
    out: list[tuple[str, str, str]] = []
    if governance is not None:
        out.append(
            (
                "Objectives without an owner",
                number(_v(entry_of(governance, "objectives_without_owner"))),
                "objectives",
            )
        )
    if logic is not None:
        out += [
            (
                "Pathways with no project or measure",
                number(_v(entry_of(logic, "unsupported"))),
                "objectives and outcomes",
            ),
            ("Failing assumptions", number(_v(entry_of(logic, "failing_assumptions"))), "assumptions"),
        ]
    if cofunding is not None:
        out += [
            ("Co-funding by source", money(_v(entry_of(cofunding, "total"))), rc),
            (
                "Leverage of co-funding by source",
                number(_v(entry_of(cofunding, "leverage"))),
                f"{rc} per {rc} public",
            ),
            (
                "Private leverage (private, in-kind, philanthropic)",
                number(_v(entry_of(cofunding, "private_leverage"))),
                f"{rc} per {rc} public",
            ),
        ]
    if conditions is not None:
        out.append(
            (
                "Money with conditions",
                share(_v(entry_of(conditions, "share_with_conditions"))),
                "of the money",
            )
        )
    if disciplines is not None:
        out += [
            (
                "Cross-disciplinary projects",
                number(_v(entry_of(disciplines, "cross_disciplinary"))),
                "projects",
            ),
            (
                "SSH share",
                share(_v(entry_of(disciplines, "ssh_share"))),
                "of projects with a discipline area",
            ),
        ]
    if gender is not None:
        out.append(
            (
                "Female-led projects",
                share(_v(entry_of(gender, "female_lead_share"))),
                "of projects with a known lead gender",
            )
        )
    return out


def _structure_tables(analysis: PortfolioAnalysis) -> list[ReportTable]:
    """The tables of the structure and funding-detail sections the analysis has, in reading order."""
    rc = analysis.reporting_currency
    governance, logic = _section(analysis, "governance"), _section(analysis, "logic")
    specs: list[tuple[Table | None, str, list[Column]]] = [
        (
            _table(governance, "by_body"),
            "Governance by body",
            [
                Column("body", "Body"),
                Column("levels", "Level"),
                Column("roles", "Role"),
                Column("objectives", "Objectives"),
                Column("projects", "Projects", number, True),
                Column("money", f"Money ({rc})", money, True),
                Column("measures", "Measures"),
                Column("measure_budget", f"Measure budget ({rc})", money, True),
            ],
        ),
        (
            _table(governance, "by_level"),
            "Governance by level",
            [
                Column("level", "Level"),
                Column("bodies", "Bodies"),
                Column("objectives", "Objectives"),
                Column("projects", "Projects", number, True),
                Column("money", f"Money ({rc})", money, True),
                Column("measures", "Measures"),
                Column("measure_budget", f"Measure budget ({rc})", money, True),
            ],
        ),
        (
            _table(governance, "unowned"),
            "Objectives without an owner",
            [Column("objective", "Objective"), Column("title", "Title")],
        ),
        (
            _table(governance, "idle_bodies"),
            "Bodies with objectives but no money or measure",
            [Column("body", "Body"), Column("objectives", "Objectives")],
        ),
        (
            _table(logic, "pathways"),
            "Intervention logic",
            [
                Column("id", "Id"),
                Column("kind", "Kind"),
                Column("title", "Title"),
                Column("leads_to", "Leads to"),
                Column("measures", "Measures"),
                Column("projects", "Projects", number, True),
                Column("projects_via", "Projects via"),
                Column("money", f"Money ({rc})", money, True),
                Column("indicator", "Indicator"),
                Column("supported", "Supported", yes_no),
            ],
        ),
        (
            _table(logic, "without_support"),
            "Pathways with no project or measure",
            [Column("id", "Id"), Column("kind", "Kind"), Column("title", "Title")],
        ),
        (
            _table(logic, "failing"),
            "Failing assumptions",
            [
                Column("id", "Id"),
                Column("text", "Assumption"),
                Column("evidence", "Evidence"),
                Column("outcomes", "Outcomes depending on it"),
                Column("objectives", "Objectives depending on it"),
            ],
        ),
        (
            _table(_section(analysis, "cofunding"), "by_source"),
            "Co-funding by source",
            [
                Column("source_type", "Source"),
                Column("projects", "Projects", number, True),
                Column("amount", f"Amount ({rc})", money, True),
                Column("share", "Share", share, True),
                Column("leverage", "Leverage", number, True),
            ],
        ),
        (
            _table(_section(analysis, "conditions"), "by_kind"),
            "Conditions on funding",
            [
                Column("kind", "Kind"),
                Column("projects", "Projects", number, True),
                Column("money", f"Money ({rc})", money, True),
                Column("share", "Share of money", share, True),
                Column("covered_money", f"Covered ({rc})", money, True),
                Column("covered_share", "Covered share", share, True),
            ],
        ),
        (
            _table(_section(analysis, "disciplines"), "by_area"),
            "Disciplines (Fields of Science)",
            [
                Column("area", "Area"),
                Column("ssh", "SSH", yes_no),
                Column("projects", "Projects", number, True),
                Column("share", "Share", share, True),
                Column("main", "Main discipline", number, True),
            ],
        ),
        (
            _table(_section(analysis, "gender"), "by_marker"),
            "Gender equality marker",
            [
                Column("value", "Marker"),
                Column("projects", "Projects", number, True),
                Column("money", f"Money ({rc})", money, True),
                Column("share", "Share of money", share, True),
            ],
        ),
        (
            _table(_section(analysis, "gender"), "by_lead_gender"),
            "Lead gender",
            [
                Column("value", "Lead"),
                Column("projects", "Projects", number, True),
                Column("money", f"Money ({rc})", money, True),
                Column("share", "Share of money", share, True),
            ],
        ),
    ]
    return [
        ReportTable(name, found.computed_from, columns, found.rows)
        for found, name, columns in specs
        if found is not None
    ]


def title(given: Analysis) -> str:
    analysis = analysis_of(given)
    mission = analysis.mission
    if mission:
        return f"Portfolio analysis — {mission.title} ({mission.id}, version {mission.version})"
    taxonomy = analysis.scope.taxonomy if analysis.scope else None
    return f"Portfolio analysis — taxonomy {taxonomy}" if taxonomy else "Portfolio analysis — whole portfolio"


def scope_text(given: Analysis) -> str:
    """Which projects the analysis covers, in words."""
    analysis = analysis_of(given)
    return analysis.scope.description if analysis.scope else ""


def markdown(given: Analysis, charts: list[str] | None = None) -> str:
    """A markdown report: headline figures, then every table with what it was computed from."""
    analysis = analysis_of(given)
    lines = [f"# {title(analysis)}", "", f"Scope: {scope_text(analysis)}.", "", portfolio_line(analysis), ""]
    lines += ["| Figure | Value | Unit |", "|---|---:|---|"]
    lines += [f"| {label.strip()} | {value} | {unit} |" for label, value, unit in headline(analysis)]
    lines.append("")
    for t in report_tables(analysis):
        lines += [f"## {t.title}", "", f"_{t.note}_", ""]
        lines.append("| " + " | ".join(c.header for c in t.columns) + " |")
        lines.append("|" + "|".join("---:" if c.numeric else "---" for c in t.columns) + "|")
        for cells in t.cells():
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
        lines.append("")
    if charts:
        lines += ["## Charts", ""]
        lines += [f"![{name}]({name})" for name in charts]
        lines.append("")
    return "\n".join(lines)
