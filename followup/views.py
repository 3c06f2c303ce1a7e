"""Pages of the follow-up: the landing page per role, the portfolio, programme areas, units."""

from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from base.http import HtmxHttpRequest, NotFound, require_perm
from goals.models import Goal
from goals.selectors import MATRIX_SORTS, adoption_matrix, evaluation_day, goal_tree_for_area
from goals.views import goal_form_response
from organisation.models import Role
from organisation.selectors import (
    UNIT_SEARCH_MIN_LENGTH,
    region_unit,
    scope_for,
    unit_ancestors,
    unit_get,
    unit_home_for,
    unit_search,
    unit_tree,
    unit_tree_depth,
)
from organisation.selectors import unit_tree_children as unit_tree_children_of
from programmes.selectors import area_pending_counts, programme_area_get, programme_area_owned_by

from .cache import REGION_TIMEOUT, cached, lazy, lazy_items, region_key
from .forms import MeasureUnitForm
from .models import QuarterReport
from .organisation_selection import (
    ORGANISATION_PARAM,
    PHASE_PARAM,
    OrganisationSelection,
    organisation_params,
    organisation_selection,
    portfolio_url,
    programme_area_url,
)
from .quarter_selection import QUARTER_PARAM, QuarterForm, QuarterSelection, quarter_selection
from .selectors import (
    ReportNotice,
    goal_block_get,
    goal_get,
    goal_page,
    goal_results_of,
    latest_compute_run,
    measure_get,
    measure_report_unit,
    measure_rows,
    measure_series,
    measures_exist,
    portfolio_quarter,
    portfolio_with_status,
    programme_area_measures,
    programme_area_quarter,
    programme_area_timeline,
    quarter_report_notices,
    unit_choices,
    unit_dashboard,
)
from .todo import TODO_KEYS, TODO_PAGE_SIZE, unit_todo

NO_UNITS = _("Inga enheter är inlagda ännu.")
# What the 404 page says when the address names something that does not exist (NotFound); the
# code is the address's own text (the page escapes it).
NOT_FOUND_UNIT = _("Det finns ingen enhet med koden ”%(code)s”.")
NOT_FOUND_MEASURE = _("Det finns inget mått med koden ”%(code)s”.")
NOT_FOUND_GOAL = _("Det finns inget mål eller delmål med koden ”%(code)s”.")
NOT_FOUND_AREA = _("Det finns inget programområde med nummer %(number)s.")
NOT_FOUND_AREA_IN = _("Det finns inget programområde med nummer %(number)s i %(organisation)s.")


def wants_partial(request: HtmxHttpRequest) -> bool:
    """An htmx swap asks for its region only; a history restore (Back after the cache was
    evicted) asks for the whole page even though it, too, carries HX-Request."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def _require_reader(request: HttpRequest) -> None:
    require_perm(request, "gonv.view_portfolio")


def _regions(**keys: object) -> dict[str, object]:
    """The cache keys of a page's regions (`{% cache region_timeout "name" keys.name %}`).

    Each region's content is built lazily (followup.cache.lazy), so a cached region reads
    nothing: the selectors run only when a region is rendered.
    """
    return {
        "region_timeout": REGION_TIMEOUT,
        "keys": {name: region_key(name, value) for name, value in keys.items()},
    }


def _edit_key(request: HttpRequest, can_edit: bool) -> str:
    """The part of a region's key its edit links depend on: whether the user may write, and
    the page they return to (`?next=`); nothing of the user for one who may not."""
    return f"edit:{request.get_full_path()}" if can_edit else "read"


@require_GET
@login_required
def my_unit(request: HttpRequest) -> HttpResponse:
    """ "Min enhet": the dashboard of the VO a VC leads or the unit a VEC leads."""
    unit = unit_home_for(user=request.user)
    if unit is None:
        return redirect("unit_list")
    return redirect(reverse("unit_detail", kwargs={"code": unit.code}))


@require_GET
@login_required
def my_area(request: HttpRequest) -> HttpResponse:
    """ "Mitt programområde": the page of the area a programme owner is responsible for (the
    one they land on, where they have several)."""
    area = programme_area_owned_by(area_ids=scope_for(request.user).area_ids)
    if area is None:
        return redirect("programme_area_list")
    return redirect(programme_area_url(area))


@require_GET
@login_required
@vary_on_headers("HX-Request")
def home(request: HtmxHttpRequest) -> HttpResponse:
    """Portfölj: every programme area of the current phase with its goals and milestones, and
    the selected quarter's status, summary, deadlines and measures; with several organisations,
    one organisation's (`?organisation=`, followup.organisation_selection)."""
    _require_reader(request)
    selection = quarter_selection(request)
    chosen = organisation_selection(request)
    organisation = chosen.organisation
    portfolio = lazy(
        lambda: portfolio_with_status(
            quarter=selection.quarter, organisation=organisation, with_report=True
        )
    )
    quarter = selection.quarter if selection.is_computed else None
    context = {
        "selection": selection,
        "organisation_selection": chosen,
        # Outside the cached regions: the reports' state is not the engine's generation.
        "report_notices": lazy(lambda: _report_notices(request, selection, chosen)),
        "phases": lambda: portfolio().phases,
        "status_quarter": quarter,
        "computed_at": lambda: portfolio().computed_at,
        # The quarter's report closed and recomputed since (in the same query, same region).
        "report_change": lambda: portfolio().report_change,
        **lazy_items(
            lambda: portfolio_quarter(
                phases=portfolio().phases,
                quarter=quarter,
                today=selection.reference_day,
                organisation=organisation,
            ),
            ("measure_lines", "deadlines", "summary", "region"),
        ),
        # The organisation is part of the key: no organisation's portfolio served for another.
        **_regions(portfolio=f"{chosen.code}:{selection.quarter}:{selection.is_computed}"),
    }
    if wants_partial(request):
        return render(request, "followup/home.html#quarter-region", context)
    return render(request, "followup/home.html", context)


def _report_notices(
    request: HttpRequest, selection: QuarterSelection, chosen: OrganisationSelection
) -> list[ReportNotice]:
    """The quarterly reports waiting for the user (followup.selectors.quarter_report_notices):
    one query for the strategist, the portfolio owner and administrators, none for others."""
    # Asked with an object, as the report's services ask (gonv.rules, not the model backend);
    # a portfolio owner assigned to an organisation is asked about each closed report found.
    may_close = request.user.has_perm("followup.close_quarterreport", QuarterReport())
    may_approve_some = (
        request.user.has_perm("followup.approve_quarterreport", QuarterReport())
        or Role.PORTFOLIO_OWNER in scope_for(request.user).roles
    )
    if not (may_close or may_approve_some):
        return []
    notices = quarter_report_notices(
        organisation=chosen.organisation,
        computed=selection.computed,
        today=timezone.localdate(),
        may_close=may_close,
        may_approve=lambda report: request.user.has_perm("followup.approve_quarterreport", report),
    )
    query = f"?{urlencode({ORGANISATION_PARAM: chosen.code})}" if chosen.organisation else ""
    return [
        replace(
            notice,
            url=reverse("quarter_report_detail", kwargs={"quarter": notice.quarter.code}) + query,
        )
        for notice in notices
    ]


@require_GET
@login_required
@vary_on_headers("HX-Request")
def programme_area_list(request: HtmxHttpRequest) -> HttpResponse:
    """Programområden: the areas of each phase with their overall status for the quarter; with
    several organisations, the chosen one's phases (as on Portfölj) and those of none."""
    _require_reader(request)
    selection = quarter_selection(request)
    chosen = organisation_selection(request)
    portfolio = lazy(
        lambda: portfolio_with_status(
            quarter=selection.quarter, organisation=chosen.organisation, with_unassigned=True
        )
    )
    context = {
        "selection": selection,
        "organisation_selection": chosen,
        "phases": lambda: portfolio().phases,
        # The organisation is part of the key: no organisation's list served for another.
        **_regions(areas=f"{chosen.code}:{selection.quarter}:{selection.is_computed}"),
    }
    if wants_partial(request):
        return render(request, "followup/programme_area_list.html#quarter-region", context)
    return render(request, "followup/programme_area_list.html", context)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def programme_area_detail(request: HtmxHttpRequest, number: int) -> HttpResponse:
    """One programme area: its goals and milestones with status, assessments and measures."""
    _require_reader(request)
    # Areas of several organisations share numbers: the chosen organisation's, as on Portfölj
    # (`?organisation=`, else the user's); with one organisation, the latest phase's.
    # An area of a phase of no organisation is named by its phase (`?fas=`).
    chosen = organisation_selection(request)
    area = programme_area_get(
        number=number,
        organisation_id=chosen.organisation.id if chosen.organisation else None,
        phase_code=request.GET.get(PHASE_PARAM, "").strip() if chosen.organisation else "",
    )
    if area is None:
        if chosen.organisation:
            raise NotFound(
                NOT_FOUND_AREA_IN % {"number": number, "organisation": chosen.organisation.name}
            )
        raise NotFound(NOT_FOUND_AREA % {"number": number})
    # The area's organisation goes along in every form and link of the page, so a swap or a
    # plain GET reaches this area again (nothing with one organisation).
    area_params = list(organisation_params(area.phase_id).items())
    selection = quarter_selection(request)
    sort = request.GET.get("sortera", "enhet")
    vo_code = request.GET.get("vo", "")
    # ?enhet= chooses the unit of the measures' charts (default the region); an unknown code
    # shows the region and says so.
    # Only the area's organisation's units (the whole tree for a phase of none).
    unit_form = MeasureUnitForm(request.GET, organisation=area.phase.organisation_unit)
    unit_form.is_valid()
    chart_unit = unit_form.cleaned_data.get("enhet")
    can_edit = request.user.has_perm("goals.change_goal", area)
    today = timezone.localdate()
    quarter_code = f"{area.pk}:{selection.quarter}:{selection.is_computed}"
    context: dict[str, Any] = {
        "area": area,
        "selection": selection,
        "sort": sort,
        "vo_code": vo_code,
        "unit_form": unit_form,
        # Without JavaScript the quarter form keeps the charts' unit along.
        "keep": [*area_params, *([("enhet", chart_unit.code)] if chart_unit else [])],
        "area_params": area_params,
        "organisation_error": chosen.error,
        "portfolio_url": portfolio_url(area.phase_id),
        "area_list_url": portfolio_url(area.phase_id, "programme_area_list"),
        # The permission the editing pages ask (goals.views): the area's owner, the strategist.
        "can_edit": can_edit,
        "matrix": lazy(
            lambda: adoption_matrix(
                area=area,
                # As of the quarter's evaluation day, as its goals are: its end, today in the
                # ongoing quarter (the quarter is part of the region's key, as is today).
                day=evaluation_day(
                    selection.quarter.end if selection.quarter else None, today=today, deadline=None
                ),
                vo_code=vo_code,
                sort=sort if sort in MATRIX_SORTS else "enhet",
                unit_limit=settings.GONV_ADOPTION_MATRIX_UNIT_LIMIT,
            )
        ),
        **_regions(
            goals=f"{quarter_code}:{_edit_key(request, can_edit)}",
            charts=(
                f"{quarter_code}:{request.GET.get('enhet', '')}:{vo_code}:{sort}:"
                f"{chart_unit.code if chart_unit else ''}"
            ),
            adoption=f"{area.pk}:{selection.quarter}:{vo_code}:{sort}:{context_keep(chart_unit)}",
            timeline=f"{area.pk}",
        ),
    }
    target = request.htmx.target if wants_partial(request) else None
    if target == "adoption":
        return render(request, "followup/programme_area_detail.html#adoption", context)
    if target == "area-charts":
        context.update(
            lazy_items(
                lambda: programme_area_measures(
                    area=area, unit=chart_unit, quarter=selection.quarter
                ),
                ("region", "chart_unit", "unit_choices", "measure_lines"),
            )
        )
        return render(request, "followup/programme_area_detail.html#area-charts", context)
    tree = lazy(lambda: goal_tree_for_area(area=area))
    quarter_data = lazy(
        lambda: programme_area_quarter(
            area=area, quarter=selection.quarter, unit=chart_unit, goals=tree()
        )
    )
    context.update(
        lazy_items(
            quarter_data,
            (
                "goals",
                "overall_status",
                "status_counts",
                "region",
                "chart_unit",
                "unit_choices",
                "measure_lines",
                "computed_at",
            ),
        )
    )
    if target is not None:
        # The quarter's region, with the breadcrumbs and the adoption matrix out of band.
        return render(
            request,
            "followup/programme_area_detail.html#quarter-region",
            {**context, "partial": True},
        )
    if can_edit:
        # What waits for the user in the area, beside its links; the user's own (one query, not
        # in a cached region, as the links are not).
        context["pending_plans"], context["pending_needs"] = area_pending_counts(
            area=area, scope=scope_for(request.user)
        )
    context["timeline"] = lazy(
        lambda: programme_area_timeline(area=area, goals=tree(), today=today)
    )
    return render(request, "followup/programme_area_detail.html", context)


def context_keep(unit: Any) -> str:
    """The chart unit the adoption form keeps along (part of its region's key)."""
    return unit.code if unit is not None else ""


# The Enheter page's search: `?sok=<part of a name or code, or an HSA-id>`.
SEARCH_PARAM = "sok"


@require_GET
@login_required
@vary_on_headers("HX-Request")
def unit_list(request: HtmxHttpRequest) -> HttpResponse:
    """Enheter: the unit tree down to settings.GONV_UNIT_TREE_DEPTH (the VOs), or less where
    that would be more than GONV_UNIT_TREE_MAX_NODES units, each unit a link to its dashboard;
    a folded unit's units are fetched when it is opened (unit_tree_children). Above it a
    search by name, code or HSA-id (`?sok=`; over htmx only its results are swapped)."""
    _require_reader(request)
    depth, max_nodes = settings.GONV_UNIT_TREE_DEPTH, settings.GONV_UNIT_TREE_MAX_NODES

    def tree() -> list[Any]:
        return unit_tree(depth=unit_tree_depth(depth=depth, max_nodes=max_nodes))

    text = request.GET.get(SEARCH_PARAM, "")
    context = {
        "roots": lazy(tree),
        # Not cached: one query, and as many texts as users type.
        "search": unit_search(text=text) if text.strip() else None,
        "search_min_length": UNIT_SEARCH_MIN_LENGTH,
        "today": timezone.localdate(),
        **_regions(tree=f"{depth}:{max_nodes}"),
    }
    if wants_partial(request) and request.htmx.target == "unit-search-results":
        # With the count for the page's live region, out of band (the template).
        return render(
            request, "followup/unit_list.html#unit-search-results", {**context, "partial": True}
        )
    return render(request, "followup/unit_list.html", context)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def unit_tree_children(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """The units directly below a folded node of the Enheter tree (htmx, on its first opening).

    Without htmx (the URL opened by hand) it leads to the unit's page, which lists its units.
    """
    _require_reader(request)
    unit = unit_get(code=code)
    if unit is None:
        raise NotFound(NOT_FOUND_UNIT % {"code": code})
    if not request.htmx:
        return redirect(reverse("unit_detail", kwargs={"code": unit.code}))
    context = {
        "parent": unit,
        "nodes": lazy(lambda: unit_tree_children_of(unit=unit)),
        **_regions(tree_children=f"{unit.pk}"),
    }
    return render(request, "followup/unit_list.html#unit-children", context)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def unit_detail(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """A unit's dashboard: units below, measures against parent and region, peers, to-do."""
    _require_reader(request)
    unit = unit_get(code=code)
    if unit is None:
        raise NotFound(NOT_FOUND_UNIT % {"code": code})
    selection = quarter_selection(request)
    measure_code = request.GET.get("matt") or ""
    # "Att göra" only for a unit the user may write (it sits outside the swapped regions); it
    # is the same for everyone who may, so its cached region is keyed on the unit alone.
    may_write = request.user.has_perm("goals.change_adoptionrecord", unit)
    today = timezone.localdate()
    todo_quarter = selection.quarter if selection.link_code else None
    quarter_key = f"{unit.pk}:{selection.quarter}:{selection.is_computed}:{measure_code}"
    context: dict[str, Any] = {
        "unit": unit,
        "selection": selection,
        **lazy_items(
            lambda: unit_dashboard(
                unit=unit, quarter=selection.quarter, measure_code=measure_code or None
            ),
            UNIT_DASHBOARD_ITEMS,
        ),
        # Without JavaScript the quarter form keeps the peer comparison's measure along.
        "keep": [("matt", measure_code)] if measure_code else [],
        "may_write": may_write,
        # A quarter chosen (`?kvartal=`, not the default) is what "Saknade värden" covers:
        # which units lack that quarter's values before it is closed.
        "todo": lazy(lambda: unit_todo(unit=unit, today=today, quarter=todo_quarter))
        if may_write
        else None,
        "todo_quarter": todo_quarter,
        # The units below and their adoption stand as of the quarter (and link to it).
        **_regions(
            unit=f"{unit.pk}:{selection.quarter}",
            unit_quarter=quarter_key,
            todo=f"{unit.pk}:{todo_quarter or ''}",
        ),
    }
    if wants_partial(request):
        if request.htmx.target == "peers":
            return render(request, "followup/unit_detail.html#peers", context)
        # The quarter's region, with the breadcrumbs and the units below out of band.
        return render(
            request, "followup/unit_detail.html#quarter-region", {**context, "partial": True}
        )
    return render(request, "followup/unit_detail.html", context)


@require_GET
@login_required
def unit_todo_list(request: HttpRequest, code: str, key: str) -> HttpResponse:
    """One of a unit's "Att göra" lists whole, TODO_PAGE_SIZE items a page (the dashboard shows
    the first TODO_LIMIT of each). Only for a user who may write the unit, as on the dashboard.
    """
    _require_reader(request)
    unit = unit_get(code=code)
    if unit is None:
        raise NotFound(NOT_FOUND_UNIT % {"code": code})
    if key not in TODO_KEYS:
        raise Http404(_("Listan finns inte."))
    # The same check as the dashboard's "Att göra" (unit_detail's may_write).
    require_perm(
        request,
        "goals.change_adoptionrecord",
        unit,
        message=_("Att göra visas bara för den som får ändra enhetens uppgifter."),
    )
    # The dashboard's chosen quarter goes along (`?kvartal=`): the same missing values.
    quarter = QuarterForm(data={QUARTER_PARAM: request.GET.get(QUARTER_PARAM, "")})
    chosen = quarter.cleaned_data[QUARTER_PARAM] if quarter.is_valid() else None
    todo = next(
        t
        for t in unit_todo(unit=unit, today=timezone.localdate(), whole=True, quarter=chosen)
        if t.key == key
    )
    page = Paginator(todo.items, TODO_PAGE_SIZE).get_page(request.GET.get("sida"))
    context = {
        "unit": unit,
        "ancestors": unit_ancestors(unit=unit),  # the unit itself last
        "todo": todo,
        "page": page,
        "todo_quarter": chosen,
    }
    return render(request, "followup/unit_todo_list.html", context)


UNIT_DASHBOARD_ITEMS = (
    "ancestors",
    "region",
    "parent",
    "children",
    "methods",
    "adoption",
    "adoption_day",
    "measure_lines",
    "peer_parent",
    "peer_measures",
    "peer_measure",
    "peer_parent_result",
    "peers",
    "peer_comparison",
    "computed_at",
)


# --- the Mått and Mål pages ---------------------------------------------------------------------


@require_GET
@login_required
@vary_on_headers("HX-Request")
def measure_list(request: HtmxHttpRequest) -> HttpResponse:
    """Mått: every measure with the region's value, changes, sparkline and SPC icons."""
    _require_reader(request)
    selection = quarter_selection(request)
    unit = region_unit()
    quarter = selection.quarter if selection.is_computed else None
    context = {
        "selection": selection,
        "computed_at": lazy(lambda: latest_compute_run(quarter=quarter) if quarter else None),
        "quarter": quarter,
        "unit": unit,
        "rows": lazy(lambda: measure_rows(unit=unit, quarter=quarter)),
        # Read only for a user offered the import and reporting links (none on a fresh install).
        "measures_exist": lazy(measures_exist),
        **_regions(
            measures=f"{selection.quarter}:{selection.is_computed}",
            measure_facts=f"{selection.quarter}:{selection.is_computed}",
        ),
    }
    if wants_partial(request):
        return render(
            request, "followup/measure_list.html#quarter-region", {**context, "partial": True}
        )
    return render(request, "followup/measure_list.html", context)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def measure_detail(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """A measure for a unit (default the region): SPC chart, icons, quarters and signals.

    The unit, quarter and two-sigma lines come from one GET form that swaps #measure-unit over
    htmx and pushes the URL; an unknown unit shows the region and says so.
    """
    _require_reader(request)
    measure = measure_get(code=code)
    if measure is None:
        raise NotFound(NOT_FOUND_MEASURE % {"code": code})
    selection = quarter_selection(request)
    form = MeasureUnitForm(request.GET)
    form.is_valid()
    unit = form.cleaned_data.get("enhet") or region_unit()
    if unit is None:
        raise NotFound(str(NO_UNITS))
    quarter = selection.quarter if selection.is_computed else None
    show_two_sigma = bool(form.cleaned_data.get("sigma"))
    context = {
        "selection": selection,
        "computed_at": lazy(
            lambda: (
                latest_compute_run(quarter=quarter, report_unit=measure_report_unit(unit))
                if quarter
                else None
            )
        ),
        "form": form,
        "measure": measure,
        "unit": unit,
        "quarter": quarter,
        "series": lazy(lambda: measure_series(measure=measure, unit=unit, quarter=quarter)),
        "choices": lazy(lambda: unit_choices(unit)),
        "show_two_sigma": show_two_sigma,
        **_regions(
            measure_unit=(
                f"{measure.pk}:{unit.pk}:{selection.quarter}:{selection.is_computed}:"
                f"{show_two_sigma}"
            )
        ),
    }
    if wants_partial(request):
        return render(
            request, "followup/measure_detail.html#measure-unit", {**context, "partial": True}
        )
    return render(request, "followup/measure_detail.html", context)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def goal_detail(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """A goal or milestone: status per quarter, the basis of the latest, milestones, and the
    units (adoption) or SPC chart (measure) behind it."""
    _require_reader(request)
    # Read-only here, so from the generation's cache: the goal's query (its deadline move read
    # from the history in correlated subqueries) cost the page more than the rest of it, and
    # every goal save bumps the generation (followup.signals).
    goal = cached(f"goal-page:{code}", lambda: goal_get(code=code))
    if goal is None:
        raise NotFound(NOT_FOUND_GOAL % {"code": code})
    selection = quarter_selection(request)
    quarter = selection.quarter if selection.is_computed else None
    # The permission the editing pages ask (goals.views); milestones share the goal's area.
    can_edit = request.user.has_perm("goals.change_goal", goal)
    context = {
        "selection": selection,
        "computed_at": lazy(lambda: latest_compute_run(quarter=quarter) if quarter else None),
        "goal": goal,
        "can_edit": can_edit,
        "quarter": quarter,
        "page": lazy(lambda: goal_page(goal=goal, quarter=quarter)),
        # The header (outside the cached region) needs only the status, for the countdown.
        "header_result": lazy(
            lambda: goal_results_of(quarter=quarter, goals=[goal]).get(goal.pk) if quarter else None
        ),
        **_regions(
            goal=(
                f"{goal.pk}:{selection.quarter}:{selection.is_computed}:"
                f"{_edit_key(request, can_edit)}"
            )
        ),
        "status_in_percent": goal.kind == Goal.Kind.ADOPTION,
        "measure_unit": goal.measure.unit if goal.measure else "",
    }
    if wants_partial(request):
        return render(
            request, "followup/goal_detail.html#quarter-region", {**context, "partial": True}
        )
    return render(request, "followup/goal_detail.html", context)


# --- inline editing of a goal's block on the dashboards ------------------------------------------

# Where a goal's block sits (`?vy=`): the Programområde page's tree, the Mål page's header, a
# milestone's line on its goal's Mål page. Each gives back its own look on "Spara"/"Avbryt".
INLINE_LOOKS = ("omrade", "mal", "delmal")


def _inline_look(request: HttpRequest) -> str:
    """The block's place from `?vy=`, default the goal's own Mål page; an unknown one is 404."""
    look = request.GET.get("vy") or "mal"
    if look not in INLINE_LOOKS:
        raise Http404(_("Okänd vy."))
    return look


def _dashboard_page_url(goal: Goal, look: str, quarter_code: str) -> str:
    """The dashboard page the block sits on, at the shown quarter ("Avbryt" without htmx, and
    where a save without JavaScript leads back)."""
    params = {"kvartal": quarter_code} if quarter_code else {}
    if look == "omrade":
        # The area's organisation along: the page of the area the goal belongs to.
        return programme_area_url(goal.programme_area, **params)
    if look == "delmal" and goal.parent is not None:
        url = reverse("goal_detail", kwargs={"code": goal.parent.code})
    else:
        url = reverse("goal_detail", kwargs={"code": goal.code})
    return f"{url}?{urlencode(params)}" if params else url


def _goal_block(request: HtmxHttpRequest, code: str, *, saved: bool = False) -> HttpResponse:
    """The goal's block in its dashboard look, for the quarter shown, with the focus back on
    its "Redigera" (and, after a save, the message out of band)."""
    look = _inline_look(request)
    selection = quarter_selection(request)
    goal = goal_block_get(code=code, quarter=selection.quarter)
    if goal is None:
        raise NotFound(NOT_FOUND_GOAL % {"code": code})
    quarter_code = selection.quarter.code if selection.quarter else ""
    context: dict[str, Any] = {
        "goal": goal,
        "selection": selection,
        "can_edit": request.user.has_perm("goals.change_goal", goal),
        "inline_look": look,
        "next": _dashboard_page_url(goal, look, quarter_code),
        "refocus": True,
        "saved": saved,
    }
    if look == "mal":
        quarter = selection.quarter if selection.is_computed else None
        return render(
            request,
            "followup/goal_detail.html#goal-header",
            {**context, "quarter": quarter, "header_result": goal.result},  # type: ignore[attr-defined]
        )
    context["milestone"] = goal.parent_id is not None
    context["with_assessments"] = look == "omrade"
    return render(request, "includes/goal_block.html", context)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def goal_inline_block(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """A goal's block on a dashboard (`?vy=omrade|mal|delmal&kvartal=`): what "Avbryt" of the
    inline form swaps back in."""
    _require_reader(request)
    return _goal_block(request, code)


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def goal_inline_edit(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """ "Redigera" on the Programområde and Mål pages: the goal's form in place of its block
    (over htmx; the edit page without), saved through the editing pages' own view code
    (goals.views.goal_form_response: 422, 409 with both values, the history) and answered with
    the block in its dashboard look with the saved values."""
    goal = goal_get(code=code)
    if goal is None:
        raise NotFound(NOT_FOUND_GOAL % {"code": code})
    require_perm(request, "goals.change_goal", goal)
    look = _inline_look(request)
    quarter_code = request.GET.get("kvartal", "")
    query = "?" + urlencode({"vy": look, **({"kvartal": quarter_code} if quarter_code else {})})
    form_url = reverse("goal_inline_edit", kwargs={"code": code}) + query
    next_url = _dashboard_page_url(goal, look, quarter_code)

    def saved() -> HttpResponse:
        if not request.htmx:
            return redirect(next_url)
        return _goal_block(request, code, saved=True)

    context = {
        "next": next_url,
        "form_url": form_url,
        "cancel_url": reverse("goal_inline_block", kwargs={"code": code}) + query,
    }
    return goal_form_response(request, goal, context=context, saved=saved)
