"""When data changes, recompute the affected quarters: after commit, coalesced, in order.

A burst of edits (an import, a busy reporting hour) must cause one recompute per affected
quarter, not one per edit:
- within a transaction, the affected quarters are collected and dispatched once, on commit;
- across transactions, each dispatch marks its quarters dirty in the database (a
  RecomputeRequest row: the outbox) and stamps the time of the latest change in the cache;
  only the first edit of a burst enqueues the dispatcher task
  (followup.tasks.recompute_changed), which waits until no edit has come for
  GONV_RECOMPUTE_DELAY_SECONDS (at most GONV_RECOMPUTE_MAX_WAIT_SECONDS from the burst's start,
  so a steady trickle cannot starve the dashboards), then claims the dirty quarters and
  computes them oldest first in a Celery chain (a later quarter reads the earlier ones).
The dirty marks live in the database, not in Redis, so a broker or cache that is down loses
nothing: the edit is saved, the user gets the normal answer, and the next trigger or the
nightly run claims the quarters. A computation that succeeds deletes its quarter's mark; one
that fails leaves it (see followup.tasks).
In the embedded mode (eager Celery) the quarters are computed in-process right after commit.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from gonv.periods import Quarter

from .models import RecomputeRequest

logger = logging.getLogger(__name__)

_SCHEDULED_KEY = "followup:recompute-scheduled"  # value: when the burst started
_LATEST_KEY = "followup:latest-change"  # value: when the latest edit committed
# The marks outlive any wait, so the dispatcher, not an expiry, clears them.
_MARK_TIMEOUT = 24 * 60 * 60

KEPT_FOR_LATER = (
    "Could not schedule the recompute of %s (broker or cache unavailable); the request is kept "
    "in the database and carried out by the next trigger or the nightly run."
)


def seconds_to_wait(*, now: float | None = None) -> float:
    """How long the dispatcher should still wait; 0 means go now (and clear the marks)."""
    now = time.time() if now is None else now
    started = cache.get(_SCHEDULED_KEY)
    latest = cache.get(_LATEST_KEY)
    if started is not None and latest is not None:
        remaining = settings.GONV_RECOMPUTE_DELAY_SECONDS - (now - float(latest))
        if remaining > 0 and now - float(started) < settings.GONV_RECOMPUTE_MAX_WAIT_SECONDS:
            return remaining
    # Cleared before the claim: an edit from here on schedules the next dispatcher run.
    cache.delete_many([_SCHEDULED_KEY, _LATEST_KEY])
    return 0.0


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


def _dispatch(quarters: set[Quarter], trigger: str) -> None:
    from .tasks import recompute_changed, recompute_in_order

    # First, in the database: whatever happens to the broker, the request is not lost.
    mark_dirty(quarters, trigger=trigger)
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # Every dirty quarter: these, and any that an earlier failure left behind.
        recompute_in_order(claim_dirty(), trigger)
        return
    try:
        now = time.time()
        cache.set(_LATEST_KEY, now, timeout=_MARK_TIMEOUT)
        if cache.add(_SCHEDULED_KEY, now, timeout=_MARK_TIMEOUT):
            try:
                recompute_changed.apply_async(
                    kwargs={"trigger": trigger}, countdown=settings.GONV_RECOMPUTE_DELAY_SECONDS
                )
            except Exception:
                # Not scheduled after all: the next edit must try again.
                cache.delete(_SCHEDULED_KEY)
                raise
    except Exception:
        # The edit is committed and its recompute kept in the database: the user gets the
        # normal answer, not a 500 for a broker that is down.
        logger.warning(KEPT_FOR_LATER, ", ".join(q.code for q in sorted(quarters)), exc_info=True)


class _Batch:
    """Quarters collected in the current transaction, dispatched once when it commits."""

    def __init__(self, trigger: str) -> None:
        self.quarters: set[Quarter] = set()
        self.trigger = trigger

    def run(self) -> None:
        _dispatch(self.quarters, self.trigger)


_BATCH_ATTR = "_gonv_recompute_batch"
_suppressed: ContextVar[bool] = ContextVar("gonv_recompute_suppressed", default=False)


@contextmanager
def suppressed() -> Iterator[None]:
    """Changes made in the block schedule no recompute: for bulk loaders that recompute once."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def request_recompute(quarters: Iterable[Quarter], *, trigger: str = "change") -> None:
    """Schedule a recompute of the quarters after the current transaction commits."""
    wanted = set(quarters)
    if not wanted or _suppressed.get():
        return
    connection = transaction.get_connection()
    batch: _Batch | None = getattr(connection, _BATCH_ATTR, None)
    # A batch is live while its callback is still queued; a rollback or a commit removes it.
    live = batch is not None and any(func == batch.run for _, func, _ in connection.run_on_commit)
    if live:
        batch.quarters |= wanted
        return
    batch = _Batch(trigger)
    batch.quarters |= wanted
    setattr(connection, _BATCH_ATTR, batch)
    transaction.on_commit(batch.run)
