"""Smoke test of `make bench`: the tiny scale end to end, checked for shape and correctness.

It runs `python -m bench.run --quick` in a child process against a throwaway database of its
own (the bench creates and drops it), so pytest-django's test database is never involved.
Nothing here asserts on timings: the machine is shared and timings are the bench's output,
not its contract.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bench.run import _with_database

BASE_DIR = Path(__file__).resolve().parent.parent

TIMED = (
    "compute_one_quarter_s",
    "compute_one_quarter_cold_s",
    "compute_one_quarter_rewrite_s",
    "compute_all_quarters_s",
    "sql_floor_s",
    "spc_one_quarter_s",
    "spc_one_quarter_cold_s",
    "spc_slowest_measure_cold_s",
    "spc_aggregates_cold_s",
    "spc_all_quarters_s",
)
SPLIT_STEPS = {"measure_results", "period_results", "goals", "other"}


def _run_quick(tmp_path: Path) -> dict[str, Any]:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.skip("the benchmark needs PostgreSQL: set DATABASE_URL (make test does)")
    out = tmp_path / "bench.json"
    env = {**os.environ, "DATABASE_URL": _with_database(url, f"gonv_bench_smoke_{os.getpid()}")}
    completed = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--json", str(out)],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(out.read_text())


def test_quick_bench_writes_results_and_its_sql_floor_matches_the_computed_regions(
    tmp_path: Path,
) -> None:
    results = _run_quick(tmp_path)

    assert {"generated_at", "machine", "settings", "scales", "targets"} <= results.keys()
    assert results["settings"]["quick"] is True
    [scale] = results["scales"]
    assert scale["scale"] == "tiny"
    assert scale["observations"] > 0
    assert 0 < scale["quarter_observations"] < scale["observations"]
    assert scale["quarters"] == 12
    for key in TIMED:
        assert {"median", "best", "runs"} <= scale[key].keys()
        # One run each; the floor runs before each of the rerun, the cold run and the rewrite.
        assert len(scale[key]["runs"]) == (3 if key == "sql_floor_s" else 1)
    assert set(scale["split_s"]) == set(scale["split_cold_s"]) == SPLIT_STEPS
    for key in ("ratio", "ratio_cold", "obs_per_s", "peak_rss_mb", "heap_peak_mb"):
        assert isinstance(scale[key], int | float)
    # Each ratio is the median of the runs' ratios to their floor (runs just before and after).
    for key in ("ratio_pairs", "ratio_cold_pairs", "ratio_rewrite_pairs"):
        assert len(scale[key]["runs"]) == 1
    assert scale["ratio"] == scale["ratio_pairs"]["median"]
    # compute_quarter is the task's roll-up: SPC follows in its own tasks.
    assert scale["rows_written"]["measure_rows"] > 0
    assert scale["rows_written"]["spc_series"] == 0
    # A rerun over unchanged data writes nothing; after a re-save of the quarter's
    # observations (the rewrite), every result row of the quarter is written again.
    assert scale["rows_written_rerun"]["measure_rows"] == 0
    assert scale["rows_written_rewrite"]["measure_rows"] == scale["rows_written"]["measure_rows"]
    # The cold SPC run computed a series per (measure, unit with a result).
    assert scale["spc_series"] > 0

    check = scale["check"]
    assert check["mismatches"] == 0
    # One total per measure for the one region, each the same from the floor and the job.
    assert len(check["totals"]) == scale["measures"] == check["region_totals"]
    for measure, region, floor, computed in check["totals"]:
        assert floor is not None, (measure, region)
        assert Decimal(floor) == Decimal(computed), (measure, region)
