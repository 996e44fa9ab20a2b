"""`map`, `review`, retraining, themes, similar and duplicates on a real workspace (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from mapping_support import PORTFOLIO, add_projects
from sqlalchemy import delete, select, update

from missionboard.domain.missions import Mission, Objective
from missionboard.errors import InputError, NotFound
from missionboard.services import mapping as service
from missionboard.store.audit import events
from missionboard.store.mapping_tables import EmbeddingRow, ScoredRow
from missionboard.store.missions import MissionStore
from missionboard.store.tables import LinkRow, ProjectRow
from missionboard.store.workspace import Workspace


def links(workspace: Workspace, taxonomy: str = "sdg") -> dict[tuple[int, str], LinkRow]:
    with workspace.reading() as session:
        found = {
            (r.project_id, r.goal): r
            for r in session.scalars(select(LinkRow).where(LinkRow.taxonomy == taxonomy))
        }
        session.expunge_all()
        return found


def test_map_proposes_links_with_method_score_and_evidence(
    portfolio: tuple[Workspace, dict[str, int]],
) -> None:
    workspace, ids = portfolio
    summary = service.map_projects(workspace, "sdg", user="ana")
    assert summary.projects == len(PORTFOLIO) and summary.scored == len(PORTFOLIO)
    found = links(workspace)
    energy = found[(ids["p1"], "7")]
    assert energy.status == "proposed" and energy.method == "ensemble"
    assert 0 < energy.score <= 1 and energy.text_hash
    assert energy.evidence["query_terms"] and energy.evidence["target"]["code"].startswith("7.")
    assert (ids["p2"], "6") in found and (ids["p4"], "3") in found


def test_rerunning_map_skips_unchanged_projects_and_rescores_changed_ones(
    portfolio: tuple[Workspace, dict[str, int]],
) -> None:
    workspace, ids = portfolio
    service.map_projects(workspace, "sdg", user="ana")
    again = service.map_projects(workspace, "sdg", user="ana")
    assert again.scored == 0 and again.unchanged == len(PORTFOLIO) and again.embedded == 0
    with workspace.transaction() as session:
        session.execute(
            update(ProjectRow)
            .where(ProjectRow.id == ids["p3"])
            .values(
                abstract="Marine protected areas and limits on overfishing restore coral reefs and coastal fisheries."
            )
        )
    changed = service.map_projects(workspace, "sdg", user="ana")
    assert changed.scored == 1 and changed.embedded == 1
    found = links(workspace)
    assert (ids["p3"], "14") in found
    assert (ids["p3"], "4") not in found  # the stale proposal was withdrawn


def test_review_decisions_survive_remapping(portfolio: tuple[Workspace, dict[str, int]]) -> None:
    workspace, ids = portfolio
    service.map_projects(workspace, "sdg", user="ana")
    found = links(workspace)
    accepted = found[(ids["p1"], "7")]
    rejected = found[(ids["p2"], "6")]
    service.review_link(workspace, accepted.id, "accept", user="ana")
    service.review_link(workspace, rejected.id, "reject", user="bo")
    with workspace.transaction() as session:  # both texts change, so map scores them again
        session.execute(
            update(ProjectRow)
            .where(ProjectRow.id.in_([ids["p1"], ids["p2"]]))
            .values(abstract="Teacher training and textbooks for primary schools.")
        )
    service.map_projects(workspace, "sdg", user="ana")
    after = links(workspace)
    assert after[(ids["p1"], "7")].status == "accepted" and after[(ids["p1"], "7")].reviewer == "ana"
    assert after[(ids["p2"], "6")].status == "rejected" and after[(ids["p2"], "6")].reviewer == "bo"
    assert after[(ids["p1"], "7")].score == accepted.score  # a decision's evidence is not overwritten
    assert after[(ids["p2"], "6")].reviewed_at is not None


def test_reassign_rejects_the_link_and_accepts_the_right_goal_with_audit(
    portfolio: tuple[Workspace, dict[str, int]],
) -> None:
    workspace, ids = portfolio
    service.map_projects(workspace, "sdg", user="ana")
    link = links(workspace)[(ids["p5"], "7")]
    result = service.review_link(workspace, link.id, "reassign", goal="13", user="ana")
    after = links(workspace)
    assert after[(ids["p5"], "7")].status == "rejected"
    assert after[(ids["p5"], "13")].status == "accepted" and after[(ids["p5"], "13")].reviewer == "ana"
    assert result.reassigned_to is not None and result.reassigned_to.goal == "13"
    with workspace.reading() as session:
        actions = [e.action for e in events(session, entity="link")]
    assert actions == ["link.reassign", "link.accept"]
    with pytest.raises(InputError, match="no goal '99'"):
        service.review_link(workspace, link.id, "reassign", goal="99", user="ana")
    with pytest.raises(NotFound):
        service.review_link(workspace, 10_000, "accept", user="ana")


def test_review_queue_puts_the_most_uncertain_first(portfolio: tuple[Workspace, dict[str, int]]) -> None:
    workspace, _ = portfolio
    service.map_projects(workspace, "sdg", user="ana")
    queue = service.review_queue(workspace, "sdg")
    assert queue
    assert [i.uncertainty for i in queue] == sorted(i.uncertainty for i in queue)


def test_cli_review_takes_one_key_per_link_from_stdin(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    workspace = Workspace.open(f"sqlite:///{cli.workspace}", create=True)
    add_projects(workspace, PORTFOLIO)
    assert cli("map", "--taxonomy", "sdg").exit_code == 0
    queue = service.review_queue(workspace, "sdg")
    monkeypatch.setattr("sys.stdin", io.StringIO("a\nr\nx\ns\nq\n"))
    res = cli("--user", "reviewer1", "review", "--taxonomy", "sdg")
    assert res.exit_code == 0, res.stderr
    assert "accepted 1, rejected 1, re-assigned 0, skipped 1" in res.stdout
    found = {row.id: row for row in links(workspace).values()}
    assert found[queue[0].link_id].status == "accepted" and found[queue[0].link_id].reviewer == "reviewer1"
    assert found[queue[1].link_id].status == "rejected"
    assert found[queue[2].link_id].status == "proposed"
    workspace.close()


def test_cli_map_json_summary(cli: Any) -> None:
    workspace = Workspace.open(f"sqlite:///{cli.workspace}", create=True)
    add_projects(workspace, PORTFOLIO)
    workspace.close()
    res = cli("map", "--taxonomy", "eu-missions", "--format", "json")
    assert res.exit_code == 0, res.stderr
    summary = json.loads(res.stdout)
    assert summary["taxonomy"] == "eu-missions" and summary["projects"] == len(PORTFOLIO)


def test_mission_objectives_are_a_taxonomy(portfolio: tuple[Workspace, dict[str, int]]) -> None:
    workspace, ids = portfolio
    mission = Mission(
        id="clean-power",
        title="Clean power for every school",
        challenge="Energy poverty",
        statement="Every rural school has clean electricity by 2030.",
        owner="Ministry",
        objectives=[
            Objective(id="electrify", title="Electrify rural schools", keywords=["mini-grid", "solar"]),
            # A title that says what the objective is about: with two goals the similarity's z-score is
            # ±1, so a vague title ("Safe water in schools", sims 0.353 vs 0.357 to the two goals) left
            # the link to the last bits of the CPU's rounding.
            Objective(
                id="water",
                title="Safe drinking water for schools and villages",
                queries=['"drinking water" OR borehole*'],
            ),
        ],
    )
    with workspace.transaction() as session:
        MissionStore(session).save(mission, author="ana")
    summary = service.map_projects(workspace, None, mission_id="clean-power", user="ana")
    assert summary.taxonomy == "mission:clean-power"
    found = links(workspace, "mission:clean-power")
    assert (ids["p1"], "electrify") in found and (ids["p2"], "water") in found
    codes = [row.code for row in service.list_taxonomies(workspace)]
    assert "mission:clean-power" in codes and "sdg" in codes


def test_import_a_user_taxonomy_and_map_to_it(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "tax.yaml"
    path.write_text(
        "code: nordic-energy\ntitle: Nordic energy priorities\ngoals:\n"
        "- code: solar\n  title: Solar power\n  queries: ['solar OR photovolta*']\n"
        "- code: wind\n  title: Wind power\n  queries: ['wind NEAR/3 (power OR farm*)']\n",
        encoding="utf-8",
    )
    assert cli("taxonomy", "import", str(path)).exit_code == 0
    res = cli("taxonomy", "show", "nordic-energy", "--format", "json")
    assert res.exit_code == 0 and [g["code"] for g in json.loads(res.stdout)["goals"]] == ["solar", "wind"]
    res = cli("taxonomy", "list", "--format", "json")
    assert {"code": "nordic-energy", "kind": "imported"}.items() <= next(
        r for r in json.loads(res.stdout) if r["code"] == "nordic-energy"
    ).items()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("code: x\ntitle: X\ngoals: []\n", "at least one goal"),
        (
            "code: x\ntitle: X\ngoals:\n- code: a\n  title: A\n  queries: ['solar AND']\n",
            "goals[0].queries[0]",
        ),
        ("code: x\ntitle: X\ncolour: red\ngoals: []\n", "colour: unknown field"),
        ("code: sdg\ntitle: X\ngoals:\n- code: a\n  title: A\n", "reserved"),
        ("code: [x\n", "not valid YAML"),
    ],
)
def test_bad_taxonomy_files_are_rejected_with_file_and_field(
    cli: Any, tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    res = cli("taxonomy", "import", str(path))
    assert res.exit_code == 2
    assert "bad.yaml" in res.stderr and message in res.stderr


def test_retrain_learns_from_decisions_and_source_labels(workspace: Workspace) -> None:
    energy = [
        (f"e{i}", f"Project {i}", t, "F")
        for i, t in enumerate(
            [
                "Solar panels for clinics.",
                "Wind turbines on the coast.",
                "Mini-grids for villages.",
                "Hydropower plant upgrade.",
                "Geothermal heating for towns.",
            ]
        )
    ]
    water = [
        (f"w{i}", f"Project w{i}", t, "F")
        for i, t in enumerate(
            [
                "Boreholes for drinking water.",
                "Latrines in schools.",
                "Sewage treatment plant.",
                "Water pipes for the town.",
                "Hygiene education and handwashing.",
            ]
        )
    ]
    labels = {sid: [{"vocabulary": "sdg-goal", "code": "7"}] for sid, *_ in energy}
    labels.update({sid: [{"vocabulary": "sdg-goal", "code": "6"}] for sid, *_ in water})
    add_projects(workspace, energy + water, labels=labels)
    summary = service.map_projects(workspace, "sdg", retrain=True, user="ana", method="supervised")
    assert summary.retrained is not None and summary.retrained.examples == 10
    assert {"6", "7"} <= set(summary.retrained.goals)
    with workspace.reading() as session:
        model = service.load_model(session, "sdg")
    assert model is not None
    [labels_out] = service.make_mapper("sdg", method="supervised", workspace=workspace).classify(
        ["Solar water heaters and wind power for a hospital."]
    )
    assert labels_out[0].goal == "7"


def test_retrain_without_decisions_says_what_to_do(workspace: Workspace) -> None:
    add_projects(workspace, PORTFOLIO)
    with pytest.raises(InputError, match="review"):
        service.map_projects(workspace, "sdg", retrain=True, user="ana")


def test_similar_and_duplicates_find_the_same_work_funded_twice(
    portfolio: tuple[Workspace, dict[str, int]],
) -> None:
    workspace, ids = portfolio
    result = service.similar(workspace, str(ids["p1"]), k=3)
    assert result.similar[0].id == ids["p6"] and result.similar[0].similarity > 0.9
    pairs = service.duplicates(workspace, across_funders=True)
    assert [(p.a.id, p.b.id) for p in pairs] == [(ids["p1"], ids["p6"])]
    with pytest.raises(NotFound):
        service.similar(workspace, "no-such-project")


def test_themes_cluster_the_portfolio_with_distinctive_terms(
    portfolio: tuple[Workspace, dict[str, int]],
) -> None:
    workspace, _ = portfolio
    result = service.themes(workspace, k=3)
    assert result.k == 3 and sum(t.size for t in result.themes) == len(PORTFOLIO)
    assert all(t.terms for t in result.themes)
    auto = service.themes(workspace)
    assert 2 <= auto.k <= len(PORTFOLIO)


def test_aurora_scopus_queries_import_as_a_taxonomy(cli: Any, shared_data: Path, tmp_path: Path) -> None:
    folder = shared_data / "sdg" / "queries" / "aurora-v5"
    res = cli("taxonomy", "import-aurora", str(folder))
    assert res.exit_code == 0, res.stderr
    assert "17 goals" in res.stdout
    source = tmp_path / "in.jsonl"
    source.write_text(
        json.dumps({"id": 1, "text": "Increase the share of renewable energy and wind power."}) + "\n"
    )
    res = cli("classify", "-t", "aurora-sdg", "-i", str(source), "--method", "query")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["labels"][0]["goal"] == "7"


def test_a_broken_aurora_file_is_reported_with_file_and_line(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "query_SDG3.xml").write_text(
        '<aqd:query xmlns:aqd="http://aurora-network.global/queries/namespace/">\n'
        '<aqd:query-line field="TITLE-ABS-KEY">( "health" W/3 </aqd:query-line>\n</aqd:query>\n',
        encoding="utf-8",
    )
    res = cli("taxonomy", "import-aurora", str(tmp_path))
    assert res.exit_code == 2
    assert "query_SDG3.xml:2" in res.stderr


def test_map_with_worker_processes_proposes_the_same_links(
    portfolio: tuple[Workspace, dict[str, int]],
) -> None:
    workspace, _ = portfolio
    service.map_projects(workspace, "sdg", user="ana", workers=1)
    alone = {key: round(row.score, 4) for key, row in links(workspace).items()}
    with workspace.transaction() as session:  # forget what was scored, keep the cached embeddings
        session.execute(delete(LinkRow))
        session.execute(delete(ScoredRow))
    summary = service.map_projects(workspace, "sdg", user="ana", workers=2)
    assert summary.scored == len(PORTFOLIO) and summary.embedded == 0
    with workspace.transaction() as session:
        session.execute(delete(LinkRow))
        session.execute(delete(ScoredRow))
        session.execute(delete(EmbeddingRow))
    summary = service.map_projects(workspace, "sdg", user="ana", workers=2)
    assert summary.embedded == len(PORTFOLIO)
    assert {key: round(row.score, 4) for key, row in links(workspace).items()} == alone
