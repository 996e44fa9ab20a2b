"""landscape: summary tables of a mapped landscape per mission objective

Revision ID: landscape_0001
Revises: 0001_core
Create Date: 2026-12-07 07:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "landscape_0001"
down_revision = "0001_core"
branch_labels = ("landscape",)
depends_on = None


def _run_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["run_id"], ["landscape_runs.id"], name=op.f(f"fk_{table}_run_id_landscape_runs"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "landscape_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.String(length=80), nullable=False),
        sa.Column("taxonomy", sa.String(length=100), nullable=False),
        sa.Column("input", sa.Text(), nullable=False),
        sa.Column("min_score", sa.Float(), nullable=False),
        sa.Column("recent_years", sa.Integer(), nullable=False),
        sa.Column("top", sa.Integer(), nullable=False),
        sa.Column("latest_year", sa.Integer(), nullable=True),
        sa.Column("analyzed_by", sa.String(length=200), nullable=False),
        sa.Column("analyzed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.Column("records_read", sa.BigInteger(), nullable=False),
        sa.Column("records", sa.BigInteger(), nullable=False),
        sa.Column("money", sa.Float(), nullable=False),
        sa.Column("other_labels", sa.BigInteger(), nullable=False),
        sa.Column("portfolio_projects", sa.Integer(), nullable=False),
        sa.Column("portfolio_money", sa.Float(), nullable=False),
        sa.Column("portfolio_unconverted", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["mission_id"],
            ["missions.id"],
            name=op.f("fk_landscape_runs_mission_id_missions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_landscape_runs")),
    )
    op.create_index(op.f("ix_landscape_runs_mission_id"), "landscape_runs", ["mission_id"], unique=False)
    op.create_table(
        "landscape_objectives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("objective", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("records", sa.BigInteger(), nullable=False),
        sa.Column("money", sa.Float(), nullable=False),
        sa.Column("records_with_money", sa.BigInteger(), nullable=False),
        sa.Column("organisations", sa.BigInteger(), nullable=False),
        sa.Column("outside_portfolio", sa.BigInteger(), nullable=False),
        sa.Column("newcomers", sa.BigInteger(), nullable=False),
        sa.Column("countries", sa.Integer(), nullable=False),
        sa.Column("fields", sa.Integer(), nullable=False),
        sa.Column("recent_records", sa.BigInteger(), nullable=False),
        sa.Column("earlier_records", sa.BigInteger(), nullable=False),
        sa.Column("recent_money", sa.Float(), nullable=False),
        sa.Column("earlier_money", sa.Float(), nullable=False),
        sa.Column("portfolio_projects", sa.Integer(), nullable=False),
        sa.Column("portfolio_money", sa.Float(), nullable=False),
        _run_key("landscape_objectives"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_landscape_objectives")),
        sa.UniqueConstraint("run_id", "objective", name=op.f("uq_landscape_objectives_run_id")),
    )
    op.create_table(
        "landscape_activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("objective", sa.String(length=100), nullable=False),
        sa.Column("dimension", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=500), nullable=False),
        sa.Column("records", sa.BigInteger(), nullable=False),
        sa.Column("money", sa.Float(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        _run_key("landscape_activity"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_landscape_activity")),
    )
    op.create_index(
        "ix_landscape_activity_run",
        "landscape_activity",
        ["run_id", "objective", "dimension", "position"],
        unique=False,
    )
    op.create_table(
        "landscape_organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("objective", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=500), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("records", sa.BigInteger(), nullable=False),
        sa.Column("money", sa.Float(), nullable=False),
        sa.Column("first_year", sa.Integer(), nullable=True),
        sa.Column("in_portfolio", sa.Boolean(), nullable=False),
        sa.Column("newcomer", sa.Boolean(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        _run_key("landscape_organisations"),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actors.id"],
            name=op.f("fk_landscape_organisations_actor_id_actors"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_landscape_organisations")),
    )
    op.create_index(
        "ix_landscape_organisations_run",
        "landscape_organisations",
        ["run_id", "objective", "position"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_landscape_organisations_run", table_name="landscape_organisations")
    op.drop_table("landscape_organisations")
    op.drop_index("ix_landscape_activity_run", table_name="landscape_activity")
    op.drop_table("landscape_activity")
    op.drop_table("landscape_objectives")
    op.drop_index(op.f("ix_landscape_runs_mission_id"), table_name="landscape_runs")
    op.drop_table("landscape_runs")
