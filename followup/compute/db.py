"""Database plumbing shared by the computation's jobs: statements, locks, planner settings.

The SQL is assembled from model table names only; every value is a bound parameter.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db import connection

from base.periods import Quarter

# The PostgreSQL advisory lock every computation takes: one at a time, so a quarter never reads
# an earlier quarter that another run is halfway through rewriting.
COMPUTE_LOCK = (0x60_4E_56, 1)  # arbitrary namespace ("GNV") and key


# Namespace of the per-measure advisory locks of SPC runs ("SPC"); the key is the measure id.
SPC_LOCK_NAMESPACE = 0x53_50_43


def table_name(model: Any) -> str:
    """The model's table, quoted for SQL."""
    return connection.ops.quote_name(model._meta.db_table)


def sql_date(day: datetime.date) -> Any:
    """A date parameter: PostgreSQL takes dates, SQLite compares ISO text."""
    return day.isoformat() if connection.vendor == "sqlite" else day


def distinct_from() -> str:
    """NULL-safe inequality: SQLite's IS NOT (its IS DISTINCT FROM needs 3.39, 2022)."""
    return "IS NOT" if connection.vendor == "sqlite" else "IS DISTINCT FROM"


def id_list(ids: Iterable[int]) -> str:
    """A literal list of ids for an IN clause (integers from the database, never user text)."""
    return ", ".join(str(int(i)) for i in ids) or "NULL"


def quarter_params(quarter: Quarter) -> dict[str, Any]:
    return {
        "q": quarter.code,
        "q_start": sql_date(quarter.start),
        "q_end": sql_date(quarter.end),
    }


def fetch_one(sql: str, params: dict[str, Any]) -> tuple[Any, ...]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return tuple(cursor.fetchone())


def execute(sql: str, params: dict[str, Any] | None = None) -> int:
    """Execute one statement; returns the rows it wrote."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if connection.vendor == "sqlite":
            # Python's sqlite3 reports rowcount -1 for statements that start with WITH.
            cursor.execute("SELECT changes()")
            return cursor.fetchone()[0]
        return cursor.rowcount


def lock_computation() -> None:
    """Serialise computations (PostgreSQL advisory lock, held until commit or rollback).

    The writes rely on it: a row that is not there yet is inserted plainly, not upserted.
    SQLite has a single writer anyway, so the transaction itself serialises there.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", list(COMPUTE_LOCK))


def lock_results_shared() -> None:
    """Hold off roll-ups while this transaction reads results as one whole (the quarterly
    close renders the report it freezes): the compute lock taken shared until commit or
    rollback. A roll-up under way is waited for; SPC runs (shared too) go on."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s, %s)", list(COMPUTE_LOCK))


def lock_spc(measure_ids: list[int] | None) -> None:
    """Lock for an SPC run of some measures: parallel across measures, never within one.

    The compute lock is taken shared, so no roll-up rewrites the results meanwhile but SPC
    tasks of different measures run side by side; each measure is then locked exclusively
    (in id order, so two runs cannot deadlock). Without a list of measures, the run covers
    them all and takes the compute lock exclusively.
    """
    if connection.vendor != "postgresql":
        return
    if measure_ids is None:
        lock_computation()
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s, %s)", list(COMPUTE_LOCK))
        for measure_id in sorted(set(measure_ids)):
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [SPC_LOCK_NAMESPACE, int(measure_id)]
            )


def tune_for_batch() -> None:
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
