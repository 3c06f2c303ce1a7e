"""Editing a programme area in the app ("Redigera programområdet"): its description, delivery
owners and supporting processes, by its programme owner or the strategist, checked on the
server, versioned and in the history.

Before, only the admin could edit them, and the programme owner could not open the admin's
area at all, though the area is theirs to edit (DOMAIN.md).
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from organisation.models import Role
from programmes.models import ProgrammeArea, ProgrammeAreaProcess
from tests.factories import SupportingProcessFactory, UserFactory

pytestmark = pytest.mark.django_db


def url(area: ProgrammeArea) -> str:
    return f"/redigera/programomrade/{area.pk}/uppgifter/"


@pytest.fixture
def sara(db: None) -> User:
    return UserFactory(
        username="sara", first_name="Sara", last_name="Provberg", role=Role.STEERING_GROUP
    )


def post(client: Client, area: ProgrammeArea, **data: object) -> object:
    area.refresh_from_db()
    values: dict[str, object] = {
        "version": area.version,
        "description": area.description,
        "delivery_owners": [str(u.pk) for u in area.delivery_owners.all()],
        "supporting_processes": [str(p.pk) for p in area.supporting_processes.all()],
    }
    if area.requests_activity_plans:  # as the strategist's form sends its ticked box
        values["requests_activity_plans"] = "on"
    values.update(data)
    return client.post(url(area), values)


def test_the_programme_owner_edits_their_own_area_and_it_is_in_the_history(
    client: Client, programme_owner: User, programme_area: ProgrammeArea, sara: User
) -> None:
    cosmic = SupportingProcessFactory(name="Cosmic")
    client.force_login(programme_owner)

    page = client.get(url(programme_area))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Redigera programområdet" in html
    assert "Sara Provberg (sara)" in html

    response = post(
        client,
        programme_area,
        description="Teamrond på alla hälsocentraler.",
        delivery_owners=[str(sara.pk)],
        supporting_processes=[str(cosmic.pk)],
        next="/programomraden/1/",
    )

    assert response.status_code == 302
    assert response["Location"] == "/programomraden/1/"
    programme_area.refresh_from_db()
    assert programme_area.description == "Teamrond på alla hälsocentraler."
    assert list(programme_area.delivery_owners.all()) == [sara]
    link = ProgrammeAreaProcess.objects.get(programme_area=programme_area)
    assert link.supporting_process == cosmic
    assert link.history.get().history_user == programme_owner
    latest = programme_area.history.order_by("-history_id").first()
    assert latest.history_user == programme_owner
    history = client.get(url(programme_area)).content.decode()
    assert "Teamrond på alla hälsocentraler." in history
    assert "Leveransansvariga" in history
    assert "Sara Provberg" in history


def test_the_strategist_edits_any_area(
    client: Client, strategist: User, other_programme_area: ProgrammeArea
) -> None:
    client.force_login(strategist)

    response = post(client, other_programme_area, description="Förebyggande arbete.")

    assert response.status_code == 302
    other_programme_area.refresh_from_db()
    assert other_programme_area.description == "Förebyggande arbete."
    assert other_programme_area.history.order_by("-history_id")[0].history_user == strategist


@pytest.mark.parametrize("who", ["programme_owner", "vc", "steering_member", "vec"])
def test_others_may_not_open_or_save_the_area(
    request: pytest.FixtureRequest,
    client: Client,
    who: str,
    programme_area: ProgrammeArea,
    other_programme_area: ProgrammeArea,
) -> None:
    user = request.getfixturevalue(who)
    # The programme owner owns PO 1, not PO 2; the others own no area.
    area = other_programme_area if who == "programme_owner" else programme_area
    client.force_login(user)

    assert client.get(url(area)).status_code == 403
    assert post(client, area, description="Inte min.").status_code == 403
    area.refresh_from_db()
    assert area.description != "Inte min."


def test_a_save_from_an_older_version_is_refused_with_both_values(
    client: Client, strategist: User, programme_owner: User, programme_area: ProgrammeArea
) -> None:
    client.force_login(programme_owner)
    programme_area.refresh_from_db()
    opened = programme_area.version
    other = Client()
    other.force_login(strategist)
    assert post(other, programme_area, description="Strategens text.").status_code == 302

    response = client.post(
        url(programme_area),
        {
            "version": opened,
            "description": "Min text.",
            "delivery_owners": [],
            "supporting_processes": [],
        },
    )

    assert response.status_code == 409
    text = response.content.decode()
    assert "Någon annan hann före" in text
    assert "Strategens text." in text
    assert "Min text." in text
    programme_area.refresh_from_db()
    assert programme_area.description == "Strategens text."


def test_the_area_page_and_the_goals_page_link_to_it_for_those_who_may_edit(
    client: Client, programme_owner: User, steering_member: User, programme_area: ProgrammeArea
) -> None:
    client.force_login(programme_owner)
    for page in ("/programomraden/1/", f"/redigera/programomrade/{programme_area.pk}/"):
        html = client.get(page).content.decode()
        assert "Redigera programområdet" in html, page
        assert url(programme_area) in html, page

    client.force_login(steering_member)
    assert "Redigera programområdet" not in client.get("/programomraden/1/").content.decode()


def test_the_checkbox_groups_are_fieldsets_named_by_a_legend_and_errors_lead_to_the_first_box(
    client: Client, strategist: User, programme_area: ProgrammeArea, sara: User
) -> None:
    """A group of checkboxes has no one input for a <label for> (Django's id_for_label is
    empty): "Leveransansvariga" is the group's legend, its help and error are the fieldset's
    description, and the error summary's link leads to the first box, not to "#"."""
    client.force_login(strategist)
    html = client.get(url(programme_area)).content.decode()
    assert 'for=""' not in html
    assert "<legend>Leveransansvariga" in html
    assert "<legend>Stödjande processer" in html

    response = post(client, programme_area, delivery_owners=["999999"])
    assert response.status_code in (200, 422)
    html = response.content.decode()
    assert 'href="#"' not in html
    assert 'href="#id_delivery_owners_0"' in html
    assert 'id="id_delivery_owners_0"' in html
    assert 'aria-describedby="id_delivery_owners_error"' in html or (
        'id_delivery_owners_helptext id_delivery_owners_error"' in html
    )
