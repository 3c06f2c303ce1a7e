"""Uploads waiting between preview and "Importera": cancelled by the user ("Avbryt"), or
deleted by the hourly cleanup once older than GONV_IMPORT_MAX_AGE_HOURS (beat task and
`manage.py expire_import_uploads`), with the job's page saying so in Swedish."""

from __future__ import annotations

import io
import os
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings

from followup.imports import jobs, tasks
from followup.imports.jobs import ExpiryResult, import_uploads_expire, job_path
from followup.models import ImportBatch, ImportJob, Observation
from gonv.celery import app
from tests.followup.imports.test_views import BAD, GOOD, client_for, upload
from tests.followup.imports.world import CorpusWorld

VC_FILE = "enhet;mått;period;värde\nHC1A;antal;2025-11;45\n"


def age(job: ImportJob, hours: float) -> None:
    """Make the job (and its file) `hours` old."""
    then = timezone.now() - timedelta(hours=hours)
    ImportJob.objects.filter(pk=job.pk).update(created_at=then)
    path = job_path(job)
    if path.exists():
        os.utime(path, (then.timestamp(), then.timestamp()))


def preview_page(client: Any, job: ImportJob) -> str:
    return str(client.get(reverse("import_job", args=[job.pk])).content.decode())


# --- Avbryt -----------------------------------------------------------------------------------


def test_avbryt_on_the_preview_deletes_the_upload_and_stores_nothing(
    corpus_world: CorpusWorld,
) -> None:
    client = client_for("strateg")
    upload(client, GOOD, name="export.csv")
    job = ImportJob.objects.get()
    page = preview_page(client, job)
    assert f'formaction="{reverse("import_cancel", args=[job.pk])}"' in page
    assert ">Avbryt</button>" in page

    response = client.post(reverse("import_cancel", args=[job.pk]), follow=True)

    assert response.redirect_chain[-1][0] == reverse("import_upload")
    assert "Importen avbröts och den uppladdade filen ”export.csv” togs bort." in (
        response.content.decode()
    )
    job.refresh_from_db()
    assert job.state == ImportJob.State.CANCELLED
    assert not job_path(job).exists()
    # The cancelled job can no longer be imported, and its page says why.
    client.post(reverse("import_confirm", args=[job.pk]))
    assert not Observation.objects.exists()
    assert not ImportBatch.objects.exists()
    page = preview_page(client, job)
    assert "Importen avbröts" in page
    assert "Den uppladdade filen togs bort och inget sparades." in page
    assert ">Importera</button>" not in page


def test_a_file_with_problems_can_be_cancelled_too(corpus_world: CorpusWorld) -> None:
    client = client_for("strateg")
    upload(client, BAD)
    job = ImportJob.objects.get()
    assert ">Avbryt</button>" in preview_page(client, job)

    client.post(reverse("import_cancel", args=[job.pk]))

    assert not job_path(job).exists()
    assert ImportJob.objects.get().state == ImportJob.State.CANCELLED


def test_cancelling_twice_or_after_the_import_says_it_could_not(
    corpus_world: CorpusWorld,
) -> None:
    client = client_for("strateg")
    upload(client, GOOD)
    job = ImportJob.objects.get()
    client.post(reverse("import_confirm", args=[job.pk]))

    response = client.post(reverse("import_cancel", args=[job.pk]), follow=True)

    assert "Importen kunde inte avbrytas: den är redan importerad" in response.content.decode()
    assert ImportJob.objects.get().state == ImportJob.State.STORED
    assert Observation.objects.count() == 2


def test_another_importer_cannot_cancel_an_upload_but_a_strategist_can(
    corpus_world: CorpusWorld,
) -> None:
    vc = client_for("vc1")
    upload(vc, VC_FILE)
    job = ImportJob.objects.get()
    vec = client_for("vec1a")

    assert vec.post(reverse("import_cancel", args=[job.pk])).status_code == 404
    assert job_path(job).exists()
    assert ImportJob.objects.get().state == ImportJob.State.READY

    strateg = client_for("strateg")
    assert strateg.post(reverse("import_cancel", args=[job.pk])).status_code == 302
    assert not job_path(job).exists()
    assert ImportJob.objects.get().state == ImportJob.State.CANCELLED
    # The uploader sees what happened to their upload.
    assert "Importen avbröts" in preview_page(vc, job)


def test_cancel_is_post_only(corpus_world: CorpusWorld) -> None:
    client = client_for("strateg")
    upload(client, GOOD)
    job = ImportJob.objects.get()
    assert client.get(reverse("import_cancel", args=[job.pk])).status_code == 405
    assert job_path(job).exists()


# --- Expiry -----------------------------------------------------------------------------------


def test_an_upload_older_than_the_limit_expires_and_its_page_says_upload_again(
    corpus_world: CorpusWorld,
) -> None:
    client = client_for("strateg")
    upload(client, GOOD)
    job = ImportJob.objects.get()
    age(job, 25)

    assert import_uploads_expire() == ExpiryResult(jobs_expired=1, files_removed=1)

    job.refresh_from_db()
    assert job.state == ImportJob.State.EXPIRED
    assert not job_path(job).exists()
    page = preview_page(client, job)
    assert "Uppladdningen har gått ut" in page
    assert "Filen väntade mer än 24 timmar på att importeras och har tagits bort." in page
    assert "Ladda upp filen igen" in page
    assert ">Importera</button>" not in page
    # "Importera" pressed on a page opened before the expiry stores nothing.
    response = client.post(reverse("import_confirm", args=[job.pk]), follow=True)
    assert "Uppladdningen har gått ut" in response.content.decode()
    assert not Observation.objects.exists()
    assert ImportJob.objects.get().state == ImportJob.State.EXPIRED
    # Again: nothing more to do.
    assert import_uploads_expire() == ExpiryResult(jobs_expired=0, files_removed=0)


def test_younger_uploads_stored_jobs_and_stores_in_progress_are_left_alone(
    corpus_world: CorpusWorld, settings: Settings
) -> None:
    settings.GONV_IMPORT_MAX_AGE_HOURS = 2
    client = client_for("strateg")
    upload(client, GOOD)
    young = ImportJob.objects.get()
    age(young, 1)
    upload(client, GOOD)
    stored = ImportJob.objects.exclude(pk=young.pk).get()
    client.post(reverse("import_confirm", args=[stored.pk]))
    age(stored, 3)
    upload(client, GOOD)
    storing = ImportJob.objects.exclude(pk__in=[young.pk, stored.pk]).get()
    ImportJob.objects.filter(pk=storing.pk).update(state=ImportJob.State.STORING)
    age(storing, 3)

    assert import_uploads_expire() == ExpiryResult(jobs_expired=0, files_removed=0)

    states = dict(ImportJob.objects.values_list("pk", "state"))
    assert states == {
        young.pk: ImportJob.State.READY,
        stored.pk: ImportJob.State.STORED,
        storing.pk: ImportJob.State.STORING,
    }
    assert job_path(young).exists()
    assert job_path(storing).exists()

    age(young, 2.5)  # now past the limit
    assert import_uploads_expire() == ExpiryResult(jobs_expired=1, files_removed=1)
    assert ImportJob.objects.get(pk=young.pk).state == ImportJob.State.EXPIRED


def test_a_refused_upload_has_no_file_to_wait_and_does_not_expire(
    corpus_world: CorpusWorld,
) -> None:
    client = client_for("strateg")
    upload(client, BAD)
    job = ImportJob.objects.get()
    assert not job_path(job).exists()  # deleted when its check failed
    age(job, 25)

    assert import_uploads_expire() == ExpiryResult(jobs_expired=0, files_removed=0)

    # Its page still lists the problems, not "Uppladdningen har gått ut".
    page = preview_page(client, job)
    assert ImportJob.objects.get().state == ImportJob.State.READY
    assert "Filen har 1 problem och kan inte importeras" in page
    assert "Uppladdningen har gått ut" not in page


def test_old_upload_files_without_a_waiting_job_are_removed_and_nothing_else(
    corpus_world: CorpusWorld, settings: Settings
) -> None:
    directory = Path(settings.GONV_IMPORT_DIR)
    old = (timezone.now() - timedelta(hours=48)).timestamp()
    orphan = directory / f"{uuid.uuid4()}.upload"
    young_orphan = directory / f"{uuid.uuid4()}.upload"
    other = directory / "läs-mig.txt"
    odd = directory / "inte-ett-jobb.upload"
    for path in (orphan, young_orphan, other, odd):
        path.write_bytes(b"enhet;m\xe5tt\n")
    for path in (orphan, other, odd):
        os.utime(path, (old, old))

    assert import_uploads_expire() == ExpiryResult(jobs_expired=0, files_removed=1)

    assert not orphan.exists()
    assert young_orphan.exists()
    assert other.exists()  # not a file the import wrote
    assert odd.exists()


def test_a_background_check_that_arrives_after_the_expiry_leaves_the_job_expired(
    corpus_world: CorpusWorld, settings: Settings, monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:  # fmt: skip
    settings.GONV_IMPORT_BACKGROUND_ROWS = 2
    sent: list[Any] = []
    monkeypatch.setattr(tasks, "send", sent.append)  # the worker is down
    client = client_for("strateg")
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, GOOD)
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.VALIDATING
    age(job, 30)
    assert import_uploads_expire().jobs_expired == 1

    sent.pop().apply()  # the worker is back

    assert ImportJob.objects.get().state == ImportJob.State.EXPIRED
    assert "Uppladdningen har gått ut" in preview_page(client, job)


def test_the_cleanup_is_a_task_that_beat_runs_every_hour(corpus_world: CorpusWorld) -> None:
    from django.conf import settings as django_settings

    entries = [
        entry
        for entry in django_settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "followup.imports.tasks.import_uploads_expire"
    ]
    assert len(entries) == 1
    assert entries[0]["task"] in app.tasks  # the worker knows it under that name
    assert entries[0]["schedule"].hour == set(range(24))

    client = client_for("strateg")
    upload(client, GOOD)
    age(ImportJob.objects.get(), 25)
    result = tasks.import_uploads_expire.apply().get()
    assert result == {"jobs_expired": 1, "files_removed": 1, "jobs_interrupted": 0}
    assert tasks.import_uploads_expire.apply().get() == {
        "jobs_expired": 0,
        "files_removed": 0,
        "jobs_interrupted": 0,
    }


def test_the_command_runs_the_cleanup_by_hand(
    corpus_world: CorpusWorld, settings: Settings
) -> None:
    settings.GONV_IMPORT_MAX_AGE_HOURS = 6
    upload(client_for("strateg"), GOOD)
    job = ImportJob.objects.get()
    age(job, 7)
    out = io.StringIO()

    call_command("expire_import_uploads", stdout=out)

    assert out.getvalue().strip() == (
        "1 uppladdningar äldre än 6 timmar markerades som utgångna; 1 filer togs bort."
    )
    assert ImportJob.objects.get().state == ImportJob.State.EXPIRED
    assert not job_path(job).exists()
    assert jobs.import_uploads_expire().jobs_expired == 0
