"""Two rules a review found missing, for every role.

1. An answered support need stayed in "Att göra" for good: the unit's managers who raised it
   (its VO's VC, the unit's VEC) now close it ("Avsluta – svaret räcker"), recorded in its
   history, from the version they read; it leaves Att göra and stays listed as closed.
2. A VO's draft activity plan was read by anyone by URL: a draft is read by its VO (its VC and
   its units' VECs), the area's owner and the strategist; submitted and approved plans by every
   reader. The area's timeline lists only submitted and approved plans' activities.
"""

from __future__ import annotations

import datetime
import html

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from followup.selectors import programme_area_timeline
from followup.todo import unit_todo
from programmes import services
from programmes.models import ActivityPlan, ProgrammeArea, SupportNeed
from tests.factories import ActivityFactory, ActivityPlanFactory, OrgTree, SupportNeedFactory

pytestmark = pytest.mark.django_db

ROLES = [
    "strategist",
    "admin_user",
    "portfolio_owner",
    "steering_member",
    "programme_owner",
    "vc",
    "vec",
]


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- 1: closing an answered support need ------------------------------------------------------


def _answered(org_tree: OrgTree, area: ProgrammeArea, unit_name: str, raiser: User) -> SupportNeed:
    unit = getattr(org_tree, unit_name)
    need = SupportNeedFactory(unit=unit, programme_area=area, raised_by=raiser)
    need.status, need.response = SupportNeed.Status.ANSWERED, "Vi ordnar en utbildningsdag."
    need.save()
    return need


# Who closes a need of HC 1A (in VO 1), of HC 2A (in VO 2): the unit's managers and the
# strategist; never the portfolio owner, the steering group, nor a programme owner as such
# (the area answers and sets any status with its answer form).
CLOSES = {
    ("strategist", "hc1a"),
    ("strategist", "hc2a"),
    ("admin_user", "hc1a"),
    ("admin_user", "hc2a"),
    ("vc", "hc1a"),
    ("vec", "hc1a"),
}


@pytest.mark.parametrize("unit_name", ["hc1a", "hc2a"])
@pytest.mark.parametrize("role", ROLES)
def test_the_units_managers_close_an_answered_need_and_no_one_else(
    request: pytest.FixtureRequest,
    org_tree: OrgTree,
    programme_area: ProgrammeArea,
    programme_owner: User,
    vec: User,
    role: str,
    unit_name: str,
) -> None:
    user = request.getfixturevalue(role)
    need = _answered(org_tree, programme_area, unit_name, vec)
    url = reverse("programmes:support_need", args=[need.pk])
    close_url = reverse("programmes:support_need_close", args=[need.pk])
    client = login(user)
    page = client.get(url)
    closes = (role, unit_name) in CLOSES

    if page.status_code == 200:
        assert ("Avsluta – svaret räcker" in page.content.decode()) == closes
    else:  # another VO's need is not the VC's or VEC's to read (as before)
        assert role in {"vc", "vec"}
        assert unit_name == "hc2a"
    response = client.post(close_url, {"avsluta-version": need.version})

    need.refresh_from_db()
    if closes:
        assert response.status_code == 302
        assert need.status == SupportNeed.Status.CLOSED
        assert need.response == "Vi ordnar en utbildningsdag."  # the answer stays
        assert need.history.first().history_user == user
        assert need.history.first().get_status_display() == "Avslutat"
    else:
        assert response.status_code == 403
        assert "Ingen behörighet" in response.content.decode()
        assert need.status == SupportNeed.Status.ANSWERED
        with pytest.raises(PermissionDenied):
            services.support_need_close(user=user, need=need)


def test_the_vec_closes_the_answer_it_read_and_the_need_leaves_att_gora(
    org_tree: OrgTree, programme_area: ProgrammeArea, vec: User
) -> None:
    need = _answered(org_tree, programme_area, "hc1a", vec)
    today = datetime.date(2026, 12, 1)
    todo = {t.key: t for t in unit_todo(unit=org_tree.hc1a, today=today)}
    assert todo["support"].total == 1

    client = login(vec)
    response = client.post(
        reverse("programmes:support_need_close", args=[need.pk]),
        {"avsluta-version": need.version},
        follow=True,
    )
    assert "Stödbehovet är avslutat." in response.content.decode()
    todo = {t.key: t for t in unit_todo(unit=org_tree.hc1a, today=today)}
    assert todo["support"].total == 0
    # Still on the list of support needs, as closed.
    listing = client.get(reverse("programmes:support_needs")).content.decode()
    assert "Tid för utbildning av teamet." in listing
    assert "<td>Avslutat</td>" in listing
    # And closed, no form offers it again.
    page = client.get(reverse("programmes:support_need", args=[need.pk])).content.decode()
    assert "Avsluta – svaret räcker" not in page


def test_closing_from_a_stale_page_shows_the_newer_answer_first(
    org_tree: OrgTree, programme_area: ProgrammeArea, vec: User, programme_owner: User
) -> None:
    need = _answered(org_tree, programme_area, "hc1a", vec)
    read_version = need.version
    # The area changes its answer after the VEC opened the page.
    services.support_need_answer(
        user=programme_owner,
        need=SupportNeed.objects.get(pk=need.pk),
        response="Utbildningsdagen flyttas till mars.",
    )

    response = login(vec).post(
        reverse("programmes:support_need_close", args=[need.pk]),
        {"avsluta-version": read_version, "avsluta-status": "stangd"},
    )

    assert response.status_code == 409
    text = html.unescape(response.content.decode())
    assert "Någon annan hann före" in text
    assert "Utbildningsdagen flyttas till mars." in text
    need.refresh_from_db()
    assert need.status == SupportNeed.Status.ANSWERED


def test_only_an_answered_need_is_closed_by_its_unit(
    org_tree: OrgTree, programme_area: ProgrammeArea, vc: User
) -> None:
    need = SupportNeedFactory(unit=org_tree.hc1b, programme_area=programme_area, raised_by=vc)

    response = login(vc).post(
        reverse("programmes:support_need_close", args=[need.pk]),
        {"avsluta-version": need.version},
    )

    assert response.status_code == 422
    assert "Bara ett besvarat stödbehov kan avslutas" in html.unescape(response.content.decode())
    need.refresh_from_db()
    assert need.status == SupportNeed.Status.OPEN


# --- 2: who reads a draft activity plan -------------------------------------------------------

# Of VO 1's draft in PO 1: its VC, its HC's VEC, PO 1's owner, the strategist and administrators.
READS_DRAFT = {"strategist", "admin_user", "programme_owner", "vc", "vec"}


@pytest.mark.parametrize(
    "status", [ActivityPlan.Status.DRAFT, ActivityPlan.Status.SUBMITTED, "godkand"]
)
@pytest.mark.parametrize("role", ROLES)
def test_a_draft_plan_is_read_by_its_vo_its_area_and_the_strategist_only(
    request: pytest.FixtureRequest,
    org_tree: OrgTree,
    programme_area: ProgrammeArea,
    programme_owner: User,
    role: str,
    status: str,
) -> None:
    user = request.getfixturevalue(role)
    plan = ActivityPlanFactory(programme_area=programme_area, unit=org_tree.vo1, status=status)
    ActivityFactory(plan=plan, title="Hemlig utkastaktivitet")

    response = login(user).get(
        reverse("programmes:activity_plan", args=[programme_area.pk, org_tree.vo1.pk])
    )

    if status != ActivityPlan.Status.DRAFT or role in READS_DRAFT:
        assert response.status_code == 200
        assert "Hemlig utkastaktivitet" in response.content.decode()
    else:
        assert response.status_code == 403
        assert "Ingen behörighet" in response.content.decode()
        assert "Hemlig utkastaktivitet" not in response.content.decode()
    assert user.has_perm("programmes.view_activityplan", plan) == (response.status_code == 200)


@pytest.mark.parametrize("role", ["vc", "vec", "programme_owner"])
def test_another_vos_or_areas_draft_is_not_read(
    request: pytest.FixtureRequest,
    org_tree: OrgTree,
    programme_area: ProgrammeArea,
    other_programme_area: ProgrammeArea,
    programme_owner: User,
    role: str,
) -> None:
    user = request.getfixturevalue(role)
    # VO 2's draft is not VO 1's VC's nor HC 1A's VEC's; PO 2's draft not PO 1's owner's.
    area = other_programme_area if role == "programme_owner" else programme_area
    unit = org_tree.vo1 if role == "programme_owner" else org_tree.vo2
    plan = ActivityPlanFactory(programme_area=area, unit=unit)
    ActivityFactory(plan=plan, title="Hemlig utkastaktivitet")

    response = login(user).get(reverse("programmes:activity_plan", args=[area.pk, unit.pk]))

    assert response.status_code == 403
    assert not user.has_perm("programmes.view_activity", plan.activities.get())


def test_the_area_timeline_lists_submitted_and_approved_plans_activities_only(
    org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    draft = ActivityPlanFactory(programme_area=programme_area, unit=org_tree.vo1)
    ActivityFactory(plan=draft, title="Utkastaktivitet")
    submitted = ActivityPlanFactory(
        programme_area=programme_area, unit=org_tree.vo2, status=ActivityPlan.Status.SUBMITTED
    )
    ActivityFactory(plan=submitted, title="Inlämnad aktivitet")
    area = ProgrammeArea.objects.select_related("phase").get(pk=programme_area.pk)

    titles = {
        entry.title
        for entry in programme_area_timeline(area=area, goals=[], today=datetime.date(2025, 6, 1))
    }

    assert "Inlämnad aktivitet" in titles
    assert "Utkastaktivitet" not in titles
