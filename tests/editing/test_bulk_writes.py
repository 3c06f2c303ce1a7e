"""Bulk writes bump the version like a save does, so a form opened before them is refused;
a deliberate overwrite (revert, "Spara mina ändringar") is based on the version it names."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db.models import F
from django.test import Client
from django.urls import reverse
from simple_history.utils import bulk_update_with_history

from base.versioning import StaleVersion, deliberate_overwrite
from followup.models import Measure, Observation
from goals.models import Goal
from programmes.models import ProgrammeArea
from tests.factories import GoalFactory, ObservationFactory, OrgTree

pytestmark = pytest.mark.django_db
OCT = datetime.date(2025, 10, 1)


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def goal(programme_area: ProgrammeArea) -> Goal:
    return GoalFactory(programme_area=programme_area, title="Teamrond på hälften")


def goal_form(goal: Goal, **changes: object) -> dict[str, object]:
    return {
        "title": goal.title,
        "description": goal.description,
        "kind": goal.kind,
        "start_date": goal.start_date.isoformat() if goal.start_date else "",
        "deadline": goal.deadline.isoformat() if goal.deadline else "",
        "completed_on": "",
        "evidence_reference": goal.evidence_reference,
        "evidence_url": goal.evidence_url,
        "version": goal.version,
        **changes,
    }


def test_a_goal_form_opened_before_a_queryset_update_is_refused_with_409(
    strategist: User, goal: Goal
) -> None:
    opened = goal_form(goal, title="Mitt förslag")  # the version the form was rendered from

    Goal.objects.filter(pk=goal.pk).update(title="Ändrat i bulk")

    response = login(strategist).post(reverse("goals:goal_edit", args=[goal.pk]), opened)
    assert response.status_code == 409
    goal.refresh_from_db()
    assert goal.title == "Ändrat i bulk"
    assert goal.version == opened["version"] + 1  # type: ignore[operator]


def test_an_update_that_sets_the_version_itself_keeps_it(goal: Goal) -> None:
    Goal.objects.filter(pk=goal.pk).update(title="Bokföring", version=F("version"))
    goal.refresh_from_db()
    assert (goal.title, goal.version) == ("Bokföring", 1)


def test_bulk_update_bumps_the_stored_version_and_hands_it_to_the_instances_and_history(
    strategist: User, org_tree: OrgTree, visits: Measure
) -> None:
    first = ObservationFactory(measure=visits, unit=org_tree.hc1a, period_start=OCT, value=5)
    second = ObservationFactory(measure=visits, unit=org_tree.hc1b, period_start=OCT, value=6)
    Observation.objects.filter(pk=second.pk).update(comment="Sparat under tiden")  # version 2
    stale = Observation.objects.get(pk=second.pk)
    second.value = stale.value = Decimal(7)  # `second` still carries version 1
    first.value = Decimal(8)

    bulk_update_with_history([first, second], Observation, ["value"], default_user=strategist)

    assert (first.version, second.version) == (2, 3)  # relative to the stored rows
    assert Observation.objects.get(pk=second.pk).version == 3
    assert second.history.first().version == 3


def test_a_reporting_grid_opened_before_a_bulk_update_is_refused_with_409(
    vc: User, strategist: User, org_tree: OrgTree, visits: Measure
) -> None:
    obs = ObservationFactory(measure=visits, unit=org_tree.hc1a, period_start=OCT, value=5)
    opened = {
        "period": "2025-10",
        f"m{visits.pk}u{org_tree.hc1a.pk}-value": "6",
        f"m{visits.pk}u{org_tree.hc1a.pk}-version": obs.version,
    }
    obs.value = Decimal(9)
    bulk_update_with_history([obs], Observation, ["value"], default_user=strategist)

    response = login(vc).post(reverse("report_grid", args=[org_tree.vo1.pk]), opened)

    assert response.status_code == 409
    assert Observation.objects.get(pk=obs.pk).value == Decimal(9)


def test_a_deliberate_overwrite_is_based_on_the_version_it_names(goal: Goal) -> None:
    old = Goal.objects.get(pk=goal.pk)  # version 1, as a historical row would carry it
    goal.title = "Andra"
    goal.save()  # version 2

    old.title = "Utan att veta"
    with pytest.raises(StaleVersion):
        old.save()
    with deliberate_overwrite(old, of_version=1), pytest.raises(StaleVersion):
        old.save()  # it names a version that is no longer stored
    with deliberate_overwrite(old, of_version=2):
        old.save()
    goal.refresh_from_db()
    assert (goal.title, goal.version) == ("Utan att veta", 3)


def test_a_deliberate_overwrite_covers_one_save_of_one_row(goal: Goal) -> None:
    old = Goal.objects.get(pk=goal.pk)
    goal.save()  # version 2
    with deliberate_overwrite(old, of_version=2):
        old.save()  # version 3
        other = Goal.objects.get(pk=goal.pk)
        other.version = 1
        with pytest.raises(StaleVersion):
            other.save()  # the block was used up by the first save
