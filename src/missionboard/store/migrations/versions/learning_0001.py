"""learning: a mission's learning log (notes and what they are about) and its review rounds

Revision ID: learning_0001
Revises: 0001_core
Create Date: 2026-12-07 05:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "learning_0001"
down_revision = "0001_core"
branch_labels = ("learning",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "learning_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("round", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["mission_id"],
            ["missions.id"],
            name=op.f("fk_learning_notes_mission_id_missions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learning_notes")),
    )
    op.create_index("ix_learning_notes_mission", "learning_notes", ["mission_id", "created_at"], unique=False)
    op.create_table(
        "learning_note_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("target_kind", sa.String(length=20), nullable=False),
        sa.Column("target_id", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["note_id"],
            ["learning_notes.id"],
            name=op.f("fk_learning_note_links_note_id_learning_notes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learning_note_links")),
        sa.UniqueConstraint(
            "note_id", "target_kind", "target_id", name=op.f("uq_learning_note_links_note_id")
        ),
    )
    op.create_index(
        "ix_learning_note_links_target", "learning_note_links", ["target_kind", "target_id"], unique=False
    )
    op.create_table(
        "review_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("closed_by", sa.String(length=200), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("projects", sa.Integer(), nullable=False),
        sa.Column("money", sa.Float(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("objectives", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["mission_id"],
            ["missions.id"],
            name=op.f("fk_review_rounds_mission_id_missions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_rounds")),
        sa.UniqueConstraint("mission_id", "name", name=op.f("uq_review_rounds_mission_id")),
    )


def downgrade() -> None:
    op.drop_table("review_rounds")
    op.drop_index("ix_learning_note_links_target", table_name="learning_note_links")
    op.drop_table("learning_note_links")
    op.drop_index("ix_learning_notes_mission", table_name="learning_notes")
    op.drop_table("learning_notes")
