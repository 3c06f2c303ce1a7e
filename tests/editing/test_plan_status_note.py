"""An activity's status description ("Lägesbeskrivning"): why it is "Pågår" or "Inställd",
written with the status by those who report the status (on an approved plan too), refused
for everyone else and when too long, recorded in the history, merged like the status when two
people save at once, and shown where the status is: the plan's page and the area's timeline."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from base.editing import history_page
from organisation.models import Role
from programmes import services
from programmes.models import (
    ERROR_STATUS_NOTE_TOO_LONG,
    STATUS_NOTE_MAX_LENGTH,
    Activity,
    ActivityPlan,
    ProgrammeArea,
)
from tests.admin_forms import admin_form_data
from tests.factories import ActivityFactory, ActivityPlanFactory, OrgTree, UserFactory

pytestmark = pytest.mark.django_db

ACCEPTED = ActivityPlan.Status.ACCEPTED
NOTE = "Försenad: två sjuksköterskor saknas, ny start i mars."
HELP = "Hur går det? Skriv kort vad som är gjort, vad som hindrar och vad som händer härnäst."
TOO_LONG = str(ERROR_STATUS_NOTE_TOO_LONG) % {"length": STATUS_NOTE_MAX_LENGTH + 1}


@pytest.fixture
def other_vc(org_tree: OrgTree) -> User:
    """Verksamhetschef of VO 2: reports VO 2's activities, not VO 1's."""
    return UserFactory(username="vc2", role=Role.HEAD_OF_AREA, role__unit=org_tree.vo2)


def plan_of(org_tree: OrgTree, area: ProgrammeArea, status: str = ACCEPTED) -> ActivityPlan:
    plan = ActivityPlanFactory(unit=org_tree.vo1, programme_area=area, status=status)
    ActivityFactory(plan=plan, title="Teamrond på alla HC")
    return plan


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def edit_url(activity: Activity) -> str:
    return reverse("programmes:activity_edit", args=[activity.pk])


def plan_url(plan: ActivityPlan) -> str:
    return reverse("programmes:activity_plan", args=[plan.programme_area_id, plan.unit_id])


def text_of(response: Any) -> str:
    return html.unescape(response.content.decode())


def stored(activity: Activity) -> tuple[Any, ...]:
    """What a reader sees of the activity, with its version and history."""
    row = Activity.objects.values_list("status", "status_note", "title", "version").get(
        pk=activity.pk
    )
    return (*row, activity.history.count())


def test_the_vc_reports_status_and_note_on_an_approved_plan_and_the_history_records_it(
    vc: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    plan = plan_of(org_tree, programme_area)
    activity = plan.activities.get()
    client = login(vc)

    form = client.get(edit_url(activity))
    response = client.post(
        edit_url(activity),
        {
            "title": "Omdöpt",
            "status": Activity.Status.ONGOING,
            "status_note": f"  {NOTE}\nNästa steg: rekrytering.  ",
            "version": activity.version,
        },
    )

    page = text_of(form)
    assert "Lägesbeskrivning" in page
    assert HELP in page
    assert 'name="status_note"' in page
    assert 'name="title"' not in page
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.title == "Teamrond på alla HC"
    assert activity.status == Activity.Status.ONGOING
    assert activity.status_note == f"{NOTE}\nNästa steg: rekrytering."
    latest = activity.history.first()
    assert latest is not None
    assert latest.history_user == vc
    assert latest.status_note == activity.status_note
    _page, lines = history_page(activity, None)
    labels = {change.label: change.new for change in lines[0].changes}
    assert labels["Lägesbeskrivning"] == activity.status_note
    assert labels["Status"] == "Pågår"
    history = text_of(client.get(edit_url(activity)))
    assert "Lägesbeskrivning" in history[history.index('id="history-activity-') :]


def test_the_note_is_written_with_a_draft_plans_activity_too(
    vc: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    plan = plan_of(org_tree, programme_area, status=ActivityPlan.Status.DRAFT)
    activity = plan.activities.get()

    response = login(vc).post(
        edit_url(activity),
        {
            "title": "Teamrond på alla HC",
            "responsible": "VC",
            "status": Activity.Status.CANCELLED,
            "status_note": "Ersätts av en gemensam utbildning i regionen.",
            "version": activity.version,
        },
    )

    assert response.status_code == 302
    activity.refresh_from_db()
    assert (activity.status, activity.status_note) == (
        Activity.Status.CANCELLED,
        "Ersätts av en gemensam utbildning i regionen.",
    )


@pytest.mark.parametrize("role", ["other_vc", "steering_member"])
def test_whoever_may_not_report_the_status_may_not_write_the_note(
    request: pytest.FixtureRequest, org_tree: OrgTree, programme_area: ProgrammeArea, role: str
) -> None:
    user = request.getfixturevalue(role)
    plan = plan_of(org_tree, programme_area)
    activity = plan.activities.get()
    before = stored(activity)
    client = login(user)

    form = client.get(edit_url(activity))
    posted = client.post(
        edit_url(activity),
        {"status": Activity.Status.CANCELLED, "status_note": NOTE, "version": activity.version},
    )
    page = text_of(client.get(plan_url(plan)))
    with pytest.raises(PermissionDenied):
        services.activity_update(user=user, activity=activity, data={"status_note": NOTE})

    assert form.status_code == 403
    assert posted.status_code == 403
    assert "Rapportera status" not in page
    assert stored(activity) == before


def test_a_too_long_note_is_refused_with_its_length_and_nothing_is_written(
    vc: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    plan = plan_of(org_tree, programme_area)
    activity = plan.activities.get()
    before = stored(activity)
    client = login(vc)

    response = client.post(
        edit_url(activity),
        {
            "status": Activity.Status.ONGOING,
            "status_note": "x" * (STATUS_NOTE_MAX_LENGTH + 1),
            "version": activity.version,
        },
    )
    with pytest.raises(ValidationError, match="högst 1 000 tecken"):
        services.activity_update(
            user=vc, activity=activity, data={"status_note": "x" * (STATUS_NOTE_MAX_LENGTH + 1)}
        )

    assert response.status_code == 422
    assert TOO_LONG in text_of(response)
    assert TOO_LONG.startswith("Lägesbeskrivningen får vara högst 1 000 tecken, den har 1001.")
    # What the user wrote stays in the form, to shorten.
    assert "x" * (STATUS_NOTE_MAX_LENGTH + 1) in text_of(response)
    assert stored(activity) == before
    # The longest allowed note is saved.
    activity.refresh_from_db()
    saved = client.post(
        edit_url(activity),
        {"status": "pagar", "status_note": "x" * STATUS_NOTE_MAX_LENGTH, "version": 1},
    )
    assert saved.status_code == 302
    assert len(Activity.objects.get(pk=activity.pk).status_note) == STATUS_NOTE_MAX_LENGTH


def test_the_note_shows_under_the_status_on_the_plan_and_the_areas_timeline(
    vc: User,
    steering_member: User,
    org_tree: OrgTree,
    programme_area: ProgrammeArea,
) -> None:
    plan = plan_of(org_tree, programme_area)
    noted = plan.activities.get()
    services.activity_update(
        user=vc,
        activity=noted,
        data={"status": Activity.Status.ONGOING, "status_note": f"{NOTE}\nAndra raden."},
    )
    ActivityFactory(plan=plan, title="Utan beskrivning")
    reader = login(steering_member)

    plan_page = text_of(reader.get(plan_url(plan)))
    area_page = text_of(reader.get(reverse("programme_area_detail", kwargs={"number": 1})))

    row = plan_page[plan_page.index("Teamrond på alla HC</th>") :]
    row = row[: row.index("</tr>")]
    assert 'Pågår<p class="status-note">' in row
    assert f"{NOTE}<br>Andra raden." in row
    empty_row = plan_page[plan_page.index("Utan beskrivning</th>") :]
    empty_row = empty_row[: empty_row.index("</tr>")]
    assert "status-note" not in empty_row
    assert "Lägesbeskrivning" not in empty_row
    timeline = area_page[area_page.index("Tidslinje") :]
    assert "Aktivitet (VO Norr): Teamrond på alla HC" in timeline
    assert '<span class="timeline-status">(Pågår)</span>' in timeline
    assert f"{NOTE}<br>Andra raden." in timeline
    assert timeline.count('class="status-note"') == 1


def test_two_people_saving_status_and_note_at_once_merge_or_meet_a_conflict(
    vc: User, strategist: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    """Both open the form at the same version: the one who changed only the note keeps the
    other's status (and is told); two different notes are the user's question, nothing saved."""
    plan = plan_of(org_tree, programme_area)
    activity = plan.activities.get()
    opened = activity.version
    vc_client, strategist_client = login(vc), login(strategist)

    first = vc_client.post(
        edit_url(activity),
        {"status": Activity.Status.ONGOING, "status_note": "", "version": opened},
    )
    second = strategist_client.post(
        edit_url(activity),
        {"status": Activity.Status.PLANNED, "status_note": NOTE, "version": opened},
        follow=True,
    )

    assert first.status_code == 302
    assert second.status_code == 200
    activity.refresh_from_db()
    assert (activity.status, activity.status_note) == (Activity.Status.ONGOING, NOTE)
    messages = [str(message) for message in second.context["messages"]]
    assert any("”Status”" in message and "finns kvar" in message for message in messages)

    # Now both write a note from the same version, differently: a conflict on the note alone.
    opened = activity.version
    vc_client.post(
        edit_url(activity),
        {"status": "pagar", "status_note": "Försenad till april.", "version": opened},
    )
    before = stored(activity)
    clash = strategist_client.post(
        edit_url(activity),
        {"status": "pagar", "status_note": "Försenad till maj.", "version": opened},
    )

    assert clash.status_code == 409
    conflict = clash.context["conflict"]
    assert [(f.label, f.mine, f.theirs) for f in conflict.fields] == [
        ("Lägesbeskrivning", "Försenad till maj.", "Försenad till april.")
    ]
    assert stored(activity) == before
    # "Spara mina ändringar" overwrites the version the conflict showed.
    kept = strategist_client.post(
        edit_url(activity),
        {
            "status": "pagar",
            "status_note": "Försenad till maj.",
            "version": opened,
            "keep_mine": "1",
            "overwrite_version": conflict.version,
        },
    )
    assert kept.status_code == 302
    assert Activity.objects.get(pk=activity.pk).status_note == "Försenad till maj."


def test_the_admin_inline_writes_a_draft_plans_note_through_the_service(
    strategist: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    plan = plan_of(org_tree, programme_area, status=ActivityPlan.Status.DRAFT)
    activity = plan.activities.get()
    client = login(strategist)
    url = f"/admin/programmes/activityplan/{plan.pk}/change/"

    page = client.get(url)
    data = admin_form_data(page, **{"activities-0-status_note": NOTE})
    response = client.post(url, data)

    assert 'name="activities-0-status_note"' in page.content.decode()
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.status_note == NOTE
    latest = activity.history.first()
    assert latest is not None
    assert latest.history_user == strategist
