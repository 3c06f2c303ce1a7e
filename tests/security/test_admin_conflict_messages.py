"""How the admin says a save was refused because someone else saved first, as the user sees it.

Before, a stale inline row (a milestone on its goal's page, an activity on its plan's) said only
"Någon annan har sparat ändringar …", while the object's own conflict named who saved and when;
and every conflict came under Django's "Var god rätta felet nedan.", as if the user had typed
something wrong. Now every conflict is said by one message (base.admin.conflict_message) above
the form, naming who saved last and when, with a link to reload; Django's line stays for real
errors only.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.formats import date_format

import base.admin
from goals.models import Goal
from programmes import services as programme_services
from programmes.models import ProgrammeArea
from tests.admin_forms import (
    admin_form_data,
    admin_save,
    conflict_messages,
    error_note,
)
from tests.factories import ActivityFactory, GoalFactory, OrgTree
from tests.security.conftest import AdminClient

pytestmark = pytest.mark.django_db

DJANGO_ONE_ERROR = "Var god rätta felet nedan."
DONE = "för att se ändringarna och gör sedan om dina."


def change_url(obj: Any) -> str:
    return f"/admin/{obj._meta.app_label}/{obj._meta.model_name}/{obj.pk}/change/"


def saved_by(user: User, obj: Any) -> str:
    """ "<name> sparade ändringar <day> kl. <time>": the latest save of `obj`, by `user`."""
    latest = obj.history.order_by("-history_date", "-history_id").first()
    assert latest.history_user == user
    when = timezone.localtime(latest.history_date)
    name = user.get_full_name()
    return f"{name} sparade ändringar {date_format(when, 'j b Y')} kl. {date_format(when, 'H:i')}"


def reload_link(url: str) -> str:
    return (
        "efter att du öppnade formuläret. Ingen av dina ändringar har sparats: "
        f'<a href="{url}">öppna formuläret på nytt</a> {DONE}'
    )


def page_title(response: Any) -> str:
    html = response.content.decode()
    return html[html.index("<title>") + 7 : html.index("</title>")].strip()


@pytest.fixture
def goal_with_milestone(programme_area: ProgrammeArea) -> tuple[Goal, Goal]:
    goal = GoalFactory(programme_area=programme_area, title="Teamrond införd")
    milestone = GoalFactory(
        programme_area=programme_area, parent=goal, title="Teamrond på hälften av HC"
    )
    return goal, milestone


def test_a_stale_milestone_row_says_who_saved_it_and_when_above_the_form_and_at_the_row(
    admin_client_as: AdminClient, programme_owner: User, goal_with_milestone: tuple[Goal, Goal]
) -> None:
    goal, milestone = goal_with_milestone
    strategist = admin_client_as("strategist")
    opened = admin_form_data(
        strategist.get(change_url(goal)), **{"milestones-0-description": "Strategens text"}
    )
    # The programme owner saves the milestone meanwhile (its own change form).
    admin_save(admin_client_as("programme_owner"), change_url(milestone), description="Ägarens")

    stale = strategist.post(change_url(goal), opened)

    assert stale.status_code == 200
    message = (
        f"Delmål ”Teamrond på hälften av HC”: {saved_by(programme_owner, milestone)}, "
        + reload_link(change_url(goal))
    )
    # Above the form, alone: no "Var god rätta felet nedan." (nothing to correct).
    assert conflict_messages(stale) == [message]
    assert error_note(stale) == ""
    assert DJANGO_ONE_ERROR not in stale.content.decode()
    assert page_title(stale).startswith("Fel:")
    # And at the row itself, so the user sees which one.
    row = stale.context["inline_admin_formsets"][0].formset.forms[0]
    assert list(row.non_field_errors()) == [message]
    assert stale.content.decode().count(message) == 2
    milestone.refresh_from_db()
    assert milestone.description == "Ägarens"


def test_a_stale_activity_row_in_the_plans_table_names_the_activity_and_who(
    admin_client_as: AdminClient, admin_user: User, org_tree: OrgTree, programme_area: Any
) -> None:
    activity = ActivityFactory(
        plan__unit=org_tree.vo1, plan__programme_area=programme_area, title="Teamrond varje vecka"
    )
    url = change_url(activity.plan)
    vc = admin_client_as("vc")
    opened = admin_form_data(vc.get(url), **{"activities-0-responsible": "VEC"})
    activity.status_note = "Administratörens"
    programme_services.activity_update(user=admin_user, activity=activity)

    stale = vc.post(url, opened)

    assert stale.status_code == 200
    assert conflict_messages(stale) == [
        f"Aktivitet ”Teamrond varje vecka”: {saved_by(admin_user, activity)}, " + reload_link(url)
    ]
    assert error_note(stale) == ""
    activity.refresh_from_db()
    assert activity.responsible == "Verksamhetschef"


def test_the_objects_own_conflict_is_said_once_above_the_form_without_djangos_line(
    admin_client_as: AdminClient, programme_owner: User, goal_with_milestone: tuple[Goal, Goal]
) -> None:
    goal, _ = goal_with_milestone
    strategist = admin_client_as("strategist")
    opened = admin_form_data(strategist.get(change_url(goal)), description="Strategens")
    admin_save(admin_client_as("programme_owner"), change_url(goal), description="Ägarens")

    stale = strategist.post(change_url(goal), opened)

    assert stale.status_code == 200
    message = f"{saved_by(programme_owner, goal)}, " + reload_link(change_url(goal))
    assert conflict_messages(stale) == [message]
    assert stale.content.decode().count(message) == 1  # not again in the form's error list
    assert error_note(stale) == ""
    assert page_title(stale).startswith("Fel:")
    goal.refresh_from_db()
    assert goal.description == "Ägarens"


def test_a_conflict_beside_a_real_error_keeps_djangos_line_for_the_error(
    admin_client_as: AdminClient, programme_owner: User, goal_with_milestone: tuple[Goal, Goal]
) -> None:
    goal, milestone = goal_with_milestone
    strategist = admin_client_as("strategist")
    opened = admin_form_data(
        strategist.get(change_url(goal)),
        title="",  # required: a real error, the user's to correct
        **{"milestones-0-description": "Strategens text"},
    )
    admin_save(admin_client_as("programme_owner"), change_url(milestone), description="Ägarens")

    response = strategist.post(change_url(goal), opened)

    assert response.status_code == 200
    [conflict] = conflict_messages(response)
    assert conflict.startswith("Delmål ”Teamrond på hälften av HC”: ")
    assert error_note(response) == DJANGO_ONE_ERROR  # one error: the title, not the conflict
    assert "Detta fält måste fyllas i." in response.content.decode()
    assert page_title(response).startswith("Fel:")
    assert not page_title(response).startswith("Fel: Fel:")


def test_a_real_error_alone_is_said_as_django_says_it(
    admin_client_as: AdminClient, goal_with_milestone: tuple[Goal, Goal]
) -> None:
    goal, _ = goal_with_milestone
    strategist = admin_client_as("strategist")

    response = strategist.post(
        change_url(goal), admin_form_data(strategist.get(change_url(goal)), title="")
    )

    assert response.status_code == 200
    assert error_note(response) == DJANGO_ONE_ERROR
    assert conflict_messages(response) == []


def test_a_stale_revert_is_said_above_the_form_without_djangos_line(
    admin_client_as: AdminClient, programme_owner: User, programme_area: ProgrammeArea
) -> None:
    goal = GoalFactory(programme_area=programme_area, title="Rätt")
    first = goal.history.first()
    strategist = admin_client_as("strategist")
    url = f"/admin/goals/goal/{goal.pk}/history/{first.history_id}/"
    opened = admin_form_data(strategist.get(url))
    admin_save(admin_client_as("programme_owner"), change_url(goal), description="Ägarens")

    stale = strategist.post(url, opened)

    assert stale.status_code == 200
    assert conflict_messages(stale) == [
        f"{saved_by(programme_owner, goal)}, efter att du öppnade den här versionen. Inget har "
        f'återställts: <a href="/admin/goals/goal/{goal.pk}/history/">ladda om historiken och '
        "återställ igen</a>."
    ]
    assert error_note(stale) == ""


def test_a_row_saved_between_the_check_and_the_write_is_named_in_the_message(
    admin_client_as: AdminClient,
    programme_owner: User,
    goal_with_milestone: tuple[Goal, Goal],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    goal, milestone = goal_with_milestone
    strategist = admin_client_as("strategist")
    opened = admin_form_data(
        strategist.get(change_url(goal)), **{"milestones-0-description": "Strategens text"}
    )
    seen = milestone.version
    admin_save(admin_client_as("programme_owner"), change_url(milestone), description="Ägarens")
    # The form's check sees the version the form was opened at, as if the owner's save came
    # after it: the write itself refuses (StaleVersion), the transaction rolls back.
    stored = base.admin._stored_version
    monkeypatch.setattr(
        base.admin,
        "_stored_version",
        lambda obj: seen if obj.pk == milestone.pk else stored(obj),
    )

    response = strategist.post(change_url(goal), opened, follow=True)

    shown = [str(message) for message in response.context["messages"]]
    assert shown == [
        f"Delmål ”Teamrond på hälften av HC”: {saved_by(programme_owner, milestone)}, "
        + reload_link(change_url(goal))
    ]
    milestone.refresh_from_db()
    assert milestone.description == "Ägarens"
