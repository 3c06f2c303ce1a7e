"""Tests for the status engine: each goal kind, each status and the sentences explaining them."""

import json
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from base.formatting import count_decimals, format_count_level
from goals.status import (
    DEFAULT_RULES,
    MEASURE_TARGET_ERROR,
    SERIES_ORDER_ERROR,
    UNIT_COUNT_ERROR,
    UNKNOWN_RULES_ERROR,
    Assessment,
    BaselineMethod,
    GoalEvaluation,
    Status,
    StatusRules,
    evaluate_adoption,
    evaluate_deliverable,
    evaluate_direction,
    evaluate_measure,
    overall_status,
    rules_from_mapping,
    status_choices,
)

DEADLINE_2025 = date(2025, 12, 31)
TEAMROND_START = date(2025, 3, 1)


def teamrond(**overrides: Any) -> GoalEvaluation:
    """Evaluate the PO 1 milestone "Teamrond on 50 % of HCs by Dec 2025" with overrides."""
    arguments: dict[str, Any] = {
        "as_of": date(2025, 9, 30),
        "deadline": DEADLINE_2025,
        "start": TEAMROND_START,
        "target_share": Decimal(50),
        "method_name": "Teamrond",
        "unit_kind_plural": "hälsocentraler",
        "active_units": 26,
        "adopted": 10,
        "planned_by_deadline": 4,
    }
    arguments.update(overrides)
    return evaluate_adoption(**arguments)


def steady_series(
    start: date, values: list[int], step_days: int = 30
) -> list[tuple[date, Decimal]]:
    """Build a series with one value every step_days days."""
    return [(start + timedelta(days=step_days * i), Decimal(v)) for i, v in enumerate(values)]


# Points at day 0, 30, 60 and 90 of 2027 rising 3 per 30 days: the trend reaches 136.4 on
# 2027-12-31 (day 364).
LINEAR_2027 = steady_series(date(2027, 1, 1), [100, 103, 106, 109])


def visits(**overrides: Any) -> GoalEvaluation:
    """Evaluate an absolute higher-is-better measure goal with overrides."""
    arguments: dict[str, Any] = {
        "as_of": date(2027, 4, 15),
        "deadline": date(2027, 12, 31),
        "series": LINEAR_2027,
        "improvement": "higher",
        "target_value": Decimal(150),
        "measure_name": "antal besök",
    }
    arguments.update(overrides)
    return evaluate_measure(**arguments)


def agreements(**overrides: Any) -> GoalEvaluation:
    """Evaluate the PO 3 milestone "+50 % documented agreements in Dec 2027 vs Dec 2026"."""
    arguments: dict[str, Any] = {
        "as_of": date(2027, 6, 30),
        "deadline": date(2027, 12, 31),
        "series": [],
        "improvement": "higher",
        "relative_change_pct": Decimal(50),
        "baseline_value": Decimal(200),
        "baseline_label": "dec 2026",
        "measure_name": "Antal dokumenterade överenskommelser",
        "unit": "st",
    }
    arguments.update(overrides)
    return evaluate_measure(**arguments)


def assessed(status: Status, on: date = date(2025, 9, 15)) -> Assessment:
    """Build a manual assessment by the programme owner."""
    return Assessment(status=status, comment="Se kommentar.", author="Anna Berg", assessed_on=on)


# --- Status, formatting, rules ----------------------------------------------------------------


def test_status_codes_and_swedish_labels_are_stable() -> None:
    assert {s.value: s.label for s in Status} == {
        "uppnatt": "Uppnått",
        "enligt_plan": "Enligt plan",
        "risk": "Risk",
        "ej_enligt_plan": "Ej enligt plan",
        "ej_paborjat": "Ej påbörjat",
        "ej_uppnatt": "Ej uppnått",
        "underlag_saknas": "Underlag saknas",
        "ej_bedomt": "Ej bedömt",
    }


def test_severity_ranks_missed_worst_and_achieved_best() -> None:
    ranked = sorted(Status, key=lambda s: s.severity)
    assert ranked[0] is Status.ACHIEVED
    assert ranked[-1] is Status.MISSED
    assert Status.ON_TRACK.severity < Status.NO_DATA.severity < Status.AT_RISK.severity
    assert Status.AT_RISK.severity < Status.OFF_TRACK.severity < Status.MISSED.severity
    assert len({s.severity for s in Status}) == len(Status)


def test_assessment_accepts_a_stored_status_code() -> None:
    code: Any = "risk"
    assessment = Assessment(status=code, comment="", author="A", assessed_on=date(2025, 1, 1))
    assert assessment.status is Status.AT_RISK


def test_rules_from_mapping_without_overrides_gives_the_defaults() -> None:
    assert rules_from_mapping(None) == DEFAULT_RULES
    assert rules_from_mapping({}) == DEFAULT_RULES
    assert DEFAULT_RULES.at_risk_margin_pct == 10.0
    assert DEFAULT_RULES.trend_periods == 4


def test_rules_from_mapping_applies_overrides_and_converts_numbers() -> None:
    rules = rules_from_mapping({"at_risk_margin_pct": 5, "trend_periods": 6})
    assert rules.at_risk_margin_pct == 5.0
    assert isinstance(rules.at_risk_margin_pct, float)
    assert rules.trend_periods == 6
    assert rules.pace_margin_pct == DEFAULT_RULES.pace_margin_pct


def test_rules_from_mapping_rejects_unknown_keys() -> None:
    expected = UNKNOWN_RULES_ERROR.format(names="at_risk_margin, colour")
    with pytest.raises(ValueError, match=re.escape(expected)):
        rules_from_mapping({"at_risk_margin": 5, "colour": "red"})


@pytest.mark.parametrize(
    "overrides",
    [
        {"at_risk_margin_pct": "10"},
        {"at_risk_margin_pct": True},
        {"trend_periods": 4.0},
        {"at_risk_margin_pct": -1},
        {"measure_at_risk_margin_pct": float("nan")},
        {"min_trend_points": 1},
        {"trend_periods": 2},
        {"not_started_grace_days": -1},
    ],
)
def test_rules_from_mapping_rejects_bad_values(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="GONV_STATUS_RULES"):
        rules_from_mapping(overrides)


# --- Adoption ---------------------------------------------------------------------------------


def test_adoption_reaching_half_of_health_centres_before_deadline_is_achieved() -> None:
    evaluation = teamrond(as_of=date(2025, 11, 23), adopted=14, planned_by_deadline=3)

    assert evaluation.status is Status.ACHIEVED
    assert evaluation.explanation == (
        "14 av 26 hälsocentraler (53,8\u00a0%) har infört arbetssättet ”Teamrond”; "
        "målet är 50\u00a0% senast 31 dec 2025."
    )
    assert evaluation.progress == Decimal("53.846154")
    assert evaluation.target == Decimal(50)
    # Reached is final: no forecast to show beside "Uppnått".
    assert evaluation.forecast is None
    assert evaluation.forecast_status is None
    assert evaluation.basis["rule"] == "achieved"


def test_a_phase_out_goal_says_the_units_have_phased_the_method_out() -> None:
    achieved = teamrond(as_of=date(2025, 11, 23), adopted=14, phase_out=True)
    forecast = teamrond(adopted=10, planned_by_deadline=1, phase_out=True)
    missed = teamrond(as_of=date(2026, 1, 15), adopted=3, phase_out=True)
    none_yet = teamrond(start=None, adopted=0, planned_by_deadline=0, phase_out=True)

    assert achieved.explanation == (
        "14 av 26 hälsocentraler (53,8\u00a0%) har fasat ut arbetssättet ”Teamrond”; "
        "målet är 50\u00a0% senast 31 dec 2025."
    )
    assert forecast.explanation.startswith(
        "10 av 26 hälsocentraler (38,5\u00a0%) har fasat ut arbetssättet ”Teamrond”; "
        "med 1 planerad utfasning blir prognosen"
    )
    assert "hade fasat ut arbetssättet ”Teamrond” vid måldatumet" in missed.explanation
    assert none_yet.explanation.startswith(
        "Ingen av 26 hälsocentraler har fasat ut eller planerat att fasa ut arbetssättet"
    )
    for evaluation in (achieved, forecast, missed, none_yet):
        assert "infört" not in evaluation.explanation
        assert "införa" not in evaluation.explanation


def test_adoption_exactly_at_target_share_is_achieved() -> None:
    assert teamrond(adopted=13, planned_by_deadline=0).status is Status.ACHIEVED


def test_adoption_forecast_counts_units_planned_by_deadline() -> None:
    evaluation = teamrond(adopted=10, planned_by_deadline=4)

    assert evaluation.status is Status.ON_TRACK
    assert evaluation.forecast == Decimal("53.846154")
    assert evaluation.forecast_status is Status.ON_TRACK
    assert evaluation.explanation == (
        "10 av 26 hälsocentraler (38,5\u00a0%) har infört arbetssättet ”Teamrond”; "
        "med 4 planerade införanden blir prognosen 53,8\u00a0% "
        "mot målet 50\u00a0% senast 31 dec 2025."
    )


def test_adoption_shares_have_one_decimal_and_the_target_share_is_as_set() -> None:
    # 10 of 25 and 12 of 25: "40,0 %" and "48,0 %", as the goal's tables write them.
    evaluation = teamrond(active_units=25, adopted=10, planned_by_deadline=2)

    assert evaluation.explanation == (
        "10 av 25 hälsocentraler (40,0\u00a0%) har infört arbetssättet ”Teamrond”; "
        "med 2 planerade införanden blir prognosen 48,0\u00a0% "
        "mot målet 50\u00a0% senast 31 dec 2025."
    )


def test_adoption_forecast_within_margin_below_target_is_at_risk() -> None:
    evaluation = teamrond(adopted=10, planned_by_deadline=1)

    assert evaluation.status is Status.AT_RISK
    assert evaluation.forecast == Decimal("42.307692")
    assert evaluation.basis["rule"] == "forecast_within_margin"
    assert "med 1 planerat införande blir prognosen 42,3\u00a0%" in evaluation.explanation


def test_adoption_forecast_far_below_target_is_off_track() -> None:
    evaluation = teamrond(adopted=3, planned_by_deadline=2)

    assert evaluation.status is Status.OFF_TRACK
    assert evaluation.forecast_status is Status.OFF_TRACK
    assert evaluation.basis["rule"] == "forecast_below_margin"


def test_adoption_rules_override_of_risk_margin_turns_risk_into_off_track() -> None:
    rules = rules_from_mapping({"at_risk_margin_pct": 5})

    assert teamrond(adopted=10, planned_by_deadline=1).status is Status.AT_RISK
    assert teamrond(adopted=10, planned_by_deadline=1, rules=rules).status is Status.OFF_TRACK


def test_adoption_whose_plans_add_up_but_lag_far_behind_even_pace_is_at_risk() -> None:
    evaluation = teamrond(adopted=2, planned_by_deadline=12)

    assert evaluation.status is Status.AT_RISK
    assert evaluation.forecast_status is Status.ON_TRACK
    assert evaluation.basis["rule"] == "behind_pace"
    assert evaluation.basis["expected_share_pct"] == pytest.approx(34.92, abs=0.005)
    assert evaluation.explanation.endswith(
        "men införandet ligger efter jämn takt (34,9\u00a0% förväntat 30 sep 2025)."
    )


def test_adoption_rules_override_of_pace_margin_accepts_a_late_roll_out() -> None:
    rules = StatusRules(pace_margin_pct=40.0)
    assert teamrond(adopted=2, planned_by_deadline=12, rules=rules).status is Status.ON_TRACK


def test_adoption_after_deadline_without_reaching_target_is_missed() -> None:
    evaluation = teamrond(as_of=date(2026, 1, 15), adopted=11, planned_by_deadline=3)

    assert evaluation.status is Status.MISSED
    assert evaluation.forecast is None
    assert evaluation.forecast_status is None
    assert evaluation.explanation == (
        "11 av 26 hälsocentraler (42,3\u00a0%) hade infört arbetssättet ”Teamrond” vid "
        "måldatumet 31 dec 2025; målet var 50\u00a0%."
    )


def test_adoption_reached_by_deadline_stays_achieved_after_deadline() -> None:
    evaluation = teamrond(as_of=date(2026, 3, 31), adopted=14, planned_by_deadline=0)

    assert evaluation.status is Status.ACHIEVED
    assert evaluation.basis["evaluated_on"] == "2025-12-31"
    assert (
        "hade infört arbetssättet ”Teamrond” vid måldatumet 31 dec 2025" in evaluation.explanation
    )


def test_adoption_on_the_deadline_day_is_not_yet_missed() -> None:
    assert teamrond(as_of=DEADLINE_2025, adopted=11, planned_by_deadline=3).status is not (
        Status.MISSED
    )


def test_adoption_before_start_date_is_not_started_but_keeps_its_forecast() -> None:
    evaluation = teamrond(as_of=date(2025, 2, 15), adopted=0, planned_by_deadline=5)

    assert evaluation.status is Status.NOT_STARTED
    assert evaluation.basis["rule"] == "before_start"
    assert evaluation.forecast_status is Status.OFF_TRACK
    assert evaluation.explanation == (
        "Införandet av arbetssättet ”Teamrond” startar 1 mar 2025 och 5 av 26 hälsocentraler "
        "har planerat det; målet är 50\u00a0% senast 31 dec 2025."
    )


def test_adoption_with_early_adopters_before_its_start_is_not_started_and_says_so() -> None:
    # Units that adopted before the start are told, but no plan can be behind yet: the
    # forecast's judgement stays in forecast_status.
    evaluation = teamrond(as_of=date(2025, 2, 15), adopted=2, planned_by_deadline=1)

    assert evaluation.status is Status.NOT_STARTED
    assert evaluation.basis["rule"] == "before_start"
    assert evaluation.progress == Decimal("7.692308")
    assert evaluation.forecast_status is Status.OFF_TRACK
    assert evaluation.explanation == (
        "Införandet av arbetssättet ”Teamrond” startar 1 mar 2025 och 2 av 26 hälsocentraler "
        "(7,7\u00a0%) har redan infört det och 1 har planerat det; målet är 50\u00a0% senast "
        "31 dec 2025."
    )


def test_adoption_that_reached_its_target_before_its_start_is_achieved() -> None:
    evaluation = teamrond(as_of=date(2025, 2, 15), adopted=13, planned_by_deadline=0)
    assert evaluation.status is Status.ACHIEVED


def test_adoption_in_the_quarter_of_its_start_is_judged_normally() -> None:
    # Start 1 May: the quarter ending 30 June contains it and is judged by the forecast.
    evaluation = teamrond(
        start=date(2025, 5, 1), as_of=date(2025, 6, 30), adopted=2, planned_by_deadline=1
    )
    assert evaluation.status is Status.OFF_TRACK
    assert evaluation.basis["rule"] == "forecast_below_margin"


def test_adoption_with_nothing_adopted_or_planned_is_not_started_during_grace() -> None:
    evaluation = teamrond(as_of=date(2025, 5, 15), adopted=0, planned_by_deadline=0)

    assert evaluation.status is Status.NOT_STARTED
    assert evaluation.basis["rule"] == "nothing_adopted_or_planned"
    assert evaluation.basis["grace_ends"] == "2025-06-01"
    assert evaluation.explanation == (
        "Ingen av 26 hälsocentraler har infört eller planerat att införa arbetssättet "
        "”Teamrond” ännu; målet är 50\u00a0% senast 31 dec 2025."
    )


def test_adoption_with_nothing_adopted_or_planned_after_grace_is_off_track() -> None:
    evaluation = teamrond(as_of=date(2025, 6, 30), adopted=0, planned_by_deadline=0)

    assert evaluation.status is Status.OFF_TRACK
    assert evaluation.explanation == (
        "0 av 26 hälsocentraler (0,0\u00a0%) har infört arbetssättet ”Teamrond”; "
        "utan fler planerade införanden blir prognosen 0,0\u00a0% "
        "mot målet 50\u00a0% senast 31 dec 2025."
    )


def test_adoption_rules_override_of_grace_period_keeps_it_not_started() -> None:
    rules = rules_from_mapping({"not_started_grace_days": 183})
    evaluation = teamrond(as_of=date(2025, 6, 30), adopted=0, planned_by_deadline=0, rules=rules)
    assert evaluation.status is Status.NOT_STARTED


def test_adoption_without_start_date_and_nothing_adopted_or_planned_is_not_started() -> None:
    evaluation = teamrond(start=None, adopted=0, planned_by_deadline=0)

    assert evaluation.status is Status.NOT_STARTED
    assert evaluation.forecast_status is Status.OFF_TRACK


def test_adoption_without_active_units_has_no_data() -> None:
    evaluation = teamrond(active_units=0, adopted=0, planned_by_deadline=0)

    assert evaluation.status is Status.NO_DATA
    assert evaluation.progress is None
    assert evaluation.explanation == (
        "Det finns inga aktiva hälsocentraler att följa upp införandet av arbetssättet "
        "”Teamrond” på; målet är 50\u00a0% senast 31 dec 2025."
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"active_units": 0, "adopted": 0, "planned_by_deadline": 0},  # no units
        {"adopted": 14},  # achieved before the deadline
        {"as_of": date(2026, 1, 15)},  # the deadline has passed
        {"as_of": date(2025, 2, 1)},  # before the start
        {"start": None, "adopted": 0, "planned_by_deadline": 0},  # nothing adopted or planned
        {},  # a forecast
    ],
)
def test_a_working_methods_name_is_quoted_mid_sentence_not_run_into_it(
    overrides: dict[str, Any],
) -> None:
    # A name starting with a capital letter read as the start of a new sentence: "0 av 26
    # hälsocentraler har infört Riskbedömning av sköra personer".
    evaluation = teamrond(method_name="Riskbedömning av sköra personer", **overrides)

    assert "arbetssättet ”Riskbedömning av sköra personer”" in evaluation.explanation
    assert evaluation.explanation.count("Riskbedömning") == 1


def test_adoption_share_just_below_target_is_not_rounded_up_to_the_target() -> None:
    evaluation = teamrond(active_units=199, adopted=99, planned_by_deadline=0)

    assert evaluation.status is not Status.ACHIEVED
    assert "99 av 199 hälsocentraler (49,7\u00a0%)" in evaluation.explanation


def test_adoption_rejects_counts_that_do_not_add_up() -> None:
    with pytest.raises(ValueError, match=re.escape(UNIT_COUNT_ERROR)):
        teamrond(adopted=20, planned_by_deadline=10)


def test_adoption_shows_assessment_side_by_side_without_changing_computed_status() -> None:
    assessment = assessed(Status.OFF_TRACK)
    evaluation = teamrond(adopted=10, planned_by_deadline=4, assessment=assessment)

    assert evaluation.status is Status.ON_TRACK
    assert evaluation.assessment == assessment


def test_adoption_basis_is_json_serialisable() -> None:
    basis = teamrond().basis
    assert json.loads(json.dumps(basis)) == basis
    assert basis["adopted"] == 10
    assert basis["at_risk_margin_pct"] == 10.0


# --- Deliverable ------------------------------------------------------------------------------

INSTRUMENT = "Enhetligt riskbedömningsinstrument beslutat"


def test_deliverable_completed_before_deadline_is_achieved() -> None:
    evaluation = evaluate_deliverable(
        as_of=date(2025, 12, 31),
        deadline=DEADLINE_2025,
        completed_on=date(2025, 11, 20),
        title=INSTRUMENT,
    )

    assert evaluation.status is Status.ACHIEVED
    assert evaluation.explanation == (
        "”Enhetligt riskbedömningsinstrument beslutat” slutfördes 20 nov 2025, "
        "i tid till måldatumet 31 dec 2025."
    )


def test_deliverable_completed_on_the_deadline_is_achieved() -> None:
    evaluation = evaluate_deliverable(
        as_of=date(2026, 1, 10), deadline=DEADLINE_2025, completed_on=DEADLINE_2025, title="X"
    )
    assert evaluation.status is Status.ACHIEVED


def test_deliverable_completed_after_deadline_is_missed_and_says_how_late() -> None:
    evaluation = evaluate_deliverable(
        as_of=date(2026, 3, 31),
        deadline=DEADLINE_2025,
        completed_on=date(2026, 1, 15),
        title=INSTRUMENT,
    )

    assert evaluation.status is Status.MISSED
    assert evaluation.basis["days_late"] == 15
    assert evaluation.explanation == (
        "”Enhetligt riskbedömningsinstrument beslutat” slutfördes 15 jan 2026, "
        "15\u00a0dagar efter måldatumet 31 dec 2025."
    )


def test_deliverable_not_completed_after_deadline_is_missed_whatever_the_assessment() -> None:
    evaluation = evaluate_deliverable(
        as_of=date(2026, 1, 1),
        deadline=DEADLINE_2025,
        completed_on=None,
        title=INSTRUMENT,
        assessment=assessed(Status.ON_TRACK),
    )

    assert evaluation.status is Status.MISSED
    assert evaluation.explanation == (
        "”Enhetligt riskbedömningsinstrument beslutat” har inte slutförts och måldatumet "
        "31 dec 2025 har passerat."
    )


def test_open_deliverable_without_assessment_is_on_track_with_days_left() -> None:
    evaluation = evaluate_deliverable(
        as_of=date(2025, 11, 23), deadline=DEADLINE_2025, completed_on=None, title=INSTRUMENT
    )

    assert evaluation.status is Status.ON_TRACK
    assert evaluation.basis["days_left"] == 38
    assert evaluation.explanation == (
        "”Enhetligt riskbedömningsinstrument beslutat” har inte slutförts ännu; "
        "38\u00a0dagar kvar till 31 dec 2025."
    )


def test_open_deliverable_takes_its_status_from_the_latest_assessment() -> None:
    evaluation = evaluate_deliverable(
        as_of=date(2025, 11, 23),
        deadline=DEADLINE_2025,
        completed_on=None,
        title=INSTRUMENT,
        assessment=assessed(Status.AT_RISK, on=date(2025, 11, 1)),
    )

    assert evaluation.status is Status.AT_RISK
    assert evaluation.basis["rule"] == "open_assessed"
    assert evaluation.explanation == (
        "”Enhetligt riskbedömningsinstrument beslutat” har inte slutförts ännu; 38\u00a0dagar kvar "
        "till 31 dec 2025 och Anna Berg bedömde 1 nov 2025 läget som risk."
    )


def test_open_deliverable_reads_an_assessment_of_missed_as_off_track() -> None:
    evaluation = evaluate_deliverable(
        as_of=date(2025, 11, 23),
        deadline=DEADLINE_2025,
        completed_on=None,
        title=INSTRUMENT,
        assessment=assessed(Status.MISSED),
    )
    assert evaluation.status is Status.OFF_TRACK


def test_open_deliverable_is_not_achieved_by_an_assessment_without_completion_date() -> None:
    evaluation = evaluate_deliverable(
        as_of=date(2025, 11, 23),
        deadline=DEADLINE_2025,
        completed_on=None,
        title=INSTRUMENT,
        assessment=assessed(Status.ACHIEVED),
    )

    assert evaluation.status is Status.ON_TRACK
    assert evaluation.assessment is not None
    assert evaluation.assessment.status is Status.ACHIEVED


def test_deliverable_ignores_an_assessment_made_after_the_evaluation_date() -> None:
    evaluation = evaluate_deliverable(
        as_of=date(2025, 9, 30),
        deadline=DEADLINE_2025,
        completed_on=None,
        title=INSTRUMENT,
        assessment=assessed(Status.OFF_TRACK, on=date(2025, 11, 1)),
    )
    assert evaluation.status is Status.ON_TRACK


def test_deliverable_completed_after_the_evaluation_date_is_not_done_yet_on_that_date() -> None:
    evaluation = evaluate_deliverable(
        as_of=date(2025, 9, 30),
        deadline=DEADLINE_2025,
        completed_on=date(2025, 11, 20),
        title=INSTRUMENT,
    )

    assert evaluation.status is Status.ON_TRACK
    assert evaluation.basis["completed_on"] is None


# --- Measure ----------------------------------------------------------------------------------


def test_relative_measure_without_baseline_value_has_no_data() -> None:
    evaluation = agreements(as_of=date(2026, 9, 30), baseline_value=None)

    assert evaluation.status is Status.NO_DATA
    assert evaluation.target is None
    assert evaluation.explanation == (
        "Basperioden dec 2026 har ännu inga värden; målet beräknas när de finns."
    )
    assert evaluation.basis["rule"] == "baseline_missing"


def test_relative_measure_target_is_baseline_raised_by_the_percentage() -> None:
    series = steady_series(date(2027, 1, 31), [210, 240, 270, 300])
    evaluation = agreements(series=series)

    assert evaluation.target == Decimal(300)
    assert evaluation.status is Status.ACHIEVED
    assert evaluation.explanation == (
        "Antal dokumenterade överenskommelser var 300\u00a0st i maj 2027 (senaste månaden), "
        "vilket når målet minst "
        "300\u00a0st (+50\u00a0% jämfört med 200\u00a0st i dec 2026) senast 31 dec 2027."
    )


def test_relative_measure_forecasts_against_the_baseline_target() -> None:
    series = steady_series(date(2027, 1, 31), [200, 205, 210, 215])
    evaluation = agreements(series=series)

    assert evaluation.status is Status.OFF_TRACK
    assert evaluation.basis["target_kind"] == "relative"
    assert evaluation.basis["baseline_value"] == 200.0


def test_measure_forecast_extrapolates_the_linear_trend_to_the_deadline() -> None:
    evaluation = visits(target_value=Decimal(136))

    assert evaluation.status is Status.ON_TRACK
    assert evaluation.progress == Decimal(109)
    assert evaluation.forecast == Decimal("136.40")
    assert evaluation.basis["slope_per_day"] == pytest.approx(0.1)
    assert evaluation.basis["slope_per_month"] == pytest.approx(3.04375)
    assert len(evaluation.basis["trend_points"]) == 4
    assert evaluation.explanation == (
        "Antal besök var 109 i apr 2027 (senaste månaden) och trenden över de senaste 4 värdena "
        "(+3,04 per månad) ger prognosen 136,4 vid 31 dec 2027; målet är minst 136."
    )


def test_an_index_goals_trend_is_written_to_the_indexs_one_decimal() -> None:
    # As the measure pages write an index's change ("+3,0"), not "+3,04 per månad".
    evaluation = visits(target_value=Decimal(136), decimals=1)

    assert evaluation.explanation == (
        "Antal besök var 109,0 i apr 2027 (senaste månaden) och trenden över de senaste 4 "
        "värdena (+3,0 per månad) ger prognosen 136,4 vid 31 dec 2027; målet är minst 136,0."
    )
    flat = visits(series=steady_series(date(2027, 1, 1), [100, 100, 100, 100]), decimals=1)
    assert "(±0,0 per månad)" in flat.explanation


def test_a_count_goals_baseline_of_several_periods_is_written_as_a_mean() -> None:
    # The mean of 195 and 196 is no count: "195,5 st" (one decimal), not "196 st"; a whole
    # mean without ",0"; the counts themselves stay whole.
    def sentence(baseline: str) -> str:
        return agreements(
            baseline_value=Decimal(baseline),
            baseline_label="jan–dec 2026",
            baseline_periods=12,
            baseline_method=BaselineMethod.MEAN,
            counts=True,
        ).explanation

    assert "jämfört med i snitt 195,5 st per månad jan–dec 2026" in sentence("195.5")
    assert "jämfört med i snitt 195,4 st per månad jan–dec 2026" in sentence("195.41667")
    assert "jämfört med i snitt 195 st per månad jan–dec 2026" in sentence("195")


def test_a_count_goals_computed_target_forecast_and_trend_have_one_decimal() -> None:
    # +10 % on 195,5 is 215,05: no count, so "215,1 st" (one decimal), as the "Underlag" and
    # the Prognos column write it, not "215,05 st"; the forecast and the trend per month so too.
    series = steady_series(date(2027, 1, 1), [200, 203, 205, 208])
    evaluation = agreements(
        series=series,
        as_of=date(2027, 4, 15),
        relative_change_pct=Decimal(10),
        baseline_value=Decimal("195.5"),
        baseline_label="jan–dec 2026",
        baseline_periods=12,
        baseline_method=BaselineMethod.MEAN,
        counts=True,
    )

    # Before: "(+2,64 st per månad) ger prognosen 231,65 st …; målet är minst 215,05 st".
    assert evaluation.explanation == (
        "Antal dokumenterade överenskommelser var 208\u00a0st i apr 2027 (senaste månaden) och "
        "trenden över de senaste 4 värdena (+2,6\u00a0st per månad) ger prognosen "
        "231,6\u00a0st vid 31 dec 2027; målet är minst 215,1\u00a0st (+10\u00a0% jämfört med "
        "i snitt 195,5\u00a0st per månad jan–dec 2026)."
    )
    assert evaluation.forecast == Decimal("231.646667")


def test_a_count_target_is_not_rounded_to_look_reached() -> None:
    # 215,04 to one decimal is "215", which a count of 215 would look as if it reached: the
    # target keeps the decimals it takes ("minst 215,04 st"); a "högst" target rounded down
    # is harder to keep, so it has its one decimal.
    def sentence(**overrides: Any) -> str:
        arguments: dict[str, Any] = {
            "series": steady_series(date(2027, 1, 1), [210, 212, 213, 215]),
            "as_of": date(2027, 4, 15),
            "relative_change_pct": Decimal(10),
            "baseline_value": Decimal("195.4909"),
            "counts": True,
        }
        return agreements(**(arguments | overrides)).explanation

    # 215 against 215,04: the target keeps the decimals that show 215 short of it.
    assert "var 215\u00a0st i apr 2027" in sentence()
    assert "målet är minst 215,04\u00a0st" in sentence()
    # Below a "högst" target 215 reaches it, and reads so with one decimal.
    assert "vilket når målet högst 215\u00a0st" in sentence(improvement="lower")
    # Without a value that could read as reaching it, one decimal: 200 against "minst 215";
    # a forecast just short of it keeps its decimals, and the target its.
    assert "målet är minst 215\u00a0st" in sentence(
        series=steady_series(date(2027, 1, 1), [197, 198, 199, 200])
    )
    assert "ger prognosen 215\u00a0st vid 31 maj 2027; målet är minst 215,04\u00a0st" in (
        sentence(
            series=steady_series(date(2027, 1, 1), [210, 211, 212, 213]),
            deadline=date(2027, 5, 31),
        )
    )


def test_a_count_target_is_written_from_the_number_as_stored() -> None:
    # +95 % on 523/3 is 339,9499…, stored (six decimals) as 339,95: "340 st", as the
    # "Underlag" and the Prognos column write the stored target, not "339,9 st".
    evaluation = agreements(
        relative_change_pct=Decimal(95),
        baseline_value=Decimal(523) / Decimal(3),
        baseline_label="jul–sep 2025",
        baseline_periods=3,
        baseline_method=BaselineMethod.MEAN,
        counts=True,
    )
    assert "målet är minst 340\u00a0st (+95\u00a0%" in evaluation.explanation


def test_a_count_forecast_just_short_of_its_target_keeps_the_decimals_that_show_it() -> None:
    # The existing safeguard, for a count's forecast and target written together: never one
    # decimal where "381,3 st" would read as reaching "minst 381,3 st".
    assert count_decimals(Decimal("381.333333"), [Decimal(381)], higher=True) == 1
    assert count_decimals(Decimal("381.333333"), [Decimal("381.32")], higher=True) == 2
    assert count_decimals(Decimal(215), [Decimal("214.96")], higher=True) == 2
    assert count_decimals(Decimal(215), [Decimal("215.04")], higher=False) == 2
    assert count_decimals(Decimal("215.05"), [Decimal("231.646667")], higher=True) == 1
    assert format_count_level(Decimal("214.96"), 2) == "214,96"
    assert format_count_level(Decimal(215), 2) == "215"
    assert format_count_level(Decimal("215.1"), 2) == "215,1"


def test_measure_forecast_within_margin_below_target_is_at_risk() -> None:
    evaluation = visits(target_value=Decimal(150))

    assert evaluation.status is Status.AT_RISK
    assert evaluation.forecast_status is Status.AT_RISK


def test_measure_forecast_far_below_target_is_off_track() -> None:
    assert visits(target_value=Decimal(160)).status is Status.OFF_TRACK


def test_measure_rules_override_of_margin_turns_risk_into_off_track() -> None:
    rules = rules_from_mapping({"measure_at_risk_margin_pct": 5})
    assert visits(target_value=Decimal(150), rules=rules).status is Status.OFF_TRACK


def test_measure_rules_override_of_trend_periods_changes_the_forecast() -> None:
    # Flat for a quarter, then rising: a short trend window sees the recent rise.
    series = steady_series(date(2027, 1, 1), [100, 100, 100, 100, 110, 120])
    default = visits(series=series, as_of=date(2027, 6, 15), target_value=Decimal(200))
    short = visits(
        series=series,
        as_of=date(2027, 6, 15),
        target_value=Decimal(200),
        rules=rules_from_mapping({"trend_periods": 3}),
    )

    assert default.status is Status.OFF_TRACK
    assert short.status is Status.AT_RISK
    assert len(short.basis["trend_points"]) == 3
    assert short.forecast is not None
    assert default.forecast is not None
    assert short.forecast > default.forecast


def test_lower_is_better_measure_at_or_below_target_is_achieved() -> None:
    evaluation = visits(
        series=steady_series(date(2027, 1, 1), [30, 26, 22, 20]),
        improvement="lower",
        target_value=Decimal(20),
        measure_name="väntetid",
        unit="dagar",
    )

    assert evaluation.status is Status.ACHIEVED
    assert "målet högst 20\u00a0dagar" in evaluation.explanation


def test_lower_is_better_measure_with_a_rising_trend_is_off_track() -> None:
    evaluation = visits(
        series=steady_series(date(2027, 1, 1), [25, 26, 27, 28]),
        improvement="lower",
        target_value=Decimal(20),
    )

    assert evaluation.status is Status.OFF_TRACK
    assert "+1,01 per månad" in evaluation.explanation


def test_lower_is_better_measure_with_a_falling_trend_is_on_track() -> None:
    evaluation = visits(
        series=steady_series(date(2027, 1, 1), [40, 37, 34, 31]),
        improvement="lower",
        target_value=Decimal(20),
    )

    assert evaluation.status is Status.ON_TRACK
    assert "\u22123,04 per månad" in evaluation.explanation


def test_measure_after_deadline_without_meeting_target_is_missed() -> None:
    evaluation = visits(as_of=date(2028, 1, 31), deadline=date(2027, 3, 31))

    assert evaluation.status is Status.MISSED
    assert evaluation.forecast is None
    assert evaluation.explanation == (
        "Antal besök var 106 i mar 2027 (senaste månaden) och nådde inte målet minst 150 "
        "senast 31 mar 2027."
    )


def test_measure_that_met_its_target_earlier_but_fell_back_is_not_achieved() -> None:
    evaluation = visits(series=steady_series(date(2027, 1, 1), [140, 155, 145, 148]))
    assert evaluation.status is not Status.ACHIEVED


def test_measure_ignores_values_after_the_evaluation_date() -> None:
    evaluation = visits(as_of=date(2027, 3, 15))

    assert evaluation.progress == Decimal(106)
    assert len(evaluation.basis["trend_points"]) == 3


def test_measure_without_values_has_no_data() -> None:
    evaluation = visits(series=[])

    assert evaluation.status is Status.NO_DATA
    assert evaluation.explanation == (
        "Antal besök har inga värden till och med 15 apr 2027; "
        "målet är minst 150 senast 31 dec 2027."
    )


def test_measure_with_too_few_values_for_a_trend_has_no_data() -> None:
    evaluation = visits(series=LINEAR_2027[:2])

    assert evaluation.status is Status.NO_DATA
    assert evaluation.forecast is None
    assert evaluation.basis["rule"] == "too_few_points"
    assert "2 värden räcker inte för en prognos (minst 3 behövs)" in evaluation.explanation


def test_measure_keeps_assessment_side_by_side_without_changing_computed_status() -> None:
    evaluation = visits(assessment=assessed(Status.ON_TRACK))

    assert evaluation.status is Status.AT_RISK
    assert evaluation.assessment is not None
    assert evaluation.assessment.status is Status.ON_TRACK


def test_measure_requires_exactly_one_kind_of_target() -> None:
    with pytest.raises(ValueError, match=re.escape(MEASURE_TARGET_ERROR)):
        visits(target_value=None)
    with pytest.raises(ValueError, match=re.escape(MEASURE_TARGET_ERROR)):
        visits(relative_change_pct=Decimal(50), baseline_value=Decimal(100))


def test_measure_rejects_a_series_out_of_order() -> None:
    with pytest.raises(ValueError, match=re.escape(SERIES_ORDER_ERROR)):
        visits(series=list(reversed(LINEAR_2027)))


def test_measure_basis_is_json_serialisable() -> None:
    basis = agreements(series=steady_series(date(2027, 1, 31), [200, 205, 210, 215])).basis
    assert json.loads(json.dumps(basis)) == basis


# --- Before the start (every kind) -------------------------------------------------------------

DO_START = date(2025, 5, 1)
COSMIC_MODULE = "Modulen för DÖ fungerar i Cosmic"


def cosmic_module(**overrides: Any) -> GoalEvaluation:
    """Evaluate the PO 3 milestone "the DÖ module works in Cosmic by Dec 2026", start May 2025."""
    arguments: dict[str, Any] = {
        "as_of": date(2025, 3, 31),
        "deadline": date(2026, 12, 31),
        "completed_on": None,
        "title": COSMIC_MODULE,
        "start": DO_START,
        "milestone": True,
    }
    arguments.update(overrides)
    return evaluate_deliverable(**arguments)


def test_deliverable_in_a_quarter_ending_before_its_start_is_not_started() -> None:
    evaluation = cosmic_module()

    assert evaluation.status is Status.NOT_STARTED
    assert evaluation.basis["rule"] == "before_start"
    assert evaluation.basis["starts_on"] == "2025-05-01"
    assert evaluation.explanation == (
        "Delmålet startar 1 maj 2025. ”Modulen för DÖ fungerar i Cosmic” har inte slutförts "
        "ännu; 640\u00a0dagar kvar till 31 dec 2026."
    )


def test_deliverable_before_its_start_is_not_started_whatever_the_assessment() -> None:
    evaluation = cosmic_module(assessment=assessed(Status.OFF_TRACK, on=date(2025, 3, 20)))

    assert evaluation.status is Status.NOT_STARTED
    assert evaluation.assessment is not None
    assert evaluation.assessment.status is Status.OFF_TRACK


def test_deliverable_completed_before_its_start_is_achieved() -> None:
    assert cosmic_module(completed_on=date(2025, 2, 1)).status is Status.ACHIEVED


def test_deliverable_in_the_quarter_of_its_start_is_judged_normally() -> None:
    evaluation = cosmic_module(as_of=date(2025, 6, 30))

    assert evaluation.status is Status.ON_TRACK
    assert evaluation.basis["rule"] == "open_before_deadline"


def test_deliverable_on_its_start_day_is_judged_normally() -> None:
    assert cosmic_module(as_of=DO_START).status is Status.ON_TRACK


def test_deliverable_without_a_start_of_its_own_names_the_areas_start() -> None:
    evaluation = cosmic_module(milestone=False, start_from_area=True)

    assert evaluation.status is Status.NOT_STARTED
    assert evaluation.explanation.startswith(
        "Målet räknas från programområdets start 1 maj 2025. ”Modulen"
    )


def test_deliverable_without_any_start_is_judged_as_before() -> None:
    assert cosmic_module(start=None).status is Status.ON_TRACK


def do_share_from_may(**overrides: Any) -> GoalEvaluation:
    """Evaluate the PO 3 goal "all patients in need of coordination have a DÖ", start May 2025."""
    arguments: dict[str, Any] = {
        "as_of": date(2025, 3, 31),
        "deadline": date(2030, 12, 31),
        "series": [
            (date(2025, 1, 31), Decimal("5.0")),
            (date(2025, 2, 28), Decimal("5.5")),
            (date(2025, 3, 31), Decimal("6.1")),
        ],
        "improvement": "higher",
        "target_value": Decimal(100),
        "measure_name": "andel patienter med samordningsbehov som har DÖ",
        "unit": "%",
        "start": DO_START,
    }
    arguments.update(overrides)
    return evaluate_measure(**arguments)


def test_measure_in_a_quarter_ending_before_its_start_is_not_started_keeping_the_numbers() -> None:
    evaluation = do_share_from_may()

    assert evaluation.status is Status.NOT_STARTED
    assert evaluation.basis["rule"] == "before_start"
    # What the trend says stays beside the status, as for an adoption goal.
    assert evaluation.forecast_status is Status.OFF_TRACK
    assert evaluation.progress == Decimal("6.1")
    assert evaluation.forecast is not None
    assert evaluation.explanation.startswith(
        "Målet startar 1 maj 2025. Andel patienter med samordningsbehov som har DÖ var "
        "6,1\u00a0% i mar 2025 (senaste månaden) och trenden"
    )


def test_measure_in_the_quarter_of_its_start_is_judged_normally() -> None:
    series = steady_series(date(2025, 1, 31), [5, 6, 6, 7, 7, 8], step_days=30)
    evaluation = do_share_from_may(as_of=date(2025, 6, 30), series=series)

    assert evaluation.status is Status.OFF_TRACK
    assert evaluation.basis["rule"] == "forecast_below_margin"
    assert not evaluation.explanation.startswith("Målet startar")


def test_measure_without_values_before_its_start_is_not_started_not_missing_data() -> None:
    evaluation = do_share_from_may(series=[])

    assert evaluation.status is Status.NOT_STARTED
    assert evaluation.explanation == (
        "Målet startar 1 maj 2025. Andel patienter med samordningsbehov som har DÖ har inga "
        "värden till och med 31 mar 2025; målet är minst 100\u00a0% senast 31 dec 2030."
    )


def test_relative_measure_before_its_start_without_a_baseline_is_not_started() -> None:
    # PO 3's "+50 % Dec 2027 against Dec 2026" starts 2027: before that its missing baseline
    # is no missing data.
    evaluation = agreements(
        as_of=date(2026, 12, 31), baseline_value=None, start=date(2027, 1, 1), milestone=True
    )

    assert evaluation.status is Status.NOT_STARTED
    assert evaluation.explanation == (
        "Delmålet startar 1 jan 2027. Basperioden dec 2026 har ännu inga värden; målet beräknas "
        "när de finns."
    )
    after = agreements(as_of=date(2027, 3, 31), baseline_value=None, start=date(2027, 1, 1))
    assert after.status is Status.NO_DATA


def test_measure_that_meets_its_target_before_its_start_is_achieved() -> None:
    assert do_share_from_may(target_value=Decimal(6)).status is Status.ACHIEVED


def test_not_started_parts_never_make_their_area_worse_than_on_plan() -> None:
    # PO 3 in Kv 1 2025: every part before its start rolls up to "Ej påbörjat", and beside a
    # part on plan to "Enligt plan", never to red.
    before = [do_share_from_may().status, cosmic_module().status]
    assert overall_status([*before, None]) is Status.NOT_STARTED
    assert overall_status([*before, Status.ON_TRACK]) is Status.ON_TRACK


# --- Direction, roll-up, display --------------------------------------------------------------


def test_direction_goal_without_assessment_is_not_assessed_yet() -> None:
    evaluation = evaluate_direction(assessment=None)

    assert evaluation.status is None
    assert evaluation.explanation == "Ej bedömt ännu."


def test_direction_goal_shows_who_assessed_it_and_when_but_computes_nothing() -> None:
    evaluation = evaluate_direction(assessment=assessed(Status.ON_TRACK, on=date(2025, 10, 15)))

    assert evaluation.status is None
    assert evaluation.explanation == "Anna Berg bedömde 15 okt 2025 läget som enligt plan."


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([Status.ACHIEVED, Status.AT_RISK, Status.ON_TRACK], Status.AT_RISK),
        ([Status.OFF_TRACK, Status.MISSED, Status.AT_RISK], Status.MISSED),
        ([Status.ACHIEVED, Status.ACHIEVED], Status.ACHIEVED),
        ([Status.ACHIEVED, Status.ON_TRACK], Status.ON_TRACK),
        ([Status.ACHIEVED, Status.NOT_STARTED], Status.ON_TRACK),
        ([Status.NOT_STARTED, Status.NOT_STARTED], Status.NOT_STARTED),
        ([Status.ON_TRACK, Status.NO_DATA], Status.NO_DATA),
        ([Status.NO_DATA, Status.AT_RISK], Status.AT_RISK),
        ([Status.ACHIEVED, None, Status.NOT_ASSESSED], Status.ACHIEVED),
        ([None, Status.NOT_ASSESSED], None),
        ([], None),
    ],
)
def test_overall_status_is_the_worst_computed_status(
    statuses: list[Status | None], expected: Status | None
) -> None:
    assert overall_status(statuses) is expected


def test_overall_status_accepts_any_iterable() -> None:
    assert overall_status(s for s in [Status.ON_TRACK, Status.OFF_TRACK]) is Status.OFF_TRACK


def test_status_labels_are_swedish_and_go_through_gettext(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.utils import translation

    assert Status.ACHIEVED.label == "Uppnått"
    assert Status.NO_DATA.label == "Underlag saknas"
    # Whatever the active catalogue answers is what users see.
    monkeypatch.setattr(translation._trans, "gettext", lambda message: f"<{message}>")
    assert Status.OFF_TRACK.label == "<Ej enligt plan>"
    assert dict(status_choices())[Status.AT_RISK.value] == "<Risk>"


# --- Measure: periods too few units have reported, shares, days --------------------------------

# The region's share of patients with a DÖ, monthly to October 2026, all 30 units reporting,
# then November with one unit's early report (12 of 60 = 20 %).
DO_SHARE = [
    (date(2026, 7, 31), Decimal("17.05")),
    (date(2026, 8, 31), Decimal("17.6")),
    (date(2026, 9, 30), Decimal("18.4")),
    (date(2026, 10, 31), Decimal("18.81")),
    (date(2026, 11, 30), Decimal("20")),
]
DO_REPORTED = {day: (30, 30) for day, _ in DO_SHARE[:-1]} | {date(2026, 11, 30): (1, 30)}


def do_share(**overrides: Any) -> GoalEvaluation:
    """Evaluate the PO 3 goal "all patients with a need for coordination have a DÖ by 2030"."""
    arguments: dict[str, Any] = {
        "as_of": date(2026, 12, 1),
        "deadline": date(2030, 12, 31),
        "series": DO_SHARE,
        "improvement": "higher",
        "target_value": Decimal(100),
        "measure_name": "andel patienter med samordningsbehov som har DÖ",
        "unit": "%",
        "reported": DO_REPORTED,
    }
    arguments.update(overrides)
    return evaluate_measure(**arguments)


def test_a_period_one_unit_of_thirty_has_reported_is_not_the_goals_latest_value() -> None:
    evaluation = do_share()

    assert evaluation.progress == Decimal("18.81")
    assert evaluation.basis["latest_period_end"] == "2026-10-31"
    assert evaluation.basis["incomplete_periods"] == [["2026-11-30", 1, 30]]
    assert [day for day, _ in evaluation.basis["trend_points"]] == [
        "2026-07-31",
        "2026-08-31",
        "2026-09-30",
        "2026-10-31",
    ]
    assert evaluation.explanation.startswith(
        "Andel patienter med samordningsbehov som har DÖ var 18,8\u00a0% i okt 2026 "
        "(senaste månaden som räknas) och "
        "trenden över de senaste 4 värdena (+"
    )
    assert evaluation.explanation.endswith(
        "; målet är minst 100\u00a0%. Perioden till 30 nov 2026 räknas inte: 1 av 30 enheter har "
        "rapporterat (minst 80\u00a0% behövs)."
    )


def test_a_share_goals_trend_is_in_percentage_points_and_its_values_to_one_decimal() -> None:
    evaluation = do_share()

    # One decimal, as the measure tables write a share's change: +0,60 a month is "+0,6".
    assert "(+0,6 procentenheter per månad)" in evaluation.explanation
    assert re.search(r"ger prognosen \d\d,\d\u00a0% vid 31 dec 2030", evaluation.explanation)
    assert "18,81" not in evaluation.explanation


def test_a_flat_share_trend_is_no_change_in_percentage_points() -> None:
    flat = [(day, Decimal(17)) for day, _ in DO_SHARE[:-1]]
    evaluation = do_share(series=flat, reported={})

    assert "var 17,0\u00a0% i okt 2026" in evaluation.explanation
    assert "(±0,0 procentenheter per månad)" in evaluation.explanation
    assert "ger prognosen 17,0\u00a0% vid 31 dec 2030" in evaluation.explanation


def test_a_relative_share_goal_writes_its_planned_change_signed_and_its_baseline_measured() -> None:
    evaluation = do_share(
        target_value=None,
        relative_change_pct=Decimal("50.00"),
        baseline_value=Decimal(12),
        baseline_label="jun 2026",
    )

    assert "minst 18\u00a0% (+50\u00a0% jämfört med 12,0\u00a0% i jun 2026)" in (
        evaluation.explanation
    )


def test_a_period_counts_once_enough_units_have_reported_it() -> None:
    reported = DO_REPORTED | {date(2026, 11, 30): (24, 30)}
    evaluation = do_share(reported=reported)

    assert evaluation.basis["latest_period_end"] == "2026-11-30"
    assert evaluation.basis["incomplete_periods"] == []
    assert "var 20,0\u00a0% i nov 2026 (senaste månaden)" in evaluation.explanation
    assert "räknas inte" not in evaluation.explanation


def test_the_reporting_threshold_is_a_rule_setting() -> None:
    rules = rules_from_mapping({"min_reported_pct": 0})
    assert do_share(rules=rules).basis["latest_period_end"] == "2026-11-30"
    with pytest.raises(ValueError, match="GONV_STATUS_RULES"):
        rules_from_mapping({"min_reported_pct": 101})


def test_a_measure_with_no_period_enough_units_have_reported_has_no_data() -> None:
    reported = {day: (3, 30) for day, _ in DO_SHARE}
    evaluation = do_share(reported=reported)

    assert evaluation.status is Status.NO_DATA
    assert evaluation.basis["rule"] == "too_few_reported"
    assert evaluation.progress is None
    assert "Perioderna till 31 jul 2026 (3 av 30)," in evaluation.explanation


def test_an_achieved_measure_goal_has_no_forecast() -> None:
    evaluation = do_share(target_value=Decimal(15))

    assert evaluation.status is Status.ACHIEVED
    assert evaluation.forecast is None
    assert evaluation.forecast_status is None


def test_days_left_of_a_deliverable_are_grouped_by_thousands() -> None:
    evaluation = evaluate_deliverable(
        as_of=date(2026, 12, 1), deadline=date(2030, 12, 31), completed_on=None, title="X"
    )
    assert "1\u00a0491\u00a0dagar kvar till 31 dec 2030" in evaluation.explanation


def test_a_share_that_rounds_onto_the_target_keeps_the_decimals_that_tell_it_short() -> None:
    # 999 of 1999 is 49.975 %: to one decimal it would read as the target, 50 %.
    evaluation = teamrond(active_units=1999, adopted=999, planned_by_deadline=0)
    assert "(49,97\u00a0%)" in evaluation.explanation


def test_a_measure_goals_sentence_names_the_period_its_value_is_of() -> None:
    # Portfölj showed "DÖ-andel 17,7 %" for Kv 3 2026 beside "var 18,4 % per 30 sep 2026": the
    # goal reads the latest month, the table the quarter. The sentence says which it is.
    monthly = do_share(as_of=date(2026, 10, 1), reported={})
    assert "var 18,4\u00a0% i sep 2026 (senaste månaden) och" in monthly.explanation
    assert "per 30 sep 2026" not in monthly.explanation

    quarterly = evaluate_measure(
        as_of=date(2026, 10, 1),
        deadline=date(2027, 12, 31),
        series=[(date(2026, 3, 31), Decimal(70)), (date(2026, 9, 30), Decimal("72.2"))],
        improvement="higher",
        target_value=Decimal(72),
        measure_name="Arbetsmiljö",
        quarterly=True,
    )
    assert quarterly.explanation.startswith("Arbetsmiljö var 72,2 i Kv 3 2026 (senaste kvartalet)")
