"""A user's role scope for the editing pages below gonv (which may not ask gonv.rules)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .models import Role, RoleAssignment, Unit


@dataclass(frozen=True)
class RoleScope:
    """The units and programme areas a user's role assignments name."""

    roles: frozenset[str]
    root_unit_ids: frozenset[int]
    unit_ids: frozenset[int]
    area_ids: frozenset[int]

    @property
    def reads_everything(self) -> bool:
        return bool(
            self.roles & {Role.ADMIN, Role.STRATEGIST, Role.PORTFOLIO_OWNER, Role.STEERING_GROUP}
        )


def role_scope_for(user: Any) -> RoleScope:
    """The user's role assignments with every unit below their units (empty when anonymous)."""
    if not user.is_authenticated:
        return RoleScope(frozenset(), frozenset(), frozenset(), frozenset())
    rows = list(
        RoleAssignment.objects.filter(user=user).values_list("role", "unit_id", "programme_area_id")
    )
    roots = frozenset(unit for _, unit, _ in rows if unit is not None)
    units = (
        frozenset(Unit.objects.in_subtree_of_any(roots).values_list("id", flat=True))
        if roots
        else frozenset()
    )
    return RoleScope(
        roles=frozenset(role for role, _, _ in rows),
        root_unit_ids=roots,
        unit_ids=units,
        area_ids=frozenset(area for _, _, area in rows if area is not None),
    )
