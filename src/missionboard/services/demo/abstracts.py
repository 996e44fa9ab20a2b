"""Project abstracts that read as written for one project, not stamped from one template.

An abstract says what the project does and where (its subject, in a setting of its field), the
problem it answers and its method (from its theme), three angles of its own (costs, rules, guidance,
evaluation …) and only then the consortium, the duration and the outcome. Two projects of one theme
therefore rarely share more than one sentence, and a sentence-embedding model finds them related but
not the same: the only near-identical texts left are the deliberate twins (``portfolio.TWINS``).

The vocabulary of each field avoids the words the demo missions' mapping queries look for, so that
what maps a project to an objective is its theme's own text.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from missionboard.services.demo.themes import Theme


@dataclass(frozen=True)
class Field:
    """How a field speaks of the people and places of its projects."""

    users: tuple[str, ...]
    workers: tuple[str, ...]
    authority: tuple[str, ...]
    site: str
    sites: str
    buyers: str
    settings: tuple[str, ...]
    """Where the work is done, completing "… works on {subject} {setting}"."""


FIELDS: dict[str, Field] = {
    "food": Field(
        users=("children and their parents", "head teachers and cooks", "school nurses and parents"),
        workers=("cooks and kitchen assistants", "catering managers", "school restaurant staff"),
        authority=("the National Food Agency", "the municipalities' education committees"),
        site="school",
        sites="schools",
        buyers="municipalities",
        settings=(
            "in primary schools",
            "in pre-schools and after-school clubs",
            "in upper-secondary schools",
            "in a central kitchen that cooks for forty schools",
            "in small rural schools that cook on site",
            "in schools in areas with low incomes",
            "across a whole municipality's schools",
            "in special-needs schools",
        ),
    ),
    "maritime": Field(
        users=("passengers and commuters", "islanders who depend on the crossing", "lorry drivers"),
        workers=("crews and engineers", "deck officers", "technicians at the operators' bases"),
        authority=("the flag state", "the county's transport committee", "the classification society"),
        site="route",
        sites="routes",
        buyers="counties",
        settings=(
            "on a twenty-minute fjord crossing",
            "on island routes with few departures",
            "on routes with heavy lorry traffic",
            "on crossings exposed to winter storms",
            "on urban commuter routes",
            "on routes served by two vessels in shuttle",
            "on long coastal routes",
            "on routes where the contract ends soon",
        ),
    ),
    "construction": Field(
        users=("tenants and residents", "architects and engineers", "site managers"),
        workers=("carpenters and masons", "site managers", "design engineers"),
        authority=("the building authority", "the municipal planning office", "the standards body"),
        site="project",
        sites="projects",
        buyers="housing companies",
        settings=(
            "in social housing renovations",
            "in new school and nursery buildings",
            "in office blocks from the 1970s",
            "in a new urban district",
            "in terraced houses from the 1960s",
            "in hospital extensions",
            "in municipal sports halls",
            "in apartment blocks of the post-war era",
        ),
    ),
    "agriculture": Field(
        users=("pastoralist households", "women's groups", "village elders and youth"),
        workers=("county extension officers", "community health volunteers", "local artisans"),
        authority=("the county assembly", "the national drought authority", "the ward administrators"),
        site="ward",
        sites="wards",
        buyers="county governments",
        settings=(
            "in pastoral areas along the seasonal rivers",
            "in agro-pastoral wards on the plains",
            "around market towns on the main road",
            "in settlements that host displaced families",
            "in wards where the last two rainy seasons failed",
            "in remote wards far from the county headquarters",
            "in villages near the national border",
            "in irrigated pockets along the river",
        ),
    ),
    "digital": Field(
        users=("production managers", "operators on the shop floor", "owners of small firms"),
        workers=("software developers", "machine operators", "maintenance engineers"),
        authority=("the data protection authority", "the standards body", "the product safety authority"),
        site="firm",
        sites="firms",
        buyers="manufacturers",
        settings=(
            "in small and medium-sized firms",
            "in subcontractors to larger manufacturers",
            "in firms without their own data scientists",
            "in export-oriented manufacturers",
            "in university spin-offs",
            "in family-owned workshops",
            "in process industry plants",
            "in firms that make parts for the car industry",
        ),
    ),
    "manufacturing": Field(
        users=("production managers", "operators on the shop floor", "quality engineers"),
        workers=("machine operators", "maintenance engineers", "production engineers"),
        authority=("the work environment authority", "the standards body", "the product safety authority"),
        site="plant",
        sites="plants",
        buyers="manufacturers",
        settings=(
            "in subcontractors to larger manufacturers",
            "in export-oriented manufacturers",
            "in family-owned machine shops",
            "in process industry plants",
            "in firms that make parts for the car industry",
            "in foundries",
            "in small and medium-sized manufacturers",
            "in a shared test bed at the university",
        ),
    ),
    "health": Field(
        users=("patients and their relatives", "general practitioners", "nurses in home care"),
        workers=("nurses and physicians", "health-care IT staff", "home-care staff"),
        authority=("the data protection authority", "the medicines and devices agency"),
        site="clinic",
        sites="clinics",
        buyers="health regions",
        settings=(
            "in regional hospitals",
            "in primary care centres",
            "in municipal home care",
            "in rural health centres",
            "in a university hospital",
            "in nursing homes",
        ),
    ),
    "quantum": Field(
        users=("industrial users", "public agencies that need the data", "start-ups"),
        workers=("doctoral students", "laboratory engineers", "research engineers"),
        authority=("the export control authority", "the space agency"),
        site="laboratory",
        sites="laboratories",
        buyers="agencies",
        settings=(
            "in the university's clean room",
            "at a national test facility",
            "in a joint laboratory with industry",
            "in a group of physicists and engineers",
        ),
    ),
}
TAKING_PART = {
    "rd_grant", "pre_commercial_procurement", "challenge_prize", "skills", "network", "advisory",
    "platform", "information", "standards_labels", "regulatory_sandbox", "adoption_subsidy",
    "infrastructure",
}  # fmt: skip
"""Instruments whose work spans several sites (a loan or a purchase serves one buyer)."""
AIMS = {
    # what the lead does, by instrument (the title has already said on what)
    "rd_grant": ("leads the research", "leads a study", "coordinates the research", "leads the experiments"),
    "pre_commercial_procurement": ("asks suppliers to develop prototypes", "buys development work"),
    "public_procurement": ("buys the solution", "runs the tender"),
    "challenge_prize": ("invites teams to propose solutions", "rewards the best proposals"),
    "adoption_subsidy": ("invests", "puts the solution into full-scale use"),
    "infrastructure": ("builds and operates the installations", "invests in the installations"),
    "skills": ("runs courses for the staff", "teaches practitioners"),
    "network": ("brings organisations together", "coordinates a network"),
    "advisory": ("advises public buyers", "gives hands-on advice"),
    "platform": ("sets up a shared platform", "gathers data and tools"),
    "information": ("informs the public", "produces guidance"),
    "standards_labels": ("drafts a common standard", "develops a label"),
    "regulatory_sandbox": ("tests the solution under a temporary exemption", "tries out the rules"),
    "loan": ("invests with a loan", "borrows to invest"),
    "equity": ("raises growth capital", "scales up with new equity"),
}
ANGLES = (
    # one sentence each, on a side of the work that differs from project to project
    "A cost model compares {subject} with today's practice over its whole lifetime.",
    "The partners list the rules that stand in the way of {subject} and propose changes to {authority}.",
    "Guidance is written so that {workers} can carry on without outside experts.",
    "Measurements from every {site} are published as an open data set once the project ends.",
    "In the final year a second group of {sites} copies the approach to see whether it travels.",
    "Tender documents are written so that other {buyers} can buy the same solution.",
    "The business case is tested with banks and investors before the partners commit to scale.",
    "An independent evaluator compares the participating {sites} with similar ones that do not take part.",
    "Health, safety and environmental risks are assessed before anything is used at full scale.",
    "Interviews with {users} show who gains and who may be left out.",
    "The work builds on a feasibility study the partners completed last year.",
    "A reference group of {users} meets every quarter to steer the priorities.",
    "Digital tools are kept simple enough for {workers} to use them every day.",
    "The partners document failures as carefully as successes, for others to learn from.",
    "Local firms are involved early so that the solution can be maintained nearby.",
    "Students write theses on the pilots, which keeps the knowledge in the region.",
    "A baseline survey is made before any change, so that the effect can be measured.",
    "The work is split into two phases, with a go or no-go decision between them.",
    "Lessons from a similar project abroad are adapted to local conditions.",
    "Maintenance and running costs are followed for a full year after installation.",
    "{authority} takes part as an observer, to learn what the rules should say.",
    "The solution is designed to work without a permanent internet connection.",
    "Half of the budget goes to work done by {workers} themselves.",
    "Communication with {users} is planned from the start, in plain language.",
    "A doctoral student follows the work and compares it with international practice.",
    "Each partner pays part of its own costs, which keeps the plans realistic.",
    "Procurement rules are checked with lawyers before anything is bought.",
    "The pilots run through two full seasons, so that winter and summer can be compared.",
    "Energy use is measured before and after, with meters installed for the purpose.",
    "A simple handbook will explain the approach to newcomers in the field.",
    "Experience from the pilots is fed into the municipalities' climate plans.",
    "Partners from the neighbouring countries review the plans halfway through.",
)
ANGLE_INDEX = tuple(range(len(ANGLES)))
CLOSINGS = (
    "Findings, data and designs will be shared openly with other public bodies.",
    "The partners will publish a guide so that others can replicate the approach.",
    "Progress is reported against agreed milestones every six months.",
    "Results will be presented at the national conference of the field.",
    "An advisory board of practitioners reviews the results each year.",
)
NUMBERS = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")


class Abstracts:
    """Writes the abstracts of one portfolio, drawing each project's angles so that two projects of a
    theme share as few of them as the draw allows (of a few candidate sets, the least used)."""

    CANDIDATES = 8

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: dict[str, set[tuple[int, int]]] = {}
        """Per theme, the pairs of angles some project of it already has."""

    def write(
        self,
        *,
        field: str,
        theme: Theme,
        instrument: str,
        place: str,
        lead: str,
        partners: list[str],
        start: dt.date,
        end: dt.date,
        subject: str,
    ) -> str:
        """An abstract whose first sentences (those an embedding model reads) are the project's own."""
        rng = self.rng
        words = FIELDS[field]
        slots = {
            "subject": subject,
            "users": rng.choice(words.users),
            "workers": rng.choice(words.workers),
            "authority": rng.choice(words.authority),
            "site": words.site,
            "sites": words.sites,
            "buyers": words.buyers,
        }
        angles = [ANGLES[i].format(**slots) for i in self._angles(theme.key)]
        sentences = [
            f"{lead} {rng.choice(AIMS[instrument])} {rng.choice(words.settings)} in {place}.",
            *(sentence[0].upper() + sentence[1:] for sentence in angles),
            rng.choice(theme.contexts),
            rng.choice(theme.methods),
            rng.choice(theme.outcomes),
        ]
        if instrument in TAKING_PART:
            sentences.append(f"{rng.choice(NUMBERS).capitalize()} {words.sites} take part.")
        if len(partners) > 1:
            others = partners[1:4]
            named = ", ".join(others[:-1]) + (" and " if len(others) > 1 else "") + others[-1]
            if len(others) == 1:
                sentences.append(f"Its partner is {named}.")
            else:
                sentences.append(f"The partners {'include' if len(partners) > 4 else 'are'} {named}.")
        sentences.append(f"The project runs for {_duration(start, end)}.")
        sentences.append(rng.choice(CLOSINGS))
        return " ".join(sentences)

    def _angles(self, theme: str) -> tuple[int, ...]:
        used = self.used.setdefault(theme, set())
        best: tuple[int, ...] = ()
        fewest = 4
        for _ in range(self.CANDIDATES):
            drawn = tuple(self.rng.sample(ANGLE_INDEX, 3))
            pairs = _pairs(drawn)
            overlap = sum(pair in used for pair in pairs)
            if overlap < fewest:
                best, fewest = drawn, overlap
                if not overlap:
                    break
        used.update(_pairs(best))
        return best


def _pairs(drawn: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    a, b, c = sorted(drawn)
    return ((a, b), (a, c), (b, c))


def _duration(start: dt.date, end: dt.date) -> str:
    months = round((end - start).days / 30.44)
    if months % 12 == 0:
        years = months // 12
        return "one year" if years == 1 else f"{NUMBERS[years - 2]} years"
    return f"{months} months"
