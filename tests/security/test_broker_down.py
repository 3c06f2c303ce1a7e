"""Finding 8: with Redis down an edit is saved with its normal answer and its recompute is kept.

Redis is "down" by pointing a real Redis client (Django's cache and Celery's broker connection)
at a local port where nothing listens. The recompute request waits in the database
(RecomputeRequest) and is carried out once the broker answers again: by the next trigger's
dispatcher or by the nightly run.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client, override_settings

from base.periods import Quarter
from followup import recompute_marks, triggers
from followup.models import GoalResult, RecomputeRequest
from followup.selectors import quarters_in_scope
from followup.tasks import compute_recent_quarters, recompute_changed
from gonv.celery import app as celery_app
from programmes.models import ProgrammeArea
from tests.factories import AdoptionRecordFactory, GoalFactory
from tests.test_history import admin_form_data


def closed_port_url() -> str:
    """A Redis URL on a local port where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


@contextmanager
def celery_broker(url: str) -> Iterator[None]:
    """Point the Celery app's producer at another broker (its pools are built lazily)."""
    previous = celery_app.conf.broker_url
    celery_app.conf.broker_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    try:
        yield
    finally:
        celery_app.conf.broker_url = previous
        celery_app._pool = None
        celery_app.amqp._producer_pool = None


@contextmanager
def redis_down(*, cache_down: bool = True) -> Iterator[None]:
    """The broker (and by default the cache) on a closed port; tasks not eager."""
    url = closed_port_url()
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "gonv-test-down",
        }
    }
    overrides: dict[str, Any] = {"CELERY_TASK_ALWAYS_EAGER": False}
    if cache_down:
        overrides["CACHES"] = caches
    with override_settings(**overrides), celery_broker(url):
        yield


def pending() -> set[str]:
    return set(RecomputeRequest.objects.values_list("quarter", flat=True))


def in_scope() -> set[str]:
    return {q.code for q in quarters_in_scope()}


def _goal(area: ProgrammeArea) -> tuple[Any, str, dict[str, Any]]:
    goal = GoalFactory(programme_area=area)
    return goal, f"/admin/goals/goal/{goal.pk}/change/", {"title": "Ny rubrik"}


def _adoption(area: ProgrammeArea) -> tuple[Any, str, dict[str, Any]]:
    record = AdoptionRecordFactory()
    return record, f"/admin/goals/adoptionrecord/{record.pk}/change/", {"comment": "Nu igång"}


@pytest.mark.parametrize("make", [_goal, _adoption], ids=["goal", "adoption record"])
def test_an_admin_save_with_redis_down_gives_the_normal_answer_and_keeps_the_recompute(
    strategist: User,
    programme_area: ProgrammeArea,
    django_capture_on_commit_callbacks: Callable[..., Any],
    make: Callable[[ProgrammeArea], tuple[Any, str, dict[str, Any]]],
) -> None:
    with triggers.suppressed():  # the fixture's rows: no recompute pending before the test
        obj, url, change = make(programme_area)
    client = Client()
    client.force_login(strategist)
    page = client.get(url)

    with redis_down(), django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(url, admin_form_data(page, **change))

    assert response.status_code == 302
    assert callbacks  # the recompute's on-commit hook ran, against the closed port
    obj.refresh_from_db()
    field, value = next(iter(change.items()))
    assert getattr(obj, field) == value
    assert pending() == in_scope()


def test_with_the_broker_down_and_the_cache_up_the_next_edit_schedules_again(
    strategist: User,
    programme_area: ProgrammeArea,
    django_capture_on_commit_callbacks: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with triggers.suppressed():
        goal = GoalFactory(programme_area=programme_area)

    with redis_down(cache_down=False), django_capture_on_commit_callbacks(execute=True):
        goal.title = "Ändrad medan brokern var nere"
        goal.save()

    assert pending() == in_scope()
    [warning] = [r for r in caplog.records if r.name == "followup.triggers"]
    assert "kept in the database" in warning.getMessage()
    assert "OperationalError" in caplog.text  # the broker's refusal, not something else
    # The dispatcher was never enqueued, so its "scheduled" mark must not block the next edit.
    assert cache.get(recompute_marks.SCHEDULED_KEY) is None


def test_the_kept_recompute_is_carried_out_when_the_broker_is_back(
    strategist: User,
    programme_area: ProgrammeArea,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with triggers.suppressed():
        goal = GoalFactory(programme_area=programme_area)
    with redis_down(), django_capture_on_commit_callbacks(execute=True):
        goal.title = "Ändrad medan Redis var nere"
        goal.save()
    assert not GoalResult.objects.exists()

    # The broker answers again (the suite's Redis, tasks run in-process): the dispatcher that
    # the next trigger enqueues claims every quarter the outbox kept.
    assert django_settings.CELERY_TASK_ALWAYS_EAGER
    recompute_changed.apply(kwargs={"trigger": "test"}).get()

    assert pending() == set()
    computed = set(GoalResult.objects.filter(goal=goal).values_list("quarter", flat=True))
    assert computed == in_scope()


def test_the_nightly_run_also_computes_quarters_left_dirty(programme_area: ProgrammeArea) -> None:
    goal = GoalFactory(programme_area=programme_area)
    old = Quarter(2025, 1)
    recompute_marks.mark_dirty([old], trigger="test")

    compute_recent_quarters.apply().get()

    assert pending() == set()
    assert GoalResult.objects.filter(goal=goal, quarter=old.code).exists()
