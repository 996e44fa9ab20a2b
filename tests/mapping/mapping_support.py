"""Shared helpers of the mapping tests: a small portfolio and a way to add projects to a workspace."""

from __future__ import annotations

import hashlib
from typing import Any

from missionboard.store.tables import ProjectRow
from missionboard.store.workspace import Workspace

PORTFOLIO = [
    (
        "p1",
        "Solar mini-grids for rural schools",
        "Solar mini-grids and pay-as-you-go home systems bring affordable electricity to off-grid villages.",
        "Norad",
    ),
    (
        "p2",
        "Clean water for villages",
        "New boreholes, piped drinking water and latrines with hygiene education in rural districts.",
        "Sida",
    ),
    (
        "p3",
        "Teacher training",
        "Teacher training and new textbooks raise literacy for primary school pupils.",
        "Danida",
    ),
    (
        "p4",
        "Malaria prevention",
        "Community health workers deliver bed nets, vaccines and malaria treatment in remote villages.",
        "Norad",
    ),
    (
        "p5",
        "Wind power for the grid",
        "Wind farms and solar parks replace diesel generators and cut greenhouse gas emissions.",
        "Sida",
    ),
    (
        "p6",
        "Solar mini-grids for rural schools (phase 2)",
        "Solar mini-grids and pay-as-you-go home systems bring affordable electricity to off-grid villages.",
        "Sida",
    ),
]


def add_projects(
    workspace: Workspace,
    rows: list[tuple[str, str, str, str]],
    *,
    labels: dict[str, list[dict[str, Any]]] | None = None,
) -> dict[str, int]:
    ids = {}
    with workspace.transaction() as session:
        for source_id, title, abstract, funder in rows:
            row = ProjectRow(
                source="test",
                source_id=source_id,
                title=title,
                abstract=abstract,
                funder=funder,
                source_labels=(labels or {}).get(source_id, []),
                content_hash=hashlib.sha256(f"{title}{abstract}".encode()).hexdigest(),
            )
            session.add(row)
            session.flush()
            ids[source_id] = row.id
    return ids
