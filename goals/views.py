"""Editing pages of goals and milestones: inline HTMX editing with a full-page fallback,
create, delete, reorder milestones, the quarter's assessment and the adoption grid.

Every write goes through goals.services (permission on the object as it was and as it will
be saved, history with the user); a save from a stale version answers 409 with both values.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.forms.utils import ErrorDict
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect, push_url

from base.editing import (
    ALREADY_SENT_MESSAGE,
    NOTHING_TO_SAVE_MESSAGE,
    UNCHANGED_MESSAGE,
    Conflict,
    SubmitOnce,
    conflict_for,
    history_context,
    keep_mine,
    merge,
    overwriting,
    unchanged,
    version_record,
    versioned_save,
)
from base.formatting import format_number
from base.http import HtmxHttpRequest, require_perm
from base.periods import InvalidQuarter, Quarter, quarter_label
from base.versioning import StaleVersion
from organisation.models import Unit
from organisation.selectors import scope_for, unit_forest, units_reported_by
from programmes.models import ProgrammeArea

from . import grid_services, services
from .forms import AdoptionCellForm, AssessmentForm, GoalForm
from .models import (
    Assessment,
    ClosedQuarter,
    Goal,
    assessable_quarters,
    closed_start_warning,
    default_assessment_quarter,
    phase_warning,
    start_counted_from,
)
from .selectors import assessments_with_earlier_versions, deleted_goal, removed_goals

CREATED_MESSAGE = gettext_noop("”{title}” är skapat.")
DELETED_MESSAGE = gettext_noop("”{title}” är borttaget.")
RESTORED_MESSAGE = gettext_noop("”{title}” är återställt.")
# Under the summary's heading "Inget sparades", which says what was refused: this says what to do.
GRID_ERRORS_MESSAGE = gettext_noop("Rätta de markerade cellerna och spara igen.")


def grid_saved_message(count: int) -> str:
    """ "1 ändring är sparad." / "2 ändringar är sparade." (the adoption grid's outcome)"""
    return ngettext("%(count)s ändring är sparad.", "%(count)s ändringar är sparade.", count) % {
        "count": format_number(count, 0)
    }


def _next_url(request: HtmxHttpRequest, default: str) -> str:
    """A same-site `next` parameter, or the default."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _goal_or_404(pk: int) -> Goal:
    return get_object_or_404(
        Goal.objects.select_related(
            "programme_area", "parent", "working_method", "unit_kind", "measure"
        ),
        pk=pk,
    )


def _goal_history(goal: Goal, request: HtmxHttpRequest) -> dict[str, Any]:
    # The goal page and its history fragment both page through goal_history's URL.
    return history_context(goal, request, "goal", url=reverse("goals:goal_history", args=[goal.pk]))


# --- the programme area's goals --------------------------------------------------------------


@require_GET
@login_required
@vary_on_headers("HX-Request")
def area_goals(request: HtmxHttpRequest, area_id: int) -> HttpResponse:
    """A programme area's goals and milestones, each editable in place."""
    area = get_object_or_404(ProgrammeArea, pk=area_id)
    require_perm(request, "goals.view_goal")
    goals = (
        Goal.objects.top_level()
        .filter(programme_area=area)
        .select_related("working_method", "unit_kind", "measure", "programme_area")
        .prefetch_related("milestones__unit_kind", "milestones__measure")
    )
    context = {
        "area": area,
        "goals": goals,
        "can_edit": request.user.has_perm("goals.add_goal", area),
        "can_edit_area": request.user.has_perm("programmes.change_programmearea", area),
        "removed_goals": removed_goals(area_id=area.pk),
        **_moved(request),
    }
    return render(request, "goals/area.html", context)


# --- one goal ---------------------------------------------------------------------------------


@require_GET
@login_required
@vary_on_headers("HX-Request")
def goal_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """A goal or milestone with its milestones and change history; `?block=1` (htmx) gives
    the goal's block alone, as "Avbryt" swaps it back in."""
    goal = _goal_or_404(pk)
    require_perm(request, "goals.view_goal", goal)
    context = _detail_context(request, goal)
    if request.htmx and request.GET.get("block"):
        # "Avbryt" of the inline form: its "Redigera" leads back where the form was opened.
        next_url = _next_url(
            request, _htmx_page(request) or reverse("goals:goal_detail", args=[pk])
        )
        return render(
            request,
            "goals/goal_detail.html#goal-block",
            {**context, "refocus": True, "next": next_url},
        )
    return render(request, "goals/goal_detail.html", context)


def _detail_context(request: HtmxHttpRequest, goal: Goal) -> dict[str, Any]:
    return {
        "goal": goal,
        "can_edit": request.user.has_perm("goals.change_goal", goal),
        "milestones": goal.milestones.select_related("unit_kind", "measure").order_by(
            "order", "deadline", "id"
        ),
        "removed_milestones": (
            []
            if goal.parent_id
            else removed_goals(area_id=goal.programme_area_id, parent_id=goal.pk)
        ),
        **_goal_history(goal, request),
        **_moved(request),
    }


@require_GET
@login_required
@vary_on_headers("HX-Request")
def goal_history(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """One page of a goal's change history (the paging links of the history section)."""
    goal = _goal_or_404(pk)
    require_perm(request, "goals.view_goal", goal)
    context = {"goal": goal, **_goal_history(goal, request)}
    if request.htmx:
        # Paging on this page itself: its h1 names the history, so the section has no h2.
        on_this_page = urlsplit(request.htmx.current_url_abs_path or "").path == request.path
        context["history_in_title"] = on_this_page
        return render(request, "includes/history.html", context)
    return render(request, "goals/goal_history.html", {**context, "history_in_title": True})


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def goal_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Edit a goal or milestone: in place over htmx, or as a full page without JavaScript."""
    goal = _goal_or_404(pk)
    require_perm(request, "goals.change_goal", goal)
    detail_url = reverse("goals:goal_detail", args=[goal.pk])
    next_url = _next_url(request, detail_url)
    return goal_form_response(
        request,
        goal,
        context={"next": next_url, "detail_url": detail_url},
        saved=lambda: _goal_saved(request, pk, next_url),
    )


def goal_form_response(
    request: HtmxHttpRequest,
    goal: Goal,
    *,
    context: dict[str, Any],
    saved: Callable[[], HttpResponse],
) -> HttpResponse:
    """The goal's form (GET) or its save (POST), for a user the caller has checked may change
    it: over htmx the form alone, swapped in place of the goal's block; without JavaScript the
    whole edit page. Invalid → 422, stale version → 409 with both values, saved (or a repeated
    submit of what is stored) → `saved()`. `context` has `next` (where "Avbryt" and a save
    without JavaScript lead) and may have `form_url` (where the form posts, default the edit
    page) and `cancel_url` (what "Avbryt" fetches over htmx, default the editing block); the
    dashboards' inline editing (followup.views.goal_inline_edit) passes its own."""
    partial = "goals/goal_edit.html#goal-form" if request.htmx else "goals/goal_edit.html"
    # The heading names the goal as stored, not a refused title; on the edit page itself the
    # form has no heading of its own beside the page's.
    context = {
        "goal": goal,
        "heading_title": goal.title,
        "full_page": not request.htmx or _on_form_page(request, goal, context),
        **context,
    }
    if request.method == "GET":
        form = GoalForm(instance=goal, initial={"version": goal.version})
        if request.htmx:  # the form replaces the block: focus moves into it
            form.fields["title"].widget.attrs["autofocus"] = ""
        return render(request, partial, {**context, "form": form})

    # The day the goal counted from as stored, before the form writes the user's values on it:
    # a moved start warns only of the closed quarters it moves the goal into or out of.
    counted_from = start_counted_from(goal, stored=goal)
    form = GoalForm(request.POST, instance=goal)
    if request.POST.get("byt_typ"):  # without JavaScript: show the chosen kind's fields
        return render(request, partial, {**context, "form": _switched(form)})
    if not form.is_valid():
        return render(request, partial, {**context, "form": form}, status=422)
    try:
        outcome = versioned_save(
            form=form,
            model=Goal,
            pk=goal.pk,
            save=lambda: services.goal_update(
                user=request.user,
                goal=goal,
                deadline_reason=form.cleaned_data.get("deadline_reason", ""),
            ),
            overwrite=keep_mine(request.POST),
        )
    except ValidationError as error:
        form.add_error(None, error)
        return render(request, partial, {**context, "form": form}, status=422)
    if isinstance(outcome, Conflict):
        return _goal_conflict(request, form, outcome, partial, context)
    if outcome.unchanged:  # nothing written: no version, no history, no recompute
        messages.info(request, outcome.message)
    else:
        messages.success(request, outcome.message)
    if outcome.kept_message:
        messages.info(request, outcome.kept_message)
    if not outcome.unchanged:
        # Saved, and said: a deadline outside the phase (the form's hint said so before).
        warning = phase_warning(goal) if "deadline" in form.changed_data else ""
        if warning:
            messages.warning(request, warning)
        if "start_date" in form.changed_data and (
            closed := closed_start_warning(goal, counted_from=counted_from)
        ):
            messages.warning(request, closed)
    if _on_form_page(request, goal, context):
        # The full edit page (opened directly, with JavaScript): htmx posted it, but the
        # user goes where `next` says, as without JavaScript, the messages with them.
        return HttpResponseClientRedirect(context["next"])
    return saved()


def _on_form_page(request: HtmxHttpRequest, goal: Goal, context: dict[str, Any]) -> bool:
    """Whether an htmx save was posted from the form's own full page, not from a block the
    form was swapped into."""
    page = _htmx_page(request).split("?")[0]
    own = {reverse("goals:goal_edit", args=[goal.pk]), str(context.get("form_url", ""))}
    return bool(page) and page in {url.split("?")[0] for url in own if url}


def _switched(form: GoalForm) -> GoalForm:
    """The form again with the submitted values and no errors, showing the chosen kind."""
    fresh = GoalForm(instance=form.instance, initial=form.data.dict())  # type: ignore[attr-defined]
    fresh.initial["kind"] = form.data.get("kind", "")
    return fresh


def _goal_saved(request: HtmxHttpRequest, pk: int, next_url: str) -> HttpResponse:
    if not request.htmx:
        return HttpResponseRedirect(next_url)
    goal = _goal_or_404(pk)
    # The history section is on the goal's own page only; elsewhere there is nothing to update.
    on_detail = (request.htmx.current_url_abs_path or "").split("?")[0] == reverse(
        "goals:goal_detail", args=[pk]
    )
    # The block's "Redigera" keeps the address the form was opened from (not the form's own,
    # which the save was posted to), however many times the form was sent back with errors.
    context = {
        **_detail_context(request, goal),
        "refocus": True,
        "oob_history": on_detail,
        "next": next_url,
    }
    return render(request, "goals/goal_detail.html#goal-saved", context)


def _htmx_page(request: HtmxHttpRequest) -> str:
    """The path (and query) of the page an htmx request came from, "" if unknown."""
    return (request.htmx.current_url_abs_path or "") if request.htmx else ""


def _goal_conflict(
    request: HtmxHttpRequest,
    form: GoalForm,
    conflict: Conflict,
    partial: str,
    context: dict[str, Any],
) -> HttpResponse:
    goal = form.instance
    current = Goal.objects.filter(pk=goal.pk).first() if not conflict.deleted else None
    if current is None:
        messages.error(request, _("Målet har tagits bort av någon annan."))
        raise Http404
    # The form keeps the version it was rendered from: only "Spara mina ändringar" (which
    # sends the version shown as theirs) overwrites, knowingly.
    context = {**context, "heading_title": current.title}  # before the form sets the user's
    form = GoalForm(request.POST, instance=current)
    form.is_valid()
    take_theirs = (
        reverse("goals:goal_edit", args=[goal.pk]) + "?" + urlencode({"next": context["next"]})
    )
    return render(
        request,
        partial,
        {**context, "form": form, "conflict": conflict, "take_theirs_url": take_theirs},
        status=409,
    )


@require_GET
@login_required
def goal_kind_fields(request: HtmxHttpRequest) -> HttpResponse:
    """The fields of the chosen kind (the kind switch swaps them in over htmx)."""
    require_perm(request, "goals.view_goal")
    pk = request.GET.get("goal")
    instance = Goal.objects.filter(pk=pk).first() if pk and pk.isdigit() else None
    form = GoalForm(instance=instance, initial={"kind": request.GET.get("kind", "")})
    form.data = {}  # unbound, showing the chosen kind
    form.initial.update({k: v for k, v in request.GET.items() if k in form.fields})
    return render(request, "goals/goal_edit.html#kind-fields", {"form": form})


@require_http_methods(["GET", "POST"])
@login_required
def goal_create(request: HtmxHttpRequest, area_id: int) -> HttpResponse:
    """Create a goal in a programme area, or a milestone under `?overordnat=<goal>`."""
    area = get_object_or_404(ProgrammeArea, pk=area_id)
    parent_id = request.POST.get("overordnat") or request.GET.get("overordnat")
    parent = _goal_or_404(int(parent_id)) if parent_id and parent_id.isdigit() else None
    if parent is not None and parent.programme_area_id != area.pk:
        raise Http404
    require_perm(request, "goals.add_goal", area)
    instance = Goal(programme_area=area, parent=parent)
    context: dict[str, Any] = {"area": area, "parent": parent}
    if request.method == "GET":
        initial: dict[str, Any] = {"version": 0}
        if parent is not None and parent.start_date is not None:
            # A milestone starts with its goal unless the user says otherwise.
            initial["start_date"] = parent.start_date
        form = GoalForm(instance=instance, initial=initial)
        context["submit_token"] = uuid.uuid4().hex
        return render(request, "goals/goal_create.html", {**context, "form": form})
    context["submit_token"] = request.POST.get("submit_token", "")
    once = SubmitOnce(context["submit_token"])
    first_result = once.claim()
    if first_result is not None:
        messages.info(request, ALREADY_SENT_MESSAGE)
        return HttpResponseRedirect(first_result or reverse("goals:area", args=[area.pk]))
    form = GoalForm(request.POST, instance=instance)
    if request.POST.get("byt_typ"):  # without JavaScript: show the chosen kind's fields
        once.release()
        return render(request, "goals/goal_create.html", {**context, "form": _switched(form)})
    if form.is_valid():
        try:
            goal = services.goal_create(user=request.user, goal=form.instance)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            url = reverse("goals:goal_detail", args=[goal.pk])
            once.done(url)
            messages.success(request, _(CREATED_MESSAGE).format(title=goal.title))
            # Compared with the start it gets unless the user gives another: a milestone left
            # with its goal's start (filled in above) changes no closed quarter its goal does not.
            counted_from = start_counted_from(goal)
            if warning := closed_start_warning(goal, counted_from=counted_from):
                messages.warning(request, warning)
            return HttpResponseRedirect(url)
    once.release()
    return render(request, "goals/goal_create.html", {**context, "form": form}, status=422)


@require_http_methods(["GET", "POST"])
@login_required
def goal_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Confirm and delete a goal with its milestones."""
    goal = _goal_or_404(pk)
    require_perm(request, "goals.delete_goal", goal)
    back = (
        reverse("goals:goal_detail", args=[goal.parent_id])
        if goal.parent_id
        else reverse("goals:area", args=[goal.programme_area_id])
    )
    context = {"goal": goal, "back": back}
    try:
        # A goal with a closed quarter's assessments stays: said before the user confirms.
        services.goal_delete_check(goal=goal, user=request.user)
        if request.method == "POST":
            title = goal.title
            services.goal_delete(user=request.user, goal=goal)
            messages.success(request, _(DELETED_MESSAGE).format(title=title))
            return HttpResponseRedirect(back)
    except ValidationError as refusal:
        context["refusal"] = " ".join(refusal.messages)
        return render(
            request,
            "goals/goal_delete.html",
            context,
            status=422 if request.method == "POST" else 200,
        )
    return render(request, "goals/goal_delete.html", context)


@require_POST
@login_required
def goal_restore(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """ "Återställ" under Borttagna mål/delmål: bring back a deleted goal with the milestones
    deleted with it (goals.services.goal_restore); a refusal is said on the list it came from."""
    record = deleted_goal(goal_id=pk)
    if record is None:
        raise Http404
    back = (
        reverse("goals:goal_detail", args=[record.parent_id])
        if record.parent_id
        else reverse("goals:area", args=[record.programme_area_id])
    )
    try:
        restored = services.goal_restore(user=request.user, goal_id=pk)
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
        return HttpResponseRedirect(back)
    except Goal.DoesNotExist as gone:  # restored (or not deleted) since the lookup above
        raise Http404 from gone
    messages.success(request, _(RESTORED_MESSAGE).format(title=restored[0].title))
    return HttpResponseRedirect(reverse("goals:goal_detail", args=[pk]))


@require_POST
@login_required
def goal_move(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """ "Flytta upp/ned": a milestone among its goal's milestones, a goal among its area's goals
    (a plain form post, so it works without JavaScript)."""
    goal = _goal_or_404(pk)
    require_perm(request, "goals.change_goal", goal)
    if services.goal_move(user=request.user, goal=goal, up=request.POST.get("riktning") == "upp"):
        messages.success(request, _("Ordningen är sparad."))
    back = (
        reverse("goals:goal_detail", args=[goal.parent_id])
        if goal.parent_id
        else reverse("goals:area", args=[goal.programme_area_id])
    )
    # Back to the moved goal, its move button focused (the page says which: `flyttad`), so a
    # keyboard user moving it again stays where they were.
    direction = "upp" if request.POST.get("riktning") == "upp" else "ned"
    url = _next_url(request, back).split("#")[0]
    query = urlencode({MOVED_PARAM: goal.pk, "riktning": direction})
    return HttpResponseRedirect(f"{url}{'&' if '?' in url else '?'}{query}#goal-{goal.pk}")


MOVED_PARAM = "flyttad"


def _moved(request: HtmxHttpRequest) -> dict[str, Any]:
    """The goal just moved (goal_move's redirect), whose move button takes the focus."""
    text = request.GET.get(MOVED_PARAM, "")
    if not text.isdigit():
        return {}
    return {"moved_id": int(text), "moved_dir": request.GET.get("riktning", "")}


# --- the adoption grid ------------------------------------------------------------------------


@require_GET
@login_required
def adoption_start(request: HtmxHttpRequest) -> HttpResponse:
    """Where the user's adoption grids are: one per unit they report for."""
    units = units_reported_by(user=request.user)
    if not units and not scope_for(request.user).edits_everything:
        raise PermissionDenied
    if len(units) == 1:
        return HttpResponseRedirect(reverse("goals:adoption_grid", args=[units[0].pk]))
    # In tree order (region, areas, their VOs), not one alphabetical list.
    tree = unit_forest(units=units)
    return render(request, "goals/adoption_start.html", {"units": units, "tree": tree})


def _grid_forms(request: HtmxHttpRequest, unit: Unit, data: Any = None) -> list[dict[str, Any]]:
    """The grid's sections: one per working method, a row (cell form) per target unit."""
    return grid_services.adoption_grid_cells(
        unit=unit, data=data, form_class=AdoptionCellForm, user=request.user
    )


# The name of "Ta det sparade värdet", beside a cell someone saved first.
TAKE = "ta"


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def adoption_grid(request: HtmxHttpRequest, unit_id: int) -> HttpResponse:
    """The VC's (or VEC's) units × working methods: change several cells, save them at once."""
    unit = get_object_or_404(Unit, pk=unit_id)
    require_perm(request, "goals.change_adoptionrecord", unit)
    template = "goals/adoption_grid.html#grid-form" if request.htmx else "goals/adoption_grid.html"
    if request.method == "GET":
        sections = _grid_forms(request, unit)
        return render(request, template, {"unit": unit, "sections": sections})
    taken = request.POST.get(TAKE, "")
    if taken:
        # "Ta det sparade värdet": the grid again with that cell as stored, every other typed
        # value kept; nothing is validated or stored.
        data = request.POST.copy()
        for name in [name for name in data if name.startswith(f"{taken}-")]:
            del data[name]
        sections = _grid_forms(request, unit, data=data)
        summary = ""
        for section in sections:
            for row in section["rows"]:
                form = row["form"]
                if not form.is_bound or not form.has_changed():
                    form.is_bound = False
                elif row["key"] != taken:
                    form._errors = ErrorDict()  # typed, checked when saved
                if row["key"] == taken:
                    # The row header takes the focus (the cell's fields all changed, not only
                    # its status), and what was taken is said in #swap-status.
                    row["taken"] = True
                    summary = _taken_summary(section, row)
        _describe_conflicts(sections)  # other cells' conflicts stay
        return render(
            request, template, {"unit": unit, "sections": sections, "taken_summary": summary}
        )
    sections = _grid_forms(request, unit, data=request.POST)
    result = grid_services.adoption_grid_save(user=request.user, sections=sections)
    context = {"unit": unit, "sections": sections, "result": result}
    if result.conflicts:
        conflicts = [r["conflict"] for s in sections for r in s["rows"] if r.get("conflict")]
        yours = bool(conflicts) and all(c.yours for c in conflicts)
        message = (
            grid_services.GRID_OWN_CONFLICT_MESSAGE
            if yours
            else grid_services.GRID_CONFLICT_MESSAGE
        )
        # Said once: in the error summary, which is an alert and takes the focus, not also in
        # the page's live message region (a screen reader would read both).
        context["summary_text"] = _(message)
        context["conflict_title"] = (
            _("Du har redan sparat ändringar") if yours else _("Någon annan hann före")
        )
        _describe_conflicts(sections)
        return render(request, template, context, status=409)
    if result.errors:
        context["summary_text"] = _(GRID_ERRORS_MESSAGE)  # in the summary only, as above
        return render(request, template, context, status=422)
    saved = grid_saved_message(result.saved) if result.saved else _("Inga ändringar att spara.")
    if not request.htmx:
        # The page after the redirect is read from the top: the message region says it.
        messages.add_message(request, messages.SUCCESS if result.saved else messages.INFO, saved)
        return HttpResponseRedirect(reverse("goals:adoption_grid", args=[unit.pk]))
    # With htmx the form is swapped where the user pressed "Spara ändringar": the confirmation
    # is said there, beside the button, and focused (the message region above is emptied).
    sections = _grid_forms(request, unit)
    return render(
        request,
        template,
        {"unit": unit, "sections": sections, "saved_text": saved, "saved_ok": bool(result.saved)},
    )


def _describe_conflicts(sections: list[dict[str, Any]]) -> None:
    """A conflicting cell's status and comment are read with who saved what first (the
    row header's `<key>-conflict`), and marked invalid: a screen reader user in the cell hears
    why it was refused, not only the field's name."""
    for section in sections:
        for row in section["rows"]:
            if not row.get("conflict"):
                continue
            form = row["form"]
            for name in ("status", "comment"):
                bound = form[name]
                own = bound.aria_describedby or ""  # its help text and error, if any
                widget = form.fields[name].widget
                widget.attrs["aria-describedby"] = f"{row['key']}-conflict {own}".strip()
                widget.attrs["aria-invalid"] = "true"


def _taken_summary(section: dict[str, Any], row: dict[str, Any]) -> str:
    """What "Ta det sparade värdet" put in the cell, said in #swap-status: the unit, the
    working method and each stored value ("Status: Infört; Kommentar: Alla team")."""
    record, form = row["record"], row["form"]
    values = []
    if record.pk:
        for name in ("status", "planned_date", "actual_date", "comment"):
            value = getattr(record, name)
            if name == "status":
                value = record.get_status_display()
            elif isinstance(value, datetime.date):
                value = value.isoformat()
            if value:
                values.append(f"{form[name].label}: {value}")
    return _("Det sparade värdet visas för %(unit)s, %(method)s. %(values)s") % {
        "unit": row["unit"].name,
        "method": section["name"],
        "values": "; ".join(values) if values else _("Ingen uppgift."),
    }


# --- the quarter's assessment -----------------------------------------------------------------


ASSESSMENT_SAVED_MESSAGE = gettext_noop("Bedömningen är sparad.")
QUARTER_NOT_ASSESSABLE_MESSAGE = gettext_noop(
    "{quarter} går inte att bedöma här. Formuläret visar i stället {shown}."
)
# The no-JavaScript "Visa" of the quarter select: load the chosen quarter's assessment.
SHOW_QUARTER = "visa"


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def goal_assess(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """ "Bedöm kvartalet": status and a required comment, one per goal and quarter; a quarter
    stays editable until its next quarter ends, unless its quarterly report is closed;
    earlier assessments stay readable.

    The form shows one quarter's assessment (`?kvartal=`, by default the latest ended quarter
    still open) with its version. Changing the quarter loads that quarter's: over htmx the
    select fetches the form again, without JavaScript "Visa" does. A save for a quarter other
    than the one shown (the select changed, nothing loaded) is not taken for someone else's
    save: with nothing stored for it, it is saved; else the form says what is stored and
    saves the user's values only when sent again."""
    goal = _goal_or_404(pk)
    require_perm(request, "goals.add_assessment", Assessment(goal=goal))
    open_quarters, closed = assessable_quarters(area_id=goal.programme_area_id)
    codes = [quarter.code for quarter in open_quarters]
    default = default_assessment_quarter(open_quarters).code
    url = reverse("goals:goal_assess", args=[goal.pk])
    page = _AssessPage(request, goal, open_quarters, closed, url)
    if request.method == "GET":
        asked = _quarter_code(request.GET.get("kvartal") or request.GET.get("quarter") or "")
        quarter = asked if asked in codes else default
        notice = ""
        if asked and asked not in codes:
            closed_by_report = next((c for c in closed if c.code == asked), None)
            notice = (
                closed_by_report.message
                if closed_by_report
                else _(QUARTER_NOT_ASSESSABLE_MESSAGE).format(
                    quarter=quarter_label(asked), shown=quarter_label(quarter)
                )
            )
        response = page.render(page.fresh_form(quarter), quarter, notice=notice)
        if request.htmx:
            push_url(response, f"{url}?kvartal={quarter}")
        return response

    if request.POST.get(SHOW_QUARTER):  # without JavaScript: load the chosen quarter
        chosen = _quarter_code(request.POST.get("quarter") or "")
        return HttpResponseRedirect(f"{url}?kvartal={chosen if chosen in codes else default}")
    data = request.POST.copy()
    if not data.get("shown_quarter"):  # a form from before the field: its own quarter
        data["shown_quarter"] = data.get("quarter", "")
    form = page.form(data)
    shown_quarter = _quarter_code(data.get("shown_quarter") or "")
    if not form.is_valid():
        return page.render(form, shown_quarter or default, status=422)
    quarter = form.cleaned_data["quarter"]
    submitted = {k: form.cleaned_data[k] for k in ("status", "comment")}
    overwrite = keep_mine(request.POST)
    expected = (form.cleaned_data.get("version") or 0) if overwrite is None else overwrite
    if shown_quarter and shown_quarter != quarter:
        # The version is of the shown quarter's assessment, not of this one's.
        stored = Assessment.objects.select_related("author").filter(goal=goal, quarter=quarter)
        existing = stored.first()
        if existing is None:
            # Nothing stored to overwrite: the user's values are the first.
            expected, overwrite = 0, None
        elif unchanged(existing, submitted):
            messages.info(request, _(UNCHANGED_MESSAGE))
            return HttpResponseRedirect(f"{url}?kvartal={quarter}")
        else:
            return page.render(
                page.switched_form(request.POST, existing), quarter, switched=existing
            )
    try:
        with transaction.atomic():
            current = (
                Assessment.objects.select_for_update().filter(goal=goal, quarter=quarter).first()
            )
            if current is not None and unchanged(current, submitted):
                # Nothing to change (an unchanged form, a repeated submit): nothing written.
                stale = current.version != expected
                messages.info(request, _(UNCHANGED_MESSAGE if stale else NOTHING_TO_SAVE_MESSAGE))
                return HttpResponseRedirect(f"{url}?kvartal={quarter}")
            if current is not None and current.version != expected and overwrite is None:
                # Saved by someone else since the form was opened: a field only they changed
                # keeps their value, one only the user changed takes the user's (base.editing).
                result = merge(current, submitted, base=version_record(current, expected))
                if result.clashes:
                    raise StaleVersion(current, expected)
                submitted.update(result.theirs)
                expected = overwrite = current.version
            if (current.version if current else 0) != expected:
                raise StaleVersion(current or Assessment(goal=goal), expected)
            with overwriting(current or Assessment(goal=goal), overwrite):
                services.assessment_record(
                    user=request.user, goal=goal, quarter=quarter, **submitted
                )
    except StaleVersion:
        current = Assessment.objects.filter(goal=goal, quarter=quarter).first()
        if current is None or not unchanged(current, submitted):
            conflict = conflict_for(current, submitted, since_version=expected) if current else None
            form = page.form(data, instance=current)
            form.is_valid()
            return page.render(
                form,
                quarter,
                status=409,
                conflict=conflict,
                take_theirs_url=f"{url}?kvartal={quarter}",
            )
        messages.info(request, _(UNCHANGED_MESSAGE))
        return HttpResponseRedirect(f"{url}?kvartal={quarter}")
    except ValidationError as error:
        form.add_error(None, error.messages)
        return page.render(form, quarter, status=422)
    messages.success(request, _(ASSESSMENT_SAVED_MESSAGE))
    return HttpResponseRedirect(f"{url}?kvartal={quarter}")


def _quarter_code(text: str) -> str:
    """ "2026Q3" from what a URL or form says ("2026-Q3" too); "" for no quarter."""
    try:
        return Quarter.parse(text.strip()).code
    except InvalidQuarter:
        return ""


class _AssessPage:
    """The assessment page's forms and rendering for one goal."""

    def __init__(
        self,
        request: HtmxHttpRequest,
        goal: Goal,
        open_quarters: list[Quarter],
        closed: list[ClosedQuarter],
        url: str,
    ) -> None:
        self.request, self.goal, self.url = request, goal, url
        self.open_quarters, self.closed = open_quarters, closed

    def form(self, data: Any = None, instance: Assessment | None = None) -> AssessmentForm:
        return AssessmentForm(
            data,
            instance=instance or Assessment(goal=self.goal),
            quarters=self.open_quarters,
            closed=self.closed,
        )

    def fresh_form(self, quarter: str) -> AssessmentForm:
        """The quarter's stored assessment (or an empty one) at its version."""
        existing = Assessment.objects.filter(goal=self.goal, quarter=quarter).first()
        form = AssessmentForm(
            instance=existing or Assessment(goal=self.goal, quarter=quarter),
            initial={
                "version": existing.version if existing else 0,
                "quarter": quarter,
                "shown_quarter": quarter,
            },
            quarters=self.open_quarters,
            closed=self.closed,
        )
        return form

    def switched_form(self, data: Any, existing: Assessment) -> AssessmentForm:
        """The user's values, now at the version of the quarter's stored assessment: sent
        again, they replace it knowingly."""
        values = data.copy()
        values["version"] = str(existing.version)
        values["shown_quarter"] = existing.quarter
        for name in ("keep_mine", "overwrite_version"):
            values.pop(name, None)
        form = self.form(values, instance=existing)
        form.is_valid()
        return form

    def render(
        self, form: AssessmentForm, quarter: str, *, status: int = 200, **extra: Any
    ) -> HttpResponse:
        self._wire_quarter_select(form)
        context = {
            "goal": self.goal,
            "quarter": quarter,
            "form": form,
            "assessments": assessments_with_earlier_versions(goal=self.goal),
            **extra,
        }
        template = "goals/goal_assess.html"
        if self.request.htmx and self.request.method == "GET":
            template += "#assess-form"
        return render(self.request, template, context, status=status)

    def _wire_quarter_select(self, form: AssessmentForm) -> None:
        # Changing the quarter fetches the form for it over htmx (the select's value only);
        # without JavaScript the "Visa" button beside it does. Once the choice has settled: a
        # keyboard user's arrow keys change the select at each press (Windows), and a newer
        # request replaces one still under way.
        form.fields["quarter"].widget.attrs.update(
            {
                "hx-get": self.url,
                "hx-trigger": "change delay:500ms",
                "hx-sync": "this:replace",
                "hx-target": "#assess-form",
                "hx-swap": "outerHTML",
                "hx-params": "quarter",
                "hx-indicator": "#assess-form-indicator",
            }
        )
