"""The browser's import as a job: the uploaded file waits on disk between preview and store.

Small files are checked and stored in the request; from GONV_IMPORT_BACKGROUND_ROWS rows on
a Celery task does it (followup.tasks.import_validate / import_store) and the page polls the
progress, which the pass reports to the cache as it goes.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ..models import ImportJob
from . import parsing
from .parsing import FileRefused
from .report import ImportRefused
from .services import import_preview, import_store

_PROGRESS_KEY = "followup:import-progress:{job}"
# When the running pass last reported progress (a POSIX time): the pass runs in its store's
# transaction, so a row update of the job would not be seen before the commit.
_HEARTBEAT_KEY = "followup:import-heartbeat:{job}"
_PROGRESS_TIMEOUT = 24 * 60 * 60
_SUFFIX = ".upload"

# States in which the job's file waits on disk for the user (a store in progress owns its file).
WAITING = (ImportJob.State.VALIDATING, ImportJob.State.READY, ImportJob.State.FAILED)
# States from which the user may cancel: the check is done, nothing is being stored.
CANCELLABLE = (ImportJob.State.READY, ImportJob.State.FAILED)


def job_path(job: ImportJob) -> Path:
    """Where the job's file waits (named by the job's id, never by the user's file name)."""
    return Path(settings.GONV_IMPORT_DIR) / f"{job.pk}{_SUFFIX}"


def progress_of(job: ImportJob) -> int:
    """Rows the running pass has read so far."""
    return int(cache.get(_PROGRESS_KEY.format(job=job.pk), 0))


def _progress_setter(job: ImportJob) -> Any:
    key = _PROGRESS_KEY.format(job=job.pk)
    heartbeat = _HEARTBEAT_KEY.format(job=job.pk)

    def progress(rows: int) -> None:
        cache.set_many({key: rows, heartbeat: time.time()}, timeout=_PROGRESS_TIMEOUT)

    return progress


def _forget_progress(job_id: Any) -> None:
    cache.delete_many([_PROGRESS_KEY.format(job=job_id), _HEARTBEAT_KEY.format(job=job_id)])


def last_progress(job: ImportJob) -> datetime | None:
    """When the job's check or store last started or reported progress."""
    moments = [job.progressed_at]
    reported = cache.get(_HEARTBEAT_KEY.format(job=job.pk))
    if reported is not None:
        moments.append(datetime.fromtimestamp(float(reported), tz=UTC))
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else job.created_at


def import_job_create(
    *, user: Any, upload: UploadedFile, source: str, sheet: str = ""
) -> ImportJob:
    """Save the upload beside a new job (streamed in chunks, hashed on the way)."""
    job = ImportJob(
        user=user, file_name=(upload.name or "")[:300], source=source, sheet=sheet,
        size=upload.size or 0,
    )  # fmt: skip
    path = job_path(job)
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with path.open("wb") as handle:
        for chunk in upload.chunks():
            digest.update(chunk)
            handle.write(chunk)
    job.sha256 = digest.hexdigest()
    try:
        job.row_estimate = parsing.estimate_rows(path)
    except FileRefused:
        job.row_estimate = 0  # the check will say why
    job.background = job.row_estimate >= settings.GONV_IMPORT_BACKGROUND_ROWS
    job.progressed_at = timezone.now()  # its check starts now
    job.save()
    return job


def import_job_validate(*, job_id: str) -> None:
    """Check the job's file and keep the preview on the job (state READY)."""
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    if job.state != ImportJob.State.VALIDATING:
        return  # a redelivered task, or the upload was cancelled or expired meanwhile
    report = import_preview(
        user=job.user, path=job_path(job), file_name=job.file_name, source=job.source,
        sheet=job.sheet or None, progress=_progress_setter(job),
    )  # fmt: skip
    # Only if it is still being checked: an expiry in between keeps its word.
    ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.VALIDATING).update(
        preview=report.as_dict(), state=ImportJob.State.READY
    )
    if not report.ok:
        # Nothing can be imported from a refused file: it does not wait on disk for the
        # cleanup. The job keeps its preview, so its page still lists the problems.
        job_path(job).unlink(missing_ok=True)
        _forget_progress(job.pk)


def import_job_store(*, job_id: str) -> None:
    """Store the job's file (all or nothing) and keep the outcome on the job (the task's step,
    after import_job_start_store)."""
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    if job.state != ImportJob.State.STORING:
        return  # a redelivered task whose store had finished
    _store(job)


def import_job_store_now(*, job: ImportJob) -> bool:
    """Store a previewed job in this request: READY → STORING → STORED (or FAILED) in one
    transaction with the values. False if it is no longer waiting.

    No other request ever sees it STORING: if this one dies, nothing was stored and the job is
    READY again, so "Importera" can simply be pressed again; a concurrent "Importera", "Avbryt"
    or expiry waits for the row and then finds it stored.
    """
    with transaction.atomic():
        if not ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.READY).update(
            state=ImportJob.State.STORING
        ):
            job.refresh_from_db(fields=["state"])
            return False
        _store(job)
    job.refresh_from_db()
    return True


class _NoLongerStoring(Exception):
    """The job left STORING while its file was being stored: roll the values back."""


def _store(job: ImportJob) -> None:
    """The store itself. The job becomes STORED in the transaction that stores the values, so
    a job is STORED exactly when its values are, whatever happens after the commit (the
    recompute that follows it, a lost request); a refused file makes it FAILED."""
    _forget_progress(job.pk)
    storing = ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.STORING)
    try:
        with transaction.atomic():
            report = import_store(
                user=job.user, path=job_path(job), file_name=job.file_name,
                source=job.source, sheet=job.sheet or None, progress=_progress_setter(job),
            )  # fmt: skip
            if not storing.update(
                result=report.as_dict(), batch_id=report.batch_id, state=ImportJob.State.STORED
            ):
                raise _NoLongerStoring
    except ImportRefused as refused:
        storing.update(result=refused.report.as_dict(), state=ImportJob.State.FAILED)
    except _NoLongerStoring:
        return  # cancelled, expired or failed meanwhile: nothing stored, its state stands
    else:
        job_path(job).unlink(missing_ok=True)


ERROR_UNEXPECTED = gettext_noop(
    "Ett oväntat fel inträffade; inget sparades. Försök igen eller kontakta förvaltningen."
)


def import_job_fail(*, job_id: str) -> None:
    """Mark a job whose step crashed as failed, so its page stops waiting (a job whose values
    were stored is STORED already and stays so)."""
    from .report import ImportReport, Problem

    report = ImportReport()
    report.add_problem(Problem(_(ERROR_UNEXPECTED)))
    running = (ImportJob.State.VALIDATING, ImportJob.State.STORING)
    ImportJob.objects.filter(pk=job_id, state__in=running).update(
        state=ImportJob.State.FAILED, result=report.as_dict()
    )


def import_job_start_store(*, job: ImportJob) -> bool:
    """Move a previewed job to STORING; False if it is no longer waiting (stored, cancelled,
    expired, or confirmed twice at once)."""
    moved = ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.READY).update(
        state=ImportJob.State.STORING, progressed_at=timezone.now()
    )
    if moved:
        _forget_progress(job.pk)  # the check's count and heartbeat are not the store's
    job.refresh_from_db(fields=["state", "progressed_at"])
    return bool(moved)


def import_job_cancel(*, user: Any, job: ImportJob) -> bool:
    """Avbryt: delete the waiting upload and mark the job cancelled (its uploader or a
    strategist). False if there was nothing to cancel (already stored, cancelled or expired)."""
    if not user.has_perm("followup.delete_importjob", job):
        raise PermissionDenied
    cancelled = ImportJob.objects.filter(pk=job.pk, state__in=CANCELLABLE).update(
        state=ImportJob.State.CANCELLED
    )
    if cancelled:
        job_path(job).unlink(missing_ok=True)
        _forget_progress(job.pk)
    job.refresh_from_db(fields=["state"])
    return bool(cancelled)


RUNNING = (ImportJob.State.VALIDATING, ImportJob.State.STORING)


def import_jobs_interrupt_stalled(*, now: datetime | None = None, job_id: Any = None) -> int:
    """Mark checks and stores that made no progress for GONV_IMPORT_STALLED_MINUTES as
    INTERRUPTED (their task or request was lost), so their page stops waiting and says to
    upload again; their files are deleted. The number of jobs marked.

    Nothing was stored by such a job: a store writes its values and STORED in one
    transaction, and a store still running when marked finds its job no longer STORING at the
    end and rolls its values back (`_store`); a redelivered task finds nothing to do. Asked by
    the job's page (`job_id`) and by the hourly cleanup (every job).
    """
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.GONV_IMPORT_STALLED_MINUTES)
    candidates = ImportJob.objects.filter(state__in=RUNNING, created_at__lt=cutoff).filter(
        Q(progressed_at__isnull=True) | Q(progressed_at__lt=cutoff)
    )
    if job_id is not None:
        candidates = candidates.filter(pk=job_id)
    interrupted = 0
    for job in candidates.only("pk", "state", "progressed_at", "created_at"):
        last = last_progress(job)
        if last is not None and last >= cutoff:
            continue  # the pass reported progress lately: still running
        if ImportJob.objects.filter(pk=job.pk, state=job.state).update(
            state=ImportJob.State.INTERRUPTED
        ):
            interrupted += 1
            job_path(job).unlink(missing_ok=True)
            _forget_progress(job.pk)
    return interrupted


@dataclass(frozen=True)
class ExpiryResult:
    """What one cleanup did."""

    jobs_expired: int
    files_removed: int
    # Checks and stores that made no progress (import_jobs_interrupt_stalled).
    jobs_interrupted: int = 0


def import_uploads_expire(*, now: datetime | None = None) -> ExpiryResult:
    """Delete uploads that have waited longer than GONV_IMPORT_MAX_AGE_HOURS and mark their
    jobs EXPIRED, so the job's page says the file must be uploaded again (and, first, mark
    stalled checks and stores INTERRUPTED: import_jobs_interrupt_stalled).

    Idempotent, and safe beside the pages: every change of state is conditional, so a job
    confirmed at the same moment is either stored or expired, never both. A store in progress
    keeps its file. Files in GONV_IMPORT_DIR named like an upload but without a waiting job
    (left by a crash, or by a deleted user's jobs) are removed once as old.
    """
    now = now or timezone.now()
    jobs_interrupted = import_jobs_interrupt_stalled(now=now)
    cutoff = now - timedelta(hours=settings.GONV_IMPORT_MAX_AGE_HOURS)
    jobs_expired = files_removed = 0
    # A refused check's file is gone already (import_job_validate) and its page lists the
    # problems: it is not marked as an upload that waited too long.
    stale = ImportJob.objects.filter(state__in=WAITING, created_at__lt=cutoff).exclude(
        state=ImportJob.State.READY, preview__problem_count__gt=0
    )
    for job in stale.only("pk"):
        if stale.filter(pk=job.pk).update(state=ImportJob.State.EXPIRED):
            jobs_expired += 1
            _forget_progress(job.pk)
            path = job_path(job)
            if path.exists():
                path.unlink(missing_ok=True)
                files_removed += 1
    directory = Path(settings.GONV_IMPORT_DIR)
    if directory.is_dir():
        for path in directory.glob(f"*{_SUFFIX}"):
            if _orphan(path, cutoff):
                path.unlink(missing_ok=True)
                files_removed += 1
    return ExpiryResult(
        jobs_expired=jobs_expired, files_removed=files_removed, jobs_interrupted=jobs_interrupted
    )


def _orphan(path: Path, cutoff: datetime) -> bool:
    """An old upload file that no job waits for or is storing."""
    try:
        modified = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
        job_id = uuid.UUID(path.name.removesuffix(_SUFFIX))
    except (OSError, ValueError):
        return False  # gone meanwhile, or not a name we gave
    if modified >= cutoff:
        return False
    live = (*WAITING, ImportJob.State.STORING)
    return not ImportJob.objects.filter(pk=job_id, state__in=live).exists()
