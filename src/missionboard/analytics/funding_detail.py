"""The funding-detail sections of a mission's analysis: ``cofunding`` (crowding-in by source type),
``conditions`` (money with conditions or reward-sharing, by kind), ``disciplines`` (the Fields of
Science mix, cross-disciplinary projects, the SSH share) and ``gender`` (money and projects by gender
equality marker and by lead gender).

Each is a section of figures and tables (``analytics.result.figure`` / ``table``) over the mission's
portfolio by the one rule (``domain.portfolio_rule``), read through a ``store.funding_detail.FundingDetailStore``
(it carries the rule and ``since``; inside ``holding`` every read shares one evaluation of the portfolio),
its money converted into the reporting currency at each project's start-year rate. A portfolio whose projects state none of the detail still gets the
section: its figures count 0 projects with the detail and its ``computed_from`` says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from missionboard.analytics.result import figure, table
from missionboard.domain.missions import Mission
from missionboard.domain.portfolio import (
    CoFundingSource,
    ConditionKind,
    GenderMarker,
    LeadGender,
    ScienceArea,
)
from missionboard.domain.portfolio_rule import RateTable, convert_money
from missionboard.store.funding_detail import ANY_CONDITION, FundingDetailStore, MoneyGroup

NOT_GIVEN = "not_given"
"""The row of projects that state no value (no gender marker, no lead gender)."""

_RULE_NOTE = "portfolio projects (the portfolio rule)"


@dataclass(frozen=True)
class MoneyTotal:
    """Groups of projects summed in the reporting currency."""

    amount: float
    projects: int
    unconverted_projects: int
    """Projects whose money has no rate into the reporting currency (left out of ``amount``)."""


def money_totals(
    groups: Iterable[MoneyGroup], currency: str | None, rates: RateTable, *, covered: bool = False
) -> dict[str | None, MoneyTotal]:
    """The groups' money per key in ``currency``, converted group by group at the start year's rate
    (``covered``: the part a condition covers instead of the whole)."""
    found: dict[str | None, MoneyTotal] = {}
    for group in groups:
        converted = convert_money(group.covered if covered else group.money, currency, group.year, rates)
        before = found.get(group.key, MoneyTotal(0.0, 0, 0))
        found[group.key] = MoneyTotal(
            before.amount + (converted.amount or 0.0),
            before.projects + group.projects,
            before.unconverted_projects + (group.projects if converted.unconverted else 0),
        )
    return found


def _ratio(part: float | None, whole: float | None) -> float | None:
    return None if part is None or not whole else part / whole


def _unit(currency: str | None) -> str:
    return currency or "reporting currency"


# --- cofunding -------------------------------------------------------------------------------------


CROWDED_IN = frozenset(
    {CoFundingSource.PRIVATE.value, CoFundingSource.IN_KIND.value, CoFundingSource.PHILANTHROPIC.value}
)
"""Co-funding sources outside the public sector: what crowding-in counts (other public and EU money is
co-funding too, but not crowded in)."""


def cofunding_section(
    store: FundingDetailStore, mission: Mission, currency: str | None, rates: RateTable
) -> dict[str, Any]:
    """Crowding-in by source type: co-funding per type, its share of all co-funding by source, and its
    leverage (co-funding per unit of public funding, over the projects that state public funding)."""
    groups = store.cofunding(mission)
    projects_by_type = store.cofunding_projects(mission)
    detailed = store.projects_with_cofunding(mission)
    public_groups = store.public_of_cofunded(mission)
    amount: dict[str, float] = {}
    with_public: dict[str, float] = {}
    sources: dict[str, int] = {}
    unconverted = 0
    for g in groups:
        sources[g.source_type] = sources.get(g.source_type, 0) + g.sources
        if g.amount is None:
            continue
        conversion = rates.convert(g.currency, currency, g.year) if currency else None
        if conversion is None:
            unconverted += g.sources
            continue
        amount[g.source_type] = amount.get(g.source_type, 0.0) + g.amount * conversion.rate
        if g.states_public:
            with_public[g.source_type] = with_public.get(g.source_type, 0.0) + g.amount * conversion.rate
    public = 0.0
    public_projects = 0
    for pg in public_groups:
        conversion = rates.convert(pg.currency, currency, pg.year) if currency else None
        if conversion is not None:
            public += pg.amount * conversion.rate
            public_projects += pg.projects
    total = sum(amount.values())
    rc = _unit(currency)
    basis = (
        f"co-funding sources stated by {detailed} {_RULE_NOTE}, table project_cofunding, in {rc} at each "
        "project's start-year rate"
        if detailed
        else "no project in the portfolio states co-funding by source (project_cofunding is empty for it)"
    )
    leverage_basis = (
        f"co-funding by source of the {public_projects} of them that state public funding ÷ their public "
        f"funding ({rc} per {rc})"
    )
    order = [s.value for s in CoFundingSource] + sorted(set(sources) - {s.value for s in CoFundingSource})
    rows = [
        {
            "source_type": kind,
            "projects": projects_by_type.get(kind, 0),
            "sources": sources[kind],
            "amount": amount.get(kind),
            "share": _ratio(amount.get(kind), total),
            "leverage": _ratio(with_public.get(kind), public),
        }
        for kind in order
        if kind in sources
    ]
    return {
        "projects_with_detail": figure(detailed, "projects", basis),
        "total": figure(total if detailed else None, rc, basis),
        "public": figure(
            public if public_projects else None,
            rc,
            f"public funding of the {public_projects} co-funded projects that state it, in {rc}",
        ),
        "leverage": figure(_ratio(sum(with_public.values()), public), f"{rc} per {rc}", leverage_basis),
        "private_leverage": figure(
            _ratio(sum(v for k, v in with_public.items() if k in CROWDED_IN), public),
            f"{rc} per {rc}",
            f"co-funding from {', '.join(sorted(CROWDED_IN))} sources only (money crowded in from outside "
            f"the public sector) of the {public_projects} co-funded projects that state public funding ÷ their "
            "public funding",
        ),
        "unconverted_sources": figure(
            unconverted, "sources", f"sources whose currency has no rate into {rc}"
        ),
        "by_source": table(
            rows,
            {
                "projects": "projects",
                "sources": "sources",
                "amount": rc,
                "share": "fraction of co-funding by source",
                "leverage": f"{rc} per {rc} public",
            },
            basis,
        ),
    }


# --- conditions ------------------------------------------------------------------------------------


def conditions_section(
    store: FundingDetailStore, mission: Mission, currency: str | None, rates: RateTable
) -> dict[str, Any]:
    """The share of the portfolio's money with conditions or reward-sharing terms, by kind."""
    whole = money_totals(store.portfolio_money(mission), currency, rates).get(None)
    total = whole.amount if whole else 0.0
    groups = store.condition_money(mission)
    full = money_totals(groups, currency, rates)
    part = money_totals(groups, currency, rates, covered=True)
    rc = _unit(currency)
    conditioned = full.get(ANY_CONDITION)
    with_terms = sum(t.projects for k, t in full.items() if k != ANY_CONDITION)
    basis = (
        f"conditions stated by {_RULE_NOTE}, table project_conditions; money: each project's whole money in "
        f"{rc}; covered: that money × the share the condition covers (the whole where none is given)"
        if with_terms
        else "no project in the portfolio states conditions on its funding (project_conditions is empty for it)"
    )
    share_basis = (
        f"money of projects with a condition other than a plain grant ÷ the portfolio's money ({rc})"
    )
    order = [k.value for k in ConditionKind] + sorted(
        {str(k) for k in full if k is not None and k != ANY_CONDITION} - {k.value for k in ConditionKind}
    )
    rows = [
        {
            "kind": kind,
            "projects": full[kind].projects,
            "money": full[kind].amount,
            "share": _ratio(full[kind].amount, total),
            "covered_money": part[kind].amount,
            "covered_share": _ratio(part[kind].amount, total),
        }
        for kind in order
        if kind in full
    ]
    return {
        "projects_with_conditions": figure(
            conditioned.projects if conditioned else 0, "projects", share_basis.split(" ÷ ")[0]
        ),
        "money_with_conditions": figure(
            conditioned.amount if conditioned else 0.0, rc, share_basis.split(" ÷ ")[0]
        ),
        "share_with_conditions": figure(
            _ratio(conditioned.amount if conditioned else 0.0, total), "fraction of money", share_basis
        ),
        "by_kind": table(
            rows,
            {
                "projects": "projects",
                "money": rc,
                "share": "fraction of the portfolio's money",
                "covered_money": rc,
                "covered_share": "fraction of the portfolio's money",
            },
            basis,
        ),
    }


# --- disciplines -----------------------------------------------------------------------------------


def disciplines_section(store: FundingDetailStore, mission: Mission) -> dict[str, Any]:
    """The Fields of Science mix: projects per broad area, cross-disciplinary projects (disciplines in
    more than one area) and the share with social sciences or humanities (SSH)."""
    ssh_areas = [a.value for a in ScienceArea if a.is_ssh]
    found = store.disciplines(mission, ssh_areas)
    projects = store.portfolio_size(mission)
    known = found.with_area
    basis = (
        f"disciplines stated by {_RULE_NOTE}, table project_disciplines, each with its broad OECD Fields of "
        f"Science area where it can be told; shares of the {known} projects with an area"
        if found.with_discipline
        else "no project in the portfolio states a discipline (project_disciplines is empty for it)"
    )
    rows = [
        {
            "area": area.value,
            "ssh": area.is_ssh,
            "projects": found.by_area.get(area.value, 0),
            "share": _ratio(found.by_area.get(area.value, 0), known),
            "main": found.main_area.get(area.value, 0),
        }
        for area in ScienceArea
        if area.value in found.by_area
    ]
    return {
        "projects": figure(projects, "projects", "projects in the mission's portfolio (the portfolio rule)"),
        "projects_with_discipline": figure(found.with_discipline, "projects", basis),
        "projects_with_area": figure(known, "projects", basis),
        "cross_disciplinary": figure(
            found.cross_disciplinary, "projects", "projects with disciplines in more than one area"
        ),
        "cross_disciplinary_share": figure(
            _ratio(found.cross_disciplinary, known), "fraction of projects with an area", basis
        ),
        "ssh_projects": figure(
            found.ssh,
            "projects",
            "projects with a discipline in social sciences or humanities (OECD FoS 5, 6)",
        ),
        "ssh_share": figure(_ratio(found.ssh, known), "fraction of projects with an area", basis),
        "by_area": table(
            rows,
            {
                "ssh": "social sciences or humanities",
                "projects": "projects (with a discipline in the area; a project may count in several)",
                "share": "fraction of projects with an area",
                "main": "projects (main discipline)",
            },
            basis,
        ),
    }


# --- gender ----------------------------------------------------------------------------------------


def gender_section(
    store: FundingDetailStore, mission: Mission, currency: str | None, rates: RateTable
) -> dict[str, Any]:
    """Money and projects by OECD DAC gender equality marker and by the lead's gender, where known."""
    by_marker, by_lead = store.gender_money(mission)
    markers = money_totals(by_marker, currency, rates)
    leads = money_totals(by_lead, currency, rates)
    total = sum(t.amount for t in markers.values())
    rc = _unit(currency)
    marker_known = sum(t.projects for k, t in markers.items() if k is not None)
    marker_money = sum(t.amount for k, t in markers.items() if k is not None)
    targeted = sum(
        t.amount
        for k, t in markers.items()
        if k in (GenderMarker.SIGNIFICANT.value, GenderMarker.PRINCIPAL.value)
    )
    lead_known = sum(t.projects for k, t in leads.items() if k not in (None, LeadGender.UNKNOWN.value))
    female = leads.get(LeadGender.FEMALE.value)
    lead_unknown = sum(t.projects for k, t in leads.items() if k in (None, LeadGender.UNKNOWN.value))
    marker_basis = (
        f"the OECD DAC gender equality marker of {_RULE_NOTE}; money in {rc}, shares of the portfolio's money"
    )
    lead_basis = (
        f"the lead's gender as {_RULE_NOTE} record it; money in {rc}, shares of the portfolio's money"
    )

    def rows(found: dict[str | None, MoneyTotal], order: list[str]) -> list[dict[str, Any]]:
        keys = [k for k in order if k in found] + sorted(
            str(k) for k in found if k is not None and k not in order
        )
        out = [
            {
                "value": k,
                "projects": found[k].projects,
                "money": found[k].amount,
                "share": _ratio(found[k].amount, total),
            }
            for k in keys
        ]
        if None in found:
            out.append(
                {
                    "value": NOT_GIVEN,
                    "projects": found[None].projects,
                    "money": found[None].amount,
                    "share": _ratio(found[None].amount, total),
                }
            )
        return out

    units = {"projects": "projects", "money": rc, "share": "fraction of the portfolio's money"}
    return {
        "projects_with_marker": figure(marker_known, "projects", marker_basis),
        "gender_targeted_share": figure(
            _ratio(targeted, marker_money) if marker_known else None,
            "fraction of money with a marker",
            "money of projects marked significant or principal ÷ money of projects with a marker",
        ),
        "projects_with_lead_gender": figure(lead_known, "projects", lead_basis),
        "lead_gender_unknown": figure(
            lead_unknown, "projects", "projects whose lead's gender is unknown or not given"
        ),
        "female_lead_share": figure(
            _ratio(female.projects if female else 0, lead_known),
            "fraction of projects with a known lead gender",
            lead_basis,
        ),
        "by_marker": table(rows(markers, [m.value for m in GenderMarker]), units, marker_basis),
        "by_lead_gender": table(rows(leads, [g.value for g in LeadGender]), units, lead_basis),
    }
