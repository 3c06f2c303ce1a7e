"""Who may do what: every role's rights on every kind of object, in one module.

Autodiscovered by `rules.apps.AutodiscoverRulesConfig`. Views, services and the admin all ask
`user.has_perm("<app>.<action>_<model>", obj)`; the predicates below answer from the user's role
assignments (organisation.RoleAssignment), loaded once per user object.

- admin, strateg: read and write everything;
- portföljägare, styrgrupp: read everything but draft activity plans (a VO's draft is read by
  the VO, the area's owner and the strategist: reads_plan_of); the portfolio owner approves
  the quarterly report (of the organisation their assignment names, or of every organisation
  with none);
- programområdesansvarig: read everything but other areas' draft activity plans, write their
  own programme area (its goals, milestones, working methods, assessments, answers to support
  needs, approval of activity plans), but not its phase or number (structure);
- verksamhetschef (VC): read everything but other VOs' draft activity plans, write data about
  the units in their VO subtree (adoption status, observations, activity plans up to
  submitting them, support needs but not their answer; an answered need they close);
- vårdenhetschef (VEC): the same for their own unit, except activity plans: a plan is the
  VO's (each VO submits one, its VECs take part), so a VEC reads their VO's plans;
- a user with no role reads nothing.
"""

from __future__ import annotations

from typing import Any

import rules
from django.contrib.auth.models import User

from followup.selectors import organisations, report_organisation_unit_id
from organisation.models import Role, Unit, UnitClosure
from organisation.selectors import (
    GLOBAL_EDITORS,
    GLOBAL_READERS,
    Scope,
    forget_scope,
    scope_for,
)

# The scope type and its computation live in organisation.selectors (the pages below gonv read
# it there); every predicate here answers from it.
__all__ = ["GLOBAL_EDITORS", "GLOBAL_READERS", "Scope", "forget_scope", "scope_for"]


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


def _owns_the_one_organisation(organisation_id: int, owned: frozenset[int]) -> bool:
    """With one organisation or none, the report belongs to the root of the tree and covers
    every phase (followup.selectors.report_organisation_unit_id): the owner of that one
    organisation approves it even where its unit is not the root."""
    choices = organisations()
    if len(choices) >= 2 or organisation_id != report_organisation_unit_id(None):
        return False
    return any(choice.id in owned for choice in choices)


@rules.predicate
def owns_organisation_of(user: User, report: Any) -> bool:
    """The user is a portfolio owner of the quarterly report's organisation: an assignment
    naming it (RoleAssignment.unit), or one naming none, which covers every organisation.
    With no object: the user owns any organisation's portfolio."""
    scope = scope_for(user)
    if Role.PORTFOLIO_OWNER not in scope.roles:
        return False
    if scope.owns_every_organisation:
        return True
    if report is None:
        return bool(scope.owned_organisation_ids)
    organisation_id = getattr(report, "organisation_id", None)
    if organisation_id is None:
        return False
    if organisation_id in scope.owned_organisation_ids:
        return True
    return _owns_the_one_organisation(organisation_id, scope.owned_organisation_ids)


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
def writes_plans_of(user: User, obj: Any) -> bool:
    """The activity plan (or activity) is about a unit under one of the user's VO
    assignments (with no object: any such unit)."""
    scope = scope_for(user)
    if scope.edits_everything:
        return True
    if obj is None:
        return bool(scope.head_of_area_unit_ids)
    unit_id = _unit_id_of(obj)
    return unit_id is not None and unit_id in scope.head_of_area_unit_ids


@rules.predicate
def reads_plan_of(user: User, obj: Any) -> bool:
    """The activity plan (or an activity of it) is one the user reads: a submitted or approved
    plan is every reader's; a draft only its VO's (its VC and the VECs of units under it), the
    programme area's owner and those who edit everything (with no object: any reader)."""
    from programmes.models import ActivityPlan

    scope = scope_for(user)
    if not scope.reads_anything:
        return False
    plan = obj if isinstance(obj, ActivityPlan) or obj is None else getattr(obj, "plan", None)
    if plan is None or plan.status != ActivityPlan.Status.DRAFT or scope.edits_everything:
        return True
    if plan.programme_area_id in scope.area_ids or plan.unit_id in scope.unit_ids:
        return True
    # A VEC's unit lies under the VO whose plan it is (one query).
    return bool(scope.root_unit_ids) and (
        UnitClosure.objects.filter(
            ancestor_id=plan.unit_id, descendant_id__in=scope.root_unit_ids
        ).exists()
    )


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
):
    _crud(name, add=edits_everything, change=edits_everything, delete=edits_everything)
# An import batch is written by the import alone and reverted by its undo ("Ångra import"):
# no add or change of the row (its counts, its "ångrad", its flag "syntetiska värden"), so
# neither the admin's forms nor a history revert bypass them. The demo data's batch is deleted
# with its values (followup.imports.undo.import_batch_delete); a real one is refused there.
_crud(
    "followup.importbatch", add=rules.always_deny, change=rules.always_deny, delete=edits_everything
)
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
for name in ("goals.adoptionrecord", "followup.observation"):
    _crud(name, add=edits_unit_of, change=edits_unit_of, delete=edits_unit_of)
# The VO's activity plan: its VC and the strategist (a VEC reads it). A draft is the VO's own
# work in progress: read by the VO (its VC, its units' VECs), the area's owner and the
# strategist; every reader reads a submitted or approved plan.
for name in ("programmes.activityplan", "programmes.activity"):
    _crud(name, add=writes_plans_of, change=writes_plans_of, delete=writes_plans_of)
    rules.set_perm(name.replace(".", ".view_"), reads_plan_of)

# An activity plan is written and submitted by its VO; approving it ("Godkänd") or sending it
# back to draft is the programme area's (its owner, the strategist), never the VO's own: an
# area's owner who is also a manager of the plan's unit (its VC or VEC) does not review it.
rules.add_perm(
    "programmes.approve_activityplan", edits_everything | (edits_area_of & ~edits_unit_of)
)

# A support need is raised for a unit and answered by the programme area: its status and answer
# are the area's alone, so the VC or VEC who raised it cannot answer or close it themselves.
_crud(
    "programmes.supportneed",
    add=edits_unit_of,
    change=edits_unit_of | edits_area_of,
    delete=edits_everything,
)
rules.add_perm("programmes.answer_supportneed", edits_area_of)
# Once answered, the unit's managers who may raise it (its VC or VEC, the strategist) close it
# when the answer is enough ("Avsluta – svaret räcker"); they never write the answer.
rules.add_perm("programmes.close_supportneed", edits_unit_of)

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

# The quarterly report: the strategist closes the quarter (and reopens a closed report that is
# not approved), the portfolio owner approves it or sends it back; administrators may do both.
# A portfolio owner assigned to an organisation reviews that organisation's reports only
# (asked with the report, or an unsaved one naming its organisation).
# Only those transitions write it (followup.services.quarter_report_*): no add, change or
# delete of the row itself, so neither the admin's forms nor a history revert bypass them.
rules.add_perm("followup.view_quarterreport", can_read)
rules.add_perm("followup.close_quarterreport", edits_everything)
rules.add_perm("followup.approve_quarterreport", owns_organisation_of | is_admin)
for action in ("add", "change", "delete"):
    rules.add_perm(f"followup.{action}_quarterreport", rules.always_deny)
# A report's earlier versions (each close's frozen body, kept through a reopening or a
# send-back): read by whoever reads the reports; written only by those same transitions.
rules.add_perm("followup.view_quarterreportversion", can_read)
for action in ("add", "change", "delete"):
    rules.add_perm(f"followup.{action}_quarterreportversion", rules.always_deny)

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
