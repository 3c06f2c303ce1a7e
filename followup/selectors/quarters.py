"""Which quarters to compute (every quarter in scope, those a change affects), and a goal's
block as the dashboards show it for a quarter.
"""

from __future__ import annotations

import datetime

from django.db.models import Prefetch
from django.utils import timezone

from base.periods import Quarter, quarter_range
from goals.models import Assessment, Goal
from programmes.models import Phase

from ..models import Observation
from .values import goal_results_of

# --- which quarters to compute ---------------------------------------------------------------


def quarters_in_scope(today: datetime.date | None = None) -> list[Quarter]:
    """Every quarter with data or plan to compute: from the earliest to the current one."""
    today = today or timezone.localdate()
    starts = [
        day
        for day in (
            Phase.objects.order_by("start_date").values_list("start_date", flat=True).first(),
            Observation.objects.order_by("period_start")
            .values_list("period_start", flat=True)
            .first(),
        )
        if day is not None
    ]
    if not starts:
        return [Quarter.containing(today)]
    first = Quarter.containing(min(starts))
    return quarter_range(first, max(first, Quarter.containing(today)))


def quarters_affected_from(
    first: Quarter | str, today: datetime.date | None = None
) -> list[Quarter]:
    """A change in one quarter alters it and every later one (SPC series, goal status)."""
    start = Quarter.parse(first) if isinstance(first, str) else first
    current = Quarter.containing(today or timezone.localdate())
    return quarter_range(start, current) if start <= current else []


def goal_block_get(*, code: str, quarter: Quarter | None) -> Goal | None:
    """A goal or milestone as its block on the dashboards shows it (the inline editing's
    "Spara" and "Avbryt" give the block back): the relations its line and the Mål page's header
    read, its assessments (newest first) and its result for the quarter as `result`."""
    assessments = Assessment.objects.select_related("author").order_by("-quarter")
    goal = (
        Goal.objects.with_deadline_move()
        .select_related("programme_area", "parent", "measure", "working_method", "unit_kind")
        .prefetch_related(Prefetch("assessments", queryset=assessments))
        .filter(code=code)
        .first()
    )
    if goal is not None:
        results = goal_results_of(quarter=quarter, goals=[goal]) if quarter else {}
        goal.result = results.get(goal.pk)  # type: ignore[attr-defined]
    return goal
