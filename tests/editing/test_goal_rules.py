"""The rules of a goal's tree and dates on every entry that writes a goal: the edit page, the
dashboards' inline form, the admin's change form, its milestone rows and history revert, and
the service. A milestone lies under a goal of its own area and is due no later than it; a
deadline in a quarter whose report is closed stays; a moved deadline's reason is refused, not
cut, beyond what the history keeps; a deadline outside the phase is saved with a note."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from followup.models import QuarterReport
from goals import services
from goals.models import Goal
from programmes.models import ProgrammeArea
from tests.admin_forms import admin_form_data, admin_post, form_errors
from tests.editing.test_goal_pages import form_data
from tests.factories import GoalFactory, OrgTree

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
GOAL_DEADLINE = datetime.date(2031, 6, 30)
LATE = datetime.date(2032, 12, 31)
AFTER_GOAL = "Delmålets måldatum kan inte vara efter målets (30 jun 2031)."


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def inline_url(goal: Goal) -> str:
    return reverse("goal_inline_edit", kwargs={"code": goal.code}) + "?vy=omrade"


def page_entries(goal: Goal) -> list[tuple[str, dict[str, str]]]:
    """The edit page (without JavaScript) and the dashboards' inline form (over htmx)."""
    return [(reverse("goals:goal_edit", args=[goal.pk]), {}), (inline_url(goal), HTMX)]


def errors_of(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]


@pytest.fixture
def goal(programme_area: ProgrammeArea) -> Goal:
    return GoalFactory(programme_area=programme_area, title="Teamrond", deadline=GOAL_DEADLINE)


@pytest.fixture
def milestone(goal: Goal) -> Goal:
    return GoalFactory(
        programme_area=goal.programme_area,
        parent=goal,
        title="Hälften av HC",
        deadline=datetime.date(2026, 12, 31),
    )


@pytest.fixture
def foreign_goal(other_programme_area: ProgrammeArea) -> Goal:
    return GoalFactory(programme_area=other_programme_area, title="Riskbedömning")


# --- 1. a milestone lies under a goal of its own programme area ------------------------------


def test_the_admin_refuses_a_parent_in_another_area_and_does_not_offer_one(
    strategist: User, milestone: Goal, foreign_goal: Goal
) -> None:
    client = login(strategist)
    url = f"/admin/goals/goal/{milestone.pk}/change/"
    offered = client.get(url).context["adminform"].form.fields["parent"].queryset
    assert foreign_goal not in offered
    assert milestone.parent in offered

    refused = admin_post(client, url, parent=foreign_goal.pk)

    assert refused.status_code == 200
    assert form_errors(refused) == [
        "Välj ett överordnat mål i samma programområde som delmålet (bara de erbjuds här)."
    ]
    assert Goal.objects.get(pk=milestone.pk).parent_id == milestone.parent_id
    assert milestone.history.count() == 1


def test_the_service_and_the_model_refuse_a_parent_in_another_area(
    strategist: User, milestone: Goal, foreign_goal: Goal
) -> None:
    milestone.parent = foreign_goal
    with pytest.raises(ValidationError) as refusal:
        services.goal_update(user=strategist, goal=milestone)

    assert refusal.value.message_dict["parent"] == [
        "Det överordnade målet hör till PO 2. Prevention, men delmålet till PO 1. Teamarbete. "
        "Ett delmål ligger alltid under ett mål i samma programområde: välj ett mål i "
        "PO 1. Teamarbete."
    ]
    assert Goal.objects.get(pk=milestone.pk).parent_id != foreign_goal.pk


def test_an_admin_milestone_row_cannot_move_to_another_area(
    strategist: User, milestone: Goal, other_programme_area: ProgrammeArea
) -> None:
    client = login(strategist)
    url = f"/admin/goals/goal/{milestone.parent_id}/change/"
    page = client.get(url)
    prefix = page.context["inline_admin_formsets"][0].formset.prefix

    response = client.post(
        url, admin_form_data(page, **{f"{prefix}-0-programme_area": other_programme_area.pk})
    )

    assert response.status_code == 200
    assert "samma programområde" in response.content.decode()
    assert Goal.objects.get(pk=milestone.pk).programme_area_id == milestone.programme_area_id


def test_an_admin_revert_to_a_version_under_another_areas_goal_is_refused(
    strategist: User, milestone: Goal, foreign_goal: Goal
) -> None:
    # A version from before the rule: written without validation, then put right.
    own_parent = milestone.parent
    milestone.parent = foreign_goal
    milestone.save()
    wrong = milestone.history.latest()
    milestone.parent = own_parent
    milestone.save()
    client = login(strategist)
    url = f"/admin/goals/goal/{milestone.pk}/history/{wrong.history_id}/"

    response = client.post(url, admin_form_data(client.get(url)))

    assert response.status_code == 200
    assert Goal.objects.get(pk=milestone.pk).parent_id == own_parent.pk


def test_a_goal_with_milestones_cannot_move_to_another_area(
    strategist: User, milestone: Goal, other_programme_area: ProgrammeArea
) -> None:
    response = admin_post(
        login(strategist),
        f"/admin/goals/goal/{milestone.parent_id}/change/",
        programme_area=other_programme_area.pk,
    )
    assert any("dess delmål (”Hälften av HC”)" in error for error in form_errors(response))
    assert Goal.objects.get(pk=milestone.parent_id).programme_area_id != other_programme_area.pk


# --- 2. a milestone is due no later than its goal; the phase is a note -----------------------


def test_a_milestone_due_after_its_goal_is_refused_on_the_pages(
    strategist: User, milestone: Goal
) -> None:
    client = login(strategist)
    for url, headers in page_entries(milestone):
        data = form_data(milestone, deadline=LATE.isoformat(), deadline_reason="Försenat")
        response = client.post(url, data, **headers)

        assert response.status_code == 422, url
        assert AFTER_GOAL in errors_of(response)
    assert Goal.objects.get(pk=milestone.pk).deadline == datetime.date(2026, 12, 31)


def test_a_new_milestone_due_after_its_goal_is_refused(strategist: User, goal: Goal) -> None:
    url = reverse("goals:goal_create", args=[goal.programme_area_id])
    data = {
        **form_data(goal, title="Sent delmål", deadline=LATE.isoformat(), version=0),
        "overordnat": goal.pk,
        "submit_token": "sent",
    }
    response = login(strategist).post(url, data)

    assert response.status_code == 422
    assert AFTER_GOAL in errors_of(response)
    assert not Goal.objects.filter(title="Sent delmål").exists()


def test_the_admin_and_the_service_refuse_a_milestone_due_after_its_goal(
    strategist: User, milestone: Goal
) -> None:
    client = login(strategist)
    refused = admin_post(
        client,
        f"/admin/goals/goal/{milestone.pk}/change/",
        deadline=LATE,
        deadline_reason="Försenat",
    )
    assert AFTER_GOAL in form_errors(refused)

    url = f"/admin/goals/goal/{milestone.parent_id}/change/"
    page = client.get(url)
    prefix = page.context["inline_admin_formsets"][0].formset.prefix
    row = client.post(
        url,
        admin_form_data(
            page, **{f"{prefix}-0-deadline": LATE, f"{prefix}-0-deadline_reason": "Försenat"}
        ),
    )
    assert AFTER_GOAL in row.content.decode()

    milestone.deadline = LATE
    with pytest.raises(ValidationError) as refusal:
        services.goal_update(user=strategist, goal=milestone, deadline_reason="Försenat")
    assert refusal.value.message_dict["deadline"] == [AFTER_GOAL]
    assert Goal.objects.get(pk=milestone.pk).deadline == datetime.date(2026, 12, 31)


def test_a_goals_deadline_cannot_move_before_its_milestones_and_says_which(
    strategist: User, milestone: Goal
) -> None:
    goal = milestone.parent
    response = login(strategist).post(
        reverse("goals:goal_edit", args=[goal.pk]),
        form_data(goal, deadline="2026-06-30", deadline_reason="Tidigare klart"),
    )

    assert response.status_code == 422
    assert (
        "Målets måldatum kan inte vara före delmålens: ”Hälften av HC” 31 dec 2026."
        in errors_of(response)
    )
    assert Goal.objects.get(pk=goal.pk).deadline == GOAL_DEADLINE


def test_a_deadline_outside_the_phase_is_saved_with_a_note_before_and_after(
    strategist: User, goal: Goal
) -> None:
    client = login(strategist)
    url = reverse("goals:goal_edit", args=[goal.pk])
    form = client.get(url).content.decode()
    assert "Fas 2: göra, lära, bredda pågår 1 jan 2025 – 31 dec 2027." in form

    saved = client.post(
        url,
        form_data(goal, deadline="2030-12-31", deadline_reason="Planens mål för 2030"),
        follow=True,
    )

    assert Goal.objects.get(pk=goal.pk).deadline == datetime.date(2030, 12, 31)
    body = saved.content.decode()
    assert "Ändringarna är sparade." in body
    assert (
        "Måldatumet 31 dec 2030 ligger utanför Fas 2: göra, lära, bredda "
        "(1 jan 2025 – 31 dec 2027)." in body
    )


# --- 3. a moved deadline's reason is refused, not cut -----------------------------------------

# The reviewer's reason: 104 characters, 4 more than the history's column holds.
LONG_REASON = (
    "Upphandlingen av journalmallen är försenad och beslutet om införande tas av "
    "regionstyrelsen i mars 2026."
)


def test_the_reason_field_is_a_textarea_that_says_its_limit_and_does_not_cut(
    strategist: User, goal: Goal
) -> None:
    page = login(strategist).get(reverse("goals:goal_edit", args=[goal.pk])).content.decode()
    assert '<textarea name="deadline_reason"' in page
    assert "högst 100 tecken" in page
    # A maxlength would make the browser cut a pasted reason without a word.
    assert 'maxlength="100"' not in page.split('name="deadline_reason"')[1].split(">")[0]


def test_a_reason_too_long_for_the_history_is_refused_on_every_entry(
    strategist: User, goal: Goal
) -> None:
    reason = LONG_REASON
    assert len(reason) == 104
    message = "Skälet är 104 tecken: skriv det med högst 100 tecken. Inget har sparats."
    client = login(strategist)
    for url, headers in page_entries(goal):
        response = client.post(
            url, form_data(goal, deadline="2031-09-30", deadline_reason=reason), **headers
        )
        assert response.status_code == 422, url
        assert message in errors_of(response)

    admin = admin_post(
        client,
        f"/admin/goals/goal/{goal.pk}/change/",
        deadline=datetime.date(2031, 9, 30),
        deadline_reason=reason,
    )
    assert message in form_errors(admin)

    goal.deadline = datetime.date(2031, 9, 30)
    with pytest.raises(ValidationError) as refusal:
        services.goal_update(user=strategist, goal=goal, deadline_reason=reason)
    assert refusal.value.message_dict == {"deadline_reason": [message]}

    stored = Goal.objects.get(pk=goal.pk)
    assert stored.deadline == GOAL_DEADLINE
    assert stored.history.count() == 1


def test_a_reason_of_exactly_100_characters_is_stored_whole(strategist: User, goal: Goal) -> None:
    reason = ("Försenat beslut " * 7)[:100]
    response = login(strategist).post(
        reverse("goals:goal_edit", args=[goal.pk]),
        form_data(goal, deadline="2031-09-30", deadline_reason=reason),
    )
    assert response.status_code == 302
    assert goal.history.latest().history_change_reason == reason.strip()


# --- 4. a deadline in a closed quarter stays ---------------------------------------------------

APPROVED_Q4 = (
    "Måldatumet 31 dec 2025 kan inte flyttas: det ligger i Kv 4 2025, och kvartalsrapporten för "
    "Kv 4 2025 är godkänd. Rapporten ska visa målet som det var. Skapa i stället ett nytt "
    "delmål med det nya måldatumet."
)


@pytest.fixture
def due_in_q4(org_tree: OrgTree, programme_area: ProgrammeArea) -> Goal:
    QuarterReport.objects.create(
        organisation=org_tree.region, quarter="2025Q4", status=QuarterReport.Status.APPROVED
    )
    return GoalFactory(
        programme_area=programme_area, title="Teamrond 50 %", deadline=datetime.date(2025, 12, 31)
    )


def test_a_deadline_in_an_approved_quarter_cannot_move_on_any_entry(
    programme_owner: User, strategist: User, due_in_q4: Goal
) -> None:
    data = form_data(due_in_q4, deadline="2026-02-28", deadline_reason="Försenat")
    client = login(programme_owner)
    for url, headers in page_entries(due_in_q4):
        response = client.post(url, data, **headers)
        assert response.status_code == 422, url
        assert APPROVED_Q4 in errors_of(response)

    admin = admin_post(
        login(strategist),
        f"/admin/goals/goal/{due_in_q4.pk}/change/",
        deadline=datetime.date(2026, 2, 28),
        deadline_reason="Försenat",
    )
    assert APPROVED_Q4 in form_errors(admin)

    due_in_q4.deadline = datetime.date(2026, 2, 28)
    with pytest.raises(ValidationError) as refusal:
        services.goal_update(user=programme_owner, goal=due_in_q4, deadline_reason="Försenat")
    assert refusal.value.message_dict["deadline"] == [APPROVED_Q4]
    assert Goal.objects.get(pk=due_in_q4.pk).deadline == datetime.date(2025, 12, 31)


def test_an_admin_revert_cannot_move_a_deadline_out_of_a_closed_quarter(
    strategist: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    goal = GoalFactory(programme_area=programme_area, deadline=datetime.date(2026, 3, 31))
    old = goal.history.latest()
    goal.deadline = datetime.date(2025, 12, 31)
    goal.save()  # moved before the report was closed
    QuarterReport.objects.create(
        organisation=org_tree.region, quarter="2025Q4", status=QuarterReport.Status.CLOSED
    )
    client = login(strategist)
    url = f"/admin/goals/goal/{goal.pk}/history/{old.history_id}/"

    response = client.post(url, admin_form_data(client.get(url), deadline_reason="Tillbaka"))

    assert response.status_code == 200
    assert "kvartalsrapporten för Kv 4 2025 är fastställd" in response.content.decode()
    assert Goal.objects.get(pk=goal.pk).deadline == datetime.date(2025, 12, 31)


def test_other_fields_of_a_goal_due_in_a_closed_quarter_can_still_change(
    programme_owner: User, due_in_q4: Goal
) -> None:
    response = login(programme_owner).post(
        reverse("goals:goal_edit", args=[due_in_q4.pk]),
        form_data(due_in_q4, description="Beslutat i styrgruppen."),
    )
    assert response.status_code == 302
    assert Goal.objects.get(pk=due_in_q4.pk).description == "Beslutat i styrgruppen."


# --- 5. the kind is chosen, not preselected ---------------------------------------------------


def test_the_create_form_preselects_no_kind_and_asks_for_one(
    strategist: User, programme_area: ProgrammeArea
) -> None:
    client = login(strategist)
    url = reverse("goals:goal_create", args=[programme_area.pk])
    page = client.get(url).content.decode()
    assert '<option value="" selected>Välj typ</option>' in page
    assert "selected>Leverans" not in page

    response = client.post(
        url, {"title": "Utan typ", "deadline": "2026-12-31", "version": 0, "submit_token": "x"}
    )

    assert response.status_code == 422
    assert "Välj typ av mål." in response.content.decode()
    assert not Goal.objects.filter(title="Utan typ").exists()


# --- 6. new goals come last; goals are reordered in their area --------------------------------


def test_a_new_goal_and_milestone_come_last_among_their_siblings(
    strategist: User, milestone: Goal
) -> None:
    goal = milestone.parent
    Goal.objects.filter(pk=goal.pk).update(order=3)
    Goal.objects.filter(pk=milestone.pk).update(order=2)
    client = login(strategist)
    url = reverse("goals:goal_create", args=[goal.programme_area_id])
    base = {"kind": "deliverable", "deadline": "2026-06-30", "version": 0}
    client.post(url, {**base, "title": "Nytt mål", "submit_token": "a"})
    client.post(url, {**base, "title": "Nytt delmål", "overordnat": goal.pk, "submit_token": "b"})

    assert Goal.objects.get(title="Nytt mål").order == 4
    assert Goal.objects.get(title="Nytt delmål").order == 3
    area = client.get(reverse("goals:area", args=[goal.programme_area_id]))
    assert [g.title for g in area.context["goals"]] == ["Teamrond", "Nytt mål"]


def test_goals_are_moved_up_and_down_in_their_area_with_history(
    programme_owner: User, goal: Goal
) -> None:
    second = GoalFactory(programme_area=goal.programme_area, title="Andra målet", order=5)
    client = login(programme_owner)
    area_url = reverse("goals:area", args=[goal.programme_area_id])
    page = client.get(area_url).content.decode()
    assert f'action="{reverse("goals:goal_move", args=[second.pk])}"' in page
    assert "Flytta upp<span" in page

    response = client.post(
        reverse("goals:goal_move", args=[second.pk]), {"riktning": "upp"}, follow=True
    )

    # Back at the moved goal, whose button keeps the focus.
    assert (
        response.redirect_chain[0][0]
        == f"{area_url}?flyttad={second.pk}&riktning=upp#goal-{second.pk}"
    )
    assert "Ordningen är sparad." in response.content.decode()
    top = list(Goal.objects.top_level().filter(programme_area=goal.programme_area))
    assert top == [second, goal]
    assert second.history.latest().history_user == programme_owner


def test_a_goal_of_another_area_cannot_be_moved(programme_owner: User, foreign_goal: Goal) -> None:
    GoalFactory(programme_area=foreign_goal.programme_area, order=9)
    response = login(programme_owner).post(
        reverse("goals:goal_move", args=[foreign_goal.pk]), {"riktning": "ned"}
    )
    assert response.status_code == 403
    assert foreign_goal.history.count() == 1


# --- 7. the full edit page goes back to `next` ------------------------------------------------


def test_the_full_edit_page_saved_over_htmx_goes_to_next(strategist: User, goal: Goal) -> None:
    area_url = reverse("goals:area", args=[goal.programme_area_id])
    edit_url = reverse("goals:goal_edit", args=[goal.pk]) + f"?next={area_url}"
    client = login(strategist)
    headers = {**HTMX, "HTTP_HX_CURRENT_URL": f"http://testserver{edit_url}"}

    response = client.post(edit_url, {**form_data(goal, title="Ny"), "next": area_url}, **headers)

    assert response["HX-Redirect"] == area_url
    assert "Ändringarna är sparade." in client.get(area_url).content.decode()


def test_the_full_edit_page_ignores_a_next_to_another_site(strategist: User, goal: Goal) -> None:
    response = login(strategist).post(
        reverse("goals:goal_edit", args=[goal.pk]),
        {**form_data(goal, title="Ny"), "next": "https://example.com/"},
    )
    assert response["Location"] == reverse("goals:goal_detail", args=[goal.pk])


# --- 8. a conflict with one's own save says so ------------------------------------------------


def test_a_conflict_with_ones_own_save_in_another_tab_says_so(strategist: User, goal: Goal) -> None:
    client = login(strategist)
    url = reverse("goals:goal_edit", args=[goal.pk])
    stale = form_data(goal, title="Från fliken")
    assert client.post(url, form_data(goal, title="Från andra fliken")).status_code == 302

    response = client.post(url, stale, **HTMX)

    assert response.status_code == 409
    body = response.content.decode()
    assert (
        "Du har själv sparat ändringar i det här målet (t.ex. i en annan flik) sedan du "
        "öppnade det." in body
    )
    assert "Ta de sparade värdena" in body
    assert "Någon annan" not in body
    assert "Ta deras värden" not in body


# --- 9. deleting: the wording, and where the removal is seen ----------------------------------


def test_a_deleted_milestone_is_shown_on_its_goal_and_a_deleted_goal_on_its_area(
    strategist: User, milestone: Goal
) -> None:
    client = login(strategist)
    goal = milestone.parent
    confirm = client.get(reverse("goals:goal_delete", args=[milestone.pk])).content.decode()
    assert "Delmålet tas bort med sina bedömningar." in confirm
    assert "delmål och bedömningar" not in confirm

    client.post(reverse("goals:goal_delete", args=[milestone.pk]))
    page = client.get(reverse("goals:goal_detail", args=[goal.pk])).content.decode()
    assert "Borttagna delmål" in page
    assert "Delmålet ”Hälften av HC” togs bort" in page
    assert f"av {strategist.get_full_name()}" in page

    client.post(reverse("goals:goal_delete", args=[goal.pk]))
    area = client.get(reverse("goals:area", args=[goal.programme_area_id])).content.decode()
    assert "Målet ”Teamrond” togs bort" in area
