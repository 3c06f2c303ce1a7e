"""Celery tasks: thin, idempotent wrappers around followup.services."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from celery import Signature, chain, group, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from base.periods import Quarter

from . import recompute_marks, selectors, services
from .models import Measure

# Transient failures worth retrying with backoff; anything else is a bug and should surface.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, BrokerError)
RETRY: dict[str, Any] = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(acks_late=True, reject_on_worker_lost=True, **RETRY)
def compute_quarter(quarter: str, trigger: str = "") -> dict[str, Any]:
    """Recompute one quarter's results (upserts, so a rerun or redelivery is harmless).

    The set-based roll-up and goal status run here; SPC follows as one task per measure, so
    the CPU-bound part spreads over the workers once the numbers are committed.
    """
    parsed = Quarter.parse(quarter)
    return services.quarter_compute(quarter=parsed, trigger=trigger, spc=False).as_dict()


@shared_task(acks_late=True, reject_on_worker_lost=True, **RETRY)
def compute_spc(quarters: list[str], measure_id: int) -> dict[str, Any]:
    """Period series and SPC of one measure over the quarters, oldest first (idempotent)."""
    parsed = [Quarter.parse(q) for q in quarters]
    series = services.spc_compute(quarters=parsed, measure_ids=[measure_id])
    return {"quarters": quarters, "measure": measure_id, "spc_series": series}


@shared_task(acks_late=True, reject_on_worker_lost=True, **RETRY)
def fan_out_spc(quarters: list[str]) -> list[int]:
    """One SPC task per measure, in parallel across the workers."""
    measure_ids = list(Measure.objects.values_list("id", flat=True))
    _send(group(compute_spc.si(quarters, measure_id) for measure_id in measure_ids))
    return measure_ids


def _send(signature: Signature) -> None:
    """Enqueue, or in the embedded mode run in-process (read from Django's settings, so a test
    or the local mode switching it is obeyed even after Celery has been configured)."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        signature.apply()
    else:
        signature.apply_async()


def recompute_in_order(quarters: Iterable[Quarter], trigger: str) -> None:
    """The roll-ups of the quarters oldest first, then the SPC fan-out over them."""
    codes = [q.code for q in sorted(quarters)]
    _send(chain(*(compute_quarter.si(code, trigger) for code in codes), fan_out_spc.si(codes)))


@shared_task(acks_late=True, reject_on_worker_lost=True, **RETRY)
def recompute_changed(trigger: str = "change") -> dict[str, Any]:
    """Dispatcher of coalesced recomputes: wait for quiet, then chain the dirty quarters."""
    wait = recompute_marks.seconds_to_wait()
    if wait > 0:
        recompute_changed.apply_async(kwargs={"trigger": trigger}, countdown=wait)
        return {"deferred_seconds": round(wait, 1)}
    quarters = recompute_marks.claim_dirty(selectors.quarters_in_scope())
    if quarters:
        # A chain of durable messages: each step survives a lost worker on its own.
        recompute_in_order(quarters, trigger)
    return {"quarters": [q.code for q in quarters]}


@shared_task(acks_late=True, reject_on_worker_lost=True, **RETRY)
def compute_recent_quarters() -> list[str]:
    """Nightly: recompute the previous and the current quarter, oldest first."""
    current = Quarter.containing(timezone.localdate())
    quarters = [current.previous(), current]
    recompute_in_order(quarters, "schedule")
    return [q.code for q in quarters]


@shared_task(acks_late=True, reject_on_worker_lost=True, **RETRY)
def compute_all_quarters() -> list[str]:
    """At each quarter's start: recompute every quarter in scope, oldest first."""
    quarters = selectors.quarters_in_scope()
    recompute_in_order(quarters, "quarter-start")
    return [q.code for q in quarters]
