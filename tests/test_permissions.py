"""Who may do what: every role against every kind of object, through `user.has_perm`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.test import Client

from organisation.models import Role
from programmes.models import PhaseEvent, ProgrammeArea, ProgrammeAreaProcess
from tests.factories import (
    ActivityFactory,
    ActivityPlanFactory,
    AdoptionRecordFactory,
    AssessmentFactory,
    GoalFactory,
    GoalResultFactory,
    ImportBatchFactory,
    MeasureFactory,
    MeasureResultFactory,
    ObservationFactory,
    OrgTree,
    PeriodResultFactory,
    RoleAssignmentFactory,
    SupportingProcessFactory,
    SupportNeedFactory,
    UserFactory,
    WorkingMethodFactory,
)

pytestmark = pytest.mark.django_db

ROLES = [
    "strategist",
    "admin_user",
    "portfolio_owner",
    "steering_member",
    "programme_owner",
    "vc",
    "vec",
    "no_role_user",
]
READERS = frozenset(ROLES) - {"no_role_user"}
EVERYTHING = frozenset({"strategist", "admin_user"})
NOBODY: frozenset[str] = frozenset()
PO = frozenset({"programme_owner"})
VC = frozenset({"vc"})
VC_AND_VEC = frozenset({"vc", "vec"})


@dataclass(frozen=True)
class Case:
    """One kind of object, how to make it, which roles may change it and which delete it."""

    perm: str
    make: Any  # (org_tree, own_area, other_area) -> object
    editors: frozenset[str]
    deleters: frozenset[str] | None = None  # None: the editors
    # None: every reader. A draft activity plan (and its activities) is read by its VO (its VC,
    # the VECs of its units), the area's owner and those who edit everything.
    readers: frozenset[str] | None = None

    @property
    def may_delete(self) -> frozenset[str]:
        return self.editors if self.deleters is None else self.deleters


# The programme owner owns PO 1 (`programme_area`); the VC leads VO 1, the VEC heads HC 1A.
CASES: dict[str, Case] = {
    # structure: the strategist and administrators only
    "unit VO 1": Case("organisation.change_unit", lambda t, a, b: t.vo1, EVERYTHING),
    "unit HC 1A": Case("organisation.change_unit", lambda t, a, b: t.hc1a, EVERYTHING),
    "unit kind": Case("organisation.change_unitkind", lambda t, a, b: t.hc1a.kind, EVERYTHING),
    "phase": Case("programmes.change_phase", lambda t, a, b: a.phase, EVERYTHING),
    "timeline item": Case(
        "programmes.change_phaseevent",
        lambda t, a, b: PhaseEvent.objects.create(phase=a.phase, code="start", title="Start"),
        EVERYTHING,
    ),
    # a programme area's link to a supporting process, and its provenance: the area's owner
    "process link PO 1": Case(
        "programmes.change_programmeareaprocess",
        lambda t, a, b: ProgrammeAreaProcess.objects.create(
            programme_area=a, supporting_process=SupportingProcessFactory()
        ),
        EVERYTHING | PO,
    ),
    "process link PO 2": Case(
        "programmes.change_programmeareaprocess",
        lambda t, a, b: ProgrammeAreaProcess.objects.create(
            programme_area=b, supporting_process=SupportingProcessFactory()
        ),
        EVERYTHING,
    ),
    "measure": Case("followup.change_measure", lambda t, a, b: MeasureFactory(), EVERYTHING),
    # an import batch: written by the import, reverted by its undo; only the demo data's is
    # deleted (with its values, by the strategist or an administrator: import_batch_delete)
    "import batch": Case(
        "followup.change_importbatch", lambda t, a, b: ImportBatchFactory(), NOBODY, EVERYTHING
    ),
    # a programme area and what hangs off it: its owner too
    "programme area PO 1": Case(
        "programmes.change_programmearea", lambda t, a, b: a, EVERYTHING | PO, EVERYTHING
    ),
    "programme area PO 2": Case("programmes.change_programmearea", lambda t, a, b: b, EVERYTHING),
    "goal PO 1": Case(
        "goals.change_goal", lambda t, a, b: GoalFactory(programme_area=a), EVERYTHING | PO
    ),
    "goal PO 2": Case(
        "goals.change_goal", lambda t, a, b: GoalFactory(programme_area=b), EVERYTHING
    ),
    "milestone PO 1": Case(
        "goals.change_goal",
        lambda t, a, b: GoalFactory(programme_area=a, milestone=True),
        EVERYTHING | PO,
    ),
    "milestone PO 2": Case(
        "goals.change_goal",
        lambda t, a, b: GoalFactory(programme_area=b, milestone=True),
        EVERYTHING,
    ),
    "working method PO 1": Case(
        "programmes.change_workingmethod",
        lambda t, a, b: WorkingMethodFactory(programme_area=a),
        EVERYTHING | PO,
    ),
    "working method PO 2": Case(
        "programmes.change_workingmethod",
        lambda t, a, b: WorkingMethodFactory(programme_area=b),
        EVERYTHING,
    ),
    "assessment PO 1": Case(
        "goals.change_assessment",
        lambda t, a, b: AssessmentFactory(goal__programme_area=a),
        EVERYTHING | PO,
    ),
    "assessment PO 2": Case(
        "goals.change_assessment",
        lambda t, a, b: AssessmentFactory(goal__programme_area=b),
        EVERYTHING,
    ),
    # what a unit reports: its VC (whole VO) or VEC (the unit itself)
    "adoption record VO 1": Case(
        "goals.change_adoptionrecord",
        lambda t, a, b: AdoptionRecordFactory(unit=t.vo1),
        EVERYTHING | VC,
    ),
    "adoption record HC 1A": Case(
        "goals.change_adoptionrecord",
        lambda t, a, b: AdoptionRecordFactory(unit=t.hc1a),
        EVERYTHING | VC_AND_VEC,
    ),
    "adoption record HC 1B": Case(
        "goals.change_adoptionrecord",
        lambda t, a, b: AdoptionRecordFactory(unit=t.hc1b),
        EVERYTHING | VC,
    ),
    "adoption record HC 2A": Case(
        "goals.change_adoptionrecord",
        lambda t, a, b: AdoptionRecordFactory(unit=t.hc2a),
        EVERYTHING,
    ),
    "observation HC 1A": Case(
        "followup.change_observation",
        lambda t, a, b: ObservationFactory(unit=t.hc1a),
        EVERYTHING | VC_AND_VEC,
    ),
    "observation HC 1B": Case(
        "followup.change_observation",
        lambda t, a, b: ObservationFactory(unit=t.hc1b),
        EVERYTHING | VC,
    ),
    "observation VO 2": Case(
        "followup.change_observation", lambda t, a, b: ObservationFactory(unit=t.vo2), EVERYTHING
    ),
    "observation HC 2B": Case(
        "followup.change_observation", lambda t, a, b: ObservationFactory(unit=t.hc2b), EVERYTHING
    ),
    "activity plan VO 1": Case(
        "programmes.change_activityplan",
        lambda t, a, b: ActivityPlanFactory(unit=t.vo1, programme_area=a),
        EVERYTHING | VC,
        readers=EVERYTHING | PO | VC_AND_VEC,
    ),
    "activity plan VO 2": Case(
        "programmes.change_activityplan",
        lambda t, a, b: ActivityPlanFactory(unit=t.vo2, programme_area=a),
        EVERYTHING,
        readers=EVERYTHING | PO,
    ),
    "activity VO 1": Case(
        "programmes.change_activity",
        lambda t, a, b: ActivityFactory(plan__unit=t.vo1, plan__programme_area=a),
        EVERYTHING | VC,
        readers=EVERYTHING | PO | VC_AND_VEC,
    ),
    "activity VO 2": Case(
        "programmes.change_activity",
        lambda t, a, b: ActivityFactory(plan__unit=t.vo2, plan__programme_area=a),
        EVERYTHING,
        readers=EVERYTHING | PO,
    ),
    "support need HC 1A, PO 2": Case(
        "programmes.change_supportneed",
        lambda t, a, b: SupportNeedFactory(unit=t.hc1a, programme_area=b),
        EVERYTHING | VC_AND_VEC,
        EVERYTHING,
    ),
    "support need HC 2A, PO 2": Case(
        "programmes.change_supportneed",
        lambda t, a, b: SupportNeedFactory(unit=t.hc2a, programme_area=b),
        EVERYTHING,
    ),
    # the programme area answers the support needs raised for it
    "support need HC 2A, PO 1": Case(
        "programmes.change_supportneed",
        lambda t, a, b: SupportNeedFactory(unit=t.hc2a, programme_area=a),
        EVERYTHING | PO,
        EVERYTHING,
    ),
    # computed rows: the follow-up job only
    "measure result": Case(
        "followup.change_measureresult", lambda t, a, b: MeasureResultFactory(unit=t.vo1), NOBODY
    ),
    "period result": Case(
        "followup.change_periodresult", lambda t, a, b: PeriodResultFactory(unit=t.vo1), NOBODY
    ),
    "goal result": Case(
        "followup.change_goalresult",
        lambda t, a, b: GoalResultFactory(goal__programme_area=a),
        NOBODY,
    ),
    # people's roles: administrators only
    "role assignment": Case(
        "organisation.change_roleassignment",
        lambda t, a, b: RoleAssignmentFactory(role=Role.STEERING_GROUP),
        frozenset({"admin_user"}),
    ),
}


@pytest.fixture
def users(request: pytest.FixtureRequest) -> dict[str, User]:
    """One user per role, by fixture name."""
    return {role: request.getfixturevalue(role) for role in ROLES}


@pytest.fixture
def make_object(
    org_tree: OrgTree, programme_area: ProgrammeArea, other_programme_area: ProgrammeArea
) -> Any:
    def make(case: Case) -> Any:
        return case.make(org_tree, programme_area, other_programme_area)

    return make


@pytest.mark.parametrize("object_name", list(CASES))
def test_each_role_reads_changes_and_deletes_exactly_what_its_scope_allows(
    users: dict[str, User], make_object: Any, object_name: str
) -> None:
    case = CASES[object_name]
    obj = make_object(case)
    view, delete = (case.perm.replace(".change_", f".{action}_") for action in ("view", "delete"))

    actual = {
        role: (user.has_perm(view, obj), user.has_perm(case.perm, obj), user.has_perm(delete, obj))
        for role, user in users.items()
    }

    # Each role: (reads, changes, deletes). A user with no role reads nothing.
    assert actual == {
        role: (
            role in (READERS if case.readers is None else case.readers),
            role in case.editors,
            role in case.may_delete,
        )
        for role in ROLES
    }


# --- the same rules, said as sentences --------------------------------------------------------


def test_strategist_edits_goals_units_and_reports_of_every_area(
    strategist: User, org_tree: OrgTree, other_programme_area: ProgrammeArea
) -> None:
    assert strategist.has_perm(
        "goals.change_goal", GoalFactory(programme_area=other_programme_area)
    )
    assert strategist.has_perm("organisation.change_unit", org_tree.hc2b)
    assert strategist.has_perm(
        "followup.change_observation", ObservationFactory(unit=org_tree.hc2b)
    )


def test_strategist_cannot_hand_out_roles_but_an_administrator_can(
    strategist: User, admin_user: User
) -> None:
    assignment = RoleAssignmentFactory(role=Role.PORTFOLIO_OWNER)

    assert not strategist.has_perm("organisation.change_roleassignment", assignment)
    assert not strategist.has_perm("organisation.add_roleassignment")
    assert admin_user.has_perm("organisation.change_roleassignment", assignment)
    assert admin_user.has_perm("organisation.add_roleassignment")


def test_portfolio_owner_and_steering_group_read_but_write_nothing(
    portfolio_owner: User, steering_member: User, programme_area: ProgrammeArea
) -> None:
    goal = GoalFactory(programme_area=programme_area)
    for user in (portfolio_owner, steering_member):
        assert user.has_perm("gonv.view_portfolio")
        assert user.has_perm("goals.view_goal", goal)
        assert not user.has_perm("goals.change_goal", goal)
        assert not user.has_perm("goals.add_goal")


def test_programme_owner_edits_own_areas_goals_but_not_another_areas(
    programme_owner: User, programme_area: ProgrammeArea, other_programme_area: ProgrammeArea
) -> None:
    own = GoalFactory(programme_area=programme_area)
    others = GoalFactory(programme_area=other_programme_area)

    assert programme_owner.has_perm("goals.change_goal", own)
    assert not programme_owner.has_perm("goals.change_goal", others)


def test_programme_owner_cannot_add_a_goal_to_another_area(
    programme_owner: User, programme_area: ProgrammeArea, other_programme_area: ProgrammeArea
) -> None:
    assert programme_owner.has_perm("goals.add_goal")
    assert programme_owner.has_perm(
        "goals.add_goal", GoalFactory.build(programme_area=programme_area)
    )
    assert not programme_owner.has_perm(
        "goals.add_goal", GoalFactory.build(programme_area=other_programme_area)
    )


def test_programme_owner_cannot_edit_units_or_observations(
    programme_owner: User, org_tree: OrgTree
) -> None:
    assert not programme_owner.has_perm("organisation.change_unit", org_tree.hc1a)
    assert not programme_owner.has_perm(
        "followup.change_observation", ObservationFactory(unit=org_tree.hc1a)
    )
    assert not programme_owner.has_perm("followup.add_observation")


def test_vc_edits_adoption_records_of_the_vo_and_its_health_centres(
    vc: User, org_tree: OrgTree
) -> None:
    for unit in (org_tree.vo1, org_tree.hc1a, org_tree.hc1b):
        assert vc.has_perm("goals.change_adoptionrecord", AdoptionRecordFactory(unit=unit))


def test_vc_cannot_edit_another_vos_unit(vc: User, org_tree: OrgTree) -> None:
    for unit in (org_tree.vo2, org_tree.hc2a, org_tree.hc2b):
        assert not vc.has_perm("goals.change_adoptionrecord", AdoptionRecordFactory(unit=unit))
        assert not vc.has_perm("followup.change_observation", ObservationFactory(unit=unit))


def test_vc_cannot_edit_units_or_goals(
    vc: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    assert not vc.has_perm("organisation.change_unit", org_tree.hc1a)
    assert not vc.has_perm("goals.change_goal", GoalFactory(programme_area=programme_area))
    assert not vc.has_perm("goals.add_goal")


def test_vc_may_add_reports_but_a_programme_owner_may_not(vc: User, programme_owner: User) -> None:
    for perm in (
        "goals.add_adoptionrecord",
        "followup.add_observation",
        "programmes.add_activityplan",
        "programmes.add_supportneed",
    ):
        assert vc.has_perm(perm)
        assert not programme_owner.has_perm(perm)


def test_vec_edits_only_their_own_units_records(vec: User, org_tree: OrgTree) -> None:
    assert vec.has_perm("followup.change_observation", ObservationFactory(unit=org_tree.hc1a))
    assert not vec.has_perm("followup.change_observation", ObservationFactory(unit=org_tree.hc1b))
    assert not vec.has_perm("followup.change_observation", ObservationFactory(unit=org_tree.vo1))


def test_vec_cannot_edit_a_sibling_health_centres_adoption_record(
    vec: User, org_tree: OrgTree
) -> None:
    assert not vec.has_perm(
        "goals.change_adoptionrecord", AdoptionRecordFactory(unit=org_tree.hc1b)
    )


def test_a_vc_of_two_vos_edits_both(org_tree: OrgTree) -> None:
    user = UserFactory(role=Role.HEAD_OF_AREA, role__unit=org_tree.vo1)
    RoleAssignmentFactory(user=user, role=Role.HEAD_OF_AREA, unit=org_tree.vo2)

    assert user.has_perm("followup.change_observation", ObservationFactory(unit=org_tree.hc1a))
    assert user.has_perm("followup.change_observation", ObservationFactory(unit=org_tree.hc2b))


def test_no_role_user_reads_nothing(no_role_user: User, programme_area: ProgrammeArea) -> None:
    assert not no_role_user.has_perm("gonv.view_portfolio")
    assert not no_role_user.has_perm("goals.view_goal", GoalFactory(programme_area=programme_area))


def test_an_inactive_user_loses_every_right() -> None:
    user = UserFactory(role=Role.STRATEGIST, is_active=False)

    assert not user.has_perm("gonv.view_portfolio")
    assert not user.has_perm("goals.change_goal", GoalFactory())


@pytest.mark.parametrize(
    "perm",
    [
        "gonv.view_portfolio",
        "goals.view_goal",
        "goals.change_goal",
        "goals.add_adoptionrecord",
        "followup.change_observation",
        "organisation.change_unit",
        "organisation.add_roleassignment",
    ],
)
def test_anonymous_user_has_no_permissions(perm: str, org_tree: OrgTree) -> None:
    anonymous = AnonymousUser()

    assert not anonymous.has_perm(perm)
    assert not anonymous.has_perm(perm, ObservationFactory(unit=org_tree.hc1a))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "model", ["measureresult", "spcresult", "periodresult", "goalresult", "computerun"]
)
@pytest.mark.parametrize("action", ["add", "change", "delete"])
def test_nobody_writes_computed_results(
    request: pytest.FixtureRequest, role: str, model: str, action: str
) -> None:
    assert not request.getfixturevalue(role).has_perm(f"followup.{action}_{model}")


def test_a_users_scope_is_loaded_once_per_request(
    vc: User, org_tree: OrgTree, django_assert_num_queries: Any
) -> None:
    records = [AdoptionRecordFactory(unit=unit) for unit in org_tree.hcs]
    user = User.objects.get(pk=vc.pk)  # a fresh user object, as a new request has

    with django_assert_num_queries(2):
        allowed = [user.has_perm("goals.change_adoptionrecord", record) for record in records]

    assert allowed == [True, True, False, False]


def test_a_new_role_takes_effect_for_the_same_user_object(org_tree: OrgTree) -> None:
    user = UserFactory()
    assert not user.has_perm("followup.change_observation", org_tree.hc1a)

    RoleAssignmentFactory(user=user, role=Role.HEAD_OF_UNIT, unit=org_tree.hc1a)

    assert user.has_perm("followup.change_observation", ObservationFactory(unit=org_tree.hc1a))


# --- pages ------------------------------------------------------------------------------------


def test_start_page_sends_anonymous_users_to_the_login_page(client: Client) -> None:
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/konto/logga-in/?next=/"


def test_start_page_refuses_a_user_without_a_role(client: Client, no_role_user: User) -> None:
    client.force_login(no_role_user)

    assert client.get("/").status_code == 403


def test_strategist_opens_the_admin_change_page_of_a_goal(
    client: Client, strategist: User, programme_area: ProgrammeArea
) -> None:
    goal = GoalFactory(programme_area=programme_area, title="Teamrond på alla HC")
    client.force_login(strategist)

    response = client.get(f"/admin/goals/goal/{goal.pk}/change/")

    assert response.status_code == 200
    assert "Teamrond på alla HC" in response.content.decode()


def test_vc_without_staff_access_cannot_open_the_admin(client: Client, vc: User) -> None:
    client.force_login(vc)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_programme_owner_with_staff_access_cannot_change_another_areas_goal_in_the_admin(
    client: Client, programme_owner: User, other_programme_area: ProgrammeArea
) -> None:
    programme_owner.is_staff = True
    programme_owner.save()
    goal = GoalFactory(programme_area=other_programme_area)
    client.force_login(programme_owner)

    response = client.post(
        f"/admin/goals/goal/{goal.pk}/change/", {"title": "Kapad", "code": goal.code}
    )

    assert response.status_code == 403
    goal.refresh_from_db()
    assert goal.title != "Kapad"


def test_strategist_cannot_add_computed_results_in_the_admin(
    client: Client, strategist: User
) -> None:
    client.force_login(strategist)

    assert client.get("/admin/followup/goalresult/add/").status_code == 403
    assert client.get("/admin/followup/spcresult/add/").status_code == 403
