"""web: the mission-portfolio index on links also covers the goal (the monitoring board reads it alone)

Revision ID: web_0002
Revises: web_0001
Create Date: 2026-11-23 17:30:00
"""

from __future__ import annotations

from alembic import op

revision = "web_0002"
down_revision = "web_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_web_links_portfolio_goal", "links", ["taxonomy", "status", "project_id", "goal"])
    op.drop_index("ix_web_links_portfolio", table_name="links")


def downgrade() -> None:
    op.create_index("ix_web_links_portfolio", "links", ["taxonomy", "status", "project_id"])
    op.drop_index("ix_web_links_portfolio_goal", table_name="links")
