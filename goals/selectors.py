"""Reads of goals for pages and reports."""

from __future__ import annotations

from django.db.models import F, Prefetch

from programmes.models import Phase, ProgrammeArea

from .models import AdoptionRecord, Assessment, Goal


def portfolio_overview() -> list[Phase]:
    """Phases with their programme areas, top-level goals and milestones (fixed query count)."""
    # Nulls last on both databases, so goals without a deadline sort alike everywhere.
    by_deadline = (F("deadline").asc(nulls_last=True), "order", "id")
    milestones = Goal.objects.select_related("unit_kind", "measure", "working_method").order_by(
        *by_deadline
    )
    goals = (
        Goal.objects.top_level()
        .select_related("unit_kind", "measure", "working_method")
        .order_by("order", *by_deadline)
        .prefetch_related(Prefetch("milestones", queryset=milestones))
    )
    areas = ProgrammeArea.objects.prefetch_related(
        Prefetch("goals", queryset=goals, to_attr="top_goals"), "supporting_processes"
    )
    return list(
        Phase.objects.prefetch_related(Prefetch("programme_areas", queryset=areas)).order_by(
            "start_date"
        )
    )


def goal_tree_for_area(*, area: ProgrammeArea) -> list[Goal]:
    """An area's top-level goals with their milestones and both's assessments (newest first)."""
    by_deadline = (F("deadline").asc(nulls_last=True), "order", "id")
    assessments = Assessment.objects.select_related("author").order_by("-quarter")
    milestones = (
        Goal.objects.select_related("unit_kind", "measure", "working_method")
        .prefetch_related(Prefetch("assessments", queryset=assessments))
        .order_by(*by_deadline)
    )
    return list(
        Goal.objects.top_level()
        .filter(programme_area=area)
        .select_related("unit_kind", "measure", "working_method")
        .prefetch_related(
            Prefetch("milestones", queryset=milestones),
            Prefetch("assessments", queryset=assessments),
        )
        .order_by("order", *by_deadline)
    )


def adoption_records_of(*, unit_ids: list[int]) -> list[AdoptionRecord]:
    """The adoption records of these units with their working methods (one query)."""
    return list(
        AdoptionRecord.objects.filter(unit_id__in=unit_ids)
        .select_related("working_method__programme_area")
        .order_by("working_method__programme_area__number", "working_method__name")
    )


def adoption_records_without_plan(*, unit_ids: list[int]) -> list[AdoptionRecord]:
    """Adoption not started or planned but without a planned date (the units' to-do)."""
    return list(
        AdoptionRecord.objects.filter(
            unit_id__in=unit_ids,
            status__in=[AdoptionRecord.Status.NOT_STARTED, AdoptionRecord.Status.PLANNED],
            planned_date__isnull=True,
        )
        .select_related("unit", "working_method")
        .order_by("unit__name", "working_method__name")
    )
