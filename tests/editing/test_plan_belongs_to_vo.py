"""An activity plan belongs to a VO (a unit of a kind marked UnitKind.is_vo): a plan for one of
its health centres is refused on every entry (services, the plan page, the admin's add and
change forms and its history revert), for every role that writes plans, with a Swedish message
naming the VO to choose instead; nothing is saved."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from programmes import services
from programmes.models import ActivityPlan, ProgrammeArea
from tests.admin_forms import admin_form_data, form_errors
from tests.factories import ActivityFactory, ActivityPlanFactory, OrgTree, UnitFactory

pytestmark = pytest.mark.django_db

WRITERS = ["vc", "strategist", "admin_user"]


def not_a_vo(org_tree: OrgTree) -> str:
    return (
        "En aktivitetsplan hör till ett verksamhetsområde (VO), men ”HC 1A” är av typen "
        f"hälsocentral. Välj verksamhetsområdet ”{org_tree.vo1.name}” i stället: enhetens "
        "arbete ingår i dess plan. Inget har sparats."
    )


def login(user: User, *, staff: bool = False) -> Client:
    if staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(user)
    return client


def plans() -> tuple[int, int]:
    return ActivityPlan.objects.count(), ActivityPlan.history.count()


@pytest.fixture
def hc1a(org_tree: OrgTree) -> Any:
    org_tree.hc1a.name = "HC 1A"
    org_tree.hc1a.save(update_fields=["name", "search_text"])
    return org_tree.hc1a


@pytest.mark.parametrize("role", WRITERS)
def test_the_service_refuses_a_plan_for_a_health_centre(
    request: pytest.FixtureRequest,
    org_tree: OrgTree,
    hc1a: Any,
    programme_area: ProgrammeArea,
    role: str,
) -> None:
    user = request.getfixturevalue(role)
    before = plans()

    with pytest.raises(ValidationError) as refused:
        services.activity_plan_create(
            user=user, plan=ActivityPlan(unit=hc1a, programme_area=programme_area)
        )

    assert refused.value.message_dict == {"unit": [not_a_vo(org_tree)]}
    assert plans() == before


def test_a_vc_out_of_scope_is_refused_before_the_kind_is_looked_at(
    vc: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    with pytest.raises(PermissionDenied):
        services.activity_plan_create(
            user=vc, plan=ActivityPlan(unit=org_tree.hc2a, programme_area=programme_area)
        )
    assert not ActivityPlan.objects.exists()


def test_a_unit_with_no_vo_above_is_told_to_choose_a_vo(
    strategist: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.activity_plan_create(
            user=strategist, plan=ActivityPlan(unit=org_tree.area, programme_area=programme_area)
        )

    assert refused.value.message_dict == {
        "unit": [
            f"En aktivitetsplan hör till ett verksamhetsområde (VO), men ”{org_tree.area.name}” "
            "är av typen område. Välj ett verksamhetsområde. Inget har sparats."
        ]
    }


@pytest.mark.parametrize("role", WRITERS)
def test_the_admin_refuses_to_add_a_plan_for_a_health_centre(
    request: pytest.FixtureRequest,
    org_tree: OrgTree,
    hc1a: Any,
    programme_area: ProgrammeArea,
    role: str,
) -> None:
    client = login(request.getfixturevalue(role), staff=True)
    url = "/admin/programmes/activityplan/add/"
    page = client.get(url)
    data = admin_form_data(page, unit=hc1a.pk, programme_area=programme_area.pk, status="utkast")
    data |= {"activities-TOTAL_FORMS": "0", "activities-INITIAL_FORMS": "0"}
    before = plans()

    response = client.post(url, data)

    assert response.status_code == 200
    assert form_errors(response) == [not_a_vo(org_tree)]
    assert plans() == before


@pytest.mark.parametrize("role", ["vc", "strategist"])
def test_the_admin_refuses_to_move_a_vos_plan_to_its_health_centre(
    request: pytest.FixtureRequest,
    org_tree: OrgTree,
    hc1a: Any,
    programme_area: ProgrammeArea,
    role: str,
) -> None:
    plan = ActivityPlanFactory(unit=org_tree.vo1, programme_area=programme_area)
    client = login(request.getfixturevalue(role), staff=True)
    url = f"/admin/programmes/activityplan/{plan.pk}/change/"
    before = plans()

    response = client.post(url, admin_form_data(client.get(url), unit=hc1a.pk))

    assert response.status_code == 200
    assert form_errors(response) == [not_a_vo(org_tree)]
    plan.refresh_from_db()
    assert plan.unit_id == org_tree.vo1.pk
    assert plans() == before


def test_a_history_revert_to_a_health_centre_is_refused(
    vc: User, org_tree: OrgTree, hc1a: Any, programme_area: ProgrammeArea
) -> None:
    """A plan made for a health centre before the rule, moved to its VO since: reverting to
    the old version would put it back on the health centre."""
    plan = ActivityPlanFactory(unit=hc1a, programme_area=programme_area)
    services.activity_plan_update(user=vc, plan=plan, data={"unit": org_tree.vo1})
    old = plan.history.order_by("history_date", "history_id").first()
    client = login(vc, staff=True)
    url = f"/admin/programmes/activityplan/{plan.pk}/history/{old.history_id}/"
    before = plans()

    response = client.post(url, admin_form_data(client.get(url)))

    assert response.status_code == 200
    assert form_errors(response) == [not_a_vo(org_tree)]
    plan.refresh_from_db()
    assert plan.unit_id == org_tree.vo1.pk
    assert plans() == before


def test_the_plan_page_of_a_health_centre_is_no_page_and_adds_nothing(
    vc: User, strategist: User, org_tree: OrgTree, hc1a: Any, programme_area: ProgrammeArea
) -> None:
    url = reverse("programmes:activity_plan", args=[programme_area.pk, hc1a.pk])
    before = plans()

    for user in (vc, strategist):
        client = login(user)
        assert client.get(url).status_code == 404
        posted = client.post(url, {"title": "Teamrond", "status": "planerad", "version": "0"})
        assert posted.status_code == 404
    assert plans() == before


def test_a_plan_saved_for_a_health_centre_before_the_rule_can_still_be_submitted(
    vc: User, hc1a: Any, programme_area: ProgrammeArea
) -> None:
    plan = ActivityPlanFactory(unit=hc1a, programme_area=programme_area)
    ActivityFactory(plan=plan)

    services.activity_plan_update(user=vc, plan=plan, data={"status": "inlamnad"})

    plan.refresh_from_db()
    assert plan.status == ActivityPlan.Status.SUBMITTED


def test_a_kind_marked_as_vo_in_another_tree_holds_plans(
    strategist: User, programme_area: ProgrammeArea
) -> None:
    """The VO level is data: another region's kind with another code, marked as the VO."""
    unit = UnitFactory(kind__hc=False, kind__code="sektor", kind__is_vo=True)

    plan = services.activity_plan_create(
        user=strategist, plan=ActivityPlan(unit=unit, programme_area=programme_area)
    )

    assert plan.pk is not None


@pytest.mark.parametrize(
    "role", ["vec", "programme_owner", "portfolio_owner", "steering_member", "no_role_user"]
)
def test_those_who_write_no_plans_are_refused_for_a_health_centre_too(
    request: pytest.FixtureRequest, hc1a: Any, programme_area: ProgrammeArea, role: str
) -> None:
    user = request.getfixturevalue(role)
    before = plans()

    with pytest.raises(PermissionDenied):
        services.activity_plan_create(
            user=user, plan=ActivityPlan(unit=hc1a, programme_area=programme_area)
        )

    assert plans() == before
