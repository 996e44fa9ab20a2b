"""Links from projects to the goals of a taxonomy: proposed by ``map``, decided by analysts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import JsonValue
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from missionboard.domain.mapping import LinkMethod, LinkStatus
from missionboard.store.tables import LinkRow, ProjectRow


@dataclass(frozen=True)
class LinkState:
    """Where a link stands: its status (proposed, accepted, rejected) and the method that made it."""

    status: str
    method: str


@dataclass(frozen=True)
class StoredLink:
    """A link as a reviewer decides on it."""

    id: int
    project_id: int
    taxonomy: str
    goal: str
    status: str
    reviewer: str | None


@dataclass(frozen=True)
class ProposedLink:
    """A proposed link with the title and abstract of its project (the review queue)."""

    id: int
    project_id: int
    taxonomy: str
    goal: str
    score: float
    evidence: dict[str, JsonValue] | None
    project_title: str
    project_abstract: str


class LinkStore:
    """Reads and writes links inside the caller's transaction.

    ``rescore`` and ``withdraw`` act on links read by ``for_projects``, ``review`` on one read by
    ``get``, through the same store.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._rows: dict[tuple[str, int, str], LinkRow] = {}
        self._by_id: dict[int, LinkRow] = {}

    # --- reads ---------------------------------------------------------------------------------------

    def goal_statuses(self, taxonomy: str) -> list[tuple[str, str]]:
        """(goal, status) of every link to the taxonomy."""
        return [
            (goal, status)
            for goal, status in self.session.execute(
                select(LinkRow.goal, LinkRow.status).where(LinkRow.taxonomy == taxonomy)
            )
        ]

    def decisions(self, taxonomy: str) -> list[tuple[int, str, str]]:
        """(project, goal, status) of every link to the taxonomy that is no longer proposed."""
        return [
            (pid, goal, status)
            for pid, goal, status in self.session.execute(
                select(LinkRow.project_id, LinkRow.goal, LinkRow.status).where(
                    LinkRow.taxonomy == taxonomy, LinkRow.status != LinkStatus.PROPOSED.value
                )
            )
        ]

    def counts_by_goal(self, taxonomy: str) -> dict[str, int]:
        """Links per goal of the taxonomy, rejected ones left out."""
        return {
            goal: count
            for goal, count in self.session.execute(
                select(LinkRow.goal, func.count())
                .where(LinkRow.taxonomy == taxonomy, LinkRow.status != LinkStatus.REJECTED.value)
                .group_by(LinkRow.goal)
            )
        }

    def states(self, taxonomy: str, project_ids: Sequence[int]) -> dict[int, dict[str, LinkState]]:
        """Per project of ``project_ids``: its links to the taxonomy by goal."""
        out: dict[int, dict[str, LinkState]] = {}
        for pid, goal, status, method in self.session.execute(
            select(LinkRow.project_id, LinkRow.goal, LinkRow.status, LinkRow.method).where(
                LinkRow.taxonomy == taxonomy, LinkRow.project_id.in_(project_ids)
            )
        ):
            out.setdefault(pid, {})[goal] = LinkState(status, method)
        return out

    def proposed(self, taxonomy: str | None = None) -> list[ProposedLink]:
        """Every proposed link (to the taxonomy), with its project's title and abstract."""
        query = (
            select(LinkRow, ProjectRow.title, ProjectRow.abstract)
            .join(ProjectRow, ProjectRow.id == LinkRow.project_id)
            .where(LinkRow.status == LinkStatus.PROPOSED.value)
        )
        if taxonomy:
            query = query.where(LinkRow.taxonomy == taxonomy)
        return [
            ProposedLink(
                link.id, link.project_id, link.taxonomy, link.goal, link.score, link.evidence, title, abstract
            )
            for link, title, abstract in self.session.execute(query)
        ]

    def proposed_sources(self) -> list[tuple[int, str, str, str]]:
        """Every proposed link as (link id, taxonomy, goal, its project's source id), oldest first."""
        rows = self.session.execute(
            select(LinkRow.id, LinkRow.taxonomy, LinkRow.goal, ProjectRow.source_id)
            .join(ProjectRow, ProjectRow.id == LinkRow.project_id)
            .where(LinkRow.status == LinkStatus.PROPOSED.value)
            .order_by(LinkRow.id)
        ).all()
        return [(link_id, taxonomy, goal, source_id) for link_id, taxonomy, goal, source_id in rows]

    # --- the proposals of a map run -------------------------------------------------------------------

    def for_projects(self, taxonomy: str, project_ids: Sequence[int]) -> dict[tuple[int, str], LinkState]:
        """The links of these projects to the taxonomy, by (project, goal)."""
        out: dict[tuple[int, str], LinkState] = {}
        for row in self.session.scalars(
            select(LinkRow).where(LinkRow.taxonomy == taxonomy, LinkRow.project_id.in_(project_ids))
        ):
            self._rows[(taxonomy, row.project_id, row.goal)] = row
            out[(row.project_id, row.goal)] = LinkState(row.status, row.method)
        return out

    def propose(
        self,
        project_id: int,
        taxonomy: str,
        goal: str,
        *,
        score: float,
        method: str,
        evidence: dict[str, JsonValue],
        text_hash: str,
        at: dt.datetime,
    ) -> None:
        self.session.add(
            LinkRow(
                project_id=project_id,
                taxonomy=taxonomy,
                goal=goal,
                score=score,
                method=method,
                evidence=evidence,
                status=LinkStatus.PROPOSED.value,
                text_hash=text_hash,
                created_at=at,
                updated_at=at,
            )
        )

    def rescore(
        self,
        project_id: int,
        taxonomy: str,
        goal: str,
        *,
        score: float,
        method: str,
        evidence: dict[str, JsonValue],
        text_hash: str,
        at: dt.datetime,
    ) -> None:
        """New score and evidence for a link read by ``for_projects``."""
        row = self._rows[(taxonomy, project_id, goal)]
        row.score, row.evidence, row.method, row.text_hash, row.updated_at = (
            score,
            evidence,
            method,
            text_hash,
            at,
        )

    def withdraw(self, project_id: int, taxonomy: str, goal: str) -> None:
        """Delete a link read by ``for_projects``."""
        self.session.delete(self._rows.pop((taxonomy, project_id, goal)))

    # --- review ------------------------------------------------------------------------------------------

    def get(self, link_id: int) -> StoredLink | None:
        row = self.session.get(LinkRow, link_id)
        if row is None:
            return None
        self._by_id[link_id] = row
        return StoredLink(row.id, row.project_id, row.taxonomy, row.goal, row.status, row.reviewer)

    def review(self, link_id: int, status: str, *, reviewer: str, at: dt.datetime) -> StoredLink:
        """Record a reviewer's decision on a link read by ``get``; the link as it is now."""
        row = self._by_id[link_id]
        row.status = status
        row.reviewer, row.reviewed_at, row.updated_at = reviewer, at, at
        return StoredLink(row.id, row.project_id, row.taxonomy, row.goal, row.status, row.reviewer)

    def accept_reassigned(
        self,
        project_id: int,
        taxonomy: str,
        goal: str,
        *,
        reassigned_from: str,
        reviewer: str,
        at: dt.datetime,
    ) -> int:
        """Accept the project's link to ``goal``, adding a manual one (score 1) where it has none; its id."""
        other = self.session.scalars(
            select(LinkRow).where(
                LinkRow.project_id == project_id,
                LinkRow.taxonomy == taxonomy,
                LinkRow.goal == goal,
            )
        ).first()
        if other is None:
            other = LinkRow(
                project_id=project_id,
                taxonomy=taxonomy,
                goal=goal,
                score=1.0,
                method=LinkMethod.MANUAL.value,
                evidence={"reassigned_from": reassigned_from},
                created_at=at,
            )
            self.session.add(other)
        other.status, other.reviewer, other.reviewed_at, other.updated_at = (
            LinkStatus.ACCEPTED.value,
            reviewer,
            at,
            at,
        )
        self.session.flush()
        return other.id
