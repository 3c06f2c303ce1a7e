"""Writes to the organisation: units, the closure table, role assignments.

`unit_save_trusted`, `unit_create_trusted` and `role_assign_trusted` are the trusted writes of
the data-set loader (no acting user, no permission check: the name says so at every call);
everything a person does goes through the checked services below them (`unit_create`, …).
"""

from __future__ import annotations

import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from base.writes import (
    Actor,
    authorize_delete,
    authorize_save,
    checked_delete,
    checked_save,
    set_history_user,
)

from .models import Role, RoleAssignment, Unit, UnitClosure, UnitKind

ERROR_UNIT_FORBIDDEN = gettext_noop("Du har inte behörighet att ändra organisationen.")
ERROR_ROLE_FORBIDDEN = gettext_noop("Bara administratörer kan dela ut roller.")
ERROR_CYCLE = gettext_noop(
    "En enhet kan inte placeras under sig själv eller en av sina underenheter."
)

# A recursive CTE that SQLite and PostgreSQL both run; one statement for any depth of tree.
_CLOSURE_SQL = """
WITH RECURSIVE tree(ancestor_id, descendant_id, depth) AS (
    SELECT id, id, 0 FROM {unit}
    UNION ALL
    SELECT tree.ancestor_id, child.id, tree.depth + 1
    FROM tree JOIN {unit} child ON child.parent_id = tree.descendant_id
)
INSERT INTO {closure} (ancestor_id, descendant_id, depth)
SELECT ancestor_id, descendant_id, depth FROM tree
"""


def unit_tree_rebuild() -> int:
    """Rebuild the closure table from the parent links; returns the number of pairs."""
    unit_table = connection.ops.quote_name(Unit._meta.db_table)
    closure_table = connection.ops.quote_name(UnitClosure._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Two rebuilds at once would both insert every pair (a unique violation); the
            # second waits here and then rebuilds from what the first committed. SQLite
            # serialises writers by itself.
            cursor.execute(f"LOCK TABLE {closure_table} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {closure_table}")
        cursor.execute(_CLOSURE_SQL.format(unit=unit_table, closure=closure_table))
        return cursor.rowcount


def _check_no_cycle(unit: Unit, parent: Unit | None) -> None:
    """Refuse a parent that is the unit itself or lies below it."""
    if parent is None or unit.pk is None:
        return
    if (
        parent.pk == unit.pk
        or UnitClosure.objects.filter(ancestor_id=unit.pk, descendant_id=parent.pk).exists()
    ):
        raise ValidationError(_(ERROR_CYCLE))


@transaction.atomic
def unit_save_trusted(*, unit: Unit) -> Unit:
    """Create or update a unit and keep the closure table in step."""
    if unit.pk is not None:
        _check_no_cycle(unit, unit.parent)
    unit.full_clean()
    unit.save()
    unit_tree_rebuild()
    return unit


def unit_create_trusted(
    *,
    code: str,
    name: str,
    kind: UnitKind,
    parent: Unit | None = None,
    valid_from: datetime.date | None = None,
    valid_to: datetime.date | None = None,
    hsa_id: str | None = None,
) -> Unit:
    """Create a unit under a parent."""
    return unit_save_trusted(
        unit=Unit(
            code=code,
            hsa_id=hsa_id,
            name=name,
            kind=kind,
            parent=parent,
            valid_from=valid_from,
            valid_to=valid_to,
        )
    )


@transaction.atomic
def role_assign_trusted(
    *,
    user: User,
    role: Role | str,
    unit: Unit | None = None,
    programme_area: object | None = None,
) -> RoleAssignment:
    """Give a user a role with its scope (idempotent)."""
    assignment, _ = RoleAssignment.objects.get_or_create(
        user=user,
        role=role,
        unit=unit,
        # A ProgrammeArea, which organisation may not import (a string foreign key upward).
        programme_area=programme_area,  # type: ignore[misc]
    )
    return assignment


# --- what a person does (permission-checked) -------------------------------------------------


def unit_create(*, user: Actor, unit: Unit) -> Unit:
    """Create a unit from an unsaved instance (the strategist and administrators)."""
    if unit.pk is not None:
        raise ValueError("unit_create takes an unsaved unit")
    with transaction.atomic():
        authorize_save(user=user, obj=unit, message=_(ERROR_UNIT_FORBIDDEN))
        set_history_user(unit, user)
        return unit_save_trusted(unit=unit)


def unit_update(*, user: Actor, unit: Unit) -> Unit:
    """Change a unit (its place in the tree too; the closure table follows)."""
    if unit.pk is None:
        raise ValueError("unit_update takes a saved unit")
    with transaction.atomic():
        authorize_save(user=user, obj=unit, message=_(ERROR_UNIT_FORBIDDEN))
        set_history_user(unit, user)
        return unit_save_trusted(unit=unit)


def unit_delete(*, user: Actor, unit: Unit) -> None:
    """Delete a unit and rebuild the closure table."""
    with transaction.atomic():
        authorize_delete(user=user, obj=unit, message=_(ERROR_UNIT_FORBIDDEN))
        set_history_user(unit, user)
        unit.delete()
        unit_tree_rebuild()


def role_assignment_create(*, user: Actor, assignment: RoleAssignment) -> RoleAssignment:
    """Give someone a role (administrators only)."""
    if assignment.pk is not None:
        raise ValueError("role_assignment_create takes an unsaved assignment")
    return _role_assignment_save(user=user, assignment=assignment)


def role_assignment_update(*, user: Actor, assignment: RoleAssignment) -> RoleAssignment:
    """Change a role assignment (administrators only)."""
    if assignment.pk is None:
        raise ValueError("role_assignment_update takes a saved assignment")
    return _role_assignment_save(user=user, assignment=assignment)


def role_assignment_delete(*, user: Actor, assignment: RoleAssignment) -> None:
    """Take a role away (administrators only)."""
    checked_delete(user=user, obj=assignment, message=_(ERROR_ROLE_FORBIDDEN))


def _role_assignment_save(*, user: Actor, assignment: RoleAssignment) -> RoleAssignment:
    return checked_save(user=user, obj=assignment, message=_(ERROR_ROLE_FORBIDDEN))
