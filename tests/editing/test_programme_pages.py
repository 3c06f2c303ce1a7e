"""Assessments, working methods, activity plans and support needs edited in the browser."""

from __future__ import annotations

import html
import re

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from goals.forms import editable_quarters
from goals.models import Assessment
from programmes import services
from programmes.models import Activity, ActivityPlan, ProgrammeArea, SupportNeed, WorkingMethod
from tests.factories import (
    ActivityFactory,
    ActivityPlanFactory,
    GoalFactory,
    OrgTree,
    SupportNeedFactory,
    UnitKindFactory,
    WorkingMethodFactory,
)

pytestmark = pytest.mark.django_db


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_programme_owner_assesses_the_quarter_with_a_required_comment(
    programme_owner: User, programme_area: ProgrammeArea
) -> None:
    goal = GoalFactory(direction=True, programme_area=programme_area)
    url = reverse("goals:goal_assess", args=[goal.pk])
    quarter = editable_quarters()[0].code
    client = login(programme_owner)

    missing = client.post(url, {"quarter": quarter, "status": "risk", "comment": "", "version": 0})
    assert missing.status_code == 422
    assert "Skriv en kommentar till bedömningen." in missing.content.decode()

    saved = client.post(
        url, {"quarter": quarter, "status": "risk", "comment": "Sen start.", "version": 0}
    )
    assert saved.status_code == 302
    assessment = Assessment.objects.get(goal=goal, quarter=quarter)
    assert assessment.author == programme_owner
    # A second post from the same (now stale) version with other words is a conflict.
    stale = client.post(
        url, {"quarter": quarter, "status": "uppnatt", "comment": "Klart!", "version": 0}
    )
    assert stale.status_code == 409
    assessment.refresh_from_db()
    assert assessment.status == "risk"


def test_a_closed_quarter_cannot_be_assessed(
    programme_owner: User, programme_area: ProgrammeArea
) -> None:
    goal = GoalFactory(direction=True, programme_area=programme_area)
    response = login(programme_owner).post(
        reverse("goals:goal_assess", args=[goal.pk]),
        {"quarter": "2020Q1", "status": "risk", "comment": "För sent.", "version": 0},
    )
    assert response.status_code == 422
    assert not Assessment.objects.filter(quarter="2020Q1").exists()


def test_the_programme_owner_creates_and_edits_a_working_method(
    programme_owner: User, programme_area: ProgrammeArea
) -> None:
    hc = UnitKindFactory(hc=True)
    client = login(programme_owner)
    create = reverse("programmes:working_method_create", args=[programme_area.pk])
    data = {
        "name": "Teamrond",
        "description": "",
        "direction": "infora",
        "target_unit_kinds": [hc.pk],
    }
    assert client.post(create, data).status_code == 302
    method = WorkingMethod.objects.get(name="Teamrond")
    assert list(method.target_unit_kinds.all()) == [hc]
    edit = reverse("programmes:working_method_edit", args=[programme_area.pk, method.pk])
    response = client.post(edit, {**data, "name": "Teamrond 2.0", "version": method.version})
    assert response.status_code == 302
    method.refresh_from_db()
    assert method.name == "Teamrond 2.0"
    assert "Teamrond 2.0" in client.get(edit).content.decode()  # its history


def test_the_vc_builds_completes_and_submits_an_activity_plan_listed_by_date(
    vc: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    client = login(vc)
    url = reverse("programmes:activity_plan", args=[programme_area.pk, org_tree.vo1.pk])
    empty = client.get(url)
    assert empty.status_code == 200
    # Nothing to submit yet: the hand-over is offered once the plan has an activity.
    assert "Skicka planen för granskning" not in empty.content.decode()
    added = (
        ("Utvärdera teamronden", "2026-12-10", "2026-12-10", "t1"),
        ("Utan datum ännu", "", "", "t2"),
        ("Starta teamrond", "2026-10-01", "2026-11-30", "t3"),
        ("Utbilda teamen", "2026-10-01", "2026-10-15", "t4"),
    )
    for title, start, end, token in added:
        data = {
            "title": title,
            "responsible": "VC",
            "start_date": start,
            "end_date": end,
            "status": "planerad",
            "version": 0,
            "submit_token": token,
        }
        assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302  # the same token again: no fifth row
    plan = ActivityPlan.objects.get(unit=org_tree.vo1, programme_area=programme_area)
    # "Aktiviteter i tidsordning": by start, then end; an activity without dates last.
    by_date = ["Utbilda teamen", "Starta teamrond", "Utvärdera teamronden", "Utan datum ännu"]
    assert [a.title for a in plan.activities.all()] == by_date
    page = html.unescape(client.get(url).content.decode())
    assert [page.index(f'<th scope="row">{title}</th>') for title in by_date] == sorted(
        page.index(f'<th scope="row">{title}</th>') for title in by_date
    )
    assert "1 okt 2026" in page
    assert "Skicka planen för granskning" in page
    # No manual order to override the dates.
    assert 'value="upp"' not in page
    assert 'value="ned"' not in page

    second = plan.activities.get(title="Starta teamrond")
    moved = client.post(reverse("programmes:activity_action", args=[second.pk]), {"atgard": "upp"})
    assert moved.status_code == 404
    assert [a.title for a in plan.activities.all()] == by_date
    client.post(reverse("programmes:activity_action", args=[second.pk]), {"atgard": "klar"})
    assert Activity.objects.get(pk=second.pk).status == "klar"

    submit = reverse("programmes:activity_plan_submit", args=[programme_area.pk, org_tree.vo1.pk])
    client.post(submit)
    plan.refresh_from_db()
    assert plan.status == "inlamnad"
    assert plan.submitted_at is not None


def test_an_activity_with_its_end_before_its_start_is_refused(
    vc: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    activity = ActivityFactory(plan=ActivityPlanFactory(unit=org_tree.vo1))
    response = login(vc).post(
        reverse("programmes:activity_edit", args=[activity.pk]),
        {
            "title": "Ett nytt namn",
            "responsible": "",
            "start_date": "2025-06-01",
            "end_date": "2025-05-01",
            "status": "pagar",
            "version": activity.version,
        },
    )
    assert response.status_code == 422
    content = response.content.decode()
    assert "Slutdatum kan inte vara före startdatum." in content
    # The heading names the activity as stored; what was typed stays in the form.
    assert f"<h1>Redigera aktivitet: {html.escape(activity.title)}</h1>" in content
    assert 'value="Ett nytt namn"' in content


def test_a_vc_cannot_touch_another_vos_activity_plan(
    vc: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    url = reverse("programmes:activity_plan", args=[programme_area.pk, org_tree.vo2.pk])
    assert login(vc).post(url, {"title": "Smuggel", "status": "planerad"}).status_code == 403
    assert not Activity.objects.exists()


def test_a_support_need_is_raised_by_the_vec_and_answered_by_the_programme_owner(
    vec: User, programme_owner: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    raise_url = reverse("programmes:support_need_create")
    data = {
        "programme_area": programme_area.pk,
        "unit": org_tree.hc1a.pk,
        "text": "Tid för utbildning av teamet.",
        "submit_token": "s1",
    }
    assert login(vec).post(raise_url, data).status_code == 302
    need = SupportNeed.objects.get()
    assert need.raised_by == vec
    assert need.get_status_display() == "Nytt"

    url = reverse("programmes:support_need", args=[need.pk])
    # Answering a new need starts from "Besvarat": left at "Nytt" it would still count as
    # unanswered everywhere.
    form_page = login(programme_owner).get(url).content.decode()
    assert re.search(r'<option value="besvarad" selected>Besvarat</option>', form_page)
    left_new = login(programme_owner).post(
        url, {"status": "oppen", "response": "Vi hör av oss.", "version": need.version}
    )
    assert left_new.status_code == 422
    assert "Ett behov med ett svar är inte nytt" in html.unescape(left_new.content.decode())
    need.refresh_from_db()
    assert (need.status, need.response) == ("oppen", "")
    with pytest.raises(ValidationError, match="Ett behov med ett svar är inte nytt"):
        services.support_need_answer(
            user=programme_owner, need=need, response="Vi hör av oss.", status="oppen"
        )
    empty = login(programme_owner).post(
        url, {"status": "besvarad", "response": "", "version": need.version}
    )
    assert empty.status_code == 422
    # The refused status is not shown as the need's: the facts above the form are as stored.
    facts = re.search(r'<dl class="goal-facts">.*?</dl>', empty.content.decode(), re.S)
    assert facts is not None
    assert "Nytt" in facts.group(0)
    assert "Besvarat" not in facts.group(0)
    answer = {"status": "besvarad", "response": "Vi ordnar en utbildningsdag.", "version": 1}
    assert login(programme_owner).post(url, answer).status_code == 302
    need.refresh_from_db()
    assert need.get_status_display() == "Besvarat"
    answered_form = login(programme_owner).get(url).content.decode()
    assert "Ändra svaret eller statusen" in answered_form  # no longer "Besvara"
    assert "Krävs när behovet markeras som besvarat." in answered_form
    page = login(vec).get(url).content.decode()
    assert "Vi ordnar en utbildningsdag." in page  # the unit sees the answer
    answerer = programme_owner.get_full_name() or programme_owner.get_username()
    assert re.search(rf"Besvarat av {re.escape(answerer)} \d{{1,2}} \w{{3}} \d{{4}}", page)
    assert "Spara svaret" not in page  # and cannot answer itself


def _options(page: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}".*?</select>', page, re.S)
    assert select is not None
    return re.findall(r"<option[^>]*>([^<]*)</option>", select.group(0))


def test_the_vecs_one_unit_is_chosen_and_an_empty_select_says_choose(
    vec: User, vc: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    url = reverse("programmes:support_need_create")
    page = login(vec).get(url).content.decode()
    assert _options(page, "unit") == ["Hälsocentral Norrby (HC1A)"]
    assert re.search(r'<option value="\d+" selected>Hälsocentral Norrby \(HC1A\)</option>', page)
    assert "---------" not in page
    assert _options(login(vc).get(url).content.decode(), "unit")[0] == "Välj enhet"

    data = {"programme_area": programme_area.pk, "text": "Tid.", "submit_token": "s2"}
    refused = login(vc).post(url, data).content.decode()
    assert "Välj enhet." in refused
    assert "måste fyllas i" not in refused
    assert not SupportNeed.objects.exists()


def test_an_empty_need_is_named_in_the_error_summary_without_a_colon_after_its_question(
    vec: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    url = reverse("programmes:support_need_create")
    data = {"programme_area": programme_area.pk, "unit": org_tree.hc1a.pk, "text": ""}
    refused = html.unescape(login(vec).post(url, data).content.decode())
    assert (
        "Vad behöver du som chef för att implementera detta i din verksamhet? Beskriv vad du "
        "behöver.</a>"
    ) in refused
    assert "verksamhet?:" not in refused
    assert not SupportNeed.objects.exists()


def test_a_vec_cannot_raise_a_need_for_another_unit(
    vec: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    response = login(vec).post(
        reverse("programmes:support_need_create"),
        {"programme_area": programme_area.pk, "unit": org_tree.hc1b.pk, "text": "x"},
    )
    assert response.status_code == 422  # not a choice the form offers
    assert not SupportNeed.objects.exists()


def test_a_vc_does_not_see_another_vos_support_need(
    vc: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    need = SupportNeedFactory(unit=org_tree.hc2a, programme_area=programme_area)
    assert login(vc).get(reverse("programmes:support_need", args=[need.pk])).status_code == 403


def test_the_vcs_list_of_plans_says_where_each_plan_stands(
    vc: User, org_tree: OrgTree, programme_area: ProgrammeArea, other_programme_area: ProgrammeArea
) -> None:
    ActivityPlanFactory(
        unit=org_tree.vo1, programme_area=programme_area, status=ActivityPlan.Status.SUBMITTED
    )
    client = login(vc)
    url = reverse("programmes:activity_plans")
    client.get(url)  # warm the per-process caches (area labels)

    with CaptureQueriesContext(connection) as one_plan:
        page = client.get(url).content.decode()

    mine = page[page.index(f'id="plans-{org_tree.vo1.pk}"') :].split("</section>")[0]
    text = " ".join(re.sub(r"<[^>]+>", " ", html.unescape(mine)).split())
    assert "PO 1. Teamarbete – Inlämnad" in text
    # PO 2 asks no VO for a plan: none is missing there.
    assert "PO 2. Prevention – Ingen plan begärd" in text

    ActivityPlanFactory(
        unit=org_tree.vo1, programme_area=other_programme_area, status=ActivityPlan.Status.DRAFT
    )
    with CaptureQueriesContext(connection) as two_plans:
        page = client.get(url).content.decode()
    assert "PO 2. Prevention – Utkast" in " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert len(two_plans) == len(one_plan)  # one query for every plan's status


def _title(page: str) -> str:
    found = re.search(r"<title>(.*?)</title>", page, re.S)
    assert found is not None
    return html.unescape(" ".join(found.group(1).split()))


def test_each_edit_page_is_titled_by_its_heading_not_by_its_list(
    programme_owner: User, vc: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    """WCAG 2.4.2: a support need's page is not titled "Stödbehov" like the list, nor are all
    activities "Redigera aktivitet" and all working methods "Redigera arbetssätt": each names
    what it edits after a colon."""
    need = SupportNeedFactory(unit=org_tree.hc1a, programme_area=programme_area)
    method = WorkingMethodFactory(name="Teamrond", programme_area=programme_area)
    activity = ActivityFactory(
        plan=ActivityPlanFactory(programme_area=programme_area, unit=org_tree.vo1),
        title="Utbilda teamen",
    )
    owner, head = login(programme_owner), login(vc)

    need_page = owner.get(reverse("programmes:support_need", args=[need.pk])).content.decode()
    needs_page = owner.get(reverse("programmes:support_needs")).content.decode()
    method_page = owner.get(
        reverse("programmes:working_method_edit", args=[programme_area.pk, method.pk])
    ).content.decode()
    activity_page = head.get(
        reverse("programmes:activity_edit", args=[activity.pk])
    ).content.decode()
    new_goal_page = owner.get(reverse("goals:goal_create", args=[programme_area.pk])).content

    need_title = f"Stödbehov från {org_tree.hc1a.name} (PO 1) – GONV-uppföljning"
    assert _title(need_page) == need_title
    assert _title(needs_page) == "Stödbehov – GONV-uppföljning"
    assert _title(method_page) == "Redigera arbetssätt: Teamrond – GONV-uppföljning"
    assert _title(activity_page) == "Redigera aktivitet: Utbilda teamen – GONV-uppföljning"
    assert _title(new_goal_page.decode()) == "Nytt mål i PO 1. Teamarbete – GONV-uppföljning"
