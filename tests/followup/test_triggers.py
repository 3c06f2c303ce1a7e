"""The trailing-edge debounce that coalesces bursts of edits into one recompute."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.utils import timezone

from base.periods import Quarter
from followup import recompute_marks
from followup.models import RecomputeRequest


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


@pytest.mark.django_db
def test_dirty_quarters_are_claimed_once_and_oldest_first():
    q3, q4, q1 = Quarter(2025, 3), Quarter(2025, 4), Quarter(2026, 1)
    recompute_marks.mark_dirty([q1, q3])

    assert recompute_marks.claim_dirty() == [q3, q1]
    assert recompute_marks.claim_dirty() == []
    assert q4 not in recompute_marks.claim_dirty()


@pytest.mark.django_db
def test_a_claimed_quarter_stays_marked_until_its_computation_succeeds():
    q4 = Quarter(2025, 4)
    recompute_marks.mark_dirty([q4])
    recompute_marks.claim_dirty()
    started = timezone.now()

    recompute_marks.mark_failed(q4)
    assert recompute_marks.claim_dirty() == [q4]  # waiting again after the failure

    recompute_marks.mark_done(q4, started=started)
    assert not RecomputeRequest.objects.exists()


@pytest.mark.django_db
def test_a_change_during_a_computation_is_not_taken_as_done():
    q4 = Quarter(2025, 4)
    started = timezone.now()
    recompute_marks.mark_dirty([q4])  # requested after the computation started

    recompute_marks.mark_done(q4, started=started)

    assert recompute_marks.claim_dirty() == [q4]
