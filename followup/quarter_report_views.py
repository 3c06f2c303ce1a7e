"""The quarterly reports (Kvartalsrapporter): the list per organisation, a quarter's report
with its transitions (close, reopen, approve, send back), each a service in followup.services,
and the earlier versions of a report (each close a reopening or send-back ended), read-only.

Every logged-in role reads them; the buttons show only for those gonv.rules lets act, and the
services refuse everyone else (403, nothing changed). A transition posts the version the page
showed: a stale one is refused with the report as it is now.

Post/Redirect/Get, refusals too: a refused transition goes back to the report's own URL, where
the page shows the reason (Refusal) and the comment typed (base.unsaved, as the activity plan's
page does), each kept in the session for that one page view, so a reload or Back never posts
again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from base.editing import COMMENT_MAX_LENGTH
from base.http import HtmxHttpRequest, NotFound
from base.periods import InvalidQuarter, Quarter, day_label
from base.unsaved import keep_unsaved_text, take_unsaved_text
from base.versioning import StaleVersion
from organisation.models import Role
from organisation.selectors import region_unit, scope_for

from . import services
from .forms import QuarterReportActionForm, QuarterReportApproveForm
from .models import (
    ERROR_REPORT_NOT_STARTED,
    ERROR_REPORT_STALE,
    ERROR_REPORT_STALE_OWN,
    QuarterReport,
    QuarterReportVersion,
)
from .organisation_selection import (
    ORGANISATION_PARAM,
    OrganisationSelection,
    organisation_selection,
)
from .quarter_report import report_body_context
from .quarter_selection import quarter_report_start
from .selectors import (
    computed_quarters,
    quarter_changed_since,
    quarter_close_refusal,
    quarter_report_earlier_versions,
    quarter_report_get,
    quarter_report_history,
    quarter_report_only_saver_since,
    quarter_report_version_get,
    quarter_reports_of,
)

CLOSED_MESSAGE = gettext_noop("Kvartalet är stängt och rapporten fastställd.")
REOPENED_MESSAGE = gettext_noop("Rapporten är öppnad igen och är ett utkast.")
APPROVED_MESSAGE = gettext_noop("Rapporten är godkänd.")
SENT_BACK_MESSAGE = gettext_noop("Rapporten är skickad tillbaka till strategen.")
NO_ORGANISATION = gettext_noop("Inga enheter är inlagda ännu.")
ERROR_NO_VERSION = gettext_noop("Kvartalsrapporten för {quarter} har ingen version {number}.")

# The URL's action → what it says when done.
ACTIONS = {
    "stang": CLOSED_MESSAGE,
    "oppna": REOPENED_MESSAGE,
    "godkann": APPROVED_MESSAGE,
    "skicka-tillbaka": SENT_BACK_MESSAGE,
}
# The URL's action → the permission it needs (asked with the report's organisation).
ACTION_PERMISSIONS = {
    "stang": "followup.close_quarterreport",
    "oppna": "followup.close_quarterreport",
    "godkann": "followup.approve_quarterreport",
    "skicka-tillbaka": "followup.approve_quarterreport",
}


# The session key of a refused transition, shown once by the report page it redirects to (the
# comment typed is kept apart, by base.unsaved).
REFUSAL_SESSION_KEY = "quarter_report_refusal"
# The id of the page's actions: the "Gå till beslut" link and a refusal of a field go there.
ACTIONS_ANCHOR = "beslut"


@dataclass
class Refusal:
    """A refused transition as the report page shows it after the redirect: which action, the
    errors of its fields and the reason above the actions. The comment typed is kept by
    base.unsaved for the same page view."""

    quarter: str
    organisation: str
    action: str = ""
    confirmed: bool = False
    field_errors: dict[str, list[str]] = field(default_factory=dict)
    page_error: str = ""


class NoReport(Exception):
    """The quarter has no report: it is before `start`, the follow-up's first computed quarter,
    or it has not started (`start` None)."""

    def __init__(self, start: Quarter | None) -> None:
        super().__init__(start)
        self.start = start


def _keep_refusal(request: HttpRequest, refusal: Refusal) -> None:
    request.session[REFUSAL_SESSION_KEY] = asdict(refusal)


def _take_refusal(
    request: HttpRequest, quarter: Quarter, chosen: OrganisationSelection
) -> Refusal | None:
    """The refusal kept for this report (quarter and organisation), taken out of the session:
    a reload shows the page without it. Another report's refusal is dropped as well."""
    kept = request.session.pop(REFUSAL_SESSION_KEY, None)
    if not isinstance(kept, dict):
        return None
    try:
        refusal = Refusal(**kept)
    except TypeError:
        return None
    if refusal.quarter != quarter.code or refusal.organisation != chosen.code:
        return None
    return refusal


def _require_reader(request: HttpRequest) -> None:
    if not _may(request, "followup.view_quarterreport"):
        raise PermissionDenied


def _quarter_or_404(code: str) -> Quarter:
    try:
        return Quarter.parse(code)
    except InvalidQuarter as error:
        # Our own Swedish sentence ("”x” är inte ett kvartal; skriv till exempel 2025Q4.").
        raise NotFound(str(error)) from error


def _detail_url(quarter: Quarter, chosen: OrganisationSelection) -> str:
    """The report's page: where its transitions and the current version's URL redirect, and
    the URL base.unsaved keeps a refused comment for."""
    return _with_organisation(
        reverse("quarter_report_detail", kwargs={"quarter": quarter.code}), chosen
    )


def _with_organisation(url: str, chosen: OrganisationSelection) -> str:
    """A URL of the report pages naming the organisation shown (nothing with one)."""
    if chosen.organisation is None:
        return url
    return f"{url}?{urlencode({ORGANISATION_PARAM: chosen.organisation.code})}"


def _organisation_of(chosen: OrganisationSelection) -> tuple[int | None, str]:
    """The unit the reports belong to and its name: the chosen organisation's (no query), or
    with one organisation or none the root of the tree (one query)."""
    if chosen.organisation is not None:
        return chosen.organisation.id, chosen.organisation.name
    root = region_unit()
    return (root.pk, root.name) if root is not None else (None, "")


def _may(request: HttpRequest, perm: str, organisation_id: int | None = None) -> bool:
    # Asked with an object, as the services ask: gonv.rules answers, and Django's model
    # backend (which reads the permission tables for a question without one) stays out. The
    # report's organisation decides for a portfolio owner assigned to one.
    return request.user.has_perm(perm, QuarterReport.about(organisation_id))


@require_GET
@login_required
@vary_on_headers("HX-Request")
def quarter_report_list(request: HtmxHttpRequest) -> HttpResponse:
    """Kvartalsrapporter: every computed quarter (and any with a report) of the organisation
    shown, newest first, with its report's status and who closed and approved it, and under it
    its earlier versions (each close a reopening or a send-back ended), newest first."""
    _require_reader(request)
    chosen = organisation_selection(request)
    organisation_id, organisation_name = _organisation_of(chosen)
    reports = quarter_reports_of(organisation_id=organisation_id) if organisation_id else {}
    earlier = (
        quarter_report_earlier_versions(organisation_id=organisation_id) if organisation_id else {}
    )
    quarters = sorted(
        {*computed_quarters(), *(Quarter.parse(code) for code in reports)}, reverse=True
    )
    today = timezone.localdate()
    rows = [
        {
            "quarter": quarter,
            "report": reports.get(quarter.code),
            "ongoing": today <= quarter.end,
            "url": _detail_url(quarter, chosen),
            "earlier": [
                {"version": version, "url": _version_url(quarter, version.number, chosen)}
                for version in earlier.get(quarter.code, [])
            ],
        }
        for quarter in quarters
    ]
    context = {
        "organisation_selection": chosen,
        "organisation_name": organisation_name,
        "rows": rows,
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "followup/quarter_report_list.html#report-list", context)
    return render(request, "followup/quarter_report_list.html", context)


def _page_context(
    request: HttpRequest,
    quarter: Quarter,
    chosen: OrganisationSelection,
    refusal: Refusal | None = None,
    typed: str = "",
) -> dict[str, Any]:
    """The report page: the stored report (frozen body) or the live draft, and what the user
    may do with it now; after a refusal, its reason and the comment `typed`."""
    organisation_id, organisation_name = _organisation_of(chosen)
    if organisation_id is None:
        raise NotFound(_(NO_ORGANISATION))
    report = quarter_report_get(organisation_id=organisation_id, quarter=quarter)
    today = timezone.localdate()
    if report is None:
        # A quarter that has not started has nothing to report (its draft would be all
        # "pågår"); nor has one before the follow-up's first computed one (no list shows it,
        # its draft would count every goal as without status). A stored one is shown anyway.
        if quarter.start > today:
            raise NoReport(None)
        start = quarter_report_start(computed_quarters())
        if start is not None and quarter < start:
            raise NoReport(start)
    status = report.status if report else QuarterReport.Status.DRAFT
    frozen = report is not None and status != QuarterReport.Status.DRAFT
    can_close = _may(request, "followup.close_quarterreport")
    can_approve = _may(request, "followup.approve_quarterreport", organisation_id)
    history = quarter_report_history(report=report) if report else None
    context: dict[str, Any] = {
        "quarter": quarter,
        "organisation_selection": chosen,
        "organisation_name": organisation_name,
        "report": report,
        "status": status,
        "status_label": QuarterReport.Status(status).label,
        "frozen": frozen,
        "version": report.version if report else 0,
        "today": today,
        "can_close": can_close and status == QuarterReport.Status.DRAFT,
        "can_reopen": can_close and status == QuarterReport.Status.CLOSED,
        "can_review": can_approve and status == QuarterReport.Status.CLOSED,
        # A portfolio owner of another organisation: the page says why there are no buttons.
        "review_elsewhere": (
            not can_approve
            and status == QuarterReport.Status.CLOSED
            and Role.PORTFOLIO_OWNER in scope_for(request.user).roles
        ),
        "close_refusal": (
            quarter_close_refusal(quarter=quarter, today=today)
            if can_close and status == QuarterReport.Status.DRAFT
            else ""
        ),
        "refusal": refusal,
        # The refused action's comment, back in its form (base.unsaved kept it).
        "refused_comment": typed if refusal else "",
        "comment_max_length": COMMENT_MAX_LENGTH,
        # Each send-back and its comment, for every reader and in print: the strategist's
        # comment on the closed report answers them (followup.services clears the fields);
        # and every close, reopening (with its reason), send-back and approval, in order.
        "send_backs": history.send_backs if history else [],
        # A close whose version a reopening or send-back ended links to that version's page.
        "events": [
            replace(event, url=_version_url(quarter, event.version, chosen))
            if event.ended and event.version
            else event
            for event in (history.events if history else [])
        ],
        "page_error": refusal.page_error if refusal else "",
        "actions_anchor": ACTIONS_ANCHOR,
        "list_url": _with_organisation(reverse("quarter_report_list"), chosen),
        # Keyed for the template ("skicka_tillbaka"): a name with "-" cannot be looked up there.
        "action_urls": {
            name.replace("-", "_"): _with_organisation(
                reverse("quarter_report_action", kwargs={"quarter": quarter.code, "action": name}),
                chosen,
            )
            for name in ACTIONS
        },
    }
    context["unsaved_text"] = _unsaved_text(refusal, typed, context)
    if frozen:
        # Corrections after the close are shown as such, never silently: the frozen body
        # stays, and the page says a recompute has changed the quarter's results since.
        frozen_at = report.content_computed_at if report else None
        context["recomputed_at"] = (
            quarter_changed_since(quarter=quarter, since=frozen_at) if frozen_at else None
        )
        context["portfolio_url"] = (
            f"{_with_organisation(reverse('home'), chosen)}"
            f"{'&' if chosen.organisation else '?'}kvartal={quarter.code}"
        )
    else:
        context.update(
            report_body_context(organisation=chosen.organisation, quarter=quarter, today=today)
        )
    return context


def _unsaved_text(refusal: Refusal | None, typed: str, context: dict[str, Any]) -> str:
    """The text typed into a refused transition that no form on the page shows again: the
    report changed meanwhile (a stale page), or the refused action's form is gone from it
    (closed by someone else). Shown under the reason, read-only, to be copied."""
    if refusal is None or not refusal.page_error or not typed.strip():
        return ""
    shown = {
        "stang": context["can_close"] and not context["close_refusal"],
        "oppna": context["can_reopen"],
        "godkann": context["can_review"],
        "skicka-tillbaka": context["can_review"],
    }
    return "" if shown.get(refusal.action) else typed


@require_GET
@login_required
def quarter_report_detail(request: HtmxHttpRequest, quarter: str) -> HttpResponse:
    """A quarter's report: frozen once closed, a live draft until then; after a refused
    transition, with its reason and the comment typed."""
    _require_reader(request)
    chosen = organisation_selection(request)
    shown = _quarter_or_404(quarter)
    refusal = _take_refusal(request, shown, chosen)
    typed = take_unsaved_text(request, url=_detail_url(shown, chosen))
    try:
        context = _page_context(request, shown, chosen, refusal, typed)
    except NoReport as missing:
        return _no_report_page(request, shown, chosen, missing.start)
    return render(request, "followup/quarter_report.html", context)


def _version_url(quarter: Quarter, number: int, chosen: OrganisationSelection) -> str:
    """An earlier version's page (the organisation named as on the report's own page)."""
    return _with_organisation(
        reverse("quarter_report_version", kwargs={"quarter": quarter.code, "number": number}),
        chosen,
    )


@require_GET
@login_required
def quarter_report_version(request: HtmxHttpRequest, quarter: str, number: int) -> HttpResponse:
    """An earlier version of a quarter's report: the body one close froze, exactly as it was
    (whatever changed since), marked "Tidigare version – ersatt …" with who closed it, who
    reopened it or sent it back and why, and a link to the report as it is now. Read by all who
    read the reports, written by nobody: no form, and anything but a GET is refused (405).
    The version still current (not ended) is the report itself: its page."""
    _require_reader(request)
    chosen = organisation_selection(request)
    shown = _quarter_or_404(quarter)
    organisation_id, organisation_name = _organisation_of(chosen)
    if organisation_id is None:
        raise NotFound(_(NO_ORGANISATION))
    version = quarter_report_version_get(
        organisation_id=organisation_id, quarter=shown, number=number
    )
    if version is None:
        raise NotFound(_(ERROR_NO_VERSION).format(quarter=shown.label, number=number))
    detail = _detail_url(shown, chosen)
    if not version.ended:
        return HttpResponseRedirect(detail)
    report = version.report
    context = {
        "quarter": shown,
        "organisation_selection": chosen,
        "organisation_name": organisation_name,
        "version": version,
        "ended_label": QuarterReportVersion.Ending(version.ended_as).label,
        "report": report,
        "current_label": QuarterReport.Status(report.status).label,
        "detail_url": detail,
        "list_url": _with_organisation(reverse("quarter_report_list"), chosen),
    }
    return render(request, "followup/quarter_report_version.html", context)


def _no_report_page(
    request: HttpRequest, quarter: Quarter, chosen: OrganisationSelection, start: Quarter | None
) -> HttpResponse:
    """404 for a quarter with no report (NoReport): says why, and where the follow-up starts
    (or that the quarter has not started)."""
    context: dict[str, Any] = {
        "quarter": quarter,
        "start": start,
        "list_url": _with_organisation(reverse("quarter_report_list"), chosen),
    }
    if start is None:
        context["not_started"] = _(ERROR_REPORT_NOT_STARTED).format(
            quarter=quarter.label, start=day_label(quarter.start)
        )
    else:
        context["start_url"] = _with_organisation(
            reverse("quarter_report_detail", kwargs={"quarter": start.code}), chosen
        )
    return render(request, "followup/quarter_report_missing.html", context, status=404)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def quarter_report_action(request: HtmxHttpRequest, quarter: str, action: str) -> HttpResponse:
    """Close, reopen, approve (confirmed in a checkbox) or send back: the services check who,
    the state and the version. Done or refused, the answer is a redirect to the report's page
    (Post/Redirect/Get); a refusal is shown there once (Refusal).

    A GET here (an old link or bookmark) goes to the report's page too: it changes nothing."""
    _require_reader(request)
    if action not in ACTIONS:
        raise Http404
    shown = _quarter_or_404(quarter)
    chosen = organisation_selection(request)
    detail = _detail_url(shown, chosen)
    if request.method != "POST":
        return HttpResponseRedirect(detail)
    organisation_id, _name = _organisation_of(chosen)
    if organisation_id is None:
        raise NotFound(_(NO_ORGANISATION))
    # Who may act, before anything else is read from the post (the services ask again).
    if not _may(request, ACTION_PERMISSIONS[action], organisation_id):
        raise PermissionDenied
    form_class = QuarterReportApproveForm if action == "godkann" else QuarterReportActionForm
    form = form_class(request.POST)
    refusal = Refusal(
        quarter=shown.code,
        organisation=chosen.code,
        action=action,
        confirmed=bool(request.POST.get("confirmed")),
    )
    typed = str(request.POST.get("comment", ""))
    if not form.is_valid():
        if "version" in form.errors:
            # A version that is no number matches no version of the report: as stale.
            refusal.page_error = _(ERROR_REPORT_STALE)
            return _refused(request, refusal, detail, typed)
        # As text: the session keeps JSON.
        refusal.field_errors = {
            name: [str(message) for message in errors] for name, errors in form.errors.items()
        }
        return _refused(request, refusal, detail, typed)
    version: int = form.cleaned_data["version"] or 0
    comment: str = form.cleaned_data["comment"] or ""
    transitions: dict[str, Callable[[], QuarterReport]] = {
        "stang": lambda: services.quarter_report_close(
            user=request.user,
            organisation=chosen.organisation,
            quarter=shown,
            version=version,
            comment=comment,
        ),
        "oppna": lambda: services.quarter_report_reopen(
            user=request.user,
            organisation_id=organisation_id,
            quarter=shown,
            version=version,
            reason=comment,
        ),
        "godkann": lambda: services.quarter_report_approve(
            user=request.user,
            organisation_id=organisation_id,
            quarter=shown,
            version=version,
            note=comment,
        ),
        "skicka-tillbaka": lambda: services.quarter_report_send_back(
            user=request.user,
            organisation_id=organisation_id,
            quarter=shown,
            version=version,
            comment=comment,
        ),
    }
    try:
        transitions[action]()
    except StaleVersion:
        # The page as it is now, with the new version: the user sees what changed and acts
        # again if they still want to (the form posted may no longer be on the page).
        # Every change since by the user themselves (another tab): not "someone else".
        own = quarter_report_only_saver_since(
            organisation_id=organisation_id, quarter=shown, version=version
        ) == getattr(request.user, "pk", None)
        refusal.page_error = _(ERROR_REPORT_STALE_OWN if own else ERROR_REPORT_STALE)
        refusal.action = ""
        return _refused(request, refusal, detail, typed)
    except ValidationError as error:
        # A missing comment by its field; a refusal of the state above the actions.
        if _is_comment_error(error):
            refusal.field_errors = {"comment": list(error.messages)}
        else:
            refusal.page_error = " ".join(error.messages)
        return _refused(request, refusal, detail, typed)
    messages.success(request, _(ACTIONS[action]))
    return HttpResponseRedirect(detail)


def _refused(request: HttpRequest, refusal: Refusal, detail: str, typed: str) -> HttpResponse:
    """Back to the report's page with the refusal and the comment typed kept for it: to the
    actions when a field was wrong (its error and the comment are there), else to the top,
    where the reason is."""
    _keep_refusal(request, refusal)
    keep_unsaved_text(request, url=detail, text=typed)
    anchor = f"#{ACTIONS_ANCHOR}" if refusal.field_errors else ""
    return HttpResponseRedirect(detail + anchor)


def _is_comment_error(error: ValidationError) -> bool:
    return hasattr(error, "error_dict") and "comment" in error.error_dict
