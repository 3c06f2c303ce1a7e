"""The quarterly follow-up computation: measure roll-ups, period series, SPC and goal status.

Everything is written set-based: one INSERT … SELECT … ON CONFLICT DO UPDATE per result table
aggregates the observations in the database along the unit closure table, so the Python
process never holds the observations. Goal status is gathered with a few grouped queries and
evaluated by the pure functions in goals.status. A quarter is computed in one transaction
under a lock, so a rerun overwrites with identical rows and two runs never interleave.
"""

from __future__ import annotations

import datetime
import json
import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from goals import status as engine
from goals.models import AdoptionRecord, Assessment, Goal
from gonv.periods import Quarter, month_label, quarter_range
from organisation.models import Unit, UnitClosure
from programmes.models import Phase

from . import cache as result_cache
from .models import ComputeRun, GoalResult, Measure, MeasureResult, Observation, PeriodResult
from .spc import xmr

logger = logging.getLogger(__name__)

# The PostgreSQL advisory lock every computation takes: one at a time, so a quarter never reads
# an earlier quarter that another run is halfway through rewriting.
COMPUTE_LOCK = (0x60_4E_56, 1)  # arbitrary namespace ("GNV") and key


@dataclass(frozen=True)
class QuarterSummary:
    """What one computation of a quarter wrote."""

    quarter: str
    measure_rows: int
    period_rows: int
    goal_rows: int
    spc_series: int

    def as_dict(self) -> dict[str, Any]:
        """Plain data, for Celery's JSON results and the command's output."""
        return asdict(self)


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _date(day: datetime.date) -> Any:
    """A date parameter: PostgreSQL takes dates, SQLite compares ISO text."""
    return day.isoformat() if connection.vendor == "sqlite" else day


def _lock_computation() -> None:
    """Serialise computations (PostgreSQL advisory lock, held until commit or rollback).

    SQLite has a single writer anyway, so the transaction itself serialises there.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", list(COMPUTE_LOCK))


def _common_ctes() -> str:
    """CTEs shared by the roll-up statements: active units, observations along the tree."""
    return f"""
    active AS (
        SELECT u.id, u.kind_id FROM {_table(Unit)} u
        WHERE (u.valid_from IS NULL OR u.valid_from <= %(q_end)s)
          AND (u.valid_to IS NULL OR u.valid_to >= %(q_start)s)
    ),
    expected AS (
        SELECT mk.measure_id, c.ancestor_id AS unit_id, COUNT(*) AS expected_units
        FROM {_table(Measure.unit_kinds.through)} mk
        JOIN active a ON a.kind_id = mk.unitkind_id
        JOIN {_table(UnitClosure)} c ON c.descendant_id = a.id
        GROUP BY mk.measure_id, c.ancestor_id
    )"""


# The value of a group of observations by the measure's roll-up rule. Shares are ratios of
# summed numerators and denominators (never an average of percentages); means and indices are
# weighted by their denominators (weight 1 where none is given). The * 1.0 keeps SQLite from
# integer division.
_VALUE_EXPR = """
    CASE m.aggregation
        WHEN 'sum' THEN g.sum_value
        WHEN 'ratio' THEN CASE WHEN g.sum_den > 0
            THEN g.sum_num * (CASE WHEN m.value_type = 'share' THEN 100.0 ELSE 1.0 END) / g.sum_den
            END
        ELSE g.sum_weighted * 1.0 / NULLIF(g.sum_weight, 0)
    END"""

_GROUP_SUMS = """
    SUM(o.value) AS sum_value,
    SUM(o.numerator) AS sum_num,
    SUM(o.denominator) AS sum_den,
    SUM(o.value * COALESCE(o.denominator, 1)) AS sum_weighted,
    SUM(COALESCE(o.denominator, 1)) AS sum_weight,
    COUNT(DISTINCT o.unit_id) AS reporting_units"""


def _measure_results_sql() -> tuple[str, str]:
    """The upsert of quarterly results and the delete of rows it no longer produces."""
    obs, closure, measure = _table(Observation), _table(UnitClosure), _table(Measure)
    result = _table(MeasureResult)
    ctes = f"""
    WITH {_common_ctes()},
    grouped AS (
        SELECT o.measure_id, c.ancestor_id AS unit_id, {_GROUP_SUMS},
               MAX(o.updated_at) AS latest_update
        FROM {obs} o
        JOIN active a ON a.id = o.unit_id
        JOIN {closure} c ON c.descendant_id = o.unit_id
        WHERE o.quarter = %(q)s
        GROUP BY o.measure_id, c.ancestor_id
    ),
    keys AS (
        SELECT measure_id, unit_id FROM grouped
        UNION
        SELECT measure_id, unit_id FROM expected
    ),
    vals AS (
        SELECT k.measure_id, k.unit_id, {_VALUE_EXPR} AS value, g.sum_num, g.sum_den,
               COALESCE(g.reporting_units, 0) AS reporting_units,
               COALESCE(e.expected_units, 0) AS expected_units, g.latest_update
        FROM keys k
        JOIN {measure} m ON m.id = k.measure_id
        LEFT JOIN grouped g ON g.measure_id = k.measure_id AND g.unit_id = k.unit_id
        LEFT JOIN expected e ON e.measure_id = k.measure_id AND e.unit_id = k.unit_id
    )"""
    upsert = f"""
    {ctes}
    INSERT INTO {result} (
        measure_id, unit_id, quarter, value, numerator, denominator, reporting_units,
        expected_units, latest_update, change_previous_quarter, change_previous_year
    )
    SELECT v.measure_id, v.unit_id, %(q)s, v.value, v.sum_num, v.sum_den, v.reporting_units,
           v.expected_units, v.latest_update, v.value - prev.value, v.value - last_year.value
    FROM vals v
    LEFT JOIN {result} prev ON prev.measure_id = v.measure_id AND prev.unit_id = v.unit_id
                           AND prev.quarter = %(prev_q)s
    LEFT JOIN {result} last_year ON last_year.measure_id = v.measure_id
                                AND last_year.unit_id = v.unit_id
                                AND last_year.quarter = %(year_q)s
    WHERE TRUE
    ON CONFLICT (measure_id, unit_id, quarter) DO UPDATE SET
        value = excluded.value, numerator = excluded.numerator,
        denominator = excluded.denominator, reporting_units = excluded.reporting_units,
        expected_units = excluded.expected_units, latest_update = excluded.latest_update,
        change_previous_quarter = excluded.change_previous_quarter,
        change_previous_year = excluded.change_previous_year
    """
    delete = f"""
    {ctes}
    DELETE FROM {result}
    WHERE quarter = %(q)s
      AND NOT EXISTS (
        SELECT 1 FROM keys k
        WHERE k.measure_id = {result}.measure_id AND k.unit_id = {result}.unit_id
      )
    """
    return upsert, delete


def _period_results_sql() -> tuple[str, str]:
    """The upsert of per-period (monthly) roll-ups of a quarter, and the stale-row delete."""
    obs, closure, measure = _table(Observation), _table(UnitClosure), _table(Measure)
    result = _table(PeriodResult)
    ctes = f"""
    WITH {_common_ctes()},
    grouped AS (
        SELECT o.measure_id, c.ancestor_id AS unit_id, o.period_start, {_GROUP_SUMS}
        FROM {obs} o
        JOIN active a ON a.id = o.unit_id
        JOIN {closure} c ON c.descendant_id = o.unit_id
        WHERE o.quarter = %(q)s
        GROUP BY o.measure_id, c.ancestor_id, o.period_start
    )"""
    upsert = f"""
    {ctes}
    INSERT INTO {result} (measure_id, unit_id, period_start, quarter, value, reporting_units)
    SELECT g.measure_id, g.unit_id, g.period_start, %(q)s, {_VALUE_EXPR}, g.reporting_units
    FROM grouped g
    JOIN {measure} m ON m.id = g.measure_id
    WHERE TRUE
    ON CONFLICT (measure_id, unit_id, period_start) DO UPDATE SET
        quarter = excluded.quarter, value = excluded.value,
        reporting_units = excluded.reporting_units
    """
    delete = f"""
    {ctes}
    DELETE FROM {result}
    WHERE quarter = %(q)s
      AND NOT EXISTS (
        SELECT 1 FROM grouped g
        WHERE g.measure_id = {result}.measure_id AND g.unit_id = {result}.unit_id
          AND g.period_start = {result}.period_start
      )
    """
    return upsert, delete


def _quarter_params(quarter: Quarter) -> dict[str, Any]:
    return {
        "q": quarter.code,
        "prev_q": quarter.previous().code,
        "year_q": quarter.year_before().code,
        "q_start": _date(quarter.start),
        "q_end": _date(quarter.end),
    }


def _run(sql: str, params: dict[str, Any]) -> int:
    """Execute one statement; returns the rows it wrote."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if connection.vendor == "sqlite":
            # Python's sqlite3 reports rowcount -1 for statements that start with WITH.
            cursor.execute("SELECT changes()")
            return cursor.fetchone()[0]
        return cursor.rowcount


def _write_measure_results(quarter: Quarter) -> int:
    """Roll the quarter's observations up the tree into MeasureResult; returns rows written."""
    upsert, delete = _measure_results_sql()
    params = _quarter_params(quarter)
    _run(delete, params)
    return _run(upsert, params)


def _write_period_results(quarter: Quarter) -> int:
    """Roll each period of the quarter up the tree into PeriodResult; returns rows written."""
    upsert, delete = _period_results_sql()
    params = _quarter_params(quarter)
    _run(delete, params)
    return _run(upsert, params)


# --- SPC --------------------------------------------------------------------------------------


def _period_end(start: datetime.date, frequency: str) -> datetime.date:
    """Last day of the period that starts on the given day."""
    if frequency == Measure.Frequency.QUARTERLY:
        return Quarter.containing(start).end
    next_month = (start.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return next_month - datetime.timedelta(days=1)


def _series_by_unit(
    measure_id: int, quarter: Quarter, unit_ids: set[int] | None
) -> Iterator[tuple[int, list[tuple[datetime.date, Decimal | None]]]]:
    """Stream (unit, series up to the quarter's end) for one measure, one unit at a time."""
    rows = (
        PeriodResult.objects.filter(measure_id=measure_id, period_start__lte=quarter.end)
        .order_by("unit_id", "period_start")
        .values_list("unit_id", "period_start", "value")
    )
    current: int | None = None
    series: list[tuple[datetime.date, Decimal | None]] = []
    for unit_id, start, value in rows.iterator(chunk_size=5000):
        if unit_id != current:
            if current is not None and (unit_ids is None or current in unit_ids):
                yield current, series
            current, series = unit_id, []
        series.append((start, value))
    if current is not None and (unit_ids is None or current in unit_ids):
        yield current, series


def spc_summary(
    series: list[tuple[datetime.date, Decimal | None]],
    *,
    improvement: str,
    target: Decimal | None = None,
) -> dict[str, Any]:
    """SPC of one series in the compact form stored on MeasureResult.spc."""
    result = xmr(
        [value for _, value in series],
        improvement=None if improvement == Measure.Improvement.NONE else improvement,
        target=float(target) if target is not None else None,
    )
    data = result.to_dict()
    points = data.pop("points")
    data["points"] = [
        [start.isoformat(), point["value"], point["type"], list(point["rules"])]
        for (start, _), point in zip(series, points, strict=True)
    ]
    return data


def _measure_targets() -> dict[tuple[int, int], Decimal]:
    """Absolute targets of measure goals, keyed by (measure, the unit the goal is about)."""
    roots = _scope_roots()
    targets: dict[tuple[int, int], Decimal] = {}
    for goal in Goal.objects.filter(kind=Goal.Kind.MEASURE, target_value__isnull=False).values(
        "measure_id", "target_value", "programme_area__phase_id"
    ):
        root = roots.get(goal["programme_area__phase_id"])
        if root is not None:
            targets[(goal["measure_id"], root)] = goal["target_value"]
    return targets


def _write_spc(quarter: Quarter) -> int:
    """Compute SPC for every (measure, unit) result of the quarter; returns series computed."""
    only_aggregates = getattr(settings, "GONV_SPC_SCOPE", "all") == "aggregates"
    parent_ids = (
        set(Unit.objects.filter(children__isnull=False).values_list("id", flat=True))
        if only_aggregates
        else None
    )
    targets = _measure_targets()
    result_table = _table(MeasureResult)
    placeholder = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    sql = (
        f"UPDATE {result_table} SET spc = {placeholder} "
        "WHERE measure_id = %s AND unit_id = %s AND quarter = %s"
    )
    count = 0
    for measure in Measure.objects.only("id", "improvement", "frequency"):
        batch: list[tuple[Any, ...]] = []
        for unit_id, series in _series_by_unit(measure.pk, quarter, parent_ids):
            summary = spc_summary(
                series, improvement=measure.improvement, target=targets.get((measure.pk, unit_id))
            )
            batch.append(
                (json.dumps(summary, cls=DjangoJSONEncoder), measure.pk, unit_id, quarter.code)
            )
            if len(batch) >= 2000:
                count += _flush(sql, batch)
                batch = []
        count += _flush(sql, batch)
    return count


def _flush(sql: str, batch: list[tuple[Any, ...]]) -> int:
    if not batch:
        return 0
    with connection.cursor() as cursor:
        cursor.executemany(sql, batch)
    return len(batch)


# --- goal status ------------------------------------------------------------------------------


def _scope_roots() -> dict[int, int]:
    """The unit each phase's goals are about: its organisation unit, or the tree's root."""
    default_root = (
        Unit.objects.filter(parent__isnull=True).order_by("id").values_list("id", flat=True).first()
    )
    return {
        phase_id: unit_id or default_root
        for phase_id, unit_id in Phase.objects.values_list("id", "organisation_unit_id")
        if (unit_id or default_root) is not None
    }


def _adoption_counts(as_of: datetime.date) -> dict[int, tuple[int, int, int]]:
    """Per adoption goal: (active target units, adopted by the date, planned by the deadline)."""
    from programmes.models import ProgrammeArea, WorkingMethod

    ev = "(CASE WHEN g.deadline < %(as_of)s THEN g.deadline ELSE %(as_of)s END)"
    done = "(CASE WHEN wm.direction = 'fasa_ut' THEN 'utfasat' ELSE 'infort' END)"
    is_done = f"(ar.status = {done} AND ar.actual_date <= {ev})"
    sql = f"""
    SELECT g.id,
           COUNT(u.id),
           SUM(CASE WHEN {is_done} THEN 1 ELSE 0 END),
           SUM(CASE WHEN ar.id IS NOT NULL AND NOT {is_done}
                     AND COALESCE(ar.planned_date, ar.actual_date) <= g.deadline
                    THEN 1 ELSE 0 END)
    FROM {_table(Goal)} g
    JOIN {_table(WorkingMethod)} wm ON wm.id = g.working_method_id
    JOIN {_table(ProgrammeArea)} pa ON pa.id = g.programme_area_id
    JOIN {_table(Phase)} ph ON ph.id = pa.phase_id
    JOIN {_table(Unit)} u ON u.kind_id = g.unit_kind_id
    LEFT JOIN {_table(UnitClosure)} sc ON sc.descendant_id = u.id
                                       AND sc.ancestor_id = ph.organisation_unit_id
    LEFT JOIN {_table(AdoptionRecord)} ar ON ar.unit_id = u.id
                                          AND ar.working_method_id = g.working_method_id
    WHERE g.kind = 'adoption'
      AND (ph.organisation_unit_id IS NULL OR sc.ancestor_id IS NOT NULL)
      AND (u.valid_from IS NULL OR u.valid_from <= {ev})
      AND (u.valid_to IS NULL OR u.valid_to >= {ev})
    GROUP BY g.id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, {"as_of": _date(as_of)})
        return {row[0]: (int(row[1]), int(row[2] or 0), int(row[3] or 0)) for row in cursor}


def _latest_assessments(quarter: Quarter) -> dict[int, tuple[engine.Assessment, str]]:
    """The latest assessment of each goal made in or before the quarter, with its quarter."""
    latest: dict[int, tuple[engine.Assessment, str]] = {}
    rows = (
        Assessment.objects.filter(quarter__lte=quarter.code)
        .select_related("author")
        .order_by("goal_id", "quarter")
    )
    for row in rows:
        latest[row.goal_id] = (
            engine.Assessment(
                status=engine.Status(row.status),
                comment=row.comment,
                author=row.author.get_full_name() or row.author.get_username(),
                assessed_on=timezone.localdate(row.assessed_at),
            ),
            row.quarter,
        )
    return latest


def _measure_series(
    goals: list[Goal], roots: dict[int, int], quarter: Quarter
) -> dict[tuple[int, int], list[tuple[datetime.date, Decimal]]]:
    """Per (measure, scope unit): the period series up to the quarter's end, chronological."""
    keys = {
        (g.measure_id, roots[g.programme_area.phase_id])
        for g in goals
        if g.kind == Goal.Kind.MEASURE and g.programme_area.phase_id in roots
    }
    if not keys:
        return {}
    series: dict[tuple[int, int], list[tuple[datetime.date, Decimal]]] = defaultdict(list)
    rows = (
        PeriodResult.objects.filter(
            measure_id__in={m for m, _ in keys},
            unit_id__in={u for _, u in keys},
            period_start__lte=quarter.end,
            value__isnull=False,
        )
        .order_by("period_start")
        .values_list("measure_id", "unit_id", "period_start", "value", "measure__frequency")
    )
    for measure_id, unit_id, start, value, frequency in rows:
        if (measure_id, unit_id) in keys:
            series[(measure_id, unit_id)].append((_period_end(start, frequency), value))
    return series


def _baseline(
    points: list[tuple[datetime.date, Decimal]], goal: Goal, as_of: datetime.date
) -> Decimal | None:
    """The baseline value of a relative goal, once its whole baseline period has data.

    Several periods in the baseline add up for counts and average otherwise.
    """
    if goal.baseline_start is None or goal.baseline_end is None or goal.baseline_end > as_of:
        return None
    values = [v for end, v in points if goal.baseline_start <= end <= goal.baseline_end]
    if not values:
        return None
    total = sum(values, Decimal(0))
    if goal.measure.aggregation == Measure.Aggregation.SUM:
        return total
    return total / len(values)


def evaluate_goal(
    goal: Goal,
    *,
    as_of: datetime.date,
    assessment: engine.Assessment | None,
    adoption: tuple[int, int, int] | None,
    series: list[tuple[datetime.date, Decimal]] | None,
    rules: engine.StatusRules,
) -> engine.GoalEvaluation:
    """Call the status engine for one goal with the inputs gathered for it."""
    if goal.kind == Goal.Kind.ADOPTION:
        active, adopted, planned = adoption or (0, 0, 0)
        return engine.evaluate_adoption(
            as_of=as_of,
            deadline=goal.deadline,
            start=goal.start_date or goal.programme_area.start_date,
            target_share=goal.target_share,
            method_name=goal.working_method.name,
            unit_kind_plural=goal.unit_kind.name_plural.lower(),
            active_units=active,
            adopted=adopted,
            planned_by_deadline=planned,
            assessment=assessment,
            rules=rules,
        )
    if goal.kind == Goal.Kind.DELIVERABLE:
        return engine.evaluate_deliverable(
            as_of=as_of,
            deadline=goal.deadline,
            completed_on=goal.completed_on,
            title=goal.title,
            assessment=assessment,
            rules=rules,
        )
    if goal.kind == Goal.Kind.MEASURE:
        points = series or []
        relative = goal.relative_change_pct is not None
        return engine.evaluate_measure(
            as_of=as_of,
            deadline=goal.deadline,
            series=[(end, value) for end, value in points if end <= as_of],
            improvement="lower" if goal.improvement == "lower" else "higher",
            target_value=goal.target_value,
            relative_change_pct=goal.relative_change_pct,
            baseline_value=_baseline(points, goal, as_of) if relative else None,
            baseline_label=month_label(goal.baseline_end) if relative else None,
            measure_name=goal.measure.name,
            unit=goal.measure.unit,
            assessment=assessment,
            rules=rules,
        )
    return engine.evaluate_direction(assessment=assessment)


def _decimal_or_none(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.000001"))


def _write_goal_results(quarter: Quarter, as_of: datetime.date) -> int:
    """Evaluate every goal for the quarter and upsert GoalResult; returns rows written."""
    rules = engine.rules_from_mapping(getattr(settings, "GONV_STATUS_RULES", None))
    goals = list(
        Goal.objects.select_related(
            "programme_area", "working_method", "unit_kind", "measure"
        ).order_by("id")
    )
    roots = _scope_roots()
    adoption = _adoption_counts(as_of)
    assessments = _latest_assessments(quarter)
    series = _measure_series(goals, roots, quarter)
    rows: list[GoalResult] = []
    for goal in goals:
        assessment, assessment_quarter = assessments.get(goal.pk, (None, ""))
        evaluation = evaluate_goal(
            goal,
            as_of=as_of,
            assessment=assessment,
            adoption=adoption.get(goal.pk),
            series=series.get((goal.measure_id, roots.get(goal.programme_area.phase_id, -1))),
            rules=rules,
        )
        latest = evaluation.assessment
        rows.append(
            GoalResult(
                goal=goal,
                quarter=quarter.code,
                status=evaluation.status,
                progress=_decimal_or_none(evaluation.progress),
                target=_decimal_or_none(evaluation.target),
                forecast=_decimal_or_none(evaluation.forecast),
                forecast_status=evaluation.forecast_status,
                explanation=evaluation.explanation,
                basis=evaluation.basis,
                assessment_status=latest.status if latest else None,
                assessment_comment=latest.comment if latest else "",
                assessment_author=latest.author if latest else "",
                assessment_quarter=assessment_quarter,
            )
        )
    GoalResult.objects.filter(quarter=quarter.code).exclude(
        goal_id__in=[g.pk for g in goals]
    ).delete()
    GoalResult.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["goal", "quarter"],
        update_fields=[
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
        ],
    )
    return len(rows)


# --- writes -----------------------------------------------------------------------------------

ERROR_OBSERVATION_FORBIDDEN = "Du har inte behörighet att rapportera värden för {unit}."


def observation_record(
    *,
    user: Any,
    measure: Measure,
    unit: Unit,
    period_start: datetime.date,
    period_end: datetime.date,
    value: Decimal,
    numerator: Decimal | None = None,
    denominator: Decimal | None = None,
    source: str = "manual",
) -> Observation:
    """Record (create or correct) one value for a measure, unit and period.

    Permission-checked, validated with Swedish messages, recorded in the history with the user;
    the recompute of the affected quarters follows on commit (followup.signals).
    """
    existing = Observation.objects.filter(
        measure=measure, unit=unit, period_start=period_start
    ).first()
    observation = existing or Observation(measure=measure, unit=unit, period_start=period_start)
    action = "change_observation" if existing else "add_observation"
    if not user.has_perm(f"followup.{action}", observation):
        raise PermissionDenied(ERROR_OBSERVATION_FORBIDDEN.format(unit=unit.name))
    observation.period_end = period_end
    observation.quarter = Quarter.containing(period_end).code
    observation.value = value
    observation.numerator = numerator
    observation.denominator = denominator
    observation.source = source
    observation.full_clean()
    observation._history_user = user  # simple-history records who made the change
    with transaction.atomic():
        observation.save()
    return observation


# --- orchestration ----------------------------------------------------------------------------


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


def quarter_compute(
    *, quarter: Quarter, trigger: str = "", today: datetime.date | None = None
) -> QuarterSummary:
    """Compute and store every result of one quarter, atomically; a rerun writes the same rows."""
    today = today or timezone.localdate()
    as_of = min(quarter.end, today)
    started = timezone.now()
    with transaction.atomic():
        _lock_computation()
        measure_rows = _write_measure_results(quarter)
        period_rows = _write_period_results(quarter)
        spc_series = _write_spc(quarter)
        goal_rows = _write_goal_results(quarter, as_of)
        ComputeRun.objects.create(
            quarter=quarter.code,
            started_at=started,
            finished_at=timezone.now(),
            measure_rows=measure_rows,
            period_rows=period_rows,
            goal_rows=goal_rows,
            spc_series=spc_series,
            trigger=trigger[:40],
        )
        transaction.on_commit(result_cache.bump_generation)
    summary = QuarterSummary(quarter.code, measure_rows, period_rows, goal_rows, spc_series)
    logger.info("Computed follow-up %s", summary)
    return summary


def recompute_all(
    *, trigger: str = "all", today: datetime.date | None = None
) -> list[QuarterSummary]:
    """Compute every quarter in scope, oldest first (a quarter's changes need the one before)."""
    return [
        quarter_compute(quarter=q, trigger=trigger, today=today) for q in quarters_in_scope(today)
    ]


def quarters_affected_from(
    first: Quarter | str, today: datetime.date | None = None
) -> list[Quarter]:
    """A change in one quarter alters it and every later one (changes, SPC series, status)."""
    start = Quarter.parse(first) if isinstance(first, str) else first
    current = Quarter.containing(today or timezone.localdate())
    return quarter_range(start, current) if start <= current else []
