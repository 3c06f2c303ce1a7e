"""The quarterly follow-up computation: measure roll-ups, period series, SPC and goal status.

Everything is written set-based: one aggregation per result table rolls the observations up
the unit closure table in the database and compares each row with its stored one, and the
writes that follow touch only the new, changed and stale rows; the Python process never holds
the observations. Goal status is gathered with a few grouped queries and evaluated by the
pure functions in goals.status. A quarter is computed in one transaction under a lock, so a
rerun leaves identical rows and two runs never interleave.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import logging
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone, translation

from goals import status as engine
from goals.models import AdoptionRecord, Assessment, Goal
from gonv.periods import Quarter, month_label, quarter_range
from organisation.models import Unit, UnitClosure, UnitKind
from organisation.writes import checked_delete
from programmes.models import Phase, ProgrammeArea, WorkingMethod

from . import cache as result_cache
from .models import (
    ComputeRun,
    GoalResult,
    Measure,
    MeasureResult,
    Observation,
    PeriodResult,
    SpcResult,
)
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


# Namespace of the per-measure advisory locks of SPC runs ("SPC"); the key is the measure id.
SPC_LOCK_NAMESPACE = 0x53_50_43


def _lock_computation() -> None:
    """Serialise computations (PostgreSQL advisory lock, held until commit or rollback).

    The writes rely on it: a row that is not there yet is inserted plainly, not upserted.
    SQLite has a single writer anyway, so the transaction itself serialises there.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", list(COMPUTE_LOCK))


def _lock_spc(measure_ids: list[int] | None) -> None:
    """Lock for an SPC run of some measures: parallel across measures, never within one.

    The compute lock is taken shared, so no roll-up rewrites the results meanwhile but SPC
    tasks of different measures run side by side; each measure is then locked exclusively
    (in id order, so two runs cannot deadlock). Without a list of measures, the run covers
    them all and takes the compute lock exclusively.
    """
    if connection.vendor != "postgresql":
        return
    if measure_ids is None:
        _lock_computation()
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s, %s)", list(COMPUTE_LOCK))
        for measure_id in sorted(set(measure_ids)):
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [SPC_LOCK_NAMESPACE, int(measure_id)]
            )


# Each observation feeds two sums, chosen by the measure's roll-up rule (numeric sums are the
# bulk of the work, so no more than the rule needs):
#   sum            primary = value
#   ratio          primary = numerator,                weight = denominator
#   weighted_mean  primary = value × weight,           weight = denominator (1 where none)
_PRIMARY = """
    CASE m.aggregation
        WHEN 'sum' THEN o.value
        WHEN 'ratio' THEN o.numerator
        ELSE o.value * COALESCE(o.denominator, 1)
    END"""
_WEIGHT = """
    CASE m.aggregation
        WHEN 'sum' THEN NULL
        WHEN 'ratio' THEN o.denominator
        ELSE COALESCE(o.denominator, 1)
    END"""
# The value of a group: shares are ratios of summed numerators and denominators (never an
# average of percentages); means and indices are weighted by their denominators. The * 1.0
# keeps SQLite from integer division.
_VALUE_EXPR = """
    CASE m.aggregation
        WHEN 'sum' THEN g.primary_sum
        WHEN 'ratio' THEN CASE WHEN g.weight_sum > 0
            THEN g.primary_sum * (CASE WHEN m.value_type = 'share' THEN 100.0 ELSE 1.0 END)
                 / g.weight_sum
            END
        ELSE g.primary_sum * 1.0 / NULLIF(g.weight_sum, 0)
    END"""
# Values are rounded to the 6 decimals the result tables store, so comparing a computed row
# with its stored counterpart finds real changes only (see _differs).
# What MeasureResult stores as numerator and denominator: for shares and ratios the summed
# numerator and denominator, for means and indices the total weight (e.g. respondents).
_NUMERATOR_EXPR = "CASE WHEN m.aggregation = 'ratio' THEN g.primary_sum END"
_DENOMINATOR_EXPR = "g.weight_sum"


def _active_cte() -> str:
    """The CTE `active`: the units open at some time in the quarter.

    Inlined where it is used on PostgreSQL, not computed once: the roll-up joins it twice,
    which by default makes PostgreSQL materialise it, and then the planner, with no statistics
    for the materialised rows, hashed the quarter's 69,000 observations to probe them with the
    10,000 units instead of the other way round (about 0.2× the SQL floor, make bench,
    national). SQLite plans the embedded mode's small data either way, and older SQLite
    (before 3.35, 2021) does not know the words.
    """
    materialized = "NOT MATERIALIZED " if connection.vendor == "postgresql" else ""
    return f"""
    active AS {materialized}(
        SELECT u.id, u.kind_id FROM {_table(Unit)} u
        WHERE (u.valid_from IS NULL OR u.valid_from <= %(q_end)s)
          AND (u.valid_to IS NULL OR u.valid_to >= %(q_start)s)
    )"""


def _measure_sql() -> str:
    """The quarter's results for every unit at every level, each against its stored row.

    Observations are first summed per unit (what the database's floor does), and only those
    per-unit sums travel up the closure table: a fraction of the rows of joining every
    observation to every ancestor. The changes against earlier quarters are not stored: the
    pages read them with the values (MeasureResult.objects.of_quarter).
    """
    result = _table(MeasureResult)
    return f"""
    WITH {_active_cte()},
    per_unit AS (
        SELECT o.measure_id, o.unit_id,
               SUM({_PRIMARY}) AS primary_sum, SUM({_WEIGHT}) AS weight_sum,
               MAX(o.updated_at) AS latest_update
        FROM {_table(Observation)} o
        JOIN active a ON a.id = o.unit_id
        JOIN {_table(Measure)} m ON m.id = o.measure_id
        WHERE o.quarter = %(q)s
        GROUP BY o.measure_id, o.unit_id
    ),
    -- Each unit's own sums pass through as they are; only the units above them are grouped
    -- (a third fewer rows to hash than grouping every closure pair, depth 0 included), and a
    -- unit with both its own observations and reporting units below gets the two added up.
    above AS (
        SELECT p.measure_id, c.ancestor_id AS unit_id,
               SUM(p.primary_sum) AS primary_sum, SUM(p.weight_sum) AS weight_sum,
               COUNT(*) AS reporting_units, MAX(p.latest_update) AS latest_update
        FROM per_unit p
        JOIN {_table(UnitClosure)} c ON c.descendant_id = p.unit_id AND c.depth > 0
        GROUP BY p.measure_id, c.ancestor_id
    ),
    grouped AS (
        SELECT COALESCE(a.measure_id, o.measure_id) AS measure_id,
               COALESCE(a.unit_id, o.unit_id) AS unit_id,
               {_null_sum("a.primary_sum", "o.primary_sum")} AS primary_sum,
               {_null_sum("a.weight_sum", "o.weight_sum")} AS weight_sum,
               COALESCE(a.reporting_units, 0)
                   + CASE WHEN o.unit_id IS NULL THEN 0 ELSE 1 END AS reporting_units,
               CASE WHEN o.latest_update IS NULL OR o.latest_update < a.latest_update
                    THEN a.latest_update ELSE o.latest_update END AS latest_update
        FROM above a
        FULL JOIN per_unit o ON o.measure_id = a.measure_id AND o.unit_id = a.unit_id
    ),
    -- Only units of a kind that some measure expects count (most units are of other kinds).
    kinds_below AS (
        SELECT c.ancestor_id AS unit_id, a.kind_id, COUNT(*) AS units
        FROM active a
        JOIN {_table(UnitClosure)} c ON c.descendant_id = a.id
        WHERE a.kind_id IN (SELECT unitkind_id FROM {_table(Measure.unit_kinds.through)})
        GROUP BY c.ancestor_id, a.kind_id
    ),
    expected AS (
        SELECT mk.measure_id, k.unit_id, SUM(k.units) AS expected_units
        FROM {_table(Measure.unit_kinds.through)} mk
        JOIN kinds_below k ON k.kind_id = mk.unitkind_id
        GROUP BY mk.measure_id, k.unit_id
    ),
    -- Units that reported, units that should have, or both: one row each. A hash full join
    -- of the two keyed sets (measured: a quarter cheaper than a UNION ALL and a GROUP BY).
    g AS (
        SELECT COALESCE(r.measure_id, e.measure_id) AS measure_id,
               COALESCE(r.unit_id, e.unit_id) AS unit_id,
               r.primary_sum, r.weight_sum, COALESCE(r.reporting_units, 0) AS reporting_units,
               r.latest_update, COALESCE(e.expected_units, 0) AS expected_units
        FROM grouped r
        FULL JOIN expected e ON e.measure_id = r.measure_id AND e.unit_id = r.unit_id
    ),
    v AS (
        SELECT g.measure_id, g.unit_id, ROUND({_VALUE_EXPR}, 6) AS value,
               {_NUMERATOR_EXPR} AS numerator, {_DENOMINATOR_EXPR} AS denominator,
               g.reporting_units, g.expected_units, g.latest_update
        FROM g
        JOIN {_table(Measure)} m ON m.id = g.measure_id
    )
    SELECT v.*, {_against_stored("v", _MEASURE_COLUMNS)}
    FROM v
    LEFT JOIN {result} cur ON cur.quarter = %(q)s AND cur.measure_id = v.measure_id
                          AND cur.unit_id = v.unit_id
    """


def _null_sum(a: str, b: str) -> str:
    """a + b where NULL means "no value" (as SUM skips NULLs): NULL only if both are."""
    return f"(CASE WHEN {a} IS NULL THEN {b} WHEN {b} IS NULL THEN {a} ELSE {a} + {b} END)"


def _id_list(ids: Iterable[int]) -> str:
    """A literal list of ids for an IN clause (integers from the database, never user text)."""
    return ", ".join(str(int(i)) for i in ids) or "NULL"


def _period_filter(measure_ids: Iterable[int] | None, unit_ids: Iterable[int] | None) -> str:
    """SQL conditions limiting a period roll-up to some measures and/or result units."""
    parts = []
    if measure_ids is not None:
        parts.append(f"measure_id IN ({_id_list(measure_ids)})")
    if unit_ids is not None:
        parts.append(f"unit_id IN ({_id_list(unit_ids)})")
    return "".join(f" AND {part}" for part in parts)


def _period_sql(measure_ids: Iterable[int] | None, unit_ids: Iterable[int] | None) -> str:
    """Each period's results of the quarter for units at every level, against stored rows."""
    observation_filter = _period_filter(measure_ids, None).replace("measure_id", "o.measure_id")
    ancestor_filter = (
        f" AND c.ancestor_id IN ({_id_list(unit_ids)})" if unit_ids is not None else ""
    )
    # The stored rows in scope only (one measure's, for an SPC task), read by index.
    stored_filter = (
        _period_filter(measure_ids, unit_ids)
        .replace("measure_id", "cur.measure_id")
        .replace("unit_id", "cur.unit_id")
    )
    return f"""
    WITH {_active_cte()},
    grouped AS (
        SELECT o.measure_id, c.ancestor_id AS unit_id, o.period_start,
               SUM({_PRIMARY}) AS primary_sum, SUM({_WEIGHT}) AS weight_sum,
               COUNT(*) AS reporting_units
        FROM {_table(Observation)} o
        JOIN active a ON a.id = o.unit_id
        JOIN {_table(Measure)} m ON m.id = o.measure_id
        JOIN {_table(UnitClosure)} c ON c.descendant_id = o.unit_id{ancestor_filter}
        WHERE o.quarter = %(q)s{observation_filter}
        GROUP BY o.measure_id, c.ancestor_id, o.period_start
    ),
    r AS (
        SELECT g.measure_id, g.unit_id, g.period_start, ROUND({_VALUE_EXPR}, 6) AS value,
               g.reporting_units
        FROM grouped g
        JOIN {_table(Measure)} m ON m.id = g.measure_id
    )
    SELECT r.*, {_against_stored("r", _PERIOD_COLUMNS)}
    FROM r
    LEFT JOIN {_table(PeriodResult)} cur
           ON cur.quarter = %(q)s AND cur.measure_id = r.measure_id AND cur.unit_id = r.unit_id
          AND cur.period_start = r.period_start{stored_filter}
    """


def _against_stored(source: str, columns: list[str]) -> str:
    """The columns that tell how a computed row stands against its stored row, `cur`.

    stored: 1 where a row of the same key is stored, 0 for a new row; changed: 1 where the
    stored row differs in any column. Comparing while aggregating (the stored rows are joined
    once, by the unique key) leaves the writes only the rows that change: a rerun over
    unchanged data writes nothing and joins nothing more.
    """
    differs = " OR ".join(f"cur.{c} {_distinct()} {source}.{c}" for c in columns)
    # Every result table's quarter is NOT NULL: NULL means no stored row joined.
    return (
        "CASE WHEN cur.quarter IS NULL THEN 0 ELSE 1 END AS stored, "
        f"CASE WHEN cur.quarter IS NOT NULL AND ({differs}) THEN 1 ELSE 0 END AS changed"
    )


def _distinct() -> str:
    """NULL-safe inequality: SQLite's IS NOT (its IS DISTINCT FROM needs 3.39, 2022)."""
    return "IS NOT" if connection.vendor == "sqlite" else "IS DISTINCT FROM"


_MEASURE_COLUMNS = [
    "value",
    "numerator",
    "denominator",
    "reporting_units",
    "expected_units",
    "latest_update",
]
_PERIOD_COLUMNS = ["value", "reporting_units"]


@dataclass(frozen=True)
class _RollUpTable:
    """A result table as a roll-up writes it (_through_temp, _apply).

    keys: with the quarter, the table's unique key. columns: the values, compared with the
    stored row's. tmp: the temporary table a recompute stages its results in (SQLite and
    PostgreSQL both keep it per connection, without WAL). dependents: tables with rows of the
    same quarter and keys (an SPC chart per result), deleted along with a stale row.
    """

    model: type[Any]
    tmp: str
    keys: tuple[str, ...]
    columns: tuple[str, ...]
    dependents: tuple[type[Any], ...] = ()

    @property
    def table(self) -> str:
        return _table(self.model)

    @property
    def names(self) -> str:
        """The columns an insert fills besides the quarter."""
        return ", ".join([*self.keys, *self.columns])


_MEASURE_RESULTS = _RollUpTable(
    MeasureResult,
    tmp="gonv_tmp_measure_result",
    keys=("measure_id", "unit_id"),
    columns=tuple(_MEASURE_COLUMNS),
    dependents=(SpcResult,),
)
_PERIOD_RESULTS = _RollUpTable(
    PeriodResult,
    tmp="gonv_tmp_period_result",
    keys=("measure_id", "unit_id", "period_start"),
    columns=tuple(_PERIOD_COLUMNS),
)


def _scalar(sql: str, params: dict[str, Any]) -> tuple[Any, ...]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return tuple(cursor.fetchone())


def _apply(target: _RollUpTable, *, scope: str, quarter: Quarter, stored: int) -> int:
    """Bring the quarter's rows of a result table in line with its temporary table of results.

    The temporary table says per row how it stands against the stored row (_against_stored),
    so each statement touches only its rows, and a statement with nothing to do is not run:
    - delete: stored rows (within scope, an SQL condition on the result table; `stored` of
      them) that were not computed again, e.g. a unit that stopped reporting, and the rows of
      the dependent tables that belonged to them;
    - update: stored rows whose values changed, found by their key;
    - insert: new rows, plainly: computations hold the compute lock (_lock_computation), so
      nothing else writes these rows meanwhile, and INSERT … ON CONFLICT's speculative
      insertion cost half of a cold quarter's write.
    Returns the rows written.
    """
    params = {"q": quarter.code}
    table, tmp = target.table, target.tmp
    matched, changed, new = _scalar(
        f"SELECT COALESCE(SUM(stored), 0), COALESCE(SUM(changed), 0), "
        f"COALESCE(SUM(1 - stored), 0) FROM {tmp}",
        params,
    )
    same_key = " AND ".join(f"s.{k} = {table}.{k}" for k in target.keys)
    written = 0
    if stored > matched:
        written += _run(
            f"DELETE FROM {table} WHERE quarter = %(q)s{scope} AND NOT EXISTS "
            f"(SELECT 1 FROM {tmp} s WHERE s.stored = 1 AND {same_key})",
            params,
        )
        for dependent in map(_table, target.dependents):
            result_key = " AND ".join(f"r.{k} = {dependent}.{k}" for k in ["quarter", *target.keys])
            _run(
                f"DELETE FROM {dependent} WHERE quarter = %(q)s AND NOT EXISTS "
                f"(SELECT 1 FROM {table} r WHERE {result_key})",
                params,
            )
    if changed:
        # The quarter's condition lets the join read the quarter's rows by index.
        written += _run(
            f"UPDATE {table} SET {', '.join(f'{c} = s.{c}' for c in target.columns)} "
            f"FROM {tmp} s "
            f"WHERE {table}.quarter = %(q)s AND {same_key} AND s.changed = 1",
            params,
        )
    if new:
        written += _run(
            f"INSERT INTO {table} (quarter, {target.names}) "
            f"SELECT %(q)s, {target.names} FROM {tmp} WHERE stored = 0",
            params,
        )
    return written


def _quarter_params(quarter: Quarter) -> dict[str, Any]:
    return {
        "q": quarter.code,
        "q_start": _date(quarter.start),
        "q_end": _date(quarter.end),
    }


def _run(sql: str, params: dict[str, Any] | None = None) -> int:
    """Execute one statement; returns the rows it wrote."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if connection.vendor == "sqlite":
            # Python's sqlite3 reports rowcount -1 for statements that start with WITH.
            cursor.execute("SELECT changes()")
            return cursor.fetchone()[0]
        return cursor.rowcount


def _through_temp(target: _RollUpTable, select: str, *, scope: str, quarter: Quarter) -> int:
    """Write the results that `select` computes into the result table; returns rows written.

    The first computation of a quarter (nothing stored in scope) inserts straight from the
    aggregation. Otherwise the results go into a temporary table that _apply brings the
    stored rows in line with, and is dropped. No ANALYZE of the temporary table: the writes
    know their row counts and use hash joins (_tune_for_batch), so statistics buy nothing.
    """
    params = _quarter_params(quarter)
    table, tmp = target.table, target.tmp
    (stored,) = _scalar(f"SELECT COUNT(*) FROM {table} WHERE quarter = %(q)s{scope}", params)
    if not stored:
        return _run(
            f"INSERT INTO {table} (quarter, {target.names}) "
            f"SELECT %(q)s, {target.names} FROM ({select}) s",
            params,
        )
    _run(f"DROP TABLE IF EXISTS {tmp}")
    _run(f"CREATE TEMP TABLE {tmp} AS {select}", params)
    try:
        return _apply(target, scope=scope, quarter=quarter, stored=stored)
    finally:
        _run(f"DROP TABLE IF EXISTS {tmp}")


def _write_measure_results(quarter: Quarter) -> int:
    """Roll the quarter's observations up the tree into MeasureResult; returns rows written."""
    return _through_temp(_MEASURE_RESULTS, _measure_sql(), scope="", quarter=quarter)


def _write_period_results(
    quarter: Quarter,
    *,
    measure_ids: Iterable[int] | None = None,
    unit_ids: Iterable[int] | None = None,
) -> int:
    """Roll each period of the quarter up the tree into PeriodResult; returns rows written.

    Optionally only for some measures (the SPC step, one measure at a time) or some result
    units (the goal status needs the series of each phase's organisation unit only).
    """
    measure_ids = None if measure_ids is None else list(measure_ids)
    unit_ids = None if unit_ids is None else list(unit_ids)
    return _through_temp(
        _PERIOD_RESULTS,
        _period_sql(measure_ids, unit_ids),
        scope=_period_filter(measure_ids, unit_ids),
        quarter=quarter,
    )


# --- SPC --------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _period_end(start: datetime.date, frequency: str) -> datetime.date:
    """Last day of the period that starts on the given day (a few dozen distinct ones)."""
    if frequency == Measure.Frequency.QUARTERLY:
        return Quarter.containing(start).end
    next_month = (start.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return next_month - datetime.timedelta(days=1)


def _series_by_unit(
    measure_id: int, quarter: Quarter, *, only_aggregates: bool
) -> Iterator[tuple[int, list[tuple[datetime.date, Decimal | None]]]]:
    """Stream (unit, series up to the quarter's end) for one measure, one unit at a time.

    Only units with a result this quarter (a closed unit's old series gets no new chart),
    and with only_aggregates only units that have units below them; filtered in the query.
    """
    with_result = MeasureResult.objects.filter(measure_id=measure_id, quarter=quarter.code).values(
        "unit_id"
    )
    rows = PeriodResult.objects.filter(
        measure_id=measure_id, period_start__lte=quarter.end, unit_id__in=with_result
    )
    if only_aggregates:
        rows = rows.filter(
            unit_id__in=Unit.objects.filter(parent__isnull=False).values("parent_id")
        )
    current: int | None = None
    series: list[tuple[datetime.date, Decimal | None]] = []
    ordered = rows.order_by("unit_id", "period_start").values_list(
        "unit_id", "period_start", "value"
    )
    for unit_id, start, value in ordered.iterator(chunk_size=5000):
        if unit_id != current:
            if current is not None:
                yield current, series
            current, series = unit_id, []
        series.append((start, value))
    if current is not None:
        yield current, series


# Bump when the stored SPC summary changes shape or meaning: every series is then recomputed
# once, since its stored digest no longer matches.
SPC_FORMAT_VERSION = 2


def spc_summary(
    series: list[tuple[datetime.date, Decimal | None]],
    *,
    improvement: str,
    target: Decimal | None = None,
) -> dict[str, Any]:
    """SPC of one series in the compact form stored as SpcResult.summary.

    Points are [period start, value, type, rules]; a period without a value (say, a share
    whose denominator was 0) has no point, as xmr skips missing values.
    """
    result = xmr(
        [value for _, value in series],
        improvement=None if improvement == Measure.Improvement.NONE else improvement,
        target=float(target) if target is not None else None,
    )
    data = result.to_dict()
    data["points"] = [
        [series[point["index"]][0].isoformat(), point["value"], point["type"], point["rules"]]
        for point in data["points"]
    ]
    return data


def spc_digest(
    series: list[tuple[datetime.date, Decimal | None]],
    *,
    improvement: str,
    target: Decimal | None,
) -> str:
    """A fingerprint of everything an SPC summary is computed from.

    Stored with the summary, it lets a rerun skip the series whose inputs did not change: most
    of them, since a change of one observation alters only its unit's and ancestors' series.
    """
    text = repr((SPC_FORMAT_VERSION, improvement, str(target), series))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


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


def _upsert_quarter_rows(
    model: type[Any],
    quarter: Quarter,
    keys: list[str],
    columns: list[str],
    rows: list[Any],
    *,
    none_stored: bool = False,
) -> int:
    """Insert or update a quarter's rows of a result table on its key (quarter, *keys).

    rows hold the values of keys then columns. PostgreSQL: COPY into a temporary table and one
    INSERT … ON CONFLICT from it. COPY streams the rows in one round trip and the server parses
    them in bulk: a fraction of the time of one statement per row (executemany took half the
    SQL floor for the 800 goals of the national benchmark), and unlike Django's
    bulk_create(update_conflicts=True), which sends one array per column, it quotes no text or
    JSON in Python (0.2 s there). With none_stored (the caller found none of these keys stored,
    under the computation's lock), COPY goes straight into the table: a quarter's first write
    has nothing to update. SQLite (the embedded mode, small data): executemany.
    Returns the rows written.
    """
    if not rows:
        return 0
    table = _table(model)
    names = ", ".join([*keys, *columns])
    on_conflict = f"ON CONFLICT (quarter, {', '.join(keys)}) DO UPDATE SET " + ", ".join(
        f"{c} = excluded.{c}" for c in columns
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and none_stored:
            with cursor.copy(f"COPY {table} (quarter, {names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((quarter.code, *row))
        elif connection.vendor == "postgresql":
            tmp = f"gonv_tmp_{model._meta.model_name}"
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {tmp} ON COMMIT DROP AS "
                f"SELECT {names} FROM {table} WITH NO DATA"
            )
            cursor.execute(f"TRUNCATE {tmp}")
            with cursor.copy(f"COPY {tmp} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                f"INSERT INTO {table} (quarter, {names}) "
                f"SELECT %s, {names} FROM {tmp} {on_conflict}",
                [quarter.code],
            )
        else:
            placeholders = ", ".join(["%s"] * (1 + len(keys) + len(columns)))
            cursor.executemany(
                f"INSERT INTO {table} (quarter, {names}) VALUES ({placeholders}) {on_conflict}",
                [(quarter.code, *row) for row in rows],
            )
    return len(rows)


def _store_spc(
    quarter: Quarter, rows: list[tuple[int, int, str, str]], *, none_stored: bool
) -> int:
    """Upsert (measure, unit, summary JSON, digest) as the quarter's SpcResult rows."""
    return _upsert_quarter_rows(
        SpcResult,
        quarter,
        ["measure_id", "unit_id"],
        ["summary", "digest"],
        rows,
        none_stored=none_stored,
    )


def _write_spc(quarter: Quarter, *, measure_ids: Iterable[int] | None = None) -> int:
    """Compute SPC for the quarter's (measure, unit) results whose inputs changed.

    Returns the series computed; a series whose digest matches the stored one is skipped.
    """
    only_aggregates = settings.GONV_SPC_SCOPE == "aggregates"
    targets = _measure_targets()
    measures = Measure.objects.only("id", "improvement", "frequency")
    if measure_ids is not None:
        measures = measures.filter(id__in=list(measure_ids))
    count = 0
    for measure in measures:
        stored = dict(
            SpcResult.objects.filter(measure=measure, quarter=quarter.code).values_list(
                "unit_id", "digest"
            )
        )
        rows: list[tuple[int, int, str, str]] = []
        charted: set[int] = set()
        for unit_id, series in _series_by_unit(
            measure.pk, quarter, only_aggregates=only_aggregates
        ):
            charted.add(unit_id)
            target = targets.get((measure.pk, unit_id))
            digest = spc_digest(series, improvement=measure.improvement, target=target)
            if stored.get(unit_id) == digest:
                continue
            summary = spc_summary(series, improvement=measure.improvement, target=target)
            rows.append((measure.pk, unit_id, json.dumps(summary, cls=DjangoJSONEncoder), digest))
            if len(rows) >= 5000:
                count += _store_spc(quarter, rows, none_stored=not stored)
                rows = []
        count += _store_spc(quarter, rows, none_stored=not stored)
        # A unit whose series is gone (its observations withdrawn, or outside the SPC scope
        # now) keeps no chart of what it used to be.
        if gone := stored.keys() - charted:
            SpcResult.objects.filter(
                measure=measure, quarter=quarter.code, unit_id__in=sorted(gone)
            ).delete()
    return count


def spc_compute(*, quarters: Iterable[Quarter], measure_ids: Iterable[int] | None = None) -> int:
    """Roll up the period series and compute SPC for the quarters, oldest first.

    The CPU-bound half of the follow-up: the Celery path runs it as one task per measure after
    the roll-ups have committed, each going through the quarters in order (a quarter's series
    includes the earlier quarters' periods). Returns the series computed.
    """
    ids = None if measure_ids is None else list(measure_ids)
    count = 0
    for quarter in sorted(quarters):
        with transaction.atomic():
            _lock_spc(ids)
            _tune_for_batch()
            _write_period_results(quarter, measure_ids=ids)
            count += _write_spc(quarter, measure_ids=ids)
    transaction.on_commit(result_cache.bump_generation)
    return count


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
    """Per adoption goal: (active target units, adopted by the date, planned by the deadline).

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
    FROM {_table(Goal)} g
    JOIN {_table(WorkingMethod)} wm ON wm.id = g.working_method_id
    JOIN {_table(ProgrammeArea)} pa ON pa.id = g.programme_area_id
    JOIN {_table(Phase)} ph ON ph.id = pa.phase_id
    JOIN {_table(UnitClosure)} sc
      ON sc.ancestor_id = COALESCE(ph.organisation_unit_id, %(default_root)s)
    JOIN {_table(Unit)} u ON u.id = sc.descendant_id AND u.kind_id = g.unit_kind_id
    LEFT JOIN {_table(AdoptionRecord)} ar ON ar.unit_id = u.id
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
        cursor.execute(sql, {"as_of": _date(as_of), "default_root": default_root})
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


@functools.lru_cache(maxsize=1)
def _engine_source_digest() -> str:
    """A digest of the code that turns a goal's inputs into its result row.

    Part of every goal's inputs digest, so that a release that changes a rule or a sentence
    re-evaluates every goal once, without anybody having to remember a version number.
    """
    digest = hashlib.blake2b(digest_size=16)
    for module in (engine, sys.modules[__name__]):
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


def _write_goal_results(quarter: Quarter, as_of: datetime.date) -> int:
    """Evaluate the goals whose inputs changed and upsert their GoalResult; returns rows written.

    Like the roll-ups, a rerun over unchanged inputs writes nothing, and it evaluates nothing
    either: each row keeps the digest of its inputs (_goal_inputs_digest), and a goal with the
    same digest keeps its row.
    """
    rules = engine.rules_from_mapping(settings.GONV_STATUS_RULES)
    # The rules in force (defaults and overrides alike), as the engine applies them.
    # NUL ends it, as each part of a goal's digest (_goal_inputs_digest).
    context = (
        repr((_engine_source_digest(), rules, translation.get_language(), as_of)).encode() + b"\0"
    )
    goals = _goals_for_status()
    roots = _scope_roots()
    adoption = _adoption_counts(as_of)
    assessments = _latest_assessments(quarter)
    series = _measure_series(goals, roots, quarter)
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
        goal_series = series.get((goal.measure_id, roots.get(goal.programme_area.phase_id, -1)))
        digest = _goal_inputs_digest(
            goal,
            context,
            (goal_adoption, goal_series, assessment, assessment_quarter),
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
        )
        latest = evaluation.assessment
        changed.append(
            (
                goal.pk,
                {
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
                    "inputs_digest": digest,
                },
            )
        )
    _upsert_goal_results(quarter, changed, none_stored=not stored)
    return len(changed)


def _upsert_goal_results(
    quarter: Quarter, rows: list[tuple[int, dict[str, Any]]], *, none_stored: bool
) -> None:
    """Insert or update the quarter's GoalResult rows of the goals given."""
    columns = [*_GOAL_RESULT_FIELDS, "inputs_digest"]
    _upsert_quarter_rows(
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


_GOAL_RESULT_FIELDS = (
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


def observation_delete(*, user: Any, observation: Observation) -> None:
    """Delete one value of a unit in the user's scope (history keeps it; recompute on commit)."""
    checked_delete(
        user=user,
        obj=observation,
        message=ERROR_OBSERVATION_FORBIDDEN.format(unit=observation.unit.name),
    )


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


def _goal_measure_ids() -> set[int]:
    """The measures that measure goals follow."""
    return set(
        Goal.objects.filter(kind=Goal.Kind.MEASURE, measure__isnull=False)
        .values_list("measure_id", flat=True)
        .distinct()
    )


def _tune_for_batch() -> None:
    """Planner settings for this transaction's large aggregations (PostgreSQL only).

    The planner overestimates the closure joins by an order of magnitude and would spend a
    second on JIT compilation; sorts and hashes of a national quarter need more than the
    default 4 MB to stay in memory. Every statement of a computation joins whole sets (a
    quarter's results with the stored ones, goals with their units' adoption records), where
    hash joins beat the index loops the planner picks from its estimates: measured at national
    scale, about half the time of the writes and of the adoption counts. SET LOCAL ends with
    the transaction.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute("SET LOCAL enable_nestloop = off")
            # Nor merge joins: right after a quarter's first write the statistics still say it
            # has no rows, and the planner merged a measure's period series with the stored
            # ones on the measure alone, comparing 9 million pairs (1.5 s instead of 0.1 s).
            cursor.execute("SET LOCAL enable_mergejoin = off")


def quarter_compute(
    *,
    quarter: Quarter,
    trigger: str = "",
    today: datetime.date | None = None,
    spc: bool = True,
) -> QuarterSummary:
    """Compute and store every result of one quarter, atomically; a rerun writes the same rows.

    Counts in the summary are rows written: a rerun over unchanged data writes none. With
    spc=False the period series of units below the phases' organisation units and the SPC are
    left to spc_compute (the Celery path runs it per measure afterwards).
    """
    today = today or timezone.localdate()
    as_of = min(quarter.end, today)
    started = timezone.now()
    with transaction.atomic():
        _lock_computation()
        _tune_for_batch()
        measure_rows = _write_measure_results(quarter)
        if spc:
            period_rows = _write_period_results(quarter)
        else:
            # Goal status reads only the series of measure goals, for each phase's organisation
            # unit; the rest of the series is spc_compute's, per measure, afterwards.
            period_rows = _write_period_results(
                quarter,
                measure_ids=_goal_measure_ids(),
                unit_ids=set(_scope_roots().values()),
            )
        spc_series = _write_spc(quarter) if spc else 0
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
    """A change in one quarter alters it and every later one (SPC series, goal status)."""
    start = Quarter.parse(first) if isinstance(first, str) else first
    current = Quarter.containing(today or timezone.localdate())
    return quarter_range(start, current) if start <= current else []
