"""Generate the demo portfolio as the files agencies really have: a CSV export, a partners file and
an IATI activity file — so that the demo loads through the same importers a user would use."""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from missionboard.services.demo import abstracts
from missionboard.services.demo.actors import PLACES, ActorPool, Organisation, home_country
from missionboard.services.demo.themes import ACTIVITIES, THEMES, Theme

REFERENCE_DATE = dt.date(2026, 11, 1)
"""The demo is generated as of this date, so that it is the same whenever it is built."""


@dataclass(frozen=True)
class Programme:
    funder: str
    name: str
    country: str
    currency: str
    instruments: tuple[str, ...]
    themes: tuple[str, ...]
    size: int
    amount: tuple[int, int]
    """Typical public funding per project, in ``currency``."""
    cofunding: tuple[float, float] = (0.0, 0.0)
    """Share of the budget that comes from non-public partners; where it may be 0, half the projects
    have none (a research grant that pays the whole cost, a purchase)."""
    scheme: str = ""
    years: tuple[int, int] = (2016, 2025)
    """The first and the last year the programme funds new projects."""


PROGRAMMES: tuple[Programme, ...] = (
    Programme(
        "National Innovation Agency",
        "Challenge-driven innovation",
        "SE",
        "SEK",
        ("rd_grant",),
        ("organic-procurement", "food-waste", "low-carbon-menus", "meal-experience", "material-reuse"),
        380,
        (800_000, 6_000_000),
        (0.2, 0.5),
        "Collaborative R&D grant",
        years=(2016, 2025),
    ),
    Programme(
        "National Innovation Agency",
        "Innovation procurement pilots",
        "SE",
        "SEK",
        ("pre_commercial_procurement", "public_procurement"),
        ("organic-procurement", "food-waste", "meal-experience"),
        140,
        (500_000, 4_000_000),
        (0.0, 0.1),
        "Pre-commercial procurement",
        years=(2019, 2026),
    ),
    Programme(
        "National Innovation Agency",
        "Digital innovation programme",
        "SE",
        "SEK",
        ("rd_grant",),
        ("ai-companies", "digital-health", "advanced-manufacturing"),
        330,
        (500_000, 5_000_000),
        (0.3, 0.5),
        "Innovation project grant",
        years=(2017, 2024),
    ),
    Programme(
        "National Innovation Agency",
        "Food challenge prize",
        "SE",
        "SEK",
        ("challenge_prize",),
        ("low-carbon-menus", "food-waste"),
        40,
        (250_000, 1_500_000),
        (0.0, 0.0),
        "Challenge prize",
        years=(2022, 2024),
    ),
    Programme(
        "Research Council",
        "Food system transition",
        "SE",
        "SEK",
        ("rd_grant",),
        ("low-carbon-menus", "meal-experience", "organic-procurement", "food-waste"),
        230,
        (2_000_000, 12_000_000),
        (0.0, 0.15),
        "Research project",
        years=(2020, 2026),
    ),
    Programme(
        "Research Council of Norway",
        "Research for green shipping",
        "NO",
        "NOK",
        ("rd_grant",),
        ("battery-ferries", "ship-efficiency", "maritime-industry"),
        300,
        (3_000_000, 20_000_000),
        (0.1, 0.4),
        "Innovation project for the industrial sector",
        years=(2016, 2023),
    ),
    Programme(
        "Enova",
        "Green maritime transition",
        "NO",
        "NOK",
        ("adoption_subsidy", "infrastructure"),
        ("battery-ferries", "shore-charging", "ship-efficiency"),
        260,
        (5_000_000, 60_000_000),
        (0.3, 0.6),
        "Investment support",
        years=(2018, 2026),
    ),
    Programme(
        "Norwegian Public Roads Administration",
        "Zero-emission procurement",
        "NO",
        "NOK",
        ("public_procurement",),
        ("battery-ferries", "shore-charging"),
        80,
        (20_000_000, 150_000_000),
        (0.0, 0.2),
        "Ferry contract with zero-emission requirement",
        years=(2017, 2025),
    ),
    Programme(
        "Norwegian Maritime Authority",
        "Regulatory sandbox for autonomous and electric ships",
        "NO",
        "NOK",
        ("regulatory_sandbox",),
        ("battery-ferries", "maritime-industry"),
        25,
        (300_000, 2_000_000),
        (0.2, 0.5),
        "Regulatory sandbox",
        years=(2020, 2026),
    ),
    Programme(
        "Green Investment Bank",
        "Green transition loans",
        "NO",
        "NOK",
        ("loan", "equity"),
        ("battery-ferries", "maritime-industry", "advanced-manufacturing"),
        90,
        (10_000_000, 80_000_000),
        (0.5, 0.7),
        "Green loan",
        years=(2019, 2026),
    ),
    Programme(
        "Innovation Fund Denmark",
        "Grand solutions",
        "DK",
        "DKK",
        ("rd_grant",),
        ("material-reuse", "embodied-carbon", "demolition-waste", "quantum-space", "digital-health"),
        300,
        (2_000_000, 15_000_000),
        (0.15, 0.4),
        "Grand Solutions",
        years=(2016, 2026),
    ),
    Programme(
        "Danish Environmental Protection Agency",
        "Circular economy grants",
        "DK",
        "DKK",
        ("rd_grant", "standards_labels"),
        ("material-reuse", "demolition-waste"),
        170,
        (300_000, 3_000_000),
        (0.2, 0.5),
        "Environmental technology development",
        years=(2018, 2024),
    ),
    Programme(
        "Danish Environmental Protection Agency",
        "Sustainable public procurement",
        "DK",
        "DKK",
        ("public_procurement", "advisory"),
        ("material-reuse", "embodied-carbon"),
        70,
        (200_000, 2_000_000),
        (0.0, 0.1),
        "Procurement partnership",
        years=(2021, 2026),
    ),
    Programme(
        "Regional Development Fund",
        "Regional transition",
        "DK",
        "DKK",
        ("infrastructure", "skills", "network"),
        ("demolition-waste", "material-reuse", "advanced-manufacturing", "maritime-industry"),
        200,
        (500_000, 8_000_000),
        (0.3, 0.5),
        "Regional fund project",
        years=(2021, 2026),
    ),
)

IATI_PROGRAMMES: tuple[Programme, ...] = (
    Programme(
        "Nordic Development Agency",
        "Resilient livelihoods",
        "KE",
        "USD",
        ("skills", "adoption_subsidy", "information"),
        ("drought-crops", "risk-finance", "early-warning"),
        170,
        (150_000, 2_500_000),
        (0.0, 0.2),
        "Project-type intervention",
        years=(2016, 2024),
    ),
    Programme(
        "Nordic Development Agency",
        "Water for resilience",
        "KE",
        "USD",
        ("infrastructure",),
        ("water-harvesting",),
        140,
        (100_000, 3_000_000),
        (0.0, 0.15),
        "Project-type intervention",
        years=(2018, 2026),
    ),
    Programme(
        "Nordic Development Agency",
        "Climate adaptation window",
        "KE",
        "USD",
        ("rd_grant", "platform"),
        ("early-warning", "drought-crops", "water-harvesting", "risk-finance"),
        90,
        (200_000, 1_500_000),
        (0.0, 0.1),
        "Contribution to specific-purpose programmes",
        years=(2021, 2026),
    ),
)

REGIONS = {
    # where a project's work happens, when its coordinator is not from the country (the counties of
    # the Kenyan and Ethiopian drylands; for the Nordic countries, the regions of ``PLACES``)
    **{country: tuple(dict.fromkeys(PLACES[country].values())) for country in ("SE", "NO", "DK")},
    "KE": ("Turkana", "Marsabit", "Isiolo", "Garissa", "Wajir", "Kitui", "Samburu", "Makueni"),
    "ET": ("Somali Region", "Afar Region", "Oromia Region"),
}
THEME_INDUSTRY = {
    "school-meals": "food",
    "zero-emission-ferries": "maritime",
    "circular-construction": "construction",
    "drought-resilience": "agriculture",
    "digital-leadership": "digital",
    None: "digital",
}
FIELD_OF_THEME = {
    "digital-health": "health",
    "advanced-manufacturing": "manufacturing",
    "quantum-space": "quantum",
}
"""Themes outside the missions whose organisations form a field of their own: no patients' association
on a production line, no photonics institute in a stroke clinic."""


def theme_field(theme: Theme) -> str:
    """The field (``actors.FIELDS``) whose institutes, firms and associations work on ``theme``."""
    return FIELD_OF_THEME.get(theme.key, THEME_INDUSTRY[theme.mission])


@dataclass
class DemoProject:
    id: str
    programme: Programme
    theme: Theme
    title: str
    abstract: str
    instrument: str
    public: int
    cofunding: int
    start: dt.date
    end: dt.date
    status: str
    trl: int
    country: str
    region: str
    partners: list[tuple[Organisation, str, float]] = field(default_factory=list)


TITLE_PATTERNS = {
    # {S} is the subject as a noun phrase, capitalised ({s} as it stands): no pattern puts a verb
    # before it, so that a title never reads "Developing plate waste" (themes.ACTIVITIES give the verbs)
    "rd_grant": (
        "{S}: research and development",
        "Research on {s}",
        "{S}: evidence for practice",
        "Understanding {s}",
        "{S}: from laboratory to pilot",
        "{S}: a research and innovation project",
    ),
    "pre_commercial_procurement": ("Pre-commercial procurement: {s}", "{S}: innovation procurement"),
    "public_procurement": ("Public procurement: {s}", "{S}: a tender with innovation criteria"),
    "challenge_prize": ("Challenge prize: {s}", "{S}: an open challenge"),
    "adoption_subsidy": ("Investment support: {s}", "{S}: investment in full-scale use"),
    "infrastructure": ("{S}: construction and operation", "Infrastructure investment: {s}"),
    "skills": ("Skills and training: {s}", "{S}: training for practitioners"),
    "network": ("Network on {s}", "{S}: a collaboration network"),
    "advisory": ("Advisory support: {s}", "{S}: advice for public buyers"),
    "platform": ("{S}: a shared platform", "Shared data platform: {s}"),
    "information": ("Information services: {s}", "{S}: guidance and information"),
    "standards_labels": ("Standards and labels: {s}", "{S}: a common standard"),
    "regulatory_sandbox": ("Regulatory sandbox: {s}", "{S}: testing under a sandbox exemption"),
    "loan": ("Green loan: {s}", "{S}: loan-financed investment"),
    "equity": ("Growth capital: {s}", "{S}: equity for scale-up"),
}
ACTIVITY_PATTERNS = ("{A}", "{A} in {place}", "{A}: a pilot in {place}")
"""Titles led by what the project does (an activity of ``themes.ACTIVITIES``)."""
ACRONYM_HEADS = {
    "food": ("PLATE", "MEAL", "LUNCH", "GREEN", "FOOD", "TASTE"),
    "maritime": ("FERRY", "BLUE", "HULL", "VOLT", "SEA", "HARBOUR"),
    "construction": ("BRICK", "LOOP", "REUSE", "TIMBER", "CIRC", "BUILD"),
    "agriculture": ("RAIN", "MAJI", "HERD", "DRY", "SEED", "PASTURE"),
    "digital": ("DATA", "SMART", "AI", "BOT"),
    "health": ("CARE", "HEALTH", "HOME", "VITAL"),
    "manufacturing": ("TWIN", "PROD", "FAB", "ROBO"),
    "quantum": ("QUANT", "SENSE", "PHOTON", "ORBIT"),
}
ACRONYM_TAILS = ("WISE", "NET", "LAB", "SHIFT", "PATH", "HUB", "CHAIN", "FLOW", "GEN", "SCALE")
TRL_BY_INSTRUMENT = {
    "rd_grant": (2, 6),
    "pre_commercial_procurement": (5, 8),
    "public_procurement": (8, 9),
    "challenge_prize": (4, 7),
    "adoption_subsidy": (8, 9),
    "infrastructure": (7, 9),
    "skills": (8, 9),
    "network": (6, 9),
    "advisory": (8, 9),
    "platform": (6, 9),
    "information": (7, 9),
    "standards_labels": (6, 8),
    "regulatory_sandbox": (5, 7),
    "loan": (7, 9),
    "equity": (6, 8),
}
PARTNER_MIX = {
    # helix types of partners by instrument (the funder is added separately)
    "rd_grant": ("research", "industry", "industry", "research", "government", "civil_society"),
    "pre_commercial_procurement": ("government", "industry", "industry", "research"),
    "public_procurement": ("government", "industry"),
    "challenge_prize": ("industry", "civil_society", "research"),
    "adoption_subsidy": ("industry", "government", "industry"),
    "infrastructure": ("government", "industry", "civil_society"),
    "skills": ("research", "industry", "civil_society"),
    "network": ("industry", "research", "government", "civil_society"),
    "advisory": ("government", "industry"),
    "platform": ("research", "government", "civil_society"),
    "information": ("government", "civil_society", "research"),
    "standards_labels": ("industry", "research", "government"),
    "regulatory_sandbox": ("industry", "government", "research"),
    "loan": ("industry",),
    "equity": ("industry",),
}
TWINS = 8
"""Projects funded a second time, by another agency of the same country, under a reworded title: the
near-duplicates ``missionboard duplicates --across-funders`` should find."""


class Titles:
    """Project titles that are unique within a funder and, but for the deliberate twins, across funders:
    a title already taken is drawn again, with the place of the work or a project acronym; only when
    all that is taken does it become a follow-on phase."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.taken: set[str] = set()

    def draw(self, instrument: str, theme: Theme, subject: str, places: tuple[str, ...]) -> str:
        rng = self.rng
        title = ""
        for attempt in range(8):
            title = self._candidate(instrument, theme, subject, rng.choice(places), acronym=attempt >= 4)
            if title not in self.taken:
                break
        phase, base = 2, title
        while title in self.taken:
            title = f"{base} (phase {phase})"
            phase += 1
        self.taken.add(title)
        return title

    def _candidate(self, instrument: str, theme: Theme, subject: str, place: str, *, acronym: bool) -> str:
        rng = self.rng
        activities = ACTIVITIES.get(subject, ())
        if activities and rng.random() < 0.35:
            activity = rng.choice(activities)
            pattern = "{A}" if ":" in activity else rng.choice(ACTIVITY_PATTERNS)
            title = pattern.format(A=activity, place=place)
        else:
            title = rng.choice(TITLE_PATTERNS[instrument]).format(
                s=subject, S=subject[0].upper() + subject[1:]
            )
            if rng.random() < 0.4:
                title = f"{title} in {place}"
        if ": " not in title and (acronym or (instrument == "rd_grant" and rng.random() < 0.2)):
            title = f"{rng.choice(ACRONYM_HEADS[theme_field(theme)])}{rng.choice(ACRONYM_TAILS)}: {title}"
        return title


def _start(rng: random.Random, programme: Programme) -> dt.date:
    """A start within the programme's years, leaning towards its later years as budgets grew."""
    first, last = dt.date(programme.years[0], 1, 1), dt.date(programme.years[1], 12, 31)
    span = (last - first).days
    return first + dt.timedelta(days=int(span * (rng.randrange(0, span) / span) ** 0.5))


def generate_projects(seed: int = 2030) -> tuple[list[DemoProject], list[DemoProject], ActorPool]:
    """The CSV portfolio (Nordic agencies) and the IATI portfolio (a development agency)."""
    rng = random.Random(seed)
    actors = ActorPool(rng)
    titles = Titles(rng)
    texts = abstracts.Abstracts(rng)
    themes = {t.key: t for t in THEMES}

    def make(programme: Programme, number: int, prefix: str) -> DemoProject:
        theme = themes[rng.choices(programme.themes, weights=[themes[k].weight for k in programme.themes])[0]]
        instrument = rng.choice(programme.instruments)
        subject = rng.choice(theme.subjects)
        country = programme.country if programme.country != "KE" or rng.random() < 0.8 else "ET"
        industry = theme_field(theme)
        helixes = PARTNER_MIX[instrument]
        count = max(1, min(len(helixes) + 1, int(rng.gauss(len(helixes) * 0.8, 1.2))))
        orgs: list[Organisation] = []
        for i in range(count):
            helix = helixes[i % len(helixes)] if i < len(helixes) else rng.choice(helixes)
            home = country if i == 0 else home_country(rng, country, helix, industry)  # a local lead
            org = actors.pick(home, helix, industry)
            if org not in orgs:
                orgs.append(org)
        lead = orgs[0]
        # the work happens where its coordinator is, unless that is abroad or in a capital
        lead_region = PLACES[lead.country].get(lead.city, "") if lead.country == country else ""
        region = lead_region if lead_region in REGIONS[country] else rng.choice(REGIONS[country])
        low, high = programme.amount
        public = int(round(rng.lognormvariate(0, 0.6) * (low + high) / 3, -3))
        public = max(low, min(high, public))
        co_share = rng.uniform(*programme.cofunding)
        if programme.cofunding[0] == 0 and random.Random(f"cofunding:{prefix}-{number}").random() < 0.5:
            co_share = 0.0  # drawn apart, so that the other projects come out as they would
        cofunding = int(round(public * co_share / (1 - co_share), -3)) if co_share else 0
        # Funding grew once the missions were launched (2021–2024): start dates lean towards the later
        # years of each programme, so that the programmes begun before a mission bring in relabelled
        # work the quality check reports.
        start = _start(rng, programme)
        end = start + dt.timedelta(days=rng.choice((365, 540, 730, 1095, 1460)))
        status = "completed" if end < REFERENCE_DATE else ("active" if start <= REFERENCE_DATE else "planned")
        if status == "active" and rng.random() < 0.03:
            status = "terminated"
        lo, hi = TRL_BY_INSTRUMENT[instrument]
        project = DemoProject(
            id=f"{prefix}-{number:05d}",
            programme=programme,
            theme=theme,
            title=titles.draw(instrument, theme, subject, (region, lead.city) if lead_region else (region,)),
            abstract=texts.write(
                field=industry,
                theme=theme,
                subject=subject,
                instrument=instrument,
                place=region,
                lead=lead.name,
                partners=[o.name for o in orgs],
                start=start,
                end=end,
            ),
            instrument=instrument,
            public=public,
            cofunding=cofunding,
            start=start,
            end=end,
            status=status,
            trl=rng.randint(lo, hi),
            country=country,
            region=region,
        )
        shares = [rng.random() + 0.2 for _ in orgs]
        total = sum(shares)
        for position, (org, share) in enumerate(zip(orgs, shares, strict=True)):
            role = "coordinator" if position == 0 else "partner"
            if (
                instrument in ("public_procurement", "pre_commercial_procurement")
                and org.helix == "government"
            ):
                role = "implementer"
            project.partners.append((org, role, round(share / total, 3)))
        return project

    counters: dict[str, int] = {}

    def next_id(funder: str) -> tuple[int, str]:
        prefix = "".join(w[0] for w in funder.split()).upper()
        counters[prefix] = counters.get(prefix, 0) + 1
        return counters[prefix], prefix

    national = [make(p, *next_id(p.funder)) for p in PROGRAMMES for _ in range(p.size)]
    national += _twins(rng, national, next_id, titles)
    development = [make(p, *next_id(p.funder)) for p in IATI_PROGRAMMES for _ in range(p.size)]
    return national, development, actors


def _twins(
    rng: random.Random,
    national: list[DemoProject],
    next_id: Callable[[str], tuple[int, str]],
    titles: Titles,
) -> list[DemoProject]:
    """The same work funded twice by different agencies of one country, running in both programmes'
    years and submitted under a reworded title: a silo signal the analytics should find."""
    twins: list[DemoProject] = []
    for original in rng.sample(national, 60):
        others = [
            p
            for p in PROGRAMMES
            if p.funder != original.programme.funder
            and p.country == original.programme.country
            and original.instrument in p.instruments
            and original.theme.key in p.themes
            and p.years[0] <= original.start.year <= p.years[1]
        ]
        if not others or original.title.endswith(")"):
            continue
        other = rng.choice(others)
        head, _, tail = original.title.partition(": ")
        # the acronym dropped, or the framing after the colon (not the place), or a follow-on named
        place = tail.rpartition(" in ")[2] if " in " in tail else ""
        reworded = (
            tail
            if head.isupper()
            else f"{head} in {place}"
            if place
            else head
            if tail
            else f"{head}: continued"
        )
        if reworded in titles.taken:
            continue
        titles.taken.add(reworded)
        number, prefix = next_id(other.funder)
        twin = DemoProject(
            **{
                **original.__dict__,
                "id": f"{prefix}-{number:05d}",
                "programme": other,
                "title": reworded,
                "partners": list(original.partners),
            }
        )
        twins.append(twin)
        if len(twins) == TWINS:
            break
    return twins


# --- funding detail: co-funding by source, conditions, disciplines, gender ----------------------------
# Drawn from a random generator of each project's own (seeded by its id), so that the projects above
# come out exactly as they did before the detail existed.

DISCIPLINES: dict[str | None, tuple[str, ...]] = {
    # OECD Fields of Science by mission, social sciences and humanities among them
    "school-meals": ("3.3", "4.1", "5.3", "5.4", "3.2", "5.2", "6.1"),
    "zero-emission-ferries": ("2.3", "2.2", "2.7", "2.11", "5.2", "5.6", "1.5"),
    "circular-construction": ("2.1", "2.5", "2.7", "5.7", "6.4", "5.2", "5.5"),
    "drought-resilience": ("4.1", "1.5", "5.2", "5.4", "2.7", "3.3", "5.7"),
    "digital-leadership": ("1.2", "2.2", "1.1", "5.2", "3.3", "5.5", "6.3"),
    None: ("1.2", "2.2", "5.2"),
}
RESEARCH_INSTRUMENTS = {
    "rd_grant", "pre_commercial_procurement", "challenge_prize", "skills", "network", "platform",
    "standards_labels", "regulatory_sandbox",
}  # fmt: skip
COFUNDING_BY_HELIX = {
    "industry": "private",
    "government": "other_public",
    "research": "in_kind",
    "civil_society": "in_kind",
}
CONDITIONS_BY_INSTRUMENT: dict[str, tuple[tuple[float, str], ...]] = {
    # (probability, condition as the agency writes it)
    "rd_grant": ((0.12, "royalties 20%: 2 % of sales of the results repay the grant"),
                 (0.25, "access: results published under an open licence")),
    "pre_commercial_procurement": ((0.9, "access: the buyers may use and share the results royalty-free"),),
    "public_procurement": ((0.5, "pricing: price ceiling for public buyers for five years"),),
    "adoption_subsidy": ((0.3, "repayable 30%: repaid if the investment is sold within five years"),),
    "infrastructure": ((0.7, "access: open to other users on equal terms"),),
    "loan": ((1.0, "loan: market rate less 2 points, ten years"),),
    "equity": ((1.0, "equity: minority stake, exit after seven years"),
               (0.4, "reward_sharing: the state shares in the upside above a 15 % return")),
    "standards_labels": ((0.4, "access: the standard is free to use"),),
}  # fmt: skip
LEAD_GENDERS = (("female", 0.43), ("male", 0.53), ("other", 0.01), ("", 0.03))
NO_LEAD = {"loan", "equity", "public_procurement"}
"""Instruments whose 'lead' is a company or a buyer: the export records no lead's gender."""
EU_PROGRAMME = "Horizon Europe"


@dataclass(frozen=True)
class DemoDetail:
    """What an agency's export says about a project's co-funding, conditions, disciplines and lead."""

    cofunding_sources: str
    conditions: str
    discipline: str
    lead_gender: str


def funding_detail(p: DemoProject) -> DemoDetail:
    """The co-funding by source (the project's co-funding split among its non-public partners, now and
    then with an EU share), conditions by instrument, disciplines by mission and the lead's gender."""
    rng = random.Random(f"detail:{p.id}")
    sources: list[str] = []
    if p.cofunding > 0:
        givers = [org for org, _, _ in p.partners[1:] if org.helix in COFUNDING_BY_HELIX] or [
            org for org, _, _ in p.partners
        ]
        eu = p.instrument == "rd_grant" and rng.random() < 0.15
        weights = [rng.random() + 0.3 for _ in givers] + ([1.0] if eu else [])
        left = p.cofunding
        for index, weight in enumerate(weights):
            share = left if index == len(weights) - 1 else int(p.cofunding * weight / sum(weights))
            left -= share
            if index < len(givers):
                org = givers[index]
                sources.append(f"{COFUNDING_BY_HELIX.get(org.helix, 'unknown')} {share} ({org.name})")
            else:
                sources.append(f"eu {share} ({EU_PROGRAMME})")
    conditions = [
        text for chance, text in CONDITIONS_BY_INSTRUMENT.get(p.instrument, ()) if rng.random() < chance
    ]
    disciplines: list[str] = []
    if p.instrument in RESEARCH_INSTRUMENTS:
        pool = DISCIPLINES.get(p.theme.mission, DISCIPLINES[None])
        count = rng.choices((1, 2, 3), weights=(0.45, 0.4, 0.15))[0]
        disciplines = rng.sample(pool[:4], 1) + rng.sample(pool, count - 1)
    lead = ""
    if p.instrument not in NO_LEAD:
        lead = rng.choices([g for g, _ in LEAD_GENDERS], weights=[w for _, w in LEAD_GENDERS])[0]
    return DemoDetail(
        cofunding_sources="; ".join(sources),
        conditions="; ".join(conditions),
        discipline="; ".join(dict.fromkeys(disciplines)),
        lead_gender=lead,
    )


PROJECT_COLUMNS = (
    "id",
    "title",
    "abstract",
    "funder",
    "programme",
    "instrument",
    "funding_scheme",
    "budget",
    "currency",
    "public_funding",
    "co_funding",
    "start",
    "end",
    "status",
    "trl",
    "country",
    "region",
    "sectors",
    "cofunding_sources",
    "conditions",
    "discipline",
    "lead_gender",
)
PARTNER_COLUMNS = (
    "project_id",
    "organisation",
    "organisation_id",
    "type",
    "role",
    "share",
    "country",
    "level",
)


def write_csv_portfolio(projects: list[DemoProject], folder: Path) -> tuple[Path, Path]:
    """An agency export: one row per project, and a partners file keyed by project id."""
    folder.mkdir(parents=True, exist_ok=True)
    projects_csv, partners_csv = folder / "projects.csv", folder / "partners.csv"
    org_ids: dict[str, str] = {}
    with projects_csv.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(PROJECT_COLUMNS)
        for p in projects:
            detail = funding_detail(p)
            writer.writerow(
                (
                    p.id,
                    p.title,
                    p.abstract,
                    p.programme.funder,
                    p.programme.name,
                    p.instrument,
                    p.programme.scheme,
                    p.public + p.cofunding,
                    p.programme.currency,
                    p.public,
                    p.cofunding,
                    p.start.isoformat(),
                    p.end.isoformat(),
                    p.status,
                    p.trl,
                    p.country,
                    p.region,
                    ";".join(p.theme.sectors),
                    detail.cofunding_sources,
                    detail.conditions,
                    detail.discipline,
                    detail.lead_gender,
                )
            )
    with partners_csv.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(PARTNER_COLUMNS)
        for p in projects:
            for org, role, share in p.partners:
                registry = org_ids.setdefault(org.key, f"{org.country}-REG-{len(org_ids) + 100001}")
                writer.writerow((p.id, org.name, registry, org.helix, role, share, org.country, org.level))
    return projects_csv, partners_csv


IATI_ORG_TYPE = {"government": "10", "research": "80", "industry": "70", "civil_society": "22"}
IATI_ROLE = {"coordinator": "4", "partner": "4", "implementer": "4"}
DAC_SECTOR = {
    "water-harvesting": "14030",
    "drought-crops": "31161",
    "early-warning": "43060",
    "risk-finance": "24030",
    "digital-health": "12220",
}
SDG_TAGS = {
    "water-harvesting": ("6", "13"),
    "drought-crops": ("2", "13"),
    "early-warning": ("13", "1"),
    "risk-finance": ("1", "13"),
    "digital-health": ("3",),
}
IATI_STATUS = {"planned": "1", "active": "2", "completed": "3", "terminated": "5"}
IATI_COFUNDERS = (
    # (ref, IATI organisation type, name): who co-funds the development agency's activities
    ("XM-DAC-47000-GCF", "40", "Green Climate Fund"),
    ("XI-IATI-EC_INTPA", "15", "European Commission - International Partnerships"),
    ("GB-CHC-1099776", "60", "Dryland Futures Foundation"),
    ("KE-CPR-PVT-7QX", "70", "Savanna Agri-Insurance Ltd"),
    ("XM-DEMO-KE-COUNTY", "11", "County Government"),
)
GENDER_SIGNIFICANCE = (("0", 0.3), ("1", 0.52), ("2", 0.18))
"""How often the agency marks an activity as not targeting, significantly or principally targeting
gender equality (OECD DAC marker)."""


def _iati_detail(p: DemoProject) -> tuple[list[str], list[str], str]:
    """(the gender equality marker and default finance type (grants), the co-funder's incoming funds,
    the commitment's finance type): reimbursable grants (422) for some risk-finance commitments."""
    rng = random.Random(f"iati:{p.id}")
    significance = rng.choices(
        [s for s, _ in GENDER_SIGNIFICANCE], weights=[w for _, w in GENDER_SIGNIFICANCE]
    )[0]
    if p.theme.key in ("drought-crops", "water-harvesting") and significance == "0":
        significance = "1"  # women grow most food crops and carry most water: these always mark it
    head = [
        f'<policy-marker vocabulary="1" code="1" significance="{significance}"/>',
        '<default-finance-type code="110"/>',
    ]
    incoming = []
    if p.cofunding > 0:
        ref, org_type, name = rng.choice(IATI_COFUNDERS)
        incoming.append(
            f'<transaction><transaction-type code="1"/><transaction-date iso-date="{p.start.isoformat()}"/>'
            f'<value currency="USD" value-date="{p.start.isoformat()}">{p.cofunding}</value>'
            f'<provider-org ref="{ref}" type="{org_type}"><narrative>{escape(name)}</narrative></provider-org>'
            "</transaction>"
        )
    reimbursable = p.theme.key == "risk-finance" and rng.random() < 0.4
    return head, incoming, '<finance-type code="422"/>' if reimbursable else ""


def write_iati(projects: list[DemoProject], path: Path) -> Path:
    """An IATI 2.03 activity file as a development agency would publish it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    reporter = "XM-DEMO-NDA"
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        out.write(
            f'<iati-activities version="2.03" generated-datetime="{REFERENCE_DATE.isoformat()}T00:00:00Z">\n'
        )
        for p in projects:
            ident = f"{reporter}-{p.id}"
            parts = [
                f'<iati-activity last-updated-datetime="{REFERENCE_DATE.isoformat()}T00:00:00Z" xml:lang="en" '
                f'default-currency="USD" humanitarian="0">',
                f"<iati-identifier>{ident}</iati-identifier>",
                f'<reporting-org ref="{reporter}" type="10"><narrative>Nordic Development Agency</narrative></reporting-org>',
                f"<title><narrative>{escape(p.title)}</narrative></title>",
                f'<description type="1"><narrative>{escape(p.abstract)}</narrative></description>',
                f'<participating-org ref="{reporter}" role="1" type="10"><narrative>Nordic Development Agency</narrative></participating-org>',
            ]
            for org, role, _share in p.partners:
                parts.append(
                    f'<participating-org role="{IATI_ROLE[role]}" type="{IATI_ORG_TYPE[org.helix]}">'
                    f"<narrative>{escape(org.name)}</narrative></participating-org>"
                )
            parts += [
                f'<activity-status code="{IATI_STATUS[p.status]}"/>',
                f'<activity-date iso-date="{p.start.isoformat()}" type="{2 if p.start <= REFERENCE_DATE else 1}"/>',
                f'<activity-date iso-date="{p.end.isoformat()}" type="{4 if p.end <= REFERENCE_DATE else 3}"/>',
                f'<recipient-country code="{p.country}" percentage="100"/>',
                f'<sector vocabulary="1" code="{DAC_SECTOR[p.theme.key]}" percentage="100"/>',
            ]
            parts += [f'<tag vocabulary="2" code="{goal}"/>' for goal in SDG_TAGS[p.theme.key]]
            detail, incoming, finance = _iati_detail(p)
            parts += detail
            parts += [
                f'<budget type="1" status="2"><period-start iso-date="{p.start.isoformat()}"/>'
                f'<period-end iso-date="{p.end.isoformat()}"/><value currency="USD" value-date="{p.start.isoformat()}">'
                f"{p.public + p.cofunding}</value></budget>",
                *incoming,
                f'<transaction><transaction-type code="2"/><transaction-date iso-date="{p.start.isoformat()}"/>'
                f'<value currency="USD" value-date="{p.start.isoformat()}">{p.public}</value>{finance}</transaction>',
            ]
            if p.status in ("active", "completed"):
                paid = p.public if p.status == "completed" else p.public // 2
                parts.append(
                    f'<transaction><transaction-type code="3"/><transaction-date iso-date="{p.start.isoformat()}"/>'
                    f'<value currency="USD" value-date="{p.start.isoformat()}">{paid}</value></transaction>'
                )
            parts.append("</iati-activity>")
            out.write("".join(parts) + "\n")
        out.write("</iati-activities>\n")
    return path


EUR_QUOTES: dict[str, tuple[float, ...]] = {
    # units of the currency per euro, yearly averages 2015-2026 as the ECB publishes them (2025 and
    # 2026 rounded): the krone pegged near 7.46, the krona and the krone weakening, the dollar's 2022 dip
    "SEK": (9.354, 9.469, 9.635, 10.258, 10.589, 10.485, 10.147, 10.630, 11.479, 11.433, 11.05, 10.95),
    "NOK": (8.950, 9.291, 9.327, 9.598, 9.851, 10.723, 10.163, 10.103, 11.425, 11.629, 11.70, 11.65),
    "DKK": (7.459, 7.445, 7.439, 7.453, 7.466, 7.454, 7.437, 7.440, 7.451, 7.459, 7.462, 7.461),
    "USD": (1.110, 1.107, 1.130, 1.181, 1.120, 1.142, 1.183, 1.053, 1.081, 1.082, 1.130, 1.160),
}  # fmt: skip
RATE_YEARS = range(2015, 2027)


def rate(currency: str, year: int) -> float:
    """Euros per unit of ``currency`` in ``year`` (a currency's rate to itself is 1 by definition)."""
    if currency == "EUR":
        return 1.0
    return round(1 / EUR_QUOTES[currency][year - RATE_YEARS.start], 5)


def write_rates(path: Path) -> Path:
    """An exchange-rate table the user would import: currency, reporting currency, year, rate. The euro
    has no row: its rate to itself is 1 by definition."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(("currency", "reporting_currency", "year", "rate", "source"))
        for currency in EUR_QUOTES:
            for year in RATE_YEARS:
                writer.writerow(
                    (currency, "EUR", year, rate(currency, year), "ECB reference rates, yearly average")
                )
    return path


def quoted(value: str) -> str:
    return quoteattr(value)
