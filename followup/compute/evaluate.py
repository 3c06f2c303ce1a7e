"""A goal's inputs turned into its GoalResult row by the status engine (goals.status).

This module, with goals.status and the base modules that write its sentences' numbers and
months, decides a status: their source is part of every goal's inputs digest
(goal_status.engine_source_digest), so a release that changes one re-evaluates every goal.
Keep here only what decides a result, nothing that reads or writes the database.
"""

from __future__ import annotations

import datetime
import logging
from decimal import Decimal
from typing import Any

from base.periods import months_label
from goals import status as engine
from goals.models import Goal
from programmes.models import WorkingMethod

from .. import charts
from ..models import Measure

logger = logging.getLogger(__name__)


def _baseline(
    points: list[tuple[datetime.date, Decimal]],
    goal: Goal,
    as_of: datetime.date,
    reported: dict[datetime.date, tuple[int, int]],
    rules: engine.StatusRules,
    parts: dict[datetime.date, tuple[Decimal, Decimal]],
) -> tuple[Decimal | None, engine.BaselineMethod | None]:
    """The baseline value of a relative goal, once its whole baseline period has data, and how
    it was reckoned from its periods (None for one period: its value).

    It is compared with one period's value (the latest month's, or quarter's), so it is a value
    per period. A share (a ratio of summed täljare and nämnare) is pooled over the periods,
    Σ täljare ÷ Σ nämnare, as the roll-up pools units: a small month does not weigh as much as
    a big one. A weighted mean (an index weighted by its respondents) likewise: Σ (värde ×
    nämnare) ÷ Σ nämnare, from each period's value and total weight (parts: (value × weight,
    weight)); a unit's report without a nämnare weighs 1 in its period's weight, as in the
    roll-up, so the baseline is what the roll-up gives the whole baseline period. A period
    without its parts (results computed before they were stored) leaves the mean of the
    periods' values, and the goal's basis says so. Any other measure is the mean of its
    periods: a year of a count is its mean per month, not its sum (twelve months against one).
    A baseline period that too few units have reported is not there yet
    (engine.reported_enough), as a later period's value is not.
    """
    if goal.baseline_start is None or goal.baseline_end is None or goal.baseline_end > as_of:
        return None, None
    inside = [(end, v) for end, v in points if goal.baseline_start <= end <= goal.baseline_end]
    if not inside or not all(engine.reported_enough(end, reported, rules) for end, _ in inside):
        return None, None
    values = [v for _, v in inside]
    mean = sum(values, Decimal(0)) / len(values)
    if len(inside) == 1:
        return values[0], None
    weighted = goal.measure.aggregation == Measure.Aggregation.WEIGHTED_MEAN
    if goal.measure.aggregation != Measure.Aggregation.RATIO and not weighted:
        return mean, engine.BaselineMethod.MEAN
    pooled = [parts.get(end) for end, _ in inside]
    numerators = [part[0] for part in pooled if part is not None]
    denominators = [part[1] for part in pooled if part is not None]
    if len(numerators) < len(inside) or sum(denominators, Decimal(0)) <= 0:
        if weighted:
            return mean, engine.BaselineMethod.MEAN_WITHOUT_WEIGHTS
        return mean, engine.BaselineMethod.MEAN_WITHOUT_PARTS
    total = sum(numerators, Decimal(0)) / sum(denominators, Decimal(0))
    if weighted:
        # Its parts are value × weight: already in the value's own scale.
        return total, engine.BaselineMethod.WEIGHTED
    scale = Decimal(100) if goal.measure.value_type == Measure.ValueType.SHARE else Decimal(1)
    return total * scale, engine.BaselineMethod.POOLED


def _baseline_periods(goal: Goal) -> int:
    """How many of the measure's periods (months, or quarters) end in the baseline period: more
    than one makes its value a mean per period, and the sentence says so."""
    if goal.baseline_start is None or goal.baseline_end is None:
        return 1
    # Months counted from year 0: a quarter ends in the month whose index is 2 modulo 3.
    first = goal.baseline_start.year * 12 + goal.baseline_start.month - 1
    last = goal.baseline_end.year * 12 + goal.baseline_end.month - 1
    if goal.measure.frequency == Measure.Frequency.QUARTERLY:
        return max(1, sum(1 for month in range(first, last + 1) if month % 3 == 2))
    return max(1, last - first + 1)


def evaluate_goal(
    goal: Goal,
    *,
    as_of: datetime.date,
    assessment: engine.Assessment | None,
    adoption: tuple[int, int, int] | None,
    series: list[tuple[datetime.date, Decimal]] | None,
    rules: engine.StatusRules,
    reported: dict[datetime.date, tuple[int, int]] | None = None,
    parts: dict[datetime.date, tuple[Decimal, Decimal]] | None = None,
) -> engine.GoalEvaluation:
    """Call the status engine for one goal with the inputs gathered for it.

    parts: a ratio measure's (a share's) summed täljare and nämnare per period end, where
    known, or a weighted mean's value × total weight and total weight (its nämnare, e.g.
    respondents): they pool a baseline of several periods.

    Each goal is evaluated in isolation: a goal whose data contradict each other (a deadline
    before its area's start, say) gets "underlag saknas" with the reason, and the quarter's
    other goals are computed as usual.
    """
    try:
        return _evaluate_goal(
            goal,
            as_of=as_of,
            assessment=assessment,
            adoption=adoption,
            series=series,
            rules=rules,
            reported=reported or {},
            parts=parts or {},
        )
    except (ValueError, TypeError, AttributeError, ArithmeticError, KeyError) as error:
        logger.warning("Goal %s (%s) has inconsistent inputs: %s", goal.pk, goal.code, error)
        return engine.evaluate_inconsistent(error=error, assessment=assessment)


def _evaluate_goal(
    goal: Goal,
    *,
    as_of: datetime.date,
    assessment: engine.Assessment | None,
    adoption: tuple[int, int, int] | None,
    series: list[tuple[datetime.date, Decimal]] | None,
    rules: engine.StatusRules,
    reported: dict[datetime.date, tuple[int, int]] | None = None,
    parts: dict[datetime.date, tuple[Decimal, Decimal]] | None = None,
) -> engine.GoalEvaluation:
    if goal.kind == Goal.Kind.ADOPTION:
        active, adopted, planned = adoption or (0, 0, 0)
        return engine.evaluate_adoption(
            as_of=as_of,
            deadline=goal.deadline,
            start=goal.pace_start,
            target_share=goal.target_share,
            method_name=goal.working_method.name,
            unit_kind_plural=goal.unit_kind.name_plural.lower(),
            active_units=active,
            adopted=adopted,
            planned_by_deadline=planned,
            assessment=assessment,
            rules=rules,
            phase_out=goal.working_method.direction == WorkingMethod.Direction.PHASE_OUT,
        )
    # Before the day a goal counts from (Goal.pace_start: its own start, else its area's) it is
    # "Ej påbörjat" (goals.status._before_start); the sentence says which start it is.
    start, milestone, start_from_area = goal.pace_start, goal.is_milestone, goal.start_date is None
    if goal.kind == Goal.Kind.DELIVERABLE:
        return engine.evaluate_deliverable(
            as_of=as_of,
            deadline=goal.deadline,
            completed_on=goal.completed_on,
            title=goal.title,
            assessment=assessment,
            rules=rules,
            start=start,
            milestone=milestone,
            start_from_area=start_from_area,
        )
    if goal.kind == Goal.Kind.MEASURE:
        points = series or []
        reported = reported or {}
        relative = goal.relative_change_pct is not None
        baseline, method = (
            _baseline(points, goal, as_of, reported, rules, parts or {})
            if relative
            else (None, None)
        )
        return engine.evaluate_measure(
            as_of=as_of,
            deadline=goal.deadline,
            series=[(end, value) for end, value in points if end <= as_of],
            improvement="lower" if goal.improvement == "lower" else "higher",
            target_value=goal.target_value,
            relative_change_pct=goal.relative_change_pct,
            baseline_value=baseline,
            baseline_method=method,
            baseline_label=(
                months_label(goal.baseline_start, goal.baseline_end)
                if relative and goal.baseline_start and goal.baseline_end
                else None
            ),
            baseline_periods=_baseline_periods(goal) if relative else 1,
            measure_name=goal.measure.name,
            # Written as the goal's "Underlag" and tables write the measure's values: no unit
            # after a scale ("79,6", not "79,6 index"), an index or a mean to its one decimal.
            unit=charts.unit_suffix(goal.measure.unit).strip(),
            decimals=sentence_decimals(goal.measure),
            quarterly=goal.measure.frequency == "quarterly",
            reported=reported,
            assessment=assessment,
            rules=rules,
            start=start,
            milestone=milestone,
            start_from_area=start_from_area,
        )
    return engine.evaluate_direction(assessment=assessment)


def sentence_decimals(measure: Measure) -> int | None:
    """The decimals a measure goal's status sentence writes the measure's values with: an
    index's or a mean's fixed ones (charts.KIND_DECIMALS, one), as the goal's "Underlag", its
    tables and its chart write them; None (up to two) for the other kinds, whose sentences
    keep their own rules (a share: base.formatting.format_share)."""
    if measure.value_type in (Measure.ValueType.INDEX, Measure.ValueType.MEAN):
        return charts.kind_decimals(measure.unit, measure.value_type)
    return None


def _decimal_or_none(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.000001"))


GOAL_RESULT_FIELDS = (
    "status",
    "progress",
    "target",
    "forecast",
    "forecast_status",
    "explanation",
    "basis",
    "assessment_status",
    "assessment_comment",
    "assessment_author",
    "assessment_quarter",
)


def result_row(evaluation: engine.GoalEvaluation, assessment_quarter: str) -> dict[str, Any]:
    """The GoalResult fields (GOAL_RESULT_FIELDS) of an evaluation, as they are stored."""
    latest = evaluation.assessment
    return {
        "status": evaluation.status,
        "progress": _decimal_or_none(evaluation.progress),
        "target": _decimal_or_none(evaluation.target),
        "forecast": _decimal_or_none(evaluation.forecast),
        "forecast_status": evaluation.forecast_status,
        "explanation": evaluation.explanation,
        "basis": evaluation.basis,
        "assessment_status": latest.status if latest else None,
        "assessment_comment": latest.comment if latest else "",
        "assessment_author": latest.author if latest else "",
        "assessment_quarter": assessment_quarter,
    }
