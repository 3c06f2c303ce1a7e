"""Benchmark the quarterly computation against a hand-written SQL floor (`make bench`).

    python -m bench.run [--scales gavleborg,region,national] [--quick] [--json PATH]

The parent process only orchestrates: per scale it (re)creates the bench database, then runs
three child processes (`--one SCALE --step generate|time|memory`), so each child's peak RSS
belongs to one scale and one kind of work, and tracemalloc never slows the timed runs. The
children point Django at the bench database before `django.setup()`. See bench/README.md.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import logging
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from bench import SCALES, TODAY

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_SERVER_URL = "postgres://postgres@localhost:5432/gonv"
DEFAULT_SCALES = ("gavleborg", "region", "national")
DEFAULT_JSON = BASE_DIR / "bench-results.json"
BENCH_PREFIX = "gonv_bench"
STEPS = ("generate", "time", "memory")
# The national target of the issue: a full recompute of one quarter within 3× the SQL floor.
TARGET_RATIO = 3.0
# Arbitrary advisory-lock namespace ("bench") for exclusive use of a bench database name.
_BENCH_LOCK_NAMESPACE = 0x62_65_6E_63
# Peak RSS at the largest scale within this factor of the smallest counts as flat.
FLAT_RSS_FACTOR = 1.5

ERROR_DATABASE_BUSY = (
    "bench: another bench run is using the database {name!r}; wait for it, or give this run "
    "its own, e.g. --database {name}_2."
)
ERROR_DATABASE_NAME = (
    "bench: refusing database {name!r}: the bench drops and recreates its database, so its "
    f"name must start with {BENCH_PREFIX!r} and use only a-z, 0-9 and _."
)


# --- database administration (parent process, no Django) -------------------------------------


def _server_url() -> str:
    return os.environ.get("DATABASE_URL") or DEFAULT_SERVER_URL


def _with_database(url: str, name: str) -> str:
    """The same server, user and password with another database name."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def default_database() -> str:
    """DATABASE_URL's database if it is already a bench database, else gonv_bench."""
    name = urlsplit(_server_url()).path.lstrip("/")
    return name if name.startswith(BENCH_PREFIX) else BENCH_PREFIX


def check_database_name(name: str) -> str:
    """Only ever drop a database that is plainly the bench's own."""
    if not re.fullmatch(rf"{BENCH_PREFIX}[a-z0-9_]*", name):
        raise SystemExit(ERROR_DATABASE_NAME.format(name=name))
    return name


@contextmanager
def _admin() -> Iterator[psycopg.Connection[Any]]:
    """An autocommit connection to the server's maintenance database."""
    with psycopg.connect(_with_database(_server_url(), "postgres"), autocommit=True) as conn:
        yield conn


@contextmanager
def exclusive_use(name: str) -> Iterator[None]:
    """Hold a session advisory lock on the bench database's name for the whole run.

    Two runs on one name would drop each other's database mid-run (DROP … WITH (FORCE)).
    """
    with _admin() as conn:
        row = conn.execute(
            "SELECT pg_try_advisory_lock(%s, hashtext(%s))", [_BENCH_LOCK_NAMESPACE, name]
        ).fetchone()
        if not (row and row[0]):
            raise SystemExit(ERROR_DATABASE_BUSY.format(name=name))
        yield  # the lock goes with the session when the connection closes


def recreate_database(name: str) -> None:
    """DROP (forcing out stale sessions) and CREATE the bench database."""
    ident = sql.Identifier(check_database_name(name))
    with _admin() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(ident))


def drop_database(name: str) -> None:
    """DROP the bench database."""
    ident = sql.Identifier(check_database_name(name))
    with _admin() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))


def set_synchronous_commit(name: str, *, on: bool) -> None:
    """Loading may skip the WAL flush wait (throwaway data); timing runs with the default."""
    ident = sql.Identifier(check_database_name(name))
    statement = "RESET synchronous_commit" if on else "SET synchronous_commit = off"
    with _admin() as conn:
        conn.execute(sql.SQL("ALTER DATABASE {} " + statement).format(ident))


def machine_info() -> dict[str, Any]:
    """CPU, memory and PostgreSQL settings the numbers were taken on."""
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory_gb = None
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    info: dict[str, Any] = {
        "cpu_model": model or platform.processor(),
        "cpus": len(os.sched_getaffinity(0)),
        "memory_gb": memory_gb,
        "python": platform.python_version(),
    }
    with _admin() as conn:
        for setting in (
            "server_version",
            "shared_buffers",
            "work_mem",
            "max_parallel_workers_per_gather",
            "jit",
        ):
            row = conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(setting))).fetchone()
            info[f"postgres_{setting}"] = row[0] if row else None
    return info


# --- measuring (child processes, with Django) -------------------------------------------------


def _rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _stats(runs: list[float]) -> dict[str, Any]:
    return {
        "median": round(statistics.median(runs), 4),
        "best": round(min(runs), 4),
        "runs": [round(r, 4) for r in runs],
    }


def _timed(func: Callable[[], Any]) -> float:
    started = time.perf_counter()
    func()
    return time.perf_counter() - started


def _log(scale: str, message: str) -> None:
    print(f"[bench {scale}] {message}", file=sys.stderr, flush=True)


# The database's floor: one statement that sums one quarter's raw observations per measure and
# region (every unit joined to its region through the closure table, as the computation does)
# and applies the same roll-up rule, so its values can be compared with the computed ones.
FLOOR_SQL = """
SELECT o.measure_id, c.ancestor_id,
       ROUND(CASE m.aggregation
           WHEN 'sum' THEN SUM(o.value)
           WHEN 'ratio' THEN SUM(o.numerator)
               * (CASE WHEN m.value_type = 'share' THEN 100.0 ELSE 1.0 END)
               / NULLIF(SUM(o.denominator), 0)
           ELSE SUM(o.value * COALESCE(o.denominator, 1))
               / NULLIF(SUM(COALESCE(o.denominator, 1)), 0)
       END, 6) AS value
FROM followup_observation o
JOIN organisation_unitclosure c ON c.descendant_id = o.unit_id
JOIN organisation_unit r ON r.id = c.ancestor_id AND r.parent_id IS NULL
JOIN followup_measure m ON m.id = o.measure_id
WHERE o.quarter = %s
GROUP BY o.measure_id, c.ancestor_id, m.aggregation, m.value_type
"""


def _floor(quarter_code: str) -> list[tuple[int, int, Decimal | None]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL, [quarter_code])
        return cursor.fetchall()


def _result_models() -> list[Any]:
    """The tables the computation writes, per quarter (imported after Django's set-up)."""
    from followup.models import GoalResult, MeasureResult, PeriodResult, SpcResult

    return [MeasureResult, PeriodResult, SpcResult, GoalResult]


def _tables(models: list[Any]) -> str:
    from django.db import connection

    return ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)


def _truncate_results() -> None:
    """Empty every result table, so each all-quarters run starts from nothing."""
    from django.db import connection

    from followup.models import ComputeRun

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {_tables([*_result_models(), ComputeRun])}")


def _vacuum_results(*, observations: bool = False) -> None:
    """Clean the dead rows of earlier runs, as autovacuum would between nightly runs.

    With observations, the observation table's too: after the rewrite case re-saves a
    quarter's observations, both the floor and the computation would otherwise read their
    dead versions, and autovacuum would clean them in the middle of a later timing.
    """
    from django.db import connection

    from followup.models import Observation

    models = _result_models() + ([Observation] if observations else [])
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {_tables(models)}")


def _delete_quarter_results(quarter_code: str) -> None:
    """Remove one quarter's results, so the next computation writes every row (cold)."""
    for model in _result_models():
        model.objects.filter(quarter=quarter_code).delete()


# The steps of quarter_compute that the split times, by the name in the JSON: the public
# function of followup.compute that does each, as (module, name).
SPLIT_STEPS = {
    "measure_results": ("followup.compute.rollup", "write_measure_results"),
    "period_results": ("followup.compute.rollup", "write_period_results"),
    "goals": ("followup.compute.goal_status", "write_goal_results"),
}


@contextmanager
def _step_timers(times: dict[str, float]) -> Iterator[None]:
    """Wrap quarter_compute's steps so each call adds its time to times.

    Times are exclusive: a step called from within another counts for itself only. Wrapping,
    rather than calling the steps one by one, keeps the split true to whatever quarter_compute
    calls, with which arguments, in which order.
    """
    nested: list[float] = []  # per active step: time spent in steps it called

    def wrap(key: str, func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def timed(*args: Any, **kwargs: Any) -> Any:
            nested.append(0.0)
            started = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - started
                times[key] = times.get(key, 0.0) + elapsed - nested.pop()
                if nested:
                    nested[-1] += elapsed

        return timed

    # quarter_compute calls each step through its module, so wrapping it there is seen.
    modules = {key: importlib.import_module(module) for key, (module, _) in SPLIT_STEPS.items()}
    originals = {key: getattr(modules[key], name) for key, (_, name) in SPLIT_STEPS.items()}
    for key, (_, name) in SPLIT_STEPS.items():
        setattr(modules[key], name, wrap(key, originals[key]))
    try:
        yield
    finally:
        for key, (_, name) in SPLIT_STEPS.items():
            setattr(modules[key], name, originals[key])


def _split_once(quarter: Any, *, cold: bool) -> dict[str, float]:
    """Time the steps of the compute_quarter task's computation, then roll it back.

    Cold: the quarter's results are deleted and vacuumed first (committed), as in the timed
    cold runs; the rolled-back computation leaves the table as empty as it found it.
    """
    from django.db import transaction

    from followup import services

    if cold:
        _delete_quarter_results(quarter.code)
        _vacuum_results()
    times = dict.fromkeys(SPLIT_STEPS, 0.0)
    with transaction.atomic():
        with _step_timers(times):
            total = _timed(
                lambda: services.quarter_compute(
                    quarter=quarter, trigger="bench", today=TODAY, spc=False
                )
            )
        transaction.set_rollback(True)
    # The lock, planner settings, scope lookups and the ComputeRun row.
    times["other"] = max(total - sum(times.values()), 0.0)
    return times


def _split(quarter: Any, repeat: int, *, cold: bool) -> dict[str, Any]:
    splits = [_split_once(quarter, cold=cold) for _ in range(repeat)]
    return {name: _stats([s[name] for s in splits]) for name in splits[0]}


def _check(quarter_code: str, *, with_totals: bool) -> dict[str, Any]:
    """Compare the floor's region totals with the computed MeasureResult of each region."""
    from followup.models import Measure, MeasureResult
    from organisation.models import Unit

    floor = {(m, u): v for m, u, v in _floor(quarter_code)}
    regions = dict(Unit.objects.filter(parent__isnull=True).values_list("id", "code"))
    computed = {
        (m, u): v
        for m, u, v in MeasureResult.objects.filter(
            quarter=quarter_code, unit_id__in=regions
        ).values_list("measure_id", "unit_id", "value")
    }
    codes = dict(Measure.objects.values_list("id", "code"))
    mismatches, max_diff, totals = 0, Decimal(0), []
    for key in sorted(floor.keys() | computed.keys()):
        a, b = floor.get(key), computed.get(key)
        if a is None or b is None:
            mismatches += a is not b
        else:
            diff = abs(a - b)
            max_diff = max(max_diff, diff)
            mismatches += diff > Decimal("0.000001")
        totals.append([codes[key[0]], regions.get(key[1], str(key[1])), _text(a), _text(b)])
    result: dict[str, Any] = {
        "quarter": quarter_code,
        "region_totals": len(totals),
        "mismatches": mismatches,
        "max_abs_diff": str(max_diff),
    }
    if with_totals:
        # [measure, region, floor value, computed value] for the smoke test to compare itself.
        result["totals"] = totals
    return result


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


@contextmanager
def _spc_scope(scope: str) -> Iterator[None]:
    """Temporarily set GONV_SPC_SCOPE, which _write_spc reads at call time."""
    from django.conf import settings

    missing = object()
    previous = getattr(settings, "GONV_SPC_SCOPE", missing)
    settings.GONV_SPC_SCOPE = scope
    try:
        yield
    finally:
        if previous is missing:
            del settings.GONV_SPC_SCOPE
        else:
            settings.GONV_SPC_SCOPE = previous


def step_generate(scale_name: str) -> dict[str, Any]:
    """Migrate the empty bench database and load one scale of synthetic data."""
    from django.core.management import call_command

    from bench.generate import generate

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter()
    counts = generate(SCALES[scale_name])
    done = time.perf_counter()
    _log(
        scale_name, f"generated {counts['observations']:,} observations in {done - migrated:.1f} s"
    )
    return {
        **counts,
        "migrate_s": round(migrated - started, 2),
        "generate_s": round(done - migrated, 2),
    }


def _compute_quarter(code: str) -> dict[str, Any]:
    """The Celery task compute_quarter's body, run in this process (no broker in between)."""
    from followup.tasks import compute_quarter

    return compute_quarter.run(code, "bench")


def _touch_observations(quarter_code: str) -> None:
    """Mark the quarter's observations as just saved, as a re-import of the quarter would.

    Every result of the quarter then changes (its latest update), so the next computation
    rewrites every row: the update path's worst case, beside the cold run's inserts.
    """
    from django.db.models.functions import Now

    from followup.models import Observation

    Observation.objects.filter(quarter=quarter_code).update(updated_at=Now())


def _forget_spc(quarter_code: str) -> None:
    """Clear the quarter's SPC, so the next SPC run computes every series (cold)."""
    from followup.models import SpcResult

    SpcResult.objects.filter(quarter=quarter_code).delete()


def _spc_run(quarters: list[Any]) -> tuple[float, float, int]:
    """What fan_out_spc's tasks do, one measure after the other in this process.

    Returns (total seconds, the slowest measure's seconds, series computed): with a worker
    per measure, the slowest measure is the wall time of the fan-out.
    """
    from followup import services
    from followup.models import Measure

    total, slowest, series = 0.0, 0.0, 0
    for measure_id in Measure.objects.order_by("id").values_list("id", flat=True):
        started = time.perf_counter()
        series += services.spc_compute(quarters=quarters, measure_ids=[measure_id])
        elapsed = time.perf_counter() - started
        total, slowest = total + elapsed, max(slowest, elapsed)
    return total, slowest, series


def _paired(quarter_code: str, compute: Callable[[], Any]) -> tuple[float, float]:
    """(computation, floor) seconds: the floor is the mean of a run just before and just after.

    On a shared machine whose speed drifts within minutes, the floor on either side of the
    computation is the closest measure of the speed it ran at.
    """
    before = _timed(lambda: _floor(quarter_code))
    seconds = _timed(compute)
    after = _timed(lambda: _floor(quarter_code))
    return seconds, (before + after) / 2


def _pairs(runs: list[tuple[float, float]]) -> dict[str, Any]:
    """Ratios of interleaved (computation, floor) pairs.

    Each computation is timed right after its own floor run, so a machine that slows down or
    speeds up (shared, noisy) moves both; the median of the pairs' ratios is the robust one.
    """
    ratios = [c / f for c, f in runs]
    return {
        "median": round(statistics.median(ratios), 2),
        "best": round(min(ratios), 2),
        "runs": [round(r, 2) for r in ratios],
    }


def step_time(scale_name: str, repeat: int, repeat_all: int, with_totals: bool) -> dict[str, Any]:
    """All timings of one scale, each repeated; peak RSS is this process's."""
    from followup import selectors
    from followup.models import Observation

    rss_setup = _rss_mb()
    quarters = selectors.quarters_in_scope(TODAY)
    last = quarters[-1]
    observations = Observation.objects.count()
    quarter_observations = Observation.objects.filter(quarter=last.code).count()

    # All quarters from empty tables, as the Celery chain runs them: the roll-ups oldest first,
    # then SPC per measure over all quarters (which also builds the history SPC needs).
    all_runs, spc_all_runs = [], []
    fresh: list[dict[str, Any]] = []
    for i in range(repeat_all):
        _truncate_results()
        all_runs.append(_timed(lambda: fresh.extend(_compute_quarter(q.code) for q in quarters)))
        _log(scale_name, f"all {len(quarters)} quarters, run {i + 1}: {all_runs[-1]:.2f} s")
        spc_all_runs.append(_spc_run(quarters)[0])
        _log(scale_name, f"SPC of all quarters, run {i + 1}: {spc_all_runs[-1]:.1f} s")
    _vacuum_results()

    # One quarter, each computation paired with floor runs just before and after it.
    rerun: list[tuple[float, float]] = []
    cold: list[tuple[float, float]] = []
    rewrite: list[tuple[float, float]] = []
    summary: list[dict[str, Any]] = []
    rewritten: list[dict[str, Any]] = []
    for i in range(repeat):
        rerun.append(_paired(last.code, lambda: summary.append(_compute_quarter(last.code))))
        _delete_quarter_results(last.code)
        _vacuum_results()
        cold.append(_paired(last.code, lambda: _compute_quarter(last.code)))
        _touch_observations(last.code)
        _vacuum_results(observations=True)
        rewrite.append(_paired(last.code, lambda: rewritten.append(_compute_quarter(last.code))))
        _log(
            scale_name,
            f"quarter {last.code}, run {i + 1}: rerun {rerun[-1][0]:.2f} s "
            f"(floor {rerun[-1][1]:.3f} s), cold {cold[-1][0]:.2f} s "
            f"(floor {cold[-1][1]:.3f} s), every row changed {rewrite[-1][0]:.2f} s "
            f"(floor {rewrite[-1][1]:.3f} s)",
        )
    floor_runs = [f for _, f in rerun + cold + rewrite]

    _vacuum_results()
    splits = {"rerun": _split(last, repeat, cold=False), "cold": _split(last, repeat, cold=True)}
    for kind, split in splits.items():
        times = ", ".join(f"{k} {v['median']:.2f} s" for k, v in split.items())
        _log(scale_name, f"split ({kind}): {times}")
    _compute_quarter(last.code)  # the cold split rolled back: the quarter's rows again

    # SPC of the latest quarter: cold (every series) and rerun (unchanged inputs skipped).
    spc_cold, spc_slowest, spc_rerun, spc_agg = [], [], [], []
    series = 0
    for i in range(repeat):
        _forget_spc(last.code)
        total, slowest, series = _spc_run([last])
        spc_cold.append(total)
        spc_slowest.append(slowest)
        spc_rerun.append(_spc_run([last])[0])
        _log(
            scale_name,
            f"SPC of {last.code}, run {i + 1}: cold {total:.2f} s ({series:,} series, slowest "
            f"measure {slowest:.2f} s), rerun {spc_rerun[-1]:.2f} s",
        )
    with _spc_scope("aggregates"):
        for _ in range(repeat):
            _forget_spc(last.code)
            spc_agg.append(_spc_run([last])[0])
    _spc_run([last])  # leave every series computed, for the check and a --keep database

    one = statistics.median(c for c, _ in rerun)
    one_cold = statistics.median(c for c, _ in cold)
    floor_s = statistics.median(floor_runs)
    ratio, ratio_cold, ratio_rewrite = _pairs(rerun), _pairs(cold), _pairs(rewrite)
    spc_cold_s = statistics.median(spc_cold)
    return {
        "quarter": last.code,
        "quarters": len(quarters),
        "observations": observations,
        "quarter_observations": quarter_observations,
        # What the latest quarter wrote into empty tables, and what a rerun reports.
        "rows_written": fresh[-1],
        "rows_written_rerun": summary[-1],
        "rows_written_rewrite": rewritten[-1],
        "compute_one_quarter_s": _stats([c for c, _ in rerun]),
        "compute_one_quarter_cold_s": _stats([c for c, _ in cold]),
        "compute_one_quarter_rewrite_s": _stats([c for c, _ in rewrite]),
        "compute_all_quarters_s": _stats(all_runs),
        "sql_floor_s": _stats(floor_runs),
        "ratio": ratio["median"],
        "ratio_cold": ratio_cold["median"],
        "ratio_rewrite": ratio_rewrite["median"],
        "ratio_pairs": ratio,
        "ratio_cold_pairs": ratio_cold,
        "ratio_rewrite_pairs": ratio_rewrite,
        "ratio_of_medians": round(one / floor_s, 2),
        "ratio_cold_of_medians": round(one_cold / floor_s, 2),
        "obs_per_s": round(quarter_observations / one),
        "obs_per_s_cold": round(quarter_observations / one_cold),
        "obs_per_s_all_quarters": round(observations / statistics.median(all_runs)),
        "split_s": splits["rerun"],
        "split_cold_s": splits["cold"],
        "spc_series": series,
        "spc_one_quarter_s": _stats(spc_rerun),
        "spc_one_quarter_cold_s": _stats(spc_cold),
        "spc_slowest_measure_cold_s": _stats(spc_slowest),
        "spc_aggregates_cold_s": _stats(spc_agg),
        "spc_all_quarters_s": _stats(spc_all_runs),
        "spc_ms_per_series_cold": round(1000 * spc_cold_s / max(series, 1), 3),
        "end_to_end_cold_s": round(one_cold + spc_cold_s, 2),
        "end_to_end_cold_ratio": round((one_cold + spc_cold_s) / floor_s, 1),
        "check": _check(last.code, with_totals=with_totals),
        "rss_after_setup_mb": rss_setup,
        "peak_rss_mb": _rss_mb(),
    }


def step_memory(scale_name: str) -> dict[str, Any]:
    """Python heap peaks (tracemalloc): compute_quarter cold, and one measure's SPC cold."""
    from followup import cache as result_cache
    from followup import (
        selectors,
        services,
        tasks,  # noqa: F401 - imported here, not inside the traced run
    )
    from followup.models import Measure

    last = selectors.quarters_in_scope(TODAY)[-1]
    _delete_quarter_results(last.code)  # every row is written: the larger of the two cases
    # The cache client (Redis when REDIS_URL is set) is imported and connected on first use,
    # a few MB of modules that are no part of the computation's working memory.
    result_cache.current_generation()
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    _compute_quarter(last.code)
    peak = tracemalloc.get_traced_memory()[1] - baseline
    measure_id = Measure.objects.order_by("id").values_list("id", flat=True).first()
    _forget_spc(last.code)
    baseline = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    services.spc_compute(quarters=[last], measure_ids=[measure_id])
    spc_peak = tracemalloc.get_traced_memory()[1] - baseline
    tracemalloc.stop()
    _log(
        scale_name,
        f"heap peak: compute_quarter {peak / 2**20:.1f} MB, SPC of one measure "
        f"{spc_peak / 2**20:.1f} MB",
    )
    return {"heap_peak_mb": round(peak / 2**20, 1), "heap_peak_spc_mb": round(spc_peak / 2**20, 1)}


def run_child(args: argparse.Namespace) -> None:
    """One step of one scale, in this process: point Django at the bench DB, set up, measure."""
    os.environ["DATABASE_URL"] = _with_database(_server_url(), check_database_name(args.database))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gonv.settings")
    import django

    django.setup()
    # The computation logs a line per quarter; the bench prints its own progress instead.
    logging.getLogger("followup.services").setLevel(logging.WARNING)
    if args.step == "generate":
        result = step_generate(args.one)
    elif args.step == "time":
        result = step_time(args.one, args.repeat, args.repeat_all, args.totals)
    else:
        result = step_memory(args.one)
    Path(args.out).write_text(json.dumps(result, indent=2))


# --- orchestration and report (parent process) ------------------------------------------------


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    # DEBUG would keep every query in connection.queries: time and memory that are not ours.
    env["DJANGO_DEBUG"] = "false"
    # quarter_compute bumps the dashboards' cache generation; keep that off the dev keys.
    env["CACHE_KEY_PREFIX"] = "gonv-bench"
    env.setdefault("DATABASE_URL", DEFAULT_SERVER_URL)
    return env


def run_scale(scale: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Generate, time and trace one scale in three fresh child processes."""
    result: dict[str, Any] = {"scale": scale, "description": SCALES[scale].description}
    recreate_database(args.database)
    set_synchronous_commit(args.database, on=False)
    for step in STEPS:
        if step == "time":
            set_synchronous_commit(args.database, on=True)
        out = workdir / f"{scale}-{step}.json"
        command = [
            sys.executable, "-m", "bench.run", "--one", scale, "--step", step,
            "--out", str(out), "--database", args.database,
            "--repeat", str(args.repeat), "--repeat-all", str(args.repeat_all),
        ]  # fmt: skip
        if args.totals:
            command.append("--totals")
        subprocess.run(command, env=_child_env(), cwd=BASE_DIR, check=True)
        result.update(json.loads(out.read_text()))
    return result


def _targets(scales: list[dict[str, Any]]) -> dict[str, Any]:
    """The issue's two targets, judged on the largest and smallest scale that ran."""
    by_size = sorted(scales, key=lambda s: s["observations"])
    largest, smallest = by_size[-1], by_size[0]
    rss_growth = largest["peak_rss_mb"] / smallest["peak_rss_mb"]
    return {
        "ratio_scale": largest["scale"],
        "ratio": largest["ratio"],
        "ratio_target": TARGET_RATIO,
        "ratio_met": largest["ratio"] <= TARGET_RATIO,
        "ratio_cold": largest["ratio_cold"],
        "ratio_cold_met": largest["ratio_cold"] <= TARGET_RATIO,
        "ratio_rewrite": largest["ratio_rewrite"],
        "ratio_rewrite_met": largest["ratio_rewrite"] <= TARGET_RATIO,
        "end_to_end_cold_ratio": largest["end_to_end_cold_ratio"],
        "memory_scales": [smallest["scale"], largest["scale"]],
        "observation_growth": round(largest["observations"] / smallest["observations"], 1),
        "peak_rss_growth": round(rss_growth, 2),
        "heap_peak_growth": round(largest["heap_peak_mb"] / max(smallest["heap_peak_mb"], 0.1), 2),
        "memory_flat": rss_growth <= FLAT_RSS_FACTOR,
    }


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)

    def fmt(r: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )

    return "\n".join([fmt(header), line, *(fmt(r) for r in rows)])


def report(results: dict[str, Any]) -> str:
    """The tables printed at the end of a run."""
    scales = results["scales"]
    main_rows, spc_rows, split_rows = [], [], []
    for s in scales:
        med = {k: s[k]["median"] for k in (
            "compute_one_quarter_s", "compute_one_quarter_cold_s",
            "compute_one_quarter_rewrite_s", "compute_all_quarters_s",
            "sql_floor_s", "spc_one_quarter_s", "spc_one_quarter_cold_s",
            "spc_slowest_measure_cold_s", "spc_aggregates_cold_s", "spc_all_quarters_s",
        )}  # fmt: skip
        main_rows.append(
            [
                s["scale"], f"{s['units']:,}", f"{s['observations']:,}",
                f"{med['compute_one_quarter_s']:.2f}", f"{med['compute_one_quarter_cold_s']:.2f}",
                f"{med['compute_one_quarter_rewrite_s']:.2f}",
                f"{med['compute_all_quarters_s']:.2f}", f"{med['sql_floor_s']:.3f}",
                f"{s['ratio']:.1f}x", f"{s['ratio_cold']:.1f}x", f"{s['ratio_rewrite']:.1f}x",
                f"{s['obs_per_s']:,}",
                f"{s['obs_per_s_cold']:,}", f"{s['peak_rss_mb']:.0f}", f"{s['heap_peak_mb']:.1f}",
            ]
        )  # fmt: skip
        spc_rows.append(
            [
                s["scale"], f"{s['spc_series']:,}", f"{med['spc_one_quarter_s']:.2f}",
                f"{med['spc_one_quarter_cold_s']:.2f}", f"{s['spc_ms_per_series_cold']:.2f}",
                f"{med['spc_slowest_measure_cold_s']:.2f}", f"{med['spc_aggregates_cold_s']:.2f}",
                f"{med['spc_all_quarters_s']:.1f}", f"{s['heap_peak_spc_mb']:.1f}",
            ]
        )  # fmt: skip
        for kind, key in (("rerun", "split_s"), ("cold", "split_cold_s")):
            steps = {k: v["median"] for k, v in s[key].items()}
            total = sum(steps.values()) or 1.0
            split_rows.append(
                [s["scale"], kind, *(f"{v:.2f} ({100 * v / total:.0f} %)" for v in steps.values()),
                 f"{total:.2f}"]
            )  # fmt: skip
    machine = results["machine"]
    header = [
        "scale", "units", "observations", "1 quarter (s)", "cold (s)", "rewrite (s)",
        "all quarters (s)", "SQL floor (s)", "ratio", "ratio cold", "ratio rewrite", "obs/s",
        "obs/s cold", "peak RSS MB", "heap peak MB",
    ]  # fmt: skip
    spc_header = [
        "scale", "series", "1 quarter (s)", "1 quarter cold (s)", "ms/series",
        "slowest measure (s)", "aggregates only, cold (s)", "all quarters (s)", "heap peak MB",
    ]  # fmt: skip
    parts = [
        f"Machine: {machine['cpu_model']}, {machine['cpus']} CPUs, {machine['memory_gb']} GB; "
        f"PostgreSQL {machine['postgres_server_version']} (shared_buffers "
        f"{machine['postgres_shared_buffers']}, work_mem {machine['postgres_work_mem']}); "
        f"medians of {results['settings']['repeat']} runs "
        f"({results['settings']['repeat_all']} for all quarters).",
        "The Celery task compute_quarter (roll-ups and goal status of a quarter): 1 quarter = "
        "rerun over existing results, cold = the quarter's results deleted first, rewrite = "
        "every result changed (observations re-saved). Each run is paired with the mean of "
        "floor runs just before and after it; ratio = median of the pairs' ratios.",
        "",
        _table(main_rows, header),
        "",
        "SPC (the compute_spc tasks that follow, one per measure, here one after the other): "
        "1 quarter = rerun, series with unchanged inputs skipped; cold = every series; slowest "
        "measure = the fan-out's wall time with a worker per measure.",
        "",
        _table(spc_rows, spc_header),
        "",
        "Time split of compute_quarter (quarter_compute's private steps; rolled back):",
        _table(
            split_rows,
            ["scale", "run", "measure results", "period results", "goals", "other", "total (s)"],
        ),
        "",
    ]
    checks = [
        f"{s['scale']}: {s['check']['region_totals']} region totals, "
        f"{s['check']['mismatches']} mismatches"
        for s in scales
    ]
    quarter = scales[0]["quarter"] if scales else ""
    parts.append(f"Floor vs computed region values ({quarter}): " + "; ".join(checks))
    t = results.get("targets")
    if t:
        parts.append(
            f"Target ratio <= {t['ratio_target']:.0f}x at {t['ratio_scale']} (compute_quarter): "
            f"rerun {t['ratio']:.1f}x ({'met' if t['ratio_met'] else 'NOT met'}), cold "
            f"{t['ratio_cold']:.1f}x ({'met' if t['ratio_cold_met'] else 'NOT met'}), rewrite "
            f"{t['ratio_rewrite']:.1f}x ({'met' if t['ratio_rewrite_met'] else 'NOT met'}); "
            f"with SPC of every series, cold: {t['end_to_end_cold_ratio']:.0f}x"
        )
        parts.append(
            f"Memory from {t['memory_scales'][0]} to {t['memory_scales'][1]}: observations "
            f"x{t['observation_growth']}, peak RSS x{t['peak_rss_growth']}, heap peak "
            f"x{t['heap_peak_growth']} -> {'flat' if t['memory_flat'] else 'NOT flat'}"
        )
    return "\n".join(parts)


def run_parent(args: argparse.Namespace) -> int:
    """Every requested scale, then the table and the JSON file."""
    results: dict[str, Any] = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine_info(),
        "settings": {
            "repeat": args.repeat,
            "repeat_all": args.repeat_all,
            "quick": args.quick,
            "database": args.database,
        },
        "scales": [],
    }
    with exclusive_use(args.database):
        try:
            with tempfile.TemporaryDirectory(prefix="gonv-bench-") as workdir:
                for scale in args.scales:
                    results["scales"].append(run_scale(scale, args, Path(workdir)))
        finally:
            if not args.keep:
                drop_database(args.database)
    results["targets"] = _targets(results["scales"])
    Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    print(report(results))
    print(f"\nWrote {args.json}")
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options; --quick is the smoke test's tiny, single-run mode."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--scales", help=f"comma-separated, of {', '.join(SCALES)}")
    parser.add_argument("--quick", action="store_true", help="tiny scale, one run each")
    parser.add_argument("--json", default=str(DEFAULT_JSON), help="where to write the results")
    parser.add_argument("--repeat", type=int, help="runs per measurement (default 3, quick 1)")
    parser.add_argument("--repeat-all", type=int, help="runs of all quarters (default 1)")
    parser.add_argument("--database", default=default_database(), help="bench database name")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--totals", action="store_true", help="list region totals in the JSON")
    parser.add_argument("--one", choices=sorted(SCALES), help=argparse.SUPPRESS)
    parser.add_argument("--step", choices=STEPS, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    check_database_name(args.database)
    if args.scales:
        args.scales = [s.strip() for s in args.scales.split(",") if s.strip()]
        unknown = [s for s in args.scales if s not in SCALES]
        if unknown:
            parser.error(f"unknown scale(s): {', '.join(unknown)}")
    else:
        args.scales = ["tiny"] if args.quick else list(DEFAULT_SCALES)
    args.repeat = args.repeat or (1 if args.quick else 3)
    # All quarters with SPC of every series from empty tables is minutes at national scale.
    args.repeat_all = args.repeat_all or 1
    args.totals = args.totals or args.quick
    return args


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m bench.run`."""
    args = parse_args(argv)
    if args.one:
        run_child(args)
        return 0
    return run_parent(args)


if __name__ == "__main__":
    sys.exit(main())
