"""A mission's board papers: its printable report's figures and charts as Word and PowerPoint downloads
(``services.reports.board_paper``), for whoever may see the report."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import Response

from missionboard.services.reports import (
    DOCX_MEDIA_TYPE,
    PPTX_MEDIA_TYPE,
    BoardPaper,
    board_docx,
    board_paper,
    board_pptx,
)
from missionboard.web.figures import HEAVY, visible_mission
from missionboard.web.security import workspace_of

router = APIRouter(include_in_schema=False)


@router.get("/missions/{mission_id}/board.docx")
def mission_board_docx(request: Request, mission_id: str) -> Response:
    """The board paper as a Word document."""
    return _paper(request, mission_id, board_docx, DOCX_MEDIA_TYPE, "docx")


@router.get("/missions/{mission_id}/board.pptx")
def mission_board_pptx(request: Request, mission_id: str) -> Response:
    """The board paper as a PowerPoint deck."""
    return _paper(request, mission_id, board_pptx, PPTX_MEDIA_TYPE, "pptx")


def _paper(
    request: Request, mission_id: str, layout: Callable[[BoardPaper], bytes], media_type: str, ending: str
) -> Response:
    visible_mission(request, mission_id)
    with HEAVY:  # the analysis and monitoring behind the paper are CPU-bound, as the report's sections
        paper = board_paper(workspace_of(request), mission_id)
    return Response(
        layout(paper),
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{mission_id}-board.{ending}"'},
    )
