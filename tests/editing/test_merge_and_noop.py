"""Saving a form opened before someone else saved: only the fields both changed differently
are a question (a three-way comparison with the version the form was opened at), and a form
sent without changes writes nothing. Also the goal form's smaller pieces: the one heading,
the moved goal keeping the focus, a milestone's start date, the working methods by area and
the warning about a start date in a closed quarter."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from followup.models import QuarterReport
from goals.models import Goal
from programmes.models import ProgrammeArea, WorkingMethod
from tests.editing.test_goal_pages import HTMX, form_data, login
from tests.factories import GoalFactory, OrgTree, UnitKindFactory, WorkingMethodFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def goal(programme_area: ProgrammeArea) -> Goal:
    return GoalFactory(
        programme_area=programme_area, title="Beslut om instrument", description="Gammal text"
    )


def test_fields_only_the_other_changed_keep_their_value(
    strategist: User, admin_user: User, goal: Goal
) -> None:
    """A changes only Beskrivning, B (form opened before) only Rubrik: both changes stay."""
    url = reverse("goals:goal_edit", args=[goal.pk])
    opened = form_data(goal)
    assert (
        login(admin_user).post(url, {**opened, "description": "Ny text från A"}).status_code == 302
    )

    response = login(strategist).post(url, {**opened, "title": "Ny rubrik från B"}, follow=True)

    assert response.status_code == 200
    body = response.content.decode()
    assert "Ändringarna är sparade." in body
    assert "Någon annan hann före" not in body
    assert f"{admin_user.get_full_name()} hade under tiden ändrat ”Beskrivning”" in body
    goal.refresh_from_db()
    assert goal.title == "Ny rubrik från B"
    assert goal.description == "Ny text från A"


def test_only_a_field_both_changed_is_the_conflict_and_keep_mine_keeps_the_others(
    strategist: User, admin_user: User, goal: Goal
) -> None:
    url = reverse("goals:goal_edit", args=[goal.pk])
    opened = form_data(goal)
    theirs = {**opened, "title": "Rubrik A", "description": "Ny text från A"}
    assert login(admin_user).post(url, theirs).status_code == 302
    mine = {**opened, "title": "Rubrik B"}

    response = login(strategist).post(url, mine, **HTMX)

    assert response.status_code == 409
    body = response.content.decode()
    table = body[body.index('class="conflict-table"') : body.index("</table>")]
    assert "Rubrik B" in table
    assert "Rubrik A" in table
    assert "Beskrivning" not in table  # only A changed it: no question
    goal.refresh_from_db()
    keep = login(strategist).post(
        url, {**mine, "keep_mine": "1", "overwrite_version": goal.version}, **HTMX
    )
    assert keep.status_code == 200
    goal.refresh_from_db()
    assert goal.title == "Rubrik B"
    assert goal.description == "Ny text från A"  # not replaced with the old text


def test_the_users_own_save_in_another_tab_is_merged_too(strategist: User, goal: Goal) -> None:
    url = reverse("goals:goal_edit", args=[goal.pk])
    opened = form_data(goal)
    tab_one, tab_two = login(strategist), login(strategist)
    assert tab_one.post(url, {**opened, "title": "Ny rubrik"}).status_code == 302

    assert tab_two.post(url, {**opened, "description": "Ny text"}).status_code == 302

    goal.refresh_from_db()
    assert (goal.title, goal.description) == ("Ny rubrik", "Ny text")


def test_an_unchanged_form_writes_nothing(strategist: User, goal: Goal) -> None:
    url = reverse("goals:goal_edit", args=[goal.pk])
    version, records = goal.version, goal.history.count()

    response = login(strategist).post(url, form_data(goal), follow=True)

    assert "Inga ändringar att spara." in response.content.decode()
    assert "Ändringarna är sparade." not in response.content.decode()
    goal.refresh_from_db()
    assert goal.version == version
    assert goal.history.count() == records
    # Another tab opened before still saves without a conflict.
    other = login(strategist).post(url, form_data(goal, title="Efteråt"), **HTMX)
    assert other.status_code == 200


def test_a_working_method_merges_and_skips_an_unchanged_save(
    programme_owner: User, admin_user: User, programme_area: ProgrammeArea
) -> None:
    """The shared save path (base.editing.versioned_save), not only the goal form's."""
    hc = UnitKindFactory(hc=True)
    method = WorkingMethodFactory(
        programme_area=programme_area, name="Teamrond", target_unit_kinds=[hc]
    )
    url = reverse("programmes:working_method_edit", args=[programme_area.pk, method.pk])
    opened = {
        "name": "Teamrond",
        "description": "",
        "direction": "infora",
        "target_unit_kinds": [hc.pk],
        "version": method.version,
    }
    client = login(programme_owner)
    unchanged = client.post(url, opened, follow=True)
    assert "Inga ändringar att spara." in unchanged.content.decode()
    assert WorkingMethod.objects.get(pk=method.pk).version == method.version

    assert client.post(url, {**opened, "description": "Så gör vi"}).status_code == 302
    assert login(admin_user).post(url, {**opened, "name": "Teamrond 2.0"}).status_code == 302

    method.refresh_from_db()
    assert (method.name, method.description) == ("Teamrond 2.0", "Så gör vi")


def test_the_edit_page_has_one_heading_with_the_stored_title(strategist: User, goal: Goal) -> None:
    url = reverse("goals:goal_edit", args=[goal.pk])
    client = login(strategist)

    refused = client.post(url, form_data(goal, title="Ny rubrik", kind="")).content.decode()

    assert re.findall(r"<h1[^>]*>([^<]*)</h1>", refused) == ["Redigera mål: Beslut om instrument"]
    assert 'class="form-title"' not in refused
    stale = form_data(goal, title="Min rubrik")
    assert login(strategist).post(url, form_data(goal, title="Deras rubrik")).status_code == 302
    conflict = client.post(url, stale)
    assert conflict.status_code == 409
    headings = re.findall(r"<h1[^>]*>([^<]*)</h1>", conflict.content.decode())
    assert headings == ["Redigera mål: Deras rubrik"]


def test_a_moved_goal_is_where_the_page_opens_with_its_button_focused(
    strategist: User, programme_area: ProgrammeArea
) -> None:
    first = GoalFactory(programme_area=programme_area, title="Första")
    second = GoalFactory(programme_area=programme_area, title="Andra")
    client = login(strategist)

    response = client.post(reverse("goals:goal_move", args=[second.pk]), {"riktning": "upp"})

    assert response.status_code == 302
    assert response["Location"].endswith(f"#goal-{second.pk}")
    page = client.get(response["Location"].split("#")[0]).content.decode()
    move = page[page.index(f'action="{reverse("goals:goal_move", args=[second.pk])}"') :]
    button = move[: move.index("</form>")]
    assert 'value="ned" autofocus' in button  # now first: "Flytta upp" is gone, "ned" has it
    assert page.count("autofocus") == 1
    assert first.title in page


def test_a_new_milestone_starts_with_its_goals_start_date(
    strategist: User, programme_area: ProgrammeArea
) -> None:
    parent = GoalFactory(programme_area=programme_area, start_date=datetime.date(2025, 4, 1))

    page = (
        login(strategist)
        .get(reverse("goals:goal_create", args=[programme_area.pk]), {"overordnat": parent.pk})
        .content.decode()
    )

    assert re.search(r'name="start_date" value="2025-04-01"', page)
    assert "Före startdatumet är statusen Ej påbörjat." in page
    assert "Lämnas det tomt räknas målet, och den förväntade takten, från programområdets" in page


def test_working_methods_are_grouped_by_area_the_goals_own_first(
    strategist: User, programme_area: ProgrammeArea, other_programme_area: ProgrammeArea
) -> None:
    WorkingMethodFactory(programme_area=other_programme_area, name="Annans metod")
    WorkingMethodFactory(programme_area=programme_area, name="Egen metod")
    goal = GoalFactory(programme_area=programme_area, adoption=True)

    page = login(strategist).get(reverse("goals:goal_edit", args=[goal.pk])).content.decode()

    groups = re.findall(r'<optgroup label="([^"]*)"', page)
    assert groups[0].endswith("– målets programområde")
    assert str(programme_area.number) in groups[0]
    assert page.index("Egen metod") < page.index("Annans metod")


def test_a_start_date_in_a_closed_quarter_is_warned_about(
    strategist: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    QuarterReport.objects.create(
        organisation=org_tree.region, quarter="2025Q4", status=QuarterReport.Status.APPROVED
    )
    goal = GoalFactory(
        programme_area=programme_area,
        start_date=datetime.date(2026, 1, 1),
        deadline=datetime.date(2026, 12, 31),
    )
    client = login(strategist)
    url = reverse("goals:goal_edit", args=[goal.pk])

    response = client.post(url, form_data(goal, start_date="2025-10-01"), follow=True)

    body = response.content.decode()
    assert (
        "Startdatumet 1 okt 2025 ligger i eller före Kv 4 2025, vars kvartalsrapport är stängd."
        in body
    )
    later = client.post(url, form_data(Goal.objects.get(pk=goal.pk), title="X"), follow=True)
    assert "vars kvartalsrapport är stängd" not in later.content.decode()


def test_a_deadline_moved_by_the_other_needs_no_reason_from_the_user(
    strategist: User, admin_user: User, goal: Goal
) -> None:
    url = reverse("goals:goal_edit", args=[goal.pk])
    opened = form_data(goal)
    moved = {**opened, "deadline": "2026-06-30", "deadline_reason": "Försenad upphandling"}
    assert login(admin_user).post(url, moved).status_code == 302

    response = login(strategist).post(url, {**opened, "title": "Ny rubrik"})

    assert response.status_code == 302
    goal.refresh_from_db()
    assert goal.title == "Ny rubrik"
    assert goal.deadline == datetime.date(2026, 6, 30)
