"""A large file's progress page as htmx polls it: each poll swaps the count and the bar alone
(the page's link stays, and in focus), the share of rows done is said only when it reaches a
new quarter, and the outcome replaces the whole state once the job is done."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from followup.imports import jobs, tasks
from followup.imports.views import _progress_step
from followup.models import ImportJob
from tests.followup.imports.test_views import GOOD, client_for, upload
from tests.followup.imports.world import CorpusWorld

pytestmark = pytest.mark.django_db

ANNOUNCE_OOB = '<p id="job-announce" hx-swap-oob="innerHTML">'


@pytest.fixture
def running(
    corpus_world: CorpusWorld,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> tuple[Client, ImportJob, list[Any]]:
    """A file being checked in the background by a worker that has not started yet."""
    settings.GONV_IMPORT_BACKGROUND_ROWS = 2
    sent: list[Any] = []
    monkeypatch.setattr(tasks, "send", sent.append)
    client = client_for("strateg")
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, GOOD)
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.VALIDATING
    return client, job, sent


def poll(client: Client, job: ImportJob, said: int | None) -> Any:
    query = "" if said is None else f"?sagt={said}"
    return client.get(f"/importera/{job.pk}/{query}", headers={"HX-Request": "true"})


def test_the_page_polls_the_count_and_bar_alone_and_keeps_its_link_and_live_region_outside(
    running: tuple[Client, ImportJob, list[Any]],
) -> None:
    client, job, _sent = running
    page = client.get(f"/importera/{job.pk}/").content.decode()
    polled = poll(client, job, 0)
    body = polled.content.decode()

    # The page: the polled element, then the live region and the link outside it.
    assert 'aria-live="polite"' not in page
    polled_at = page.index('id="job-progress"')
    assert f'hx-get="/importera/{job.pk}/?sagt=0"' in page
    assert page.index('<p id="job-announce" class="visually-hidden" role="status"></p>') > polled_at
    assert page.index("Uppdatera sidan") > page.index("</progress>")
    # The poll: the count and the bar, nothing to say at 0 %, no link, no live region.
    assert polled.status_code == 200
    assert body.lstrip().startswith('<div id="job-progress"')
    assert '<progress max="3" value="0" aria-labelledby="progress-label">' in body
    assert '<span id="progress-label">Filen kontrolleras…</span>' in body
    assert "0 av ungefär 3 rader." in body
    assert "Uppdatera sidan" not in body
    assert "job-announce" not in body
    assert 'role="status"' not in body


def test_the_share_done_is_said_once_per_quarter_of_the_rows(
    running: tuple[Client, ImportJob, list[Any]],
) -> None:
    client, job, _sent = running
    jobs._progress_setter(job)(2)  # 2 of about 3 rows

    reached = poll(client, job, 0).content.decode()
    again = poll(client, job, 50).content.decode()
    unnamed = poll(client, job, None).content.decode()  # a page that names no step

    assert f"{ANNOUNCE_OOB}Filen kontrolleras: ungefär 50 % klart.</p>" in reached
    assert f'hx-get="/importera/{job.pk}/?sagt=50"' in reached  # the next poll names it
    assert "job-announce" not in again
    assert "2 av ungefär 3 rader." in again  # the count itself still follows every poll
    assert "job-announce" not in unnamed


@pytest.mark.parametrize(
    ("done", "total", "step"),
    [(0, 5000, 0), (1249, 5000, 0), (1250, 5000, 25), (3749, 5000, 50), (4999, 5000, 75),
     (5000, 5000, 75), (7000, 7000, 75)],
)  # fmt: skip
def test_the_steps_said_are_quarters_and_the_end_is_left_to_the_outcome(
    done: int, total: int, step: int
) -> None:
    assert _progress_step(done, total) == step


def test_once_checked_the_poll_replaces_the_whole_state_and_stops(
    running: tuple[Client, ImportJob, list[Any]],
) -> None:
    client, job, sent = running
    sent.pop().apply()  # the worker checks the file

    done = poll(client, job, 0)
    body = done.content.decode()

    assert done.status_code == 286  # htmx stops polling
    assert done["HX-Retarget"] == "#job-state"
    assert done["HX-Reswap"] == "outerHTML"
    # The new state's tab title first (htmx sets the document's title from it), then the state.
    assert body.lstrip().startswith("<title>Förhandsgranska import:")
    assert '<div id="job-state">' in body
    assert '<h2 id="preview-title" tabindex="-1" autofocus' in body
    assert "<progress" not in body
    assert "Uppdatera sidan" not in body


@pytest.mark.parametrize(
    ("state", "heading"),
    [("expired", "Uppladdningen har gått ut"), ("interrupted", "Importen avbröts"),
     ("cancelled", "Importen avbröts")],
)  # fmt: skip
def test_an_outcome_that_ends_the_polling_takes_the_focus_and_is_described(
    running: tuple[Client, ImportJob, list[Any]], state: str, heading: str
) -> None:
    """The focused link goes with the progress: the outcome's heading takes the focus, with
    what happened as its description, as the preview's and a stored import's do."""
    client, job, _sent = running
    ImportJob.objects.filter(pk=job.pk).update(state=state)

    body = poll(client, job, 0).content.decode()

    assert (
        f'<h2 id="{state}-title" tabindex="-1" autofocus aria-describedby="{state}-text">'
        f"{heading}</h2>"
    ) in body
    assert f'<p id="{state}-text">' in body
