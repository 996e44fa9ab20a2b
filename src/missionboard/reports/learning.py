"""The learning log as Markdown: a mission's notes, and two review rounds compared."""

from __future__ import annotations

from collections.abc import Sequence

from missionboard.domain.learning import LearningNote, RoundComparison


def notes_markdown(mission: str, notes: Sequence[LearningNote]) -> str:
    """The notes, newest first, each with its kind, date, author, round and what it is about."""
    lines = [f"# Learning log: {mission}", ""]
    if not notes:
        lines.append("No notes yet.")
    for note in notes:
        lines.extend(_note(note))
    return "\n".join(lines).rstrip() + "\n"


def comparison_markdown(comparison: RoundComparison) -> str:
    """Two review rounds side by side: the portfolio, each objective, and the notes of each round."""
    first, second = comparison.first, comparison.second
    currency = f" {second.currency}" if second.currency else ""
    lines = [
        f"# Review rounds of {comparison.mission}: {first.name} → {second.name}",
        "",
        f"Closed {first.closed_at:%Y-%m-%d} by {first.closed_by} and {second.closed_at:%Y-%m-%d} "
        f"by {second.closed_by}.",
        "",
        "## Portfolio",
        "",
        f"- Projects: {first.projects} → {second.projects} ({comparison.projects_change:+d})",
        f"- Money: {first.money:,.0f} → {second.money:,.0f}{currency} ({comparison.money_change:+,.0f})",
        "",
        "## Objectives",
        "",
        "| Objective | Status | Probability |",
        "|---|---|---|",
    ]
    for o in comparison.objectives:
        lines.append(
            f"| {_cell(o.title)} (`{o.objective}`) | {o.status_before or '—'} → {o.status_after or '—'} "
            f"| {_percent(o.probability_before)} → {_percent(o.probability_after)} |"
        )
    for name, notes in ((first.name, comparison.notes_first), (second.name, comparison.notes_second)):
        lines.extend(["", f"## Notes of {name}", ""])
        if not notes:
            lines.append("None.")
        for note in notes:
            lines.extend(_note(note, level="###"))
    return "\n".join(lines).rstrip() + "\n"


def _note(note: LearningNote, *, level: str = "##") -> list[str]:
    heading = f"{level} {note.kind.value.replace('_', ' ').capitalize()}, {note.created_at:%Y-%m-%d} by {note.author}"
    if note.round:
        heading += f" (round {note.round})"
    lines = [heading, "", note.text, ""]
    if note.links:
        about = ", ".join(f"{link.kind.value} {link.label or link.target}" for link in note.links)
        lines.extend([f"About: {about}", ""])
    return lines


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
