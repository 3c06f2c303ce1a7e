"""The rules every stored measure value keeps, in words: one set of messages for every writer.

The import checks a file's rows with them (followup.imports: row by row in Python, set-based in
SQL) and the model checks every other write with them (`Observation.clean`: the reporting grid,
the admin and its history revert, the services), so a value the import refuses is refused
everywhere, in the same Swedish. Imports nothing of followup: the models and the import both
stand above it.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_noop

# How far a share's value may be from täljare ÷ nämnare × 100.
TOLERANCE = Decimal("0.05")

ERROR_PERIOD_IN_FUTURE = gettext_noop("Perioden {period} har inte börjat än.")
ERROR_UNIT_NOT_ACTIVE = gettext_noop("Enheten ”{unit}” var inte verksam under {period}.")
ERROR_KIND_DOES_NOT_REPORT = gettext_noop(
    "Enheter av typen {kind} rapporterar inte måttet ”{measure}”."
)
ERROR_SHARE_RANGE = gettext_noop("En andel måste vara mellan 0 och 100 procent, inte {value}.")
ERROR_INDEX_RANGE = gettext_noop("Ett index måste vara mellan 0 och 100, inte {value}.")
ERROR_NUMERATOR_ABOVE_DENOMINATOR = gettext_noop(
    "Täljaren ({numerator}) är större än nämnaren ({denominator})."
)
ERROR_PAIR_INCOMPLETE = gettext_noop("Täljare och nämnare måste anges tillsammans.")
# A share is summed as Σ täljare ÷ Σ nämnare: a value alone would count as reported and be left
# out of every total.
ERROR_SHARE_PARTS_MISSING = gettext_noop("Ange täljare och nämnare för en andel.")
ERROR_VALUE_INCONSISTENT = gettext_noop(
    "Värdet {value} stämmer inte med täljare ÷ nämnare × 100 = {computed} (högst 0,05 ifrån)."
)


def number_text(value: Decimal) -> str:
    """A decimal as Swedes write it in these messages: 12,5 (no trailing zeros), never "−0"."""
    if value.is_zero():
        value = value.copy_abs()
    text = format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",").replace("-", "−")


def share_of(numerator: Decimal, denominator: Decimal) -> Decimal:
    """A share in percent from its parts (the denominator above zero)."""
    return numerator / denominator * Decimal(100)


def share_consistent(value: Decimal, numerator: Decimal, denominator: Decimal) -> bool:
    """Whether a share's value is its parts' täljare ÷ nämnare × 100, within TOLERANCE."""
    return abs(value - share_of(numerator, denominator)) <= TOLERANCE
