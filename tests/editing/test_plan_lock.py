"""A submitted or approved activity plan is what its reviewer reviews or approved: read-only on
every entry (pages, services, admin and its history revert) until it is a draft again. The VC
takes a submitted plan back for changes ("Ta tillbaka för ändring"); on an approved plan the
VO still reports each activity's status."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from organisation.models import Role
from programmes import services
from programmes.models import Activity, ActivityPlan, ProgrammeArea
from tests.admin_forms import admin_form_data, admin_post, form_errors
from tests.factories import ActivityFactory, ActivityPlanFactory, OrgTree, UserFactory

pytestmark = pytest.mark.django_db

SUBMITTED = ActivityPlan.Status.SUBMITTED
ACCEPTED = ActivityPlan.Status.ACCEPTED
LOCKED = [SUBMITTED, ACCEPTED]
SUBMITTED_LOCKED = "Planen är inlämnad och väntar på granskning, så den kan inte ändras."
ACCEPTED_LOCKED = "Planen är godkänd, så aktiviteterna och planen kan inte ändras"
# Who writes VO 1's plan: its VC, the strategist, administrators.
WRITERS = ["vc", "strategist", "admin_user"]


def plan_with(status: str, unit: Any, area: ProgrammeArea) -> ActivityPlan:
    plan = ActivityPlanFactory(unit=unit, programme_area=area, status=status, comment="Vår plan")
    ActivityFactory(plan=plan, title="Teamrond på alla HC")
    return plan


def snapshot(plan: ActivityPlan) -> tuple[Any, ...]:
    """What the reviewer reviews: the plan's fields and every activity, with the history."""
    plan.refresh_from_db()
    activities = tuple(
        plan.activities.order_by("pk").values_list(
            "pk", "title", "responsible", "start_date", "end_date", "status", "version"
        )
    )
    return (plan.status, plan.comment, plan.version, plan.history.count(), activities)


def login(user: User, *, staff: bool = False) -> Client:
    if staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(user)
    return client


def page_url(plan: ActivityPlan) -> str:
    return reverse("programmes:activity_plan", args=[plan.programme_area_id, plan.unit_id])


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.wsgi_request._messages]


@pytest.mark.parametrize("status", LOCKED)
@pytest.mark.parametrize("role", WRITERS)
def test_a_locked_plans_activities_cannot_be_added_or_changed_on_its_pages(
    request: pytest.FixtureRequest,
    org_tree: OrgTree,
    programme_area: ProgrammeArea,
    role: str,
    status: str,
) -> None:
    plan = plan_with(status, org_tree.vo1, programme_area)
    ActivityFactory(plan=plan, title="Andra aktiviteten")
    activity = plan.activities.first()
    assert activity is not None
    client = login(request.getfixturevalue(role))
    before = snapshot(plan)

    page = html.unescape(client.get(page_url(plan)).content.decode())
    added = client.post(
        page_url(plan),
        {"title": "Extra aktivitet efter inlämning", "status": "planerad", "version": 0},
    )
    edited = client.post(
        reverse("programmes:activity_edit", args=[activity.pk]),
        {"title": "Omdöpt", "status": "planerad", "version": activity.version},
    )

    assert "Lägg till aktivitet" not in page
    assert "Extra aktivitet efter inlämning" not in page
    assert ">Redigera<" not in page
    assert added.status_code == 302
    assert any(SUBMITTED_LOCKED in m or ACCEPTED_LOCKED in m for m in messages_of(added))
    assert edited.status_code in (302, 422)
    assert snapshot(plan) == before
    assert not Activity.objects.filter(title="Extra aktivitet efter inlämning").exists()


@pytest.mark.parametrize("status", LOCKED)
@pytest.mark.parametrize("role", WRITERS)
def test_the_services_refuse_every_change_to_a_locked_plan(
    request: pytest.FixtureRequest,
    org_tree: OrgTree,
    programme_area: ProgrammeArea,
    other_programme_area: ProgrammeArea,
    role: str,
    status: str,
) -> None:
    user = request.getfixturevalue(role)
    plan = plan_with(status, org_tree.vo1, programme_area)
    draft = ActivityPlanFactory(unit=org_tree.vo1, programme_area=other_programme_area)
    activity = plan.activities.get()
    before = snapshot(plan)
    message = SUBMITTED_LOCKED if status == SUBMITTED else ACCEPTED_LOCKED

    with pytest.raises(ValidationError, match=message):
        services.activity_create(
            user=user, activity=Activity(plan=plan, title="Extra aktivitet efter inlämning")
        )
    with pytest.raises(ValidationError, match=message):
        services.activity_update(user=user, activity=activity, data={"title": "Omdöpt"})
    activity.refresh_from_db()
    with pytest.raises(ValidationError, match=message):
        services.activity_update(user=user, activity=activity, data={"end_date": None})
    activity.refresh_from_db()
    with pytest.raises(ValidationError, match=message):
        services.activity_update(user=user, activity=activity, data={"plan": draft})
    activity.refresh_from_db()
    with pytest.raises(ValidationError, match=message):
        services.activity_delete(user=user, activity=activity)
    with pytest.raises(ValidationError, match=message):
        services.activity_plan_update(user=user, plan=plan, data={"comment": "Ändrad"})
    plan.refresh_from_db()
    with pytest.raises(ValidationError, match=message):
        services.activity_plan_delete(user=user, plan=plan)
    # Nor into it from a draft.
    moving = ActivityFactory(plan=draft, title="Flyttas")
    with pytest.raises(ValidationError, match=message):
        services.activity_update(user=user, activity=moving, data={"plan": plan})

    assert snapshot(plan) == before


def test_an_approved_plans_activity_status_is_still_reported(
    vc: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    """How the VO follows up an agreed plan: Planerad → Pågår → Klar (the overdue list on
    the unit's page counts on it); nothing else of the activity changes."""
    plan = plan_with(ACCEPTED, org_tree.vo1, programme_area)
    activity = plan.activities.get()
    client = login(vc)

    page = html.unescape(client.get(page_url(plan)).content.decode())
    form = client.get(reverse("programmes:activity_edit", args=[activity.pk]))
    reported = client.post(
        reverse("programmes:activity_edit", args=[activity.pk]),
        {"title": "Omdöpt", "responsible": "X", "status": "pagar", "version": activity.version},
    )
    activity.refresh_from_db()
    done = client.post(
        reverse("programmes:activity_action", args=[activity.pk]), {"atgard": "klar"}
    )

    assert "Planen är godkänd och kan inte ändras. Rapportera hur arbetet går" in page
    assert "Rapportera status" in page
    assert "Markera klar" in page
    assert form.status_code == 200
    assert [name for name, field in form.context["form"].fields.items() if not field.disabled] == [
        "status",
        "status_note",
        "version",
    ]
    # The page says what it is for, and shows the agreed fields as text, not as inputs that
    # look editable.
    form_page = html.unescape(form.content.decode())
    assert "Rapportera status för ”Teamrond på alla HC”" in form_page
    assert "Redigera aktivitet" not in form_page
    assert 'name="title"' not in form_page
    assert 'name="responsible"' not in form_page
    assert "<dt>Ansvarig</dt><dd>Verksamhetschef</dd>" in form_page
    assert 'name="status"' in form_page
    assert reported.status_code == 302
    assert done.status_code == 302
    activity.refresh_from_db()
    assert (activity.title, activity.responsible, activity.status) == (
        "Teamrond på alla HC",
        "Verksamhetschef",
        "klar",
    )
    plan.refresh_from_db()
    assert plan.status == ACCEPTED


def test_a_submitted_plans_activity_status_waits_for_the_review(
    vc: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    plan = plan_with(SUBMITTED, org_tree.vo1, programme_area)
    activity = plan.activities.get()
    before = snapshot(plan)

    with pytest.raises(ValidationError, match=SUBMITTED_LOCKED):
        services.activity_update(user=vc, activity=activity, data={"status": "klar"})
    response = login(vc).post(
        reverse("programmes:activity_action", args=[activity.pk]), {"atgard": "klar"}
    )

    assert messages_of(response)[0].startswith(SUBMITTED_LOCKED)
    assert snapshot(plan) == before


def test_the_vc_takes_a_submitted_plan_back_changes_it_and_submits_it_again(
    vc: User, programme_owner: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    plan = plan_with(SUBMITTED, org_tree.vo1, programme_area)
    client = login(vc)
    reviewer = login(programme_owner)
    queue = reverse("programmes:activity_plans")
    assert page_url(plan) in reviewer.get(queue).content.decode().split('id="awaiting-title"')[1]

    page = html.unescape(client.get(page_url(plan)).content.decode())
    withdrawn = client.post(
        reverse("programmes:activity_plan_withdraw", args=[programme_area.pk, org_tree.vo1.pk])
    )
    draft_page = html.unescape(client.get(page_url(plan)).content.decode())
    awaiting = reviewer.get(queue).content.decode().split('id="awaiting-title"')[1]
    added = client.post(
        page_url(plan),
        {
            "title": "Extra aktivitet efter inlämning",
            "status": "planerad",
            "version": 0,
            "submit_token": "t1",
        },
    )

    assert (
        "Planen är inlämnad och väntar på granskning. Ta tillbaka den om du vill ändra något."
        in (page)
    )
    assert ">Ta tillbaka för ändring</button>" in page
    assert withdrawn.status_code == 302
    assert messages_of(withdrawn) == [
        "Planen är tillbakatagen och är ett utkast igen. Skicka in den när du är klar."
    ]
    assert "Status: <strong>Utkast</strong>" in draft_page
    assert "Lägg till aktivitet" in draft_page
    assert page_url(plan) not in awaiting.split("</section>")[0]
    assert added.status_code == 302
    plan.refresh_from_db()
    assert (plan.status, plan.submitted_at, plan.reviewed_by) == ("utkast", None, None)
    # The history records who took it back.
    last = plan.history.order_by("-history_date", "-history_id").first()
    assert (last.status, last.history_user) == ("utkast", vc)
    assert plan.activities.filter(title="Extra aktivitet efter inlämning").exists()
    client.post(
        reverse("programmes:activity_plan_submit", args=[programme_area.pk, org_tree.vo1.pk])
    )
    plan.refresh_from_db()
    assert plan.status == SUBMITTED


@pytest.mark.parametrize(
    "role", ["vec", "other_vc", "programme_owner", "portfolio_owner", "no_role_user"]
)
def test_only_those_who_write_the_plan_take_it_back(
    request: pytest.FixtureRequest,
    org_tree: OrgTree,
    programme_area: ProgrammeArea,
    role: str,
) -> None:
    if role == "other_vc":
        user = UserFactory(username="vc2", role=Role.HEAD_OF_AREA, role__unit=org_tree.vo2)
    else:
        user = request.getfixturevalue(role)
    plan = plan_with(SUBMITTED, org_tree.vo1, programme_area)
    before = snapshot(plan)

    response = login(user).post(
        reverse("programmes:activity_plan_withdraw", args=[programme_area.pk, org_tree.vo1.pk])
    )
    with pytest.raises(PermissionDenied):
        services.activity_plan_withdraw(user=user, plan=plan)

    assert response.status_code == 403
    assert snapshot(plan) == before


def test_an_approved_plan_is_not_taken_back_by_the_vo(
    vc: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    plan = plan_with(ACCEPTED, org_tree.vo1, programme_area)
    before = snapshot(plan)
    client = login(vc)

    page = client.get(page_url(plan)).content.decode()
    response = client.post(
        reverse("programmes:activity_plan_withdraw", args=[programme_area.pk, org_tree.vo1.pk])
    )

    assert "Ta tillbaka" not in page
    assert messages_of(response) == [
        "Bara en inlämnad plan som inte har granskats kan tas tillbaka; den här har status "
        "”Godkänd”. Inget har ändrats."
    ]
    with pytest.raises(PermissionDenied):
        services.activity_plan_update(user=vc, plan=plan, data={"status": "utkast"})
    assert snapshot(plan) == before


@pytest.mark.parametrize("status", LOCKED)
@pytest.mark.parametrize("role", ["vc", "strategist"])
def test_the_admin_keeps_a_locked_plan_and_its_activities_as_they_are(
    request: pytest.FixtureRequest,
    org_tree: OrgTree,
    programme_area: ProgrammeArea,
    role: str,
    status: str,
) -> None:
    plan = plan_with(status, org_tree.vo1, programme_area)
    client = login(request.getfixturevalue(role), staff=True)
    url = f"/admin/programmes/activityplan/{plan.pk}/change/"
    before = snapshot(plan)

    page = client.get(url)
    response = admin_post(client, url, comment="Ändrad i admin")

    inline = page.context["inline_admin_formsets"][0]
    assert not inline.has_add_permission
    assert not inline.has_change_permission
    assert not inline.has_delete_permission
    assert response.status_code == 200
    assert any(SUBMITTED_LOCKED in m or ACCEPTED_LOCKED in m for m in form_errors(response))
    assert snapshot(plan) == before


def test_a_history_revert_does_not_change_a_submitted_plan(
    vc: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    plan = ActivityPlanFactory(unit=org_tree.vo1, programme_area=programme_area, comment="Gammal")
    ActivityFactory(plan=plan)
    services.activity_plan_update(user=vc, plan=plan, data={"comment": "Ny"})
    services.activity_plan_update(user=vc, plan=plan, data={"status": SUBMITTED})
    old = plan.history.order_by("history_date", "history_id").first()
    client = login(vc, staff=True)
    url = f"/admin/programmes/activityplan/{plan.pk}/history/{old.history_id}/"
    before = snapshot(plan)

    page = client.get(url)
    response = client.post(url, admin_form_data(page, status=SUBMITTED))

    assert response.status_code == 200
    assert any(SUBMITTED_LOCKED in m for m in form_errors(response))
    assert snapshot(plan) == before


# --- a VEC reads the VO's plans; the VO's VC writes them ---------------------------------------


def test_a_vec_sees_the_plans_of_their_vo_read_only_not_their_own_units_unstarted_plans(
    vec: User,
    vc: User,
    org_tree: OrgTree,
    programme_area: ProgrammeArea,
    other_programme_area: ProgrammeArea,
) -> None:
    plan = plan_with(SUBMITTED, org_tree.vo1, programme_area)
    client = login(vec)

    listed = html.unescape(client.get(reverse("programmes:activity_plans")).content.decode())
    mine = listed.split(f'id="plans-{org_tree.vo1.pk}"')[1].split("</section>")[0]
    page = html.unescape(client.get(page_url(plan)).content.decode())
    unstarted = reverse("programmes:activity_plan", args=[other_programme_area.pk, org_tree.vo1.pk])

    # Their VO's plans, not "Ej påbörjad" plans of their own health centre.
    assert f'id="plans-{org_tree.hc1a.pk}"' not in listed
    assert f'<a href="{page_url(plan)}">' in mine
    assert "Inlämnad" in mine
    assert "verksamhetschefen för VO 1 skriver och skickar in dem" in mine.replace(
        org_tree.vo1.name, "VO 1"
    )
    assert "Ingen plan begärd" in mine  # PO 2 asks for no plan
    assert unstarted not in mine  # nothing to read there, and not theirs to start
    assert client.get(unstarted).status_code == 403
    # The plan reads, without a way to change it.
    assert "Teamrond på alla HC" in page
    assert "Ta tillbaka" not in page
    assert "Lägg till aktivitet" not in page
    # The VC's list is unchanged: their VO, each plan a link.
    vcs = html.unescape(login(vc).get(reverse("programmes:activity_plans")).content.decode())
    assert unstarted in vcs.split(f'id="plans-{org_tree.vo1.pk}"')[1].split("</section>")[0]


def test_a_vec_writes_no_activity_plan_on_any_entry(
    vec: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    """A plan is the VO's (each VO submits one; its VECs take part): not the VEC's to write,
    neither the VO's nor one of their own unit."""
    draft = plan_with(ActivityPlan.Status.DRAFT, org_tree.vo1, programme_area)
    before = snapshot(draft)
    client = login(vec, staff=True)
    own_unit = reverse("programmes:activity_plan", args=[programme_area.pk, org_tree.hc1a.pk])

    assert not vec.has_perm("programmes.add_activityplan")
    assert not vec.has_perm("programmes.change_activityplan", draft)
    with pytest.raises(PermissionDenied):
        services.activity_plan_create(
            user=vec, plan=ActivityPlan(unit=org_tree.hc1a, programme_area=programme_area)
        )
    with pytest.raises(PermissionDenied):
        services.activity_create(user=vec, activity=Activity(plan=draft, title="VEC:s egen"))
    assert client.get(own_unit).status_code == 403
    posted = client.post(page_url(draft), {"title": "VEC:s egen", "status": "planerad"})
    assert posted.status_code == 403
    admin_add = client.get("/admin/programmes/activityplan/add/")
    assert admin_add.status_code == 403
    assert snapshot(draft) == before
    assert not ActivityPlan.objects.filter(unit=org_tree.hc1a).exists()
