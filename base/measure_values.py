"""What a value of a measure's kind may be: a share or an index 0–100, a count not negative
and whole. One rule for every value the app keeps of a measure: a stored value (the import,
the reporting grid and `Observation.clean`, through followup.value_rules) and a measure goal's
target (`goals.models.Goal.clean`).

It lives in base, the lowest layer, because both need it and goals may not import followup
(DESIGN.md's layers: followup stands above goals). Each writer words a problem for its own
field: a stored value as the import does ("En andel måste vara mellan 0 och 100 procent, inte
150."), a goal's target by its field ("Målvärdet för en andel ska vara 0–100 %.").
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from django.utils.translation import gettext, gettext_noop

# A value's type as followup's Measure.ValueType holds it (base imports no app); a mean has no
# range of its own.
SHARE, COUNT, MEAN, INDEX = "share", "count", "mean", "index"
# The roll-up rule (Measure.Aggregation) that adds values up: a sum of whole counts is whole.
SUM = "sum"

# The range of a share (in percent) and of an index.
LOWEST, HIGHEST = Decimal(0), Decimal(100)


class ValueProblem(StrEnum):
    """Why a value cannot be one of its measure's kind."""

    SHARE_RANGE = "share_range"
    INDEX_RANGE = "index_range"
    COUNT_NEGATIVE = "count_negative"
    COUNT_DECIMALS = "count_decimals"


def value_problem(
    value_type: str, value: Decimal, *, aggregation: str | None = None
) -> ValueProblem | None:
    """What is wrong with `value` as a value of a measure of `value_type`, or None.

    `aggregation` None: one unit's value, as reported (a count is whole). Given, the value of a
    roll-up by that rule (Measure.Aggregation), as a goal's target is compared with one: a
    count stays whole only where it is summed, a mean of counts need not be. A value that is
    not a finite number is its field's to refuse (Django's decimal validation), not this rule's.
    """
    if not value.is_finite():
        return None
    if value_type == SHARE and not LOWEST <= value <= HIGHEST:
        return ValueProblem.SHARE_RANGE
    if value_type == INDEX and not LOWEST <= value <= HIGHEST:
        return ValueProblem.INDEX_RANGE
    if value_type == COUNT:
        if value < 0:
            return ValueProblem.COUNT_NEGATIVE
        whole = aggregation is None or aggregation == SUM
        if whole and value != value.to_integral_value():
            return ValueProblem.COUNT_DECIMALS
    return None


# --- a stored value's words (the import's, the grid's, the model's) ---------------------------

ERROR_SHARE_RANGE = gettext_noop("En andel måste vara mellan 0 och 100 procent, inte {value}.")
ERROR_INDEX_RANGE = gettext_noop("Ett index måste vara mellan 0 och 100, inte {value}.")
ERROR_COUNT_NEGATIVE = gettext_noop("Ett antal kan inte vara negativt ({value}).")
ERROR_COUNT_DECIMALS = gettext_noop("Ett antal måste vara ett heltal, inte {value}.")

VALUE_MESSAGES = {
    ValueProblem.SHARE_RANGE: ERROR_SHARE_RANGE,
    ValueProblem.INDEX_RANGE: ERROR_INDEX_RANGE,
    ValueProblem.COUNT_NEGATIVE: ERROR_COUNT_NEGATIVE,
    ValueProblem.COUNT_DECIMALS: ERROR_COUNT_DECIMALS,
}


def number_text(value: Decimal) -> str:
    """A decimal as Swedes write it in these messages: 12,5 (no trailing zeros), never "−0"."""
    if value.is_zero():
        value = value.copy_abs()
    text = format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",").replace("-", "−")


def value_message(problem: ValueProblem, value: Decimal) -> str:
    """The problem of a stored value in the import's words, with the value."""
    return gettext(VALUE_MESSAGES[problem]).format(value=number_text(value))


def stored_value_problem(value_type: str, value: Decimal) -> str | None:
    """Why one unit's value cannot be stored for a measure of `value_type`, worded, or None."""
    problem = value_problem(value_type, value)
    return None if problem is None else value_message(problem, value)
