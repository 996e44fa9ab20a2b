"""The landscape of a mission under /api/v1 (summary tables computed by ``landscape analyze``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from missionboard.services import landscape as landscape_service
from missionboard.services import missions as mission_service
from missionboard.services.accounts import Role
from missionboard.services.analytics import Number
from missionboard.web.api import ApiRoute, MissionId, bearer
from missionboard.web.api_models import Out
from missionboard.web.responses import COMMON, errors
from missionboard.web.security import check_api_csrf, require_account, workspace_of

router = APIRouter(
    tags=["landscape"],
    dependencies=[Depends(bearer), Depends(check_api_csrf)],
    responses=errors(*COMMON),
    route_class=ApiRoute,
)


class LandscapeActivityOut(Out):
    """Landscape records of an objective, and their money in EUR, in one year, country or field."""

    value: str
    records: int
    money: Number


class LandscapeOrganisationOut(Out):
    """An organisation active on an objective in the landscape."""

    name: str = Field(
        description="The workspace actor's name where it resolves to one, else its commonest spelling"
    )
    key: str = Field(description="The normalised name it is matched on")
    records: int
    money: Number
    first_year: int | None = Field(description="Its first year on the objective")
    in_portfolio: bool = Field(description="It takes part in a project of the mission's portfolio")
    newcomer: bool = Field(description="Its first year on the objective is a recent one")
    actor_id: int | None = Field(description="The workspace actor of the same normalised name")


class ObjectiveLandscapeOut(Out):
    """One objective in the landscape, beside the portfolio's part of it."""

    objective: str
    title: str
    records: int
    money: Number
    records_with_money: int
    organisations: int
    organisations_outside_portfolio: int
    newcomers: int
    countries: int
    fields: int
    recent_records: int
    earlier_records: int
    recent_money: Number
    earlier_money: Number
    growth: Number | None = Field(description="Recent records per earlier records, less one")
    money_growth: Number | None
    portfolio_projects: int
    portfolio_money: Number = Field(description="In EUR")
    project_share: Number | None = Field(description="Portfolio projects per landscape record")
    money_share: Number | None = Field(description="Portfolio money per landscape money")
    thin: bool = Field(description="The money share is under half of the mission's")
    by_year: list[LandscapeActivityOut]
    by_country: list[LandscapeActivityOut]
    by_field: list[LandscapeActivityOut]
    top_organisations: list[LandscapeOrganisationOut]
    outside_portfolio: list[LandscapeOrganisationOut]
    newcomer_organisations: list[LandscapeOrganisationOut]


class LandscapeRunOut(Out):
    """The ``landscape analyze`` the figures come from."""

    id: int | None
    taxonomy: str
    input: str
    min_score: Number
    recent_years: int
    top: int
    latest_year: int | None
    recent_from: int | None
    earlier_from: int | None
    analyzed_by: str
    analyzed_at: str
    seconds: Number
    files: int
    records_read: int
    records: int
    money: Number
    other_labels: int
    currency: str
    portfolio_projects: int
    portfolio_money: Number
    portfolio_unconverted: int
    money_share: Number | None


class LandscapeOut(Out):
    """A mission's landscape as its latest ``landscape analyze`` left it (``run`` null: never analysed)."""

    mission: str
    analyzed: bool
    run: LandscapeRunOut | None
    thin: list[str] = Field(
        description="Objectives where the portfolio's money is thin relative to the field"
    )
    objectives: list[ObjectiveLandscapeOut]


@router.get(
    "/missions/{mission_id}/landscape",
    summary="Who else works on each objective of the mission: the landscape beyond the portfolio, "
    "as 'landscape analyze' summed it up",
    responses=errors(403, 404),
    response_model=LandscapeOut,
)
def mission_landscape(request: Request, mission_id: MissionId) -> dict[str, Any]:
    workspace = workspace_of(request)
    current = mission_service.get_mission(workspace, mission_id)
    if not current.mission.public:
        require_account(request).require(mission_id, Role.VIEWER, "view this mission")
    return landscape_service.mission_landscape(workspace, mission_id).to_dict()
