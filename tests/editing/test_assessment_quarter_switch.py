"""Review findings on "Bedöm kvartalet" and the inline goal form.

1. Choosing another quarter in the form did not load that quarter's assessment: saving then
   answered "Någon annan hann före – <the user> sparade ändringar … medan du redigerade" about
   the user's own earlier save. Changing the quarter now loads it (over htmx; "Visa" without
   JavaScript), the form opens on the latest ended quarter still open, and a save for another
   quarter than the one shown is never taken for someone else's save.
3. After a validation error in the inline form, the saved block's "Redigera" led back to the
   form's own address instead of the page it was opened from.
"""

from __future__ import annotations

import datetime
import re
from urllib.parse import quote

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from base.periods import Quarter
from goals.models import Assessment, Goal
from programmes.models import ProgrammeArea
from tests.factories import AssessmentFactory, GoalFactory, GoalResultFactory, UserFactory

pytestmark = pytest.mark.django_db

CURRENT = Quarter.containing(timezone.localdate())
ENDED = CURRENT.previous()
HTMX = {"HTTP_HX_REQUEST": "true"}


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def goal(programme_area: ProgrammeArea) -> Goal:
    return GoalFactory(programme_area=programme_area, direction=True, title="Teamrond")


@pytest.fixture
def own_old_assessment(goal: Goal, programme_owner: User) -> Assessment:
    """The user's own assessment of the ended quarter, saved earlier."""
    return AssessmentFactory(
        goal=goal, quarter=ENDED.code, status="risk", comment="Sen start.", author=programme_owner
    )


def test_the_form_opens_on_the_latest_ended_quarter_with_its_assessment(
    goal: Goal, own_old_assessment: Assessment, programme_owner: User
) -> None:
    form = login(programme_owner).get(reverse("goals:goal_assess", args=[goal.pk])).context["form"]

    assert form["quarter"].value() == ENDED.code
    assert form["comment"].value() == "Sen start."
    assert form["version"].value() == own_old_assessment.version
    assert form["shown_quarter"].value() == ENDED.code


def test_changing_the_quarter_over_htmx_loads_that_quarters_assessment(
    goal: Goal, own_old_assessment: Assessment, programme_owner: User
) -> None:
    client = login(programme_owner)
    url = reverse("goals:goal_assess", args=[goal.pk])

    running = client.get(url, {"quarter": CURRENT.code}, **HTMX)
    ended = client.get(url, {"quarter": ENDED.code}, **HTMX)

    body = running.content.decode()
    assert body.lstrip().startswith('<form id="assess-form"')  # the form alone, swapped in
    assert "<h1" not in body
    assert running["HX-Push-Url"] == f"{url}?kvartal={CURRENT.code}"
    assert running.context["form"]["comment"].value() in (None, "")
    assert running.context["form"]["version"].value() == 0
    assert ended.context["form"]["comment"].value() == "Sen start."
    assert ended.context["form"]["version"].value() == own_old_assessment.version
    select = re.search(r'<select[^>]*name="quarter"[^>]*>', body)
    assert select is not None
    assert f'hx-get="{url}"' in select[0]
    assert 'hx-target="#assess-form"' in select[0]


def test_visa_without_javascript_loads_the_chosen_quarter(
    goal: Goal, own_old_assessment: Assessment, programme_owner: User
) -> None:
    client = login(programme_owner)
    url = reverse("goals:goal_assess", args=[goal.pk])

    shown = client.post(
        url,
        {"visa": "1", "quarter": ENDED.code, "shown_quarter": CURRENT.code, "version": 0},
        follow=True,
    )

    assert shown.redirect_chain == [(f"{url}?kvartal={ENDED.code}", 302)]
    assert shown.context["form"]["comment"].value() == "Sen start."
    assert Assessment.objects.get() == own_old_assessment


def test_saving_after_switching_to_a_quarter_with_own_assessment_is_no_conflict(
    goal: Goal, own_old_assessment: Assessment, programme_owner: User
) -> None:
    """The reviewer's case: the form was shown for the running quarter (version 0), the
    select changed to the ended one, which the user assessed earlier, and saved."""
    client = login(programme_owner)
    url = reverse("goals:goal_assess", args=[goal.pk])
    posted = {
        "quarter": ENDED.code,
        "shown_quarter": CURRENT.code,
        "version": 0,
        "status": "enligt_plan",
        "comment": "Nu i gång.",
    }

    switched = client.post(url, posted)

    body = switched.content.decode()
    assert switched.status_code == 200
    assert "Någon annan hann före" not in body
    assert f"{ENDED.label} har redan en bedömning" in body
    assert "Sen start." in body  # what is stored, shown beside the user's values
    form = switched.context["form"]
    assert (form["comment"].value(), form["version"].value()) == ("Nu i gång.", "1")
    assert form["shown_quarter"].value() == ENDED.code
    own_old_assessment.refresh_from_db()
    assert own_old_assessment.comment == "Sen start."

    again = client.post(url, {**posted, "shown_quarter": ENDED.code, "version": 1}, follow=True)

    assert "Bedömningen är sparad." in again.content.decode()
    own_old_assessment.refresh_from_db()
    assert (own_old_assessment.comment, own_old_assessment.version) == ("Nu i gång.", 2)


def test_switching_to_a_quarter_with_nothing_stored_saves_at_once(
    goal: Goal, programme_owner: User
) -> None:
    AssessmentFactory(goal=goal, quarter=CURRENT.code, author=programme_owner)
    response = login(programme_owner).post(
        reverse("goals:goal_assess", args=[goal.pk]),
        {
            "quarter": ENDED.code,
            "shown_quarter": CURRENT.code,
            "version": 1,
            "status": "risk",
            "comment": "Sent.",
        },
        follow=True,
    )

    assert "Bedömningen är sparad." in response.content.decode()
    assert Assessment.objects.get(quarter=ENDED.code).comment == "Sent."


def test_someone_elses_save_of_the_shown_quarter_is_still_a_conflict(
    goal: Goal, programme_owner: User
) -> None:
    client = login(programme_owner)
    url = reverse("goals:goal_assess", args=[goal.pk])
    opened = client.get(url).context["form"]
    AssessmentFactory(
        goal=goal,
        quarter=ENDED.code,
        comment="Hennes text.",
        author=UserFactory(first_name="Sara", last_name="Provberg"),
    )

    stale = client.post(
        url,
        {
            "quarter": opened["quarter"].value(),
            "shown_quarter": opened["shown_quarter"].value(),
            "version": opened["version"].value(),
            "status": "risk",
            "comment": "Min text.",
        },
    )

    assert stale.status_code == 409
    assert "Någon annan hann före" in stale.content.decode()
    assert Assessment.objects.get().comment == "Hennes text."


# --- finding 3: the inline form keeps its return address ---------------------------------------


def test_the_inline_forms_redigera_keeps_the_area_page_after_an_error_and_a_save(
    strategist: User, programme_area: ProgrammeArea
) -> None:
    goal = GoalFactory(programme_area=programme_area, direction=True)
    milestone = GoalFactory(
        programme_area=programme_area,
        parent=goal,
        direction=True,
        start_date=datetime.date(2026, 1, 1),
        title="Delmål ett",
    )
    client = login(strategist)
    area_url = reverse("goals:area", args=[programme_area.pk])
    edit_url = reverse("goals:goal_edit", args=[milestone.pk])
    area_page = client.get(area_url).content.decode()
    assert f"{edit_url}?next={quote(area_url)}" in area_page
    form = client.get(edit_url, {"next": area_url}, HTTP_HX_CURRENT_URL=area_url, **HTMX)
    data = {
        "next": form.context["next"],
        "version": milestone.version,
        "title": "Delmål ett",
        "description": "",
        "kind": "direction",
        "start_date": "2026-01-01",
        "deadline": "2025-12-31",
    }

    error = client.post(edit_url, data, HTTP_HX_CURRENT_URL=area_url, **HTMX)
    assert error.status_code == 422
    assert "Måldatum kan inte vara före startdatum." in error.content.decode()
    assert f'name="next" value="{area_url}"' in error.content.decode()
    saved = client.post(
        edit_url,
        # A moved deadline takes its reason (shown to the steering group).
        {**data, "deadline": "2026-12-31", "deadline_reason": "Ny plan."},
        HTTP_HX_CURRENT_URL=area_url,
        **HTMX,
    )
    cancelled = client.get(
        reverse("goals:goal_detail", args=[milestone.pk]),
        {"block": "1", "next": area_url},
        HTTP_HX_CURRENT_URL=area_url,
        **HTMX,
    )

    for response in (saved, cancelled):
        body = response.content.decode()
        assert f"{edit_url}?next={quote(area_url)}" in body
        assert f"next={quote(edit_url)}" not in body


def test_a_next_to_another_site_is_not_carried(
    strategist: User, programme_area: ProgrammeArea
) -> None:
    goal = GoalFactory(programme_area=programme_area, direction=True)
    client = login(strategist)
    detail = reverse("goals:goal_detail", args=[goal.pk])

    block = client.get(detail, {"block": "1", "next": "https://evil.example/"}, **HTMX)

    assert "evil.example" not in block.content.decode()


def test_a_replaced_assessment_stays_readable_under_the_one_that_replaced_it(
    goal: Goal, programme_owner: User
) -> None:
    """Saving the quarter's assessment again replaces it; "Tidigare bedömningar" keeps the
    earlier wording, who wrote it and when, behind "1 tidigare lydelse"."""
    client = login(programme_owner)
    url = reverse("goals:goal_assess", args=[goal.pk])
    first = {"quarter": ENDED.code, "shown_quarter": ENDED.code, "version": 0}
    client.post(url, {**first, "status": "risk", "comment": "Sen start."})
    client.post(url, {**first, "version": 1, "status": "enligt_plan", "comment": "Nu i gång."})

    body = client.get(url).content.decode()

    earlier = body[body.index('id="earlier-title"') :]
    assert "Nu i gång." in earlier
    assert "1 tidigare lydelse" in earlier
    name = programme_owner.get_full_name() or programme_owner.get_username()
    assert re.search(rf"Risk – Sen start\. <span class=\"caption-meta\">\({name}, <time", earlier)


def test_the_form_shows_the_engines_status_of_the_quarter_with_a_link_to_its_numbers(
    goal: Goal, programme_owner: User
) -> None:
    """One judges a quarter beside what the engine computed for it, not from memory."""
    GoalResultFactory(
        goal=goal,
        quarter=ENDED.code,
        status="risk",
        explanation="19 av 26 har infört; med 5 planerade blir prognosen 92,3 %.",
    )
    client = login(programme_owner)
    url = reverse("goals:goal_assess", args=[goal.pk])

    shown = client.get(url).content.decode()
    other = client.get(url, {"kvartal": CURRENT.code}, **HTMX).content.decode()

    assert f"Beräknad status {ENDED.label}:" in shown
    assert "19 av 26 har infört; med 5 planerade blir prognosen 92,3 %." in shown
    assert f'href="{reverse("goal_detail", args=[goal.code])}?kvartal={ENDED.code}"' in shown
    assert "Beräknad status" not in other  # nothing computed for the running quarter here


def test_a_direction_goals_older_assessment_is_said_with_its_own_quarter(
    goal: Goal, programme_owner: User
) -> None:
    """The form says what the goal page says: the latest assessment is from an earlier
    quarter, and none was made in the quarter shown (not "Beräknad status <quarter>: …")."""
    earlier = ENDED.previous()
    GoalResultFactory(
        goal=goal,
        quarter=ENDED.code,
        status=None,
        explanation="Sara Provberg bedömde läget som enligt plan.",
        assessment_status="enligt_plan",
        assessment_quarter=earlier.code,
        assessment_author="Sara Provberg",
    )

    page = login(programme_owner).get(reverse("goals:goal_assess", args=[goal.pk]))

    body = page.content.decode()
    assert f"Beräknad status {ENDED.label}" not in body
    assert (
        f"Senaste bedömningen är från {earlier.label}, av Sara Provberg; ingen ny bedömning "
        f"under {ENDED.label}."
    ) in body


def test_an_unchanged_assessment_is_not_saved_again(goal: Goal, programme_owner: User) -> None:
    client = login(programme_owner)
    url = reverse("goals:goal_assess", args=[goal.pk])
    first = {"quarter": ENDED.code, "shown_quarter": ENDED.code, "version": 0}
    client.post(url, {**first, "status": "risk", "comment": "Sen start."})
    saved = Assessment.objects.get(goal=goal, quarter=ENDED.code)

    again = client.post(
        url,
        {**first, "version": saved.version, "status": "risk", "comment": "Sen start."},
        follow=True,
    )

    assert "Inga ändringar att spara." in again.content.decode()
    assert Assessment.objects.get(pk=saved.pk).version == saved.version
    assert saved.history.count() == 1
