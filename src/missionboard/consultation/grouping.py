"""Proposals as an owner reads them: by the objective they are closest to, near-identical ones merged.

Pure (no I/O): used by the synthesis page and the consultation report alike. A few hundred responses
bring dozens of proposals, many of them the same idea in other words; an owner reads ideas, not
submissions, and a weak best match should not be presented as "closest to" an objective.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from missionboard.domain.consultations import ProposalKind, ProposalSummary

WEAK_MATCH = 0.2
"""A proposal whose best objective scores below this is listed as close to no objective: on the demo's
proposals, scores under 0.2 were mostly wrong matches (and mostly texts that a new objective would cover)."""
_FIRST_SENTENCE = re.compile(r"^(.*?[.!?])(?:\s|$)", re.S)


def _same_proposal(text: str) -> str:
    """What near-identical proposals share: the first sentence, folded, without a trailing "(36)" or
    the reasons some participants add after it ("… This worked well in our town.")."""
    found = _FIRST_SENTENCE.match(text.strip())
    first = found.group(1) if found else text
    first = re.sub(r"\s*\(\d+\)\s*$", "", first)
    return " ".join(re.sub(r"[^\w\s]", " ", first.casefold()).split())


def closest_objective(proposal: ProposalSummary, titles: dict[str, str]) -> str:
    """The objective a proposal is clearly closest to, or "" where its best match is weak."""
    best = proposal.objectives[0] if proposal.objectives else None
    return best.code if best and best.score >= WEAK_MATCH and best.code in titles else ""


def proposal_groups(
    proposals: list[ProposalSummary], objectives: list[tuple[str, str]]
) -> list[dict[str, Any]]:
    """Proposals grouped by the objective they are closest to (mission order; weak matches last), and
    within a group near-identical ones merged into one item with its variants.

    A few hundred responses bring dozens of proposals, many of them the same idea in other words; an
    owner reads ideas, not submissions."""
    titles = dict(objectives)
    groups: dict[str, dict[str, Any]] = {}
    for code, title in [*objectives, ("", "")]:
        groups[code] = {
            "code": code,
            "title": title,
            "items": {},
            "objective": 0,
            "solution": 0,
            "adopted": 0,
        }
    for p in proposals:
        group = groups[closest_objective(p, titles)]
        group[p.kind.value] += 1
        group["adopted"] += int(p.adopted)
        group["items"].setdefault((p.kind.value, _same_proposal(p.text)), []).append(p)
    result = []
    for group in groups.values():
        items = sorted(
            group["items"].values(),
            key=lambda variants: (variants[0].kind is not ProposalKind.OBJECTIVE, -len(variants)),
        )
        if items:
            result.append(
                {
                    **group,
                    "size": sum(len(v) for v in items),
                    "items": [
                        {
                            "lead": variants[0],
                            "variants": variants,
                            "helix": Counter(v.helix.value for v in variants),
                            "adopted": any(v.adopted for v in variants),
                        }
                        for variants in items
                    ],
                }
            )
    return result
