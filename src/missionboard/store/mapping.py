"""The mapping's own tables (embedding cache, scored marks, trained models) and the projects it maps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import JsonValue
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from missionboard.domain.mapping import project_text_of
from missionboard.store.mapping_tables import EmbeddingRow, MappingModelRow, ScoredRow
from missionboard.store.tables import ProjectRow

CACHE_CHUNK = 500
"""Text hashes per query on the embedding cache."""


@dataclass(frozen=True)
class ProjectSummary:
    """A project as mapping shows and compares it."""

    id: int
    source: str
    source_id: str
    title: str
    abstract: str
    funder: str | None


@dataclass(frozen=True)
class LabelledProject:
    """A project with the labels its publisher gave it (IATI SDG tags and the like)."""

    id: int
    source_labels: list[JsonValue]


def _summary(row: ProjectRow) -> ProjectSummary:
    return ProjectSummary(row.id, row.source, row.source_id, row.title, row.abstract, row.funder)


class MappingStore:
    """Reads and writes the mapping's tables inside the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # --- the projects mapped ---------------------------------------------------------------------

    def project_texts(self, source: str | None = None) -> list[tuple[int, str]]:
        """(id, text mapped) of every project (of ``source``), by id."""
        query = select(ProjectRow.id, ProjectRow.title, ProjectRow.abstract).order_by(ProjectRow.id)
        if source:
            query = query.where(ProjectRow.source == source)
        return [
            (pid, project_text_of(title, abstract)) for pid, title, abstract in self.session.execute(query)
        ]

    def count_projects(self) -> int:
        return self.session.scalar(select(func.count()).select_from(ProjectRow)) or 0

    def project_ids(self) -> set[int]:
        return set(self.session.scalars(select(ProjectRow.id)))

    def labelled_projects(self) -> list[LabelledProject]:
        """Projects that carry source labels."""
        rows = self.session.scalars(select(ProjectRow).where(ProjectRow.source_labels.is_not(None)))
        return [LabelledProject(row.id, row.source_labels) for row in rows]

    def projects_by_id(self, ids: Sequence[int]) -> dict[int, ProjectSummary]:
        rows = self.session.scalars(select(ProjectRow).where(ProjectRow.id.in_(ids)))
        return {row.id: _summary(row) for row in rows}

    def projects(self, ids: Sequence[int] | None = None) -> list[ProjectSummary]:
        """Every project (or those of ``ids``), by id."""
        query = select(ProjectRow).order_by(ProjectRow.id)
        if ids is not None:
            query = query.where(ProjectRow.id.in_(list(ids)))
        return [_summary(row) for row in self.session.scalars(query)]

    def find_project(self, ref: str) -> ProjectSummary | None:
        """The project of a number, a source id, or ``source:source_id``; None where none matches."""
        row = self.session.get(ProjectRow, int(ref)) if ref.isdigit() else None
        if row is None:
            row = self.session.scalars(select(ProjectRow).where(ProjectRow.source_id == ref)).first()
        if row is None and ":" in ref:
            src, _, sid = ref.partition(":")
            row = self.session.scalars(
                select(ProjectRow).where(ProjectRow.source == src, ProjectRow.source_id == sid)
            ).first()
        return None if row is None else _summary(row)

    # --- the embedding cache ---------------------------------------------------------------------

    def cached_vectors(self, model: str, text_hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """The cached vectors (document first, then sentences; float32) of each text hash found."""
        cached: dict[str, np.ndarray] = {}
        for start in range(0, len(text_hashes), CACHE_CHUNK):
            chunk = text_hashes[start : start + CACHE_CHUNK]
            rows = self.session.execute(
                select(EmbeddingRow.text_hash, EmbeddingRow.dim, EmbeddingRow.vector).where(
                    EmbeddingRow.model == model, EmbeddingRow.text_hash.in_(chunk)
                )
            )
            for h, dim, blob in rows:
                cached[h] = np.frombuffer(blob, dtype=np.float16).reshape(-1, dim).astype(np.float32)
        return cached

    def cache_vectors(self, model: str, text_hash: str, matrix: np.ndarray) -> None:
        """Add a text's vectors (a float16 matrix, one row per vector) to the cache."""
        self.session.add(
            EmbeddingRow(text_hash=text_hash, model=model, dim=matrix.shape[1], vector=matrix.tobytes())
        )

    # --- what was scored, on which text and fingerprint ------------------------------------------

    def scored_states(self, taxonomy: str) -> dict[int, tuple[str, str]]:
        """Per project scored for the taxonomy: (text hash, fingerprint) it was scored on."""
        return {
            pid: (h, fp)
            for pid, h, fp in self.session.execute(
                select(ScoredRow.project_id, ScoredRow.text_hash, ScoredRow.fingerprint).where(
                    ScoredRow.taxonomy == taxonomy
                )
            )
        }

    def scored_projects(self, taxonomy: str) -> set[int]:
        return {
            pid
            for (pid,) in self.session.execute(
                select(ScoredRow.project_id).where(ScoredRow.taxonomy == taxonomy)
            )
        }

    def record_scored(
        self,
        taxonomy: str,
        scored: Iterable[tuple[int, str]],
        *,
        fingerprint: str,
        known: Container[int],
        at: dt.datetime,
    ) -> None:
        """Remember that projects (id, text hash) were scored; ``known`` ones were scored before."""
        for pid, h in scored:
            if pid in known:
                self.session.execute(
                    update(ScoredRow)
                    .where(ScoredRow.taxonomy == taxonomy, ScoredRow.project_id == pid)
                    .values(text_hash=h, fingerprint=fingerprint, scored_at=at)
                )
            else:
                self.session.add(
                    ScoredRow(
                        taxonomy=taxonomy,
                        project_id=pid,
                        text_hash=h,
                        fingerprint=fingerprint,
                        scored_at=at,
                    )
                )

    # --- trained models --------------------------------------------------------------------------

    def model(self, taxonomy: str) -> dict[str, Any] | None:
        """The taxonomy's supervised model as stored (plain numbers), or None."""
        row = self.session.get(MappingModelRow, taxonomy)
        return row.model if row is not None else None

    def save_model(
        self, taxonomy: str, document: dict[str, Any], *, examples: int, trained_by: str, at: dt.datetime
    ) -> None:
        row = self.session.get(MappingModelRow, taxonomy)
        if row is None:
            self.session.add(
                MappingModelRow(
                    taxonomy=taxonomy, model=document, examples=examples, trained_by=trained_by, trained_at=at
                )
            )
        else:
            row.model, row.examples, row.trained_by, row.trained_at = document, examples, trained_by, at
