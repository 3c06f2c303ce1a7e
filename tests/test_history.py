"""Audit history: who changed what and when, for goals, adoption status and observations."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from followup.models import Observation
from goals.models import AdoptionRecord, Goal
from programmes.models import ProgrammeArea
from tests.admin_forms import admin_delete, admin_save
from tests.factories import (
    AdoptionRecordFactory,
    GoalFactory,
    MeasureFactory,
    ObservationFactory,
    OrgTree,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def changes_of(record: Any) -> dict[str, tuple[Any, Any]]:
    """Field → (before, after) between a historical row and the one before it."""
    delta = record.diff_against(record.prev_record)
    return {change.field: (change.old, change.new) for change in delta.changes}


# --- goals ------------------------------------------------------------------------------------


def test_creating_a_goal_in_the_admin_records_who_created_it(
    strategist_client: Client, strategist: User, programme_area: ProgrammeArea
) -> None:
    admin_save(
        strategist_client,
        "/admin/goals/goal/add/",
        programme_area=programme_area.pk,
        code="po1-beslut",
        title="Riskbedömningsinstrument beslutat",
        kind=Goal.Kind.DELIVERABLE,
        deadline=datetime.date(2025, 12, 31),
        improvement="higher",
        order=0,
    )

    goal = Goal.objects.get(code="po1-beslut")
    created = goal.history.get()
    assert created.history_type == "+"
    assert created.history_user == strategist
    assert created.title == "Riskbedömningsinstrument beslutat"


def test_changing_a_goal_in_the_admin_records_the_user_and_before_and_after(
    strategist_client: Client, strategist: User, programme_area: ProgrammeArea
) -> None:
    goal = GoalFactory(
        programme_area=programme_area,
        title="Teamrond på hälften",
        deadline=datetime.date(2025, 12, 31),
    )

    admin_save(
        strategist_client,
        f"/admin/goals/goal/{goal.pk}/change/",
        title="Teamrond på hälften av HC",
        deadline=datetime.date(2026, 6, 30),
        deadline_reason="Beslutet flyttat",
    )

    latest = goal.history.first()
    assert latest.history_type == "~"
    assert latest.history_user == strategist
    assert changes_of(latest) == {
        "title": ("Teamrond på hälften", "Teamrond på hälften av HC"),
        "deadline": (datetime.date(2025, 12, 31), datetime.date(2026, 6, 30)),
    }


def test_deleting_a_goal_in_the_admin_keeps_its_history(
    strategist_client: Client, strategist: User, programme_area: ProgrammeArea
) -> None:
    goal = GoalFactory(programme_area=programme_area, title="Ett mål som ströks")
    goal_id = goal.pk

    admin_delete(strategist_client, f"/admin/goals/goal/{goal_id}/delete/")

    assert not Goal.objects.filter(pk=goal_id).exists()
    deleted = Goal.history.filter(id=goal_id).first()
    assert deleted.history_type == "-"
    assert deleted.history_user == strategist
    assert deleted.title == "Ett mål som ströks"


def test_the_admin_history_page_of_a_goal_lists_the_change_and_who_made_it(
    strategist_client: Client, strategist: User, programme_area: ProgrammeArea
) -> None:
    goal = GoalFactory(programme_area=programme_area, title="Teamrond på alla HC")
    admin_save(
        strategist_client, f"/admin/goals/goal/{goal.pk}/change/", title="Teamrond på alla VO"
    )

    page = strategist_client.get(f"/admin/goals/goal/{goal.pk}/history/")

    assert page.status_code == 200
    html = page.content.decode()
    # By name, as the pages' history says who (not the username).
    assert strategist.get_full_name() in html
    assert "Teamrond på alla HC" in html
    assert "Teamrond på alla VO" in html


def test_a_goal_changed_outside_a_request_records_the_history_user_given(
    programme_area: ProgrammeArea,
) -> None:
    editor = UserFactory(username="skript")
    goal = GoalFactory(programme_area=programme_area, title="Före")

    goal.title = "Efter"
    goal._history_user = editor
    goal.save()

    assert goal.history.first().history_user == editor
    assert changes_of(goal.history.first()) == {"title": ("Före", "Efter")}


# --- adoption status --------------------------------------------------------------------------


def test_a_vc_reporting_adoption_in_the_admin_is_recorded_with_before_and_after(
    client: Client, vc: User, org_tree: OrgTree
) -> None:
    vc.is_staff = True
    vc.save()
    record = AdoptionRecordFactory(unit=org_tree.hc1a, status=AdoptionRecord.Status.IN_PROGRESS)
    client.force_login(vc)

    admin_save(
        client,
        f"/admin/goals/adoptionrecord/{record.pk}/change/",
        status=AdoptionRecord.Status.ADOPTED,
        actual_date=datetime.date(2025, 10, 15),
    )

    latest = record.history.first()
    assert latest.history_user == vc
    assert changes_of(latest) == {
        "status": (AdoptionRecord.Status.IN_PROGRESS, AdoptionRecord.Status.ADOPTED),
        "actual_date": (None, datetime.date(2025, 10, 15)),
    }


def test_creating_and_deleting_an_adoption_record_in_the_admin_is_recorded(
    strategist_client: Client, strategist: User, org_tree: OrgTree
) -> None:
    method = AdoptionRecordFactory(unit=org_tree.hc2a).working_method
    admin_save(
        strategist_client,
        "/admin/goals/adoptionrecord/add/",
        unit=org_tree.hc2b.pk,
        working_method=method.pk,
        status=AdoptionRecord.Status.PLANNED,
        planned_date=datetime.date(2026, 3, 1),
    )
    record = AdoptionRecord.objects.get(unit=org_tree.hc2b)

    admin_delete(strategist_client, f"/admin/goals/adoptionrecord/{record.pk}/delete/")

    rows = AdoptionRecord.history.filter(id=record.pk).order_by("history_date")
    assert [(row.history_type, row.history_user) for row in rows] == [
        ("+", strategist),
        ("-", strategist),
    ]


# --- observations -----------------------------------------------------------------------------


def test_creating_changing_and_deleting_an_observation_in_the_admin_is_recorded(
    strategist_client: Client, strategist: User, org_tree: OrgTree
) -> None:
    measure = MeasureFactory(name="Frigjorda läkartider")
    admin_save(
        strategist_client,
        "/admin/followup/observation/add/",
        measure=measure.pk,
        unit=org_tree.hc1a.pk,
        period_start=datetime.date(2025, 10, 1),
        period_end=datetime.date(2025, 10, 31),
        value=Decimal("12"),
        source="manual",
    )
    observation = Observation.objects.get(measure=measure, unit=org_tree.hc1a)

    admin_save(
        strategist_client,
        f"/admin/followup/observation/{observation.pk}/change/",
        value=Decimal("15"),
    )
    changed = observation.history.first()
    assert changed.history_user == strategist
    assert changes_of(changed) == {"value": (Decimal("12"), Decimal("15"))}

    admin_delete(strategist_client, f"/admin/followup/observation/{observation.pk}/delete/")

    rows = Observation.history.filter(id=observation.pk).order_by("history_date")
    assert [(row.history_type, row.history_user) for row in rows] == [
        ("+", strategist),
        ("~", strategist),
        ("-", strategist),
    ]


def test_bulk_created_observations_each_get_a_history_row_with_the_user(
    strategist: User, org_tree: OrgTree
) -> None:
    measure = MeasureFactory()
    observations = [
        ObservationFactory.build(measure=measure, unit=unit, value=Decimal(index))
        for index, unit in enumerate(org_tree.hcs)
    ]

    created = bulk_create_with_history(observations, Observation, default_user=strategist)

    assert len(created) == 4
    rows = Observation.history.filter(measure=measure)
    assert rows.count() == 4
    assert {(row.history_type, row.history_user) for row in rows} == {("+", strategist)}


def test_bulk_updated_observations_each_get_a_history_row_with_before_and_after(
    strategist: User, org_tree: OrgTree
) -> None:
    measure = MeasureFactory()
    observations = [
        ObservationFactory(measure=measure, unit=unit, value=Decimal("10")) for unit in org_tree.hcs
    ]
    for observation in observations:
        observation.value = Decimal("20")

    bulk_update_with_history(observations, Observation, ["value"], default_user=strategist)

    for observation in observations:
        latest = observation.history.first()
        assert latest.history_type == "~"
        assert latest.history_user == strategist
        assert changes_of(latest) == {"value": (Decimal("10"), Decimal("20"))}
