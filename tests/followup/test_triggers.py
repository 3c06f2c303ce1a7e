"""The trailing-edge debounce that coalesces bursts of edits into one recompute."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.utils import timezone

from followup import triggers
from followup.models import RecomputeRequest
from gonv.periods import Quarter


@pytest.fixture
def timing(settings) -> None:
    settings.GONV_RECOMPUTE_DELAY_SECONDS = 5
    settings.GONV_RECOMPUTE_MAX_WAIT_SECONDS = 60


def _mark(started: float, latest: float) -> None:
    cache.set(triggers._SCHEDULED_KEY, started)
    cache.set(triggers._LATEST_KEY, latest)


def test_the_run_waits_while_edits_keep_coming(timing):
    _mark(started=1000.0, latest=1003.0)

    assert triggers.seconds_to_wait(now=1004.0) == pytest.approx(4.0)
    assert cache.get(triggers._SCHEDULED_KEY) == 1000.0  # still scheduled: later edits add on


def test_the_run_goes_after_a_quiet_delay_and_clears_the_marks(timing):
    _mark(started=1000.0, latest=1003.0)

    assert triggers.seconds_to_wait(now=1008.5) == 0
    assert cache.get(triggers._SCHEDULED_KEY) is None
    assert cache.get(triggers._LATEST_KEY) is None


def test_a_never_ending_trickle_is_computed_after_the_maximum_wait(timing):
    _mark(started=1000.0, latest=1059.0)

    assert triggers.seconds_to_wait(now=1061.0) == 0


@pytest.mark.django_db
def test_dirty_quarters_are_claimed_once_and_oldest_first():
    q3, q4, q1 = Quarter(2025, 3), Quarter(2025, 4), Quarter(2026, 1)
    triggers.mark_dirty([q1, q3])

    assert triggers.claim_dirty() == [q3, q1]
    assert triggers.claim_dirty() == []
    assert q4 not in triggers.claim_dirty()


@pytest.mark.django_db
def test_a_claimed_quarter_stays_marked_until_its_computation_succeeds():
    q4 = Quarter(2025, 4)
    triggers.mark_dirty([q4])
    triggers.claim_dirty()
    started = timezone.now()

    triggers.mark_failed(q4)
    assert triggers.claim_dirty() == [q4]  # waiting again after the failure

    triggers.mark_done(q4, started=started)
    assert not RecomputeRequest.objects.exists()


@pytest.mark.django_db
def test_a_change_during_a_computation_is_not_taken_as_done():
    q4 = Quarter(2025, 4)
    started = timezone.now()
    triggers.mark_dirty([q4])  # requested after the computation started

    triggers.mark_done(q4, started=started)

    assert triggers.claim_dirty() == [q4]
