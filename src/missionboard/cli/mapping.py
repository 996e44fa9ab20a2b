"""Mapping commands: classify, map, review, themes, similar, duplicates, and ``taxonomy …``."""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from missionboard.cli import lazy
from missionboard.cli.context import OutputFormat, app_context, console, errors, print_json
from missionboard.errors import InputError, NotFound, Problem

if TYPE_CHECKING:
    from pydantic import JsonValue
    from rich.progress import Progress

    from missionboard.domain import evidence as passages
    from missionboard.domain import mapping as goal_models
    from missionboard.domain.mapping import GoalDefinition, RetrainReport
    from missionboard.services import glance_mapping
    from missionboard.services import mapping as service
    from missionboard.store.workspace import Workspace
else:
    glance_mapping = lazy.module("missionboard.services.glance_mapping")
    service = lazy.module("missionboard.services.mapping")
    # the goal models (and pydantic under them) load when a command runs, not with the help
    passages = lazy.module("missionboard.domain.evidence")
    goal_models = lazy.module("missionboard.domain.mapping")

taxonomy_app = typer.Typer(help="Taxonomies of goals to map projects to: built-in, missions, your own YAML.")


class Method(StrEnum):
    ENSEMBLE = "ensemble"
    QUERY = "query"
    SEMANTIC = "semantic"
    SUPERVISED = "supervised"


class Device(StrEnum):
    CPU = "cpu"
    CUDA = "cuda"


def register(app: typer.Typer) -> None:
    app.command("classify")(classify)
    app.command("map")(map_)
    app.command("review")(review)
    app.command("themes")(themes)
    app.command("similar")(similar)
    app.command("duplicates")(duplicates)
    app.add_typer(taxonomy_app, name="taxonomy")


def _progress() -> Progress:
    # rich.progress (with rich.live) loads here, for classify and map: taxonomy list and the other quick
    # commands of this module draw no progress bar (4-8 ms of their start, measured)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        transient=False,
        disable=not errors.is_terminal,
    )


def classify(
    ctx: typer.Context,
    taxonomy: str = typer.Option(
        ...,
        "--taxonomy",
        "-t",
        help="sdg, eu-missions, a taxonomy YAML file, "
        "or (with a workspace) mission:ID or an imported taxonomy.",
    ),
    input: Path = typer.Option(
        ..., "--input", "-i", help='JSON lines {"id": …, "text": …}; "-" reads stdin.'
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write JSON lines here (default: stdout)."
    ),
    method: Method = typer.Option(Method.ENSEMBLE, "--method", "-m", help="How to score."),
    device: Device = typer.Option(Device.CPU, "--device", help="Where the embedding model runs."),
    batch_size: int = typer.Option(256, "--batch-size", min=1, help="Texts scored together."),
    workers: int = typer.Option(
        0, "--workers", min=0, help="Worker processes (0: one per core for large inputs)."
    ),
) -> None:
    """Map texts to a taxonomy's goals; prints {"id", "labels": [{"goal", "score", "evidence"}]} per line."""
    app = app_context(ctx)
    # A workspace is used when one exists: for its taxonomies and its supervised model (map --retrain).
    workspace = None if Path(taxonomy).is_file() else app.optional_workspace()
    if workspace is None and taxonomy.startswith(goal_models.MISSION_PREFIX):
        raise NotFound(f"taxonomy {taxonomy!r} needs a workspace (--workspace) holding that mission")
    mapper = service.make_mapper(taxonomy, method=method.value, device=device.value, workspace=workspace)
    mapper.load()
    if str(input) == "-":
        source: IO[str] = sys.stdin
        total = None
        name = "<stdin>"
    else:
        try:
            source = input.open(encoding="utf-8")
        except FileNotFoundError as exc:
            raise InputError(Problem(str(input), None, "", "no such file")) from exc
        with input.open("rb") as counter:
            total = sum(1 for line in counter if line.strip())
        name = str(input)
    sink: IO[str] = output.open("w", encoding="utf-8") if output else sys.stdout
    written = 0
    try:
        with _progress() as progress:
            task = progress.add_task("classifying", total=total)
            n_workers = workers or service.auto_workers(device.value, total, batch_size)
            for record in service.classify_jsonl(
                mapper,
                source,
                name=name,
                batch_size=batch_size,
                workers=n_workers,
                on_batch=lambda n: progress.advance(task, n),
            ):
                sink.write(json.dumps(record.to_dict(), ensure_ascii=False) + "\n")
                written += 1
            sink.flush()
    except UnicodeDecodeError as exc:
        raise InputError(Problem(name, None, "", "not UTF-8 text")) from exc
    finally:
        if source is not sys.stdin:
            source.close()
        if output:
            sink.close()
    if output:
        errors.print(f"classified {written} texts → {output}", highlight=False)


def map_(
    ctx: typer.Context,
    taxonomy: str | None = typer.Option(
        None, "--taxonomy", "-t", help="sdg, eu-missions, mission:ID, or imported."
    ),
    mission: str | None = typer.Option(
        None, "--mission", help="Map to this mission's objectives (mission:ID)."
    ),
    source: str | None = typer.Option(None, "--source", help="Only projects from this source."),
    retrain: bool = typer.Option(
        False,
        "--retrain",
        help="First retrain the supervised model on reviewed links and publisher labels; the default "
        "method uses it only for goals where it beat the current method on held-back projects. Shows "
        "that verdict per goal and how many links each goal would gain and lose, and stops before a "
        "large change unless --yes.",
    ),
    yes: bool = typer.Option(
        False,
        "--yes",
        "-y",
        help="Apply a retrain even when it would link over 30 % of the portfolio to one goal "
        "or more than double a goal's links.",
    ),
    method: Method = typer.Option(Method.ENSEMBLE, "--method", "-m"),
    device: Device = typer.Option(Device.CPU, "--device"),
    format: OutputFormat = typer.Option(OutputFormat.TEXT, "--format"),
) -> None:
    """Propose links from the portfolio's projects to goals; analysts' decisions are kept.

    With --retrain nothing changes until the whole new mapping is known; it is then stored in one
    transaction. Example: missionboard map --mission school-meals --retrain --yes
    """
    app = app_context(ctx)
    app.long_write("map", {"taxonomy": goal_models.mission_taxonomy(mission) if mission else taxonomy})
    with _progress() if format == OutputFormat.TEXT else nullcontext() as progress:
        task = progress.add_task("mapping", total=None) if progress else None

        def report(done: int, total: int) -> None:
            if progress is not None and task is not None:
                progress.update(task, completed=done, total=total)

        if retrain:
            plan = service.plan_retrain(
                app.workspace(),
                taxonomy,
                mission_id=mission,
                source=source,
                method=method.value,
                device=device.value,
                on_progress=report,
            )
        else:
            summary = service.map_projects(
                app.workspace(),
                taxonomy,
                mission_id=mission,
                source=source,
                user=app.user,
                method=method.value,
                device=device.value,
                on_progress=report,
            )
    if retrain:
        if format == OutputFormat.TEXT:
            _render_plan(plan)
        if plan.too_large and not yes:
            if format == OutputFormat.JSON:
                print_json({"error": _refusal(plan), "kind": "InputError", "plan": plan.as_dict()})
                raise typer.Exit(2)
            raise InputError(_refusal(plan))
        summary = service.apply_retrain(app.workspace(), plan, user=app.user, confirmed=yes)
    if format == OutputFormat.JSON:
        print_json({**summary.as_dict(), **({"plan": plan.as_dict()} if retrain else {})})
        return
    _render_summary(summary)


def _refusal(plan: service.RetrainPlan) -> str:
    return (
        f"retraining {plan.taxonomy} was not applied: {'; '.join(plan.too_large)}; "
        "no link, score or model was changed (only the embedding cache was filled). Review the change, then run again with --yes"
    )


def _render_plan(plan: service.RetrainPlan) -> None:
    console.print(
        f"retrained on {plan.examples} projects (goals: {', '.join(plan.goals_trained)}); "
        f"{len(plan.scored)} of {plan.portfolio} projects scored again.",
        highlight=False,
    )
    _render_verdicts(plan.report)
    console.print("Links per goal would change:", highlight=False)
    table = Table("goal", "links now", "added", "withdrawn", "links after")
    for change in plan.changes:
        if change.added or change.withdrawn:
            table.add_row(
                change.goal, str(change.before), f"+{change.added}", f"-{change.withdrawn}", str(change.after)
            )
    if table.row_count:
        console.print(table)
    else:
        console.print("  no link would be added or withdrawn", highlight=False)


def _render_verdicts(report: RetrainReport) -> None:
    """Per goal: did the retrained model beat the current method on the held-back projects?"""
    weight = f"weight {report.publisher_weight:.2f}"
    if not report.publisher_labelled_projects:
        publisher = "No publisher labels."
    elif report.publisher_agreement is not None:
        publisher = (
            f"Publisher labels on {report.publisher_labelled_projects} projects agreed with "
            f"{report.publisher_agreement:.0%} of {report.publisher_compared} reviewers' decisions on "
            f"projects with both: {weight}."
        )
    else:
        publisher = (
            f"Publisher labels on {report.publisher_labelled_projects} projects, no reviewer's decision "
            f"to compare them with: {weight}."
        )
    console.print(
        f"{publisher} Judged on {report.held_back_projects} held-back projects ({report.metric}; "
        f"a goal needs {report.min_held_back} positives and negatives and a gain of {report.min_gain:.2f}):",
        highlight=False,
    )
    agreement = report.publisher_compared > 0
    table = Table("goal", "verdict", "held back +/−", "current", "retrained", "gain")
    if agreement:
        table.add_column("publisher agreed")
    for verdict in report.goals:
        row = [
            verdict.goal,
            verdict.reason,
            f"{verdict.held_back_positives}/{verdict.held_back_negatives}",
            _figure(verdict.current_score),
            _figure(verdict.retrained_score),
            "" if verdict.gain is None else f"{verdict.gain:+.3f}",
        ]
        if agreement:
            row.append("" if verdict.publisher_agreement is None else f"{verdict.publisher_agreement:.0%}")
        table.add_row(*row)
    console.print(table)
    accepted = [v for v in report.goals if v.accepted]
    console.print(
        "accepted for goals: "
        + ", ".join(f"{v.goal} ({v.gain:+.3f})" for v in accepted if v.gain is not None)
        if accepted
        else "accepted for no goal: the default method stays as it was",
        highlight=False,
    )


def _figure(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _render_summary(summary: service.MapSummary) -> None:
    if summary.retrained:
        console.print(
            f"retrained the supervised model on {summary.retrained.examples} projects "
            f"(goals: {', '.join(summary.retrained.goals)}; used by the default method for: "
            f"{', '.join(summary.retrained.accepted) or 'none'})",
            highlight=False,
        )
    console.print(
        f"{summary.taxonomy}: {summary.projects} projects, {summary.scored} scored, {summary.unchanged} unchanged; "
        f"links {summary.proposed} new, {summary.updated} re-scored, {summary.withdrawn} withdrawn; "
        f"{summary.decisions_kept} analyst decisions kept ({summary.seconds:.1f}s)",
        highlight=False,
    )
    if summary.goals:
        table = Table("goal", "links (proposed + accepted)")
        for goal, count in sorted(summary.goals.items(), key=lambda kv: service._goal_sort_key(kv[0])):
            table.add_row(goal, str(count))
        console.print(table)


_KEYS = {"a": "accept", "r": "reject", "g": "reassign", "s": "skip", "q": "quit"}


def _read_key(stream: IO[str]) -> str:
    if stream.isatty():
        return typer.getchar().lower()
    line = stream.readline()
    if not line:
        return "q"
    return (line.strip()[:1] or "s").lower()


def review(
    ctx: typer.Context,
    taxonomy: str | None = typer.Option(None, "--taxonomy", "-t", help="Only links of this taxonomy."),
    limit: int = typer.Option(50, "--limit", min=1, help="At most this many links in one session."),
    format: OutputFormat = typer.Option(
        OutputFormat.TEXT, "--format", help="json: print the queue, no prompts."
    ),
) -> None:
    """Review proposed links, most uncertain first: accept (a), reject (r), re-assign (g), skip (s), quit (q).

    Re-assign lists the goals of the link's taxonomy, numbered; answer a number or a goal code
    (an empty answer goes back to the choice). An unknown --taxonomy is an error.
    """
    app = app_context(ctx)
    workspace = app.workspace()
    queue = service.review_queue(workspace, taxonomy, limit=limit)
    if format == OutputFormat.JSON:
        print_json([item.as_dict() for item in queue])
        return
    if not queue:
        console.print("nothing to review: no proposed links" + (f" for {taxonomy}" if taxonomy else ""))
        return
    counts = {"accept": 0, "reject": 0, "reassign": 0, "skip": 0}
    goals: dict[str, list[service.GoalChoice]] = {}  # per taxonomy, asked for at the first re-assign
    for number, item in enumerate(queue, start=1):
        _show_item(number, len(queue), item)
        action, goal = _decide(workspace, item, goals)
        if action == "quit":
            break
        if action == "skip":
            counts["skip"] += 1
            continue
        try:
            service.review_link(workspace, item.link_id, action, goal=goal, user=app.user)
        except (InputError, NotFound) as exc:
            errors.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
            continue
        counts[action] += 1
    console.print(
        f"accepted {counts['accept']}, rejected {counts['reject']}, re-assigned {counts['reassign']}, "
        f"skipped {counts['skip']}",
        highlight=False,
    )


def _decide(
    workspace: Workspace, item: service.ReviewItem, goals: dict[str, list[service.GoalChoice]]
) -> tuple[str, str | None]:
    """The reviewer's action on one link, with the goal of a re-assignment; a cancelled re-assignment
    asks for the action again."""
    while True:
        console.print("[bold]\\[a]ccept  \\[r]eject  re-assi\\[g]n  \\[s]kip  \\[q]uit[/bold] > ", end="")
        key = _read_key(sys.stdin)
        console.print(key)
        action = _KEYS.get(key)
        if action is None:
            console.print("press a, r, g, s or q", highlight=False)
            continue
        if action != "reassign":
            return action, None
        if item.taxonomy not in goals:
            try:
                goals[item.taxonomy] = service.taxonomy_goals(workspace, item.taxonomy)
            except NotFound as exc:
                errors.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
                continue
        goal = _ask_goal(item.taxonomy, goals[item.taxonomy])
        if goal is not None:
            return action, goal


def _ask_goal(taxonomy: str, choices: list[service.GoalChoice]) -> str | None:
    """The goal code the reviewer picks by number or code; None when they answer nothing."""
    if not choices:
        console.print(f"{escape(taxonomy)} has no goals to re-assign to", highlight=False)
        return None
    console.print(f"goals of {escape(taxonomy)}:", highlight=False)
    width = len(str(len(choices)))
    for number, choice in enumerate(choices, start=1):
        console.print(f"  {number:>{width}}  {escape(choice.code)}  {escape(choice.title)}", highlight=False)
    while True:
        console.print("number or code of the goal to assign instead (empty: back) > ", end="")
        answer = _read_line(sys.stdin)
        if not answer:
            return None
        goal = _pick(answer, choices)
        if goal is not None:
            return goal
        console.print(
            escape(f"no goal {answer!r} here: answer a number from 1 to {len(choices)} or a code above"),
            highlight=False,
        )


def _read_line(stream: IO[str]) -> str:
    """One answer; from a pipe it is echoed, as keys are, and its end reads "" (cancel)."""
    if stream.isatty():
        return str(typer.prompt("", default="", show_default=False, prompt_suffix="")).strip()
    answer = stream.readline().strip()
    console.print(escape(answer), highlight=False)
    return answer


def _pick(answer: str, choices: list[service.GoalChoice]) -> str | None:
    """A goal code named exactly, else a number from the list, else a code in other letter case."""
    codes = [choice.code for choice in choices]
    if answer in codes:
        return answer
    if answer.isdigit() and 1 <= int(answer) <= len(choices):
        return codes[int(answer) - 1]
    folded = [code for code in codes if code.casefold() == answer.casefold()]
    return folded[0] if len(folded) == 1 else None


TEXT_SHOWN = 600
"""Characters of the project's text a review shows."""


def marked_text(text: str, evidence: JsonValue, sentence: str | None) -> Text:
    """The project's text (cut to ``TEXT_SHOWN`` characters) with the matched words in bold yellow and
    the sentence closest to the goal underlined."""
    shown = Text(text[:TEXT_SHOWN] + ("…" if len(text) > TEXT_SHOWN else ""))
    span = passages.find_passage(text[:TEXT_SHOWN], sentence) if sentence else None
    if span is not None:
        shown.stylize("underline", *span)
    for start, end in passages.term_spans(text[:TEXT_SHOWN], passages.matched_terms(evidence)):
        shown.stylize("bold yellow", start, end)
    return shown


def _show_definition(definition: GoalDefinition) -> None:
    console.print("  what counts:", highlight=False)
    for entry in definition.counts:
        console.print(f"    + {escape(entry)}", highlight=False)
    if definition.does_not_count:
        console.print("  what does not count:", highlight=False)
        for entry in definition.does_not_count:
            console.print(f"    - {escape(entry)}", highlight=False)
    if definition.hard_negatives:
        console.print("  hard negatives (look related, but are not about this goal):", highlight=False)
        for negative in definition.hard_negatives:
            instead = f" (belongs to {negative.belongs_to})" if negative.belongs_to else ""
            console.print(f"    ✗ “{escape(negative.text)}”{escape(instead)}", highlight=False)


def _show_item(number: int, total: int, item: service.ReviewItem) -> None:
    evidence = item.evidence
    console.rule(f"{number}/{total} · link {item.link_id} · {item.taxonomy}")
    console.print(f"[bold]{escape(item.project_title)}[/bold]  (project {item.project_id})", highlight=False)
    text = item.project_text
    closest = passages.closest_sentence(text, evidence)
    console.print(marked_text(text, evidence, closest.text if closest else None), highlight=False)
    console.print(
        f"→ goal [bold]{escape(item.goal)}[/bold] {escape(item.goal_title)} · score {item.score:.2f}",
        highlight=False,
    )
    if item.definition is not None:
        _show_definition(item.definition)
    terms = evidence.get("query_terms")
    if terms and isinstance(terms, list):
        console.print("  matched: " + escape(", ".join(str(term) for term in terms[:10])), highlight=False)
    target = evidence.get("target")
    if target and isinstance(target, dict):
        console.print(
            f"  closest target {escape(str(target['code']))}: {escape(str(target['title'])[:160])}",
            highlight=False,
        )
    if closest is not None:
        how = (
            (
                f"closest to {closest.target}"
                if closest.target not in (None, item.goal)
                else "closest to the goal"
            )
            if closest.chosen_by == "similarity"
            else "most matched words"
        )
        shown = Text(f"  closest sentence ({how}): “")
        shown.append(closest.text[:200], style="underline")
        shown.append("”")
        console.print(shown, highlight=False)


def themes(
    ctx: typer.Context,
    mission: str | None = typer.Option(
        None, "--mission", help="Size the themes over this mission's portfolio (same themes)."
    ),
    k: str = typer.Option(
        "auto",
        "--k",
        help="Number of themes, or auto (chosen by silhouette); a number replaces the shared set.",
    ),
    recompute: bool = typer.Option(False, "--recompute", help="Compute the shared themes afresh now."),
    format: OutputFormat = typer.Option(OutputFormat.TEXT, "--format"),
) -> None:
    """The workspace's shared themes (the ones 'analyze' uses), labelled by their distinctive terms.

    Themes are computed once per workspace and stored; shows where the portfolio is thin.

    Example: missionboard themes --mission clean-power
    """
    if k != "auto" and not k.isdigit():
        raise InputError(Problem("--k", None, "", f"must be a number or auto, not {k!r}"))
    result = service.themes(
        app_context(ctx).workspace(),
        mission_id=mission,
        k=None if k == "auto" else int(k),
        recompute=recompute,
    )
    if format == OutputFormat.JSON:
        print_json(result.to_dict())
        return
    table = Table("theme", "projects", "share", "distinctive terms", "example")
    for theme in result.themes:
        example = theme.projects[0].title if theme.projects else ""
        table.add_row(
            str(theme.theme),
            str(theme.size),
            f"{theme.share:.0%}",
            escape(", ".join(theme.terms)),
            escape(example[:60]),
        )
    console.print(table)
    evidence = result.theme_set
    chosen_by = evidence["chosen_by"]
    rule = chosen_by.get("rule", "") if isinstance(chosen_by, dict) else ""
    console.print(
        f"k = {evidence['k']} ({escape(str(rule))}); "
        f"{escape(str(evidence['space']))}; computed {evidence['computed_at']} from {evidence['projects']:,} "
        f"projects ({evidence['status']})",
        highlight=False,
    )
    if result.thin:
        console.print(f"thin themes (under half an even share): {', '.join(map(str, result.thin))}")


def similar(
    ctx: typer.Context,
    project: str = typer.Argument(
        ..., metavar="PROJECT_ID", help="Project number, source id or source:source_id."
    ),
    k: int = typer.Option(10, "--k", min=1, help="How many."),
    format: OutputFormat = typer.Option(OutputFormat.TEXT, "--format"),
) -> None:
    """The projects whose descriptions are closest to this one."""
    result = service.similar(app_context(ctx).workspace(), project, k=k)
    if format == OutputFormat.JSON:
        print_json(result.to_dict())
        return
    console.print(f"closest to [bold]{escape(result.project.title)}[/bold]:", highlight=False)
    table = Table("similarity", "id", "title", "funder")
    for row in result.similar:
        table.add_row(f"{row.similarity:.3f}", str(row.id), escape(row.title[:70]), escape(row.funder or ""))
    console.print(table)


def duplicates(
    ctx: typer.Context,
    across_funders: bool = typer.Option(False, "--across-funders", help="Only pairs with different funders."),
    threshold: float = typer.Option(0.92, "--threshold", min=0.0, max=1.0, help="Cosine similarity cut-off."),
    format: OutputFormat = typer.Option(OutputFormat.TEXT, "--format"),
) -> None:
    """Near-duplicate project pairs (the same work funded twice is a silo signal)."""
    pairs = service.duplicates(
        app_context(ctx).workspace(), across_funders=across_funders, threshold=threshold
    )
    if format == OutputFormat.JSON:
        print_json([pair.to_dict() for pair in pairs])
        return
    if not pairs:
        console.print("no near-duplicate projects found")
        return
    table = Table("similarity", "project A", "funder A", "project B", "funder B")
    for pair in pairs:
        a, b = pair.a, pair.b
        table.add_row(
            f"{pair.similarity:.3f}",
            escape(f"{a.id} {a.title[:40]}"),
            escape(a.funder or ""),
            escape(f"{b.id} {b.title[:40]}"),
            escape(b.funder or ""),
        )
    console.print(table)


@taxonomy_app.command("import")
def taxonomy_import(
    ctx: typer.Context,
    file: Path = typer.Argument(
        ..., help="Taxonomy YAML or JSON: code, title, goals (each may carry a definition)."
    ),
) -> None:
    """Import (or replace) a taxonomy of your own into the workspace, with its goals' definitions.

    A broken file (a definition without counts, an unknown field …) is refused whole, naming the file,
    the line and the field; the workspace is left as it was.
    """
    app = app_context(ctx)
    result = service.import_taxonomy(app.workspace(create=True), file, user=app.user)
    verb = "replaced" if result.replaced else "imported"
    console.print(
        f"{verb} taxonomy '{result.code}' ({result.goals} goals, {result.definitions} with a definition)",
        highlight=False,
    )


@taxonomy_app.command("import-aurora")
def taxonomy_import_aurora(
    ctx: typer.Context,
    folder: Path = typer.Argument(..., help="Folder of Aurora query_SDG<n>.xml files (Scopus syntax)."),
    code: str = typer.Option("aurora-sdg", "--code", help="Code of the taxonomy to create."),
) -> None:
    """Import Aurora-style SDG queries (TITLE-ABS-KEY, W/n) as a query-only taxonomy."""
    app = app_context(ctx)
    result = service.import_aurora(app.workspace(create=True), folder, code=code, user=app.user)
    console.print(
        f"imported taxonomy '{result.code}': {result.goals} goals, {result.queries} queries",
        highlight=False,
    )


@taxonomy_app.command("list")
def taxonomy_list(
    ctx: typer.Context, format: OutputFormat = typer.Option(OutputFormat.TEXT, "--format")
) -> None:
    """Every taxonomy you can map to: built-in, workspace missions, imported."""
    app = app_context(ctx)
    rows = glance_mapping.taxonomy_list(
        app.settings, lambda: service.list_taxonomies(app.optional_workspace())
    )
    if format == OutputFormat.JSON:
        print_json([row.to_dict() for row in rows])
        return
    table = Table("code", "kind", "goals", "sub-goals", "title")
    for row in rows:
        table.add_row(row.code, row.kind, str(row.goals), str(row.children), escape(row.title))
    console.print(table)


@taxonomy_app.command("show")
def taxonomy_show(
    ctx: typer.Context,
    code: str = typer.Argument(..., metavar="CODE"),
    format: OutputFormat = typer.Option(OutputFormat.TEXT, "--format"),
    targets: bool = typer.Option(False, "--targets", help="Also list sub-goals (e.g. SDG targets)."),
) -> None:
    """A taxonomy's goals (and with --targets their sub-goals), with their queries."""
    app = app_context(ctx)
    workspace = None if service.is_builtin_taxonomy(code) else app.optional_workspace()
    taxonomy = service.show_taxonomy(code, workspace)
    if format == OutputFormat.JSON:
        print_json(taxonomy.model_dump())
        return
    console.print(f"[bold]{escape(taxonomy.code)}[/bold] — {escape(taxonomy.title)}", highlight=False)
    table = Table("code", "title", "queries")
    for goal in taxonomy.goals:
        if goal.parent is not None and not targets:
            continue
        indent = "  " if goal.parent else ""
        table.add_row(indent + goal.code, escape(goal.title[:100]), str(len(goal.queries)))
    console.print(table)
