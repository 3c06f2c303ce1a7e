"""The reporting grid: a VC or VEC reports a period's values for their units."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from base.http import HtmxHttpRequest
from organisation.models import Unit
from organisation.selectors import scope_for

from .models import Observation
from .reporting import CONFLICT_MESSAGE, period_parse, report_grid_cells, report_grid_save


@require_GET
@login_required
def report_start(request: HtmxHttpRequest) -> HttpResponse:
    """Where the user reports: one grid per unit they report for."""
    scope = scope_for(request.user)
    if request.user.has_perm("organisation.change_unit"):
        units = list(Unit.objects.filter(children__isnull=False).distinct().order_by("name"))
    else:
        units = list(Unit.objects.filter(pk__in=scope.root_unit_ids).order_by("name"))
        if not units:
            raise PermissionDenied
    if len(units) == 1:
        return HttpResponseRedirect(reverse("report_grid", args=[units[0].pk]))
    return render(request, "followup/report_start.html", {"units": units})


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def report_grid(request: HtmxHttpRequest, unit_id: int) -> HttpResponse:
    """A period's values for the units below a unit, saved together or not at all."""
    unit = get_object_or_404(Unit, pk=unit_id)
    if not request.user.has_perm("followup.change_observation", Observation(unit=unit)):
        raise PermissionDenied
    period = period_parse(request.POST.get("period") or request.GET.get("period"))
    template = (
        "followup/report_grid.html#report-form" if request.htmx else "followup/report_grid.html"
    )
    context = {"unit": unit, "period": period, "previous": period.previous()}
    if request.method == "GET":
        sections = report_grid_cells(unit=unit, period=period)
        return render(request, template, {**context, "sections": sections})
    sections = report_grid_cells(unit=unit, period=period, data=request.POST)
    result = report_grid_save(user=request.user, period=period, sections=sections)
    context.update(sections=sections, result=result)
    if result.conflicts:
        messages.error(request, str(CONFLICT_MESSAGE))
        return render(request, template, context, status=409)
    if result.errors:
        messages.error(request, _("Inget sparades: rätta de markerade värdena och spara igen."))
        return render(request, template, context, status=422)
    if result.saved:
        messages.success(request, _("{count} värden är sparade.").format(count=result.saved))
    else:
        messages.info(request, _("Inga ändringar att spara."))
    url = reverse("report_grid", args=[unit.pk]) + f"?period={period.code}"
    if not request.htmx:
        return HttpResponseRedirect(url)
    sections = report_grid_cells(unit=unit, period=period)
    return render(request, template, {**context, "sections": sections, "result": None})
