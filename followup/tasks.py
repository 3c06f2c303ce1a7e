"""Celery tasks: thin, idempotent wrappers around followup.services."""

from __future__ import annotations

from typing import Any

from celery import chain, group, shared_task
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from gonv.periods import Quarter

from . import services, triggers
from .models import Measure

# Transient failures worth retrying with backoff; anything else is a bug and should surface.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, BrokerError)
RETRY = {
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
    summary = services.quarter_compute(quarter=parsed, trigger=trigger, spc=False)
    measure_ids = list(Measure.objects.values_list("id", flat=True))
    transaction.on_commit(
        lambda: group(compute_spc.si(quarter, measure_id) for measure_id in measure_ids).delay()
    )
    return summary.as_dict()


@shared_task(acks_late=True, reject_on_worker_lost=True, **RETRY)
def compute_spc(quarter: str, measure_id: int) -> dict[str, Any]:
    """Recompute the SPC of one measure's results in one quarter (overwrites, so idempotent)."""
    series = services.spc_compute(quarter=Quarter.parse(quarter), measure_ids=[measure_id])
    return {"quarter": quarter, "measure": measure_id, "spc_series": series}


@shared_task(acks_late=True, reject_on_worker_lost=True, **RETRY)
def recompute_changed(trigger: str = "change") -> dict[str, Any]:
    """Dispatcher of coalesced recomputes: wait for quiet, then chain the dirty quarters."""
    wait = triggers.seconds_to_wait()
    if wait > 0:
        recompute_changed.apply_async(kwargs={"trigger": trigger}, countdown=wait)
        return {"deferred_seconds": round(wait, 1)}
    quarters = triggers.claim_dirty(services.quarters_in_scope())
    if quarters:
        # A chain of durable messages: each step survives a lost worker on its own.
        chain(compute_quarter.si(q.code, trigger) for q in quarters).apply_async()
    return {"quarters": [q.code for q in quarters]}


@shared_task(acks_late=True, reject_on_worker_lost=True, **RETRY)
def compute_recent_quarters() -> list[str]:
    """Nightly: recompute the previous and the current quarter, oldest first."""
    current = Quarter.containing(timezone.localdate())
    quarters = [current.previous(), current]
    chain(compute_quarter.si(q.code, "schedule") for q in quarters).apply_async()
    return [q.code for q in quarters]


@shared_task(acks_late=True, reject_on_worker_lost=True, **RETRY)
def compute_all_quarters() -> list[str]:
    """At each quarter's start: recompute every quarter in scope, oldest first."""
    quarters = services.quarters_in_scope()
    chain(compute_quarter.si(q.code, "quarter-start") for q in quarters).apply_async()
    return [q.code for q in quarters]
