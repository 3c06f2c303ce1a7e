"""Finding 10: bad input in the admin's forms is a form error in Swedish, never a 500, and the
database refuses what the forms would have let through.

Also issue 10 item 3: an observation's quarter is derived from its period by the model, on every
path that writes one.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.test import Client
from simple_history.utils import bulk_create_with_history

from followup.models import (
    ImportBatch,
    Measure,
    Observation,
)
from followup.services import observation_record
from goals.models import (
    ERROR_DEADLINE_BEFORE_AREA_START,
    ERROR_GOAL_CYCLE,
    ERROR_GOAL_OWN_PARENT,
    ERROR_QUARTER,
    Assessment,
    Goal,
    editable_quarters,
)
from organisation.models import ERROR_UNIT_CYCLE, ERROR_UNIT_OWN_PARENT, Unit
from programmes.models import ProgrammeArea
from tests.admin_forms import admin_form_data
from tests.factories import (
    AssessmentFactory,
    GoalFactory,
    MeasureFactory,
    ObservationFactory,
    OrgTree,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(strategist: User) -> Client:
    client = Client()
    client.force_login(strategist)
    return client


def post_change(client: Client, url: str, **changes: Any) -> HttpResponse:
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, admin_form_data(page, **changes))


def form_errors(response: HttpResponse) -> list[str]:
    """Every error the admin page shows (main form and inlines); fails on anything but 200."""
    assert response.status_code == 200, response.status_code
    context = response.context
    messages = [m for errors in context["adminform"].form.errors.values() for m in errors]
    for inline in context["inline_admin_formsets"]:
        for errors in inline.formset.errors:
            messages += [m for field in errors.values() for m in field]
        messages += list(inline.formset.non_form_errors())
    return messages


def goal_url(goal: Goal) -> str:
    return f"/admin/goals/goal/{goal.pk}/change/"


def unit_url(unit: Unit) -> str:
    return f"/admin/organisation/unit/{unit.pk}/change/"


# --- goals ------------------------------------------------------------------------------------


def test_a_goal_as_its_own_parent_is_a_form_error(
    admin_client: Client, programme_area: ProgrammeArea
) -> None:
    goal = GoalFactory(programme_area=programme_area)

    response = post_change(admin_client, goal_url(goal), parent=goal.pk)

    assert form_errors(response) == [str(ERROR_GOAL_OWN_PARENT)]
    goal.refresh_from_db()
    assert goal.parent_id is None


@pytest.mark.parametrize("length", [2, 3])
def test_a_cycle_of_goals_of_any_length_is_a_form_error(
    admin_client: Client, programme_area: ProgrammeArea, length: int
) -> None:
    top = GoalFactory(programme_area=programme_area)
    chain = [top]
    for _ in range(length - 1):
        chain.append(GoalFactory(programme_area=programme_area, parent=chain[-1]))

    response = post_change(admin_client, goal_url(top), parent=chain[-1].pk)

    assert str(ERROR_GOAL_CYCLE) in form_errors(response)
    top.refresh_from_db()
    assert top.parent_id is None


def test_a_deadline_before_its_start_is_a_form_error(
    admin_client: Client, programme_area: ProgrammeArea
) -> None:
    goal = GoalFactory(programme_area=programme_area)

    response = post_change(
        admin_client,
        goal_url(goal),
        start_date=datetime.date(2026, 1, 1),
        deadline=datetime.date(2025, 6, 30),
    )

    assert "Måldatum kan inte vara före startdatum." in form_errors(response)


def test_a_deadline_before_the_areas_start_is_a_form_error(
    admin_client: Client, programme_area: ProgrammeArea
) -> None:
    programme_area.start_date = datetime.date(2026, 1, 1)
    programme_area.save()
    goal = GoalFactory(programme_area=programme_area)

    response = post_change(
        admin_client, goal_url(goal), start_date=None, deadline=datetime.date(2025, 12, 31)
    )

    assert form_errors(response) == [
        str(ERROR_DEADLINE_BEFORE_AREA_START % {"start": "2026-01-01"})
    ]


# --- units ------------------------------------------------------------------------------------


def test_a_unit_under_its_own_descendant_is_a_form_error(
    admin_client: Client, org_tree: OrgTree
) -> None:
    response = post_change(admin_client, unit_url(org_tree.vo1), parent=org_tree.hc1a.pk)

    assert form_errors(response) == [str(ERROR_UNIT_CYCLE)]
    org_tree.vo1.refresh_from_db()
    assert org_tree.vo1.parent_id == org_tree.area.pk


def test_a_unit_as_its_own_parent_is_a_form_error(admin_client: Client, org_tree: OrgTree) -> None:
    response = post_change(admin_client, unit_url(org_tree.vo1), parent=org_tree.vo1.pk)

    assert form_errors(response) == [str(ERROR_UNIT_OWN_PARENT)]


def test_the_region_under_a_health_centre_is_a_form_error(
    admin_client: Client, org_tree: OrgTree
) -> None:
    response = post_change(admin_client, unit_url(org_tree.region), parent=org_tree.hc2b.pk)

    assert form_errors(response) == [str(ERROR_UNIT_CYCLE)]


# --- assessments ------------------------------------------------------------------------------


@pytest.mark.parametrize("quarter", ["abc", "2025Q5", "zzzzzz", ""])
def test_an_assessment_quarter_that_is_not_a_quarter_is_a_form_error(
    admin_client: Client, quarter: str
) -> None:
    assessment = AssessmentFactory()

    response = post_change(
        admin_client, f"/admin/goals/assessment/{assessment.pk}/change/", quarter=quarter
    )

    errors = form_errors(response)
    assert errors
    assert set(errors) <= {str(ERROR_QUARTER), "Detta fält måste fyllas i."}, errors
    assessment.refresh_from_db()
    assert assessment.quarter == "2025Q4"


def test_an_assessment_quarter_in_lower_case_is_stored_as_a_code(
    admin_client: Client,
) -> None:
    current, previous = editable_quarters()  # open quarters (a closed one is refused)
    assessment = AssessmentFactory(quarter=previous.code)

    response = post_change(
        admin_client,
        f"/admin/goals/assessment/{assessment.pk}/change/",
        quarter=current.code.lower(),
    )

    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.quarter == current.code


def test_the_database_refuses_an_assessment_quarter_that_is_not_a_code() -> None:
    assessment = AssessmentFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Assessment.objects.filter(pk=assessment.pk).update(quarter="abc")


# --- observations -----------------------------------------------------------------------------


def observation_url(observation: Observation) -> str:
    return f"/admin/followup/observation/{observation.pk}/change/"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        # The import's and the reporting grid's words (base.measure_values), with the value.
        ("-3", "Ett antal kan inte vara negativt (−3)."),
        ("2.5", "Ett antal måste vara ett heltal, inte 2,5."),
    ],
)
def test_a_count_that_is_negative_or_not_whole_is_a_form_error(
    admin_client: Client, org_tree: OrgTree, value: str, message: str
) -> None:
    observation = ObservationFactory(unit=org_tree.hc1a, value=Decimal(12))

    response = post_change(admin_client, observation_url(observation), value=value)

    assert form_errors(response) == [message]
    observation.refresh_from_db()
    assert observation.value == 12


def test_a_share_may_have_decimals(admin_client: Client, org_tree: OrgTree) -> None:
    share = MeasureFactory(share=True)
    observation = ObservationFactory(
        measure=share, unit=org_tree.hc1a, value=Decimal(50), numerator=5, denominator=10
    )

    # The parts must agree with the value (the import's rule, everywhere since review 7).
    response = post_change(
        admin_client, observation_url(observation), value="52.5", numerator="21", denominator="40"
    )

    assert response.status_code == 302, form_errors(response)
    observation.refresh_from_db()
    assert observation.value == Decimal("52.5")


@pytest.mark.parametrize("typed", ["zzzzzz", "2031Q1"])
def test_a_typed_observation_quarter_is_ignored_and_the_period_decides(
    admin_client: Client, org_tree: OrgTree, typed: str
) -> None:
    observation = ObservationFactory(unit=org_tree.hc1a)

    response = post_change(
        admin_client,
        observation_url(observation),
        period_start=datetime.date(2025, 1, 1),
        period_end=datetime.date(2025, 1, 31),
        quarter=typed,
    )

    assert response.status_code == 302
    observation.refresh_from_db()
    assert observation.quarter == "2025Q1"


def test_the_observation_quarter_is_shown_read_only_in_the_admin(
    admin_client: Client, org_tree: OrgTree
) -> None:
    observation = ObservationFactory(unit=org_tree.hc1a)

    page = admin_client.get(observation_url(observation))

    assert "quarter" not in page.context["adminform"].form.fields
    assert "2025Q4" in page.content.decode() or "Kv 4 2025" in page.content.decode()


def test_the_database_refuses_a_quarter_that_contradicts_the_period(org_tree: OrgTree) -> None:
    observation = ObservationFactory(unit=org_tree.hc1a)

    with pytest.raises(IntegrityError), transaction.atomic():
        Observation.objects.filter(pk=observation.pk).update(quarter="2031Q1")


def test_every_write_path_stores_the_quarter_of_the_period(
    admin_client: Client, strategist: User, org_tree: OrgTree
) -> None:
    measure = MeasureFactory()
    units = iter([org_tree.hc1a, org_tree.hc1b, org_tree.hc2a, org_tree.hc2b])
    march = {"period_start": datetime.date(2025, 3, 1), "period_end": datetime.date(2025, 3, 31)}

    # The service the pages and the importer use.
    by_service = observation_record(
        user=strategist, measure=measure, unit=next(units), value=Decimal(4), **march
    )
    # The admin's add form, with a contradicting quarter typed in.
    unit = next(units)
    page = admin_client.get("/admin/followup/observation/add/")
    data = admin_form_data(
        page,
        measure=measure.pk,
        unit=unit.pk,
        value=Decimal(5),
        source="manual",
        quarter="2031Q1",
        **march,
    )
    assert admin_client.post("/admin/followup/observation/add/", data).status_code == 302
    by_admin = Observation.objects.get(measure=measure, unit=unit)
    # The bulk helper the demo loader uses, and a plain bulk insert.
    batch = ImportBatch.objects.create(source=ImportBatch.Source.DEMO)
    [by_bulk_helper] = bulk_create_with_history(
        [
            Observation(
                measure=measure, unit=next(units), value=Decimal(6), import_batch=batch, **march
            )
        ],
        Observation,
    )
    Observation.objects.bulk_create(
        [Observation(measure=measure, unit=next(units), value=Decimal(7), **march)]
    )

    stored = dict(Observation.objects.filter(measure=measure).values_list("value", "quarter"))
    assert stored == {4: "2025Q1", 5: "2025Q1", 6: "2025Q1", 7: "2025Q1"}
    assert {by_service.quarter, by_admin.quarter, by_bulk_helper.quarter} == {"2025Q1"}
    assert Measure.objects.count() == 1
