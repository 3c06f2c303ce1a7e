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
The marks themselves live in followup.recompute_marks, which the dispatcher reads.
In the embedded mode (eager Celery) the quarters are computed in-process right after commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import transaction

from base.periods import Quarter

from . import recompute_marks, tasks


def _dispatch(quarters: set[Quarter], trigger: str) -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        tasks.recompute_in_order(quarters, trigger)
        return
    if recompute_marks.mark_dirty(quarters):
        tasks.recompute_changed.apply_async(
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
    if batch is not None and any(func == batch.run for _, func, _ in connection.run_on_commit):
        batch.quarters |= wanted
        return
    batch = _Batch(trigger)
    batch.quarters |= wanted
    setattr(connection, _BATCH_ATTR, batch)
    transaction.on_commit(batch.run)
