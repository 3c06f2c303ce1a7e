"""A programme area's supporting processes in its history: shown on the page and in the
admin, and restored by the admin's revert (with the delivery owners).

Before, ticking "Cosmic" on the area's page left no history line, the admin's history had a
row with nothing under "Ändringar", and reverting to the version before left Cosmic ticked.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from organisation.models import Role
from programmes.models import ProgrammeArea, ProgrammeAreaProcess, record_process_links
from tests.admin_forms import admin_form_data
from tests.factories import SupportingProcessFactory, UserFactory

pytestmark = pytest.mark.django_db


def page_url(area: ProgrammeArea) -> str:
    return f"/redigera/programomrade/{area.pk}/uppgifter/"


def text_of(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", html).replace("&rarr;", "→")
    return re.sub(r"\s+", " ", text)


def edit(client: Client, area: ProgrammeArea, **data: object) -> object:
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
    return client.post(page_url(area), values)


@pytest.fixture
def strategist_client(client: Client, strategist: User) -> Client:
    client.force_login(strategist)
    return client


def test_ticking_a_process_is_in_the_page_and_admin_history_with_who(
    strategist_client: Client, strategist: User, programme_area: ProgrammeArea
) -> None:
    strategist.first_name, strategist.last_name = "Stina", "Strateg"
    strategist.save()
    SupportingProcessFactory(name="Personcentrering")
    cosmic = SupportingProcessFactory(name="Cosmic")

    response = edit(strategist_client, programme_area, supporting_processes=[str(cosmic.pk)])

    assert response.status_code == 302
    latest = programme_area.history.latest()
    assert latest.history_user == strategist
    # One change, one record: the area's save took the links (no empty row before it).
    assert programme_area.history.count() == 2
    page = text_of(strategist_client.get(page_url(programme_area)).content.decode())
    # (the arrow is read out as "ändrat till")
    assert "Stödjande processer: – → ändrat till Cosmic" in page
    assert "Stina Strateg" in page
    admin = text_of(
        strategist_client.get(
            f"/admin/programmes/programmearea/{programme_area.pk}/history/"
        ).content.decode()
    )
    assert "Stödjande processer: – → Cosmic" in admin


def test_an_unchanged_set_of_links_writes_no_record(programme_area: ProgrammeArea) -> None:
    before = programme_area.history.count()

    assert record_process_links(programme_area) is False
    assert programme_area.history.count() == before


def test_the_admin_revert_restores_the_processes_and_the_owners(
    strategist_client: Client, strategist: User, programme_area: ProgrammeArea
) -> None:
    sara = UserFactory(username="sara", role=Role.STEERING_GROUP)
    olle = UserFactory(username="olle", role=Role.STEERING_GROUP)
    person = SupportingProcessFactory(name="Personcentrering")
    cosmic = SupportingProcessFactory(name="Cosmic")
    edit(
        strategist_client,
        programme_area,
        supporting_processes=[str(person.pk)],
        delivery_owners=[str(sara.pk)],
    )
    before = programme_area.history.latest()
    edit(
        strategist_client,
        programme_area,
        supporting_processes=[str(person.pk), str(cosmic.pk)],
        delivery_owners=[str(olle.pk)],
    )
    url = f"/admin/programmes/programmearea/{programme_area.pk}/history/{before.history_id}/"
    form = strategist_client.get(url)
    assert form.status_code == 200

    response = strategist_client.post(url, admin_form_data(form))

    assert response.status_code == 302, text_of(response.content.decode())[:2000]
    processes = ProgrammeAreaProcess.objects.filter(programme_area=programme_area)
    assert [link.supporting_process.name for link in processes] == ["Personcentrering"]
    assert list(programme_area.delivery_owners.all()) == [sara]
    admin = text_of(
        strategist_client.get(
            f"/admin/programmes/programmearea/{programme_area.pk}/history/"
        ).content.decode()
    )
    assert "Stödjande processer: Cosmic, Personcentrering → Personcentrering" in admin


def test_a_links_changed_provenance_says_what_changed_and_who_changed_it(
    strategist_client: Client,
    strategist: User,
    programme_owner: User,
    programme_area: ProgrammeArea,
) -> None:
    # Before, the history read "Stödjande processer: Cosmic → Cosmic", and only on the area's
    # next save (someone else's, here the programme owner's description).
    strategist.first_name, strategist.last_name = "Stina", "Strateg"
    strategist.save()
    cosmic = SupportingProcessFactory(name="Cosmic")
    ProgrammeAreaProcess.objects.create(
        programme_area=programme_area, supporting_process=cosmic, provenance="exempel"
    )
    record_process_links(programme_area)
    url = f"/admin/programmes/programmearea/{programme_area.pk}/change/"

    changed = strategist_client.post(
        url, admin_form_data(strategist_client.get(url), **{"process_links-0-provenance": "region"})
    )
    owner = Client()
    owner.force_login(programme_owner)
    assert edit(owner, programme_area, description="Ägarens beskrivning").status_code == 302

    assert changed.status_code == 302
    admin = text_of(strategist_client.get(url.replace("change", "history")).content.decode())
    page = text_of(strategist_client.get(page_url(programme_area)).content.decode())
    before = "Cosmic (ursprung: Exempel – fastställs av regionen)"
    after = "Cosmic (ursprung: Fastställd av regionen)"
    assert f"Stödjande processer: {before} → {after}" in admin
    assert f"Stödjande processer: {before} → ändrat till {after}" in page
    assert "Cosmic → Cosmic" not in admin
    assert "Cosmic → ändrat till Cosmic" not in page
    # Once, in the strategist's own line; the owner's later save changed the description only.
    assert page.count("Stödjande processer:") == 2  # this change, and the link's first record
    [record] = [
        r
        for r in programme_area.history.all()
        if r.history_user == strategist and r.history_type == "~"
    ]
    assert record.supporting_processes.get().provenance == "region"
    latest = programme_area.history.latest()
    assert (latest.history_user, latest.description) == (programme_owner, "Ägarens beskrivning")
    assert "Stina Strateg" in page


EXAMPLE_NOTE = "Exemplet antar att Cosmic används i hela vårdvalet."
DECIDED_NOTE = "Fastställd av styrgruppen i mars."


def _links(area: ProgrammeArea) -> list[tuple[str, str, str]]:
    return [
        (link.supporting_process.name, link.provenance, link.provenance_note)
        for link in ProgrammeAreaProcess.objects.filter(programme_area=area)
    ]


def _area_with_a_decided_link(
    client: Client, area: ProgrammeArea
) -> tuple[object, list[tuple[str, str, str]]]:
    """Cosmic linked as an example with its note (the version to go back to), then decided by
    the region with another note in the admin, and Personcentrering linked on the area's page.
    Returns the version and its links."""
    cosmic = SupportingProcessFactory(name="Cosmic")
    person = SupportingProcessFactory(name="Personcentrering")
    ProgrammeAreaProcess.objects.create(
        programme_area=area,
        supporting_process=cosmic,
        provenance="exempel",
        provenance_note=EXAMPLE_NOTE,
    )
    record_process_links(area)
    version = area.history.latest()
    url = f"/admin/programmes/programmearea/{area.pk}/change/"
    decided = client.post(
        url,
        admin_form_data(
            client.get(url),
            **{
                "process_links-0-provenance": "region",
                "process_links-0-provenance_note": DECIDED_NOTE,
            },
        ),
    )
    assert decided.status_code == 302
    assert edit(client, area, supporting_processes=[str(cosmic.pk), str(person.pk)]).status_code
    assert _links(area) == [
        ("Cosmic", "region", DECIDED_NOTE),
        ("Personcentrering", "region", ""),
    ]
    return version, [("Cosmic", "exempel", EXAMPLE_NOTE)]


def test_the_admin_revert_restores_a_kept_links_provenance_and_note(
    strategist_client: Client, strategist: User, programme_area: ProgrammeArea
) -> None:
    # Before, the revert removed Personcentrering but left Cosmic "Fastställd av regionen"
    # with the later note: the area was not as in the version chosen.
    strategist.first_name, strategist.last_name = "Stina", "Strateg"
    strategist.save()
    version, links_then = _area_with_a_decided_link(strategist_client, programme_area)
    url = f"/admin/programmes/programmearea/{programme_area.pk}/history/{version.history_id}/"
    form = strategist_client.get(url)
    assert form.context["revert_disabled"] is False

    response = strategist_client.post(url, admin_form_data(form), follow=True)

    assert response.redirect_chain, text_of(response.content.decode())[:2000]
    page = text_of(response.content.decode())
    assert "har återställts till versionen från" in page
    assert _links(programme_area) == links_then
    # In the area's history, under the strategist, as a revert; the link's own history too.
    latest = programme_area.history.latest()
    assert latest.history_user == strategist
    assert latest.history_change_reason.startswith("Återställd till versionen från")
    assert [
        (row.supporting_process.name, row.provenance, row.provenance_note)
        for row in latest.supporting_processes.all()
    ] == links_then
    cosmic = ProgrammeAreaProcess.objects.get(programme_area=programme_area)
    link_record = cosmic.history.latest()
    assert (link_record.history_user, link_record.history_change_reason) == (
        strategist,
        latest.history_change_reason,
    )
    admin = text_of(
        strategist_client.get(
            f"/admin/programmes/programmearea/{programme_area.pk}/history/"
        ).content.decode()
    )
    before = (
        "Cosmic (ursprung: Fastställd av regionen; kommentar om ursprunget: "
        f"{DECIDED_NOTE}), Personcentrering"
    )
    after = (
        "Cosmic (ursprung: Exempel – fastställs av regionen; kommentar om ursprunget: "
        f"{EXAMPLE_NOTE})"
    )
    assert f"Stödjande processer: {before} → {after}" in admin
    assert "Stina Strateg" in admin


@pytest.mark.parametrize("role", ["steering_member", "vc"])
def test_a_role_that_may_not_change_the_area_cannot_revert_its_links(
    request: pytest.FixtureRequest,
    strategist_client: Client,
    programme_area: ProgrammeArea,
    role: str,
) -> None:
    version, _ = _area_with_a_decided_link(strategist_client, programme_area)
    links_now, records = _links(programme_area), programme_area.history.count()
    user = request.getfixturevalue(role)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(user)
    url = f"/admin/programmes/programmearea/{programme_area.pk}/history/{version.history_id}/"
    # What the history form would post (the strategist's, as the other role may not open it).
    data = admin_form_data(strategist_client.get(url))

    page = client.get(url)
    response = client.post(url, data)

    assert page.status_code == 403 or page.context["revert_disabled"] is True
    assert response.status_code == 403
    assert _links(programme_area) == links_now
    assert programme_area.history.count() == records


def test_an_admin_revert_of_fields_owners_and_links_is_one_history_entry(
    strategist_client: Client, strategist: User, programme_area: ProgrammeArea
) -> None:
    # Before, the revert wrote one record for the area's fields and another for its links
    # (and one more per change of its owners): the history said the user acted two or three
    # times, the first line showing the old links as if they had been kept.
    strategist.first_name, strategist.last_name = "Stina", "Strateg"
    strategist.save()
    sara = UserFactory(username="sara", first_name="Sara", role=Role.STEERING_GROUP)
    olle = UserFactory(username="olle", first_name="Olle", role=Role.STEERING_GROUP)
    person = SupportingProcessFactory(name="Personcentrering")
    cosmic = SupportingProcessFactory(name="Cosmic")
    edit(
        strategist_client,
        programme_area,
        description="Förra beskrivningen",
        supporting_processes=[str(person.pk)],
        delivery_owners=[str(sara.pk)],
    )
    version = programme_area.history.latest()
    records = programme_area.history.count()
    edit(
        strategist_client,
        programme_area,
        description="Senare beskrivningen",
        supporting_processes=[str(cosmic.pk)],
        delivery_owners=[str(olle.pk)],
    )
    # The page's edit of all three is one entry too.
    assert programme_area.history.count() == records + 1
    before = set(programme_area.history.values_list("history_id", flat=True))
    url = f"/admin/programmes/programmearea/{programme_area.pk}/history/{version.history_id}/"

    response = strategist_client.post(url, admin_form_data(strategist_client.get(url)))

    assert response.status_code == 302, text_of(response.content.decode())[:2000]
    [record] = programme_area.history.exclude(history_id__in=before)
    assert record.history_user == strategist
    assert record.history_change_reason.startswith("Återställd till versionen från")
    assert record.description == "Förra beskrivningen"
    assert [owner.user for owner in record.delivery_owners.all()] == [sara]
    assert [row.supporting_process for row in record.supporting_processes.all()] == [person]
    admin = text_of(
        strategist_client.get(
            f"/admin/programmes/programmearea/{programme_area.pk}/history/"
        ).content.decode()
    )
    # One line of the history table, naming every change of the revert.
    [line] = [
        row
        for row in re.findall(
            r"<tr\b.*?</tr>",
            strategist_client.get(
                f"/admin/programmes/programmearea/{programme_area.pk}/history/"
            ).content.decode(),
            flags=re.S,
        )
        if "Återställd till versionen från" in row
    ]
    line = text_of(line)
    assert "Beskrivning: Senare beskrivningen → Förra beskrivningen" in line
    assert "Stödjande processer: Cosmic → Personcentrering" in line
    assert "Leveransansvariga:" in line
    assert "Stina Strateg" in admin
