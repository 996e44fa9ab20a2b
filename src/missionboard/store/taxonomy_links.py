"""A taxonomy's links in bulk, for analytics: the rows the loader's ``links`` query gives, read from
SQLite's indexes in a few grouped rows instead of one Python row per link.

Reading a mission's 200,000 links row by row took 1.6 of the 11 CPU seconds of its analysis at 1M
projects (measured): every row fetched the table's record (the score is in no index with the project)
and became a Python tuple. Here two grouped reads run over covering indexes — (goal, status, link id,
score) and (link id, project id) — and return each group's link ids, scores and projects as
comma-separated text that NumPy parses; the rows are then joined by link id and given in the loader's
order, ``(goal, status, score, link id)`` (``store.analytics.LINK_ORDER``). Scores travel as 17 significant
digits, which read back as the very same doubles. SQLite only (``group_concat``, ``printf``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import func, select

from missionboard.store.tables import LinkRow
from missionboard.store.workspace import Workspace

if TYPE_CHECKING:  # imported where the links are read: the store's other readers need no Arrow
    import pyarrow as pa

REJECTED = "rejected"


def read_taxonomy_links(workspace: Workspace, taxonomy: str) -> pa.Table:
    """The links of ``taxonomy`` that are not rejected, as an Arrow table with the loader's columns
    (project_id, taxonomy, goal, score, status: int64, string, string, float64, string), one read
    transaction of a SQLite workspace."""
    import pyarrow as pa

    from missionboard.store.arrow_arrays import chosen, numbers

    link = LinkRow
    kept = (link.taxonomy == taxonomy, link.status != REJECTED)
    scored = (
        select(
            link.goal,
            link.status,
            func.group_concat(link.id),
            func.group_concat(func.printf("%!.17g", link.score)),
        )
        .where(*kept)
        .group_by(link.goal, link.status)
    )
    placed = select(func.group_concat(link.id), func.group_concat(link.project_id)).where(*kept)
    with workspace.reading() as session:
        groups = session.execute(scored).all()
        ids_text, projects_text = session.execute(placed).one()
    link_ids = [_numbers(ids, np.int64) for _, _, ids, _ in groups]
    ids = np.concatenate(link_ids) if link_ids else np.zeros(0, np.int64)
    scores = np.concatenate([_numbers(text, np.float64) for *_, text in groups]) if groups else np.zeros(0)
    sizes = [len(found) for found in link_ids]
    goals = np.repeat(np.arange(len(groups)), sizes)
    # each link's project, by link id
    by_id, projects = _numbers(ids_text, np.int64), _numbers(projects_text, np.int64)
    order = np.argsort(by_id)
    project = projects[order][np.searchsorted(by_id[order], ids)]
    goal_names = [str(goal) for goal, *_ in groups]
    status_names = [str(status) for _, status, *_ in groups]
    # the loader's order (``store.analytics.LINK_ORDER``): goal, status, score, link id; Python orders
    # strings by code point, as SQLite's BINARY collation orders their UTF-8
    by_key = sorted(range(len(groups)), key=lambda g: (goal_names[g], status_names[g]))
    group_rank = np.zeros(len(groups), dtype=np.int64)
    group_rank[by_key] = np.arange(len(groups))
    rows = np.lexsort((ids, scores, group_rank[goals])) if len(ids) else goals
    # built from NumPy's buffers: pyarrow.array would import pandas (store.arrow_arrays); goal and status
    # are those of each link's group
    kept_goals = goals[rows]
    return pa.table(
        {
            "project_id": numbers(project[rows], pa.int64()),
            "taxonomy": chosen([taxonomy], np.zeros(len(rows), dtype=np.int32)),
            "goal": chosen(goal_names, kept_goals),
            "score": numbers(scores[rows], pa.float64()),
            "status": chosen(status_names, kept_goals),
        }
    )


def _numbers(text: str | None, kind: type[np.generic]) -> np.ndarray:
    """The comma-separated numbers of ``text`` (``group_concat``) as an array of ``kind``."""
    if not text:
        return np.zeros(0, dtype=kind)
    return np.fromstring(text, dtype=kind, sep=",")
