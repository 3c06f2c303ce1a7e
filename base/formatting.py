"""Numbers the Swedish way ("1 234,5", "54 %", "−3"): plain functions, no Django, no I/O.

Dates: Django's format modules in base/formats write form values as 2025-12-31, and
base.periods writes days in text ("31 dec 2025"), quarters ("Kv 4 2025") and months ("dec 2025").
"""

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


def percent_decimals(number: Decimal) -> int:
    """Choose decimals for a percentage: whole percent, one decimal if exact or needed."""
    if number == number.quantize(Decimal("0.1")):
        return 0 if number == number.to_integral_value() else 1
    for decimals in (0, 1):
        rounded = number.quantize(quantum(decimals), ROUND_HALF_UP)
        # A share just above 0 or just below 100 must not read as "none" or "all".
        if rounded not in (0, 100):
            return decimals
    return 2


def format_percent(value: Decimal | int | float, decimals: int | None = None) -> str:
    """Format a percentage the Swedish way ("54 %", "12,5 %")."""
    number = as_decimal(value)
    if decimals is None:
        decimals = percent_decimals(number)
    return f"{format_number(number, decimals)}{SPACE}%"


_TENTH = Decimal("0.1")


def format_share(value: Decimal | int | float, *, fixed: bool = False) -> str:
    """Format a share to one decimal, none when whole ("73,1 %", "50 %"), two where one would
    turn a partial share into 0 % or 100 % ("99,96 %").

    The status sentences write their shares this way too, so that a goal's page gives one
    number for one share (its table of quarters says "73,1 %", so its sentence must not say
    "73 %").

    fixed: one decimal when whole too ("17,0 %"), as a measure's values are written
    (followup.charts.chart_value_text): a column of them reads "17,0 %" above "17,6 %", not
    "17 %". A target or an axis tick, a level as it was set, stays "100 %".
    """
    number = as_decimal(value)
    rounded = number.quantize(_TENTH, ROUND_HALF_UP)
    # Only a share strictly between none and all: a −0.001 of rounding noise is 0 %.
    if rounded in (0, 100) and 0 < number < 100:
        return format_percent(number, 2)
    return format_percent(rounded, 1 if fixed else None)
