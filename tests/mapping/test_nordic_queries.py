"""The SDG queries read Finnish, Danish, Swedish, Norwegian and German (issue 17, item 2): the sentence
model does not cover the Nordic languages, so a plain sentence in them must still hit its goal's query."""

from __future__ import annotations

import pytest

from missionboard.mapping.classifier import Mapper
from missionboard.mapping.taxonomy import builtin

CASES = [
    ("fi", "Hankkeen tavoitteena on vähentää köyhyyttä maaseudulla.", "1"),
    ("fi", "Koulutuksen laatua parannetaan kouluissa ja opettajien täydennyskoulutuksella.", "4"),
    ("fi", "Hanke tukee ilmastonmuutoksen hillintää ja kasvihuonekaasupäästöjen vähentämistä.", "13"),
    ("fi", "Tutkimus koskee Itämeren kalakantoja ja rannikkoalueiden tilaa.", "14"),
    ("da", "Projektet skal fremme ligestilling mellem kvinder og mænd.", "5"),
    ("da", "Kommunen vil forbedre drikkevandet og rense spildevandet.", "6"),
    ("da", "Indsatsen skal nedbringe arbejdsløsheden blandt unge.", "8"),
    ("sv", "Programmet minskar utsläppen av växthusgaser.", "13"),
    ("nb", "Tiltaket styrker arbeidsmarkedet for flyktninger.", "8"),
    ("de", "Das Vorhaben verbessert die Trinkwasserversorgung und die Abwasserreinigung.", "6"),
    ("de", "Ziel ist der Ausbau erneuerbarer Energien und der Windkraft.", "7"),
]


@pytest.fixture(scope="module")
def mapper() -> Mapper:
    return Mapper(builtin("sdg"), method="query")


@pytest.mark.parametrize(("lang", "text", "goal"), CASES, ids=[f"{c[0]}-goal-{c[2]}" for c in CASES])
def test_a_sentence_in_a_nordic_language_or_german_hits_its_goals_query(
    mapper: Mapper, lang: str, text: str, goal: str
) -> None:
    scores, _ = mapper.query_scores([text])
    assert scores[0, mapper.goals.index(goal)] > 0
