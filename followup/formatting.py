"""Swedish display of the dashboards' values: "1 234,5", "54 %", "31 dec 2025", "+2,5"."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext

from base.formatting import format_number, format_percent, quantum
from base.periods import day_label

from . import charts

_MINUS = "\u2212"


def format_day(day: datetime.date | None) -> str:
    """A date as the dashboards write it, "31 dec 2025"."""
    if day is None:
        return ""
    return day_label(day)


def unit_and_kind(unit_or_measure: Any) -> tuple[str, str]:
    """A template filter's argument as (unit, value type): a unit ("%", "st"), or the Measure
    itself, whose value type fixes the decimals (followup.charts.KIND_DECIMALS)."""
    if unit_or_measure is None or isinstance(unit_or_measure, str):
        return unit_or_measure or "", ""
    return (
        getattr(unit_or_measure, "unit", "") or "",
        getattr(unit_or_measure, "value_type", "") or "",
    )


def format_value(value: Decimal | float | None, unit: str = "", kind: str = "") -> str:
    """A measure's value with its unit ("54,3 %", "1 234 st", "72,1" of an index), a dash
    for none; `kind` is the measure's value type where known (charts.format_value)."""
    return charts.format_value(value, unit, kind) or "–"


def format_value_pair(
    old: Decimal | float | None, new: Decimal | float | None, unit: str = ""
) -> tuple[str, str]:
    """Two values of one measure, before and after ("69,3 %" → "70 %"), as format_value writes
    them, but with as many more decimals as it takes for two different values to read
    differently ("69,272 %" → "69,270 %", never "69,3 %" → "69,3 %")."""
    old_text, new_text = format_value(old, unit), format_value(new, unit)
    if old is None or new is None or old_text != new_text:
        return old_text, new_text
    before, after = Decimal(str(old)), Decimal(str(new))
    if before == after:
        return old_text, new_text
    percent = unit.strip() == "%"
    for decimals in range(1, 9):
        if percent:
            texts = (format_percent(before, decimals), format_percent(after, decimals))
        else:
            suffix = charts.unit_suffix(unit)
            texts = (
                format_number(before, decimals) + suffix,
                format_number(after, decimals) + suffix,
            )
        if texts[0] != texts[1]:
            return texts
    return old_text, new_text


def format_change(value: Decimal | float | None, unit: str = "", kind: str = "") -> str:
    """A change with its sign: "+2,5 procentenheter", "−3 st", "+0,4" (an index), "±0"; a dash
    for none.

    The one spelling of a change on every page: a change of a share is in percentage points,
    to one decimal (the share itself is shown to one decimal); of a kind with fixed decimals
    (charts.KIND_DECIMALS) to those, as its values are written.
    """
    if value is None or value == "":
        return "–"
    number = Decimal(str(value))
    percent = charts.value_kind(unit, kind) == "share"
    decimals = 1 if percent else charts.kind_decimals(unit, kind)
    number = number.quantize(
        Decimal("0.01") if decimals is None else quantum(decimals), ROUND_HALF_UP
    )
    if number == 0:
        return "±0"
    sign = "+" if number > 0 else _MINUS
    text = format_number(abs(number), None if percent else decimals)
    # A no-break space keeps "3 st" together; "procentenheter" may go to the next line.
    # (gettext outside the f-string: xgettext does not look inside one.)
    points = gettext("procentenheter")
    suffix = f" {points}" if percent else charts.unit_suffix(unit)
    return f"{sign}{text}{suffix}"
