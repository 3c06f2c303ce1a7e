"""Follow-up models: measures and observations are checked in the database."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from followup.models import ImportBatch, Measure, Observation
from tests.factories import (
    GoalResultFactory,
    ImportBatchFactory,
    MeasureFactory,
    MeasureResultFactory,
    ObservationFactory,
    OrgTree,
)
from tests.helpers import assert_database_refuses, clean_errors

pytestmark = pytest.mark.django_db


def test_measure_code_is_unique() -> None:
    MeasureFactory(code="ratt-hjalp")
    duplicate = MeasureFactory.build(code="ratt-hjalp")

    assert clean_errors(duplicate) == ["Mått med detta Kod finns redan."]
    assert_database_refuses(duplicate)


def test_a_share_measure_must_aggregate_as_a_ratio() -> None:
    measure = MeasureFactory.build(
        value_type=Measure.ValueType.SHARE, aggregation=Measure.Aggregation.SUM
    )

    assert clean_errors(measure) == [
        "En andel vägs samman som kvot av summerade täljare och nämnare."
    ]
    assert_database_refuses(measure)


def test_observation_factory_gives_a_valid_observation(org_tree: OrgTree) -> None:
    observation = ObservationFactory(unit=org_tree.hc1a, ratio=True)

    assert clean_errors(observation) == []
    assert observation.quarter == "2025Q4"


def test_one_observation_per_measure_unit_and_period(org_tree: OrgTree) -> None:
    existing = ObservationFactory(unit=org_tree.hc1a)
    duplicate = ObservationFactory.build(
        measure=existing.measure, unit=org_tree.hc1a, value=Decimal("12")
    )
    other_unit = ObservationFactory.build(measure=existing.measure, unit=org_tree.hc1b)
    next_month = ObservationFactory.build(
        measure=existing.measure, unit=org_tree.hc1a, period_start=datetime.date(2025, 11, 1)
    )

    # The project's own Swedish, not Django's "Observation med samma Mått, Enhet och Period
    # från finns redan." (shown in the admin).
    assert clean_errors(duplicate) == [
        "Det finns redan ett värde för det här måttet, enheten och perioden."
    ]
    assert_database_refuses(duplicate)
    assert clean_errors(other_unit) == []
    assert clean_errors(next_month) == []


def test_observation_period_cannot_end_before_it_starts(org_tree: OrgTree) -> None:
    observation = ObservationFactory.build(
        measure=MeasureFactory(),
        unit=org_tree.hc1a,
        period_start=datetime.date(2025, 10, 1),
        period_end=datetime.date(2025, 9, 30),
    )

    assert clean_errors(observation) == ["Periodens slut kan inte vara före dess start."]
    assert_database_refuses(observation)


@pytest.mark.parametrize("denominator", [Decimal("0"), Decimal("-5")])
def test_observation_denominator_must_be_positive(org_tree: OrgTree, denominator: Decimal) -> None:
    observation = ObservationFactory.build(
        measure=MeasureFactory(share=True),
        unit=org_tree.hc1a,
        numerator=Decimal("0"),
        denominator=denominator,
    )

    assert clean_errors(observation) == ["Nämnaren måste vara större än noll."]
    assert_database_refuses(observation)


def test_observation_numerator_cannot_be_negative(org_tree: OrgTree) -> None:
    observation = ObservationFactory.build(
        measure=MeasureFactory(share=True),
        unit=org_tree.hc1a,
        numerator=Decimal("-1"),
        denominator=Decimal("10"),
    )

    assert clean_errors(observation) == ["Täljaren kan inte vara negativ."]
    assert_database_refuses(observation)


def test_observations_are_kept_when_their_import_batch_is_deleted(org_tree: OrgTree) -> None:
    batch = ImportBatchFactory()
    observation = ObservationFactory(unit=org_tree.hc1a, import_batch=batch)

    batch.delete()

    observation.refresh_from_db()
    assert observation.import_batch is None


def test_measure_str_is_its_name() -> None:
    assert str(MeasureFactory(name="Rätt hjälp på en gång")) == "Rätt hjälp på en gång"


def test_import_batch_str_shows_source_file_and_date() -> None:
    batch = ImportBatchFactory(source=ImportBatch.Source.CYKLOP, file_name="cyklop-okt.csv")

    assert str(batch) == f"Cyklop cyklop-okt.csv ({batch.created_at:%Y-%m-%d})"


def test_observation_str_shows_measure_unit_and_month(org_tree: OrgTree) -> None:
    observation = ObservationFactory(
        measure=MeasureFactory(name="Frigjorda läkartider"),
        unit=org_tree.hc1a,
        period_start=datetime.date(2025, 10, 1),
        value=Decimal("12"),
    )

    assert str(observation) == "Frigjorda läkartider – Hälsocentral Norrby – okt 2025: 12"


def test_observation_str_shows_a_decimal_comma(org_tree: OrgTree) -> None:
    observation = ObservationFactory(
        measure=MeasureFactory(name="Rätt hjälp på en gång"),
        unit=org_tree.hc1a,
        period_start=datetime.date(2026, 10, 1),
        value=Decimal("74.2726"),
    )

    assert str(observation) == "Rätt hjälp på en gång – Hälsocentral Norrby – okt 2026: 74,27"


def test_observation_quarter_is_stored_as_a_code(org_tree: OrgTree) -> None:
    observation = ObservationFactory(unit=org_tree.hc1a, period_start=datetime.date(2025, 3, 1))

    assert Observation.objects.get(pk=observation.pk).quarter == "2025Q1"


def test_computed_rows_read_as_measure_unit_and_quarter_in_swedish() -> None:
    result = MeasureResultFactory(quarter="2025Q4")
    goal_result = GoalResultFactory(quarter="2025Q4")

    assert str(result) == f"{result.measure.name} – {result.unit.name} – Kv 4 2025"
    assert str(goal_result) == f"{goal_result.goal.title} – Kv 4 2025"


def test_large_result_tables_leave_room_on_each_page_for_rows_rewritten_in_place() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("fill factor is a PostgreSQL storage setting")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reloptions FROM pg_class WHERE relname IN "
            "('followup_measureresult', 'followup_periodresult', 'followup_goalresult')"
        )
        options = dict(cursor.fetchall())

    # Room for HOT updates where a recompute rewrites every row (migrations 0005 and 0008).
    assert options["followup_measureresult"] == ["fillfactor=50"]
    assert options["followup_periodresult"] == ["fillfactor=70"]
    assert options["followup_goalresult"] is None  # small: the default is right


@pytest.mark.parametrize(
    ("value_type", "unit", "label"),
    [
        (Measure.ValueType.SHARE, "%", "andel i procent"),
        (Measure.ValueType.COUNT, "st", "antal"),
        (Measure.ValueType.INDEX, "index", "index"),
        (Measure.ValueType.MEAN, "minuter", "medelvärde i minuter"),
        (Measure.ValueType.MEAN, "", "medelvärde"),
    ],
)
def test_a_measures_kind_is_named_in_words_after_its_name(
    value_type: str, unit: str, label: str
) -> None:
    # As the reporting grid heads a measure's table: "… – andel i procent", not "(andel, %)".
    assert Measure(value_type=value_type, unit=unit).kind_label == label
