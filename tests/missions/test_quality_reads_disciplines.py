"""The quality check reads the disciplines of the linked portfolio: a mission that declares behaviour
change is not told it lacks social sciences or humanities when its linked projects state them."""

from __future__ import annotations

from pathlib import Path

from missionboard.services.ingest import ingest_files
from missionboard.services.missions import check_mission, import_missions
from missionboard.store.tables import LinkRow, ProjectRow
from missionboard.store.workspace import Workspace

MISSION = """\
mission:
  id: habits
  title: Healthy habits
  challenge: Diet-related disease
  statement: By 2032 halve the share of adults eating too much salt.
  owner: Ministry of Health
  tags: [behaviour-change]
  objectives:
    - id: salt
      title: Less salt
"""


def _checked(workspace: Workspace, tmp_path: Path, discipline: str) -> list[str]:
    (tmp_path / "m.yaml").write_text(MISSION, encoding="utf-8")
    import_missions(workspace, [tmp_path / "m.yaml"], user="test")
    (tmp_path / "p.csv").write_text(f"id,title,discipline\nS1,Salt nudges,{discipline}\n", encoding="utf-8")
    ingest_files(workspace, "csv", [tmp_path / "p.csv"], source="agency")
    with workspace.transaction() as session:
        project = session.query(ProjectRow).filter_by(source_id="S1").one()
        session.add(
            LinkRow(
                project_id=project.id,
                taxonomy="mission:habits",
                goal="salt",
                score=0.9,
                method="query",
                status="accepted",
            )
        )
    return [f.message for f in check_mission(workspace, "habits").findings]


def test_linked_social_science_projects_answer_the_behaviour_change_finding(
    workspace: Workspace, tmp_path: Path
) -> None:
    messages = _checked(workspace, tmp_path, "5.1 Psychology and cognitive sciences")
    assert not [m for m in messages if "social sciences or humanities" in m]


def test_linked_projects_without_ssh_leave_the_finding_with_what_they_state(
    workspace: Workspace, tmp_path: Path
) -> None:
    messages = _checked(workspace, tmp_path, "2.1 Civil engineering")
    assert [m for m in messages if "social sciences or humanities" in m]
