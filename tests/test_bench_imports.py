"""Smoke test of the import benchmark (`python -m bench.imports`) at the tiny scale.

Like tests/test_bench_smoke.py it runs the bench in a child process against a throwaway
database of its own, so pytest-django's test database is never involved, and asserts the
shape and the counts of what it reports, never its timings.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.run import _with_database

BASE_DIR = Path(__file__).resolve().parent.parent


def test_import_bench_reports_the_copy_floor_the_import_and_the_writes_floor(
    tmp_path: Path,
) -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.skip("the benchmark needs PostgreSQL: set DATABASE_URL (make test does)")
    out = tmp_path / "imports.json"
    database = f"gonv_bench_imports_smoke_{os.getpid()}"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.imports",
            "--scale",
            "tiny",
            "--rows",
            "600",
            "--database",
            database,
            "--json",
            str(out),
        ],
        cwd=BASE_DIR,
        env={**os.environ, "DATABASE_URL": _with_database(url, database)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    (size,) = json.loads(out.read_text())["sizes"]
    # The bench itself refuses to report unless the cold import created every row and the
    # second import found every row unchanged; the writes floor (run between the two) rolls its
    # own writes back, or the second import would not find them unchanged.
    assert size["rows"] == 600
    for timed in ("copy_s", "import_cold_s", "import_unchanged_s", "writes_floor_s"):
        assert size[timed] > 0, timed
    assert size["ratio_writes_floor"] > 0
    assert "writes floor" in completed.stdout
