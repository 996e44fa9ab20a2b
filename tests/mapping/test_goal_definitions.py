"""A goal's definition says what counts, what does not, and which texts look related but serve another
goal (hard negatives). It is part of the taxonomy file (and of a mission file's objectives and
outcomes), checked when the file loads, and shown in review; it never changes how projects are scored.
The evidence of a semantic link names the sentence of the project's text closest to the goal's target
(issue 17, item 5)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from missionboard.domain.evidence import ClosestSentence, closest_sentence, find_passage, term_spans
from missionboard.domain.mapping import GoalDefinition, HardNegative
from missionboard.errors import InputError
from missionboard.mapping import prototypes
from missionboard.mapping.taxonomies import generate
from missionboard.mapping.taxonomy import BUILTIN, builtin, read_taxonomy_file, top_goals
from missionboard.missionfile import dump_mission, mission_schema, parse_mission
from missionboard.services import mapping as mapping_service
from missionboard.services import missions as mission_service
from missionboard.store.workspace import Workspace

SHARED_SDG = Path("/work/shared/data/sdg")

TAXONOMY = """code: cycling
title: Cycling
goals:
- code: infra
  title: Cycling infrastructure
  definition:
    counts:
    - Building and upgrading cycle lanes and bicycle parking
    does_not_count:
    - Bicycle racing as a sport
    hard_negatives:
    - text: A velodrome for the national track cycling team.
      belongs_to: sport
    - A plain text without the goal it belongs to.
- code: sport
  title: Cycling as a sport
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "taxonomy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_taxonomy_file_gives_a_goal_its_definition(tmp_path: Path) -> None:
    taxonomy = read_taxonomy_file(_write(tmp_path, TAXONOMY))
    infra, sport = taxonomy.goals
    assert infra.definition == GoalDefinition(
        counts=["Building and upgrading cycle lanes and bicycle parking"],
        does_not_count=["Bicycle racing as a sport"],
        hard_negatives=[
            HardNegative(text="A velodrome for the national track cycling team.", belongs_to="sport"),
            HardNegative(text="A plain text without the goal it belongs to."),
        ],
    )
    assert sport.definition is None  # a definition is optional


COUNTS = "    counts:\n    - Building and upgrading cycle lanes and bicycle parking"


@pytest.mark.parametrize(
    ("broken", "line", "field", "message"),
    [
        ("    counts: []", 7, "goals.0.definition.counts", "at least 1 item"),
        ("    count:\n    - Building", 8, "goals.0.definition.count", "Extra inputs are not permitted"),
        ("    counts: Building cycle lanes", 7, "goals.0.definition.counts", "valid list"),
    ],
)
def test_a_malformed_definition_is_refused_naming_the_file_the_line_and_the_field(
    tmp_path: Path, broken: str, line: int, field: str, message: str
) -> None:
    path = _write(tmp_path, TAXONOMY.replace(COUNTS, broken))
    with pytest.raises(InputError) as caught:
        read_taxonomy_file(path)
    problem = next(p for p in caught.value.problems if p.field == field)
    assert problem.file == str(path)
    assert problem.line == line  # where the field's value stands
    assert message in problem.message


def test_a_hard_negative_without_its_text_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, TAXONOMY.replace("    - text: A velodrome", "    - txt: A velodrome"))
    with pytest.raises(InputError) as caught:
        read_taxonomy_file(path)
    fields = {p.field for p in caught.value.problems}
    assert "goals.0.definition.hard_negatives.0.text" in fields
    assert all(p.file == str(path) for p in caught.value.problems)


SDG_NUMBER = re.compile(r"^SDG (\d{1,2}) ")


@pytest.mark.parametrize("goal", [str(n) for n in range(1, 18)])
def test_every_sdg_has_a_definition_whose_hard_negatives_name_the_neighbouring_goal(goal: str) -> None:
    sdg = {g.code: g for g in top_goals(builtin("sdg"))}
    definition = sdg[goal].definition
    assert definition is not None, f"SDG {goal} has no definition"
    assert len(definition.counts) >= 3
    assert len(definition.does_not_count) >= 3
    assert len(definition.hard_negatives) >= 2
    for negative in definition.hard_negatives:
        assert negative.belongs_to is not None
        named = SDG_NUMBER.match(negative.belongs_to)
        assert named, f"SDG {goal}: {negative.belongs_to!r} names no SDG"
        assert named.group(1) != goal and named.group(1) in sdg  # another goal, not this one
        assert sdg[named.group(1)].title.lower() in negative.belongs_to.lower()


def test_every_eu_mission_has_a_definition_with_hard_negatives_from_elsewhere() -> None:
    missions = top_goals(builtin("eu-missions"))
    assert [m.code for m in missions] == ["adaptation", "cancer", "ocean", "cities", "soil"]
    for mission in missions:
        definition = mission.definition
        assert definition is not None, mission.code
        assert len(definition.counts) >= 3 and len(definition.does_not_count) >= 3
        assert len(definition.hard_negatives) >= 2
        for negative in definition.hard_negatives:
            assert negative.belongs_to and mission.title not in negative.belongs_to


def test_only_top_level_goals_carry_definitions_in_the_built_in_files() -> None:
    for code in BUILTIN:
        assert all(g.definition is None for g in builtin(code).goals if g.parent is not None)


def test_sdg_yaml_holds_the_hand_written_definitions_the_generator_merges() -> None:
    written = generate.definitions()
    assert sorted(written, key=int) == [str(n) for n in range(1, 18)]
    for goal in top_goals(builtin("sdg")):
        assert goal.definition == GoalDefinition.model_validate(written[goal.code]), (
            "sdg.definitions.yaml changed: run python -m missionboard.mapping.taxonomies.generate"
        )


@pytest.mark.skipif(not SHARED_SDG.exists(), reason="needs the UN wording in /work/shared/data/sdg")
def test_regenerating_sdg_yaml_gives_the_packaged_file_byte_for_byte(tmp_path: Path) -> None:
    assert generate.main([str(SHARED_SDG), str(tmp_path)]) == 0
    packaged = Path(generate.__file__).with_name("sdg.yaml")
    assert (tmp_path / "sdg.yaml").read_bytes() == packaged.read_bytes()


def test_the_generator_refuses_a_definition_that_would_not_load(tmp_path: Path) -> None:
    path = tmp_path / "defs.yaml"
    path.write_text("'1':\n  counts: []\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="goal 1"):
        generate.definitions(path)


@pytest.mark.parametrize("code", sorted(BUILTIN))
def test_definitions_leave_the_prototypes_and_their_packaged_vectors_as_they_were(code: str) -> None:
    taxonomy = builtin(code)
    bare = taxonomy.model_copy(
        update={"goals": [g.model_copy(update={"definition": None}) for g in taxonomy.goals]}
    )
    _, with_definitions = prototypes.prototype_texts(taxonomy)
    _, without = prototypes.prototype_texts(bare)
    assert prototypes.fingerprint(with_definitions) == prototypes.fingerprint(without)
    assert prototypes._packaged(code, prototypes.fingerprint(with_definitions)) is not None


# --- mission files ----------------------------------------------------------------------------------

MISSION = """mission:
  id: bikes
  title: Cycling city
  challenge: Car traffic
  statement: By 2030 a third of all trips in the city are by bicycle.
  owner: City
  deadline: 2030-12-31
  objectives:
    - id: trips
      title: A third of trips by bicycle
      keywords: [cycle lane]
      definition:
        counts: [Cycle lanes, Bicycle parking at stations, Bike-sharing]
        does_not_count: [Cycling as a sport]
        hard_negatives:
          - {text: Velodrome for the national team., belongs_to: sport policy}
  logic:
    outcomes:
      - id: safe-lanes
        title: Safe lanes
        leads_to: [trips]
        definition:
          counts: [Separated cycle lanes on main roads]
"""


def test_a_mission_objective_and_outcome_may_carry_a_definition_that_round_trips() -> None:
    mission = parse_mission(MISSION, "bikes.yaml")
    definition = mission.objectives[0].definition
    assert definition is not None and definition.counts[1] == "Bicycle parking at stations"
    assert definition.hard_negatives == [
        HardNegative(text="Velodrome for the national team.", belongs_to="sport policy")
    ]
    assert mission.outcomes[0].definition == GoalDefinition(counts=["Separated cycle lanes on main roads"])
    assert parse_mission(dump_mission(mission), "again.yaml") == mission


def test_a_malformed_objective_definition_is_refused_with_the_line_and_the_field() -> None:
    broken = MISSION.replace("counts: [Cycle lanes, Bicycle parking at stations, Bike-sharing]", "counts: []")
    with pytest.raises(InputError) as caught:
        parse_mission(broken, "bikes.yaml")
    [problem] = caught.value.problems
    assert (problem.file, problem.line) == ("bikes.yaml", 13)
    assert problem.field == "mission.objectives[0].definition.counts"


def test_the_mission_schema_documents_the_definition() -> None:
    schema = mission_schema()
    objective = schema["$defs"]["Objective"]["properties"]
    assert "definition" in objective
    assert set(schema["$defs"]["GoalDefinition"]["properties"]) == {
        "counts",
        "does_not_count",
        "hard_negatives",
    }


def test_a_missions_taxonomy_carries_its_objectives_and_outcomes_definitions(tmp_path: Path) -> None:
    workspace = Workspace.open(f"sqlite:///{tmp_path / 'ws.db'}", create=True)
    try:
        mission_service.save_mission(workspace, parse_mission(MISSION, "bikes.yaml"), user="t", origin="t")
        taxonomy = mapping_service.show_taxonomy("mission:bikes", workspace)
    finally:
        workspace.close()
    goals = {g.code: g for g in taxonomy.goals}
    trips = goals["trips"].definition
    assert trips is not None and trips.does_not_count == ["Cycling as a sport"]
    lanes = goals["safe-lanes"].definition
    assert lanes is not None and lanes.counts == ["Separated cycle lanes on main roads"]


# --- the closest sentence ---------------------------------------------------------------------------

ENERGY = (
    "Regional innovation programme. We install solar panels and batteries in rural health clinics to "
    "give them reliable electricity. The project also trains local technicians."
)


def test_a_semantic_link_names_the_sentence_of_the_text_closest_to_its_target() -> None:
    from missionboard.mapping.classifier import Mapper

    [labels] = Mapper(builtin("sdg")).classify([ENERGY])
    energy = next(label for label in labels if label.goal == "7")
    closest = energy.evidence["closest_sentence"]
    assert isinstance(closest, dict)
    target = energy.evidence["target"]
    assert isinstance(target, dict) and closest["target"] == target["code"]
    assert closest["text"] == (
        "We install solar panels and batteries in rural health clinics to give them reliable electricity."
    )
    assert isinstance(closest["similarity"], float) and 0 < closest["similarity"] <= 1
    assert "sentences" in energy.evidence  # the fields reviewers' tools already read are still there


def test_the_closest_sentence_is_the_stored_one_else_the_most_similar_else_the_most_matched() -> None:
    text = "Kitchens weigh plate waste. Pupils vote on the menu. Plate waste and leftovers fall."
    stored = {"closest_sentence": {"text": "Pupils vote on the menu.", "target": "3", "similarity": 0.4}}
    assert closest_sentence(text, stored) == ClosestSentence(
        "Pupils vote on the menu.", "similarity", 0.4, "3"
    )
    older = {
        "semantic": {
            "sentences": [
                {"text": "Kitchens weigh plate waste.", "similarity": 0.3},
                {"text": "Plate waste and leftovers fall.", "similarity": 0.5},
            ]
        }
    }
    assert closest_sentence(text, older) == ClosestSentence(
        "Plate waste and leftovers fall.", "similarity", 0.5
    )
    by_words = {"query_terms": ["plate waste", "leftovers"]}
    assert closest_sentence(text, by_words) == ClosestSentence(
        "Plate waste and leftovers fall.", "matched words"
    )
    assert closest_sentence(text, {"query_terms": ["solar"]}) is None
    assert closest_sentence(text, {}) is None


def test_a_quoted_sentence_is_found_again_across_white_space_and_case() -> None:
    text = "Title.  We   collect\nbeach litter. End."
    assert find_passage(text, "we collect beach litter.") == (8, 34)
    assert find_passage(text, "not in the text") is None
    assert term_spans(text, ["beach", "beach litter"]) == [(21, 33)]  # the longer term first
