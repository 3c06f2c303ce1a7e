"""Tests for the Making Data Count XmR implementation in followup.spc.

Worked examples come from three published sources, cited where used:

* MDC-CHECKS: the Making Data Count team's "SPC charts – XmR testing" checklist, written to
  check that a local XmR chart "produces the same output as the Single Chart Tool v5.0"
  (high is good and 6-point shift/trend unless stated), with its per-point colour table.
  Republished in github.com/NHSDigital/fdp-react-design-system under
  src/components/DataVisualisation/charts/SPC/SPCChart/test-data/
  (SPC-Charts-XmR-Testing.md and "Test Data.csv").
* MDC-SQL: NHS England Making Data Count "SPC CHARTS SQL QUERY v2.4", step 3b sample data,
  whose annotations name the signal each sample series was built to show (7-point rules).
  Distributed via https://future.nhs.uk/MDC/view?objectId=28387280.
* PTD: github.com/nhs-r-community/NHSRplotthedots, tests/testthat and vignettes; the data is
  R's ``set.seed(123); rnorm(20)``, printed to 8 decimals in _snaps/ptd_spc_standard.md.
"""

from __future__ import annotations

import dataclasses
import json
import math
from decimal import Decimal
from typing import Any

import pytest

from followup.spc import Improvement, XmrResult, xmr

LETTER = {"improvement": "B", "concern": "O", "common_cause": "G", "neither": "P"}

# MDC-CHECKS series, reused by several sections of the checklist.
SPECIAL_CAUSE = [8, 27, 32, 26, 20, 21, 23, 21, 23, 22, 26, 23, 20, 20, 29]
SPECIAL_CAUSE += [28, 22, 23, 25, 26, 28, 29, 26, 24, 36, 29, 35, 22, 30, 18]
RECALCULATION = [16, 24, 22, 19, 19, 18, 24, 25, 18, 17, 16, 25, 15, 23, 19]
RECALCULATION += [35, 32, 35, 31, 27, 33, 28, 38, 35, 30, 28, 29, 27, 24, 23]
VARIATION = [16, 20, 22, 18, 21, 18, 26, 28, 24, 26, 19, 18, 25, 32, 43, 28, 22]
CONFLICT = [43, 41, 37, 36, 31, 23, 15, 13, 15, 18, 23, 27, 31, 36, 27, 19, 17, 27, 15, 22]
CROSSING = [28, 23, 26, 21, 23, 25, 24, 29, 30, 27, 25, 30, 27]
CROSSING_TAIL = [28, 30, 31, 30, 26, 27, 34, 30, 32, 35]
TWO_SIGMA = [42, 40, 39, 26, 39, 24, 22, 29, 32, 22, 20, 23, 25, 26, 22, 24, 27, 7, 19, 24]

# PTD: set.seed(123); rnorm(20)
RNORM_123 = [-0.56047565, -0.23017749, 1.55870831, 0.07050839, 0.12928774, 1.71506499]
RNORM_123 += [0.46091621, -1.26506123, -0.68685285, -0.44566197, 1.22408180, 0.35981383]
RNORM_123 += [0.40077145, 0.11068272, -0.55584113, 1.78691314, 0.49785048, -1.96661716]
RNORM_123 += [0.70135590, -0.47279141]

# Mean 10 and mean moving range 2 used as a fixed baseline: limits 4.68 and 15.32,
# two-sigma lines 6.45 and 13.55, so single rules can be exercised in isolation.
BASELINE = [11, 9, 11, 9, 11, 9]


def colours(result: XmrResult) -> str:
    """Encode point types as the one-letter colours of the published check tables."""
    return "".join(LETTER[point.type] for point in result.points)


def prints_as(value: float | None, printed: str) -> bool:
    """Tell whether value shows as the printed figure when given as many decimals."""
    assert value is not None
    return f"{value:.{len(printed.partition('.')[2])}f}" == printed


def rules_by_index(result: XmrResult) -> dict[int, tuple[str, ...]]:
    """Map each flagged point's input index to the rules it triggered."""
    return {point.index: point.rules for point in result.points if point.rules}


# --- Published limits ------------------------------------------------------------------------


def test_single_chart_tool_process_limits_example_is_reproduced() -> None:
    # MDC-CHECKS "Process limits": mean 23.20, mean moving range 5.43, limits 8.76 and 37.64.
    values = [20, 24, 20, 26, 22, 16, 18, 16, 31, 28, 34, 26, 30, 19, 18]
    result = xmr(values)
    assert prints_as(result.mean, "23.20")
    assert prints_as(result.mean_moving_range, "5.43")
    assert prints_as(result.upper_limit, "37.64")
    assert prints_as(result.lower_limit, "8.76")
    assert colours(result) == "G" * 15
    assert result.variation == "common_cause"


def test_two_sigma_lines_sit_two_thirds_of_the_way_to_the_limits() -> None:
    result = xmr([20, 24, 20, 26, 22, 16, 18, 16, 31, 28, 34, 26, 30, 19, 18])
    assert result.mean_moving_range is not None
    assert result.upper_two_sigma == pytest.approx(23.2 + 2.66 * 2 / 3 * 38 / 7)
    assert result.lower_two_sigma == pytest.approx(23.2 - 2.66 * 2 / 3 * 38 / 7)


def test_nhsrplotthedots_limits_for_rnorm_are_reproduced() -> None:
    # PTD _snaps/ptd_spc_standard.md, r1 (screen_outliers = TRUE).
    result = xmr(RNORM_123, screen_outliers=True)
    assert prints_as(result.mean, "0.1416238")
    assert prints_as(result.lower_limit, "-3.01138")
    assert prints_as(result.upper_limit, "3.294627")
    assert colours(result) == "G" * 20
    # PTD _snaps/ptd_spc.md summary: 20 common-cause points, variation_type common_cause.
    assert result.variation == "common_cause"


def test_nhsrplotthedots_limits_per_facet_are_reproduced() -> None:
    # PTD test-ptd_spc.R "it outputs expected content": facet = rep(c(0, 1), each = 10);
    # _snaps/ptd_spc.md prints 0.0746 / -2.60 / 2.75 and 0.209 / -3.28 / 3.70.
    first = xmr(RNORM_123[:10], screen_outliers=True, min_points=10)
    second = xmr(RNORM_123[10:], screen_outliers=True, min_points=10)
    assert [prints_as(first.mean, "0.0746"), prints_as(second.mean, "0.209")] == [True, True]
    assert prints_as(first.lower_limit, "-2.60")
    assert prints_as(first.upper_limit, "2.75")
    assert prints_as(second.lower_limit, "-3.28")
    assert prints_as(second.upper_limit, "3.70")


# --- Outlier screening -------------------------------------------------------------------------


def test_nhsrplotthedots_screened_and_unscreened_limits_are_reproduced() -> None:
    # PTD test-ptd_spc_standard.R sets y[15] <- 10; _snaps/ptd_spc_standard.md prints r2
    # (screened) and r3 (not screened). The mean is not screened in either.
    values = list(RNORM_123)
    values[14] = 10
    screened = xmr(values, screen_outliers=True)
    unscreened = xmr(values, screen_outliers=False)
    assert prints_as(screened.mean, "0.6694159")
    assert prints_as(unscreened.mean, "0.6694159")
    assert prints_as(screened.lower_limit, "-2.383666")
    assert prints_as(screened.upper_limit, "3.722497")
    assert prints_as(unscreened.lower_limit, "-4.596625")
    assert prints_as(unscreened.upper_limit, "5.935457")


def test_screening_drops_moving_ranges_above_3_267_times_their_mean() -> None:
    # Data from PTD vignettes/deviations.Rmd; figures worked by hand: 17 moving ranges sum
    # to 32, so 8 and 9 exceed 3.267 * 32/17 and the remaining 15 ranges are all 1.
    values = [1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]
    screened = xmr(values, screen_outliers=True)
    unscreened = xmr(values)
    assert screened.mean_moving_range == pytest.approx(1)
    assert unscreened.mean_moving_range == pytest.approx(32 / 17)
    assert screened.mean == unscreened.mean == pytest.approx(35 / 18)
    assert prints_as(screened.upper_limit, "4.60")
    assert prints_as(unscreened.upper_limit, "6.95")


def test_screening_happens_only_once() -> None:
    # Ranges are ten 1s, a 5 and a 30: only 30 exceeds 3.267 * 45/12; the 5 would exceed
    # 3.267 * 15/11 on a second pass, which NHSRplotthedots does not make.
    values = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 5, 35]
    assert xmr(values, screen_outliers=True).mean_moving_range == pytest.approx(15 / 11)


# --- Minimum number of points ------------------------------------------------------------------


def test_twelve_points_give_no_limits_and_no_icons() -> None:
    # MDC-CHECKS "Number of points": 12 points or fewer show no limits or icons.
    values = [30, 31, 25, 35, 34, 15, 21, 23, 30, 26, 26, 22]
    result = xmr(values, target=20)
    assert result.limits_available is False
    assert (result.lower_limit, result.upper_limit, result.mean_moving_range) == (None, None, None)
    assert (result.variation, result.assurance) == (None, None)
    assert result.message == "För få punkter för styrgränser (12 av minst 13)."
    assert result.mean == pytest.approx(26.5)
    assert all(p.lower_limit is None and p.upper_limit is None for p in result.points)
    assert colours(result) == "G" * 12


def test_thirteen_points_give_limits_and_icons() -> None:
    # MDC-CHECKS "Number of points": 13 points or more show limits and icons.
    values = [30, 31, 25, 35, 34, 15, 21, 23, 30, 26, 26, 22, 25]
    result = xmr(values)
    assert result.limits_available is True
    assert result.message is None
    assert result.variation == "common_cause"
    assert result.upper_limit is not None


def test_too_few_points_still_reports_the_mean() -> None:
    # MDC-CHECKS "Process limits" right-hand chart: 10 points, mean 22.10, no limits.
    result = xmr([20, 24, 20, 26, 22, 16, 18, 16, 31, 28])
    assert prints_as(result.mean, "22.10")
    assert result.limits_available is False


def test_too_few_points_suppress_signals_that_would_otherwise_fire() -> None:
    # MDC-CHECKS "Summary icons – variation – too few points" shows ten grey points.
    assert colours(xmr(VARIATION[:10])) == "G" * 10
    assert colours(xmr([*VARIATION, 45])) == "O" * 6 + "G" * 8 + "BGGB"
    assert colours(xmr([*VARIATION, 45], min_points=19)) == "G" * 18


def test_missing_values_do_not_count_toward_the_minimum() -> None:
    values = [30, 31, 25, 35, 34, 15, 21, None, 23, 30, 26, 26, 22]
    result = xmr(values)
    assert result.limits_available is False
    assert result.message == "För få punkter för styrgränser (12 av minst 13)."


def test_an_empty_series_has_nothing_to_report() -> None:
    result = xmr([])
    assert result.points == ()
    assert result.mean is None
    assert result.limits_available is False
    assert result.message == "För få punkter för styrgränser (0 av minst 13)."


# --- Special-cause rules against the Single Chart Tool checklist --------------------------------


@pytest.mark.parametrize(
    ("values", "options", "expected"),
    [
        pytest.param(SPECIAL_CAUSE, {}, "OGGGOOOOOOGGGGGGBBBBBBGGBGBGGG", id="high-is-good"),
        pytest.param(
            SPECIAL_CAUSE,
            {"improvement": "lower"},
            "BGGGBBBBBBGGGGGGOOOOOOGGOGOGGG",
            id="low-is-good",
        ),
        pytest.param(
            SPECIAL_CAUSE, {"improvement": None}, "PGGGPPPPPPGGGGGGPPPPPPGGPGPGGG", id="neither"
        ),
        pytest.param(
            [45, 29, 20, 22, 25, 20, 27, 24, 22, 23, 20, 26, 20, 15, 5],
            {},
            "B" + "G" * 13 + "O",
            id="single-point-ends",
        ),
        pytest.param(
            [29, 32, 35, 45, 43, 23, 18, 20, 16, 7, 28, 26, 22, 19, 20],
            {},
            "GGGBBGGGGOGGGGG",
            id="single-point-middle",
        ),
        pytest.param(
            [31, 35, 34, 29, 29, 32, 26, 26, 32, 35, 30, 18, 31, 25, 27, 22, 18, 25, 25, 17],
            {},
            "B" * 6 + "G" * 7 + "O" * 7,
            id="shift-ends",
        ),
        pytest.param(
            [31, 22, 19, 21, 18, 18, 22, 22, 29, 25, 23, 26, 31, 26, 28, 29, 32, 24, 31, 22],
            {},
            "G" + "O" * 7 + "GGG" + "B" * 6 + "GGG",
            id="shift-middle",
        ),
        pytest.param(
            [11, 14, 18, 20, 22, 23, 18, 21, 17, 23, 26, 20, 16, 25, 23, 22, 19, 16, 15, 12],
            {},
            "B" * 6 + "G" * 7 + "O" * 7,
            id="trend-no-pauses",
        ),
        pytest.param(
            [23, 30, 28, 25, 25, 20, 18, 24, 16, 13, 14, 18, 18, 24, 26, 29, 19, 20, 28, 16],
            {},
            "G" * 20,
            id="trend-pauses",
        ),
        pytest.param([*TWO_SIGMA, 7, 7, 32], {}, "BBBGB" + "G" * 15 + "OOG", id="two-sigma-1"),
        pytest.param([*TWO_SIGMA, 7, 2, 32], {}, "BBBGB" + "G" * 16 + "OG", id="two-sigma-2"),
        pytest.param(
            [*TWO_SIGMA[:3], 24, *TWO_SIGMA[4:19], 26, 7, 7, 32],
            {},
            "BBB" + "G" * 20,
            id="two-sigma-3",
        ),
        pytest.param(
            CONFLICT,
            {"improvement": "lower"},
            "B" * 11 + "OOO" + "G" * 6,
            id="conflict-low-is-good",
        ),
        pytest.param(RECALCULATION, {}, "O" * 15 + "B" * 13 + "GG", id="recalculations"),
        pytest.param(
            RECALCULATION, {"recalculate_at": [15]}, "G" * 24 + "O" * 6, id="recalculated"
        ),
        pytest.param(RECALCULATION, {"baseline": 15}, "G" * 15 + "B" * 15, id="baseline"),
        pytest.param(
            [*CROSSING, 24, 19, 22, 28, 28, 29, 33, *CROSSING_TAIL],
            {"recalculate_at": [15]},
            "G" * 13 + "O" * 6 + "G" * 11,
            id="shift-crossing-recalculation",
        ),
        pytest.param(
            [*CROSSING, 26, 19, 22, 26, 28, 29, 33, *CROSSING_TAIL],
            {"recalculate_at": [15]},
            "G" * 14 + "B" * 6 + "G" * 10,
            id="trend-crossing-recalculation",
        ),
        pytest.param(
            [*CROSSING, 24, 19, 22, 32, 28, 29, 33, *CROSSING_TAIL],
            {"recalculate_at": [15]},
            "G" * 14 + "OO" + "G" * 14,
            id="two-sigma-crossing-recalculation",
        ),
    ],
)
def test_single_chart_tool_checklist_colours_are_reproduced(
    values: list[float], options: dict[str, Any], expected: str
) -> None:
    # MDC-CHECKS sections "Special cause" to "Special cause crossing recalculations"; the
    # recalculation in the checklist's charts falls after the fifteenth point.
    assert colours(xmr(values, **options)) == expected


def test_single_chart_tool_conflict_example_shows_improvement_where_rules_disagree() -> None:
    # MDC-CHECKS "Special cause conflict", high is good: "the Excel tool shows blue where this
    # is a conflict". p1-p8 fall (concern) yet p1-p4 are above the limit or two-sigma line and
    # p8 starts the rise p8-p14, so only p5-p7 are orange. The checklist's colour table also
    # marks p15 blue; no rule flags p15 (27, after 36) and the same values with low is good
    # show it grey, so p15 is taken as common cause here.
    result = xmr(CONFLICT)
    assert colours(result) == "BBBBOOO" + "B" * 7 + "G" * 6
    assert result.points[7].rules == ("shift", "trend", "two_of_three")
    assert result.points[0].rules == ("astronomical", "trend")


def test_improvement_wins_when_a_trend_runs_against_a_shift() -> None:
    # MDC-SQL Department D (7-point rules): "Start of decrease (concern) while still above mean
    # (improvement)" at the ninth point and "Start of increase (improvement) while still below
    # mean (concern)" at the seventeenth. The SQL query lets each metric choose; the Single
    # Chart Tool shows improvement, which is followed here.
    values = [0.971, 0.973, 0.978, 0.979, 0.981, 0.985, 0.987, 0.991, 0.993, 0.987, 0.982]
    values += [0.98, 0.979, 0.972, 0.964, 0.962, 0.958, 0.96, 0.961, 0.963, 0.964, 0.965]
    values += [0.966, 0.968, 0.97, 0.972]
    result = xmr(values, run_length=7)
    assert result.points[8].rules == ("astronomical", "shift", "trend")
    assert [p.type for p in result.points[8:13]] == ["improvement"] * 5
    assert [p.type for p in result.points[13:16]] == ["concern"] * 3
    assert result.points[16].rules == ("astronomical", "shift", "trend")
    assert [p.type for p in result.points[16:]] == ["improvement"] * 10


def test_mdc_sql_sample_signals_are_reproduced_with_seven_point_rules() -> None:
    # MDC-SQL metric M1, groups TOTAL, Department A, B and C; annotations quoted per line.
    total = [0.922, 0.928, 0.93, 0.926, 0.926, 0.923, 0.921, 0.918, 0.925, 0.91, 0.92, 0.924]
    total += [0.923, 0.92, 0.925, 0.928, 0.927, 0.921, 0.918, 0.921, 0.925, 0.939, 0.929]
    total += [0.927, 0.925, 0.926]
    department_a = [0.972, 0.965, 0.966, 0.974, 0.97, 0.971, 0.977, 0.97, 0.97, 0.968, 0.965]
    department_a += [0.96, 0.967, 0.97, 0.981, 0.977, 0.976, 0.97, 0.973, 0.975, 0.977, 0.98]
    department_a += [0.978, 0.98, 0.973, 0.97]
    department_b = [0.965, 0.956, 0.963, 0.952, 0.947, 0.951, 0.956, 0.958, 0.962, 0.965]
    department_b += [0.967, 0.961, 0.958, 0.947, 0.952, 0.963, 0.961, 0.96, 0.957, 0.956]
    department_b += [0.955, 0.952, 0.959, 0.963, 0.954, 0.956]
    department_c = [0.913, 0.911, 0.912, 0.909, 0.912, 0.923, 0.905, 0.923, 0.912, 0.905]
    department_c += [0.905, 0.898, 0.901, 0.915, 0.91, 0.905, 0.912, 0.91, 0.907, 0.915]
    department_c += [0.912, 0.909, 0.92, 0.923, 0.924, 0.923]

    # "Below lower process limit" (2021-03-08), "Above upper process limit" (2021-05-31).
    assert rules_by_index(xmr(total, run_length=7)) == {9: ("astronomical",), 21: ("astronomical",)}
    # "Start of seven points below mean" (2021-02-22), "... above mean" (2021-05-10).
    shifted = xmr(department_a, run_length=7)
    assert [i for i, r in rules_by_index(shifted).items() if "shift" in r] == [
        *range(7, 14),
        *range(18, 25),
    ]
    # "Start of seven points increasing" (2021-02-01), "... decreasing" (2021-04-19).
    trending = xmr(department_b, run_length=7)
    assert rules_by_index(trending) == dict.fromkeys([*range(4, 11), *range(15, 22)], ("trend",))
    assert colours(trending) == "G" * 4 + "B" * 7 + "G" * 4 + "O" * 7 + "G" * 4
    # "Two out of three points within two-to-three sigma lines with the other point on the
    # same side of the mean" (2021-03-22), "Three out of three ..." (2021-06-14).
    near = xmr(department_c, run_length=7)
    assert rules_by_index(near) == dict.fromkeys([11, 12, 23, 24, 25], ("two_of_three",))


# --- Rule edge cases ---------------------------------------------------------------------------


def test_point_on_the_mean_breaks_a_shift() -> None:
    broken = xmr([*BASELINE, 12, 12, 12, 10, 12, 12, 12], baseline=6)
    unbroken = xmr([*BASELINE, 12, 12, 12, 12, 12, 12, 12], baseline=6)
    assert broken.mean == 10
    assert rules_by_index(broken) == {}
    assert rules_by_index(unbroken) == dict.fromkeys(range(6, 13), ("shift",))


def test_shift_needs_run_length_points() -> None:
    five = xmr([*BASELINE, 12, 12, 12, 12, 12, 8, 11], baseline=6)
    six = xmr([*BASELINE, 12, 12, 12, 12, 12, 12, 8], baseline=6)
    assert rules_by_index(five) == {}
    assert rules_by_index(six) == dict.fromkeys(range(6, 12), ("shift",))
    assert (
        rules_by_index(xmr([*BASELINE, 12, 12, 12, 12, 12, 12, 8], baseline=6, run_length=7)) == {}
    )


def test_tie_breaks_a_trend() -> None:
    # Mirrors PTD test-ptd_calculate_point_type.R: ptd_seven_point_trend(c(1:3, 3:6)) is all 0.
    tied = xmr([*BASELINE, 8, 9, 9.5, 9.5, 10.5, 11, 12], baseline=6, run_length=7)
    strict = xmr([*BASELINE, 8, 9, 9.5, 9.8, 10.5, 11, 12], baseline=6, run_length=7)
    assert rules_by_index(tied) == {}
    assert rules_by_index(strict) == dict.fromkeys(range(6, 13), ("trend",))


def test_six_points_make_a_trend_of_five_increases() -> None:
    # MDC-CHECKS "Special cause – trend": 6 points are 5 increases and all 6 are flagged.
    six = xmr([*BASELINE, 8, 9, 9.5, 10.5, 11, 12, 9], baseline=6)
    five = xmr([*BASELINE, 8, 9, 9.5, 10.5, 11, 9, 11], baseline=6)
    assert rules_by_index(six) == dict.fromkeys(range(6, 12), ("trend",))
    assert [p.type for p in six.points[6:12]] == ["improvement"] * 6
    assert rules_by_index(five) == {}


def test_a_falling_trend_is_concern_when_higher_is_better() -> None:
    result = xmr([*BASELINE, 12, 11, 10.5, 9.5, 9, 8, 11], baseline=6)
    assert rules_by_index(result) == dict.fromkeys(range(6, 12), ("trend",))
    assert [p.type for p in result.points[6:12]] == ["concern"] * 6


def test_two_of_three_flags_only_the_points_beyond_two_sigma() -> None:
    result = xmr([*BASELINE, 14, 12, 14, 10.5, 9.5, 10.5, 9.5], baseline=6)
    assert rules_by_index(result) == {6: ("two_of_three",), 8: ("two_of_three",)}
    assert result.points[7].type == "common_cause"


def test_point_beyond_the_limit_does_not_count_toward_two_of_three() -> None:
    # MDC-CHECKS "Special cause – two-sigma": a point beyond three-sigma "does not count for
    # this rule but will show for the special cause rule of a single point".
    beyond = xmr([*BASELINE, 14, 16, 10.5, 9.5, 10.5, 9.5, 10.5], baseline=6)
    within = xmr([*BASELINE, 14, 14, 10.5, 9.5, 10.5, 9.5, 10.5], baseline=6)
    assert rules_by_index(beyond) == {7: ("astronomical",)}
    assert rules_by_index(within) == {6: ("two_of_three",), 7: ("two_of_three",)}
    # The checklist's own example: 7 then 2, where 2 lies below the lower limit.
    published = xmr([*TWO_SIGMA, 7, 2, 32])
    assert published.points[20].rules == ()
    assert published.points[21].rules == ("astronomical",)


def test_a_point_beyond_the_limit_still_counts_as_the_same_side_third_point() -> None:
    result = xmr([*BASELINE, 14, 16, 14, 10.5, 9.5, 10.5, 9.5], baseline=6)
    assert rules_by_index(result) == {
        6: ("two_of_three",),
        7: ("astronomical",),
        8: ("two_of_three",),
    }


def test_two_of_three_needs_all_three_points_on_the_same_side_of_the_mean() -> None:
    # PTD test-ptd_spc_standard.R: alternating 1/-1 with 5.5 and -5.5 as the last two points
    # gives two common-cause points.
    values = [1.0, -1.0] * 8
    values[14:16] = [5.5, -5.5]
    assert colours(xmr(values, screen_outliers=True))[-2:] == "GG"
    # Two points beyond the upper two-sigma line with one below the mean between them.
    assert rules_by_index(xmr([*BASELINE, 14, 9.5, 14, 10.5, 9.5, 10.5, 9.5], baseline=6)) == {}


# --- Directions, icons and assurance --------------------------------------------------------


@pytest.mark.parametrize(
    ("last", "improvement", "expected_colours", "variation"),
    [
        (45, "higher", "BGGB", "special_cause_improvement_high"),
        (45, "lower", "OGGO", "special_cause_concern_high"),
        (25, "higher", "BGGG", "common_cause"),
        (5, "higher", "BGGO", "special_cause_concern_low"),
        (5, "lower", "OGGB", "special_cause_improvement_low"),
        (45, None, "PGGP", "special_cause_neither_high"),
        (25, None, "PGGG", "common_cause"),
    ],
)
def test_variation_icon_follows_the_latest_point(
    last: float, improvement: Improvement | None, expected_colours: str, variation: str
) -> None:
    # MDC-CHECKS "Summary icons – variation".
    result = xmr([*VARIATION, last], improvement=improvement)
    assert colours(result)[-4:] == expected_colours
    assert result.variation == variation


def test_neither_low_icon_for_a_low_special_cause() -> None:
    assert xmr([*VARIATION, 5], improvement=None).variation == "special_cause_neither_low"


@pytest.mark.parametrize(
    ("target", "improvement", "recalculate_at", "assurance"),
    [
        (40, "higher", (), "consistently_failing"),
        (30, "higher", (), "hit_and_miss"),
        (10, "higher", (), "consistently_passing"),
        (40, "lower", (), "consistently_passing"),
        (30, "lower", (), "hit_and_miss"),
        (10, "lower", (), "consistently_failing"),
        (40, None, (), None),
        (None, "higher", (), None),
        (40, "higher", (15,), "hit_and_miss"),
        (15, "higher", (15,), "consistently_passing"),
    ],
)
def test_assurance_icon_compares_the_target_with_the_latest_limits(
    target: float | None,
    improvement: Improvement | None,
    recalculate_at: tuple[int, ...],
    assurance: str | None,
) -> None:
    # MDC-CHECKS "Summary icons – assurance": targets 40, 30 and 10 on the recalculation data
    # (limits 13.33 and 37.00), none for neither, and the latest limits after a recalculation
    # (20.45 and 40.21).
    result = xmr(
        RECALCULATION,
        target=target,
        improvement=improvement,
        recalculate_at=recalculate_at,
    )
    assert result.assurance == assurance


def test_assurance_counts_a_target_on_a_limit_as_outside_it() -> None:
    # MDC-SQL step 4k: for "Up", Pass when target <= lower limit, Fail when >= upper limit.
    limits = xmr(RECALCULATION)
    assert limits.upper_limit is not None
    assert limits.lower_limit is not None
    upper, lower = limits.upper_limit, limits.lower_limit
    assert xmr(RECALCULATION, target=upper).assurance == "consistently_failing"
    assert xmr(RECALCULATION, target=lower).assurance == "consistently_passing"
    assert xmr(RECALCULATION, target=upper, improvement="lower").assurance == (
        "consistently_passing"
    )


def test_no_assurance_without_enough_points() -> None:
    assert xmr(RECALCULATION[:12], target=40).assurance is None


# --- Baselines and recalculation --------------------------------------------------------------


def test_baseline_fixes_mean_and_limits_from_the_first_points() -> None:
    # MDC-CHECKS "Baselines": limits from the baseline are extended over later points.
    result = xmr(RECALCULATION, baseline=15)
    assert result.mean == 20
    assert result.mean_moving_range == pytest.approx(61 / 14)
    assert all(p.mean == 20 for p in result.points)
    assert result.variation == "special_cause_improvement_high"


def test_baseline_applies_within_each_segment() -> None:
    result = xmr(RECALCULATION, baseline=5, recalculate_at=[15])
    assert result.points[0].mean == pytest.approx(fmean_of(RECALCULATION[:5]))
    assert result.points[15].mean == pytest.approx(fmean_of(RECALCULATION[15:20]))
    assert result.mean == result.points[-1].mean


def test_recalculation_gives_each_segment_its_own_limits() -> None:
    result = xmr(RECALCULATION, recalculate_at=[15])
    first, second = result.points[0], result.points[15]
    assert first.mean == 20
    assert second.mean == pytest.approx(455 / 15)
    assert (first.upper_limit, first.lower_limit) != (second.upper_limit, second.lower_limit)
    assert result.mean == second.mean
    assert result.upper_limit == second.upper_limit
    # A segment's first moving range is not taken across the recalculation.
    assert second.moving_range is None
    assert result.points[16].moving_range == 3


def test_a_latest_segment_of_one_point_has_a_mean_but_no_limits() -> None:
    result = xmr([*RECALCULATION, 50], recalculate_at=[30], target=40)
    assert result.limits_available is True
    assert result.mean == 50
    assert (result.upper_limit, result.assurance) == (None, None)
    assert result.message == "Senaste segmentet har för få punkter för styrgränser."
    assert result.points[-1].upper_limit is None


# --- Missing data and input handling ----------------------------------------------------------


def test_missing_values_are_skipped_and_moving_ranges_join_their_neighbours() -> None:
    values: list[float | None] = [20, 24, None, 20, 26, 22, 16, 18, 16, 31, 28, 34, 26, 30]
    values += [None, 19, 18]
    result = xmr(values)
    compact = xmr([v for v in values if v is not None])
    assert [p.index for p in result.points] == [0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 16]
    assert result.points[2].moving_range == 4
    assert (result.mean, result.upper_limit) == (compact.mean, compact.upper_limit)


def test_nan_counts_as_missing() -> None:
    result = xmr([*RECALCULATION[:14], math.nan, RECALCULATION[14]])
    assert len(result.points) == 15
    assert result.points[-1].index == 15


def test_decimal_input_gives_the_same_result_as_float() -> None:
    values = [20, 24, 20, 26, 22, 16, 18, 16, 31, 28, 34, 26, 30, 19, 18]
    assert xmr([Decimal(v) for v in values], target=Decimal(30)) == xmr(values, target=30)


@pytest.mark.parametrize(
    "options",
    [
        {"improvement": "up"},
        {"run_length": 1},
        {"baseline": 1},
        {"min_points": 1},
        {"recalculate_at": [30]},
        {"recalculate_at": [-1]},
        {"incomplete": [30]},
    ],
)
def test_meaningless_options_are_rejected(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        xmr(RECALCULATION, **options)


def test_infinite_values_are_rejected() -> None:
    with pytest.raises(ValueError, match="infinite"):
        xmr([1.0, math.inf, 2.0])


# --- Output shape ------------------------------------------------------------------------------


def test_result_round_trips_through_json() -> None:
    result = xmr(SPECIAL_CAUSE, target=30)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["variation"] == "common_cause"
    assert data["assurance"] == "hit_and_miss"
    assert data["points"][0] == {
        "index": 0,
        "value": 8.0,
        "moving_range": None,
        "mean": result.mean,
        "lower_limit": result.lower_limit,
        "upper_limit": result.upper_limit,
        "rules": ["astronomical"],
        "type": "concern",
        "signals": [["astronomical", "low"]],
        "incomplete": False,
    }
    assert len(data["points"]) == 30


def test_results_are_frozen() -> None:
    result = xmr(SPECIAL_CAUSE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.mean = 0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.points[0].type = "neither"  # type: ignore[misc]


def fmean_of(values: list[float]) -> float:
    """Return the arithmetic mean used as an independent check."""
    return sum(values) / len(values)


# --- Incomplete points (a period only some of the expected units have reported) ---------------

STEADY = [10.0, 11, 9, 10, 12, 10, 11, 9, 10, 11, 10, 9, 10, 11]


def test_a_complete_last_point_far_above_the_limit_is_a_signal() -> None:
    result = xmr([*STEADY, 30.0])
    assert result.points[-1].rules == ("astronomical",)
    assert result.variation == "special_cause_improvement_high"


def test_an_incomplete_last_point_is_drawn_but_neither_judged_nor_in_the_limits() -> None:
    complete = xmr(STEADY)
    result = xmr([*STEADY, 30.0], incomplete=[len(STEADY)])
    last = result.points[-1]
    assert (last.value, last.incomplete, last.rules, last.signals) == (30.0, True, (), ())
    assert last.type == "common_cause"
    assert last.moving_range is None
    # The limits and the icon are those of the judged points alone.
    assert (result.mean, result.upper_limit) == (complete.mean, complete.upper_limit)
    assert result.variation == complete.variation == "common_cause"


def test_incomplete_points_do_not_count_towards_the_minimum_or_the_runs() -> None:
    # Twelve judged points and a thirteenth over some units only: still too few for limits.
    result = xmr([*STEADY[:12], 10.0], incomplete=[12])
    assert not result.limits_available
    assert result.message == "För få punkter för styrgränser (12 av minst 13)."
    # A sixth rising point over some units only does not complete a trend.
    rising = [*STEADY, 9.5, 10.0, 10.5, 11.0, 11.5, 12.0]
    assert "trend" in xmr(rising).points[-1].rules
    partial = xmr(rising, incomplete=[len(rising) - 1])
    assert all(point.rules == () for point in partial.points)
    assert partial.variation == "common_cause"
