"""Those who approve an activity plan (the area's owner, the strategist, administrators) reopen
an approved plan for change on its page ("Öppna för ändring") with a required comment to the
VO, decided on the version they saw (a stale form is a 409), recorded in the history; the VC
reads the comment on the plan's page and in "Att göra". The admin reopens through the same
service (with a comment), and no other entry reopens a plan."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from base.periods import day_label
from base.versioning import StaleVersion
from organisation.models import Role
from programmes import services
from programmes.models import ActivityPlan, ProgrammeArea
from tests.admin_forms import admin_form_data, admin_post, form_errors
from tests.factories import ActivityFactory, ActivityPlanFactory, OrgTree, UserFactory

pytestmark = pytest.mark.django_db

ACCEPTED = ActivityPlan.Status.ACCEPTED
DRAFT = ActivityPlan.Status.DRAFT
REVIEWERS = ["strategist", "admin_user", "programme_owner"]
NOT_REVIEWERS = [
    "no_role_user",
    "portfolio_owner",
    "steering_member",
    "other_programme_owner",
    "vc",
    "other_vc",
    "vec",
]
COMMENT_REQUIRED = "Skriv vad verksamheten ska ändra innan planen öppnas för ändring."


@pytest.fixture
def other_programme_owner(other_programme_area: ProgrammeArea) -> User:
    return UserFactory(
        username="poansvarig2", role=Role.PROGRAMME_OWNER, role__programme_area=other_programme_area
    )


@pytest.fixture
def other_vc(org_tree: OrgTree) -> User:
    return UserFactory(username="vc2", role=Role.HEAD_OF_AREA, role__unit=org_tree.vo2)


@pytest.fixture
def approved(org_tree: OrgTree, programme_area: ProgrammeArea) -> ActivityPlan:
    plan = ActivityPlanFactory(
        unit=org_tree.vo1, programme_area=programme_area, status=ACCEPTED, comment="Vår plan"
    )
    ActivityFactory(plan=plan, title="Teamrond på alla HC")
    return plan


def login(user: User, *, staff: bool = False) -> Client:
    if staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(user)
    return client


def page_url(plan: ActivityPlan) -> str:
    return reverse("programmes:activity_plan", args=[plan.programme_area_id, plan.unit_id])


def reopen_url(plan: ActivityPlan) -> str:
    return reverse("programmes:activity_plan_reopen", args=[plan.programme_area_id, plan.unit_id])


def state(plan: ActivityPlan) -> tuple[Any, ...]:
    plan.refresh_from_db()
    return (plan.status, plan.version, plan.review_comment, plan.history.count())


def text_of(response: Any) -> str:
    return html.unescape(response.content.decode())


@pytest.mark.parametrize("role", REVIEWERS)
def test_a_reviewer_reopens_an_approved_plan_with_a_comment_and_the_vc_reads_it(
    request: pytest.FixtureRequest, vc: User, approved: ActivityPlan, org_tree: OrgTree, role: str
) -> None:
    user = request.getfixturevalue(role)
    client = login(user)
    before = approved.history.count()

    page = text_of(client.get(page_url(approved)))
    response = client.post(
        reopen_url(approved),
        {
            "review_comment": "  Lägg till hälsocentralernas tidplaner.  ",
            "version": approved.version,
        },
    )

    assert "Öppna för ändring" in page
    assert response.status_code == 302
    approved.refresh_from_db()
    assert (approved.status, approved.review_comment, approved.reviewed_by) == (
        DRAFT,
        "Lägg till hälsocentralernas tidplaner.",
        user,
    )
    assert approved.submitted_at is None
    assert approved.comment == "Vår plan"  # the VO's plan is as it was
    latest = approved.history.first()
    assert approved.history.count() == before + 1
    assert (latest.history_user, latest.status) == (user, DRAFT)
    # The VC reads it on the plan's page, and may change the plan again.
    vc_page = text_of(login(vc).get(page_url(approved)))
    assert "Planen är öppnad för ändring" in vc_page
    assert "Status: <strong>Utkast – öppnad för ändring</strong>" in vc_page
    assert "Lägg till hälsocentralernas tidplaner." in vc_page
    assert "Lägg till aktivitet" in vc_page
    # ... and in their "Att göra", as a plan opened for change (it was never sent back).
    unit = text_of(login(vc).get(reverse("unit_detail", kwargs={"code": org_tree.vo1.code})))
    todo = unit[unit.index('<section class="card todo"') :].split("</section>")[0]
    day = day_label(timezone.localdate(approved.reviewed_at))
    assert (
        f'<a href="{page_url(approved)}">{org_tree.vo1.name}, PO 1: öppnad för ändring {day} – '
        "Lägg till hälsocentralernas tidplaner.</a>"
    ) in todo
    assert "skickad tillbaka" not in todo


def test_a_reopened_plan_is_called_opened_for_change_not_sent_back_wherever_it_is_listed(
    programme_owner: User,
    vc: User,
    approved: ActivityPlan,
    org_tree: OrgTree,
    programme_area: ProgrammeArea,
) -> None:
    sent_back = ActivityPlanFactory(
        unit=org_tree.vo2, programme_area=programme_area, status=ActivityPlan.Status.SUBMITTED
    )
    services.activity_plan_review(
        user=programme_owner, plan=sent_back, status=DRAFT, comment="Komplettera tidplanen."
    )
    services.activity_plan_reopen(user=programme_owner, plan=approved, comment="Lägg till HC 1B.")
    vo, reviewer = login(vc), login(programme_owner)
    lists = reverse("programmes:activity_plans")

    vcs_list = text_of(vo.get(lists))
    reviewers_list = text_of(reviewer.get(lists))
    waiting = reviewers_list[reviewers_list.index('id="returned-title"') :].split("</section>")[0]
    plan_page = text_of(vo.get(page_url(approved)))

    # The VC's list of their plans says what happened to each, as does the reviewer's list of
    # plans waiting for their VOs.
    assert '<span class="plan-status">Utkast – öppnad för ändring</span>' in vcs_list
    assert "skickad tillbaka" not in vcs_list.lower().split("inlämnade planer")[0]
    assert "Skickade tillbaka eller öppnade för ändring – väntar på verksamhetsområdet" in waiting
    assert waiting.count("Öppnad för ändring <time") == 1
    assert waiting.count("Skickad tillbaka <time") == 1
    assert "Den godkända planen öppnades för ändring av" in plan_page
    # Submitted again, the reviewer's queue and the plan page still say it was reopened.
    services.activity_plan_update(user=vc, plan=approved, data={"status": "inlamnad"})
    queue = text_of(reviewer.get(lists))
    queue = queue[queue.index('id="awaiting-title"') :].split("</section>")[0]
    submitted_page = text_of(reviewer.get(page_url(approved)))
    assert "Öppnad för ändring <time" in queue
    assert "Skickad tillbaka" not in queue
    assert "Öppnad för ändring av" in submitted_page
    assert "Skickad tillbaka för komplettering av" not in submitted_page
    # Approved again, its last review no longer reopened it.
    services.activity_plan_review(user=programme_owner, plan=approved, status=ACCEPTED)
    approved.refresh_from_db()
    assert approved.reopened is False


@pytest.mark.parametrize("role", NOT_REVIEWERS)
def test_no_one_else_reopens_a_plan_on_any_entry(
    request: pytest.FixtureRequest, approved: ActivityPlan, role: str
) -> None:
    user = request.getfixturevalue(role)
    client = login(user)
    before = state(approved)

    page = client.get(page_url(approved))
    response = client.post(
        reopen_url(approved), {"review_comment": "Öppna!", "version": approved.version}
    )

    assert "Öppna för ändring" not in text_of(page)
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        services.activity_plan_reopen(user=user, plan=approved, comment="Öppna!")
    assert state(approved) == before


def test_anonymous_is_sent_to_log_in(approved: ActivityPlan) -> None:
    before = state(approved)
    response = Client().post(reopen_url(approved), {"review_comment": "x", "version": 1})
    assert response.status_code == 302
    assert "/login" in response["Location"] or "logga-in" in response["Location"]
    assert state(approved) == before


def test_reopening_needs_a_comment(programme_owner: User, approved: ActivityPlan) -> None:
    client = login(programme_owner)
    before = state(approved)

    response = client.post(
        reopen_url(approved), {"review_comment": "   ", "version": approved.version}
    )

    assert response.status_code == 422
    assert COMMENT_REQUIRED in text_of(response)
    assert state(approved) == before
    with pytest.raises(ValidationError) as refused:
        services.activity_plan_reopen(user=programme_owner, plan=approved, comment=" ")
    assert refused.value.message_dict == {"review_comment": [COMMENT_REQUIRED]}
    assert state(approved) == before


@pytest.mark.parametrize("status", [DRAFT, ActivityPlan.Status.SUBMITTED])
def test_only_an_approved_plan_is_reopened(
    programme_owner: User, org_tree: OrgTree, programme_area: ProgrammeArea, status: str
) -> None:
    plan = ActivityPlanFactory(unit=org_tree.vo1, programme_area=programme_area, status=status)
    client = login(programme_owner)
    before = state(plan)

    response = client.post(reopen_url(plan), {"review_comment": "Ändra", "version": plan.version})

    label = plan.get_status_display()
    message = (
        f"Bara en godkänd aktivitetsplan kan öppnas för ändring; den här har status ”{label}”. "
        "Inget har ändrats."
    )
    assert [str(m) for m in response.wsgi_request._messages] == [message]
    with pytest.raises(ValidationError, match="Bara en godkänd"):
        services.activity_plan_reopen(user=programme_owner, plan=plan, comment="Ändra")
    assert state(plan) == before


def test_a_stale_reopen_is_a_conflict(
    programme_owner: User, strategist: User, vc: User, approved: ActivityPlan
) -> None:
    opened = approved.version
    # Meanwhile the strategist reopens it, the VC submits it again and the owner approves it.
    services.activity_plan_reopen(user=strategist, plan=approved, comment="Lägg till tidplan.")
    services.activity_plan_update(user=vc, plan=approved, data={"status": "inlamnad"})
    services.activity_plan_review(user=programme_owner, plan=approved, status=ACCEPTED)
    client = login(programme_owner)
    before = state(approved)

    stale = client.post(reopen_url(approved), {"review_comment": "Gör om.", "version": opened})

    assert stale.status_code == 409
    assert "Någon annan hann före" in text_of(stale)
    assert state(approved) == before
    stale_plan = ActivityPlan.objects.get(pk=approved.pk)
    stale_plan.version = opened
    with pytest.raises(StaleVersion):
        services.activity_plan_reopen(user=programme_owner, plan=stale_plan, comment="Gör om.")
    assert state(approved) == before


@pytest.mark.parametrize("role", ["strategist", "vc"])
def test_editing_the_plan_does_not_reopen_it_without_a_comment(
    request: pytest.FixtureRequest, approved: ActivityPlan, role: str
) -> None:
    user = request.getfixturevalue(role)
    before = state(approved)

    with pytest.raises((PermissionDenied, ValidationError)):
        services.activity_plan_update(user=user, plan=approved, data={"status": DRAFT})

    assert state(approved) == before


@pytest.mark.parametrize("role", ["strategist", "programme_owner"])
def test_the_admin_reopens_through_the_same_service_with_a_comment(
    request: pytest.FixtureRequest, approved: ActivityPlan, role: str
) -> None:
    user = request.getfixturevalue(role)
    client = login(user, staff=True)
    url = f"/admin/programmes/activityplan/{approved.pk}/change/"
    before = state(approved)

    bare = admin_post(client, url, status=DRAFT, review_comment="")

    assert bare.status_code == 200
    assert form_errors(bare) == [COMMENT_REQUIRED]
    assert state(approved) == before

    reopened = admin_post(client, url, status=DRAFT, review_comment="Ändra tidplanen.")

    assert reopened.status_code == 302
    approved.refresh_from_db()
    assert (approved.status, approved.review_comment, approved.reviewed_by) == (
        DRAFT,
        "Ändra tidplanen.",
        user,
    )
    assert approved.history.first().history_user == user


def test_the_vc_does_not_reopen_in_the_admin_nor_by_reverting(
    vc: User, programme_owner: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    plan = ActivityPlanFactory(unit=org_tree.vo1, programme_area=programme_area)
    ActivityFactory(plan=plan)
    services.activity_plan_update(user=vc, plan=plan, data={"status": "inlamnad"})
    services.activity_plan_review(user=programme_owner, plan=plan, status=ACCEPTED)
    client = login(vc, staff=True)
    url = f"/admin/programmes/activityplan/{plan.pk}/change/"
    draft = plan.history.filter(status=DRAFT).order_by("history_date", "history_id").first()
    revert_url = f"/admin/programmes/activityplan/{plan.pk}/history/{draft.history_id}/"
    before = state(plan)

    changed = admin_post(client, url, status=DRAFT)
    reverted = client.post(revert_url, admin_form_data(client.get(revert_url)))

    for response in (changed, reverted):
        assert response.status_code == 200
        assert any("öppna en godkänd plan igen" in m for m in form_errors(response))
    assert state(plan) == before


def test_a_strategists_revert_to_a_draft_version_needs_the_comment_too(
    strategist: User,
    vc: User,
    programme_owner: User,
    org_tree: OrgTree,
    programme_area: ProgrammeArea,
) -> None:
    plan = ActivityPlanFactory(unit=org_tree.vo1, programme_area=programme_area)
    ActivityFactory(plan=plan)
    services.activity_plan_update(user=vc, plan=plan, data={"status": "inlamnad"})
    services.activity_plan_review(user=programme_owner, plan=plan, status=ACCEPTED)
    client = login(strategist, staff=True)
    draft = plan.history.filter(status=DRAFT).order_by("history_date", "history_id").first()
    url = f"/admin/programmes/activityplan/{plan.pk}/history/{draft.history_id}/"
    before = state(plan)

    bare = client.post(url, admin_form_data(client.get(url), review_comment=""))

    assert bare.status_code == 200
    assert form_errors(bare) == [COMMENT_REQUIRED]
    assert state(plan) == before

    with_comment = client.post(
        url, admin_form_data(client.get(url), review_comment="Tillbaka till utkastet.")
    )

    assert with_comment.status_code == 302
    plan.refresh_from_db()
    assert (plan.status, plan.review_comment, plan.reviewed_by) == (
        DRAFT,
        "Tillbaka till utkastet.",
        strategist,
    )
