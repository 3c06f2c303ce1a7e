"""The reporting grid: a VC or VEC reports a period's values for their units."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from base.formatting import format_number
from base.http import HtmxHttpRequest, require_perm
from organisation.models import Unit
from organisation.selectors import scope_for, unit_forest, units_reported_by

from .models import Observation
from .reporting import (
    CONFLICT_MESSAGE,
    OWN_CONFLICT_MESSAGE,
    cell_keys,
    closed_period_note,
    period_choice,
    period_examples,
    report_grid_cells,
    report_grid_save,
)

# The names of the grid's "Ersätt värdet", "Behåll importerat värde" and, beside a cell
# someone saved first, "Ta det sparade värdet" buttons.
OPEN, CLOSE, TAKE = "ersatt", "behall", "ta"


@require_GET
@login_required
def report_start(request: HtmxHttpRequest) -> HttpResponse:
    """Where the user reports: one grid per unit they report for."""
    units = units_reported_by(user=request.user)
    if not units and not scope_for(request.user).edits_everything:
        raise PermissionDenied
    if len(units) == 1:
        return HttpResponseRedirect(reverse("report_grid", args=[units[0].pk]))
    # In tree order (region, areas, their VOs), not one alphabetical list.
    tree = unit_forest(units=units)
    return render(request, "followup/report_start.html", {"units": units, "tree": tree})


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def report_grid(request: HtmxHttpRequest, unit_id: int) -> HttpResponse:
    """A period's values for the units below a unit, saved together or not at all.

    "Ersätt värdet" and "Behåll importerat värde" are submit buttons of the grid form: without
    JavaScript they post the grid with `ersatt=<cell>` or `behall=<cell>`, and the answer is
    the grid with that cell opened (or closed again) and every typed value kept, nothing
    stored. With htmx they ask for that one row (`?ersatt=<cell>&rad=<cell>`, `?rad=<cell>`)
    to swap in place. `?ersatt=<cell>` (repeatable) on a GET opens cells as well.
    """
    unit = get_object_or_404(Unit, pk=unit_id)
    require_perm(request, "followup.change_observation", Observation(unit=unit))
    choice = period_choice(request.POST.get("period") or request.GET.get("period"))
    period = choice.period
    template = (
        "followup/report_grid.html#report-form" if request.htmx else "followup/report_grid.html"
    )
    if request.method == "POST" and choice.error:
        # Values posted for a period that is no period or has not ended: nothing is stored.
        messages.error(request, _("Inget sparades. %(reason)s") % {"reason": choice.error})
        grid = reverse("report_grid", args=[unit.pk])
        return HttpResponseClientRedirect(grid) if request.htmx else HttpResponseRedirect(grid)
    context = {
        "unit": unit,
        "period": period,
        "previous": period.previous(),
        "following": choice.following,
        "period_error": choice.error,
        "examples": period_examples(),
        # Said above the grid: the import's note on a quarter whose report is closed.
        "closed_note": closed_period_note(period),
    }
    if request.method == "GET":
        overriding = cell_keys(request.GET.getlist(OPEN))
        sections = report_grid_cells(unit=unit, period=period, overriding=overriding)
        context.update(sections=sections)
        _link_rows(request.path, period.code, sections)
        only = request.GET.get("rad", "")
        if request.htmx and only:
            for section in sections:
                for row in section["rows"]:
                    if row["key"] == only:
                        _focus(row)
                        return render(
                            request,
                            "followup/report_grid.html#report-row",
                            {**context, "section": section, "row": row},
                        )
            raise Http404
        if overriding:  # the cell chosen last gets the focus (its link's fragment scrolls)
            for section in sections:
                for row in section["rows"]:
                    if row["key"] == overriding[-1] and row["imported"]:
                        _focus(row)
        return render(request, template, context)
    if OPEN in request.POST or CLOSE in request.POST or TAKE in request.POST:
        return _redisplay(request, template, context)
    sections = report_grid_cells(unit=unit, period=period, data=request.POST, user=request.user)
    result = report_grid_save(user=request.user, period=period, sections=sections)
    context.update(sections=sections, result=result)
    _link_rows(request.path, period.code, sections)
    if result.conflicts:
        conflicts = [r["conflict"] for s in sections for r in s["rows"] if r.get("conflict")]
        yours = bool(conflicts) and all(c.yours for c in conflicts)
        # Said once: in the error summary, which is an alert and takes the focus, not also in
        # the page's live message region (a screen reader would read both).
        context["summary_text"] = str(OWN_CONFLICT_MESSAGE if yours else CONFLICT_MESSAGE)
        context["conflict_title"] = (
            _("Du har redan sparat ändringar") if yours else _("Någon annan hann före")
        )
        return render(request, template, context, status=409)
    if result.errors:
        # In the summary only, as above.
        context["summary_text"] = _("Rätta de markerade värdena och spara igen.")
        return render(request, template, context, status=422)
    if result.saved:
        saved = ngettext(
            "%(count)s värde är sparat.", "%(count)s värden är sparade.", result.saved
        ) % {"count": format_number(result.saved, 0)}
        closed = closed_period_note(period, result.saved) if context["closed_note"] else ""
    else:
        saved, closed = _("Inga ändringar att spara."), ""
    url = reverse("report_grid", args=[unit.pk]) + f"?period={period.code}"
    if not request.htmx:
        # The page after the redirect is read from the top: the message region says it.
        messages.add_message(request, messages.SUCCESS if result.saved else messages.INFO, saved)
        if closed:
            messages.warning(request, closed)
        return HttpResponseRedirect(url)
    # With htmx the form is swapped where the user pressed "Spara värden": the confirmation is
    # said there, beside the button, and focused (the message region above is emptied, so
    # the page says one thing).
    sections = report_grid_cells(unit=unit, period=period)
    _link_rows(request.path, period.code, sections)
    return render(
        request,
        template,
        {
            **context,
            "sections": sections,
            "result": None,
            "saved_text": saved,
            "saved_ok": bool(result.saved),
            "saved_closed": closed,
        },
    )


def _redisplay(request: HtmxHttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """The grid again as posted, with one imported cell opened for an override (or closed
    again), the focus on it; nothing is validated or stored."""
    data = request.POST.copy()
    opened = next(iter(cell_keys(request.POST.getlist(OPEN))), "")
    closed = next(iter(cell_keys(request.POST.getlist(CLOSE))), "")
    taken = next(iter(cell_keys(request.POST.getlist(TAKE))), "")
    for dropped in (closed, taken):
        # Back to the stored value (an imported one, or one saved first by someone else): the
        # cell's typed values, override flag and the version it was to overwrite are dropped.
        for name in [name for name in data if dropped and name.startswith(f"{dropped}-")]:
            del data[name]
    sections = report_grid_cells(
        unit=context["unit"],
        period=context["period"],
        data=data,
        overriding=[opened] if opened else [],
        redisplay=True,
        user=request.user,
    )
    _link_rows(request.path, context["period"].code, sections)
    for section in sections:
        for row in section["rows"]:
            if (row["key"] in (opened, closed) and row["imported"]) or row["key"] == taken:
                _focus(row)
    return render(request, template, {**context, "sections": sections})


def _focus(row: dict[str, Any]) -> None:
    """Where the focus goes when a cell is swapped: its first input, or its "Ersätt värdet".
    The input's value is selected as it takes the focus (static/js/editing.js), so what the user
    types replaces the old value instead of being put in front of it."""
    row["focus"] = True
    if row["editable"]:
        for field in row["form"].visible_fields():
            if field.name != "override":
                field.field.widget.attrs["autofocus"] = True
                field.field.widget.attrs["data-select-on-focus"] = True
                return


def _link_rows(path: str, period: str, sections: list[dict[str, Any]]) -> None:
    """The htmx row requests of each imported cell's buttons: "Ersätt värdet" (the cell as
    inputs) and "Behåll importerat värde" (back to read-only)."""
    for section in sections:
        for row in section["rows"]:
            if row["imported"]:
                key = row["key"]
                opened = urlencode([("period", period), (OPEN, key), ("rad", key)])
                row["override_row_url"] = f"{path}?{opened}"
                row["keep_row_url"] = f"{path}?{urlencode([('period', period), ('rad', key)])}"
