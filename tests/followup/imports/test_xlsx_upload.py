"""The downloaded Excel template, filled in and uploaded as a user does it: through the upload
page, into the job's waiting file (`<id>.upload`, a name without .xlsx), in the request and as a
background task, and by the command under a name that says nothing of its format.

The other tests wrote their XLSX files to `*.xlsx` paths, which openpyxl accepts by name; the
browser's uploads are stored under another suffix, and were all refused."""

from __future__ import annotations

import io
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from pytest_django.fixtures import Settings

from followup.imports import jobs, parsing
from followup.models import ImportBatch, ImportJob, Observation
from tests.followup.imports.test_views import client_for
from tests.followup.imports.world import CorpusWorld


def filled_template(client: Client) -> bytes:
    """The XLSX template from its download link, with the count's row given a value (as Excel
    would save it)."""
    response = client.get(reverse("import_template", args=["xlsx"]))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[header.index("mått")].value == "antal":
            row[header.index("värde")].value = 3
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def upload(client: Client, content: bytes, name: str = "matvarden-mall.xlsx") -> Any:
    return client.post(
        reverse("import_upload"),
        {"file": SimpleUploadedFile(name, content), "source": "manual"},
    )


def test_the_downloaded_template_uploads_previews_and_imports_in_the_request(
    corpus_world: CorpusWorld,
) -> None:
    client = client_for("vec1a")

    response = upload(client, filled_template(client))

    job = ImportJob.objects.get()
    assert jobs.job_path(job).suffix != ".xlsx"  # stored as production stores it
    assert job.background is False
    page = client.get(response["Location"]).content.decode()
    assert "Förhandsgranskning" in page, page
    assert "openpyxl" not in page
    assert job.row_estimate == 4  # the sheet's dimension was read
    client.post(reverse("import_confirm", args=[job.pk]))
    assert Observation.objects.get(unit__code="HC1A", measure__code="antal").value == Decimal(3)
    assert ImportBatch.objects.get().source == ImportBatch.Source.MANUAL


def test_the_downloaded_template_imports_as_a_background_task(
    corpus_world: CorpusWorld, settings: Settings, django_capture_on_commit_callbacks: Any
) -> None:
    settings.GONV_IMPORT_BACKGROUND_ROWS = 2  # the template's four rows are "large"
    client = client_for("vec1a")

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, filled_template(client))

    job = ImportJob.objects.get()
    assert job.background is True  # the estimate read the sheet, not 0 for an unread file
    assert job.state == ImportJob.State.READY, job.preview
    assert "Förhandsgranskning" in client.get(response["Location"]).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("import_confirm", args=[job.pk]))
    assert ImportJob.objects.get().state == ImportJob.State.STORED
    assert Observation.objects.get(unit__code="HC1A", measure__code="antal").value == Decimal(3)


def test_the_command_reads_the_template_by_its_content_whatever_its_name(
    corpus_world: CorpusWorld, tmp_path: Path
) -> None:
    path = tmp_path / "export.upload"
    path.write_bytes(filled_template(client_for("vec1a")))

    call_command("import_observations", str(path), "--user", "vec1a")

    assert Observation.objects.get(unit__code="HC1A", measure__code="antal").value == Decimal(3)


def test_a_damaged_workbook_gets_a_swedish_message_and_the_library_error_is_logged(
    corpus_world: CorpusWorld, caplog: pytest.LogCaptureFixture
) -> None:
    client = client_for("vec1a")
    content = filled_template(client)
    # A zip whose workbook part is missing: openpyxl raises with its own English text.
    import zipfile

    damaged = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(damaged, "w") as target,
    ):
        for item in source.infolist():
            if item.filename != "xl/workbook.xml":
                target.writestr(item, source.read(item))

    with caplog.at_level(logging.WARNING, logger="followup.imports.parsing"):
        response = upload(client, damaged.getvalue())

    page = client.get(response["Location"]).content.decode()
    assert parsing.ERROR_XLSX_UNREADABLE in page or parsing.ERROR_NOT_CSV_OR_XLSX in page
    for english in ("openpyxl", "Excel first", "KeyError", "archive", "There is no item"):
        assert english not in page
    assert any(record.exc_info for record in caplog.records)  # the library's words: logged


def test_an_unreadable_workbook_is_said_so_in_swedish_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import openpyxl

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("openpyxl does not support this, please check you can open it")

    monkeypatch.setattr(openpyxl, "load_workbook", broken)
    path = tmp_path / "a.upload"
    path.write_bytes(b"PK\x03\x04rest")
    with pytest.raises(parsing.FileRefused) as refused:
        parsing.open_table(path)
    assert str(refused.value) == parsing.ERROR_XLSX_UNREADABLE
