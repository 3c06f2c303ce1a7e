"""How computed rows reach the result tables: only the new, changed and stale rows are written.

Roll-ups stage their results in a temporary table compared with the stored rows
(write_through_temp); the goal and SPC rows are upserted (upsert_quarter_rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection

from base.periods import Quarter

from .db import execute, fetch_one, quarter_params, table_name


@dataclass(frozen=True)
class RollUpTable:
    """A result table as a roll-up writes it (write_through_temp, _apply).

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
        return table_name(self.model)

    @property
    def names(self) -> str:
        """The columns an insert fills besides the quarter."""
        return ", ".join([*self.keys, *self.columns])


def _apply(target: RollUpTable, *, scope: str, quarter: Quarter, stored: int) -> int:
    """Bring the quarter's rows of a result table in line with its temporary table of results.

    The temporary table says per row how it stands against the stored row (_against_stored),
    so each statement touches only its rows, and a statement with nothing to do is not run:
    - delete: stored rows (within scope, an SQL condition on the result table; `stored` of
      them) that were not computed again, e.g. a unit that stopped reporting, and the rows of
      the dependent tables that belonged to them;
    - update: stored rows whose values changed, found by their key;
    - insert: new rows, plainly: computations hold the compute lock (lock_computation), so
      nothing else writes these rows meanwhile, and INSERT … ON CONFLICT's speculative
      insertion cost half of a cold quarter's write.
    Returns the rows written.
    """
    params = {"q": quarter.code}
    table, tmp = target.table, target.tmp
    matched, changed, new = fetch_one(
        f"SELECT COALESCE(SUM(stored), 0), COALESCE(SUM(changed), 0), "
        f"COALESCE(SUM(1 - stored), 0) FROM {tmp}",
        params,
    )
    same_key = " AND ".join(f"s.{k} = {table}.{k}" for k in target.keys)
    written = 0
    if stored > matched:
        written += execute(
            f"DELETE FROM {table} WHERE quarter = %(q)s{scope} AND NOT EXISTS "
            f"(SELECT 1 FROM {tmp} s WHERE s.stored = 1 AND {same_key})",
            params,
        )
        for dependent in map(table_name, target.dependents):
            result_key = " AND ".join(f"r.{k} = {dependent}.{k}" for k in ["quarter", *target.keys])
            execute(
                f"DELETE FROM {dependent} WHERE quarter = %(q)s AND NOT EXISTS "
                f"(SELECT 1 FROM {table} r WHERE {result_key})",
                params,
            )
    if changed:
        # The quarter's condition lets the join read the quarter's rows by index.
        written += execute(
            f"UPDATE {table} SET {', '.join(f'{c} = s.{c}' for c in target.columns)} "
            f"FROM {tmp} s "
            f"WHERE {table}.quarter = %(q)s AND {same_key} AND s.changed = 1",
            params,
        )
    if new:
        written += execute(
            f"INSERT INTO {table} (quarter, {target.names}) "
            f"SELECT %(q)s, {target.names} FROM {tmp} WHERE stored = 0",
            params,
        )
    return written


def write_through_temp(target: RollUpTable, select: str, *, scope: str, quarter: Quarter) -> int:
    """Write the results that `select` computes into the result table; returns rows written.

    The first computation of a quarter (nothing stored in scope) inserts straight from the
    aggregation. Otherwise the results go into a temporary table that _apply brings the
    stored rows in line with, and is dropped. No ANALYZE of the temporary table: the writes
    know their row counts and use hash joins (tune_for_batch), so statistics buy nothing.
    """
    params = quarter_params(quarter)
    table, tmp = target.table, target.tmp
    (stored,) = fetch_one(f"SELECT COUNT(*) FROM {table} WHERE quarter = %(q)s{scope}", params)
    if not stored:
        return execute(
            f"INSERT INTO {table} (quarter, {target.names}) "
            f"SELECT %(q)s, {target.names} FROM ({select}) s",
            params,
        )
    execute(f"DROP TABLE IF EXISTS {tmp}")
    execute(f"CREATE TEMP TABLE {tmp} AS {select}", params)
    try:
        return _apply(target, scope=scope, quarter=quarter, stored=stored)
    finally:
        execute(f"DROP TABLE IF EXISTS {tmp}")


def upsert_quarter_rows(
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
    table = table_name(model)
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
