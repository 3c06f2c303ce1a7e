"""Reads of programme areas, working methods, activity plans and support needs for pages."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from .models import Activity, ProgrammeArea, SupportNeed


def programme_area_owned_by(*, area_ids: Iterable[int]) -> ProgrammeArea | None:
    """The programme area a programme owner lands on: their lowest-numbered, latest phase."""
    return (
        ProgrammeArea.objects.filter(pk__in=list(area_ids))
        .order_by("-phase__start_date", "number")
        .first()
    )


def programme_area_get(*, number: int) -> ProgrammeArea | None:
    """The programme area with this number in the latest phase that has one."""
    return (
        ProgrammeArea.objects.filter(number=number)
        .select_related("phase")
        .prefetch_related("delivery_owners", "supporting_processes")
        .order_by("-phase__start_date")
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


def activities_of_area(*, area: ProgrammeArea) -> list[Activity]:
    """The VOs' activity-plan activities for a programme area, by start date (one query)."""
    return list(
        Activity.objects.filter(plan__programme_area=area)
        .select_related("plan__unit")
        .order_by("start_date", "end_date", "title")
    )
