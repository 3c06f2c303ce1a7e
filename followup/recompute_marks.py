"""The recompute marks: which quarters are dirty (in the database) and when the burst of edits
began (in the cache).

Written by followup.triggers (when a transaction commits) and read by the dispatcher task in
followup.tasks (which waits for quiet, then claims the dirty quarters). Both import this module
and neither the other's way back, so the two stay free of a cycle (an import-linter contract in
pyproject.toml keeps it so).

The dirty marks are rows of RecomputeRequest, the outbox: written before anything is sent to the
broker, so a broker or cache that is down loses nothing. The next trigger's dispatcher or the
nightly run claims them; a computation that succeeds deletes its quarter's mark, one that fails
leaves it (followup.tasks). Only the debounce's timestamps live in the cache.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from base.periods import Quarter

from .models import RecomputeRequest

SCHEDULED_KEY = "followup:recompute-scheduled"  # value: when the burst started
LATEST_KEY = "followup:latest-change"  # value: when the latest edit committed
# The marks outlive any wait, so the dispatcher, not an expiry, clears them.
_MARK_TIMEOUT = 24 * 60 * 60


def mark_dirty(quarters: Iterable[Quarter], *, trigger: str = "") -> None:
    """Record durably that the quarters must be recomputed (the outbox)."""
    now = timezone.now()
    RecomputeRequest.objects.bulk_create(
        [
            RecomputeRequest(quarter=q.code, trigger=trigger[:40], requested_at=now)
            for q in sorted(set(quarters))
        ],
        update_conflicts=True,
        unique_fields=["quarter"],
        update_fields=["trigger", "requested_at", "dispatched_at"],
    )


def stamp_change(*, now: float | None = None) -> bool:
    """Stamp the latest change in the cache; True for the burst's first edit (the caller then
    schedules the dispatcher, which later edits must not do again)."""
    now = time.time() if now is None else now
    cache.set(LATEST_KEY, now, timeout=_MARK_TIMEOUT)
    return bool(cache.add(SCHEDULED_KEY, now, timeout=_MARK_TIMEOUT))


def unschedule() -> None:
    """The dispatcher could not be enqueued after all: let the next edit try again."""
    cache.delete(SCHEDULED_KEY)


def seconds_to_wait(*, now: float | None = None) -> float:
    """How long the dispatcher should still wait; 0 means go now (and clear the marks)."""
    now = time.time() if now is None else now
    started = cache.get(SCHEDULED_KEY)
    latest = cache.get(LATEST_KEY)
    if started is not None and latest is not None:
        remaining = settings.GONV_RECOMPUTE_DELAY_SECONDS - (now - float(latest))
        if remaining > 0 and now - float(started) < settings.GONV_RECOMPUTE_MAX_WAIT_SECONDS:
            return float(remaining)
    # Cleared before the claim: an edit from here on schedules the next dispatcher run.
    cache.delete_many([SCHEDULED_KEY, LATEST_KEY])
    return 0.0


def _stale_after() -> datetime.timedelta:
    """A claimed quarter not computed within this time was lost (a dead worker, a lost chain)."""
    return datetime.timedelta(seconds=settings.CELERY_BROKER_VISIBILITY_TIMEOUT)


def claim_dirty() -> list[Quarter]:
    """Claim the dirty quarters not yet sent to the workers (or sent and lost), oldest first.

    Claiming stamps them dispatched; the mark itself stays until a computation of the quarter
    succeeds (mark_done), so a failure or a lost task never loses the request.
    """
    now = timezone.now()
    with transaction.atomic():
        # Row locks skipped by a second dispatcher: two never claim one quarter.
        codes = list(
            RecomputeRequest.objects.select_for_update(skip_locked=True)
            .filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - _stale_after()))
            .values_list("quarter", flat=True)
        )
        RecomputeRequest.objects.filter(quarter__in=codes).update(dispatched_at=now)
    return sorted(Quarter.parse(code) for code in codes)


def mark_done(quarter: Quarter, *, started: datetime.datetime) -> None:
    """A computation that started at `started` succeeded: requests made before it are met."""
    RecomputeRequest.objects.filter(quarter=quarter.code, requested_at__lte=started).delete()


def mark_failed(quarter: Quarter, *, trigger: str = "") -> None:
    """A computation failed: the quarter and the later ones (skipped by the chain) wait again."""
    with transaction.atomic():
        RecomputeRequest.objects.get_or_create(
            quarter=quarter.code,
            defaults={"trigger": trigger[:40], "requested_at": timezone.now()},
        )
        RecomputeRequest.objects.filter(quarter__gte=quarter.code).update(dispatched_at=None)
