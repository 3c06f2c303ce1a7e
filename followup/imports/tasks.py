"""Celery tasks of the browser's import of large files: thin wrappers around jobs.py.

Imported by FollowupConfig.ready so the worker registers them (autodiscovery finds only
followup.tasks).
"""

from __future__ import annotations

from celery import shared_task

from base.tasks import send_or_run

from . import jobs
from .jobs import import_job_fail, import_job_store, import_job_validate

# The import's views send its tasks through this name (tests replace it with a stopped worker).
send = send_or_run


# A file is checked or stored once: a redelivery after a lost worker would only repeat the
# same check, or (storing) find every value unchanged.
@shared_task(acks_late=True, reject_on_worker_lost=True)
def import_validate(job_id: str) -> None:
    """Check an uploaded file of measure values and keep its preview on the job."""
    try:
        import_job_validate(job_id=job_id)
    except Exception:
        import_job_fail(job_id=job_id)
        raise


@shared_task(acks_late=True, reject_on_worker_lost=True)
def import_store(job_id: str) -> None:
    """Store an uploaded file of measure values, all or nothing."""
    try:
        import_job_store(job_id=job_id)
    except Exception:
        import_job_fail(job_id=job_id)
        raise


@shared_task
def import_uploads_expire() -> dict[str, int]:
    """Delete uploads that waited too long for "Importera" and mark stalled checks and stores
    interrupted (hourly, by beat; idempotent)."""
    result = jobs.import_uploads_expire()
    return {
        "jobs_expired": result.jobs_expired,
        "files_removed": result.files_removed,
        "jobs_interrupted": result.jobs_interrupted,
    }
