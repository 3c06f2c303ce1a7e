"""An assessment of a quarter whose quarterly report is Fastställd or Godkänd is neither
created nor changed on any entry: the page (where the quarter is not offered), the services,
the admin's add and change and its history revert. Portfölj and the approved report would
otherwise disagree. Every role that may assess is tried, in and out of its scope; a reopened
report (Utkast again) opens the quarter again.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from base.periods import Quarter
from followup.models import QuarterReport
from goals import services as goal_services
from goals.models import Assessment, ClosedQuarter, Goal
from programmes.models import ProgrammeArea
from tests.admin_forms import admin_form_data, admin_post, form_errors
from tests.factories import AssessmentFactory, GoalFactory, OrgTree
from tests.security.conftest import AdminClient

pytestmark = pytest.mark.django_db

CURRENT = Quarter.containing(timezone.localdate())
ENDED = CURRENT.previous()  # still open by date: its report can be closed
ASSESSORS = ["strategist", "admin_user", "programme_owner"]
ADD_ASSESSMENT = "/admin/goals/assessment/add/"
FASTSTALLD = ClosedQuarter(code=ENDED.code, approved=False)
GODKAND = ClosedQuarter(code=ENDED.code, approved=True)


def close_report(org_tree: OrgTree, status: str = QuarterReport.Status.CLOSED) -> QuarterReport:
    """The region's report of the ended quarter, closed (the root's: one organisation here)."""
    return QuarterReport.objects.create(
        organisation=org_tree.region, quarter=ENDED.code, status=status
    )


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _change_url(obj: Any) -> str:
    return f"/admin/goals/assessment/{obj.pk}/change/"


@pytest.fixture
def goal(org_tree: OrgTree, programme_area: ProgrammeArea) -> Goal:
    return GoalFactory(programme_area=programme_area, direction=True, title="Teamrond")


def test_the_messages_say_who_can_reopen_what() -> None:
    assert FASTSTALLD.message == (
        f"{ENDED.label} är stängt: kvartalsrapporten är fastställd. Strategen kan öppna "
        "kvartalet igen om bedömningen behöver ändras."
    )
    assert GODKAND.message == (
        f"{ENDED.label} är stängt: kvartalsrapporten är godkänd och kan inte öppnas igen. "
        "Bedömningarna står kvar som i rapporten."
    )


@pytest.mark.parametrize("role", ASSESSORS)
def test_the_page_does_not_offer_a_closed_quarter_and_refuses_a_post_for_it(
    goal: Goal, org_tree: OrgTree, request: pytest.FixtureRequest, role: str
) -> None:
    old = AssessmentFactory(goal=goal, quarter=ENDED.code, comment="Som i rapporten.")
    close_report(org_tree)
    client = login(request.getfixturevalue(role))
    url = reverse("goals:goal_assess", args=[goal.pk])

    page = client.get(url)
    form = page.context["form"]
    assert [code for code, _ in form.fields["quarter"].choices] == [CURRENT.code]
    assert form["quarter"].value() == CURRENT.code  # the running quarter: the ended one is shut
    assert FASTSTALLD.message in page.content.decode()
    asked = client.get(url, {"kvartal": ENDED.code})
    assert asked.context["form"]["quarter"].value() == CURRENT.code
    assert FASTSTALLD.message in asked.content.decode()

    refused = client.post(
        url,
        {
            "quarter": ENDED.code,
            "shown_quarter": ENDED.code,
            "version": old.version,
            "status": "risk",
            "comment": "Ändrat i efterhand.",
        },
    )

    assert refused.status_code == 422
    body = refused.content.decode()
    assert refused.context["form"].errors["quarter"] == [FASTSTALLD.message]
    assert "Bedömningen är sparad." not in body
    old.refresh_from_db()
    assert (old.comment, old.version) == ("Som i rapporten.", 1)


def test_an_approved_quarter_says_it_cannot_be_reopened(
    goal: Goal, org_tree: OrgTree, strategist: User
) -> None:
    close_report(org_tree, QuarterReport.Status.APPROVED)
    response = login(strategist).post(
        reverse("goals:goal_assess", args=[goal.pk]),
        {"quarter": ENDED.code, "version": 0, "status": "risk", "comment": "Sent."},
    )

    assert response.status_code == 422
    assert response.context["form"].errors["quarter"] == [GODKAND.message]
    assert not Assessment.objects.exists()


def test_a_programme_owner_cannot_assess_another_area_on_the_page_or_in_the_admin(
    admin_client_as: AdminClient,
    org_tree: OrgTree,
    other_programme_area: ProgrammeArea,
    programme_owner: User,
) -> None:
    other = GoalFactory(programme_area=other_programme_area, direction=True)
    close_report(org_tree)
    client = login(programme_owner)
    url = reverse("goals:goal_assess", args=[other.pk])
    assert client.get(url).status_code == 403
    for quarter in (CURRENT, ENDED):
        data = {"quarter": quarter.code, "version": 0, "status": "risk", "comment": "Inte min."}
        assert client.post(url, data).status_code == 403
        added = admin_post(
            admin_client_as("programme_owner"),
            ADD_ASSESSMENT,
            goal=other.pk,
            quarter=quarter.code,
            status="risk",
            comment="Inte min.",
        )
        assert added.status_code == 200  # the goal is not among those offered
        assert form_errors(added)
    with pytest.raises(PermissionDenied):
        goal_services.assessment_record(
            user=programme_owner, goal=other, quarter=CURRENT.code, status="risk", comment="x"
        )
    assert not Assessment.objects.exists()


@pytest.mark.parametrize("role", ASSESSORS)
def test_the_services_refuse_a_closed_report_quarter_for_every_role(
    goal: Goal, org_tree: OrgTree, request: pytest.FixtureRequest, role: str
) -> None:
    user = request.getfixturevalue(role)
    old = AssessmentFactory(goal=goal, quarter=ENDED.code, comment="Som i rapporten.")
    current = AssessmentFactory(goal=goal, quarter=CURRENT.code)
    close_report(org_tree)

    with pytest.raises(ValidationError) as recorded:
        goal_services.assessment_record(
            user=user, goal=goal, quarter=ENDED.code, status="risk", comment="Nytt."
        )
    with pytest.raises(ValidationError) as updated:
        goal_services.assessment_update(user=user, assessment=old, data={"comment": "Nytt."})
    with pytest.raises(ValidationError) as moved:
        goal_services.assessment_update(user=user, assessment=current, data={"quarter": ENDED.code})
    saved = goal_services.assessment_record(
        user=user, goal=goal, quarter=CURRENT.code, status="risk", comment="I tid."
    )

    for refusal in (recorded, updated, moved):
        assert refusal.value.message_dict == {"quarter": [FASTSTALLD.message]}
    old.refresh_from_db()
    assert old.comment == "Som i rapporten."
    assert saved.author == user


def test_a_reopened_report_opens_the_quarter_again(
    goal: Goal, org_tree: OrgTree, strategist: User
) -> None:
    report = close_report(org_tree)
    report.status = QuarterReport.Status.DRAFT
    report.save()

    saved = goal_services.assessment_record(
        user=strategist, goal=goal, quarter=ENDED.code, status="risk", comment="Efter omprövning."
    )

    assert saved.quarter == ENDED.code


def test_another_organisations_closed_report_does_not_close_this_area(
    goal: Goal, org_tree: OrgTree, strategist: User
) -> None:
    # With one organisation (or none) the reports are the root's: a unit below is no report.
    QuarterReport.objects.create(
        organisation=org_tree.vo1, quarter=ENDED.code, status=QuarterReport.Status.APPROVED
    )

    saved = goal_services.assessment_record(
        user=strategist, goal=goal, quarter=ENDED.code, status="risk", comment="Öppet."
    )

    assert saved.quarter == ENDED.code


@pytest.mark.parametrize("role", ASSESSORS)
def test_the_admin_refuses_to_add_or_change_a_closed_report_quarters_assessment(
    admin_client_as: AdminClient,
    goal: Goal,
    org_tree: OrgTree,
    role: str,
) -> None:
    old = AssessmentFactory(goal=goal, quarter=ENDED.code, comment="Som i rapporten.")
    other = GoalFactory(programme_area=goal.programme_area, direction=True)
    close_report(org_tree)
    client = admin_client_as(role)

    added = admin_post(
        client, ADD_ASSESSMENT, goal=other.pk, quarter=ENDED.code, status="risk", comment="Ny."
    )
    changed = admin_post(client, _change_url(old), comment="Omskrivet.")

    assert (added.status_code, changed.status_code) == (200, 200)
    assert form_errors(added) == [FASTSTALLD.message]
    assert form_errors(changed) == [FASTSTALLD.message]
    assert list(Assessment.objects.all()) == [old]
    old.refresh_from_db()
    assert (old.comment, old.version) == ("Som i rapporten.", 1)


@pytest.mark.parametrize("role", ASSESSORS)
def test_a_history_revert_cannot_rewrite_a_closed_report_quarter(
    admin_client_as: AdminClient, goal: Goal, org_tree: OrgTree, role: str
) -> None:
    old = AssessmentFactory(goal=goal, quarter=ENDED.code, comment="Första")
    first = old.history.first()
    old.comment = "Som i rapporten"
    old.save()
    close_report(org_tree, QuarterReport.Status.APPROVED)
    client = admin_client_as(role)

    url = f"/admin/goals/assessment/{old.pk}/history/{first.history_id}/"
    response = client.post(url, admin_form_data(client.get(url)))

    assert response.status_code == 200
    assert form_errors(response) == [GODKAND.message]
    old.refresh_from_db()
    assert old.comment == "Som i rapporten"
