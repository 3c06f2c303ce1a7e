"""Only a programme area that asks for activity plans (PO 1, Teamrond) demands one of each VO.

Phase 2's plan asks each VO for an activity plan and timeline in PO 1 only. Before the
setting, every area showed "Ej påbörjad" for a VO without a plan, as if one were missing."""

from __future__ import annotations

import datetime
import html
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import DjangoAssertNumQueries

from followup.todo import unit_todo
from programmes import services
from programmes.models import ActivityPlan, ProgrammeArea
from programmes.selectors import plans_not_started
from tests.admin_forms import admin_post
from tests.factories import (
    ActivityFactory,
    ActivityPlanFactory,
    OrgTree,
    PhaseFactory,
    ProgrammeAreaFactory,
    UnitFactory,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 2)
STRUCTURE = "Bara strategen och administratörer flyttar ett programområde"


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _requested(unit: Any) -> list[str]:
    todo = {t.key: t for t in unit_todo(unit=unit, today=TODAY)}
    return [item.text for item in todo["requested"].items]


def _staff_client(user: User) -> Client:
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(user)
    return client


def _change_url(area: ProgrammeArea) -> str:
    return f"/admin/programmes/programmearea/{area.pk}/change/"


def test_the_vc_is_asked_for_a_plan_only_where_the_area_asks_for_one(
    vc: User,
    org_tree: OrgTree,
    programme_area: ProgrammeArea,
    other_programme_area: ProgrammeArea,
) -> None:
    assert programme_area.requests_activity_plans  # PO 1, as the plan
    assert not other_programme_area.requests_activity_plans  # PO 2
    client = Client()
    client.force_login(vc)

    page = _text(client.get(reverse("unit_detail", args=[org_tree.vo1.code])).content.decode())
    assert "Aktivitetsplaner att lämna in (1)" in page
    assert "VO Norr, PO 1: aktivitetsplan begärd, inte påbörjad" in page
    assert "PO 2: aktivitetsplan" not in page

    plans = client.get(reverse("programmes:activity_plans")).content.decode()
    mine = _text(plans[plans.index(f'id="plans-{org_tree.vo1.pk}"') :].split("</section>")[0])
    assert "PO 1. Teamarbete – Ej påbörjad" in mine
    assert "PO 2. Prevention – Ingen plan begärd" in mine
    unasked = reverse("programmes:activity_plan", args=[other_programme_area.pk, org_tree.vo1.pk])
    assert "Ingen plan begärd" in _text(client.get(unasked).content.decode())


def test_the_request_leaves_the_to_do_once_the_plan_is_under_way(
    org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    assert _requested(org_tree.vo1) == ["VO Norr, PO 1: aktivitetsplan begärd, inte påbörjad"]
    # An empty draft (the page opened) is still not started.
    plan = ActivityPlanFactory(unit=org_tree.vo1, programme_area=programme_area)
    assert len(_requested(org_tree.vo1)) == 1
    # A draft with an activity is "utkast, inte inskickat" instead; a submitted plan is done.
    ActivityFactory(plan=plan)
    assert _requested(org_tree.vo1) == []
    ActivityPlan.objects.filter(pk=plan.pk).update(status=ActivityPlan.Status.SUBMITTED)
    assert _requested(org_tree.vo1) == []
    # A health centre's page asks for no plan: a plan is its VO's.
    assert _requested(org_tree.hc2a) == []


def test_an_area_set_to_ask_asks_every_vo_of_its_organisation(
    org_tree: OrgTree, other_programme_area: ProgrammeArea
) -> None:
    assert _requested(org_tree.region) == []
    ProgrammeArea.objects.filter(pk=other_programme_area.pk).update(requests_activity_plans=True)
    assert _requested(org_tree.region) == [
        "VO Norr, PO 2: aktivitetsplan begärd, inte påbörjad",
        f"{org_tree.vo2.name}, PO 2: aktivitetsplan begärd, inte påbörjad",
    ]


def test_an_area_of_another_organisation_asks_no_vo_of_this_one(
    org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    # A phase of the VO's own organisation asks it; another region's phase does not (the
    # plan list's rule, programmes.selectors.areas_per_unit).
    own = PhaseFactory(code="fas-norr", name="Fas Norr", organisation_unit=org_tree.area)
    ProgrammeAreaFactory(phase=own, number=3, name="Nära vård Norr", requests_activity_plans=True)
    other_region = UnitFactory(code="BERG", name="Region Bergland", kind=org_tree.region.kind)
    other = PhaseFactory(code="fas-berg", name="Fas Bergland", organisation_unit=other_region)
    ProgrammeAreaFactory(phase=other, number=4, name="Bergland", requests_activity_plans=True)

    assert _requested(org_tree.vo1) == [
        "VO Norr, PO 1: aktivitetsplan begärd, inte påbörjad",
        "VO Norr, PO 3: aktivitetsplan begärd, inte påbörjad",
    ]


def test_the_plans_asked_for_are_read_in_three_queries_however_many_vos_and_areas(
    org_tree: OrgTree,
    programme_area: ProgrammeArea,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    units = [org_tree.vo1]
    with django_assert_num_queries(3):  # the units' ancestors, the areas, the plans begun
        assert len(plans_not_started(units=units)) == 1

    phase = PhaseFactory(code="fas-norr", name="Fas Norr", organisation_unit=org_tree.area)
    for number in (3, 4, 5):
        ProgrammeAreaFactory(phase=phase, number=number, requests_activity_plans=True)
    more = [
        UnitFactory(code=f"VO{n}", name=f"VO {n}", kind=org_tree.vo1.kind, parent=org_tree.area)
        for n in range(3, 8)
    ]
    units = [org_tree.vo1, org_tree.vo2, *more, *org_tree.hcs]
    with django_assert_num_queries(3):
        assert len(plans_not_started(units=units)) == 7 * 4
    with django_assert_num_queries(0):  # nothing asked below the VO level
        assert plans_not_started(units=org_tree.hcs) == []


def test_the_strategist_sets_it_in_the_admin_and_it_is_in_the_history(
    strategist: User, other_programme_area: ProgrammeArea
) -> None:
    client = _staff_client(strategist)

    response = admin_post(client, _change_url(other_programme_area), requests_activity_plans=True)

    assert response.status_code == 302
    other_programme_area.refresh_from_db()
    assert other_programme_area.requests_activity_plans
    record = other_programme_area.history.first()
    assert record.requests_activity_plans
    history = _text(
        client.get(f"{_change_url(other_programme_area)[:-7]}history/").content.decode()
    )
    assert "Begär aktivitetsplaner: Nej → Ja" in history


def test_the_areas_owner_cannot_change_it_as_other_structure(
    programme_owner: User, programme_area: ProgrammeArea
) -> None:
    client = _staff_client(programme_owner)
    url = _change_url(programme_area)

    assert "requests_activity_plans" not in client.get(url).context["adminform"].form.fields
    admin_post(client, url, requests_activity_plans=False, description="Ny text")
    programme_area.refresh_from_db()
    assert programme_area.requests_activity_plans
    assert programme_area.description == "Ny text"

    area = ProgrammeArea.objects.get(pk=programme_area.pk)
    with pytest.raises(PermissionDenied, match=STRUCTURE):
        services.programme_area_update(
            user=programme_owner, area=area, data={"requests_activity_plans": False}
        )
    assert ProgrammeArea.objects.get(pk=programme_area.pk).requests_activity_plans


def test_the_migration_sets_po_1_to_ask(transactional_db: None) -> None:
    executor = MigrationExecutor(connection)
    before = ("programmes", "0012_support_need_status_labels")
    after = ("programmes", "0013_programmearea_requests_activity_plans")
    executor.migrate([before])
    executor.loader.build_graph()
    old = executor.loader.project_state([before]).apps
    phase = old.get_model("programmes", "Phase").objects.create(
        code="fas-2",
        name="Fas 2",
        start_date=datetime.date(2025, 1, 1),
        end_date=datetime.date(2027, 12, 31),
    )
    areas = old.get_model("programmes", "ProgrammeArea").objects
    areas.create(phase=phase, number=1, name="Teamarbete")
    areas.create(phase=phase, number=2, name="Prevention")
    try:
        executor = MigrationExecutor(connection)
        executor.migrate([after])
        executor.loader.build_graph()
        new = executor.loader.project_state([after]).apps
        asking = new.get_model("programmes", "ProgrammeArea").objects.filter(
            requests_activity_plans=True
        )
        assert list(asking.values_list("number", flat=True)) == [1]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def _page_values(area: ProgrammeArea, **data: object) -> dict[str, object]:
    area.refresh_from_db()
    return {
        "version": area.version,
        "description": area.description,
        "delivery_owners": [str(u.pk) for u in area.delivery_owners.all()],
        "supporting_processes": [str(p.pk) for p in area.supporting_processes.all()],
        **data,
    }


def test_the_strategist_sets_it_on_the_areas_page_and_the_owner_does_not(
    strategist: User,
    programme_owner: User,
    programme_area: ProgrammeArea,
    other_programme_area: ProgrammeArea,
) -> None:
    url = f"/redigera/programomrade/{other_programme_area.pk}/uppgifter/"
    client = Client()
    client.force_login(strategist)
    assert 'name="requests_activity_plans"' in client.get(url).content.decode()

    response = client.post(url, _page_values(other_programme_area, requests_activity_plans="on"))

    assert response.status_code == 302
    other_programme_area.refresh_from_db()
    assert other_programme_area.requests_activity_plans
    assert other_programme_area.history.first().history_user == strategist
    page = _text(client.get(url).content.decode())
    assert "Begär aktivitetsplaner: Nej → ändrat till Ja" in page

    # The owner's form has no such box; a forged one changes nothing.
    owner_url = f"/redigera/programomrade/{programme_area.pk}/uppgifter/"
    owner = Client()
    owner.force_login(programme_owner)
    assert 'name="requests_activity_plans"' not in owner.get(owner_url).content.decode()
    owner.post(owner_url, _page_values(programme_area, description="Ny text"))
    programme_area.refresh_from_db()
    assert programme_area.requests_activity_plans  # unticked box not on the form: unchanged
    assert programme_area.description == "Ny text"
