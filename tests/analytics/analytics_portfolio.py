"""A small portfolio whose every figure is worked out by hand in the tests (see the numbers below).

Mission ``clean-air`` has objectives o1 (weight 2), o2 (weight 1), o3 (weight 1).

| project | funder   | money                                  | start–end | TRL | links                              |
|---------|----------|----------------------------------------|-----------|-----|------------------------------------|
| P1      | Agency A | budget 100 EUR, public 60, co-fund 40  | 2020–2021 | 2   | o1 accepted                        |
| P2      | Agency B | budget 200 EUR, public 100             | 2021–2022 | 6   | o1 accepted, o2 proposed 0.7       |
| P3      | Agency A | budget 1000 SEK, public 1000 SEK       | 2021      | 8   | o2 proposed 0.3 (under 0.5)        |
| P4      | Agency B | budget 50 USD (no USD rate)            | 2022–     | –   | o1 accepted                        |
| P5      | Agency A | budget 10 EUR                          | 2019      | –   | o1 rejected                        |

Exchange rate: SEK→EUR 0.1 in 2021. Participants: Uni X (research) in P1 (50 EUR) and P4; Firm Y
(industry) in P1 (50 EUR) and P2 (share 0.5); City Z (government) and NGO W (civil society) in P2
(share 0.25 each).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from missionboard.domain.missions import Mission
from missionboard.store.missions import MissionStore
from missionboard.store.tables import ActorRow, ExchangeRateRow, LinkRow, ParticipationRow, ProjectRow
from missionboard.store.workspace import Workspace

MISSION = {
    "id": "clean-air",
    "title": "Clean air in every city",
    "challenge": "Air pollution",
    "statement": "Halve NO2 exposure by 2030",
    "owner": "Ministry of Environment",
    "objectives": [
        {"id": "o1", "title": "Zero-emission buses", "weight": 2},
        {"id": "o2", "title": "Clean logistics", "weight": 1},
        {"id": "o3", "title": "Wood stoves", "weight": 1},
    ],
}

PROJECTS = [
    dict(
        id=1,
        title="Electric bus charging network for clean city air",
        abstract="Fast charging of electric buses in city depots to cut diesel exhaust.",
        funder="Agency A",
        instrument="rd_grant",
        budget=("100", "EUR"),
        public=("60", "EUR"),
        cofunding=("40", "EUR"),
        start=dt.date(2020, 1, 1),
        end=dt.date(2021, 12, 31),
        trl=2,
        regions=["SE1"],
        countries=["SE"],
    ),
    dict(
        id=2,
        title="Electric bus charging network for clean city air pilot",
        abstract="Fast charging of electric buses in city depots to cut diesel exhaust.",
        funder="Agency B",
        funding_scheme="Pre-commercial procurement of clean buses",
        budget=("200", "EUR"),
        public=("100", "EUR"),
        start=dt.date(2021, 3, 1),
        end=dt.date(2022, 6, 30),
        trl=6,
        regions=["SE2"],
        countries=["SE"],
    ),
    dict(
        id=3,
        title="Cargo bikes for urban freight",
        abstract="Replacing delivery vans with electric cargo bikes.",
        funder="Agency A",
        budget=("1000", "SEK"),
        public=("1000", "SEK"),
        start=dt.date(2021, 5, 1),
        trl=8,
        regions=["SE1"],
        countries=["SE"],
    ),
    dict(
        id=4,
        title="Soil carbon monitoring with satellites",
        abstract="Remote sensing of soil organic carbon on farms.",
        funder="Agency B",
        budget=("50", "USD"),
        start=dt.date(2022, 1, 1),
        countries=["NO"],
    ),
    dict(
        id=5,
        title="Wood stove replacement scheme",
        abstract="Households get a purchase premium for cleaner stoves.",
        funder="Agency A",
        budget=("10", "EUR"),
        start=dt.date(2019, 1, 1),
        countries=["SE"],
    ),
]

ACTORS = [
    (1, "Uni X", "research"),
    (2, "Firm Y", "industry"),
    (3, "City Z", "government"),
    (4, "NGO W", "civil_society"),
]

PARTICIPATIONS = [
    # project, actor, role, amount EUR, share
    (1, 1, "coordinator", "50", None),
    (1, 2, "partner", "50", None),
    (2, 2, "coordinator", None, 0.5),
    (2, 3, "partner", None, 0.25),
    (2, 4, "partner", None, 0.25),
    (4, 1, "partner", None, None),
    (3, 2, "partner", None, None),
]

LINKS = [
    # project, goal, score, status
    (1, "o1", 0.9, "accepted"),
    (2, "o1", 0.8, "accepted"),
    (2, "o2", 0.7, "proposed"),
    (3, "o2", 0.3, "proposed"),
    (4, "o1", 0.9, "accepted"),
    (5, "o1", 0.9, "rejected"),
]


def _money(pair: tuple[str, str] | None) -> tuple[Decimal | None, str | None]:
    return (Decimal(pair[0]), pair[1]) if pair else (None, None)


def build_portfolio(ws: Workspace) -> Workspace:
    with ws.transaction() as session:
        MissionStore(session).save(Mission.model_validate(MISSION), author="test")
        for p in PROJECTS:
            budget, budget_currency = _money(p.get("budget"))  # type: ignore[arg-type]
            public, public_currency = _money(p.get("public"))  # type: ignore[arg-type]
            cofunding, cofunding_currency = _money(p.get("cofunding"))  # type: ignore[arg-type]
            session.add(
                ProjectRow(
                    id=p["id"],
                    source="test",
                    source_id=str(p["id"]),
                    title=p["title"],
                    abstract=p["abstract"],
                    funder=p["funder"],
                    instrument=p.get("instrument"),
                    funding_scheme=p.get("funding_scheme"),
                    budget_amount=budget,
                    budget_currency=budget_currency,
                    public_amount=public,
                    public_currency=public_currency,
                    cofunding_amount=cofunding,
                    cofunding_currency=cofunding_currency,
                    start=p.get("start"),
                    end=p.get("end"),
                    trl=p.get("trl"),
                    regions=p.get("regions", []),
                    countries=p.get("countries", []),
                    content_hash=str(p["id"]),
                )
            )
        for actor_id, name, helix in ACTORS:
            session.add(ActorRow(id=actor_id, name=name, normalized_name=name.lower(), helix=helix))
        session.add(ExchangeRateRow(currency="SEK", reporting_currency="EUR", year=2021, rate=0.1))
        session.flush()
        for project, actor, role, amount, share in PARTICIPATIONS:
            session.add(
                ParticipationRow(
                    project_id=project,
                    actor_id=actor,
                    role=role,
                    amount=Decimal(amount) if amount else None,
                    currency="EUR" if amount else None,
                    share=share,
                )
            )
        for project, goal, score, status in LINKS:
            session.add(
                LinkRow(
                    project_id=project,
                    taxonomy="mission:clean-air",
                    goal=goal,
                    score=score,
                    method="manual",
                    status=status,
                )
            )
    return ws
