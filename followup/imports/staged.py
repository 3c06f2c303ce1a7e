"""The staged pass (PostgreSQL): COPY into a staging table, then set-based SQL.

A CSV's raw cells are checked in SQL (sqlcheck), an XLSX's rows by _RowChecker; either way the
checked rows land in a temporary staging table, where SQL finds a value given twice, compares
with the stored values, finds the jumps and writes the changes with their history.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from base import periods
from base.periods import Quarter

from .. import value_rules
from ..models import ImportBatch, Measure, Observation
from ..value_rules import (  # every writer's messages (the tests import them from here)
    ERROR_COUNT_DECIMALS,
    ERROR_COUNT_NEGATIVE,
    ERROR_DENOMINATOR_ZERO,
    ERROR_INDEX_RANGE,
    ERROR_KIND_DOES_NOT_REPORT,
    ERROR_NEGATIVE,
    ERROR_NUMERATOR_ABOVE_DENOMINATOR,
    ERROR_PAIR_INCOMPLETE,
    ERROR_PERIOD_IN_FUTURE,
    ERROR_SHARE_PARTS_MISSING,
    ERROR_SHARE_RANGE,
    ERROR_UNIT_NOT_ACTIVE,
)
from . import parsing, sqlcheck
from .history import entered_by_params, entered_by_sql, new_batch, record_manual_replaced
from .lookups import (
    _ambiguous_measure,
    _ambiguous_unit,
    _Lookups,
    _MeasureInfo,
    _UnitInfo,
    unknown_measure_message,
    unknown_unit_message,
)
from .messages import (
    CHANGE_LIMIT,
    CHUNK_ROWS,
    ERROR_DUPLICATE,
    ERROR_VALUE_MISSING,
    JUMP_LIMIT,
    PROBLEM_LIMIT,
    change_reason,
)
from .parsing import ERROR_TOO_PRECISE
from .report import ChangeLine, ImportConflict, ImportReport, Problem, Progress
from .rows import (
    _add_jump,
    _change_details,
    _change_texts,
    _fmt,
    _new_details,
    _period_label,
    _RowChecker,
    inconsistent_message,
    percent_message,
    period_kind_message,
)

# --- the staged pass (PostgreSQL): COPY into a staging table, then set-based SQL ---------------

_STAGING = "gonv_import_staging"
_STAGED_COLUMNS = (
    "line", "measure_id", "unit_id", "period_start", "period_end", "quarter", "value",
    "numerator", "denominator", "comment",
)  # fmt: skip
_SAME_KEY = (
    "o.measure_id = s.measure_id AND o.unit_id = s.unit_id AND o.period_start = s.period_start"
)
_DIFFERS = (
    "(o.period_end, o.value, o.numerator, o.denominator, o.comment) IS DISTINCT FROM "
    "(s.period_end, s.value, s.numerator, s.denominator, s.comment)"
)


def copy_available() -> bool:
    """Whether the import stages its rows with COPY (PostgreSQL) instead of the ORM (SQLite).

    GONV_IMPORT_COPY = False keeps PostgreSQL on the ORM path (the tests compare the two).
    """
    return connection.vendor == "postgresql" and getattr(settings, "GONV_IMPORT_COPY", True)


def _sql_checks() -> bool:
    """Whether a CSV's rows are checked in SQL (sqlcheck) rather than by _RowChecker.

    Only on the staged (PostgreSQL) path; GONV_IMPORT_SQL_CHECKS = False keeps the Python
    checks there (the tests compare the two).
    """
    return copy_available() and getattr(settings, "GONV_IMPORT_SQL_CHECKS", True)


def _staged_pass(
    *,
    table: parsing.Table,
    checker: _RowChecker,
    user: Any,
    file_name: str,
    source: str,
    store: bool,
    progress: Progress | None,
) -> ImportBatch | None:
    """Check the rows into a staging table, then find duplicates, compare and write in SQL.

    Memory stays flat: a row is checked and handed to COPY, and what the file as a whole needs
    (a value given twice, the counts, the changes to list, the writes and their history) is
    asked of the database. Everything happens in the caller's transaction (or one of its own
    for a preview); the staging table is temporary and dropped at the end.
    """
    report = checker.report
    checker.seen = None  # duplicates are found in the staging table
    batch: ImportBatch | None = None
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_STAGING}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {_STAGING} (line integer NOT NULL, measure_id bigint NOT "
            "NULL, unit_id bigint NOT NULL, period_start date NOT NULL, period_end date NOT "
            "NULL, quarter varchar(6) NOT NULL, value numeric(16, 4) NOT NULL, numerator "
            "numeric(16, 4), denominator numeric(16, 4), comment text NOT NULL, "
            "kept boolean NOT NULL DEFAULT false)"
        )
        if table.kind == "csv" and _sql_checks():
            _stage_checked_in_sql(cursor, table, checker, progress)
        else:
            _stage(cursor, table, checker, progress)
        _staged_duplicates(cursor, checker)
        _staged_keep_weights(cursor, report)
        _staged_keep_comments(cursor)
        _staged_compare(cursor, report, checker.lookups, user)
        if report.ok and (report.created or report.changed):
            _staged_jumps(cursor, report, checker.lookups)
        if store and report.ok and (report.created or report.changed):
            batch = new_batch(source=source, file_name=file_name, user=user, sha256=report.sha256)
            _staged_write(cursor, batch, user, source, report)
        cursor.execute(f"DROP TABLE {_STAGING}")
    return batch


def _stage(
    cursor: Any, table: parsing.Table, checker: _RowChecker, progress: Progress | None
) -> None:
    """Every row checked, and the checked values COPYed into the staging table a chunk at a time.

    A chunk is checked before its COPY starts: checking may ask the database (the rules, once
    per unit), which a connection in the middle of a COPY cannot answer.
    """
    report = checker.report
    quarter_of: dict[datetime.date, str] = {}
    statement = f"COPY {_STAGING} ({', '.join(_STAGED_COLUMNS)}) FROM STDIN"
    chunk: list[tuple[Any, ...]] = []

    def flush() -> None:
        if chunk:
            with cursor.cursor.copy(statement) as copy:
                for values in chunk:
                    copy.write_row(values)
            chunk.clear()
        if progress is not None:
            progress(report.rows)

    for number, cells in table.rows:
        report.rows += 1
        row = checker.check(number, cells)
        if row is not None:
            quarter = quarter_of.get(row.end)
            if quarter is None:
                quarter = quarter_of[row.end] = Quarter.containing(row.end).code
            chunk.append(
                (
                    row.number,
                    row.measure.id,
                    row.unit.id,
                    row.start,
                    row.end,
                    quarter,
                    row.value,
                    row.numerator,
                    row.denominator,
                    row.comment,
                )  # fmt: skip
            )
        if report.rows % CHUNK_ROWS == 0:
            flush()
    flush()


def _stage_checked_in_sql(
    cursor: Any, table: parsing.Table, checker: _RowChecker, progress: Progress | None
) -> None:
    """A CSV's raw cells COPYed as they are, then checked and staged set-based (sqlcheck).

    The Python checker's rules, order and messages, without a Python step per row: the rows
    with problems come back (the first PROBLEM_LIMIT of them) with the codes of their problems
    and the facts the messages need, and are written here with the checker's own templates.
    """
    report = checker.report

    def counted(rows: int) -> None:
        report.rows += rows
        if progress is not None:
            progress(report.rows)

    sqlcheck.create_raw(cursor)
    sqlcheck.stage_raw(cursor, table.rows, checker.header.positions, counted)
    denied: list[int] = []
    if checker.lookups.user is not None:
        cursor.execute(sqlcheck.unit_ids_sql(), sqlcheck.params(today=checker.today, denied=[]))
        denied = [
            unit_id for (unit_id,) in cursor.fetchall() if not checker.lookups.may_write(unit_id)
        ]
    cursor.execute(
        sqlcheck.check_sql(_STAGING),
        {**sqlcheck.params(today=checker.today, denied=denied), "limit": PROBLEM_LIMIT},
    )
    found = cursor.fetchall()
    cursor.execute(sqlcheck.unfilled_count_sql(), sqlcheck.params(today=checker.today, denied=[]))
    report.skipped += int(cursor.fetchone()[0])
    cursor.execute(f"DROP TABLE {sqlcheck.RAW}")
    if not found:
        return
    report.problem_count += int(found[0][2])
    for line, codes, _total, *facts in found:
        facts_of = dict(zip(sqlcheck.FACTS, facts, strict=True))
        for key, message in _sql_messages(codes, facts_of, checker.lookups):
            if len(report.problems) >= PROBLEM_LIMIT:
                return
            report.problems.append(Problem(message, line, checker._label(key)))


def _sql_messages(
    codes: list[str], facts: dict[str, Any], lookups: _Lookups
) -> Iterator[tuple[str, str]]:
    """(column key, message) of each problem code sqlcheck found, as _RowChecker writes them."""

    def number(key: str) -> str:
        return _fmt(Decimal(facts[f"{key}_lit"]))

    def period() -> str:
        return _period_label(facts["period_kind"], facts["period_start"])

    ranges = {
        "share_range": ERROR_SHARE_RANGE,
        "index_range": ERROR_INDEX_RANGE,
        "count_negative": ERROR_COUNT_NEGATIVE,
        "count_decimals": ERROR_COUNT_DECIMALS,
    }
    for code in codes:
        column, _sep, what = code.partition("_")
        if code in ranges:
            yield "value", _(ranges[code]).format(value=_fmt(Decimal(facts["final"])))
        elif code == "unit_unknown":
            yield "unit", unknown_unit_message(lookups, facts["unit_text"])
        elif code == "unit_ambiguous":
            yield "unit", _ambiguous_unit(lookups, facts["unit_text"])
        elif code == "measure_ambiguous":
            yield "measure", _ambiguous_measure(lookups, facts["measure_text"])
        elif code == "measure_unknown":
            yield "measure", unknown_measure_message(lookups, facts["measure_text"])
        elif code in ("period_unreadable", "period_month"):
            text = facts["period_original"]
            yield "period", _(parsing.ERROR_PERIOD_UNREADABLE).format(text=text)
        elif code == "period_not_first":
            text = facts["period_original"]
            yield "period", _(parsing.ERROR_PERIOD_NOT_FIRST).format(text=text)
        elif code == "period_range":
            yield (
                "period",
                _(parsing.ERROR_PERIOD_OUT_OF_RANGE).format(
                    text=facts["period_original"],
                    first=periods.FIRST_YEAR,
                    last=periods.LAST_YEAR,
                ),
            )
        elif what == "nan":
            measure = lookups.measure(facts["measure_text"] or "")
            whole = (
                column == "value"
                and isinstance(measure, _MeasureInfo)
                and measure.value_type == Measure.ValueType.COUNT
            )
            yield column, parsing.not_a_number_message(facts[f"{column}_raw"], whole=whole)
        elif what == "big":
            yield column, parsing.too_large_message(Decimal(facts[f"{column}_lit"]))
        elif code == "out_of_scope":
            found = lookups.unit(facts["unit_text"] or "")
            unit_id = found.id if isinstance(found, _UnitInfo) else None
            yield "unit", lookups.out_of_scope_message(unit_id, facts["unit_name"])
        elif code in ("month_for_quarterly", "quarter_for_monthly"):
            yield (
                "period",
                period_kind_message(
                    "month" if code == "month_for_quarterly" else "quarter",
                    facts["period_start"],
                    text=facts["period_original"],
                    measure=facts["measure_name"],
                ),
            )
        elif code == "period_in_future":
            yield "period", _(ERROR_PERIOD_IN_FUTURE).format(period=period())
        elif code == "period_not_ended":
            yield (
                "period",
                value_rules.not_ended_message(
                    facts["period_start"], quarterly=facts["period_kind"] == "quarter"
                ),
            )
        elif code == "unit_not_active":
            yield (
                "period",
                _(ERROR_UNIT_NOT_ACTIVE).format(unit=facts["unit_name"], period=period()),
            )
        elif code == "kind_not_reporting":
            yield (
                "unit",
                _(ERROR_KIND_DOES_NOT_REPORT).format(
                    kind=facts["kind_name"].lower(), measure=facts["measure_name"]
                ),
            )
        elif what == "percent":
            yield column, percent_message(column, Decimal(facts[f"{column}_lit"]))
        elif what == "negative":
            yield column, _(ERROR_NEGATIVE).format(value=number(column))
        elif code == "numerator_parts":
            yield (
                "numerator",
                _(ERROR_SHARE_PARTS_MISSING).format(measure=facts["measure_name"]),
            )
        elif code == "denominator_zero":
            yield column, _(ERROR_DENOMINATOR_ZERO)
        elif what == "pair":
            yield column, _(ERROR_PAIR_INCOMPLETE)
        elif code == "value_missing":
            yield column, _(ERROR_VALUE_MISSING)
        elif code == "numerator_above":
            yield (
                column,
                _(ERROR_NUMERATOR_ABOVE_DENOMINATOR).format(
                    numerator=number("numerator"), denominator=number("denominator")
                ),
            )
        elif what == "precise":
            yield column, _(ERROR_TOO_PRECISE).format(value=number(column))
        elif code == "value_inconsistent":
            value = Decimal(facts["value_lit"])  # as written: its decimals give the tolerance
            tolerance = parsing.value_tolerance(value)
            yield column, inconsistent_message(value, Decimal(facts["computed"]), tolerance)
        else:  # pragma: no cover - a code sqlcheck does not write
            raise ValueError(code)


def _staged_duplicates(cursor: Any, checker: _RowChecker) -> None:
    """A unit × measure × period given twice: each later row's problem names the first row.

    The problems are merged with the rows' own in row order, as the ORM path reports them; a
    duplicate's later rows are then left out of the comparison.
    """
    report = checker.report
    cursor.execute(
        f"SELECT line, first, count(*) OVER () FROM (SELECT line, min(line) OVER "
        f"(PARTITION BY measure_id, unit_id, period_start) AS first FROM {_STAGING}) AS d "
        "WHERE line <> first ORDER BY line LIMIT %s",
        [PROBLEM_LIMIT],
    )
    found = cursor.fetchall()
    if not found:
        return
    label = checker._label("unit")
    duplicates = [
        Problem(_(ERROR_DUPLICATE).format(row=first), line, label) for line, first, _count in found
    ]
    merged = sorted([*report.problems, *duplicates], key=lambda p: (p.row is None, p.row or 0))
    report.problems = merged[:PROBLEM_LIMIT]
    report.problem_count += found[0][2]
    cursor.execute(
        f"DELETE FROM {_STAGING} AS s USING {_STAGING} AS f WHERE f.measure_id = s.measure_id "
        "AND f.unit_id = s.unit_id AND f.period_start = s.period_start AND f.line < s.line"
    )


def _staged_keep_weights(cursor: Any, report: ImportReport) -> None:
    """A weighted mean (an index) given without täljare and nämnare keeps its stored nämnare,
    as value_rules.kept_weight says (the ORM path asks it row by row)."""
    cursor.execute(
        f"UPDATE {_STAGING} AS s SET denominator = o.denominator, kept = true "
        f"FROM {Observation._meta.db_table} AS o, {Measure._meta.db_table} AS m "
        f"WHERE {_SAME_KEY} AND m.id = s.measure_id AND m.aggregation = %s "
        "AND s.numerator IS NULL AND s.denominator IS NULL AND o.denominator IS NOT NULL",
        [value_rules.WEIGHTED_MEAN],
    )
    report.weights_kept += cursor.rowcount


def _staged_keep_comments(cursor: Any) -> None:
    """A row whose comment cell is empty (or that has no kommentar column) keeps the stored
    comment, as the ORM path does row by row: an export carries no comments, and importing it
    must not delete the reason someone wrote beside a value by hand. A filled-in cell replaces
    the comment; a comment is removed in the reporting grid."""
    cursor.execute(
        f"UPDATE {_STAGING} AS s SET comment = o.comment "
        f"FROM {Observation._meta.db_table} AS o "
        f"WHERE {_SAME_KEY} AND s.comment = '' AND o.comment <> ''"
    )


def _staged_compare(cursor: Any, report: ImportReport, lookups: _Lookups, user: Any) -> None:
    """Counts of new, changed and unchanged rows, the affected quarters and the first changes,
    and who entered the changed values reported by hand (`user`'s own are not warned of)."""
    observations = Observation._meta.db_table
    state = f"CASE WHEN o.id IS NULL THEN 'new' WHEN {_DIFFERS} THEN 'changed' ELSE 'same' END"
    joined = f"{_STAGING} AS s LEFT JOIN {observations} AS o ON {_SAME_KEY}"
    cursor.execute(
        f"SELECT {state}, s.quarter, coalesce(o.source, ''), count(*) "
        f"FROM {joined} GROUP BY 1, 2, 3"
    )
    quarters: set[str] = set()
    by_hand = 0
    for kind, quarter, source, count in cursor.fetchall():
        if kind == "same":
            report.unchanged += count
            continue
        quarters.add(quarter)
        report.quarter_values[quarter] = report.quarter_values.get(quarter, 0) + count
        if kind == "new":
            report.created += count
        else:
            report.changed += count
            if source == ImportBatch.Source.MANUAL:
                by_hand += count
            if source:
                report.replaced_sources[source] = report.replaced_sources.get(source, 0) + count
    report.quarters = sorted(quarters)
    if not quarters:
        return
    manual_counts: dict[int | None, int] = {}
    params = {**entered_by_params(), "limit": CHANGE_LIMIT}
    if by_hand:
        # Who entered the changed values reported by hand: the preview warns only of someone
        # else's. Asked only when there are some (an export over a system's values never is).
        cursor.execute(
            f"SELECT {entered_by_sql('o.id')}, count(*) FROM {joined} "
            f"WHERE {state} = 'changed' AND o.source = %(manual)s GROUP BY 1",
            params,
        )
        manual_counts = dict(cursor.fetchall())
    cursor.execute(f"SELECT DISTINCT s.measure_id FROM {joined} WHERE {state} <> 'same'")
    report.measures = sorted(measure_id for (measure_id,) in cursor.fetchall())
    # Who entered a listed value reported by hand, asked of the listed rows only.
    cursor.execute(
        f"SELECT c.*, CASE WHEN c.old_source = %(manual)s THEN {entered_by_sql('c.obs_id')} END "
        f"FROM (SELECT s.line, s.unit_id, s.measure_id, s.period_start, o.value AS old_value, "
        f"s.value, coalesce(o.source, '') AS old_source, o.id IS NOT NULL, o.numerator, "
        f"o.denominator, o.comment, s.numerator AS new_numerator, "
        f"s.denominator AS new_denominator, s.comment AS new_comment, s.kept, o.id AS obs_id "
        f"FROM {joined} WHERE {state} <> 'same' ORDER BY s.line LIMIT %(limit)s) AS c "
        "ORDER BY c.line",
        params,
    )
    found = cursor.fetchall()
    units = {info.id: info for info in lookups.all_units()}
    measures = {info.id: info for info in lookups.all_measures()}
    manual_lines: dict[int, int | None] = {}
    for line, unit_id, measure_id, start, old, new, old_source, existed, *parts in found:
        *parts, _obs_id, entered_by = parts
        if old_source == ImportBatch.Source.MANUAL:
            manual_lines[len(report.changes)] = entered_by
        measure = measures[measure_id]
        kind = "quarter" if measure.frequency == Measure.Frequency.QUARTERLY else "month"
        old_num, old_den, old_comment, new_num, new_den, new_comment, kept = parts
        details = (
            _change_details(
                (old_num, old_den, old_comment), (new_num, new_den, new_comment), kept=kept
            )
            if existed
            else _new_details(new_num, new_den, new_comment or "")
        )
        report.changes.append(
            ChangeLine(
                line,
                units[unit_id].name,
                measure.name,
                _period_label(kind, start),
                *_change_texts(old, new, measure),
                old_source,
                details,
            )
        )
    if manual_counts:
        record_manual_replaced(report, user=user, counts=manual_counts, lines=manual_lines)


def _staged_jumps(cursor: Any, report: ImportReport, lookups: _Lookups) -> None:
    """The values written (new, or a changed value) without a comment that differ more than
    GONV_REPORT_JUMP_PCT % from the previous period: the file's own row for that period if it
    has one (it is stored with this one), else the stored value; value_rules.jumped in SQL. The
    ORM path asks the same row by row; both list the first JUMP_LIMIT in row order."""
    observations = Observation._meta.db_table
    cursor.execute(
        f"SELECT count(*) OVER (), s.line, s.unit_id, s.measure_id, s.period_start, "
        f"b.value, s.value FROM {_STAGING} AS s "
        f"JOIN {Measure._meta.db_table} AS m ON m.id = s.measure_id "
        f"LEFT JOIN {observations} AS o ON {_SAME_KEY} "
        "CROSS JOIN LATERAL (SELECT (s.period_start - CASE WHEN m.frequency = %(quarterly)s "
        "THEN interval '3 months' ELSE interval '1 month' END)::date AS start) AS p "
        f"LEFT JOIN {_STAGING} AS f ON f.measure_id = s.measure_id AND f.unit_id = s.unit_id "
        "AND f.period_start = p.start "
        f"LEFT JOIN {observations} AS q ON q.measure_id = s.measure_id "
        "AND q.unit_id = s.unit_id AND q.period_start = p.start "
        "CROSS JOIN LATERAL (SELECT coalesce(f.value, q.value) AS value) AS b "
        "WHERE s.comment = '' AND (o.id IS NULL OR o.value <> s.value) "
        "AND b.value IS NOT NULL AND CASE WHEN b.value = 0 THEN s.value <> 0 "
        "ELSE abs(s.value - b.value) * 100 > %(limit)s * abs(b.value) END "
        "ORDER BY s.line LIMIT %(rows)s",
        {
            "quarterly": Measure.Frequency.QUARTERLY.value,
            "limit": value_rules.jump_limit(),
            "rows": JUMP_LIMIT,
        },
    )
    found = cursor.fetchall()
    if not found:
        return
    units = {info.id: info for info in lookups.all_units()}
    measures = {info.id: info for info in lookups.all_measures()}
    for _total, line, unit_id, measure_id, start, previous, value in found:
        _add_jump(report, line, units[unit_id].name, measures[measure_id], start, previous, value)
    report.jump_count = int(found[0][0])


def _staged_write(
    cursor: Any, batch: ImportBatch, user: Any, source: str, report: ImportReport
) -> None:
    """The changed values updated and the new ones inserted, each with its history row.

    Each statement writes the observations and, from what they return, the history rows that
    bulk_create_with_history / bulk_update_with_history would write: every tracked field as
    stored, history_date now, the user, the change reason `Import #<batch>`, '~' or '+'. A
    changed value's version is bumped, as a save does.
    """
    history = Observation.history.model
    if user is None:
        user = history.get_default_history_user(Observation())
    tracked = [f.column for f in history.tracked_fields]
    history_columns = ", ".join(
        [*tracked, "history_date", "history_change_reason", "history_type", "history_user_id"]
    )
    returned = ", ".join(f"w.{column}" for column in tracked)
    params = {
        "source": source,
        "batch": batch.pk,
        "now": timezone.now(),
        "reason": change_reason(batch),
        "user": user.pk if user is not None else None,
    }
    observations = Observation._meta.db_table
    cursor.execute(
        f"WITH w AS (UPDATE {observations} AS o SET period_end = s.period_end, "
        "quarter = s.quarter, value = s.value, numerator = s.numerator, "
        "denominator = s.denominator, comment = s.comment, source = %(source)s, "
        "import_batch_id = %(batch)s, updated_at = %(now)s, version = o.version + 1 "
        f"FROM {_STAGING} AS s WHERE {_SAME_KEY} AND {_DIFFERS} RETURNING o.*, s.line) "
        f"INSERT INTO {history._meta.db_table} ({history_columns}) "
        f"SELECT {returned}, %(now)s, %(reason)s, '~', %(user)s FROM w ORDER BY w.line",
        params,
    )
    changed = cursor.rowcount
    cursor.execute(
        f"WITH w AS (INSERT INTO {observations} (measure_id, unit_id, period_start, "
        "period_end, quarter, value, numerator, denominator, comment, source, import_batch_id, "
        "updated_at, overrides_source, version) SELECT s.measure_id, s.unit_id, "
        "s.period_start, s.period_end, s.quarter, s.value, s.numerator, s.denominator, "
        "s.comment, %(source)s, %(batch)s, %(now)s, '', 1 "
        f"FROM {_STAGING} AS s WHERE NOT EXISTS (SELECT FROM {observations} AS o "
        f"WHERE {_SAME_KEY}) ORDER BY s.line RETURNING *) "
        f"INSERT INTO {history._meta.db_table} ({history_columns}) "
        f"SELECT {returned}, %(now)s, %(reason)s, '+', %(user)s FROM w ORDER BY w.id",
        params,
    )
    created = cursor.rowcount
    if (created, changed) != (report.created, report.changed):
        # Another transaction wrote some of these values since they were compared.
        raise ImportConflict(report)
