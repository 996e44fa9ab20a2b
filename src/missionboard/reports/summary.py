"""What a mission owner reads first: headline figures and the key tables of an analysis.

Both the terminal (Rich) and the markdown report render these same ``ReportTable`` objects, so the
two never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
    rows: list[dict[str, Any]]

    def cells(self) -> list[list[str]]:
        return [[c.format(r.get(c.key)) for c in self.columns] for r in self.rows]


def _v(section: Any) -> Any:
    return section.get("value") if isinstance(section, dict) else None


def portfolio_line(data: dict[str, Any]) -> str:
    """The line under the figures saying which projects count and in which currency money is shown."""
    block = data.get("portfolio")
    if not block:
        return f"Money in {data['budget']['reporting_currency']}."
    return f"Portfolio: {block['rule']}. Money in {block['conversion'].removeprefix('money in ')}."


def headline(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(label, value, unit) rows for the figures a mission owner looks at first."""
    rc = data["budget"]["reporting_currency"]
    network = data["network"]
    diversity = data["diversity"]
    unconverted = data["budget"]["unconverted"]["rows"]
    out = [
        ("Projects", number(_v(data["projects"]["projects"])), "projects"),
        ("  of which only via proposed links", number(_v(data["projects"]["proposed_only"])), "projects"),
        ("Budget", money(_v(data["budget"]["total"])), rc),
        ("Public funding", money(_v(data["budget"]["public"])), rc),
        ("Private co-funding", money(_v(data["budget"]["private"])), rc),
        ("Leverage", number(_v(data["leverage"]["total"])), f"{rc} private per {rc} public"),
        ("Themes (variety)", number(_v(diversity["variety"])), "themes"),
        ("Balance", number(_v(diversity["balance"])), "Shannon evenness 0–1"),
        ("Disparity", number(_v(diversity["disparity"])), "mean cosine distance 0–1"),
        ("Stirling diversity", number(_v(diversity["stirling"])), "Δ 0–1"),
        ("Funder concentration", number(_v(data["concentration"]["funders"]["hhi"])), "HHI 0–1"),
        ("Recipient concentration", number(_v(data["concentration"]["recipients"]["hhi"])), "HHI 0–1"),
        ("Silo index", number(_v(network["silo_index"])), "modularity by funder"),
        ("Multi-funder projects", share(_v(network["multi_funder_share"])), "of funded projects"),
        ("Multi-helix projects", share(_v(network["multi_helix_share"])), "of projects"),
        ("Near-duplicates across funders", number(_v(data["overlaps"]["count"])), "project pairs"),
    ]
    for r in unconverted:
        out.append(
            (
                f"Not converted ({r['currency']})",
                money(r["amount"]),
                f"{r['currency']}, {r['projects']} projects",
            )
        )
    return out


def report_tables(data: dict[str, Any]) -> list[ReportTable]:
    """The key tables, in reading order."""
    rc = data["budget"]["reporting_currency"]
    cov = data["coverage"]
    tables = [
        ReportTable(
            "Coverage by objective",
            cov["computed_from"],
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
            cov["rows"],
        ),
        ReportTable(
            "Gaps",
            data["gaps"]["computed_from"],
            [
                Column("goal", "Goal"),
                Column("title", "Title"),
                Column("kind", "Kind"),
                Column("reason", "Why"),
            ],
            data["gaps"]["rows"],
        ),
        ReportTable(
            "Instrument mix",
            data["instruments"]["by_type"]["computed_from"],
            [
                Column("instrument", "Instrument"),
                Column("family", "Family"),
                Column("projects", "Projects", number, True),
                Column("inferred", "Inferred", number, True),
                Column("budget", f"Budget ({rc})", money, True),
                Column("share", "Share", share, True),
            ],
            data["instruments"]["by_type"]["rows"],
        ),
        ReportTable(
            "Instrument inferences",
            data["instruments"]["inferences"]["computed_from"],
            [
                Column("instrument", "Instrument"),
                Column("rule", "Because"),
                Column("projects", "Projects", number, True),
            ],
            data["instruments"]["inferences"]["rows"][:10],
        ),
        ReportTable(
            "Stage mix",
            data["stages"]["by_stage"]["computed_from"],
            [
                Column("stage", "Stage"),
                Column("projects", "Projects", number, True),
                Column("budget", f"Budget ({rc})", money, True),
                Column("share", "Share", share, True),
            ],
            data["stages"]["by_stage"]["rows"],
        ),
        ReportTable(
            "Helix mix",
            data["helix"]["by_helix"]["computed_from"],
            [
                Column("helix", "Helix"),
                Column("participations", "Participations", number, True),
                Column("participation_share", "Share", share, True),
                Column("money", f"Money ({rc})", money, True),
                Column("money_share", "Money share", share, True),
            ],
            data["helix"]["by_helix"]["rows"],
        ),
        ReportTable(
            "Regions (top 10)",
            data["geography"]["regions"]["computed_from"],
            [
                Column("place", "Region"),
                Column("projects", "Projects", number, True),
                Column("budget", f"Budget ({rc})", money, True),
                Column("share", "Share", share, True),
            ],
            data["geography"]["regions"]["rows"][:10],
        ),
        ReportTable(
            "Leverage by funder (top 10)",
            data["leverage"]["by_funder"]["computed_from"],
            [
                Column("funder", "Funder"),
                Column("public", f"Public ({rc})", money, True),
                Column("private", f"Private ({rc})", money, True),
                Column("leverage", "Leverage", number, True),
            ],
            data["leverage"]["by_funder"]["rows"][:10],
        ),
        ReportTable(
            "Themes",
            data["themes"]["computed_from"],
            [
                Column("label", "Theme"),
                Column("projects", "Projects", number, True),
                Column("share", "Share", share, True),
                Column("example", "Example"),
            ],
            data["themes"]["rows"],
        ),
        ReportTable(
            "Brokers",
            data["network"]["brokers"]["computed_from"],
            [
                Column("name", "Actor"),
                Column("helix", "Helix"),
                Column("main_funder", "Main funder"),
                Column("funders", "Funders", number, True),
                Column("degree", "Collaborators", number, True),
                Column("betweenness", "Betweenness", number, True),
            ],
            data["network"]["brokers"]["rows"],
        ),
        ReportTable(
            "Near-duplicate projects across funders",
            data["overlaps"]["pairs"]["computed_from"],
            [
                Column("title_a", "Project A"),
                Column("funders_a", "Funders A"),
                Column("title_b", "Project B"),
                Column("funders_b", "Funders B"),
                Column("similarity", "Similarity", number, True),
            ],
            data["overlaps"]["pairs"]["rows"][:10],
        ),
        ReportTable(
            "Timeline",
            data["timeline"]["computed_from"],
            [
                Column("year", "Year"),
                Column("starts", "Starts", number, True),
                Column("ends", "Ends", number, True),
                Column("spend", f"Spend ({rc})", money, True),
            ],
            data["timeline"]["rows"],
        ),
        ReportTable(
            "Dynamics",
            data["dynamics"]["computed_from"],
            [
                Column("year", "Year"),
                Column("active_actors", "Active actors", number, True),
                Column("new_actors", "New actors", number, True),
                Column("new_collaborations", "New collaborations", number, True),
                Column("new_cross_sector", "New cross-sector", number, True),
            ],
            data["dynamics"]["rows"],
        ),
    ]
    return [t for t in tables if t.rows]


def title(data: dict[str, Any]) -> str:
    mission = data.get("mission")
    if mission:
        return f"Portfolio analysis — {mission['title']} ({mission['id']}, version {mission['version']})"
    taxonomy = data["scope"].get("taxonomy")
    return f"Portfolio analysis — taxonomy {taxonomy}" if taxonomy else "Portfolio analysis — whole portfolio"


def markdown(data: dict[str, Any], charts: list[str] | None = None) -> str:
    """A markdown report: headline figures, then every table with what it was computed from."""
    lines = [f"# {title(data)}", "", f"Scope: {data['scope']['description']}.", "", portfolio_line(data), ""]
    lines += ["| Figure | Value | Unit |", "|---|---:|---|"]
    lines += [f"| {label.strip()} | {value} | {unit} |" for label, value, unit in headline(data)]
    lines.append("")
    for t in report_tables(data):
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
