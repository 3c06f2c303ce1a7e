"""The import pages: upload → preview → Importera, large files in the background with a
polled progress bar, the batch page with its undo, the templates, and who may use them."""

from __future__ import annotations

import html
import importlib
import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import dateformat, timezone
from openpyxl import load_workbook
from pytest_django.fixtures import Settings

from followup.imports.jobs import job_path
from followup.imports.services import import_sources_for
from followup.models import ImportBatch, ImportJob, Measure, Observation, QuarterReport
from followup.services import observation_record
from tests.factories import TEST_PASSWORD, ObservationFactory
from tests.followup.imports.world import CorpusWorld

GOOD = "enhet;mått;period;värde;Extra\nHC1A;antal;2025-11;45;x\nHC1B;antal;dec 2025;7;y\n"
BAD = "enhet;mått;period;värde\nHC1A;antal;2025-11;45\nHC1B;antal;2025-11;sju\n"


def client_for(username: str) -> Client:
    """A client logged in through the login form (django-axes checks every login)."""
    client = Client()
    client.post(reverse("login"), {"username": username, "password": TEST_PASSWORD})
    assert "_auth_user_id" in client.session, username
    return client


def _page_source(client: Client) -> str:
    """The source the upload page posts when a test names none: a system's export for those it
    offers the systems to (the strategist), else its hidden Manuell inrapportering."""
    user = get_user_model().objects.get(pk=client.session["_auth_user_id"])
    return "cyklop" if "cyklop" in import_sources_for(user) else "manual"


def upload(client: Client, content: str | bytes, name: str = "export.csv", **data: str):
    raw = content.encode("cp1252") if isinstance(content, str) else content
    return client.post(
        reverse("import_upload"),
        {"file": SimpleUploadedFile(name, raw), "source": _page_source(client), **data},
    )


def test_upload_shows_a_preview_and_stores_nothing_until_importera(
    corpus_world: CorpusWorld,
) -> None:
    client = client_for("strateg")

    response = upload(client, GOOD)

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("import_job", args=[job.pk])
    assert job_path(job).is_file()
    page = client.get(response["Location"]).content.decode()
    assert "Förhandsgranskning" in page
    assert "Inget är sparat ännu" in page
    assert "Kolumner som inte läses: Extra" in page
    assert "Hälsocentral Norrby" in page
    assert ">Importera</button>" in page
    assert not Observation.objects.exists()

    response = client.post(reverse("import_confirm", args=[job.pk]))

    batch = ImportBatch.objects.get()
    assert response["Location"] == reverse("import_batch", args=[batch.pk])
    assert Observation.objects.get(unit__code="HC1A").value == Decimal(45)
    batch_page = client.get(response["Location"]).content.decode()
    assert "Importen är klar: 2 nya värden." in batch_page
    assert "Ångra import" in batch_page
    assert not job_path(ImportJob.objects.get()).exists()  # the waiting file is gone


def test_a_file_with_problems_lists_them_and_cannot_be_confirmed(
    corpus_world: CorpusWorld,
) -> None:
    client = client_for("strateg")
    response = upload(client, BAD)
    page = client.get(response["Location"]).content.decode()

    assert 'role="alert"' in page
    assert "Filen har 1 problem och kan inte importeras" in page
    assert "Rad 3, kolumn ”värde”: ”sju” är inte ett tal" in page
    assert ">Importera</button>" not in page

    job = ImportJob.objects.get()
    response = client.post(reverse("import_confirm", args=[job.pk]))
    assert response.status_code == 302
    assert not Observation.objects.exists()
    assert not ImportBatch.objects.exists()


def test_a_picture_named_csv_is_refused_whatever_its_name(corpus_world: CorpusWorld) -> None:
    client = client_for("strateg")
    response = upload(client, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", name="varden.csv")
    page = client.get(response["Location"]).content.decode()
    assert "varken en CSV-fil eller en Excel-fil" in page


def test_a_file_above_the_size_limit_is_refused_by_the_form(
    corpus_world: CorpusWorld, settings: Settings
) -> None:
    settings.GONV_IMPORT_MAX_BYTES = 50
    response = upload(client_for("strateg"), GOOD)
    assert response.status_code == 400
    assert "Filen är 78\u00a0byte; den får vara högst 50\u00a0byte." in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_large_file_runs_in_the_background_with_a_polled_progress_bar(
    corpus_world: CorpusWorld, settings: Settings, monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:  # fmt: skip
    settings.GONV_IMPORT_BACKGROUND_ROWS = 2
    sent: list[object] = []
    from followup.imports import tasks

    monkeypatch.setattr(tasks, "send", sent.append)  # the worker has not started yet
    client = client_for("strateg")

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, GOOD)
    job = ImportJob.objects.get()
    assert job.background is True
    page = client.get(response["Location"]).content.decode()
    assert "Filen kontrolleras…" in page
    assert 'hx-trigger="every 1s"' in page
    assert "<progress" in page
    assert _title(page) == "Filen kontrolleras: export.csv – GONV-uppföljning"
    polled = client.get(response["Location"], headers={"HX-Request": "true"})
    assert polled.status_code == 200
    assert "<progress" in polled.content.decode()
    # A running poll swaps only the count and the bar (the state, and so the title, stays);
    # the poll that ends it carries the new title, which htmx sets from its <title>.
    assert 'id="job-progress"' in polled.content.decode()
    assert "<title>" not in polled.content.decode()

    sent.pop().apply()  # the worker runs the check

    done = client.get(response["Location"], headers={"HX-Request": "true"})
    assert done.status_code == 286  # htmx stops polling
    assert "Förhandsgranskning" in done.content.decode()
    assert "<main" not in done.content.decode()
    assert (
        done.content.decode()
        .lstrip()
        .startswith("<title>Förhandsgranska import: export.csv – GONV-uppföljning</title>")
    )

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("import_confirm", args=[job.pk]))
    assert "Värdena sparas…" in client.get(response["Location"]).content.decode()
    sent.pop().apply()
    assert Observation.objects.count() == 2
    assert ImportJob.objects.get().state == ImportJob.State.STORED


def _title(page: str) -> str:
    """The page's <title>, as a browser tab shows it."""
    found = re.search(r"<title>(.*?)</title>", page, re.DOTALL)
    assert found is not None
    return html.unescape(" ".join(found.group(1).split()))


def test_the_tab_title_follows_the_jobs_state_as_its_heading_does(
    corpus_world: CorpusWorld,
) -> None:
    client = client_for("strateg")

    def job_page(content: str, name: str = "export.csv") -> tuple[ImportJob, str]:
        location = upload(client, content, name=name)["Location"]
        return ImportJob.objects.get(file_name=name), location

    job, preview_url = job_page(GOOD)
    preview = client.get(preview_url).content.decode()
    client.post(reverse("import_confirm", args=[job.pk]))
    stored = client.get(preview_url).content.decode()
    cancelled_job, cancelled_url = job_page(GOOD, "avbruten.csv")
    client.post(reverse("import_cancel", args=[cancelled_job.pk]))
    cancelled = client.get(cancelled_url).content.decode()
    expired_job, expired_url = job_page(GOOD, "gammal.csv")
    ImportJob.objects.filter(pk=expired_job.pk).update(state=ImportJob.State.EXPIRED)
    expired = client.get(expired_url).content.decode()
    refused = client.get(job_page(BAD, "fel.csv")[1]).content.decode()

    suffix = " – GONV-uppföljning"
    assert _title(preview) == "Förhandsgranska import: export.csv" + suffix
    assert _title(stored) == "Importen är klar: export.csv" + suffix
    assert ">Importen är klar</h2>" in stored
    assert _title(cancelled) == "Importen avbröts: avbruten.csv" + suffix
    assert ">Importen avbröts</h2>" in cancelled
    assert _title(expired) == "Uppladdningen har gått ut: gammal.csv" + suffix
    assert ">Uppladdningen har gått ut</h2>" in expired
    assert _title(refused) == "Filen kan inte importeras: fel.csv" + suffix
    assert "Filen har 1 problem och kan inte importeras</h2>" in refused
    for page in (stored, cancelled, expired, refused):
        assert "Förhandsgranska" not in _title(page)


def test_the_same_file_again_says_nothing_changed(corpus_world: CorpusWorld) -> None:
    client = client_for("strateg")
    for _ in range(2):
        response = upload(client, GOOD)
        preview = client.get(response["Location"]).content.decode()
        job = ImportJob.objects.order_by("-created_at").first()
        response = client.post(reverse("import_confirm", args=[job.pk]))

    # The second preview offers no Importera: the file changes nothing.
    assert "Filen ändrar inget: alla 2 värden finns redan." in preview
    assert ">Importera</button>" not in preview
    assert ">Avbryt</button>" in preview

    page = client.get(response["Location"]).content.decode()
    assert "Inget ändrades: alla 2 värden i filen fanns redan." in page
    assert ImportBatch.objects.count() == 1


def test_undo_from_the_batch_page_asks_first_saying_what_it_will_do(
    corpus_world: CorpusWorld,
) -> None:
    ObservationFactory(
        unit=corpus_world.tree.hc1b, measure=corpus_world.count, period_start=date(2025, 12, 1),
        value=5, source="cyklop",
    )  # fmt: skip
    client = client_for("strateg")
    upload(client, GOOD)
    client.post(reverse("import_confirm", args=[ImportJob.objects.get().pk]))
    batch = ImportBatch.objects.get()
    url = reverse("import_batch", args=[batch.pk])

    page = client.get(url).content.decode()

    # "Ångra import" only asks (a GET to the page itself), it writes nothing.
    assert f'<form method="get" action="{url}" class="undo-form">' in page
    assert '<input type="hidden" name="angra" value="1">' in page
    assert "Ångra importen?" not in page

    page = client.get(url, {"angra": "1"}).content.decode()

    assert "Ångra importen?</h2>" in page
    assert "<li>1 värde som importen lade till tas bort.</li>" in page
    assert "<li>1 värde som importen ändrade får tillbaka sitt tidigare värde.</li>" in page
    assert f'action="{reverse("import_batch_undo", args=[batch.pk])}"' in page
    assert ">Ångra importen</button>" in page
    assert f'<a class="button button-secondary" href="{url}">Avbryt</a>' in page
    assert ">Ångra import</button>" not in page
    assert Observation.objects.count() == 2  # nothing undone by asking

    response = client.post(reverse("import_batch_undo", args=[batch.pk]), follow=True)

    assert "Importen är ångrad: 1 värde togs bort och 1 återställdes." in response.content.decode()
    assert Observation.objects.get().value == 5
    # Undone: neither the button nor the confirmation, whatever the address asks.
    page = client.get(url, {"angra": "1"}).content.decode()
    assert "Ångra importen?" not in page
    assert ">Ångra import</button>" not in page


def test_undo_counts_in_the_plural(corpus_world: CorpusWorld) -> None:
    client = client_for("strateg")
    upload(client, GOOD)
    client.post(reverse("import_confirm", args=[ImportJob.objects.get().pk]))
    batch = ImportBatch.objects.get()

    page = client.get(reverse("import_batch", args=[batch.pk]), {"angra": ""}).content.decode()
    assert "<li>2 värden som importen lade till tas bort.</li>" in page
    assert "får tillbaka" not in page  # nothing changed: nothing to restore

    response = client.post(reverse("import_batch_undo", args=[batch.pk]), follow=True)

    assert "Importen är ångrad: 2 värden togs bort." in response.content.decode()
    assert not Observation.objects.exists()


def test_a_vc_sees_no_undo_button_for_a_batch_with_other_vos_units(
    corpus_world: CorpusWorld,
) -> None:
    strateg = client_for("strateg")
    upload(strateg, "enhet;mått;period;värde\nHC1A;antal;2025-11;4\nHC2A;antal;2025-11;5\n")
    strateg.post(reverse("import_confirm", args=[ImportJob.objects.get().pk]))
    batch = ImportBatch.objects.get()
    vc = client_for("vc1")

    page = vc.get(reverse("import_batch", args=[batch.pk])).content.decode()
    assert "Ångra import</button>" not in page
    page = vc.get(reverse("import_batch", args=[batch.pk]), {"angra": "1"}).content.decode()
    assert "Ångra importen" not in page  # no confirmation of an undo that would be refused
    response = vc.post(reverse("import_batch_undo", args=[batch.pk]), follow=True)
    assert "Du kan inte ångra importen" in response.content.decode()
    assert Observation.objects.count() == 2


def test_another_users_job_is_not_found(corpus_world: CorpusWorld) -> None:
    upload(client_for("strateg"), GOOD)
    job = ImportJob.objects.get()
    vc = client_for("vc1")
    assert vc.get(reverse("import_job", args=[job.pk])).status_code == 404
    assert vc.post(reverse("import_confirm", args=[job.pk])).status_code == 404


@pytest.mark.parametrize("username", ["portfoljagare", "styrgrupp", "utanroll"])
def test_readers_cannot_open_the_import_page(
    corpus_world: CorpusWorld, portfolio_owner: object, steering_member: object,
    no_role_user: object, username: str,
) -> None:  # fmt: skip
    client = client_for(username)
    assert client.get(reverse("import_upload")).status_code == 403
    assert upload(client, GOOD).status_code == 403
    assert client.get(reverse("import_template", args=["csv"])).status_code == 403
    assert not ImportJob.objects.exists()


def test_the_templates_list_the_vecs_unit_and_its_measures_for_the_latest_period(
    corpus_world: CorpusWorld,
) -> None:
    client = client_for("vec1a")

    csv_text = client.get(reverse("import_template", args=["csv"])).content.decode("utf-8")
    xlsx = client.get(reverse("import_template", args=["xlsx"]))

    lines = csv_text.lstrip("\ufeff").splitlines()
    assert lines[0] == (
        "enhet;enhetsnamn;mått;måttnamn;period;fyll i;värde;täljare;nämnare;kommentar"
    )
    assert {line.split(";")[0] for line in lines[1:]} == {"HC1A"}
    # Each row says what to fill in for its measure.
    assert sorted((line.split(";")[2], line.split(";")[5]) for line in lines[1:]) == [
        ("andel", "täljare och nämnare"),
        ("antal", "värde (heltal)"),
        ("index", "värde och nämnare"),
        ("medel", "värde och nämnare"),
    ]
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).worksheets[0]
    assert [row[0] for row in sheet.iter_rows(values_only=True)][1:] == ["HC1A"] * 4


def test_the_xlsx_template_fits_its_names_and_keeps_its_header_in_view(
    corpus_world: CorpusWorld,
) -> None:
    client = client_for("strateg")

    response = client.get(reverse("import_template", args=["xlsx"]))
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]

    # The header row stays in view while scrolling (Excel's Frys översta raden).
    assert sheet.freeze_panes == "A2"
    rows = [[str(cell.value or "") for cell in row] for row in sheet.iter_rows()]
    header = rows[0]
    widths = {
        name: sheet.column_dimensions[column.column_letter].width
        for name, column in zip(header, sheet[1], strict=True)
    }
    # Every name whole: each column at least as wide as its longest text (Excel's default
    # width, 13, cut "Hälsocentral Norrby" and "Antal frigjorda tider").
    for index, name in enumerate(header):
        longest = max(len(row[index]) for row in rows)
        assert widths[name] >= longest, name
    assert widths["enhetsnamn"] >= len("Hälsocentral Norrby") > 13
    assert widths["måttnamn"] >= len("Antal frigjorda tider") > 13
    assert widths["fyll i"] >= len("täljare och nämnare")
    # The columns to fill in are wide enough to type into, the comment for a sentence.
    assert widths["värde"] >= 12
    assert widths["kommentar"] >= 40
    assert max(widths.values()) <= 60


def _template(client: Client, kind: str, *, fill: bool) -> bytes:
    """The template as downloaded, its columns untouched; with `fill`, the count's row given a
    value (as a user fills it in, in Excel or a text editor)."""
    response = client.get(reverse("import_template", args=[kind]))
    assert response.status_code == 200
    if kind == "csv":
        text = response.content.decode("utf-8")
        if fill:
            text = "\r\n".join(
                line.replace("värde (heltal);;", "värde (heltal);3;") for line in text.split("\r\n")
            )
        return text.encode("utf-8")
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    if fill:
        for row in sheet.iter_rows(min_row=2):
            if row[header.index("mått")].value == "antal":
                row[header.index("värde")].value = 3
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_downloaded_template_imports_without_ignored_columns_or_problems(
    corpus_world: CorpusWorld, kind: str
) -> None:
    client = client_for("vec1a")

    upload(client, _template(client, kind, fill=True), name=f"matvarden-mall.{kind}")

    job = ImportJob.objects.get()
    assert job.preview["problems"] == []
    assert job.preview["created"] == 1
    assert job.preview["skipped"] == 3  # the rows left unfilled
    # The template's own helper columns (parsing.TEMPLATE_HELPERS) are not read, nor listed as
    # if the user had added them.
    assert job.preview["ignored_columns"] == []
    preview = client.get(reverse("import_job", args=[job.pk])).content.decode()
    assert "Förhandsgranskning" in preview
    assert "Kolumner som inte läses" not in preview
    assert "enhetsnamn" not in preview
    assert "fyll i" not in preview


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_template_sent_back_unfilled_says_only_that_nothing_is_filled_in(
    corpus_world: CorpusWorld, kind: str
) -> None:
    client = client_for("vec1a")

    upload(client, _template(client, kind, fill=False), name=f"matvarden-mall.{kind}")

    job = ImportJob.objects.get()
    # Not a problem of any row or column: the file as a whole has nothing to import.
    assert [problem["message"] for problem in job.preview["problems"]] == [
        "Filen har inga ifyllda värden: ingen av de 4 raderna har värde, täljare eller nämnare."
    ]
    assert job.preview["ignored_columns"] == []
    preview = client.get(reverse("import_job", args=[job.pk])).content.decode()
    assert "Kolumner som inte läses" not in preview
    assert "Rad " not in preview
    # Said once: not again as "4 tomma rader hoppades över" under the refusal.
    assert "hoppades över" not in preview


def test_the_recent_imports_say_whether_undone_beside_the_file(corpus_world: CorpusWorld) -> None:
    client = client_for("strateg")
    upload(client, GOOD)
    client.post(reverse("import_confirm", args=[ImportJob.objects.get().pk]))

    page = client.get(reverse("import_upload")).content.decode()

    # Läge next to Fil: on a tablet the columns at the right are behind the scroll.
    headings = re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', page)
    assert headings[:3] == ["Fil", "Läge", "Importerad"]
    assert re.search(r"export\.csv</a></td>\s*<td>Importerad</td>", page)
    # One heading a column (Läge once), as many as each row has cells.
    assert headings.count("Läge") == 1
    row = re.search(r"<tbody>\s*<tr>(.*?)</tr>", page, re.DOTALL)
    assert row is not None
    assert row.group(1).count("<td") == len(headings)


def test_the_navigation_links_the_import_page_for_those_who_report(
    corpus_world: CorpusWorld, portfolio_owner: object
) -> None:
    link = f'href="{reverse("import_upload")}"'
    assert link in client_for("vec1a").get(reverse("import_upload")).content.decode()
    assert link not in client_for("portfoljagare").get(reverse("home")).content.decode()


# --- values and counts as the pages write them -------------------------------------------------

MIXED = (
    "enhet;mått;period;värde;täljare;nämnare\n"
    "HC1A;andel;2025-11;;70;100\n"
    "HC1B;andel;2025-11;;12;60\n"
    "HC1A;antal;2025-11;1234;;\n"
    "HC1A;index;Kv 4 2025;71,5;;\n"
)


def test_the_preview_and_the_batch_write_values_by_their_measures_unit(
    corpus_world: CorpusWorld,
) -> None:
    ObservationFactory(
        unit=corpus_world.tree.hc1a, measure=corpus_world.share,
        period_start=date(2025, 11, 1), value=Decimal("69.2722"),
    )  # fmt: skip
    client = client_for("strateg")
    response = upload(client, MIXED)

    preview = client.get(response["Location"]).content.decode()

    # The value now and the new one in one cell (together on a tablet too), then the source.
    assert (
        '<td role="cell" class="num">69,3\u00a0% → 70,0\u00a0%</td>\n'
        '                          <td role="cell"><strong>Manuell inrapportering</strong></td>'
    ) in preview  # not "69,2722" → "70"; a share to one decimal, ",0" too
    assert (
        '<td role="cell" class="num">Nytt värde: 20,0\u00a0%</td>' in preview
    )  # 12 of 60, with its per cent sign; new, so no "– →" before it
    assert (
        '<td role="cell" class="num">Nytt värde: 1\u00a0234\u00a0st</td>' in preview
    )  # thousands apart, with the unit
    assert '<td role="cell" class="num">Nytt värde: 71,5</td>' in preview
    assert 'class="num">– →' not in preview
    assert "69,2722" not in preview

    response = client.post(reverse("import_confirm", args=[ImportJob.objects.get().pk]))
    batch = client.get(response["Location"]).content.decode()

    assert "Importen är klar: 3 nya och 1 ändrat värde." in batch
    for shown in ("70,0\u00a0%", "20,0\u00a0%", "1\u00a0234\u00a0st", ">71,5<"):
        assert shown in batch, shown
    assert "71,5000" not in batch
    assert ">1234<" not in batch


def test_a_change_too_small_for_the_usual_decimals_is_shown_with_more(
    corpus_world: CorpusWorld,
) -> None:
    ObservationFactory(
        unit=corpus_world.tree.hc1a, measure=corpus_world.share,
        period_start=date(2025, 11, 1), value=Decimal("69.2722"),
    )  # fmt: skip
    client = client_for("strateg")
    response = upload(
        client, "enhet;mått;period;värde;täljare;nämnare\nHC1A;andel;2025-11;69,27;6927;10000\n"
    )

    preview = client.get(response["Location"]).content.decode()

    # Not "69,3 %" → "69,3 %".
    assert '<td role="cell" class="num">69,272\u00a0% → 69,270\u00a0%</td>' in preview


def test_one_value_is_written_in_the_singular_on_every_import_page(
    corpus_world: CorpusWorld,
) -> None:
    client = client_for("strateg")
    one = "enhet;mått;period;värde\nHC1A;antal;2025-11;45\n"
    upload(client, one)
    response = client.post(reverse("import_confirm", args=[ImportJob.objects.get().pk]))
    assert "Importen är klar: 1 nytt värde." in client.get(response["Location"]).content.decode()

    upload(client, one)
    again = ImportJob.objects.order_by("-created_at").first()
    response = client.post(reverse("import_confirm", args=[again.pk]), follow=True)
    assert "Inget ändrades: värdet i filen fanns redan." in response.content.decode()

    batch = ImportBatch.objects.get()
    response = client.post(reverse("import_batch_undo", args=[batch.pk]), follow=True)
    assert "Importen är ångrad: 1 värde togs bort." in response.content.decode()


def test_the_job_page_after_the_store_counts_in_singular_and_plural(
    corpus_world: CorpusWorld, settings: Settings, monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:  # fmt: skip
    settings.GONV_IMPORT_BACKGROUND_ROWS = 1  # the page, not the message, tells the outcome
    client = client_for("strateg")
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, "enhet;mått;period;värde\nHC1A;antal;2025-11;45\n")
    job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("import_confirm", args=[job.pk]))

    page = client.get(response["Location"]).content.decode()

    assert "1 nytt värde sparades." in page


# --- values reported by hand ------------------------------------------------------------------

REPLACING = (
    "enhet;mått;period;värde\nHC1A;antal;2025-11;90\nHC1B;antal;2025-11;6\nHC2A;antal;2025-11;3\n"
)


@pytest.fixture(
    params=[{}, {"GONV_IMPORT_SQL_CHECKS": False}, {"GONV_IMPORT_COPY": False}],
    ids=["default", "python-checks", "orm"],
)
def write_path(request: pytest.FixtureRequest, settings: Settings) -> None:
    """Each test taking it runs on both checking paths, and with the ORM's compare instead of
    COPY's."""
    for name, value in request.param.items():
        setattr(settings, name, value)


def test_the_preview_names_each_current_values_source_and_warns_before_replacing_manual_ones(
    corpus_world: CorpusWorld, write_path: None
) -> None:
    november = date(2025, 11, 1)
    tree, count = corpus_world.tree, corpus_world.count
    Measure.objects.filter(pk=count.pk).update(source="cyklop")  # the file's own system
    ObservationFactory(unit=tree.hc1a, measure=count, period_start=november, value=80)
    ObservationFactory(
        unit=tree.hc1b, measure=count, period_start=november, value=5, source="cyklop"
    )
    client = client_for("strateg")

    preview = client.get(upload(client, REPLACING)["Location"]).content.decode()

    assert '<th scope="col" role="columnheader">Nuvarande källa</th>' in preview
    assert (
        '<td role="cell"><strong>Manuell inrapportering</strong></td>' in preview
    )  # HC1A: 80 → 90
    assert '<td role="cell">Cyklop</td>' in preview  # HC1B: 5 → 6
    assert '<td role="cell">–</td>' in preview  # HC2A: new
    warning = "Importen ersätter 1 värde som rapporterats för hand (källa Manuell inrapportering)."
    assert warning in preview
    # A warning, not a refusal: above the button, which still imports.
    assert preview.index(warning) < preview.index(">Importera</button>")
    assert 'aria-describedby="replace-warning">Importera</button>' in preview
    assert preview.count("<strong>Obs!</strong>") == 1

    response = client.post(reverse("import_confirm", args=[ImportJob.objects.get().pk]))
    batch = client.get(response["Location"]).content.decode()

    assert Observation.objects.get(unit=tree.hc1a, measure=count).value == 90
    assert "Importen ersatte 1 värde som rapporterats för hand" in batch
    # Beside the batch's facts, before its undo, not under the button.
    assert batch.index("Importen ersatte") < batch.index("Ångra import</button>")
    assert '<td role="cell" class="num">80\u00a0st → 90\u00a0st</td>' in batch
    assert '<td role="cell"><strong>Manuell inrapportering</strong></td>' in batch
    assert '<td role="cell" class="num">5\u00a0st → 6\u00a0st</td>' in batch
    assert '<td role="cell">Cyklop</td>' in batch


def test_no_warning_when_no_manual_value_is_replaced(corpus_world: CorpusWorld) -> None:
    ObservationFactory(
        unit=corpus_world.tree.hc1b, measure=corpus_world.count, period_start=date(2025, 11, 1),
        value=5, source="cyklop",
    )  # fmt: skip
    client = client_for("strateg")

    preview = client.get(upload(client, REPLACING)["Location"]).content.decode()
    response = client.post(reverse("import_confirm", args=[ImportJob.objects.get().pk]))
    batch = client.get(response["Location"]).content.decode()

    assert '<td role="cell">Cyklop</td>' in preview
    assert "rapporterats för hand" not in preview
    assert "rapporterats för hand" not in batch


def test_a_manual_import_warns_before_replacing_values_a_system_imported(
    corpus_world: CorpusWorld, write_path: None
) -> None:
    november = date(2025, 11, 1)
    tree, count = corpus_world.tree, corpus_world.count
    ObservationFactory(unit=tree.hc1a, measure=count, period_start=november, value=80)
    ObservationFactory(
        unit=tree.hc1b, measure=count, period_start=november, value=5, source="cosmic"
    )
    ObservationFactory(
        unit=tree.hc2a, measure=count, period_start=november, value=2, source="cyklop"
    )
    client = client_for("strateg")

    preview = client.get(upload(client, REPLACING, source="manual")["Location"]).content.decode()

    # The sources in their order of choice (Cyklop before Cosmic), and the value reported by
    # hand (HC1A) in the same warning.
    warning = (
        "Importen ersätter 3 värden: 1 som rapporterats för hand och 2 som importerats från "
        "Cyklop och Cosmic. Filens värden sparas som rapporterade för hand (källa Manuell "
        "inrapportering)."
    )
    assert warning in preview
    assert preview.count('class="message message-warning"') == 1
    assert preview.index(warning) < preview.index(">Importera</button>")
    assert 'aria-describedby="replace-warning">Importera</button>' in preview


def test_a_manual_import_over_values_reported_by_hand_and_by_a_system_warns_once(
    corpus_world: CorpusWorld, write_path: None
) -> None:
    november = date(2025, 11, 1)
    tree, count = corpus_world.tree, corpus_world.count
    ObservationFactory(unit=tree.hc1a, measure=count, period_start=november, value=80)
    ObservationFactory(
        unit=tree.hc1b, measure=count, period_start=november, value=5, source="cyklop"
    )
    client = client_for("vc1")
    own = "enhet;mått;period;värde\nHC1A;antal;2025-11;90\nHC1B;antal;2025-11;6\n"

    preview = client.get(upload(client, own)["Location"]).content.decode()

    # One warning naming both kinds, not one for each that said the same thing twice.
    assert preview.count('class="message message-warning"') == 1
    assert preview.count("Importen ersätter") == 1
    assert (
        "<strong>Obs!</strong> Importen ersätter 2 värden: 1 som rapporterats för hand och 1 som "
        "importerats från Cyklop. Filens värden sparas som rapporterade för hand (källa Manuell "
        "inrapportering). Kontrollera att de ska gälla i stället innan du importerar.</p>"
    ) in preview
    assert preview.index("Importen ersätter") < preview.index(">Importera</button>")
    assert 'aria-describedby="replace-warning">Importera</button>' in preview


def test_a_manual_import_over_values_reported_by_hand_only_warns_once(
    corpus_world: CorpusWorld,
) -> None:
    ObservationFactory(
        unit=corpus_world.tree.hc1a, measure=corpus_world.count, period_start=date(2025, 11, 1),
        value=80,
    )  # fmt: skip
    client = client_for("vc1")

    preview = client.get(
        upload(client, "enhet;mått;period;värde\nHC1A;antal;2025-11;90\n")["Location"]
    ).content.decode()

    assert preview.count('class="message message-warning"') == 1
    assert (
        "<strong>Obs!</strong> Importen ersätter 1 värde som rapporterats för hand (källa Manuell "
        "inrapportering)."
    ) in preview
    assert "importerats från" not in preview


def test_a_manual_import_replacing_one_system_value_says_so_in_the_singular(
    corpus_world: CorpusWorld,
) -> None:
    ObservationFactory(
        unit=corpus_world.tree.hc1b, measure=corpus_world.count, period_start=date(2025, 11, 1),
        value=5, source="cyklop",
    )  # fmt: skip
    client = client_for("strateg")

    manual = client.get(upload(client, REPLACING, source="manual")["Location"]).content.decode()
    system = client.get(upload(client, REPLACING)["Location"]).content.decode()

    assert "Importen ersätter 1 värde som importerats från Cyklop med ett värde som" in manual
    assert "importerats från" not in system  # a system's file replacing its own values


def _report_by_hand(world: CorpusWorld, user: str, unit: Any, value: int) -> None:
    """`user` reports the unit's November value in the reporting grid (history names them)."""
    observation_record(
        user=world.users[user], measure=world.count, unit=unit,
        period_start=date(2025, 11, 1), period_end=date(2025, 11, 30), value=Decimal(value),
    )  # fmt: skip


def test_a_vc_correcting_their_own_values_reported_by_hand_is_not_warned(
    corpus_world: CorpusWorld, write_path: None
) -> None:
    _report_by_hand(corpus_world, "vc1", corpus_world.tree.hc1a, 80)
    client = client_for("vc1")

    preview = client.get(
        upload(client, "enhet;mått;period;värde\nHC1A;antal;2025-11;90\n")["Location"]
    ).content.decode()

    # Their own earlier value is only a changed row, said to be theirs, in no warning.
    assert "rapporterats för hand" not in preview
    assert 'id="replace-warning"' not in preview
    assert "<strong>Obs!</strong>" not in preview
    assert '<td role="cell" class="num">80\u00a0st → 90\u00a0st</td>' in preview
    assert '<td role="cell">Manuell inrapportering av dig</td>' in preview
    assert "aria-describedby" not in preview.split(">Importera</button>")[0].rsplit("<button", 1)[1]

    response = client.post(reverse("import_confirm", args=[ImportJob.objects.get().pk]))
    batch = client.get(response["Location"]).content.decode()

    assert Observation.objects.get(unit=corpus_world.tree.hc1a).value == 90
    assert "rapporterats för hand" not in batch
    assert '<td role="cell">Manuell inrapportering</td>' in batch  # not marked


def test_a_colleagues_value_reported_by_hand_is_warned_of_naming_who_entered_it(
    corpus_world: CorpusWorld, write_path: None
) -> None:
    tree = corpus_world.tree
    _report_by_hand(corpus_world, "vec1a", tree.hc1a, 80)  # the unit's head, in the grid
    _report_by_hand(corpus_world, "vc1", tree.hc1b, 5)  # the VC's own
    colleague = corpus_world.users["vec1a"].get_full_name()
    client = client_for("vc1")
    own = "enhet;mått;period;värde\nHC1A;antal;2025-11;90\nHC1B;antal;2025-11;6\n"

    preview = client.get(upload(client, own)["Location"]).content.decode()

    # One value someone else entered, named with who; the VC's own is not counted.
    warning = (
        f"<strong>Obs!</strong> Importen ersätter 1 värde som rapporterats för hand av "
        f"{colleague} (källa Manuell inrapportering). Kontrollera att filens värde ska gälla i "
        "stället innan du importerar.</p>"
    )
    assert warning in html.unescape(preview)
    assert preview.count("<strong>Obs!</strong>") == 1
    assert (
        f'<td role="cell"><strong>Manuell inrapportering av {colleague}</strong></td>'
    ) in html.unescape(preview)
    assert '<td role="cell">Manuell inrapportering av dig</td>' in preview
    assert 'aria-describedby="replace-warning">Importera</button>' in preview

    response = client.post(reverse("import_confirm", args=[ImportJob.objects.get().pk]))
    batch = client.get(response["Location"]).content.decode()

    # Named as the preview names them (before, the batch page only counted them).
    assert (
        f"<strong>Obs!</strong> Importen ersatte 1 värde som rapporterats för hand av "
        f"{colleague} (källa Manuell inrapportering).</p>"
    ) in html.unescape(batch)
    # HC1A's, not HC1B's (the VC's own earlier value)
    assert (
        html.unescape(batch).count(f"<strong>Manuell inrapportering av {colleague}</strong>") == 1
    )
    assert batch.count("<strong>Manuell inrapportering") == 1


def test_an_undo_does_not_make_the_undoer_the_one_who_entered_the_value(
    corpus_world: CorpusWorld, write_path: None
) -> None:
    _report_by_hand(corpus_world, "vec1a", corpus_world.tree.hc1a, 80)
    colleague = corpus_world.users["vec1a"].get_full_name()
    client = client_for("strateg")
    upload(client, "enhet;mått;period;värde\nHC1A;antal;2025-11;90\n")
    response = client.post(reverse("import_confirm", args=[ImportJob.objects.get().pk]))
    batch = ImportBatch.objects.get()
    client.post(reverse("import_batch_undo", args=[batch.pk]))
    assert Observation.objects.get(unit=corpus_world.tree.hc1a).value == 80  # put back

    preview = client.get(
        upload(client, "enhet;mått;period;värde\nHC1A;antal;2025-11;91\n")["Location"]
    ).content.decode()

    # The strategist's undo put the head's value back: it is still theirs.
    warning = f"Importen ersätter 1 värde som rapporterats för hand av {colleague}"
    assert warning in html.unescape(preview)
    assert response.status_code == 302


# --- the batch page after its values changed --------------------------------------------------


def _last_change_time(unit: Any) -> str:
    """When the unit's November value last changed, as the pages write a time."""
    record = Observation.history.filter(unit=unit).order_by("-history_id").first()
    assert record is not None
    return dateformat.format(timezone.localtime(record.history_date), "j b Y H:i")


def _edit_by_hand(world: CorpusWorld, unit: Any, value: int) -> None:
    observation_record(
        user=world.users["strateg"], measure=world.count, unit=unit,
        period_start=date(2025, 11, 1), period_end=date(2025, 11, 30), value=Decimal(value),
    )  # fmt: skip


def test_the_batch_page_offers_no_undo_once_a_value_changed_and_marks_that_value(
    corpus_world: CorpusWorld,
) -> None:
    client = client_for("strateg")
    upload(client, "enhet;mått;period;värde\nHC1A;antal;2025-11;44\nHC2A;antal;2025-11;3\n")
    response = client.post(reverse("import_confirm", args=[ImportJob.objects.get().pk]))
    assert "Ångra import</button>" in client.get(response["Location"]).content.decode()
    _edit_by_hand(corpus_world, corpus_world.tree.hc1a, 46)

    page = client.get(response["Location"]).content.decode()

    # The explanation instead of a button the undo would refuse, naming who changed the value
    # and when; one value: no "till exempel".
    strateg = corpus_world.users["strateg"].get_full_name()
    when = _last_change_time(corpus_world.tree.hc1a)
    assert "Ångra import</button>" not in page
    hc1a, hc2a, count = corpus_world.tree.hc1a, corpus_world.tree.hc2a, corpus_world.count
    grid = f"/redigera/rapportera/{hc1a.pk}/?period=2025-11#m{count.pk}u{hc1a.pk}-row"
    assert (
        "Importen kan inte ångras: 1 av dess värden har ändrats efter importen: "
        f'<a href="{grid}">Hälsocentral Norrby, Antal frigjorda tider, nov 2025</a> '
        f"(ändrat av {strateg}, {when}). Ändra värdet för hand under Rapportera i stället."
    ) in html.unescape(page)
    assert "till exempel" not in page
    # Shown where the button would be, as the app's notices are (.message), a static note named
    # by the button's words, not an alert.
    notice = re.search(
        r'<p class="([^"]*)" id="undo-refusal" role="note" aria-label="([^"]*)">', page
    )
    assert notice is not None
    assert notice.groups() == ("message message-info undo-refusal", "Ångra import")
    assert page.index('id="undo-refusal"') < page.index("Importen kan inte ångras")
    assert 'role="alert"' not in page
    assert _title(page) == "Import: export.csv – GONV-uppföljning"  # as its h1
    assert client.get(grid.split("#")[0]).status_code == 200  # a grid the importer may write
    # The changed row says so, with today's value; the other is as the import wrote it.
    assert "<strong>Ja, i dag 46\u00a0st</strong>" in page
    assert page.count('<td role="cell">Nej</td>') == 1
    assert '<td role="cell" class="num">44\u00a0st</td>' in page

    _edit_by_hand(corpus_world, corpus_world.tree.hc2a, 4)
    page = client.get(response["Location"]).content.decode()

    # Each changed value named and linked to its cell, the first changed first.
    second = f"/redigera/rapportera/{hc2a.pk}/?period=2025-11#m{count.pk}u{hc2a.pk}-row"
    text = html.unescape(page)
    assert "2 av dess värden har ändrats efter importen: " in text
    assert text.index(f'<a href="{grid}">') < text.index(f'<a href="{second}">Hälsocentral')
    assert "Ändra värdena för hand under Rapportera i stället." in page
    assert '<td role="cell">Nej</td>' not in page


def test_the_template_returned_partly_filled_skips_its_empty_rows_and_says_how_many(
    corpus_world: CorpusWorld,
) -> None:
    client = client_for("vec1a")
    lines = client.get(reverse("import_template", args=["csv"])).content.decode().splitlines()
    filled = [lines[0]] + [
        line.replace(";;;;", ";3;;;") if ";antal;" in line else line for line in lines[1:]
    ]
    assert len(filled) == 5  # HC1A × andel, antal, index, medel

    response = upload(client, "\n".join(filled).encode("utf-8"))

    job = ImportJob.objects.get()
    assert (job.preview["problems"], job.preview["created"]) == ([], 1)
    assert job.preview["skipped"] == 3
    page = client.get(response["Location"]).content.decode()
    assert "3 tomma rader hoppades över" in page
    client.post(reverse("import_confirm", args=[job.pk]))
    assert Observation.objects.get().value == Decimal(3)


def test_an_index_given_only_its_value_keeps_its_respondents_and_the_preview_says_so(
    corpus_world: CorpusWorld,
) -> None:
    """The reviewer's case: Sandviken's value changed, Storvik's the same, only värde given."""
    tree, index = corpus_world.tree, corpus_world.index
    q4 = {"measure": index, "period_start": date(2025, 10, 1), "period_end": date(2025, 12, 31)}
    ObservationFactory(unit=tree.hc1a, value=Decimal("69.0"), denominator=18, **q4)
    ObservationFactory(unit=tree.hc1b, value=Decimal("71.1"), denominator=33, **q4)
    ObservationFactory(unit=tree.hc2a, value=Decimal("65"), denominator=40, **q4)
    client = client_for("strateg")

    response = upload(
        client,
        "enhet;mått;period;värde;nämnare\n"
        "HC1A;index;Kv 4 2025;72,4;\n"
        "HC1B;index;Kv 4 2025;71,1;\n"
        "HC2A;index;Kv 4 2025;65;30\n",
    )

    job = ImportJob.objects.get()
    assert (job.preview["changed"], job.preview["unchanged"]) == (2, 1)  # Storvik: unchanged
    page = client.get(response["Location"]).content.decode()
    assert "2 rader anger viktade värden (t.ex. index) utan nämnare" in page
    assert "nämnaren 18 behålls" in page
    assert "nämnare 40 → 30" in page  # "65 → 65" explains itself
    client.post(reverse("import_confirm", args=[job.pk]))
    stored = {
        o.unit.code: (o.value, o.denominator) for o in Observation.objects.select_related("unit")
    }
    assert stored == {
        "HC1A": (Decimal("72.4"), 18),
        "HC1B": (Decimal("71.1"), 33),
        "HC2A": (Decimal(65), 30),
    }


def test_the_upload_page_explains_weights_and_empty_rows_and_recommends_the_xlsx_template(
    corpus_world: CorpusWorld,
) -> None:
    page = client_for("strateg").get(reverse("import_upload")).content.decode()
    assert "vägs med sin nämnare, t.ex. antalet svarande" in page
    assert "Rader i mallen som du lämnar tomma" in page
    assert "Använder du Excel: ta Excel-mallen." in page


def test_the_source_is_chosen_by_the_user_never_preselected(corpus_world: CorpusWorld) -> None:
    client = client_for("strateg")  # who may name a system (a VC's values are their own)
    page = client.get(reverse("import_upload")).content.decode()
    assert page.count('type="radio" name="source"') == 5
    assert "checked" not in page  # not Cyklop, not anything: a guess would mislabel the values
    assert "<legend>Källa</legend>" in page

    response = client.post(
        reverse("import_upload"), {"file": SimpleUploadedFile("egen.csv", GOOD.encode())}
    )

    assert response.status_code == 400
    text = response.content.decode()
    assert "Välj varifrån värdena kommer." in text
    assert 'href="#id_source_0"' in text  # the error summary leads to the first radio
    assert not ImportJob.objects.exists()
    # Not the file's fault; but the browser has lost it, so the page asks for it again.
    assert "Filen kunde inte tas emot" not in text
    assert "Något saknas innan filen kan kontrolleras" in text
    assert '<p class="field-error" id="file-again">Välj filen igen.' in text
    assert 'aria-describedby="file-format file-again"' in text


# --- a system as the source is the strategist's ------------------------------------------------

SYSTEM_ONLY = "Bara strategen och administratörer anger ett system ("
OWN_REPORT = (
    "Värdena sparas som din egen rapportering. Exporter ur Cyklop, Cosmic och andra system "
    "importeras av strategen."
)


@pytest.mark.parametrize("username", ["vc1", "vec1a"])
def test_a_vc_is_offered_no_system_and_imports_as_their_own_report(
    corpus_world: CorpusWorld, username: str
) -> None:
    client = client_for(username)
    page = client.get(reverse("import_upload")).content.decode()

    assert 'type="radio" name="source"' not in page
    assert '<input type="hidden" name="source" value="manual"' in page
    assert OWN_REPORT in page
    # The source is named once ("Källa: Manuell inrapportering"), not again in its hint.
    assert "<strong>Källa:</strong> Manuell inrapportering" in page
    assert page.count("Manuell inrapportering") == 1
    # No system's export is offered where none can be imported.
    assert "Läs in värden från ett eget kalkylark eller en ifylld mall." in page
    assert "en export ur Cyklop" not in page
    # A browser posts the hidden "manual"; nothing at all is Manuell inrapportering too.
    upload(client, GOOD, name="med.csv")
    client.post(reverse("import_upload"), {"file": SimpleUploadedFile("utan.csv", GOOD.encode())})
    assert dict(ImportJob.objects.values_list("file_name", "source")) == {
        "med.csv": "manual",
        "utan.csv": "manual",
    }


@pytest.mark.parametrize("username", ["vc1", "vec1a"])
@pytest.mark.parametrize("source", ["cyklop", "cosmic", "mvg", "vis", "demo"])
def test_a_vc_posting_a_system_as_the_source_is_refused_and_nothing_is_kept(
    corpus_world: CorpusWorld, username: str, source: str
) -> None:
    client = client_for(username)

    response = upload(client, GOOD, source=source)

    assert response.status_code == 400
    text = html.unescape(response.content.decode())
    assert "Något saknas innan filen kan kontrolleras" in text
    assert 'href="#id_source_fixed"' in text  # the summary leads to the Källa shown
    if source != "demo":  # not a choice for anyone: Django's "Välj ett giltigt alternativ"
        assert (
            "Källa: Bara strategen och administratörer anger ett system (Cyklop, Cosmic, Min vård "
            "Gävleborg, Vården i siffror) som källa. Dina värden importeras som Manuell "
            "inrapportering; inget har sparats."
        ) in text
    assert not ImportJob.objects.exists()
    assert not ImportBatch.objects.exists()
    assert not Observation.objects.exists()


@pytest.mark.parametrize("source", ["cyklop", "vis"])
def test_the_strategist_imports_a_systems_export(corpus_world: CorpusWorld, source: str) -> None:
    client = client_for("strateg")

    upload(client, GOOD, source=source)
    client.post(reverse("import_confirm", args=[ImportJob.objects.get().pk]))

    assert ImportBatch.objects.get().source == source
    assert set(Observation.objects.values_list("source", flat=True)) == {source}


def test_a_refused_form_without_a_file_does_not_ask_to_choose_it_again(
    corpus_world: CorpusWorld,
) -> None:
    response = client_for("vec1a").post(reverse("import_upload"), {"source": "manual"})

    text = response.content.decode()
    assert "Filen kunde inte tas emot" in text
    assert "Välj en fil att importera." in text
    assert "Välj filen igen." not in text


def test_the_chosen_source_is_the_batchs(corpus_world: CorpusWorld) -> None:
    client = client_for("vec1a")
    content = "enhet;mått;period;värde\nHC1A;antal;2025-11;4\n".encode("cp1252")
    response = client.post(
        reverse("import_upload"),
        {"file": SimpleUploadedFile("egen.csv", content), "source": "manual"},
    )
    job = ImportJob.objects.get()
    assert job.source == ImportBatch.Source.MANUAL
    client.post(reverse("import_confirm", args=[job.pk]))
    assert ImportBatch.objects.get().source == ImportBatch.Source.MANUAL
    assert response.status_code == 302


def test_a_file_that_cannot_be_read_is_said_so_without_rows_or_counts(
    corpus_world: CorpusWorld,
) -> None:
    client = client_for("strateg")
    response = upload(client, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", name="varden.csv")
    page = client.get(response["Location"]).content.decode()

    assert "Filen kan inte importeras" in page
    assert "Filen kunde inte läsas. Rätta filen och försök igen." in page
    assert "varken en CSV-fil eller en Excel-fil" in page  # the reason stays listed
    for row_words in ("Filen har 1 problem", "Rätta raderna nedan", "Rader i filen", "Nya värden"):
        assert row_words not in page


def test_a_file_without_filled_in_values_is_refused_as_a_whole_without_counts(
    corpus_world: CorpusWorld,
) -> None:
    client = client_for("strateg")
    response = upload(client, "enhet;mått;period;värde\nHC1A;antal;2025-11;\n")
    page = client.get(response["Location"]).content.decode()

    assert "Filen kan inte importeras" in page
    assert "Filen har inga ifyllda värden" in page
    assert "Filen kunde inte läsas" not in page  # it was read: it has nothing to import
    assert "Rader i filen" not in page
    assert "Rätta raderna nedan" not in page


def test_a_file_with_row_problems_shows_no_counts_or_changes_as_if_they_would_be_saved(
    corpus_world: CorpusWorld,
) -> None:
    client = client_for("strateg")
    page = client.get(upload(client, BAD)["Location"]).content.decode()
    assert "Filen har 1 problem och kan inte importeras" in page
    assert "Rätta raderna nedan i filen" in page
    # Its good row (HC1A, 45) would be new: neither counted nor listed beside the refusal.
    for saved_words in ("Rader i filen", "Nya värden", "Ändrade värden", "Nya och ändrade värden"):
        assert saved_words not in page
    assert "Hälsocentral Norrby" not in page


def test_the_preview_warns_when_a_measures_own_source_is_not_the_chosen_one(
    corpus_world: CorpusWorld, write_path: None
) -> None:
    corpus_world.count.source = "cosmic"
    corpus_world.count.save()
    client = client_for("strateg")

    preview = client.get(upload(client, GOOD)["Location"]).content.decode()  # as Cyklop

    warning = "Du har valt källan Cyklop, men ”Antal frigjorda tider” (Cosmic) har en annan källa."
    assert warning in preview
    # A warning, not a refusal.
    assert 'aria-describedby="source-warning">Importera</button>' in preview


def test_the_preview_says_no_source_warning_when_the_sources_match(
    corpus_world: CorpusWorld,
) -> None:
    corpus_world.count.source = "cyklop"
    corpus_world.count.save()
    client = client_for("strateg")

    preview = client.get(upload(client, GOOD)["Location"]).content.decode()

    assert "har en annan källa" not in preview
    assert ">Importera</button>" in preview


def test_the_preview_notes_values_of_a_quarter_whose_report_is_approved(
    corpus_world: CorpusWorld, write_path: None
) -> None:
    QuarterReport.objects.create(
        organisation=corpus_world.tree.region, quarter="2025Q4", status="godkand"
    )
    client = client_for("strateg")

    preview = client.get(upload(client, GOOD)["Location"]).content.decode()

    assert (
        "2 värden gäller Kv 4 2025, vars kvartalsrapport är godkänd. Rapporten ändras inte"
        in preview
    )
    assert ">Importera</button>" in preview  # a note, not a refusal


JUMP_FILE = (
    "enhet;mått;period;värde;kommentar\nHC1A;antal;2025-11;40;\nHC1B;antal;2025-11;40;Ny läkare\n"
)


@pytest.mark.parametrize("copy", [True, False], ids=["copy", "orm"])
def test_the_preview_warns_of_a_jump_without_a_comment_and_still_imports_it(
    corpus_world: CorpusWorld, settings: Settings, copy: bool
) -> None:
    # The grid refuses 22 → 40 without a comment (GONV_REPORT_JUMP_PCT); a one-row file must
    # not pass it unseen: the preview lists it above Importera, on both write paths.
    settings.GONV_IMPORT_COPY = copy
    for unit in (corpus_world.tree.hc1a, corpus_world.tree.hc1b):
        ObservationFactory(
            unit=unit, measure=corpus_world.count, value=22,
            period_start=date(2025, 10, 1), period_end=date(2025, 10, 31),
        )  # fmt: skip
    client = client_for("strateg")

    page = client.get(upload(client, JUMP_FILE)["Location"]).content.decode()

    assert 'id="jump-warning"' in page
    assert "1 värde skiljer sig mer än 50 % från föregående period och har ingen kommentar." in page
    assert (
        "<li>Rad 2 (Hälsocentral Norrby, Antal frigjorda tider, nov 2025): +82\u00a0% mot okt "
        "2025 (22\u00a0st → 40\u00a0st)</li>"
    ) in page
    assert "Rad 3 (" not in page  # the row with a comment is fine
    assert 'aria-describedby="jump-warning' in page  # Importera is described by it
    job = ImportJob.objects.get()
    response = client.post(reverse("import_confirm", args=[job.pk]))
    assert response.status_code == 302
    assert Observation.objects.get(unit__code="HC1A", period_start="2025-11-01").value == 40


def test_the_preview_says_the_jump_rule_once_and_each_jump_in_short(
    corpus_world: CorpusWorld,
) -> None:
    tree, count = corpus_world.tree, corpus_world.count
    for unit, value in ((tree.hc1a, 12), (tree.hc1b, 40), (tree.hc2a, 0), (tree.hc2b, 500)):
        ObservationFactory(
            unit=unit, measure=count, value=value,
            period_start=date(2025, 10, 1), period_end=date(2025, 10, 31),
        )  # fmt: skip
    file = (
        "enhet;mått;period;värde\nHC1A;antal;2025-11;20\nHC1B;antal;2025-11;10\n"
        "HC2A;antal;2025-11;3\nHC2B;antal;2025-11;752\n"
    )
    client = client_for("strateg")

    page = client.get(upload(client, file)["Location"]).content.decode()
    warning = page[page.index('id="jump-warning"') : page.index("</ul>", page.index("jump-list"))]

    # The rule in the summary, once; each row says only where, how much and against what.
    assert warning.count("skiljer sig mer än 50 %") == 1
    assert "4 värden skiljer sig mer än 50 % från föregående period" in warning
    assert "Värdet skiljer sig" not in page
    assert "utan kommentar." not in page
    items = re.findall(r"<li>(.*?)</li>", warning)
    assert items == [
        "Rad 2 (Hälsocentral Norrby, Antal frigjorda tider, nov 2025): +67\u00a0% mot okt 2025 "
        "(12\u00a0st → 20\u00a0st)",
        "Rad 3 (Hälsocentral Nordvik, Antal frigjorda tider, nov 2025): \u221275\u00a0% mot okt "
        "2025 (40\u00a0st → 10\u00a0st)",
        "Rad 4 (Hälsocentral Söderby, Antal frigjorda tider, nov 2025): från 0\u00a0st i okt 2025 "
        "till 3\u00a0st",
        # Whole per cent would read as within the limit ("+50 %"): one decimal.
        "Rad 5 (Hälsocentral Södervik, Antal frigjorda tider, nov 2025): +50,4\u00a0% mot okt "
        "2025 (500\u00a0st → 752\u00a0st)",
    ]


def test_the_preview_has_no_jump_warning_within_the_limit(
    corpus_world: CorpusWorld, settings: Settings
) -> None:
    settings.GONV_REPORT_JUMP_PCT = 100
    ObservationFactory(
        unit=corpus_world.tree.hc1a, measure=corpus_world.count, value=22,
        period_start=date(2025, 10, 1), period_end=date(2025, 10, 31),
    )  # fmt: skip
    client = client_for("strateg")

    page = client.get(upload(client, JUMP_FILE)["Location"]).content.decode()

    assert "Förhandsgranskning" in page
    assert "jump-warning" not in page


# --- the review of the import journeys ----------------------------------------------------------


def test_a_template_reported_by_hand_gets_no_source_warning_but_a_wrong_system_does(
    corpus_world: CorpusWorld, write_path: None
) -> None:
    corpus_world.count.source = "cosmic"
    corpus_world.count.save()
    client = client_for("strateg")

    # As the upload page's help says: Manuell inrapportering for a filled-in template.
    manual = client.get(upload(client, GOOD, source="manual")["Location"]).content.decode()
    cyklop = client.get(upload(client, GOOD, source="cyklop")["Location"]).content.decode()

    assert "har en annan källa" not in manual
    assert ">Importera</button>" in manual
    assert "Du har valt källan Cyklop, men ”Antal frigjorda tider” (Cosmic)" in cyklop


def test_a_missing_column_is_no_unreadable_file_and_names_the_files_columns(
    corpus_world: CorpusWorld,
) -> None:
    client = client_for("strateg")
    content = "Enhet;Mått;År/mån;Värde\nHC1A;antal;2025-11;45\n"

    page = html.unescape(client.get(upload(client, content)["Location"]).content.decode())

    assert "Filen kan inte importeras" in page
    assert "Inget har sparats." in page
    assert "Filen kunde inte läsas" not in page  # it was read: its header is the problem
    assert (
        "Kolumnen ”period” saknas (godtagbara namn: period, månad, kvartal). "
        "Filen har kolumnerna: Enhet, Mått, År/mån, Värde."
    ) in page


def test_a_column_given_twice_says_what_to_do_in_a_workbook_too(
    corpus_world: CorpusWorld, tmp_path: Path
) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["HSA-id", "Enhet", "Mått", "Period", "Värde"])
    sheet.append(["SE0000000000-E001", "Hälsocentral Norrby", "antal", "2025-11", 45])
    path = tmp_path / "export.xlsx"
    workbook.save(path)
    client = client_for("strateg")

    page = html.unescape(
        client.get(
            upload(client, path.read_bytes(), name="export.xlsx")["Location"]
        ).content.decode()
    )

    assert "Filen kunde inte läsas" not in page
    assert (
        "Kolumnen ”enhet” finns två gånger i rubrikraden (HSA-id och Enhet). Byt namn på den "
        "ena (t.ex. Enhetsnamn: kolumner med namn som importen inte känner igen hoppas över) "
        "eller ta bort den."
    ) in page


def test_a_refused_upload_is_deleted_at_once_and_its_page_still_lists_the_problems(
    corpus_world: CorpusWorld,
) -> None:
    client = client_for("strateg")
    upload(client, BAD)
    job = ImportJob.objects.get()

    assert not job_path(job).exists()  # nothing can be imported from it
    assert job.state == ImportJob.State.READY
    page = client.get(reverse("import_job", args=[job.pk])).content.decode()
    assert "Rad 3, kolumn ”värde”: ”sju” är inte ett tal" in page
    client.post(reverse("import_confirm", args=[job.pk]))
    assert not ImportBatch.objects.exists()


def test_undo_refused_after_a_later_import_names_and_links_it(corpus_world: CorpusWorld) -> None:
    strateg = client_for("strateg")
    upload(strateg, "enhet;mått;period;värde\nHC1A;antal;2025-11;44\n", name="forsta.csv")
    first = strateg.post(reverse("import_confirm", args=[ImportJob.objects.get().pk]))
    vc = client_for("vc1")
    upload(vc, "enhet;mått;period;värde\nHC1A;antal;2025-11;47\n", name="andra.csv")
    vc.post(reverse("import_confirm", args=[ImportJob.objects.get(user__username="vc1").pk]))
    later = ImportBatch.objects.get(file_name="andra.csv")
    vc_name = later.imported_by.get_full_name()  # type: ignore[union-attr]
    when = _last_change_time(corpus_world.tree.hc1a)

    page = html.unescape(strateg.get(first["Location"]).content.decode())

    url = reverse("import_batch", args=[later.pk])
    link = f'<a href="{url}">import #{later.pk} ”andra.csv”</a>'
    assert (
        "Importen kan inte ångras: 1 av dess värden har ändrats efter importen "
        f"(Hälsocentral Norrby, Antal frigjorda tider, nov 2025) av {link} ({vc_name}, {when}). "
        "Ångra den först."
    ) in page
    # The undo itself says the same.
    response = strateg.post(reverse("import_batch_undo", args=[first["Location"].split("/")[-2]]))
    page = html.unescape(strateg.get(response["Location"]).content.decode())
    assert f"av {link} ({vc_name}, {when}). Ångra den först." in page


def test_a_row_outside_the_users_scope_says_where_the_unit_belongs_and_what_to_do(
    corpus_world: CorpusWorld, write_path: None
) -> None:
    client = client_for("vc1")

    page = client.get(
        upload(client, "enhet;mått;period;värde\nHC1A;antal;2025-11;4\nHC2A;antal;2025-11;5\n")[
            "Location"
        ]
    ).content.decode()

    assert (
        "Rad 3, kolumn ”enhet”: Du får inte rapportera värden för enheten ”Hälsocentral "
        "Söderby”. Den hör till VO Söder; ta bort raden eller be strategen importera den."
    ) in html.unescape(page)


def test_the_list_of_imports_names_the_source_and_the_units_without_a_query_a_row(
    corpus_world: CorpusWorld, django_assert_max_num_queries: Any
) -> None:
    client = client_for("strateg")
    files = {
        "en.csv": "enhet;mått;period;värde\nHC1A;antal;2025-11;4\n",
        "vo.csv": "enhet;mått;period;värde\nHC1A;antal;2025-10;4\nHC1B;antal;2025-10;5\n",
        "alla.csv": "enhet;mått;period;värde\nHC1A;antal;2025-09;4\nHC2A;antal;2025-09;5\n",
    }
    for name, content in files.items():
        upload(client, content, name=name, source="manual")
        client.post(reverse("import_confirm", args=[ImportJob.objects.get(file_name=name).pk]))

    page = client.get(reverse("import_upload")).content.decode()

    assert '<th scope="col">Källa</th>' in page
    assert '<th scope="col">Enheter</th>' in page
    assert page.count("<td>Manuell inrapportering</td>") == 3
    assert "<td>Hälsocentral Norrby</td>" in page  # one unit: its name
    assert "<td>VO Norr (2 enheter)</td>" in page  # one VO: its name
    assert "<td>2 enheter</td>" in page  # two VOs
    # As many queries for 3 batches as for 6.
    connection.queries_log.clear()  # a full log (it keeps 9,000) would count nothing
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("import_upload"))
    three = len(captured)  # now: the context reads the connection's log when asked
    assert three > 0
    for name, content in files.items():
        upload(client, content.replace("2025-", "2024-"), name=f"x-{name}", source="manual")
        client.post(
            reverse("import_confirm", args=[ImportJob.objects.get(file_name=f"x-{name}").pk])
        )
    client.get(reverse("import_upload"))  # shows (and clears) the last import's message
    connection.queries_log.clear()
    with django_assert_max_num_queries(three) as listed:
        page = client.get(reverse("import_upload")).content.decode()
    assert page.count("<td>Manuell inrapportering</td>") == 6
    # The units are the batch's own facts: the history (no index on the reason) is not read.
    history_table = Observation.history.model._meta.db_table
    assert not [q for q in listed.captured_queries if history_table in q["sql"]]


def test_an_undone_import_still_lists_its_units(corpus_world: CorpusWorld) -> None:
    client = client_for("strateg")
    upload(client, GOOD, source="manual")
    client.post(reverse("import_confirm", args=[ImportJob.objects.get().pk]))
    batch = ImportBatch.objects.get()

    client.post(reverse("import_batch_undo", args=[batch.pk]))

    assert not Observation.objects.exists()
    page = client.get(reverse("import_upload")).content.decode()
    assert "<td>VO Norr (2 enheter)</td>" in page


def test_imports_stored_before_their_units_were_recorded_list_them_after_the_migration(
    corpus_world: CorpusWorld,
) -> None:
    client = client_for("strateg")
    files = {
        "en.csv": "enhet;mått;period;värde\nHC1A;antal;2025-11;4\n",
        "vo.csv": "enhet;mått;period;värde\nHC1A;antal;2025-10;4\nHC1B;antal;2025-10;5\n",
        "alla.csv": "enhet;mått;period;värde\nHC1A;antal;2025-09;4\nHC2A;antal;2025-09;5\n",
    }
    for name, content in files.items():
        upload(client, content, name=name, source="manual")
        client.post(reverse("import_confirm", args=[ImportJob.objects.get(file_name=name).pk]))
    client.post(reverse("import_batch_undo", args=[ImportBatch.objects.get(file_name="vo.csv").pk]))
    client.get(reverse("import_upload"))  # shows (and clears) the last message
    # As a batch stored before the fields were added: nothing recorded.
    ImportBatch.objects.update(unit_count=0, only_unit=None, only_vo=None)
    before = client.get(reverse("import_upload")).content.decode()
    assert "<td>Hälsocentral Norrby</td>" not in before

    migration = importlib.import_module("followup.migrations.0021_import_batch_units")
    migration.record_units(django_apps, None)

    page = client.get(reverse("import_upload")).content.decode()
    assert "<td>Hälsocentral Norrby</td>" in page
    assert "<td>VO Norr (2 enheter)</td>" in page  # undone, as its history still names them
    assert "<td>2 enheter</td>" in page
