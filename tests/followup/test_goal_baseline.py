"""A relative goal's baseline compared like with like: a baseline of several periods is a value
per period (a year of a count summed was set against one month: "jämfört med 2 345 st i dec
2025", the whole year's sum): a count's mean per period, a share's Σ täljare ÷ Σ nämnare over
the periods (a small month's 50 % weighed as much as a big month's 75 %), and the sentence
names the whole period. A weighted mean (an index weighted by its respondents) is weighted
over the periods as over units: Σ (värde × nämnare) ÷ Σ nämnare."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from base.periods import months_label
from followup.compute.evaluate import evaluate_goal
from followup.models import Measure
from goals import status as engine
from goals.models import Goal

AS_OF = datetime.date(2026, 6, 30)


def _month_end(year: int, month: int) -> datetime.date:
    first_next = datetime.date(year + month // 12, month % 12 + 1, 1)
    return first_next - datetime.timedelta(days=1)


def _goal(measure: Measure, start: datetime.date, end: datetime.date, change: str) -> Goal:
    return Goal(
        code="g",
        title="Mål",
        kind=Goal.Kind.MEASURE,
        deadline=datetime.date(2026, 12, 31),
        measure=measure,
        relative_change_pct=Decimal(change),
        baseline_start=start,
        baseline_end=end,
        improvement="higher",
    )


def _evaluate(
    goal: Goal,
    series: list[tuple[datetime.date, Decimal]],
    parts: dict[datetime.date, tuple[Decimal, Decimal]] | None = None,
) -> engine.GoalEvaluation:
    return evaluate_goal(
        goal,
        as_of=AS_OF,
        assessment=None,
        adoption=None,
        series=series,
        rules=engine.DEFAULT_RULES,
        parts=parts,
    )


COUNT = Measure(name="Besök", unit="st", value_type="count", aggregation="sum")
SHARE = Measure(name="Andel med DÖ", unit="%", value_type="share", aggregation="ratio")
# 2025: 100, 110, …, 210 a month (a sum of 1 860, a mean of 155); 2026: 200 a month.
YEAR = [(_month_end(2025, m), Decimal(90 + 10 * m)) for m in range(1, 13)]
LATER = [(_month_end(2026, m), Decimal(200)) for m in range(1, 7)]


def test_a_twelve_month_baseline_of_a_count_is_its_mean_per_month() -> None:
    goal = _goal(COUNT, datetime.date(2025, 1, 1), datetime.date(2025, 12, 31), "20")

    evaluation = _evaluate(goal, YEAR + LATER)

    assert evaluation.basis["baseline_value"] == pytest.approx(155)
    assert evaluation.target == Decimal(186)  # 1.2 × 155, not 1.2 × 1 860
    assert evaluation.status == engine.Status.ACHIEVED  # June's 200 ≥ 186
    assert "(+20\u00a0% jämfört med i snitt 155\u00a0st per månad jan–dec 2025)" in (
        evaluation.explanation
    )
    assert evaluation.basis["baseline_label"] == "jan–dec 2025"
    assert evaluation.basis["baseline_periods"] == 12
    assert evaluation.basis["baseline_method"] == "mean"


def test_a_one_month_baseline_of_a_count_is_that_months_value() -> None:
    goal = _goal(COUNT, datetime.date(2025, 12, 1), datetime.date(2025, 12, 31), "20")

    evaluation = _evaluate(goal, YEAR + LATER)

    assert evaluation.target == Decimal("252")  # 1.2 × December's 210
    assert evaluation.basis["baseline_method"] is None  # one period: its value
    assert "(+20\u00a0% jämfört med 210\u00a0st i dec 2025)" in evaluation.explanation
    assert "i snitt" not in evaluation.explanation


# Jan–mar 2025: 10 of 20 (50 %), 300 of 400 (75 %), 40 of 80 (50 %). Pooled 350 of 500 is 70 %;
# the mean of the months, 58,3 %, weighs January's 20 as much as February's 400.
SHARE_PARTS = {
    _month_end(2025, 1): (Decimal(10), Decimal(20)),
    _month_end(2025, 2): (Decimal(300), Decimal(400)),
    _month_end(2025, 3): (Decimal(40), Decimal(80)),
}
SHARE_SERIES = [(end, num * 100 / den) for end, (num, den) in SHARE_PARTS.items()] + [
    (_month_end(2026, 5), Decimal(70)),
    (_month_end(2026, 6), Decimal(72)),
]


def test_a_baseline_of_several_months_of_a_share_is_pooled_from_its_parts() -> None:
    goal = _goal(SHARE, datetime.date(2025, 1, 1), datetime.date(2025, 3, 31), "10")

    evaluation = _evaluate(goal, SHARE_SERIES, SHARE_PARTS)

    assert evaluation.basis["baseline_value"] == pytest.approx(70)
    assert evaluation.basis["baseline_method"] == "pooled"
    assert evaluation.target == pytest.approx(Decimal(77))  # 1.1 × 70
    # June's 72 % is short of 77 %: the mean's target (1.1 × 58,3 = 64,2 %) called it reached.
    assert evaluation.status != engine.Status.ACHIEVED
    sentence = "(+10\u00a0% jämfört med 70,0\u00a0% för jan–mar 2025 som helhet)"
    assert sentence in evaluation.explanation
    assert "i snitt" not in evaluation.explanation


def test_a_shares_baseline_without_the_parts_of_a_month_is_the_mean_and_says_so() -> None:
    """Results computed before the parts were stored: the mean, named as such in the basis."""
    goal = _goal(SHARE, datetime.date(2025, 1, 1), datetime.date(2025, 3, 31), "10")
    without_march = {end: part for end, part in SHARE_PARTS.items() if end.month != 3}

    evaluation = _evaluate(goal, SHARE_SERIES, without_march)

    assert float(evaluation.basis["baseline_value"]) == pytest.approx(58.3333, abs=1e-3)
    assert evaluation.basis["baseline_method"] == "mean_without_parts"
    assert evaluation.status == engine.Status.ACHIEVED  # 72 % ≥ 1.1 × 58,3 %
    assert "jämfört med i snitt 58,3\u00a0% per månad jan–mar 2025" in evaluation.explanation


def test_a_twelve_month_baseline_of_a_share_without_parts_is_its_mean() -> None:
    shares = [(_month_end(2025, m), Decimal(40 + m)) for m in range(1, 13)]  # 41–52 %: 46,5
    goal = _goal(SHARE, datetime.date(2025, 1, 1), datetime.date(2025, 12, 31), "10")

    evaluation = _evaluate(goal, shares)

    assert evaluation.basis["baseline_value"] == pytest.approx(46.5)
    assert evaluation.basis["baseline_method"] == "mean_without_parts"
    assert evaluation.target == pytest.approx(Decimal("51.15"))
    assert "jämfört med i snitt 46,5\u00a0% per månad jan–dec 2025" in evaluation.explanation


def test_a_one_month_baseline_of_a_share_is_that_months_value() -> None:
    shares = [(_month_end(2025, m), Decimal(40 + m)) for m in range(1, 13)]
    goal = _goal(SHARE, datetime.date(2025, 12, 1), datetime.date(2025, 12, 31), "10")

    evaluation = _evaluate(goal, shares)

    assert evaluation.basis["baseline_value"] == pytest.approx(52)
    assert "jämfört med 52,0\u00a0% i dec 2025" in evaluation.explanation


INDEX = Measure(
    name="Patientupplevt helhetsintryck",
    unit="",
    value_type="index",
    aggregation="weighted_mean",
    frequency="quarterly",
)
# Kv 1–4 2025: an index of 60 from 20 respondents, 80 from 1 000, 60 from 20, 60 from 20.
# Weighted: (60 × 60 + 80 × 1 000) ÷ 1 060 = 78,87; the mean of the quarters, 65, weighs 20
# respondents as much as 1 000. The parts are as the goal status reads them: value × weight.
INDEX_WEIGHTS = {
    datetime.date(2025, 3, 31): (Decimal(60), Decimal(20)),
    datetime.date(2025, 6, 30): (Decimal(80), Decimal(1000)),
    datetime.date(2025, 9, 30): (Decimal(60), Decimal(20)),
    datetime.date(2025, 12, 31): (Decimal(60), Decimal(20)),
}
INDEX_PARTS = {end: (value * weight, weight) for end, (value, weight) in INDEX_WEIGHTS.items()}
INDEX_SERIES = [(end, value) for end, (value, _) in INDEX_WEIGHTS.items()] + [
    (datetime.date(2026, 3, 31), Decimal(72)),
]


def test_a_baseline_of_several_quarters_of_a_weighted_mean_is_weighted_by_its_nämnare() -> None:
    goal = _goal(INDEX, datetime.date(2025, 1, 1), datetime.date(2025, 12, 31), "5")

    evaluation = _evaluate(goal, INDEX_SERIES, INDEX_PARTS)

    weighted = Decimal(83600) / Decimal(1060)  # 78,87
    assert evaluation.basis["baseline_value"] == pytest.approx(float(weighted))
    assert evaluation.basis["baseline_method"] == "weighted"
    assert evaluation.target == pytest.approx(weighted * Decimal("1.05"))  # 82,81
    # Kv 1 2026's 72 is short of 82,81: the mean's target (1.05 × 65 = 68,25) called it reached.
    assert evaluation.status != engine.Status.ACHIEVED
    # Written to the index's one decimal, as the goal's "Underlag" writes them (82,81; 78,87).
    sentence = "målet är minst 82,8 (+5\u00a0% jämfört med 78,9 för jan–dec 2025 som helhet)"
    assert sentence in evaluation.explanation
    assert "i snitt" not in evaluation.explanation


def test_a_weighted_means_baseline_without_the_nämnare_of_a_period_is_the_mean_and_says_so() -> (
    None
):
    """Results computed before the weights were stored: the mean, named as such in the basis."""
    goal = _goal(INDEX, datetime.date(2025, 1, 1), datetime.date(2025, 12, 31), "5")
    without_q4 = {end: part for end, part in INDEX_PARTS.items() if end.month != 12}

    evaluation = _evaluate(goal, INDEX_SERIES, without_q4)

    assert evaluation.basis["baseline_value"] == pytest.approx(65)
    assert evaluation.basis["baseline_method"] == "mean_without_weights"
    assert evaluation.status == engine.Status.ACHIEVED  # 72 ≥ 1.05 × 65
    assert "jämfört med i snitt 65,0 per kvartal jan–dec 2025" in evaluation.explanation


def test_a_counts_baseline_is_its_mean_per_period_whatever_parts_are_given() -> None:
    """Only a share and a weighted mean are pooled: a count's parts, if any, change nothing."""
    goal = _goal(COUNT, datetime.date(2025, 1, 1), datetime.date(2025, 3, 31), "20")
    parts = {end: (value * 1000, Decimal(1000)) for end, value in YEAR[:2]}
    parts[YEAR[2][0]] = (YEAR[2][1], Decimal(1))

    evaluation = _evaluate(goal, YEAR + LATER, parts)

    assert evaluation.basis["baseline_value"] == pytest.approx(110)  # (100 + 110 + 120) ÷ 3
    assert evaluation.basis["baseline_method"] == "mean"
    assert "(+20\u00a0% jämfört med i snitt 110\u00a0st per månad jan–mar 2025)" in (
        evaluation.explanation
    )


def test_a_quarterly_count_is_compared_per_quarter() -> None:
    quarterly = Measure(
        name="Utbildningar", unit="st", value_type="count", aggregation="sum", frequency="quarterly"
    )
    series = [
        (datetime.date(2025, 3, 31), Decimal(10)),
        (datetime.date(2025, 6, 30), Decimal(20)),
        (datetime.date(2025, 9, 30), Decimal(30)),
        (datetime.date(2025, 12, 31), Decimal(40)),
        (datetime.date(2026, 3, 31), Decimal(30)),
    ]
    goal = _goal(quarterly, datetime.date(2025, 1, 1), datetime.date(2025, 12, 31), "50")

    evaluation = _evaluate(goal, series)

    assert evaluation.target == Decimal("37.5")  # 1.5 × 25 a quarter
    assert "jämfört med i snitt 25\u00a0st per kvartal jan–dec 2025" in evaluation.explanation
    assert evaluation.basis["baseline_periods"] == 4


def test_a_baseline_not_yet_reported_names_the_whole_period() -> None:
    goal = _goal(COUNT, datetime.date(2025, 1, 1), datetime.date(2025, 12, 31), "20")

    evaluation = _evaluate(goal, [])

    assert evaluation.explanation.startswith("Basperioden jan–dec 2025 har ännu inga värden")


@pytest.mark.parametrize(
    ("start", "end", "label"),
    [
        (datetime.date(2025, 12, 1), datetime.date(2025, 12, 31), "dec 2025"),
        (datetime.date(2025, 1, 1), datetime.date(2025, 12, 31), "jan–dec 2025"),
        (datetime.date(2025, 11, 1), datetime.date(2026, 2, 28), "nov 2025 – feb 2026"),
    ],
)
def test_the_baseline_is_labelled_as_the_whole_period(
    start: datetime.date, end: datetime.date, label: str
) -> None:
    assert months_label(start, end) == label
