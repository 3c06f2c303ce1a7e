"""Reads of the precomputed follow-up for pages and reports (no computation here)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from goals.models import AdoptionRecord, Goal
from goals.selectors import adoption_records_of, goal_tree_for_area, portfolio_overview
from goals.status import Status, overall_status
from gonv.periods import Quarter
from organisation.models import Unit
from organisation.selectors import region_unit, unit_ancestors, unit_children
from programmes.models import Phase, ProgrammeArea

from .cache import cached
from .models import (
    ComputeRun,
    GoalResult,
    Measure,
    MeasureResult,
    Observation,
    SpcResult,
)
from .summary import DueMilestone, SummaryFacts, quarter_summary


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


def portfolio_with_status(*, quarter: Quarter | None) -> PortfolioStatus:
    """Phases → areas → goals and milestones, each with its computed result for the quarter."""
    phases = portfolio_overview()
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
        ComputeRun.objects.filter(quarter=quarter.code)
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


def computed_quarters() -> list[Quarter]:
    """Every quarter the engine has written results for, newest first (cached per generation)."""

    def build() -> list[str]:
        codes = set(GoalResult.objects.values_list("quarter", flat=True).distinct())
        codes |= set(ComputeRun.objects.values_list("quarter", flat=True).distinct())
        return sorted(codes, reverse=True)

    return [Quarter.parse(code) for code in cached("computed-quarters", build)]


# --- measure values of units, as the dashboards show them ---------------------------------------


@dataclass
class MeasureLine:
    """One measure's computed value for a unit and quarter, with its SPC chart's summary and the
    same measure's value for the units it is compared with (its parent, the region)."""

    measure: Measure
    result: MeasureResult | None
    spc: dict[str, Any] | None = None
    parent_result: MeasureResult | None = None
    region_result: MeasureResult | None = None

    @property
    def variation(self) -> str | None:
        """The Making Data Count variation icon's code for the latest point."""
        return (self.spc or {}).get("variation")

    @property
    def assurance(self) -> str | None:
        """The Making Data Count assurance icon's code."""
        return (self.spc or {}).get("assurance")

    @property
    def recent_points(self) -> list[list[Any]]:
        """The series' latest 12 points, [period start, value, type, rules], for a sparkline."""
        return list((self.spc or {}).get("points", []))[-SPARKLINE_POINTS:]


SPARKLINE_POINTS = 12


def measure_lines(
    *,
    quarter: Quarter,
    unit: Unit,
    measures: list[Measure] | None = None,
    parent: Unit | None = None,
    region: Unit | None = None,
) -> list[MeasureLine]:
    """The quarter's value of each measure for a unit, with SPC, beside its parent's and the
    region's (three queries whatever the number of measures).

    With `measures` None: every measure the unit has a result for in the quarter.
    """
    compare_ids = [u.pk for u in (parent, region) if u is not None and u.pk != unit.pk]
    rows = MeasureResult.objects.of_quarter(quarter).filter(unit_id__in=[unit.pk, *compare_ids])
    if measures is not None:
        rows = rows.filter(measure_id__in=[m.pk for m in measures])
    else:
        rows = rows.select_related("measure")
    results = {(row.unit_id, row.measure_id): row for row in rows}
    spc_rows = SpcResult.objects.filter(quarter=quarter.code, unit_id=unit.pk)
    if measures is not None:
        spc_rows = spc_rows.filter(measure_id__in=[m.pk for m in measures])
    spcs = dict(spc_rows.values_list("measure_id", "summary"))
    if measures is None:
        measures = sorted(
            {row.measure for row in results.values() if row.unit_id == unit.pk},
            key=lambda m: (m.name, m.pk),
        )
    return [
        MeasureLine(
            measure=measure,
            result=results.get((unit.pk, measure.pk)),
            spc=spcs.get(measure.pk),
            parent_result=results.get((parent.pk, measure.pk)) if parent else None,
            region_result=results.get((region.pk, measure.pk)) if region else None,
        )
        for measure in measures
    ]


def goal_results_of(*, quarter: Quarter, goals: list[Goal]) -> dict[int, GoalResult]:
    """The quarter's computed result of each goal, by goal id (one query)."""
    return {
        row.goal_id: row
        for row in GoalResult.objects.filter(quarter=quarter.code, goal__in=[g.pk for g in goals])
    }


@dataclass(frozen=True)
class Peer:
    """One unit of a peer comparison: its value, SPC variation and place against the parent."""

    unit: Unit
    result: MeasureResult | None
    variation: str | None
    against_parent: str  # "above", "below", "equal" or "" when either value is missing


def peer_comparison(
    *, quarter: Quarter, measure: Measure, parent: Unit, units: list[Unit]
) -> tuple[MeasureResult | None, list[Peer]]:
    """Units of the same kind side by side for a measure and quarter, each against the parent's
    value (two queries)."""
    rows = {
        row.unit_id: row
        for row in MeasureResult.objects.of_quarter(quarter).filter(
            measure_id=measure.pk, unit_id__in=[parent.pk, *[u.pk for u in units]]
        )
    }
    variations = {
        unit_id: (summary or {}).get("variation")
        for unit_id, summary in SpcResult.objects.filter(
            quarter=quarter.code, measure_id=measure.pk, unit_id__in=[u.pk for u in units]
        ).values_list("unit_id", "summary")
    }
    parent_row = rows.get(parent.pk)
    peers = []
    for unit in units:
        row = rows.get(unit.pk)
        against = ""
        if row and row.value is not None and parent_row and parent_row.value is not None:
            against = (
                "above"
                if row.value > parent_row.value
                else "below"
                if row.value < parent_row.value
                else "equal"
            )
        peers.append(
            Peer(unit=unit, result=row, variation=variations.get(unit.pk), against_parent=against)
        )
    return parent_row, peers


def latest_compute_run(*, quarter: Quarter) -> ComputeRun | None:
    """The latest finished computation of the quarter (pages say when results were computed)."""
    return (
        ComputeRun.objects.filter(quarter=quarter.code, finished_at__isnull=False)
        .order_by("-finished_at")
        .first()
    )


def missing_observations(
    *, units: list[Unit], period_for: dict[str, datetime.date]
) -> list[tuple[Unit, Measure, datetime.date]]:
    """(unit, measure, period start) for each measure a unit is expected to report for its
    latest complete period but has not (three queries)."""
    measures = list(Measure.objects.prefetch_related("unit_kinds").order_by("name"))
    starts = sorted(set(period_for.values()))
    reported = set(
        Observation.objects.filter(
            unit_id__in=[u.pk for u in units], period_start__in=starts
        ).values_list("unit_id", "measure_id", "period_start")
    )
    missing = []
    for measure in measures:
        kinds = {kind.pk for kind in measure.unit_kinds.all()}
        start = period_for[measure.frequency]
        for unit in units:
            if unit.kind_id in kinds and (unit.pk, measure.pk, start) not in reported:
                missing.append((unit, measure, start))
    return missing


# --- the pages' reads, composed ------------------------------------------------------------------


def programme_area_quarter(*, area: ProgrammeArea, quarter: Quarter | None) -> dict[str, Any]:
    """What a programme area's page shows for a quarter: its goal tree with each goal's result,
    and its measures for the region (a fixed number of queries)."""
    goals = goal_tree_for_area(area=area)
    everything = [g for goal in goals for g in (goal, *goal.milestones.all())]
    results = goal_results_of(quarter=quarter, goals=everything) if quarter else {}
    for goal in everything:
        goal.result = results.get(goal.pk)
    region = region_unit()
    measures = list(area.measures.order_by("name"))
    lines = (
        measure_lines(quarter=quarter, unit=region, measures=measures)
        if quarter and region and measures
        else []
    )
    return {
        "goals": goals,
        "region": region,
        "measure_lines": lines,
        "computed_at": latest_compute_run(quarter=quarter) if quarter else None,
    }


@dataclass(frozen=True)
class AdoptionRow:
    """A unit and its adoption record per working method (None where it has none)."""

    unit: Unit
    cells: list[AdoptionRecord | None]


def unit_dashboard(
    *, unit: Unit, quarter: Quarter | None, measure_code: str | None
) -> dict[str, Any]:
    """What a unit's dashboard shows for a quarter (a fixed number of queries)."""
    ancestors = unit_ancestors(unit=unit)
    region = ancestors[0] if ancestors else unit
    parent = ancestors[-2] if len(ancestors) > 1 else None
    children = unit_children(unit=unit)

    rows_units = children or [unit]
    records = adoption_records_of(unit_ids=[u.pk for u in rows_units])
    methods = list(dict.fromkeys(record.working_method for record in records))
    by_key = {(r.unit_id, r.working_method_id): r for r in records}
    adoption = [
        AdoptionRow(unit=u, cells=[by_key.get((u.pk, m.pk)) for m in methods]) for u in rows_units
    ]

    lines = (
        measure_lines(quarter=quarter, unit=unit, parent=parent, region=region) if quarter else []
    )
    # Peers: a unit with units below compares those; a unit without compares its siblings.
    peer_parent, peer_units = (unit, children) if children else (parent, [])
    if not children and parent is not None:
        peer_units = [u for u in unit_children(unit=parent) if u.kind_id == unit.kind_id]
    peer_measures = [line.measure for line in lines]
    peer_measure = next(
        (m for m in peer_measures if m.code == measure_code),
        peer_measures[0] if peer_measures else None,
    )
    peer_parent_result, peers = (
        peer_comparison(quarter=quarter, measure=peer_measure, parent=peer_parent, units=peer_units)
        if quarter and peer_measure and peer_parent and peer_units
        else (None, [])
    )
    return {
        "ancestors": ancestors[:-1],
        "region": region,
        "parent": parent,
        "children": children,
        "methods": methods,
        "adoption": adoption,
        "measure_lines": lines,
        "peer_parent": peer_parent,
        "peer_measures": peer_measures,
        "peer_measure": peer_measure,
        "peer_parent_result": peer_parent_result,
        "peers": peers,
        "computed_at": latest_compute_run(quarter=quarter) if quarter else None,
    }


@dataclass(frozen=True)
class Deadline:
    """A goal or milestone due soon, with the days left from today (negative: passed)."""

    goal: Goal
    days_left: int


def portfolio_quarter(
    *, phases: list[Phase], quarter: Quarter | None, today: datetime.date
) -> dict[str, Any]:
    """What the portfolio shows for a quarter besides the areas: the region's measures, the
    deadlines of the quarter and the next, and the summary paragraph (four queries)."""
    if quarter is None:
        return {"measure_lines": [], "deadlines": [], "summary": [], "region": None}
    goals = [
        g
        for phase in phases
        for area in phase.programme_areas.all()
        for goal in area.top_goals
        for g in (goal, *goal.milestones.all())
    ]
    region = region_unit()
    measures = list(Measure.objects.order_by("name"))
    lines = measure_lines(quarter=quarter, unit=region, measures=measures) if region else []
    window_end = quarter.next().end
    deadlines = [
        Deadline(goal=g, days_left=(g.deadline - today).days)
        for g in sorted(
            (g for g in goals if g.deadline and quarter.start <= g.deadline <= window_end),
            key=lambda g: (g.deadline, g.title),
        )
    ]
    due = [
        DueMilestone(title=g.title, status=_status_of(getattr(g, "result", None)))
        for g in goals
        if g.is_milestone and g.deadline and quarter.start <= g.deadline <= quarter.end
    ]
    facts = SummaryFacts(
        quarter=quarter,
        statuses=[_status_of(getattr(g, "result", None)) for g in goals],
        due_milestones=due,
        improvements=[
            line.measure.name
            for line in lines
            if (line.variation or "").startswith("special_cause_improvement")
        ],
        concerns=[
            line.measure.name
            for line in lines
            if (line.variation or "").startswith("special_cause_concern")
        ],
        measures_with_spc=sum(1 for line in lines if line.variation),
        reporting_units=sum(line.result.reporting_units for line in lines if line.result),
        expected_units=sum(line.result.expected_units for line in lines if line.result),
        missing_values=[
            line.measure.name for line in lines if not line.result or line.result.value is None
        ],
    )
    return {
        "measure_lines": lines,
        "deadlines": deadlines,
        "summary": quarter_summary(facts),
        "region": region,
    }
