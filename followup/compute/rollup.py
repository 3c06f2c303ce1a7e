"""The roll-up SQL: a quarter's observations summed up the unit closure table, set-based.

One aggregation per result table (MeasureResult for the quarter, PeriodResult per period)
compares each computed row with its stored one, so the writes touch only what changed.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from base.periods import Quarter
from organisation.models import Unit, UnitClosure

from ..models import Measure, MeasureResult, Observation, PeriodResult, SpcResult
from .db import distinct_from, id_list, table_name
from .writes import RollUpTable, write_through_temp

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
# with its stored counterpart finds real changes only (see _against_stored).
# What MeasureResult and PeriodResult store as numerator and denominator: for shares and ratios
# the summed numerator and denominator, for means and indices the total weight (e.g.
# respondents).
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
        SELECT u.id, u.kind_id FROM {table_name(Unit)} u
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
    result = table_name(MeasureResult)
    return f"""
    WITH {_active_cte()},
    per_unit AS (
        SELECT o.measure_id, o.unit_id,
               SUM({_PRIMARY}) AS primary_sum, SUM({_WEIGHT}) AS weight_sum,
               MAX(o.updated_at) AS latest_update
        FROM {table_name(Observation)} o
        JOIN active a ON a.id = o.unit_id
        JOIN {table_name(Measure)} m ON m.id = o.measure_id
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
        JOIN {table_name(UnitClosure)} c ON c.descendant_id = p.unit_id AND c.depth > 0
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
        JOIN {table_name(UnitClosure)} c ON c.descendant_id = a.id
        WHERE a.kind_id IN (SELECT unitkind_id FROM {table_name(Measure.unit_kinds.through)})
        GROUP BY c.ancestor_id, a.kind_id
    ),
    expected AS (
        SELECT mk.measure_id, k.unit_id, SUM(k.units) AS expected_units
        FROM {table_name(Measure.unit_kinds.through)} mk
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
        JOIN {table_name(Measure)} m ON m.id = g.measure_id
    )
    SELECT v.*, {_against_stored("v", MEASURE_COLUMNS)}
    FROM v
    LEFT JOIN {result} cur ON cur.quarter = %(q)s AND cur.measure_id = v.measure_id
                          AND cur.unit_id = v.unit_id
    """


def _null_sum(a: str, b: str) -> str:
    """a + b where NULL means "no value" (as SUM skips NULLs): NULL only if both are."""
    return f"(CASE WHEN {a} IS NULL THEN {b} WHEN {b} IS NULL THEN {a} ELSE {a} + {b} END)"


def _period_filter(measure_ids: Iterable[int] | None, unit_ids: Iterable[int] | None) -> str:
    """SQL conditions limiting a period roll-up to some measures and/or result units."""
    parts = []
    if measure_ids is not None:
        parts.append(f"measure_id IN ({id_list(measure_ids)})")
    if unit_ids is not None:
        parts.append(f"unit_id IN ({id_list(unit_ids)})")
    return "".join(f" AND {part}" for part in parts)


def _period_sql(measure_ids: Iterable[int] | None, unit_ids: Iterable[int] | None) -> str:
    """Each period's results of the quarter for units at every level, against stored rows."""
    observation_filter = _period_filter(measure_ids, None).replace("measure_id", "o.measure_id")
    ancestor_filter = f" AND c.ancestor_id IN ({id_list(unit_ids)})" if unit_ids is not None else ""
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
        FROM {table_name(Observation)} o
        JOIN active a ON a.id = o.unit_id
        JOIN {table_name(Measure)} m ON m.id = o.measure_id
        JOIN {table_name(UnitClosure)} c ON c.descendant_id = o.unit_id{ancestor_filter}
        WHERE o.quarter = %(q)s{observation_filter}
        GROUP BY o.measure_id, c.ancestor_id, o.period_start
    ),
    r AS (
        SELECT g.measure_id, g.unit_id, g.period_start, ROUND({_VALUE_EXPR}, 6) AS value,
               {_NUMERATOR_EXPR} AS numerator, {_DENOMINATOR_EXPR} AS denominator,
               g.reporting_units
        FROM grouped g
        JOIN {table_name(Measure)} m ON m.id = g.measure_id
    )
    SELECT r.*, {_against_stored("r", PERIOD_COLUMNS)}
    FROM r
    LEFT JOIN {table_name(PeriodResult)} cur
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
    differs = " OR ".join(f"cur.{c} {distinct_from()} {source}.{c}" for c in columns)
    # Every result table's quarter is NOT NULL: NULL means no stored row joined.
    return (
        "CASE WHEN cur.quarter IS NULL THEN 0 ELSE 1 END AS stored, "
        f"CASE WHEN cur.quarter IS NOT NULL AND ({differs}) THEN 1 ELSE 0 END AS changed"
    )


MEASURE_COLUMNS = [
    "value",
    "numerator",
    "denominator",
    "reporting_units",
    "expected_units",
    "latest_update",
]


# The parts too: a goal's baseline of several periods pools a share's (Σ täljare ÷ Σ nämnare)
# and weights a weighted mean's by its periods' total weights (Σ värde × nämnare ÷ Σ nämnare).
PERIOD_COLUMNS = ["value", "numerator", "denominator", "reporting_units"]


_MEASURE_RESULTS = RollUpTable(
    MeasureResult,
    tmp="gonv_tmp_measure_result",
    keys=("measure_id", "unit_id"),
    columns=tuple(MEASURE_COLUMNS),
    dependents=(SpcResult,),
)


_PERIOD_RESULTS = RollUpTable(
    PeriodResult,
    tmp="gonv_tmp_period_result",
    keys=("measure_id", "unit_id", "period_start"),
    columns=tuple(PERIOD_COLUMNS),
)


def write_measure_results(quarter: Quarter) -> int:
    """Roll the quarter's observations up the tree into MeasureResult; returns rows written."""
    return write_through_temp(_MEASURE_RESULTS, _measure_sql(), scope="", quarter=quarter)


def write_period_results(
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
    return write_through_temp(
        _PERIOD_RESULTS,
        _period_sql(measure_ids, unit_ids),
        scope=_period_filter(measure_ids, unit_ids),
        quarter=quarter,
    )
