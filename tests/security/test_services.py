"""Every write service checks the object as it was and as it will be saved, per role.

Inside its scope a role's write is saved with the user in the history; outside it (or moving
something out of it) the service raises PermissionDenied and the database is unchanged.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.utils import translation

from followup import services as followup_services
from followup.models import Observation
from goals import services as goal_services
from goals.models import AdoptionRecord, Assessment, Goal, editable_quarters
from goals.status import Status
from organisation import services as organisation_services
from organisation.models import Role, RoleAssignment
from programmes import services as programme_services
from programmes.models import Activity, ActivityPlan, ProgrammeArea, SupportNeed, WorkingMethod
from tests.factories import (
    ActivityPlanFactory,
    AdoptionRecordFactory,
    AssessmentFactory,
    GoalFactory,
    MeasureFactory,
    ObservationFactory,
    OrgTree,
    RoleAssignmentFactory,
    SupportNeedFactory,
    UserFactory,
    WorkingMethodFactory,
)

pytestmark = pytest.mark.django_db

# (role fixture, a unit in its scope, a unit outside it)
SCOPED_UNITS = [("vc", "hc1b", "hc2a"), ("vec", "hc1a", "hc1b")]


# --- adoption records: VC (VO 1), VEC (HC 1A) -------------------------------------------------


@pytest.mark.parametrize(("role", "own", "other"), SCOPED_UNITS)
def test_a_unit_manager_reports_adoption_for_own_units_and_is_refused_elsewhere(
    request: pytest.FixtureRequest, org_tree: OrgTree, role: str, own: str, other: str
) -> None:
    user = request.getfixturevalue(role)
    method = WorkingMethodFactory()

    record = goal_services.adoption_record_create(
        user=user, unit=getattr(org_tree, own), working_method=method, status="planerad"
    )
    with pytest.raises(PermissionDenied):
        goal_services.adoption_record_create(
            user=user, unit=getattr(org_tree, other), working_method=method
        )

    assert list(AdoptionRecord.objects.values_list("unit__code", flat=True)) == [record.unit.code]
    assert record.history.get().history_user == user


@pytest.mark.parametrize(("role", "own", "other"), SCOPED_UNITS)
def test_a_unit_manager_cannot_move_an_own_adoption_record_out_of_scope(
    request: pytest.FixtureRequest, org_tree: OrgTree, role: str, own: str, other: str
) -> None:
    user = request.getfixturevalue(role)
    record = AdoptionRecordFactory(unit=getattr(org_tree, own))

    with pytest.raises(PermissionDenied):
        goal_services.adoption_record_update(
            user=user, record=record, data={"unit": getattr(org_tree, other)}
        )

    record.refresh_from_db()
    assert record.unit == getattr(org_tree, own)


def test_a_vc_cannot_pull_another_vos_adoption_record_into_the_own_vo(
    vc: User, org_tree: OrgTree
) -> None:
    record = AdoptionRecordFactory(unit=org_tree.hc2a)

    with pytest.raises(PermissionDenied):
        goal_services.adoption_record_update(user=vc, record=record, data={"unit": org_tree.hc1a})

    record.refresh_from_db()
    assert record.unit == org_tree.hc2a


def test_a_vc_changes_and_deletes_an_own_adoption_record_with_history(
    vc: User, org_tree: OrgTree
) -> None:
    record = AdoptionRecordFactory(unit=org_tree.hc1a)
    record_id = record.pk

    goal_services.adoption_record_update(
        user=vc,
        record=record,
        data={"status": "infort", "actual_date": datetime.date(2025, 10, 1)},
    )
    goal_services.adoption_record_delete(user=vc, record=record)

    history = list(AdoptionRecord.history.filter(id=record_id).order_by("history_date"))
    assert [(h.history_type, h.history_user) for h in history[1:]] == [("~", vc), ("-", vc)]
    assert history[1].status == "infort"


def test_an_invalid_adoption_record_is_refused_with_a_swedish_message_and_not_saved(
    vc: User, org_tree: OrgTree
) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="Ange datum"):
        goal_services.adoption_record_create(
            user=vc, unit=org_tree.hc1a, working_method=WorkingMethodFactory(), status="infort"
        )

    assert not AdoptionRecord.objects.exists()


@pytest.mark.parametrize("role", ["portfolio_owner", "steering_member", "programme_owner"])
def test_readers_and_programme_owners_report_no_adoption(
    request: pytest.FixtureRequest, org_tree: OrgTree, role: str
) -> None:
    user = request.getfixturevalue(role)

    with pytest.raises(PermissionDenied):
        goal_services.adoption_record_create(
            user=user, unit=org_tree.hc1a, working_method=WorkingMethodFactory()
        )


# --- goals and milestones: the programme owner owns PO 1 --------------------------------------


def _goal(area: ProgrammeArea, **fields: object) -> Goal:
    return Goal(
        programme_area=area,
        code=f"mal-{area.number}-{len(fields)}-{Goal.objects.count()}",
        title="Teamrond på alla hälsocentraler",
        kind=Goal.Kind.DELIVERABLE,
        deadline=datetime.date(2026, 12, 31),
        **fields,
    )


def test_a_programme_owner_adds_goals_and_milestones_in_the_own_area_only(
    programme_owner: User, programme_area: ProgrammeArea, other_programme_area: ProgrammeArea
) -> None:
    goal = goal_services.goal_create(user=programme_owner, goal=_goal(programme_area))
    milestone = goal_services.goal_create(
        user=programme_owner, goal=_goal(programme_area, parent=goal)
    )
    with pytest.raises(PermissionDenied):
        goal_services.goal_create(user=programme_owner, goal=_goal(other_programme_area))

    assert set(Goal.objects.all()) == {goal, milestone}
    assert milestone.is_milestone
    assert milestone.history.get().history_user == programme_owner


def test_a_programme_owner_cannot_hang_a_milestone_under_another_areas_goal(
    programme_owner: User, programme_area: ProgrammeArea, other_programme_area: ProgrammeArea
) -> None:
    foreign = GoalFactory(programme_area=other_programme_area)

    with pytest.raises(PermissionDenied):
        goal_services.goal_create(user=programme_owner, goal=_goal(programme_area, parent=foreign))

    assert not foreign.milestones.exists()


def test_a_programme_owner_cannot_move_a_goal_to_another_area(
    programme_owner: User, programme_area: ProgrammeArea, other_programme_area: ProgrammeArea
) -> None:
    goal = GoalFactory(programme_area=programme_area)

    with pytest.raises(PermissionDenied):
        goal_services.goal_update(
            user=programme_owner, goal=goal, data={"programme_area": other_programme_area}
        )

    goal.refresh_from_db()
    assert goal.programme_area == programme_area


def test_a_programme_owner_cannot_change_or_delete_another_areas_goal(
    programme_owner: User, other_programme_area: ProgrammeArea
) -> None:
    goal = GoalFactory(programme_area=other_programme_area, title="Före")

    with pytest.raises(PermissionDenied):
        goal_services.goal_update(user=programme_owner, goal=goal, data={"title": "Efter"})
    with pytest.raises(PermissionDenied):
        goal_services.goal_delete(user=programme_owner, goal=goal)

    goal.refresh_from_db()
    assert goal.title == "Före"


def test_the_strategist_changes_and_deletes_goals_of_any_area(
    strategist: User, other_programme_area: ProgrammeArea
) -> None:
    goal = GoalFactory(programme_area=other_programme_area, title="Före")

    goal_services.goal_update(user=strategist, goal=goal, data={"title": "Efter"})
    assert goal.history.first().history_user == strategist
    goal_services.goal_delete(user=strategist, goal=goal)

    assert not Goal.objects.exists()


@pytest.mark.parametrize("role", ["vc", "vec", "portfolio_owner", "steering_member"])
def test_roles_without_an_area_add_no_goal(
    request: pytest.FixtureRequest, programme_area: ProgrammeArea, role: str
) -> None:
    with pytest.raises(PermissionDenied):
        goal_services.goal_create(user=request.getfixturevalue(role), goal=_goal(programme_area))


# --- assessments ------------------------------------------------------------------------------


def test_an_assessment_is_authored_by_the_acting_user(
    programme_owner: User, programme_area: ProgrammeArea, steering_member: User
) -> None:
    goal = GoalFactory(programme_area=programme_area, direction=True)

    assessment = goal_services.assessment_record(
        user=programme_owner,
        goal=goal,
        quarter=editable_quarters()[0].code,
        status=Status.ON_TRACK.value,
        comment="Går enligt plan.",
    )
    with pytest.raises(ValueError, match="author"):
        goal_services.assessment_update(
            user=programme_owner, assessment=assessment, data={"author": steering_member}
        )

    assessment.refresh_from_db()
    assert assessment.author == programme_owner


def test_recording_an_assessment_again_replaces_it_and_takes_the_new_author(
    programme_owner: User, strategist: User, programme_area: ProgrammeArea
) -> None:
    existing = AssessmentFactory(
        goal__programme_area=programme_area, author=strategist, quarter=editable_quarters()[0].code
    )

    goal_services.assessment_record(
        user=programme_owner,
        goal=existing.goal,
        quarter=existing.quarter,
        status=Status.AT_RISK.value,
        comment="Risk: två hälsocentraler saknar bemanning.",
    )

    assessment = Assessment.objects.get()
    assert (assessment.pk, assessment.author, assessment.status) == (
        existing.pk,
        programme_owner,
        Status.AT_RISK.value,
    )


def test_a_programme_owner_cannot_assess_another_areas_goal(
    programme_owner: User, other_programme_area: ProgrammeArea
) -> None:
    goal = GoalFactory(programme_area=other_programme_area, direction=True)

    with pytest.raises(PermissionDenied):
        goal_services.assessment_record(
            user=programme_owner,
            goal=goal,
            quarter=editable_quarters()[0].code,
            status=Status.ON_TRACK.value,
            comment="Går enligt plan.",
        )

    assert not Assessment.objects.exists()


# --- observations -----------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "own", "other"), [("vc", "hc1b", "vo2"), ("vec", "hc1a", "hc1b")])
def test_a_unit_manager_records_and_deletes_observations_only_in_scope(
    request: pytest.FixtureRequest, org_tree: OrgTree, role: str, own: str, other: str
) -> None:
    user = request.getfixturevalue(role)
    measure = MeasureFactory()
    period = {"period_start": datetime.date(2025, 10, 1), "period_end": datetime.date(2025, 10, 31)}

    observation = followup_services.observation_record(
        user=user, measure=measure, unit=getattr(org_tree, own), value=Decimal(5), **period
    )
    with pytest.raises(PermissionDenied):
        followup_services.observation_record(
            user=user, measure=measure, unit=getattr(org_tree, other), value=Decimal(5), **period
        )
    foreign = ObservationFactory(unit=getattr(org_tree, other))
    with pytest.raises(PermissionDenied):
        followup_services.observation_delete(user=user, observation=foreign)
    followup_services.observation_delete(user=user, observation=observation)

    assert list(Observation.objects.all()) == [foreign]
    assert Observation.history.filter(history_type="-").get().history_user == user


def test_a_refusal_is_worded_in_the_interface_language_with_the_unit_named(
    vc: User, org_tree: OrgTree
) -> None:
    measure = MeasureFactory()
    period = {"period_start": datetime.date(2025, 10, 1), "period_end": datetime.date(2025, 10, 31)}

    def refusal() -> str:
        with pytest.raises(PermissionDenied) as refused:
            followup_services.observation_record(
                user=vc, measure=measure, unit=org_tree.hc2a, value=Decimal(5), **period
            )
        return str(refused.value)

    assert refusal() == "Du har inte behörighet att rapportera värden för Hälsocentral Söderby."
    with translation.override("en"):
        assert refusal() == "You do not have permission to report values for Hälsocentral Söderby."
        with pytest.raises(PermissionDenied, match="^Only administrators can assign roles.$"):
            organisation_services.role_assignment_create(
                user=vc, assignment=RoleAssignment(user=vc, role=Role.ADMIN)
            )


# --- programmes -------------------------------------------------------------------------------


def test_a_programme_owner_changes_the_own_area_and_its_working_methods_only(
    programme_owner: User, programme_area: ProgrammeArea, other_programme_area: ProgrammeArea
) -> None:
    programme_services.programme_area_update(
        user=programme_owner, area=programme_area, data={"description": "Ny beskrivning"}
    )
    method = programme_services.working_method_create(
        user=programme_owner,
        method=WorkingMethod(code="teamrond", name="Teamrond", programme_area=programme_area),
    )
    with pytest.raises(PermissionDenied):
        programme_services.programme_area_update(
            user=programme_owner, area=other_programme_area, data={"description": "Kapad"}
        )
    with pytest.raises(PermissionDenied):
        programme_services.working_method_update(
            user=programme_owner, method=method, data={"programme_area": other_programme_area}
        )
    with pytest.raises(PermissionDenied):
        programme_services.programme_area_create(
            user=programme_owner,
            area=ProgrammeArea(phase=programme_area.phase, number=9, name="Eget område"),
        )

    other_programme_area.refresh_from_db()
    method.refresh_from_db()
    assert other_programme_area.description == ""
    assert method.programme_area == programme_area
    assert programme_area.history.first().history_user == programme_owner


def test_a_vc_writes_the_vos_activity_plan_and_cannot_move_it_or_its_activities(
    vc: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    plan = programme_services.activity_plan_create(
        user=vc, plan=ActivityPlan(programme_area=programme_area, unit=org_tree.vo1)
    )
    activity = programme_services.activity_create(
        user=vc, activity=Activity(plan=plan, title="Utbilda teamen")
    )
    foreign_plan = ActivityPlanFactory(unit=org_tree.vo2, programme_area=programme_area)

    with pytest.raises(PermissionDenied):
        programme_services.activity_plan_update(user=vc, plan=plan, data={"unit": org_tree.vo2})
    plan.refresh_from_db()
    with pytest.raises(PermissionDenied):
        programme_services.activity_update(user=vc, activity=activity, data={"plan": foreign_plan})
    with pytest.raises(PermissionDenied):
        programme_services.activity_create(
            user=vc, activity=Activity(plan=foreign_plan, title="Smuggel")
        )
    # (Submitted, the plan is read-only altogether: tests/editing/test_plan_lock.py.)
    programme_services.activity_plan_update(user=vc, plan=plan, data={"status": "inlamnad"})

    plan.refresh_from_db()
    activity.refresh_from_db()
    assert (plan.unit, plan.status, activity.plan) == (org_tree.vo1, "inlamnad", plan)
    assert plan.submitted_at is not None
    assert not foreign_plan.activities.exists()
    assert Activity.history.filter(id=activity.id).count() == 1


def test_a_support_need_is_raised_by_the_acting_user_and_answered_by_the_area(
    vec: User,
    programme_owner: User,
    org_tree: OrgTree,
    programme_area: ProgrammeArea,
    other_programme_area: ProgrammeArea,
) -> None:
    need = programme_services.support_need_raise(
        user=vec, unit=org_tree.hc1a, programme_area=programme_area, text="Tid för utbildning."
    )
    programme_services.support_need_answer(
        user=programme_owner, need=need, response="Vi ordnar en utbildningsdag."
    )
    with pytest.raises(PermissionDenied):
        programme_services.support_need_raise(
            user=vec, unit=org_tree.hc1b, programme_area=programme_area, text="Annans enhet"
        )
    with pytest.raises(PermissionDenied):
        programme_services.support_need_update(
            user=programme_owner, need=need, data={"text": "Omskrivet av området"}
        )
    with pytest.raises(ValueError, match="raised_by"):
        programme_services.support_need_update(user=vec, need=need, data={"raised_by": vec})
    foreign = SupportNeedFactory(unit=org_tree.hc2a, programme_area=other_programme_area)
    with pytest.raises(PermissionDenied):
        programme_services.support_need_answer(user=programme_owner, need=foreign, response="x")

    need.refresh_from_db()
    assert (need.raised_by, need.text, need.status, need.response) == (
        vec,
        "Tid för utbildning.",
        SupportNeed.Status.ANSWERED,
        "Vi ordnar en utbildningsdag.",
    )
    assert SupportNeed.objects.count() == 2


# --- role assignments: the admin role only ----------------------------------------------------


@pytest.mark.parametrize(
    "role", ["strategist", "portfolio_owner", "steering_member", "programme_owner", "vc", "vec"]
)
def test_only_the_admin_role_hands_out_or_changes_roles(
    request: pytest.FixtureRequest, admin_user: User, role: str
) -> None:
    user = request.getfixturevalue(role)
    own = RoleAssignment.objects.filter(user=user).first()

    with pytest.raises(PermissionDenied):
        organisation_services.role_assignment_create(
            user=user, assignment=RoleAssignment(user=user, role=Role.ADMIN)
        )
    own.role = Role.ADMIN
    with pytest.raises(PermissionDenied):
        organisation_services.role_assignment_update(user=user, assignment=own)

    assert not RoleAssignment.objects.filter(user=user, role=Role.ADMIN).exists()
    given = organisation_services.role_assignment_create(
        user=admin_user, assignment=RoleAssignment(user=UserFactory(), role=Role.STEERING_GROUP)
    )
    assert given.history.get().history_user == admin_user


def test_the_strategist_edits_units_but_not_roles(strategist: User, org_tree: OrgTree) -> None:
    org_tree.hc1a.name = "Hälsocentral Norrby nya"
    organisation_services.unit_update(user=strategist, unit=org_tree.hc1a)
    assignment = RoleAssignmentFactory(role=Role.STEERING_GROUP)

    with pytest.raises(PermissionDenied):
        organisation_services.role_assignment_delete(user=strategist, assignment=assignment)

    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()
    assert org_tree.hc1a.history.first().history_user == strategist
