"""Organisation models: constraints hold in the database and speak Swedish in forms."""

from __future__ import annotations

import datetime

import pytest

from organisation.models import Role, RoleAssignment, Unit
from tests.factories import (
    OrgTree,
    PhaseFactory,
    ProgrammeAreaFactory,
    RoleAssignmentFactory,
    UnitFactory,
    UnitKindFactory,
    UserFactory,
)
from tests.helpers import assert_database_refuses, clean_errors

pytestmark = pytest.mark.django_db


def test_unit_code_is_unique(org_tree: OrgTree) -> None:
    duplicate = Unit(code="HC1A", name="En annan enhet", kind=org_tree.hc1a.kind)

    assert clean_errors(duplicate) == ["Enhet med detta Kod finns redan."]
    assert_database_refuses(duplicate)


def test_unit_kind_code_is_unique() -> None:
    UnitKindFactory(hc=True)
    duplicate = UnitKindFactory.build(code="halsocentral", name="HC", name_plural="HC")

    assert clean_errors(duplicate) == ["Enhetstyp med detta Kod finns redan."]
    assert_database_refuses(duplicate)


def test_unit_cannot_close_before_it_opens() -> None:
    unit = Unit(
        code="X1",
        name="Baklänges",
        kind=UnitKindFactory(hc=True),
        valid_from=datetime.date(2025, 6, 1),
        valid_to=datetime.date(2025, 5, 31),
    )

    assert clean_errors(unit) == ["Slutdatum kan inte vara före startdatum."]
    assert_database_refuses(unit)


def test_unit_may_open_and_close_on_the_same_day() -> None:
    day = datetime.date(2025, 6, 1)
    unit = Unit(
        code="X1", name="En dag", kind=UnitKindFactory(hc=True), valid_from=day, valid_to=day
    )

    assert clean_errors(unit) == []


def test_unit_cannot_be_its_own_parent(org_tree: OrgTree) -> None:
    unit = org_tree.hc1a
    unit.parent_id = unit.pk

    assert clean_errors(unit) == ["En enhet kan inte vara sin egen överordnade enhet."]
    assert_database_refuses(unit)


@pytest.mark.parametrize(
    ("role", "scope"),
    [
        pytest.param(Role.HEAD_OF_AREA, {}, id="vc-without-unit"),
        pytest.param(Role.HEAD_OF_UNIT, {"programme_area": True}, id="vec-with-area"),
        pytest.param(Role.PROGRAMME_OWNER, {"unit": True}, id="programme-owner-with-unit"),
        pytest.param(Role.PROGRAMME_OWNER, {}, id="programme-owner-without-area"),
        pytest.param(Role.STRATEGIST, {"unit": True}, id="strategist-with-unit"),
        pytest.param(
            Role.PORTFOLIO_OWNER, {"programme_area": True}, id="portfolio-owner-with-area"
        ),
    ],
)
def test_role_assignment_scope_must_match_the_role(role: str, scope: dict[str, bool]) -> None:
    assignment = RoleAssignment(
        user=UserFactory(),
        role=role,
        unit=UnitFactory() if scope.get("unit") else None,
        programme_area=ProgrammeAreaFactory() if scope.get("programme_area") else None,
    )

    assert clean_errors(assignment) == [
        "VC och VEC kräver en enhet, programområdesansvarig kräver ett programområde, "
        "portföljägaren kan ha en organisation, övriga roller gäller allt."
    ]
    assert_database_refuses(assignment)


def test_a_portfolio_owner_owns_an_organisation_or_every_one(org_tree: OrgTree) -> None:
    """The portfolio owner's unit is the organisation whose reports they approve: the root of
    a tree or a phase's organisation unit; none means every organisation."""
    user = UserFactory()
    municipality = UnitFactory(code="KOMMUN", name="Kommun", parent=org_tree.region)
    PhaseFactory(code="fas-kommun", organisation_unit=municipality)
    assignments = [
        RoleAssignment(user=user, role=Role.PORTFOLIO_OWNER),
        RoleAssignment(user=user, role=Role.PORTFOLIO_OWNER, unit=org_tree.region),
        RoleAssignment(user=user, role=Role.PORTFOLIO_OWNER, unit=municipality),
    ]

    assert [clean_errors(assignment) for assignment in assignments] == [[], [], []]


def test_a_portfolio_owner_of_a_vo_or_a_care_unit_is_refused(org_tree: OrgTree) -> None:
    for unit in (org_tree.vo1, org_tree.hc1a):
        assignment = RoleAssignment(user=UserFactory(), role=Role.PORTFOLIO_OWNER, unit=unit)

        assert clean_errors(assignment) == [
            "Portföljägarens enhet måste vara en organisation (region eller kommun): en enhet "
            "överst i enhetsträdet eller en enhet som en fas tillhör."
        ]


def test_role_assignment_with_the_right_scope_is_valid(org_tree: OrgTree) -> None:
    user = UserFactory()
    assignments = [
        RoleAssignment(user=user, role=Role.HEAD_OF_AREA, unit=org_tree.vo1),
        RoleAssignment(user=user, role=Role.PROGRAMME_OWNER, programme_area=ProgrammeAreaFactory()),
        RoleAssignment(user=user, role=Role.STEERING_GROUP),
    ]

    assert [clean_errors(assignment) for assignment in assignments] == [[], [], []]


def test_the_same_global_role_cannot_be_given_twice() -> None:
    first = RoleAssignmentFactory(role=Role.STRATEGIST)
    duplicate = RoleAssignment(user=first.user, role=Role.STRATEGIST)

    assert clean_errors(duplicate) != []
    assert_database_refuses(duplicate)


def test_the_same_unit_role_cannot_be_given_twice_but_another_unit_can(org_tree: OrgTree) -> None:
    first = RoleAssignmentFactory(role=Role.HEAD_OF_AREA, unit=org_tree.vo1)

    duplicate = RoleAssignment(user=first.user, role=Role.HEAD_OF_AREA, unit=org_tree.vo1)
    assert clean_errors(duplicate) != []
    assert_database_refuses(duplicate)

    second_vo = RoleAssignment(user=first.user, role=Role.HEAD_OF_AREA, unit=org_tree.vo2)
    assert clean_errors(second_vo) == []


def test_the_same_area_role_cannot_be_given_twice() -> None:
    first = RoleAssignmentFactory(programme_owner=True)
    duplicate = RoleAssignment(
        user=first.user, role=Role.PROGRAMME_OWNER, programme_area=first.programme_area
    )

    assert clean_errors(duplicate) != []
    assert_database_refuses(duplicate)


def test_unit_kind_str_is_its_name() -> None:
    assert str(UnitKindFactory(hc=True)) == "Hälsocentral"


def test_unit_str_shows_name_and_code(org_tree: OrgTree) -> None:
    assert str(org_tree.hc1a) == "Hälsocentral Norrby (HC1A)"


def test_role_assignment_str_names_user_role_and_scope(org_tree: OrgTree) -> None:
    vc = RoleAssignmentFactory(
        user=UserFactory(username="anna"), role=Role.HEAD_OF_AREA, unit=org_tree.vo1
    )
    strategist = RoleAssignmentFactory(user=UserFactory(username="bo"), role=Role.STRATEGIST)
    owner = RoleAssignmentFactory(
        user=UserFactory(username="cia"),
        programme_owner=True,
        programme_area__number=1,
        programme_area__name="Teamarbete",
    )

    assert str(vc) == "anna – Verksamhetschef (VC) – VO Norr (VO1)"
    assert str(strategist) == "bo – Strateg GONV – hela portföljen"
    assert str(owner) == "cia – Programområdesansvarig – PO 1. Teamarbete"
