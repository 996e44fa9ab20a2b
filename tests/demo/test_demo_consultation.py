"""The demo holds a closed consultation with several hundred responses whose synthesis reads for sense."""

from __future__ import annotations

import pytest

from missionboard.domain.consultations import Channel, ConsultationStatus, normalised_text
from missionboard.domain.missions import HelixType
from missionboard.services import consultations as consult
from missionboard.services.demo import consultation as demo
from missionboard.services.demo.build import build_demo
from missionboard.store.workspace import Workspace


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    path = tmp_path_factory.mktemp("demo-consultation") / "missionboard.db"
    build_demo(path)
    return Workspace.open(f"sqlite:///{path}")


def test_the_generator_is_deterministic_and_every_text_unique() -> None:
    first, second = demo.generate(), demo.generate()
    assert first == second
    views = [normalised_text(r.views) for r in first if r.views]
    assert len(views) == len(set(views))
    proposals = [text for r in first for _, text in r.proposals]
    assert len(proposals) == demo.PROPOSALS == len(set(proposals))


def test_groups_answer_in_realistic_proportions_and_languages() -> None:
    responses = demo.generate()
    share = {h: sum(r.helix is h for r in responses) / len(responses) for h in HelixType}
    assert share[HelixType.CIVIL_SOCIETY] > share[HelixType.GOVERNMENT] > share[HelixType.RESEARCH] > 0.05
    languages = {r.language for r in responses}
    assert languages == {"en", "sv", "nb"}


def test_the_demo_has_a_closed_consultation_with_several_hundred_responses(workspace: Workspace) -> None:
    consultation = consult.get_consultation(workspace, demo.CONSULTATION)
    assert consultation.status is ConsultationStatus.CLOSED
    assert consultation.mission_id == demo.MISSION
    responses = consult.list_responses(workspace, demo.CONSULTATION)
    assert len(responses) >= 300
    channels = {c: sum(r.channel is c for r in responses) for c in Channel}
    assert channels[Channel.PUBLIC] > 100 and channels[Channel.IMPORTED] > 200
    hidden = [r for r in responses if r.hidden]
    assert len(hidden) == 2 and all(r.hidden_reason for r in hidden)
    assert sum(len(r.proposals) for r in responses) == demo.PROPOSALS


def test_the_demo_synthesis_has_themes_and_a_disagreement(workspace: Workspace) -> None:
    synthesis = consult.synthesise(workspace, demo.CONSULTATION)
    assert synthesis.responses >= 300 and synthesis.hidden == 2
    assert len(synthesis.themes) >= 4
    assert all(len(t.quotes) >= 2 for t in synthesis.themes)
    assert len({h for t in synthesis.themes for h in t.by_helix}) == 4
    disagreements = {(r.objective_id, r.criterion) for r in synthesis.ratings if r.disagreement}
    assert ("organic-share", "importance") in disagreements
    assert ("food-waste", "importance") not in disagreements
    assert len(synthesis.proposals) == demo.PROPOSALS
    # The moderated spam is nowhere in what the board reads.
    quoted = " ".join(q.text for t in synthesis.themes for q in t.quotes)
    assert "frozen school lunches" not in quoted and "nonsense" not in quoted
