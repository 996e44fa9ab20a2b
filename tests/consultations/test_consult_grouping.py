"""Proposals grouped as an owner reads them: by closest objective, near-identical ones merged."""

from __future__ import annotations

from missionboard.consultation.grouping import WEAK_MATCH, proposal_groups
from missionboard.domain.consultations import Match, ProposalKind, ProposalSummary
from missionboard.domain.missions import HelixType, Level


def _summary(
    response_id: int, text: str, objective: str, score: float, kind: str = "solution"
) -> ProposalSummary:
    return ProposalSummary(
        response_id=response_id,
        index=0,
        kind=ProposalKind(kind),
        text=text,
        helix=HelixType.INDUSTRY if response_id % 2 else HelixType.RESEARCH,
        level=Level.LOCAL,
        objectives=[Match(code=objective, title=objective.title(), score=score)],
    )


def test_proposals_are_grouped_by_their_closest_objective_and_near_identical_ones_merged() -> None:
    proposals = [
        _summary(1, "Pay kitchen staff for training time.", "climate", 0.5),
        _summary(2, "Pay kitchen staff for training time. This worked well in our town.", "climate", 0.4),
        _summary(3, "Pay kitchen staff for training time. (36)", "climate", 0.45),
        _summary(4, "Halve the meat served by 2030.", "climate", 0.3, kind="objective"),
        _summary(5, "A state fund for new kitchens.", "waste", WEAK_MATCH / 2),
        _summary(6, "Weigh plate waste every term.", "waste", 0.6),
    ]
    groups = proposal_groups(proposals, [("waste", "Less waste"), ("climate", "Less CO2")])
    assert [(g["code"], g["size"], len(g["items"])) for g in groups] == [
        ("waste", 1, 1),
        ("climate", 4, 2),
        ("", 1, 1),  # a weak best match is not presented as "closest to" anything
    ]
    climate = groups[1]["items"]
    assert climate[0]["lead"].response_id == 4  # new objectives first
    assert [v.response_id for v in climate[1]["variants"]] == [1, 2, 3]
    assert climate[1]["helix"] == {"industry": 2, "research": 1}
