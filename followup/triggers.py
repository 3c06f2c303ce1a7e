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
The marks themselves live in followup.recompute_marks, which the dispatcher reads: the dirty
quarters in the database (an outbox), so a broker or cache that is down loses nothing. The
edit is saved, the user gets the normal answer, and the next trigger or the nightly run
claims the quarters.
In the embedded mode (eager Celery) the quarters are computed in-process right after commit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import transaction

from base.periods import Quarter

from . import recompute_marks, tasks
from .cache import bump_generation_on_change, keep_until_commit, kept_until_commit

logger = logging.getLogger(__name__)

NOT_COMPUTED_NOW = (
    "The in-process recompute of %s failed after the change was committed; the change stands "
    "and the quarters stay marked for the next trigger or the nightly run."
)
KEPT_FOR_LATER = (
    "Could not schedule the recompute of %s (broker or cache unavailable); the request is kept "
    "in the database and carried out by the next trigger or the nightly run."
)


def _dispatch(quarters: set[Quarter], trigger: str) -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        _compute_now(quarters, trigger)
        return
    # First, in the database: whatever happens to the broker, the request is not lost.
    recompute_marks.mark_dirty(quarters, trigger=trigger)
    try:
        if recompute_marks.stamp_change():
            try:
                tasks.recompute_changed.apply_async(
                    kwargs={"trigger": trigger}, countdown=settings.GONV_RECOMPUTE_DELAY_SECONDS
                )
            except Exception:
                recompute_marks.unschedule()
                raise
    except Exception:
        # The edit is committed and its recompute kept in the database: the user gets the
        # normal answer, not a 500 for a broker that is down.
        logger.warning(KEPT_FOR_LATER, ", ".join(q.code for q in sorted(quarters)), exc_info=True)


def _compute_now(quarters: set[Quarter], trigger: str) -> None:
    """The embedded mode: compute in-process, after the commit, as a worker would.

    The change is committed by now, so a failure here (the database locked by another
    request, a bug in the computation) must not turn the user's saved change into an error
    page: it is logged, compute_quarter has recorded it (a ComputeRun with the error) and the
    quarters stay marked dirty, so the next change or the nightly run computes them.
    """
    try:
        recompute_marks.mark_dirty(quarters, trigger=trigger)
        # Every dirty quarter: these, and any that an earlier failure left behind.
        tasks.recompute_in_order(recompute_marks.claim_dirty(), trigger)
    except Exception:
        logger.exception(NOT_COMPUTED_NOW, ", ".join(q.code for q in sorted(quarters)))


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
    # The edit shows on the dashboards at once, before its recompute (a bulk write sends no
    # signal for followup.signals to bump the generation on).
    bump_generation_on_change()
    if not transaction.get_connection().in_atomic_block:
        _dispatch(wanted, trigger)  # autocommit: the edit is committed already
        return
    # A batch is live while its callback is still queued; a rollback or a commit removes it.
    batch: _Batch | None = kept_until_commit(_BATCH_ATTR)
    if batch is not None:
        batch.quarters |= wanted
        return
    batch = _Batch(trigger)
    batch.quarters |= wanted
    keep_until_commit(_BATCH_ATTR, batch, batch.run)
