"""A stored comment and the file's kommentar: an empty cell (or no such column) keeps the stored
comment and the preview says nothing of it; a filled-in cell replaces it, and the preview shows
the old and the new. Alike on every path: a CSV checked in SQL, a CSV or XLSX checked in Python
and staged with COPY, and the ORM's (SQLite's) path."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from openpyxl import Workbook
from pytest_django.fixtures import Settings

from followup.imports.services import import_preview, import_store
from followup.imports.undo import import_batch_undo
from followup.models import ImportBatch, Observation
from tests.followup.imports.world import CorpusWorld

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 1, 15)
OLD = "Manuellt, Cyklop-rapport saknades"
PATHS = {
    "sql": {},
    "python-staged": {"GONV_IMPORT_SQL_CHECKS": False},
    "orm": {"GONV_IMPORT_COPY": False},
}


def _file(tmp_path: Path, kind: str, rows: list[list[str]]) -> Path:
    header = ["enhet", "mått", "period", "värde", "kommentar"]
    if kind == "csv":
        path = tmp_path / "varden.csv"
        path.write_text("\n".join(";".join(row) for row in [header, *rows]) + "\n")
        return path
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in [header, *rows]:
        sheet.append([cell or None for cell in row])
    path = tmp_path / "varden.upload"  # as the browser's upload waits
    workbook.save(path)
    return path


@pytest.fixture(params=list(PATHS))
def path_settings(request: pytest.FixtureRequest, settings: Settings) -> str:
    if request.param != "orm" and connection.vendor != "postgresql":
        pytest.skip("the COPY paths need PostgreSQL")
    for name, value in PATHS[request.param].items():
        setattr(settings, name, value)
    return str(request.param)


@pytest.fixture
def stored(corpus_world: CorpusWorld) -> Observation:
    """A value reported in the grid, with its reason in the comment."""
    return Observation.objects.create(
        measure=corpus_world.count, unit=corpus_world.tree.hc1a,
        period_start=datetime.date(2025, 11, 1), period_end=datetime.date(2025, 11, 30),
        value=Decimal(7), comment=OLD, source=ImportBatch.Source.MANUAL,
    )  # fmt: skip


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_an_empty_comment_cell_keeps_the_stored_comment_and_the_preview_is_silent_on_it(
    corpus_world: CorpusWorld, stored: Observation, path_settings: str, kind: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    user = corpus_world.users["vec1a"]
    path = _file(tmp_path, kind, [["HC1A", "antal", "2025-11", "9", ""]])

    preview = import_preview(user=user, path=path, file_name="f", today=TODAY)

    assert (preview.created, preview.changed, preview.unchanged) == (0, 1, 0)
    assert preview.changes[0].details == ""  # no "ny kommentar": nothing happens to it
    report = import_store(user=user, path=path, file_name="f", today=TODAY)
    stored.refresh_from_db()
    assert (stored.value, stored.comment) == (Decimal(9), OLD)

    again = import_store(user=user, path=path, file_name="f", today=TODAY)
    assert (again.created, again.changed, again.unchanged) == (0, 0, 1)
    assert again.batch_id is None

    import_batch_undo(user=user, batch=ImportBatch.objects.get(pk=report.batch_id))
    stored.refresh_from_db()
    assert (stored.value, stored.comment) == (Decimal(7), OLD)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_same_value_with_an_empty_comment_cell_is_unchanged(
    corpus_world: CorpusWorld, stored: Observation, path_settings: str, kind: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    path = _file(tmp_path, kind, [["HC1A", "antal", "2025-11", "7", ""]])
    report = import_store(user=corpus_world.users["vec1a"], path=path, file_name="f", today=TODAY)
    assert (report.changed, report.unchanged, report.batch_id) == (0, 1, None)
    assert Observation.objects.get().comment == OLD


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_filled_in_comment_replaces_the_stored_one_shown_old_and_new_and_undo_restores_it(
    corpus_world: CorpusWorld, stored: Observation, path_settings: str, kind: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    user = corpus_world.users["vec1a"]
    path = _file(tmp_path, kind, [["HC1A", "antal", "2025-11", "7", "Rapporten kom"]])

    preview = import_preview(user=user, path=path, file_name="f", today=TODAY)

    assert (preview.changed, preview.unchanged) == (1, 0)
    assert preview.changes[0].details == f"kommentar ”{OLD}” → ”Rapporten kom”"
    report = import_store(user=user, path=path, file_name="f", today=TODAY)
    assert Observation.objects.get().comment == "Rapporten kom"
    import_batch_undo(user=user, batch=ImportBatch.objects.get(pk=report.batch_id))
    assert Observation.objects.get().comment == OLD


def test_a_comment_added_where_there_was_none_is_shown_as_new(
    corpus_world: CorpusWorld, path_settings: str, tmp_path: Path
) -> None:
    Observation.objects.create(
        measure=corpus_world.count, unit=corpus_world.tree.hc1a,
        period_start=datetime.date(2025, 11, 1), period_end=datetime.date(2025, 11, 30),
        value=Decimal(7), source=ImportBatch.Source.MANUAL,
    )  # fmt: skip
    long = "Räknat för hand eftersom exporten från Cyklop saknade två veckor i november"
    path = _file(tmp_path, "csv", [["HC1A", "antal", "2025-11", "7", long]])

    user = corpus_world.users["vec1a"]

    preview = import_preview(user=user, path=path, file_name="f", today=TODAY)

    shown = "Räknat för hand eftersom exporten från Cyklop…"  # cut at a word
    assert preview.changes[0].details == f"kommentar – → ”{shown}”"
