"""The migrations build exactly the schema the table classes describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

# the area modules register their tables with Base when imported
import missionboard.store.analytics_tables
import missionboard.store.consult_tables
import missionboard.store.mapping_tables
import missionboard.store.monitoring_tables
import missionboard.store.web_tables  # noqa: F401
from missionboard.store.tables import Base
from missionboard.store.workspace import Workspace


def test_the_migrated_schema_matches_the_table_definitions(workspace: Workspace) -> None:
    with workspace.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
