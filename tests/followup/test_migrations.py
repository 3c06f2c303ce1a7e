"""Migrations that rebuild a table keep its rows, both ways, on the database under test."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection
from django.db.migrations.executor import MigrationExecutor

from followup import triggers
from followup.models import Measure
from tests.factories import GoalFactory, GoalResultFactory, MeasureFactory

BEFORE = ("followup", "0009_swedish_labels_of_computed_rows")
AFTER = ("followup", "0010_measureresult_natural_primary_key")


def _migrate(target: tuple[str, str]):
    """Migrate followup to target; returns the app registry of the database as it then is:
    every migration still applied, not only target's dependencies (the other apps stay at
    their latest, e.g. a unit kind's non-null is_vo, which target's own state lacks)."""
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    executor.loader.build_graph()
    return executor.loader.project_state(list(executor.loader.applied_migrations)).apps


def _latest() -> tuple[str, str]:
    """followup's newest migration: the schema the rest of the suite expects."""
    graph = MigrationExecutor(connection).loader.graph
    return next(node for node in graph.leaf_nodes() if node[0] == "followup")


def _rows(model) -> list[tuple]:
    return sorted(model.objects.values_list("quarter", "unit_id", "measure_id", "value"))


@pytest.fixture
def at_0009(transactional_db):
    apps = _migrate(BEFORE)
    yield apps
    _migrate(_latest())


def test_measure_results_keep_their_rows_under_the_natural_primary_key(at_0009) -> None:
    apps = at_0009
    Unit = apps.get_model("organisation", "Unit")
    UnitKind = apps.get_model("organisation", "UnitKind")
    Measure = apps.get_model("followup", "Measure")
    kind = UnitKind.objects.create(code="hc", name="Hälsocentral", name_plural="Hälsocentraler")
    units = [Unit.objects.create(name=f"HC {i}", code=f"hc{i}", kind=kind) for i in range(3)]
    measure = Measure.objects.create(code="m", name="Mått", unit="st")
    OldResult = apps.get_model("followup", "MeasureResult")
    for i, unit in enumerate(units):
        OldResult.objects.create(
            measure=measure, unit=unit, quarter="2025Q4", value=Decimal(i), reporting_units=i
        )
    rows = _rows(OldResult)

    NewResult = _migrate(AFTER).get_model("followup", "MeasureResult")

    assert _rows(NewResult) == rows
    assert NewResult._meta.pk.field_names == ("quarter", "unit", "measure")
    # The key is the primary key: the same key again is refused.
    with pytest.raises(IntegrityError):
        NewResult.objects.create(
            measure_id=measure.pk, unit_id=units[0].pk, quarter="2025Q4", reporting_units=0
        )

    Restored = _migrate(BEFORE).get_model("followup", "MeasureResult")

    assert _rows(Restored) == rows
    # Each row has its surrogate id again, one of its own.
    assert len(set(Restored.objects.values_list("id", flat=True))) == len(rows)


def _region(apps):
    UnitKind = apps.get_model("organisation", "UnitKind")
    kind = UnitKind.objects.create(code="region", name="Region", name_plural="Regioner")
    return apps.get_model("organisation", "Unit").objects.create(
        name="Region Testland", code="REG", kind=kind
    )


def test_a_closed_report_becomes_its_first_version(transactional_db) -> None:
    """0027 keeps each closed or approved report's frozen body as its version 1; a draft (its
    body dropped by a reopening before versions were kept) has none."""
    apps = _migrate(("followup", "0026_reopen_reason_max_length"))
    try:
        User = apps.get_model("auth", "User")
        Report = apps.get_model("followup", "QuarterReport")
        region = _region(apps)
        strategist = User.objects.create(username="strateg", first_name="Stina")
        closed_at = datetime.datetime(2026, 1, 5, 9, 30, tzinfo=datetime.UTC)
        approved = Report.objects.create(
            organisation=region,
            quarter="2025Q4",
            status="godkand",
            closed_by=strategist,
            closed_at=closed_at,
            strategist_comment="Klart.",
            content_html="<p>Rapporten</p>",
            content_sha256="a" * 64,
            content_computed_at=closed_at,
        )
        Report.objects.create(
            organisation=region, quarter="2025Q3", status="utkast", reopen_reason="Fel."
        )

        after = _migrate(("followup", "0027_quarter_report_versions"))

        (version,) = after.get_model("followup", "QuarterReportVersion").objects.all()
        assert (version.report_id, version.number) == (approved.pk, 1)
        assert (version.closed_by_id, version.closed_at) == (strategist.pk, closed_at)
        assert (version.content_html, version.content_sha256) == ("<p>Rapporten</p>", "a" * 64)
        assert (version.strategist_comment, version.ended_as, version.ended_at) == (
            "Klart.",
            "",
            None,
        )
    finally:
        _migrate(_latest())


def test_every_computed_quarter_is_marked_for_the_recompute_that_fills_its_parts(
    transactional_db,
) -> None:
    """0028 adds each period's täljare and nämnare: the quarters whose period results lack them
    are marked for recompute (the outbox the nightly run claims), one mark each, and a quarter
    already marked keeps its mark."""
    apps = _migrate(("followup", "0027_quarter_report_versions"))
    try:
        UnitKind = apps.get_model("organisation", "UnitKind")
        Unit = apps.get_model("organisation", "Unit")
        Measure = apps.get_model("followup", "Measure")
        PeriodResult = apps.get_model("followup", "PeriodResult")
        Request = apps.get_model("followup", "RecomputeRequest")
        kind = UnitKind.objects.create(code="hc", name="Hälsocentral", name_plural="Hälsocentraler")
        unit = Unit.objects.create(name="HC", code="hc", kind=kind)
        share = Measure.objects.create(
            code="andel", name="Andel", unit="%", value_type="share", aggregation="ratio"
        )
        for start, quarter in (
            (datetime.date(2025, 11, 1), "2025Q4"),
            (datetime.date(2025, 12, 1), "2025Q4"),
            (datetime.date(2026, 1, 1), "2026Q1"),
        ):
            PeriodResult.objects.create(
                measure=share, unit=unit, period_start=start, quarter=quarter, value=Decimal(50)
            )
        earlier = datetime.datetime(2026, 2, 1, tzinfo=datetime.UTC)
        Request.objects.create(quarter="2026Q1", trigger="observation", requested_at=earlier)

        after = _migrate(("followup", "0028_period_result_parts"))

        marks = after.get_model("followup", "RecomputeRequest").objects.order_by("quarter")
        assert list(marks.values_list("quarter", "trigger")) == [
            ("2025Q4", "migration"),
            ("2026Q1", "observation"),
        ]
        stored = after.get_model("followup", "PeriodResult").objects.values_list(
            "numerator", "denominator"
        )
        assert set(stored) == {(None, None)}
    finally:
        _migrate(_latest())


def test_the_reports_body_moves_to_its_current_version_and_back(transactional_db) -> None:
    """0029 stores a closed report's body once, in its current version: one already kept is
    left as it is, a close without one (ended versions only) gets the next; backwards, each
    closed report has its body again."""
    apps = _migrate(("followup", "0028_period_result_parts"))
    try:
        Report = apps.get_model("followup", "QuarterReport")
        Version = apps.get_model("followup", "QuarterReportVersion")
        region = _region(apps)
        closed_at = datetime.datetime(2026, 1, 5, 9, 30, tzinfo=datetime.UTC)
        frozen = {"closed_at": closed_at, "content_sha256": "a" * 64}
        kept = Report.objects.create(
            organisation=region, quarter="2025Q4", status="faststalld",
            content_html="<p>Kv 4</p>", **frozen,
        )  # fmt: skip
        Version.objects.create(report=kept, number=1, content_html="<p>Kv 4</p>", **frozen)
        unkept = Report.objects.create(
            organisation=region, quarter="2025Q3", status="godkand",
            content_html="<p>Kv 3, igen</p>", **frozen,
        )  # fmt: skip
        Version.objects.create(
            report=unkept, number=1, content_html="<p>Kv 3</p>", ended_as="oppnad_igen",
            ended_at=closed_at, **frozen,
        )  # fmt: skip
        Report.objects.create(organisation=region, quarter="2025Q2", status="utkast")

        after = _migrate(("followup", "0029_quarter_report_body_in_its_version"))

        versions = after.get_model("followup", "QuarterReportVersion").objects
        rows = versions.order_by("report__quarter", "number").values_list(
            "report__quarter", "number", "content_html", "ended_as"
        )
        assert list(rows) == [
            ("2025Q3", 1, "<p>Kv 3</p>", "oppnad_igen"),
            ("2025Q3", 2, "<p>Kv 3, igen</p>", ""),
            ("2025Q4", 1, "<p>Kv 4</p>", ""),
        ]

        before = _migrate(("followup", "0028_period_result_parts"))

        reports = before.get_model("followup", "QuarterReport").objects.order_by("quarter")
        assert list(reports.values_list("quarter", "content_html")) == [
            ("2025Q2", ""),
            ("2025Q3", "<p>Kv 3, igen</p>"),
            ("2025Q4", "<p>Kv 4</p>"),
        ]
    finally:
        _migrate(_latest())


def test_the_quarters_of_weighted_mean_goals_are_marked_for_the_recompute_that_weights_them(
    transactional_db,
) -> None:
    """0030 changes no column (0028 stored each period's weight): the quarters with a result of
    a relative goal on a weighted mean are marked for recompute, so their baselines are
    weighted by the periods' nämnare; other goals' quarters are not, and a mark is kept."""
    apps = _migrate(("followup", "0029_quarter_report_body_in_its_version"))
    try:
        # The schema is the latest one (0030 only marks quarters): the factories fit it. Their
        # writes schedule no recompute, which would compute the quarters and clear the marks.
        with triggers.suppressed():
            index = MeasureFactory(
                unit="", value_type="index", aggregation=Measure.Aggregation.WEIGHTED_MEAN
            )
            weighted = GoalFactory(measure_relative=True, measure=index)
            absolute = GoalFactory(measure_absolute=True, measure=index)
            count = GoalFactory(measure_relative=True)
            for goal, quarter in (
                (weighted, "2025Q3"),
                (weighted, "2025Q4"),
                (weighted, "2026Q1"),
                (absolute, "2025Q2"),
                (count, "2025Q1"),
            ):
                GoalResultFactory(goal=goal, quarter=quarter)
        earlier = datetime.datetime(2026, 2, 1, tzinfo=datetime.UTC)
        Request = apps.get_model("followup", "RecomputeRequest")
        Request.objects.create(quarter="2026Q1", trigger="observation", requested_at=earlier)

        after = _migrate(("followup", "0030_weighted_mean_baselines_recompute"))

        marks = after.get_model("followup", "RecomputeRequest").objects.order_by("quarter")
        assert list(marks.values_list("quarter", "trigger")) == [
            ("2025Q3", "migration"),
            ("2025Q4", "migration"),
            ("2026Q1", "observation"),
        ]
    finally:
        _migrate(_latest())


def test_the_quarters_of_index_and_mean_goals_are_marked_for_the_recompute_that_rewrites_them(
    transactional_db,
) -> None:
    """0031 changes no column: the quarters with a result of a goal on an index or a mean (or a
    measure whose unit is the scale "index") are marked for recompute, so their stored sentences
    write the values to one decimal, as the goal's "Underlag" does; a share's and a count's
    quarters are not, and a mark is kept."""
    apps = _migrate(("followup", "0030_weighted_mean_baselines_recompute"))
    try:
        # The schema is the latest one (0031 only marks quarters): the factories fit it. Their
        # writes schedule no recompute, which would compute the quarters and clear the marks.
        with triggers.suppressed():
            index = MeasureFactory(
                unit="", value_type="index", aggregation=Measure.Aggregation.WEIGHTED_MEAN
            )
            mean = MeasureFactory(unit="min", value_type="mean")
            scale = MeasureFactory(unit="Index", value_type="count")
            share = MeasureFactory(share=True)
            for goal, quarter in (
                (GoalFactory(measure_relative=True, measure=index), "2025Q3"),
                (GoalFactory(measure_absolute=True, measure=index), "2026Q1"),
                (GoalFactory(measure_absolute=True, measure=mean), "2025Q4"),
                (GoalFactory(measure_absolute=True, measure=scale), "2025Q2"),
                (GoalFactory(measure_relative=True, measure=share), "2025Q1"),
                (GoalFactory(measure_relative=True), "2024Q4"),
            ):
                GoalResultFactory(goal=goal, quarter=quarter)
        earlier = datetime.datetime(2026, 2, 1, tzinfo=datetime.UTC)
        Request = apps.get_model("followup", "RecomputeRequest")
        Request.objects.create(quarter="2026Q1", trigger="observation", requested_at=earlier)

        after = _migrate(("followup", "0031_index_mean_sentences_recompute"))

        marks = after.get_model("followup", "RecomputeRequest").objects.order_by("quarter")
        assert list(marks.values_list("quarter", "trigger")) == [
            ("2025Q2", "migration"),
            ("2025Q3", "migration"),
            ("2025Q4", "migration"),
            ("2026Q1", "observation"),
        ]
    finally:
        _migrate(_latest())


def test_the_quarters_of_trend_and_count_mean_sentences_are_marked_for_the_recompute(
    transactional_db,
) -> None:
    """0032 changes no column: the quarters with a result whose stored sentence writes an index's
    or a mean's trend (a forecast), a count's baseline (a relative goal on a count) or a target
    computed from a baseline (a relative goal on a count, an index or a mean) are marked
    for recompute, so the sentence reads as the goal's "Underlag"; an absolute index goal's
    quarter without a forecast and a share's are not, and a mark is kept."""
    apps = _migrate(("followup", "0031_index_mean_sentences_recompute"))
    try:
        # The schema is the latest one (0032 only marks quarters): the factories fit it. Their
        # writes schedule no recompute, which would compute the quarters and clear the marks.
        with triggers.suppressed():
            index = MeasureFactory(unit="", value_type="index")
            mean = MeasureFactory(unit="min", value_type="mean")
            count = MeasureFactory(unit="st", value_type="count")
            share = MeasureFactory(share=True)
            for goal, quarter, forecast in (
                (GoalFactory(measure_absolute=True, measure=index), "2025Q3", Decimal("83.59")),
                (GoalFactory(measure_absolute=True, measure=index), "2025Q1", None),
                (GoalFactory(measure_absolute=True, measure=mean), "2026Q1", Decimal(12)),
                (GoalFactory(measure_relative=True, measure=count), "2025Q4", None),
                (GoalFactory(measure_relative=True, measure=mean), "2024Q2", None),
                (GoalFactory(measure_absolute=True, measure=count), "2025Q2", Decimal(200)),
                (GoalFactory(measure_relative=True, measure=share), "2024Q4", Decimal(50)),
            ):
                GoalResultFactory(goal=goal, quarter=quarter, forecast=forecast)
        earlier = datetime.datetime(2026, 2, 1, tzinfo=datetime.UTC)
        Request = apps.get_model("followup", "RecomputeRequest")
        Request.objects.create(quarter="2026Q1", trigger="observation", requested_at=earlier)

        after = _migrate(("followup", "0032_trend_and_count_mean_sentences_recompute"))

        marks = after.get_model("followup", "RecomputeRequest").objects.order_by("quarter")
        assert list(marks.values_list("quarter", "trigger")) == [
            ("2024Q2", "migration"),
            ("2025Q2", "migration"),
            ("2025Q3", "migration"),
            ("2025Q4", "migration"),
            ("2026Q1", "observation"),
        ]
    finally:
        _migrate(_latest())
