"""PostgreSQL's COPY path writes exactly what the ORM path (SQLite, the embedded mode) writes."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from pytest_django.fixtures import Settings

from followup.imports import messages, staged
from followup.imports.report import ImportRefused
from followup.imports.services import import_preview, import_store
from followup.models import ImportBatch, Observation
from tests.factories import ObservationFactory
from tests.followup.imports.world import CorpusWorld

pytestmark = pytest.mark.django_db

FILE = """enhet;mått;period;värde;täljare;nämnare;kommentar
HC1A;antal;2025-11;45;;;
HC1A;antal;2025-10;12;;;oförändrat
HC1B;antal;dec 2025;1 234;;;nytt värde
HC1A;andel;2025-12;;27;54;
HC1B;andel;2025-12;54,2 %;271;500;
HC1A;index;Kv 4 2025;71,25;;;
HC1A;medel;202511;3,5;;;med kommentar
"""


def _tracked(row: Any, batch_id: int) -> dict[str, Any]:
    """A history row's fields, with the run's own ids (batch, observation) made comparable."""
    fields = {f.attname: getattr(row, f.attname) for f in type(row).tracked_fields}
    fields.pop("id")
    fields.pop("updated_at")
    if fields["import_batch_id"] == batch_id:
        fields["import_batch_id"] = "this batch"
    return {
        **fields,
        "history_type": row.history_type,
        "history_user_id": row.history_user_id,
        "history_change_reason": row.history_change_reason.replace(f"#{batch_id}", "#<batch>"),
    }


def _import_and_read(corpus_world: CorpusWorld, path: Path) -> tuple[list[Any], list[Any], Any]:
    """Import the file, read what it wrote, and roll it all back."""
    with transaction.atomic():
        started = timezone.now()
        report = import_store(user=corpus_world.users["strateg"], path=path, file_name="x.csv")
        ended = timezone.now()
        batch_id = report.batch_id
        assert batch_id is not None
        history = list(
            Observation.history.filter(history_change_reason=f"Import #{batch_id}").order_by(
                "history_id"
            )
        )
        assert history
        assert all(started <= h.history_date <= ended for h in history)
        assert {h.id for h in history} == set(
            Observation.objects.filter(import_batch_id=batch_id).values_list("id", flat=True)
        )
        stored = sorted(
            (o["measure_id"], o["unit_id"], o["period_start"], o["value"], o["version"],
             o["comment"], o["source"], o["import_batch_id"] == batch_id)
            for o in Observation.objects.values()
        )  # fmt: skip
        transaction.set_rollback(True)
    # The order between new and changed values is no promise (the ORM path writes a chunk's new
    # ones first); each value's own history is compared.
    rows = sorted(
        (_tracked(h, batch_id) for h in history),
        key=lambda h: (h["measure_id"], h["unit_id"], h["period_start"]),
    )
    return rows, stored, report


def test_copy_and_orm_paths_write_the_same_values_and_history(
    corpus_world: CorpusWorld, tmp_path: Path, settings: Settings
) -> None:
    tree = corpus_world.tree
    ObservationFactory(
        unit=tree.hc1a, measure=corpus_world.count, period_start=datetime.date(2025, 11, 1),
        value=Decimal(40),
    )  # fmt: skip
    ObservationFactory(
        unit=tree.hc1a, measure=corpus_world.count, period_start=datetime.date(2025, 10, 1),
        value=Decimal(12), comment="oförändrat",
    )  # fmt: skip
    path = tmp_path / "export.csv"
    path.write_text(FILE, encoding="utf-8")

    assert staged.copy_available()
    copied, copied_stored, copied_report = _import_and_read(corpus_world, path)
    settings.GONV_IMPORT_COPY = False
    assert not staged.copy_available()
    orm, orm_stored, orm_report = _import_and_read(corpus_world, path)

    assert (copied_report.created, copied_report.changed, copied_report.unchanged) == (5, 1, 1)
    assert sorted(h["history_type"] for h in copied) == ["+", "+", "+", "+", "+", "~"]
    changed = next(h for h in copied if h["history_type"] == "~")
    assert (changed["value"], changed["version"]) == (Decimal(45), 2)  # the version bumped
    assert copied == orm
    assert copied_stored == orm_stored
    assert copied_report.changes == orm_report.changes
    assert copied_report.quarters == orm_report.quarters


def test_copy_and_orm_paths_report_the_same_problems_in_row_order(
    corpus_world: CorpusWorld, tmp_path: Path, settings: Settings
) -> None:
    # Duplicates (found by the database on the COPY path) between rows with their own problems,
    # more than the listed limit in all.
    lines = ["enhet;mått;period;värde"]
    for i in range(messages.PROBLEM_LIMIT):
        lines.append(f"HC1A;antal;2025-{i % 12 + 1:02d};{i}")  # from row 14 on: given twice
        lines.append(f"HC1A;antal;2025-11;x{i}")  # not a number
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = (Observation.objects.count(), ImportBatch.objects.count())

    copied = import_preview(user=corpus_world.users["strateg"], path=path, file_name="x")
    with pytest.raises(ImportRefused):
        import_store(user=corpus_world.users["strateg"], path=path, file_name="x")
    settings.GONV_IMPORT_COPY = False
    orm = import_preview(user=corpus_world.users["strateg"], path=path, file_name="x")

    assert copied.problem_count == orm.problem_count == 2 * messages.PROBLEM_LIMIT - 12
    assert copied.problems == orm.problems
    assert len(copied.problems) == messages.PROBLEM_LIMIT
    assert str(next(p for p in copied.problems if p.row == 28)) == (
        "Rad 28, kolumn ”enhet”: Samma enhet, mått och period finns redan på rad 4."
    )
    assert (copied.created, copied.unchanged) == (orm.created, orm.unchanged) == (12, 0)
    assert (Observation.objects.count(), ImportBatch.objects.count()) == before


def test_a_negative_zero_is_stored_and_reported_as_0_on_both_paths(
    corpus_world: CorpusWorld, tmp_path: Path, settings: Settings
) -> None:
    ObservationFactory(
        unit=corpus_world.tree.hc1a, measure=corpus_world.count,
        period_start=datetime.date(2025, 11, 1), value=Decimal(40),
    )  # fmt: skip
    path = tmp_path / "zero.csv"
    path.write_text(
        "enhet;mått;period;värde\n"
        "HC1A;antal;2025-11;-0\n"
        "HC1B;antal;2025-11;\u22120\n"
        "HC1A;index;Kv 4 2025;-0,00\n",
        encoding="utf-8",
    )

    copied, copied_stored, copied_report = _import_and_read(corpus_world, path)
    copied_preview = import_preview(user=corpus_world.users["strateg"], path=path, file_name="x")
    settings.GONV_IMPORT_COPY = False
    orm, orm_stored, orm_report = _import_and_read(corpus_world, path)
    orm_preview = import_preview(user=corpus_world.users["strateg"], path=path, file_name="x")

    # As the pages write the measures' values (a count in "st", an index a plain number).
    assert [(c.old, c.new) for c in orm_report.changes] == [
        ("40\u00a0st", "0\u00a0st"),
        ("–", "0\u00a0st"),
        ("–", "0"),
    ]
    assert orm_report.changes == copied_report.changes
    assert orm_preview.changes == copied_preview.changes == copied_report.changes
    assert [str(value) for _, _, _, value, *_ in orm_stored] == ["0.0000"] * 3
    assert copied_stored == orm_stored
    assert copied == orm


@pytest.mark.parametrize("copy", [True, False], ids=["copy", "orm"])
def test_both_paths_record_on_the_batch_the_units_it_wrote(
    corpus_world: CorpusWorld, tmp_path: Path, settings: Settings, copy: bool
) -> None:
    settings.GONV_IMPORT_COPY = copy
    assert staged.copy_available() is copy
    tree = corpus_world.tree
    # Unchanged: HC2A's value is in the file but not written, so the batch is VO Norr's alone.
    ObservationFactory(
        unit=tree.hc2a, measure=corpus_world.count, period_start=datetime.date(2025, 11, 1),
        value=Decimal(7),
    )  # fmt: skip
    files = {
        "one.csv": "enhet;mått;period;värde\nHC1A;antal;2025-10;1\nHC1A;antal;2025-09;2\n",
        "vo.csv": "enhet;mått;period;värde\nHC1A;antal;2025-08;1\nHC1B;antal;2025-08;2\n"
        "HC2A;antal;2025-11;7\n",
        "two.csv": "enhet;mått;period;värde\nHC1A;antal;2025-07;1\nHC2A;antal;2025-07;2\n",
    }
    batches = {}
    for name, content in files.items():
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        report = import_store(user=corpus_world.users["strateg"], path=path, file_name=name)
        batches[name] = ImportBatch.objects.get(pk=report.batch_id)

    facts = {
        name: (batch.unit_count, batch.only_unit_id, batch.only_vo_id)
        for name, batch in batches.items()
    }
    assert facts == {
        "one.csv": (1, tree.hc1a.pk, tree.vo1.pk),
        "vo.csv": (2, None, tree.vo1.pk),
        "two.csv": (2, None, None),
    }
