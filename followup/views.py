"""Pages of the follow-up: the start page (portfolio overview), the measures and the goals."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers
from django_htmx.middleware import HtmxDetails

from goals.models import Goal
from gonv.periods import Quarter

from . import selectors
from .forms import MeasureQueryForm
from .models import Measure
from .selectors import portfolio_with_status

LOGGED_OUT_MESSAGE = _("Du är nu utloggad.")
NO_UNITS = _("Inga enheter är inlagda ännu.")


class HtmxHttpRequest(HttpRequest):
    """A request that has passed django-htmx's middleware."""

    htmx: HtmxDetails


def logged_out_message(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    """Tell the user on the login page that they are logged out (Django's LogoutView is silent).

    The message survives the session flush because the messages framework keeps it in a cookie.
    """
    if request is not None and hasattr(request, "_messages"):
        messages.info(request, LOGGED_OUT_MESSAGE)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def home(request: HtmxHttpRequest) -> HttpResponse:
    """The start page: every programme area of the current phase with its goals and milestones."""
    if not request.user.has_perm("gonv.view_portfolio"):
        raise PermissionDenied
    template = "followup/home.html#portfolio" if request.htmx else "followup/home.html"
    portfolio = portfolio_with_status()
    context = {
        "phases": portfolio.phases,
        "status_quarter": portfolio.quarter,
        "computed_at": portfolio.computed_at,
    }
    return render(request, template, context)


# --- the Mått and Mål pages ---------------------------------------------------------------------


def _require_reader(request: HttpRequest) -> None:
    """Every role reads every page; a user without a role reads none."""
    if not request.user.has_perm("gonv.view_portfolio"):
        raise PermissionDenied


def _is_partial(request: HtmxHttpRequest) -> bool:
    """An htmx swap (not a history restore, which needs the whole page)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def _quarter_for(requested: Quarter | None, quarters: list[Quarter]) -> Quarter | None:
    """The requested quarter, else the latest computed one up to today."""
    return requested or selectors.default_quarter(quarters)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def measure_list(request: HtmxHttpRequest) -> HttpResponse:
    """Every measure with the region's value, change, sparkline and SPC icons for a quarter."""
    _require_reader(request)
    form = MeasureQueryForm(request.GET)
    form.is_valid()
    quarters = selectors.computed_quarters()
    quarter = _quarter_for(form.cleaned_data.get("kvartal"), quarters)
    unit = selectors.region_unit()
    context = {
        "form": form,
        "quarter": quarter,
        "quarters": quarters,
        "unit": unit,
        "rows": selectors.measure_list(unit=unit, quarter=quarter),
    }
    template = "followup/measure_list.html"
    if _is_partial(request):
        template += "#measure-table"
    return render(request, template, context, status=400 if form.errors else 200)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def measure_detail(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """A measure for a unit (default the region): SPC chart, icons, quarters and signals."""
    _require_reader(request)
    measure = get_object_or_404(Measure, code=code)
    form = MeasureQueryForm(request.GET)
    form.is_valid()
    quarters = selectors.computed_quarters()
    quarter = _quarter_for(form.cleaned_data.get("kvartal"), quarters)
    unit = form.cleaned_data.get("enhet") or selectors.region_unit()
    if unit is None:
        raise Http404(NO_UNITS)
    series = selectors.measure_series(measure=measure, unit=unit, quarter=quarter)
    context = {
        "form": form,
        "measure": measure,
        "unit": unit,
        "quarter": quarter,
        "quarters": quarters,
        "series": series,
        "choices": selectors.unit_choices(unit),
        "show_two_sigma": bool(form.cleaned_data.get("sigma")),
    }
    template = "followup/measure_detail.html"
    if _is_partial(request):
        template += "#measure-unit"
    return render(request, template, context, status=400 if form.errors else 200)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def goal_detail(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """A goal or milestone: status per quarter, the basis of the latest, milestones, and the
    units (adoption) or SPC chart (measure) behind it."""
    _require_reader(request)
    goal = get_object_or_404(
        Goal.objects.select_related(
            "programme_area__phase__organisation_unit",
            "parent",
            "measure",
            "working_method",
            "unit_kind",
        ),
        code=code,
    )
    form = MeasureQueryForm(request.GET)
    form.is_valid()
    quarters = selectors.computed_quarters()
    quarter = _quarter_for(form.cleaned_data.get("kvartal"), quarters)
    page = selectors.goal_page(goal=goal, quarter=quarter)
    context = {
        "form": form,
        "goal": goal,
        "quarter": quarter,
        "quarters": quarters,
        "page": page,
        "status_in_percent": goal.kind == Goal.Kind.ADOPTION,
        "measure_unit": goal.measure.unit if goal.measure else "",
    }
    template = "followup/goal_detail.html"
    if _is_partial(request):
        template += "#goal-quarter"
    return render(request, template, context, status=400 if form.errors else 200)
