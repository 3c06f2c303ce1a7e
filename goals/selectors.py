"""Reads of goals for pages and reports."""

from __future__ import annotations

from django.db.models import Prefetch

from programmes.models import Phase, ProgrammeArea

from .models import Goal


def portfolio_overview() -> list[Phase]:
    """Phases with their programme areas, top-level goals and milestones (fixed query count)."""
    milestones = Goal.objects.select_related("unit_kind", "measure", "working_method").order_by(
        "deadline", "order", "id"
    )
    goals = (
        Goal.objects.top_level()
        .select_related("unit_kind", "measure", "working_method")
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
