"""Chart components for every page: server-rendered SVG, no script (README: "Charts").

    {% load followup_charts %}
    {% spc_chart result.summary measure=measure target=goal.target_value caption="…" %}
    {% sparkline result.summary measure=measure label="Besök per månad" %}
    {% variation_icon result.summary.variation %}   {% assurance_icon result.summary.assurance %}
    {% goal_status_chart goal_results percent=True caption="…" %}
    {{ code|variation_meaning }}  {{ code|assurance_meaning }}  {{ rule|spc_rule_label }}
    {{ value|measure_value:measure.unit }}

Every chart is a <figure> with a caption and a text alternative (its data as a table, visible
or in a <details>); signals are shown by marker shape and label as well as colour. Keep these
signatures stable: the dashboards use them.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from followup import charts
from followup.formatting import unit_and_kind
from followup.spc import MIN_POINTS, Reasons, latest_judged, stored_incomplete
from goals.status import RULE_LABELS as RULE_LABELS_OF_GOALS
from goals.status import Status

register = template.Library()

# Making Data Count variation icons (followup.spc.Variation), in Swedish.
VARIATION_MEANINGS = {
    "common_cause": gettext_lazy("Vanlig variation – inga särskilda orsaker"),
    "special_cause_improvement_high": gettext_lazy(
        "Särskild orsak – förbättring (högre är bättre)"
    ),
    "special_cause_improvement_low": gettext_lazy("Särskild orsak – förbättring (lägre är bättre)"),
    "special_cause_concern_high": gettext_lazy("Särskild orsak – försämring (lägre är bättre)"),
    "special_cause_concern_low": gettext_lazy("Särskild orsak – försämring (högre är bättre)"),
    "special_cause_neither_high": gettext_lazy(
        "Särskild orsak – högre värden (ingen önskad riktning)"
    ),
    "special_cause_neither_low": gettext_lazy(
        "Särskild orsak – lägre värden (ingen önskad riktning)"
    ),
}
# "För få punkter för styrgränser" wherever a chart has too few points, one family of words
# (limits_message, the run chart's caption, the measure page's table).
VARIATION_UNKNOWN = gettext_lazy("Variation bedöms inte – för få punkter för styrgränser")

# Making Data Count assurance icons (followup.spc.Assurance), in Swedish.
ASSURANCE_MEANINGS = {
    "consistently_passing": gettext_lazy(
        "Målet nås konsekvent – målet ligger utanför styrgränserna på rätt sida"
    ),
    "consistently_failing": gettext_lazy(
        "Målet missas konsekvent – processen behöver ändras för att nå det"
    ),
    "hit_and_miss": gettext_lazy(
        "Målet nås ibland och missas ibland – målet ligger mellan styrgränserna"
    ),
}
ASSURANCE_UNKNOWN = gettext_lazy(
    "Måluppfyllelse bedöms inte – inget mål eller för få punkter för styrgränser"
)
ASSURANCE_GOALS_ELSEWHERE = gettext_lazy(
    "Måluppfyllelse bedöms inte här – målen gäller hela organisationen, inte enheten"
)
# Why a chart has no assurance icon, where the page knows (followup.selectors.assurance_reason):
# the generic ASSURANCE_UNKNOWN is for the icons' legend.
ASSURANCE_REASONS = {
    "no_goal": gettext_lazy("Måluppfyllelse bedöms inte – inget mål följer måttet"),
    "goals_elsewhere": ASSURANCE_GOALS_ELSEWHERE,
    "no_direction": gettext_lazy("Måluppfyllelse bedöms inte – måttet har ingen önskad riktning"),
    "too_few_points": gettext_lazy(
        "Måluppfyllelse bedöms inte ännu – för få punkter för styrgränser"
    ),
    "goal_not_yet": gettext_lazy("Målet kan ännu inte bedömas"),
    "relative_goal": gettext_lazy(
        "Måluppfyllelse bedöms inte – målet är en förändring mot ett basvärde, ingen fast nivå"
    ),
}

RULE_LABELS = {
    "astronomical": gettext_lazy("Punkt utanför styrgränsen"),
    "shift": gettext_lazy("Sex punkter i rad på samma sida om medelvärdet"),
    "trend": gettext_lazy("Sex punkter i rad som stiger eller sjunker"),
    "two_of_three": gettext_lazy("Två av tre punkter bortom 2-sigmalinjen på samma sida"),
}

# Each rule with the side it flags a point on (followup.spc.reasons), as the text names it.
SIDED_RULE_LABELS = {
    ("astronomical", "high"): gettext_lazy("Punkt över övre styrgränsen"),
    ("astronomical", "low"): gettext_lazy("Punkt under undre styrgränsen"),
    ("shift", "high"): gettext_lazy("Sex punkter i rad över medelvärdet"),
    ("shift", "low"): gettext_lazy("Sex punkter i rad under medelvärdet"),
    ("trend", "high"): gettext_lazy("Sex punkter i rad som stiger"),
    ("trend", "low"): gettext_lazy("Sex punkter i rad som sjunker"),
    ("two_of_three", "high"): gettext_lazy("Två av tre punkter över den övre 2-sigmalinjen"),
    ("two_of_three", "low"): gettext_lazy("Två av tre punkter under den undre 2-sigmalinjen"),
}

POINT_TYPE_LABELS = {
    charts.COMMON_CAUSE: gettext_lazy("Vanlig variation"),
    charts.IMPROVEMENT: gettext_lazy("Särskild orsak – förbättring"),
    charts.CONCERN: gettext_lazy("Särskild orsak – försämring"),
    # followup.spc.reasons: rules flag the point on both its better and its worse side.
    "conflict": gettext_lazy("Särskild orsak – både förbättring och försämring"),
    charts.NEITHER: gettext_lazy("Särskild orsak"),
    charts.INCOMPLETE: gettext_lazy(
        "Ofullständig – alla enheter har inte rapporterat, bedöms inte"
    ),
}

LINE_LABELS = {
    "mean": gettext_lazy("Medel"),
    "median": gettext_lazy("Median"),
    "upper_limit": gettext_lazy("Övre gräns"),
    "lower_limit": gettext_lazy("Undre gräns"),
    "upper_two_sigma": gettext_lazy("Övre 2-sigmalinje"),
    "lower_two_sigma": gettext_lazy("Undre 2-sigmalinje"),
    "target": gettext_lazy("Mål"),
}
# A line's name beside it on the plot, where it differs from the legend's: the right margin
# holds "Undre gräns" but not "Undre 2-sigmalinje", and beside the line its side is plain.
PLOT_LINE_LABELS = {
    "upper_two_sigma": gettext_lazy("2-sigmalinje"),
    "lower_two_sigma": gettext_lazy("2-sigmalinje"),
}

# The glyph each goal status shows in the status chart, as on the status badges (app.css).
STATUS_GLYPHS = {
    "uppnatt": "✓",
    "enligt_plan": "●",
    "risk": "!",
    "ej_enligt_plan": "▲",
    "ej_paborjat": "○",
    "ej_uppnatt": "✕",
    "underlag_saknas": "?",
    "ej_bedomt": "–",
}


def _measure_options(
    measure: Any, unit: str | None, quarterly: bool | None
) -> tuple[str, str, bool]:
    """The value unit, value type and period kind from a Measure, unless given explicitly."""
    if unit is None:
        unit = getattr(measure, "unit", "") or ""
    if quarterly is None:
        quarterly = getattr(measure, "frequency", "monthly") == "quarterly"
    return unit, getattr(measure, "value_type", "") or "", quarterly


# Rendered charts by the digest of what they are drawn from: the same summary, options and
# language always give the same HTML, so a page full of sparklines and icons renders each
# once per process. Content-addressed, so nothing needs invalidating; bounded in size.
_RENDERED: OrderedDict[str, str] = OrderedDict()
_RENDERED_MAX = 2048
_RENDERED_LOCK = threading.Lock()


def _key_part(value: Any) -> Any:
    """A JSON-able stand-in for a value JSON lacks: a model instance's fields a chart reads
    (a Measure's unit, value type and frequency, a GoalResult's numbers), else its text
    (Decimal, date, lazy translation)."""
    if not hasattr(value, "_meta"):
        return str(value)
    fields = ("quarter", "status", "progress", "target", "unit", "value_type", "frequency")
    basis = getattr(value, "basis", None)
    # A goal's status chart names the period its value is of (followup.charts.status_chart).
    period = basis.get("latest_period_end", "") if isinstance(basis, dict) else ""
    return [type(value).__name__, getattr(value, "pk", None), period] + [
        str(getattr(value, name, "")) for name in fields
    ]


def _rendered_tag(template_name: str, prefix: str, id_field: str) -> Callable[..., Any]:
    """Register a tag that renders `template_name` with the context the function returns,
    memoised on a digest of its arguments; an element id not given derives from the digest
    (stable, and different for different charts on one page)."""

    def wrap(func: Callable[..., dict[str, Any]]) -> Callable[..., str]:
        @functools.wraps(func)
        def tag(*args: Any, **kwargs: Any) -> str:
            text = json.dumps([get_language(), args, kwargs], sort_keys=True, default=_key_part)
            key = hashlib.blake2b(f"{prefix}{text}".encode(), digest_size=12).hexdigest()
            with _RENDERED_LOCK:
                html = _RENDERED.get(key)
                if html is not None:
                    _RENDERED.move_to_end(key)
            if html is None:
                context = func(*args, **kwargs)
                context[id_field] = context.get(id_field) or f"{prefix}-{key[:10]}"
                html = render_to_string(template_name, context)
                with _RENDERED_LOCK:
                    _RENDERED[key] = html
                    if len(_RENDERED) > _RENDERED_MAX:
                        _RENDERED.popitem(last=False)
            return mark_safe(html)  # noqa: S308 - our own template's output

        register.simple_tag(tag, name=func.__name__)
        return tag

    return wrap


# --- filters ------------------------------------------------------------------------------------


@register.filter
def variation_meaning(code: str | None) -> str:
    """The Swedish meaning of a Making Data Count variation icon."""
    return str(VARIATION_MEANINGS.get(code or "", VARIATION_UNKNOWN))


@register.filter
def assurance_meaning(code: str | None) -> str:
    """The Swedish meaning of a Making Data Count assurance icon."""
    return str(ASSURANCE_MEANINGS.get(code or "", ASSURANCE_UNKNOWN))


@register.filter
def limits_message(summary: Mapping[str, Any] | None) -> str:
    """Why a chart has no process limits, in the reader's language: "För få punkter för
    styrgränser (4 av minst 13)."; "" for a chart with limits, or without points.

    Said from the stored points, not the summary's stored `message`: that was written in
    Swedish when computed, in words since changed ("För få datapunkter (4 av 13) för
    styrgränser."), and stays so until its series changes. The points counted are those the
    rules judge (followup.spc.xmr: a period only some units reported does not count)."""
    points = (summary or {}).get("points") or []
    if not points:
        return ""
    if not summary or not summary.get("limits_available"):
        judged = sum(1 for point in points if stored_incomplete(point) is None)
        return _("För få punkter för styrgränser (%(count)s av minst %(needed)s).") % {
            "count": judged,
            "needed": MIN_POINTS,
        }
    if summary.get("message"):
        return _("Senaste segmentet har för få punkter för styrgränser.")
    return ""


@register.filter
def spc_rule_label(rule: str) -> str:
    """A special-cause rule in Swedish ("Punkt utanför styrgränsen")."""
    return str(RULE_LABELS.get(rule, rule))


@register.filter
def spc_rule_labels(rules: Iterable[str]) -> str:
    """The rules that fired for a point, in Swedish, separated by semicolons."""
    return "; ".join(spc_rule_label(rule) for rule in rules or ())


def _sided_labels(signals: Iterable[tuple[str, str]]) -> str:
    return "; ".join(
        str(SIDED_RULE_LABELS.get((rule, side), RULE_LABELS.get(rule, rule)))
        for rule, side in signals
    )


@register.filter
def spc_reasons(reasons: Reasons | None, rules: Iterable[str] = ()) -> str:
    """Why a point is special cause, in Swedish, each rule with its side ("Punkt under undre
    styrgränsen"); a conflict names what speaks for improvement and what for concern. Without
    reasons (a chart stored before signals had sides), the rules given, without sides."""
    if reasons is None:
        return spc_rule_labels(rules)
    if reasons.verdict == "conflict":
        return _("Förbättring: {better}. Försämring: {worse}.").format(
            better=_sided_labels(reasons.improvement), worse=_sided_labels(reasons.concern)
        )
    return _sided_labels(reasons.improvement + reasons.concern + reasons.other)


@register.filter
def point_type_label(point_type: str) -> str:
    """A point's SPC verdict in Swedish."""
    return str(POINT_TYPE_LABELS.get(point_type, point_type))


@register.filter
def chart_line_label(kind: str) -> str:
    return str(LINE_LABELS.get(kind, kind))


@register.filter
def chart_line_plot_label(kind: str) -> str:
    """A line's name beside it on the plot (PLOT_LINE_LABELS), else as in the legend."""
    return str(PLOT_LINE_LABELS.get(kind) or chart_line_label(kind))


@register.filter
def status_glyph(status: str | None) -> str:
    return STATUS_GLYPHS.get(status or "", "")


@register.filter
def period_label(day: str | datetime.date, frequency: str = "monthly") -> str:
    """A stored period start ("2025-10-01") as "okt 2025", or "Kv 4 2025" if quarterly."""
    if not isinstance(day, datetime.date):
        day = datetime.date.fromisoformat(str(day))
    return charts.period_label(day, quarterly=frequency == "quarterly")


@register.filter
def spc_latest_period(summary: Mapping[str, Any] | None, measure: Any = None) -> str:
    """The period of a chart's latest judged point ("sep 2026", "Kv 3 2026"), the one its
    variation icon speaks of (a later point over only some of the units is not judged); empty
    for a chart without one."""
    judged = latest_judged((summary or {}).get("points") or [])
    if judged is None:
        return ""
    *_, quarterly = _measure_options(measure, None, None)
    return period_label(judged[0], "quarterly" if quarterly else "monthly")


@register.filter
def measure_value(value: float | Decimal | None, unit: Any = "") -> str:
    """A measure value the Swedish way with its unit: "54,3 %", "1 234 st", "72,1" (of an
    index: `value|measure_value:measure` writes it as its kind is written)."""
    return charts.chart_value_text(value, *unit_and_kind(unit))


# --- charts -------------------------------------------------------------------------------------


@_rendered_tag("followup/charts/spc_chart.html", "spc", "chart_id")
def spc_chart(
    summary: Mapping[str, Any] | None,
    *,
    measure: Any = None,
    unit: str | None = None,
    quarterly: bool | None = None,
    target: float | Decimal | None = None,
    two_sigma: bool = False,
    caption: str = "",
    table: str = "details",
    chart_id: str = "",
) -> dict[str, Any]:
    """An SPC chart (or a run chart below the engine's minimum of points) with its table.

    table: "details" puts the data table in a <details> under the chart, "visible" shows it,
    "none" leaves it to the page (which must then show the same data itself).
    """
    unit, value_type, quarterly = _measure_options(measure, unit, quarterly)
    chart = charts.spc_chart(
        summary,
        unit=unit,
        value_type=value_type,
        target=target,
        two_sigma=two_sigma,
        quarterly=quarterly,
    )
    chart = replace(chart, message=limits_message(summary) or None)
    return {
        "chart": chart,
        "caption": caption,
        "table": table,
        "unit": unit,
        "chart_id": chart_id,
    }


@_rendered_tag("followup/charts/sparkline.html", "spark", "chart_id")
def sparkline(
    summary: Mapping[str, Any] | Iterable[Any] | None,
    *,
    measure: Any = None,
    unit: str | None = None,
    quarterly: bool | None = None,
    periods: int = charts.SPARKLINE_DEFAULT_PERIODS,
    label: str = "",
) -> dict[str, Any]:
    """The last 8–12 periods as a small line; its text alternative names first and last."""
    unit, value_type, quarterly = _measure_options(measure, unit, quarterly)
    line = charts.sparkline(
        summary, periods=periods, unit=unit, value_type=value_type, quarterly=quarterly
    )
    return {"line": line, "label": label}


@_rendered_tag("followup/charts/variation_icon.html", "var", "icon_id")
def variation_icon(code: str | None, *, label: bool = True) -> dict[str, Any]:
    """The Making Data Count variation icon; label=False keeps the meaning in the tooltip
    and the accessible name only (for tight table cells)."""
    code = code or ""
    if code == "common_cause":
        tone, direction = "common", ""
    elif code.startswith("special_cause_"):
        _, _, rest = code.partition("special_cause_")
        tone, _, direction = rest.rpartition("_")
    else:
        tone, direction = "unknown", ""
    return {
        "code": code,
        "tone": tone,
        "direction": direction,
        "meaning": variation_meaning(code),
        "label": label,
    }


@_rendered_tag("followup/charts/assurance_icon.html", "ass", "icon_id")
def assurance_icon(code: str | None, *, label: bool = True, reason: Any = None) -> dict[str, Any]:
    """The Making Data Count assurance icon: P (passing), F (failing), ? (hit and miss).

    `reason` (followup.selectors.AssuranceReason): why there is no icon, where the page knows;
    its "–" then says which (no goal, goals about the organisation and not the unit, a goal
    not yet judged and why, too few points), rather than "inget mål eller för få punkter"."""
    code = code or ""
    if not code and reason is not None and reason.code in ASSURANCE_REASONS:
        meaning = str(ASSURANCE_REASONS[reason.code])
        why = RULE_LABELS_OF_GOALS.get(reason.rule) if reason.code == "goal_not_yet" else None
        if reason.rule == "before_start":
            meaning = str(why)  # "Målet har inte startat ännu" says it all
        elif why:
            meaning = f"{meaning} – {str(why)[:1].lower()}{str(why)[1:]}"
    else:
        meaning = assurance_meaning(code)
    letters = {"consistently_passing": "P", "consistently_failing": "F", "hit_and_miss": "?"}
    tones = {
        "consistently_passing": "improvement",
        "consistently_failing": "concern",
        "hit_and_miss": "common",
    }
    return {
        "code": code,
        "letter": letters.get(code, "–"),
        "tone": tones.get(code, "unknown"),
        "meaning": meaning,
        "label": label,
    }


@_rendered_tag("followup/charts/status_chart.html", "status", "chart_id")
def goal_status_chart(
    results: Iterable[Any],
    *,
    percent: bool = False,
    unit: str = "",
    measure: Any = None,
    caption: str = "",
    table: str = "details",
) -> dict[str, Any]:
    """A goal's status per quarter (GoalResult rows) as cells and progress bars, with a table.

    measure: a measure goal's Measure: its values' unit and decimals, and its frequency, since
    the engine judges the goal on the measure's latest month (or quarter), and the chart names
    it ("sep 2026: 18,4 %") rather than pass it off as the quarter's value."""
    kind, period = "", ""
    if measure is not None:
        unit, kind, quarterly = _measure_options(measure, unit or None, None)
        period = "quarter" if quarterly else "month"
    chart = charts.status_chart(results, percent=percent, unit=unit, kind=kind, period=period)
    return {
        "chart": chart,
        "caption": caption or _("Status per kvartal"),
        "table": table,
    }


@register.filter
def status_label(status: str | None) -> str:
    """A goal status code as its Swedish label ("Enligt plan")."""
    if not status:
        return ""
    try:
        return Status(status or "").label
    except ValueError:
        return ""
