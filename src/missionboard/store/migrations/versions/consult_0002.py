"""consultations: what was done with each proposal, and the published report-back

Revision ID: consult_0002
Revises: consult_0001
Create Date: 2026-12-07 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "consult_0002"
down_revision = "consult_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consultation_proposal_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.String(length=80), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("proposal_index", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("answered_by", sa.String(length=200), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name=op.f("fk_consultation_proposal_answers_consultation_id_consultations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["consultation_responses.id"],
            name=op.f("fk_consultation_proposal_answers_response_id_consultation_responses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_proposal_answers")),
        sa.UniqueConstraint(
            "consultation_id",
            "response_id",
            "proposal_index",
            name=op.f("uq_consultation_proposal_answers_consultation_id"),
        ),
    )
    op.create_table(
        "consultation_report_backs",
        sa.Column("consultation_id", sa.String(length=80), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("published_by", sa.String(length=200), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name=op.f("fk_consultation_report_backs_consultation_id_consultations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("consultation_id", name=op.f("pk_consultation_report_backs")),
    )


def downgrade() -> None:
    op.drop_table("consultation_report_backs")
    op.drop_table("consultation_proposal_answers")
