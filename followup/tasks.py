"""Celery tasks: thin, idempotent wrappers around followup.services."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from gonv.periods import Quarter

from . import services, triggers

# Transient failures worth retrying with backoff; anything else is a bug and should surface.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, BrokerError)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
)
def compute_quarter(quarter: str, trigger: str = "", coalesced: bool = False) -> dict[str, Any]:
    """Recompute one quarter's results (upserts, so a rerun or redelivery is harmless).

    A coalesced run (enqueued by followup.triggers) first defers itself while edits go on.
    """
    parsed = Quarter.parse(quarter)
    if coalesced:
        wait = triggers.seconds_to_wait(parsed)
        if wait > 0:
            compute_quarter.apply_async(
                args=[quarter, trigger], kwargs={"coalesced": True}, countdown=wait
            )
            return {"quarter": quarter, "deferred_seconds": round(wait, 1)}
    return services.quarter_compute(quarter=parsed, trigger=trigger).as_dict()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def compute_current_quarter() -> list[str]:
    """Nightly: recompute the current quarter (and the one before, which may still change)."""
    current = Quarter.containing(timezone.localdate())
    quarters = [current.previous(), current]
    for quarter in quarters:
        compute_quarter.delay(quarter.code, "schedule")
    return [q.code for q in quarters]
