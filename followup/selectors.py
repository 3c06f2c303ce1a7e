"""Reads of the precomputed follow-up for pages and reports, and of which quarters there are to
compute (no computation here)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from base.periods import Quarter, quarter_range
from goals.selectors import portfolio_overview
from goals.status import Status, overall_status
from programmes.models import Phase

from .models import ComputeRun, GoalResult, Observation


@dataclass(frozen=True)
class PortfolioStatus:
    """The portfolio with each goal's `result` and each area's `overall_status` attached."""

    phases: list[Phase]
    quarter: Quarter | None
    computed_at: datetime.datetime | None


def status_quarter(today: datetime.date | None = None) -> Quarter | None:
    """The quarter the dashboards show: the current one, else the latest computed one."""
    current = Quarter.containing(today or timezone.localdate())
    latest = (
        GoalResult.objects.filter(quarter__lte=current.code)
        .order_by("-quarter")
        .values_list("quarter", flat=True)
        .first()
    )
    return Quarter.parse(latest) if latest else None


def portfolio_with_status(*, today: datetime.date | None = None) -> PortfolioStatus:
    """Phases → areas → goals and milestones, each with its computed result for the quarter."""
    phases = portfolio_overview()
    quarter = status_quarter(today)
    if quarter is None:
        return PortfolioStatus(phases=phases, quarter=None, computed_at=None)
    results = {row.goal_id: row for row in GoalResult.objects.filter(quarter=quarter.code)}
    for phase in phases:
        for area in phase.programme_areas.all():
            statuses: list[Status | None] = []
            # top_goals: the Prefetch's to_attr (goals.selectors); the results are attached here.
            for goal in area.top_goals:  # type: ignore[attr-defined]
                goal.result = results.get(goal.pk)
                statuses.append(_status_of(goal.result))
                for milestone in goal.milestones.all():
                    milestone.result = results.get(milestone.pk)
                    statuses.append(_status_of(milestone.result))
            area.overall_status = overall_status(statuses)  # type: ignore[attr-defined]
    computed_at = (
        ComputeRun.objects.filter(quarter=quarter.code, error="")
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )
    return PortfolioStatus(phases=phases, quarter=quarter, computed_at=computed_at)


def _status_of(result: GoalResult | None) -> Status | None:
    """The status a goal contributes to its area: computed, or the manual one for direction."""
    if result is None:
        return None
    code = result.status or result.assessment_status
    return Status(code) if code else None


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
