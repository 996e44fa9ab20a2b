"""mapping: an imported taxonomy's goals keep their definition (what counts, what does not, hard negatives)

Revision ID: mapping_0002
Revises: mapping_0001
Create Date: 2026-12-07 17:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "mapping_0002"
down_revision = "mapping_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN, nullable: goals imported before keep their rows and read as having no definition
    op.add_column("goals", sa.Column("definition", sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("goals") as batch:
        batch.drop_column("definition")
