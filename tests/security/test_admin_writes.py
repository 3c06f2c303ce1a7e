"""Issue 11's authorization findings 1–4, repeated through the admin as reported, now held.

1. The history form ("återställ") wrote with view permission only.
2. An object could be moved out of the user's scope on edit.
3. An object could be added outside the user's scope.
4. An assessment's author was a form field.
Each scoped role of the demo (vc-syd, vec-sandviken, poansvarig, portföljägare) and the
strategist (who must not make anyone administrator) are tried, with staff access.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from followup.models import Observation
from goals.models import AdoptionRecord, Assessment, Goal, editable_quarters
from goals.status import Status
from organisation.models import Role, RoleAssignment
from programmes.models import ProgrammeArea, SupportNeed
from tests.admin_forms import admin_form_data, admin_post, form_errors
from tests.factories import (
    AdoptionRecordFactory,
    GoalFactory,
    ImportBatchFactory,
    MeasureFactory,
    ObservationFactory,
    OrgTree,
    WorkingMethodFactory,
)
from tests.security.conftest import AdminClient

pytestmark = pytest.mark.django_db


def _history_url(obj: Any, version: Any) -> str:
    opts = obj._meta
    return f"/admin/{opts.app_label}/{opts.model_name}/{obj.pk}/history/{version.history_id}/"


def _change_url(obj: Any) -> str:
    opts = obj._meta
    return f"/admin/{opts.app_label}/{opts.model_name}/{obj.pk}/change/"


def _post_history_form(client: Client, obj: Any, **changes: Any) -> Any:
    """Open the history form of the object's latest version and post it with changes."""
    url = _history_url(obj, obj.history.first())
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, admin_form_data(page, **changes))


# --- finding 1: the history form writes only for those who may change -------------------------


def test_the_strategist_cannot_make_itself_administrator_through_the_history_form(
    admin_client_as: AdminClient, strategist: User
) -> None:
    client = admin_client_as("strategist")
    own = RoleAssignment.objects.get(user=strategist)

    page = client.get(_history_url(own, own.history.first()))
    response = _post_history_form(client, own, role=Role.ADMIN)

    assert page.context["revert_disabled"] is True
    assert response.status_code == 403
    own.refresh_from_db()
    assert own.role == Role.STRATEGIST
    assert not RoleAssignment.objects.filter(role=Role.ADMIN).exists()


def test_the_strategist_cannot_give_roles_or_edit_users_anywhere_in_the_admin(
    admin_client_as: AdminClient, strategist: User, steering_member: User
) -> None:
    client = admin_client_as("strategist")
    own = RoleAssignment.objects.get(user=strategist)

    change = client.post(_change_url(own), {"user": strategist.pk, "role": Role.ADMIN})
    add = client.get("/admin/organisation/roleassignment/add/")
    user_page = client.get(f"/admin/auth/user/{steering_member.pk}/change/")
    make_superuser = client.post(
        f"/admin/auth/user/{steering_member.pk}/change/",
        {"username": steering_member.username, "is_superuser": "on", "is_staff": "on"},
    )

    assert (change.status_code, add.status_code) == (403, 403)
    assert (user_page.status_code, make_superuser.status_code) == (403, 403)
    steering_member.refresh_from_db()
    assert not steering_member.is_superuser
    assert set(RoleAssignment.objects.values_list("role", flat=True)) == {
        Role.STRATEGIST,
        Role.STEERING_GROUP,
    }


# Objects outside each role's scope, and a field to change on them.
OUTSIDE: dict[str, list[tuple[str, Any, dict[str, Any]]]] = {
    "vc": [
        ("adoption record HC 2A", lambda t, a, b: AdoptionRecordFactory(unit=t.hc2a), {}),
        ("observation HC 2B", lambda t, a, b: ObservationFactory(unit=t.hc2b), {}),
        ("goal PO 1", lambda t, a, b: GoalFactory(programme_area=a), {}),
    ],
    "vec": [
        ("adoption record HC 1B", lambda t, a, b: AdoptionRecordFactory(unit=t.hc1b), {}),
        ("observation HC 1B", lambda t, a, b: ObservationFactory(unit=t.hc1b), {}),
    ],
    "programme_owner": [
        ("goal PO 2", lambda t, a, b: GoalFactory(programme_area=b), {}),
        ("adoption record HC 1A", lambda t, a, b: AdoptionRecordFactory(unit=t.hc1a), {}),
    ],
    "portfolio_owner": [
        ("goal PO 1", lambda t, a, b: GoalFactory(programme_area=a), {}),
        ("adoption record HC 1A", lambda t, a, b: AdoptionRecordFactory(unit=t.hc1a), {}),
        ("observation HC 1A", lambda t, a, b: ObservationFactory(unit=t.hc1a), {}),
    ],
    "steering_member": [
        ("goal PO 1", lambda t, a, b: GoalFactory(programme_area=a), {}),
    ],
}
CHANGES = {
    Goal: {"title": "Kapat mål"},
    AdoptionRecord: {"comment": "Kapad"},
    Observation: {"value": "999"},
}


@pytest.mark.parametrize(
    ("role", "name"), [(role, name) for role, cases in OUTSIDE.items() for name, _, _ in cases]
)
def test_no_role_writes_outside_its_scope_through_the_history_form(
    admin_client_as: AdminClient,
    org_tree: OrgTree,
    programme_area: ProgrammeArea,
    other_programme_area: ProgrammeArea,
    role: str,
    name: str,
) -> None:
    make = next(make for case, make, _ in OUTSIDE[role] if case == name)
    obj = make(org_tree, programme_area, other_programme_area)
    before = type(obj).objects.values().get(pk=obj.pk)
    client = admin_client_as(role)

    page = client.get(_history_url(obj, obj.history.first()))
    response = _post_history_form(client, obj, **CHANGES[type(obj)])

    assert page.context["revert_disabled"] is True
    assert response.status_code == 403
    assert type(obj).objects.values().get(pk=obj.pk) == before
    assert obj.history.count() == 1


def test_a_vc_cannot_revert_an_own_record_to_a_version_outside_the_vo(
    admin_client_as: AdminClient, org_tree: OrgTree, strategist: User
) -> None:
    record = AdoptionRecordFactory(unit=org_tree.hc2a)
    old_version = record.history.first()
    record.unit = org_tree.hc1a  # the strategist moved it into VO 1 since
    record.save()
    client = admin_client_as("vc")

    url = _history_url(record, old_version)
    page = client.get(url)
    response = client.post(url, admin_form_data(page))

    assert page.context["revert_disabled"] is True
    assert response.status_code == 403
    record.refresh_from_db()
    assert record.unit == org_tree.hc1a


def test_the_strategist_reverts_a_goal_and_the_revert_is_recorded(
    admin_client_as: AdminClient, strategist: User, programme_area: ProgrammeArea
) -> None:
    goal = GoalFactory(programme_area=programme_area, title="Teamrond på hälften")
    first = goal.history.first()
    goal.title = "Felskrivet"
    goal.save()
    client = admin_client_as("strategist")

    url = _history_url(goal, first)
    page = client.get(url)
    response = client.post(url, admin_form_data(page))

    assert page.context["revert_disabled"] is False
    assert response.status_code == 302
    goal.refresh_from_db()
    assert goal.title == "Teamrond på hälften"
    assert goal.history.first().history_user == strategist


@pytest.mark.parametrize("role", ["strategist", "admin_user"])
def test_no_one_reverts_an_import_batch_through_the_history_form(
    admin_client_as: AdminClient, role: str
) -> None:
    # An undone import reverted to before its undo would claim values it no longer holds.
    batch = ImportBatchFactory(created_count=2)
    first = batch.history.first()
    batch.undone_at = timezone.now()
    batch.save()
    client = admin_client_as(role)

    url = _history_url(batch, first)
    page = client.get(url)
    response = client.post(url, {"undone_at_0": "", "undone_at_1": "", "created_count": "9"})

    assert page.context["revert_disabled"] is True
    assert response.status_code == 403
    batch.refresh_from_db()
    assert (batch.undone_at is not None, batch.created_count, batch.history.count()) == (
        True,
        2,
        2,
    )


def test_a_vc_reverts_an_own_record_to_an_earlier_version_in_the_vo(
    admin_client_as: AdminClient, vc: User, org_tree: OrgTree
) -> None:
    record = AdoptionRecordFactory(unit=org_tree.hc1a, comment="Första")
    first = record.history.first()
    record.comment = "Andra"
    record.save()
    client = admin_client_as("vc")

    url = _history_url(record, first)
    response = client.post(url, admin_form_data(client.get(url)))

    assert response.status_code == 302
    record.refresh_from_db()
    assert record.comment == "Första"
    assert record.history.first().history_user == vc


# --- finding 2: moving an object out of scope on edit -----------------------------------------


@pytest.mark.parametrize(
    ("role", "own", "other"), [("vc", "hc1a", "hc2a"), ("vec", "hc1a", "hc1b")]
)
def test_a_unit_manager_cannot_move_an_adoption_record_out_of_scope_in_the_admin(
    admin_client_as: AdminClient, org_tree: OrgTree, role: str, own: str, other: str
) -> None:
    record = AdoptionRecordFactory(unit=getattr(org_tree, own))
    client = admin_client_as(role)

    response = admin_post(client, _change_url(record), unit=getattr(org_tree, other).pk)

    assert response.status_code == 200
    assert form_errors(response)
    record.refresh_from_db()
    assert record.unit == getattr(org_tree, own)


@pytest.mark.parametrize(
    ("role", "own", "other"), [("vc", "hc1a", "hc2b"), ("vec", "hc1a", "hc1b")]
)
def test_a_unit_manager_cannot_move_an_observation_to_another_unit_in_the_admin(
    admin_client_as: AdminClient, org_tree: OrgTree, role: str, own: str, other: str
) -> None:
    observation = ObservationFactory(unit=getattr(org_tree, own), value=Decimal(5))
    client = admin_client_as(role)

    response = admin_post(
        client, _change_url(observation), unit=getattr(org_tree, other).pk, value="7"
    )

    assert response.status_code == 200
    assert form_errors(response)
    observation.refresh_from_db()
    assert (observation.unit, observation.value) == (getattr(org_tree, own), Decimal(5))


@pytest.mark.parametrize(
    ("role", "own", "other"), [("vc", "hc1a", "hc1b"), ("vec", "hc1a", "hc1a")]
)
def test_a_unit_manager_corrects_an_observation_within_scope_in_the_admin(
    admin_client_as: AdminClient, org_tree: OrgTree, role: str, own: str, other: str
) -> None:
    observation = ObservationFactory(unit=getattr(org_tree, own), value=Decimal(5))
    client = admin_client_as(role)

    response = admin_post(
        client, _change_url(observation), unit=getattr(org_tree, other).pk, value="7"
    )

    assert response.status_code == 302
    observation.refresh_from_db()
    assert (observation.unit, observation.value) == (getattr(org_tree, other), Decimal(7))


def test_a_programme_owner_cannot_move_a_goal_to_another_area_in_the_admin(
    admin_client_as: AdminClient,
    programme_area: ProgrammeArea,
    other_programme_area: ProgrammeArea,
) -> None:
    goal = GoalFactory(programme_area=programme_area)
    client = admin_client_as("programme_owner")

    response = admin_post(client, _change_url(goal), programme_area=other_programme_area.pk)

    assert response.status_code == 200
    assert form_errors(response)
    goal.refresh_from_db()
    assert goal.programme_area == programme_area


@pytest.mark.parametrize("role", ["portfolio_owner", "steering_member"])
def test_readers_cannot_change_anything_in_the_admin(
    admin_client_as: AdminClient, programme_area: ProgrammeArea, role: str
) -> None:
    goal = GoalFactory(programme_area=programme_area, title="Före")
    client = admin_client_as(role)

    response = client.post(_change_url(goal), {"title": "Efter"})

    assert response.status_code == 403
    goal.refresh_from_db()
    assert goal.title == "Före"


# --- finding 3: adding outside the scope ------------------------------------------------------


@pytest.mark.parametrize(("role", "other"), [("vc", "hc2a"), ("vec", "hc1b")])
def test_a_unit_manager_cannot_add_adoption_records_or_observations_for_other_units(
    admin_client_as: AdminClient, org_tree: OrgTree, role: str, other: str
) -> None:
    client = admin_client_as(role)
    unit = getattr(org_tree, other)

    adoption = admin_post(
        client,
        "/admin/goals/adoptionrecord/add/",
        unit=unit.pk,
        working_method=WorkingMethodFactory().pk,
        status=AdoptionRecord.Status.PLANNED,
    )
    observation = admin_post(
        client,
        "/admin/followup/observation/add/",
        measure=MeasureFactory().pk,
        unit=unit.pk,
        period_start=datetime.date(2025, 10, 1),
        period_end=datetime.date(2025, 10, 31),
        value="12",
        source="manual",
    )

    assert (adoption.status_code, observation.status_code) == (200, 200)
    assert form_errors(adoption)
    assert form_errors(observation)
    assert not AdoptionRecord.objects.exists()
    assert not Observation.objects.exists()


@pytest.mark.parametrize(("role", "own"), [("vc", "hc1b"), ("vec", "hc1a")])
def test_a_unit_manager_adds_records_for_own_units_through_the_admin(
    admin_client_as: AdminClient, org_tree: OrgTree, role: str, own: str, request: Any
) -> None:
    client = admin_client_as(role)
    unit = getattr(org_tree, own)

    adoption = admin_post(
        client,
        "/admin/goals/adoptionrecord/add/",
        unit=unit.pk,
        working_method=WorkingMethodFactory().pk,
        status=AdoptionRecord.Status.PLANNED,
    )
    observation = admin_post(
        client,
        "/admin/followup/observation/add/",
        measure=MeasureFactory().pk,
        unit=unit.pk,
        period_start=datetime.date(2025, 10, 1),
        period_end=datetime.date(2025, 10, 31),
        value="12",
        source="manual",
    )

    assert (adoption.status_code, observation.status_code) == (302, 302)
    user = request.getfixturevalue(role)
    assert AdoptionRecord.objects.get().history.get().history_user == user
    saved = Observation.objects.get()
    assert (saved.unit, saved.quarter, saved.history.get().history_user) == (unit, "2025Q4", user)


def test_a_programme_owner_cannot_add_a_goal_to_another_area(
    admin_client_as: AdminClient,
    programme_area: ProgrammeArea,
    other_programme_area: ProgrammeArea,
) -> None:
    client = admin_client_as("programme_owner")
    fields = {
        "code": "po2-kapat",
        "title": "Mål i fel område",
        "kind": Goal.Kind.DELIVERABLE,
        "deadline": datetime.date(2026, 12, 31),
        "improvement": "higher",
        "order": 0,
    }

    refused = admin_post(
        client, "/admin/goals/goal/add/", programme_area=other_programme_area.pk, **fields
    )
    allowed = admin_post(
        client,
        "/admin/goals/goal/add/",
        programme_area=programme_area.pk,
        **{**fields, "code": "po1-eget"},
    )

    assert refused.status_code == 200
    assert form_errors(refused)
    assert allowed.status_code == 302
    assert list(Goal.objects.values_list("code", flat=True)) == ["po1-eget"]


@pytest.mark.parametrize("role", ["portfolio_owner", "steering_member", "no_role_user"])
def test_readers_may_not_open_an_add_page(admin_client_as: AdminClient, role: str) -> None:
    client = admin_client_as(role)

    for url in (
        "/admin/goals/goal/add/",
        "/admin/goals/adoptionrecord/add/",
        "/admin/followup/observation/add/",
    ):
        assert client.get(url).status_code == 403


def test_a_vc_cannot_bulk_delete_a_selection_reaching_into_another_vo(
    admin_client_as: AdminClient, org_tree: OrgTree
) -> None:
    own = AdoptionRecordFactory(unit=org_tree.hc1a)
    other = AdoptionRecordFactory(unit=org_tree.hc2a)
    client = admin_client_as("vc")

    response = client.post(
        "/admin/goals/adoptionrecord/",
        {"action": "delete_selected", "_selected_action": [own.pk, other.pk], "post": "yes"},
    )

    assert response.status_code == 403
    assert set(AdoptionRecord.objects.all()) == {own, other}


# --- finding 4: who did something comes from the request --------------------------------------


def test_an_assessment_posted_with_another_author_is_authored_by_the_poster(
    admin_client_as: AdminClient,
    programme_owner: User,
    steering_member: User,
    programme_area: ProgrammeArea,
) -> None:
    goal = GoalFactory(programme_area=programme_area, direction=True)
    client = admin_client_as("programme_owner")
    page = client.get("/admin/goals/assessment/add/")

    response = client.post(
        "/admin/goals/assessment/add/",
        admin_form_data(
            page,
            goal=goal.pk,
            quarter=editable_quarters()[0].code,  # an open quarter (a closed one is refused)
            status=Status.ON_TRACK.value,
            comment="Går enligt plan.",
            author=steering_member.pk,
        ),
    )

    assert response.status_code == 302
    assert "author" not in page.context["adminform"].form.fields
    assessment = Assessment.objects.get()
    assert assessment.author == programme_owner

    client.post(
        _change_url(assessment),
        admin_form_data(client.get(_change_url(assessment)), author=steering_member.pk),
    )
    assessment.refresh_from_db()
    assert assessment.author == programme_owner


def test_a_support_need_posted_with_another_raiser_is_raised_by_the_poster(
    admin_client_as: AdminClient,
    vec: User,
    strategist: User,
    org_tree: OrgTree,
    programme_area: ProgrammeArea,
) -> None:
    client = admin_client_as("vec")

    response = admin_post(
        client,
        "/admin/programmes/supportneed/add/",
        unit=org_tree.hc1a.pk,
        programme_area=programme_area.pk,
        text="Tid för utbildning av teamet.",
        raised_by=strategist.pk,
        status=SupportNeed.Status.OPEN,
    )

    assert response.status_code == 302
    assert SupportNeed.objects.get().raised_by == vec


# --- inline rows and answers go through the same services -------------------------------------


def _with_new_milestone(page: Any, area: ProgrammeArea, code: str) -> dict[str, Any]:
    data = admin_form_data(page)
    prefix = "milestones"
    data |= {
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-0-programme_area": str(area.pk),
        f"{prefix}-0-code": code,
        f"{prefix}-0-title": "Hälften av hälsocentralerna",
        f"{prefix}-0-kind": Goal.Kind.DELIVERABLE,
        f"{prefix}-0-deadline": "2025-12-31",
        f"{prefix}-0-order": "0",
        f"{prefix}-0-improvement": "higher",
        f"{prefix}-0-provenance": "region",  # the select's default as the page offers it
    }
    return data


def test_a_programme_owner_adds_a_milestone_inline_only_in_the_own_area(
    admin_client_as: AdminClient,
    programme_owner: User,
    programme_area: ProgrammeArea,
    other_programme_area: ProgrammeArea,
) -> None:
    goal = GoalFactory(programme_area=programme_area)
    client = admin_client_as("programme_owner")
    url = _change_url(goal)

    refused = client.post(url, _with_new_milestone(client.get(url), other_programme_area, "fel"))
    allowed = client.post(url, _with_new_milestone(client.get(url), programme_area, "ratt"))

    assert refused.status_code == 200
    assert allowed.status_code == 302
    milestone = goal.milestones.get()
    assert (milestone.code, milestone.programme_area) == ("ratt", programme_area)
    assert milestone.history.get().history_user == programme_owner


def test_a_programme_owner_answers_a_support_need_but_cannot_rewrite_or_move_it(
    admin_client_as: AdminClient,
    vec: User,
    org_tree: OrgTree,
    programme_area: ProgrammeArea,
) -> None:
    need = SupportNeed.objects.create(
        raised_by=vec, unit=org_tree.hc2a, programme_area=programme_area, text="Utbildning"
    )
    client = admin_client_as("programme_owner")
    url = _change_url(need)
    page = client.get(url)

    response = client.post(
        url,
        admin_form_data(
            page,
            response="Vi ordnar en utbildningsdag.",
            status=SupportNeed.Status.ANSWERED,
            text="Omskrivet",
            unit=org_tree.hc1a.pk,
        ),
    )

    assert response.status_code == 302
    need.refresh_from_db()
    assert (need.text, need.unit, need.status, need.response) == (
        "Utbildning",
        org_tree.hc2a,
        SupportNeed.Status.ANSWERED,
        "Vi ordnar en utbildningsdag.",
    )
    assert need.raised_by == vec
