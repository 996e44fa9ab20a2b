"""monitoring: stage-gates per project, the gate side of decisions (append-only), appeals

Revision ID: monitoring_0002
Revises: monitoring_0001
Create Date: 2026-12-07 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "monitoring_0002"
down_revision = "monitoring_0001"
branch_labels = None
depends_on = None

APPEND_ONLY = "decisions are append-only: record a new decision instead of changing or deleting one"
AMOUNT = sa.Numeric(20, 2)


def upgrade() -> None:
    op.create_table(
        "gates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("set_by", sa.String(length=200), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_gates_project_id_projects"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gates")),
        sa.UniqueConstraint("project_id", "name", name=op.f("uq_gates_project_id")),
    )
    op.create_index("ix_gates_due", "gates", ["due"], unique=False)
    op.create_table(
        "decision_details",
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("gate_id", sa.Integer(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("plan", sa.Text(), nullable=True),
        sa.Column("amount", AMOUNT, nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("paid", AMOUNT, nullable=True),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["decisions.id"],
            name=op.f("fk_decision_details_decision_id_decisions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["gate_id"], ["gates.id"], name=op.f("fk_decision_details_gate_id_gates"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("decision_id", name=op.f("pk_decision_details")),
    )
    op.create_index(op.f("ix_decision_details_gate_id"), "decision_details", ["gate_id"], unique=False)
    op.create_table(
        "decision_appeals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("lodged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("ruled_by", sa.String(length=200), nullable=True),
        sa.Column("ruling", sa.Text(), nullable=True),
        sa.Column("ruled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["decisions.id"],
            name=op.f("fk_decision_appeals_decision_id_decisions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_appeals")),
    )
    op.create_index(
        op.f("ix_decision_appeals_decision_id"), "decision_appeals", ["decision_id"], unique=False
    )

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER decision_details_no_{event.lower()} BEFORE {event} ON decision_details "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
            )
    elif dialect == "postgresql":
        # decisions_append_only() was created by monitoring_0001
        op.execute(
            "CREATE TRIGGER decision_details_no_change BEFORE UPDATE OR DELETE ON decision_details "
            "FOR EACH ROW EXECUTE FUNCTION decisions_append_only()"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS decision_details_no_update")
        op.execute("DROP TRIGGER IF EXISTS decision_details_no_delete")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS decision_details_no_change ON decision_details")
    op.drop_index(op.f("ix_decision_appeals_decision_id"), table_name="decision_appeals")
    op.drop_table("decision_appeals")
    op.drop_index(op.f("ix_decision_details_gate_id"), table_name="decision_details")
    op.drop_table("decision_details")
    op.drop_index("ix_gates_due", table_name="gates")
    op.drop_table("gates")
