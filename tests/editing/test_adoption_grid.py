"""The adoption grid: units × working methods, several cells saved at once, all or nothing."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from goals.models import AdoptionRecord
from programmes.models import WorkingMethod
from tests.factories import AdoptionRecordFactory, OrgTree, WorkingMethodFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def teamrond(org_tree: OrgTree) -> WorkingMethod:
    return WorkingMethodFactory(name="Teamrond", target_unit_kinds=[org_tree.hc1a.kind])


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def cell(unit_id: int, method_id: int, **values: object) -> dict[str, object]:
    prefix = f"c{unit_id}m{method_id}"
    data = {"status": "ej_paborjad", "planned_date": "", "actual_date": "", "comment": ""}
    data.update(values)
    data.setdefault("version", 0)
    return {f"{prefix}-{k}": v for k, v in data.items()}


def grid_url(org_tree: OrgTree) -> str:
    return reverse("goals:adoption_grid", args=[org_tree.vo1.pk])


def test_the_vc_sees_their_health_centres_and_saves_two_cells_in_one_request(
    vc: User, org_tree: OrgTree, teamrond: WorkingMethod
) -> None:
    client = login(vc)
    page = client.get(grid_url(org_tree)).content.decode()
    assert "Hälsocentral Norrby" in page
    assert "Hälsocentral Nordvik" in page
    assert "Hälsocentral Söderby" not in page  # VO 2's

    today = timezone.localdate().isoformat()
    data = {
        **cell(org_tree.hc1a.pk, teamrond.pk, status="infort", actual_date=today),
        **cell(org_tree.hc1b.pk, teamrond.pk, status="planerad", planned_date="2026-06-01"),
    }
    response = client.post(grid_url(org_tree), data, **HTMX)

    assert response.status_code == 200
    assert "2 ändringar är sparade." in response.content.decode()
    records = {r.unit_id: r for r in AdoptionRecord.objects.all()}
    assert records[org_tree.hc1a.pk].status == "infort"
    assert records[org_tree.hc1b.pk].planned_date == datetime.date(2026, 6, 1)
    assert records[org_tree.hc1a.pk].history.first().history_user == vc


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"status": "infort", "actual_date": ""}, "Ange faktiskt datum"),
        ({"status": "utfasat", "actual_date": ""}, "Ange faktiskt datum"),
        ({"status": "pagar", "actual_date": "2999-01-01"}, "framtiden"),
        ({"status": "pagar", "planned_date": "inte ett datum"}, "datum"),
        ({"status": "okänd"}, "giltigt"),
    ],
)
def test_one_invalid_cell_saves_no_cell_and_says_why_by_the_cell(
    vc: User, org_tree: OrgTree, teamrond: WorkingMethod, values: dict[str, str], message: str
) -> None:
    data = {
        **cell(org_tree.hc1a.pk, teamrond.pk, status="pagar"),
        **cell(org_tree.hc1b.pk, teamrond.pk, **values),
    }
    response = login(vc).post(grid_url(org_tree), data, **HTMX)

    assert response.status_code == 422
    body = response.content.decode()
    assert message in body
    assert "Inget sparades" in body
    assert f'id="id_c{org_tree.hc1b.pk}m{teamrond.pk}-' in body
    assert AdoptionRecord.objects.count() == 0


def test_a_stale_cell_is_a_conflict_and_nothing_is_saved(
    vc: User, strategist: User, org_tree: OrgTree, teamrond: WorkingMethod
) -> None:
    record = AdoptionRecordFactory(unit=org_tree.hc1a, working_method=teamrond)
    login(strategist).post(
        grid_url(org_tree),
        cell(org_tree.hc1a.pk, teamrond.pk, status="pagar", version=record.version),
    )
    data = {
        **cell(org_tree.hc1a.pk, teamrond.pk, status="planerad", version=record.version),
        **cell(org_tree.hc1b.pk, teamrond.pk, status="pagar"),
    }
    response = login(vc).post(grid_url(org_tree), data, **HTMX)

    assert response.status_code == 409
    assert "Ändrad av någon annan" in response.content.decode()
    record.refresh_from_db()
    assert record.status == "pagar"
    assert not AdoptionRecord.objects.filter(unit=org_tree.hc1b).exists()


def test_a_repeated_grid_post_changes_nothing_twice(
    vc: User, org_tree: OrgTree, teamrond: WorkingMethod
) -> None:
    data = cell(org_tree.hc1a.pk, teamrond.pk, status="pagar")
    client = login(vc)
    client.post(grid_url(org_tree), data, **HTMX)
    second = client.post(grid_url(org_tree), data, **HTMX)
    assert second.status_code == 409  # the cell is no longer new: shown, not overwritten
    assert AdoptionRecord.objects.get().history.count() == 1


def test_a_vc_cannot_open_or_post_another_vos_grid(
    vc: User, org_tree: OrgTree, teamrond: WorkingMethod
) -> None:
    url = reverse("goals:adoption_grid", args=[org_tree.vo2.pk])
    client = login(vc)
    assert client.get(url).status_code == 403
    response = client.post(url, cell(org_tree.hc2a.pk, teamrond.pk, status="pagar"))
    assert response.status_code == 403
    assert not AdoptionRecord.objects.exists()


def test_cells_of_other_units_smuggled_into_the_form_are_ignored(
    vc: User, org_tree: OrgTree, teamrond: WorkingMethod
) -> None:
    data = {
        **cell(org_tree.hc1a.pk, teamrond.pk, status="pagar"),
        **cell(org_tree.hc2a.pk, teamrond.pk, status="pagar"),
    }
    login(vc).post(grid_url(org_tree), data)
    assert list(AdoptionRecord.objects.values_list("unit_id", flat=True)) == [org_tree.hc1a.pk]
