"""Reads of the organisation that forms and pages need."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

from .models import RoleAssignment, Unit, UnitQuerySet


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
