"""When data changes, recompute the affected quarters: after commit, coalesced, in order.

A burst of edits (an import, a busy reporting hour) must cause one recompute per affected
quarter, not one per edit:
- within a transaction, the affected quarters are collected and dispatched once, on commit;
- across transactions, each dispatch marks its quarters dirty and stamps the time of the
  latest change; only the first edit of a burst enqueues the dispatcher task
  (followup.tasks.recompute_changed), which waits until no edit has come for
  GONV_RECOMPUTE_DELAY_SECONDS (at most GONV_RECOMPUTE_MAX_WAIT_SECONDS from the burst's start,
  so a steady trickle cannot starve the dashboards), then claims the dirty quarters and
  computes them oldest first in a Celery chain (a later quarter reads the earlier ones).
In the embedded mode (eager Celery) the quarters are computed in-process right after commit.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from base.periods import Quarter

_SCHEDULED_KEY = "followup:recompute-scheduled"  # value: when the burst started
_LATEST_KEY = "followup:latest-change"  # value: when the latest edit committed
_DIRTY_KEY = "followup:dirty:{quarter}"
# The marks outlive any wait, so the dispatcher, not an expiry, clears them.
_MARK_TIMEOUT = 24 * 60 * 60


def _dirty_key(quarter: Quarter) -> str:
    return _DIRTY_KEY.format(quarter=quarter.code)


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


def claim_dirty(quarters: Iterable[Quarter]) -> list[Quarter]:
    """Take the dirty marks of the given quarters; returns those that were dirty, oldest first."""
    # delete() reports whether the key existed, so two dispatchers never claim one quarter.
    return [quarter for quarter in sorted(quarters) if cache.delete(_dirty_key(quarter))]


def _dispatch(quarters: set[Quarter], trigger: str) -> None:
    from .tasks import recompute_changed, recompute_in_order

    if settings.CELERY_TASK_ALWAYS_EAGER:
        recompute_in_order(quarters, trigger)
        return
    now = time.time()
    cache.set_many({_dirty_key(q): now for q in quarters}, timeout=_MARK_TIMEOUT)
    cache.set(_LATEST_KEY, now, timeout=_MARK_TIMEOUT)
    if cache.add(_SCHEDULED_KEY, now, timeout=_MARK_TIMEOUT):
        recompute_changed.apply_async(
            kwargs={"trigger": trigger}, countdown=settings.GONV_RECOMPUTE_DELAY_SECONDS
        )


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
