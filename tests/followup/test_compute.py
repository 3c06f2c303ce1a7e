"""The quarterly computation: roll-up rules, completeness, changes, SPC, goal status, reruns."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import transaction

from base.periods import Quarter
from followup import selectors, services
from followup.compute import series
from followup.compute.db import COMPUTE_LOCK, SPC_LOCK_NAMESPACE
from followup.formatting import forecast_cell
from followup.models import (
    ComputeRun,
    GoalResult,
    Measure,
    MeasureResult,
    Observation,
    PeriodResult,
    SpcResult,
)
from followup.tasks import compute_quarter, recompute_in_order
from goals.models import AdoptionRecord, Assessment, Goal
from goals.status import Status
from gonv.templatetags.followup_pages import basis_items
from organisation.models import Unit, UnitKind
from organisation.services import unit_create_trusted
from programmes.models import Phase, ProgrammeArea, WorkingMethod

Q4 = Quarter(2025, 4)
TODAY = datetime.date(2026, 11, 23)


@pytest.fixture
def tree(db: None) -> dict[str, Unit]:
    """Region → Primärvård → VO Syd (HC A, HC B), VO Nord (HC C, closed HC D)."""
    kinds = {
        code: UnitKind.objects.create(code=code, name=name, name_plural=plural)
        for code, name, plural in [
            ("region", "Region", "Regioner"),
            ("vo", "Verksamhetsområde", "Verksamhetsområden"),
            ("hc", "Hälsocentral", "Hälsocentraler"),
        ]
    }
    region = unit_create_trusted(code="R", name="Region Test", kind=kinds["region"])
    syd = unit_create_trusted(code="VO-SYD", name="VO Syd", kind=kinds["vo"], parent=region)
    nord = unit_create_trusted(code="VO-NORD", name="VO Nord", kind=kinds["vo"], parent=region)
    return {
        "region": region,
        "syd": syd,
        "nord": nord,
        "a": unit_create_trusted(code="HC-A", name="HC A", kind=kinds["hc"], parent=syd),
        "b": unit_create_trusted(code="HC-B", name="HC B", kind=kinds["hc"], parent=syd),
        "c": unit_create_trusted(code="HC-C", name="HC C", kind=kinds["hc"], parent=nord),
        "d": unit_create_trusted(
            code="HC-D",
            name="HC D (stängd)",
            kind=kinds["hc"],
            parent=nord,
            valid_to=datetime.date(2025, 6, 30),
        ),
    }


def _measure(code: str, value_type: str, aggregation: str, **extra: object) -> Measure:
    measure = Measure.objects.create(
        code=code, name=code, value_type=value_type, aggregation=aggregation, **extra
    )
    measure.unit_kinds.set(UnitKind.objects.filter(code="hc"))
    return measure


def _obs(measure: Measure, unit: Unit, month: int, value: str, *, year: int = 2025, **fig: str):
    start = datetime.date(year, month, 1)
    end = (start.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(
        days=1
    )
    return Observation.objects.create(
        measure=measure,
        unit=unit,
        period_start=start,
        period_end=end,
        quarter=Quarter.containing(end).code,
        value=Decimal(value),
        **{k: Decimal(v) for k, v in fig.items()},
    )


def _result(measure: Measure, unit: Unit, quarter: Quarter = Q4) -> MeasureResult:
    """The stored result as the pages read it: with its changes against earlier quarters."""
    return MeasureResult.objects.of_quarter(quarter).get(measure=measure, unit=unit)


def _spc(measure: Measure, unit: Unit, quarter: Quarter = Q4) -> dict[str, Any]:
    """The stored SPC summary of a unit's series as of the quarter."""
    return SpcResult.objects.get(measure=measure, unit=unit, quarter=quarter.code).summary


def _measure_goal(
    area: object, code: str, title: str, measure: Measure, *,
    deadline: datetime.date = datetime.date(2026, 12, 31), **target: object,
) -> Goal:  # fmt: skip
    """A measure goal of the programme area; `target` is its target value or its relative
    change (with the baseline)."""
    return Goal.objects.create(
        programme_area=area, code=code, title=title, kind=Goal.Kind.MEASURE,
        deadline=deadline, measure=measure, **target,
    )  # fmt: skip


def _compute(quarter: Quarter = Q4) -> services.QuarterSummary:
    return services.quarter_compute(quarter=quarter, today=TODAY)


def test_shares_roll_up_as_ratio_of_sums_not_average_of_percentages(tree):
    share = _measure("ratt-hjalp", "share", "ratio")
    _obs(share, tree["a"], 10, "90", numerator="9", denominator="10")
    _obs(share, tree["b"], 10, "50", numerator="50", denominator="100")

    _compute()

    # (9 + 50) / (10 + 100) = 53.6 %, not (90 + 50) / 2 = 70 %.
    expected = pytest.approx(Decimal("53.636364"), abs=Decimal("1e-5"))
    assert _result(share, tree["syd"]).value == expected
    assert _result(share, tree["a"]).value == Decimal("90")


def test_counts_sum_over_the_quarters_months_and_up_the_tree(tree):
    count = _measure("do-antal", "count", "sum")
    for month in (10, 11, 12):
        _obs(count, tree["a"], month, "10")
        _obs(count, tree["c"], month, "5")

    _compute()

    assert _result(count, tree["a"]).value == Decimal(30)
    assert _result(count, tree["nord"]).value == Decimal(15)
    assert _result(count, tree["region"]).value == Decimal(45)


def test_a_unit_reporting_itself_and_through_its_units_counts_both(tree):
    count = _measure("do-antal", "count", "sum")
    _obs(count, tree["syd"], 10, "5")  # VO Syd's own figure, e.g. its joint reception
    _obs(count, tree["a"], 10, "10")

    _compute()

    syd = _result(count, tree["syd"])
    assert (syd.value, syd.reporting_units) == (Decimal(15), 2)
    region = _result(count, tree["region"])
    assert (region.value, region.reporting_units) == (Decimal(15), 2)
    assert _result(count, tree["a"]).value == Decimal(10)


def test_indices_are_weighted_by_their_denominator(tree):
    index = _measure("arbetsmiljo", "index", "weighted_mean", frequency="quarterly")
    _obs(index, tree["a"], 12, "80", denominator="30")
    _obs(index, tree["b"], 12, "60", denominator="10")

    _compute()

    assert _result(index, tree["syd"]).value == Decimal(75)  # (80·30 + 60·10) / 40


def test_a_closed_unit_does_not_count_and_is_not_expected(tree):
    count = _measure("do-antal", "count", "sum")
    _obs(count, tree["c"], 10, "5")
    _obs(count, tree["d"], 10, "100")  # closed 2025-06-30; stray data must not count

    _compute()

    nord = _result(count, tree["nord"])
    assert nord.value == Decimal(5)
    assert (nord.reporting_units, nord.expected_units) == (1, 1)


def test_completeness_counts_units_that_should_report_and_did(tree):
    count = _measure("do-antal", "count", "sum")
    _obs(count, tree["a"], 10, "3")

    _compute()

    region = _result(count, tree["region"])
    assert (region.reporting_units, region.expected_units) == (1, 3)
    assert region.completeness_pct == pytest.approx(100 / 3)
    silent = _result(count, tree["c"])
    assert silent.value is None
    assert (silent.reporting_units, silent.expected_units) == (0, 1)


def test_change_against_previous_quarter_and_same_quarter_last_year(tree):
    count = _measure("do-antal", "count", "sum")
    _obs(count, tree["a"], 10, "10", year=2024)
    _obs(count, tree["a"], 7, "20")
    _obs(count, tree["a"], 10, "35")
    for quarter in (Quarter(2024, 4), Quarter(2025, 3), Q4):
        _compute(quarter)

    result = _result(count, tree["a"])
    assert result.change_previous_quarter == Decimal(15)
    assert result.change_previous_year == Decimal(25)
    # Rolled up: the region's value is HC A's, the only unit that reported.
    region = _result(count, tree["region"])
    assert (region.change_previous_quarter, region.change_previous_year) == (15, 25)
    # A quarter with nothing before it has no change to show.
    first = _result(count, tree["a"], Quarter(2024, 4))
    assert (first.change_previous_quarter, first.change_previous_year) == (None, None)


def test_changes_follow_an_earlier_quarter_recomputed_alone(tree):
    count = _measure("do-antal", "count", "sum")
    september = _obs(count, tree["a"], 9, "20")
    _obs(count, tree["a"], 10, "35")
    _compute(Quarter(2025, 3))
    _compute(Q4)
    assert _result(count, tree["a"]).change_previous_quarter == Decimal(15)

    # A late correction of September, and only its own quarter recomputed (compute_followup
    # --quarter 2025Q3): Kv 4's change already shows it.
    september.value = Decimal(30)
    september.save()
    _compute(Quarter(2025, 3))

    assert _result(count, tree["a"]).change_previous_quarter == Decimal(5)
    assert _result(count, tree["region"]).change_previous_quarter == Decimal(5)


def test_rerunning_a_quarter_leaves_identical_rows(tree):
    share = _measure("ratt-hjalp", "share", "ratio")
    for month in range(1, 13):
        _obs(share, tree["a"], month, "70", numerator=str(60 + month), denominator="100")
    for quarter in selectors.quarters_in_scope(TODAY)[:4]:
        _compute(quarter)

    def snapshot() -> list[tuple]:
        return [
            *MeasureResult.objects.order_by("pk").values_list(),
            *PeriodResult.objects.order_by("id").values_list(),
            *GoalResult.objects.order_by("id").values_list(),
        ]

    before = snapshot()
    _compute()
    assert snapshot() == before


def test_deleting_an_observation_removes_its_roll_up_on_recompute(tree):
    count = _measure("do-antal", "count", "sum")
    count.unit_kinds.clear()
    observation = _obs(count, tree["a"], 10, "4")
    _compute()
    # HC A, VO Syd and the region
    assert MeasureResult.objects.filter(measure=count, quarter=Q4.code).count() == 3

    observation.delete()
    _compute()

    assert not MeasureResult.objects.filter(measure=count, quarter=Q4.code).exists()
    assert not PeriodResult.objects.filter(measure=count).exists()


def test_spc_limits_appear_only_with_thirteen_points(tree):
    share = _measure("ratt-hjalp", "share", "ratio")
    values = [50, 52, 49, 51, 50, 48, 52, 51, 49, 50, 51, 50]
    for month, value in enumerate(values, start=1):
        _obs(share, tree["a"], month, str(value), numerator=str(value), denominator="100")
    for number in (1, 2, 3, 4):
        _compute(Quarter(2025, number))
    assert _spc(share, tree["a"])["limits_available"] is False

    _obs(share, tree["a"], 1, "95", year=2026, numerator="95", denominator="100")
    _compute(Quarter(2026, 1))

    spc = _spc(share, tree["a"], Quarter(2026, 1))
    assert spc["limits_available"] is True
    assert spc["points"][-1][2] == "improvement"  # 95 % is far above the upper limit
    assert spc["variation"] == "special_cause_improvement_high"


@pytest.fixture
def plan(tree: dict[str, Unit]) -> dict[str, object]:
    """Phase 2 with a Teamrond adoption milestone and a DÖ relative-change milestone."""
    phase = Phase.objects.create(
        code="fas2",
        name="Fas 2",
        start_date=datetime.date(2025, 1, 1),
        end_date=datetime.date(2027, 12, 31),
        organisation_unit=tree["region"],
    )
    area = ProgrammeArea.objects.create(
        phase=phase, number=1, name="Teamarbete", start_date=datetime.date(2025, 3, 1)
    )
    method = WorkingMethod.objects.create(code="teamrond", name="Teamrond", programme_area=area)
    hc = UnitKind.objects.get(code="hc")
    adoption = Goal.objects.create(
        programme_area=area,
        code="teamrond-50",
        title="Teamrond infört på 50 % av hälsocentralerna",
        kind=Goal.Kind.ADOPTION,
        deadline=datetime.date(2025, 12, 31),
        working_method=method,
        unit_kind=hc,
        target_share=Decimal(50),
    )
    do_count = _measure("do-antal", "count", "sum")
    relative = _measure_goal(
        area,
        "do-plus-50",
        "+50 % dokumenterade överenskommelser",
        do_count,
        deadline=datetime.date(2027, 12, 31),
        relative_change_pct=Decimal(50),
        baseline_start=datetime.date(2026, 12, 1),
        baseline_end=datetime.date(2026, 12, 31),
    )
    return {"area": area, "method": method, "adoption": adoption, "relative": relative}


def test_adoption_goal_counts_active_health_centres_that_introduced_the_method(tree, plan):
    for unit, status, actual, planned in [
        ("a", "infort", datetime.date(2025, 5, 1), None),
        ("b", "infort", datetime.date(2025, 11, 1), None),
        ("c", "planerad", None, datetime.date(2026, 3, 1)),
        ("d", "infort", datetime.date(2025, 1, 1), None),  # closed: not counted at all
    ]:
        AdoptionRecord.objects.create(
            unit=tree[unit],
            working_method=plan["method"],
            status=status,
            actual_date=actual,
            planned_date=planned,
        )

    _compute()

    result = GoalResult.objects.get(goal=plan["adoption"], quarter=Q4.code)
    assert result.status == Status.ACHIEVED
    assert result.progress == pytest.approx(Decimal("66.666667"), abs=Decimal("1e-5"))
    assert result.explanation == (
        "2 av 3 hälsocentraler (66,7\u00a0%) har infört arbetssättet ”Teamrond”; "
        "målet är 50\u00a0% senast 31 dec 2025."
    )
    earlier = services.quarter_compute(quarter=Quarter(2025, 3), today=TODAY)
    assert earlier.goal_rows == 2
    q3 = GoalResult.objects.get(goal=plan["adoption"], quarter="2025Q3")
    assert q3.progress == pytest.approx(
        Decimal("33.333333"), abs=Decimal("1e-5")
    )  # only HC A by Sep


def test_relative_goal_waits_for_its_baseline_then_targets_one_and_a_half_times_it(tree, plan):
    count = Measure.objects.get(code="do-antal")
    _obs(count, tree["a"], 11, "40", year=2026)
    _compute(Quarter(2026, 4))
    waiting = GoalResult.objects.get(goal=plan["relative"], quarter="2026Q4")
    assert waiting.status == Status.NO_DATA
    assert "dec 2026" in waiting.explanation

    _obs(count, tree["a"], 12, "40", year=2026)
    _obs(count, tree["c"], 12, "20", year=2026)
    services.quarter_compute(quarter=Quarter(2026, 4), today=datetime.date(2027, 1, 15))
    # Two of the three health centres are not enough for the baseline (80 % must report).
    partial = GoalResult.objects.get(goal=plan["relative"], quarter="2026Q4")
    assert partial.status == Status.NO_DATA
    assert partial.basis["rule"] == "baseline_missing"

    _obs(count, tree["b"], 12, "30", year=2026)
    services.quarter_compute(quarter=Quarter(2026, 4), today=datetime.date(2027, 1, 15))

    result = GoalResult.objects.get(goal=plan["relative"], quarter="2026Q4")
    assert result.target == Decimal(135)  # 1.5 × (40 + 20 + 30) in dec 2026


def test_a_year_long_baseline_of_a_count_is_its_mean_per_month_not_its_sum(tree, plan):
    count = Measure.objects.get(code="do-antal")
    count.unit = "st"
    count.save()
    goal = _measure_goal(
        plan["area"],
        "do-plus-20-ar",
        "+20 % mot snittet 2025",
        count,
        relative_change_pct=Decimal(20),
        baseline_start=datetime.date(2025, 1, 1),
        baseline_end=datetime.date(2025, 12, 31),
    )
    for month in range(1, 13):
        for unit, value in (("a", "10"), ("b", "20"), ("c", "30")):
            _obs(count, tree[unit], month, value)  # 60 a month in the region, 720 in the year

    _compute()

    result = GoalResult.objects.get(goal=goal, quarter=Q4.code)
    assert result.target == Decimal(72)  # 1.2 × 60 a month, not 1.2 × 720
    assert result.basis["baseline_value"] == 60.0
    assert "jämfört med i snitt 60\u00a0st per månad jan–dec 2025" in result.explanation


def test_a_baseline_of_several_months_of_a_share_is_pooled_not_their_mean(tree, plan):
    """A small month must not weigh as much as a big one: okt–dec 2025 is 350 of 500 (70 %),
    not the mean of 50 %, 75 % and 50 % (58,3 %)."""
    share = _measure("do-andel", "share", "ratio", unit="%")
    goal = _measure_goal(
        plan["area"],
        "do-andel-plus-10",
        "+10 % mot hösten 2025",
        share,
        relative_change_pct=Decimal(10),
        baseline_start=datetime.date(2025, 10, 1),
        baseline_end=datetime.date(2025, 12, 31),
    )
    months = {
        10: (("4", "8"), ("3", "6"), ("3", "6")),  # 10 of 20: 50 %
        11: (("100", "150"), ("100", "150"), ("100", "100")),  # 300 of 400: 75 %
        12: (("20", "40"), ("10", "20"), ("10", "20")),  # 40 of 80: 50 %
    }
    for month, parts in months.items():
        for unit, (num, den) in zip(("a", "b", "c"), parts, strict=True):
            value = str(Decimal(num) * 100 / Decimal(den))
            _obs(share, tree[unit], month, value, numerator=num, denominator=den)

    _compute()

    november = PeriodResult.objects.get(
        measure=share, unit=tree["region"], period_start=datetime.date(2025, 11, 1)
    )
    assert (november.numerator, november.denominator) == (Decimal(300), Decimal(400))
    result = GoalResult.objects.get(goal=goal, quarter=Q4.code)
    assert result.basis["baseline_value"] == pytest.approx(70.0)
    assert result.basis["baseline_method"] == "pooled"
    assert result.target == pytest.approx(Decimal(77))  # 1.1 × 70, not 1.1 × 58,3
    assert "(+10\u00a0% jämfört med 70,0\u00a0% för okt–dec 2025 som helhet)" in result.explanation


def test_a_baseline_of_several_months_of_a_weighted_mean_is_weighted_by_its_nämnare(tree, plan):
    """A month of 20 respondents must not weigh as much as one of 1 000: okt–dec 2025 is
    (60 × 20 + 80 × 1 000 + 60 × 20) ÷ 1 040 = 79,23, not the mean of 60, 80 and 60 (66,67).
    A report without a nämnare weighs 1, as in the roll-up (December's HC C)."""
    index = _measure("patientenkat", "index", "weighted_mean")
    goal = _measure_goal(
        plan["area"],
        "patientenkat-plus-5",
        "+5 % mot hösten 2025",
        index,
        relative_change_pct=Decimal(5),
        baseline_start=datetime.date(2025, 10, 1),
        baseline_end=datetime.date(2025, 12, 31),
    )
    months = {
        10: (("60", "5"), ("60", "5"), ("60", "10")),  # 20 respondents
        11: (("80", "400"), ("80", "300"), ("80", "300")),  # 1 000 respondents
        12: (("60", "10"), ("60", "9"), ("60", None)),  # 19 respondents and a report without
    }
    for month, reports in months.items():
        for unit, (value, respondents) in zip(("a", "b", "c"), reports, strict=True):
            weight = {} if respondents is None else {"denominator": respondents}
            _obs(index, tree[unit], month, value, **weight)

    _compute()

    december = PeriodResult.objects.get(
        measure=index, unit=tree["region"], period_start=datetime.date(2025, 12, 1)
    )
    assert (december.value, december.denominator) == (Decimal(60), Decimal(20))
    result = GoalResult.objects.get(goal=goal, quarter=Q4.code)
    baseline = Decimal(82400) / Decimal(1040)
    assert result.basis["baseline_value"] == pytest.approx(float(baseline), abs=1e-6)
    assert result.basis["baseline_method"] == "weighted"
    assert result.target == pytest.approx(baseline * Decimal("1.05"), abs=Decimal("1e-6"))
    # Written to the index's one decimal (83,19; 79,23), as the goal's "Underlag" writes them.
    assert "målet är minst 83,2 (+5\u00a0% jämfört med 79,2 för okt–dec 2025 som helhet)" in (
        result.explanation
    )


def test_a_baseline_of_several_months_of_a_count_stays_their_mean(tree, plan):
    """Only shares and weighted means are pooled: a count's months weigh alike."""
    count = _measure("besok", "count", "sum", unit="st")
    goal = _measure_goal(
        plan["area"],
        "besok-plus-10",
        "+10 % mot hösten 2025",
        count,
        relative_change_pct=Decimal(10),
        baseline_start=datetime.date(2025, 10, 1),
        baseline_end=datetime.date(2025, 12, 31),
    )
    for month, values in {
        10: ("5", "5", "10"),
        11: ("400", "300", "300"),
        12: ("10", "5", "5"),
    }.items():
        for unit, value in zip(("a", "b", "c"), values, strict=True):
            _obs(count, tree[unit], month, value)

    _compute()

    result = GoalResult.objects.get(goal=goal, quarter=Q4.code)
    assert result.basis["baseline_value"] == pytest.approx(1040 / 3, abs=1e-5)  # 20, 1 000, 20
    assert result.basis["baseline_method"] == "mean"
    # A mean of counts is no count: one decimal in the sentence and in the goal's "Underlag"
    # alike ("346,7 st"), neither "346,67" nor "347".
    assert "jämfört med i snitt 346,7\u00a0st per månad okt–dec 2025" in result.explanation
    assert ("Basvärde", "346,7\u00a0st", False) in basis_items(result.basis, count)
    # The target computed from it (381,33…) and the trend's forecast (277,23…) are no counts
    # either: one decimal in the sentence, the "Underlag" and the deadline table's Prognos
    # column alike, and the trend per month so too (not "381,33", "277,23", "−5,28").
    assert "(−5,3\u00a0st per månad) ger prognosen 277,2\u00a0st vid 31 dec 2026" in (
        result.explanation
    )
    assert "målet är minst 381,3\u00a0st (+10\u00a0%" in result.explanation
    items = basis_items(result.basis, count)
    assert ("Målvärde", "381,3\u00a0st", False) in items
    assert ("Prognos vid måldatum", "277,2\u00a0st", False) in items
    assert forecast_cell(result, "st", "count").value == "277,2\u00a0st mot målet 381,3\u00a0st"


def test_an_index_target_is_written_as_stored_in_the_sentence_and_the_underlag(tree, plan):
    """+95 % on okt–dec 2025's 50,33… (151 / 3) is 98,15, computed as 98,1499…: rounded to the
    index's one decimal that would be "98,1", the target as GoalResult stores it (six
    decimals, 98,15) "98,2". The sentence writes the stored one, as the "Underlag" does."""
    index = _measure("patientenkat", "index", "weighted_mean")
    goal = _measure_goal(
        plan["area"],
        "patientenkat-plus-95",
        "+95 % mot hösten 2025",
        index,
        relative_change_pct=Decimal(95),
        baseline_start=datetime.date(2025, 10, 1),
        baseline_end=datetime.date(2025, 12, 31),
    )
    for month, value in {10: "50", 11: "50", 12: "51"}.items():
        for unit in ("a", "b", "c"):
            _obs(index, tree[unit], month, value, denominator="10")

    _compute()

    result = GoalResult.objects.get(goal=goal, quarter=Q4.code)
    assert result.target == Decimal("98.15")
    assert "målet är minst 98,2 (+95\u00a0%" in result.explanation
    assert ("Målvärde", "98,2", False) in basis_items(result.basis, index)


def test_a_share_goal_is_judged_on_the_latest_month_enough_units_have_reported(tree, plan):
    share = _measure("do-andel", "share", "ratio", unit="%")
    goal = _measure_goal(
        plan["area"],
        "do-alla",
        "Alla med samordningsbehov har en DÖ",
        share,
        deadline=datetime.date(2027, 12, 31),
        target_value=Decimal(100),
    )
    for month in range(7, 12):
        for unit in ("a", "b", "c"):
            _obs(share, tree[unit], month, "0", numerator=str(10 + month), denominator="100")
    # December: one health centre of three has reported, with a share far above the others'.
    _obs(share, tree["a"], 12, "60", numerator="60", denominator="100")

    _compute(Quarter(2025, 3))
    _compute()

    result = GoalResult.objects.get(goal=goal, quarter=Q4.code)
    assert result.progress == Decimal(21)  # November's 21 %, not December's one-unit 60 %
    assert result.basis["latest_period_end"] == "2025-11-30"
    assert result.explanation.startswith(
        "Do-andel var 21,0\u00a0% i nov 2025 (senaste månaden som räknas) och trenden"
    )
    assert "procentenheter per månad" in result.explanation
    assert result.explanation.endswith(
        "Perioden till 31 dec 2025 räknas inte: 1 av 3 enheter har rapporterat "
        "(minst 80\u00a0% behövs)."
    )

    # Once enough have reported, December counts.
    _obs(share, tree["b"], 12, "22", numerator="22", denominator="100")
    _obs(share, tree["c"], 12, "22", numerator="22", denominator="100")
    _compute()
    result = GoalResult.objects.get(goal=goal, quarter=Q4.code)
    assert result.basis["latest_period_end"] == "2025-12-31"
    assert "räknas inte" not in result.explanation


def test_a_recompute_evaluates_only_goals_whose_inputs_changed(tree, plan, settings):
    AdoptionRecord.objects.create(
        unit=tree["a"],
        working_method=plan["method"],
        status="infort",
        actual_date=datetime.date(2025, 5, 1),
    )
    assert _compute().goal_rows == 2
    assert _compute().goal_rows == 0  # nothing changed: nothing evaluated, nothing written

    # A new adoption changes the adoption goal only.
    AdoptionRecord.objects.create(
        unit=tree["b"],
        working_method=plan["method"],
        status="infort",
        actual_date=datetime.date(2025, 6, 1),
    )
    assert _compute().goal_rows == 1
    assert GoalResult.objects.get(goal=plan["adoption"], quarter=Q4.code).explanation.startswith(
        "2 av 3 hälsocentraler"
    )

    # A renamed working method changes the sentence, though no number changed.
    WorkingMethod.objects.filter(pk=plan["method"].pk).update(name="Teamrond med patient")
    assert _compute().goal_rows == 1
    assert "har infört arbetssättet ”Teamrond med patient”;" in (
        GoalResult.objects.get(goal=plan["adoption"], quarter=Q4.code).explanation
    )

    # Other thresholds can change any status: every goal is evaluated again.
    settings.GONV_STATUS_RULES = {"at_risk_margin_pct": 12.5}
    assert _compute().goal_rows == 2
    assert _compute().goal_rows == 0


def test_manual_assessment_is_shown_beside_the_computed_status(tree, plan):
    author = User.objects.create(username="strateg", first_name="Sara", last_name="Strateg")
    Assessment.objects.create(
        goal=plan["adoption"],
        quarter=Q4.code,
        status=Status.AT_RISK,
        comment="Två VO saknar aktivitetsplan.",
        author=author,
    )

    _compute()

    result = GoalResult.objects.get(goal=plan["adoption"], quarter=Q4.code)
    assert result.status == Status.OFF_TRACK  # computed: nothing introduced on the deadline day
    assert result.assessment_status == Status.AT_RISK
    assert result.assessment_author == "Sara Strateg"
    assert result.assessment_quarter == Q4.code


def test_goals_are_not_started_in_quarters_ending_before_their_start(tree, plan):
    """PO 3 starts in May 2025: in Kv 1 2025 its goal, milestone and a goal without a start of
    its own are "Ej påbörjat", and so is the area; from Kv 2 2025 they are judged."""
    from followup.selectors import portfolio_with_status

    area = ProgrammeArea.objects.create(
        phase=plan["area"].phase,
        number=3,
        name="Dokumenterad överenskommelse",
        start_date=datetime.date(2025, 5, 1),
    )
    share = _measure("do-andel", "share", "ratio", unit="%")
    goal = Goal.objects.create(
        programme_area=area,
        code="do-alla",
        title="Alla med samordningsbehov har en DÖ",
        kind=Goal.Kind.MEASURE,
        start_date=datetime.date(2025, 5, 1),
        deadline=datetime.date(2030, 12, 31),
        measure=share,
        target_value=Decimal(100),
    )
    module = Goal.objects.create(
        programme_area=area,
        parent=goal,
        code="do-cosmic",
        title="Modulen för DÖ fungerar i Cosmic",
        kind=Goal.Kind.DELIVERABLE,
        start_date=datetime.date(2025, 5, 1),
        deadline=datetime.date(2026, 12, 31),
    )
    routine = Goal.objects.create(
        programme_area=area,
        code="do-rutin",
        title="Rutin för DÖ beslutad",
        kind=Goal.Kind.DELIVERABLE,
        deadline=datetime.date(2025, 12, 31),
    )
    # A share that grows far too slowly to reach 100 % by 2030: "Ej enligt plan" once judged.
    for month in range(1, 7):
        for unit in ("a", "b", "c", "d"):  # HC D closes at the end of June
            _obs(share, tree[unit], month, "0", numerator=str(5 + month), denominator="100")
    assessment = Assessment.objects.create(
        goal=module,
        quarter="2025Q1",
        status=Status.OFF_TRACK,
        comment="Ingen mall ännu.",
        author=User.objects.create(username="strateg"),
    )
    Assessment.objects.filter(pk=assessment.pk).update(
        assessed_at=datetime.datetime(2025, 3, 20, 12, tzinfo=datetime.UTC)
    )

    _compute(Quarter(2025, 1))

    results = {r.goal_id: r for r in GoalResult.objects.filter(quarter="2025Q1")}
    measured, milestone, own_start_less = results[goal.pk], results[module.pk], results[routine.pk]
    assert measured.status == Status.NOT_STARTED
    assert measured.basis["rule"] == "before_start"
    assert measured.forecast_status == Status.OFF_TRACK  # what the numbers say, beside it
    assert measured.explanation.startswith(
        "Målet startar 1 maj 2025. Do-andel var 8,0\u00a0% i mar 2025 (senaste månaden)"
    )
    assert milestone.status == Status.NOT_STARTED
    assert milestone.assessment_status == Status.OFF_TRACK  # the assessment stays beside it
    assert milestone.explanation.startswith(
        "Delmålet startar 1 maj 2025. ”Modulen för DÖ fungerar i Cosmic” har inte slutförts"
    )
    assert own_start_less.status == Status.NOT_STARTED
    assert own_start_less.explanation.startswith(
        "Målet räknas från programområdets start 1 maj 2025."
    )
    portfolio = portfolio_with_status(quarter=Quarter(2025, 1))
    po3 = next(a for p in portfolio.phases for a in p.programme_areas.all() if a.pk == area.pk)
    assert po3.overall_status == Status.NOT_STARTED

    # Kv 2 2025 contains the start: judged as usual.
    _compute(Quarter(2025, 2))

    results = {r.goal_id: r for r in GoalResult.objects.filter(quarter="2025Q2")}
    assert results[goal.pk].status == Status.OFF_TRACK
    assert results[module.pk].status == Status.OFF_TRACK  # open, judged by its assessment
    assert results[routine.pk].status == Status.ON_TRACK
    assert not results[goal.pk].explanation.startswith("Målet startar")


@pytest.fixture
def eager(settings, transactional_db) -> None:
    """Real commits, with the recompute running in-process as in the embedded mode."""
    settings.CELERY_TASK_ALWAYS_EAGER = True


def test_a_change_committed_triggers_one_recompute_per_affected_quarter(eager, tree):
    count = _measure("do-antal", "count", "sum")
    ComputeRun.objects.all().delete()
    with transaction.atomic():
        for unit in ("a", "b", "c"):
            for month in (10, 11, 12):
                _obs(count, tree[unit], month, "1")

    runs = list(ComputeRun.objects.values_list("quarter", flat=True))
    affected = [q.code for q in selectors.quarters_affected_from(Q4)]
    assert sorted(runs) == affected  # nine edits, one run per quarter from Kv 4 2025 on
    assert _result(count, tree["region"]).value == Decimal(9)


def test_a_rolled_back_change_is_not_computed_and_the_next_commit_is(eager, tree):
    count = _measure("do-antal", "count", "sum")

    def write_then_fail() -> None:
        with transaction.atomic():
            _obs(count, tree["a"], 10, "1")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        write_then_fail()
    with transaction.atomic():
        _obs(count, tree["b"], 10, "2")

    assert _result(count, tree["region"]).value == Decimal(2)


def test_compute_followup_command_prints_what_it_wrote(tree, capsys):
    count = _measure("do-antal", "count", "sum")
    _obs(count, tree["a"], 10, "1")

    call_command("compute_followup", "--quarter", "2025Q4")

    out = capsys.readouterr().out
    assert "Kv 4 2025:" in out
    assert "måttvärden" in out


def test_compute_followup_command_rejects_a_bad_quarter_in_swedish(db):
    with pytest.raises(CommandError, match="inte ett kvartal"):
        call_command("compute_followup", "--quarter", "2025Q5")


def test_the_celery_path_rolls_up_then_computes_series_and_spc_per_measure(tree):
    share = _measure("ratt-hjalp", "share", "ratio")
    count = _measure("do-antal", "count", "sum")
    _obs(share, tree["a"], 10, "50", numerator="5", denominator="10")
    _obs(count, tree["a"], 10, "3")

    summary = compute_quarter.apply(args=[Q4.code, "test"]).get()
    # The roll-up alone: results for every unit, period series only for the goals' scope.
    assert summary["spc_series"] == 0
    assert not PeriodResult.objects.filter(unit=tree["a"]).exists()

    recompute_in_order([Q4], "test")  # eager here: the chain and the per-measure fan-out

    spc = SpcResult.objects.filter(quarter=Q4.code).values_list("measure_id", flat=True)
    assert set(spc) == {share.pk, count.pk}
    assert PeriodResult.objects.filter(unit=tree["a"]).count() == 2


def test_a_rerun_recomputes_spc_only_for_series_whose_inputs_changed(tree):
    share = _measure("ratt-hjalp", "share", "ratio")
    for unit in ("a", "b", "c"):
        for month in (10, 11, 12):
            _obs(share, tree[unit], month, "50", numerator="5", denominator="10")
    first = _compute()
    # HC A, B, C, VO Syd, VO Nord and the region each have a series.
    assert first.spc_series == 6
    before = dict(SpcResult.objects.filter(quarter=Q4.code).values_list("unit_id", "summary"))

    assert _compute().spc_series == 0  # nothing changed: no series is recomputed

    Observation.objects.filter(unit=tree["a"], period_start__month=12).update(
        value=Decimal(90), numerator=Decimal(9)
    )
    changed = _compute()

    # HC A's change alters HC A's, VO Syd's and the region's series; B, C and VO Nord stay.
    assert changed.spc_series == 3
    after = dict(SpcResult.objects.filter(quarter=Q4.code).values_list("unit_id", "summary"))
    for unit in ("b", "c", "nord"):
        assert after[tree[unit].pk] == before[tree[unit].pk]
    assert after[tree["a"].pk]["points"][-1][1] == 90.0
    assert after[tree["region"].pk]["points"][-1][1] == pytest.approx(100 * 19 / 30)


def test_charts_stored_in_the_previous_format_are_rewritten_once(tree, monkeypatch):
    # Charts written before the signals had sides (SPC format 2): points of four fields and no
    # direction of improvement. The format version is part of every digest, so the next
    # compute rewrites each of them once, with each rule's side.
    share = _measure("ratt-hjalp", "share", "ratio")
    q1_2026 = Quarter(2026, 1)
    for index, value in enumerate([50, 52, 49, 51, 50, 48, 52, 51, 49, 50, 51, 50, 30]):
        year, month = 2025 + index // 12, index % 12 + 1
        _obs(
            share, tree["a"], month, str(value), year=year, numerator=str(value), denominator="100"
        )
    for number in (1, 2, 3, 4):
        _compute(Quarter(2025, number))
    monkeypatch.setattr(series, "SPC_FORMAT_VERSION", 2)
    _compute(q1_2026)
    for row in SpcResult.objects.filter(quarter=q1_2026.code):
        old = {k: v for k, v in row.summary.items() if k != "improvement"}
        old["points"] = [point[:4] for point in old["points"]]
        SpcResult.objects.filter(pk=row.pk).update(summary=old)
    assert _compute(q1_2026).spc_series == 0  # still format 2: nothing to do
    monkeypatch.undo()

    assert _compute(q1_2026).spc_series == 3  # HC A, VO Syd and the region
    spc = _spc(share, tree["a"], q1_2026)
    assert spc["improvement"] == "higher"
    assert spc["points"][-1][2:] == ["concern", ["astronomical"], [["astronomical", "low"]]]
    assert _compute(q1_2026).spc_series == 0


def test_a_month_without_a_value_has_no_spc_point_and_breaks_nothing(tree):
    share = _measure("ratt-hjalp", "share", "ratio")
    _obs(share, tree["a"], 10, "50", numerator="5", denominator="10")
    _obs(share, tree["a"], 11, "0")  # no numerator and denominator: no share to compute
    _obs(share, tree["a"], 12, "60", numerator="6", denominator="10")

    _compute()

    spc = _spc(share, tree["a"])
    assert [point[0] for point in spc["points"]] == ["2025-10-01", "2025-12-01"]
    assert [point[1] for point in spc["points"]] == [50.0, 60.0]


def test_deleting_a_unit_deletes_its_computed_rows(tree):
    count = _measure("do-antal", "count", "sum")
    _obs(count, tree["b"], 10, "4")
    _compute()
    assert MeasureResult.objects.filter(unit=tree["b"]).exists()

    # Result tables carry no database constraints (derived rows); Django's cascade applies.
    Observation.objects.filter(unit=tree["b"]).delete()
    tree["b"].delete()

    assert not MeasureResult.objects.filter(unit_id=tree["b"].pk).exists()
    assert not SpcResult.objects.filter(unit_id=tree["b"].pk).exists()
    assert not PeriodResult.objects.filter(unit_id=tree["b"].pk).exists()


def test_a_unit_whose_observations_are_withdrawn_loses_its_result_and_its_chart(tree):
    count = _measure("do-antal", "count", "sum")
    _obs(count, tree["a"], 10, "4")
    _obs(count, tree["c"], 10, "6")
    _compute()
    assert SpcResult.objects.filter(unit=tree["c"], quarter=Q4.code).exists()

    Observation.objects.filter(unit=tree["c"]).delete()
    _compute()

    # HC C still should report (its row says 0 of 1 reported), but neither it nor VO Nord
    # above it has a series left to chart; the region's total and chart follow HC A alone.
    nord = _result(count, tree["nord"])
    assert (nord.value, nord.reporting_units, nord.expected_units) == (None, 0, 1)
    assert not SpcResult.objects.filter(unit__in=[tree["c"], tree["nord"]]).exists()
    assert _result(count, tree["region"]).value == Decimal(4)
    assert _spc(count, tree["region"])["points"][-1][1] == 4.0
    assert set(SpcResult.objects.values_list("unit_id", flat=True)) == {
        tree["a"].pk,
        tree["syd"].pk,
        tree["region"].pk,
    }


def test_a_result_that_is_no_longer_computed_takes_its_chart_along_at_once(tree):
    count = _measure("do-antal", "count", "sum")
    count.unit_kinds.clear()  # reported where there is something to report: nobody must
    _obs(count, tree["a"], 10, "4")
    _obs(count, tree["c"], 10, "6")
    _compute()
    assert SpcResult.objects.filter(unit=tree["c"], quarter=Q4.code).exists()

    Observation.objects.filter(unit=tree["c"]).delete()
    # The roll-up alone, as the compute_quarter task runs it: the charts follow later.
    services.quarter_compute(quarter=Q4, today=TODAY, spc=False)

    gone = [tree["c"], tree["nord"]]
    assert not MeasureResult.objects.filter(unit__in=gone).exists()
    assert not SpcResult.objects.filter(unit__in=gone).exists()
    assert SpcResult.objects.filter(unit=tree["a"], quarter=Q4.code).exists()


def test_a_recompute_that_changes_every_row_rewrites_them_in_place(tree):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("heap-only (HOT) updates are PostgreSQL's")
    count = _measure("do-antal", "count", "sum")
    hc = UnitKind.objects.get(code="hc")
    for i in range(80):  # more rows than half a page holds
        unit = unit_create_trusted(code=f"HC-{i}", name=f"HC {i}", kind=hc, parent=tree["syd"])
        _obs(count, unit, 10, str(i))
    _compute()

    # A re-import: every observation saved again, so every result's latest update changes.
    Observation.objects.update(updated_at=datetime.datetime.now(datetime.UTC))
    before = _updates_in_this_transaction()
    rewritten = _compute().measure_rows
    after = _updates_in_this_transaction()
    updated, in_place = after[0] - before[0], after[1] - before[1]

    # Every unit with observations below it changed (HC B, HC C and VO Nord have none); each
    # new version fits on its page (fill factor 50, migration 0008), so no index is touched.
    assert rewritten == updated >= 81
    assert in_place == updated


def _updates_in_this_transaction() -> tuple[int, int]:
    """(rows updated, of which heap-only) in MeasureResult by this test's transaction."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables "
            "WHERE relname = 'followup_measureresult'"
        )
        return cursor.fetchone()


@pytest.fixture
def other_session(transactional_db):
    """A second PostgreSQL session on the test database, as another worker would have.

    With real commits: a computation's locks last until its transaction ends.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    import psycopg

    settings = connection.settings_dict
    with psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        autocommit=True,
    ) as session:
        yield session


def _blocked(run) -> bool:
    """Whether run() waits on a lock (it gives up after 300 ms instead of waiting)."""
    from django.db import OperationalError, connection

    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '300ms'")
            run()
    except OperationalError as error:
        if "lock timeout" not in str(error):
            raise
        return True
    return False


def test_spc_runs_of_different_measures_overlap_but_never_of_one_measure(tree, other_session):
    share = _measure("ratt-hjalp", "share", "ratio")
    count = _measure("do-antal", "count", "sum")
    _obs(share, tree["a"], 10, "50", numerator="5", denominator="10")
    _obs(count, tree["a"], 10, "3")
    _compute()
    # Another worker inside an SPC run of the share measure holds what _lock_spc takes.
    other_session.execute("SELECT pg_advisory_lock_shared(%s, %s)", list(COMPUTE_LOCK))
    other_session.execute("SELECT pg_advisory_lock(%s, %s)", [SPC_LOCK_NAMESPACE, share.pk])

    assert not _blocked(lambda: services.spc_compute(quarters=[Q4], measure_ids=[count.pk]))
    assert _blocked(lambda: services.spc_compute(quarters=[Q4], measure_ids=[share.pk]))
    assert _blocked(lambda: _compute())  # a roll-up waits until no SPC run is writing

    other_session.execute("SELECT pg_advisory_unlock_all()")
    assert not _blocked(lambda: services.spc_compute(quarters=[Q4], measure_ids=[share.pk]))
