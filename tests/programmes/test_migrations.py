"""The plain area↔process table becomes ProgrammeAreaProcess and keeps its rows."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = ("programmes", "0001_initial")
AFTER = ("programmes", "0002_provenance_timeline_governance")


def _migrate(target: tuple[str, str]):
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    executor.loader.build_graph()
    return executor.loader.project_state([target]).apps


def _latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture
def before(transactional_db: None):
    apps = _migrate(BEFORE)
    yield apps
    MigrationExecutor(connection).migrate(_latest())


def test_links_to_supporting_processes_survive_with_a_provenance_and_history(before) -> None:
    phase = before.get_model("programmes", "Phase").objects.create(
        code="fas-2",
        name="Fas 2",
        start_date=datetime.date(2025, 1, 1),
        end_date=datetime.date(2027, 12, 31),
    )
    area = before.get_model("programmes", "ProgrammeArea").objects.create(
        phase=phase, number=1, name="Teamarbete"
    )
    process = before.get_model("programmes", "SupportingProcess").objects.create(name="Cosmic")
    area.supporting_processes.add(process)

    after = _migrate(AFTER)

    link = after.get_model("programmes", "ProgrammeAreaProcess").objects.get()
    assert (link.programme_area_id, link.supporting_process_id) == (area.pk, process.pk)
    assert link.provenance == "region"
    history = after.get_model("programmes", "HistoricalProgrammeAreaProcess").objects.get()
    assert (history.id, history.history_type) == (link.pk, "+")


def test_names_an_area_has_twice_are_numbered_before_they_become_unique(
    transactional_db: None,
) -> None:
    before = _migrate(("programmes", "0005_activity_by_date"))
    try:
        phase = before.get_model("programmes", "Phase").objects.create(
            code="fas-2",
            name="Fas 2",
            start_date=datetime.date(2025, 1, 1),
            end_date=datetime.date(2027, 12, 31),
        )
        areas = before.get_model("programmes", "ProgrammeArea").objects
        po1 = areas.create(phase=phase, number=1, name="Teamarbete")
        po2 = areas.create(phase=phase, number=2, name="Prevention")
        methods = before.get_model("programmes", "WorkingMethod").objects
        for code, name, area in [
            ("a", "Teamrond", po1),
            ("b", "teamrond", po1),
            ("c", "Teamrond", po1),
            ("d", "Teamrond", po2),
        ]:
            methods.create(code=code, name=name, programme_area=area)

        after = _migrate(("programmes", "0006_workingmethod_unique_name_per_area"))

        names = after.get_model("programmes", "WorkingMethod").objects.order_by("code")
        assert list(names.values_list("code", "name")) == [
            ("a", "Teamrond"),
            ("b", "teamrond (2)"),
            ("c", "Teamrond (3)"),
            ("d", "Teamrond"),
        ]
    finally:
        MigrationExecutor(connection).migrate(_latest())
