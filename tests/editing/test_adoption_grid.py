"""The adoption grid: units × working methods, several cells saved at once, all or nothing."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from goals import grid_services, services
from goals.forms import AdoptionCellForm
from goals.models import ERROR_METHOD_NOT_OFFERED, AdoptionRecord
from programmes.models import WorkingMethod
from tests.admin_forms import admin_post, form_errors
from tests.factories import (
    AdoptionRecordFactory,
    OrgTree,
    PhaseFactory,
    ProgrammeAreaFactory,
    UnitFactory,
    WorkingMethodFactory,
)

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
    data = {"status": "", "planned_date": "", "actual_date": "", "comment": ""}
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
        ({"status": "planerad", "planned_date": ""}, "Ange planerat datum"),
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
    # The summary's heading says what was refused, its text what to do (not "Inget sparades"
    # twice in a row).
    assert re.search(
        r'<h2 id="[^"]*">Inget sparades</h2>\s*<p>Rätta de markerade cellerna och spara igen.</p>',
        body,
    )
    assert f'id="id_c{org_tree.hc1b.pk}m{teamrond.pk}-' in body
    assert AdoptionRecord.objects.count() == 0


def test_the_error_summary_links_to_the_input_that_needs_fixing(
    vc: User, org_tree: OrgTree, teamrond: WorkingMethod
) -> None:
    prefix = f"c{org_tree.hc1b.pk}m{teamrond.pk}"
    data = cell(org_tree.hc1b.pk, teamrond.pk, status="infort")
    body = login(vc).post(grid_url(org_tree), data, **HTMX).content.decode()
    assert f'<a href="#id_{prefix}-actual_date">Teamrond, Hälsocentral Nordvik:' in body
    assert f'href="#id_{prefix}-status"' not in body


def test_an_older_planned_cell_without_a_date_does_not_block_other_cells(
    vc: User, org_tree: OrgTree, teamrond: WorkingMethod
) -> None:
    legacy = AdoptionRecordFactory(
        unit=org_tree.hc1a, working_method=teamrond, status="planerad", planned_date=None
    )
    data = {
        **cell(org_tree.hc1a.pk, teamrond.pk, status="planerad", version=legacy.version),
        **cell(org_tree.hc1b.pk, teamrond.pk, status="pagar"),
    }
    response = login(vc).post(grid_url(org_tree), data, **HTMX)
    assert response.status_code == 200
    assert "1 ändring är sparad." in response.content.decode()

    commented = cell(
        org_tree.hc1a.pk,
        teamrond.pk,
        status="planerad",
        comment="Efter sommaren.",
        version=legacy.version,
    )
    response = login(vc).post(grid_url(org_tree), commented, **HTMX)
    assert response.status_code == 200
    legacy.refresh_from_db()
    assert legacy.comment == "Efter sommaren."


def test_a_stale_cell_is_a_conflict_and_nothing_is_saved(
    vc: User, strategist: User, org_tree: OrgTree, teamrond: WorkingMethod
) -> None:
    record = AdoptionRecordFactory(unit=org_tree.hc1a, working_method=teamrond)
    login(strategist).post(
        grid_url(org_tree),
        cell(org_tree.hc1a.pk, teamrond.pk, status="pagar", version=record.version),
    )
    data = {
        **cell(
            org_tree.hc1a.pk,
            teamrond.pk,
            status="planerad",
            planned_date="2026-06-01",
            version=record.version,
        ),
        **cell(org_tree.hc1b.pk, teamrond.pk, status="pagar"),
    }
    response = login(vc).post(grid_url(org_tree), data, **HTMX)

    assert response.status_code == 409
    page = response.content.decode()
    # Who saved first, and the stored value of the field that differs from the user's.
    name = strategist.get_full_name() or strategist.get_username()
    assert f"{name} sparade ändringar" in page
    assert "Status: Pågår" in page
    assert "Ladda om sidan" not in page
    record.refresh_from_db()
    assert record.status == "pagar"
    assert not AdoptionRecord.objects.filter(unit=org_tree.hc1b).exists()


def test_a_cell_saved_first_by_someone_else_is_a_conflict_in_english_too(
    vc: User, strategist: User, org_tree: OrgTree, teamrond: WorkingMethod
) -> None:
    # The grid is read while the cell is empty; the strategist saves it before the VC does.
    data = cell(org_tree.hc1a.pk, teamrond.pk, status="pagar")
    sections = grid_services.adoption_grid_cells(
        unit=org_tree.vo1, data=data, form_class=AdoptionCellForm, user=vc
    )
    first = services.adoption_record_create(
        user=strategist, unit=org_tree.hc1a, working_method=teamrond, status="planerad"
    )

    with translation.override("en"):
        result = grid_services.adoption_grid_save(user=vc, sections=sections)

    key = f"c{org_tree.hc1a.pk}m{teamrond.pk}"
    assert (result.saved, result.errors) == (0, {})
    assert result.conflicts == {key: first}
    assert AdoptionRecord.objects.get().status == "planerad"


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


# --- review finding 8: another organisation's working methods ---------------------------------


@pytest.fixture
def two_regions(org_tree: OrgTree) -> dict[str, WorkingMethod]:
    """Region A (the org tree's, the VC's) and Region B, each with a phase and a method for
    health centres, and one method of a phase of no organisation (everyone's)."""
    hc = org_tree.hc1a.kind
    region_b = UnitFactory(code="REGB", name="Region B", kind=org_tree.region.kind)
    methods = {}
    for key, organisation in (("a", org_tree.region), ("b", region_b), ("all", None)):
        phase = PhaseFactory(code=f"fas-{key}", name=f"Fas {key}", organisation_unit=organisation)
        area = ProgrammeAreaFactory(phase=phase, number=1, name=f"Teamarbete {key}")
        methods[key] = WorkingMethodFactory(
            programme_area=area, name=f"Teamrond {key}", target_unit_kinds=[hc]
        )
    return methods


def test_vc_records_adoption_of_another_organisations_method(
    vc: User, org_tree: OrgTree, two_regions: dict[str, WorkingMethod]
) -> None:
    client = login(vc)
    page = client.get(grid_url(org_tree)).content.decode()

    response = client.post(
        grid_url(org_tree),
        {
            **cell(org_tree.hc1a.pk, two_regions["b"].pk, status="planerad"),
            **cell(
                org_tree.hc1b.pk, two_regions["a"].pk, status="planerad", planned_date="2026-06-01"
            ),
            **cell(org_tree.hc1b.pk, two_regions["all"].pk, status="pagar"),
        },
        **HTMX,
    )

    assert "Teamrond a" in page
    assert "Teamrond all" in page
    assert "Teamrond b" not in page
    assert response.status_code == 200
    assert set(AdoptionRecord.objects.values_list("unit", "working_method", "status")) == {
        (org_tree.hc1b.pk, two_regions["a"].pk, "planerad"),
        (org_tree.hc1b.pk, two_regions["all"].pk, "pagar"),
    }


@pytest.mark.parametrize("role", ["strategist", "vc", "vec"])
def test_no_entry_pairs_a_unit_with_another_organisations_method(
    org_tree: OrgTree,
    two_regions: dict[str, WorkingMethod],
    request: pytest.FixtureRequest,
    role: str,
) -> None:
    user = request.getfixturevalue(role)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    message = (
        "Arbetssättet Teamrond b hör till Region B, men Hälsocentral Norrby gör det inte. "
        "Välj ett arbetssätt i enhetens organisation."
    )
    own = AdoptionRecordFactory(unit=org_tree.hc1a, working_method=two_regions["a"])

    with pytest.raises(ValidationError) as created:
        services.adoption_record_create(
            user=user, unit=org_tree.hc1a, working_method=two_regions["b"]
        )
    with pytest.raises(ValidationError) as moved:
        services.adoption_record_update(
            user=user, record=own, data={"working_method": two_regions["b"]}
        )
    added = admin_post(
        login(user),
        "/admin/goals/adoptionrecord/add/",
        unit=org_tree.hc1a.pk,
        working_method=two_regions["b"].pk,
        status="planerad",
    )

    assert created.value.message_dict == {"working_method": [message]}
    assert moved.value.message_dict == {"working_method": [message]}
    # A VC's and VEC's add form does not offer Region B's method at all (posted by hand, it is
    # not one of the choices); the strategist's offers every organisation's (any unit).
    refusal = message if role == "strategist" else str(ERROR_METHOD_NOT_OFFERED)
    assert form_errors(added) == [refusal]
    assert list(AdoptionRecord.objects.values_list("working_method", flat=True)) == [
        two_regions["a"].pk
    ]


def _offered_methods(page: Any) -> set[str]:
    field = page.context["adminform"].form.fields["working_method"]
    # "Teamrond a (PO 1, Region Testland)": the method's name before its area's label.
    return {str(label).split(" (")[0] for value, label in field.choices if value}


@pytest.mark.parametrize("role", ["strategist", "admin_user", "vc", "vec"])
def test_the_admin_offers_only_the_units_organisations_working_methods(
    org_tree: OrgTree,
    two_regions: dict[str, WorkingMethod],
    request: pytest.FixtureRequest,
    role: str,
) -> None:
    user = request.getfixturevalue(role)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client = login(user)
    record = AdoptionRecordFactory(unit=org_tree.hc1a, working_method=two_regions["a"])
    old_pair = AdoptionRecordFactory(unit=org_tree.hc1a, working_method=two_regions["b"])
    first = record.history.first()
    record.comment = "Ändrad"
    record.save()

    add = client.get("/admin/goals/adoptionrecord/add/")
    change = client.get(f"/admin/goals/adoptionrecord/{record.pk}/change/")
    history = client.get(f"/admin/goals/adoptionrecord/{record.pk}/history/{first.history_id}/")
    kept = client.get(f"/admin/goals/adoptionrecord/{old_pair.pk}/change/")

    # Every organisation's for those who write about every unit (which unit is not yet
    # known); the own organisation's and everyone's where the unit or the user's units say.
    every = {"Teamrond a", "Teamrond b", "Teamrond all"}
    own = {"Teamrond a", "Teamrond all"}
    assert _offered_methods(add) == (every if role in ("strategist", "admin_user") else own)
    assert _offered_methods(change) == own
    assert _offered_methods(history) == own
    # A pair saved before the organisation check keeps its method on offer.
    assert _offered_methods(kept) == every


def test_a_pair_saved_before_the_check_can_still_be_changed(
    vc: User, org_tree: OrgTree, two_regions: dict[str, WorkingMethod]
) -> None:
    old = AdoptionRecordFactory(unit=org_tree.hc1a, working_method=two_regions["b"])

    services.adoption_record_update(user=vc, record=old, data={"comment": "Sparat före."})

    old.refresh_from_db()
    assert old.comment == "Sparat före."


def _dashboard_methods(page: str) -> list[str]:
    """The column heads of the unit dashboard's adoption table ("Införande per …: status per
    arbetssätt, <unit>")."""
    table = page.split(": status per arbetssätt,")[1].split("</thead>")[0]
    heads = [part.split("</th>")[0] for part in table.split('<th scope="col">')[1:]]
    return heads[1:]  # after "Enhet"


def test_the_dashboard_shows_the_methods_the_grid_offers_with_or_without_records(
    vc: User, org_tree: OrgTree, two_regions: dict[str, WorkingMethod]
) -> None:
    # Only one method has a record; the other one of the region and everyone's have none.
    AdoptionRecordFactory(unit=org_tree.hc1a, working_method=two_regions["a"], status="pagar")
    client = login(vc)

    grid = client.get(grid_url(org_tree)).content.decode()
    dashboard = client.get(reverse("unit_detail", kwargs={"code": org_tree.vo1.code}))
    page = dashboard.content.decode()

    assert "Teamrond all" in grid
    assert "Teamrond a" in grid
    assert _dashboard_methods(page) == ["Teamrond a", "Teamrond all"]
    assert "Teamrond b" not in page  # Region B's, as in the grid
    assert page.count("Ingen uppgift") == 3  # the cells without a record, not left out


def test_each_date_input_says_the_format_and_a_typed_swedish_date_is_saved(
    vc: User, org_tree: OrgTree, teamrond: WorkingMethod
) -> None:
    client = login(vc)
    page = client.get(grid_url(org_tree)).content.decode()
    data = {
        **cell(org_tree.hc1a.pk, teamrond.pk, status="infort", actual_date="2026-03-31"),
        **cell(org_tree.hc1b.pk, teamrond.pk, status="planerad", planned_date=" 2027-01-15 "),
    }
    response = client.post(grid_url(org_tree), data)

    for unit in (org_tree.hc1a, org_tree.hc1b):
        for name in ("planned_date", "actual_date"):
            field_id = f"id_c{unit.pk}m{teamrond.pk}-{name}"
            assert f'aria-describedby="{field_id}_helptext"' in page
            assert f'id="{field_id}_helptext">ÅÅÅÅ-MM-DD, t.ex. 2026-03-31<' in page
    assert response.status_code == 302
    records = {r.unit_id: r for r in AdoptionRecord.objects.all()}
    assert records[org_tree.hc1a.pk].actual_date == datetime.date(2026, 3, 31)
    assert records[org_tree.hc1b.pk].planned_date == datetime.date(2027, 1, 15)


# --- a cell without a record: "– Ingen uppgift –" ---------------------------------------------


def _status_select(page: str, key: str) -> str:
    return page.split(f'id="id_{key}-status"')[1].split("</select>")[0]


def test_a_cell_without_a_record_starts_on_ingen_uppgift_and_a_record_has_no_such_choice(
    vc: User, org_tree: OrgTree, teamrond: WorkingMethod
) -> None:
    AdoptionRecordFactory(unit=org_tree.hc1a, working_method=teamrond, status="pagar")

    page = login(vc).get(grid_url(org_tree)).content.decode()

    empty = _status_select(page, f"c{org_tree.hc1b.pk}m{teamrond.pk}")
    assert re.search(
        r'<option value="" selected>– Ingen uppgift –</option>\s*<option value="ej_paborjad">',
        empty,
    )
    stored = _status_select(page, f"c{org_tree.hc1a.pk}m{teamrond.pk}")
    assert "Ingen uppgift" not in stored
    assert '<option value="pagar" selected>' in stored


def test_a_cell_left_on_ingen_uppgift_stores_no_record_and_no_history(
    vc: User, org_tree: OrgTree, teamrond: WorkingMethod
) -> None:
    data = {
        **cell(org_tree.hc1a.pk, teamrond.pk, status="pagar"),
        **cell(org_tree.hc1b.pk, teamrond.pk),  # "– Ingen uppgift –", nothing typed
    }
    response = login(vc).post(grid_url(org_tree), data, **HTMX)

    assert response.status_code == 200
    assert "1 ändring är sparad." in response.content.decode()
    assert list(AdoptionRecord.objects.values_list("unit_id", flat=True)) == [org_tree.hc1a.pk]
    assert AdoptionRecord.history.count() == 1


def test_ej_paborjad_chosen_for_a_cell_without_a_record_is_saved(
    vc: User, org_tree: OrgTree, teamrond: WorkingMethod
) -> None:
    data = cell(org_tree.hc1b.pk, teamrond.pk, status="ej_paborjad")
    response = login(vc).post(grid_url(org_tree), data, **HTMX)

    assert "1 ändring är sparad." in response.content.decode()
    assert AdoptionRecord.objects.get().status == "ej_paborjad"


def test_a_comment_without_a_status_is_refused_and_nothing_is_saved(
    vc: User, org_tree: OrgTree, teamrond: WorkingMethod
) -> None:
    data = {
        **cell(org_tree.hc1a.pk, teamrond.pk, status="pagar"),
        **cell(org_tree.hc1b.pk, teamrond.pk, comment="Startar i vår."),
    }
    response = login(vc).post(grid_url(org_tree), data, **HTMX)

    assert response.status_code == 422
    body = response.content.decode()
    assert "Välj en status för att spara uppgifterna i cellen." in body
    assert f'href="#id_c{org_tree.hc1b.pk}m{teamrond.pk}-status"' in body
    assert not AdoptionRecord.objects.exists()


def test_ingen_uppgift_is_refused_for_a_stored_record(
    vc: User, org_tree: OrgTree, teamrond: WorkingMethod
) -> None:
    record = AdoptionRecordFactory(unit=org_tree.hc1a, working_method=teamrond, status="pagar")
    data = {
        **cell(org_tree.hc1a.pk, teamrond.pk, status="", version=record.version),
        **cell(org_tree.hc1b.pk, teamrond.pk, status="pagar"),
    }
    response = login(vc).post(grid_url(org_tree), data, **HTMX)

    assert response.status_code == 422
    assert "En sparad status kan inte tas bort här; välj en status." in response.content.decode()
    record.refresh_from_db()
    assert (record.status, record.version) == ("pagar", 1)
    assert AdoptionRecord.objects.count() == 1


def test_a_record_stored_since_is_kept_when_the_users_cell_was_left_empty(
    vc: User, strategist: User, org_tree: OrgTree, teamrond: WorkingMethod
) -> None:
    """The user's grid showed no record (version 0); the strategist stores one meanwhile. Left
    on "– Ingen uppgift –" the cell is no change of the user's: the other cells are saved, the
    record stays. A status set there is the user's conflict, saved when sent again."""
    first = services.adoption_record_create(
        user=strategist, unit=org_tree.hc1a, working_method=teamrond, status="planerad"
    )
    client = login(vc)
    data = {
        **cell(org_tree.hc1a.pk, teamrond.pk),
        **cell(org_tree.hc1b.pk, teamrond.pk, status="pagar"),
    }
    response = client.post(grid_url(org_tree), data, **HTMX)
    assert response.status_code == 200
    assert "1 ändring är sparad." in response.content.decode()
    first.refresh_from_db()
    assert (first.status, first.version) == ("planerad", 1)

    mine = cell(org_tree.hc1a.pk, teamrond.pk, status="pagar")
    conflict = client.post(grid_url(org_tree), mine, **HTMX)
    assert conflict.status_code == 409
    first.refresh_from_db()
    assert first.status == "planerad"
    again = {**mine, f"c{org_tree.hc1a.pk}m{teamrond.pk}-overwrite": first.version}
    assert client.post(grid_url(org_tree), again, **HTMX).status_code == 200
    first.refresh_from_db()
    assert first.status == "pagar"
