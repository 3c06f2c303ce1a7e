"""The rules every stored measure value keeps, in words: one set of messages for every writer.

The import checks a file's rows with them (followup.imports: row by row in Python, set-based in
SQL), the reporting grid its cells (`share_parts_problem`, `count_problem`, `range_problem`,
before anything is saved) and the model every other write (`Observation.clean`: the admin and
its history revert, the services), so a value the import refuses is refused everywhere, in the
same Swedish. Imports nothing of followup: the models and the import both
stand above it. What a value of a measure's kind may be (0–100, not negative, whole) is
base.measure_values', which a goal's target keeps too (goals cannot import followup); its
messages and checks are re-exported here, where every writer of a value finds them.
"""

from __future__ import annotations

import calendar
import datetime
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext, gettext_noop

from base.measure_values import COUNT as COUNT
from base.measure_values import ERROR_COUNT_DECIMALS as ERROR_COUNT_DECIMALS
from base.measure_values import ERROR_COUNT_NEGATIVE as ERROR_COUNT_NEGATIVE
from base.measure_values import ERROR_INDEX_RANGE as ERROR_INDEX_RANGE
from base.measure_values import ERROR_SHARE_RANGE as ERROR_SHARE_RANGE
from base.measure_values import INDEX as INDEX
from base.measure_values import SHARE as SHARE
from base.measure_values import ValueProblem, value_message, value_problem
from base.measure_values import number_text as number_text
from base.periods import MONTH_NAMES_SV, Quarter, day_label, month_label

# How far a share's value may be from täljare ÷ nämnare × 100.
TOLERANCE = Decimal("0.05")

ERROR_PERIOD_IN_FUTURE = gettext_noop("Perioden {period} har inte börjat än.")
# A period that has begun but not ended: its values would be part of a month (or quarter) and
# be counted as the whole one ("hittills", the control charts).
ERROR_MONTH_NOT_ENDED = gettext_noop(
    "{period} pågår till och med {end}; värden rapporteras när månaden är slut."
)
ERROR_QUARTER_NOT_ENDED = gettext_noop(
    "{period} pågår till och med {end}; värden rapporteras när kvartalet är slut."
)
ERROR_UNIT_NOT_ACTIVE = gettext_noop("Enheten ”{unit}” var inte verksam under {period}.")
ERROR_KIND_DOES_NOT_REPORT = gettext_noop(
    "Enheter av typen {kind} rapporterar inte måttet ”{measure}”."
)
ERROR_NEGATIVE = gettext_noop("Talet kan inte vara negativt ({value}).")
ERROR_DENOMINATOR_ZERO = gettext_noop("Nämnaren kan inte vara 0.")
ERROR_PERIOD_NOT_WHOLE_MONTH = gettext_noop(
    "Perioden {period} är inte en hel månad, men måttet ”{measure}” rapporteras per "
    "månad: perioden ska börja den första och sluta den sista dagen i samma månad, till exempel "
    "{example}."
)
ERROR_PERIOD_NOT_WHOLE_QUARTER = gettext_noop(
    "Perioden {period} är inte ett helt kvartal, men måttet ”{measure}” rapporteras per "
    "kvartal: perioden ska börja den första dagen i kvartalet och sluta den sista, till exempel "
    "{example}."
)
ERROR_NUMERATOR_ABOVE_DENOMINATOR = gettext_noop(
    "Täljaren ({numerator}) är större än nämnaren ({denominator}), men en andel kan inte vara "
    "över 100 procent. Kontrollera talen: har de bytt plats?"
)
ERROR_PAIR_INCOMPLETE = gettext_noop("Täljare och nämnare måste anges tillsammans.")
# A share is summed as Σ täljare ÷ Σ nämnare: a value alone would count as reported and be left
# out of every total.
ERROR_SHARE_PARTS_MISSING = gettext_noop(
    "Måttet ”{measure}” är en andel: ange täljare och nämnare (värdet räknas ut)."
)
# {tolerance}: TOLERANCE for a stored value; an import's cell may be as far as half of its last
# written decimal ("72" ± 0,5: followup.imports.parsing.value_tolerance), since the value
# stored is then computed from täljare and nämnare.
ERROR_VALUE_INCONSISTENT = gettext_noop(
    "Värdet {value} stämmer inte med täljare ÷ nämnare × 100 = {computed} (högst {tolerance} "
    "ifrån)."
)
# A percent sign in täljare or nämnare: they are counts (a share's value is computed from them),
# so the message says what to write there, not that percent fits only shares.
ERROR_NUMERATOR_PERCENT = gettext_noop(
    "Täljaren är ett antal, inte en procentsats: skriv antalet, t.ex. 212."
)
ERROR_DENOMINATOR_PERCENT = gettext_noop(
    "Nämnaren är ett antal, inte en procentsats: skriv antalet, t.ex. 400."
)


def period_last_day(start: datetime.date, *, quarterly: bool) -> datetime.date:
    """The last day of the month (or, `quarterly`, the quarter) that begins on `start`."""
    if quarterly:
        return Quarter.containing(start).end
    return start.replace(day=calendar.monthrange(start.year, start.month)[1])


def period_not_ended(start: datetime.date, *, quarterly: bool, today: datetime.date) -> bool:
    """Whether the month (quarter) beginning on `start` has not ended by `today`: values are
    reported for a period from the day after its last day, never for one still running."""
    return period_last_day(start, quarterly=quarterly) >= today


def period_open_problem(
    start: datetime.date, *, quarterly: bool, today: datetime.date
) -> str | None:
    """Why nothing can be reported yet for the month (quarter) beginning on `start`: it has
    not begun, or it runs until a day not yet past; None once it has ended. The one rule of
    every writer (the import, row by row and in SQL, the model and so the admin, the grid)."""
    if not period_not_ended(start, quarterly=quarterly, today=today):
        return None
    if start > today:
        label = Quarter.containing(start).label if quarterly else month_label(start)
        return gettext(ERROR_PERIOD_IN_FUTURE).format(period=label)
    return not_ended_message(start, quarterly=quarterly)


def not_ended_message(start: datetime.date, *, quarterly: bool) -> str:
    """ "December 2026 pågår till och med 31 dec 2026; värden rapporteras när månaden är
    slut." for the month (quarter) beginning on `start`, which has begun and not ended."""
    end = period_last_day(start, quarterly=quarterly)
    if quarterly:
        label, message = Quarter.containing(start).label, ERROR_QUARTER_NOT_ENDED
    else:
        name = MONTH_NAMES_SV[start.month - 1]
        label, message = f"{name[0].upper()}{name[1:]} {start.year}", ERROR_MONTH_NOT_ENDED
    return gettext(message).format(period=label, end=day_label(end))


def share_of(numerator: Decimal, denominator: Decimal) -> Decimal:
    """A share in percent from its parts (the denominator above zero)."""
    return numerator / denominator * Decimal(100)


def share_consistent(value: Decimal, numerator: Decimal, denominator: Decimal) -> bool:
    """Whether a share's value is its parts' täljare ÷ nämnare × 100, within TOLERANCE."""
    return abs(value - share_of(numerator, denominator)) <= TOLERANCE


def jump_limit() -> Decimal:
    """How many per cent a value may move from the previous period without a comment
    (GONV_REPORT_JUMP_PCT)."""
    return Decimal(str(settings.GONV_REPORT_JUMP_PCT))


def jump_limit_text(limit: Decimal) -> str:
    """The limit as the messages write it: 50, 12,5."""
    return format(limit.normalize(), "f").replace(".", ",")


def jumped(value: Decimal, previous: Decimal | None, limit: Decimal) -> bool:
    """Whether a value differs more than `limit` per cent from the previous period's (any
    change from 0 counts): the reporting grid then asks for a comment, the import warns. Without
    a division, so that PostgreSQL (services._staged_jumps) decides every case alike."""
    if previous is None:
        return False
    if previous == 0:
        return value != 0
    return abs(value - previous) * 100 > limit * abs(previous)


# --- the checks of one value, worded (the reporting grid's; the import words them alike) -----

# The roll-up rule (Measure.Aggregation) that weights each value by its nämnare alone.
WEIGHTED_MEAN = "weighted_mean"


def weighted_by_denominator(aggregation: str) -> bool:
    """Whether a measure's values are averaged up the tree weighted by their nämnare alone
    (the engine's weighted mean, followup.compute.rollup: Σ värde × nämnare ÷ Σ nämnare, an
    index's nämnare being its number of respondents). Its täljare is not needed, so värde +
    nämnare is a whole observation; a value given without a nämnare where a nämnare is stored
    keeps the stored one (`kept_weight`) rather than silently weighing 1."""
    return aggregation == WEIGHTED_MEAN


def pair_missing(
    aggregation: str, numerator: object | None, denominator: object | None
) -> str | None:
    """Which of täljare and nämnare is missing ("numerator", "denominator") when only the
    other is given, or None. A weighted mean's nämnare needs no täljare (its value is then
    required, as every value is: the caller says so)."""
    if (numerator is None) == (denominator is None):
        return None
    if numerator is None and weighted_by_denominator(aggregation):
        return None
    return "numerator" if numerator is None else "denominator"


def kept_weight(
    aggregation: str,
    numerator: object | None,
    denominator: object | None,
    stored_denominator: object | None,
) -> bool:
    """Whether a value given without täljare and nämnare keeps the stored nämnare: a weighted
    mean's weight is dropped only by writing another, never by leaving the nämnare out."""
    return (
        weighted_by_denominator(aggregation)
        and numerator is None
        and denominator is None
        and stored_denominator is not None
    )


def share_parts_problem(
    numerator: Decimal | None, denominator: Decimal | None, *, weight_alone: bool = False
) -> tuple[str, str] | None:
    """The first problem of a share's parts (or of a weighted mean's nämnare, with
    `weight_alone`: a nämnare without a täljare is then whole), as (field, message), or None.
    Both missing is none: whether a value is required is the caller's to say."""
    if numerator is None and denominator is None:
        return None
    if numerator is None and denominator is not None and weight_alone:
        if denominator < 0:
            return "denominator", gettext(ERROR_NEGATIVE).format(value=number_text(denominator))
        if denominator == 0:
            return "denominator", gettext(ERROR_DENOMINATOR_ZERO)
        return None
    if numerator is None or denominator is None:
        return ("numerator" if numerator is None else "denominator", gettext(ERROR_PAIR_INCOMPLETE))
    if denominator < 0:
        return "denominator", gettext(ERROR_NEGATIVE).format(value=number_text(denominator))
    if denominator == 0:
        return "denominator", gettext(ERROR_DENOMINATOR_ZERO)
    if numerator < 0:
        return "numerator", gettext(ERROR_NEGATIVE).format(value=number_text(numerator))
    if numerator > denominator:
        message = gettext(ERROR_NUMERATOR_ABOVE_DENOMINATOR)
        return "numerator", message.format(
            numerator=number_text(numerator), denominator=number_text(denominator)
        )
    return None


def count_problem(value: Decimal) -> str | None:
    """Why a count cannot be this value (negative, or not whole), or None."""
    return _worded(value_problem(COUNT, value), value)


def range_problem(value_type: str, value: Decimal) -> str | None:
    """Why a share or an index cannot be this value (outside 0–100), or None."""
    if value_type not in (SHARE, INDEX):
        return None
    return _worded(value_problem(value_type, value), value)


def _worded(problem: ValueProblem | None, value: Decimal) -> str | None:
    return None if problem is None else value_message(problem, value)
