"""The embedded mode (SQLite) computes the same follow-up as production (PostgreSQL).

The engine in followup/compute/ has vendor-specific SQL: on SQLite `IS NOT` for NULL-safe
comparison, dates compared as ISO text, float ROUND and executemany upserts of the goal and
SPC rows; on PostgreSQL `IS DISTINCT FROM`, the active units inlined (NOT MATERIALIZED), COPY
into the result tables or into a temporary table with INSERT … ON CONFLICT, planner settings
and advisory locks. Both vendors load the Gävleborg
demo data and go through the same three stages, and every stored result is compared, keyed by
natural keys (codes, quarters, periods; database ids differ between the two):

- loaded: the demo as `load_demo` leaves it, recomputed on the demo's own "today";
- corrected: one health centre's values for a quarter deleted, the affected quarters
  recomputed the way the Celery tasks do (roll-ups first, then SPC per measure), so results
  change from a value to NULL and rows disappear;
- restored: the deleted values back, recomputed, so results change from NULL to a value.

PostgreSQL runs in-process on the suite's test database; SQLite runs in a child process in the
embedded mode (as tests/test_settings.py does), concurrently. Both sides produce their
snapshots with the same function, `follow_up_snapshots`, which the child imports from here.
"""

from __future__ import annotations

import datetime
import io
import json
import math
import subprocess
import tomllib
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from pytest_django import DjangoDbBlocker

from base.periods import Quarter
from followup import selectors, services, triggers
from followup.compute.evaluate import GOAL_RESULT_FIELDS
from followup.compute.rollup import MEASURE_COLUMNS, PERIOD_COLUMNS
from followup.models import (
    GoalResult,
    Measure,
    MeasureResult,
    Observation,
    PeriodResult,
    SpcResult,
)
from tests.helpers import ROOT, base_env, manage

# django_db: pytest-django sets up the test database only when a collected test asks for one.
pytestmark = [pytest.mark.subprocess, pytest.mark.django_db]

FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"


def _demo_today() -> datetime.date:
    """The demo's own "today" (demo.toml, [demo] as_of)."""
    demo = tomllib.loads((ROOT / "data" / "gavleborg" / "demo.toml").read_text("utf-8"))
    return demo["demo"]["as_of"]


# Every recompute here runs on the demo's day, so the results do not depend on the test's day.
DEMO_TODAY = _demo_today()
LAST_QUARTER = Quarter.containing(DEMO_TODAY)
TRIGGER = "vendor-comparison"

# The correction: every value one health centre reported for one quarter is deleted.
CORRECTED_UNIT = "HC-SANDVIKEN"
CORRECTED_QUARTER = "2025Q3"

SIX_PLACES = Decimal("0.000001")
FLOAT_REL_TOL = 1e-9
FLOAT_ABS_TOL = 1e-12
SHOWN_DIFFERENCES = 25
SHOWN_VALUE_CHARS = 160

# Table → natural key → the row's fields, JSON-ready.
Snapshot = dict[str, dict[str, dict[str, Any]]]


# --- the snapshot, shared by both sides -------------------------------------------------------


def _decimal(value: Decimal | float | None) -> str | None:
    """A stored decimal as text with the 6 places the result tables keep."""
    return None if value is None else str(Decimal(value).quantize(SIX_PLACES))


def _key(*parts: object) -> str:
    return "|".join(str(part) for part in parts)


def _plain(row: dict[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """The stored fields of a result row, decimals as text with their 6 places."""
    return {f: _decimal(row[f]) if isinstance(row[f], Decimal) else row[f] for f in fields}


# Every column the computation stores, as the engine lists them, except the time the demo rows
# were saved (MeasureResult.latest_update), which differs between the two loads; and the changes
# against earlier quarters that the pages read with them.
MEASURE_FIELDS = [
    *(c for c in MEASURE_COLUMNS if c != "latest_update"),
    "change_previous_quarter",
    "change_previous_year",
]
SPC_FIELDS = ["summary", "digest"]
PERIOD_FIELDS = PERIOD_COLUMNS
GOAL_FIELDS = GOAL_RESULT_FIELDS


def snapshot() -> Snapshot:
    """Every stored result up to the demo's quarter, read through the ORM, keyed naturally.

    Later quarters are left out: `load_demo` computes up to the real today's quarter first.
    """
    last = LAST_QUARTER.code
    stored = MeasureResult.objects.filter(quarter__lte=last)
    measures = {
        _key(row["measure__code"], row["unit__code"], row["quarter"]): _plain(row, MEASURE_FIELDS)
        for quarter in stored.values_list("quarter", flat=True).distinct()
        for row in MeasureResult.objects.of_quarter(Quarter.parse(quarter)).values(
            "measure__code", "unit__code", "quarter", *MEASURE_FIELDS
        )
    }
    charts = {
        _key(row["measure__code"], row["unit__code"], row["quarter"]): _plain(row, SPC_FIELDS)
        for row in SpcResult.objects.filter(quarter__lte=last).values(
            "measure__code", "unit__code", "quarter", *SPC_FIELDS
        )
    }
    periods = {
        _key(row["measure__code"], row["unit__code"], row["period_start"].isoformat()): _plain(
            row, PERIOD_FIELDS
        )
        for row in PeriodResult.objects.filter(quarter__lte=last).values(
            "measure__code", "unit__code", "period_start", *PERIOD_FIELDS
        )
    }
    goals = {
        _key(row["goal__code"], row["quarter"]): _plain(row, GOAL_FIELDS)
        for row in GoalResult.objects.filter(quarter__lte=last).values(
            "goal__code", "quarter", *GOAL_FIELDS
        )
    }
    # Through JSON, so both sides compare what the child process prints.
    return json.loads(
        json.dumps(
            {
                "measure_results": measures,
                "spc_results": charts,
                "period_results": periods,
                "goal_results": goals,
            }
        )
    )


def follow_up_snapshots() -> dict[str, Snapshot]:
    """After `load_demo`: recompute, correct, restore, with a snapshot after each stage."""
    snapshots: dict[str, Snapshot] = {}

    services.recompute_all(trigger=TRIGGER, today=DEMO_TODAY)
    snapshots["loaded"] = snapshot()

    affected = selectors.quarters_affected_from(CORRECTED_QUARTER, today=DEMO_TODAY)
    removed = list(Observation.objects.filter(unit__code=CORRECTED_UNIT, quarter=CORRECTED_QUARTER))
    # The recompute is run below, on the demo's day, instead of by the triggers.
    with triggers.suppressed(), transaction.atomic():
        Observation.objects.filter(pk__in=[o.pk for o in removed]).delete()
    # As the Celery tasks do it: each quarter's roll-ups and goal status without SPC, oldest
    # first (compute_quarter), then the series and SPC one measure at a time (compute_spc).
    for quarter in affected:
        services.quarter_compute(quarter=quarter, trigger=TRIGGER, today=DEMO_TODAY, spc=False)
    for measure_id in Measure.objects.order_by("id").values_list("id", flat=True):
        services.spc_compute(quarters=affected, measure_ids=[measure_id])
    snapshots["corrected"] = snapshot()

    with triggers.suppressed(), transaction.atomic():
        Observation.objects.bulk_create(removed)
    for quarter in affected:
        services.quarter_compute(quarter=quarter, trigger=TRIGGER, today=DEMO_TODAY)
    snapshots["restored"] = snapshot()
    return snapshots


def print_follow_up_snapshots() -> None:
    """The child process's side: the snapshots as one line of JSON."""
    print(json.dumps(follow_up_snapshots(), sort_keys=True))


# --- the two sides ----------------------------------------------------------------------------


def manage_ok(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """manage.py in a child process; fail with its output if it fails."""
    result = manage(*args, env=env)
    assert result.returncode == 0, f"manage.py {args[0]}:\n{result.stdout}\n{result.stderr}"
    return result


SQLITE_SCRIPT = (
    "from tests.followup.test_vendors import print_follow_up_snapshots; print_follow_up_snapshots()"
)


def sqlite_snapshots(database: Path) -> dict[str, Snapshot]:
    """The embedded mode on a fresh SQLite file: migrate, load the demo, take the snapshots."""
    env = base_env(SQLITE_PATH=str(database))
    manage_ok("migrate", "--no-input", "--verbosity", "0", env=env)
    manage_ok("load_demo", env=env)
    result = manage_ok("shell", "--verbosity", "0", "-c", SQLITE_SCRIPT, env=env)
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def _sqlite_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Future[dict[str, Snapshot]]]:
    """The SQLite side, started in the background while PostgreSQL computes in-process."""
    database = tmp_path_factory.mktemp("vendors") / "gonv.sqlite3"
    with ThreadPoolExecutor(max_workers=1) as pool:
        yield pool.submit(sqlite_snapshots, database)


@pytest.fixture(scope="module")
def _postgresql_run(
    _sqlite_run: Future[dict[str, Snapshot]],
    django_db_setup: None,
    django_db_blocker: DjangoDbBlocker,
) -> dict[str, Snapshot]:
    """The PostgreSQL side on the test database, rolled back afterwards."""
    # The suite's per-test settings fixtures do not reach a module fixture: set them here.
    with (
        override_settings(
            PASSWORD_HASHERS=[FAST_HASHER], CELERY_TASK_ALWAYS_EAGER=True, GONV_SPC_SCOPE="all"
        ),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        assert connection.vendor == "postgresql", "the suite's DATABASE_URL must be PostgreSQL"
        call_command("load_demo", stdout=io.StringIO())
        snapshots = follow_up_snapshots()
        transaction.set_rollback(True)
    return snapshots


@pytest.fixture(scope="module")
def results(
    _postgresql_run: dict[str, Snapshot], _sqlite_run: Future[dict[str, Snapshot]]
) -> dict[str, dict[str, Snapshot]]:
    """Vendor → stage → snapshot."""
    return {"postgresql": _postgresql_run, "sqlite": _sqlite_run.result()}


# --- the comparison ---------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= SHOWN_VALUE_CHARS else text[: SHOWN_VALUE_CHARS - 3] + "..."


def differences(sqlite: Any, postgresql: Any, path: str) -> Iterator[str]:
    """Where two JSON values differ; floats within a relative 1e-9 count as equal."""
    if isinstance(sqlite, dict) and isinstance(postgresql, dict):
        for key in sorted(sqlite.keys() | postgresql.keys()):
            if key not in postgresql:
                yield f"{path}.{key}: only on SQLite ({_shown(sqlite[key])})"
            elif key not in sqlite:
                yield f"{path}.{key}: only on PostgreSQL ({_shown(postgresql[key])})"
            else:
                yield from differences(sqlite[key], postgresql[key], f"{path}.{key}")
    elif (
        isinstance(sqlite, list) and isinstance(postgresql, list) and len(sqlite) == len(postgresql)
    ):
        for index, (left, right) in enumerate(zip(sqlite, postgresql, strict=True)):
            yield from differences(left, right, f"{path}[{index}]")
    elif (
        _is_number(sqlite) and _is_number(postgresql) and float in (type(sqlite), type(postgresql))
    ):
        if not math.isclose(sqlite, postgresql, rel_tol=FLOAT_REL_TOL, abs_tol=FLOAT_ABS_TOL):
            yield f"{path}: SQLite {_shown(sqlite)} != PostgreSQL {_shown(postgresql)}"
    elif sqlite != postgresql:
        yield f"{path}: SQLite {_shown(sqlite)} != PostgreSQL {_shown(postgresql)}"


def assert_same_results(results: dict[str, dict[str, Snapshot]], stage: str) -> None:
    """Both vendors stored the same rows with the same values at this stage."""
    sqlite, postgresql = results["sqlite"][stage], results["postgresql"][stage]
    found: list[str] = []
    for table in ("measure_results", "spc_results", "period_results", "goal_results"):
        only_sqlite = sorted(sqlite[table].keys() - postgresql[table].keys())
        only_postgresql = sorted(postgresql[table].keys() - sqlite[table].keys())
        if only_sqlite:
            found.append(f"{table}: {len(only_sqlite)} rows only on SQLite, e.g. {only_sqlite[:5]}")
        if only_postgresql:
            found.append(
                f"{table}: {len(only_postgresql)} rows only on PostgreSQL, "
                f"e.g. {only_postgresql[:5]}"
            )
        for key in sorted(sqlite[table].keys() & postgresql[table].keys()):
            found.extend(differences(sqlite[table][key], postgresql[table][key], f"{table}[{key}]"))
    if found:
        shown = "\n".join(found[:SHOWN_DIFFERENCES])
        pytest.fail(f"{stage}: {len(found)} differences between the vendors:\n{shown}")


def changed_rows(before: Snapshot, after: Snapshot, table: str) -> set[str]:
    """Rows added, removed or altered between two stages of one vendor."""
    keys = before[table].keys() | after[table].keys()
    return {key for key in keys if before[table].get(key) != after[table].get(key)}


# --- tests ------------------------------------------------------------------------------------


def test_both_vendors_hold_a_substantial_follow_up_to_compare(
    results: dict[str, dict[str, Snapshot]],
) -> None:
    for vendor, stages in results.items():
        loaded = stages["loaded"]
        spc = [r["summary"] for r in loaded["spc_results"].values()]
        assert len(loaded["measure_results"]) >= 1000, vendor
        assert len(loaded["period_results"]) >= 2500, vendor
        assert len(loaded["goal_results"]) >= 100, vendor
        assert len(spc) >= 1000, vendor
        assert sum(s["limits_available"] for s in spc) >= 100, vendor
        assert {r["status"] for r in loaded["goal_results"].values()} >= {
            "uppnatt",
            "enligt_plan",
            "ej_enligt_plan",
        }, vendor


def test_the_embedded_mode_shows_the_same_follow_up_as_production_after_the_demo_load(
    results: dict[str, dict[str, Snapshot]],
) -> None:
    assert_same_results(results, "loaded")


def test_deleting_a_health_centres_quarter_changes_the_follow_up_alike_on_both_vendors(
    results: dict[str, dict[str, Snapshot]],
) -> None:
    # The correction must really move results, or the comparison would prove little.
    for vendor, stages in results.items():
        loaded, corrected = stages["loaded"], stages["corrected"]
        measures = changed_rows(loaded, corrected, "measure_results")
        emptied = {
            key
            for key in measures
            if loaded["measure_results"][key]["value"] is not None
            and corrected["measure_results"][key]["value"] is None
        }
        removed_periods = loaded["period_results"].keys() - corrected["period_results"].keys()
        assert len(measures) >= 50, vendor
        assert len(emptied) >= 3, vendor
        assert len(removed_periods) >= 5, vendor
        assert changed_rows(loaded, corrected, "goal_results"), vendor

    assert_same_results(results, "corrected")


def test_restoring_the_deleted_values_brings_the_same_results_back_on_both_vendors(
    results: dict[str, dict[str, Snapshot]],
) -> None:
    assert_same_results(results, "restored")
    for vendor, stages in results.items():
        for table in ("measure_results", "spc_results", "period_results", "goal_results"):
            changed = sorted(changed_rows(stages["loaded"], stages["restored"], table))
            assert not changed, f"{vendor} {table}: not as loaded: {changed[:5]}"
