"""The learning log's SQL: notes with their links, and review rounds, inside the caller's transaction."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from missionboard.domain.learning import (
    LearningNote,
    LinkKind,
    NoteKind,
    NoteLink,
    ObjectiveSnapshot,
    ReviewRound,
)
from missionboard.store.progress import chunked
from missionboard.store.tables import LearningNoteLinkRow, LearningNoteRow, ProjectRow, ReviewRoundRow


class LearningStore:
    """Reads and writes a mission's learning notes and review rounds."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # --- notes -------------------------------------------------------------------------------------

    def add(
        self,
        mission_id: str,
        kind: NoteKind,
        text: str,
        *,
        author: str,
        created_at: dt.datetime,
        round: str | None,
        links: Sequence[NoteLink],
    ) -> LearningNote:
        row = LearningNoteRow(
            mission_id=mission_id,
            kind=kind.value,
            text=text,
            author=author,
            created_at=created_at,
            round=round,
        )
        self.session.add(row)
        self.session.flush()
        for link in links:
            self.session.add(
                LearningNoteLinkRow(note_id=row.id, target_kind=link.kind.value, target_id=link.target)
            )
        self.session.flush()
        return _note(row, links)

    def notes(
        self,
        mission_id: str,
        *,
        words: Iterable[str] = (),
        kind: NoteKind | None = None,
        round: str | None = None,
        about: NoteLink | None = None,
    ) -> list[LearningNote]:
        """The mission's notes, newest first: each word found in the text (case-insensitive), of
        ``kind``, in ``round``, about ``about``."""
        query = select(LearningNoteRow).where(LearningNoteRow.mission_id == mission_id)
        for word in words:
            query = query.where(func.lower(LearningNoteRow.text).contains(word.lower(), autoescape=True))
        if kind is not None:
            query = query.where(LearningNoteRow.kind == kind.value)
        if round is not None:
            query = query.where(LearningNoteRow.round == round)
        if about is not None:
            query = query.where(
                LearningNoteRow.id.in_(
                    select(LearningNoteLinkRow.note_id).where(
                        LearningNoteLinkRow.target_kind == about.kind.value,
                        LearningNoteLinkRow.target_id == about.target,
                    )
                )
            )
        rows = list(
            self.session.scalars(query.order_by(LearningNoteRow.created_at.desc(), LearningNoteRow.id.desc()))
        )
        links = self._links([row.id for row in rows])
        return [_note(row, links.get(row.id, [])) for row in rows]

    def _links(self, note_ids: Sequence[int]) -> dict[int, list[NoteLink]]:
        found: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for chunk in chunked(sorted(note_ids)):
            for link in self.session.scalars(
                select(LearningNoteLinkRow)
                .where(LearningNoteLinkRow.note_id.in_(chunk))
                .order_by(LearningNoteLinkRow.id)
            ):
                found[link.note_id].append((link.target_kind, link.target_id))
        project_ids = {
            int(target)
            for links in found.values()
            for kind, target in links
            if kind == LinkKind.PROJECT.value and target.isdigit()
        }
        labels = self.project_labels(project_ids)
        return {
            note: [
                NoteLink(
                    LinkKind(kind),
                    target,
                    labels.get(int(target), "")
                    if kind == LinkKind.PROJECT.value and target.isdigit()
                    else "",
                )
                for kind, target in links
            ]
            for note, links in found.items()
        }

    def project_labels(self, project_ids: Iterable[int]) -> dict[int, str]:
        """``source:source_id`` of each project that exists."""
        labels: dict[int, str] = {}
        for chunk in chunked(sorted(set(project_ids))):
            for ident, source, source_id in self.session.execute(
                select(ProjectRow.id, ProjectRow.source, ProjectRow.source_id).where(ProjectRow.id.in_(chunk))
            ):
                labels[ident] = f"{source}:{source_id}"
        return labels

    # --- review rounds -----------------------------------------------------------------------------

    def round(self, mission_id: str, name: str) -> ReviewRound | None:
        row = self.session.scalar(
            select(ReviewRoundRow).where(ReviewRoundRow.mission_id == mission_id, ReviewRoundRow.name == name)
        )
        return _round(row) if row is not None else None

    def rounds(self, mission_id: str) -> list[ReviewRound]:
        """The mission's rounds, oldest first."""
        rows = self.session.scalars(
            select(ReviewRoundRow)
            .where(ReviewRoundRow.mission_id == mission_id)
            .order_by(ReviewRoundRow.closed_at, ReviewRoundRow.id)
        )
        return [_round(row) for row in rows]

    def close_round(self, closed: ReviewRound) -> ReviewRound:
        row = ReviewRoundRow(
            mission_id=closed.mission,
            name=closed.name,
            closed_by=closed.closed_by,
            closed_at=closed.closed_at,
            projects=closed.projects,
            money=closed.money,
            currency=closed.currency,
            objectives=[o.to_dict() for o in closed.objectives],
        )
        self.session.add(row)
        self.session.flush()
        return _round(row)


def _note(row: LearningNoteRow, links: Sequence[NoteLink]) -> LearningNote:
    return LearningNote(
        id=row.id,
        mission=row.mission_id,
        kind=NoteKind(row.kind),
        text=row.text,
        author=row.author,
        created_at=_utc(row.created_at),
        round=row.round,
        links=tuple(links),
    )


def _round(row: ReviewRoundRow) -> ReviewRound:
    return ReviewRound(
        mission=row.mission_id,
        name=row.name,
        closed_by=row.closed_by,
        closed_at=_utc(row.closed_at),
        projects=row.projects,
        money=row.money,
        currency=row.currency,
        objectives=tuple(
            ObjectiveSnapshot(
                objective=str(o["objective"]),
                title=str(o.get("title", "")),
                status=str(o["status"]),
                probability=o.get("probability"),
            )
            for o in row.objectives
        ),
    )


def _utc(value: dt.datetime) -> dt.datetime:
    """SQLite keeps no zone: its times were written in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
