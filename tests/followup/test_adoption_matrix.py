"""The programme area's adoption matrix as of the selected quarter, its totals under a VO
filter, its status words and order, and what waits for who may act in the area."""

from __future__ import annotations

import datetime
import html as html_module
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from base.periods import Quarter, day_label
from goals.models import AdoptionRecord, Goal
from organisation.models import Role
from programmes.models import ActivityPlan, SupportNeed
from tests.factories import (
    ActivityPlanFactory,
    GoalFactory,
    ProgrammeAreaFactory,
    SupportNeedFactory,
    UnitFactory,
    UserFactory,
)
from tests.followup.dashboard_data import DashboardData, dashboard_data_create

HX = {"HX-Request": "true"}


@pytest.fixture
def data(db: None) -> DashboardData:
    """Two VOs of three health centres; every other one has adopted Teamrond (1 Sep 2025)."""
    data = dashboard_data_create(vos=2, hcs_per_vo=3, quarters=5, measures=2, goals=2)
    method = data.programme_area.working_methods.get()
    GoalFactory(
        adoption=True,
        code="teamrond-alla",
        programme_area=data.programme_area,
        working_method=method,
        unit_kind=data.hcs[0].kind,
        deadline=datetime.date(2099, 12, 31),
    )
    return data


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _area_url() -> str:
    return reverse("programme_area_detail", kwargs={"number": 1})


def _matrix(content: str) -> str:
    section = content[content.index('<section id="adoption"') :]
    return section[: section.index("</section>")]


def _row(section: str, name: str) -> str:
    start = section.index(f">{name}</a>") + 1
    return section[start : section.index("</tr>", start)]


def _text(fragment: str) -> str:
    return " ".join(html_module.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_the_matrix_shows_each_unit_as_of_the_quarters_end_as_the_goal_page_does(
    data: DashboardData,
) -> None:
    """A unit that adopted after the quarter was not adopted at its end: the matrix, its shares
    and the goal page all say so for that quarter, and all say "Infört" for the ongoing one."""
    today = timezone.localdate()
    current = Quarter.containing(today)
    past = data.quarters[-1]  # the latest computed quarter, ended before today
    record = data.hcs[0].adoption_records.get()  # Hälsocentral 1-1, not started
    record.status, record.actual_date = AdoptionRecord.Status.ADOPTED, today
    record.save()
    client = _client(UserFactory(username="styrgrupp", role=Role.STEERING_GROUP))
    goal = Goal.objects.get(code="teamrond-alla")

    # The past quarter: as of its last day, Hälsocentral 1-1 had not introduced it; with no
    # planned date it was introduced later, not "planned" on the day it was introduced.
    section = _matrix(client.get(_area_url(), {"kvartal": past.code, "vo": "VO1"}).content.decode())
    assert f"Införande per {day_label(past.end)}: status per enhet och arbetssätt" in section
    row = _text(_row(section, "Hälsocentral 1-1"))
    assert row == f"Hälsocentral 1-1 Ej infört infört senare, {day_label(today)}"
    assert "Planera" not in row
    assert _text(_row(section, "Hälsocentral 1-2")) == "Hälsocentral 1-2 Infört infört 1 sep 2025"
    assert "VO 1, alla enheter 1 av 3 (33,3 %)" in _text(section)
    goal_page = client.get(reverse("goal_detail", args=[goal.code]), {"kvartal": past.code})
    goal_html = goal_page.content.decode()
    body = goal_html[: goal_html.index("Hälsocentral 1-1")].rsplit("<tbody>", 1)[1]
    assert "Räknas som planerat före måldatum" in body
    assert f"Införande per {day_label(past.end)}, grupperat som målet räknar det" in goal_html
    goal_row = _text(goal_html[goal_html.index("Hälsocentral 1-1") :].split("</tr>")[0])
    assert f"Ej infört infört senare, {day_label(today)}" in goal_row
    assert "Planera" not in goal_row

    # The ongoing quarter: as of today, adopted.
    section = _matrix(
        client.get(_area_url(), {"kvartal": current.code, "vo": "VO1"}).content.decode()
    )
    assert f"Införande per {day_label(today)}: status per enhet och arbetssätt" in section
    assert f"Infört infört {day_label(today)}" in _text(_row(section, "Hälsocentral 1-1"))
    assert "VO 1, alla enheter 2 av 3 (66,7 %)" in _text(section)
    # Each quarter is cached apart: the past one again is still as of its end (also over htmx).
    again = client.get(
        _area_url(),
        {"kvartal": past.code, "vo": "VO1"},
        headers={**HX, "HX-Target": "adoption"},
    ).content.decode()
    assert f"Införande per {day_label(past.end)}" in again
    assert "VO 1, alla enheter 1 av 3 (33,3 %)" in _text(again)


def test_a_unit_opened_after_the_quarter_is_not_in_its_matrix(data: DashboardData) -> None:
    past = Quarter.containing(timezone.localdate()).previous()
    UnitFactory(
        code="HC14",
        name="Hälsocentral 1-4",
        kind=data.hcs[0].kind,
        parent=data.vos[0],
        valid_from=past.end + datetime.timedelta(days=1),
    )
    client = _client(UserFactory(username="styrgrupp", role=Role.STEERING_GROUP))

    past_matrix = _matrix(client.get(_area_url(), {"kvartal": past.code}).content.decode())
    today_matrix = _matrix(client.get(_area_url(), {"kvartal": past.next().code}).content.decode())

    assert "Hälsocentral 1-4" not in past_matrix
    assert "Alla enheter 3 av 6 (50,0 %)" in _text(past_matrix)
    assert "Hälsocentral 1-4" in today_matrix
    assert "Alla enheter 3 av 7 (42,9 %)" in _text(today_matrix)


def test_under_a_vo_filter_the_footer_shows_the_vos_total_and_names_the_whole_regions(
    data: DashboardData,
) -> None:
    client = _client(UserFactory(username="styrgrupp", role=Role.STEERING_GROUP))

    filtered = _text(_matrix(client.get(_area_url(), {"vo": "VO2"}).content.decode()))
    unfiltered = _text(_matrix(client.get(_area_url()).content.decode()))

    assert "VO 2, alla enheter 2 av 3 (66,7 %)" in filtered
    assert "Hela regionen, alla VO 3 av 6 (50,0 %) mål 100 %" in filtered
    assert "Alla enheter 3 av 6" not in filtered
    assert "Alla enheter 3 av 6 (50,0 %) mål 100 %" in unfiltered
    assert "Hela regionen" not in unfiltered


def test_sorting_by_status_puts_adopted_then_in_progress_then_planned_then_not_started(
    data: DashboardData,
) -> None:
    """VO 1: HC 1-1 planned, HC 1-2 adopted, HC 1-3 in progress; a fourth not started."""
    method = data.programme_area.working_methods.get()
    AdoptionRecord.objects.filter(unit=data.hcs[0]).update(
        status=AdoptionRecord.Status.PLANNED, planned_date=datetime.date(2026, 3, 1)
    )
    AdoptionRecord.objects.filter(unit=data.hcs[2]).update(
        status=AdoptionRecord.Status.IN_PROGRESS, planned_date=datetime.date(2026, 6, 1)
    )
    first = UnitFactory(
        code="HC10", name="Hälsocentral 1-0", kind=data.hcs[0].kind, parent=data.vos[0]
    )
    AdoptionRecord.objects.create(unit=first, working_method=method)
    client = _client(UserFactory(username="styrgrupp", role=Role.STEERING_GROUP))

    fragment = client.get(
        _area_url(), {"vo": "VO1", "sortera": "status"}, headers={**HX, "HX-Target": "adoption"}
    ).content.decode()

    names = re.findall(r">(Hälsocentral 1-\d)</a>", fragment)
    assert names == ["Hälsocentral 1-2", "Hälsocentral 1-3", "Hälsocentral 1-1", "Hälsocentral 1-0"]
    statuses = re.findall(r'<span class="adoption adoption-\w+">([^<]+)</span>', fragment)
    assert statuses == ["Infört", "Pågår", "Planerat", "Ej påbörjat"]  # the model's words


def _pending_links(content: str) -> list[str]:
    links = re.findall(
        r"<a [^>]*>((?:Aktivitetsplaner att granska|Obesvarade stödbehov)[^<]*)</a>", content
    )
    return [html_module.unescape(link) for link in links]


def test_the_area_page_tells_who_may_act_what_waits_for_them(data: DashboardData) -> None:
    """Two submitted plans and one open need (of PO 1); another area's and answered ones not."""
    area = data.programme_area
    ActivityPlan.objects.filter(programme_area=area).update(
        status=ActivityPlan.Status.SUBMITTED, submitted_at=timezone.now()
    )
    SupportNeed.objects.filter(programme_area=area, unit=data.vos[1]).update(
        status=SupportNeed.Status.ANSWERED
    )
    other = ProgrammeAreaFactory(phase=area.phase, number=2, name="Annat")
    ActivityPlanFactory(
        programme_area=other, unit=data.vos[0], status=ActivityPlan.Status.SUBMITTED
    )
    SupportNeedFactory(programme_area=other, unit=data.vos[0])
    owner = UserFactory(username="poansvarig", role=Role.PROGRAMME_OWNER, role__programme_area=area)
    strategist = UserFactory(username="strateg", is_staff=True, role=Role.STRATEGIST)
    reader = UserFactory(username="styrgrupp", role=Role.STEERING_GROUP)
    other_owner = UserFactory(username="po2", role=Role.PROGRAMME_OWNER, role__programme_area=other)

    for user in (owner, strategist):
        content = _client(user).get(_area_url()).content.decode()
        assert _pending_links(content) == [
            "Aktivitetsplaner att granska (2)",
            "Obesvarade stödbehov (1)",
        ], user.username
    # Who may not act in PO 1 sees no such links (and nothing of another user's counts).
    for user in (reader, other_owner):
        assert _pending_links(_client(user).get(_area_url()).content.decode()) == []

    # Reviewed: the count follows at once, though the page's regions are cached.
    ActivityPlan.objects.filter(programme_area=area, unit=data.vos[0]).update(
        status=ActivityPlan.Status.ACCEPTED
    )
    content = _client(owner).get(_area_url()).content.decode()
    assert "Aktivitetsplaner att granska (1)" in _pending_links(content)
