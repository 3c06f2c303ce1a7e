"""Template helpers of the dashboards: the top navigation."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import template
from django.contrib.auth.models import AnonymousUser, User
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from base.formatting import SPACE, format_number, format_set_level, format_share
from base.periods import days_label, months_label
from followup.formatting import (
    ForecastCell,
    format_change,
    format_day,
    format_value,
    unit_and_kind,
)
from followup.formatting import forecast_cell as forecast_cell_of
from followup.organisation_selection import portfolio_url, programme_area_url
from followup.quarter_selection import QuarterSelection
from followup.quarter_selection import with_quarter as url_with_quarter
from goals.status import Status
from gonv.rules import scope_for
from organisation.models import Role

register = template.Library()

# Which top-navigation item a page belongs to, by view name (namespace:name). The editing
# pages sit where a user comes from: a programme area's goals, goals and working methods under
# "Programområden" (they are reached from an area and /redigera/programomrade/ is their path);
# adoption, reporting, activity plans and support needs under their own items.
_NAV_SECTIONS = {
    "home": "portfolio",
    # A goal (and a milestone) belongs to its programme area, wherever it is opened from.
    "goal_detail": "areas",
    "goal_inline_edit": "areas",
    "goal_inline_block": "areas",
    "programme_area_list": "areas",
    "programme_area_detail": "areas",
    "unit_list": "units",
    "unit_detail": "units",
    "unit_todo_list": "units",
    "unit_tree_children": "units",
    "my_unit": "units",
    "measure_list": "measures",
    "measure_detail": "measures",
    "import_upload": "imports",
    "import_job": "imports",
    "import_batch": "imports",
    "quarter_report_list": "quarter_reports",
    "quarter_report_detail": "quarter_reports",
    "quarter_report_action": "quarter_reports",
    "report_start": "report",
    "report_grid": "report",
    "goals:adoption_start": "adoption",
    "goals:adoption_grid": "adoption",
    "programmes:activity_plans": "activity_plans",
    "programmes:activity_plan": "activity_plans",
    "programmes:activity_plan_review": "activity_plans",
    "programmes:activity_edit": "activity_plans",
    "programmes:support_needs": "support_needs",
    "programmes:support_need": "support_needs",
    "programmes:support_need_create": "support_needs",
}
# Every other page of these namespaces: a programme area's goals and working methods.
_NAV_NAMESPACES = {"goals": "areas", "programmes": "areas"}


@register.simple_tag
def nav_section(view_name: str | None) -> str:
    """The navigation item the current page sits under (its link gets aria-current), from the
    page's view name (`request.resolver_match.view_name`); "" for a page under none."""
    name = view_name or ""
    if name in _NAV_SECTIONS:
        return _NAV_SECTIONS[name]
    namespace, _, _rest = name.rpartition(":")
    return _NAV_NAMESPACES.get(namespace, "")


@register.simple_tag
def is_home_unit(user: User | AnonymousUser, unit: object) -> bool:
    """Whether the unit is the one a VC or VEC leads ("Min enhet" is then the current page)."""
    return getattr(unit, "pk", None) in scope_for(user).root_unit_ids


@register.simple_tag
def is_own_area(user: User | AnonymousUser, area: object) -> bool:
    """Whether the programme area is one the user owns as programme owner ("Mitt
    programområde" is then the current page; no query)."""
    scope = scope_for(user)
    return Role.PROGRAMME_OWNER in scope.roles and getattr(area, "pk", None) in scope.area_ids


@register.simple_tag
def leads_a_unit(user: User | AnonymousUser) -> bool:
    """Whether the user is a VC or VEC: the navigation then offers "Min enhet" (no query)."""
    return bool(scope_for(user).roles & {Role.HEAD_OF_AREA, Role.HEAD_OF_UNIT})


@register.simple_tag
def owns_an_area(user: User | AnonymousUser) -> bool:
    """Whether the user is a programme owner of an area: the navigation then offers "Mitt
    programområde" (no query)."""
    scope = scope_for(user)
    return Role.PROGRAMME_OWNER in scope.roles and bool(scope.area_ids)


register.filter("sv_day", format_day)


@register.filter
def sv_months(start: datetime.date, end: datetime.date | None) -> str:
    """A range of months as Swedish text writes it: `{{ start|sv_months:end }}` gives "feb–mar
    2025" (base.periods.months_label), one month once."""
    return months_label(start, end or start)


@register.filter
def sv_days(start: datetime.date, end: datetime.date | None) -> str:
    """A range of days as Swedish text writes it: `{{ start|sv_days:end }}` gives "1 jul–30 sep
    2026" (base.periods.days_label); only the start's day without an end."""
    return days_label(start, end or start)


@register.filter
def area_url(area: Any) -> str:
    """The page of this programme area, with its organisation where several organisations'
    areas share its number (followup.organisation_selection; no query once cached)."""
    return programme_area_url(area)


@register.filter
def area_portfolio_url(area: Any) -> str:
    """Portfölj of this area's organisation (the plain "/" with one organisation)."""
    return portfolio_url(area.phase_id)


@register.simple_tag
def quarter_url(url: str, selection: QuarterSelection | None = None) -> str:
    """A link to another quarter-dependent page with the quarter chosen on this one
    (`{% quarter_url area|area_url selection %}`): `kvartal=` only where it is not the default
    (followup.quarter_selection.with_quarter); the plain URL where the template has no
    selection (a partial rendered alone)."""
    return url_with_quarter(str(url), selection or None)


@register.simple_tag
def unit_url(unit: Any, selection: QuarterSelection | None = None) -> str:
    """A unit's dashboard at the quarter chosen on this page (`{% unit_url unit selection %}`)."""
    return url_with_quarter(reverse("unit_detail", kwargs={"code": unit.code}), selection or None)


def _none_if_missing(value: Any) -> Any:
    """A template hands a filter "" for a value it could not resolve (`line.result.value` of a
    line without a result): the same as no value."""
    return None if value == "" else value


@register.filter
def sv_value(value: Decimal | float | None, unit: Any = "") -> str:
    """A measure's value the Swedish way, with its unit ("54,0 %", "1 234,5 st"); given the
    Measure (`value|sv_value:measure`), with its kind's fixed decimals ("72,1" of an index)."""
    return format_value(_none_if_missing(value), *unit_and_kind(unit))


@register.filter
def sv_change(value: Decimal | float | None, unit: Any = "") -> str:
    """A change with its sign ("+2,5 procentenheter", "−3 st"); given the Measure, to its
    kind's decimals, as sv_value writes its values."""
    return format_change(_none_if_missing(value), *unit_and_kind(unit))


@register.filter
def sv_share(value: Decimal | float | None) -> str:
    """A share of units or reports ("69,2 %", "60,0 %"), as goal progress, the status sentences
    and a share measure's values are written (format_share: one decimal, ",0" too), so one
    share reads the same on every page; a dash for none."""
    value = _none_if_missing(value)
    return "–" if value is None else format_share(value)


@register.filter
def sv_set_level(value: Decimal | float | None) -> str:
    """A share someone set, a target ("mål 50 %"), as it was set (format_set_level: no ",0"
    that nobody typed); a dash for none."""
    value = _none_if_missing(value)
    return "–" if value is None else format_set_level(value)


def _with_days(text: str, days: int) -> str:
    """A countdown's translated text with its number of days in, held to the words on either
    side by a no-break space (base.formatting.SPACE, as between its thousands): "om 1 491
    dagar" never breaks inside the number nor between it and "om" or "dagar"."""
    before, mark, after = text.partition("%(days)s")
    if not mark:
        return text
    if before.endswith(" "):
        before = before[:-1] + SPACE
    if after.startswith(" "):
        after = SPACE + after[1:]
    return f"{before}{format_number(days)}{after}"


@register.simple_tag
def days_left_text(days: int) -> str:
    """ "om 1 491 dagar", "i dag", "för 3 dagar sedan" (thousands grouped, as every number; no-break
    spaces around the number, _with_days)."""
    if days == 0:
        return gettext("i dag")
    if days > 0:
        return _with_days(ngettext("om %(days)s dag", "om %(days)s dagar", days), days)
    return _with_days(ngettext("för %(days)s dag sedan", "för %(days)s dagar sedan", -days), -days)


# A goal whose quarter says it is settled needs no countdown: its deadline is history.
_SETTLED = {Status.ACHIEVED.value, Status.MISSED.value}


@register.filter
def is_settled(result: Any) -> bool:
    """Whether a goal's result (GoalResult) says uppnått or ej uppnått: final, so it has no
    forecast to show (the status engine gives none; a row stored before it stopped giving one
    is read the same way)."""
    return bool(result) and getattr(result, "status", "") in _SETTLED


@register.simple_tag
def forecast_cell(goal: Any, result: Any = None) -> ForecastCell:
    """The deadline table's Prognos cell of a goal (followup.formatting.forecast_cell): the
    forecast against the target in the goal's measure's unit and to its value type's decimals,
    or why there is none."""
    measure = getattr(goal, "measure", None)
    return forecast_cell_of(
        _none_if_missing(result),
        getattr(measure, "unit", "") or "",
        getattr(measure, "value_type", "") or "",
    )


@register.simple_tag
def deadline_countdown(goal: Any, result: Any = None, day: Any = None) -> str:
    """The days from `day` to a goal's or milestone's deadline, on its line: "om 32 dagar",
    "i dag", "passerat för 5 dagar sedan". `day` is the shown quarter's reference day
    (QuarterSelection.reference_day: an ended quarter's last day, the day the engine evaluated
    it and its status text counts from; else today), today without one. Nothing for a goal
    without a deadline or one its result says is settled (deadline_days_left)."""
    deadline = getattr(goal, "deadline", None)
    if not deadline:
        return ""
    return deadline_days_left((deadline - (day or timezone.localdate())).days, result)


@register.simple_tag
def deadline_days_left(days: int, result: Any = None) -> str:
    """ "om 32 dagar", "i dag", "passerat för 5 dagar sedan": a deadline `days` ahead of the
    day counted from; nothing where its result (the shown quarter's `GoalResult`, or the manual
    assessment where nothing is computed) says uppnått or ej uppnått: its date is shown and the
    status says the rest. The one rule of the goal lines, the goal page and the deadline table
    (a closed quarter's table once said "i dag" beside "Uppnått")."""
    if result:
        status = getattr(result, "status", "") or getattr(result, "assessment_status", "")
        if status in _SETTLED:
            return ""
    if days >= 0:
        return days_left_text(days)
    return _with_days(
        ngettext("passerat för %(days)s dag sedan", "passerat för %(days)s dagar sedan", -days),
        -days,
    )
