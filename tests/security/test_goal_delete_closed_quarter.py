"""Deleting a goal or milestone must not delete the history of a closed quarter: a goal whose
own or whose milestones' assessments include one of a quarter that can no longer be assessed
(goals.services.assessment_check's rule) is not deleted on any entry (the service, the goal's
delete page, the admin's delete page, its bulk "delete selected", the milestone inline's delete
box, and deleting its programme area), for every role; a goal with open quarters' assessments
only is deleted as before."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import ProtectedError
from django.test import Client
from django.urls import reverse

from goals import services
from goals.models import Assessment, Goal, editable_quarters
from programmes import services as programme_services
from programmes.models import ProgrammeArea
from tests.admin_forms import admin_form_data
from tests.factories import AssessmentFactory, GoalFactory
from tests.security.conftest import AdminClient

pytestmark = pytest.mark.django_db

CLOSED, OLDER = "2020Q1", "2019Q4"
ASSESSORS = ["strategist", "admin_user", "programme_owner"]
NOT_ASSESSORS = ["portfolio_owner", "steering_member", "vc", "vec", "no_role_user"]
# Those who reopen quarterly reports (the strategist, administrators) are not told to contact
# the strategist; reopening a report does not reopen a quarter closed by its date.
REOPENERS = {"strategist", "admin_user"}


def ending(role: str, noun: str = "mål") -> str:
    contact = "" if role in REOPENERS else " och kontakta strategen GONV"
    return (
        f"Det finns inget sätt att avsluta ett {noun} utan att ta bort det; ska {noun}et inte "
        f"längre följas upp, skriv det i {noun}ets beskrivning{contact}. Inget har tagits bort."
    )


def refused_goal(title: str, quarters: str, role: str = "programme_owner") -> str:
    return (
        f"Målet ”{title}” kan inte tas bort: det eller dess delmål har bedömningar för "
        f"{quarters}, kvartal som är avslutade och inte längre går att ändra, och de ska finnas "
        f"kvar. {ending(role)}"
    )


def refused_milestone(title: str, quarters: str, role: str = "programme_owner") -> str:
    return (
        f"Delmålet ”{title}” kan inte tas bort: det har bedömningar för {quarters}, kvartal som "
        f"är avslutade och inte längre går att ändra, och de ska finnas kvar. "
        f"{ending(role, 'delmål')}"
    )


@pytest.fixture
def kept(programme_area: ProgrammeArea) -> dict[str, Any]:
    """A goal with a milestone; the milestone was assessed in two closed quarters and the
    current one, the goal in the current one only."""
    goal = GoalFactory(programme_area=programme_area, direction=True, title="Ökat teamarbete")
    milestone = GoalFactory(
        programme_area=programme_area, parent=goal, direction=True, title="Teamrond på 50 %"
    )
    current = editable_quarters()[0].code
    for quarter in (CLOSED, OLDER, current):
        AssessmentFactory(goal=milestone, quarter=quarter)
    AssessmentFactory(goal=goal, quarter=current)
    return {"goal": goal, "milestone": milestone}


def state() -> tuple[Any, ...]:
    return (
        sorted(Goal.objects.values_list("pk", flat=True)),
        sorted(Assessment.objects.values_list("pk", "comment")),
        Goal.history.count(),
        Assessment.history.count(),
    )


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.mark.parametrize("role", ASSESSORS)
def test_the_service_keeps_a_goal_with_a_closed_quarters_assessments(
    request: pytest.FixtureRequest, kept: dict[str, Any], role: str
) -> None:
    user = request.getfixturevalue(role)
    before = state()

    with pytest.raises(ValidationError) as goal_refused:
        services.goal_delete(user=user, goal=kept["goal"])
    with pytest.raises(ValidationError) as milestone_refused:
        services.goal_delete(user=user, goal=kept["milestone"])

    assert goal_refused.value.messages == [
        refused_goal("Ökat teamarbete", "Kv 4 2019 och Kv 1 2020", role)
    ]
    assert milestone_refused.value.messages == [
        refused_milestone("Teamrond på 50 %", "Kv 4 2019 och Kv 1 2020", role)
    ]
    assert state() == before


@pytest.mark.parametrize("role", NOT_ASSESSORS)
def test_those_who_may_not_delete_goals_are_refused_as_before(
    request: pytest.FixtureRequest, kept: dict[str, Any], role: str
) -> None:
    user = request.getfixturevalue(role)
    before = state()

    with pytest.raises(PermissionDenied):
        services.goal_delete(user=user, goal=kept["goal"])

    assert state() == before


def test_a_goal_assessed_in_open_quarters_only_is_deleted_as_before(
    programme_owner: User, programme_area: ProgrammeArea
) -> None:
    goal = GoalFactory(programme_area=programme_area, direction=True)
    for quarter in editable_quarters():
        AssessmentFactory(goal=goal, quarter=quarter.code)

    services.goal_delete(user=programme_owner, goal=goal)

    assert not Goal.objects.filter(pk=goal.pk).exists()
    assert not Assessment.objects.exists()


def test_the_goal_page_says_why_and_offers_no_delete(
    strategist: User, kept: dict[str, Any]
) -> None:
    client = Client()
    client.force_login(strategist)
    url = reverse("goals:goal_delete", args=[kept["milestone"].pk])
    before = state()

    page = client.get(url)
    posted = client.post(url)

    text = refused_milestone("Teamrond på 50 %", "Kv 4 2019 och Kv 1 2020", "strategist")
    assert "kontakta strategen" not in text
    assert page.status_code == 200
    assert page.context["refusal"] == text
    assert f'action="{url}"' not in page.content.decode()
    assert posted.status_code == 422
    assert posted.context["refusal"] == text
    assert state() == before


@pytest.mark.parametrize("role", ASSESSORS)
def test_the_admins_delete_page_and_bulk_delete_keep_the_goal(
    admin_client_as: AdminClient, programme_area: ProgrammeArea, kept: dict[str, Any], role: str
) -> None:
    deletable = GoalFactory(programme_area=programme_area, direction=True)
    client = admin_client_as(role)
    url = f"/admin/goals/goal/{kept['goal'].pk}/delete/"
    before = state()

    page = client.get(url, follow=True)
    confirmed = client.post(url, {"post": "yes"}, follow=True)
    bulk = client.post(
        "/admin/goals/goal/",
        {
            "action": "delete_selected",
            "_selected_action": [deletable.pk, kept["goal"].pk],
            "post": "yes",
        },
        follow=True,
    )

    text = refused_goal("Ökat teamarbete", "Kv 4 2019 och Kv 1 2020", role)
    for response in (page, confirmed, bulk):
        assert response.status_code == 200
        assert messages_of(response) == [text]
    assert state() == before  # the bulk delete is all or nothing: the deletable goal stays too


@pytest.mark.parametrize("role", ASSESSORS)
def test_the_admins_milestone_delete_box_keeps_the_milestone(
    admin_client_as: AdminClient, kept: dict[str, Any], role: str
) -> None:
    client = admin_client_as(role)
    url = f"/admin/goals/goal/{kept['goal'].pk}/change/"
    data = admin_form_data(client.get(url))
    prefix = next(key for key in data if key.endswith("-0-id")).removesuffix("-0-id")
    data[f"{prefix}-0-DELETE"] = "on"
    before = state()

    response = client.post(url, data)

    assert response.status_code == 200
    errors = [
        str(error)
        for inline in response.context["inline_admin_formsets"]
        for error in inline.formset.non_form_errors()
    ]
    assert errors == [refused_milestone("Teamrond på 50 %", "Kv 4 2019 och Kv 1 2020", role)]
    assert state() == before


def test_deleting_the_programme_area_does_not_cascade_to_the_goal(
    strategist: User, programme_area: ProgrammeArea, kept: dict[str, Any]
) -> None:
    before = state()

    with pytest.raises(ProtectedError):
        programme_services.programme_area_delete(user=strategist, area=programme_area)

    assert ProgrammeArea.objects.filter(pk=programme_area.pk).exists()
    assert state() == before
