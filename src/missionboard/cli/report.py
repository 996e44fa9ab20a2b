"""``missionboard report MISSION -o FILE``: a mission's board paper as a Word document or a PowerPoint deck.

The printable report itself (HTML, PDF) is drawn from the web's templates and stays on the web:
``/missions/MISSION/report`` and ``/missions/MISSION/report.pdf``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from missionboard.cli import lazy
from missionboard.cli.context import app_context, console, option_date
from missionboard.errors import InputError, MissionboardError, Problem

if TYPE_CHECKING:
    from missionboard.services import reports as service
else:
    service = lazy.module("missionboard.services.reports")


class PaperFormat(StrEnum):
    DOCX = "docx"
    PPTX = "pptx"


def register(app: typer.Typer) -> None:
    """Add this module's command to the root app."""
    app.command("report")(report)


def report(
    ctx: typer.Context,
    mission: str = typer.Argument(..., metavar="MISSION", help="Mission id."),
    paper_format: PaperFormat | None = typer.Option(
        None,
        "--format",
        "-f",
        help="docx (Word) or pptx (PowerPoint); by default the ending of --output, else docx. "
        "The HTML and PDF report are the web's: /missions/MISSION/report and report.pdf.",
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write to this file (required when stdout is a terminal)."
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Indicator values known on this date (YYYY-MM-DD)."
    ),
) -> None:
    """A mission's board paper: the printable report's figures and charts as Word or PowerPoint.

    The paper gives the portfolio (projects and money in the reporting currency, by the one portfolio
    rule), each objective's status, probability of reaching its target, forecast and target, the
    quality check's verdict, the contribution story's weak links, the analysis' headline figures and
    two charts (chance of reaching each target, funding by objective). The deck has a title slide, a
    summary, the objectives table, one slide per chart and the weak links. The file is written whole
    or not at all.

    Example: missionboard report school-meals --format pptx -o school-meals-board.pptx
    """
    chosen = paper_format or _format_of(output)
    if output is None and sys.stdout.isatty():
        raise InputError(
            Problem("", None, "--output", f"a {chosen.value} file is binary: give a file with -o FILE")
        )
    paper = service.board_paper(app_context(ctx).workspace(), mission, as_of=option_date(as_of))
    data = service.board_docx(paper) if chosen is PaperFormat.DOCX else service.board_pptx(paper)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    _write_atomically(output, data)
    console.print(f"wrote {output}", highlight=False)


def _format_of(output: Path | None) -> PaperFormat:
    ending = output.suffix.lower().lstrip(".") if output is not None else ""
    return PaperFormat(ending) if ending in set(PaperFormat) else PaperFormat.DOCX


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` whole or not at all: a temporary file in the same folder, then a rename."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise MissionboardError(f"cannot write {path}: {exc.strerror or exc}") from exc
    temporary = Path(name)
    try:
        with open(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise MissionboardError(f"cannot write {path}: {exc.strerror or exc}; it was left as it was") from exc
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
