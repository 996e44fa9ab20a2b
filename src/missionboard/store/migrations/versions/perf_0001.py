"""perf: drop the indexes that are prefixes of others; a fingerprint of each project's input row

``ix_projects_funder`` (funder) is the prefix of ``ix_web_projects_funder_programme`` (funder,
programme), ``ix_participations_project_id`` (project_id) that of the unique (project_id, actor_id,
role) index and ``ix_actor_aliases_actor_id`` that of the unique (actor_id, source, name) index: the
longer index answers the same lookups, and the shorter one only costs every import its upkeep.
``projects.row_hash`` lets a re-import skip an unchanged row before parsing it; existing projects start
with NULL, so their first re-import compares content hashes as before and fills it in.

Revision ID: perf_0001
Revises: 0001_core
Create Date: 2026-12-07 07:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "perf_0001"
down_revision = "0001_core"
branch_labels = ("perf",)
depends_on = ("web_0001",)  # its (funder, programme) index answers the lookups by funder from now on

REDUNDANT = (
    ("ix_projects_funder", "projects", "funder"),
    ("ix_participations_project_id", "participations", "project_id"),
    ("ix_actor_aliases_actor_id", "actor_aliases", "actor_id"),
)
"""(index, table, column) of the single-column indexes that lead another index of their table."""


def upgrade() -> None:
    for name, table, _ in REDUNDANT:
        op.drop_index(name, table_name=table)
    # plain ADD COLUMN (no batch copy of the projects table, which other tables point to)
    op.add_column("projects", sa.Column("row_hash", sa.String(length=32), nullable=True))


def downgrade() -> None:
    # SQLite (3.35 and later) and PostgreSQL both drop a plain column in place: no copy of the
    # projects table, whose rows other tables point to with ON DELETE CASCADE
    op.execute("ALTER TABLE projects DROP COLUMN row_hash")
    for name, table, column in REDUNDANT:
        op.create_index(name, table, [column], unique=False)
