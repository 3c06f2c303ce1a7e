"""Organisation services: the closure table follows the tree through creates and moves."""

from __future__ import annotations

import datetime
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from organisation.models import Role, RoleAssignment, Unit, UnitClosure
from organisation.services import (
    ERROR_CYCLE,
    role_assign_trusted,
    unit_create_trusted,
    unit_save_trusted,
    unit_tree_rebuild,
)
from tests.factories import (
    OrgTree,
    ProgrammeAreaFactory,
    UnitFactory,
    UnitKindFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def codes(units: object) -> set[str]:
    return {unit.code for unit in units}


def test_a_vo_subtree_is_the_vo_and_its_health_centres(org_tree: OrgTree) -> None:
    assert codes(Unit.objects.in_subtree(org_tree.vo1)) == {"VO1", "HC1A", "HC1B"}
    assert codes(Unit.objects.in_subtree(org_tree.vo2.pk)) == {"VO2", "HC2A", "HC2B"}


def test_the_region_subtree_is_the_whole_tree(org_tree: OrgTree) -> None:
    assert Unit.objects.in_subtree(org_tree.region).count() == 8


def test_a_leaf_subtree_is_the_leaf_alone(org_tree: OrgTree) -> None:
    assert codes(Unit.objects.in_subtree(org_tree.hc1a)) == {"HC1A"}


def test_a_unit_created_deep_below_a_vo_is_in_its_subtree(org_tree: OrgTree) -> None:
    team = unit_create_trusted(
        code="HC1A-T1", name="Team 1", kind=UnitKindFactory(code="team"), parent=org_tree.hc1a
    )
    sub_team = unit_create_trusted(code="HC1A-T1-S", name="Delteam", kind=team.kind, parent=team)

    assert codes(Unit.objects.in_subtree(org_tree.vo1)) == {
        "VO1",
        "HC1A",
        "HC1B",
        "HC1A-T1",
        "HC1A-T1-S",
    }
    assert UnitClosure.objects.get(ancestor=org_tree.region, descendant=sub_team).depth == 5


def test_closure_depth_counts_the_steps_down_the_tree(org_tree: OrgTree) -> None:
    depths = dict(
        UnitClosure.objects.filter(ancestor=org_tree.region).values_list(
            "descendant__code", "depth"
        )
    )

    assert depths == {
        "REG": 0,
        "PV": 1,
        "VO1": 2,
        "VO2": 2,
        "HC1A": 3,
        "HC1B": 3,
        "HC2A": 3,
        "HC2B": 3,
    }


def test_rebuilding_the_tree_counts_every_ancestor_pair(org_tree: OrgTree) -> None:
    # region 1 + area 2 + two VOs × 3 + four HCs × 4
    assert unit_tree_rebuild() == 25
    assert UnitClosure.objects.count() == 25


def test_subtrees_of_several_roots_are_joined_without_duplicates(org_tree: OrgTree) -> None:
    units = Unit.objects.in_subtree_of_any([org_tree.vo1.pk, org_tree.hc1a.pk, org_tree.hc2b.pk])

    assert sorted(unit.code for unit in units) == ["HC1A", "HC1B", "HC2B", "VO1"]


def test_moving_a_health_centre_to_another_vo_moves_its_subtree(org_tree: OrgTree) -> None:
    team = UnitFactory(code="HC1A-T1", parent=org_tree.hc1a)

    org_tree.hc1a.parent = org_tree.vo2
    unit_save_trusted(unit=org_tree.hc1a)

    assert codes(Unit.objects.in_subtree(org_tree.vo1)) == {"VO1", "HC1B"}
    assert codes(Unit.objects.in_subtree(org_tree.vo2)) == {
        "VO2",
        "HC2A",
        "HC2B",
        "HC1A",
        team.code,
    }


def test_a_moved_vcs_health_centre_leaves_the_vcs_reach(org_tree: OrgTree) -> None:
    vc = UserFactory(role=Role.HEAD_OF_AREA, role__unit=org_tree.vo1)
    assert vc.has_perm("followup.change_observation", org_tree.hc1a)

    org_tree.hc1a.parent = org_tree.vo2
    unit_save_trusted(unit=org_tree.hc1a)

    vc_next_request = type(vc).objects.get(pk=vc.pk)
    assert not vc_next_request.has_perm("followup.change_observation", org_tree.hc1a)


def test_a_unit_cannot_be_moved_under_its_own_descendant(org_tree: OrgTree) -> None:
    org_tree.vo1.parent = org_tree.hc1a

    with pytest.raises(ValidationError) as exc:
        unit_save_trusted(unit=org_tree.vo1)

    assert exc.value.messages == [ERROR_CYCLE]
    assert Unit.objects.get(pk=org_tree.vo1.pk).parent == org_tree.area
    assert codes(Unit.objects.in_subtree(org_tree.vo1)) == {"VO1", "HC1A", "HC1B"}


def test_a_unit_cannot_be_moved_under_itself(org_tree: OrgTree) -> None:
    org_tree.vo1.parent = org_tree.vo1

    with pytest.raises(ValidationError) as exc:
        unit_save_trusted(unit=org_tree.vo1)

    assert exc.value.messages == [ERROR_CYCLE]


def test_unit_create_refuses_an_invalid_unit(org_tree: OrgTree) -> None:
    with pytest.raises(ValidationError):
        unit_create_trusted(
            code="HC1A", name="Dubblett", kind=org_tree.hc1a.kind, parent=org_tree.vo1
        )

    assert Unit.objects.filter(code="HC1A").count() == 1


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param(datetime.date(2024, 12, 31), {"ALWAYS", "CLOSES"}, id="before-opening"),
        pytest.param(datetime.date(2025, 1, 1), {"ALWAYS", "OPENS", "CLOSES"}, id="opening-day"),
        pytest.param(datetime.date(2025, 6, 30), {"ALWAYS", "OPENS", "CLOSES"}, id="closing-day"),
        pytest.param(datetime.date(2025, 7, 1), {"ALWAYS", "OPENS"}, id="after-closing"),
    ],
)
def test_active_on_respects_valid_from_and_valid_to(day: datetime.date, expected: set[str]) -> None:
    UnitFactory(code="ALWAYS")
    UnitFactory(code="OPENS", valid_from=datetime.date(2025, 1, 1))
    UnitFactory(code="CLOSES", valid_to=datetime.date(2025, 6, 30))

    assert codes(Unit.objects.active_on(day)) == expected
    assert {unit.code for unit in Unit.objects.all() if unit.is_active_on(day)} == expected


def test_role_assign_is_idempotent(org_tree: OrgTree) -> None:
    user = UserFactory()
    area = ProgrammeAreaFactory()

    first = role_assign_trusted(user=user, role=Role.HEAD_OF_AREA, unit=org_tree.vo1)
    again = role_assign_trusted(user=user, role=Role.HEAD_OF_AREA, unit=org_tree.vo1)
    role_assign_trusted(user=user, role=Role.PROGRAMME_OWNER, programme_area=area)
    role_assign_trusted(user=user, role=Role.PROGRAMME_OWNER, programme_area=area)

    assert first == again
    assert RoleAssignment.objects.filter(user=user).count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_tree_rebuilds_at_the_same_time_both_succeed() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers itself")
    UnitFactory(code="ROOT", parent=UnitFactory(code="TOP"))
    first_has_rebuilt, release_first = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                unit_tree_rebuild()
                first_has_rebuilt.set()
                release_first.wait(5)
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            first_has_rebuilt.set()
            connection.close()

    def second() -> None:
        try:
            unit_tree_rebuild()  # waits for the first, then rebuilds on top of its result
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    first_has_rebuilt.wait(5)
    threads[1].start()
    time.sleep(0.3)  # let the second rebuild reach the table the first one holds
    release_first.set()
    for thread in threads:
        thread.join(10)

    assert errors == []
    assert UnitClosure.objects.count() == 3
