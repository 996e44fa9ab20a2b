"""review: comments on links and review queues assigned to a colleague

Revision ID: review_0001
Revises: 0001_core
Create Date: 2026-12-08 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "review_0001"
down_revision = "0001_core"
branch_labels = ("review",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "link_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"], ["links.id"], name=op.f("fk_link_comments_link_id_links"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_comments")),
    )
    op.create_index("ix_link_comments_link", "link_comments", ["link_id", "created_at"], unique=False)
    op.create_table(
        "review_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.String(length=80), nullable=False),
        sa.Column("assignee", sa.String(length=100), nullable=False),
        sa.Column("assigned_by", sa.String(length=200), nullable=False),
        sa.Column("goal", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("open_key", sa.String(length=400), nullable=True),
        sa.ForeignKeyConstraint(
            ["mission_id"],
            ["missions.id"],
            name=op.f("fk_review_assignments_mission_id_missions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_assignments")),
        sa.UniqueConstraint("open_key", name=op.f("uq_review_assignments_open_key")),
    )
    op.create_index(
        op.f("ix_review_assignments_mission_id"), "review_assignments", ["mission_id"], unique=False
    )
    op.create_index(
        "ix_review_assignments_assignee", "review_assignments", ["assignee", "done_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_review_assignments_assignee", table_name="review_assignments")
    op.drop_index(op.f("ix_review_assignments_mission_id"), table_name="review_assignments")
    op.drop_table("review_assignments")
    op.drop_index("ix_link_comments_link", table_name="link_comments")
    op.drop_table("link_comments")
