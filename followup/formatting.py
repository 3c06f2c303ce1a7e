"""Swedish display of the dashboards' values: "1 234,5", "54,0 %", "31 dec 2025", "+2,5"."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext, gettext_noop

from base.formatting import (
    count_decimals,
    format_count_level,
    format_number,
    format_percent,
    format_set_level,
    format_share,
    format_share_change,
    quantum,
)
from base.periods import day_label
from goals.status import Status

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
    for none; `kind` is the measure's value type where known (charts.chart_value_text)."""
    return charts.chart_value_text(value, unit, kind) or "–"


def format_value_pair(
    old: Decimal | float | None, new: Decimal | float | None, unit: str = ""
) -> tuple[str, str]:
    """Two values of one measure, before and after ("69,3 %" → "70,0 %"), as format_value writes
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
    """A change with its sign and unit: "+2,5 procentenheter", "±0,0 procentenheter", "−3 st",
    "±0 st", "+0,4" (an index); a dash for none.

    The one spelling of a change on every page: a change of a share is in percentage points
    (base.formatting.format_share_change: one decimal, as the share itself); of a kind with
    fixed decimals (charts.KIND_DECIMALS) to those, as its values are written. No change is
    "±0" with the unit, so that it reads as a change of that measure.
    """
    if value is None or value == "":
        return "–"
    number = Decimal(str(value))
    if charts.value_kind(unit, kind) == "share":
        # (gettext outside the f-string: xgettext does not look inside one.)
        return format_share_change(number, gettext("procentenheter"))
    decimals = charts.kind_decimals(unit, kind)
    number = number.quantize(
        Decimal("0.01") if decimals is None else quantum(decimals), ROUND_HALF_UP
    )
    sign = "±" if number == 0 else "+" if number > 0 else _MINUS
    # A no-break space keeps "3 st" together (charts.unit_suffix).
    return f"{sign}{format_number(abs(number), decimals)}{charts.unit_suffix(unit)}"


# Why a goal's row has no forecast value, by the engine's basis (goals.status): its kind, or
# the rule that decided it where that rule leaves no forecast. The reason in brackets, worded
# for a reader who does not know the kinds: "Ingen prognos: leverans" said nothing to one.
NO_FORECAST_SETTLED = gettext_noop("Ingen prognos (utfallet är avgjort)")
_NO_FORECAST_BY_KIND = {
    "deliverable": gettext_noop("Ingen prognos (leveransmål: klart eller inte klart)"),
    "direction": gettext_noop("Ingen prognos (bedöms manuellt)"),
}
_NO_FORECAST_BY_RULE = {
    "too_few_points": gettext_noop("Ingen prognos (för få värden)"),
    "no_values": gettext_noop("Ingen prognos (värden saknas)"),
    "too_few_reported": gettext_noop("Ingen prognos (för få enheter har rapporterat)"),
    "baseline_missing": gettext_noop("Ingen prognos (basvärde saknas)"),
    "no_active_units": gettext_noop("Ingen prognos (inga aktiva enheter)"),
    "inconsistent_inputs": gettext_noop("Ingen prognos (målets uppgifter går inte ihop)"),
}


@dataclass(frozen=True)
class ForecastCell:
    """What the deadline table's Prognos column says of one goal: the forecast value against
    the target ("92,3 % mot målet 100 %") or why there is none ("Ingen prognos (bedöms
    manuellt)")."""

    value: str = ""
    reason: str = ""


def forecast_cell(result: Any, unit: str = "", value_type: str = "") -> ForecastCell:
    """The Prognos cell of a goal's result (GoalResult; None: nothing computed). The value is
    the engine's forecast at the deadline against its target: a share of units for an
    adoption goal, the measure's value in its unit for a measure goal. An index's or a mean's
    (`value_type`, Measure.ValueType) to its one decimal, as the sentence and the "Underlag"
    write it ("83,6", not "83,59"). Reads no database."""
    if not result:
        return ForecastCell()
    if result.status in (Status.ACHIEVED.value, Status.MISSED.value):
        return ForecastCell(reason=gettext(NO_FORECAST_SETTLED))
    basis = result.basis if isinstance(result.basis, dict) else {}
    kind = basis.get("kind", "")
    if result.forecast is not None and result.target is not None:
        if kind == "adoption":
            # The forecast computed ("48,0 %"), the target share as it was set ("50 %").
            forecast, target = format_share(result.forecast), format_set_level(result.target)
        else:
            # The target as it was set ("100 %"), the forecast as a value ("52,2 %"). An index's
            # or a mean's to its one decimal, as the sentence writes them (evaluate_measure's
            # decimals); a count's forecast and target are computed, no counts: one decimal
            # where not whole, more only where rounding would make the forecast look as if
            # it reached the target ("215 st mot målet 215,04 st"), as there (the latest value
            # is in the basis).
            fixed = value_type if value_type in ("index", "mean") else ""
            if value_type == "count":
                goal = Decimal(str(result.target))
                values = [Decimal(str(result.forecast))]
                if basis.get("latest_value") is not None:
                    values.append(Decimal(str(basis["latest_value"])))
                places = count_decimals(goal, values, higher=basis.get("improvement") != "lower")
                suffix = charts.unit_suffix(unit)
                forecast, target = (
                    format_count_level(values[0], places) + suffix,
                    format_count_level(goal, places) + suffix,
                )
            else:
                forecast, target = (
                    format_value(result.forecast, unit, fixed),
                    charts.target_text(result.target, unit, fixed) or "–",
                )
        return ForecastCell(
            value=gettext("%(forecast)s mot målet %(target)s")
            % {"forecast": forecast, "target": target}
        )
    reason = _NO_FORECAST_BY_RULE.get(basis.get("rule", "")) or _NO_FORECAST_BY_KIND.get(kind)
    return ForecastCell(reason=gettext(reason) if reason else "")
