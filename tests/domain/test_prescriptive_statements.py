"""A mission statement that prescribes the solution (one technology, one delivery programme, one means)
is flagged in eight languages; one that states an outcome passes."""

import csv
import datetime as dt
from pathlib import Path

import pytest

from missionboard.domain.missions import Mission
from missionboard.domain.prescriptive import LANGUAGES, Kind, is_prescriptive, prescriptions
from missionboard.domain.quality import Criterion, PortfolioProfile, check_mission

BENCH_DATA = Path(__file__).resolve().parents[2] / "bench" / "data"
HELDOUT_PRECISION_FLOOR = 0.90
"""Measured 1.00 in every language on the held-out set (bench/RESULTS.md); never tuned on it."""
HELDOUT_RECALL_FLOOR = 0.80
"""Measured 0.87–1.00 per language (0.92 overall) on the held-out set."""


@pytest.mark.parametrize(
    ("lang", "statement", "kind", "words"),
    [
        ("en", "By 2030 cut freight emissions by half by deploying hydrogen fuel cells.", Kind.TECHNOLOGY, "hydrogen"),
        ("en", "By 2030 every home is warm by rolling out heat pumps.", Kind.MEANS, "by rolling out"),
        ("en", "By 2030 emissions are halved through programme X.", Kind.PROGRAMME, "programme X"),
        ("en", "By 2030 every region is climate neutral via Horizon Europe.", Kind.PROGRAMME, "Horizon Europe"),
        ("en", 'By 2030 every ferry sails on "hydrogen".', Kind.TECHNOLOGY, "hydrogen"),
        ("nb", "Innen 2035 skal Norge være klimanøytralt gjennom utbygging av havvind.", Kind.MEANS, "gjennom utbygging av"),
        ("nb", "Innen 2030 skal utslippene halveres gjennom Enova-programmet.", Kind.PROGRAMME, "Enova-programmet"),
        ("sv", "Sverige ska nå nettonoll 2045 genom att bygga ut kärnkraft.", Kind.TECHNOLOGY, "kärnkraft"),
        ("sv", "Till 2030 ska alla färjor drivas med vätgas.", Kind.TECHNOLOGY, "vätgas"),
        ("da", "Inden 2030 skal alle busser køre på brint.", Kind.TECHNOLOGY, "brint"),
        ("da", "Inden 2030 skal udledningen halveres ved at udrulle varmepumper.", Kind.MEANS, "ved at udrulle"),
        ("fi", "Vuoteen 2035 mennessä Suomi on hiilineutraali rakentamalla ydinvoimaa.", Kind.TECHNOLOGY, "ydinvoimaa"),
        ("fi", "Vuoteen 2030 mennessä päästöt puolitetaan Business Finlandin ohjelmalla.", Kind.PROGRAMME, "Business Finlandin ohjelmalla"),
        ("de", "Bis 2030 werden alle Schulen mit Großwärmepumpen beheizt.", Kind.TECHNOLOGY, "Großwärmepumpen"),
        ("de", "Bis 2030 wird die Region durch den Ausbau der Windkraft klimaneutral.", Kind.MEANS, "durch den Ausbau"),
        ("fr", "D'ici 2030, chaque foyer se chauffera avec des pompes à chaleur.", Kind.TECHNOLOGY, "pompes à chaleur"),
        ("fr", "D'ici 2030, les émissions baisseront de moitié via le programme France 2030.", Kind.PROGRAMME, "programme France 2030"),
        ("es", "Para 2030 la red funcionará con hidrógeno verde.", Kind.TECHNOLOGY, "hidrógeno"),
        ("es", "Para 2030 las emisiones se reducirán mediante el despliegue de redes de calor.", Kind.MEANS, "mediante el despliegue"),
    ],
)  # fmt: skip
def test_a_statement_that_prescribes_a_technology_programme_or_means_is_flagged_with_the_words_found(
    lang: str, statement: str, kind: Kind, words: str
) -> None:
    found = prescriptions(statement)
    assert (kind, words) in {(p.kind, p.words) for p in found}


@pytest.mark.parametrize(
    ("lang", "statement"),
    [
        ("en", "By 2030 halve emissions from transport."),
        ("en", "By 2030 all schools serve healthy meals."),
        ("en", "By 2030 no ferry burns diesel, without any new fossil fuel use."),
        ("nb", "Innen 2030 skal alle ferjer være utslippsfrie."),
        ("sv", "Senast 2030 ska ingen i Sverige sakna en trygg bostad."),
        ("da", "Inden 2030 skal alle børn kunne svømme."),
        ("fi", "Vuoteen 2030 mennessä jokainen lapsi oppii lukemaan."),
        ("de", "Bis 2030 ist die Luft in jeder Stadt sauber."),
        ("fr", "D'ici 2030, la perte de biodiversité sera inversée."),
        ("es", "Para 2030 nadie vivirá sin agua potable."),
    ],
)
def test_a_statement_of_an_outcome_is_open_to_multiple_solutions(lang: str, statement: str) -> None:
    assert prescriptions(statement) == ()


def test_a_technology_named_to_be_avoided_is_not_prescribed() -> None:
    assert not is_prescriptive("By 2030 every bus in the city runs without batteries from conflict minerals.")


def _mission(statement: str) -> Mission:
    return Mission.model_validate(
        {
            "id": "ferries",
            "title": "Ferries",
            "challenge": "Diesel ferries",
            "statement": statement,
            "owner": "Agency",
            "start": "2022-01-01",
            "deadline": "2030-12-31",
            "programmes": ["Grants", "Procurement"],
            "stakeholders": [
                {"name": "Municipalities", "helix": "government"},
                {"name": "University", "helix": "research"},
                {"name": "Yards", "helix": "industry"},
            ],
            "objectives": [
                {
                    "id": "routes",
                    "title": "Zero-emission routes",
                    "indicator": {"id": "ze", "name": "ZE routes", "unit": "%"},
                    "baseline": {"value": 10, "year": 2021},
                    "target": {"value": 100, "year": 2030},
                }
            ],
        }
    )


PORTFOLIO = PortfolioProfile(
    projects=10,
    helix={"research": 3, "industry": 4, "government": 3},
    sectors={"transport": 5, "energy": 5},
    instrument_families={"supply": 6, "demand": 4},
    programmes={"Grants": 6, "Procurement": 4},
)


@pytest.mark.parametrize(
    "statement",
    [
        'By 2030 every ferry route sails on "hydrogen" through the national "Green Ferries" programme.',
        "Senast 2030 ska alla färjelinjer vara utsläppsfria genom att bygga ut vätgasproduktion.",
    ],
)
def test_a_prescriptive_statement_keeps_an_otherwise_sound_mission_out_of_strong(statement: str) -> None:
    report = check_mission(_mission(statement), portfolio=PORTFOLIO, today=dt.date(2026, 1, 1))
    assert report.status(Criterion.SOLUTION_NEUTRAL) == "fail"
    assert report.score >= 80
    assert report.verdict == "adequate, with gaps to close"


def test_the_finding_quotes_the_matched_words() -> None:
    report = check_mission(
        _mission(
            "Innen 2030 skal alle ferjer være utslippsfrie gjennom Enova-programmet og utbygging av havvind."
        ),
        today=dt.date(2026, 1, 1),
    )
    finding = next(f for f in report.findings if f.criterion == Criterion.SOLUTION_NEUTRAL)
    assert "“Enova-programmet”" in finding.evidence
    assert "“havvind”" in finding.evidence


def test_held_out_precision_and_recall_stay_above_the_measured_floor_in_every_language() -> None:
    counts = {lang: {"tp": 0, "fp": 0, "fn": 0} for lang in LANGUAGES}
    with (BENCH_DATA / "prescriptive_heldout.csv").open(encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file):
            truth, flagged = row["label"] == "prescriptive", is_prescriptive(row["statement"])
            key = "tp" if truth and flagged else "fp" if flagged else "fn" if truth else None
            if key:
                counts[row["lang"]][key] += 1
    for lang, c in counts.items():
        assert c["tp"] + c["fn"] >= 15, lang
        assert c["tp"] / max(1, c["tp"] + c["fp"]) >= HELDOUT_PRECISION_FLOOR, lang
        assert c["tp"] / (c["tp"] + c["fn"]) >= HELDOUT_RECALL_FLOOR, lang
