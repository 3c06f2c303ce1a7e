"""A batch's rows in the observations' history are found by a range of history ids the store
records on the batch (the primary key), and picked out by their change reason ("Import #<pk>",
which has no index). Same rows as the reason alone finds, on both write paths."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from pytest_django.fixtures import Settings

from followup.imports import messages, selectors
from followup.imports.history import batch_history
from followup.imports.services import import_store
from followup.imports.undo import import_batch_undo
from followup.models import ImportBatch, Observation
from tests.factories import ImportBatchFactory, ObservationFactory
from tests.followup.imports.world import CorpusWorld

pytestmark = pytest.mark.django_db


def _write(tmp_path: Path, name: str, *lines: str) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(["enhet;mått;period;värde", *lines]) + "\n", encoding="utf-8")
    return path


def _by_reason(batch: ImportBatch) -> list[int]:
    rows = Observation.history.filter(history_change_reason=messages.change_reason(batch))
    return sorted(rows.values_list("history_id", flat=True))


def _found(batch: ImportBatch) -> list[int]:
    return sorted(batch_history(batch).values_list("history_id", flat=True))


@pytest.mark.parametrize("copy", [True, False], ids=["copy", "orm"])
def test_the_store_records_its_range_and_the_range_finds_the_reasons_rows(
    corpus_world: CorpusWorld, tmp_path: Path, settings: Settings, copy: bool
) -> None:
    settings.GONV_IMPORT_COPY = copy
    user = corpus_world.users["strateg"]
    ObservationFactory(unit=corpus_world.tree.hc1a, measure=corpus_world.count)  # not a batch's
    first = import_store(
        user=user, path=_write(tmp_path, "a.csv", "HC1A;antal;2025-11;45", "HC2A;antal;2025-11;3"),
        file_name="a.csv",
    )  # fmt: skip
    second = import_store(
        user=user, path=_write(tmp_path, "b.csv", "HC1A;antal;2025-11;46", "HC1B;antal;2025-12;7"),
        file_name="b.csv",
    )  # fmt: skip
    a, b = (ImportBatch.objects.get(pk=r.batch_id) for r in (first, second))
    import_batch_undo(user=user, batch=b)  # its undo's rows come after it, with their own reason

    assert a.history_from is not None
    assert a.history_to is not None
    assert a.history_from < a.history_to <= b.history_from < b.history_to
    for batch, count in ((a, 2), (b, 2)):
        assert len(_by_reason(batch)) == count
        assert _found(batch) == _by_reason(batch)
        assert all(batch.history_from < i <= batch.history_to for i in _found(batch))
    # What the batch page and the undo read come from the range (the history's primary key).
    sql = str(batch_history(a).query)
    assert '"history_id" >' in sql
    assert '"history_id" <=' in sql
    assert [row["value"] for row in selectors.import_batch_values(batch=a)] == [
        "45\u00a0st",
        "3\u00a0st",
    ]


def test_a_batch_without_a_range_is_found_by_its_reason_alone(corpus_world: CorpusWorld) -> None:
    batch = ImportBatchFactory()
    obs = ObservationFactory(unit=corpus_world.tree.hc1a, measure=corpus_world.count)
    record = obs.history.first()
    record.history_change_reason = messages.change_reason(batch)
    record.save()

    assert (batch.history_from, batch.history_to) == (None, None)
    assert _found(batch) == [record.history_id]


def test_an_empty_range_finds_nothing(corpus_world: CorpusWorld) -> None:
    batch = ImportBatchFactory(history_from=0, history_to=0)
    obs = ObservationFactory(unit=corpus_world.tree.hc1a, measure=corpus_world.count)
    record = obs.history.first()
    record.history_change_reason = messages.change_reason(batch)
    record.save()

    assert _found(batch) == []


BEFORE = ("followup", "0023_import_batch_unit_labels")
AFTER = ("followup", "0024_import_batch_history_range")


def _migrate(target: tuple[str, str]):
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    executor.loader.build_graph()
    return executor.loader.project_state(list(executor.loader.applied_migrations)).apps


@pytest.fixture
def at_0022(transactional_db):
    apps = _migrate(BEFORE)
    yield apps
    graph = MigrationExecutor(connection).loader.graph
    _migrate(next(node for node in graph.leaf_nodes() if node[0] == "followup"))


def test_the_migration_records_the_range_of_each_batch_stored_before(at_0022) -> None:
    apps = at_0022
    Batch = apps.get_model("followup", "ImportBatch")
    History = apps.get_model("followup", "HistoricalObservation")
    stored, other, empty = (Batch.objects.create(source="cyklop") for _ in range(3))
    fields = {
        "period_start": "2025-11-01", "period_end": "2025-11-30", "quarter": "2025Q4",
        "value": 1, "source": "cyklop", "updated_at": "2025-12-01T00:00Z",
        "history_date": "2025-12-01T00:00Z", "history_type": "+",
    }  # fmt: skip
    ids: dict[str, list[int]] = {"stored": [], "other": []}
    for i, (name, batch) in enumerate([("stored", stored), ("other", other), ("stored", stored)]):
        row = History.objects.create(
            id=i + 1, history_change_reason=f"Import #{batch.pk}", **fields
        )
        ids[name].append(row.history_id)
    History.objects.create(id=9, history_change_reason="Demodata (load_demo)", **fields)

    Migrated = _migrate(AFTER).get_model("followup", "ImportBatch")

    ranges = {b.pk: (b.history_from, b.history_to) for b in Migrated.objects.all()}
    assert ranges == {
        stored.pk: (ids["stored"][0] - 1, ids["stored"][-1]),
        other.pk: (ids["other"][0] - 1, ids["other"][0]),
        empty.pk: (0, 0),
    }
