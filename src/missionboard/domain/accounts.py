"""Who a user is to the workspace: an account, its per-mission roles and what they allow.

The rules stand here, apart from ``services.accounts`` (argon2, SQLAlchemy), so that reading the accounts
(``users list``) needs neither.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from missionboard.errors import Forbidden

if TYPE_CHECKING:
    from missionboard.domain.missions import MissionVersion


class Role(StrEnum):
    """What a user may do on one mission; each role includes the ones before it."""

    VIEWER = "viewer"
    REVIEWER = "reviewer"
    EDITOR = "editor"
    OWNER = "owner"


RANK = {Role.VIEWER: 1, Role.REVIEWER: 2, Role.EDITOR: 3, Role.OWNER: 4}


@dataclass(frozen=True)
class Account:
    """A user as the rules see it: no password hash, no secrets; roles by mission id."""

    id: int
    username: str
    display_name: str
    is_admin: bool
    is_active: bool
    roles: dict[str, Role] = field(default_factory=dict)

    def role_on(self, mission_id: str) -> Role | None:
        return self.roles.get(mission_id)

    def has(self, mission_id: str, needed: Role) -> bool:
        """True where the user is an admin or holds ``needed`` (or a stronger role) on the mission."""
        if self.is_admin:
            return True
        role = self.roles.get(mission_id)
        return role is not None and RANK[role] >= RANK[needed]

    def require(self, mission_id: str, needed: Role, doing: str) -> None:
        if not self.has(mission_id, needed):
            raise Forbidden(
                f"{self.username} may not {doing} on mission '{mission_id}': that needs the {needed.value} "
                "role or higher (ask the mission's owner or a workspace admin)"
            )

    def may_see(self, version: MissionVersion) -> bool:
        """Public missions for everyone, others for their members and admins."""
        return version.mission.public or self.has(version.mission_id, Role.VIEWER)

    def require_admin(self, doing: str) -> None:
        if not self.is_admin:
            raise Forbidden(f"{self.username} may not {doing}: that needs a workspace admin")

    def as_dict(self) -> dict[str, object]:
        return {
            "username": self.username,
            "display_name": self.display_name,
            "is_admin": self.is_admin,
            "is_active": self.is_active,
            "roles": {mission: role.value for mission, role in sorted(self.roles.items())},
        }


def may_see(account: Account | None, version: MissionVersion) -> bool:
    """Whether a caller may see a mission: public ones everyone, anonymous callers (None) included;
    others their members and workspace admins (:meth:`Account.may_see`)."""
    return version.mission.public if account is None else account.may_see(version)
