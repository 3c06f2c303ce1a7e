"""The browser's import as a job: the uploaded file waits on disk between preview and store.

Small files are checked and stored in the request; from GONV_IMPORT_BACKGROUND_ROWS rows on
a Celery task does it (followup.tasks.import_validate / import_store) and the page polls the
progress, which the pass reports to the cache as it goes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from ..models import ImportJob
from . import parsing
from .parsing import FileRefused
from .services import ImportRefused, import_preview, import_store

_PROGRESS_KEY = "followup:import-progress:{job}"
_PROGRESS_TIMEOUT = 24 * 60 * 60


def job_path(job: ImportJob) -> Path:
    """Where the job's file waits (named by the job's id, never by the user's file name)."""
    return Path(settings.GONV_IMPORT_DIR) / f"{job.pk}.upload"


def progress_of(job: ImportJob) -> int:
    """Rows the running pass has read so far."""
    return int(cache.get(_PROGRESS_KEY.format(job=job.pk), 0))


def _progress_setter(job: ImportJob) -> Any:
    key = _PROGRESS_KEY.format(job=job.pk)
    return lambda rows: cache.set(key, rows, timeout=_PROGRESS_TIMEOUT)


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
    job.save()
    return job


def import_job_validate(*, job_id: str) -> None:
    """Check the job's file and keep the preview on the job (state READY)."""
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    report = import_preview(
        user=job.user, path=job_path(job), file_name=job.file_name, source=job.source,
        sheet=job.sheet or None, progress=_progress_setter(job),
    )  # fmt: skip
    job.preview = report.as_dict()
    job.state = ImportJob.State.READY
    job.save(update_fields=["preview", "state"])


def import_job_store(*, job_id: str) -> None:
    """Store the job's file (all or nothing) and keep the outcome on the job."""
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    cache.delete(_PROGRESS_KEY.format(job=job.pk))
    try:
        report = import_store(
            user=job.user, path=job_path(job), file_name=job.file_name, source=job.source,
            sheet=job.sheet or None, progress=_progress_setter(job),
        )  # fmt: skip
    except ImportRefused as refused:
        job.result = refused.report.as_dict()
        job.state = ImportJob.State.FAILED
    else:
        job.result = report.as_dict()
        job.batch_id = report.batch_id
        job.state = ImportJob.State.STORED
        job_path(job).unlink(missing_ok=True)
    job.save(update_fields=["result", "state", "batch"])


ERROR_UNEXPECTED = (
    "Ett oväntat fel inträffade; inget sparades. Försök igen eller kontakta förvaltningen."
)


def import_job_fail(*, job_id: str) -> None:
    """Mark a job whose step crashed as failed, so its page stops waiting."""
    from .services import ImportReport, Problem

    report = ImportReport()
    report.add_problem(Problem(_(ERROR_UNEXPECTED)))
    ImportJob.objects.filter(pk=job_id).update(
        state=ImportJob.State.FAILED, result=report.as_dict()
    )
