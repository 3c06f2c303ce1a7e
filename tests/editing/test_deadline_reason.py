"""A moved deadline needs a reason on every entry (the goal's edit page, the dashboards' inline
form, the admin's goal and milestone forms, the service), stored as the change's history
reason; none is asked when the deadline stays; whoever may not change the goal cannot move it."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from goals import services
from goals.models import Goal
from programmes.models import ProgrammeArea
from tests.admin_forms import admin_form_data, admin_post, form_errors
from tests.editing.test_goal_pages import form_data
from tests.factories import GoalFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
MISSING = "Skriv varför måldatumet ändras: det visas för styrgruppen."
REASON = "Upphandlingen försenad"
PLAN = datetime.date(2025, 12, 31)
MOVED = datetime.date(2026, 3, 31)


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def goal(programme_area: ProgrammeArea) -> Goal:
    return GoalFactory(programme_area=programme_area, title="Journalmall", deadline=PLAN)


@pytest.fixture
def milestone(goal: Goal) -> Goal:
    return GoalFactory(
        programme_area=goal.programme_area, parent=goal, title="Beslut", deadline=PLAN
    )


def entries(goal: Goal) -> dict[str, tuple[str, dict[str, str]]]:
    """The two page entries: the edit page and the dashboards' inline form (over htmx)."""
    return {
        "edit page": (reverse("goals:goal_edit", args=[goal.pk]), {}),
        "inline form": (
            reverse("goal_inline_edit", kwargs={"code": goal.code}) + "?vy=omrade",
            HTMX,
        ),
    }


@pytest.mark.parametrize("entry", ["edit page", "inline form"])
def test_a_moved_deadline_without_a_reason_is_refused_with_a_swedish_message(
    strategist: User, goal: Goal, entry: str
) -> None:
    url, headers = entries(goal)[entry]
    client = login(strategist)
    assert "Skäl till ändrat måldatum" in client.get(url, **headers).content.decode()

    response = client.post(url, form_data(goal, deadline="2026-03-31"), **headers)

    assert response.status_code == 422
    assert MISSING in response.content.decode()
    goal.refresh_from_db()
    assert goal.deadline == PLAN
    assert goal.history.count() == 1


@pytest.mark.parametrize("entry", ["edit page", "inline form"])
def test_a_moved_deadline_with_a_reason_is_saved_with_it_in_the_history(
    strategist: User, goal: Goal, entry: str
) -> None:
    url, headers = entries(goal)[entry]

    response = login(strategist).post(
        url, form_data(goal, deadline="2026-03-31", deadline_reason=f"  {REASON} "), **headers
    )

    assert response.status_code in (200, 302)
    goal.refresh_from_db()
    assert goal.deadline == MOVED
    latest = goal.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (strategist, REASON)


@pytest.mark.parametrize("entry", ["edit page", "inline form"])
def test_no_reason_is_asked_when_the_deadline_stays(
    strategist: User, goal: Goal, entry: str
) -> None:
    url, headers = entries(goal)[entry]

    response = login(strategist).post(url, form_data(goal, title="Ny journalmall"), **headers)

    assert response.status_code in (200, 302)
    goal.refresh_from_db()
    assert goal.title == "Ny journalmall"
    assert goal.history.latest().history_change_reason is None


def test_a_new_goal_asks_no_reason(strategist: User, programme_area: ProgrammeArea) -> None:
    page = login(strategist).get(reverse("goals:goal_create", args=[programme_area.pk]))
    assert "Skäl till ändrat måldatum" not in page.content.decode()


def test_the_service_refuses_a_moved_deadline_without_a_reason(
    strategist: User, goal: Goal
) -> None:
    goal.deadline = MOVED
    with pytest.raises(ValidationError) as refusal:
        services.goal_update(user=strategist, goal=goal, deadline_reason="  ")

    assert refusal.value.message_dict == {"deadline_reason": [MISSING]}
    assert Goal.objects.get(pk=goal.pk).deadline == PLAN


def test_the_admin_asks_a_reason_for_a_goals_moved_deadline(strategist: User, goal: Goal) -> None:
    client = login(strategist)
    url = f"/admin/goals/goal/{goal.pk}/change/"

    refused = admin_post(client, url, deadline=MOVED)
    assert MISSING in form_errors(refused)
    assert Goal.objects.get(pk=goal.pk).deadline == PLAN

    saved = admin_post(client, url, deadline=MOVED, deadline_reason=REASON)
    assert saved.status_code == 302
    goal.refresh_from_db()
    assert goal.deadline == MOVED
    assert goal.history.latest().history_change_reason == REASON


def test_the_admin_asks_no_reason_when_the_deadline_stays(strategist: User, goal: Goal) -> None:
    response = admin_post(login(strategist), f"/admin/goals/goal/{goal.pk}/change/", title="Ny")
    assert response.status_code == 302
    assert Goal.objects.get(pk=goal.pk).title == "Ny"


def test_the_admins_milestone_row_asks_a_reason_for_its_moved_deadline(
    strategist: User, milestone: Goal
) -> None:
    client = login(strategist)
    # The goal is due later than the milestone's new deadline (Goal.clean refuses otherwise).
    Goal.objects.filter(pk=milestone.parent_id).update(deadline=datetime.date(2026, 12, 31))
    url = f"/admin/goals/goal/{milestone.parent_id}/change/"
    page = client.get(url)
    prefix = page.context["inline_admin_formsets"][0].formset.prefix

    refused = client.post(url, admin_form_data(page, **{f"{prefix}-0-deadline": MOVED}))
    assert refused.status_code == 200
    assert MISSING in refused.content.decode()
    assert Goal.objects.get(pk=milestone.pk).deadline == PLAN

    saved = client.post(
        url,
        admin_form_data(
            client.get(url),
            **{f"{prefix}-0-deadline": MOVED, f"{prefix}-0-deadline_reason": REASON},
        ),
    )
    assert saved.status_code == 302
    milestone.refresh_from_db()
    assert milestone.deadline == MOVED
    assert milestone.history.latest().history_change_reason == REASON


def test_an_admin_revert_to_the_plans_deadline_asks_a_reason_too(
    strategist: User, goal: Goal
) -> None:
    client = login(strategist)
    first = goal.history.earliest()
    admin_post(
        client, f"/admin/goals/goal/{goal.pk}/change/", deadline=MOVED, deadline_reason=REASON
    )
    url = f"/admin/goals/goal/{goal.pk}/history/{first.history_id}/"

    refused = client.post(url, admin_form_data(client.get(url)))
    assert refused.status_code == 200
    assert MISSING in refused.content.decode()
    assert Goal.objects.get(pk=goal.pk).deadline == MOVED

    saved = client.post(
        url, admin_form_data(client.get(url), deadline_reason="Tillbaka till planen")
    )
    assert saved.status_code == 302
    assert Goal.objects.get(pk=goal.pk).deadline == PLAN
    assert goal.history.latest().history_change_reason == "Tillbaka till planen"


# --- hostile: who may not change the goal cannot move its deadline, reason or not ------------


@pytest.fixture
def foreign_goal(other_programme_area: ProgrammeArea) -> Goal:
    return GoalFactory(programme_area=other_programme_area, deadline=PLAN)


@pytest.mark.parametrize("username", ["programme_owner", "steering_member", "vc"])
def test_a_user_who_may_not_change_the_goal_cannot_move_its_deadline_anywhere(
    request: pytest.FixtureRequest, foreign_goal: Goal, username: str
) -> None:
    user: User = request.getfixturevalue(username)
    client = login(user)
    data = form_data(foreign_goal, deadline="2026-03-31", deadline_reason=REASON)

    for url, headers in entries(foreign_goal).values():
        assert client.post(url, data, **headers).status_code in (403, 404)
    admin = client.post(
        f"/admin/goals/goal/{foreign_goal.pk}/change/",
        {"deadline": "2026-03-31", "deadline_reason": REASON},
    )
    assert admin.status_code in (302, 403)  # the login page or refused
    foreign_goal.deadline = MOVED
    with pytest.raises(PermissionDenied):
        services.goal_update(user=user, goal=foreign_goal, deadline_reason=REASON)

    stored = Goal.objects.get(pk=foreign_goal.pk)
    assert stored.deadline == PLAN
    assert stored.history.count() == 1
