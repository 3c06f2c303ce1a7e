"""Reads of programme areas, working methods, activity plans and support needs for pages."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from base.history import author_label
from organisation.models import Role, RoleAssignment, Unit, UnitClosure
from organisation.selectors import Scope, scope_for

from .models import Activity, ActivityPlan, ProgrammeArea, SupportNeed, WorkingMethod


def programme_area_owned_by(*, area_ids: Iterable[int]) -> ProgrammeArea | None:
    """The programme area a programme owner lands on: their lowest-numbered, latest phase."""
    return (
        ProgrammeArea.objects.filter(pk__in=list(area_ids))
        .order_by("-phase__start_date", "number")
        .first()
    )


def programme_areas_owned() -> list[ProgrammeArea]:
    """The area every programme owner lands on (programme_area_owned_by), once per area, by
    number (one query)."""
    owned = (
        # A deactivated account lands nowhere (as organisation.selectors.home_units).
        RoleAssignment.objects.filter(
            role=Role.PROGRAMME_OWNER, programme_area__isnull=False, user__is_active=True
        )
        .select_related("programme_area")
        .order_by("user_id", "-programme_area__phase__start_date", "programme_area__number")
    )
    landing: dict[int, ProgrammeArea] = {}
    for assignment in owned:
        if assignment.programme_area is not None:
            landing.setdefault(assignment.user_id, assignment.programme_area)
    areas = {area.pk: area for area in landing.values()}
    return sorted(areas.values(), key=lambda area: (area.number, area.pk))


def programme_area_get(
    *, number: int, organisation_id: int | None = None, phase_code: str = ""
) -> ProgrammeArea | None:
    """The programme area with this number in the latest phase that has one.

    With `organisation_id` (an installation of several organisations): the latest such phase of
    that organisation, else of no organisation; an area of another organisation never (areas of
    several organisations share numbers: each region's "PO 1"). With `phase_code`: that phase's.
    """
    areas = ProgrammeArea.objects.filter(number=number)
    order: list[Any] = ["-phase__start_date", "pk"]
    if phase_code:
        areas = areas.filter(phase__code=phase_code)
    elif organisation_id is not None:
        areas = areas.filter(
            Q(phase__organisation_unit_id=organisation_id)
            | Q(phase__organisation_unit__isnull=True)
        )
        # The organisation's own area before one of a phase of no organisation.
        order.insert(0, F("phase__organisation_unit_id").asc(nulls_last=True))
    return (
        areas.select_related("phase__organisation_unit")
        # The owners' roles name them on the page ("Anna Berg, HSL styrgrupp"): one query more
        # where the area has owners, none where it has none.
        .prefetch_related("delivery_owners__role_assignments", "supporting_processes")
        .order_by(*order)
        .first()
    )


def activities_overdue(*, unit_ids: list[int], today: datetime.date) -> list[Activity]:
    """Activities of these units' plans past their end date and neither done nor cancelled."""
    return list(
        Activity.objects.filter(plan__unit_id__in=unit_ids, end_date__lt=today)
        .exclude(status__in=[Activity.Status.DONE, Activity.Status.CANCELLED])
        .select_related("plan__unit", "plan__programme_area")
        .order_by("end_date", "title")
    )


def support_needs_open(*, unit_ids: list[int]) -> list[SupportNeed]:
    """The units' support needs that are not closed, newest first, with their answers."""
    return list(
        SupportNeed.objects.filter(unit_id__in=unit_ids)
        .exclude(status=SupportNeed.Status.CLOSED)
        .select_related("unit", "programme_area")
        .order_by("-created_at")
    )


def support_needs_visible_to(*, user: User | AnonymousUser) -> QuerySet[SupportNeed]:
    """The support needs a user reads: every one for those who read everything, else those
    raised for the user's units and those of the user's programme areas."""
    scope = scope_for(user)
    needs = SupportNeed.objects.select_related("unit", "programme_area", "raised_by")
    if scope.reads_everything:
        return needs
    return needs.filter(Q(unit_id__in=scope.unit_ids) | Q(programme_area_id__in=scope.area_ids))


def activities_of_area(*, area: ProgrammeArea) -> list[Activity]:
    """The VOs' activity-plan activities for a programme area, by start date (one query): of
    the area's organisation's units only, when its phase has one (the area's phase loaded).

    Only submitted and approved plans': a draft is its VO's work in progress, read on the
    plan's own page by those gonv.rules lets (reads_plan_of), not on the area's page that every
    reader sees (its timeline is one cached region for all)."""
    activities = Activity.objects.filter(plan__programme_area=area).exclude(
        plan__status=ActivityPlan.Status.DRAFT
    )
    organisation_id = area.phase.organisation_unit_id
    if organisation_id is not None:
        activities = activities.filter(plan__unit__ancestor_links__ancestor_id=organisation_id)
    return list(activities.select_related("plan__unit").order_by("start_date", "end_date", "title"))


def areas_per_unit(*, units: list[Unit]) -> list[tuple[Unit, list[ProgrammeArea]]]:
    """Each unit with the programme areas its plans may be for: those of phases of an
    organisation at or above it, and of phases of no organisation (two queries)."""
    above: dict[int, set[int]] = {}
    for descendant_id, ancestor_id in UnitClosure.objects.filter(
        descendant__in=[unit.pk for unit in units]
    ).values_list("descendant_id", "ancestor_id"):
        above.setdefault(descendant_id, set()).add(ancestor_id)
    areas = list(
        ProgrammeArea.objects.select_related("phase").order_by("phase__start_date", "number", "pk")
    )
    return [
        (
            unit,
            [
                area
                for area in areas
                if area.phase.organisation_unit_id is None
                or area.phase.organisation_unit_id in above.get(unit.pk, set())
            ],
        )
        for unit in units
    ]


# A draft the programme area sent back for completion (a draft with a review), and an approved
# plan it reopened for change (the review's `reopened`), in plan_statuses: the VO's list says
# so rather than only "Utkast".
SENT_BACK = "tillbakaskickad"
REOPENED = "oppnad"


def plan_statuses(*, units: list[Unit]) -> dict[tuple[int, int], str]:
    """The status of each of these units' activity plans by (unit id, area id), in one query,
    SENT_BACK for a draft sent back and REOPENED for one reopened for change; a pair without a
    plan is missing (not started)."""
    rows = ActivityPlan.objects.filter(unit__in=units).values_list(
        "unit_id", "programme_area_id", "status", "reviewed_at", "reopened"
    )
    return {
        (unit_id, area_id): (REOPENED if reopened else SENT_BACK)
        if status == ActivityPlan.Status.DRAFT and reviewed_at is not None
        else status
        for unit_id, area_id, status, reviewed_at, reopened in rows
    }


def plan_units_for(*, user: User | AnonymousUser) -> list[tuple[Unit, bool]]:
    """The units whose plans the user's list shows, by name, each with whether the user writes
    them: the units of the user's roles whose plans they write (a VC's VO; every unit for those
    who edit everything, as gonv.rules.writes_plans_of), and for a unit whose plans the user
    does not write (a VEC's health centre) the VO above it, read-only: a plan is the VO's. A
    closed unit gets no new plan; its submitted plans stay listed below."""
    scope = scope_for(user)
    today = timezone.localdate()
    roots = Unit.objects.filter(pk__in=scope.root_unit_ids).exclude(valid_to__lt=today)
    writes: dict[int, bool] = {}
    parents: set[int] = set()
    for root in roots:
        if scope.edits_everything or root.pk in scope.head_of_area_unit_ids:
            writes[root.pk] = True
        elif root.parent_id is not None:
            parents.add(root.parent_id)
    for parent_id in parents - set(writes):
        writes[parent_id] = False
    units = Unit.objects.filter(pk__in=writes).exclude(valid_to__lt=today).order_by("name")
    return [(unit, writes[unit.pk]) for unit in units]


def activity_plan_for(*, area: ProgrammeArea, unit: Unit) -> ActivityPlan:
    """The unit's activity plan for the area, or a new unsaved one when it has none."""
    return ActivityPlan.objects.filter(programme_area=area, unit=unit).first() or ActivityPlan(
        programme_area=area, unit=unit
    )


def plans_awaiting_review(*, scope: Scope) -> list[ActivityPlan]:
    """The submitted plans this user reviews, oldest submission first (one query): every one
    for those who edit everything, else those of the user's programme areas, except plans of
    units the user manages (a VC never reviews their own plan, as gonv.rules says)."""
    plans = ActivityPlan.objects.filter(status=ActivityPlan.Status.SUBMITTED)
    return _reviewed_by(scope, plans, "submitted_at")


def _reviewed_by(scope: Scope, plans: QuerySet[ActivityPlan], oldest: str) -> list[ActivityPlan]:
    """Those of the plans this user reviews (every one for those who edit everything, else
    those of the user's programme areas except plans of units the user manages), oldest
    `oldest` first, in one query."""
    if not scope.edits_everything:
        if not scope.area_ids:
            return []
        plans = plans.filter(programme_area_id__in=scope.area_ids).exclude(
            unit_id__in=scope.unit_ids
        )
    return list(
        plans.select_related("unit", "programme_area", "reviewed_by").order_by(
            oldest, "programme_area__number", "unit__name"
        )
    )


def plans_returned_by_review(*, scope: Scope) -> list[ActivityPlan]:
    """The plans this user reviews (as plans_awaiting_review) that were sent back or reopened
    for change and are with the VO again, oldest return first (one query): the reviewer's
    "ball in their court"."""
    plans = ActivityPlan.objects.filter(status=ActivityPlan.Status.DRAFT, reviewed_at__isnull=False)
    return _reviewed_by(scope, plans, "reviewed_at")


def plans_to_complete(*, unit_ids: list[int]) -> list[ActivityPlan]:
    """These units' draft plans the VO has left to submit, in one query: those the programme
    area sent back for completion or reopened for change (`reopened`; a review on a draft),
    oldest review first, with the reviewer's words; then drafts with activities that were never
    submitted or were taken back (no review), by unit and area."""
    has_activities = Exists(Activity.objects.filter(plan=OuterRef("pk")))
    return list(
        ActivityPlan.objects.filter(unit_id__in=unit_ids, status=ActivityPlan.Status.DRAFT)
        .filter(Q(reviewed_at__isnull=False) | has_activities)
        .select_related("unit", "programme_area")
        .order_by(F("reviewed_at").asc(nulls_last=True), "unit__name", "programme_area__number")
    )


def plans_not_started(*, units: list[Unit]) -> list[tuple[Unit, ProgrammeArea]]:
    """The activity plans asked of these units and not started: each VO among them
    (`UnitKind.is_vo`, the kind loaded) with each programme area of its organisation that asks
    for plans (`requests_activity_plans`), where it has no plan or only an empty draft nobody
    has reviewed (a draft with activities or a review is plans_to_complete's). By VO name and
    area (areas_per_unit's order); no query without a VO, else at most three."""
    vos = sorted((unit for unit in units if unit.kind.is_vo), key=lambda unit: unit.name)
    if not vos:
        return []
    # Which areas a VO's plans may be for is areas_per_unit's rule; of those, the ones asking.
    asked = [
        (vo, area)
        for vo, areas in areas_per_unit(units=vos)
        for area in areas
        if area.requests_activity_plans
    ]
    if not asked:
        return []
    has_activities = Exists(Activity.objects.filter(plan=OuterRef("pk")))
    started = set(
        ActivityPlan.objects.filter(
            unit__in=vos, programme_area__in={area.pk for _vo, area in asked}
        )
        .filter(
            ~Q(status=ActivityPlan.Status.DRAFT) | Q(reviewed_at__isnull=False) | has_activities
        )
        .values_list("unit_id", "programme_area_id")
    )
    return [(vo, area) for vo, area in asked if (vo.pk, area.pk) not in started]


def working_methods_for_units(*, units: QuerySet[Unit]) -> QuerySet[WorkingMethod]:
    """The working methods any of the units may adopt: those of areas of the units'
    organisations (a phase's organisation unit above or at a unit) and of phases of no
    organisation, which are everyone's (as goals.models.AdoptionRecord.clean decides)."""
    organisation = "programme_area__phase__organisation_unit"
    reaches = UnitClosure.objects.filter(ancestor=OuterRef(organisation), descendant__in=units)
    return WorkingMethod.objects.filter(Q(**{f"{organisation}__isnull": True}) | Exists(reaches))


def area_pending_counts(*, area: ProgrammeArea, scope: Scope) -> tuple[int, int]:
    """What waits for this user in one programme area (one query): the submitted plans they
    review (as plans_awaiting_review: not those of units they manage) and the support needs
    nobody has answered yet (Nytt, Pågår)."""
    plans = ActivityPlan.objects.filter(
        programme_area=OuterRef("pk"), status=ActivityPlan.Status.SUBMITTED
    )
    if not scope.edits_everything:
        plans = plans.exclude(unit_id__in=scope.unit_ids)
    needs = SupportNeed.objects.filter(
        programme_area=OuterRef("pk"),
        status__in=[SupportNeed.Status.OPEN, SupportNeed.Status.IN_PROGRESS],
    )
    row = (
        ProgrammeArea.objects.filter(pk=area.pk)
        .annotate(
            plans=_count_of(plans),
            needs=_count_of(needs),
        )
        .values_list("plans", "needs")
        .first()
    )
    return (int(row[0]), int(row[1])) if row else (0, 0)


def _count_of(rows: QuerySet[Any]) -> Any:
    """A correlated subquery counting the rows (0 for none)."""
    counted = rows.order_by().values("programme_area").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def support_need_answered(need: SupportNeed) -> tuple[str, datetime.datetime] | None:
    """Who gave the need its current answer and when (one query): the oldest history record
    of the latest run that carries today's answer. None while it has no answer."""
    if not need.response:
        return None
    answered = None
    records = need.history.select_related("history_user").order_by("-history_date", "-history_id")
    for record in records:
        if record.response != need.response:
            break
        answered = record
    if answered is None:
        return None
    return author_label(
        answered.history_user, answered.history_change_reason
    ), answered.history_date


# Who may be an area's delivery owner (leveransansvarig): the HSL steering group's members share
# the delivery responsibility for the programme areas (DOMAIN.md), with the portfolio owner and
# the areas' programme owners; not unit managers or administrators.
DELIVERY_OWNER_ROLES = (Role.STEERING_GROUP, Role.PORTFOLIO_OWNER, Role.PROGRAMME_OWNER)


def delivery_owner_choices(area: ProgrammeArea | None = None) -> QuerySet[User]:
    """The people offered as an area's delivery owners, by name: active users with a steering
    role, and whoever the area has now (kept, whatever their role)."""
    offered = Q(is_active=True, role_assignments__role__in=DELIVERY_OWNER_ROLES)
    if area is not None and area.pk is not None:
        offered |= Q(owned_programme_areas=area)
    ids = User.objects.filter(offered).values("pk")
    return User.objects.filter(pk__in=ids).order_by("first_name", "last_name", "username")


def person_label(user: User) -> str:
    """A person as a choice: "Sara Provberg (styrgrupp)", the username alone with no name."""
    name = user.get_full_name()
    return f"{name} ({user.get_username()})" if name else user.get_username()
