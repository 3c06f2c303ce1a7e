"""The recompute chain ends by warming the dashboards' cache (followup.warm)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.fixtures import Settings

from base.periods import Quarter
from followup import tasks, warm
from followup.cache import bump_generation
from organisation.models import Role
from tests.factories import UserFactory
from tests.followup.dashboard_data import DashboardData, dashboard_data_create


@pytest.fixture
def data(transactional_db: None) -> DashboardData:
    # Committed for real: the engine bumps the generation on commit, before the warming.
    return dashboard_data_create(vos=2, hcs_per_vo=3, quarters=5, measures=2, goals=2)


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


WARMED = {
    "portfolio": lambda: reverse("home"),
    "area-list": lambda: reverse("programme_area_list"),
    "area": lambda: reverse("programme_area_detail", kwargs={"number": 1}),
    "unit-list": lambda: reverse("unit_list"),
}


def test_after_a_recompute_the_steering_groups_pages_come_from_the_cache(
    client: Client, data: DashboardData, settings: Settings
) -> None:
    settings.GONV_WARM_DASHBOARDS = True
    client.force_login(UserFactory(username="styrgrupp", role=Role.STEERING_GROUP))
    client.get(reverse("home"))  # the session, content types: not what is measured

    tasks.recompute_in_order([Quarter(2025, 3), Quarter(2025, 4)], "test")

    # The first request after the recompute reads what a cached page reads (the session, user
    # and roles; on an area page its header), as much as a second one, and far less than the
    # same request rendered cold (after a new generation that nothing warmed).
    after_recompute = {name: _queries(client, url()) for name, url in WARMED.items()}
    again = {name: _queries(client, url()) for name, url in WARMED.items()}
    cold = {}
    for name, url in WARMED.items():
        bump_generation()
        cold[name] = _queries(client, url())

    assert after_recompute == again
    assert all(cold[name] > after_recompute[name] for name in WARMED), (cold, after_recompute)
    assert cold["portfolio"] - after_recompute["portfolio"] >= 10  # results, SPC, goals...


def test_the_last_spc_task_of_a_fan_out_warms_once(
    data: DashboardData, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.GONV_WARM_DASHBOARDS = True
    calls: list[int] = []
    monkeypatch.setattr(warm, "warm_dashboards", lambda: calls.append(1) or {})

    measure_ids = tasks.fan_out_spc.run(["2025Q4"])

    assert len(measure_ids) == 2
    assert calls == [1]


def test_warming_is_off_in_the_tests_and_skipped_for_a_cache_of_one_process(
    data: DashboardData, settings: Settings
) -> None:
    assert warm.warm_dashboards() == {"skipped": "GONV_WARM_DASHBOARDS is off"}

    settings.GONV_WARM_DASHBOARDS = True
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert warm.warm_dashboards() == {"skipped": "the cache is not shared with the web processes"}


def test_a_page_that_fails_is_logged_and_the_rest_warmed(
    data: DashboardData,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings.GONV_WARM_DASHBOARDS = True
    render = warm._render

    def failing(factory: Any, user: Any, path: str) -> int:
        if path == reverse("programme_area_list"):
            raise RuntimeError("boom")
        return render(factory, user, path)

    monkeypatch.setattr(warm, "_render", failing)

    summary = warm.warm_dashboards()

    assert summary["failed"] == [reverse("programme_area_list")]
    assert summary["rendered"] == [
        reverse("home"),
        reverse("programme_area_detail", kwargs={"number": 1}),
        reverse("unit_list"),
        reverse("measure_list"),
    ]
    assert "Could not warm the cache with /programomraden/" in caplog.text


def test_the_warming_task_never_fails_the_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> dict[str, Any]:
        raise RuntimeError("no database")

    monkeypatch.setattr(warm, "warm_dashboards", broken)

    assert tasks.warm_dashboards.run() == {"error": "not warmed"}
