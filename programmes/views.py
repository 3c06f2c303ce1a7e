"""Editing pages of programme areas' working methods, VO activity plans and support needs.

Every write goes through programmes.services; a save from a stale version answers 409 with
both values side by side (base.editing).
"""

from __future__ import annotations

import copy
import hashlib
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from base.editing import (
    ALREADY_SENT_MESSAGE,
    SAVED_MESSAGE,
    Conflict,
    SubmitOnce,
    history_context,
    keep_mine,
    versioned_save,
)
from base.http import HtmxHttpRequest, require_perm
from base.unsaved import keep_unsaved_text, take_unsaved_text
from organisation.models import Unit
from organisation.selectors import scope_for

from . import services
from .choices import AreaLabels
from .forms import (
    ActivityForm,
    PlanReopenForm,
    PlanReviewForm,
    ProgrammeAreaForm,
    SupportAnswerForm,
    SupportNeedCloseForm,
    SupportNeedForm,
    WorkingMethodForm,
)
from .models import (
    Activity,
    ActivityPlan,
    ProgrammeArea,
    SupportNeed,
    WorkingMethod,
    check_area_organisation,
    check_plan_unit_is_vo,
    check_unit_open,
)
from .selectors import (
    REOPENED,
    SENT_BACK,
    activity_plan_for,
    areas_per_unit,
    plan_statuses,
    plan_units_for,
    plans_awaiting_review,
    plans_returned_by_review,
    support_need_answered,
    support_needs_visible_to,
)
from .services import (
    ERROR_PLAN_ACCEPTED_LOCKED,
    ERROR_PLAN_NOT_ACCEPTED,
    ERROR_PLAN_NOT_SUBMITTED,
    ERROR_PLAN_SUBMITTED_LOCKED,
)

DELETED_ELSEWHERE = gettext_noop("Det du redigerade har tagits bort av någon annan.")


def _edit(
    request: HtmxHttpRequest,
    *,
    form: Any,
    model: type[Any],
    pk: int,
    save: Any,
    template: str,
    context: dict[str, Any],
    success_url: str,
    form_name: str = "form",
    success_message: str = "",
    page_url: str = "",
    merge_others: bool = True,
) -> HttpResponse:
    """Validate, save from the form's version, answer 422/409 or redirect with a message
    (`merge_others`: base.editing.versioned_save's; False for a decision on what was shown).

    The form is in the context as `form_name`; "Ta deras värden" reloads `page_url` (the
    request's own path when the form posts to the page it is on).
    """
    if not form.is_valid():
        return render(request, template, {**context, form_name: form}, status=422)
    try:
        outcome = versioned_save(
            form=form,
            model=model,
            pk=pk,
            save=save,
            overwrite=keep_mine(request.POST),
            merge_others=merge_others,
        )
    except ValidationError as error:
        form.add_error(None, error)
        return render(request, template, {**context, form_name: form}, status=422)
    if isinstance(outcome, Conflict) and outcome.deleted:
        messages.error(request, _(DELETED_ELSEWHERE))
        raise Http404
    if isinstance(outcome, Conflict):
        context = {
            **context,
            form_name: form,
            "conflict": outcome,
            "take_theirs_url": page_url or request.path,
        }
        return render(request, template, context, status=409)
    if outcome.unchanged:
        messages.info(request, outcome.message)
    else:
        messages.success(request, success_message or _(SAVED_MESSAGE))
    if outcome.kept_message:
        messages.info(request, outcome.kept_message)
    return HttpResponseRedirect(success_url)


# --- the programme area itself ---------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def programme_area_edit(request: HtmxHttpRequest, area_id: int) -> HttpResponse:
    """ "Redigera programområdet": the area's description, delivery owners and supporting
    processes, for its programme owner and the strategist (the admin is not needed), and for
    the strategist whether the area asks the VOs for activity plans."""
    area = get_object_or_404(ProgrammeArea.objects.select_related("phase"), pk=area_id)
    require_perm(request, "programmes.change_programmearea", area)
    back = _area_back_url(request, area)
    template = "programmes/programme_area_form.html"
    context: dict[str, Any] = {"area": area, "back": back, **history_context(area, request, "area")}
    # Whether it asks for activity plans is structure: on the form for the strategist only.
    structure = request.user.has_perm("programmes.add_programmearea")
    if request.method == "GET":
        form = ProgrammeAreaForm(
            instance=area, initial={"version": area.version}, structure=structure
        )
        return render(request, template, {**context, "form": form})
    form = ProgrammeAreaForm(request.POST, instance=copy.copy(area), structure=structure)

    def save() -> None:
        data = form.cleaned_data
        services.programme_area_edit(
            user=request.user,
            area=form.instance,
            description=data.get("description") or "",
            delivery_owners=data["delivery_owners"],
            supporting_processes=data["supporting_processes"],
        )

    # Merged like every editing page (base.editing.versioned_save): a field only someone
    # else changed since keeps their value, the owners and the processes each as a whole.
    return _edit(
        request,
        form=form,
        model=ProgrammeArea,
        pk=area.pk,
        save=save,
        template=template,
        context=context,
        success_url=back,
        page_url=f"{request.path}?{urlencode({'next': back})}",
    )


def _area_back_url(request: HtmxHttpRequest, area: ProgrammeArea) -> str:
    """Where "Avbryt" and a save lead: the page the form was opened from (`next`, the area's
    page with its organisation), else the area's page by its number."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse("programme_area_detail", args=[area.number])


# --- working methods --------------------------------------------------------------------------


@require_GET
@login_required
def working_methods(request: HtmxHttpRequest, area_id: int) -> HttpResponse:
    """A programme area's working methods with their target unit kinds."""
    area = get_object_or_404(ProgrammeArea, pk=area_id)
    require_perm(request, "programmes.view_workingmethod")
    methods = area.working_methods.prefetch_related("target_unit_kinds")
    can_edit = request.user.has_perm("programmes.add_workingmethod", area)
    return render(
        request,
        "programmes/working_methods.html",
        {"area": area, "methods": methods, "can_edit": can_edit},
    )


@require_http_methods(["GET", "POST"])
@login_required
def working_method_edit(
    request: HtmxHttpRequest, area_id: int, pk: int | None = None
) -> HttpResponse:
    """Create (no pk) or change a working method of a programme area."""
    area = get_object_or_404(ProgrammeArea, pk=area_id)
    method = (
        get_object_or_404(WorkingMethod, pk=pk, programme_area=area)
        if pk
        else WorkingMethod(programme_area=area)
    )
    require_perm(
        request,
        "programmes.change_workingmethod" if pk else "programmes.add_workingmethod",
        method if pk else area,
    )
    list_url = reverse("programmes:working_methods", args=[area.pk])
    context: dict[str, Any] = {"area": area, "method": method, "back": list_url}
    if pk:
        context.update(history_context(method, request, "method"))
    if request.method == "GET":
        form = WorkingMethodForm(instance=method, initial={"version": method.version if pk else 0})
        return render(request, "programmes/working_method_form.html", {**context, "form": form})
    # Editing, the form validates onto a copy: a refused name does not become the heading.
    form = WorkingMethodForm(request.POST, instance=copy.copy(method) if pk else method)
    if not pk:
        if not form.is_valid():
            template = "programmes/working_method_form.html"
            return render(request, template, {**context, "form": form}, status=422)
        services.working_method_create(
            user=request.user,
            method=method,
            target_unit_kinds=form.cleaned_data["target_unit_kinds"],
        )
        messages.success(request, _("Arbetssättet är skapat."))
        return HttpResponseRedirect(list_url)
    return _edit(
        request,
        form=form,
        model=WorkingMethod,
        pk=method.pk,
        save=lambda: services.working_method_update(
            user=request.user,
            method=form.instance,
            target_unit_kinds=form.cleaned_data["target_unit_kinds"],
        ),
        template="programmes/working_method_form.html",
        context=context,
        success_url=list_url,
    )


@require_http_methods(["GET", "POST"])
@login_required
def working_method_delete(request: HtmxHttpRequest, area_id: int, pk: int) -> HttpResponse:
    """Confirm and delete a working method nothing uses; one in use is explained, not deleted."""
    area = get_object_or_404(ProgrammeArea, pk=area_id)
    method = get_object_or_404(WorkingMethod, pk=pk, programme_area=area)
    require_perm(request, "programmes.delete_workingmethod", method)
    list_url = reverse("programmes:working_methods", args=[area.pk])
    context: dict[str, Any] = {
        "area": area,
        "method": method,
        "back": list_url,
        "uses": services.working_method_uses(method),
    }
    if request.method == "GET":
        return render(request, "programmes/working_method_delete.html", context)
    name = method.name
    try:
        services.working_method_delete(user=request.user, method=method)
    except ValidationError as refusal:
        context.update(uses=services.working_method_uses(method), errors=refusal.messages)
        return render(request, "programmes/working_method_delete.html", context, status=409)
    messages.success(request, _("Arbetssättet ”{name}” är borttaget.").format(name=name))
    return HttpResponseRedirect(list_url)


# --- activity plans ---------------------------------------------------------------------------


@require_GET
@login_required
def activity_plans(request: HtmxHttpRequest) -> HttpResponse:
    """The user's VOs × programme areas, each a link to its activity plan; submitted plans
    for those who read them all."""
    scope = scope_for(request.user)
    require_perm(request, "gonv.view_portfolio")
    units = plan_units_for(user=request.user)
    labels = AreaLabels()
    # Each unit's plans are for its own organisation's areas (and those of phases of none).
    statuses = plan_statuses(units=[unit for unit, _ in units])
    status_labels = dict(ActivityPlan.Status.choices)
    writes = dict(units)
    unit_areas = [
        (
            unit,
            writes[unit],
            [
                (
                    area,
                    labels.area(area),
                    _plan_status(statuses.get((unit.pk, area.pk)), status_labels, area),
                    # A reader opens a plan that exists; a writer starts one too.
                    writes[unit] or (unit.pk, area.pk) in statuses,
                )
                for area in areas
            ],
        )
        for unit, areas in areas_per_unit(units=[unit for unit, _ in units])
    ]
    plans = (
        ActivityPlan.objects.select_related("unit", "programme_area", "reviewed_by")
        .exclude(status=ActivityPlan.Status.DRAFT)
        .order_by("programme_area__number", "unit__name")
    )
    # The programme area's work list: submitted plans waiting for its decision.
    reviews = scope.edits_everything or bool(scope.area_ids)
    return render(
        request,
        "programmes/activity_plans.html",
        {
            "unit_areas": unit_areas,
            "submitted": plans,
            "reviews": reviews,
            "awaiting": plans_awaiting_review(scope=scope) if reviews else [],
            "returned": plans_returned_by_review(scope=scope) if reviews else [],
        },
    )


def _plan_status(status: str | None, labels: dict[str, Any], area: ProgrammeArea) -> str:
    """A plan's status as the plan page says it; for a pair without a plan "Ej påbörjad" where
    the area asks for plans, else "Ingen plan begärd" (nothing is missing)."""
    if status is None:
        return _("Ej påbörjad") if area.requests_activity_plans else _("Ingen plan begärd")
    if status == SENT_BACK:
        return _("Utkast – skickad tillbaka för komplettering")
    if status == REOPENED:
        return _("Utkast – öppnad för ändring")
    return str(labels.get(status, status))


def _ensure_plan(request: HtmxHttpRequest, plan: ActivityPlan) -> ActivityPlan:
    if plan.pk is None:
        plan = services.activity_plan_create(user=request.user, plan=plan)
    return plan


@require_http_methods(["GET", "POST"])
@login_required
def activity_plan(request: HtmxHttpRequest, area_id: int, unit_id: int) -> HttpResponse:
    """A VO's activity plan for a programme area: activities by date, add one, submit."""
    area = get_object_or_404(ProgrammeArea, pk=area_id)
    unit = get_object_or_404(Unit, pk=unit_id)
    plan = activity_plan_for(area=area, unit=unit)
    can_edit = request.user.has_perm("programmes.change_activityplan", plan)
    if request.method == "POST" and not can_edit:
        raise PermissionDenied
    if not can_edit and plan.pk is None:
        raise PermissionDenied  # nothing to read, and not theirs to start
    if plan.pk is None:
        # A plan that could never be saved (a unit and another organisation's area: an old
        # bookmark or a typed URL) is no page; its form would only fail on "Lägg till".
        # Nor is one for a unit that is no longer open, or not a VO (a plan is the VO's).
        try:
            check_plan_unit_is_vo(plan)
            check_area_organisation(plan)
            check_unit_open(plan)
        except ValidationError as error:
            raise Http404(" ".join(error.messages)) from error
    # A draft is read by its VO, the area's owner and the strategist only (gonv.rules).
    require_perm(request, "programmes.view_activityplan", plan)
    url = reverse("programmes:activity_plan", args=[area.pk, unit.pk])
    context = _plan_context(request, area=area, unit=unit, plan=plan, can_edit=can_edit)
    if request.method == "GET":
        context["form"] = ActivityForm(initial={"version": 0})
        context["submit_token"] = uuid.uuid4().hex
        # A refused review's or reopening's comment, once (activity_plan_review).
        context["unsaved_text"] = take_unsaved_text(request, url=url)
        return render(request, "programmes/activity_plan.html", context)
    once = SubmitOnce(request.POST.get("submit_token", ""))
    if once.claim() is not None:
        messages.info(request, str(ALREADY_SENT_MESSAGE))
        return HttpResponseRedirect(url)
    if not context["can_change"]:
        # Submitted or approved meanwhile (or a forged post): the service would refuse it.
        once.release()
        messages.error(request, _locked_message(plan))
        return HttpResponseRedirect(url)
    form = ActivityForm(request.POST, instance=Activity())
    if not form.is_valid():
        once.release()
        context.update(form=form, submit_token=request.POST.get("submit_token", ""))
        return render(request, "programmes/activity_plan.html", context, status=422)
    try:
        with transaction.atomic():
            plan = _ensure_plan(request, plan)
            activity = form.instance
            activity.plan = plan
            services.activity_create(user=request.user, activity=activity)
    except ValidationError as error:
        # Refused by the model's own checks after the form's (nothing was stored): say why,
        # and let the same form be sent again once it is put right.
        once.release()
        for message in error.messages:
            form.add_error(None, message)
        context.update(form=form, submit_token=request.POST.get("submit_token", ""))
        return render(request, "programmes/activity_plan.html", context, status=422)
    once.done(url)
    messages.success(request, _("Aktiviteten är tillagd."))
    return HttpResponseRedirect(url)


def _locked_message(plan: ActivityPlan) -> str:
    """Why a submitted or approved plan cannot be changed, and what to do instead."""
    if plan.status == ActivityPlan.Status.ACCEPTED:
        return _(ERROR_PLAN_ACCEPTED_LOCKED)
    return _(ERROR_PLAN_SUBMITTED_LOCKED)


def _plan_context(
    request: HtmxHttpRequest, *, area: ProgrammeArea, unit: Unit, plan: ActivityPlan, can_edit: bool
) -> dict[str, Any]:
    """What the plan page shows: its activities, history, and the review form to reviewers."""
    context: dict[str, Any] = {
        "area": area,
        "unit": unit,
        "plan": plan,
        "can_edit": can_edit,
        # A submitted or approved plan is read-only to everyone (services.check_plan_open);
        # on an approved one its VO still reports each activity's status.
        "can_change": can_edit and plan.status == ActivityPlan.Status.DRAFT,
        "can_report": can_edit and plan.status == ActivityPlan.Status.ACCEPTED,
        "can_withdraw": can_edit and plan.status == ActivityPlan.Status.SUBMITTED,
    }
    if plan.pk:
        context["activities"] = plan.activities.all()
        context.update(history_context(plan, request, "plan"))
        # Only a submitted plan is reviewed, and never by its own VO (gonv.rules).
        if plan.status == ActivityPlan.Status.SUBMITTED and request.user.has_perm(
            "programmes.approve_activityplan", plan
        ):
            context["review_form"] = PlanReviewForm(
                instance=plan,
                initial={
                    "version": plan.version,
                    "review_comment": "",
                    "activities_seen": activities_seen(plan),
                },
            )
        # An approved plan is reopened for change by those who approve it, with a comment.
        if plan.status == ActivityPlan.Status.ACCEPTED and request.user.has_perm(
            "programmes.approve_activityplan", plan
        ):
            context["reopen_form"] = PlanReopenForm(
                instance=plan, initial={"version": plan.version, "review_comment": ""}
            )
    return context


def activities_seen(plan: ActivityPlan) -> str:
    """A fingerprint of the plan's activities (each one's id and version, one query): it
    changes when the VO adds, edits, reorders or removes one."""
    rows = plan.activities.order_by("pk").values_list("pk", "version")
    text = ",".join(f"{pk}:{version}" for pk, version in rows)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@require_POST
@login_required
def activity_plan_review(request: HtmxHttpRequest, area_id: int, unit_id: int) -> HttpResponse:
    """The programme area's decision on a submitted plan: "Godkänn planen" or "Skicka tillbaka
    för komplettering", with a comment to the VO; decided on the version the reviewer saw."""
    area = get_object_or_404(ProgrammeArea, pk=area_id)
    unit = get_object_or_404(Unit, pk=unit_id)
    plan = get_object_or_404(ActivityPlan, programme_area=area, unit=unit)
    require_perm(request, "programmes.approve_activityplan", plan)
    url = reverse("programmes:activity_plan", args=[area.pk, unit.pk])
    if plan.status != ActivityPlan.Status.SUBMITTED:
        # Decided already (or a draft, the VO's): the page shows by whom; nothing changes.
        # The comment typed is shown there once, to be copied.
        messages.error(
            request, _(ERROR_PLAN_NOT_SUBMITTED).format(status=plan.get_status_display())
        )
        keep_unsaved_text(request, url=url, text=str(request.POST.get("review_comment", "")))
        return HttpResponseRedirect(url)
    can_edit = request.user.has_perm("programmes.change_activityplan", plan)
    context = _plan_context(request, area=area, unit=unit, plan=plan, can_edit=can_edit)
    if can_edit:
        context.update(form=ActivityForm(initial={"version": 0}), submit_token=uuid.uuid4().hex)
    # The form's own copy of the plan: the page around it shows the plan as stored.
    form = PlanReviewForm(request.POST, instance=ActivityPlan.objects.get(pk=plan.pk))
    seen = request.POST.get("activities_seen")
    current = activities_seen(plan)
    if seen and seen != current and form.is_valid():
        # The VO changed the activities since the page was opened: show them as they are now
        # and ask again (the form now carries what is shown); nothing is decided.
        data = request.POST.copy()
        data["activities_seen"] = current
        form = PlanReviewForm(data, instance=ActivityPlan.objects.get(pk=plan.pk))
        form.is_valid()
        context.update(review_form=form, activities_changed=True)
        return render(request, "programmes/activity_plan.html", context, status=409)
    approve = request.POST.get("status") == ActivityPlan.Status.ACCEPTED
    message = (
        _("Aktivitetsplanen för {unit} är godkänd.")
        if approve
        else _("Aktivitetsplanen är skickad tillbaka till {unit} för komplettering.")
    )
    return _edit(
        request,
        form=form,
        model=ActivityPlan,
        pk=plan.pk,
        save=lambda: services.activity_plan_review(
            user=request.user,
            plan=form.instance,
            status=form.cleaned_data["status"],
            comment=form.cleaned_data["review_comment"],
        ),
        template="programmes/activity_plan.html",
        context=context,
        success_url=url,
        form_name="review_form",
        success_message=message.format(unit=unit.name),
        page_url=url,
        merge_others=False,  # a verdict on the plan as the reviewer saw it
    )


@require_POST
@login_required
def activity_plan_reopen(request: HtmxHttpRequest, area_id: int, unit_id: int) -> HttpResponse:
    """The programme area reopens an approved plan for change ("Öppna för ändring"), with a
    comment to the VO; decided on the version the reviewer saw (a stale form is a 409)."""
    area = get_object_or_404(ProgrammeArea, pk=area_id)
    unit = get_object_or_404(Unit, pk=unit_id)
    plan = get_object_or_404(ActivityPlan, programme_area=area, unit=unit)
    require_perm(request, "programmes.approve_activityplan", plan)
    url = reverse("programmes:activity_plan", args=[area.pk, unit.pk])
    if plan.status != ActivityPlan.Status.ACCEPTED:
        # Reopened already, or never approved: the page shows the plan as it is, and the
        # comment typed once, to be copied.
        messages.error(request, _(ERROR_PLAN_NOT_ACCEPTED).format(status=plan.get_status_display()))
        keep_unsaved_text(request, url=url, text=str(request.POST.get("review_comment", "")))
        return HttpResponseRedirect(url)
    can_edit = request.user.has_perm("programmes.change_activityplan", plan)
    context = _plan_context(request, area=area, unit=unit, plan=plan, can_edit=can_edit)
    # The form's own copy of the plan: the page around it shows the plan as stored.
    form = PlanReopenForm(request.POST, instance=ActivityPlan.objects.get(pk=plan.pk))
    return _edit(
        request,
        form=form,
        model=ActivityPlan,
        pk=plan.pk,
        save=lambda: services.activity_plan_reopen(
            user=request.user, plan=form.instance, comment=form.cleaned_data["review_comment"]
        ),
        template="programmes/activity_plan.html",
        context=context,
        success_url=url,
        form_name="reopen_form",
        merge_others=False,  # decided on the plan as the reviewer saw it
        success_message=_(
            "Aktivitetsplanen för {unit} är öppnad för ändring och är ett utkast igen. "
            "Verksamhetschefen ser din kommentar."
        ).format(unit=unit.name),
        page_url=url,
    )


def _activity_or_404(pk: int) -> Activity:
    return get_object_or_404(
        Activity.objects.select_related("plan__unit", "plan__programme_area"), pk=pk
    )


def _plan_url(plan: ActivityPlan) -> str:
    return reverse("programmes:activity_plan", args=[plan.programme_area_id, plan.unit_id])


@require_http_methods(["GET", "POST"])
@login_required
def activity_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Change one activity."""
    activity = _activity_or_404(pk)
    require_perm(request, "programmes.change_activity", activity)
    plan = activity.plan
    if plan.status == ActivityPlan.Status.SUBMITTED:
        messages.error(request, _locked_message(plan))
        return HttpResponseRedirect(_plan_url(plan))
    # On an approved plan the form reports the activity's status only (the rest is shown).
    status_only = plan.status == ActivityPlan.Status.ACCEPTED
    context: dict[str, Any] = {
        "activity": activity,
        "back": _plan_url(plan),
        "status_only": status_only,
    }
    context.update(history_context(activity, request, "activity"))
    if request.method == "GET":
        form = ActivityForm(
            instance=activity, initial={"version": activity.version}, status_only=status_only
        )
        return render(request, "programmes/activity_form.html", {**context, "form": form})
    # A copy, so that the heading keeps the stored title when the form is refused.
    form = ActivityForm(request.POST, instance=copy.copy(activity), status_only=status_only)
    return _edit(
        request,
        form=form,
        model=Activity,
        pk=activity.pk,
        save=lambda: services.activity_update(user=request.user, activity=form.instance),
        template="programmes/activity_form.html",
        context=context,
        success_url=_plan_url(activity.plan),
    )


@require_POST
@login_required
def activity_action(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Mark an activity done ("Markera klar")."""
    activity = _activity_or_404(pk)
    require_perm(request, "programmes.change_activity", activity)
    action = request.POST.get("atgard")
    try:
        _activity_action(request, activity, action)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return HttpResponseRedirect(_plan_url(activity.plan))


def _activity_action(request: HtmxHttpRequest, activity: Activity, action: str | None) -> None:
    # The plan lists its activities by date: there is no order of their own to change.
    if action != "klar":
        raise Http404
    if activity.status != Activity.Status.DONE:
        services.activity_update(
            user=request.user, activity=activity, data={"status": Activity.Status.DONE}
        )
    messages.success(request, _("”{title}” är markerad som klar.").format(title=activity.title))


@require_POST
@login_required
def activity_plan_submit(request: HtmxHttpRequest, area_id: int, unit_id: int) -> HttpResponse:
    """Submit the plan ("Skicka in"); the strategist sees submitted plans."""
    area = get_object_or_404(ProgrammeArea, pk=area_id)
    unit = get_object_or_404(Unit, pk=unit_id)
    plan = activity_plan_for(area=area, unit=unit)
    require_perm(request, "programmes.change_activityplan", plan)
    if plan.pk is None or not plan.activities.exists():
        messages.error(request, _("Lägg till minst en aktivitet innan planen skickas in."))
    elif plan.status == ActivityPlan.Status.DRAFT:
        services.activity_plan_update(
            user=request.user, plan=plan, data={"status": ActivityPlan.Status.SUBMITTED}
        )
        messages.success(request, _("Aktivitetsplanen är inlämnad."))
    else:
        messages.info(request, _("Aktivitetsplanen är redan inlämnad."))
    return HttpResponseRedirect(reverse("programmes:activity_plan", args=[area.pk, unit.pk]))


@require_POST
@login_required
def activity_plan_withdraw(request: HtmxHttpRequest, area_id: int, unit_id: int) -> HttpResponse:
    """Take a submitted plan back to draft to change it ("Ta tillbaka för ändring")."""
    plan = get_object_or_404(ActivityPlan, programme_area_id=area_id, unit_id=unit_id)
    require_perm(request, "programmes.change_activityplan", plan)
    try:
        services.activity_plan_withdraw(user=request.user, plan=plan)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Planen är tillbakatagen och är ett utkast igen. Skicka in den när du är klar."),
        )
    return HttpResponseRedirect(_plan_url(plan))


# --- support needs ----------------------------------------------------------------------------


@require_GET
@login_required
def support_needs(request: HtmxHttpRequest) -> HttpResponse:
    """The support needs the user raised for their units or answers for their areas."""
    require_perm(request, "programmes.view_supportneed")
    scope = scope_for(request.user)
    return render(
        request,
        "programmes/support_needs.html",
        {"needs": support_needs_visible_to(user=request.user), "can_raise": bool(scope.unit_ids)},
    )


@require_http_methods(["GET", "POST"])
@login_required
def support_need_create(request: HtmxHttpRequest) -> HttpResponse:
    """Raise a support need ("Vad behöver du som chef …?") for one of the user's units."""
    scope = scope_for(request.user)
    if not scope.unit_ids:
        raise PermissionDenied
    # Only units open today: a closed unit raises no new needs (the model refuses it too).
    units = (
        Unit.objects.filter(pk__in=scope.unit_ids)
        .exclude(valid_to__lt=timezone.localdate())
        .order_by("name")
    )
    context: dict[str, Any] = {}
    if request.method == "GET":
        context.update(
            form=SupportNeedForm(units=units, initial={"programme_area": request.GET.get("po")}),
            submit_token=uuid.uuid4().hex,
        )
        return render(request, "programmes/support_need_form.html", context)
    once = SubmitOnce(request.POST.get("submit_token", ""))
    first = once.claim()
    if first is not None:
        messages.info(request, str(ALREADY_SENT_MESSAGE))
        return HttpResponseRedirect(first or reverse("programmes:support_needs"))
    form = SupportNeedForm(request.POST, units=units)
    if not form.is_valid():
        once.release()
        context.update(form=form, submit_token=request.POST.get("submit_token", ""))
        return render(request, "programmes/support_need_form.html", context, status=422)
    need = services.support_need_raise(
        user=request.user,
        unit=form.cleaned_data["unit"],
        programme_area=form.cleaned_data["programme_area"],
        text=form.cleaned_data["text"],
    )
    url = reverse("programmes:support_need", args=[need.pk])
    once.done(url)
    messages.success(request, _("Stödbehovet är framfört."))
    return HttpResponseRedirect(url)


@require_http_methods(["GET", "POST"])
@login_required
def support_need(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """One support need with its answer; the programme area answers it here."""
    need = get_object_or_404(
        SupportNeed.objects.select_related("unit", "programme_area", "raised_by"), pk=pk
    )
    if not support_needs_visible_to(user=request.user).filter(pk=need.pk).exists():
        raise PermissionDenied
    # The programme area answers (its owner, the strategist), never the unit that raised it.
    can_answer = request.user.has_perm("programmes.answer_supportneed", need)
    if request.method == "POST" and not can_answer:
        raise PermissionDenied
    url = reverse("programmes:support_need", args=[need.pk])
    context = _need_context(request, need, can_answer=can_answer)
    if request.method == "GET":
        if can_answer:
            context["form"] = SupportAnswerForm(instance=need, initial={"version": need.version})
        return render(request, "programmes/support_need.html", context)
    # The form validates onto a copy: the page above it shows the need as stored, not the
    # status a refused answer asked for.
    form = SupportAnswerForm(request.POST, instance=copy.copy(need))
    return _edit(
        request,
        form=form,
        model=SupportNeed,
        pk=need.pk,
        save=lambda: services.support_need_answer(
            user=request.user,
            need=form.instance,
            response=form.cleaned_data["response"],
            status=form.cleaned_data["status"],
        ),
        template="programmes/support_need.html",
        context=context,
        success_url=url,
    )


# The closing form's fields beside the answer form's on one page (their ids apart).
CLOSE_PREFIX = "avsluta"


def _need_context(
    request: HtmxHttpRequest, need: SupportNeed, *, can_answer: bool
) -> dict[str, Any]:
    """What the support need's page shows: the need, its answer, history, and to the unit's
    managers of an answered need the closing form ("Avsluta – svaret räcker")."""
    context: dict[str, Any] = {
        "need": need,
        "can_answer": can_answer,
        "answered": support_need_answered(need),
    }
    if need.status == SupportNeed.Status.ANSWERED and request.user.has_perm(
        "programmes.close_supportneed", need
    ):
        context["close_form"] = SupportNeedCloseForm(
            instance=need,
            initial={"version": need.version, "status": SupportNeed.Status.CLOSED},
            prefix=CLOSE_PREFIX,
        )
    context.update(history_context(need, request, "need"))
    return context


@require_POST
@login_required
def support_need_close(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """ "Avsluta – svaret räcker": the unit's VC or VEC closes an answered need (the service
    asks who may, and that it is answered); from the version the page showed."""
    need = get_object_or_404(
        SupportNeed.objects.select_related("unit", "programme_area", "raised_by"), pk=pk
    )
    require_perm(request, "programmes.close_supportneed", need)
    url = reverse("programmes:support_need", args=[need.pk])
    context = _need_context(
        request, need, can_answer=request.user.has_perm("programmes.answer_supportneed", need)
    )
    if context["can_answer"]:
        context["form"] = SupportAnswerForm(instance=need, initial={"version": need.version})
    form = SupportNeedCloseForm(request.POST, instance=copy.copy(need), prefix=CLOSE_PREFIX)
    if need.status != SupportNeed.Status.ANSWERED:
        # Not (or no longer) answered: say so rather than compare versions (the service
        # refuses it too).
        form.is_valid()
        form.add_error(
            None,
            _(services.ERROR_SUPPORT_CLOSE_NOT_ANSWERED).format(status=need.get_status_display()),
        )
        return render(
            request, "programmes/support_need.html", {**context, "close_form": form}, status=422
        )
    return _edit(
        request,
        form=form,
        model=SupportNeed,
        pk=need.pk,
        save=lambda: services.support_need_close(user=request.user, need=form.instance),
        template="programmes/support_need.html",
        context=context,
        success_url=url,
        form_name="close_form",
        merge_others=False,  # closed on the answer the user read
        success_message=_(
            "Stödbehovet är avslutat. Det finns kvar i listan över stödbehov men inte i Att göra."
        ),
        page_url=url,
    )
