"""mapping_0002: a workspace made before goals kept their definition gains the column when it is opened,
keeps its imported taxonomies and their goals (read as having no definition), stores definitions from
then on, and downgrades without losing a goal."""

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, text

# the area modules register their tables with Base when imported
import missionboard.store.analytics_tables
import missionboard.store.consult_tables
import missionboard.store.mapping_tables
import missionboard.store.monitoring_tables
import missionboard.store.web_tables  # noqa: F401
from missionboard.domain.mapping import GoalDefinition
from missionboard.services import mapping as mapping_service
from missionboard.store.quick import SCHEMA_HEADS
from missionboard.store.tables import Base
from missionboard.store.workspace import MIGRATIONS, Workspace

GOAL_DEFINITIONS = "mapping_0002"
BEFORE = "mapping_0001"

TAXONOMY = """code: cycling
title: Cycling
goals:
- code: infra
  title: Cycling infrastructure
  definition:
    counts: [Cycle lanes and bicycle parking]
    hard_negatives: [{text: A velodrome for the national team., belongs_to: sport}]
- code: sport
  title: Cycling as a sport
"""


def _config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def _goal_columns(engine: Engine) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns("goals")}


def _workspace_before_definitions(database_url: str) -> None:
    """A workspace at every head but ``mapping_0002``, holding an imported taxonomy of two goals."""
    engine = create_engine(database_url)
    config = _config(engine)
    heads = set(ScriptDirectory.from_config(config).get_heads()) - {GOAL_DEFINITIONS} | {BEFORE}
    for head in sorted(heads):
        command.upgrade(config, head)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO taxonomies (code, title, description, builtin, imported_at) "
                "VALUES ('old', 'Imported before', '', :false, CURRENT_TIMESTAMP)"
            ),
            {"false": False},
        )
        connection.execute(
            text(
                "INSERT INTO goals (taxonomy_code, code, title, description, parent, queries, examples) "
                "VALUES ('old', 'a', 'Goal A', '', NULL, '[\"lane*\"]', '[]'), "
                "('old', 'a.1', 'Sub-goal', '', 'a', '[]', '[]')"
            )
        )
    engine.dispose()


def test_the_migration_is_a_head_the_quick_reader_knows() -> None:
    assert GOAL_DEFINITIONS in SCHEMA_HEADS
    assert BEFORE not in SCHEMA_HEADS


def test_opening_an_older_workspace_adds_the_definition_column_and_keeps_its_goals(
    database_url: str,
) -> None:
    _workspace_before_definitions(database_url)
    engine = create_engine(database_url)
    assert "definition" not in _goal_columns(engine)
    engine.dispose()

    workspace = Workspace.open(database_url)  # an existing workspace is upgraded when opened
    try:
        assert GOAL_DEFINITIONS in workspace.revision()
        assert "definition" in _goal_columns(workspace.engine)
        old = mapping_service.show_taxonomy("old", workspace)
        assert [(g.code, g.parent, g.queries) for g in old.goals] == [
            ("a", None, ["lane*"]),
            ("a.1", "a", []),
        ]
        assert [g.definition for g in old.goals] == [None, None]
    finally:
        workspace.close()


def test_an_upgraded_workspace_stores_definitions_and_downgrades_without_losing_a_goal(
    database_url: str, tmp_path: Path
) -> None:
    _workspace_before_definitions(database_url)
    workspace = Workspace.open(database_url)
    try:
        path = tmp_path / "cycling.yaml"
        path.write_text(TAXONOMY, encoding="utf-8")
        mapping_service.import_taxonomy(workspace, path, user="ana")
        infra = mapping_service.show_taxonomy("cycling", workspace).goals[0]
        assert infra.definition == GoalDefinition.model_validate(
            {
                "counts": ["Cycle lanes and bicycle parking"],
                "hard_negatives": [{"text": "A velodrome for the national team.", "belongs_to": "sport"}],
            }
        )
        engine = workspace.engine
        command.downgrade(_config(engine), f"{GOAL_DEFINITIONS}@-1")
        assert GOAL_DEFINITIONS not in workspace.revision()
        assert "definition" not in _goal_columns(engine)
        with engine.connect() as connection:
            codes = connection.execute(text("SELECT code FROM goals ORDER BY code")).scalars().all()
        assert codes == ["a", "a.1", "infra", "sport"]  # no goal lost with the dropped column
    finally:
        workspace.close()
    reopened = Workspace.open(database_url)  # and upgraded again
    try:
        assert GOAL_DEFINITIONS in reopened.revision()
        with reopened.engine.connect() as connection:
            differences = compare_metadata(
                MigrationContext.configure(connection, opts={"compare_type": False}), Base.metadata
            )
        assert differences == []
    finally:
        reopened.close()
