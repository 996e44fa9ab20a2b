"""analytics: the workspace's shared themes (theme sets with their stamp, themes, project → theme)

Revision ID: analytics_0002
Revises: analytics_0001
Create Date: 2026-12-06 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "analytics_0002"
down_revision = "analytics_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "theme_sets",
        sa.Column("corpus", sa.String(length=100), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("k", sa.Integer(), nullable=False),
        sa.Column("space", sa.Text(), nullable=False),
        sa.Column("chosen_by", sa.JSON(), nullable=False),
        sa.Column("distances", sa.JSON(), nullable=False),
        sa.Column("projects", sa.Integer(), nullable=False),
        sa.Column("fitted", sa.Integer(), nullable=False),
        sa.Column("max_project_id", sa.Integer(), nullable=False),
        sa.Column("data_version", sa.Integer(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("corpus", name=op.f("pk_theme_sets")),
    )
    op.create_table(
        "themes",
        sa.Column("corpus", sa.String(length=100), nullable=False),
        sa.Column("theme", sa.Integer(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("corpus", "theme", name=op.f("pk_themes")),
    )
    op.create_table(
        "theme_members",
        sa.Column("corpus", sa.String(length=100), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("theme", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("corpus", "generation", "project_id", name=op.f("pk_theme_members")),
    )


def downgrade() -> None:
    op.drop_table("theme_members")
    op.drop_table("themes")
    op.drop_table("theme_sets")
