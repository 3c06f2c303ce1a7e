"""Programme models: constraints hold in the database and speak Swedish in forms."""

from __future__ import annotations

import datetime

import pytest

from programmes.models import Activity, ActivityPlan, Phase, ProgrammeArea, WorkingMethod
from tests.factories import (
    ActivityFactory,
    ActivityPlanFactory,
    OrgTree,
    PhaseFactory,
    ProgrammeAreaFactory,
    SupportingProcessFactory,
    SupportNeedFactory,
    WorkingMethodFactory,
)
from tests.helpers import assert_database_refuses, clean_errors

pytestmark = pytest.mark.django_db

DATES_MESSAGE = "Slutdatum kan inte vara före startdatum."


def test_phase_cannot_end_before_it_starts() -> None:
    phase = Phase(
        code="fas-x",
        name="Fas X",
        start_date=datetime.date(2027, 1, 1),
        end_date=datetime.date(2025, 12, 31),
    )

    assert clean_errors(phase) == [DATES_MESSAGE]
    assert_database_refuses(phase)


def test_activity_cannot_end_before_it_starts() -> None:
    activity = ActivityFactory.build(
        plan=ActivityPlanFactory(),
        start_date=datetime.date(2025, 9, 1),
        end_date=datetime.date(2025, 8, 31),
    )

    assert clean_errors(activity) == [DATES_MESSAGE]
    assert_database_refuses(activity)


def test_activity_without_dates_is_valid() -> None:
    activity = ActivityFactory.build(plan=ActivityPlanFactory(), start_date=None, end_date=None)

    assert clean_errors(activity) == []


def test_working_method_code_is_unique() -> None:
    existing = WorkingMethodFactory(code="teamrond")
    duplicate = WorkingMethod(
        code="teamrond", name="Teamrond igen", programme_area=existing.programme_area
    )

    assert clean_errors(duplicate) == ["Arbetssätt med detta Kod finns redan."]
    assert_database_refuses(duplicate)


def test_programme_area_number_is_unique_within_a_phase() -> None:
    existing = ProgrammeAreaFactory(number=1)
    duplicate = ProgrammeArea(phase=existing.phase, number=1, name="Ett till PO 1")
    other_phase = ProgrammeArea(
        phase=PhaseFactory(
            code="fas-3",
            name="Fas 3",
            start_date=datetime.date(2028, 1, 1),
            end_date=datetime.date(2030, 12, 31),
        ),
        number=1,
        name="PO 1 i nästa fas",
    )

    assert clean_errors(duplicate) == ["Programområde med samma Fas och Nummer finns redan."]
    assert_database_refuses(duplicate)
    assert clean_errors(other_phase) == []


def test_a_vo_has_one_activity_plan_per_programme_area(org_tree: OrgTree) -> None:
    existing = ActivityPlanFactory(unit=org_tree.vo1)
    duplicate = ActivityPlan(programme_area=existing.programme_area, unit=org_tree.vo1)

    assert clean_errors(duplicate) == [
        "Aktivitetsplan med samma Programområde och Enhet (VO) finns redan."
    ]
    assert_database_refuses(duplicate)


def test_phase_str_shows_its_years() -> None:
    assert str(PhaseFactory(name="Fas 2")) == "Fas 2 (2025–2027)"


def test_programme_area_str_is_numbered_like_the_plan(programme_area: ProgrammeArea) -> None:
    assert str(programme_area) == "PO 1. Teamarbete"


def test_working_method_and_supporting_process_str_are_their_names() -> None:
    assert str(WorkingMethodFactory(name="Teamrond")) == "Teamrond"
    assert str(SupportingProcessFactory(name="Personcentrering")) == "Personcentrering"


def test_activity_plan_str_names_the_vo_and_the_programme_area(
    org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    plan = ActivityPlanFactory(unit=org_tree.vo1, programme_area=programme_area)

    assert str(plan) == "Aktivitetsplan VO Norr – PO 1"


def test_activity_str_is_its_title() -> None:
    assert str(ActivityFactory(title="Utbilda teamen i teamrond")) == "Utbilda teamen i teamrond"


def test_support_need_str_names_the_unit_and_the_programme_area(
    org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    need = SupportNeedFactory(unit=org_tree.hc1a, programme_area=programme_area)

    assert str(need) == "Stödbehov Hälsocentral Norrby – PO 1"


def test_activities_follow_their_plan_when_it_is_deleted() -> None:
    activity = ActivityFactory()

    activity.plan.delete()

    assert not Activity.objects.filter(pk=activity.pk).exists()
