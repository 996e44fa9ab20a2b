"""Charts of a portfolio analysis as PNG and SVG files (matplotlib, Agg backend: no display needed).

``write_charts(analysis, directory)`` takes a ``PortfolioAnalysis`` (or its JSON form) and writes
coverage by objective, instrument mix, helix mix, stage mix, timeline and the funder network map.
Each chart is written twice, ``NAME.png`` and ``NAME.svg``; a chart with no data is skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import networkx as nx
from matplotlib.figure import Figure

from missionboard.analytics.result import Figure as AnalysisFigure
from missionboard.analytics.result import PortfolioAnalysis
from missionboard.reports.summary import Analysis, analysis_of, entry_of, group_of, table_of

COLOURS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"]


def _save(fig: Figure, directory: Path, name: str) -> list[Path]:
    paths = [directory / f"{name}.png", directory / f"{name}.svg"]
    fig.tight_layout()
    for path in paths:
        fig.savefig(path, dpi=120, metadata={"Date": None} if path.suffix == ".svg" else None)
    plt.close(fig)
    return paths


def _rows(found: object, name: str) -> list[dict[str, Any]]:
    """A table's rows, as matplotlib takes their numbers."""
    return list(table_of(found, name).rows)


def coverage_chart(analysis: PortfolioAnalysis) -> Figure | None:
    rows = _rows(analysis.coverage, "coverage")
    if not rows:
        return None
    rc = analysis.reporting_currency
    labels = [str(r["goal"]) for r in rows]
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(rows) + 1.5))
    positions = range(len(rows))
    ax.barh(
        positions, [r["share"] or 0 for r in rows], height=0.4, label=f"budget share ({rc})", color=COLOURS[0]
    )
    if any(r["weight_share"] is not None for r in rows):
        ax.barh(
            [p + 0.4 for p in positions],
            [r["weight_share"] or 0 for r in rows],
            height=0.4,
            label="declared weight share",
            color=COLOURS[2],
        )
    ax.set_yticks([p + 0.2 for p in positions], labels)
    ax.invert_yaxis()
    ax.set_xlabel("share")
    ax.set_title("Coverage by objective")
    ax.legend(loc="lower right")
    return fig


def _bars(rows: list[dict[str, Any]], key: str, value: str, title: str, xlabel: str) -> Figure | None:
    rows = [r for r in rows if r.get(value)]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(8, 0.4 * len(rows) + 1.5))
    ax.barh([str(r[key]) for r in rows], [r[value] for r in rows], color=COLOURS[: len(rows)] or COLOURS[0])
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    return fig


def instrument_chart(analysis: PortfolioAnalysis) -> Figure | None:
    rc = analysis.reporting_currency
    rows = _rows((analysis.instruments or {}).get("by_type"), "instruments.by_type")
    return _bars(rows, "instrument", "budget", "Instrument mix", f"budget ({rc})")


def helix_chart(analysis: PortfolioAnalysis) -> Figure | None:
    rows = _rows(entry_of(analysis.helix, "by_helix"), "helix.by_helix")
    if not rows:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    labels = [r["helix"] for r in rows]
    for ax, key, title in (
        (axes[0], "participations", "Participations"),
        (axes[1], "money", f"Money ({analysis.reporting_currency})"),
    ):
        values = [r[key] or 0 for r in rows]
        if sum(values) > 0:
            ax.pie(values, labels=labels, colors=COLOURS[: len(rows)], autopct="%1.0f%%")
        ax.set_title(title)
    fig.suptitle("Helix mix")
    return fig


def stage_chart(analysis: PortfolioAnalysis) -> Figure | None:
    rc = analysis.reporting_currency
    return _bars(
        _rows((analysis.stages or {}).get("by_stage"), "stages.by_stage"),
        "stage",
        "projects",
        "Stage mix",
        f"projects (budget in {rc} in the report)",
    )


def timeline_chart(analysis: PortfolioAnalysis) -> Figure | None:
    rows = _rows(analysis.timeline, "timeline")
    if not rows:
        return None
    years = [r["year"] for r in rows]
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.bar(
        years,
        [r["spend"] or 0 for r in rows],
        color=COLOURS[0],
        label=f"spend ({analysis.reporting_currency})",
    )
    ax.set_ylabel(f"spend ({analysis.reporting_currency} per year)")
    other = ax.twinx()
    other.plot(years, [r["starts"] for r in rows], color=COLOURS[1], marker="o", label="project starts")
    other.set_ylabel("project starts")
    ax.set_title("Timeline")
    return fig


def network_chart(analysis: PortfolioAnalysis) -> Figure | None:
    group = group_of(analysis.network, "funders")
    links = _rows(entry_of(group, "links"), "network.funders.links")
    nodes = _rows(entry_of(group, "funders"), "network.funders.funders")
    if not nodes:
        return None
    graph: nx.Graph[str] = nx.Graph()
    for n in nodes:
        graph.add_node(n["funder"], size=n["actors"])
    for e in links:
        if e["u"] in graph and e["v"] in graph:
            graph.add_edge(e["u"], e["v"], weight=e["shared_actors"] + e["cofunded_projects"])
    fig, ax = plt.subplots(figsize=(9, 7))
    position = nx.spring_layout(graph, seed=42, weight="weight")
    sizes = [80 + 20 * (graph.nodes[n]["size"] ** 0.5) for n in graph.nodes]
    widths = [0.5 + min(graph.edges[e]["weight"], 50) / 10 for e in graph.edges]
    nx.draw_networkx_edges(graph, position, ax=ax, width=widths, alpha=0.4)
    nx.draw_networkx_nodes(graph, position, ax=ax, node_size=sizes, node_color=COLOURS[2], alpha=0.8)
    nx.draw_networkx_labels(graph, position, ax=ax, font_size=7)
    silo_index = entry_of(analysis.network, "silo_index")
    silo = silo_index.value if isinstance(silo_index, AnalysisFigure) else None
    label = f"{silo:.2f}" if silo is not None else "–"
    ax.set_title(f"Funder network (node size: actors; edge width: shared actors; silo index {label})")
    ax.axis("off")
    return fig


CHARTS: dict[str, Callable[[PortfolioAnalysis], Figure | None]] = {
    "coverage": coverage_chart,
    "instruments": instrument_chart,
    "helix": helix_chart,
    "stages": stage_chart,
    "timeline": timeline_chart,
    "network": network_chart,
}


def write_charts(given: Analysis, directory: Path) -> list[Path]:
    """Write every chart that has data; returns the files written."""
    analysis = analysis_of(given)
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, make in CHARTS.items():
        fig = make(analysis)
        if fig is not None:
            written += _save(fig, directory, name)
    return written
