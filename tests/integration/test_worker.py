"""The follow-up job on a real Celery worker, Redis broker and PostgreSQL."""

from __future__ import annotations

import datetime
import os
import signal
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction

from base.periods import Quarter
from followup import services
from followup.compute.db import COMPUTE_LOCK
from followup.models import ComputeRun, GoalResult, Measure, MeasureResult, PeriodResult
from followup.tasks import compute_quarter
from organisation.models import Role, Unit, UnitKind
from organisation.services import role_assign_trusted, unit_create_trusted

from .conftest import Worker, wait_for

pytestmark = pytest.mark.integration

# The latest month that has ended, whole: a value is for a whole month that is over
# (Observation.clean), whatever day the suite runs on.
MONTH_END = datetime.date.today().replace(day=1) - datetime.timedelta(days=1)
MONTH = MONTH_END.replace(day=1)
QUARTER = Quarter.containing(MONTH)


@pytest.fixture
def setup_data(worker: Worker) -> dict[str, object]:
    """A VO with two health centres, a count measure and a VC; initial recomputes drained."""
    kind_vo = UnitKind.objects.create(code="vo", name="VO", name_plural="VO")
    kind_hc = UnitKind.objects.create(code="hc", name="Hälsocentral", name_plural="Hälsocentraler")
    vo = unit_create_trusted(code="VO-1", name="VO Ett", kind=kind_vo)
    hcs = [
        unit_create_trusted(code=f"HC-{i}", name=f"HC {i}", kind=kind_hc, parent=vo) for i in (1, 2)
    ]
    measure = Measure.objects.create(code="do", name="DÖ", value_type="count", aggregation="sum")
    vc = User.objects.create(username="vc")
    role_assign_trusted(user=vc, role=Role.HEAD_OF_AREA, unit=vo)
    # Unit creation schedules recomputes; let them finish so the counts below start clean.
    wait_for(lambda: ComputeRun.objects.exists(), what="the initial recompute")
    wait_for(_queue_idle, what="the queue to drain")
    return {"vo": vo, "hcs": hcs, "measure": measure, "vc": vc}


def _queue_idle() -> bool:
    inspect = compute_quarter.app.control.inspect(timeout=1.0)
    active = inspect.active() or {}
    scheduled = inspect.scheduled() or {}
    reserved = inspect.reserved() or {}
    return not any([*active.values(), *scheduled.values(), *reserved.values()])


def _record(data: dict[str, object], unit: Unit, value: int) -> None:
    services.observation_record(
        user=data["vc"],
        measure=data["measure"],
        unit=unit,
        period_start=MONTH,
        period_end=MONTH_END,
        value=Decimal(value),
    )


def _vo_value(data: dict[str, object]) -> Decimal | None:
    row = MeasureResult.objects.filter(
        measure=data["measure"], unit=data["vo"], quarter=QUARTER.code
    ).first()
    return row.value if row else None


def test_a_reported_value_reaches_the_results_through_the_worker(setup_data):
    _record(setup_data, setup_data["hcs"][0], 7)

    wait_for(lambda: _vo_value(setup_data) == Decimal(7), what="the VO total to become 7")


def test_a_burst_of_edits_is_coalesced_into_one_run_per_quarter(setup_data):
    runs_before = ComputeRun.objects.filter(quarter=QUARTER.code).count()

    for value in range(1, 201):  # 200 separate commits, as a busy reporting hour would make
        _record(setup_data, setup_data["hcs"][value % 2], value)

    wait_for(lambda: _vo_value(setup_data) == Decimal(200 + 199), what="the final VO total")
    wait_for(_queue_idle, what="the queue to drain")
    assert ComputeRun.objects.filter(quarter=QUARTER.code).count() - runs_before == 1


def _snapshot() -> list[tuple]:
    return [
        *MeasureResult.objects.order_by("measure_id", "unit_id", "quarter").values_list(
            "measure_id", "unit_id", "quarter", "value", "reporting_units", "expected_units"
        ),
        *PeriodResult.objects.order_by("measure_id", "unit_id", "period_start").values_list(
            "measure_id", "unit_id", "period_start", "value"
        ),
        *GoalResult.objects.order_by("goal_id", "quarter").values_list(
            "goal_id", "quarter", "status", "progress"
        ),
    ]


def _waiting_for_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        return cursor.fetchone()[0] > 0


def test_a_worker_lost_mid_task_is_rerun_with_identical_results_and_no_duplicates(
    setup_data, worker
):
    _record(setup_data, setup_data["hcs"][0], 5)
    wait_for(lambda: _vo_value(setup_data) == Decimal(5), what="the first result")
    wait_for(_queue_idle, what="the queue to drain")
    before = _snapshot()
    runs_before = ComputeRun.objects.count()

    # Hold the computation lock so the next run stops mid-task, inside its transaction.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", list(COMPUTE_LOCK))
        compute_quarter.delay(QUARTER.code, "integration-test")
        wait_for(_waiting_for_lock, what="the task to block on the lock")
        for pid in worker.child_pids():
            os.kill(pid, signal.SIGKILL)  # the pool child dies mid-task: WorkerLostError
        wait_for(lambda: "WorkerLostError" in worker.log(), what="the lost worker")
        # acks_late + reject_on_worker_lost: the message comes back and blocks again.
        wait_for(_waiting_for_lock, what="the redelivered task")
        # Leaving the block releases the lock; the redelivered task completes.

    wait_for(lambda: ComputeRun.objects.count() == runs_before + 1, what="the rerun to finish")
    assert _snapshot() == before
    assert MeasureResult.objects.filter(quarter=QUARTER.code).count() == len(
        {(m, u) for m, u, q, *_ in before if q == QUARTER.code}
    )
