"""The recompute chain ends by warming the dashboards' cache (followup.warm)."""

from __future__ import annotations

import logging
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
from programmes.selectors import programme_areas_owned
from tests.factories import RoleAssignmentFactory, UserFactory
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
    "measure": lambda: reverse("measure_detail", kwargs={"code": "matt-01"}),
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
        reverse("measure_detail", kwargs={"code": "matt-00"}),
        reverse("measure_detail", kwargs={"code": "matt-01"}),
    ]
    assert "Could not warm the cache with /programomraden/" in caplog.text


def test_warming_stops_when_an_edit_made_its_pages_a_generation_old(
    data: DashboardData,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings.GONV_WARM_DASHBOARDS = True
    monkeypatch.setattr(warm, "STALE_CHECK_EVERY", 1)
    render = warm._render
    caplog.set_level(logging.INFO, logger="followup.warm")

    def and_an_edit_elsewhere(factory: Any, user: Any, path: str) -> int:
        status = render(factory, user, path)
        if path == reverse("programme_area_list"):
            bump_generation()  # another process saved a value: a new generation published
        return status

    monkeypatch.setattr(warm, "_render", and_an_edit_elsewhere)

    summary = warm.warm_dashboards()

    # Portfölj and Programområden were rendered; the rest would have been stale at once.
    assert summary["rendered"] == [reverse("home"), reverse("programme_area_list")]
    assert summary["left_stale"] == 5
    assert "moved on while warming: 5 pages not warmed" in caplog.text
    # The next request renders in the new generation, as it would have anyway.
    client = Client()
    client.force_login(UserFactory(username="styrgrupp", role=Role.STEERING_GROUP))
    assert _queries(client, reverse("unit_list")) > _queries(client, reverse("unit_list"))


def test_the_warming_task_never_fails_the_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> dict[str, Any]:
        raise RuntimeError("no database")

    monkeypatch.setattr(warm, "warm_dashboards", broken)

    assert tasks.warm_dashboards.run() == {"error": "not warmed"}


# --- the landing pages of VCs, VECs and programme owners ------------------------------------


def _unit_url(unit: Any) -> str:
    return reverse("unit_detail", kwargs={"code": unit.code})


def _login(username: str, role: str, **scope: Any) -> Client:
    client = Client()
    client.force_login(UserFactory(username=username, role=role, **scope))
    client.get(reverse("unit_list"))  # the session, content types: not what is measured
    return client


def test_after_a_recompute_a_vcs_and_an_area_owners_landing_pages_come_from_the_cache(
    data: DashboardData, settings: Settings
) -> None:
    settings.GONV_WARM_DASHBOARDS = True
    vc = _login("vc", Role.HEAD_OF_AREA, role__unit=data.vos[0])
    vec = _login("vec", Role.HEAD_OF_UNIT, role__unit=data.hcs[0])
    owner = _login("po", Role.PROGRAMME_OWNER, role__programme_area=data.programme_area)
    area = reverse("programme_area_detail", kwargs={"number": 1})
    pages = {
        "vc": (vc, _unit_url(data.vos[0])),
        "vec": (vec, _unit_url(data.hcs[0])),
        "po": (owner, area),
    }
    # They land on these pages (the login's redirect).
    for client, url in pages.values():
        assert client.get(reverse("landing"))["Location"] == url

    tasks.recompute_in_order([Quarter(2025, 3), Quarter(2025, 4)], "test")

    # The first request after the recompute reads what a second one reads (the session, user,
    # roles and the permission check's scope), far less than one rendered cold.
    after_recompute = {name: _queries(client, url) for name, (client, url) in pages.items()}
    again = {name: _queries(client, url) for name, (client, url) in pages.items()}
    cold = {}
    for name, (client, url) in pages.items():
        bump_generation()
        cold[name] = _queries(client, url)

    assert after_recompute == again
    assert all(cold[name] - after_recompute[name] >= 5 for name in pages), (cold, after_recompute)
    # ...with what only a user who may write sees: "Att göra", the goals' edit links.
    assert "Att göra" in vc.get(pages["vc"][1]).content.decode()
    assert "Att göra" in vec.get(pages["vec"][1]).content.decode()


def test_a_warmed_unit_page_is_read_by_the_steering_group_without_todo(
    client: Client, data: DashboardData, settings: Settings
) -> None:
    settings.GONV_WARM_DASHBOARDS = True
    UserFactory(username="vc", role=Role.HEAD_OF_AREA, role__unit=data.vos[0])
    client.force_login(UserFactory(username="styrgrupp", role=Role.STEERING_GROUP))
    url = _unit_url(data.vos[0])
    client.get(reverse("home"))

    tasks.recompute_in_order([Quarter(2025, 4)], "test")
    warmed = _queries(client, url)
    content = client.get(url).content.decode()
    bump_generation()
    cold = _queries(client, url)

    assert cold - warmed >= 5, (cold, warmed)
    assert "Att göra" not in content
    # The unit's own write links ("Rapportera värden" under its heading), not the menu's.
    assert f'href="{reverse("report_grid", args=[data.vos[0].pk])}"' not in content
    assert "Hälsocentral 1-1" in content


def test_the_warming_gives_no_vc_another_units_todo_or_the_write_variant_outside_their_scope(
    data: DashboardData, settings: Settings
) -> None:
    settings.GONV_WARM_DASHBOARDS = True
    vc1 = _login("vc1", Role.HEAD_OF_AREA, role__unit=data.vos[0])
    vc2 = _login("vc2", Role.HEAD_OF_AREA, role__unit=data.vos[1])

    summary = warm.warm_dashboards()

    for vo in data.vos:
        assert f"{_unit_url(vo)} [write]" in summary["rendered"]
    own = vc1.get(_unit_url(data.vos[0])).content.decode()
    other = vc1.get(_unit_url(data.vos[1])).content.decode()
    # Each VC's "Att göra" is their own VO's (both were warmed), and on the other VO's page,
    # whose write variant is cached too, a VC gets the readers' page.
    assert "Att göra" in own
    assert "Utbilda team i VO 1" in own
    assert "Utbilda team i VO 2" not in own
    assert "Att göra" not in other
    assert f'href="{reverse("report_grid", args=[data.vos[0].pk])}"' in own
    assert f'href="{reverse("report_grid", args=[data.vos[1].pk])}"' not in other
    theirs = vc2.get(_unit_url(data.vos[1])).content.decode()
    assert "Utbilda team i VO 2" in theirs
    assert "Utbilda team i VO 1" not in theirs
    # A VC's scope covers their VO's units: a health centre of their VO, not another's.
    assert "Att göra" in vc1.get(_unit_url(data.hcs[0])).content.decode()
    assert "Att göra" not in vc2.get(_unit_url(data.hcs[0])).content.decode()


def test_the_unit_pages_warmed_are_limited_and_the_cut_logged(
    data: DashboardData, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings.GONV_WARM_DASHBOARDS = True
    # Two VCs land on VO 2, one on VO 1, and a VC who is also a VEC lands on their VO.
    for username in ("vc-a", "vc-b"):
        UserFactory(username=username, role=Role.HEAD_OF_AREA, role__unit=data.vos[1])
    both = UserFactory(username="vc-c", role=Role.HEAD_OF_UNIT, role__unit=data.hcs[0])
    RoleAssignmentFactory(user=both, role=Role.HEAD_OF_AREA, unit=data.vos[0])
    # A deactivated account lands nowhere: its VEC unit is neither warmed nor counted.
    UserFactory(username="gone", is_active=False, role=Role.HEAD_OF_UNIT, role__unit=data.hcs[4])
    settings.GONV_WARM_UNIT_PAGES_LIMIT = 1

    with caplog.at_level(logging.INFO, logger="followup.warm"):
        summary = warm.warm_dashboards()

    landing = [path for path in summary["rendered"] if path.startswith("/enheter/VO")]
    # The unit most users land on; each as its VC and as the steering group.
    assert landing == [f"{_unit_url(data.vos[1])} [write]", _unit_url(data.vos[1])]
    assert summary["units_left_out"] == 1
    assert "Warming the landing pages of 1 of 2 units (GONV_WARM_UNIT_PAGES_LIMIT)" in caplog.text

    settings.GONV_WARM_UNIT_PAGES_LIMIT = 0
    assert not [p for p in warm.warm_dashboards()["rendered"] if p.startswith("/enheter/VO")]


def test_a_landing_page_that_fails_is_logged_and_the_rest_warmed(
    data: DashboardData,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings.GONV_WARM_DASHBOARDS = True
    for vo in data.vos:
        UserFactory(username=f"head-{vo.code}", role=Role.HEAD_OF_AREA, role__unit=vo)

    def broken(unit: Any, role: str) -> Any:
        if unit == data.vos[0]:
            raise RuntimeError("boom")
        return writer(unit, role)

    writer = warm.unit_writer
    monkeypatch.setattr(warm, "unit_writer", broken)

    summary = warm.warm_dashboards()

    assert summary["failed"] == [f"{_unit_url(data.vos[0])} [write]"]
    assert f"{_unit_url(data.vos[1])} [write]" in summary["rendered"]
    assert _unit_url(data.vos[0]) in summary["rendered"]  # its readers' variant
    assert "Could not warm the cache with /enheter/" in caplog.text


def test_a_deactivated_programme_owners_area_is_not_warmed_for_them(data: DashboardData) -> None:
    owner = UserFactory(
        username="po-gone",
        role=Role.PROGRAMME_OWNER,
        role__programme_area=data.programme_area,
    )
    assert programme_areas_owned() == [data.programme_area]

    owner.is_active = False
    owner.save()

    assert programme_areas_owned() == []
