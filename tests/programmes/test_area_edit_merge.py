"""Two people editing "Redigera programområdet" from the same version: the save is merged like
every other editing page's (base.editing.versioned_save). A field only the other changed
keeps their value, the delivery owners and the supporting processes each as a whole; only a
field both changed differently is a conflict, and a form sent unchanged writes nothing.

Before, any save since the form was opened was a conflict on every field that differed, so
"Spara mina ändringar" wrote the old description back over the other person's.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from organisation.models import Role
from programmes.models import ProgrammeArea, ProgrammeAreaProcess
from tests.factories import SupportingProcessFactory, UserFactory

pytestmark = pytest.mark.django_db


def url(area: ProgrammeArea) -> str:
    return f"/redigera/programomrade/{area.pk}/uppgifter/"


def opened(area: ProgrammeArea) -> dict[str, Any]:
    """The form as a person opens it: the stored values and version."""
    area.refresh_from_db()
    values: dict[str, Any] = {
        "version": area.version,
        "description": area.description,
        "delivery_owners": [str(u.pk) for u in area.delivery_owners.all()],
        "supporting_processes": [str(p.pk) for p in area.supporting_processes.all()],
    }
    if area.requests_activity_plans:  # as the strategist's form sends its ticked box
        values["requests_activity_plans"] = "on"
    return values


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def anna(db: None) -> User:
    """Person A: the strategist, by name."""
    return UserFactory(
        username="anna", first_name="Anna", last_name="Strateg", role=Role.STRATEGIST
    )


@pytest.fixture
def sara(db: None) -> User:
    return UserFactory(
        username="sara", first_name="Sara", last_name="Provberg", role=Role.STEERING_GROUP
    )


@pytest.fixture
def olle(db: None) -> User:
    return UserFactory(username="olle", first_name="Olle", last_name="Ek", role=Role.STEERING_GROUP)


@pytest.fixture
def area(programme_area: ProgrammeArea, sara: User) -> ProgrammeArea:
    """PO 1 with a description and Sara as its delivery owner, saved through the page."""
    client = login(UserFactory(username="strateg0", role=Role.STRATEGIST))
    data = {**opened(programme_area), "description": "Gammal text.", "delivery_owners": [sara.pk]}
    assert client.post(url(programme_area), data).status_code == 302
    programme_area.refresh_from_db()
    return programme_area


def test_a_changes_the_description_b_the_delivery_owners_and_both_are_kept(
    anna: User, programme_owner: User, olle: User, area: ProgrammeArea
) -> None:
    form = opened(area)
    assert login(anna).post(url(area), {**form, "description": "Annas text."}).status_code == 302

    response = login(programme_owner).post(
        url(area), {**form, "delivery_owners": [str(olle.pk)]}, follow=True
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "Någon annan hann före" not in body
    assert "Ändringarna är sparade." in body
    assert "Anna Strateg hade under tiden ändrat ”Beskrivning”" in body
    area.refresh_from_db()
    assert area.description == "Annas text."
    assert list(area.delivery_owners.all()) == [olle]


def test_a_changes_the_owners_and_processes_b_the_description_and_all_is_kept(
    anna: User, programme_owner: User, olle: User, area: ProgrammeArea
) -> None:
    """The other way round: the form's owners and processes are what the older version had
    (read from the history), so B's unchanged lists do not undo A's."""
    cosmic = SupportingProcessFactory(name="Cosmic")
    form = opened(area)
    theirs = {**form, "delivery_owners": [str(olle.pk)], "supporting_processes": [str(cosmic.pk)]}
    assert login(anna).post(url(area), theirs).status_code == 302

    response = login(programme_owner).post(
        url(area), {**form, "description": "Ägarens text."}, follow=True
    )

    body = response.content.decode()
    assert "Någon annan hann före" not in body
    assert "Anna Strateg hade under tiden ändrat" in body
    assert "”Leveransansvariga”" in body
    assert "”Stödjande processer”" in body
    area.refresh_from_db()
    assert area.description == "Ägarens text."
    assert list(area.delivery_owners.all()) == [olle]
    assert list(area.supporting_processes.all()) == [cosmic]
    assert ProgrammeAreaProcess.objects.get(programme_area=area).history.count() == 1


def test_both_change_the_description_differently_and_b_sees_a_and_may_overwrite(
    anna: User, programme_owner: User, olle: User, area: ProgrammeArea
) -> None:
    form = opened(area)
    assert login(anna).post(url(area), {**form, "description": "Annas text."}).status_code == 302
    b = login(programme_owner)
    mine = {**form, "description": "Ägarens text.", "delivery_owners": [str(olle.pk)]}

    response = b.post(url(area), mine)

    assert response.status_code == 409
    body = response.content.decode()
    assert "Någon annan hann före" in body
    assert "Anna Strateg sparade ändringar" in body
    assert "Sparat av Anna Strateg" in body
    # B's text stays in the form; the table names only the field both changed.
    assert re.search(r"<textarea name=\"description\"[^>]*>\s*Ägarens text.</textarea>", body)
    assert '<th scope="row">Beskrivning</th>' in body
    assert '<th scope="row">Leveransansvariga</th>' not in body
    area.refresh_from_db()
    assert area.description == "Annas text."
    assert "Ta deras värden" in body

    stored = area.version
    response = b.post(
        url(area), {**mine, "keep_mine": "1", "overwrite_version": str(stored)}, follow=True
    )

    assert "Ändringarna är sparade." in response.content.decode()
    area.refresh_from_db()
    assert area.description == "Ägarens text."
    assert list(area.delivery_owners.all()) == [olle]
    assert area.history.order_by("-history_date", "-history_id")[0].history_user == programme_owner


def test_both_change_the_delivery_owners_differently_and_the_conflict_names_people(
    anna: User, programme_owner: User, olle: User, area: ProgrammeArea
) -> None:
    form = opened(area)
    assert login(anna).post(url(area), {**form, "delivery_owners": []}).status_code == 302

    response = login(programme_owner).post(url(area), {**form, "delivery_owners": [str(olle.pk)]})

    assert response.status_code == 409
    body = response.content.decode()
    assert '<th scope="row">Leveransansvariga</th><td>Olle Ek</td><td>–</td>' in body
    area.refresh_from_db()
    assert list(area.delivery_owners.all()) == []


def test_an_unchanged_form_saves_nothing(programme_owner: User, area: ProgrammeArea) -> None:
    records = area.history.count()
    version = area.version

    response = login(programme_owner).post(url(area), opened(area), follow=True)

    assert response.status_code == 200
    assert "Inga ändringar att spara." in response.content.decode()
    area.refresh_from_db()
    assert area.version == version
    assert area.history.count() == records


def test_the_same_change_sent_twice_is_saved_once(
    programme_owner: User, area: ProgrammeArea
) -> None:
    client = login(programme_owner)
    data = {**opened(area), "description": "En gång."}
    assert client.post(url(area), data).status_code == 302
    records = area.history.count()

    response = client.post(url(area), data, follow=True)

    assert "Inget ändrades: värdena var redan sparade." in response.content.decode()
    assert area.history.count() == records
