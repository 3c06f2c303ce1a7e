"""A unit's "Att göra": what its VC or VEC has left to do, each with a link to where it is done.

A missing value of a measure reported by hand is the unit's to do; one of a measure whose
values arrive by import from a source system (Cyklop, Cosmic …) is not the health centre's to
report, so it is listed apart, once per measure and period, naming the source.

The links are made in one place, the functions below `# --- links`: each opens the editing
page under /redigera/ where the item is done (the reporting and adoption grids, the activity
plan, the support need), which the VC and VEC may open for their own units.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from base.periods import Quarter, month_label, months_label
from goals.models import AdoptionRecord
from goals.selectors import adoption_records_to_plan
from organisation.models import Unit
from organisation.selectors import units_in_subtree
from programmes.models import Activity, ActivityPlan, SupportNeed
from programmes.selectors import (
    activities_overdue,
    plans_not_started,
    plans_to_complete,
    support_needs_open,
)

from .formatting import format_day
from .models import Measure
from .selectors import missing_observations

# A unit with more items than this shows the first ones, how many there are in all and a link
# to the whole list (unit_todo_list, TODO_PAGE_SIZE items a page).
TODO_LIMIT = 20
TODO_PAGE_SIZE = 100
TODO_KEYS = (
    "missing",
    "imported",
    "unplanned",
    "late",
    "requested",
    "returned",
    "overdue",
    "support",
)


@dataclass(frozen=True)
class TodoItem:
    text: str
    url: str
    # A second way to do it: "Rapportera själv" on a value awaiting import (its link's text,
    # and what it is about for a screen reader).
    action_url: str = ""
    action_text: str = ""
    action_label: str = ""


@dataclass(frozen=True)
class TodoList:
    """One kind of to-do item: its heading, its items (the first TODO_LIMIT on the dashboard,
    every one on the list's own page) and the total."""

    key: str
    title: str
    items: list[TodoItem]
    total: int
    # What the heading's count counts, where a bare number would be ambiguous ("5 mått").
    count_text: str = ""
    # A sentence under the heading: which periods the list is about, what to do.
    intro: str = ""

    @property
    def count_label(self) -> str:
        return self.count_text or str(self.total)


def latest_complete_periods(today: datetime.date) -> dict[str, datetime.date]:
    """The start of the latest period that has ended, per measure frequency."""
    first_of_month = today.replace(day=1)
    previous_month = (first_of_month - datetime.timedelta(days=1)).replace(day=1)
    return {
        Measure.Frequency.MONTHLY: previous_month,
        Measure.Frequency.QUARTERLY: Quarter.containing(today).previous().start,
    }


def quarter_periods(quarter: Quarter, today: datetime.date) -> dict[str, list[datetime.date]]:
    """The periods of a quarter that have ended by `today`, per measure frequency: its months
    for monthly measures, the quarter itself for quarterly ones."""
    months = [
        datetime.date(quarter.start.year, quarter.start.month + offset, 1) for offset in range(3)
    ]
    return {
        Measure.Frequency.MONTHLY: [month for month in months if _month_end(month) < today],
        Measure.Frequency.QUARTERLY: [quarter.start] if quarter.end < today else [],
    }


def _month_end(month: datetime.date) -> datetime.date:
    following = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return following - datetime.timedelta(days=1)


def unit_todo(
    *, unit: Unit, today: datetime.date, whole: bool = False, quarter: Quarter | None = None
) -> list[TodoList]:
    """What is left to do for a unit and the units below it (a fixed number of queries), each
    list cut at TODO_LIMIT items unless `whole`. The missing values are those of the latest
    complete periods, or with `quarter` (the page's chosen quarter) those of that quarter's
    ended months and the quarter itself."""
    units = units_in_subtree(unit=unit, day=today)
    unit_ids = [u.pk for u in units]
    latest = latest_complete_periods(today)
    periods: dict[str, datetime.date | list[datetime.date]] = (
        dict(quarter_periods(quarter, today)) if quarter is not None else dict(latest)
    )
    gaps = missing_observations(units=units, period_for=periods)
    missing = [
        TodoItem(
            text=_("%(unit)s: %(measure)s för %(period)s")
            % {
                "unit": missing_unit.name,
                "measure": measure.name,
                "period": _period_label(measure, start),
            },
            url=observation_add_url(unit=missing_unit, measure=measure, period_start=start),
        )
        for missing_unit, measure, start in gaps
        if measure.source == Measure.Source.MANUAL
    ]
    imported = _awaiting_import(gaps, unit=unit)
    imported_measures = len({m.pk for _u, m, _s in gaps if m.source != Measure.Source.MANUAL})
    records_unplanned, records_late = adoption_records_to_plan(unit_ids=unit_ids, today=today)
    unplanned = [
        _adoption_item(record, _("%(unit)s: %(method)s (%(status)s) saknar planerat datum"))
        for record in records_unplanned
    ]
    late = [
        _adoption_item(record, _("%(unit)s: %(method)s (%(status)s) planerades till %(date)s"))
        for record in records_late
    ]
    # Only an area that asks for activity plans (PO 1, Teamrond) has one missing; the VO's
    # plan list says "Ingen plan begärd" for the others.
    requested = [
        TodoItem(
            text=_("%(unit)s, PO %(number)s: aktivitetsplan begärd, inte påbörjad")
            % {"unit": vo.name, "number": area.number},
            url=reverse("programmes:activity_plan", args=[area.pk, vo.pk]),
        )
        for vo, area in plans_not_started(units=units)
    ]
    plans = plans_to_complete(unit_ids=unit_ids)
    returned = [
        TodoItem(
            # A reopened approved plan was not sent back: its VO is asked to change it.
            text=(
                _("%(unit)s, PO %(number)s: öppnad för ändring %(date)s – %(comment)s")
                if plan.reopened
                else _("%(unit)s, PO %(number)s: skickad tillbaka %(date)s – %(comment)s")
            )
            % {
                "unit": plan.unit.name,
                "number": plan.programme_area.number,
                "date": format_day(timezone.localdate(plan.reviewed_at)),
                "comment": plan.review_comment,
            },
            url=activity_plan_url(plan=plan),
        )
        for plan in plans
        if plan.reviewed_at is not None
    ] + [
        # A draft with activities nobody has reviewed: never submitted, or taken back.
        TodoItem(
            text=_("%(unit)s, PO %(number)s: utkast, inte inskickat")
            % {
                "unit": plan.unit.name,
                "number": plan.programme_area.number,
            },
            url=activity_plan_url(plan=plan),
        )
        for plan in plans
        if plan.reviewed_at is None
    ]
    overdue = [
        TodoItem(
            text=_("%(unit)s: %(title)s – skulle vara klar %(date)s")
            % {
                "unit": activity.plan.unit.name,
                "title": activity.title,
                "date": format_day(activity.end_date),
            },
            url=activity_url(activity=activity),
        )
        for activity in activities_overdue(unit_ids=unit_ids, today=today)
    ]
    needs = [
        TodoItem(
            text=_("%(unit)s, PO %(number)s (%(status)s): %(text)s%(answer)s")
            % {
                "unit": need.unit.name,
                "number": need.programme_area.number,
                "status": need.get_status_display().lower(),
                "text": need.text,
                "answer": (_(" – Svar: %(response)s") % {"response": need.response})
                if need.response
                else "",
            },
            url=support_need_url(need=need),
        )
        for need in support_needs_open(unit_ids=unit_ids)
    ]
    period_text = _quarter_text(quarter, today) if quarter is not None else _periods_text(latest)
    lists = [
        (
            "missing",
            _("Saknade värden för %(quarter)s") % {"quarter": quarter.label}
            if quarter is not None
            else _("Saknade värden"),
            missing,
            "",
            _("Värden som rapporteras för hand och saknas för %(period)s.")
            % {"period": period_text},
        ),
        (
            "imported",
            _("Väntar på import"),
            imported,
            # Measures, not items: a chosen quarter lists a monthly measure once a month.
            ngettext("%(count)s mått", "%(count)s mått", imported_measures)
            % {"count": imported_measures},
            # Whoever sees "Att göra" may report the unit's values (the same rule as its
            # adoption: gonv.rules), so each line offers the reporting grid as well.
            _(
                "Värden som importeras från källsystemen och saknas för %(period)s. "
                "Kommer de inte, kan du rapportera dem själv."
            )
            % {"period": period_text},
        ),
        ("unplanned", _("Införande utan planerat datum"), unplanned, "", ""),
        (
            "late",
            _("Införande efter planerat datum"),
            late,
            "",
            _(
                "Det planerade datumet har passerat: rapportera arbetssättet som infört, eller "
                "ange ett nytt datum."
            ),
        ),
        (
            "requested",
            _("Aktivitetsplaner att lämna in"),
            requested,
            "",
            _("Programområdet begär en aktivitetsplan med tidplan av verksamhetsområdet."),
        ),
        ("returned", _("Aktivitetsplaner att komplettera och skicka in"), returned, "", ""),
        ("overdue", _("Försenade aktiviteter"), overdue, "", ""),
        ("support", _("Öppna stödbehov och svar"), needs, "", ""),
    ]
    return [
        TodoList(
            key=key,
            title=title,
            items=items if whole else items[:TODO_LIMIT],
            total=len(items),
            count_text=count_text,
            intro=intro,
        )
        for key, title, items, count_text, intro in lists
    ]


def _adoption_item(record: AdoptionRecord, text: str) -> TodoItem:
    """An adoption record to plan: the sentence filled in with its unit, method, status and
    planned date, linking to its cell in the adoption grid."""
    return TodoItem(
        text=text
        % {
            "unit": record.unit.name,
            "method": record.working_method.name,
            "status": record.get_status_display().lower(),
            "date": format_day(record.planned_date) if record.planned_date else "",
        },
        url=adoption_record_url(record=record),
    )


# The imported gaps name this many units (then "och 3 till").
NAMED_UNITS = 5


def _awaiting_import(
    gaps: list[tuple[Unit, Measure, datetime.date]], *, unit: Unit
) -> list[TodoItem]:
    """The missing values of imported measures: one item per measure and period, with how
    many units lack it, which (the first NAMED_UNITS) and the source it is imported from, and
    a link to report them by hand in `unit`'s reporting grid (at the row, where one unit lacks
    it). On a unit's own page, where it is the one lacking the value: "värde saknas"."""
    counts: dict[tuple[int, datetime.date], tuple[Measure, int, Unit]] = {}
    names: dict[tuple[int, datetime.date], list[str]] = {}
    for missing_unit, measure, start in gaps:
        if measure.source == Measure.Source.MANUAL:
            continue
        _measure, count, first = counts.get((measure.pk, start), (measure, 0, missing_unit))
        counts[(measure.pk, start)] = (measure, count + 1, first)
        names.setdefault((measure.pk, start), []).append(missing_unit.name)
    return [
        item
        if _own_gap(counts[key], unit)
        else replace(item, text=f"{item.text}: {_unit_names(names[key])}")
        for key, item in zip(counts, _import_items(counts, unit=unit), strict=True)
    ]


def _own_gap(found: tuple[Measure, int, Unit], unit: Unit) -> bool:
    """Whether the only unit lacking the value is the page's own."""
    _measure, count, first = found
    return count == 1 and first.pk == unit.pk


def _unit_names(names: list[str]) -> str:
    """The first NAMED_UNITS names apart by semicolons: a unit's name may hold a comma of its
    own ("Geriatrisk avdelning 31, Gävle sjukhus"), which a comma-separated list splits."""
    shown = "; ".join(names[:NAMED_UNITS])
    if len(names) > NAMED_UNITS:
        rest = len(names) - NAMED_UNITS
        return ngettext("%(units)s och %(count)s till", "%(units)s och %(count)s till", rest) % {
            "units": shown,
            "count": rest,
        }
    return shown


def _import_items(
    counts: dict[tuple[int, datetime.date], tuple[Measure, int, Unit]], *, unit: Unit
) -> list[TodoItem]:
    return [
        TodoItem(
            text=(
                _("%(measure)s för %(period)s: värde saknas (importeras från %(source)s)")
                if _own_gap((measure, count, first), unit)
                else ngettext(
                    "%(measure)s för %(period)s: %(count)s enhet saknar värde (importeras från "
                    "%(source)s)",
                    "%(measure)s för %(period)s: %(count)s enheter saknar värde (importeras från "
                    "%(source)s)",
                    count,
                )
            )
            % {
                "measure": measure.name,
                "period": _period_label(measure, start),
                "count": count,
                "source": measure.get_source_display(),
            },
            url=reverse("import_upload"),
            action_url=observation_add_url(unit=first, measure=measure, period_start=start)
            if count == 1
            else report_period_url(unit=unit, measure=measure, period_start=start),
            action_text=_("Rapportera själv"),
            action_label=_("%(measure)s för %(period)s")
            % {"measure": measure.name, "period": _period_label(measure, start)},
        )
        for (_id, start), (measure, count, first) in counts.items()
    ]


def _periods_text(periods: dict[str, datetime.date]) -> str:
    """The latest complete periods, as the lists' sentences name them: "den senaste hela
    perioden: nov 2026 för månadsmått, Kv 3 2026 för kvartalsmått"."""
    return _(
        "den senaste hela perioden: %(month)s för månadsmått, %(quarter)s för kvartalsmått"
    ) % {
        "month": month_label(periods[Measure.Frequency.MONTHLY]),
        "quarter": Quarter.containing(periods[Measure.Frequency.QUARTERLY]).label,
    }


def _quarter_text(quarter: Quarter, today: datetime.date) -> str:
    """A chosen quarter, as the lists' sentences name it: "Kv 3 2026 (jul–sep 2026 för
    månadsmått)", or only the months that have ended in a quarter under way."""
    months = quarter_periods(quarter, today)[Measure.Frequency.MONTHLY]
    if not months:
        return _("%(quarter)s (inga hela månader ännu)") % {"quarter": quarter.label}
    span = months_label(months[0], months[-1])
    return _("%(quarter)s (%(months)s för månadsmått)") % {
        "quarter": quarter.label,
        "months": span,
    }


def _period_label(measure: Measure, start: datetime.date) -> str:
    if measure.frequency == Measure.Frequency.QUARTERLY:
        return Quarter.containing(start).label
    return month_label(start)


# --- links: where each item is done -------------------------------------------------------------


def _period_code(measure: Measure, period_start: datetime.date) -> str:
    if measure.frequency == Measure.Frequency.QUARTERLY:
        return Quarter.containing(period_start).code
    return period_start.strftime("%Y-%m")


def report_period_url(*, unit: Unit, measure: Measure, period_start: datetime.date) -> str:
    """Report a measure's values for the units below a unit: its reporting grid for the
    period, at the measure's table (the grid's ids are "m<measure>")."""
    query = urlencode({"period": _period_code(measure, period_start)})
    return f"{reverse('report_grid', args=[unit.pk])}?{query}#m{measure.pk}"


def observation_add_url(*, unit: Unit, measure: Measure, period_start: datetime.date) -> str:
    """Report a missing value: the unit's reporting grid for the period, at the measure's row."""
    query = urlencode({"period": _period_code(measure, period_start)})
    # The grid's row ids are "m<measure>u<unit>-unit" (followup.reporting.report_grid_cells).
    return f"{reverse('report_grid', args=[unit.pk])}?{query}#m{measure.pk}u{unit.pk}-unit"


def adoption_record_url(*, record: AdoptionRecord) -> str:
    """Give an adoption record its planned date: the unit's adoption grid, at its cell."""
    # The grid's row ids are "c<unit>m<method>-unit" (goals.grid_services.adoption_grid_cells).
    url = reverse("goals:adoption_grid", args=[record.unit_id])
    return f"{url}#c{record.unit_id}m{record.working_method_id}-unit"


def activity_url(*, activity: Activity) -> str:
    """Update an overdue activity: its VO's activity plan (edit, mark done, reorder)."""
    return activity_plan_url(plan=activity.plan)


def activity_plan_url(*, plan: ActivityPlan) -> str:
    """Complete a plan sent back (the reviewer's comment is on it) and submit it again."""
    return reverse("programmes:activity_plan", args=[plan.programme_area_id, plan.unit_id])


def support_need_url(*, need: SupportNeed) -> str:
    """Read or follow up a support need and its answer."""
    return reverse("programmes:support_need", args=[need.pk])
