"""Reads of the precomputed follow-up for pages and reports (no computation here)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from goals.selectors import portfolio_overview
from goals.status import Status, overall_status
from gonv.periods import Quarter
from programmes.models import Phase

from .models import ComputeRun, GoalResult


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
            for goal in area.top_goals:
                goal.result = results.get(goal.pk)
                statuses.append(_status_of(goal.result))
                for milestone in goal.milestones.all():
                    milestone.result = results.get(milestone.pk)
                    statuses.append(_status_of(milestone.result))
            area.overall_status = overall_status(statuses)
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
