"""core: co-funding by source, funding conditions, disciplines and the gender dimension of projects

Revision ID: 0002_funding_detail
Revises: 0001_core
Create Date: 2026-12-07 02:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_funding_detail"
down_revision = "0001_core"
branch_labels = None
depends_on = None

PROJECT_COLUMNS = (("discipline", 500), ("gender_marker", 20), ("lead_gender", 20))
"""New nullable text columns of the projects table: (name, length)."""


def upgrade() -> None:
    # plain ADD COLUMN (no batch copy of the projects table, which other tables point to)
    for name, length in PROJECT_COLUMNS:
        op.add_column("projects", sa.Column(name, sa.String(length=length), nullable=True))
    op.create_table(
        "project_cofunding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source_type", sa.String(length=20), nullable=False),
        sa.Column("funder", sa.String(length=500), nullable=True),
        sa.Column("amount", sa.Numeric(precision=20, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_cofunding_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_cofunding")),
        sa.UniqueConstraint("project_id", "position", name=op.f("uq_project_cofunding_project_id")),
    )
    with op.batch_alter_table("project_cofunding", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_project_cofunding_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_project_cofunding_source_type"), ["source_type"], unique=False)
    op.create_table(
        "project_conditions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("share", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_conditions_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_conditions")),
        sa.UniqueConstraint("project_id", "position", name=op.f("uq_project_conditions_project_id")),
    )
    with op.batch_alter_table("project_conditions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_project_conditions_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_project_conditions_project_id"), ["project_id"], unique=False)
    op.create_table(
        "project_disciplines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("discipline", sa.String(length=500), nullable=False),
        sa.Column("area", sa.String(length=30), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_disciplines_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_disciplines")),
        sa.UniqueConstraint("project_id", "position", name=op.f("uq_project_disciplines_project_id")),
    )
    with op.batch_alter_table("project_disciplines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_project_disciplines_area"), ["area"], unique=False)
        batch_op.create_index(batch_op.f("ix_project_disciplines_project_id"), ["project_id"], unique=False)


def downgrade() -> None:
    for table in ("project_disciplines", "project_conditions", "project_cofunding"):
        op.drop_table(table)
    # SQLite (3.35 and later) and PostgreSQL both drop a plain column in place: no copy of the
    # projects table, whose rows other tables point to with ON DELETE CASCADE
    for name, _ in reversed(PROJECT_COLUMNS):
        op.execute(f"ALTER TABLE projects DROP COLUMN {name}")
