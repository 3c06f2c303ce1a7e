"""The programme area reviews a VO's submitted activity plan on its page: "Godkänn planen" or
"Skicka tillbaka för komplettering" with a comment, and the VO reads the outcome there."""

from __future__ import annotations

import html
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.formats import date_format

from base.versioning import StaleVersion
from followup.todo import unit_todo
from organisation.models import Role, RoleAssignment
from programmes import services
from programmes.models import Activity, ActivityPlan, ProgrammeArea
from tests.factories import ActivityFactory, ActivityPlanFactory, OrgTree, UserFactory

pytestmark = pytest.mark.django_db

APPROVE = "godkand"
SEND_BACK = "utkast"
REVIEWERS = frozenset({"strategist", "admin_user", "programme_owner"})
ROLES = (
    "anonymous",
    "no_role_user",
    "portfolio_owner",
    "steering_member",
    "strategist",
    "admin_user",
    "programme_owner",
    "other_programme_owner",
    "vc",
    "other_vc",
    "vec",
)


@pytest.fixture
def other_programme_owner(other_programme_area: ProgrammeArea) -> User:
    """Responsible for PO 2 only."""
    return UserFactory(
        username="poansvarig2", role=Role.PROGRAMME_OWNER, role__programme_area=other_programme_area
    )


@pytest.fixture
def other_vc(org_tree: OrgTree) -> User:
    """Verksamhetschef of VO 2."""
    return UserFactory(username="vc2", role=Role.HEAD_OF_AREA, role__unit=org_tree.vo2)


def submitted_plan(unit: Any, area: ProgrammeArea) -> ActivityPlan:
    """A plan with one activity, submitted by its VO."""
    plan = ActivityPlanFactory(unit=unit, programme_area=area)
    ActivityFactory(plan=plan, title="Teamrond på alla HC")
    plan.status = ActivityPlan.Status.SUBMITTED
    plan.save()
    return plan


def client_for(role: str, request: pytest.FixtureRequest) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    return client


def review_url(plan: ActivityPlan) -> str:
    return reverse("programmes:activity_plan_review", args=[plan.programme_area_id, plan.unit_id])


def page_url(plan: ActivityPlan) -> str:
    return reverse("programmes:activity_plan", args=[plan.programme_area_id, plan.unit_id])


def decide(client: Client, plan: ActivityPlan, status: str, comment: str = "", **extra: Any) -> Any:
    data = {"status": status, "review_comment": comment, "version": plan.version, **extra}
    return client.post(review_url(plan), data)


def state(plan: ActivityPlan) -> tuple[Any, ...]:
    plan.refresh_from_db()
    return (plan.status, plan.version, plan.review_comment, plan.history.count())


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.wsgi_request._messages]


@pytest.mark.parametrize("decision", [APPROVE, SEND_BACK])
@pytest.mark.parametrize("role", ROLES)
def test_only_the_areas_owner_and_the_strategist_decide_on_a_submitted_plan(
    request: pytest.FixtureRequest,
    org_tree: OrgTree,
    programme_area: ProgrammeArea,
    role: str,
    decision: str,
) -> None:
    plan = submitted_plan(org_tree.vo1, programme_area)
    before = state(plan)
    client = client_for(role, request)

    response = decide(client, plan, decision, "Beskriv hur VEC:arna involveras.")

    if role in REVIEWERS:
        assert response.status_code == 302
        assert response["Location"] == page_url(plan)
        user = request.getfixturevalue(role)
        plan.refresh_from_db()
        assert plan.status == decision
        assert (plan.reviewed_by, plan.review_comment) == (
            user,
            "Beskriv hur VEC:arna involveras.",
        )
        assert plan.reviewed_at is not None
        assert plan.history.count() == before[3] + 1
        assert plan.history.first().history_user == user
        expected = (
            f"Aktivitetsplanen för {org_tree.vo1.name} är godkänd."
            if decision == APPROVE
            else f"Aktivitetsplanen är skickad tillbaka till {org_tree.vo1.name} för komplettering."
        )
        assert messages_of(response) == [expected]
        # Sent back, the plan is a draft again and no longer counts as submitted.
        assert (plan.submitted_at is None) == (decision == SEND_BACK)
    else:
        assert response.status_code == (302 if role == "anonymous" else 403)
        assert state(plan) == before


@pytest.mark.parametrize("role", ROLES)
def test_only_reviewers_see_the_review_form(
    request: pytest.FixtureRequest, org_tree: OrgTree, programme_area: ProgrammeArea, role: str
) -> None:
    plan = submitted_plan(org_tree.vo1, programme_area)

    response = client_for(role, request).get(page_url(plan))

    content = response.content.decode()
    shown = "Godkänn planen" in content and "Skicka tillbaka för komplettering" in content
    assert shown == (role in REVIEWERS)
    assert (review_url(plan) in content) == (role in REVIEWERS)


def test_the_owner_of_another_area_reviews_nothing_here_but_their_own_areas_plan(
    other_programme_owner: User,
    org_tree: OrgTree,
    programme_area: ProgrammeArea,
    other_programme_area: ProgrammeArea,
) -> None:
    ours = submitted_plan(org_tree.vo1, programme_area)
    theirs = submitted_plan(org_tree.vo2, other_programme_area)
    client = Client()
    client.force_login(other_programme_owner)

    refused = decide(client, ours, APPROVE)
    approved = decide(client, theirs, APPROVE)

    assert refused.status_code == 403
    assert ours.status == ActivityPlan.Status.SUBMITTED
    assert state(ours)[0] == ActivityPlan.Status.SUBMITTED
    assert approved.status_code == 302
    assert state(theirs)[0] == ActivityPlan.Status.ACCEPTED


def test_a_vc_who_also_owns_the_area_never_reviews_their_own_plan(
    vc: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    RoleAssignment.objects.create(user=vc, role=Role.PROGRAMME_OWNER, programme_area=programme_area)
    own = submitted_plan(org_tree.vo1, programme_area)
    other = submitted_plan(org_tree.vo2, programme_area)
    client = Client()
    client.force_login(vc)
    before = state(own)

    page = client.get(page_url(own)).content.decode()
    refused = decide(client, own, APPROVE)
    listed = client.get(reverse("programmes:activity_plans")).content.decode()
    approved = decide(client, other, APPROVE)

    assert "Godkänn planen" not in page
    assert refused.status_code == 403
    assert state(own) == before
    with pytest.raises(Exception, match="behörighet"):
        services.activity_plan_review(user=vc, plan=own, status=APPROVE)
    assert approved.status_code == 302
    assert state(other)[0] == ActivityPlan.Status.ACCEPTED
    # Their list of plans to review never names their own VO's plan.
    awaiting = listed.split('id="awaiting-title"')[1].split("</section>")[0]
    assert page_url(other) in awaiting
    assert page_url(own) not in awaiting


@pytest.mark.parametrize("stored", [ActivityPlan.Status.DRAFT, ActivityPlan.Status.ACCEPTED])
@pytest.mark.parametrize("decision", [APPROVE, SEND_BACK])
def test_only_a_submitted_plan_is_reviewed(
    programme_owner: User,
    org_tree: OrgTree,
    programme_area: ProgrammeArea,
    stored: str,
    decision: str,
) -> None:
    plan = ActivityPlanFactory(unit=org_tree.vo1, programme_area=programme_area, status=stored)
    client = Client()
    client.force_login(programme_owner)
    before = state(plan)

    page = client.get(page_url(plan)).content.decode()
    response = decide(client, plan, decision, "Komplettera.")

    assert "Godkänn planen" not in page
    assert response.status_code == 302
    assert state(plan) == before
    label = dict(ActivityPlan.Status.choices)[stored]
    assert messages_of(response) == [
        "Bara en inlämnad aktivitetsplan kan godkännas eller skickas tillbaka; den här har "
        f"status ”{label}”. Inget har ändrats."
    ]


def test_sending_back_needs_a_comment_to_the_vo(
    programme_owner: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    plan = submitted_plan(org_tree.vo1, programme_area)
    client = Client()
    client.force_login(programme_owner)
    before = state(plan)

    response = decide(client, plan, SEND_BACK, "   ")

    assert response.status_code == 422
    assert "Skriv vad verksamheten behöver komplettera innan planen skickas tillbaka." in (
        html.unescape(response.content.decode())
    )
    assert state(plan) == before
    # The service refuses it too, for every other entry.
    with pytest.raises(Exception, match="komplettera"):
        services.activity_plan_review(user=programme_owner, plan=plan, status=SEND_BACK)
    assert state(plan) == before


@pytest.mark.parametrize("forged", ["inlamnad", "klar", ""])
def test_a_forged_decision_is_refused(
    programme_owner: User, org_tree: OrgTree, programme_area: ProgrammeArea, forged: str
) -> None:
    plan = submitted_plan(org_tree.vo1, programme_area)
    client = Client()
    client.force_login(programme_owner)
    before = state(plan)

    response = decide(client, plan, forged, "Hmm.")

    assert response.status_code == 422
    assert state(plan) == before


def test_approving_with_a_comment_keeps_it_for_the_vo(
    programme_owner: User, vc: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    plan = submitted_plan(org_tree.vo1, programme_area)
    reviewer = Client()
    reviewer.force_login(programme_owner)
    decide(reviewer, plan, APPROVE, "Bra plan.")
    vo = Client()
    vo.force_login(vc)

    content = vo.get(page_url(plan)).content.decode()

    assert "Planen är godkänd" in content
    assert f"Godkänd av {programme_owner.get_full_name()}" in content
    assert "Bra plan." in content
    # The status line says the approval too (when and by whom), as the list of plans does.
    plan.refresh_from_db()
    assert plan.reviewed_at is not None
    day = dateformat.format(timezone.localtime(plan.reviewed_at), "j b Y")
    status = content[content.index("Status:") : content.index("</p>", content.index("Status:"))]
    assert "<strong>Godkänd</strong>" in status
    assert f">{day}</time> av {programme_owner.get_full_name()}" in status
    assert status.index(day) < status.index("inlämnad")


def test_a_stale_review_is_a_conflict_and_only_the_explicit_choice_overwrites(
    programme_owner: User,
    strategist: User,
    vc: User,
    org_tree: OrgTree,
    programme_area: ProgrammeArea,
) -> None:
    plan = submitted_plan(org_tree.vo1, programme_area)
    opened = plan.version
    # Meanwhile the strategist sends it back and the VC submits it again.
    services.activity_plan_review(
        user=strategist, plan=plan, status=SEND_BACK, comment="Lägg till tidplan."
    )
    services.activity_plan_update(user=vc, plan=plan, data={"status": "inlamnad"})
    client = Client()
    client.force_login(programme_owner)
    before = state(plan)

    stale = client.post(
        review_url(plan), {"status": APPROVE, "review_comment": "", "version": opened}
    )

    content = html.unescape(stale.content.decode())
    assert stale.status_code == 409
    assert "Någon annan hann före" in content
    assert "Lägg till tidplan." in content  # theirs, beside the user's empty comment
    assert 'name="status" value="godkand"' in content  # the decision is kept for the choice
    assert state(plan) == before
    # The same stale form sent again is refused again; only "Spara mina ändringar" overwrites.
    again = client.post(
        review_url(plan), {"status": APPROVE, "review_comment": "", "version": opened}
    )
    assert again.status_code == 409
    kept = client.post(
        review_url(plan),
        {
            "status": APPROVE,
            "review_comment": "",
            "version": opened,
            "keep_mine": "1",
            "overwrite_version": before[1],
        },
    )
    assert kept.status_code == 302
    plan.refresh_from_db()
    assert (plan.status, plan.reviewed_by) == (ActivityPlan.Status.ACCEPTED, programme_owner)


def test_a_decision_on_activities_changed_since_is_asked_again(
    programme_owner: User, vc: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    plan = submitted_plan(org_tree.vo1, programme_area)
    client = Client()
    client.force_login(programme_owner)
    page = client.get(page_url(plan))
    seen = page.context["review_form"]["activities_seen"].value()
    # Meanwhile the VC takes the plan back, adds an activity and submits it again.
    services.activity_plan_withdraw(user=vc, plan=plan)
    services.activity_create(user=vc, activity=Activity(plan=plan, title="Extra utbildningsdag"))
    services.activity_plan_update(user=vc, plan=plan, data={"status": "inlamnad"})
    before = state(plan)

    asked = decide(client, plan, APPROVE, activities_seen=seen)

    content = html.unescape(asked.content.decode())
    assert asked.status_code == 409
    assert "Aktiviteterna har ändrats" in content
    assert "Extra utbildningsdag" in content
    assert state(plan) == before
    fresh = asked.context["review_form"]["activities_seen"].value()
    assert fresh != seen
    approved = decide(client, plan, APPROVE, activities_seen=fresh)
    assert approved.status_code == 302
    assert state(plan)[0] == ActivityPlan.Status.ACCEPTED


def test_the_service_refuses_a_decision_on_an_older_version(
    programme_owner: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    plan = submitted_plan(org_tree.vo1, programme_area)
    seen = ActivityPlan.objects.get(pk=plan.pk)
    ActivityPlan.objects.filter(pk=plan.pk).update(comment="Ändrad av VO")

    with pytest.raises(StaleVersion):
        services.activity_plan_review(user=programme_owner, plan=seen, status=APPROVE)
    assert state(plan)[0] == ActivityPlan.Status.SUBMITTED


def test_the_vc_reads_what_to_complete_submits_again_and_the_history_keeps_both(
    programme_owner: User, vc: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    plan = submitted_plan(org_tree.vo1, programme_area)
    reviewer = Client()
    reviewer.force_login(programme_owner)
    decide(reviewer, plan, SEND_BACK, "Beskriv hur VEC:arna involveras.")
    vo = Client()
    vo.force_login(vc)

    sent_back = html.unescape(vo.get(page_url(plan)).content.decode())
    listed_sent_back = vo.get(reverse("programmes:activity_plans")).content.decode()
    submit = reverse("programmes:activity_plan_submit", args=[programme_area.pk, org_tree.vo1.pk])
    vo.post(submit)
    again = html.unescape(vo.get(page_url(plan)).content.decode())

    assert "Planen är skickad tillbaka för komplettering" in sent_back
    assert f"Skickad tillbaka av {programme_owner.get_full_name()}" in sent_back
    assert "Beskriv hur VEC:arna involveras." in sent_back
    assert "Status: <strong>Utkast – skickad tillbaka för komplettering</strong>" in sent_back
    assert ">Skicka in planen</button>" in sent_back
    assert "Godkänn planen" not in sent_back
    assert "Planen är inlämnad igen och väntar på granskning." in again
    assert listed_sent_back.count("Utkast – skickad tillbaka för komplettering") == 1
    # The history shows the review: who, the status and the comment.
    assert "Granskarens kommentar" in again
    plan.refresh_from_db()
    statuses = [row.status for row in plan.history.order_by("history_date", "history_id")]
    assert statuses[-3:] == ["inlamnad", "utkast", "inlamnad"]


def test_reviewers_find_the_plans_awaiting_them(
    programme_owner: User,
    strategist: User,
    vc: User,
    portfolio_owner: User,
    org_tree: OrgTree,
    programme_area: ProgrammeArea,
    other_programme_area: ProgrammeArea,
) -> None:
    waiting = submitted_plan(org_tree.vo1, programme_area)
    other_area = submitted_plan(org_tree.vo2, other_programme_area)
    ActivityPlanFactory(unit=org_tree.vo2, programme_area=programme_area)  # a draft
    approved = submitted_plan(org_tree.hc1a, programme_area)
    services.activity_plan_review(user=strategist, plan=approved, status=APPROVE)
    url = reverse("programmes:activity_plans")

    def awaiting(user: User) -> str | None:
        client = Client()
        client.force_login(user)
        content = client.get(url).content.decode()
        if 'id="awaiting-title"' not in content:
            return None
        return content.split('id="awaiting-title"')[1].split("</section>")[0]

    owners = awaiting(programme_owner)
    strategists = awaiting(strategist)

    assert owners is not None
    assert page_url(waiting) in owners
    assert page_url(other_area) not in owners  # another area's
    assert page_url(approved) not in owners
    assert "(1)" in owners
    assert strategists is not None
    assert page_url(waiting) in strategists
    assert page_url(other_area) in strategists
    assert "(2)" in strategists
    # Those who review nothing get no such list.
    assert awaiting(vc) is None
    assert awaiting(portfolio_owner) is None
    # Once decided, the plan leaves the list.
    services.activity_plan_review(user=programme_owner, plan=waiting, status=APPROVE)
    owners = awaiting(programme_owner)
    assert owners is not None
    assert "Inga planer väntar på granskning." in owners


def test_the_vcs_to_do_names_the_plan_sent_back_with_the_reviewers_words(
    programme_owner: User, vc: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    plan = submitted_plan(org_tree.vo1, programme_area)
    services.activity_plan_review(
        user=programme_owner, plan=plan, status=SEND_BACK, comment="Lägg till en tidplan."
    )
    vo = Client()
    vo.force_login(vc)

    content = html.unescape(
        vo.get(reverse("unit_detail", kwargs={"code": org_tree.vo1.code})).content.decode()
    )

    todo = content[content.index('<section class="card todo"') :].split("</section>")[0]
    assert "Aktivitetsplaner att komplettera" in todo
    assert f'<a href="{page_url(plan)}">{org_tree.vo1.name}, PO 1: skickad tillbaka' in todo
    assert "Lägg till en tidplan." in todo
    # Submitted again, it is no longer the VO's to do.
    services.activity_plan_update(user=vc, plan=plan, data={"status": "inlamnad"})
    # (The list itself: the dashboard's region is cached until the next recompute.)
    lists = unit_todo(unit=org_tree.vo1, today=date.today())
    assert next(t for t in lists if t.key == "returned").total == 0


@pytest.mark.parametrize("role", ["programme_owner", "strategist", "steering_member", "vc"])
def test_the_areas_page_leads_its_reviewers_to_the_plans_awaiting_them(
    request: pytest.FixtureRequest, programme_area: ProgrammeArea, role: str
) -> None:
    client = client_for(role, request)

    content = client.get(reverse("programme_area_detail", args=[programme_area.number])).content

    link = f'href="{reverse("programmes:activity_plans")}#awaiting-title"'
    assert (link in content.decode()) == (role in REVIEWERS)


def test_a_status_the_strategist_sets_on_the_plan_itself_is_their_decision(
    strategist: User, programme_owner: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    plan = submitted_plan(org_tree.vo1, programme_area)
    services.activity_plan_review(
        user=programme_owner, plan=plan, status=APPROVE, comment="Bra plan."
    )

    # Not reopened by editing the plan itself: reopening takes a comment to the VO
    # (activity_plan_reopen, tests/editing/test_plan_reopen.py).
    with pytest.raises(ValidationError, match="Öppna för ändring"):
        services.activity_plan_update(user=strategist, plan=plan, data={"status": SEND_BACK})
    services.activity_plan_reopen(user=strategist, plan=plan, comment="Ändra tidplanen.")

    plan.refresh_from_db()
    assert (plan.status, plan.reviewed_by, plan.review_comment) == (
        SEND_BACK,
        strategist,
        "Ändra tidplanen.",
    )
    with pytest.raises(ValueError, match="review_comment"):
        services.activity_plan_update(user=strategist, plan=plan, data={"review_comment": "x"})


def test_the_reviewers_list_dates_each_decision_and_keeps_the_plans_sent_back(
    programme_owner: User, vc: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    """An approved plan is listed with the day of the approval and who gave it, not the day
    it was submitted; a plan sent back stays in view, under "Skickade tillbaka", until the VO
    submits it again."""
    approved = submitted_plan(org_tree.vo2, programme_area)
    returned = submitted_plan(org_tree.vo1, programme_area)
    ActivityPlan.objects.filter(pk=approved.pk).update(
        submitted_at=timezone.now() - timedelta(days=90)
    )
    approved.refresh_from_db()
    services.activity_plan_review(user=programme_owner, plan=approved, status=APPROVE)
    services.activity_plan_review(
        user=programme_owner, plan=returned, status=SEND_BACK, comment="Lägg till datum."
    )
    client = Client()
    client.force_login(programme_owner)
    name = programme_owner.get_full_name() or programme_owner.get_username()
    today = date_format(timezone.localdate(), "j b Y")

    listed = html.unescape(client.get(reverse("programmes:activity_plans")).content.decode())

    sent_back = listed.split('id="returned-title"')[1].split("</section>")[0]
    assert "(1)" in sent_back
    assert page_url(returned) in sent_back
    assert f"{today}</time> av {name}" in sent_back
    assert page_url(approved) not in sent_back
    submitted = listed.split('id="submitted-title"')[1].split("</section>")[0]
    assert f"{org_tree.vo2.name}, PO {programme_area.number}</a> – Godkänd" in submitted
    assert f"{today}</time> av {name}" in submitted

    # Submitted again by its VC, it leaves the list of plans sent back for the queue.
    returned.refresh_from_db()
    services.activity_plan_update(
        user=vc, plan=returned, data={"status": ActivityPlan.Status.SUBMITTED}
    )
    listed = client.get(reverse("programmes:activity_plans")).content.decode()
    assert page_url(returned) not in listed.split('id="returned-title"')[1].split("</section>")[0]
    assert page_url(returned) in listed.split('id="awaiting-title"')[1].split("</section>")[0]


UNSAVED = "Din text, som inte sparades:"


def test_a_review_refused_because_the_plan_was_decided_meanwhile_shows_the_comment_typed(
    programme_owner: User, strategist: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    plan = submitted_plan(org_tree.vo1, programme_area)
    owner, second = Client(), Client()
    owner.force_login(programme_owner)
    second.force_login(strategist)
    comment = "Beskriv hur VEC:arna involveras,\noch när varje HC börjar."

    approved = decide(owner, plan, APPROVE)
    refused = second.post(
        review_url(plan),
        {"status": SEND_BACK, "review_comment": comment, "version": plan.version},
        follow=True,
    )
    reloaded = second.get(page_url(plan)).content.decode()

    assert approved.status_code == 302
    assert state(plan)[0] == ActivityPlan.Status.ACCEPTED
    page = refused.content.decode()
    assert "Bara en inlämnad aktivitetsplan kan godkännas" in html.unescape(page)
    assert UNSAVED in page
    assert f"readonly>{html.escape(comment)}</textarea>" in page
    # Once, and only on this plan's page: a reload shows the plan without it.
    assert UNSAVED not in reloaded


def test_a_refused_review_without_a_comment_shows_no_copy(
    programme_owner: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    plan = ActivityPlanFactory(
        unit=org_tree.vo1, programme_area=programme_area, status=ActivityPlan.Status.ACCEPTED
    )
    client = Client()
    client.force_login(programme_owner)

    refused = client.post(
        review_url(plan),
        {"status": APPROVE, "review_comment": " ", "version": plan.version},
        follow=True,
    )

    assert UNSAVED not in refused.content.decode()


def test_a_reopening_refused_because_the_plan_was_reopened_meanwhile_keeps_the_comment(
    programme_owner: User, strategist: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    plan = ActivityPlanFactory(
        unit=org_tree.vo1, programme_area=programme_area, status=ActivityPlan.Status.ACCEPTED
    )
    services.activity_plan_reopen(user=strategist, plan=plan, comment="Ändra tidplanen.")
    client = Client()
    client.force_login(programme_owner)

    refused = client.post(
        reverse("programmes:activity_plan_reopen", args=[programme_area.pk, org_tree.vo1.pk]),
        {"review_comment": "Lägg till HC Norr.", "version": plan.version},
        follow=True,
    )

    assert UNSAVED in refused.content.decode()
    assert "Lägg till HC Norr." in refused.content.decode()
