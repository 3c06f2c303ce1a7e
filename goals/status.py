"""Status engine for GONV goals: plain values in, a status that explains itself out.

No I/O, and of Django only gettext for the status labels: the quarterly job gathers counts and
series set-based and calls these functions (the numbers in the sentences are written by
base.formatting, plain as well). The rules are documented in docs/status-rules.md; keep the
two in step.
"""

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from enum import StrEnum
from itertools import pairwise
from typing import Any, Literal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from base.formatting import MINUS as _MINUS
from base.formatting import SPACE as _SPACE
from base.formatting import as_decimal as _dec
from base.formatting import (
    count_decimals,
    format_count_level,
    format_count_mean,
    format_number,
    format_percent,
    format_set_level,
    format_share,
    format_share_change,
    quantum,
)
from base.periods import Quarter, month_label
from base.periods import day_label as _day

UNKNOWN_RULES_ERROR = "Unknown GONV_STATUS_RULES keys: {names}."
RULE_TYPE_ERROR = "GONV_STATUS_RULES[{name!r}] must be {expected}, got {value!r}."
RULE_RANGE_ERROR = "GONV_STATUS_RULES[{name!r}] is out of range: {reason}."
TARGET_SHARE_ERROR = "target_share is a percentage and must be between 0 and 100."
UNIT_COUNT_ERROR = (
    "Unit counts must be >= 0 and adopted + planned_by_deadline must not exceed active_units."
)
START_AFTER_DEADLINE_ERROR = "start must not be after deadline."
MEASURE_TARGET_ERROR = "Give exactly one of target_value and relative_change_pct."
IMPROVEMENT_ERROR = "improvement must be 'higher' or 'lower'."
SERIES_ORDER_ERROR = "series must be in strictly increasing order of period end."


class Status(StrEnum):
    """Goal status; the values are stable codes stored in the database."""

    ACHIEVED = "uppnatt"
    ON_TRACK = "enligt_plan"
    AT_RISK = "risk"
    OFF_TRACK = "ej_enligt_plan"
    NOT_STARTED = "ej_paborjat"
    MISSED = "ej_uppnatt"
    NO_DATA = "underlag_saknas"
    NOT_ASSESSED = "ej_bedomt"

    @property
    def label(self) -> str:
        """The label shown to users, in the active language (Swedish msgid)."""
        return str(_LABELS[self])

    @property
    def severity(self) -> int:
        """Rank for ordering and roll-up: higher is worse."""
        return _SEVERITY[self]


class BaselineMethod(StrEnum):
    """How a baseline of several periods was reckoned from them (stored in the basis)."""

    # A share (a ratio): Σ täljare ÷ Σ nämnare over the periods, as the roll-up pools units.
    POOLED = "pooled"
    # A count (any measure rolled up as a sum): the mean of the periods' values (a value per
    # period).
    MEAN = "mean"
    # A share some of whose periods lack their täljare and nämnare: the mean of their values.
    MEAN_WITHOUT_PARTS = "mean_without_parts"
    # A weighted mean (an index weighted by respondents): Σ (värde × nämnare) ÷ Σ nämnare over
    # the periods, as the roll-up weights units.
    WEIGHTED = "weighted"
    # A weighted mean some of whose periods lack their nämnare: the mean of their values.
    MEAN_WITHOUT_WEIGHTS = "mean_without_weights"


_LABELS: dict[Status, Promise] = {
    Status.ACHIEVED: _("Uppnått"),
    Status.ON_TRACK: _("Enligt plan"),
    Status.AT_RISK: _("Risk"),
    Status.OFF_TRACK: _("Ej enligt plan"),
    Status.NOT_STARTED: _("Ej påbörjat"),
    Status.MISSED: _("Ej uppnått"),
    Status.NO_DATA: _("Underlag saknas"),
    Status.NOT_ASSESSED: _("Ej bedömt"),
}

# Unknown (no data, not assessed) ranks worse than "on plan" because nobody can vouch for it,
# but better than a known problem.
_SEVERITY: dict[Status, int] = {
    Status.ACHIEVED: 0,
    Status.NOT_STARTED: 1,
    Status.ON_TRACK: 2,
    Status.NOT_ASSESSED: 3,
    Status.NO_DATA: 4,
    Status.AT_RISK: 5,
    Status.OFF_TRACK: 6,
    Status.MISSED: 7,
}

ASSESSABLE_STATUSES: tuple[Status, ...] = tuple(s for s in Status if s is not Status.NOT_ASSESSED)


def status_choices(statuses: Iterable[Status] = tuple(Status)) -> list[tuple[str, Promise]]:
    """(code, label) pairs for a model field's choices; the labels are translated when shown,
    so this may be called at import time (before a language is active)."""
    return [(status.value, _LABELS[status]) for status in statuses]


@dataclass(frozen=True)
class StatusRules:
    """Thresholds of the status rules; each field is a key of GONV_STATUS_RULES."""

    at_risk_margin_pct: float = 10.0
    pace_margin_pct: float = 25.0
    not_started_grace_days: int = 92
    trend_periods: int = 4
    min_trend_points: int = 3
    measure_at_risk_margin_pct: float = 10.0
    min_reported_pct: float = 80.0

    def __post_init__(self) -> None:
        """Reject thresholds that would make the rules meaningless."""
        for name in (
            "at_risk_margin_pct",
            "pace_margin_pct",
            "measure_at_risk_margin_pct",
            "min_reported_pct",
        ):
            value = getattr(self, name)
            if not (math.isfinite(value) and 0 <= value <= 100):
                raise ValueError(RULE_RANGE_ERROR.format(name=name, reason="must be 0-100"))
        if self.not_started_grace_days < 0:
            raise ValueError(
                RULE_RANGE_ERROR.format(name="not_started_grace_days", reason="must be >= 0")
            )
        if self.min_trend_points < 2:
            raise ValueError(
                RULE_RANGE_ERROR.format(name="min_trend_points", reason="must be >= 2")
            )
        if self.trend_periods < self.min_trend_points:
            raise ValueError(
                RULE_RANGE_ERROR.format(name="trend_periods", reason="must be >= min_trend_points")
            )


DEFAULT_RULES = StatusRules()


def rules_from_mapping(overrides: Mapping[str, Any] | None) -> StatusRules:
    """Build StatusRules from the GONV_STATUS_RULES setting; unknown keys or bad values raise."""
    if not overrides:
        return DEFAULT_RULES
    kinds = {f.name: f.type for f in fields(StatusRules)}
    unknown = sorted(set(overrides) - set(kinds))
    if unknown:
        raise ValueError(UNKNOWN_RULES_ERROR.format(names=", ".join(unknown)))
    values: dict[str, Any] = {}
    for name, value in overrides.items():
        # bool is an int subclass, but True as a threshold is a typo, not a number.
        if kinds[name] is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(RULE_TYPE_ERROR.format(name=name, expected="an int", value=value))
            values[name] = value
        else:
            if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
                raise ValueError(
                    RULE_TYPE_ERROR.format(name=name, expected="a number", value=value)
                )
            values[name] = float(value)
    return replace(DEFAULT_RULES, **values)


@dataclass(frozen=True)
class Assessment:
    """A person's manual assessment of a goal, made at a quarterly follow-up."""

    status: Status
    comment: str
    author: str
    assessed_on: date

    def __post_init__(self) -> None:
        """Accept the stored status code as well as the enum member."""
        # The database hands back plain strings; the rules need the enum's label and severity.
        object.__setattr__(self, "status", Status(self.status))


@dataclass(frozen=True)
class GoalEvaluation:
    """The computed status of one goal, with the numbers behind it and the latest assessment."""

    status: Status | None
    progress: Decimal | None
    target: Decimal | None
    forecast: Decimal | None
    forecast_status: Status | None
    explanation: str
    basis: dict[str, Any]
    assessment: Assessment | None


# --- Swedish formatting (the numbers themselves: base.formatting) ----------------------------

_HUNDRED = Decimal(100)
_CENT = Decimal("0.01")
_MICRO = Decimal("0.000001")
# 365.25 / 12: an average month, so monthly and quarterly series get comparable slopes.
_DAYS_PER_MONTH = Decimal("30.4375")


def _format_against(
    value: Decimal, target: Decimal, *, higher: bool, percent: bool, decimals: int | None = None
) -> str:
    """Format value so that rounding never flips whether it looks as if it reaches target.

    A share is written as the tables beside the sentence show it (format_share: one decimal,
    ",0" too: "73,1 %", "48,0 %"), a value of a kind with fixed decimals (`decimals`: an index
    or a mean one, "72,0") with those, as its tables and "Underlag" write it, other values with
    up to two decimals; more only where that rounding would flip the comparison. (The examples
    of the plan write whole percent, "14 av 26 (54 %)"; one page showing "54 %" in its sentence
    and "53,8 %" in its table reads as two different numbers, so the tables' precision wins.)
    """

    def reaches(number: Decimal) -> bool:
        """Tell whether number reaches target in the direction of improvement."""
        return number >= target if higher else number <= target

    formatter: Callable[..., str] = format_percent if percent else format_number
    first = 1 if percent else 2 if decimals is None else decimals
    for places in range(first, max(first, 2) + 1):
        if reaches(value.quantize(quantum(places), ROUND_HALF_UP)) == reaches(value):
            if places == first:
                return format_share(value) if percent else format_number(value, decimals)
            return formatter(value, places)
    toward_target = ROUND_FLOOR if reaches(value) != higher else ROUND_CEILING
    return formatter(value.quantize(_CENT, toward_target), 2)


def _signed(text: str) -> str:
    """Prefix a plus sign to a formatted number above zero, "±" to a zero: a change always
    shows its sign ("±0 st", "±0,0", as the measure tables write one)."""
    if text.startswith(_MINUS):
        return text
    number = text.split(_SPACE)[0]
    return ("±" if number.strip("0,") == "" else "+") + text


def _with_unit(text: str, unit: str) -> str:
    """Append a unit after a formatted number."""
    return f"{text}{_SPACE}{unit}" if unit else text


def _latest_period(end: date, quarterly: bool, later_left_out: bool) -> str:
    """The period a measure goal's value is of, by its last day: "i sep 2026 (senaste
    månaden)", "i Kv 3 2026 (senaste kvartalet)"; "… som räknas" where later periods are left
    out (the sentence then says why). The month as the tables beside the sentence name it."""
    if quarterly:
        period, latest = Quarter.containing(end).label, "senaste kvartalet"
    else:
        period, latest = month_label(end), "senaste månaden"
    return f"i {period} ({latest}{' som räknas' if later_left_out else ''})"


def _count(n: int, singular: str, plural: str, space: str = " ") -> str:
    """Return "1 dag" or "1 491 dagar" (thousands grouped, as every number in a sentence)."""
    return f"{format_number(n)}{space}{singular if n == 1 else plural}"


def _days(n: int) -> str:
    """ "1 dag", "1 491 dagar", with a no-break space: a line never ends on the bare number."""
    return _count(n, "dag", "dagar", _SPACE)


def _capitalise(text: str) -> str:
    """Upper-case the first letter of a sentence without touching the rest."""
    return text[:1].upper() + text[1:]


def _json(value: Decimal | None) -> float | None:
    """Convert a Decimal for the JSON basis."""
    return None if value is None else float(value)


def _reported(value: Decimal) -> Decimal:
    """Round a reported value to the six decimals GoalResult stores.

    Not fewer: the pages round what is stored once more for display, and 14 of 26 (53.846 %)
    stored as 53.85 would show as "53,9 %" in a table beside a sentence saying "53,8 %".
    """
    return value.quantize(_MICRO, ROUND_HALF_UP)


# --- Adoption ---------------------------------------------------------------------------------


# What each rule code in `basis["rule"]` means, as the Mål page says it. The codes stay in the
# stored basis (stable, for the admin and tests); readers get these words, which hold for a
# method introduced and one phased out alike.
RULE_LABELS: dict[str, Promise] = {
    "achieved": _("Målet är nått"),
    "before_start": _("Målet har inte startat ännu"),
    "behind_pace": _("Prognosen når målet, men enheterna ligger efter jämn takt"),
    "baseline_missing": _("Basvärde saknas"),
    "completed_by_deadline": _("Klart senast måldatum"),
    "completed_late": _("Klart först efter måldatum"),
    "deadline_passed": _("Måldatum har passerat utan att målet nåtts"),
    "forecast_below_margin": _("Prognosen missar målet med mer än marginalen"),
    "forecast_meets_target": _("Prognosen når målet"),
    "forecast_within_margin": _("Prognosen missar målet men ligger inom marginalen"),
    "inconsistent_inputs": _("Målets uppgifter går inte ihop"),
    "manual_only": _("Bedöms manuellt (ingen mätbar målnivå)"),
    "no_active_units": _("Inga aktiva enheter att följa upp"),
    "no_values": _("Inga värden"),
    "nothing_adopted_or_planned": _("Inget infört, utfasat eller planerat ännu"),
    "open_assessed": _("Inte klart; status enligt den senaste bedömningen"),
    "open_before_deadline": _("Inte klart; måldatum har inte passerat"),
    "too_few_points": _("För få värden för en prognos"),
    "too_few_reported": _("För få enheter har rapporterat"),
}


def _forecast_judgement(shortfall: Decimal, tolerance: Decimal) -> tuple[Status, str]:
    """Judge a forecast from how far it falls short of the target."""
    if shortfall <= 0:
        return Status.ON_TRACK, "forecast_meets_target"
    if shortfall <= tolerance:
        return Status.AT_RISK, "forecast_within_margin"
    return Status.OFF_TRACK, "forecast_below_margin"


def _start_sentence(start: date, *, milestone: bool, start_from_area: bool) -> str:
    """ "Målet startar 1 maj 2025.", "Delmålet startar …", or, for a goal without a start date
    of its own, "Målet räknas från programområdets start 1 apr 2025." """
    subject = "Delmålet" if milestone else "Målet"
    if start_from_area:
        return f"{subject} räknas från programområdets start {_day(start)}."
    return f"{subject} startar {_day(start)}."


def _before_start(
    evaluation: GoalEvaluation,
    *,
    as_of: date,
    start: date | None,
    milestone: bool,
    start_from_area: bool,
) -> GoalEvaluation:
    """A goal evaluated on a day before its start is "Ej påbörjat", unless it is settled.

    A quarter that ends before the work is due to start has no plan to be behind, so neither a
    trend, nor missing values, nor an assessment makes it red (or green): the status says the
    goal has not started, the sentence says when it starts and then what the numbers show. What
    the numbers would say stays in `forecast_status`, as for an adoption goal. A settled status
    (the target already reached, a deadline passed) is a fact and is kept.
    """
    if (
        start is None
        or as_of >= start
        or evaluation.status in (None, Status.ACHIEVED, Status.MISSED)
    ):
        return evaluation
    basis = {**evaluation.basis, "rule": "before_start"}
    lead = _start_sentence(start, milestone=milestone, start_from_area=start_from_area)
    return replace(
        evaluation,
        status=Status.NOT_STARTED,
        explanation=f"{lead} {evaluation.explanation}",
        basis=basis,
    )


def evaluate_adoption(
    *,
    as_of: date,
    deadline: date,
    start: date | None,
    target_share: Decimal,
    method_name: str,
    unit_kind_plural: str,
    active_units: int,
    adopted: int,
    planned_by_deadline: int,
    assessment: Assessment | None = None,
    rules: StatusRules = DEFAULT_RULES,
    phase_out: bool = False,
) -> GoalEvaluation:
    """Evaluate a goal that a share of units has introduced a working method by a deadline
    (phase_out: has phased it out, the sentences then say "har fasat ut")."""
    target = _dec(target_share)
    if not 0 <= target <= _HUNDRED:
        raise ValueError(TARGET_SHARE_ERROR)
    if min(active_units, adopted, planned_by_deadline) < 0 or (
        adopted + planned_by_deadline > active_units
    ):
        raise ValueError(UNIT_COUNT_ERROR)
    if start is not None and start > deadline:
        raise ValueError(START_AFTER_DEADLINE_ERROR)

    evaluated_on = min(as_of, deadline)
    deadline_passed = as_of > deadline
    # The target share as it was set ("50 %"), the shares computed to one decimal.
    target_text = format_set_level(target)
    # The name quoted, as a deliverable's title is: a name is a proper noun mid-sentence
    # ("har infört arbetssättet ”Riskbedömning av sköra personer”"), not the start of a clause.
    method = f"arbetssättet ”{method_name}”"
    # What the units do with the method, in each form the sentences need.
    done, do, doing, doing_lower, one_plan, plans_of = (
        (
            "fasat ut",
            "fasa ut",
            "Utfasningen",
            "utfasningen",
            "planerad utfasning",
            "planerade utfasningar",
        )
        if phase_out
        else (
            "infört",
            "införa",
            "Införandet",
            "införandet",
            "planerat införande",
            "planerade införanden",
        )
    )
    basis: dict[str, Any] = {
        "kind": "adoption",
        "as_of": as_of.isoformat(),
        "evaluated_on": evaluated_on.isoformat(),
        "deadline": deadline.isoformat(),
        "start": start.isoformat() if start else None,
        "active_units": active_units,
        "adopted": adopted,
        "planned_by_deadline": planned_by_deadline,
        "target_pct": _json(target),
        "at_risk_margin_pct": rules.at_risk_margin_pct,
        "pace_margin_pct": rules.pace_margin_pct,
        "not_started_grace_days": rules.not_started_grace_days,
    }

    def result(
        status: Status,
        rule: str,
        explanation: str,
        share: Decimal | None = None,
        forecast: Decimal | None = None,
        forecast_status: Status | None = None,
    ) -> GoalEvaluation:
        """Record the deciding rule and build the evaluation."""
        basis.update(
            rule=rule,
            share_pct=_json(None if share is None else _reported(share)),
            forecast_pct=_json(None if forecast is None else _reported(forecast)),
        )
        return GoalEvaluation(
            status=status,
            progress=None if share is None else _reported(share),
            target=target,
            forecast=None if forecast is None else _reported(forecast),
            forecast_status=forecast_status,
            explanation=explanation,
            basis=basis,
            assessment=assessment,
        )

    if active_units == 0:
        return result(
            Status.NO_DATA,
            "no_active_units",
            f"Det finns inga aktiva {unit_kind_plural} att följa upp {doing_lower} av "
            f"{method} på; målet är {target_text} senast {_day(deadline)}.",
        )

    share = _HUNDRED * adopted / active_units
    share_text = _format_against(share, target, higher=True, percent=True)
    counted = f"{adopted} av {active_units} {unit_kind_plural} ({share_text})"

    if share >= target:
        status, rule = Status.ACHIEVED, "achieved"
        if deadline_passed:
            text = (
                f"{counted} hade {done} {method} vid måldatumet {_day(deadline)}; "
                f"målet var {target_text}."
            )
        else:
            text = f"{counted} har {done} {method}; målet är {target_text} senast {_day(deadline)}."
        # Reached is final: no forecast (it could only repeat "Enligt plan" beside "Uppnått").
        return result(status, rule, text, share)

    if deadline_passed:
        return result(
            Status.MISSED,
            "deadline_passed",
            f"{counted} hade {done} {method} vid måldatumet {_day(deadline)}; "
            f"målet var {target_text}.",
            share,
        )

    forecast = _HUNDRED * (adopted + planned_by_deadline) / active_units
    forecast_status, forecast_rule = _forecast_judgement(
        target - forecast, _dec(rules.at_risk_margin_pct)
    )
    forecast_text = _format_against(forecast, target, higher=True, percent=True)

    expected: Decimal | None = None
    if start is not None and start < deadline:
        elapsed = max(0, (evaluated_on - start).days)
        expected = target * elapsed / (deadline - start).days
        basis["expected_share_pct"] = _json(_reported(expected))

    # Before the start there is no plan to be behind: units that adopted early are told, and
    # the forecast's judgement stays in forecast_status, but the goal has not started.
    if start is not None and as_of < start:
        if adopted == 0 and planned_by_deadline == 0:
            so_far = (
                f"ingen av {active_units} {unit_kind_plural} har {done} eller planerat det ännu"
            )
        elif adopted == 0:
            so_far = f"{planned_by_deadline} av {active_units} {unit_kind_plural} har planerat det"
        else:
            so_far = f"{counted} har redan {done} det"
            if planned_by_deadline:
                so_far += f" och {planned_by_deadline} har planerat det"
        return result(
            Status.NOT_STARTED,
            "before_start",
            f"{doing} av {method} startar {_day(start)} och {so_far}; "
            f"målet är {target_text} senast {_day(deadline)}.",
            share,
            forecast,
            forecast_status,
        )

    if adopted == 0 and planned_by_deadline == 0:
        grace_ends = None if start is None else start + timedelta(days=rules.not_started_grace_days)
        if grace_ends is None or as_of < grace_ends:
            basis["grace_ends"] = grace_ends.isoformat() if grace_ends else None
            return result(
                Status.NOT_STARTED,
                "nothing_adopted_or_planned",
                f"Ingen av {active_units} {unit_kind_plural} har {done} eller planerat att "
                f"{do} {method} ännu; målet är {target_text} senast {_day(deadline)}.",
                share,
                forecast,
                forecast_status,
            )

    status, rule = forecast_status, forecast_rule
    if planned_by_deadline == 0:
        plans = f"utan fler {plans_of}"
    else:
        plans = "med " + _count(planned_by_deadline, one_plan, plans_of)
    text = (
        f"{counted} har {done} {method}; {plans} blir prognosen {forecast_text} "
        f"mot målet {target_text} senast {_day(deadline)}"
    )
    # Plans that all fall due at the end are a risk even when they add up: lower "on plan" when
    # the actual share lags far behind an even pace from start to deadline.
    if (
        status is Status.ON_TRACK
        and expected is not None
        and expected - share > _dec(rules.pace_margin_pct)
    ):
        status, rule = Status.AT_RISK, "behind_pace"
        text += (
            f", men {doing_lower} ligger efter jämn takt ({format_share(expected)} "
            f"förväntat {_day(evaluated_on)})"
        )
    return result(status, rule, text + ".", share, forecast, forecast_status)


# --- Deliverable ------------------------------------------------------------------------------

# What an assessment of an open deliverable means for its computed status. "Uppnått" is left
# out on purpose: completion is a fact recorded as a date, not an opinion.
_DELIVERABLE_FROM_ASSESSMENT: dict[Status, Status] = {
    Status.ON_TRACK: Status.ON_TRACK,
    Status.AT_RISK: Status.AT_RISK,
    Status.OFF_TRACK: Status.OFF_TRACK,
    Status.NOT_STARTED: Status.NOT_STARTED,
    Status.MISSED: Status.OFF_TRACK,
}


def evaluate_deliverable(
    *,
    as_of: date,
    deadline: date,
    completed_on: date | None,
    title: str,
    assessment: Assessment | None = None,
    rules: StatusRules = DEFAULT_RULES,
    start: date | None = None,
    milestone: bool = False,
    start_from_area: bool = False,
) -> GoalEvaluation:
    """Evaluate a goal that something is decided or done by a deadline.

    start: the day the goal counts from (its own start, else its programme area's:
    start_from_area); before it an open deliverable is "Ej påbörjat" (_before_start).
    """
    # rules is accepted so that every evaluator is called alike; no threshold applies here.
    quoted = f"”{title}”"
    # A completion after as_of had not happened yet on the evaluated date (recomputed quarters).
    done_on = completed_on if completed_on is not None and completed_on <= as_of else None
    basis: dict[str, Any] = {
        "kind": "deliverable",
        "as_of": as_of.isoformat(),
        "deadline": deadline.isoformat(),
        "starts_on": start.isoformat() if start else None,
        "completed_on": done_on.isoformat() if done_on else None,
    }

    if done_on is not None and done_on <= deadline:
        status, rule = Status.ACHIEVED, "completed_by_deadline"
        text = f"{quoted} slutfördes {_day(done_on)}, i tid till måldatumet {_day(deadline)}."
    elif done_on is not None:
        days_late = (done_on - deadline).days
        basis["days_late"] = days_late
        status, rule = Status.MISSED, "completed_late"
        text = (
            f"{quoted} slutfördes {_day(done_on)}, "
            f"{_days(days_late)} efter måldatumet {_day(deadline)}."
        )
    elif as_of > deadline:
        status, rule = Status.MISSED, "deadline_passed"
        text = f"{quoted} har inte slutförts och måldatumet {_day(deadline)} har passerat."
    else:
        days_left = (deadline - as_of).days
        basis["days_left"] = days_left
        text = f"{quoted} har inte slutförts ännu; {_days(days_left)} kvar till {_day(deadline)}"
        # An assessment dated after as_of was not known on the evaluated date.
        derived = None
        if assessment is not None and assessment.assessed_on <= as_of:
            derived = _DELIVERABLE_FROM_ASSESSMENT.get(assessment.status)
        if assessment is not None and derived is not None:
            status, rule = derived, "open_assessed"
            basis["assessment_status"] = assessment.status.value
            text += (
                f" och {assessment.author} bedömde {_day(assessment.assessed_on)} "
                f"läget som {assessment.status.label.lower()}."
            )
        else:
            status, rule = Status.ON_TRACK, "open_before_deadline"
            text += "."
    basis["rule"] = rule
    evaluation = GoalEvaluation(
        status=status,
        progress=None,
        target=None,
        forecast=None,
        forecast_status=None,
        explanation=text,
        basis=basis,
        assessment=assessment,
    )
    return _before_start(
        evaluation,
        as_of=as_of,
        start=start,
        milestone=milestone,
        start_from_area=start_from_area,
    )


# --- Measure ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Trend:
    """A least-squares line through the last points of a series."""

    points: tuple[tuple[date, Decimal], ...]
    slope_per_day: Decimal
    forecast: Decimal


def _linear_trend(points: Sequence[tuple[date, Decimal]], at: date) -> _Trend:
    """Fit value = a + b * days by least squares and extrapolate it to the given date."""
    origin = points[0][0]
    xs = [Decimal((day - origin).days) for day, _ in points]
    ys = [value for _, value in points]
    n = Decimal(len(points))
    mean_x = sum(xs, Decimal(0)) / n
    mean_y = sum(ys, Decimal(0)) / n
    sxx = sum(((x - mean_x) ** 2 for x in xs), Decimal(0))
    sxy = sum(((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)), Decimal(0))
    slope = sxy / sxx
    forecast = mean_y + slope * (Decimal((at - origin).days) - mean_x)
    return _Trend(points=tuple(points), slope_per_day=slope, forecast=forecast)


def reported_enough(
    period_end: date, reported: Mapping[date, tuple[int, int]], rules: StatusRules
) -> bool:
    """Whether enough of the units expected to report a period did, for its value to count.

    A region's value summed or averaged over the few units that reported early is not the
    region's value: one health centre's 20 % is not the region's share. A period not in
    `reported`, or one that expects no units, counts (nothing says it is incomplete).
    """
    reporting, expected = reported.get(period_end, (0, 0))
    if expected <= 0:
        return True
    return _HUNDRED * reporting >= _dec(rules.min_reported_pct) * expected


def _left_out_sentence(
    days: Sequence[date], reported: Mapping[date, tuple[int, int]], rules: StatusRules
) -> str:
    """ "Perioden till 30 nov 2026 räknas inte: 1 av 30 enheter har rapporterat (minst 80 %
    behövs)." for the periods left out after the latest that counts; "" for none."""
    if not days:
        return ""
    needed = format_set_level(_dec(rules.min_reported_pct))
    if len(days) == 1:
        reporting, expected = reported[days[0]]
        return (
            f"Perioden till {_day(days[0])} räknas inte: {format_number(reporting)} av "
            f"{format_number(expected)} enheter har rapporterat (minst {needed} behövs)."
        )
    parts = [
        f"{_day(day)} ({format_number(reported[day][0])} av {format_number(reported[day][1])})"
        for day in days
    ]
    listed = ", ".join(parts[:-1]) + " och " + parts[-1]
    return (
        f"Perioderna till {listed} räknas inte: minst {needed} av enheterna behöver ha rapporterat."
    )


def evaluate_measure(
    *,
    as_of: date,
    deadline: date,
    series: Sequence[tuple[date, Decimal]],
    improvement: Literal["higher", "lower"],
    target_value: Decimal | None = None,
    relative_change_pct: Decimal | None = None,
    baseline_value: Decimal | None = None,
    baseline_label: str | None = None,
    baseline_periods: int = 1,
    baseline_method: BaselineMethod | None = None,
    measure_name: str,
    unit: str = "",
    decimals: int | None = None,
    counts: bool = False,
    quarterly: bool = False,
    reported: Mapping[date, tuple[int, int]] | None = None,
    assessment: Assessment | None = None,
    rules: StatusRules = DEFAULT_RULES,
    start: date | None = None,
    milestone: bool = False,
    start_from_area: bool = False,
) -> GoalEvaluation:
    """Evaluate a goal that a measured value reaches an absolute or baseline-relative target.

    The value judged is the latest period's (a month, or a quarter where `quarterly`), not
    the quarter's: the sentence names that period ("var 18,4 % i sep 2026 (senaste
    månaden)"), so that it does not read as a second value for the quarter its table shows.

    reported: per period end, (units that reported, units expected to); a period where fewer
    than rules.min_reported_pct of the expected units reported is left out (see
    reported_enough). A period not in it, or expecting no units, counts.

    start: the day the goal counts from (its own start, else its programme area's:
    start_from_area); before it the goal is "Ej påbörjat" unless its value already meets the
    target (_before_start).

    baseline_method: how a baseline of several periods was reckoned (BaselineMethod; None for
    one period): a share's pooled over them (or a weighted mean's weighted by its nämnare over
    them) is the value of the whole period ("62,3 % för jan–dec 2025 som helhet"), any other
    the mean per period ("i snitt 195 st per månad …").

    unit: the unit written after a value ("st", "%"; none for a scale such as "index", as the
    tables write an index). decimals: the decimals the measure's values are written with where
    its kind fixes them (followup.charts.KIND_DECIMALS: an index or a mean one, "79,6"), so that
    the sentence writes its baseline, target and values as the goal's "Underlag", tables and
    chart do, and its monthly trend ("+1,3 per månad", as the measure pages write a change of
    one); None: up to two ("195,25 st"). A share is written as every share (format_share).
    counts: the measure's values are counts (value type count): a baseline that is the mean of
    several periods is no count and is written to one decimal where it is not whole ("i snitt
    195,5 st"; base.formatting.format_count_mean), as the "Underlag" writes it; so are a
    target computed from it, the forecast and the trend per month ("minst 215,1 st",
    "+2,4 st per månad"; more decimals only where rounding would make a value look as if it
    reached the target, base.formatting.format_count_target and format_count_against).
    """
    if target_value is not None and relative_change_pct is not None:
        raise ValueError(MEASURE_TARGET_ERROR)
    if improvement not in ("higher", "lower"):
        raise ValueError(IMPROVEMENT_ERROR)
    points = [(day, _dec(value)) for day, value in series]
    if any(later <= earlier for (earlier, _), (later, _) in pairwise(points)):
        raise ValueError(SERIES_ORDER_ERROR)

    higher = improvement == "higher"
    name = _capitalise(measure_name)
    evaluated_on = min(as_of, deadline)
    deadline_passed = as_of > deadline
    basis: dict[str, Any] = {
        "kind": "measure",
        "as_of": as_of.isoformat(),
        "evaluated_on": evaluated_on.isoformat(),
        "deadline": deadline.isoformat(),
        "starts_on": start.isoformat() if start else None,
        "improvement": improvement,
        "target_kind": "absolute" if target_value is not None else "relative",
        "relative_change_pct": _json(
            None if relative_change_pct is None else _dec(relative_change_pct)
        ),
        "baseline_value": _json(None if baseline_value is None else _dec(baseline_value)),
        "baseline_label": baseline_label,
        "baseline_periods": baseline_periods,
        "baseline_method": None if baseline_method is None else str(baseline_method),
        "trend_periods": rules.trend_periods,
        "min_trend_points": rules.min_trend_points,
        "measure_at_risk_margin_pct": rules.measure_at_risk_margin_pct,
        "min_reported_pct": rules.min_reported_pct,
    }

    def result(
        status: Status,
        rule: str,
        explanation: str,
        *,
        target: Decimal | None,
        latest: Decimal | None = None,
        trend: _Trend | None = None,
        forecast_status: Status | None = None,
    ) -> GoalEvaluation:
        """Record the deciding rule and the trend, and build the evaluation."""
        basis.update(rule=rule, target=_json(target), latest_value=_json(latest))
        forecast = None if trend is None else _reported(trend.forecast)
        if trend is not None:
            basis.update(
                trend_points=[[day.isoformat(), float(value)] for day, value in trend.points],
                slope_per_day=float(trend.slope_per_day),
                slope_per_month=float(trend.slope_per_day * _DAYS_PER_MONTH),
                forecast=_json(forecast),
            )
        evaluation = GoalEvaluation(
            status=status,
            progress=latest,
            target=target,
            forecast=forecast,
            forecast_status=forecast_status,
            explanation=explanation,
            basis=basis,
            assessment=assessment,
        )
        return _before_start(
            evaluation,
            as_of=as_of,
            start=start,
            milestone=milestone,
            start_from_area=start_from_area,
        )

    if target_value is not None:
        target = _dec(target_value)
        detail = ""
    elif relative_change_pct is not None:
        change = _dec(relative_change_pct)
        if baseline_value is None:
            period = f"Basperioden {baseline_label}" if baseline_label else "Basperioden"
            return result(
                Status.NO_DATA,
                "baseline_missing",
                f"{period} har ännu inga värden; målet beräknas när de finns.",
                target=None,
            )
        baseline = _dec(baseline_value)
        target = baseline * (1 + change / _HUNDRED)
        # A share as the target beside it and the tables write one ("58,3 %", not "58,33 %").
        # A mean of several periods' counts to one decimal where it is not whole ("195,5 st").
        count_mean = counts and baseline_periods > 1 and baseline_method is not None
        baseline_text = (
            format_share(baseline)
            if unit.strip() == "%"
            else _with_unit(
                format_count_mean(baseline) if count_mean else format_number(baseline, decimals),
                unit,
            )
        )
        # A baseline of several periods is a value per period, as the value it is compared
        # with is one period's: a share's pooled over them is the share of the whole period
        # ("62,3 % för jan–dec 2025 som helhet"), as a weighted mean's weighted over them is
        # the whole period's ("74,2 för jan–dec 2025 som helhet"), any other value their mean
        # per period ("i snitt 195 st per månad jan–dec 2025").
        per = "kvartal" if quarterly else "månad"
        whole = baseline_method in (BaselineMethod.POOLED, BaselineMethod.WEIGHTED)
        if baseline_label and baseline_periods > 1 and whole:
            compared = f"{baseline_text} för {baseline_label} som helhet"
        elif baseline_label and baseline_periods > 1:
            compared = f"i snitt {baseline_text} per {per} {baseline_label}"
        elif baseline_label:
            compared = f"{baseline_text} i {baseline_label}"
        else:
            compared = f"basvärdet {baseline_text}"
        detail = f" ({format_set_level(change, signed=True)} jämfört med {compared})"
    else:
        raise ValueError(MEASURE_TARGET_ERROR)
    basis["target"] = _json(target)
    bound = "minst" if higher else "högst"
    share = unit.strip() == "%"

    # A count's or an index's or a mean's target is written as GoalResult stores it, six
    # decimals, as the "Underlag" and the Prognos column read it: +95 % on 523/3 is
    # 339,949999… computed, "339,9", but 339,95 stored, "340" (an index's 160,3/3 + 50 %
    # "80,1" against the stored 80,15's "80,2").
    stated = _reported(target)

    # A count's target computed from its baseline and its forecast are no counts: one decimal
    # where not whole ("minst 215,1 st"), the target's and the values' more together only where
    # that would make a value look as if it reached the target (base.formatting.count_decimals:
    # "215 st" against "minst 215,04 st"), as the "Underlag" and the Prognos column write them.
    def places(*values: Decimal) -> int:
        """The decimals of a count goal's target and of the values written against it."""
        return count_decimals(stated, [_reported(value) for value in values], higher=higher)

    def shown(value: Decimal, *against: Decimal) -> str:
        """A value of the measure against the target, a share as the tables show one; a
        count's as the target is written beside the values `against` (value among them)."""
        if share:
            return _format_against(value, target, higher=higher, percent=True)
        if counts:
            return _with_unit(format_count_level(_reported(value), places(value, *against)), unit)
        return _with_unit(
            _format_against(value, stated, higher=higher, percent=False, decimals=decimals), unit
        )

    def goal_against(*values: Decimal) -> str:
        """The target as a level ("minst 50 %", "minst 83,6" of an index, "minst 215,1 st" of a
        count), as the goal's "Underlag", table and chart write it: a count's to the decimals
        of the values written beside it."""
        if share:
            level = format_set_level(target)
        elif counts:
            level = _with_unit(format_count_level(stated, places(*values)), unit)
        else:
            level = _with_unit(format_number(stated, decimals), unit)
        return f"{bound} {level}{detail}"

    goal = goal_against()

    dated = [(day, value) for day, value in points if day <= evaluated_on]
    known = [(day, value) for day, value in dated if reported_enough(day, reported or {}, rules)]
    # The periods after the latest one that counts: what a reader would take for the latest
    # value if the sentence did not say why it is left out (one unit's early report is not
    # the region's value).
    after = [day for day, _ in dated if not known or day > known[-1][0]]
    basis["incomplete_periods"] = [
        [day.isoformat(), *(reported or {})[day]]
        for day, _ in dated
        if not reported_enough(day, reported or {}, rules)
    ]
    left_out = _left_out_sentence(after, reported or {}, rules)
    if not known:
        if left_out:
            return result(
                Status.NO_DATA,
                "too_few_reported",
                f"{name} har ingen period till och med {_day(evaluated_on)} där tillräckligt "
                f"många enheter har rapporterat; målet är {goal} senast {_day(deadline)}. "
                f"{left_out}",
                target=target,
            )
        return result(
            Status.NO_DATA,
            "no_values",
            f"{name} har inga värden till och med {_day(evaluated_on)}; "
            f"målet är {goal} senast {_day(deadline)}.",
            target=target,
        )

    latest_on, latest = known[-1]
    basis["latest_period_end"] = latest_on.isoformat()
    reached = latest >= target if higher else latest <= target
    now = f"{name} var {shown(latest)} {_latest_period(latest_on, quarterly, bool(left_out))}"
    goal = goal_against(latest)
    tail = f" {left_out}" if left_out else ""

    used = known[-rules.trend_periods :]
    trend = (
        _linear_trend(used, deadline)
        if not deadline_passed and len(used) >= rules.min_trend_points
        else None
    )
    forecast_status: Status | None = None
    forecast_rule = ""
    if trend is not None:
        shortfall = target - trend.forecast if higher else trend.forecast - target
        tolerance = abs(target) * _dec(rules.measure_at_risk_margin_pct) / _HUNDRED
        forecast_status, forecast_rule = _forecast_judgement(shortfall, tolerance)

    if reached:
        # Reached is final for the sentence and the page: no forecast beside "Uppnått".
        return result(
            Status.ACHIEVED,
            "achieved",
            f"{now}, vilket når målet {goal} senast {_day(deadline)}.{tail}",
            target=target,
            latest=latest,
        )
    if deadline_passed:
        return result(
            Status.MISSED,
            "deadline_passed",
            f"{now} och nådde inte målet {goal} senast {_day(deadline)}.{tail}",
            target=target,
            latest=latest,
        )
    if trend is None or forecast_status is None:
        return result(
            Status.NO_DATA,
            "too_few_points",
            f"{now}, men {_count(len(used), 'värde', 'värden')} räcker inte för en prognos "
            f"(minst {rules.min_trend_points} behövs); "
            f"målet är {goal} senast {_day(deadline)}.{tail}",
            target=target,
            latest=latest,
        )

    # A share changes by percentage points, as the measure tables write its changes; an index
    # or a mean by its values' one decimal, as the measure pages write its change ("+1,3").
    slope_per_month = trend.slope_per_day * _DAYS_PER_MONTH
    slope_text = (
        format_share_change(slope_per_month)
        if share
        else _with_unit(
            _signed(
                format_count_mean(slope_per_month)
                if counts
                else format_number(slope_per_month, decimals)
            ),
            unit,
        )
    )
    # The latest value, the forecast and the target read against each other.
    now = (
        f"{name} var {shown(latest, trend.forecast)} "
        f"{_latest_period(latest_on, quarterly, bool(left_out))}"
    )
    goal = goal_against(latest, trend.forecast)
    forecast_text = shown(trend.forecast, latest)
    return result(
        forecast_status,
        forecast_rule,
        f"{now} och trenden över de senaste {len(used)} värdena ({slope_text} per månad) "
        f"ger prognosen {forecast_text} vid {_day(deadline)}; målet är {goal}.{tail}",
        target=target,
        latest=latest,
        trend=trend,
        forecast_status=forecast_status,
    )


# --- Direction, roll-up and display -----------------------------------------------------------


# A direction goal nobody has assessed: stored in Swedish as every explanation is, and marked
# for the catalogue because the goal line shows it translated, in the words of the status
# "Ej bedömt" (templates/includes/goal_result_lines.html), whatever an older row stored.
NOT_ASSESSED_YET = gettext_noop("Ej bedömt ännu.")


def evaluate_direction(*, assessment: Assessment | None) -> GoalEvaluation:
    """Describe a qualitative goal: no computed status, only the latest manual assessment."""
    basis: dict[str, Any] = {"kind": "direction", "rule": "manual_only"}
    if assessment is None:
        text = NOT_ASSESSED_YET
    else:
        basis.update(
            assessment_status=assessment.status.value,
            author=assessment.author,
            assessed_on=assessment.assessed_on.isoformat(),
        )
        text = (
            f"{assessment.author} bedömde {_day(assessment.assessed_on)} "
            f"läget som {assessment.status.label.lower()}."
        )
    return GoalEvaluation(
        status=None,
        progress=None,
        target=None,
        forecast=None,
        forecast_status=None,
        explanation=text,
        basis=basis,
        assessment=assessment,
    )


# The engine's own checks, as a user reads them in the explanation of an inconsistent goal.
_INCONSISTENCY_REASONS: dict[str, str] = {
    TARGET_SHARE_ERROR: "målandelen är inte mellan 0 och 100 %",
    UNIT_COUNT_ERROR: "antalet enheter går inte ihop (negativt, eller fler införda än enheter)",
    START_AFTER_DEADLINE_ERROR: "startdatumet (eller programområdets start) är efter måldatumet",
    MEASURE_TARGET_ERROR: "målet behöver antingen ett målvärde eller en förändring mot basperiod",
    IMPROVEMENT_ERROR: "jämförelseriktningen är varken högre eller lägre",
    SERIES_ORDER_ERROR: "måttets perioder är inte i ordning",
}


def evaluate_inconsistent(*, error: Exception, assessment: Assessment | None) -> GoalEvaluation:
    """A goal whose inputs contradict each other: "underlag saknas", with the reason.

    The quarterly job evaluates each goal on its own: one goal's bad data must not stop the
    quarter's other goals from getting a status.
    """
    message = str(error)
    reason = _INCONSISTENCY_REASONS.get(message, message or type(error).__name__)
    return GoalEvaluation(
        status=Status.NO_DATA,
        progress=None,
        target=None,
        forecast=None,
        forecast_status=None,
        explanation=f"Målets uppgifter går inte ihop: {reason}. Rätta målet så beräknas det igen.",
        basis={"rule": "inconsistent_inputs", "error": f"{type(error).__name__}: {message}"},
        assessment=assessment,
    )


def overall_status(statuses: Iterable[Status | None]) -> Status | None:
    """Roll statuses up to one: worst of them, never better than "on plan" for a mixed set."""
    considered = [s for s in statuses if s is not None and s is not Status.NOT_ASSESSED]
    if not considered:
        return None
    if len(set(considered)) == 1:
        return considered[0]
    worst = max(considered, key=lambda s: s.severity)
    # A mix of achieved and not-yet-started parts is work in progress, not done and not idle.
    return worst if worst.severity > Status.ON_TRACK.severity else Status.ON_TRACK
