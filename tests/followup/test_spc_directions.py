"""Each special-cause rule keeps its own side: a point's verdict and the reasons given for it.

The reviewer's case: the demo's "Rätt hjälp på en gång" for Region Gävleborg rises from
68,5 % to 74 % over 22 months. Its early months lie below the lower limit and below the
mean (concern when higher is better) while they rise in a trend (improvement). The Single
Chart Tool colours such a point blue (improvement); the text must say both, and never list
"below the lower limit" as a reason for an improvement.
"""

from __future__ import annotations

import json

import pytest

from followup.spc import Reasons, reasons, stored_reasons, xmr

# Region Gävleborg, "Rätt hjälp på en gång", jan 2025 – okt 2026 (load_demo), in percent.
GAVLEBORG = [
    68.460042,
    68.437669,
    68.608266,
    68.866987,
    69.148795,
    69.369008,
    69.415076,
    69.393668,
    70.297505,
    71.130878,
    71.834205,
    72.452206,
    72.606106,
    72.43081,
    72.436623,
    72.590348,
    72.84473,
    73.009908,
    73.722385,
    73.731293,
    74.135819,
    74.043351,
]

BELOW = (("astronomical", "low"), ("shift", "low"))
RISING = (("trend", "high"),)
ABOVE_RISING = (("astronomical", "high"), ("shift", "high"), ("trend", "high"))
CONFLICT = [43, 41, 37, 36, 31, 23, 15, 13, 15, 18, 23, 27, 31, 36, 27, 19, 17, 27, 15, 22]


def test_the_demo_series_has_limits_the_early_months_lie_below() -> None:
    result = xmr(GAVLEBORG)
    assert round(result.mean or 0, 1) == 71.3
    assert round(result.lower_limit or 0, 1) == 70.5
    assert round(result.upper_limit or 0, 1) == 72.1


def test_each_point_of_the_demo_series_gets_the_verdict_and_reasons_of_its_own_sides() -> None:
    result = xmr(GAVLEBORG)
    got = [reasons(point.signals, "higher") for point in result.points]
    # Jan 2025: below the lower limit and the mean, and not in the rise (feb is lower).
    assert got[0] == Reasons("concern", concern=BELOW)
    # Feb–Sep 2025: below the lower limit and the mean, and rising: both, each with its side.
    for month in range(1, 9):
        assert got[month] == Reasons("conflict", improvement=RISING, concern=BELOW), month
    # Oct 2025: back within the limits, still below the mean, still rising.
    assert got[9] == Reasons("conflict", improvement=RISING, concern=(("shift", "low"),))
    # Nov 2025: above the mean, within the limits.
    assert got[10] == Reasons("improvement", improvement=(("shift", "high"), ("trend", "high")))
    # Dec 2025 – Sep 2026: above the upper limit and the mean, rising.
    for month in range(11, 21):
        assert got[month] == Reasons("improvement", improvement=ABOVE_RISING), month
    # Oct 2026, the latest: above the limit and the mean; it fell from September.
    assert got[21] == Reasons(
        "improvement", improvement=(("astronomical", "high"), ("shift", "high"))
    )


def test_the_colour_of_a_conflict_stays_improvement_as_in_the_single_chart_tool() -> None:
    result = xmr(GAVLEBORG)
    assert [point.type for point in result.points] == ["concern"] + ["improvement"] * 21
    assert result.variation == "special_cause_improvement_high"


def test_kv2_2025_is_never_an_improvement_for_being_below_the_lower_limit() -> None:
    # Apr–Jun 2025, the quarter the reviewer found: 68,9 %, 69,1 %, 69,4 %, below 70,5 %.
    result = xmr(GAVLEBORG)
    for point in result.points[3:6]:
        assert point.value < (result.lower_limit or 0)
        why = reasons(point.signals, "higher")
        assert why.verdict == "conflict"
        assert ("astronomical", "low") not in why.improvement
        assert ("astronomical", "low") in why.concern


def test_when_lower_is_better_the_same_series_swaps_the_sides() -> None:
    result = xmr(GAVLEBORG, improvement="lower")
    got = [reasons(point.signals, "lower") for point in result.points]
    assert got[0] == Reasons("improvement", improvement=BELOW)
    assert got[4] == Reasons("conflict", improvement=BELOW, concern=RISING)
    assert got[15] == Reasons("concern", concern=ABOVE_RISING)
    assert result.points[15].type == "concern"
    assert result.variation == "special_cause_concern_high"


def test_a_point_below_the_lower_limit_alone_is_a_concern_with_only_that_reason() -> None:
    values = [50.0, 51, 50, 52, 51, 50, 51, 52, 50, 51, 50, 52, 51, 40]
    point = xmr(values).points[-1]
    assert point.type == "concern"
    assert reasons(point.signals, "higher") == Reasons(
        "concern", concern=(("astronomical", "low"),)
    )


def test_a_measure_with_no_better_side_keeps_the_sides_without_judging_them() -> None:
    point = xmr(GAVLEBORG, improvement=None).points[4]
    assert point.type == "neither"
    assert reasons(point.signals, None) == Reasons("neither", other=BELOW + RISING)


@pytest.mark.parametrize("improvement", ["higher", "lower"])
@pytest.mark.parametrize("values", [GAVLEBORG, CONFLICT], ids=["gavleborg", "mdc-conflict"])
def test_every_reason_fits_its_verdict_and_the_colour_follows_the_verdict(
    values: list[float], improvement: str
) -> None:
    good = "high" if improvement == "higher" else "low"
    for point in xmr(values, improvement=improvement).points:  # type: ignore[arg-type]
        why = reasons(point.signals, improvement)  # type: ignore[arg-type]
        assert all(side == good for _, side in why.improvement)
        assert all(side != good for _, side in why.concern)
        assert {rule for rule, _ in point.signals} == set(point.rules)
        expected = {"conflict": "improvement"}.get(why.verdict, why.verdict)
        assert point.type == expected


def test_the_mdc_conflict_example_names_both_sides_where_its_colour_is_blue() -> None:
    # MDC-CHECKS "Special cause conflict", high is good: p1-p2 above the limit yet falling.
    result = xmr(CONFLICT)
    first = reasons(result.points[0].signals, "higher")
    assert first.verdict == "conflict"
    assert first.improvement == (("astronomical", "high"),)
    assert first.concern == (("trend", "low"),)
    # p5-p7 fall below the two-sigma line and the mean: concern only, orange.
    assert reasons(result.points[5].signals, "higher").verdict == "concern"


def test_a_stored_point_is_read_back_with_its_reasons_and_an_old_one_without() -> None:
    point = xmr(GAVLEBORG).points[4]
    data = json.loads(json.dumps(point.to_dict()))
    stored = ["2025-05-01", data["value"], data["type"], data["rules"], data["signals"]]
    assert stored_reasons(stored, "higher") == Reasons(
        "conflict", improvement=RISING, concern=BELOW
    )
    # Stored before the signals had sides (SPC format 2): the reader falls back to the rules.
    assert stored_reasons(stored[:4], "higher") is None
    assert stored_reasons(stored, "sideways") is None
    # Signals of a rule this code does not know come last; malformed ones are skipped.
    odd = ["2025-05-01", 1.0, "concern", [], [["new_rule", "low"], ["shift", "low"], ["x"]]]
    assert stored_reasons(odd, "higher") == Reasons(
        "concern", concern=(("shift", "low"), ("new_rule", "low"))
    )
