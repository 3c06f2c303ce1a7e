"""The job's states when something fails: a job ends STORED with its values or FAILED (or
READY to try again) with a message, never left on "Värdena sparas…"; a recompute that fails
after the values are committed is logged, not shown as an error page.

Real commits (transaction=True): the recompute runs in-process after the commit, as in the
embedded mode, inside the request.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings

from followup import services as followup_services
from followup.imports import jobs
from followup.imports import tasks as import_tasks
from followup.models import ImportBatch, ImportJob, Observation, RecomputeRequest
from tests.followup.imports.test_views import client_for, upload
from tests.followup.imports.world import CorpusWorld

pytestmark = pytest.mark.django_db(transaction=True)

ONE = "enhet;mått;period;värde\nHC1A;antal;2025-11;45\n"


@pytest.fixture
def recompute_locked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every recompute fails as SQLite does when another request holds the database."""

    def locked(**kwargs: Any) -> None:
        raise OperationalError("database is locked")

    monkeypatch.setattr(followup_services, "quarter_compute", locked)


def test_an_import_stored_before_its_recompute_failed_shows_its_batch_not_an_error(
    corpus_world: CorpusWorld, recompute_locked: None, caplog: pytest.LogCaptureFixture
) -> None:
    client = client_for("strateg")
    response = upload(client, ONE)
    job = ImportJob.objects.get()

    response = client.post(reverse("import_confirm", args=[job.pk]))

    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("import_batch", args=[batch.pk])
    job.refresh_from_db()
    assert (job.state, job.batch_id) == (ImportJob.State.STORED, batch.pk)
    page = client.get(response["Location"]).content.decode()
    assert "Importen är klar: 1 nytt värde." in page
    assert "Ångra import" in page
    job_page = client.get(reverse("import_job", args=[job.pk])).content.decode()
    assert "Värdena sparas…" not in job_page
    assert "Visa importen" in job_page
    # The recompute waits for the next change or the nightly run, and the log says why.
    assert RecomputeRequest.objects.filter(quarter="2025Q4").exists()
    assert "failed after the change was committed" in caplog.text


def test_an_undo_whose_recompute_failed_is_done_and_says_so(
    corpus_world: CorpusWorld, recompute_locked: None
) -> None:
    client = client_for("strateg")
    upload(client, ONE)
    client.post(reverse("import_confirm", args=[ImportJob.objects.get().pk]))
    batch = ImportBatch.objects.get()

    response = client.post(reverse("import_batch_undo", args=[batch.pk]), follow=True)

    assert response.status_code == 200
    assert "Importen är ångrad: 1 värde togs bort." in response.content.decode()
    assert not Observation.objects.exists()


def test_a_store_that_breaks_off_stores_nothing_and_can_be_imported_again(
    corpus_world: CorpusWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As if the request died after writing the values but before the commit."""
    store = jobs.import_store

    def store_then_die(**kwargs: Any) -> Any:
        store(**kwargs)
        raise RuntimeError("the request died")

    client = client_for("strateg")
    upload(client, ONE)
    job = ImportJob.objects.get()
    monkeypatch.setattr(jobs, "import_store", store_then_die)

    response = client.post(reverse("import_confirm", args=[job.pk]), follow=True)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Ett oväntat fel inträffade när värdena skulle sparas; inget sparades." in page
    assert "Värdena sparas…" not in page
    assert ">Importera</button>" in page  # the preview again, to try once more
    assert ImportJob.objects.get().state == ImportJob.State.READY
    assert not Observation.objects.exists()
    assert not ImportBatch.objects.exists()

    monkeypatch.setattr(jobs, "import_store", store)
    client.post(reverse("import_confirm", args=[job.pk]))

    assert ImportJob.objects.get().state == ImportJob.State.STORED
    assert Observation.objects.get().value == 45


def test_a_background_store_that_fails_ends_failed_with_a_message(
    corpus_world: CorpusWorld, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.GONV_IMPORT_BACKGROUND_ROWS = 1
    client = client_for("strateg")
    response = upload(client, ONE)
    job = ImportJob.objects.get()
    assert (job.background, job.state) == (True, ImportJob.State.READY)

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("the worker failed")

    monkeypatch.setattr(jobs, "import_store", broken)
    client.post(reverse("import_confirm", args=[job.pk]))

    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED
    page = client.get(response["Location"]).content.decode()
    assert "Ett oväntat fel inträffade; inget sparades." in page
    assert "Värdena sparas…" not in page
    assert not Observation.objects.exists()


def test_a_background_store_redelivered_after_it_finished_changes_nothing(
    corpus_world: CorpusWorld, settings: Settings
) -> None:
    settings.GONV_IMPORT_BACKGROUND_ROWS = 1
    client = client_for("strateg")
    upload(client, ONE)
    job = ImportJob.objects.get()
    client.post(reverse("import_confirm", args=[job.pk]))
    assert ImportJob.objects.get().state == ImportJob.State.STORED

    jobs.import_job_store(job_id=str(job.pk))  # the same task delivered again

    assert ImportJob.objects.get().state == ImportJob.State.STORED
    assert ImportBatch.objects.count() == 1


def test_a_check_that_fails_ends_failed_not_on_filen_kontrolleras(
    corpus_world: CorpusWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("unreadable")

    monkeypatch.setattr(jobs, "import_preview", broken)
    client = client_for("strateg")

    response = upload(client, ONE)

    assert response.status_code == 302
    assert ImportJob.objects.get().state == ImportJob.State.FAILED
    page = client.get(response["Location"]).content.decode()
    assert "Ett oväntat fel inträffade; inget sparades." in page
    assert "Filen kontrolleras…" not in page


# --- a lost background task: the job is interrupted after GONV_IMPORT_STALLED_MINUTES ---------


def _lose_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The broker takes the task and no worker ever runs it (a worker lost with its message)."""
    monkeypatch.setattr(import_tasks, "send", lambda signature: None)


def _minutes_pass(job: ImportJob, minutes: int) -> None:
    earlier = timezone.now() - datetime.timedelta(minutes=minutes)
    ImportJob.objects.filter(pk=job.pk).update(created_at=earlier, progressed_at=earlier)


@pytest.mark.parametrize("username", ["strateg", "vc1", "vec1a"])
def test_a_lost_background_store_is_shown_interrupted_and_the_file_can_be_imported_again(
    corpus_world: CorpusWorld,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    username: str,
) -> None:
    settings.GONV_IMPORT_BACKGROUND_ROWS = 1
    settings.GONV_IMPORT_STALLED_MINUTES = 30
    client = client_for(username)
    page_url = upload(client, ONE)["Location"]
    job = ImportJob.objects.get()
    _lose_tasks(monkeypatch)
    client.post(reverse("import_confirm", args=[job.pk]))

    _minutes_pass(job, 29)
    waiting = client.get(page_url, HTTP_HX_REQUEST="true")
    _minutes_pass(job, 31)
    polled = client.get(page_url, HTTP_HX_REQUEST="true")
    page = client.get(page_url).content.decode()

    assert "Värdena sparas…" in waiting.content.decode()
    assert waiting.status_code == 200  # still polling
    assert polled.status_code == 286  # polling stops
    assert "Värdena sparas…" not in page
    assert (
        "Importen avbröts: den kom inte vidare på 30 minuter, troligen för att arbetet i "
        "bakgrunden avbröts. Inget sparades. Ladda upp filen igen för att importera den."
    ) in page
    assert "Ladda upp filen igen" in page
    assert ImportJob.objects.get().state == ImportJob.State.INTERRUPTED
    assert not jobs.job_path(job).exists()
    assert not Observation.objects.exists()
    assert not ImportBatch.objects.exists()

    # A new upload of the same file is checked and imported as any other.
    monkeypatch.undo()
    settings.GONV_IMPORT_BACKGROUND_ROWS = 5000
    upload(client, ONE)
    again = ImportJob.objects.exclude(pk=job.pk).get()
    client.post(reverse("import_confirm", args=[again.pk]))
    assert ImportJob.objects.get(pk=again.pk).state == ImportJob.State.STORED
    assert Observation.objects.get().value == 45


def test_a_store_that_still_reports_progress_is_not_interrupted(
    corpus_world: CorpusWorld, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.GONV_IMPORT_BACKGROUND_ROWS = 1
    client = client_for("strateg")
    page_url = upload(client, ONE)["Location"]
    job = ImportJob.objects.get()
    _lose_tasks(monkeypatch)
    client.post(reverse("import_confirm", args=[job.pk]))
    _minutes_pass(job, 45)
    jobs._progress_setter(job)(1)  # the running pass read a row just now

    page = client.get(page_url).content.decode()

    assert "Värdena sparas…" in page
    assert ImportJob.objects.get().state == ImportJob.State.STORING


def test_a_store_finishing_after_it_was_interrupted_stores_nothing(
    corpus_world: CorpusWorld, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A task that was only very slow, not lost: its values roll back with its job."""
    settings.GONV_IMPORT_BACKGROUND_ROWS = 1
    client = client_for("strateg")
    upload(client, ONE)
    job = ImportJob.objects.get()
    _lose_tasks(monkeypatch)
    client.post(reverse("import_confirm", args=[job.pk]))
    path = jobs.job_path(job).read_bytes()
    _minutes_pass(job, 31)
    assert jobs.import_uploads_expire().jobs_interrupted == 1  # the hourly cleanup
    jobs.job_path(job).write_bytes(path)  # as if the slow task still had its file open

    jobs.import_job_store(job_id=str(job.pk))  # the task, delivered late

    assert ImportJob.objects.get().state == ImportJob.State.INTERRUPTED
    assert not Observation.objects.exists()
    assert not ImportBatch.objects.exists()


def test_a_lost_background_check_is_interrupted_too(
    corpus_world: CorpusWorld, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.GONV_IMPORT_BACKGROUND_ROWS = 1
    _lose_tasks(monkeypatch)
    client = client_for("vc1")
    page_url = upload(client, ONE)["Location"]
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.VALIDATING
    _minutes_pass(job, 31)

    page = client.get(page_url).content.decode()

    assert "Filen kontrolleras…" not in page
    assert "Importen avbröts" in page
    assert ImportJob.objects.get().state == ImportJob.State.INTERRUPTED


def test_a_failing_recompute_in_the_embedded_mode_is_tried_once_not_retried_in_the_request(
    corpus_world: CorpusWorld, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    tries: list[str] = []

    def locked(**kwargs: Any) -> None:
        tries.append(kwargs["quarter"].code)
        raise OperationalError("database is locked")

    monkeypatch.setattr(followup_services, "quarter_compute", locked)
    client = client_for("strateg")
    upload(client, ONE)

    response = client.post(reverse("import_confirm", args=[ImportJob.objects.get().pk]))

    assert response.status_code == 302
    # Once, in the request: the retries with backoff are a worker's, never the user's wait.
    assert tries == ["2025Q4"]
    assert RecomputeRequest.objects.filter(quarter="2025Q4").exists()
    assert "failed after the change was committed" in caplog.text
