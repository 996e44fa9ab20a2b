"""monitoring: project progress reports; database guards that keep the decision log append-only

Revision ID: monitoring_0001
Revises: 0001_core
Create Date: 2026-11-23 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "monitoring_0001"
down_revision = "0001_core"
branch_labels = ("monitoring",)
depends_on = None

APPEND_ONLY = "decisions are append-only: record a new decision instead of changing or deleting one"


def upgrade() -> None:
    op.create_table(
        "progress_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("planned", sa.Float(), nullable=True),
        sa.Column("actual", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=100), nullable=True),
        sa.Column("completed", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("import_run_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_progress_reports_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["import_run_id"],
            ["import_runs.id"],
            name=op.f("fk_progress_reports_import_run_id_import_runs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_reports")),
        sa.UniqueConstraint(
            "project_id", "kind", "name", "date", name=op.f("uq_progress_reports_project_id")
        ),
    )
    op.create_index("ix_progress_reports_project", "progress_reports", ["project_id", "kind"], unique=False)

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER decisions_no_{event.lower()} BEFORE {event} ON decisions "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION decisions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER decisions_no_change BEFORE UPDATE OR DELETE ON decisions "
            "FOR EACH ROW EXECUTE FUNCTION decisions_append_only()"
        )
        op.execute(
            "CREATE TRIGGER decisions_no_truncate BEFORE TRUNCATE ON decisions "
            "FOR EACH STATEMENT EXECUTE FUNCTION decisions_append_only()"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS decisions_no_update")
        op.execute("DROP TRIGGER IF EXISTS decisions_no_delete")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS decisions_no_change ON decisions")
        op.execute("DROP TRIGGER IF EXISTS decisions_no_truncate ON decisions")
        op.execute("DROP FUNCTION IF EXISTS decisions_append_only()")
    op.drop_index("ix_progress_reports_project", table_name="progress_reports")
    op.drop_table("progress_reports")
