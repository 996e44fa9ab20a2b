"""``missionboard consult …``: run a consultation on a mission from the command line.

Each command parses its arguments, calls one function of ``missionboard.services.consultations`` and
renders the result; the participation pages are in the web app.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from rich.table import Table

from missionboard.cli import lazy
from missionboard.cli.context import DocumentFormat, OutputFormat, app_context, console, print_json
from missionboard.domain.consultations import LANGUAGES, Audience, Consultation, Synthesis
from missionboard.domain.missions import HelixType, Mission
from missionboard.errors import InputError, Problem

if TYPE_CHECKING:
    from missionboard.services import consultations as service
    from missionboard.services import glance_consultations, reports
else:
    service = lazy.module("missionboard.services.consultations")
    glance_consultations = lazy.module("missionboard.services.glance_consultations")
    reports = lazy.module("missionboard.services.reports")

consult_app = typer.Typer(
    help="Consultations: ask stakeholders and citizens about a mission, moderate, synthesise, adopt proposals."
)


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


def register(app: typer.Typer) -> None:
    app.add_typer(consult_app, name="consult")


def _date(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(Problem("", None, option, f"'{value}' is not a date: write YYYY-MM-DD")) from None


def _summary(c: Consultation, counts: dict[str, int] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = c.model_dump(mode="json")
    if counts is not None:
        data["counts"] = counts
    return data


@consult_app.command("open")
def open_(
    ctx: typer.Context,
    mission_id: str = typer.Argument(
        ..., metavar="MISSION", help="The mission to consult on (its current version)."
    ),
    title: str = typer.Option(..., "--title", help="What participants see as the heading."),
    purpose: str = typer.Option(..., "--purpose", help="Why you ask and what you will do with the answers."),
    opens: str | None = typer.Option(
        None, "--opens", help="First day responses are accepted (default: today)."
    ),
    closes: str = typer.Option(..., "--closes", help="Last day responses are accepted (YYYY-MM-DD)."),
    audience: Audience = typer.Option(
        Audience.INVITED,
        "--audience",
        help="invited: one response per invitation link; public: anyone.",
    ),
    language: str = typer.Option("en", "--language", help=f"Participation pages in {', '.join(LANGUAGES)}."),
    consultation_id: str | None = typer.Option(None, "--id", help="Identifier (default: from the title)."),
    draft: bool = typer.Option(False, "--draft", help="Create it without opening it for responses yet."),
    format: OutputFormat = typer.Option(OutputFormat.TEXT, "--format"),
) -> None:
    """Open a consultation on a mission: free-text views, ratings of its objectives, proposals."""
    app = app_context(ctx)
    consultation = service.open_consultation(
        app.workspace(),
        mission_id=mission_id,
        title=title,
        purpose=purpose,
        opens_on=_date(opens, "--opens") if opens else dt.date.today(),
        closes_on=_date(closes, "--closes"),
        audience=audience,
        language=language,
        consultation_id=consultation_id,
        user=app.user,
        open_now=not draft,
    )
    if format is OutputFormat.JSON:
        print_json(_summary(consultation))
        return
    console.print(
        f"consultation '{consultation.id}' on mission '{consultation.mission_id}' "
        f"(version {consultation.mission_version}) is {consultation.status.value}: "
        f"{consultation.audience.value}, {consultation.opens_on} → {consultation.closes_on}",
        highlight=False,
        soft_wrap=True,
    )
    if consultation.audience is Audience.INVITED:
        console.print(
            f"hand out invitation links with 'missionboard consult invite {consultation.id} --label NAME'",
            highlight=False,
        )
    else:
        console.print(f"participants answer at /c/{consultation.id} in the web app", highlight=False)


@consult_app.command("list")
def list_(
    ctx: typer.Context,
    mission_id: str | None = typer.Option(None, "--mission", help="Only this mission's consultations."),
    format: OutputFormat = typer.Option(OutputFormat.TEXT, "--format"),
) -> None:
    """List consultations, newest first, with how many responses each has."""
    app = app_context(ctx)

    def ordinary() -> list[tuple[Consultation, dict[str, int]]]:
        ws = app.workspace()
        return [(c, service.response_counts(ws, c.id)) for c in service.list_consultations(ws, mission_id)]

    listed = glance_consultations.consultation_list(app.settings, mission_id, ordinary)
    consultations = [c for c, _ in listed]
    counts = {c.id: n for c, n in listed}
    if format is OutputFormat.JSON:
        print_json([_summary(c, counts[c.id]) for c in consultations])
        return
    table = Table(
        "id", "mission", "title", "audience", "period", "status", "responses", title="Consultations"
    )
    for c in consultations:
        n = counts[c.id]
        table.add_row(
            escape(c.id),
            f"{escape(c.mission_id)} v{c.mission_version}",
            escape(c.title),
            c.audience.value,
            f"{c.opens_on} → {c.closes_on}",
            c.status.value,
            f"{n['responses']}" + (f" ({n['hidden']} hidden)" if n["hidden"] else ""),
        )
    console.print(table)
    if not consultations:
        console.print("no consultations yet: open one with 'missionboard consult open MISSION …'")


@consult_app.command("show")
def show(
    ctx: typer.Context,
    consultation_id: str = typer.Argument(..., metavar="ID"),
    format: OutputFormat = typer.Option(OutputFormat.TEXT, "--format"),
) -> None:
    """Show a consultation: its questions, period, invitations and responses received."""
    ws = app_context(ctx).workspace()
    c = service.get_consultation(ws, consultation_id)
    counts = service.response_counts(ws, consultation_id)
    if format is OutputFormat.JSON:
        print_json(_summary(c, counts))
        return
    console.print(f"[bold]{escape(c.title)}[/bold] ({escape(c.id)}, {c.status.value})", highlight=False)
    console.print(escape(c.purpose), highlight=False, soft_wrap=True)
    console.print(
        f"mission {escape(c.mission_id)} v{c.mission_version} · {c.audience.value} · language {c.language}"
        f" · {c.opens_on} → {c.closes_on} · opened by {escape(c.created_by)}",
        highlight=False,
    )
    for q in c.questions:
        console.print(f"  {q.id} ({q.kind.value}{', required' if q.required else ''}): {escape(q.prompt)}")
    line = f"{counts['responses']} responses ({counts['hidden']} hidden)"
    if c.audience is Audience.INVITED:
        line += f"; {counts['invitations_used']} of {counts['invitations']} invitations used"
    console.print(line, highlight=False)


@consult_app.command("invite")
def invite(
    ctx: typer.Context,
    consultation_id: str = typer.Argument(..., metavar="ID"),
    labels: list[str] = typer.Option(
        ..., "--label", help="Who gets the link, in your words (repeat for each person; erasable)."
    ),
    helix: HelixType | None = typer.Option(None, "--helix", help="The group these invitees speak for."),
    base_url: str | None = typer.Option(
        None,
        "--base-url",
        help="Where the web app is reached by participants (default: MISSIONBOARD_PUBLIC_BASE_URL, "
        "else http://127.0.0.1:8000).",
    ),
    format: OutputFormat = typer.Option(OutputFormat.TEXT, "--format"),
) -> None:
    """Make one invitation link per label. Links are shown once: only a hash of each is stored."""
    app = app_context(ctx)
    address = base_url or app.settings.public_base_url or "http://127.0.0.1:8000"
    created = service.create_invitations(
        app.workspace(),
        consultation_id,
        labels,
        user=app.user,
        helix=helix,
    )
    links = [
        {
            "invitation": i.id,
            "label": i.label,
            "link": service.invitation_link(consultation_id, token, address),
        }
        for i, token in created
    ]
    if format is OutputFormat.JSON:
        print_json(links)
        return
    for link in links:
        sys.stdout.write(f"{link['label'] or '(no label)'}\t{link['link']}\n")


@consult_app.command("close")
def close(ctx: typer.Context, consultation_id: str = typer.Argument(..., metavar="ID")) -> None:
    """Stop accepting responses."""
    app = app_context(ctx)
    c = service.close_consultation(app.workspace(), consultation_id, user=app.user)
    n = service.response_counts(app.workspace(), consultation_id)
    console.print(f"consultation '{c.id}' is closed with {n['responses']} responses", highlight=False)


@consult_app.command("export")
def export(
    ctx: typer.Context,
    consultation_id: str = typer.Argument(..., metavar="ID"),
    format: ExportFormat = typer.Option(ExportFormat.CSV, "--format"),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout."),
) -> None:
    """Export every response (hidden ones marked) without personal data; the CSV can be imported again."""
    text = service.export_responses(app_context(ctx).workspace(), consultation_id, format.value)
    if output:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {output}", highlight=False)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


@consult_app.command("import")
def import_(
    ctx: typer.Context,
    consultation_id: str = typer.Argument(..., metavar="ID"),
    file: Path = typer.Argument(..., help="CSV of responses gathered elsewhere (see docs/consultations.md)."),
) -> None:
    """Import responses gathered elsewhere: all rows or none; errors name file, line and column."""
    app = app_context(ctx)
    n = service.import_responses(app.workspace(), consultation_id, file, user=app.user)
    console.print(f"{file}: imported {n} responses into '{consultation_id}'", highlight=False)


@consult_app.command("hide")
def hide(
    ctx: typer.Context,
    consultation_id: str = typer.Argument(..., metavar="ID"),
    response_id: int = typer.Argument(..., metavar="RESPONSE"),
    reason: str = typer.Option(..., "--reason", help="Why (kept in the audit log)."),
) -> None:
    """Hide a response from the synthesis (it is kept, and can be shown again)."""
    app = app_context(ctx)
    service.hide_response(app.workspace(), consultation_id, response_id, reason=reason, user=app.user)
    console.print(f"response {response_id} is hidden: {escape(reason)}", highlight=False)


@consult_app.command("unhide")
def unhide(
    ctx: typer.Context,
    consultation_id: str = typer.Argument(..., metavar="ID"),
    response_id: int = typer.Argument(..., metavar="RESPONSE"),
    reason: str = typer.Option("", "--reason", help="Why (kept in the audit log)."),
) -> None:
    """Show a hidden response again."""
    app = app_context(ctx)
    service.unhide_response(app.workspace(), consultation_id, response_id, reason=reason, user=app.user)
    console.print(f"response {response_id} is shown again", highlight=False)


@consult_app.command("erase")
def erase(
    ctx: typer.Context,
    consultation_id: str = typer.Argument(..., metavar="ID"),
    receipt: str | None = typer.Option(None, "--receipt", help="The participant's receipt code."),
    response_id: int | None = typer.Option(None, "--response", help="The response number."),
) -> None:
    """Erase a response on request: it and its invitation's label are deleted; the erasure is audited."""
    if (receipt is None) == (response_id is None):
        raise InputError(Problem("", None, "--receipt", "give either --receipt CODE or --response N"))
    app = app_context(ctx)
    service.erase_response(
        app.workspace(), consultation_id, receipt=receipt, response_id=response_id, user=app.user
    )
    console.print("the response is erased", highlight=False)


@consult_app.command("synthesise")
def synthesise(
    ctx: typer.Context,
    consultation_id: str = typer.Argument(..., metavar="ID"),
    format: DocumentFormat = typer.Option(DocumentFormat.TEXT, "--format"),
    pdf: Path | None = typer.Option(None, "--pdf", help="Also write the consultation report as PDF."),
) -> None:
    """Themes, proposals matched to objectives and SDGs, ratings by group (hidden responses left out)."""
    app = app_context(ctx)
    ws = app.workspace()
    result = service.synthesise(ws, consultation_id, user=app.user)
    consultation = service.get_consultation(ws, consultation_id)
    mission = service.consultation_mission(ws, consultation_id).mission
    if pdf is not None:
        pdf.write_bytes(reports.render_consultation_pdf(consultation, mission, result))
    if format is DocumentFormat.JSON:
        print_json(result.model_dump(mode="json"))
    else:
        sys.stdout.write(render_markdown(consultation, mission, result, markdown=format is DocumentFormat.MD))
    if pdf is not None and format is not DocumentFormat.JSON:
        sys.stdout.write(f"\nwrote {pdf}\n")


def _mean(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|#!~])")


def _words(text: str, *, markdown: bool) -> str:
    """Participants' words on one line; in Markdown, inert: no HTML, links, emphasis or headings of
    theirs survive rendering (a report is often pasted into a wiki that renders raw HTML)."""
    text = " ".join(text.split())
    if not markdown:
        return text
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def render_markdown(consultation: Consultation, mission: Mission, s: Synthesis, *, markdown: bool) -> str:
    """The synthesis as Markdown (``markdown``) or as plain text for the terminal (same words)."""
    h1, h2 = ("# ", "## ") if markdown else ("", "")

    def words(text: str) -> str:
        return _words(text, markdown=markdown)

    bullet = "- " if markdown else "  • "
    lines = [
        f"{h1}{consultation.title}",
        "",
        f"Mission {mission.title} ({mission.id}, version {consultation.mission_version}) · "
        f"{s.responses} responses counted, {s.hidden} hidden",
        "By group: " + (", ".join(f"{k.value} {v}" for k, v in s.by_helix.items() if v) or "none"),
        "By level: " + (", ".join(f"{k.value} {v}" for k, v in s.by_level.items() if v) or "none"),
        "",
        f"{h2}Themes",
        "",
    ]
    if not s.themes:
        lines.append("no free-text answers to group into themes")
    for theme in s.themes:
        groups = ", ".join(f"{k.value} {v}" for k, v in theme.by_helix.items() if v)
        lines.append(f"{bullet}{words(theme.label)} — {theme.size} respondents ({groups})")
        for quote in theme.quotes:
            lines.append(
                f"    > “{words(quote.text)}” ({quote.helix.value}, {quote.level.value}, #{quote.response_id})"
            )
    lines += ["", f"{h2}Proposals", ""]
    if not s.proposals:
        lines.append("no proposals")
    for p in s.proposals:
        best = p.objectives[0].title if p.objectives else "—"
        sdg = p.sdgs[0].code if p.sdgs else "—"
        mark = " [adopted]" if p.adopted else ""
        lines.append(
            f"{bullet}response {p.response_id}, proposal {p.index} ({p.kind.value}){mark}: {words(p.text)} "
            f"(closest objective: {best}; SDG {sdg}; {p.helix.value})"
        )
    lines += ["", f"{h2}Ratings", ""]
    if not s.ratings:
        lines.append("no ratings")
    for r in s.ratings:
        groups = ", ".join(f"{k.value} {_mean(g.mean)} (n={g.n})" for k, g in r.by_helix.items() if g.n)
        flag = " — groups disagree" if r.disagreement else ""
        lines.append(
            f"{bullet}{words(r.objective_title)} · {r.criterion}: mean {_mean(r.mean)} (n={r.n}){flag}"
            + (f"; {groups}" if groups else "")
        )
    return "\n".join(lines) + "\n"


@consult_app.command("adopt")
def adopt(
    ctx: typer.Context,
    consultation_id: str = typer.Argument(..., metavar="ID"),
    response_id: int = typer.Argument(..., metavar="RESPONSE"),
    index: int = typer.Argument(..., metavar="INDEX", help="Which proposal of the response (0 = first)."),
    objective_id: str | None = typer.Option(
        None,
        "--objective-id",
        help="Make the proposal an objective with this id (default id: from its text).",
    ),
    comment: str = typer.Option("", "--comment", "-m", help="Why (kept in the mission's history)."),
) -> None:
    """Turn a proposal into a mission edit: a new objective or solution, in a new mission version."""
    app = app_context(ctx)
    version = service.adopt_proposal(
        app.workspace(),
        consultation_id,
        response_id,
        index,
        user=app.user,
        objective_id=objective_id,
        comment=comment,
    )
    console.print(
        f"mission '{version.mission_id}' is now version {version.version} "
        f"(from consultation '{consultation_id}', response {response_id}, proposal {index})",
        highlight=False,
    )
