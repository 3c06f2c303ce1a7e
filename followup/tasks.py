"""Celery tasks: thin, idempotent wrappers around followup.services."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from typing import Any

from celery import Task, chain, group, shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from base.periods import Quarter
from base.tasks import send_or_run

from . import recompute_marks, selectors, services, warm
from .models import ComputeRun, Measure

logger = logging.getLogger(__name__)

# Transient failures worth retrying with backoff; anything else is a bug and should surface.
TRANSIENT_ERRORS = (
    OperationalError,
    InterfaceError,
    BrokerError,
    RedisConnectionError,
    RedisTimeoutError,
)


class RetriedByWorkers(Task):
    """A task retried with backoff on a worker, but not when run in-process (the embedded mode,
    CELERY_TASK_ALWAYS_EAGER): there a retry would run it again at once inside the user's
    request, up to max_retries times (Celery's eager apply ignores the countdown), so the
    failure is raised instead. The quarter stays marked for recompute (compute_quarter records
    the failure) and the next change or the nightly run computes it."""

    def retry(self, *args: Any, **kwargs: Any) -> Any:
        if self.request.is_eager:
            exc = kwargs.get("exc")
            if isinstance(exc, BaseException):
                raise exc
            raise RuntimeError(f"{self.name} asked for a retry in the embedded mode")
        return super().retry(*args, **kwargs)


RETRY: dict[str, Any] = {
    "base": RetriedByWorkers,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
}


ERROR_TOO_MANY_DELIVERIES = (
    "Gav upp efter {count} leveranser av samma uppgift: arbetsprocessen dog varje gång "
    "(minne, tidsgräns?). Kvartalet står kvar som begärt för omberäkning."
)
_DELIVERIES_KEY = "followup:deliveries:{task_id}:{retries}"


def _delivery_allowed(task: Task) -> tuple[bool, int]:
    """Count this delivery of the task; False once a message has come back too often.

    A task that kills its worker (acks_late with reject_on_worker_lost) is redelivered with
    the same id and retry number; an autoretry gets a new retry number and is not counted
    against it. Without a cache to count in, the delivery is allowed.
    """
    request = task.request
    if request.id is None:
        return True, 1
    key = _DELIVERIES_KEY.format(task_id=request.id, retries=request.retries or 0)
    try:
        cache.add(key, 0, timeout=24 * 60 * 60)
        count = int(cache.incr(key))
    except Exception:
        logger.warning("Could not count the deliveries of task %s", request.id, exc_info=True)
        return True, 1
    return count <= settings.GONV_TASK_MAX_DELIVERIES, count


def _record_failure(
    quarter: Quarter, trigger: str, started: Any, error: str, *, finished: bool = False
) -> None:
    """Leave the quarter dirty and tell the administrator why (a ComputeRun with the error)."""
    try:
        recompute_marks.mark_failed(quarter, trigger=trigger)
        ComputeRun.objects.create(
            quarter=quarter.code,
            started_at=started,
            finished_at=timezone.now() if finished else None,
            trigger=trigger[:40],
            error=error[:4000],
        )
    except Exception:
        # The database itself may be what failed; the log still says it.
        logger.exception("Could not record the failed computation of %s", quarter.code)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, **RETRY)
def compute_quarter(self: Task, quarter: str, trigger: str = "") -> dict[str, Any]:
    """Recompute one quarter's results (upserts, so a rerun or redelivery is harmless).

    The set-based roll-up and goal status run here; SPC follows as one task per measure, so
    the CPU-bound part spreads over the workers once the numbers are committed. A failure
    leaves the quarter marked for recompute and a ComputeRun with the error.
    """
    parsed = Quarter.parse(quarter)
    started = timezone.now()
    allowed, count = _delivery_allowed(self)
    if not allowed:
        message = ERROR_TOO_MANY_DELIVERIES.format(count=count - 1)
        logger.error("compute_quarter %s: %s", quarter, message)
        _record_failure(parsed, trigger, started, message, finished=True)
        return {"quarter": quarter, "error": message}
    try:
        summary = services.quarter_compute(quarter=parsed, trigger=trigger, spc=False)
    except Exception as exc:
        _record_failure(parsed, trigger, started, f"{type(exc).__name__}: {exc}")
        raise
    recompute_marks.mark_done(parsed, started=started)
    return summary.as_dict()


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, **RETRY)
def compute_spc(
    self: Task, quarters: list[str], measure_id: int, batch: str = ""
) -> dict[str, Any]:
    """Period series and SPC of one measure over the quarters, oldest first (idempotent).

    batch: the fan-out this task belongs to; the last of its tasks to finish warms the cache.
    """
    allowed, _count = _delivery_allowed(self)
    if not allowed:
        logger.error("compute_spc %s %s: %s", quarters, measure_id, ERROR_TOO_MANY_DELIVERIES)
        return {"quarters": quarters, "measure": measure_id, "error": "too many deliveries"}
    parsed = [Quarter.parse(q) for q in quarters]
    series = services.spc_compute(quarters=parsed, measure_ids=[measure_id])
    _spc_task_done(batch)
    return {"quarters": quarters, "measure": measure_id, "spc_series": series}


# The SPC tasks of one fan-out left to finish (there is no result backend for a chord): the
# task that counts it down to zero ends the chain with warm_dashboards.
_SPC_BATCH_KEY = "followup:spc-batch:{batch}"
_SPC_BATCH_TIMEOUT = 24 * 60 * 60


@shared_task(acks_late=True, reject_on_worker_lost=True, **RETRY)
def fan_out_spc(quarters: list[str]) -> list[int]:
    """One SPC task per measure, in parallel across the workers; then the cache warmed."""
    measure_ids = list(Measure.objects.values_list("id", flat=True))
    batch = uuid.uuid4().hex if measure_ids else ""
    if batch:
        try:
            cache.set(
                _SPC_BATCH_KEY.format(batch=batch), len(measure_ids), timeout=_SPC_BATCH_TIMEOUT
            )
        except Exception:  # no cache: the SPC runs, the pages stay cold
            logger.warning("Could not count the SPC tasks of %s", quarters, exc_info=True)
            batch = ""
    send_or_run(group(compute_spc.si(quarters, measure_id, batch) for measure_id in measure_ids))
    if not measure_ids:
        send_or_run(warm_dashboards.si())
    return measure_ids


def _spc_task_done(batch: str) -> None:
    """Count one SPC task of the fan-out down; the last one sends warm_dashboards.

    Its bump of the generation has run by now (on commit, and spc_compute's transactions
    have committed), so the warmed regions are the new generation's. Never fails the task.
    """
    if not batch:
        return
    try:
        left = cache.decr(_SPC_BATCH_KEY.format(batch=batch))
    except Exception:  # expired, evicted or unreachable: the pages render cold, as before
        logger.warning("Lost count of the SPC tasks of batch %s", batch, exc_info=True)
        return
    if left <= 0:
        cache.delete(_SPC_BATCH_KEY.format(batch=batch))
        send_or_run(warm_dashboards.si())


@shared_task(acks_late=True, reject_on_worker_lost=True)
def warm_dashboards() -> dict[str, Any]:
    """Render the most-read pages into the cache after a recompute (followup.warm).

    Idempotent (a page already cached renders from the cache) and it never fails: a page that
    cannot be rendered is logged and skipped; without a retry, a cold page is the worst case.
    """
    try:
        summary = warm.warm_dashboards()
    except Exception:
        logger.warning("Could not warm the dashboards' cache", exc_info=True)
        return {"error": "not warmed"}
    # How many pages, not which: Celery logs the result, and a region's VCs' and VECs' landing
    # pages are hundreds (what failed is listed).
    rendered = summary.get("rendered")
    return {**summary, "rendered": len(rendered)} if isinstance(rendered, list) else summary


def recompute_in_order(quarters: Iterable[Quarter], trigger: str) -> None:
    """The roll-ups of the quarters oldest first, then the SPC fan-out over them."""
    codes = [q.code for q in sorted(quarters)]
    send_or_run(
        chain(*(compute_quarter.si(code, trigger) for code in codes), fan_out_spc.si(codes))
    )


@shared_task(acks_late=True, reject_on_worker_lost=True, **RETRY)
def recompute_changed(trigger: str = "change") -> dict[str, Any]:
    """Dispatcher of coalesced recomputes: wait for quiet, then chain the dirty quarters."""
    wait = recompute_marks.seconds_to_wait()
    if wait > 0:
        recompute_changed.apply_async(kwargs={"trigger": trigger}, countdown=wait)
        return {"deferred_seconds": round(wait, 1)}
    quarters = recompute_marks.claim_dirty()
    if quarters:
        # A chain of durable messages: each step survives a lost worker on its own.
        recompute_in_order(quarters, trigger)
    return {"quarters": [q.code for q in quarters]}


@shared_task(acks_late=True, reject_on_worker_lost=True, **RETRY)
def compute_recent_quarters() -> list[str]:
    """Nightly: recompute the previous and the current quarter, and every quarter still marked
    dirty (a change made while the broker was down, a computation that failed), oldest first."""
    current = Quarter.containing(timezone.localdate())
    quarters = sorted({current.previous(), current, *recompute_marks.claim_dirty()})
    recompute_in_order(quarters, "schedule")
    return [q.code for q in quarters]


@shared_task(acks_late=True, reject_on_worker_lost=True, **RETRY)
def compute_all_quarters() -> list[str]:
    """At each quarter's start: recompute every quarter in scope, oldest first."""
    quarters = sorted({*selectors.quarters_in_scope(), *recompute_marks.claim_dirty()})
    recompute_in_order(quarters, "quarter-start")
    return [q.code for q in quarters]
