"""When data changes, recompute the affected quarters: after commit, coalesced.

A burst of edits (an import, a busy reporting hour) must cause one recompute per affected
quarter, not one per edit. Two mechanisms do that:
- within a transaction, the quarters are collected and dispatched once, on commit;
- across transactions, a trailing-edge debounce per quarter: every edit stamps the time of
  the latest change, only the first edit of a burst enqueues a run, and that run waits until
  no edit has come for GONV_RECOMPUTE_DELAY_SECONDS (at most GONV_RECOMPUTE_MAX_WAIT_SECONDS
  from the burst's start, so a steady trickle cannot starve the dashboards). The run clears the
  marks before it computes, so an edit made during a run schedules the next one.
In the embedded mode (eager Celery) the recompute runs in-process right after the commit.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from gonv.periods import Quarter

_SCHEDULED_KEY = "followup:scheduled:{quarter}"  # value: when the burst started
_LATEST_KEY = "followup:latest-change:{quarter}"  # value: when the latest edit committed
# The marks outlive any wait, so the task, not an expiry, clears them.
_MARK_TIMEOUT = 24 * 60 * 60


def _keys(quarter: Quarter) -> tuple[str, str]:
    return _SCHEDULED_KEY.format(quarter=quarter.code), _LATEST_KEY.format(quarter=quarter.code)


def seconds_to_wait(quarter: Quarter, *, now: float | None = None) -> float:
    """How long a coalesced run should still wait; 0 means compute now (and clear the marks)."""
    now = time.time() if now is None else now
    scheduled_key, latest_key = _keys(quarter)
    started = cache.get(scheduled_key)
    latest = cache.get(latest_key)
    if started is not None and latest is not None:
        quiet_for = now - float(latest)
        waited = now - float(started)
        remaining = settings.GONV_RECOMPUTE_DELAY_SECONDS - quiet_for
        if remaining > 0 and waited < settings.GONV_RECOMPUTE_MAX_WAIT_SECONDS:
            return remaining
    cache.delete_many([scheduled_key, latest_key])
    return 0.0


def _dispatch(quarters: set[Quarter], trigger: str) -> None:
    from .tasks import compute_quarter

    delay = settings.GONV_RECOMPUTE_DELAY_SECONDS
    eager = settings.CELERY_TASK_ALWAYS_EAGER
    now = time.time()
    for quarter in sorted(quarters):
        if eager:
            compute_quarter.apply(args=[quarter.code, trigger])
            continue
        scheduled_key, latest_key = _keys(quarter)
        cache.set(latest_key, now, timeout=_MARK_TIMEOUT)
        # Only the first change of a burst enqueues; the run defers itself while edits go on.
        if cache.add(scheduled_key, now, timeout=_MARK_TIMEOUT):
            compute_quarter.apply_async(
                args=[quarter.code, trigger], kwargs={"coalesced": True}, countdown=delay
            )


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
