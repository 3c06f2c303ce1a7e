"""Goal status: the inputs of every goal gathered set-based, their digests, the GoalResult rows.

A few grouped queries gather what the status engine needs (adoption counts, the latest
assessments, measure series); a goal whose inputs digest matches its stored row is skipped.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.utils import timezone, translation

import base.formatting
import base.periods
from base.periods import Quarter
from goals import status as engine
from goals.models import AdoptionRecord, Assessment, Goal
from organisation.models import Unit, UnitClosure, UnitKind
from programmes.models import Phase, ProgrammeArea, WorkingMethod

from .. import charts
from ..models import GoalResult, Measure, MeasureResult, PeriodResult
from . import evaluate
from .db import sql_date, table_name
from .evaluate import GOAL_RESULT_FIELDS, evaluate_goal, result_row
from .scope import scope_roots
from .series import period_end
from .writes import upsert_quarter_rows


def _adoption_counts(as_of: datetime.date) -> dict[int, tuple[int, int, int]]:
    """Per adoption goal: (active target units, adopted by the date, planned by the deadline).

    The rule of goals.selectors.adoption_standing, in SQL: the pages (the goal's units, the
    area's matrix) group and count the units by that function, so keep the two alike.

    The units are found by walking the closure table down from the unit the goal's phase is
    about, so each goal touches only its own organisation's units.
    """
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
    FROM {table_name(Goal)} g
    JOIN {table_name(WorkingMethod)} wm ON wm.id = g.working_method_id
    JOIN {table_name(ProgrammeArea)} pa ON pa.id = g.programme_area_id
    JOIN {table_name(Phase)} ph ON ph.id = pa.phase_id
    JOIN {table_name(UnitClosure)} sc
      ON sc.ancestor_id = COALESCE(ph.organisation_unit_id, %(default_root)s)
    JOIN {table_name(Unit)} u ON u.id = sc.descendant_id AND u.kind_id = g.unit_kind_id
    LEFT JOIN {table_name(AdoptionRecord)} ar ON ar.unit_id = u.id
                                          AND ar.working_method_id = g.working_method_id
    WHERE g.kind = 'adoption'
      AND (u.valid_from IS NULL OR u.valid_from <= {ev})
      AND (u.valid_to IS NULL OR u.valid_to >= {ev})
    GROUP BY g.id
    """
    default_root = (
        Unit.objects.filter(parent__isnull=True).order_by("id").values_list("id", flat=True).first()
    )
    with connection.cursor() as cursor:
        batch = connection.vendor == "postgresql" and connection.in_atomic_block
        if batch:
            # The planner expects a few hundred goal × unit rows (the closure join again) and
            # sorts them to group by goal; there are 38,000 at national scale, where hashing
            # them is a quarter faster. Only for this statement: others need their sorts.
            cursor.execute("SELECT current_setting('enable_sort')")
            (sort_setting,) = cursor.fetchone()
            cursor.execute("SELECT set_config('enable_sort', 'off', true)")
        cursor.execute(sql, {"as_of": sql_date(as_of), "default_root": default_root})
        counts = {row[0]: (int(row[1]), int(row[2] or 0), int(row[3] or 0)) for row in cursor}
        if batch:
            cursor.execute("SELECT set_config('enable_sort', %s, true)", [sort_setting])
        return counts


def _latest_assessments(quarter: Quarter) -> dict[int, tuple[engine.Assessment, str]]:
    """The latest assessment of each goal made in or before the quarter, with its quarter."""
    rows = (
        Assessment.objects.filter(quarter__lte=quarter.code)
        .order_by("goal_id", "quarter")
        .values_list(
            "goal_id",
            "quarter",
            "status",
            "comment",
            "author__first_name",
            "author__last_name",
            "author__username",
            "assessed_at",
        )
    )
    # Ordered by quarter: the last row of each goal is its latest assessment.
    last_row = {row[0]: row for row in rows}
    return {
        goal_id: (
            engine.Assessment(
                status=engine.Status(status),
                comment=comment,
                # As User.get_full_name(), falling back to the username.
                author=f"{first} {last}".strip() or username,
                assessed_on=timezone.localdate(assessed_at),
            ),
            assessed_quarter,
        )
        for goal_id, assessed_quarter, status, comment, first, last, username, assessed_at in (
            last_row.values()
        )
    }


Series = dict[tuple[int, int], list[tuple[datetime.date, Decimal]]]
Reported = dict[tuple[int, int], dict[datetime.date, tuple[int, int]]]
Parts = dict[tuple[int, int], dict[datetime.date, tuple[Decimal, Decimal]]]


def _measure_series(
    goals: list[Goal], roots: dict[int, int], quarter: Quarter
) -> tuple[Series, Reported, Parts]:
    """Per (measure, scope unit): the period series up to the quarter's end, chronological,
    per period end (units that reported, units expected to), and a ratio's (a share's) summed
    täljare and nämnare per period end where both are known, or a weighted mean's Σ värde ×
    nämnare and Σ nämnare where its weight is known (two queries).

    The units expected are those of the quarter's result (MeasureResult.expected_units: the
    units of the measure's kinds under the scope unit); the status engine leaves out a period
    too few of them have reported (goals.status.reported_enough). The parts pool a baseline of
    several periods (compute.evaluate._baseline).
    """
    keys = {
        (g.measure_id, roots[g.programme_area.phase_id])
        for g in goals
        if g.kind == Goal.Kind.MEASURE and g.programme_area.phase_id in roots
    }
    if not keys:
        return {}, {}, {}
    measure_ids = {m for m, _ in keys if m is not None}
    unit_ids = {u for _, u in keys}
    expected = {
        (measure_id, unit_id, code): units
        for measure_id, unit_id, code, units in MeasureResult.objects.filter(
            measure_id__in=measure_ids, unit_id__in=unit_ids, quarter__lte=quarter.code
        ).values_list("measure_id", "unit_id", "quarter", "expected_units")
    }
    series: Series = defaultdict(list)
    reported: Reported = defaultdict(dict)
    parts: Parts = defaultdict(dict)
    rows = (
        PeriodResult.objects.filter(
            measure_id__in=measure_ids,
            unit_id__in=unit_ids,
            period_start__lte=quarter.end,
            value__isnull=False,
        )
        .order_by("period_start")
        .values_list(
            "measure_id",
            "unit_id",
            "period_start",
            "value",
            "measure__frequency",
            "measure__aggregation",
            "quarter",
            "reporting_units",
            "numerator",
            "denominator",
        )
    )
    for row in rows:
        measure_id, unit_id, start, value, frequency, aggregation, code, reporting, num, den = row
        key = (measure_id, unit_id)
        if key in keys and value is not None:
            end = period_end(start, frequency)
            series[key].append((end, value))
            reported[key][end] = (reporting, expected.get((measure_id, unit_id, code), 0))
            # A ratio's parts are its täljare and nämnare. A weighted mean's nämnare is its total
            # weight (a report without one weighs 1, as in the roll-up) and stores no täljare:
            # value × weight is its Σ värde × nämnare, to the value's 6 decimals.
            if aggregation == Measure.Aggregation.RATIO and num is not None and den is not None:
                parts[key][end] = (num, den)
            elif aggregation == Measure.Aggregation.WEIGHTED_MEAN and den is not None:
                parts[key][end] = (value * den, den)
    return series, reported, parts


def _goals_for_status() -> list[Goal]:
    """Every goal with the few related rows the status engine reads, in id order.

    The related tables are tiny (areas, methods, unit kinds, measures), so each is read once
    and attached, instead of select_related building four model instances per goal: at
    national scale that was a third of the goal step.
    """
    areas = ProgrammeArea.objects.in_bulk()
    methods = WorkingMethod.objects.in_bulk()
    kinds = UnitKind.objects.in_bulk()
    measures = Measure.objects.in_bulk()
    goals = list(Goal.objects.order_by("id"))
    for goal in goals:
        goal.programme_area = areas[goal.programme_area_id]
        if goal.working_method_id is not None:
            goal.working_method = methods[goal.working_method_id]
        if goal.unit_kind_id is not None:
            goal.unit_kind = kinds[goal.unit_kind_id]
        if goal.measure_id is not None:
            goal.measure = measures[goal.measure_id]
    return goals


# The modules that turn a goal's inputs into its result row: the status engine, the numbers and
# months its sentences write (charts: a measure's decimals by its kind, the unit after a value),
# and the glue that calls it (compute.evaluate). Not this module: what it gathers enters the
# digest as values, so a change here changes no status by itself.
STATUS_MODULES: tuple[ModuleType, ...] = (
    engine,
    base.formatting,
    base.periods,
    charts,
    evaluate,
)


@functools.lru_cache(maxsize=1)
def engine_source_digest() -> str:
    """A digest of the code that turns a goal's inputs into its result row (STATUS_MODULES).

    Part of every goal's inputs digest, so that a release that changes a rule or a sentence
    re-evaluates every goal once, without anybody having to remember a version number.
    """
    digest = hashlib.blake2b(digest_size=16)
    for module in STATUS_MODULES:
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.hexdigest()


def _field_values(obj: Any) -> tuple[Any, ...]:
    """Every stored field of a model instance, as the database gave it."""
    return tuple(getattr(obj, f.attname) for f in obj._meta.concrete_fields)


def _goal_inputs_digest(
    goal: Goal,
    context: bytes,
    inputs: tuple[Any, ...],
    related_texts: dict[tuple[str, int | None], bytes],
) -> str:
    """What a goal's result follows from: its fields, its related rows' fields and its inputs.

    context: what every goal's result follows from (rules, language, date, code), as text.
    The related rows (area, method, unit kind, measure) enter with all their fields: a renamed
    working method changes the explanation's sentence, so it must change the digest too.
    related_texts caches their fields' text across goals (a few dozen rows for 800 goals).
    """
    digest = hashlib.blake2b(context, digest_size=16)
    for name in ("programme_area", "working_method", "unit_kind", "measure"):
        pk = getattr(goal, f"{name}_id")
        key = (name, pk)
        if key not in related_texts:
            fields = None if pk is None else _field_values(getattr(goal, name))
            # NUL never occurs in a repr: it keeps the parts apart.
            related_texts[key] = repr(fields).encode() + b"\0"
        digest.update(related_texts[key])
    digest.update(repr((_field_values(goal), inputs)).encode())
    return digest.hexdigest()


def write_goal_results(quarter: Quarter, as_of: datetime.date) -> int:
    """Evaluate the goals whose inputs changed and upsert their GoalResult; returns rows written.

    Like the roll-ups, a rerun over unchanged inputs writes nothing, and it evaluates nothing
    either: each row keeps the digest of its inputs (_goal_inputs_digest), and a goal with the
    same digest keeps its row.
    """
    rules = engine.rules_from_mapping(settings.GONV_STATUS_RULES)
    # The rules in force (defaults and overrides alike), as the engine applies them.
    # NUL ends it, as each part of a goal's digest (_goal_inputs_digest).
    context = (
        repr((engine_source_digest(), rules, translation.get_language(), as_of)).encode() + b"\0"
    )
    goals = _goals_for_status()
    roots = scope_roots()
    adoption = _adoption_counts(as_of)
    assessments = _latest_assessments(quarter)
    series, reported, parts = _measure_series(goals, roots, quarter)
    # Results of goals deleted meanwhile (a subquery: a list of every goal id as parameters
    # cost more to send than the whole evaluation's SQL).
    GoalResult.objects.filter(quarter=quarter.code).exclude(
        goal_id__in=Goal.objects.values("id")
    ).delete()
    stored = dict(
        GoalResult.objects.filter(quarter=quarter.code).values_list("goal_id", "inputs_digest")
    )
    changed: list[tuple[int, dict[str, Any]]] = []
    related_texts: dict[tuple[str, int | None], bytes] = {}
    for goal in goals:
        assessment, assessment_quarter = assessments.get(goal.pk, (None, ""))
        goal_adoption = adoption.get(goal.pk)
        root = roots.get(goal.programme_area.phase_id, -1)
        goal_series = None if goal.measure_id is None else series.get((goal.measure_id, root))
        goal_reported = None if goal.measure_id is None else reported.get((goal.measure_id, root))
        goal_parts = None if goal.measure_id is None else parts.get((goal.measure_id, root))
        digest = _goal_inputs_digest(
            goal,
            context,
            (goal_adoption, goal_series, goal_reported, goal_parts, assessment, assessment_quarter),
            related_texts,
        )
        if stored.get(goal.pk) == digest:
            continue
        evaluation = evaluate_goal(
            goal,
            as_of=as_of,
            assessment=assessment,
            adoption=goal_adoption,
            series=goal_series,
            rules=rules,
            reported=goal_reported,
            parts=goal_parts,
        )
        changed.append(
            (goal.pk, {**result_row(evaluation, assessment_quarter), "inputs_digest": digest})
        )
    _upsert_goal_results(quarter, changed, none_stored=not stored)
    return len(changed)


def _upsert_goal_results(
    quarter: Quarter, rows: list[tuple[int, dict[str, Any]]], *, none_stored: bool
) -> None:
    """Insert or update the quarter's GoalResult rows of the goals given."""
    columns = [*GOAL_RESULT_FIELDS, "inputs_digest"]
    upsert_quarter_rows(
        GoalResult,
        quarter,
        ["goal_id"],
        columns,
        [
            [
                goal_id,
                *(
                    json.dumps(values[c], cls=DjangoJSONEncoder) if c == "basis" else values[c]
                    for c in columns
                ),
            ]
            for goal_id, values in rows
        ],
        none_stored=none_stored,
    )
