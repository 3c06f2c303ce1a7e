"""A quarterly report's earlier versions: every close's frozen body is kept, through a
reopening or a send-back, so the steering group can see what it was shown. The list of reports
shows them under their quarter; each opens read-only (for every role, a POST is refused), marked
as an earlier version, with the body exactly as frozen whatever changed since."""

from __future__ import annotations

import html
import re

import pytest
from django.contrib.auth.models import User
from django.db.models import ProtectedError
from django.test import Client
from django.urls import reverse

from base.periods import Quarter
from followup import services
from followup.cache import bump_generation
from followup.models import QuarterReportVersion
from organisation.models import Role
from tests.factories import UserFactory
from tests.followup.dashboard_data import (
    LATEST,
    DashboardData,
    SecondOrganisation,
    dashboard_data_create,
)
from tests.followup.test_quarter_report import (
    ROLES,
    SMALL,
    action_url,
    close,
    page_url,
    reopen,
    report_of,
    send_back,
    user_with,
)

REASON = "Fel siffror för PO 2 i september; underlaget är rättat."
EARLIER = "Tidigare version – ersatt"


@pytest.fixture
def data(db: None) -> DashboardData:
    return dashboard_data_create(**SMALL)


def version_url(number: int, quarter: Quarter = LATEST) -> str:
    return reverse("quarter_report_version", kwargs={"quarter": quarter.code, "number": number})


def text(response: object) -> str:
    body = re.sub(r"<[^>]+>", " ", response.content.decode())  # type: ignore[attr-defined]
    return " ".join(html.unescape(body).split())


def named(user: User, first: str, last: str) -> User:
    user.first_name, user.last_name = first, last
    user.save()
    return user


def versions(data: DashboardData) -> list[QuarterReportVersion]:
    return list(QuarterReportVersion.objects.filter(report__organisation=data.region))


# --- what is kept --------------------------------------------------------------------------------


def test_a_reopening_keeps_the_frozen_body_as_a_version_and_a_second_close_adds_one(
    client: Client, data: DashboardData
) -> None:
    strategist = named(user_with("strateg", data), "Stina", "Strateg")
    first = close(data, strategist)
    client.force_login(strategist)

    client.post(action_url("oppna"), {"version": first.version, "comment": REASON})
    after_reopening = versions(data)
    draft = report_of(data)
    second = close(data, strategist)

    (kept,) = after_reopening
    assert kept.number == 1
    assert kept.content_html == first.content_html
    assert kept.content_sha256 == first.content_sha256
    assert (kept.closed_by, kept.closed_at) == (strategist, first.closed_at)
    assert kept.ended_as == QuarterReportVersion.Ending.REOPENED
    assert (kept.ended_by, kept.end_comment) == (strategist, REASON)
    assert kept.ended_at is not None
    # The report itself is a live draft again: its own body is gone, not the version's.
    assert (draft.status, draft.content_html) == ("utkast", "")  # type: ignore[union-attr]
    one, two = versions(data)
    assert (one.number, one.content_html, one.ended_as) == (1, first.content_html, "oppnad_igen")
    assert (two.number, two.content_sha256, two.ended_as) == (2, second.content_sha256, "")
    assert two.ended_at is None
    assert two.closed_at == second.closed_at


def test_a_send_back_keeps_the_frozen_body_as_a_version_too(data: DashboardData) -> None:
    closed = close(data, user_with("strateg", data))
    owner = named(user_with("portfoljagare", data), "Pia", "Portföljägare")

    send_back(data, owner)

    (kept,) = versions(data)
    assert kept.content_html == closed.content_html
    assert (kept.ended_as, kept.ended_by, kept.end_comment) == (
        QuarterReportVersion.Ending.SENT_BACK,
        owner,
        "Saknar PO 2.",
    )


def test_an_approval_keeps_the_one_version_current(data: DashboardData) -> None:
    closed = close(data, user_with("strateg", data))

    services.quarter_report_approve(
        user=user_with("portfoljagare", data),
        organisation_id=data.region.pk,
        quarter=LATEST,
        version=closed.version,
    )

    (current,) = versions(data)
    assert (current.ended_as, current.ended_at) == ("", None)
    assert current.content_sha256 == closed.content_sha256


def test_a_refused_reopening_ends_no_version(client: Client, data: DashboardData) -> None:
    strategist = user_with("strateg", data)
    closed = close(data, strategist)
    client.force_login(strategist)

    client.post(action_url("oppna"), {"version": closed.version, "comment": " "})
    client.post(action_url("oppna"), {"version": closed.version - 1, "comment": REASON})
    client.force_login(user_with("styrgrupp", data))
    client.post(action_url("oppna"), {"version": closed.version, "comment": REASON})

    (current,) = versions(data)
    assert current.ended_at is None


def test_a_report_with_versions_cannot_be_deleted(data: DashboardData) -> None:
    strategist = user_with("strateg", data)
    close(data, strategist)
    reopen(data, strategist, REASON)

    with pytest.raises(ProtectedError):
        report_of(data).delete()  # type: ignore[union-attr]
    assert len(versions(data)) == 1


# --- the list ------------------------------------------------------------------------------------


def test_the_list_shows_earlier_versions_under_their_quarter_with_who_and_why(
    client: Client, data: DashboardData
) -> None:
    strategist = named(user_with("strateg", data), "Stina", "Strateg")
    owner = named(user_with("portfoljagare", data), "Pia", "Portföljägare")
    close(data, strategist)
    send_back(data, owner)
    close(data, strategist)
    reopen(data, strategist, REASON)
    close(data, strategist)
    client.force_login(user_with("styrgrupp", data))

    response = client.get(reverse("quarter_report_list"))

    page = response.content.decode()
    shown = text(response)
    # The current close first, then its earlier versions, newest first.
    current = page.index(f'href="{page_url()}"')
    assert current < page.index(f'href="{version_url(2)}"') < page.index(f'href="{version_url(1)}"')
    assert f'href="{version_url(3)}"' not in page  # the current one is the report itself
    assert "Tidigare version 2 av kvartalsrapport Kv 4 2025 Ersatt öppnad igen" in shown
    assert f"av Stina Strateg: {REASON}" in shown
    assert "Tidigare version 1 av kvartalsrapport Kv 4 2025 Ersatt skickad tillbaka" in shown
    assert "av Pia Portföljägare: Saknar PO 2." in shown
    assert shown.count("av Stina Strateg") >= 3  # each close, who made it


def test_a_quarter_never_reopened_lists_no_earlier_version(
    client: Client, data: DashboardData
) -> None:
    close(data, user_with("strateg", data))
    client.force_login(user_with("styrgrupp", data))

    page = client.get(reverse("quarter_report_list")).content.decode()

    assert "Tidigare version" not in page


# --- the version's page --------------------------------------------------------------------------


def test_the_version_page_shows_what_was_frozen_even_after_data_changes(
    client: Client, data: DashboardData
) -> None:
    strategist = named(user_with("strateg", data), "Stina", "Strateg")
    first = close(data, strategist)
    reopen(data, strategist, REASON)
    goal = data.goals[0]
    old_title = goal.title
    goal.title = "Ett nytt namn på målet"
    goal.save()
    services.quarter_compute(quarter=LATEST, spc=False)
    bump_generation()
    second = close(data, strategist)
    client.force_login(user_with("styrgrupp", data))

    response = client.get(version_url(1))

    assert response.status_code == 200
    page = response.content.decode()
    assert first.content_html in page
    assert old_title in page
    assert "Ett nytt namn på målet" not in page
    assert "Ett nytt namn på målet" in second.content_html
    assert first.content_sha256 in page
    shown = text(response)
    assert shown.count(EARLIER) == 1
    assert "Tidigare version – ersatt när rapporten öppnades igen" in shown
    assert "Det här är rapporten som den fastställdes" in shown
    assert "av Stina Strateg" in shown
    assert "Varför rapporten öppnades igen" in shown
    assert REASON in shown
    assert "Kvartalsrapport Kv 4 2025, tidigare version 1" in shown
    # The way to the report as it is now.
    assert f'href="{page_url()}"' in page
    assert "Gå till den gällande kvartalsrapporten för Kv 4 2025 (Fastställd)" in shown


def test_the_report_shows_its_current_versions_body_which_its_version_page_shows_later(
    client: Client, data: DashboardData
) -> None:
    """The body is stored once, in the close's version: the report page (also what is printed)
    shows the current version's, and once that close ends its own page shows the same."""
    strategist = user_with("strateg", data)
    close(data, strategist)
    client.force_login(user_with("styrgrupp", data))

    (one,) = versions(data)
    assert "Sammanfattning" in one.content_html
    assert one.content_html in client.get(page_url()).content.decode()
    assert report_of(data).content_html == one.content_html  # type: ignore[union-attr]
    assert client.get(version_url(1))["Location"] == page_url()  # current: the report itself

    reopen(data, strategist, REASON)
    goal = data.goals[0]
    goal.title = "Ett nytt namn på målet"
    goal.save()
    services.quarter_compute(quarter=LATEST, spc=False)
    bump_generation()
    close(data, strategist)

    one, two = versions(data)
    assert (one.ended_as, two.ended_as) == ("oppnad_igen", "")
    assert "Ett nytt namn på målet" in two.content_html
    report_page = client.get(page_url()).content.decode()
    version_page = client.get(version_url(1)).content.decode()
    assert two.content_html in report_page
    assert one.content_html not in report_page
    assert one.content_html in version_page


def test_the_version_page_marks_a_send_back_as_such(client: Client, data: DashboardData) -> None:
    close(data, user_with("strateg", data))
    send_back(data, user_with("portfoljagare", data))
    client.force_login(user_with("vc", data))

    shown = text(client.get(version_url(1)))

    assert "Tidigare version – ersatt när rapporten skickades tillbaka" in shown
    assert "Varför rapporten skickades tillbaka Saknar PO 2." in shown
    # The report is a draft now: the link says so.
    assert "Gå till den gällande kvartalsrapporten för Kv 4 2025 (Utkast)" in shown


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_a_version_and_none_can_post_to_it(
    client: Client, data: DashboardData, role: str
) -> None:
    strategist = UserFactory(username="stratega", is_staff=True, role=Role.STRATEGIST)
    closed = close(data, strategist)
    reopen(data, strategist, REASON)
    kept = versions(data)[0]
    before = (kept.content_sha256, kept.ended_at, QuarterReportVersion.objects.count())
    client.force_login(user_with(role, data))

    read = client.get(version_url(1))
    posted = client.post(version_url(1), {"version": closed.version, "comment": "x"})
    put = client.put(version_url(1))
    deleted = client.delete(version_url(1))

    assert read.status_code == 200
    page = read.content.decode()
    # Nothing to act with: no transition's form, no button but the logout's.
    assert 'method="post"' not in page.replace(f'method="post" action="{reverse("logout")}"', "")
    assert "Öppna rapporten igen" not in page
    assert "Beslut om rapporten" not in page
    assert (posted.status_code, put.status_code, deleted.status_code) == (405, 405, 405)
    kept.refresh_from_db()
    assert (kept.content_sha256, kept.ended_at, QuarterReportVersion.objects.count()) == before


def test_a_version_is_not_for_users_without_a_role_nor_anonymous(
    client: Client, data: DashboardData
) -> None:
    strategist = user_with("strateg", data)
    close(data, strategist)
    reopen(data, strategist, REASON)

    anonymous = client.get(version_url(1))
    client.force_login(UserFactory(username="utanroll"))

    assert anonymous.status_code == 302
    assert anonymous.url.startswith(reverse("login"))
    assert client.get(version_url(1)).status_code == 403


def test_the_current_version_is_the_report_and_a_missing_one_is_not_found(
    client: Client, data: DashboardData
) -> None:
    close(data, user_with("strateg", data))
    client.force_login(user_with("styrgrupp", data))

    current = client.get(version_url(1))
    missing = client.get(version_url(2))
    huge = client.get(version_url(10**12))

    assert current.status_code == 302
    assert current.url == page_url()
    assert missing.status_code == 404
    assert "Kvartalsrapporten för Kv 4 2025 har ingen version 2." in text(missing)
    assert huge.status_code == 404


def test_the_report_page_links_each_ended_close_in_its_events(
    client: Client, data: DashboardData
) -> None:
    strategist = user_with("strateg", data)
    close(data, strategist)
    reopen(data, strategist, REASON)
    client.force_login(user_with("styrgrupp", data))

    draft = client.get(page_url()).content.decode()
    close(data, strategist)
    closed = client.get(page_url()).content.decode()

    for page in (draft, closed):
        assert f'href="{version_url(1)}"' in page
        assert "Visa version 1 som den fastställdes" in page
    # The current close is the page itself: no link to it as a version.
    assert version_url(2) not in closed


def test_the_admin_lists_a_reports_versions_with_links(client: Client, data: DashboardData) -> None:
    admin = user_with("admin", data)
    close(data, admin)
    report = reopen(data, admin, REASON)
    close(data, admin)
    client.force_login(admin)

    page = client.get(
        reverse("admin:followup_quarterreport_change", args=[report.pk])
    ).content.decode()

    assert f'href="{version_url(1)}"' in page
    assert f'href="{page_url()}"' in page
    assert "Version 1, fastställd" in page
    assert "Öppnad igen" in page
    assert "gällande" in page


def test_each_organisation_reads_its_own_versions(
    client: Client, testland: DashboardData, bergland: SecondOrganisation
) -> None:
    strategist = user_with("strateg", testland)
    client.force_login(strategist)
    berg = "?organisation=BERG"
    client.post(action_url("stang") + "?organisation=REG", {"version": 0})
    closed = client.post(action_url("stang") + berg, {"version": 0})
    client.post(action_url("oppna") + berg, {"version": 1, "comment": REASON})

    berg_list = client.get(reverse("quarter_report_list") + berg).content.decode()
    reg_list = client.get(reverse("quarter_report_list") + "?organisation=REG").content.decode()
    berg_version = client.get(version_url(1) + berg)
    reg_version = client.get(version_url(1) + "?organisation=REG")

    assert closed.status_code == 302
    assert f'href="{version_url(1)}{berg}"' in berg_list
    assert "Tidigare version" not in reg_list
    assert berg_version.status_code == 200
    assert "Bergmål 0" in berg_version.content.decode()
    # Region Testland's close of the same quarter is current: its report, not a version.
    assert reg_version.status_code == 302
