"""When data changes, recompute the affected quarters: after commit, coalesced.

A burst of edits (an import, a busy reporting day) must cause one recompute per affected
quarter, not one per edit. Two mechanisms do that:
- within a transaction, the quarters are collected and dispatched once, on commit;
- across transactions, a cache key per quarter marks a run as pending for the coalescing
  delay; the task clears it when it starts, so edits made during a run schedule the next one.
In the embedded mode (eager Celery) the recompute runs in-process right after the commit.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from gonv.periods import Quarter

_PENDING_KEY = "followup:pending:{quarter}"


def _pending_key(quarter: Quarter) -> str:
    return _PENDING_KEY.format(quarter=quarter.code)


def clear_pending(quarter: Quarter) -> None:
    """Forget that a run of the quarter is pending (called by the task as it starts)."""
    cache.delete(_pending_key(quarter))


def _dispatch(quarters: set[Quarter], trigger: str) -> None:
    from .tasks import compute_quarter

    delay = settings.GONV_RECOMPUTE_DELAY_SECONDS
    eager = settings.CELERY_TASK_ALWAYS_EAGER
    for quarter in sorted(quarters):
        if eager:
            compute_quarter.apply(args=[quarter.code, trigger])
            continue
        # Only the first change in the window enqueues; the pending mark outlives the delay so
        # the task, not the expiry, clears it.
        if cache.add(_pending_key(quarter), trigger, timeout=delay + 600):
            compute_quarter.apply_async(args=[quarter.code, trigger], countdown=delay)


class _Batch:
    """Quarters collected in the current transaction, dispatched once when it commits."""

    def __init__(self, trigger: str) -> None:
        self.quarters: set[Quarter] = set()
        self.trigger = trigger

    def run(self) -> None:
        _dispatch(self.quarters, self.trigger)


_BATCH_ATTR = "_gonv_recompute_batch"


def request_recompute(quarters: Iterable[Quarter], *, trigger: str = "change") -> None:
    """Schedule a recompute of the quarters after the current transaction commits."""
    wanted = set(quarters)
    if not wanted:
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
