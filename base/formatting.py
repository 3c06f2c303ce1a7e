"""Numbers the Swedish way ("1 234,5", "54,0 %", "−3"): plain functions, no Django, no I/O.

Dates: Django's format modules in base/formats write form values as 2025-12-31, and
base.periods writes days in text ("31 dec 2025"), quarters ("Kv 4 2025") and months ("dec 2025").
"""

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

# One no-break space (U+00A0) everywhere (thousands, before %, before units), so that a line
# never breaks inside "1 234" or between "52,2" and "%"; the same character as the units'
# (followup.charts.unit_suffix). The import parsers accept it, the narrow one and the ordinary
# one alike. The minus is U+2212, as Swedish typography wants and as the rest of the app writes it.
SPACE = "\u00a0"
MINUS = "\u2212"
_CENT = Decimal("0.01")


def as_decimal(value: Decimal | int | float) -> Decimal:
    """Convert a number to Decimal without binary-float noise."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def quantum(decimals: int) -> Decimal:
    """Return the quantum for rounding to the given number of decimals."""
    return Decimal(1).scaleb(-decimals)


def _group_thousands(whole: str) -> str:
    """Insert a no-break space between groups of three digits."""
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return SPACE.join([whole, *groups])


def format_number(value: Decimal | int | float, decimals: int | None = None) -> str:
    """Format a number the Swedish way ("1 234,5"); by default up to two decimals."""
    number = as_decimal(value)
    if decimals is None:
        number = number.quantize(_CENT, ROUND_HALF_UP).normalize()
    else:
        number = number.quantize(quantum(decimals), ROUND_HALF_UP)
    sign = MINUS if number < 0 else ""
    whole, _, fraction = f"{abs(number):f}".partition(".")
    return sign + _group_thousands(whole) + ("," + fraction if fraction else "")


def format_percent(value: Decimal | int | float, decimals: int) -> str:
    """A percentage to exactly the given decimals ("54,0 %"): the writer under the rules below,
    for a caller that needs more decimals than they give (two values that must read apart)."""
    return f"{format_number(value, decimals)}{SPACE}%"


# Shares and percentages are written by one rule per case, so that one number reads the same
# in a table, a sentence, a chart and an "Underlag" box:
#   format_share         a share measured or computed: one decimal, ",0" too ("17,0 %");
#   format_set_level     a level someone set (a target, an axis tick): as set ("50 %");
#   format_share_change  a share's change: percentage points to one decimal ("+0,7
#                        procentenheter", "±0,0 procentenheter");
#   format_count         a count: an integer, thousands grouped ("1 006").
_TENTH = Decimal("0.1")


def format_share(value: Decimal | int | float) -> str:
    """A share measured or computed (a measure's value, an adoption share, a forecast, a
    coverage) to one decimal, ",0" too: "17,0 %", "60,0 %", "0,0 %", "100,0 %".

    A column of them never mixes "17 %" and "17,6 %", and a sentence says "48,0 %" where the
    table beside it does. Two decimals only where one would turn a share strictly between none
    and all into 0 % or 100 % ("99,96 %", "0,04 %").
    """
    number = as_decimal(value)
    rounded = number.quantize(_TENTH, ROUND_HALF_UP)
    # Only a share strictly between none and all: a −0.001 of rounding noise is 0,0 %.
    if rounded in (0, 100) and 0 < number < 100:
        return format_percent(number, 2)
    return format_percent(rounded, 1)


def format_set_level(value: Decimal | int | float, *, signed: bool = False) -> str:
    """A level someone set, as it was set (a target share, a target level, an axis tick, the
    planned change against a base period): "50 %", "72,5 %", no ",0" that nobody typed; up to
    two decimals, as a target is stored.

    signed: a change, with its sign always shown: "+50 %", "−10 %", "±0 %".
    """
    number = as_decimal(value).quantize(_CENT, ROUND_HALF_UP)
    text = format_number(number)
    if signed and number >= 0:
        text = ("+" if number > 0 else "±") + text
    return f"{text}{SPACE}%"


def format_share_change(value: Decimal | int | float, points: str = "procentenheter") -> str:
    """A change of a share (a difference, a trend's slope) in percentage points, to one decimal
    as the share itself, ",0" and the sign too: "+0,7 procentenheter", "−2,0 procentenheter",
    "±0,0 procentenheter"; two decimals only where one would read "0,0" for a change that is
    there ("+0,04 procentenheter").

    points: the word for the unit, translated by a caller that has a language ("percentage
    points"); an ordinary space before it, so that a narrow cell may break before the word.
    """
    number = as_decimal(value)
    decimals = 1
    rounded = number.quantize(_TENTH, ROUND_HALF_UP)
    if rounded == 0 and number.quantize(_CENT, ROUND_HALF_UP) != 0:
        decimals, rounded = 2, number.quantize(_CENT, ROUND_HALF_UP)
    sign = "±" if rounded == 0 else "+" if rounded > 0 else MINUS
    return f"{sign}{format_number(abs(rounded), decimals)} {points}"


def format_count(value: int) -> str:
    """A count: an integer with its thousands grouped by a no-break space ("1 006")."""
    return format_number(value, 0)


def format_count_mean(value: Decimal | int | float) -> str:
    """A mean of counts (a count's baseline of several periods, "i snitt 195,5 st per månad"):
    one decimal where it is not whole ("195,5"), none where it is ("195"). A mean of counts is
    no count, so it is not rounded to one; the goal's sentence and its "Underlag" both write it
    so."""
    return format_number(as_decimal(value).quantize(_TENTH, ROUND_HALF_UP).normalize())


# A count goal's computed target and forecast (a relative target, "+10 % jämfört med
# basvärdet", a trend's projection) are no counts: like a mean of counts they are written to
# one decimal where they are not whole ("minst 215,1 st"), in the status sentence, the goal's
# "Underlag" and the deadline table's Prognos cell alike. More decimals, the target's and the
# values' together, only where that rounding would make a value look as if it reached the
# target while it does not ("215 st" against "minst 215,04 st", not "minst 215 st").
_COUNT_MAX_DECIMALS = 6  # GoalResult stores six


def count_decimals(
    target: Decimal | int | float,
    values: Iterable[Decimal | int | float | None],
    *,
    higher: bool,
) -> int:
    """The decimals a count goal's target and the values read against it (its latest value,
    its forecast) are written with: one, or as many more as it takes for every value to read
    as reaching the target as written exactly where it reaches the target."""
    goal = as_decimal(target)
    numbers = [as_decimal(value) for value in values if value is not None]

    def reaches(number: Decimal, level: Decimal) -> bool:
        return number >= level if higher else number <= level

    for places in range(1, _COUNT_MAX_DECIMALS + 1):
        level = goal.quantize(quantum(places), ROUND_HALF_UP)
        if all(
            reaches(number.quantize(quantum(places), ROUND_HALF_UP), level) == reaches(number, goal)
            for number in numbers
        ):
            return places
    return _COUNT_MAX_DECIMALS


def format_count_level(value: Decimal | int | float, decimals: int = 1) -> str:
    """A count goal's target or forecast to `decimals` (count_decimals), trailing zeros dropped:
    "215,1", "215", "214,96"."""
    rounded = as_decimal(value).quantize(quantum(decimals), ROUND_HALF_UP)
    exponent = rounded.normalize().as_tuple().exponent
    return format_number(rounded, max(0, -exponent) if isinstance(exponent, int) else 0)
