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
    labels = [
        _area_role_label(scope.area_numbers)
        if code == Role.PROGRAMME_OWNER and scope.area_numbers
        else str(Role(code).label)
        for code in sorted(scope.roles, key=_ROLE_ORDER.__getitem__)
    ]
    if not labels and scope.is_superuser:
        labels = [_("Superanvändare")]
    return labels


@register.filter
def person_with_roles(person: User) -> str:
    """A person named among others on a page, by name and role: "Anna Berg, HSL styrgrupp"
    (the full name, else the username; the roles in the order of Role, from the person's
    role_assignments, which the page's selector prefetches)."""
    name = person.get_full_name() or person.get_username()
    codes = sorted(
        {assignment.role for assignment in person.role_assignments.all()},
        key=_ROLE_ORDER.__getitem__,
    )
    roles = [_lower_first(str(Role(code).label)) for code in codes]
    if not roles:
        return name
    said = (
        roles[0]
        if len(roles) == 1
        else _("%(roles)s och %(last)s")
        % {
            "roles": ", ".join(roles[:-1]),
            "last": roles[-1],
        }
    )
    return f"{name}, {said}"


def _lower_first(label: str) -> str:
    """A role's label mid-sentence: "programområdesansvarig", but "HSL styrgrupp" as it is."""
    if len(label) > 1 and label[1].islower():
        return label[0].lower() + label[1:]
    return label


@register.simple_tag
def user_has_role(user: User | AnonymousUser) -> bool:
    """Whether the user has any role at all (a user without one sees nothing)."""
    return scope_for(user).reads_anything


@register.simple_tag
def user_rights(user: User | AnonymousUser) -> list[str]:
    """What the user may do, one sentence a right, as gonv.rules grants it (for the 403 page).

    Empty for those who may change everything (the strategist, administrators) and for a user
    without a role (the page says that instead).
    """
    scope = scope_for(user)
    if scope.edits_everything or not scope.reads_anything:
        return []
    rights = []
    if Role.HEAD_OF_AREA in scope.roles:
        rights.append(_("Du kan rapportera för enheterna i ditt verksamhetsområde."))
    if Role.HEAD_OF_UNIT in scope.roles:
        rights.append(_("Du kan rapportera för din egen enhet."))
    if Role.PROGRAMME_OWNER in scope.roles and scope.area_numbers:
        areas = ", ".join(_("PO %(number)s") % {"number": n} for n in scope.area_numbers)
        rights.append(_("Du kan ändra ditt eget programområde (%(areas)s).") % {"areas": areas})
    if Role.PORTFOLIO_OWNER in scope.roles:
        rights.append(_("Du kan godkänna kvartalsrapporten."))
    if not rights:
        return [_("Du kan se uppföljningen för alla enheter, men inte ändra den.")]
    return [_("Du kan se uppföljningen för alla enheter."), *rights]


def _area_role_label(numbers: tuple[int, ...]) -> str:
    """ "Programområdesansvarig (PO 1)", or "(PO 1, PO 3)": which areas are the user's."""
    areas = ", ".join(_("PO %(number)s") % {"number": number} for number in numbers)
    return _("%(role)s (%(areas)s)") % {"role": Role.PROGRAMME_OWNER.label, "areas": areas}
