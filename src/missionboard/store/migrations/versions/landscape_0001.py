"""landscape: summary tables of a mapped landscape per mission objective

Revision ID: landscape_0001
Revises: 0001_core
Create Date: 2026-12-07 07:10:00
"""

from __future__ import annotations

revision = "landscape_0001"
down_revision = "0001_core"
branch_labels = ("landscape",)
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
