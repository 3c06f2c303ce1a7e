"""Selects and admin filters of programme areas and goals with several organisations in one
installation: every region has its "PO 1", so the labels name the organisation, a support need
offers the areas of the user's organisation, and a unit's need or plan for an area of another
organisation is refused. With one organisation the labels are as they always were."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from base.writes import checked_save
from goals.models import Goal
from organisation.models import Role
from programmes import services
from programmes.models import ActivityPlan, Phase, SupportNeed, WorkingMethod
from tests.factories import (
    GoalFactory,
    PhaseFactory,
    ProgrammeAreaFactory,
    RoleAssignmentFactory,
    UserFactory,
)
from tests.followup.dashboard_data import DashboardData, SecondOrganisation

RAISE = reverse("programmes:support_need_create")
TESTLAND_LABEL = "PO 1. Teamarbete (Region Testland)"
BERGLAND_LABEL = "PO 1. Nära vård Bergland (Region Bergland)"
REFUSED = (
    "PO 1. Nära vård Bergland hör till Region Bergland, men VO 1 gör det inte. "
    "Välj ett programområde i enhetens organisation."
)


def _options(content: str, name: str) -> list[str]:
    select = content.split(f'name="{name}"')[1].split("</select>")[0]
    return [label.strip() for label in re.findall(r"<option value=\"\d+\"[^>]*>([^<]*)<", select)]


def _get(client: Client, user: User, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.fixture
def vc_testland(testland: DashboardData, bergland: SecondOrganisation) -> User:
    return UserFactory(username="vc-a", role=Role.HEAD_OF_AREA, role__unit=testland.vos[0])


@pytest.fixture
def vc_of_both(testland: DashboardData, bergland: SecondOrganisation) -> User:
    """A VC of a VO in each region (a shared manager): both organisations' areas are offered."""
    user = UserFactory(username="vc-ab", role=Role.HEAD_OF_AREA, role__unit=testland.vos[0])
    RoleAssignmentFactory(user=user, role=Role.HEAD_OF_AREA, unit=bergland.vo)
    return user


def _need(area_id: int, unit_id: int) -> dict[str, object]:
    return {"programme_area": area_id, "unit": unit_id, "text": "Tid för utbildning."}


# --- the support need's select and its check -------------------------------------------------


def test_a_vc_is_offered_only_their_organisations_areas_labelled_with_it(
    client: Client, testland: DashboardData, bergland: SecondOrganisation, vc_testland: User
) -> None:
    shared = PhaseFactory(code="fas-gemensam", name="Gemensam fas")
    ProgrammeAreaFactory(phase=shared, number=1, name="Gemensamma arbetssätt")

    options = _options(_get(client, vc_testland, RAISE), "programme_area")

    # Testland's PO 1 and the phase of no organisation's (named by its phase), not Bergland's.
    assert TESTLAND_LABEL in options
    assert "PO 1. Gemensamma arbetssätt (Gemensam fas)" in options
    assert BERGLAND_LABEL not in options


def test_a_need_for_another_organisations_area_is_refused(
    client: Client, testland: DashboardData, bergland: SecondOrganisation, vc_testland: User
) -> None:
    client.force_login(vc_testland)

    response = client.post(RAISE, _need(bergland.programme_area.pk, testland.vos[0].pk))

    assert response.status_code == 422  # not a choice the form offers
    assert not SupportNeed.objects.filter(programme_area=bergland.programme_area).exists()


def test_a_vc_of_both_gets_both_areas_and_a_swedish_refusal_for_the_wrong_pair(
    client: Client, testland: DashboardData, bergland: SecondOrganisation, vc_of_both: User
) -> None:
    options = _options(_get(client, vc_of_both, RAISE), "programme_area")
    assert TESTLAND_LABEL in options
    assert BERGLAND_LABEL in options

    wrong = client.post(
        RAISE, {**_need(bergland.programme_area.pk, testland.vos[0].pk), "submit_token": "t1"}
    )
    right = client.post(
        RAISE, {**_need(bergland.programme_area.pk, bergland.vo.pk), "submit_token": "t2"}
    )

    assert wrong.status_code == 422
    assert REFUSED in wrong.content.decode()
    assert right.status_code == 302
    assert SupportNeed.objects.filter(programme_area=bergland.programme_area).count() == 1


def test_the_service_refuses_the_pair_for_every_role(
    testland: DashboardData, bergland: SecondOrganisation
) -> None:
    strateg = UserFactory(username="strateg", is_staff=True, role=Role.STRATEGIST)
    vc = UserFactory(username="vc-a", role=Role.HEAD_OF_AREA, role__unit=testland.vos[0])

    for user in (strateg, vc):
        with pytest.raises(ValidationError) as refused:
            services.support_need_raise(
                user=user,
                unit=testland.vos[0],
                programme_area=bergland.programme_area,
                text="x",
            )
        assert refused.value.message_dict["programme_area"] == [REFUSED]
    plan = ActivityPlan(programme_area=bergland.programme_area, unit=testland.vos[0])
    with pytest.raises(ValidationError):
        checked_save(user=strateg, obj=plan)


def test_a_need_saved_before_the_check_can_still_be_answered(
    client: Client, testland: DashboardData, bergland: SecondOrganisation
) -> None:
    # The set-up's needs are of Testland's VOs; one moved to Bergland's area by hand.
    need = SupportNeed.objects.filter(unit=testland.vos[0]).get()
    SupportNeed.objects.filter(pk=need.pk).update(programme_area=bergland.programme_area)
    need.refresh_from_db()
    strateg = UserFactory(username="strateg", is_staff=True, role=Role.STRATEGIST)

    answered = services.support_need_answer(user=strateg, need=need, response="Vi hjälper till.")

    assert answered.get_status_display() == "Besvarat"


# --- the activity plans page -----------------------------------------------------------------


def test_the_activity_plans_page_lists_each_units_organisations_areas(
    client: Client, testland: DashboardData, bergland: SecondOrganisation, vc_of_both: User
) -> None:
    content = _get(client, vc_of_both, reverse("programmes:activity_plans"))

    testland_section = content.split(f'id="plans-{testland.vos[0].pk}"')[1].split("</section>")[0]
    bergland_section = content.split(f'id="plans-{bergland.vo.pk}"')[1].split("</section>")[0]
    assert TESTLAND_LABEL in testland_section
    assert "Bergland" not in testland_section
    assert BERGLAND_LABEL in bergland_section
    assert "Teamarbete" not in bergland_section


def test_a_plan_page_for_another_organisations_area_is_no_page_and_stores_nothing(
    client: Client, testland: DashboardData, bergland: SecondOrganisation, vc_of_both: User
) -> None:
    # An old bookmark or a typed URL: Bergland's PO 1 with Testland's VO 1, both the VC's.
    url = reverse("programmes:activity_plan", args=[bergland.programme_area.pk, testland.vos[0].pk])
    client.force_login(vc_of_both)
    plans, history = ActivityPlan.objects.count(), ActivityPlan.history.count()

    page = client.get(url)
    response = client.post(
        url,
        {
            "title": "Utbildning",
            "start_date": "2026-01-01",
            "end_date": "2026-02-01",
            "status": "planerad",
            "version": 0,
            "submit_token": "a" * 32,
        },
    )

    assert page.status_code == 404
    assert response.status_code == 404
    assert ActivityPlan.objects.count() == plans
    assert ActivityPlan.history.count() == history
    # The right pair is a page, and its first activity starts the plan.
    own = reverse("programmes:activity_plan", args=[bergland.programme_area.pk, bergland.vo.pk])
    assert client.get(own).status_code == 200


# --- the admin's selects and filters ---------------------------------------------------------


@pytest.fixture
def strateg(testland: DashboardData, bergland: SecondOrganisation) -> User:
    return UserFactory(username="strateg", is_staff=True, role=Role.STRATEGIST)


def test_the_admins_area_and_goal_selects_name_the_organisation(
    client: Client, testland: DashboardData, bergland: SecondOrganisation, strateg: User
) -> None:
    goal_form = _get(client, strateg, reverse("admin:goals_goal_add"))
    assessment_form = _get(client, strateg, reverse("admin:goals_assessment_add"))
    plan_form = _get(client, strateg, reverse("admin:programmes_activityplan_add"))

    assert TESTLAND_LABEL in _options(goal_form, "programme_area")
    assert BERGLAND_LABEL in _options(goal_form, "programme_area")
    assert "Mål: Bergmål 0 (PO 1, Region Bergland)" in _options(goal_form, "parent")
    assert "Mål: Mål 0 (PO 1, Region Testland)" in _options(assessment_form, "goal")
    assert BERGLAND_LABEL in _options(plan_form, "programme_area")


def test_the_goal_forms_working_methods_name_their_area_and_organisation(
    client: Client, testland: DashboardData, bergland: SecondOrganisation, strateg: User
) -> None:
    method = WorkingMethod.objects.get(name="Teamrond")
    goal = GoalFactory(
        programme_area=testland.programme_area,
        kind=Goal.Kind.ADOPTION,
        working_method=method,
        unit_kind=testland.hcs[0].kind,
        target_share=50,
    )
    url = reverse("goals:goal_edit", args=[goal.pk])

    select = _get(client, strateg, url).split('name="working_method"')[1].split("</select>")[0]

    # Grouped by programme area, the goal's own first; each group names its organisation.
    own = r'<optgroup label="PO 1\. [^"]*\(Region Testland\) – målets programområde">'
    other = r'<optgroup label="PO 1\. [^"]*\(Region Bergland\)">'
    assert re.search(own + r'\s*<option value="\d+"[^>]*>Teamrond</option>', select)
    assert re.search(other + r'\s*<option value="\d+"[^>]*>Bergrond</option>', select)
    assert select.index("Region Testland") < select.index("Region Bergland")


def test_the_admins_list_filters_name_the_organisation(
    client: Client, testland: DashboardData, bergland: SecondOrganisation, strateg: User
) -> None:
    for url in (
        reverse("admin:goals_goal_changelist"),
        reverse("admin:programmes_supportneed_changelist"),
        reverse("admin:programmes_workingmethod_changelist"),
    ):
        content = _get(client, strateg, url)
        assert f">{TESTLAND_LABEL}</a>" in content, url
        assert f">{BERGLAND_LABEL}</a>" in content, url
    methods = _get(client, strateg, reverse("admin:goals_adoptionrecord_changelist"))
    assert ">Bergrond (PO 1, Region Bergland)</a>" in methods


def test_the_admin_refuses_a_plan_for_another_organisations_area(
    client: Client, testland: DashboardData, bergland: SecondOrganisation, strateg: User
) -> None:
    client.force_login(strateg)

    response = client.post(
        reverse("admin:programmes_activityplan_add"),
        {
            "programme_area": bergland.programme_area.pk,
            "unit": testland.vos[0].pk,
            "status": ActivityPlan.Status.DRAFT,
            "comment": "",
            "activities-TOTAL_FORMS": "0",
            "activities-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200  # the form again, with the error
    assert REFUSED in response.content.decode()
    assert (
        not ActivityPlan.objects.filter(programme_area=bergland.programme_area)
        .exclude(unit=bergland.vo)
        .exists()
    )


# --- one organisation: the labels as they always were -----------------------------------------


def test_with_one_organisation_the_labels_are_unchanged(
    client: Client, testland: DashboardData
) -> None:
    strateg = UserFactory(username="strateg", is_staff=True, role=Role.STRATEGIST)
    vc = UserFactory(username="vc-a", role=Role.HEAD_OF_AREA, role__unit=testland.vos[0])
    # Two areas: a list filter of one choice is not shown.
    ProgrammeAreaFactory(phase=testland.programme_area.phase, number=2, name="Nära vård")
    both = ["PO 1. Teamarbete", "PO 2. Nära vård"]
    for organisation in (None, testland.region):
        Phase.objects.update(organisation_unit=organisation)

        assert _options(_get(client, vc, RAISE), "programme_area") == both
        goal_form = _get(client, strateg, reverse("admin:goals_goal_add"))
        assert _options(goal_form, "programme_area") == both
        assert "Mål: Mål 0" in _options(goal_form, "parent")
        changelist = _get(client, strateg, reverse("admin:goals_goal_changelist"))
        assert ">PO 1. Teamarbete</a>" in changelist
        assert ">PO 2. Nära vård</a>" in changelist
