"""Measures (the Mått pages) and goals (the Mål page): the measure table, a measure's series
with its signals, a goal's page with its adoption and milestones, a programme area's timeline.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone

from base.periods import Quarter
from goals.models import AdoptionRecord, Goal
from goals.selectors import (
    ADOPTED,
    NOT_STARTED,
    PLANNED,
    PLANNED_LATE,
    AdoptionOnDay,
    adoption_on,
    adoption_standing,
    done_status,
    evaluation_day,
)
from organisation.models import Unit, UnitClosure
from organisation.selectors import region_unit
from programmes.models import ProgrammeArea
from programmes.selectors import activities_of_area

from ..cache import cached
from ..models import GoalResult, Measure, MeasureResult, SpcResult
from ..quarter_basis import QuarterBasis, quarter_basis
from ..spc import RULES, Reasons, latest_judged, stored_reasons
from .values import _compared_quarters, period_rows

# --- measures (the Mått pages) and goals (the Mål page) -----------------------------------------
#
# Each read below runs a fixed number of queries whatever the data's size (tests pin them), and
# reads MeasureResult by its primary key's leading columns (quarter IN (…), unit, measure).

SERIES_QUARTERS = 12  # the quarters a measure's table and a goal's status chart go back


def measures_exist() -> bool:
    """Whether any measure is defined (a fresh installation has none): no query per page."""
    return cached("measures-exist", lambda: Measure.objects.exists())


def measure_get(*, code: str) -> Measure | None:
    """A measure by its code."""
    return Measure.objects.filter(code=code).first()


def goal_get(*, code: str) -> Goal | None:
    """A goal or milestone by its code, with what its page shows of its relations."""
    return (
        Goal.objects.with_deadline_move()
        .select_related(
            "programme_area__phase__organisation_unit",
            "parent",
            "measure",
            "working_method",
            "unit_kind",
        )
        .filter(code=code)
        .first()
    )


def _quarters_back(quarter: Quarter, count: int = SERIES_QUARTERS) -> list[Quarter]:
    """The quarter and the count − 1 before it, oldest first."""
    quarters = [quarter]
    while len(quarters) < count:
        quarters.insert(0, quarters[0].previous())
    return quarters


@dataclass(frozen=True)
class MeasureRow:
    """One measure on the list: the region's value for the quarter and its SPC chart."""

    measure: Measure
    result: MeasureResult | None
    summary: dict[str, Any] | None
    basis: QuarterBasis | None = None
    # Why the chart has no assurance icon, where it has none (assurance_reason).
    assurance_reason: AssuranceReason | None = None


def measure_rows(*, unit: Unit | None, quarter: Quarter | None) -> list[MeasureRow]:
    """Every measure with the unit's result (and changes) and SPC summary for the quarter."""
    measures = list(Measure.objects.prefetch_related("programme_areas").order_by("name"))
    if unit is None or quarter is None:
        return [MeasureRow(measure, None, None) for measure in measures]
    results = {
        row.measure_id: row
        for row in MeasureResult.objects.of_quarter(quarter)
        .with_previous_value(quarter)
        .filter(unit=unit)
    }
    summaries = dict(
        SpcResult.objects.filter(quarter=quarter.code, unit=unit).values_list(
            "measure_id", "summary"
        )
    )
    rows_by_period = period_rows(
        unit_id=unit.pk, measure_ids=[m.pk for m in measures], quarters=_compared_quarters(quarter)
    )
    # Why a chart has no assurance icon, or a measure no chart to judge goal attainment on:
    # the goals that follow its measure (one query).
    goals: dict[int, list[GoalResult]] = {}
    if len(summaries) < len(measures) or any(
        summary and not summary.get("assurance") for summary in summaries.values()
    ):
        for goal_result in measure_goal_results(quarter).filter(goal__measure__in=measures):
            goals.setdefault(goal_result.goal.measure_id or 0, []).append(goal_result)
    today = timezone.localdate()
    return [
        MeasureRow(
            measure,
            results.get(measure.pk),
            summaries.get(measure.pk),
            quarter_basis(
                measure=measure,
                quarter=quarter,
                result=results.get(measure.pk),
                rows=rows_by_period,
                today=today,
                summary=summaries.get(measure.pk),
            ),
            assurance_reason(
                measure=measure,
                summary=summaries.get(measure.pk),
                goals=goals.get(measure.pk, []),
                unit=unit,
            )
            if summaries.get(measure.pk)
            # No chart: goal attainment is not judged, and where no goal follows the measure
            # that is the reason to give, not the chart's absence (the column beside says it).
            else (None if goals.get(measure.pk) else AssuranceReason(NO_GOAL)),
        )
        for measure in measures
    ]


def measure_goal_results(quarter: Quarter) -> QuerySet[GoalResult]:
    """The quarter's results of measure goals, with their goals' areas and phases, in the
    order the pages list them."""
    return (
        GoalResult.objects.filter(quarter=quarter.code, goal__kind=Goal.Kind.MEASURE)
        .select_related("goal__programme_area__phase")
        .order_by("goal__programme_area__number", "goal__order", "goal_id")
    )


@dataclass(frozen=True)
class UnitChoices:
    """The units a measure's page offers: the path from the region, the unit's siblings and
    the units below it, so the select stays short at any size and still reaches every unit."""

    ancestors: list[Unit]
    siblings: list[Unit]
    children: list[Unit]


def unit_choices(unit: Unit) -> UnitChoices:
    """The units around `unit` for the select (two queries)."""
    ancestors = [
        link.ancestor
        for link in UnitClosure.objects.filter(descendant=unit, depth__gt=0)
        .select_related("ancestor")
        .order_by("-depth")
    ]
    near = Unit.objects.filter(
        Q(parent_id=unit.parent_id) if unit.parent_id else Q(parent__isnull=True)
    ) | Unit.objects.filter(parent=unit)
    siblings: list[Unit] = []
    children: list[Unit] = []
    for other in near.order_by("name"):
        (children if other.parent_id == unit.pk else siblings).append(other)
    return UnitChoices(ancestors=ancestors, siblings=siblings, children=children)


@dataclass(frozen=True)
class SignalGroup:
    """The periods of a quarter that the same special cause flags, for the same reasons."""

    type: str  # improvement, concern, conflict or neither (followup.spc.Verdict)
    periods: list[str]  # period starts, ISO dates
    rules: list[str]  # in the order of followup.spc.RULES
    # Each rule with its side (followup.spc.reasons); None for a chart stored before signals
    # had sides (SPC format 2), whose periods are then grouped by type alone.
    reasons: Reasons | None = None


@dataclass(frozen=True)
class QuarterRow:
    """A quarter of a measure for a unit: its result and the SPC signals among its periods."""

    quarter: Quarter
    result: MeasureResult
    signals: list[SignalGroup]
    basis: QuarterBasis | None = None


def _signals_in(
    points: list[list[Any]], quarter: Quarter, improvement: Any = None
) -> list[SignalGroup]:
    """The quarter's special-cause points, one group per verdict and reasons, so that each
    period is listed with exactly the rules that flag it and the side each flags it on (a
    point below the lower limit is never listed under an improvement it is not)."""
    first, last = quarter.start.isoformat(), quarter.end.isoformat()
    groups: dict[tuple[str, Reasons | None], SignalGroup] = {}
    for point in points:
        start, kind, rules = point[0], point[2], point[3]
        if kind == "common_cause" or not first <= start <= last:
            continue
        why = stored_reasons(point, improvement)
        verdict = why.verdict if why is not None else kind
        group = groups.setdefault((verdict, why), SignalGroup(verdict, [], [], why))
        group.periods.append(start)
        group.rules.extend(rule for rule in rules if rule not in group.rules)
    for group in groups.values():
        group.rules.sort(key=lambda rule: RULES.index(rule) if rule in RULES else len(RULES))
    return list(groups.values())


@dataclass(frozen=True)
class MeasureSeries:
    """A measure for one unit up to a quarter: its SPC chart, quarters, target and goals."""

    measure: Measure
    unit: Unit
    quarter: Quarter | None
    current: MeasureResult | None
    summary: dict[str, Any] | None
    rows: list[QuarterRow]
    target: Decimal | None
    goals: list[GoalResult]
    basis: QuarterBasis | None = None
    # The latest earlier quarter with a value: what a quarterly measure shows while its own
    # quarter is under way.
    latest: QuarterRow | None = None
    # What the chart's latest point says (the variation icon's point): a conflict is told
    # beside the icon, which shows improvement as Making Data Count's tool does.
    latest_reasons: Reasons | None = None

    @property
    def has_values(self) -> bool:
        """Whether the unit has any value of the measure up to the quarter: a point of the
        chart (the whole series) or a value in the quarters the table lists."""
        points = (self.summary or {}).get("points") or []
        return bool(points) or any(row.result.value is not None for row in self.rows)

    @property
    def goals_elsewhere(self) -> bool:
        """Goals follow the measure, but none is about this unit: they are about their
        organisation as a whole, and goal attainment is not judged for the unit."""
        return bool(self.goals) and not any(_is_about(r.goal, self.unit) for r in self.goals)

    @property
    def assurance_reason(self) -> AssuranceReason | None:
        """Why the chart has no assurance icon (assurance_reason)."""
        return assurance_reason(
            measure=self.measure, summary=self.summary, goals=self.goals, unit=self.unit
        )


def measure_series(*, measure: Measure, unit: Unit, quarter: Quarter | None) -> MeasureSeries:
    """What the measure page shows for a unit and quarter (five queries)."""
    if quarter is None:
        return MeasureSeries(measure, unit, None, None, None, [], None, [])
    current = MeasureResult.objects.of_quarter(quarter).filter(unit=unit, measure=measure).first()
    spc = SpcResult.objects.filter(quarter=quarter.code, unit=unit, measure=measure).first()
    summary = spc.summary if spc else None
    back = _quarters_back(quarter)
    codes = [q.code for q in back]
    stored = MeasureResult.objects.filter(quarter__in=codes, unit=unit, measure=measure)
    points = (summary or {}).get("points") or []
    # The 12 quarters back hold the selected quarter's previous one and the year before.
    rows_by_period = period_rows(unit_id=unit.pk, measure_ids=[measure.pk], quarters=back)
    today = timezone.localdate()

    def basis(of: Quarter, result: MeasureResult | None) -> QuarterBasis:
        return quarter_basis(
            measure=measure,
            quarter=of,
            result=result,
            rows=rows_by_period,
            today=today,
            summary=summary if of == quarter else None,
        )

    rows = [
        QuarterRow(
            Quarter.parse(r.quarter),
            r,
            _signals_in(points, Quarter.parse(r.quarter), (summary or {}).get("improvement")),
            basis(Quarter.parse(r.quarter), r),
        )
        for r in sorted(stored, key=lambda r: r.quarter, reverse=True)
    ]
    # The goals that follow the measure, with their status this quarter; the target line is
    # theirs for the unit the goals are about (the region), as the engine's assurance icon.
    goals = list(measure_goal_results(quarter).filter(goal__measure=measure))
    target = next(
        (
            r.target
            for r in goals
            if r.target is not None
            and (r.goal.programme_area.phase.organisation_unit_id or _root_id(unit)) == unit.pk
        ),
        None,
    )
    latest = next(
        (row for row in rows if row.quarter < quarter and row.result.value is not None), None
    )
    return MeasureSeries(
        measure,
        unit,
        quarter,
        current,
        summary,
        rows,
        target,
        goals,
        basis(quarter, current),
        latest,
        stored_reasons(judged, (summary or {}).get("improvement"))
        if (judged := latest_judged(points)) is not None
        else None,
    )


def _is_about(goal: Goal, unit: Unit) -> bool:
    """Whether a goal is about the unit: its phase's organisation, else the tree's root (the
    unit the engine judges it on, and whose SPC chart has its target)."""
    return (goal.programme_area.phase.organisation_unit_id or _root_id(unit)) == unit.pk


# Why a measure's chart shows no assurance icon (Making Data Count's "Måluppfyllelse"), told
# apart: "inget mål eller för få punkter" under a measure that a goal follows read as if it had
# none. Their words: gonv.templatetags.followup_charts.ASSURANCE_REASONS.
NO_GOAL = "no_goal"  # no goal follows the measure
GOALS_ELSEWHERE = "goals_elsewhere"  # goals follow it, about their organisation, not the unit
NO_DIRECTION = "no_direction"  # neither higher nor lower is better: nothing to pass or fail
TOO_FEW_POINTS = "too_few_points"  # a target, but no process limits to hold it against yet
GOAL_NOT_YET = "goal_not_yet"  # the goal has no target yet (a baseline without values)
RELATIVE_GOAL = "relative_goal"  # a change from a baseline: the chart has no fixed level


@dataclass(frozen=True)
class AssuranceReason:
    code: str
    rule: str = ""  # GOAL_NOT_YET: the engine's rule (goals.status.RULE_LABELS), why not yet


def assurance_reason(
    *, measure: Measure, summary: dict[str, Any] | None, goals: list[GoalResult], unit: Unit
) -> AssuranceReason | None:
    """Why the measure's SPC chart for the unit has no assurance icon; None where it has one,
    or has no chart. goals: the quarter's results of the measure goals that follow the measure,
    with their goals' phases (measure_series). The chart's target is an absolute target of a
    goal about the unit (followup.compute.series); a goal of a change from a baseline gives it
    none."""
    if not summary or summary.get("assurance"):
        return None
    here = [r for r in goals if _is_about(r.goal, unit)]
    if not here:
        return AssuranceReason(GOALS_ELSEWHERE if goals else NO_GOAL)
    if measure.improvement == Measure.Improvement.NONE:
        return AssuranceReason(NO_DIRECTION)
    if any(r.goal.target_value is not None for r in here):
        # The chart has its target; without an icon its limits are missing (too few points
        # for them, or in its latest segment). Else the chart predates the target: no reason.
        too_few = not summary.get("limits_available") or summary.get("message")
        return AssuranceReason(TOO_FEW_POINTS) if too_few else None
    pending = next((r for r in here if r.target is None), None)
    if pending is not None:
        return AssuranceReason(GOAL_NOT_YET, str((pending.basis or {}).get("rule", "")))
    return AssuranceReason(RELATIVE_GOAL)


def _root_id(unit: Unit) -> int | None:
    """The unit's tree root, if the unit is one (no query: goals without a phase unit are
    about the region, the tree's root)."""
    return unit.pk if unit.parent_id is None else None


@dataclass(frozen=True)
class AdoptionUnit:
    """A unit an adoption goal counts, with where it stands with the goal's working method."""

    unit: Unit
    record: AdoptionRecord | None
    # As the status engine counts (goals.selectors.adoption_standing): "adopted" by its
    # evaluation day, "planned" by the deadline; "planned_late" (a date after the deadline) and
    # "not_started" count as neither.
    standing: str
    # The record's status on the evaluation day, as the area's matrix shows it (adoption_on).
    on_day: AdoptionOnDay | None = None


@dataclass(frozen=True)
class MilestoneRow:
    """A milestone with its result for the quarter (None where none is computed)."""

    goal: Goal
    result: GoalResult | None


@dataclass(frozen=True)
class GoalPage:
    """A goal or milestone: its results per quarter, milestones, and what lies behind it."""

    goal: Goal
    quarter: Quarter | None
    results: list[GoalResult]  # oldest first, up to the quarter
    latest: GoalResult | None  # the quarter's
    milestones: list[MilestoneRow]
    adoption: list[AdoptionUnit]
    summary: dict[str, Any] | None  # a measure goal's SPC chart for the unit it is about
    scope_unit: Unit | None
    adoption_day: datetime.date | None = None  # the day the units' statuses are as of
    # A measure goal's: the quarter's results of the goals that follow its measure (this one
    # among them), which give its chart a target or not.
    measure_goals: tuple[GoalResult, ...] = ()

    @property
    def assurance_reason(self) -> AssuranceReason | None:
        """Why the measure goal's chart has no assurance icon (assurance_reason)."""
        if self.goal.measure is None or self.scope_unit is None:
            return None
        return assurance_reason(
            measure=self.goal.measure,
            summary=self.summary,
            goals=list(self.measure_goals),
            unit=self.scope_unit,
        )


def goal_page(*, goal: Goal, quarter: Quarter | None) -> GoalPage:
    """What the goal page shows (a fixed number of queries, whatever the goal's kind)."""
    if quarter is None:
        return GoalPage(goal, None, [], None, [], [], None, None)  # nothing computed yet
    codes = [q.code for q in _quarters_back(quarter)]
    results = list(GoalResult.objects.filter(goal=goal, quarter__in=codes).order_by("quarter"))
    latest = next((r for r in results if r.quarter == quarter.code), None)
    milestones = list(
        Goal.objects.filter(parent=goal)
        .with_deadline_move()
        .select_related("unit_kind", "measure", "working_method")
        .order_by(F("deadline").asc(nulls_last=True), "order", "id")
    )
    by_goal = (
        {r.goal_id: r for r in GoalResult.objects.filter(quarter=quarter.code, goal__parent=goal)}
        if milestones
        else {}
    )
    for milestone in milestones:  # each milestone's line reads its result (goal_line.html)
        milestone.result = by_goal.get(milestone.pk)  # type: ignore[attr-defined]
    milestone_rows = [MilestoneRow(m, by_goal.get(m.pk)) for m in milestones]
    scope_unit = None
    adoption: list[AdoptionUnit] = []
    summary = None
    if goal.kind in (Goal.Kind.ADOPTION, Goal.Kind.MEASURE):
        scope_unit = goal.programme_area.phase.organisation_unit or region_unit()
    adoption_day = None
    if goal.kind == Goal.Kind.ADOPTION and scope_unit is not None:
        adoption_day = _evaluated_on(latest, goal, quarter)
        adoption = _adoption_units(goal, scope_unit, adoption_day)
    measure_goals: tuple[GoalResult, ...] = ()
    if goal.kind == Goal.Kind.MEASURE and scope_unit is not None:
        summary = (
            SpcResult.objects.filter(quarter=quarter.code, unit=scope_unit, measure=goal.measure_id)
            .values_list("summary", flat=True)
            .first()
        )
        if summary and not summary.get("assurance"):
            # Why the chart has no assurance icon: the goals that follow the measure.
            measure_goals = tuple(
                measure_goal_results(quarter).filter(goal__measure=goal.measure_id)
            )
    return GoalPage(
        goal,
        quarter,
        results,
        latest,
        milestone_rows,
        adoption,
        summary,
        scope_unit,
        adoption_day,
        measure_goals,
    )


def _adoption_units(goal: Goal, scope: Unit, evaluated_on: datetime.date) -> list[AdoptionUnit]:
    """The units the goal counts, grouped as the engine counted them on its evaluation day.

    Adopted: the working method introduced (or phased out) by that day; planned: a planned
    date by the deadline; the rest not started. Two queries.
    """
    method = goal.working_method
    if method is None:  # an adoption goal always has one (its constraint)
        return []
    done = done_status(method)
    records = AdoptionRecord.objects.filter(working_method_id=goal.working_method_id)
    units = (
        Unit.objects.in_subtree(scope)
        .filter(kind_id=goal.unit_kind_id)
        .active_on(evaluated_on)
        .select_related("parent")
        .prefetch_related(Prefetch("adoption_records", queryset=records, to_attr="records"))
        .order_by("parent__name", "name")
    )
    out = []
    for unit in units:
        record = unit.records[0] if unit.records else None
        standing = adoption_standing(record, day=evaluated_on, deadline=goal.deadline, done=done)
        out.append(AdoptionUnit(unit, record, standing, adoption_on(record, day=evaluated_on)))
    # Grouped as the engine counts them (the page's group headings), each group by VO and name.
    order = [ADOPTED, PLANNED, PLANNED_LATE, NOT_STARTED]
    return sorted(out, key=lambda row: order.index(row.standing))


def _evaluated_on(latest: GoalResult | None, goal: Goal, quarter: Quarter) -> datetime.date:
    """The day the engine evaluated the goal on (its basis), else the quarter's end."""
    raw = (latest.basis or {}).get("evaluated_on") if latest else None
    if raw:
        return datetime.date.fromisoformat(raw)
    return evaluation_day(quarter.end, today=timezone.localdate(), deadline=goal.deadline)


@dataclass(frozen=True)
class TimelineEntry:
    """A dated line of a programme area's timeline: a deadline, an activity, or today."""

    day: datetime.date
    kind: str  # "goal", "milestone", "activity" or "today"
    title: str
    end: datetime.date | None = None
    unit_name: str = ""
    goal: Goal | None = None
    # An activity's status as its VO reported it, and the status description that explains it.
    status: str = ""
    note: str = ""


def programme_area_timeline(
    *, area: ProgrammeArea, goals: list[Goal], today: datetime.date
) -> list[TimelineEntry]:
    """The phase's dated events in order: goals' and milestones' deadlines, the VOs' activities
    (one query), and today among them."""
    start, end = area.phase.start_date, area.phase.end_date
    entries: list[TimelineEntry] = [
        TimelineEntry(
            day=g.deadline,
            kind="milestone" if g.is_milestone else "goal",
            title=g.title,
            goal=g,
        )
        for goal in goals
        for g in (goal, *goal.milestones.all())
        if g.deadline and start <= g.deadline <= end
    ]
    for activity in activities_of_area(area=area):
        first = activity.start_date or activity.end_date
        if first is not None:
            entries.append(
                TimelineEntry(
                    day=first,
                    kind="activity",
                    title=activity.title,
                    end=activity.end_date,
                    unit_name=activity.plan.unit.name,
                    status=activity.get_status_display(),
                    note=activity.status_note,
                )
            )
    if start <= today <= end:
        entries.append(TimelineEntry(day=today, kind="today", title=""))
    order = {"today": 0, "goal": 1, "milestone": 2, "activity": 3}
    return sorted(entries, key=lambda e: (e.day, order[e.kind], e.title))
