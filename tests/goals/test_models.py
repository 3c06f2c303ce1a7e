"""Goal models: typed targets, adoption records and assessments are checked in the database."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils import translation

from goals.models import AdoptionRecord, Assessment
from goals.status import Status
from tests.factories import (
    AdoptionRecordFactory,
    AssessmentFactory,
    GoalFactory,
    OrgTree,
    ProgrammeAreaFactory,
    UnitKindFactory,
    UserFactory,
    WorkingMethodFactory,
)
from tests.helpers import assert_database_refuses, clean_errors

pytestmark = pytest.mark.django_db

ADOPTION_MESSAGE = "Ett införandemål behöver arbetssätt, enhetstyp och målandel."
MEASURE_MESSAGE = (
    "Ett måttmål behöver ett mått och antingen ett målvärde eller en förändring mot en basperiod."
)


@pytest.mark.parametrize(
    "trait", ["adoption", "deliverable", "measure_absolute", "measure_relative", "direction"]
)
def test_every_kind_of_goal_from_the_factory_is_valid(trait: str) -> None:
    assert clean_errors(GoalFactory(**{trait: True})) == []


def test_goal_code_is_unique() -> None:
    existing = GoalFactory(code="po1-teamrond")
    duplicate = GoalFactory.build(code="po1-teamrond", programme_area=existing.programme_area)

    assert clean_errors(duplicate) == ["Mål med detta Kod finns redan."]
    assert_database_refuses(duplicate)


@pytest.mark.parametrize("share", [Decimal("-1"), Decimal("100.01"), Decimal("150")])
def test_goal_target_share_must_be_a_percentage(share: Decimal) -> None:
    goal = GoalFactory(adoption=True)
    goal.target_share = share

    assert list(_message_dict(goal)) == ["target_share"]
    assert_database_refuses(goal)


@pytest.mark.parametrize("share", [Decimal("0"), Decimal("50"), Decimal("100")])
def test_goal_target_share_may_be_zero_to_a_hundred(share: Decimal) -> None:
    goal = GoalFactory(adoption=True)
    goal.target_share = share

    assert clean_errors(goal) == []


def test_goal_target_share_message_is_swedish() -> None:
    goal = GoalFactory(adoption=True)
    goal.target_share = Decimal("150")

    assert _message_dict(goal)["target_share"] == [
        "Kontrollera att detta värde är mindre än eller lika med 100."
    ]


def test_goal_target_share_constraint_has_a_swedish_message() -> None:
    goal = GoalFactory(adoption=True)
    goal.target_share = Decimal("150")

    with pytest.raises(ValidationError) as exc:
        goal.validate_constraints()

    assert exc.value.messages == ["Målandelen måste vara mellan 0 och 100 %."]


def _message_dict(obj: Model) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as exc:
        obj.full_clean()
    return exc.value.message_dict


def test_goal_deadline_cannot_be_before_its_start() -> None:
    goal = GoalFactory.build(
        programme_area=GoalFactory().programme_area,
        start_date=datetime.date(2026, 1, 1),
        deadline=datetime.date(2025, 12, 31),
    )

    assert clean_errors(goal) == ["Måldatum kan inte vara före startdatum."]
    assert_database_refuses(goal)


def test_goal_baseline_cannot_end_before_it_starts() -> None:
    goal = GoalFactory(measure_relative=True)
    goal.baseline_start, goal.baseline_end = goal.baseline_end, goal.baseline_start

    assert clean_errors(goal) == ["Basperiodens slut kan inte vara före dess start."]
    assert_database_refuses(goal)


@pytest.mark.parametrize("missing", ["working_method", "unit_kind", "target_share"])
def test_adoption_goal_needs_method_unit_kind_and_share(missing: str) -> None:
    goal = GoalFactory(adoption=True)
    setattr(goal, missing, None)

    assert clean_errors(goal) == [ADOPTION_MESSAGE]
    assert_database_refuses(goal)


def test_measure_goal_needs_a_measure() -> None:
    goal = GoalFactory(measure_absolute=True)
    goal.measure = None

    assert clean_errors(goal) == [MEASURE_MESSAGE]
    assert_database_refuses(goal)


def test_measure_goal_needs_a_target_value_or_a_relative_change() -> None:
    goal = GoalFactory(measure_absolute=True)
    goal.target_value = None

    assert clean_errors(goal) == [MEASURE_MESSAGE]
    assert_database_refuses(goal)


def test_measure_goal_cannot_have_both_a_target_value_and_a_relative_change() -> None:
    goal = GoalFactory(measure_relative=True)
    goal.target_value = Decimal("100")

    assert clean_errors(goal) == [MEASURE_MESSAGE]
    assert_database_refuses(goal)


@pytest.mark.parametrize("missing", ["baseline_start", "baseline_end"])
def test_relative_measure_goal_needs_a_baseline_period(missing: str) -> None:
    goal = GoalFactory(measure_relative=True)
    setattr(goal, missing, None)

    assert clean_errors(goal) == [MEASURE_MESSAGE]
    assert_database_refuses(goal)


@pytest.mark.parametrize("trait", ["adoption", "deliverable", "measure_absolute"])
def test_goals_with_a_target_need_a_deadline(trait: str) -> None:
    goal = GoalFactory(**{trait: True})
    goal.deadline = None

    assert clean_errors(goal) == ["Målet behöver ett måldatum."]
    assert_database_refuses(goal)


def test_direction_goal_needs_no_deadline() -> None:
    assert GoalFactory(direction=True).deadline is None


def test_goal_cannot_be_its_own_parent() -> None:
    goal = GoalFactory()
    goal.parent_id = goal.pk

    assert clean_errors(goal) == ["Ett mål kan inte vara sitt eget överordnade mål."]
    assert_database_refuses(goal)


def test_adopted_record_needs_the_date_it_was_introduced(org_tree: OrgTree) -> None:
    record = AdoptionRecordFactory(unit=org_tree.hc1a)
    record.status = AdoptionRecord.Status.ADOPTED

    assert clean_errors(record) == ["Ange datum när arbetssättet infördes eller fasades ut."]
    assert_database_refuses(record)


def test_phased_out_record_needs_the_date_too(org_tree: OrgTree) -> None:
    record = AdoptionRecordFactory(unit=org_tree.hc1a)
    record.status = AdoptionRecord.Status.PHASED_OUT

    assert clean_errors(record) == ["Ange datum när arbetssättet infördes eller fasades ut."]
    assert_database_refuses(record)


def test_adopted_record_with_its_date_is_valid(org_tree: OrgTree) -> None:
    assert clean_errors(AdoptionRecordFactory(unit=org_tree.hc1a, adopted=True)) == []


def test_a_unit_has_one_adoption_record_per_working_method(org_tree: OrgTree) -> None:
    existing = AdoptionRecordFactory(unit=org_tree.hc1a)
    duplicate = AdoptionRecord(unit=org_tree.hc1a, working_method=existing.working_method)

    assert clean_errors(duplicate) == [
        "Införandestatus med samma Enhet och Arbetssätt finns redan."
    ]
    assert_database_refuses(duplicate)


def test_assessment_needs_a_comment() -> None:
    assessment = AssessmentFactory.build(
        goal=GoalFactory(direction=True), author=UserFactory(), comment=""
    )

    assert _message_dict(assessment) == {"comment": ["Detta fält får inte vara tomt."]}
    assert_database_refuses(assessment)


def test_a_goal_has_one_assessment_per_quarter() -> None:
    existing = AssessmentFactory(quarter="2025Q4")
    duplicate = Assessment(
        goal=existing.goal,
        quarter="2025Q4",
        status=Status.AT_RISK.value,
        comment="En andra bedömning",
        author=existing.author,
    )
    next_quarter = AssessmentFactory.build(
        goal=existing.goal, quarter="2026Q1", author=existing.author
    )

    assert clean_errors(duplicate) == ["Bedömning med samma Mål och Kvartal finns redan."]
    assert_database_refuses(duplicate)
    assert clean_errors(next_quarter) == []


def test_goal_str_starts_with_mal() -> None:
    assert str(GoalFactory(title="Teamrond på alla HC")) == "Mål: Teamrond på alla HC"


def test_milestone_str_starts_with_delmal() -> None:
    milestone = GoalFactory(milestone=True, title="Teamrond på 50 % av HC")

    assert milestone.is_milestone
    assert str(milestone) == "Delmål: Teamrond på 50 % av HC"
    assert str(milestone).startswith("Delmål")


def test_adoption_record_str_shows_method_unit_and_swedish_status(org_tree: OrgTree) -> None:
    record = AdoptionRecordFactory(
        unit=org_tree.hc1a, working_method=WorkingMethodFactory(name="Teamrond"), adopted=True
    )

    assert str(record) == "Teamrond – Hälsocentral Norrby: Infört"


def test_assessment_str_shows_goal_quarter_and_swedish_status() -> None:
    assessment = AssessmentFactory(
        goal=GoalFactory(direction=True, title="Ökat teamarbete"),
        quarter="2025Q4",
        status=Status.AT_RISK.value,
    )

    assert str(assessment).startswith("Ökat teamarbete – ")
    assert str(assessment).endswith(": Risk")


def test_adoption_goal_target_label_in_swedish() -> None:
    goal = GoalFactory(
        adoption=True, target_share=Decimal("50"), unit_kind=UnitKindFactory(hc=True)
    )

    assert goal.target_label.endswith("av hälsocentralerna")
    # As every date in text and the status sentence beside it: the day, not the plan's month.
    assert goal.deadline_label == "31 dec 2026"


def test_the_target_label_is_worded_in_the_interface_language() -> None:
    adoption = GoalFactory(
        adoption=True, target_share=Decimal("50"), unit_kind=UnitKindFactory(hc=True)
    )
    relative = GoalFactory(measure_relative=True)

    assert adoption.target_label == "50\u00a0% av hälsocentralerna"
    assert relative.target_label == "+50\u00a0% jämfört med dec 2026"
    with translation.override("en"):
        assert adoption.target_label == "50\u00a0% of the hälsocentraler"
        assert relative.target_label == "+50\u00a0% compared with dec 2026"


@pytest.mark.parametrize("kind", ["adoption", "deliverable", "measure_absolute"])
def test_every_goal_with_a_computed_status_names_the_start_it_counts_from(kind: str) -> None:
    """Before its start a goal is "Ej påbörjat" whatever its kind, so the page says which start
    counts where the goal gives none (Goal.pace_start)."""
    area = ProgrammeAreaFactory(start_date=datetime.date(2025, 5, 1))
    goal = GoalFactory(programme_area=area, start_date=None, **{kind: True})

    assert goal.pace_start == datetime.date(2025, 5, 1)
    assert goal.start_label == (
        "Målet anger inget startdatum; programområdets start 1 maj 2025 används."
    )


def test_a_direction_goal_names_no_start() -> None:
    area = ProgrammeAreaFactory(start_date=datetime.date(2025, 5, 1))
    assert GoalFactory(programme_area=area, start_date=None, direction=True).start_label == ""
