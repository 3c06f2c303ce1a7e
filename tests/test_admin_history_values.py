"""The admin's history pages show what changed whole and in Swedish, and who changed it by name.

Reviewers found long texts cut by django-simple-history ("Mer a[29 chars]ete."), times as
"2026-12-01 19:34:40.497526+00:00", an emptied foreign key as "Borttagen användare (pk=None)",
the report's hash missing from its history, and "Ändrad av" as a username linked to the user's
admin page, which only administrators may open. And the programme area's admin: delivery
owners as bare usernames of every account with ungrammatical labels.
"""

from __future__ import annotations

import datetime
import json
import re
from html import unescape

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import dateformat, timezone

from followup.models import QuarterReport
from organisation.models import Role
from programmes.models import ProgrammeArea
from tests.admin_forms import admin_save
from tests.factories import OrgTree, UserFactory
from tests.test_admin_history_pages import visible_text

pytestmark = pytest.mark.django_db

LONG_OLD = (
    "Mer arbete i team på hälsocentralerna, med läkare, sjuksköterskor och andra tillsammans."
)
LONG_NEW = (
    "Mer arbete i team på hälsocentralerna, med läkare, sjuksköterskor och rehab tillsammans, "
    "varje vecka."
)


@pytest.fixture
def named_strategist(strategist: User) -> User:
    strategist.first_name, strategist.last_name = "Sara", "Provberg"
    strategist.save()
    return strategist


def test_long_texts_are_shown_whole_and_the_change_by_name_without_a_link(
    client: Client, named_strategist: User, programme_area: ProgrammeArea
) -> None:
    client.force_login(named_strategist)
    change = f"/admin/programmes/programmearea/{programme_area.pk}/change/"
    admin_save(client, change, description=LONG_OLD)
    admin_save(client, change, description=LONG_NEW)

    page = client.get(f"/admin/programmes/programmearea/{programme_area.pk}/history/")

    html = page.content.decode()
    text = visible_text(html)
    assert f"Beskrivning: {LONG_OLD} → {LONG_NEW}" in text
    assert "chars]" not in text
    assert "Sara Provberg" in text
    # The strategist may not open user accounts: the name is not a link there.
    assert "/admin/auth/user/" not in html
    # The time the Swedish way, in local time.
    local = timezone.localtime(programme_area.history.latest().history_date)
    assert dateformat.format(local, "j b Y H:i") in text
    assert "+00:00" not in text


def test_an_administrator_gets_the_link_to_the_account(
    client: Client, admin_user: User, programme_area: ProgrammeArea
) -> None:
    client.force_login(admin_user)
    admin_save(
        client, f"/admin/programmes/programmearea/{programme_area.pk}/change/", description="Ny."
    )

    html = client.get(f"/admin/programmes/programmearea/{programme_area.pk}/history/").content
    assert f"/admin/auth/user/{admin_user.pk}/change/" in html.decode()


def test_an_emptied_person_is_a_dash_times_are_local_and_the_hash_is_in_the_history(
    client: Client, strategist: User, portfolio_owner: User, org_tree: OrgTree
) -> None:
    portfolio_owner.first_name, portfolio_owner.last_name = "Pia", "Portfölj"
    portfolio_owner.save()
    report = QuarterReport.objects.create(
        organisation=org_tree.region,
        quarter="2026Q3",
        returned_by=portfolio_owner,
        returned_at=timezone.make_aware(datetime.datetime(2026, 12, 1, 20, 34)),
    )
    report.returned_by = None
    report.returned_at = None
    report.content_sha256 = "ab" * 32
    report.save()
    client.force_login(strategist)

    page = client.get(f"/admin/followup/quarterreport/{report.pk}/history/")

    assert page.status_code == 200
    text = visible_text(page.content.decode())
    assert "Tillbakaskickad av: Pia Portfölj → –" in text
    assert "Tillbakaskickad: 1 dec 2026 20:34 → –" in text
    assert f"SHA-256: – → {'ab' * 32}" in text
    assert "pk=None" not in text
    assert "Borttagen" not in text


def test_delivery_owners_are_offered_by_name_among_the_steering_group(
    client: Client, strategist: User, programme_area: ProgrammeArea, vec: User
) -> None:
    sara = UserFactory(
        username="sara", first_name="Sara", last_name="Provberg", role=Role.STEERING_GROUP
    )
    client.force_login(strategist)

    page = client.get(f"/admin/programmes/programmearea/{programme_area.pk}/change/")

    html = page.content.decode()
    text = visible_text(html)
    assert "Sara Provberg (sara)" in text
    assert "vec1a" not in text
    assert "vald leveransansvariga" not in html
    assert "markerad leveransansvariga" not in html
    assert "selectfilter" not in html.lower()
    assert "Koppling till stödjande process" not in html
    formset = re.search(r'data-inline-formset="([^"]+)"', html)
    assert formset is not None
    add_text = json.loads(unescape(formset[1]))["options"]["addText"]
    assert add_text == "Lägg till ytterligare stödjande process"

    admin_save(
        client,
        f"/admin/programmes/programmearea/{programme_area.pk}/change/",
        delivery_owners=[sara.pk],
    )
    assert list(programme_area.delivery_owners.all()) == [sara]
