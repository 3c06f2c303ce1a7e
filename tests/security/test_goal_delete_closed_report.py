"""A goal that was in a quarterly report now Fastställd or Godkänd (it existed when the report
was closed, or it is assessed for the report's quarter) is part of that report's record: it is
not deleted on any entry (the service, the goal's delete page, the admin's delete page and bulk
"delete selected", the milestone inline's delete box), even while the quarter's date would
still let it be assessed. One rule for all of them (goals.services.goal_delete_check). A goal
created by mistake after the report was closed is still deleted; so is one once its report is
reopened."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from base.periods import Quarter
from followup.models import QuarterReport
from goals import services
from goals.models import Assessment, Goal
from programmes.models import ProgrammeArea
from tests.admin_forms import admin_form_data
from tests.factories import AssessmentFactory, GoalFactory, OrgTree
from tests.security.conftest import AdminClient

pytestmark = pytest.mark.django_db

CURRENT = Quarter.containing(timezone.localdate())
ENDED = CURRENT.previous()  # still open by date: only its report closes it


CONTACT_GOAL = (
    "Det finns inget sätt att avsluta ett mål utan att ta bort det; ska målet inte längre "
    "följas upp, skriv det i målets beskrivning och kontakta strategen GONV. Inget har "
    "tagits bort."
)
CONTACT_MILESTONE = (
    "Det finns inget sätt att avsluta ett delmål utan att ta bort det; ska delmålet inte "
    "längre följas upp, skriv det i delmålets beskrivning och kontakta strategen GONV. "
    "Inget har tagits bort."
)


def strategist_advice(status: str, milestone: bool = False) -> str:
    """What the strategist, who reopens quarterly reports, is told instead of contacting
    themselves: reopen a report that is only Fastställd; an approved one cannot be."""
    noun = "delmålet" if milestone else "målet"
    if status == QuarterReport.Status.CLOSED:
        return (
            f"Ska {noun} tas bort, öppna kvartalsrapporten för {ENDED.label} igen först "
            "(Kvartalsrapporter); då kan det tas bort, och det finns inte med när rapporten "
            "fastställs igen. Inget har tagits bort."
        )
    kind = "ett delmål" if milestone else "ett mål"
    return (
        f"Det finns inget sätt att avsluta {kind} utan att ta bort det; ska {noun} inte "
        f"längre följas upp, skriv det i {noun}s beskrivning. Inget har tagits bort."
    )


def refused_goal(title: str, advice: str = CONTACT_GOAL) -> str:
    return (
        f"Målet ”{title}” kan inte tas bort: det finns med i kvartalsrapporten för "
        f"{ENDED.label}, som är fastställd eller godkänd, och ska finnas kvar som i rapporten. "
        f"{advice}"
    )


def refused_milestone(title: str, advice: str = CONTACT_MILESTONE) -> str:
    return (
        f"Delmålet ”{title}” kan inte tas bort: det finns med i kvartalsrapporten för "
        f"{ENDED.label}, som är fastställd eller godkänd, och ska finnas kvar som i rapporten. "
        f"{advice}"
    )


@pytest.fixture(params=[QuarterReport.Status.CLOSED, QuarterReport.Status.APPROVED])
def reported(
    request: pytest.FixtureRequest, org_tree: OrgTree, programme_area: ProgrammeArea
) -> dict[str, Any]:
    """A goal with a milestone assessed for the ended quarter, whose report (the region's: one
    organisation here) was then closed, Fastställd or Godkänd; the goal itself assessed this
    quarter only."""
    goal = GoalFactory(programme_area=programme_area, direction=True, title="Ökat teamarbete")
    milestone = GoalFactory(
        programme_area=programme_area, parent=goal, direction=True, title="Teamrond på 50 %"
    )
    AssessmentFactory(goal=milestone, quarter=ENDED.code)
    AssessmentFactory(goal=goal, quarter=CURRENT.code)
    report = QuarterReport.objects.create(
        organisation=org_tree.region,
        quarter=ENDED.code,
        status=request.param,
        closed_at=timezone.now(),
    )
    return {"goal": goal, "milestone": milestone, "report": report}


def state() -> tuple[Any, ...]:
    return (
        sorted(Goal.objects.values_list("pk", flat=True)),
        sorted(Assessment.objects.values_list("pk", "comment")),
        Goal.history.count(),
        Assessment.history.count(),
    )


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_the_service_keeps_a_goal_of_a_closed_report(
    strategist: User, reported: dict[str, Any]
) -> None:
    before = state()

    with pytest.raises(ValidationError) as goal_refused:
        services.goal_delete(user=strategist, goal=reported["goal"])
    with pytest.raises(ValidationError) as milestone_refused:
        services.goal_delete(user=strategist, goal=reported["milestone"])

    status = reported["report"].status
    assert goal_refused.value.messages == [
        refused_goal("Ökat teamarbete", strategist_advice(status))
    ]
    assert milestone_refused.value.messages == [
        refused_milestone("Teamrond på 50 %", strategist_advice(status, milestone=True))
    ]
    assert state() == before


@pytest.mark.parametrize("role", ["programme_owner", "admin_user"])
def test_only_those_who_cannot_reopen_reports_are_told_to_contact_the_strategist(
    request: pytest.FixtureRequest, reported: dict[str, Any], role: str
) -> None:
    user = request.getfixturevalue(role)
    client = login(user)

    page = client.get(reverse("goals:goal_delete", args=[reported["goal"].pk]))

    status = reported["report"].status
    expected = CONTACT_GOAL if role == "programme_owner" else strategist_advice(status)
    assert page.context["refusal"] == refused_goal("Ökat teamarbete", expected)


def test_the_goal_page_says_why_and_offers_no_delete(
    strategist: User, reported: dict[str, Any]
) -> None:
    client = login(strategist)
    url = reverse("goals:goal_delete", args=[reported["goal"].pk])
    before = state()

    page = client.get(url)
    posted = client.post(url)

    refused = refused_goal("Ökat teamarbete", strategist_advice(reported["report"].status))
    assert page.status_code == 200
    assert page.context["refusal"] == refused
    assert f'action="{url}"' not in page.content.decode()
    assert posted.status_code == 422
    assert posted.context["refusal"] == refused
    assert state() == before


def test_the_admins_delete_page_and_bulk_delete_keep_the_goal(
    admin_client_as: AdminClient, programme_area: ProgrammeArea, reported: dict[str, Any]
) -> None:
    deletable = GoalFactory(programme_area=programme_area, direction=True)
    client = admin_client_as("strategist")
    url = f"/admin/goals/goal/{reported['goal'].pk}/delete/"
    before = state()

    page = client.get(url, follow=True)
    confirmed = client.post(url, {"post": "yes"}, follow=True)
    bulk = client.post(
        "/admin/goals/goal/",
        {
            "action": "delete_selected",
            "_selected_action": [deletable.pk, reported["goal"].pk],
            "post": "yes",
        },
        follow=True,
    )

    for response in (page, confirmed, bulk):
        assert response.status_code == 200
        assert messages_of(response) == [
            refused_goal("Ökat teamarbete", strategist_advice(reported["report"].status))
        ]
    assert state() == before  # all or nothing: the deletable goal stays too


def test_the_admins_milestone_delete_box_keeps_the_milestone(
    admin_client_as: AdminClient, reported: dict[str, Any]
) -> None:
    client = admin_client_as("strategist")
    url = f"/admin/goals/goal/{reported['goal'].pk}/change/"
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
    assert errors == [
        refused_milestone(
            "Teamrond på 50 %", strategist_advice(reported["report"].status, milestone=True)
        )
    ]
    assert state() == before


def test_a_goal_the_report_showed_is_kept_without_assessments_too(
    strategist: User, programme_area: ProgrammeArea, org_tree: OrgTree
) -> None:
    """The frozen report lists every goal of its areas when it is closed, and links to it."""
    goal = GoalFactory(programme_area=programme_area, direction=True, title="Fler hembesök")
    QuarterReport.objects.create(
        organisation=org_tree.region,
        quarter=ENDED.code,
        status=QuarterReport.Status.APPROVED,
        closed_at=timezone.now(),
    )
    url = reverse("goals:goal_delete", args=[goal.pk])
    before = state()

    response = login(strategist).post(url)

    assert response.status_code == 422
    assert response.context["refusal"] == refused_goal(
        "Fler hembesök", strategist_advice(QuarterReport.Status.APPROVED)
    )
    assert state() == before


def test_a_goal_created_by_mistake_after_the_report_was_closed_is_deleted_on_the_page(
    strategist: User, programme_area: ProgrammeArea, reported: dict[str, Any]
) -> None:
    mistake = GoalFactory(programme_area=programme_area, direction=True, title="Fel mål")
    AssessmentFactory(goal=mistake, quarter=CURRENT.code)

    response = login(strategist).post(reverse("goals:goal_delete", args=[mistake.pk]))

    assert response.status_code == 302
    assert not Goal.objects.filter(pk=mistake.pk).exists()
    assert Goal.objects.filter(pk=reported["goal"].pk).exists()


def test_a_reopened_report_lets_the_goal_go(strategist: User, reported: dict[str, Any]) -> None:
    if reported["report"].status == QuarterReport.Status.APPROVED:
        pytest.skip("an approved report is never reopened")
    QuarterReport.objects.filter(pk=reported["report"].pk).update(status=QuarterReport.Status.DRAFT)

    services.goal_delete(user=strategist, goal=reported["goal"])

    assert not Goal.objects.filter(pk=reported["goal"].pk).exists()


def test_the_refusal_is_english_in_an_english_interface(
    strategist: User, reported: dict[str, Any]
) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.goal_delete(user=strategist, goal=reported["goal"])

    assert refused.value.messages[0].startswith(
        f"The goal “Ökat teamarbete” cannot be deleted: it is in the quarterly report for "
        f"{ENDED.label}, which has been finalised or approved"
    )
