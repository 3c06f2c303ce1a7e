"""Benchmark of the import of measure values (`python -m bench.imports`).

    python -m bench.imports [--rows 10000,100000] [--scale national] [--database NAME]

Per size, a child process on a fresh bench database (the units and measures of the scale,
no observations) generates a CSV of that many rows as a Swedish export would look (`;`,
decimal comma, "dec 2025"), then times:
- the floor: PostgreSQL COPY of the same file into a bare table with the same columns;
- the import, cold: import_store checks every row and stores the values, their history and
  the batch (the recompute it schedules is left out: `make bench` measures that);
- the import again, unchanged: every row checked and compared, nothing written;
- the writes floor: the values the cold import stored and their history rows, taken out and
  COPYed back into the real tables (their indexes, foreign keys checked, rolled back): what
  storing the values and their history costs with no reading, parsing or checking at all
  (after the peak RSS is read: it is the bench's, not the import's);
and reports the ratios to the floor and the child's peak RSS (flat from 10,000 to 100,000
rows is the target; the file is streamed and, on PostgreSQL, staged with COPY). See
bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import SCALES
from bench.run import (
    BASE_DIR,
    _child_env,
    _server_url,
    _with_database,
    check_database_name,
    drop_database,
    recreate_database,
)

DEFAULT_DATABASE = "gonv_bench_imports"
DEFAULT_ROWS = (10_000, 100_000)
TARGET_RATIO = 5.0
TODAY = datetime.date(2026, 1, 15)
MONTHS_SV = ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec")


def _setup(scale_name: str) -> dict[str, int]:
    """Migrated database with the scale's units, closure table and measures (no values)."""
    from django.core.management import call_command

    from bench import generate
    from followup.models import Measure
    from organisation.models import UnitKind
    from organisation.services import unit_tree_rebuild

    call_command("migrate", verbosity=0)
    kinds = {
        k.code: k
        for k in UnitKind.objects.bulk_create(
            [UnitKind(code=c, name=n, name_plural=p) for c, n, p in generate._KINDS]
        )
    }
    tree = generate._build_tree(SCALES[scale_name])
    generate._load_units(tree, kinds)
    unit_tree_rebuild()
    measures = Measure.objects.bulk_create(
        [
            Measure(
                code=s.code,
                name=s.name,
                unit=s.unit,
                value_type=s.value_type,
                improvement=s.improvement,
                aggregation=s.aggregation,
            )  # fmt: skip
            for s in generate.MEASURES
        ]
    )
    Measure.unit_kinds.through.objects.bulk_create(
        [
            Measure.unit_kinds.through(measure_id=m.pk, unitkind_id=kinds["halsocentral"].pk)
            for m in measures
        ]
    )
    return {"units": len(tree.rows), "health_centres": len(tree.health_centres)}


def write_csv(path: Path, rows: int, seed: int = 14) -> None:
    """rows values of the health centres: every centre × measure for as many months as needed."""
    from bench import generate
    from organisation.models import Unit

    rng = random.Random(seed)
    centres = list(
        Unit.objects.filter(kind__code="halsocentral", valid_from=None, valid_to=None)
        .order_by("code")
        .values_list("code", flat=True)
    )
    specs = generate.MEASURES
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        handle.write("Enhet;Mått;Period;Värde;Täljare;Nämnare\r\n")
        written, month = 0, 0
        while written < rows:
            year, number = 2025 - month // 12, 12 - month % 12
            period = f"{MONTHS_SV[number - 1]} {year}"
            for code in centres:
                for spec in specs:
                    if written == rows:
                        break
                    if spec.value_type == "share":
                        den = rng.randint(100, 5000)
                        num = rng.randint(0, den)
                        value = f"{num / den * 100:.2f}".replace(".", ",")
                        line = f"{code};{spec.code};{period};{value};{num};{den}"
                    elif spec.value_type == "count":
                        line = f"{code};{spec.code};{period};{rng.randint(0, 20000)};;"
                    else:
                        value = f"{rng.uniform(1, 99):.2f}".replace(".", ",")
                        line = f"{code};{spec.code};{period};{value};;"
                    handle.write(line + "\r\n")
                    written += 1
            month += 1


def _copy_floor(path: Path) -> float:
    """COPY the file into a bare table with its columns (text, as the file has them)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS import_floor")
        cursor.execute(
            "CREATE TABLE import_floor (enhet text, matt text, period text, varde text, "
            "taljare text, namnare text)"
        )
        started = time.perf_counter()
        with (
            cursor.cursor.copy(
                "COPY import_floor FROM STDIN (FORMAT csv, DELIMITER ';', HEADER true, "
                "ENCODING 'UTF8')"
            ) as copy,
            path.open("rb") as handle,
        ):
            handle.read(3)  # the BOM
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE import_floor")
    return elapsed


def _writes_floor(batch_id: int, rows_expected: int, workdir: Path) -> float:
    """COPY the batch's observations and their history rows back into their own tables.

    The rows are copied out, deleted and COPYed back in one transaction that is rolled back,
    the deferred foreign-key checks run before the clock stops (SET CONSTRAINTS ALL
    IMMEDIATE): the cost of the writes the issue asks for (a value and its history), without
    any of the import's own work.
    """
    from django.db import connection, transaction

    from followup.models import Observation

    observations = Observation._meta.db_table
    history = Observation.history.model._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        dumps: dict[str, Path] = {}
        for table in (observations, history):  # to files: the process's peak RSS stays flat
            rows = f"SELECT * FROM {table} WHERE import_batch_id = {int(batch_id)}"
            dumps[table] = workdir / f"{table}.copy"
            with (
                cursor.cursor.copy(f"COPY ({rows}) TO STDOUT") as copy,
                dumps[table].open("wb") as out,
            ):
                for data in copy:
                    out.write(data)
        cursor.execute(f"DELETE FROM {history} WHERE import_batch_id = %s", [batch_id])
        cursor.execute(f"DELETE FROM {observations} WHERE import_batch_id = %s", [batch_id])
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        started = time.perf_counter()
        for table in (observations, history):
            with (
                cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy,
                dumps[table].open("rb") as handle,
            ):
                while chunk := handle.read(1 << 20):
                    copy.write(chunk)
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    for dump in dumps.values():
        dump.unlink()
    if Observation.objects.filter(import_batch_id=batch_id).count() != rows_expected:
        raise SystemExit("bench: the writes floor did not roll its writes back")
    return elapsed


def run_size(rows: int) -> dict[str, Any]:
    """One size, in this (fresh) process: file, floor, cold import, unchanged import."""
    from followup import triggers
    from followup.imports import report, services

    scheduled: list[Any] = []
    # The recompute is not the import's cost (make bench times it); count it, don't run it.
    triggers.request_recompute = lambda quarters, **kw: scheduled.append(list(quarters))  # type: ignore[assignment]
    workdir = Path(tempfile.mkdtemp(prefix="gonv-bench-imports-"))
    path = workdir / f"export-{rows}.csv"
    write_csv(path, rows)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    floor = _copy_floor(path)
    started = time.perf_counter()
    try:
        cold = services.import_store(user=None, path=path, file_name=path.name, today=TODAY)
    except report.ImportRefused as refused:
        raise SystemExit("\n".join(refused.report.problem_lines()[:10])) from refused
    cold_s = time.perf_counter() - started
    started = time.perf_counter()
    again = services.import_store(user=None, path=path, file_name=path.name, today=TODAY)
    again_s = time.perf_counter() - started
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if cold.created != rows or again.unchanged != rows or cold.batch_id is None:
        raise SystemExit(f"bench: expected {rows} new then unchanged rows, got {cold} / {again}")
    writes_floor = _writes_floor(cold.batch_id, rows, workdir)
    file_mb = path.stat().st_size / 2**20
    path.unlink()
    return {
        "rows": rows,
        "file_mb": round(file_mb, 1),
        "copy_s": round(floor, 3),
        "import_cold_s": round(cold_s, 3),
        "import_unchanged_s": round(again_s, 3),
        "ratio_cold": round(cold_s / floor, 1),
        "ratio_unchanged": round(again_s / floor, 1),
        "writes_floor_s": round(writes_floor, 3),
        "ratio_writes_floor": round(writes_floor / floor, 1),
        "rss_before_mb": round(rss_before / 1024, 1),
        "rss_peak_mb": round(rss_peak / 1024, 1),
        "recomputes_scheduled": len(scheduled),
    }


def child(args: argparse.Namespace) -> None:
    os.environ["DATABASE_URL"] = _with_database(_server_url(), check_database_name(args.database))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gonv.settings")
    os.environ["GONV_IMPORT_MAX_BYTES"] = str(1 << 30)
    import django

    django.setup()
    result = _setup(args.scale) if args.step == "setup" else run_size(int(args.step))
    Path(args.out).write_text(json.dumps(result))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default=",".join(map(str, DEFAULT_ROWS)))
    parser.add_argument("--scale", default="national", choices=sorted(SCALES))
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--json", default=str(BASE_DIR / "bench-results-imports.json"))
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.step:
        child(args)
        return
    sizes = [int(n) for n in args.rows.split(",")]
    workdir = Path(tempfile.mkdtemp(prefix="gonv-bench-imports-"))
    results: list[dict[str, Any]] = []
    for size in sizes:
        recreate_database(args.database)  # every size starts from no observations
        for step in ("setup", str(size)):
            out = workdir / f"{step}.json"
            command = [
                sys.executable, "-m", "bench.imports", "--step", step, "--out", str(out),
                "--scale", args.scale, "--database", args.database,
            ]  # fmt: skip
            subprocess.run(command, env=_child_env(), cwd=BASE_DIR, check=True)
        results.append(json.loads(out.read_text()))
        print(json.dumps(results[-1]), flush=True)
    drop_database(args.database)
    print()
    print(
        f"| rows ({args.scale} units) | COPY | import, cold | × COPY "
        "| again, unchanged | × COPY | writes floor | × COPY | peak RSS |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['rows']:,} | {r['copy_s']:.2f} s | {r['import_cold_s']:.2f} s | "
            f"{r['ratio_cold']} | {r['import_unchanged_s']:.2f} s | {r['ratio_unchanged']} | "
            f"{r['writes_floor_s']:.2f} s | {r['ratio_writes_floor']} | {r['rss_peak_mb']} MB |"
        )
    Path(args.json).write_text(
        json.dumps({"target_ratio": TARGET_RATIO, "sizes": results}, indent=2)
    )


if __name__ == "__main__":
    main()
