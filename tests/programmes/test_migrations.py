"""The plain area↔process table becomes ProgrammeAreaProcess and keeps its rows."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from organisation.models import Unit, UnitKind

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


def test_plans_reopened_before_the_field_are_told_from_plans_sent_back(
    transactional_db: None,
) -> None:
    """0007 fills `reopened` from the history: the VO of a plan reopened before the migration
    reads "öppnad för ändring", the VO of a plan sent back still "skickad tillbaka"."""
    before = _migrate(("programmes", "0006_workingmethod_unique_name_per_area"))
    try:
        phase = before.get_model("programmes", "Phase").objects.create(
            code="fas-2",
            name="Fas 2",
            start_date=datetime.date(2025, 1, 1),
            end_date=datetime.date(2027, 12, 31),
        )
        area = before.get_model("programmes", "ProgrammeArea").objects.create(
            phase=phase, number=1, name="Teamarbete"
        )
        # The organisation as it is now (its later migrations stay applied).
        kind = UnitKind.objects.create(code="vo", name="VO", name_plural="VO", is_vo=True)
        plans = before.get_model("programmes", "ActivityPlan").objects
        history = before.get_model("programmes", "HistoricalActivityPlan").objects
        start = datetime.datetime(2026, 1, 5, 9, tzinfo=datetime.UTC)

        def plan_through(code: str, steps: list[tuple[str, int | None]]) -> int:
            """A plan and its history: each step a status and the day of its review (if any)."""
            unit = Unit.objects.create(code=code, name=code, kind=kind)
            plan = plans.create(programme_area=area, unit_id=unit.pk)
            for number, (status, reviewed) in enumerate(steps):
                reviewed_at = start + datetime.timedelta(days=reviewed) if reviewed else None
                history.create(
                    id=plan.pk,
                    programme_area=area,
                    unit_id=unit.pk,
                    status=status,
                    reviewed_at=reviewed_at,
                    version=number + 1,
                    history_date=start + datetime.timedelta(days=number),
                    history_type="~" if number else "+",
                )
                plans.filter(pk=plan.pk).update(status=status, reviewed_at=reviewed_at)
            return plan.pk

        reopened = plan_through(
            "reopened", [("utkast", None), ("inlamnad", None), ("godkand", 2), ("utkast", 3)]
        )
        sent_back = plan_through("sent-back", [("utkast", None), ("inlamnad", None), ("utkast", 2)])
        # Reopened, then submitted again: still waiting on a plan that was reopened.
        resubmitted = plan_through(
            "resubmitted",
            [("inlamnad", None), ("godkand", 1), ("utkast", 2), ("inlamnad", 2)],
        )
        # Reopened once, then approved and later sent back: its last review sent it back.
        later = plan_through(
            "later",
            [("inlamnad", None), ("godkand", 1), ("utkast", 2), ("inlamnad", 2), ("utkast", 4)],
        )

        after = _migrate(("programmes", "0007_activity_plan_reopened"))

        rows = after.get_model("programmes", "ActivityPlan").objects
        assert dict(rows.values_list("pk", "reopened")) == {
            reopened: True,
            sent_back: False,
            resubmitted: True,
            later: False,
        }
        records = after.get_model("programmes", "HistoricalActivityPlan").objects
        assert list(
            records.filter(id=later).order_by("history_date").values_list("reopened", flat=True)
        ) == [False, False, True, True, False]
    finally:
        MigrationExecutor(connection).migrate(_latest())
