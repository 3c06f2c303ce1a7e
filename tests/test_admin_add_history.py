"""Adding an object in the admin is one history record: "+", its final state, who added it.

Before, the add form wrote a "+" record for the fields and then one more ("~") for each
relation it set (a programme area's delivery owners and supporting processes, a working
method's target groups, a measure's programme areas and unit kinds), so a new object's history
opened with changes nobody made after creating it. A change and a revert were one record
already (base.history.one_history_record); an add now is too.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db.models import Model
from django.test import Client

from base.editing import tracked_m2m_pks
from followup.models import Measure
from goals.models import Goal
from programmes.models import ProgrammeArea, Provenance, WorkingMethod
from tests.admin_forms import admin_form_data, admin_new_inline_row, admin_save
from tests.factories import PhaseFactory, SupportingProcessFactory, UnitKindFactory

pytestmark = pytest.mark.django_db

AREA_ADD = "/admin/programmes/programmearea/add/"


def _history_rows(client: Client, model: type[Model], pk: Any) -> list[str]:
    """The "Kommentar" cell (the kind of change) of each row of the object's admin history."""
    opts = model._meta
    page = client.get(f"/admin/{opts.app_label}/{opts.model_name}/{pk}/history/")
    assert page.status_code == 200
    table = page.content.decode().split('<tbody role="rowgroup">')[1].split("</tbody>")[0]
    rows = re.findall(r"<tr role=\"row\">(.*?)</tr>", table, flags=re.S)
    kinds = []
    for row in rows:
        cells = re.findall(r"<td role=\"cell\">(.*?)</td>", row, flags=re.S)
        comment = next(cell for cell in cells if "Kommentar</span>" in cell)
        kinds.append(" ".join(re.sub(r"<[^>]+>", " ", comment).split()).removeprefix("Kommentar "))
    return kinds


def _area_add_data(client: Client, **changes: Any) -> dict[str, Any]:
    """The programme area add form as the strategist fills it, with one supporting process."""
    page = client.get(AREA_ADD)
    assert page.status_code == 200
    fields = {
        "phase": PhaseFactory().pk,
        "number": 7,
        "name": "Psykisk hälsa",
        "start_date": datetime.date(2026, 1, 1),
    }
    process = SupportingProcessFactory(name="Cosmic")
    return admin_form_data(page, **(fields | changes)) | admin_new_inline_row(
        page, supporting_process=process.pk, provenance=Provenance.REGION
    )


def test_adding_a_programme_area_with_owners_and_a_process_is_one_created_record(
    strategist_client: Client, strategist: User, steering_member: User
) -> None:
    data = _area_add_data(strategist_client, delivery_owners=[steering_member.pk])

    response = strategist_client.post(AREA_ADD, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    area = ProgrammeArea.objects.get(name="Psykisk hälsa")
    record = area.history.get()
    assert record.history_type == "+"
    assert record.history_user == strategist
    # The final state: the fields, the owners and the process, all in the one record.
    assert (record.number, record.name) == (7, "Psykisk hälsa")
    assert tracked_m2m_pks(record, "delivery_owners") == {steering_member.pk}
    assert tracked_m2m_pks(record, "supporting_processes") == {area.supporting_processes.get().pk}
    assert _history_rows(strategist_client, ProgrammeArea, area.pk) == ["Skapad"]


def test_adding_a_working_method_with_target_groups_is_one_created_record(
    strategist_client: Client, strategist: User, programme_area: ProgrammeArea
) -> None:
    hc, vo = UnitKindFactory(hc=True), UnitKindFactory(vo=True)

    admin_save(
        strategist_client,
        "/admin/programmes/workingmethod/add/",
        programme_area=programme_area.pk,
        code="teamrond",
        name="Teamrond",
        direction=WorkingMethod.Direction.INTRODUCE,
        target_unit_kinds=[hc.pk, vo.pk],
    )

    method = WorkingMethod.objects.get(code="teamrond")
    record = method.history.get()
    assert (record.history_type, record.history_user) == ("+", strategist)
    assert tracked_m2m_pks(record, "target_unit_kinds") == {hc.pk, vo.pk}
    assert _history_rows(strategist_client, WorkingMethod, method.pk) == ["Skapad"]


def test_adding_a_measure_with_areas_and_unit_kinds_is_one_created_record(
    strategist_client: Client, strategist: User, programme_area: ProgrammeArea
) -> None:
    hc = UnitKindFactory(hc=True)

    admin_save(
        strategist_client,
        "/admin/followup/measure/add/",
        code="besok",
        name="Besök",
        unit="st",
        value_type=Measure.ValueType.COUNT,
        aggregation=Measure.Aggregation.SUM,
        frequency=Measure.Frequency.MONTHLY,
        programme_areas=[programme_area.pk],
        unit_kinds=[hc.pk],
    )

    measure = Measure.objects.get(code="besok")
    record = measure.history.get()
    assert (record.history_type, record.history_user) == ("+", strategist)
    assert tracked_m2m_pks(record, "programme_areas") == {programme_area.pk}
    assert tracked_m2m_pks(record, "unit_kinds") == {hc.pk}
    assert _history_rows(strategist_client, Measure, measure.pk) == ["Skapad"]


def test_adding_a_goal_with_a_milestone_is_one_created_record_for_each(
    strategist_client: Client, strategist: User, programme_area: ProgrammeArea
) -> None:
    page = strategist_client.get("/admin/goals/goal/add/")
    deliverable = {"kind": Goal.Kind.DELIVERABLE, "improvement": "higher"}
    data = admin_form_data(
        page,
        programme_area=programme_area.pk,
        code="po1-beslut",
        title="Riskbedömningsinstrument beslutat",
        deadline=datetime.date(2026, 12, 31),
        order=0,
        **deliverable,
    ) | admin_new_inline_row(  # "Lägg till ytterligare delmål"
        page,
        programme_area=programme_area.pk,
        code="po1-forslag",
        title="Förslag klart",
        deadline=datetime.date(2026, 6, 30),
        provenance=Provenance.REGION,
        **deliverable,
    )

    response = strategist_client.post("/admin/goals/goal/add/", data)

    assert response.status_code == 302
    goal = Goal.objects.get(code="po1-beslut")
    assert [(r.history_type, r.history_user) for r in goal.history.all()] == [("+", strategist)]
    milestone = goal.milestones.get()
    assert [(r.history_type, r.history_user) for r in milestone.history.all()] == [
        ("+", strategist)
    ]
    assert _history_rows(strategist_client, Goal, goal.pk) == ["Skapad"]


def test_an_invalid_add_form_writes_nothing(
    strategist_client: Client, steering_member: User
) -> None:
    records = ProgrammeArea.history.count()
    data = _area_add_data(strategist_client, delivery_owners=[steering_member.pk], name="")

    response = strategist_client.post(AREA_ADD, data)

    assert response.status_code == 200
    assert "name" in response.context["adminform"].form.errors
    assert not ProgrammeArea.objects.filter(number=7).exists()
    assert ProgrammeArea.history.count() == records


def test_an_add_by_someone_who_may_not_add_writes_nothing(
    strategist_client: Client, programme_owner: User, steering_member: User
) -> None:
    data = _area_add_data(strategist_client, delivery_owners=[steering_member.pk])
    programme_owner.is_staff = True
    programme_owner.save(update_fields=["is_staff"])
    owner = Client()
    owner.force_login(programme_owner)
    records = ProgrammeArea.history.count()

    response = owner.post(AREA_ADD, data)

    assert response.status_code == 403
    assert not ProgrammeArea.objects.filter(name="Psykisk hälsa").exists()
    assert ProgrammeArea.history.count() == records
