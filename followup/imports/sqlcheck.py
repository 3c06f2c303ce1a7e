"""The checks of a CSV file's rows, set-based in PostgreSQL.

Python only reads the CSV (its encoding and separator detected, blank rows skipped:
parsing.open_csv(trim=False)) and sends the raw text of the cells the header names, with the
file's row number, to a temporary table with COPY. Then one statement trims the cells, parses
the numbers and periods (with the patterns and limits parsing.py uses, passed as parameters:
one source), looks up the units and measures by join (each distinct text once), runs every row
check the Python checker runs (rows._RowChecker, in the same order, with the same early
stops), writes the rows without problems into the staging table of the staged pass, and
returns the first rows with problems: each with the codes of its problems in order and the
facts their messages need. The messages themselves are written in Python
(staged._sql_messages) from the same templates the Python checker uses.

The parity of the two paths is tested file by file over the whole corpus and cell by cell for
the parsers (tests/followup/imports/test_sqlcheck.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any

from base import periods
from organisation.models import Unit, UnitKind

from .. import value_rules
from ..models import Measure
from . import parsing

RAW = "gonv_import_raw"
# The cells staged, by the header's column keys (comment last), after the row number.
RAW_KEYS = ("unit", "measure", "period", "value", "numerator", "denominator", "comment")
RAW_CHUNK = 10_000


def create_raw(cursor: Any) -> None:
    """The temporary table of the raw cells (text, as the file has them)."""
    cursor.execute(f"DROP TABLE IF EXISTS {RAW}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {RAW} (line integer NOT NULL, "
        + ", ".join(f"{key} text" for key in RAW_KEYS)
        + ")"
    )


def stage_raw(
    cursor: Any,
    rows: Iterator[tuple[int, list[Any]]],
    positions: dict[str, int],
    counted: Callable[[int], None],
) -> None:
    """Every row's cells as text into the raw table, a COPY per chunk; `counted` after each.

    No cell is parsed here: a missing cell (a short row) is NULL, an empty one ''.
    """
    picks = [positions.get(key) for key in RAW_KEYS]
    statement = f"COPY {RAW} (line, {', '.join(RAW_KEYS)}) FROM STDIN"
    iterator = iter(rows)
    while True:
        count = 0
        # Rows go to COPY as they are read (no chunk is held), RAW_CHUNK rows a COPY.
        with cursor.cursor.copy(statement) as copy:
            write = copy.write_row
            for number, cells in islice(iterator, RAW_CHUNK):
                width = len(cells)
                write((number, *[cells[p] if p is not None and p < width else None for p in picks]))
                count += 1
        if not count:
            return
        counted(count)


NUMBER_CELLS = ("value", "numerator", "denominator")


def numbers_sql(source: str) -> str:
    """The rows of `source` with their number cells (value, numerator, denominator) read.

    For each cell c: c_lit (the plain literal: sign, digits, point, fraction; no sign on a zero,
    as parsing.parse_number reads "−0", nor for a plus), c_pct (a trailing
    %), c_frac (decimals as written), c_val, c_nan (a cell that is no number), c_big (at or
    above the limit) and c_has (a number to use). Each level is its own subquery (OFFSET 0), so
    that a pattern is matched once per cell, not once for every expression that reads it.
    """
    cells = NUMBER_CELLS
    # A plain number (digits, maybe a mark and digits) is read without the groups.
    match = ", ".join(
        f"coalesce(s.{c} ~ %(plain)s, false) AS {c}_plain, "
        f"CASE WHEN s.{c} <> '' AND NOT s.{c} ~ %(plain)s "
        f"THEN regexp_match(s.{c}, %(number)s) END AS {c}_g"
        for c in cells
    )
    parts = ", ".join(
        f"""CASE WHEN m.{c}_plain THEN replace(m.{c}, ',', '.')
            WHEN m.{c}_g IS NOT NULL THEN
            CASE WHEN m.{c}_g[1] NOT IN ('', '+')
                AND m.{c}_g[2] || coalesce(m.{c}_g[3], '') ~ '[1-9]' THEN '-' ELSE '' END
            || regexp_replace(m.{c}_g[2], %(spaces)s, '', 'g')
            || coalesce('.' || m.{c}_g[3], '') END AS {c}_lit,
        m.{c}_g[4] IS NOT NULL AS {c}_pct,
        CASE WHEN m.{c}_plain THEN
            coalesce(length(m.{c}) - NULLIF(greatest(strpos(m.{c}, ','), strpos(m.{c}, '.')), 0), 0)
            ELSE coalesce(length(m.{c}_g[3]), 0) END AS {c}_frac,
        coalesce(m.{c} <> '', false) AND NOT m.{c}_plain AND m.{c}_g IS NULL AS {c}_nan"""
        for c in cells
    )
    values = ", ".join(f"p.{c}_lit::numeric AS {c}_val" for c in cells)
    flags = ", ".join(
        f"coalesce(abs(v.{c}_val) >= %(max_value)s, false) AS {c}_big, "
        f"coalesce(abs(v.{c}_val) < %(max_value)s, false) AS {c}_has"
        for c in cells
    )
    return f"""
    SELECT v.*, {flags} FROM (
        SELECT p.*, {values} FROM (
            SELECT m.*, {parts} FROM (
                SELECT s.*, {match} FROM ({source}) AS s OFFSET 0
            ) AS m OFFSET 0
        ) AS p OFFSET 0
    ) AS v"""


def period_text_sql(expression: str) -> str:
    """parsing.period_text in SQL (the whitespace set and its ASCII rule)."""
    collapsed = f"regexp_replace(btrim({expression}, %(ws)s), %(ws_run)s, ' ', 'g')"
    return (
        f"CASE WHEN octet_length({collapsed}) = char_length({collapsed}) "
        f"THEN lower({collapsed}) ELSE '' END"
    )


# A parsed period's start and end when it has no error.
_PERIOD_BOUNDS = """
    CASE WHEN p.error IS NULL THEN
        make_date(p.year, p.month - CASE WHEN p.kind = 'quarter' THEN 2 ELSE 0 END, 1) END
        AS start,
    CASE WHEN p.error IS NULL THEN
        (make_date(p.year, p.month, 1) + interval '1 month' - interval '1 day')::date END
        AS end_"""


def periods_sql(source: str) -> str:
    """The distinct period cells of `source` (a query with a column `raw`, '' for none) parsed:
    kind ('month'/'quarter'), error ('unreadable' with the original text, 'month' unreadable
    month, 'not_first', 'range'), original and t (the normalised text), and when there is no
    error start, end_ and quarter ("2025Q4", of the end, as Quarter.containing(end).code)."""
    return f"""
    SELECT b.*, extract(year FROM b.end_)::int || 'Q'
        || ((extract(month FROM b.end_)::int - 1) / 3 + 1) AS quarter
    FROM (SELECT p.*, {_PERIOD_BOUNDS} FROM ({_periods_parsed(source)}) AS p) AS b"""


def _periods_parsed(source: str) -> str:
    return f"""
    SELECT d.raw, d.original, d.t, pk.kind,
        CASE
            WHEN pm.groups IS NULL THEN 'unreadable'
            WHEN pk.kind = 'month' AND pv.day IS NOT NULL AND pv.day <> '01' THEN 'not_first'
            WHEN pk.kind = 'month' AND pv.month NOT BETWEEN 1 AND 12 THEN 'month'
            WHEN pv.year NOT BETWEEN %(first_year)s AND %(last_year)s THEN 'range'
        END AS error,
        pv.year, pv.month
    FROM (
        SELECT raw, btrim(raw, %(ws)s) AS original, {period_text_sql("raw")} AS t
        FROM ({source}) AS s
    ) AS d
    LEFT JOIN LATERAL (
        SELECT p.groups, regexp_match(d.t, p.pattern) AS g
        FROM unnest(%(period_patterns)s::text[], %(period_groups)s::text[])
            WITH ORDINALITY AS p(pattern, groups, ord)
        WHERE d.t ~ p.pattern AND (
            strpos(p.groups, 'n') = 0
            OR (regexp_match(d.t, p.pattern))[strpos(p.groups, 'n')] = ANY(%(month_names)s)
        )
        ORDER BY p.ord LIMIT 1
    ) AS pm ON true
    CROSS JOIN LATERAL (
        SELECT CASE WHEN pm.groups IS NULL THEN NULL
                    WHEN strpos(pm.groups, 'q') > 0 THEN 'quarter' ELSE 'month' END AS kind
    ) AS pk
    CROSS JOIN LATERAL (
        SELECT CASE WHEN strpos(pm.groups, 'Y') > 0
                    THEN %(century)s + (pm.g[strpos(pm.groups, 'Y')])::int
                    ELSE (pm.g[strpos(pm.groups, 'y')])::int END AS year,
               CASE WHEN strpos(pm.groups, 'q') > 0
                    THEN 3 * (pm.g[strpos(pm.groups, 'q')])::int
                    WHEN strpos(pm.groups, 'n') > 0
                    THEN (%(month_numbers)s::int[])[
                        array_position(%(month_names)s::text[], pm.g[strpos(pm.groups, 'n')])]
                    ELSE (pm.g[strpos(pm.groups, 'm')])::int END AS month,
               pm.g[strpos(pm.groups, 'd')] AS day
    ) AS pv"""


def _half_even(x: str) -> str:
    """round(x, MAX_DECIMALS) with ties to even, as Decimal.quantize rounds."""
    places = parsing.MAX_DECIMALS
    scaled = f"({x} * {10**places})"
    return (
        f"CASE WHEN {scaled} - trunc({scaled}) = 0.5 AND mod(trunc({scaled}), 2) = 0 "
        f"THEN trunc({x}, {places}) ELSE round({x}, {places}) END"
    )


def params(*, today: Any, denied: list[int]) -> dict[str, Any]:
    """The parameters of the statements: the parsers' rules, the day, the units refused."""
    month_names = list(parsing._MONTH_BY_NAME)
    return {
        "number": parsing.NUMBER_PATTERN,
        "plain": parsing.PLAIN_NUMBER_PATTERN,
        "pad": parsing.CELL_PADDING,
        "spaces": parsing.SPACES_PATTERN,
        "max_value": parsing.MAX_VALUE,
        "ws": parsing.WHITESPACE,
        "ws_run": f"[{parsing.WHITESPACE}]+",
        "period_patterns": [pattern for pattern, _groups in parsing.PERIOD_PATTERNS],
        "period_groups": [groups for _pattern, groups in parsing.PERIOD_PATTERNS],
        "month_names": month_names,
        "month_numbers": [parsing._MONTH_BY_NAME[name] for name in month_names],
        "first_year": periods.FIRST_YEAR,
        "last_year": periods.LAST_YEAR,
        "century": parsing.CENTURY,
        "today": today,
        "denied": denied,
        "monthly": Measure.Frequency.MONTHLY.value,
        "quarterly": Measure.Frequency.QUARTERLY.value,
        "share": Measure.ValueType.SHARE.value,
        "index": Measure.ValueType.INDEX.value,
        "count": Measure.ValueType.COUNT.value,
        "weighted_mean": value_rules.WEIGHTED_MEAN,
        "tolerance": parsing.TOLERANCE,
        "half": parsing.HALF,
        "max_decimals": parsing.MAX_DECIMALS,
        "hundred": parsing.HUNDRED,
        "limit": 0,
    }


def _lookups() -> str:
    units = Unit._meta.db_table
    kinds = UnitKind._meta.db_table
    measures = Measure._meta.db_table
    through = Measure.unit_kinds.through._meta.db_table
    return f"""
    units AS (
        SELECT keyed.*, count(*) OVER (PARTITION BY key, pick) AS candidates
        FROM (
            SELECT u.code AS exact, lower(u.code) AS key, 0 AS pick, u.id, u.name, u.kind_id,
                   k.name AS kind_name, u.valid_from, u.valid_to
            FROM {units} AS u JOIN {kinds} AS k ON k.id = u.kind_id
            UNION ALL
            SELECT u.hsa_id, lower(u.hsa_id), 1, u.id, u.name, u.kind_id, k.name, u.valid_from,
                   u.valid_to
            FROM {units} AS u JOIN {kinds} AS k ON k.id = u.kind_id
            WHERE u.hsa_id IS NOT NULL AND u.hsa_id <> ''
        ) AS keyed
    ),
    measures AS (
        SELECT m.code AS exact, lower(m.code) AS key, m.id, m.name, m.value_type, m.frequency,
               m.aggregation,
               ARRAY(SELECT t.unitkind_id FROM {through} AS t WHERE t.measure_id = m.id) AS kinds,
               count(*) OVER (PARTITION BY lower(m.code)) AS candidates
        FROM {measures} AS m
    )"""


def _distinct(column: str) -> str:
    """A column's distinct trimmed cells, '' for none."""
    return f"SELECT DISTINCT coalesce(btrim({column}, %(pad)s), '') AS raw FROM {RAW}"


def _unit_of(texts: str) -> str:
    """The unit each distinct cell of `texts` (a query of `raw`) names, as
    lookups._Lookups.unit finds it: by code, else by HSA-id, ignoring case; at that level the
    one written exactly so wins, else the only one; several that differ only by case and none
    written exactly so: `ambiguous`, and no unit."""
    return f"""
    SELECT raw, text, CASE WHEN found THEN id END AS id,
        CASE WHEN found THEN kind_id END AS kind_id,
        CASE WHEN found THEN valid_from END AS valid_from,
        CASE WHEN found THEN valid_to END AS valid_to,
        coalesce(NOT found, false) AS ambiguous
    FROM (
        SELECT DISTINCT ON (d.raw) d.raw, d.text, u.id, u.kind_id, u.valid_from, u.valid_to,
            u.exact = d.text OR u.candidates = 1 AS found
        FROM (SELECT raw, btrim(raw, %(ws)s) AS text FROM ({texts}) AS t) AS d
        LEFT JOIN units AS u ON u.key = lower(d.text)
        ORDER BY d.raw, u.pick, u.exact = d.text DESC, u.id
    ) AS picked"""


def unit_ids_sql() -> str:
    """The ids of the units the raw rows name (for the scope, asked of the rules per unit)."""
    return (
        f"WITH {_lookups()} SELECT id FROM ({_unit_of(_distinct('unit'))}) AS u "
        "WHERE id IS NOT NULL"
    )


# The facts a problem's message may need, after the codes (staged._stage_checked_in_sql reads them).
FACTS = (
    "unit_text", "measure_text", "period_original", "period_kind", "period_start",
    "unit_name", "kind_name", "measure_name", "value_raw", "value_lit", "numerator_raw",
    "numerator_lit", "denominator_raw", "denominator_lit", "final", "computed",
)  # fmt: skip


# The raw cells trimmed as parsing trims a CSV's cells (the Python pass does not: sqlcheck's
# rows come untrimmed, parsing.open_csv(trim=False)).
TRIMMED = (
    f"SELECT line, {', '.join(f'btrim({key}, %(pad)s) AS {key}' for key in RAW_KEYS)} FROM {RAW}"
)


def unfilled_sql(alias: str) -> str:
    """Whether a row of TRIMMED (as `alias`) is a template row left unfilled: unit, measure and
    period given, no värde, täljare, nämnare or kommentar (rows._RowChecker._unfilled)."""
    given = " AND ".join(
        f"coalesce({alias}.{key}, '') <> ''" for key in ("unit", "measure", "period")
    )
    empty = " AND ".join(
        f"coalesce({alias}.{key}, '') = ''" for key in ("value", "numerator", "denominator")
    )
    return f"({given} AND {empty} AND btrim(coalesce({alias}.comment, ''), %(ws)s) = '')"


def unfilled_count_sql() -> str:
    """How many raw rows are template rows left unfilled (skipped by check_sql)."""
    return f"SELECT count(*) FROM ({TRIMMED}) AS r WHERE {unfilled_sql('r')}"


def check_sql(staging: str) -> str:
    """Check every raw row; write the good ones into `staging`; return the first bad ones.

    The problem codes of a row come in the order rows._RowChecker finds them, with its
    early stops (its _values returns at the first problem from the percent sign on).
    """
    c = "coalesce"
    distinct = _distinct

    return f"""
    WITH {_lookups()},
    periods AS MATERIALIZED ({periods_sql(distinct("period"))}),
    unit_of AS MATERIALIZED ({_unit_of(distinct("unit"))}
    ),
    measure_of AS MATERIALIZED (
        SELECT raw, text, CASE WHEN found THEN id END AS id,
            CASE WHEN found THEN value_type END AS value_type,
            CASE WHEN found THEN frequency END AS frequency,
            CASE WHEN found THEN aggregation END AS aggregation,
            CASE WHEN found THEN kinds END AS kinds,
            coalesce(NOT found, false) AS ambiguous
        FROM (
            SELECT DISTINCT ON (d.raw) d.raw, d.text, m.id, m.value_type, m.frequency,
                m.aggregation, m.kinds,
                m.exact = d.text OR m.candidates = 1 AS found
            FROM (SELECT raw, btrim(raw, %(ws)s) AS text FROM ({distinct("measure")}) AS t) AS d
            LEFT JOIN measures AS m ON m.key = lower(d.text)
            ORDER BY d.raw, m.exact = d.text DESC, m.id
        ) AS picked
    ),
    rows AS (
    SELECT r.line, btrim({c}(r.comment, ''), %(ws)s) AS comment,
        u.text AS unit_text, m.text AS measure_text,
        u.id AS unit_id, u.ambiguous AS unit_ambiguous, u.kind_id, u.valid_from, u.valid_to,
        m.id AS measure_id, m.ambiguous AS measure_ambiguous, m.value_type, m.frequency, m.kinds,
        coalesce(m.aggregation = %(weighted_mean)s, false) AS weighted,
        p.original AS period_original, p.kind AS period_kind, p.error AS perr,
        p.start, p.end_, p.quarter,
        r.value AS value_raw, r.value_lit, r.value_pct, r.value_frac, r.value_val,
        r.value_nan, r.value_big, r.value_has,
        r.numerator AS numerator_raw, r.numerator_lit, r.numerator_pct, r.numerator_frac,
        r.numerator_val, r.numerator_nan, r.numerator_big, r.numerator_has,
        r.denominator AS denominator_raw, r.denominator_lit, r.denominator_pct,
        r.denominator_frac, r.denominator_val, r.denominator_nan, r.denominator_big,
        r.denominator_has
    FROM ({numbers_sql(TRIMMED)}) AS r
    JOIN unit_of AS u ON u.raw = {c}(r.unit, '')
    JOIN measure_of AS m ON m.raw = {c}(r.measure, '')
    JOIN periods AS p ON p.raw = {c}(r.period, '')
    WHERE NOT {unfilled_sql("r")}
    ),
    flagged AS (
    SELECT x.*, f.*, g.*, h.*, k.*
    FROM rows AS x
    CROSS JOIN LATERAL (SELECT
        x.perr IS NULL AND x.measure_id IS NOT NULL AND x.period_kind = 'month'
            AND x.frequency = %(quarterly)s AS month_for_quarterly,
        x.perr IS NULL AND x.measure_id IS NOT NULL AND x.period_kind = 'quarter'
            AND x.frequency = %(monthly)s AS quarter_for_monthly,
        NOT (x.value_nan OR x.value_big OR x.numerator_nan OR x.numerator_big
             OR x.denominator_nan OR x.denominator_big) AS numbers_ok,
        x.value_type = %(share)s AS share,
        CASE WHEN x.numerator_has AND x.denominator_has AND x.denominator_val <> 0 THEN
            round(x.numerator_val, 30) / x.denominator_val
            * CASE WHEN x.value_type = %(share)s THEN %(hundred)s ELSE 1 END END AS computed,
        -- A share value beside both parts is only a check (the value stored is computed from
        -- them), within half of its last written decimal, at least the tolerance
        -- (parsing.value_tolerance).
        coalesce(x.value_type = %(share)s AND x.numerator_has AND x.denominator_has, false)
            AS checked,
        greatest(%(tolerance)s, %(half)s / power(10::numeric, x.value_frac)) AS tolerance
        OFFSET 0
    ) AS f
    CROSS JOIN LATERAL (SELECT
        x.perr IS NULL AND NOT f.month_for_quarterly AND NOT f.quarter_for_monthly AS period_ok,
        f.numbers_ok AND x.numerator_has AND x.numerator_pct AS numerator_percent,
        f.numbers_ok AND x.numerator_has AND NOT x.numerator_pct AND x.numerator_val < 0
            AS numerator_negative,
        f.numbers_ok AND x.denominator_has AND x.denominator_pct AS denominator_percent,
        f.numbers_ok AND x.denominator_has AND NOT x.denominator_pct AND x.denominator_val < 0
            AS denominator_negative,
        f.numbers_ok AND x.denominator_has AND x.denominator_val = 0 AS denominator_zero,
        f.numbers_ok AND x.denominator_has AND NOT x.numerator_has
            AND NOT x.weighted AS numerator_pair,
        f.numbers_ok AND x.numerator_has AND NOT x.denominator_has AS denominator_pair,
        f.numbers_ok AND NOT x.value_has AND NOT (x.numerator_has AND x.denominator_has)
            AS no_value
        OFFSET 0
    ) AS g
    CROSS JOIN LATERAL (SELECT
        g.numerator_percent OR g.numerator_negative OR g.denominator_percent
            OR g.denominator_negative OR g.denominator_zero OR g.numerator_pair
            OR g.denominator_pair AS early,
        CASE WHEN x.value_has AND NOT f.checked THEN x.value_val
            ELSE {_half_even("f.computed")} END AS final
        OFFSET 0
    ) AS h
    CROSS JOIN LATERAL (SELECT
        f.numbers_ok AND NOT g.no_value AND NOT h.early AND x.measure_id IS NOT NULL
            AS go_values
    ) AS k
    ),
    coded AS (
    SELECT y.*, array_remove(ARRAY[
        CASE WHEN y.unit_ambiguous THEN 'unit_ambiguous'
             WHEN y.unit_id IS NULL THEN 'unit_unknown' END,
        CASE WHEN y.measure_ambiguous THEN 'measure_ambiguous'
             WHEN y.measure_id IS NULL THEN 'measure_unknown' END,
        CASE WHEN y.perr IS NOT NULL THEN 'period_' || y.perr END,
        CASE WHEN y.value_nan THEN 'value_nan' WHEN y.value_big THEN 'value_big' END,
        CASE WHEN y.numerator_nan THEN 'numerator_nan'
             WHEN y.numerator_big THEN 'numerator_big' END,
        CASE WHEN y.denominator_nan THEN 'denominator_nan'
             WHEN y.denominator_big THEN 'denominator_big' END,
        CASE WHEN y.unit_id = ANY(%(denied)s::bigint[]) THEN 'out_of_scope' END,
        CASE WHEN y.month_for_quarterly THEN 'month_for_quarterly'
             WHEN y.quarter_for_monthly THEN 'quarter_for_monthly' END,
        CASE WHEN y.period_ok AND y.start > %(today)s THEN 'period_in_future'
             WHEN y.period_ok AND y.end_ >= %(today)s THEN 'period_not_ended'
             WHEN y.period_ok AND y.unit_id IS NOT NULL AND NOT (
                 (y.valid_from IS NULL OR y.valid_from <= y.end_)
                 AND (y.valid_to IS NULL OR y.valid_to >= y.start)) THEN 'unit_not_active' END,
        CASE WHEN y.unit_id IS NOT NULL AND y.measure_id IS NOT NULL
             AND cardinality(y.kinds) > 0 AND NOT y.kind_id = ANY(y.kinds)
             THEN 'kind_not_reporting' END,
        CASE WHEN y.numerator_percent THEN 'numerator_percent'
             WHEN y.numerator_negative THEN 'numerator_negative' END,
        CASE WHEN y.denominator_percent THEN 'denominator_percent'
             WHEN y.denominator_negative THEN 'denominator_negative' END,
        CASE WHEN y.denominator_zero THEN 'denominator_zero' END,
        CASE WHEN y.numerator_pair THEN 'numerator_pair'
             WHEN y.denominator_pair THEN 'denominator_pair' END,
        CASE WHEN y.no_value AND NOT y.early THEN 'value_missing' END,
        CASE WHEN NOT y.go_values THEN NULL
             WHEN y.value_has AND y.value_pct AND NOT y.share THEN 'value_percent'
             WHEN y.share AND y.numerator_has AND y.denominator_has
                  AND y.numerator_val > y.denominator_val THEN 'numerator_above'
             WHEN y.value_has AND NOT y.checked AND y.value_frac > %(max_decimals)s
                 THEN 'value_precise'
             WHEN y.value_has AND y.checked AND y.computed IS NOT NULL
                  AND abs(y.value_val - y.computed) > y.tolerance THEN 'value_inconsistent'
             WHEN y.numerator_has AND y.numerator_frac > %(max_decimals)s THEN 'numerator_precise'
             WHEN y.denominator_has AND y.denominator_frac > %(max_decimals)s
                 THEN 'denominator_precise'
             WHEN y.share AND NOT y.final BETWEEN 0 AND %(hundred)s THEN 'share_range'
             WHEN y.value_type = %(index)s AND NOT y.final BETWEEN 0 AND %(hundred)s
                 THEN 'index_range'
             WHEN y.share AND NOT (y.numerator_has AND y.denominator_has)
                 THEN 'numerator_parts'
             WHEN y.value_type = %(count)s AND y.final < 0 THEN 'count_negative'
             WHEN y.value_type = %(count)s AND y.final <> trunc(y.final)
                 THEN 'count_decimals'
        END
    ], NULL) AS codes
    FROM flagged AS y
    ),
    written AS (
        INSERT INTO {staging} (line, measure_id, unit_id, period_start, period_end, quarter,
            value, numerator, denominator, comment)
        SELECT line, measure_id, unit_id, start, end_,
            quarter,
            final, numerator_val, denominator_val, comment
        FROM coded WHERE cardinality(codes) = 0
        RETURNING 1
    )
    SELECT e.line, e.codes, sum(cardinality(e.codes)) OVER () AS total,
        e.unit_text, e.measure_text, e.period_original, e.period_kind, e.start,
        un.name, uk.name, me.name, e.value_raw, e.value_lit, e.numerator_raw, e.numerator_lit,
        e.denominator_raw, e.denominator_lit, e.final::text, e.computed::text
    FROM coded AS e
    LEFT JOIN {Unit._meta.db_table} AS un ON un.id = e.unit_id
    LEFT JOIN {UnitKind._meta.db_table} AS uk ON uk.id = un.kind_id
    LEFT JOIN {Measure._meta.db_table} AS me ON me.id = e.measure_id
    WHERE cardinality(e.codes) > 0
    ORDER BY e.line LIMIT %(limit)s"""
