"""Reads of the unit tree and role assignments that forms and pages need."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Exists, F, OuterRef

from .models import Role, RoleAssignment, Unit, UnitQuerySet

# A VC's VO before a VEC's unit: the larger scope is the one they came for.
_HOME_UNIT_ROLES = (Role.HEAD_OF_AREA, Role.HEAD_OF_UNIT)


def unit_home_for(*, user: User | AnonymousUser) -> Unit | None:
    """The unit a VC or VEC leads ("Min enhet"), or None for other roles."""
    if not user.is_authenticated:
        return None
    assignments = (
        RoleAssignment.objects.filter(user=user, role__in=_HOME_UNIT_ROLES)
        .select_related("unit")
        .order_by("unit__code")
    )
    by_role: dict[str, Unit | None] = dict.fromkeys(_HOME_UNIT_ROLES)
    for assignment in assignments:
        by_role[assignment.role] = by_role[assignment.role] or assignment.unit
    return next((unit for unit in by_role.values() if unit is not None), None)


def region_unit() -> Unit | None:
    """The root of the tree the dashboards compare with ("regionen")."""
    return Unit.objects.filter(parent__isnull=True).select_related("kind").order_by("code").first()


def unit_get(*, code: str) -> Unit | None:
    """A unit by its code, with its kind."""
    return Unit.objects.select_related("kind").filter(code=code).first()


def units_with_children() -> list[Unit]:
    """The units with units below them (the region, areas, VOs): the root first, then by name
    (one query)."""
    has_children = Unit.objects.filter(parent=OuterRef("pk"))
    return list(
        Unit.objects.filter(Exists(has_children))
        .select_related("kind")
        .order_by(F("parent_id").asc(nulls_first=True), "name", "code")
    )


def unit_ancestors(*, unit: Unit) -> list[Unit]:
    """The unit's ancestors from the root down, ending with the unit itself (one query)."""
    return list(
        Unit.objects.filter(descendant_links__descendant=unit)
        .select_related("kind")
        .order_by("-descendant_links__depth")
    )


def unit_children(*, unit: Unit) -> list[Unit]:
    """The units directly below a unit, by name."""
    return list(unit.children.select_related("kind").order_by("name", "code"))


def units_in_subtree(*, unit: Unit, day: datetime.date) -> list[Unit]:
    """The unit and every unit below it that is open on the day (one query)."""
    return list(
        Unit.objects.in_subtree(unit).active_on(day).select_related("kind").order_by("name")
    )


@dataclass
class UnitNode:
    """A unit and the nodes below it, for the unit tree."""

    unit: Unit
    children: list[UnitNode] = field(default_factory=list)


def unit_tree() -> list[UnitNode]:
    """The whole unit tree, roots first, siblings by name (one query)."""
    units = list(Unit.objects.select_related("kind").order_by("name", "code"))
    nodes = {unit.pk: UnitNode(unit) for unit in units}
    roots: list[UnitNode] = []
    for unit in units:
        parent = nodes.get(unit.parent_id) if unit.parent_id else None
        (parent.children if parent else roots).append(nodes[unit.pk])
    return roots


def units_in_scope(*, user: User | AnonymousUser) -> UnitQuerySet:
    """The units a user may write data about: every unit for those who edit everything, else
    the subtrees of the user's unit-scoped roles (the choices a form offers; gonv.rules decides)."""
    if user.has_perm("organisation.change_unit"):
        return Unit.objects.all()
    if not user.is_authenticated:
        return Unit.objects.none()
    roots = RoleAssignment.objects.filter(user_id=user.pk, unit__isnull=False).values_list(
        "unit_id", flat=True
    )
    return Unit.objects.in_subtree_of_any(roots)


def programme_area_ids_in_scope(*, user: User | AnonymousUser) -> list[int] | None:
    """The programme areas a user owns (None: every area, for those who edit everything)."""
    if user.has_perm("organisation.change_unit"):
        return None
    if not user.is_authenticated:
        return []
    return list(
        RoleAssignment.objects.filter(user_id=user.pk, programme_area__isnull=False).values_list(
            "programme_area_id", flat=True
        )
    )


# --- the scope the editing pages ask (they sit below gonv, so cannot ask gonv.rules) ---


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
