"""analytics: data_versions, the counters that tell the analytics snapshot that it is stale

Revision ID: analytics_0001
Revises: 0001_core
Create Date: 2026-11-23 17:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "analytics_0001"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "data_versions",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_data_versions")),
    )
    op.bulk_insert(table, [{"name": "portfolio", "version": 0}])


def downgrade() -> None:
    op.drop_table("data_versions")
