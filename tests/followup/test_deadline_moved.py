"""The flag of a moved deadline ("Måldatum flyttat från … till …") on Portfölj, the area page,
the goal page and the quarterly report: shown with when, by whom and why, absent when the
deadline is the one the goal first had, never stale in the cached pages, and read without a
query per goal."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from base.periods import day_label
from followup.cache import bump_generation
from goals import services
from goals.models import Goal
from organisation.models import Role
from tests.factories import UserFactory
from tests.followup.dashboard_data import LATEST, DashboardData, dashboard_data_create

HX = {"HX-Request": "true"}
REASON = "Upphandlingen av journalmallen försenad"
SMALL = {"vos": 1, "hcs_per_vo": 2, "quarters": 2, "measures": 1, "goals": 1}
LARGE = {"vos": 3, "hcs_per_vo": 4, "quarters": 3, "measures": 2, "goals": 4}


@pytest.fixture
def data(db: None) -> DashboardData:
    created = dashboard_data_create(**SMALL)
    # The milestone moves to mar 2026 below: its goal is due after that (Goal.clean refuses a
    # milestone due after its goal), set in its history as well, so the goal shows no move.
    parent_id = milestone_of(created).parent_id
    Goal.objects.filter(pk=parent_id).update(deadline=datetime.date(2026, 12, 31))
    Goal.history.filter(id=parent_id).update(deadline=datetime.date(2026, 12, 31))
    return created


@pytest.fixture
def strategist(db: None) -> User:
    return UserFactory(
        username="strateg",
        first_name="Sara",
        last_name="Provberg",
        is_staff=True,
        role=Role.STRATEGIST,
    )


@pytest.fixture
def steering(db: None) -> User:
    return UserFactory(username="styrgrupp", role=Role.STEERING_GROUP)


def milestone_of(data: DashboardData) -> Goal:
    return next(goal for goal in data.goals if goal.parent_id is not None)  # deadline nov 2025


def move(goal: Goal, by: User, deadline: datetime.date, reason: str = REASON) -> None:
    goal.refresh_from_db()
    services.goal_update(user=by, goal=goal, data={"deadline": deadline}, deadline_reason=reason)


def flag(reason: str = REASON) -> str:
    today = day_label(timezone.localdate())
    return f"Måldatum flyttat från 30 nov 2025 till 31 mar 2026 ({today}, Sara Provberg: {reason})"


def pages(data: DashboardData, goal: Goal) -> dict[str, str]:
    return {
        "portfolio": reverse("home"),
        "area": reverse("programme_area_detail", kwargs={"number": 1}),
        "goal": reverse("goal_detail", kwargs={"code": goal.code}),
        "parent goal": reverse("goal_detail", kwargs={"code": goal.parent.code}),
        "quarter report": reverse("quarter_report_detail", kwargs={"quarter": LATEST.code}),
    }


def text_of(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return " ".join(response.content.decode().split())


def test_every_page_flags_the_moved_deadline_with_when_who_and_why(
    client: Client, data: DashboardData, strategist: User, steering: User
) -> None:
    milestone = milestone_of(data)
    move(milestone, strategist, datetime.date(2026, 3, 31))
    client.force_login(steering)

    for name, url in pages(data, milestone).items():
        assert flag() in text_of(client, url), name


def test_no_flag_while_the_deadline_is_the_one_the_goal_first_had(
    client: Client, data: DashboardData, strategist: User, steering: User
) -> None:
    milestone = milestone_of(data)
    milestone.refresh_from_db()
    services.goal_update(user=strategist, goal=milestone, data={"title": "Nytt namn"})
    client.force_login(steering)

    for name, url in pages(data, milestone).items():
        assert "Måldatum flyttat" not in text_of(client, url), name


def test_a_deadline_moved_back_to_the_plans_is_not_flagged(
    client: Client, data: DashboardData, strategist: User, steering: User
) -> None:
    milestone = milestone_of(data)
    move(milestone, strategist, datetime.date(2026, 3, 31))
    move(milestone, strategist, datetime.date(2025, 11, 30), reason="Beslutet ändrat tillbaka")
    client.force_login(steering)

    assert "Måldatum flyttat" not in text_of(client, reverse("home"))


def test_a_second_move_is_flagged_from_the_plans_deadline_with_the_latest_reason(
    client: Client, data: DashboardData, strategist: User, steering: User
) -> None:
    milestone = milestone_of(data)
    move(milestone, strategist, datetime.date(2026, 1, 31), reason="Första skälet")
    move(milestone, strategist, datetime.date(2026, 3, 31), reason="Andra skälet")
    client.force_login(steering)

    text = text_of(client, reverse("home"))
    assert flag("Andra skälet") in text
    assert "Första skälet" not in text


def test_the_cached_portfolio_shows_the_flag_right_after_a_deadline_edit_on_the_page(
    client: Client, data: DashboardData, strategist: User
) -> None:
    client.force_login(strategist)
    assert "Måldatum flyttat" not in text_of(client, reverse("home"))  # cached now
    milestone = milestone_of(data)
    edit_url = reverse("goals:goal_edit", args=[milestone.pk])
    form = client.get(edit_url).context["form"]
    post = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    post.update(deadline="2026-03-31", deadline_reason=REASON)
    assert client.post(edit_url, post).status_code == 302

    assert flag() in text_of(client, reverse("home"))


def test_the_inline_form_gives_the_block_back_with_the_flag(
    client: Client, data: DashboardData, strategist: User
) -> None:
    client.force_login(strategist)
    milestone = milestone_of(data)
    url = reverse("goal_inline_edit", kwargs={"code": milestone.code}) + "?vy=omrade"
    form = client.get(url, headers=HX).context["form"]
    post = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    post.update(deadline="2026-03-31", deadline_reason=REASON)

    response = client.post(url, post, headers=HX)

    assert response.status_code == 200
    assert flag() in " ".join(response.content.decode().split())


def _cold_queries(client: Client, url: str) -> int:
    client.get(url)
    bump_generation()  # as right after an edit: nothing cached
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["small", "large"])
def test_portfolio_and_area_page_read_every_move_without_a_query_more(
    client: Client, db: None, size: dict[str, int]
) -> None:
    # The unchanged counts are pinned, the same at both sizes, in test_dashboards.
    data = dashboard_data_create(**size)
    user = UserFactory(is_staff=True, role=Role.STRATEGIST)
    client.force_login(user)
    urls = [reverse("home"), reverse("programme_area_detail", kwargs={"number": 1})]
    unchanged = [_cold_queries(client, url) for url in urls]
    for goal in data.goals:  # every goal and milestone moved
        move(goal, user, datetime.date(2026, 3, 31))

    assert [_cold_queries(client, url) for url in urls] == unchanged
    assert text_of(client, urls[0]).count("Måldatum flyttat") == len(data.goals)


def test_a_deadline_changed_past_the_history_is_flagged_from_and_to_only(
    client: Client, data: DashboardData, steering: User
) -> None:
    milestone = milestone_of(data)
    Goal.objects.filter(pk=milestone.pk).update(deadline=datetime.date(2026, 3, 31))  # the shell
    client.force_login(steering)

    text = text_of(client, reverse("home"))

    assert "Måldatum flyttat från 30 nov 2025 till 31 mar 2026</p>" in text
    assert "Måldatum flyttat från 30 nov 2025 till 31 mar 2026 (" not in text


def test_a_deadline_moved_within_its_month_reads_as_a_move_by_its_days(
    client: Client, data: DashboardData, strategist: User, steering: User
) -> None:
    # Months alone read "flyttat från nov 2025 till nov 2025"; the goal line writes the day.
    milestone = milestone_of(data)
    move(milestone, strategist, datetime.date(2025, 11, 15))
    client.force_login(steering)

    text = text_of(client, reverse("home"))
    assert "Måldatum flyttat från 30 nov 2025 till 15 nov 2025 (" in text
    assert '<time datetime="2025-11-15">15 nov 2025</time>' in text
