"""The quarterly follow-up computation's entry points, and the writes of observations.

Everything is written set-based: one aggregation per result table rolls the observations up
the unit closure table in the database and compares each row with its stored one, and the
writes that follow touch only the new, changed and stale rows; the Python process never holds
the observations. Goal status is gathered with a few grouped queries and evaluated by the
pure functions in goals.status. A quarter is computed in one transaction under a lock, so a
rerun leaves identical rows and two runs never interleave. The jobs themselves live in
followup.compute (see its docstring); the reads of which quarters to compute in
followup.selectors.
"""

from __future__ import annotations

import copy
import datetime
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from base.periods import Quarter
from base.versioning import StaleVersion
from base.writes import Actor, checked_delete, checked_save
from goals.selectors import evaluation_day
from organisation.models import Unit
from organisation.selectors import scope_for

from . import cache as result_cache
from .compute import goal_status, rollup, series
from .compute.db import lock_computation, lock_results_shared, lock_spc, tune_for_batch
from .compute.scope import goal_measure_ids, scope_roots
from .models import (
    ERROR_REPORT_ALREADY_CLOSED,
    ERROR_REPORT_APPROVE_FORBIDDEN,
    ERROR_REPORT_APPROVED,
    ERROR_REPORT_CLOSE_FORBIDDEN,
    ERROR_REPORT_COMMENT_REQUIRED,
    ERROR_REPORT_NOT_CLOSED,
    ERROR_REPORT_NOT_COMPUTED,
    ERROR_REPORT_REOPEN_REASON_REQUIRED,
    ComputeRun,
    ImportBatch,
    Measure,
    Observation,
    QuarterReport,
    QuarterReportVersion,
)
from .quarter_report import render_report_body
from .selectors import (
    Organisation,
    quarter_close_refusal,
    quarters_in_scope,
    report_organisation_unit_id,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class QuarterSummary:
    """What one computation of a quarter wrote."""

    quarter: str
    measure_rows: int
    period_rows: int
    goal_rows: int
    spc_series: int

    def as_dict(self) -> dict[str, Any]:
        """Plain data, for Celery's JSON results and the command's output."""
        return asdict(self)


def spc_compute(*, quarters: Iterable[Quarter], measure_ids: Iterable[int] | None = None) -> int:
    """Roll up the period series and compute SPC for the quarters, oldest first.

    The CPU-bound half of the follow-up: the Celery path runs it as one task per measure after
    the roll-ups have committed, each going through the quarters in order (a quarter's series
    includes the earlier quarters' periods). Returns the series computed.
    """
    ids = None if measure_ids is None else list(measure_ids)
    count = 0
    for quarter in sorted(quarters):
        with transaction.atomic():
            lock_spc(ids)
            tune_for_batch()
            rollup.write_period_results(quarter, measure_ids=ids)
            count += series.write_spc(quarter, measure_ids=ids)
    transaction.on_commit(result_cache.bump_generation)
    return count


ERROR_OBSERVATION_FORBIDDEN = gettext_noop(
    "Du har inte behörighet att rapportera värden för {unit}."
)

# What makes an observation another value: a change of any of these replaces what was imported.
_VALUE_FIELDS = (
    "measure_id", "unit_id", "period_start", "period_end", "value", "numerator", "denominator",
)  # fmt: skip


def observation_source_settle(
    *, user: Any, observation: Observation, stored: Observation | None
) -> None:
    """Say where the value comes from (the reporting grid, the admin, observation_record): not
    a form's to choose.

    A value a person writes is manual; one that replaces an imported value (any of
    `_VALUE_FIELDS` changed) records the source it overrides (`overrides_source`), as "Ersätt
    värdet" on the grid does. Otherwise the stored source and override stay as they are. Only
    those who edit everything (strateg, admin) may set the source and override themselves (the
    admin shows them the fields); the source is never theirs to leave on a value they changed
    without saying so.
    """
    manual = ImportBatch.Source.MANUAL
    explicit = scope_for(user).edits_everything and (
        stored is None
        or (observation.source, observation.overrides_source)
        != (stored.source, stored.overrides_source)
    )
    if explicit:
        return
    if stored is None:
        observation.source, observation.overrides_source = manual, ""
        return
    changed = any(getattr(observation, name) != getattr(stored, name) for name in _VALUE_FIELDS)
    if not changed:
        observation.source, observation.overrides_source = stored.source, stored.overrides_source
        return
    observation.source = manual
    observation.overrides_source = (
        stored.source if stored.source not in (manual, "") else stored.overrides_source
    )


def observation_record(
    *,
    user: Any,
    measure: Measure,
    unit: Unit,
    period_start: datetime.date,
    period_end: datetime.date,
    value: Decimal,
    numerator: Decimal | None = None,
    denominator: Decimal | None = None,
    source: str = "manual",
) -> Observation:
    """Record (create or correct) one value for a measure, unit and period.

    Permission-checked, validated with Swedish messages (the import's rules, Observation.clean),
    recorded in the history with the user; the recompute of the affected quarters follows on
    commit (followup.signals). The source is the user's only if they edit everything; a
    correction of an imported value records what it overrides (observation_source_settle).
    """
    existing = Observation.objects.filter(
        measure=measure, unit=unit, period_start=period_start
    ).first()
    stored = copy.copy(existing)
    observation = existing or Observation(measure=measure, unit=unit, period_start=period_start)
    action = "change_observation" if existing else "add_observation"
    if not user.has_perm(f"followup.{action}", observation):
        raise PermissionDenied(_(ERROR_OBSERVATION_FORBIDDEN).format(unit=unit.name))
    observation.period_end = period_end
    observation.quarter = Quarter.containing(period_end).code
    observation.value = value
    observation.numerator = numerator
    observation.denominator = denominator
    observation.source = source
    observation_source_settle(user=user, observation=observation, stored=stored)
    observation.full_clean()
    # simple-history records who made the change (its documented hook, unknown to the types).
    observation._history_user = user  # type: ignore[attr-defined]
    with transaction.atomic():
        observation.save()
    return observation


def observation_update(*, user: Any, observation: Observation) -> Observation:
    """Correct a stored observation as edited (its unit too): the user must be allowed to change
    it as it was and as it will be saved; the quarter follows the period, the source says who
    wrote the value (observation_source_settle)."""
    if observation.pk is None:
        raise ValueError("observation_update takes a saved observation; use observation_record")
    stored = Observation.objects.filter(pk=observation.pk).first()
    observation_source_settle(user=user, observation=observation, stored=stored)
    return checked_save(
        user=user,
        obj=observation,
        message=_(ERROR_OBSERVATION_FORBIDDEN).format(unit=observation.unit.name),
    )


def observation_delete(*, user: Any, observation: Observation) -> None:
    """Delete one value of a unit in the user's scope (history keeps it; recompute on commit)."""
    checked_delete(
        user=user,
        obj=observation,
        message=_(ERROR_OBSERVATION_FORBIDDEN).format(unit=observation.unit.name),
    )


def quarter_compute(
    *,
    quarter: Quarter,
    trigger: str = "",
    today: datetime.date | None = None,
    spc: bool = True,
) -> QuarterSummary:
    """Compute and store every result of one quarter, atomically; a rerun writes the same rows.

    Counts in the summary are rows written: a rerun over unchanged data writes none. With
    spc=False the period series of units below the phases' organisation units and the SPC are
    left to spc_compute (the Celery path runs it per measure afterwards).
    """
    today = today or timezone.localdate()
    as_of = evaluation_day(quarter.end, today=today, deadline=None)  # the pages' day too
    started = timezone.now()
    with transaction.atomic():
        lock_computation()
        tune_for_batch()
        measure_rows = rollup.write_measure_results(quarter)
        if spc:
            period_rows = rollup.write_period_results(quarter)
        else:
            # Goal status reads only the series of measure goals, for each phase's organisation
            # unit; the rest of the series is spc_compute's, per measure, afterwards.
            period_rows = rollup.write_period_results(
                quarter,
                measure_ids=goal_measure_ids(),
                unit_ids=set(scope_roots().values()),
            )
        spc_series = series.write_spc(quarter) if spc else 0
        goal_rows = goal_status.write_goal_results(quarter, as_of)
        ComputeRun.objects.create(
            quarter=quarter.code,
            started_at=started,
            finished_at=timezone.now(),
            measure_rows=measure_rows,
            period_rows=period_rows,
            goal_rows=goal_rows,
            spc_series=spc_series,
            trigger=trigger[:40],
        )
        transaction.on_commit(result_cache.bump_generation)
    summary = QuarterSummary(quarter.code, measure_rows, period_rows, goal_rows, spc_series)
    logger.info("Computed follow-up %s", summary)
    return summary


def recompute_all(
    *, trigger: str = "all", today: datetime.date | None = None
) -> list[QuarterSummary]:
    """Compute every quarter in scope, oldest first (a quarter's changes need the one before)."""
    return [
        quarter_compute(quarter=q, trigger=trigger, today=today) for q in quarters_in_scope(today)
    ]


# --- the quarterly report: close, reopen, approve, send back ------------------------------------
#
# One service per transition. Each checks the permission (gonv.rules: close_quarterreport,
# approve_quarterreport) before anything else, then locks the report's row and compares its
# version with the one the page was opened from (StaleVersion: someone else acted meanwhile),
# then the status, and saves in one transaction with the user in the history. A refusal
# raises and changes nothing. A draft nobody has closed yet has no row (version 0).


def _report_for_update(*, organisation_id: int, quarter: Quarter, version: int) -> QuarterReport:
    """The report's row, locked, at the version the user saw; an unsaved draft for version 0."""
    report = (
        QuarterReport.objects.select_for_update()
        .filter(organisation_id=organisation_id, quarter=quarter.code)
        .first()
    )
    if report is None:
        draft = QuarterReport(organisation_id=organisation_id, quarter=quarter.code)
        if version != 0:
            raise StaleVersion(draft, version)
        return draft
    if report.version != version:
        raise StaleVersion(report, version)
    return report


def _report_save(*, user: Actor, report: QuarterReport, version: int) -> QuarterReport:
    if user.is_authenticated:
        report._history_user = user  # type: ignore[attr-defined]
    if report.pk is None:
        # The one report per organisation and quarter is the database's to keep: a check by
        # query here would let a parallel first close that commits in between through as a
        # form error (422) rather than as the stale version it is.
        report.full_clean(validate_constraints=False, validate_unique=False)
        report.validate_constraints(exclude={"organisation"})
        try:
            # A savepoint: a parallel first close of the same quarter loses on the unique key.
            with transaction.atomic():
                report.save()
        except IntegrityError as error:
            raise StaleVersion(report, version) from error
    else:
        report.full_clean()
        report.save()
    return report


def _require_perm(
    user: Actor, perm: str, message: str, *, organisation_id: int | None = None
) -> None:
    # With an object, so gonv.rules answers and not the model backend's permission tables;
    # naming the report's organisation, which a portfolio owner's assignment may limit.
    if not user.has_perm(perm, QuarterReport.about(organisation_id)):
        raise PermissionDenied(_(message))


def _version_add(*, report: QuarterReport, content_html: str) -> QuarterReportVersion:
    """Keep the close just saved as the report's next version (inside its transaction, whose
    row lock orders the numbers): the body the steering group is shown, for good, stored only
    here (the report reads it from here)."""
    # Called after the close is saved: it has its moment (a version is always of a close).
    assert report.closed_at is not None  # noqa: S101
    latest = report.versions.order_by("-number").values_list("number", flat=True).first()
    version = QuarterReportVersion(
        report=report,
        number=(latest or 0) + 1,
        closed_by=report.closed_by,
        closed_at=report.closed_at,
        strategist_comment=report.strategist_comment,
        content_html=content_html,
        content_sha256=report.content_sha256,
        content_computed_at=report.content_computed_at,
    )
    version.full_clean(validate_constraints=False)
    version.save()
    return version


def _version_end(
    *, report: QuarterReport, user: Actor, how: QuarterReportVersion.Ending, comment: str
) -> None:
    """Mark the close being undone as ended, by whom, when and why: the version keeps the body
    (every close has one: migration 0029 gave one to those from before versions were kept)."""
    # The report's row is locked (_report_for_update): no other transition writes its versions.
    version = report.versions.filter(ended_at__isnull=True).order_by("-number").first()
    if version is None:
        return
    version.ended_as = how
    version.ended_by = user if user.is_authenticated else None
    version.ended_at = timezone.now()
    version.end_comment = comment
    version.full_clean(validate_constraints=False)
    version.save(update_fields=["ended_as", "ended_by", "ended_at", "end_comment"])


def _clear_content(report: QuarterReport) -> None:
    report.body_known("")  # a draft has none
    report.content_sha256 = ""
    report.content_computed_at = None
    report.closed_by = None
    report.closed_at = None


def quarter_report_close(
    *,
    user: Actor,
    organisation: Organisation | None,
    quarter: Quarter,
    version: int,
    comment: str = "",
    today: datetime.date | None = None,
) -> QuarterReport:
    """Close the quarter ("Stäng kvartalet"): Utkast → Fastställd, freezing the report's body
    (rendered as the page renders it) with its SHA-256. The strategist and administrators;
    only a quarter that has ended, whose follow-up is computed with no recompute waiting."""
    _require_perm(user, "followup.close_quarterreport", ERROR_REPORT_CLOSE_FORBIDDEN)
    organisation_id = report_organisation_unit_id(organisation)
    if organisation_id is None:
        raise ValidationError(_(ERROR_REPORT_NOT_COMPUTED).format(quarter=quarter.label))
    day = today or timezone.localdate()
    with transaction.atomic():
        report = _report_for_update(
            organisation_id=organisation_id, quarter=quarter, version=version
        )
        if report.status != QuarterReport.Status.DRAFT:
            raise ValidationError(_(ERROR_REPORT_ALREADY_CLOSED))
        # No roll-up commits between the check and the render: the frozen body is one
        # computation's results, and no recompute of the quarter is left waiting.
        lock_results_shared()
        refusal = quarter_close_refusal(quarter=quarter, today=day)
        if refusal:
            raise ValidationError(refusal)
        rendered = render_report_body(organisation=organisation, quarter=quarter, today=day)
        report.status = QuarterReport.Status.CLOSED
        report.closed_by = user if user.is_authenticated else None
        report.closed_at = timezone.now()
        report.strategist_comment = comment.strip()
        report.content_sha256 = rendered.sha256
        report.content_computed_at = rendered.computed_at
        # A send-back is answered by this close; its comment stays in the history.
        report.returned_by = None
        report.returned_at = None
        report.return_comment = ""
        saved = _report_save(user=user, report=report, version=version)
        _version_add(report=saved, content_html=rendered.html)
        saved.body_known(rendered.html)
        return saved


def quarter_report_reopen(
    *, user: Actor, organisation_id: int, quarter: Quarter, version: int, reason: str
) -> QuarterReport:
    """Reopen a closed report that is not approved (Fastställd → Utkast) with a reason, which
    is required: the page shows the live draft again, and the close's frozen body stays as an
    earlier version (QuarterReportVersion), ended with who reopened it, when and why. Who
    reopened it, when and why stay on the report too (and each reopening in its history, with
    the close before it: the page lists them, followup.selectors.quarter_report_history). The
    strategist and administrators."""
    _require_perm(user, "followup.close_quarterreport", ERROR_REPORT_CLOSE_FORBIDDEN)
    with transaction.atomic():
        report = _report_for_update(
            organisation_id=organisation_id, quarter=quarter, version=version
        )
        _require_closed(report)
        if not reason.strip():
            raise ValidationError({"comment": [_(ERROR_REPORT_REOPEN_REASON_REQUIRED)]})
        report.status = QuarterReport.Status.DRAFT
        _version_end(
            report=report,
            user=user,
            how=QuarterReportVersion.Ending.REOPENED,
            comment=reason.strip(),
        )
        _clear_content(report)
        report.reopened_by = user if user.is_authenticated else None
        report.reopened_at = timezone.now()
        report.reopen_reason = reason.strip()
        return _report_save(user=user, report=report, version=version)


def quarter_report_approve(
    *, user: Actor, organisation_id: int, quarter: Quarter, version: int, note: str = ""
) -> QuarterReport:
    """Approve a closed report ("Godkänn rapporten"): Fastställd → Godkänd, final. The
    portfolio owner of the report's organisation and administrators."""
    _require_perm(
        user,
        "followup.approve_quarterreport",
        ERROR_REPORT_APPROVE_FORBIDDEN,
        organisation_id=organisation_id,
    )
    with transaction.atomic():
        report = _report_for_update(
            organisation_id=organisation_id, quarter=quarter, version=version
        )
        _require_closed(report)
        report.status = QuarterReport.Status.APPROVED
        report.approved_by = user if user.is_authenticated else None
        report.approved_at = timezone.now()
        report.approval_note = note.strip()
        return _report_save(user=user, report=report, version=version)


def quarter_report_send_back(
    *, user: Actor, organisation_id: int, quarter: Quarter, version: int, comment: str
) -> QuarterReport:
    """Send a closed report back to the strategist (Fastställd → Utkast) with a comment,
    which is required: the close's frozen body stays as an earlier version, ended with the
    send-back. The portfolio owner of the report's organisation and administrators."""
    _require_perm(
        user,
        "followup.approve_quarterreport",
        ERROR_REPORT_APPROVE_FORBIDDEN,
        organisation_id=organisation_id,
    )
    with transaction.atomic():
        report = _report_for_update(
            organisation_id=organisation_id, quarter=quarter, version=version
        )
        _require_closed(report)
        if not comment.strip():
            raise ValidationError({"comment": [_(ERROR_REPORT_COMMENT_REQUIRED)]})
        report.status = QuarterReport.Status.DRAFT
        _version_end(
            report=report,
            user=user,
            how=QuarterReportVersion.Ending.SENT_BACK,
            comment=comment.strip(),
        )
        _clear_content(report)
        report.returned_by = user if user.is_authenticated else None
        report.returned_at = timezone.now()
        report.return_comment = comment.strip()
        return _report_save(user=user, report=report, version=version)


def _require_closed(report: QuarterReport) -> None:
    if report.status == QuarterReport.Status.APPROVED:
        raise ValidationError(_(ERROR_REPORT_APPROVED))
    if report.status != QuarterReport.Status.CLOSED:
        raise ValidationError(_(ERROR_REPORT_NOT_CLOSED))
