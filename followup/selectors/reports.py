"""The quarterly report: whose organisation it is, its notices, the closed quarters, a stored
report with its send-backs, why a quarter cannot be closed and what changed since.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.utils.translation import gettext

from base.periods import Quarter, day_label
from goals.models import ClosedQuarter
from organisation.models import Unit
from organisation.selectors import region_unit
from programmes.models import ProgrammeArea

from ..models import (
    ERROR_REPORT_NOT_COMPUTED,
    ERROR_REPORT_QUARTER_ONGOING,
    ERROR_REPORT_RECOMPUTE_PENDING,
    ComputeRun,
    QuarterReport,
    QuarterReportVersion,
    RecomputeRequest,
)
from .pages import portfolio_quarter
from .portfolio import Organisation, organisations, phase_organisation, portfolio_with_status

# --- the quarterly report -----------------------------------------------------------------------


def report_organisation_unit_id(organisation: Organisation | None) -> int | None:
    """The unit a quarterly report belongs to: the chosen organisation's, or with one
    organisation or none the root of the tree (whose portfolio is then every phase)."""
    if organisation is not None:
        return organisation.id
    root = region_unit()
    return root.pk if root is not None else None


@dataclass(frozen=True)
class ReportNotice:
    """What Portfölj tells those who can act on a quarterly report: the portfolio owner that
    one waits for approval ("waiting"), the strategist that one was sent back ("returned") or
    that an ended quarter can be closed ("closable"). `report` is None for a quarter nobody
    has closed yet; `url` is the report page's, the view's to fill in."""

    kind: str
    quarter: Quarter
    report: QuarterReport | None
    url: str = ""


def quarter_report_notices(
    *,
    organisation: Organisation | None,
    computed: list[Quarter],
    today: datetime.date,
    may_close: bool,
    may_approve: Callable[[QuarterReport], bool],
) -> list[ReportNotice]:
    """The reports of the organisation shown on Portfölj (the root's with one organisation or
    none) that wait for the user, newest quarter first (one query; `may_approve` is asked of
    each closed report found, and the view asks nothing of a user who may act on none).

    Closed reports wait for approval; reports sent back wait for the strategist, and so does
    the latest computed quarter that has ended while nobody has closed it."""
    if organisation is not None:
        reports = QuarterReport.objects.filter(organisation_id=organisation.id)
    else:
        root = Unit.objects.filter(parent__isnull=True).order_by("code").values("pk")[:1]
        reports = QuarterReport.objects.filter(organisation_id=Subquery(root))
    ended = [quarter for quarter in computed if quarter.end < today]
    latest = max(ended) if ended else None
    # Approved reports ask nothing of anyone, bar the latest ended quarter's: then it is closed.
    open_or_latest = ~Q(status=QuarterReport.Status.APPROVED)
    if latest is not None:
        open_or_latest |= Q(quarter=latest.code)
    rows = list(
        reports.filter(open_or_latest)
        .select_related("returned_by")
        .only(
            "organisation_id",
            "quarter",
            "status",
            "version",
            "returned_at",
            "return_comment",
            "returned_by__first_name",
            "returned_by__last_name",
            "returned_by__username",
        )
        .order_by("-quarter")
    )
    notices: list[ReportNotice] = []
    by_quarter = {row.quarter: row for row in rows}
    for row in rows:
        quarter = Quarter.parse(row.quarter)
        if row.status == QuarterReport.Status.CLOSED and may_approve(row):
            notices.append(ReportNotice(kind="waiting", quarter=quarter, report=row))
        elif may_close and row.status == QuarterReport.Status.DRAFT and row.returned_at:
            notices.append(ReportNotice(kind="returned", quarter=quarter, report=row))
    if may_close and latest is not None:
        unclosed = by_quarter.get(latest.code)
        if unclosed is None or (
            unclosed.status == QuarterReport.Status.DRAFT and not unclosed.returned_at
        ):
            notices.append(ReportNotice(kind="closable", quarter=latest, report=unclosed))
    return sorted(notices, key=lambda notice: notice.quarter, reverse=True)


def report_organisation_unit_id_of_area(area_id: int) -> int | None:
    """The unit whose quarterly report shows a programme area's goals: with several
    organisations the area's phase's organisation (None for a phase of none: on no
    organisation's portfolio), else the root of the tree (report_organisation_unit_id)."""
    if len(organisations()) < 2:
        return report_organisation_unit_id(None)
    phase_id = ProgrammeArea.objects.filter(pk=area_id).values_list("phase_id", flat=True).first()
    found = phase_organisation(phase_id) if phase_id is not None else None
    return found.organisation.id if found is not None and found.organisation else None


def closed_report_quarters(
    area_id: int, quarters: Collection[str] | None
) -> dict[str, ClosedQuarter]:
    """The quarters among `quarters` (None: every quarter) whose quarterly report showing the
    programme area's goals is Fastställd or Godkänd, with when it was closed (registered with
    goals.models.register_closed_quarters: the rule that an assessment of such a quarter is not
    created, changed or deleted, nor a goal the report showed)."""
    unit_id = report_organisation_unit_id_of_area(area_id)
    if unit_id is None or (quarters is not None and not quarters):
        return {}
    rows = QuarterReport.objects.filter(
        organisation_id=unit_id,
        status__in=[QuarterReport.Status.CLOSED, QuarterReport.Status.APPROVED],
    )
    if quarters is not None:
        rows = rows.filter(quarter__in=list(quarters))
    return {
        code: ClosedQuarter(
            code=code, approved=status == QuarterReport.Status.APPROVED, closed_at=closed_at
        )
        for code, status, closed_at in rows.values_list("quarter", "status", "closed_at")
    }


def quarter_report_get(*, organisation_id: int, quarter: Quarter) -> QuarterReport | None:
    """The report of an organisation and quarter with who closed, approved, returned and
    reopened it, and its frozen body (stored in its current version), in one query; None
    while nobody has closed it (an unsaved draft)."""
    return (
        QuarterReport.objects.select_related(
            "closed_by", "approved_by", "returned_by", "reopened_by"
        )
        .annotate(current_body=Subquery(QuarterReportVersion.current_body_of(OuterRef("pk"))))
        .filter(organisation_id=organisation_id, quarter=quarter.code)
        .first()
    )


def quarter_report_only_saver_since(
    *, organisation_id: int, quarter: Quarter, version: int
) -> int | None:
    """The one user who made every change of the report after `version`, None if several (or
    none, or a loader) did (one query): a stale page's conflict says when it was the user's
    own change in another tab (as base.editing.Conflict.user_id does for the forms)."""
    savers = set(
        QuarterReport.history.filter(
            organisation_id=organisation_id, quarter=quarter.code, version__gt=version
        ).values_list("history_user_id", flat=True)
    )
    if len(savers) != 1:
        return None
    (only,) = savers
    return int(only) if only is not None else None


@dataclass(frozen=True)
class SendBack:
    """A send-back of a quarterly report: who, when, and the comment the strategist answers."""

    name: str
    returned_at: datetime.datetime
    comment: str


@dataclass(frozen=True)
class ReportEvent:
    """One transition of a quarterly report as its page lists it: `kind` is "closed",
    "closed_again" (a close after a reopening or a send-back), "reopened" (with the reason
    as `text`), "sent_back" (its comment is in the report's send-backs) or "approved";
    `sha256` is the body a close froze, and `version` the number of the QuarterReportVersion
    that keeps it (None for a close from before versions were kept: its hash only); `ended`
    says that version is an earlier one, to be opened on its own page (`url`, the view's to
    fill in)."""

    kind: str
    at: datetime.datetime
    name: str
    text: str = ""
    sha256: str = ""
    version: int | None = None
    ended: bool = False
    url: str = ""


@dataclass(frozen=True)
class ReportHistory:
    """What a stored report's history shows on its page: its send-backs (each with its
    comment, oldest first), every transition (ReportEvent, oldest first) and its kept
    versions (oldest first, without their bodies)."""

    send_backs: list[SendBack]
    events: list[ReportEvent]
    versions: list[QuarterReportVersion]


def _name(user: Any) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def quarter_report_history(*, report: QuarterReport) -> ReportHistory:
    """The report's send-backs and transitions, read from its history (one query), and its
    versions (one query): a close clears the send-back's fields and a reopening the close's,
    the history keeps each one, and each close names the version that keeps its body.
    The report as it is now counts too (a report loaded without history records)."""
    rows = list(
        report.history.select_related("closed_by", "reopened_by", "returned_by", "approved_by")
        .order_by("history_date", "history_id")
        .only(
            "history_id",
            "history_date",
            "closed_at",
            "content_sha256",
            "reopened_at",
            "reopen_reason",
            "returned_at",
            "return_comment",
            "approved_at",
            "closed_by",
            "reopened_by",
            "returned_by",
            "approved_by",
        )
    )
    send_backs: dict[datetime.datetime, SendBack] = {}
    events: dict[tuple[str, datetime.datetime], ReportEvent] = {}
    for row in [*rows, report]:
        if row.closed_at and ("close", row.closed_at) not in events:
            events[("close", row.closed_at)] = ReportEvent(
                "closed", row.closed_at, _name(row.closed_by), sha256=row.content_sha256
            )
        if row.reopened_at and ("reopen", row.reopened_at) not in events:
            events[("reopen", row.reopened_at)] = ReportEvent(
                "reopened", row.reopened_at, _name(row.reopened_by), text=row.reopen_reason
            )
        if row.returned_at and row.returned_at not in send_backs:
            send_backs[row.returned_at] = SendBack(
                _name(row.returned_by), row.returned_at, row.return_comment
            )
            events[("return", row.returned_at)] = ReportEvent(
                "sent_back", row.returned_at, _name(row.returned_by)
            )
        if row.approved_at and ("approve", row.approved_at) not in events:
            events[("approve", row.approved_at)] = ReportEvent(
                "approved", row.approved_at, _name(row.approved_by)
            )
    versions = list(
        _versions_listed(QuarterReportVersion.objects.filter(report=report)).order_by("number")
    )
    # A close and its version share the moment of the close (followup.services).
    kept = {version.closed_at: version for version in versions}
    ordered = sorted(events.values(), key=lambda event: event.at)
    closes = 0
    listed: list[ReportEvent] = []
    for event in ordered:
        if event.kind == "closed":
            closes += 1
            version = kept.get(event.at)
            event = ReportEvent(
                "closed_again" if closes > 1 else "closed",
                event.at,
                event.name,
                event.text,
                event.sha256,
                version=version.number if version else None,
                ended=version.ended if version else False,
            )
        listed.append(event)
    return ReportHistory(
        sorted(send_backs.values(), key=lambda sent: sent.returned_at), listed, versions
    )


def _versions_listed(
    versions: models.QuerySet[QuarterReportVersion],
) -> models.QuerySet[QuarterReportVersion]:
    """Versions as lists show them: with who closed and who ended them, without their bodies."""
    return versions.select_related("closed_by", "ended_by").defer("content_html")


def quarter_report_earlier_versions(
    *, organisation_id: int
) -> dict[str, list[QuarterReportVersion]]:
    """The earlier versions of an organisation's reports by quarter code, newest first: each
    close a reopening or a send-back ended, its body kept (one query). The current close of a
    quarter is its report, not an earlier version."""
    rows = _versions_listed(
        QuarterReportVersion.objects.filter(
            report__organisation_id=organisation_id, ended_at__isnull=False
        )
    ).annotate(quarter=models.F("report__quarter"))
    found: dict[str, list[QuarterReportVersion]] = {}
    for row in rows.order_by("-number"):
        found.setdefault(row.quarter, []).append(row)
    return found


def quarter_report_version_get(
    *, organisation_id: int, quarter: Quarter, number: int
) -> QuarterReportVersion | None:
    """One version of an organisation's report for a quarter, with its report and who closed
    and ended it (one query); None if there is no such version."""
    return (
        QuarterReportVersion.objects.select_related(
            "report", "closed_by", "ended_by", "report__closed_by"
        )
        .filter(
            report__organisation_id=organisation_id, report__quarter=quarter.code, number=number
        )
        .first()
    )


def quarter_report_send_backs(*, report: QuarterReport) -> list[SendBack]:
    """Every send-back of the report, oldest first (quarter_report_history, one query)."""
    return quarter_report_history(report=report).send_backs


def quarter_reports_of(*, organisation_id: int) -> dict[str, QuarterReport]:
    """Every stored report of an organisation by quarter code (one query)."""
    rows = QuarterReport.objects.select_related("closed_by", "approved_by").filter(
        organisation_id=organisation_id
    )
    return {row.quarter: row for row in rows}


def quarter_close_refusal(*, quarter: Quarter, today: datetime.date) -> str:
    """Why a quarter cannot be closed yet, in Swedish ("" when it can): it has not ended, its
    follow-up has not been computed, or a recompute of it is still waiting (the report would
    freeze results the latest changes are not in). At most two queries."""
    if today <= quarter.end:
        return gettext(ERROR_REPORT_QUARTER_ONGOING).format(
            quarter=quarter.label, end=day_label(quarter.end)
        )
    computed = ComputeRun.objects.filter(
        quarter=quarter.code, finished_at__isnull=False, error=""
    ).exists()
    if not computed:
        return gettext(ERROR_REPORT_NOT_COMPUTED).format(quarter=quarter.label)
    if RecomputeRequest.objects.filter(quarter=quarter.code).exists():
        return gettext(ERROR_REPORT_RECOMPUTE_PENDING).format(quarter=quarter.label)
    return ""


def quarter_report_body(
    *, organisation: Organisation | None, quarter: Quarter, today: datetime.date
) -> dict[str, Any]:
    """What a quarter's report shows, read as Portfölj reads it (portfolio_with_status and
    portfolio_quarter: the same rows, a fixed number of queries): the areas with their goals
    and milestones, the summary paragraph, the deadlines and the region's measures."""
    portfolio = portfolio_with_status(quarter=quarter, organisation=organisation)
    return {
        "phases": portfolio.phases,
        "computed_at": portfolio.computed_at,
        **portfolio_quarter(
            phases=portfolio.phases, quarter=quarter, today=today, organisation=organisation
        ),
    }


def quarter_changed_since(
    *, quarter: Quarter, since: datetime.datetime
) -> datetime.datetime | None:
    """When a recompute after `since` last changed the quarter's results, None if none did
    (one query). A recompute writes only changed rows, so a run that wrote none (the nightly
    run over unchanged data) changed nothing a closed report shows."""
    return (
        ComputeRun.objects.filter(quarter=quarter.code, finished_at__gt=since, error="")
        .filter(Q(measure_rows__gt=0) | Q(period_rows__gt=0) | Q(goal_rows__gt=0))
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )
