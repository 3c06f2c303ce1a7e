"""A working method's name is unique in its programme area (upper and lower case alike), through
every entry (the page, the admin, the services, the data set and load_demo, the database), and a
method nothing uses can be deleted from the page by those who own the area, and only by them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from programmes import services
from programmes.models import ProgrammeArea, WorkingMethod
from tests.admin_forms import admin_post, form_errors
from tests.factories import (
    AdoptionRecordFactory,
    GoalFactory,
    OrgTree,
    UnitKindFactory,
    WorkingMethodFactory,
)

pytestmark = pytest.mark.django_db

TAKEN = (
    "Programområdet har redan ett arbetssätt som heter ”Teamrond”. Välj ett annat namn, eller "
    "ändra det befintliga arbetssättet."
)


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def teamrond(programme_area: ProgrammeArea) -> WorkingMethod:
    return WorkingMethodFactory(name="Teamrond", programme_area=programme_area)


def _form(name: str, **extra: object) -> dict[str, object]:
    return {"name": name, "description": "", "direction": "infora", **extra}


# --- one name per area ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Teamrond", "teamrond", "  TEAMROND ", "TeamRond"])
def test_the_page_refuses_a_second_method_of_the_same_name_in_the_area(
    strategist: User, programme_area: ProgrammeArea, teamrond: WorkingMethod, name: str
) -> None:
    url = reverse("programmes:working_method_create", args=[programme_area.pk])

    response = login(strategist).post(url, _form(name))

    assert response.status_code == 422
    assert TAKEN in response.content.decode()
    assert "Arbetssättet är skapat." not in response.content.decode()
    assert list(WorkingMethod.objects.values_list("name", flat=True)) == ["Teamrond"]


def test_renaming_a_method_to_a_name_the_area_has_is_refused_but_its_own_case_may_change(
    programme_owner: User, programme_area: ProgrammeArea, teamrond: WorkingMethod
) -> None:
    other = WorkingMethodFactory(name="Veckomöte", programme_area=programme_area)
    client = login(programme_owner)
    url = reverse("programmes:working_method_edit", args=[programme_area.pk, other.pk])

    refused = client.post(url, _form("TEAMROND", version=other.version))
    renamed = client.post(
        reverse("programmes:working_method_edit", args=[programme_area.pk, teamrond.pk]),
        _form("TeamRond", version=teamrond.version),
    )

    assert refused.status_code == 422
    assert TAKEN in refused.content.decode()
    # The heading names the method as it is stored, not the refused name.
    assert "<h1>Redigera arbetssätt: Veckomöte</h1>" in refused.content.decode()
    other.refresh_from_db()
    assert other.name == "Veckomöte"
    assert renamed.status_code == 302
    teamrond.refresh_from_db()
    assert teamrond.name == "TeamRond"


def test_another_area_may_have_a_method_of_the_same_name(
    strategist: User, other_programme_area: ProgrammeArea, teamrond: WorkingMethod
) -> None:
    url = reverse("programmes:working_method_create", args=[other_programme_area.pk])

    response = login(strategist).post(url, _form("Teamrond"))

    assert response.status_code == 302
    assert WorkingMethod.objects.filter(name="Teamrond").count() == 2


def test_the_admin_refuses_the_same_name_in_the_area(
    strategist: User, programme_area: ProgrammeArea, teamrond: WorkingMethod
) -> None:
    client = login(strategist)

    response = admin_post(
        client,
        "/admin/programmes/workingmethod/add/",
        code="teamrond-2",
        name="teamrond",
        programme_area=programme_area.pk,
        direction="infora",
        provenance="plan",
    )

    assert response.status_code == 200
    assert TAKEN in form_errors(response)
    assert WorkingMethod.objects.count() == 1


def test_the_service_and_the_database_refuse_it_too(
    strategist: User, programme_area: ProgrammeArea, teamrond: WorkingMethod
) -> None:
    with pytest.raises(ValidationError) as refusal:
        services.working_method_create(
            user=strategist,
            method=WorkingMethod(code="teamrond-2", name="TEAMROND", programme_area=programme_area),
        )
    assert refusal.value.message_dict == {"name": [TAKEN]}

    # Past every check (a bulk write, a script): the database's constraint holds.
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkingMethod.objects.create(
            code="teamrond-3", name="TeamRond", programme_area=programme_area
        )
    assert WorkingMethod.objects.count() == 1


def test_load_demo_refuses_a_data_set_with_the_same_name_twice_in_an_area(tmp_path: Path) -> None:
    edited = tmp_path / "gavleborg"
    shutil.copytree(Path(settings.BASE_DIR) / "data" / "gavleborg", edited)
    plan = edited / "plan.toml"
    plan.write_text(
        plan.read_text(encoding="utf-8")
        + '\n[[working_methods]]\ncode = "teamrond-igen"\nname = "TEAMROND"\n'
        'programme_area = 1\nprovenance = "plan"\n',
        encoding="utf-8",
    )

    with pytest.raises(CommandError) as refusal:
        call_command("load_demo", "--dataset", str(edited), "--dry-run", "--plan-only")

    assert TAKEN in str(refusal.value)
    assert not WorkingMethod.objects.filter(code="teamrond-igen").exists()


# --- deleting a method nothing uses --------------------------------------------------------------


def _delete_url(method: WorkingMethod) -> str:
    return reverse("programmes:working_method_delete", args=[method.programme_area_id, method.pk])


@pytest.mark.parametrize("role", ["strategist", "programme_owner"])
def test_the_areas_owner_deletes_an_unused_method_after_confirming_and_history_keeps_it(
    request: pytest.FixtureRequest, role: str, teamrond: WorkingMethod
) -> None:
    user: User = request.getfixturevalue(role)
    client = login(user)
    listing = client.get(reverse("programmes:working_methods", args=[teamrond.programme_area_id]))
    assert _delete_url(teamrond) in listing.content.decode()

    confirm = client.get(_delete_url(teamrond))
    assert confirm.status_code == 200
    assert "Ta bort ”Teamrond”?" in confirm.content.decode()
    assert WorkingMethod.objects.filter(pk=teamrond.pk).exists()  # asking deletes nothing

    response = client.post(_delete_url(teamrond), follow=True)

    assert response.redirect_chain[-1][0].endswith(
        reverse("programmes:working_methods", args=[teamrond.programme_area_id])
    )
    assert "Arbetssättet ”Teamrond” är borttaget." in response.content.decode()
    assert not WorkingMethod.objects.filter(pk=teamrond.pk).exists()
    deleted = WorkingMethod.history.filter(id=teamrond.pk).latest()
    assert (deleted.history_type, deleted.history_user) == ("-", user)


def test_a_method_a_goal_uses_is_not_deleted_and_the_page_says_why(
    strategist: User, teamrond: WorkingMethod
) -> None:
    GoalFactory(adoption=True, programme_area=teamrond.programme_area, working_method=teamrond)
    client = login(strategist)

    page = client.get(_delete_url(teamrond))
    forged = client.post(_delete_url(teamrond))

    assert "”Teamrond” kan inte tas bort" in page.content.decode()
    assert "1 mål" in page.content.decode()
    assert ">Ta bort</button>" not in page.content.decode()
    assert forged.status_code == 409
    assert (
        "”Teamrond” används och kan inte tas bort: 1 mål. Ta bort dem eller byt arbetssätt på dem "
        "först, eller behåll arbetssättet."
    ) in forged.content.decode()
    assert WorkingMethod.objects.filter(pk=teamrond.pk).exists()


def test_a_method_with_adoption_records_is_not_deleted(
    strategist: User, teamrond: WorkingMethod, org_tree: OrgTree
) -> None:
    AdoptionRecordFactory(unit=org_tree.hc1a, working_method=teamrond)
    AdoptionRecordFactory(unit=org_tree.hc1b, working_method=teamrond)

    response = login(strategist).post(_delete_url(teamrond))

    assert response.status_code == 409
    assert "2 registreringar av införandestatus" in response.content.decode()
    assert WorkingMethod.objects.filter(pk=teamrond.pk).exists()


@pytest.mark.parametrize(
    "role", ["vc", "vec", "portfolio_owner", "steering_member", "no_role_user"]
)
def test_roles_without_the_area_cannot_delete_a_method(
    request: pytest.FixtureRequest, role: str, teamrond: WorkingMethod
) -> None:
    client = login(request.getfixturevalue(role))

    assert client.get(_delete_url(teamrond)).status_code == 403
    assert client.post(_delete_url(teamrond)).status_code == 403
    assert WorkingMethod.objects.filter(pk=teamrond.pk).exists()


def test_the_owner_of_another_area_cannot_delete_its_method(
    programme_owner: User, other_programme_area: ProgrammeArea
) -> None:
    theirs = WorkingMethodFactory(name="Riskbedömning", programme_area=other_programme_area)
    client = login(programme_owner)

    assert client.post(_delete_url(theirs)).status_code == 403
    # Forged through the own area's address: the method is not found there.
    own_area_id = programme_owner.role_assignments.get().programme_area_id
    forged = reverse("programmes:working_method_delete", args=[own_area_id, theirs.pk])
    assert client.post(forged).status_code == 404
    with pytest.raises(PermissionDenied):
        services.working_method_delete(user=programme_owner, method=theirs)
    assert WorkingMethod.objects.filter(pk=theirs.pk).exists()


def test_someone_not_logged_in_is_sent_to_log_in(client: Client, teamrond: WorkingMethod) -> None:
    response = client.post(_delete_url(teamrond))

    assert response.status_code == 302
    assert "logga-in" in response["Location"] or "login" in response["Location"]
    assert WorkingMethod.objects.filter(pk=teamrond.pk).exists()


def test_the_admin_refuses_to_delete_a_method_in_use_saying_why(
    strategist: User, teamrond: WorkingMethod
) -> None:
    GoalFactory(adoption=True, programme_area=teamrond.programme_area, working_method=teamrond)
    client = login(strategist)
    url = f"/admin/programmes/workingmethod/{teamrond.pk}/delete/"

    response = client.post(url, {"post": "yes"}, follow=True)

    assert "”Teamrond” används och kan inte tas bort: 1 mål." in response.content.decode()
    assert WorkingMethod.objects.filter(pk=teamrond.pk).exists()


def test_the_admin_offers_target_unit_kinds_as_checkboxes_in_plain_swedish(
    strategist: User, teamrond: WorkingMethod
) -> None:
    UnitKindFactory(code="hc", name="Hälsocentral")
    content = (
        login(strategist)
        .get(f"/admin/programmes/workingmethod/{teamrond.pk}/change/")
        .content.decode()
    )

    assert 'type="checkbox" name="target_unit_kinds"' in content
    assert "Hälsocentral</label>" in content
    assert "Välj vald" not in content  # Django's two-list widget's labels
