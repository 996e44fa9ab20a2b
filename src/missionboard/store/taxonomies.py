"""User taxonomies imported into the workspace: a taxonomy row and its goals (with their definitions)."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from missionboard.domain.mapping import Goal, GoalDefinition, Taxonomy
from missionboard.store.quick import StoredTaxonomy as StoredTaxonomy  # shared with the quick way
from missionboard.store.tables import GoalRow, TaxonomyRow


class TaxonomyStore:
    """Reads and writes imported taxonomies inside the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, code: str) -> Taxonomy | None:
        """The imported taxonomy ``code`` with its goals in import order, or None."""
        row = self.session.get(TaxonomyRow, code)
        if row is None:
            return None
        goals = self.session.scalars(
            select(GoalRow).where(GoalRow.taxonomy_code == code).order_by(GoalRow.id)
        )
        return Taxonomy(
            code=row.code,
            title=row.title,
            description=row.description,
            goals=[
                Goal(
                    code=g.code,
                    title=g.title,
                    description=g.description,
                    parent=g.parent,
                    queries=list(g.queries or []),
                    examples=list(g.examples or []),
                    definition=None if g.definition is None else GoalDefinition.model_validate(g.definition),
                )
                for g in goals
            ],
        )

    def save(self, taxonomy: Taxonomy) -> bool:
        """Insert or replace the taxonomy and its goals; True when it replaced one."""
        existing = self.session.get(TaxonomyRow, taxonomy.code)
        if existing is not None:
            self.session.execute(delete(GoalRow).where(GoalRow.taxonomy_code == taxonomy.code))
            existing.title = taxonomy.title
            existing.description = taxonomy.description
        else:
            self.session.add(
                TaxonomyRow(code=taxonomy.code, title=taxonomy.title, description=taxonomy.description)
            )
            self.session.flush()
        for goal in taxonomy.goals:
            self.session.add(
                GoalRow(
                    taxonomy_code=taxonomy.code,
                    code=goal.code,
                    title=goal.title,
                    description=goal.description,
                    parent=goal.parent,
                    queries=list(goal.queries),
                    examples=list(goal.examples),
                    definition=None if goal.definition is None else goal.definition.model_dump(mode="json"),
                )
            )
        return existing is not None

    def list(self) -> list[StoredTaxonomy]:
        """Every imported taxonomy, by code, with how many goals and sub-goals it has."""
        out: list[StoredTaxonomy] = []
        for row in self.session.scalars(select(TaxonomyRow).order_by(TaxonomyRow.code)):
            rows = list(self.session.scalars(select(GoalRow).where(GoalRow.taxonomy_code == row.code)))
            top_rows = [g for g in rows if g.parent is None]
            out.append(StoredTaxonomy(row.code, row.title, len(top_rows), len(rows) - len(top_rows)))
        return out
