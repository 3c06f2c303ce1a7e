"""Who may do what: every role's rights on every kind of object, in one module.

Autodiscovered by `rules.apps.AutodiscoverRulesConfig`. Views, services and the admin all ask
`user.has_perm("<app>.<action>_<model>", obj)`; the predicates below answer from the user's role
assignments (organisation.RoleAssignment), loaded once per user object.

- admin, strateg: read and write everything;
- portföljägare, styrgrupp: read everything;
- programområdesansvarig: read everything, write their own programme area (its goals, milestones,
  working methods, assessments, answers to support needs);
- verksamhetschef (VC): read everything, write data about the units in their VO subtree
  (adoption status, observations, activity plans, support needs);
- vårdenhetschef (VEC): the same for their own unit;
- a user with no role reads nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import rules
from django.contrib.auth.models import AnonymousUser, User

from organisation.models import Role, RoleAssignment, Unit

GLOBAL_EDITORS = frozenset({Role.ADMIN, Role.STRATEGIST})
GLOBAL_READERS = frozenset({Role.PORTFOLIO_OWNER, Role.STEERING_GROUP}) | GLOBAL_EDITORS


@dataclass(frozen=True)
class Scope:
    """What one user's role assignments cover."""

    roles: frozenset[str] = frozenset()
    unit_ids: frozenset[int] = frozenset()  # every unit in the user's subtrees
    area_ids: frozenset[int] = frozenset()
    is_superuser: bool = False
    root_unit_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def edits_everything(self) -> bool:
        return self.is_superuser or bool(self.roles & GLOBAL_EDITORS)

    @property
    def reads_anything(self) -> bool:
        return self.is_superuser or bool(self.roles)


_EMPTY = Scope()
_CACHE_ATTR = "_gonv_scope"


def scope_for(user: User | AnonymousUser) -> Scope:
    """The user's scope, computed once per user object (that is, once per request)."""
    if not user.is_authenticated or not user.is_active:
        return _EMPTY
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    assignments = list(
        RoleAssignment.objects.filter(user=user).values_list("role", "unit_id", "programme_area_id")
    )
    root_ids = frozenset(unit for _, unit, _ in assignments if unit is not None)
    unit_ids = (
        frozenset(Unit.objects.in_subtree_of_any(root_ids).values_list("id", flat=True))
        if root_ids
        else frozenset()
    )
    scope = Scope(
        roles=frozenset(role for role, _, _ in assignments),
        unit_ids=unit_ids,
        area_ids=frozenset(area for _, _, area in assignments if area is not None),
        is_superuser=user.is_superuser,
        root_unit_ids=root_ids,
    )
    setattr(user, _CACHE_ATTR, scope)
    return scope


def forget_scope(user: User) -> None:
    """Drop the cached scope (after the user's role assignments change)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


# --- predicates -------------------------------------------------------------------------------


@rules.predicate
def can_read(user: User) -> bool:
    return scope_for(user).reads_anything


@rules.predicate
def edits_everything(user: User) -> bool:
    return scope_for(user).edits_everything


@rules.predicate
def is_admin(user: User) -> bool:
    scope = scope_for(user)
    return scope.is_superuser or Role.ADMIN in scope.roles


def _unit_id_of(obj: Any) -> int | None:
    """The unit an object is about (the unit itself, or its unit/plan's unit)."""
    if isinstance(obj, Unit):
        return obj.pk
    if hasattr(obj, "unit_id"):
        return obj.unit_id
    plan = getattr(obj, "plan", None)
    return plan.unit_id if plan is not None else None


def _area_id_of(obj: Any) -> int | None:
    """The programme area an object belongs to."""
    from programmes.models import ProgrammeArea

    if isinstance(obj, ProgrammeArea):
        return obj.pk
    if hasattr(obj, "programme_area_id"):
        return obj.programme_area_id
    goal = getattr(obj, "goal", None)
    return goal.programme_area_id if goal is not None else None


@rules.predicate
def edits_unit_of(user: User, obj: Any) -> bool:
    """The object is about a unit in the user's subtrees (with no object: any unit scope)."""
    scope = scope_for(user)
    if scope.edits_everything:
        return True
    if obj is None:
        return bool(scope.unit_ids)
    unit_id = _unit_id_of(obj)
    return unit_id is not None and unit_id in scope.unit_ids


@rules.predicate
def edits_area_of(user: User, obj: Any) -> bool:
    """The object belongs to a programme area the user owns (with no object: any area)."""
    scope = scope_for(user)
    if scope.edits_everything:
        return True
    if obj is None:
        return bool(scope.area_ids)
    area_id = _area_id_of(obj)
    return area_id is not None and area_id in scope.area_ids


@rules.predicate
def uploaded(user: User, job: Any) -> bool:
    """The import job's file was uploaded by the user."""
    return job is not None and job.user_id == user.pk


# --- permissions ------------------------------------------------------------------------------


def _crud(app_model: str, *, add: Any, change: Any, delete: Any) -> None:
    """Register view/add/change/delete for one model."""
    app, model = app_model.split(".")
    rules.add_perm(f"{app}.view_{model}", can_read)
    rules.add_perm(f"{app}.add_{model}", add)
    rules.add_perm(f"{app}.change_{model}", change)
    rules.add_perm(f"{app}.delete_{model}", delete)


rules.add_perm("gonv.view_portfolio", can_read)

# Structure: only the strategist and administrators shape the tree and the portfolio.
for name in (
    "organisation.unitkind",
    "organisation.unit",
    "programmes.phase",
    "programmes.phaseevent",
    "programmes.supportingprocess",
    "followup.measure",
    "followup.importbatch",
):
    _crud(name, add=edits_everything, change=edits_everything, delete=edits_everything)
_crud("organisation.roleassignment", add=is_admin, change=is_admin, delete=is_admin)
rules.add_perm("organisation.view_unitclosure", can_read)

# A programme area and what hangs off it: its owner and the strategist.
_crud(
    "programmes.programmearea", add=edits_everything, change=edits_area_of, delete=edits_everything
)
for name in (
    "programmes.workingmethod",
    "programmes.programmeareaprocess",
    "goals.goal",
    "goals.assessment",
):
    _crud(name, add=edits_area_of, change=edits_area_of, delete=edits_area_of)

# What a unit reports: its VC (the whole VO) or VEC (the unit), and the strategist.
for name in (
    "goals.adoptionrecord",
    "followup.observation",
    "programmes.activityplan",
    "programmes.activity",
):
    _crud(name, add=edits_unit_of, change=edits_unit_of, delete=edits_unit_of)

# A support need is raised for a unit and answered by the programme area.
_crud(
    "programmes.supportneed",
    add=edits_unit_of,
    change=edits_unit_of | edits_area_of,
    delete=edits_everything,
)

# A waiting upload (followup.ImportJob) is cancelled by whoever uploaded it, or the strategist.
rules.add_perm("followup.delete_importjob", uploaded | edits_everything)

# Computed rows are written by the follow-up job only.
for name in (
    "followup.measureresult",
    "followup.periodresult",
    "followup.spcresult",
    "followup.goalresult",
    "followup.computerun",
):
    _crud(name, add=rules.always_deny, change=rules.always_deny, delete=rules.always_deny)

# People and their accounts: administrators only (a role is given by an administrator alone).
for name in ("auth.user", "auth.group"):
    _crud(name, add=is_admin, change=is_admin, delete=is_admin)
    rules.set_perm(name.replace(".", ".view_"), is_admin)

# The schedules of the follow-up jobs (django-celery-beat): administrators only.
for name in (
    "django_celery_beat.periodictask",
    "django_celery_beat.crontabschedule",
    "django_celery_beat.intervalschedule",
    "django_celery_beat.solarschedule",
    "django_celery_beat.clockedschedule",
):
    _crud(name, add=is_admin, change=is_admin, delete=is_admin)
    rules.set_perm(name.replace(".", ".view_"), is_admin)

# Module permissions: which apps the admin index lists for a user (rules' documented
# `add_perm("<app_label>", predicate)`, asked by `user.has_module_perms`). Each model's own
# permissions then decide what the user may do inside the app.
for app_label in ("organisation", "programmes", "goals", "followup"):
    rules.add_perm(app_label, can_read)
for app_label in ("auth", "django_celery_beat"):
    rules.add_perm(app_label, is_admin)
