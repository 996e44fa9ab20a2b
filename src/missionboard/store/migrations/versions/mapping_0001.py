"""mapping: embedding cache by text hash, supervised models per taxonomy, scored-project state

Revision ID: mapping_0001
Revises: 0001_core
Create Date: 2026-11-23 14:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "mapping_0001"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mapping_embeddings",
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=80), nullable=False),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("text_hash", "model", name=op.f("pk_mapping_embeddings")),
    )
    op.create_table(
        "mapping_models",
        sa.Column("taxonomy", sa.String(length=100), nullable=False),
        sa.Column("model", sa.JSON(), nullable=False),
        sa.Column("examples", sa.Integer(), nullable=False),
        sa.Column("trained_by", sa.String(length=200), nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("taxonomy", name=op.f("pk_mapping_models")),
    )
    op.create_table(
        "mapping_scored",
        sa.Column("taxonomy", sa.String(length=100), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_mapping_scored_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("taxonomy", "project_id", name=op.f("pk_mapping_scored")),
    )


def downgrade() -> None:
    op.drop_table("mapping_scored")
    op.drop_table("mapping_models")
    op.drop_table("mapping_embeddings")
