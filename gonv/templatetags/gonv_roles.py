"""Template tags about the signed-in user's roles (they ask gonv.rules, so they live on top)."""

from __future__ import annotations

from django import template
from django.contrib.auth.models import AnonymousUser, User
from django.utils.translation import gettext as _

from gonv.rules import scope_for
from organisation.models import Role

register = template.Library()

_ROLE_ORDER = {role.value: index for index, role in enumerate(Role)}


@register.simple_tag
def user_role_labels(user: User | AnonymousUser) -> list[str]:
    """The user's role names in the order of Role, from the per-request scope (no extra query)."""
    scope = scope_for(user)
    labels = [str(Role(code).label) for code in sorted(scope.roles, key=_ROLE_ORDER.__getitem__)]
    if not labels and scope.is_superuser:
        labels = [_("Superanvändare")]
    return labels


@register.simple_tag
def user_has_role(user: User | AnonymousUser) -> bool:
    """Whether the user has any role at all (a user without one sees nothing)."""
    return scope_for(user).reads_anything
