"""The recompute marks in the cache: which quarters are dirty and when the burst of edits began.

Written by followup.triggers (when a transaction commits) and read by the dispatcher task in
followup.tasks (which waits for quiet, then claims the dirty quarters). Both import this module
and neither the other's way back, so the two stay free of a cycle (an import-linter contract in
pyproject.toml keeps it so).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache

from base.periods import Quarter

SCHEDULED_KEY = "followup:recompute-scheduled"  # value: when the burst started
LATEST_KEY = "followup:latest-change"  # value: when the latest edit committed
_DIRTY_KEY = "followup:dirty:{quarter}"
# The marks outlive any wait, so the dispatcher, not an expiry, clears them.
_MARK_TIMEOUT = 24 * 60 * 60


def dirty_key(quarter: Quarter) -> str:
    """The cache key that marks the quarter as waiting for a recompute."""
    return _DIRTY_KEY.format(quarter=quarter.code)


def mark_dirty(quarters: Iterable[Quarter], *, now: float | None = None) -> bool:
    """Mark the quarters dirty and stamp the latest change; True for the burst's first edit
    (the caller then schedules the dispatcher, which later edits must not do again)."""
    now = time.time() if now is None else now
    cache.set_many({dirty_key(q): now for q in quarters}, timeout=_MARK_TIMEOUT)
    cache.set(LATEST_KEY, now, timeout=_MARK_TIMEOUT)
    return bool(cache.add(SCHEDULED_KEY, now, timeout=_MARK_TIMEOUT))


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


def claim_dirty(quarters: Iterable[Quarter]) -> list[Quarter]:
    """Take the dirty marks of the given quarters; returns those that were dirty, oldest first."""
    # delete() reports whether the key existed, so two dispatchers never claim one quarter.
    return [quarter for quarter in sorted(quarters) if cache.delete(dirty_key(quarter))]
