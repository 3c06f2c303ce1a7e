"""The trailing-edge debounce that coalesces bursts of edits into one recompute."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from base.periods import Quarter
from followup import recompute_marks


@pytest.fixture
def timing(settings) -> None:
    settings.GONV_RECOMPUTE_DELAY_SECONDS = 5
    settings.GONV_RECOMPUTE_MAX_WAIT_SECONDS = 60


def _mark(started: float, latest: float) -> None:
    cache.set(recompute_marks.SCHEDULED_KEY, started)
    cache.set(recompute_marks.LATEST_KEY, latest)


def test_the_run_waits_while_edits_keep_coming(timing):
    _mark(started=1000.0, latest=1003.0)

    assert recompute_marks.seconds_to_wait(now=1004.0) == pytest.approx(4.0)
    assert cache.get(recompute_marks.SCHEDULED_KEY) == 1000.0  # still scheduled: later edits add on


def test_the_run_goes_after_a_quiet_delay_and_clears_the_marks(timing):
    _mark(started=1000.0, latest=1003.0)

    assert recompute_marks.seconds_to_wait(now=1008.5) == 0
    assert cache.get(recompute_marks.SCHEDULED_KEY) is None
    assert cache.get(recompute_marks.LATEST_KEY) is None


def test_a_never_ending_trickle_is_computed_after_the_maximum_wait(timing):
    _mark(started=1000.0, latest=1059.0)

    assert recompute_marks.seconds_to_wait(now=1061.0) == 0


def test_dirty_quarters_are_claimed_once_and_oldest_first():
    q3, q4, q1 = Quarter(2025, 3), Quarter(2025, 4), Quarter(2026, 1)
    cache.set_many({recompute_marks.dirty_key(q): 1 for q in (q1, q3)})

    assert recompute_marks.claim_dirty([q4, q1, q3]) == [q3, q1]
    assert recompute_marks.claim_dirty([q4, q1, q3]) == []
