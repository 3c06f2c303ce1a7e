"""Every corpus file through import_store: good ones store exactly their values, bad ones
are refused with their message and leave no observation, batch or history row."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from pytest_django.fixtures import Settings

from followup.imports.report import ImportRefused
from followup.imports.services import import_store
from followup.models import ImportBatch, Observation
from tests.followup.imports.corpus import CASES, CORPUS_DIR, Case
from tests.followup.imports.world import CorpusWorld, corpus_before_store

GOOD = [case for case in CASES if case.good]
BAD = [case for case in CASES if not case.good]


def _counts() -> tuple[int, int, int, int]:
    return (
        Observation.objects.count(),
        ImportBatch.objects.count(),
        Observation.history.count(),
        ImportBatch.history.count(),
    )


def test_the_corpus_has_at_least_forty_files_on_disk() -> None:
    assert len(CASES) >= 40
    assert len(GOOD) >= 20
    for case in CASES:
        assert (CORPUS_DIR / case.name).is_file(), case.name


@pytest.mark.parametrize("case", GOOD, ids=lambda case: case.name)
def test_good_file_stores_exactly_its_values(
    case: Case, corpus_world: CorpusWorld, settings: Settings
) -> None:
    for name, value in case.settings.items():
        setattr(settings, name, value)
    corpus_before_store(case)
    user = corpus_world.users[case.user]
    # A system's export is the strategist's to import; a VC's or VEC's file is their own report.
    source = "cyklop" if case.user == "strateg" else "manual"

    report = import_store(
        user=user, path=CORPUS_DIR / case.name, file_name=case.name, source=source,
        sheet=case.sheet,
    )  # fmt: skip

    assert report.problem_lines() == []
    counts = case.counts or (len(case.stored), 0, 0)
    assert (report.created, report.changed, report.unchanged) == counts
    assert (report.skipped, report.weights_kept) == (case.skipped, case.weights_kept)
    # A changed value's details (a new one's are its parts as given: test_services).
    changed = [change.details for change in report.changes if change.source and change.details]
    assert changed == list(case.details)
    if case.jumps is not None:
        assert [str(jump) for jump in report.jumps] == list(case.jumps)
        assert report.jump_count == len(case.jumps)
    assert report.ignored_columns == list(case.ignored)
    stored = {
        (o.unit.code, o.measure.code, o.period_start.isoformat()): o
        for o in Observation.objects.select_related("unit", "measure")
    }
    assert len(stored) == len(case.stored)
    for want in case.stored:
        obs = stored[(want.unit, want.measure, want.period_start)]
        assert obs.value == Decimal(want.value), want
        assert obs.numerator == (Decimal(want.numerator) if want.numerator else None), want
        assert obs.denominator == (Decimal(want.denominator) if want.denominator else None)
        assert obs.comment == want.comment
        assert obs.quarter == f"{obs.period_end.year}Q{(obs.period_end.month - 1) // 3 + 1}"
        if want in case.before:  # unchanged: as it was
            assert (obs.source, obs.import_batch_id) == ("manual", None)
            continue
        assert obs.source == source
        assert obs.import_batch_id == report.batch_id
    batch = ImportBatch.objects.get()
    assert batch.imported_by == user
    assert batch.file_name == case.name
    assert (batch.created_count, batch.changed_count, batch.unchanged_count) == counts
    assert len(batch.sha256) == 64
    history = Observation.history.filter(history_change_reason=f"Import #{batch.pk}")
    assert history.count() == counts[0] + counts[1]
    assert set(history.values_list("history_user", flat=True)) == {user.pk}


@pytest.mark.parametrize("case", BAD, ids=lambda case: case.name)
def test_bad_file_is_refused_with_its_message_and_writes_nothing(
    case: Case, corpus_world: CorpusWorld, settings: Settings
) -> None:
    for name, value in case.settings.items():
        setattr(settings, name, value)
    corpus_before_store(case)
    stored = sorted(Observation.objects.values_list("id", "value", "numerator", "denominator"))
    before = _counts()

    with pytest.raises(ImportRefused) as refused:
        import_store(
            user=corpus_world.users[case.user], path=CORPUS_DIR / case.name,
            file_name=case.name, sheet=case.sheet, today=datetime.date(2026, 1, 15),
        )  # fmt: skip

    lines = refused.value.report.problem_lines()
    assert any(case.problem in line for line in lines), lines
    if case.problem_count is not None:
        assert refused.value.report.problem_count == case.problem_count
    assert _counts() == before
    assert sorted(Observation.objects.values_list("id", "value", "numerator", "denominator")) == (
        stored
    )
