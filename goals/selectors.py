"""Reads of goals for pages and reports."""

from __future__ import annotations

from django.db.models import F, Prefetch

from programmes.models import Phase, ProgrammeArea, ProgrammeAreaProcess

from .models import Goal


def portfolio_overview() -> list[Phase]:
    """Phases with their timeline, areas, process links, goals and milestones (fixed queries)."""
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
    links = ProgrammeAreaProcess.objects.select_related("supporting_process").order_by(
        "supporting_process__name"
    )
    areas = ProgrammeArea.objects.prefetch_related(
        Prefetch("goals", queryset=goals, to_attr="top_goals"),
        Prefetch("process_links", queryset=links),
    )
    return list(
        Phase.objects.prefetch_related(
            Prefetch("programme_areas", queryset=areas), "events"
        ).order_by("start_date")
    )
