"""Helpers of the Mått and Mål pages: changes with their sign, and a goal's basis in Swedish."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from base.formatting import (
    count_decimals,
    format_count,
    format_count_level,
    format_count_mean,
    format_set_level,
    format_share,
)
from base.periods import day_label
from followup.charts import chart_value_text, period_label, target_text, unit_suffix
from followup.formatting import format_change, unit_and_kind
from goals.status import RULE_LABELS, BaselineMethod

register = template.Library()


@register.filter
def measure_change(value: Decimal | float | None, unit: Any = "") -> str:
    """A change with its sign, "+1,2 procentenheter", "−3 st"; "–" where there is none. Given
    the Measure, to its kind's decimals (as dashboard_tags.sv_change)."""
    return format_change(value, *unit_and_kind(unit))


# The keys of GoalResult.basis (goals/status.py) a reader needs, in Swedish, and how to show
# their values. Keys not listed (thresholds of the rules, internal points) stay in the admin.
_BASIS = (
    ("as_of", _("Beräknad per"), "date"),
    ("evaluated_on", _("Bedömd per"), "date"),
    ("deadline", _("Måldatum"), "date"),
    ("active_units", _("Enheter som räknas"), "int"),
    ("adopted", _("Har infört"), "int"),
    ("planned_by_deadline", _("Planerar före måldatum"), "int"),
    ("share_pct", _("Andel"), "pct"),
    ("target_pct", _("Målandel"), "set_pct"),
    # Labelled by its day (basis "evaluated_on"): "Förväntad andel 30 sep 2026" (basis_items).
    ("expected_share_pct", _("Förväntad andel"), "pct"),
    # The day the even pace counts from: the goal's start, else its programme area's
    # (Goal.pace_start; the page's header says which).
    ("start", _("Jämn takt räknas från"), "date"),
    # A measure or deliverable goal's start, the same day (before it: "Ej påbörjat").
    ("starts_on", _("Startdatum"), "date"),
    ("forecast_pct", _("Prognos vid måldatum"), "pct"),
    ("latest_value", _("Senaste värde"), "num"),
    ("latest_period_end", _("Senaste period"), "period"),
    ("target", _("Målvärde"), "level"),
    ("baseline_value", _("Basvärde"), "num"),
    ("baseline_label", _("Basperiod"), "text"),
    # How a baseline of several periods was reckoned (goals.status.BaselineMethod).
    ("baseline_method", _("Basvärdet räknas som"), "baseline_method"),
    # The change the goal sets, not one measured: "Målförändring mot basperioden +50 %".
    ("relative_change_pct", _("Målförändring mot basperioden"), "set_change_pct"),
    ("forecast", _("Prognos vid måldatum"), "num"),
    ("days_left", _("Dagar kvar"), "int"),
    ("days_late", _("Dagar försenat"), "int"),
    ("rule", _("Regel som avgjorde"), "code"),
)


# A baseline of several periods, in words: a share pooled over them, a weighted mean weighted
# by its nämnare over them, else the mean per period; a share or a weighted mean that could not
# be pooled says why (its periods' täljare and nämnare, or nämnare, are missing).
_BASELINE_METHODS = {
    BaselineMethod.POOLED: _(
        "andelen för hela basperioden (summan av täljarna ÷ summan av nämnarna)"
    ),
    BaselineMethod.MEAN: _("medelvärdet av periodernas värden"),
    BaselineMethod.MEAN_WITHOUT_PARTS: _(
        "medelvärdet av periodernas andelar (täljare och nämnare saknas för någon period)"
    ),
    BaselineMethod.WEIGHTED: _(
        "medelvärdet för hela basperioden viktat med nämnarna (summan av värde × nämnare ÷ "
        "summan av nämnarna)"
    ),
    BaselineMethod.MEAN_WITHOUT_WEIGHTS: _(
        "medelvärdet av periodernas värden (nämnare saknas för någon period)"
    ),
}


def _date(raw: Any) -> str:
    return day_label(datetime.date.fromisoformat(str(raw)))


def _expected_share_label(basis: dict[str, Any]) -> str:
    """The expected share by the day it is expected on: "Förväntad andel i dag" where that is
    today (the ongoing quarter), else "Förväntad andel 30 sep 2026" (a past quarter, or a
    goal judged on its deadline)."""
    raw = basis.get("evaluated_on") or basis.get("as_of")
    if not raw:
        return str(_("Förväntad andel"))
    day = datetime.date.fromisoformat(str(raw))
    if day == timezone.localdate():
        return str(_("Förväntad andel i dag"))
    return str(_("Förväntad andel %(day)s") % {"day": day_label(day)})


def _count_level(basis: dict[str, Any], key: str) -> str:
    """A count goal's target or forecast from its basis, as its status sentence writes them:
    one decimal where not whole, more only where that would make the latest value or the
    forecast look as if it reached the target (base.formatting.count_decimals)."""
    higher = basis.get("improvement") != "lower"
    values = [
        Decimal(str(basis[name]))
        for name in ("latest_value", "forecast")
        if basis.get(name) not in (None, "")
    ]
    target = basis.get("target")
    places = 1
    if target not in (None, ""):
        places = count_decimals(Decimal(str(target)), values, higher=higher)
    return format_count_level(Decimal(str(basis[key])), places)


@register.filter
def basis_items(basis: dict[str, Any] | None, unit: Any = "") -> list[tuple[str, str, bool]]:
    """The basis of a goal's status as (label, value, is_code) rows, in a fixed order; the
    measure's unit goes with its values. Given the Measure (`basis|basis_items:goal.measure`),
    its values have its kind's decimals, and the latest period is named as a period ("sep
    2026", "Kv 3 2026"), not by its last day: the value is the month's, not the quarter's."""
    measure = None if unit is None or isinstance(unit, str) else unit
    unit, value_type = unit_and_kind(unit)
    # A count's baseline of several periods (a baseline method is stored) is their mean.
    count_mean = value_type == "count" and bool((basis or {}).get("baseline_method"))
    rows = []
    for key, label, kind in _BASIS:
        raw = (basis or {}).get(key)
        if raw is None or raw == "":
            continue
        if kind == "date":
            value = _date(raw)
        elif kind == "pct":
            # A share computed, as the page's tables and its status sentence write it ("73,1 %",
            # "48,0 %").
            value = format_share(Decimal(str(raw)))
        elif kind == "set_pct":
            # A share someone set, as set ("50 %").
            value = format_set_level(Decimal(str(raw)))
        elif kind == "set_change_pct":
            value = format_set_level(Decimal(str(raw)), signed=True)
        elif kind == "int":
            value = format_count(int(raw))
        elif key == "baseline_value" and count_mean:
            # A mean of several periods' counts is no count: "195,5 st", as the status
            # sentence writes it ("i snitt 195,5 st per månad"), not rounded to "196 st".
            value = format_count_mean(Decimal(str(raw))) + unit_suffix(unit or "")
        elif key in ("target", "forecast") and value_type == "count":
            # A count goal's target and forecast are computed, no counts: one decimal where
            # not whole ("215,1 st"), more only where rounding would make the forecast look
            # as if it reached the target, as the status sentence writes them.
            value = _count_level(basis or {}, key) + unit_suffix(unit or "")
        elif kind == "num":
            value = chart_value_text(Decimal(str(raw)), unit or "", value_type)
        elif kind == "level":
            value = target_text(Decimal(str(raw)), unit or "", value_type)
        elif kind == "period" and measure is not None:
            quarterly = getattr(measure, "frequency", "") == "quarterly"
            value = period_label(datetime.date.fromisoformat(str(raw)), quarterly=quarterly)
        elif kind == "period":
            value = _date(raw)
        elif kind == "baseline_method" and str(raw) in _BASELINE_METHODS:
            value, kind = str(_BASELINE_METHODS[BaselineMethod(str(raw))]), "text"
        elif kind == "code" and str(raw) in RULE_LABELS:
            value, kind = str(RULE_LABELS[str(raw)]), "text"
        else:
            value = str(raw)
        text = _expected_share_label(basis or {}) if key == "expected_share_pct" else str(label)
        rows.append((text, value, kind == "code"))
    return rows


@register.simple_tag
def computed_goal_result(goal_id: int, quarter: str | None) -> Any:
    """The engine's status of a goal for a quarter (one query), or None: the assessment form
    (goals, below followup in the layers) shows it beside the judgement being made."""
    from followup.models import GoalResult

    if not quarter:
        return None
    return GoalResult.objects.filter(goal_id=goal_id, quarter=quarter).first()
